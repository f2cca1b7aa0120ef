#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the booted container (es-checks.service, after
# edgesteer.service), checks the package under a real systemd and writes
# one TAP-like line per check to /results/out, then powers off.
#   ok - NAME
#   not ok - NAME # what was seen
# Every wait is bounded; the host kills the container on its own deadline.
set -u
OUT=/results/out
CONF=/etc/edgesteer/edgesteer.conf
U=edgesteer.service
: > "$OUT"

say() { echo "$*" >> "$OUT"; }
check() {	# check NAME COMMAND...: ok when the command succeeds
	local name=$1; shift
	if out=$("$@" 2>&1); then say "ok - $name"; else say "not ok - $name # $(echo "$out" | tr '\n' ' ' | cut -c1-300)"; fi
}
prop() { systemctl show -P "$2" "$1"; }
# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() {
	local i n=$(($1 * 10)); shift
	for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	"$@"
}
is_active() { [ "$(prop $U ActiveState)" = active ] && [ "$(prop $U SubState)" = running ]; }
# The XDP packet counter of esv0, from the daemon or, with none, the pins.
rx() {
	edgesteer metrics -c "$CONF" 2>/dev/null |
		awk '/^edgesteer_xdp_rx_packets_total\{.*esv0/ { print $2; f = 1 } END { if (!f) print -1 }'
}
send() {	# send N: N syslog datagrams from the peer namespace into esv0
	local i
	for ((i = 0; i < $1; i++)); do
		ip netns exec es-peer bash -c 'echo "<13>es-check $0" > /dev/udp/10.77.0.1/514' "$i"
	done
}
dump_journal() { journalctl -b -u $U --no-pager -o cat | tail -n 40 | sed 's/^/# journal: /' >> "$OUT"; }

# 1. After boot: active means READY=1 arrived (Type=notify), STATUS= shown.
check boot_unit_is_active_after_ready is_active
check boot_status_text_is_set bash -c "systemctl show -P StatusText $U | grep -q '^Running'"
check boot_shipped_config_checks edgesteer check --allow-empty -c $CONF
check status_works_as_root edgesteer status
check spool_dir_exists_under_state_directory test -d /var/lib/edgesteer/spool

# 2. Reload with a good file applies: the daemon's reload counter says so.
pid=$(prop $U MainPID)
cp $CONF /root/edgesteer.conf.orig
sed -i 's/^log_level = info/log_level = notice/' $CONF
check reload_good_file_succeeds systemctl reload $U
check reload_good_file_is_applied bash -c "edgesteer status | grep -q 'reloads: 1 ok'"
check reload_good_keeps_main_pid test "$(prop $U MainPID)" = "$pid"

# 3. Reload with a broken file: systemctl fails, the unit stays active on
#    the old configuration (same process, status still answers).
echo "this is not a key" >> $CONF
if systemctl reload $U 2>/dev/null; then say "not ok - reload_broken_file_fails # systemctl reload returned 0"
else say "ok - reload_broken_file_fails"; fi
check reload_broken_unit_stays_active is_active
check reload_broken_keeps_main_pid test "$(prop $U MainPID)" = "$pid"
check reload_broken_is_counted bash -c "edgesteer status | grep -q '1 failed'"
cp /root/edgesteer.conf.orig $CONF

# 4. The watchdog: pings at half of WatchdogSec keep a healthy daemon alive
#    for more than twice the period (3 s here instead of 30 s, to be quick).
mkdir -p /run/systemd/system/$U.d
printf '[Service]\nWatchdogSec=3s\n' > /run/systemd/system/$U.d/watchdog.conf
systemctl daemon-reload
systemctl restart $U
wait_for 10 is_active
pid=$(prop $U MainPID)
check watchdog_is_armed test "$(prop $U WatchdogUSec)" = 3s
sleep 7
check watchdog_healthy_daemon_survives_2x_period is_active
check watchdog_no_restart test "$(prop $U MainPID)" = "$pid" -a "$(prop $U NRestarts)" = 0
rm -rf /run/systemd/system/$U.d
systemctl daemon-reload

# 5. A clean stop: inactive (not failed), exit status 0.
systemctl stop $U
check stop_is_clean test "$(prop $U ActiveState)" = inactive -a "$(prop $U Result)" = success \
	-a "$(prop $U ExecMainStatus)" = 0

# 6. XDP fail-static: attached on a veth, counting; still counting while
#    the daemon is stopped and across a restart.
ip netns add es-peer
ip link add esv0 type veth peer name esv1 netns es-peer
ip addr add 10.77.0.1/24 dev esv0 && ip link set esv0 up
ip -n es-peer addr add 10.77.0.2/24 dev esv1 && ip -n es-peer link set esv1 up
ip -n es-peer link set lo up
printf '\n[xdp]\ninterfaces = esv0\nmode = generic\nsyslog_ports = 514\n' >> $CONF
systemctl start $U
if wait_for 10 is_active; then
	send 5; a=$(rx)
	check xdp_counts_while_running test "$a" -ge 5
	systemctl stop $U
	check xdp_stays_attached_after_stop bash -c "ip link show esv0 | grep -q xdp"
	send 5; b=$(rx)
	check xdp_counts_with_the_daemon_stopped test "$b" -ge $((a + 5))
	systemctl start $U
	wait_for 10 is_active
	systemctl restart $U
	wait_for 10 is_active
	send 5; c=$(rx)
	check xdp_keeps_counting_across_restart test "$c" -ge $((b + 5))
	check xdp_restart_unit_active is_active
	# An upgrade (the same package again: prerm upgrade, postinst
	# configure) restarts the daemon; the program stays and counts.
	pid=$(prop $U MainPID)
	dpkg -i /root/edgesteer_*.deb >/dev/null 2>&1
	wait_for 10 is_active
	check upgrade_restarts_the_daemon test "$(prop $U MainPID)" != "$pid"
	send 5; d=$(rx)
	check upgrade_keeps_xdp_counting test "$d" -ge $((c + 5))
else
	say "not ok - xdp_unit_starts # $(prop $U Result)"
	dump_journal
fi

# 7. Purge leaves nothing: no file of the package, state, config, pins,
#    XDP program.
dpkg -L edgesteer | while read -r f; do [ -d "$f" ] || echo "$f"; done > /root/files
apt-get purge -y -qq edgesteer >/dev/null 2>&1
check purge_removes_every_file bash -c 'for f in $(cat /root/files); do [ ! -e "$f" ] || { echo "$f"; exit 1; }; done'
check purge_removes_the_unit test ! -e /lib/systemd/system/$U
check purge_removes_state test ! -e /var/lib/edgesteer
check purge_removes_config test ! -e /etc/edgesteer
check purge_removes_pins test ! -e /sys/fs/bpf/edgesteer
check purge_detaches_xdp bash -c "! ip link show esv0 | grep -q xdp"
ip netns del es-peer 2>/dev/null

grep -q '^not ok' "$OUT" && dump_journal
say "done"
systemctl poweroff --no-block
