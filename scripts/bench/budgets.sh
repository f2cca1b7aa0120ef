#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# budgets.sh - the appliance budgets (part of `make bench`), printed beside
# the same figures for HAProxy and rsyslog measured here the same way:
#
#   size      stripped binary per architecture built (goal: < 1 MB)
#   idle      RSS of an idle daemon with every section configured: XDP on
#             a veth, a proxy, syslog with a TLS subscriber listener, a
#             forwarder, a watchdog, the metrics listener (goal: < 8 MB)
#   per conn  RSS growth per idle proxied connection (BUDGET_CONNS held)
#   per sub   RSS growth per idle TLS subscriber (BUDGET_SUBS held)
#
# HAProxy (mode tcp) holds the same idle connections; rsyslog's nearest
# figure to a subscriber is an idle imtcp client (it has no fan-out).
# RSS is VmRSS of /proc/PID/status; kernel socket and pipe buffers are not
# in it. Everything runs in a network namespace named after this PID.
set -euo pipefail
BUILD=${BUILD:-build}
N_CONNS=${BUDGET_CONNS:-500}
N_SUBS=${BUDGET_SUBS:-100}
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$top/$BUILD/edgesteer
ns=es-budget-$$
dir=/tmp/es-budget-$$
pids=()
ulimit -n 65536 2>/dev/null || true

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -x "$BIN" ] && "$BIN" detach -p "$dir/bpffs/edgesteer" >/dev/null 2>&1 || true
	umount "$dir/bpffs" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f MB", k / 1024 }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f KB", (b - a) / n }'; }
in_ns() { ip netns exec "$ns" "$@"; }
# Background helpers run as `ip netns exec` directly, so that $! is the
# process itself and cleanup kills it, not a subshell around it.
wait_port() {	# wait_port PORT: until something listens on 127.0.0.1:PORT
	local i
	for ((i = 0; i < 100; i++)); do
		in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "budgets: nothing listens on 127.0.0.1:$1" >&2
	tail -n 20 "$dir"/*.log >&2 2>/dev/null
	return 1
}

# Holds N idle TCP (or TLS) connections to PORT until killed; prints
# "ready" once all are up. Each sends FIRST bytes (plain) after connecting.
hold() {	# hold PORT N FIRST [CERT KEY CA]
	ip netns exec "$ns" python3 - "$@" <<'PY' &
import socket, ssl, sys, time
port, n, first = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode().decode('unicode_escape').encode()
ctx = None
if len(sys.argv) > 6:
    ctx = ssl.create_default_context(cafile=sys.argv[6])
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    ctx.check_hostname = False
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ctx:
        s = ctx.wrap_socket(s, server_hostname="localhost")
    if first:
        s.sendall(first)
    socks.append(s)
print("ready", flush=True)
time.sleep(600)
PY
	pids+=($!)
}
settle() { sleep "${BUDGET_SETTLE:-2}"; }

echo "== size (stripped)"
for b in "$top/$BUILD/edgesteer" "$top/build/arm64/edgesteer"; do
	[ -x "$b" ] || continue
	arch=$(file -b "$b" | cut -d, -f2 | sed 's/^ *//')
	strip_cmd=strip
	case $arch in *aarch64*) strip_cmd=aarch64-linux-gnu-strip ;; esac
	"$strip_cmd" -o "$dir.stripped" "$b"
	printf '  edgesteer %-22s %8d bytes (goal < 1 MB)\n' "$arch" "$(stat -c %s "$dir.stripped")"
	rm -f "$dir.stripped"
done
for peer in haproxy rsyslogd; do
	p=$(command -v $peer || true)
	[ -n "$p" ] && printf '  %-32s %8d bytes (Debian package, stripped)\n' "$peer" "$(stat -c %s "$p")"
done

# `ip netns exec` remounts /sys: the pins live in a bpffs of our own.
mkdir -p "$dir/bpffs"
mount -t bpf bpf "$dir/bpffs"
ip netns add "$ns"
in_ns ip link set lo up
in_ns ip link add esb0 type veth peer name esb1
in_ns ip link set esb0 up
in_ns ip link set esb1 up
"$top/scripts/mkcerts.sh" "$dir/certs" localhost >/dev/null

# The upstream: accepts and holds, never answers.
ip netns exec "$ns" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18081)); s.listen(4096); c = []
while True: c.append(s.accept()[0])' &
pids+=($!)

cat > "$dir/edgesteer.conf" <<CONF
[global]
control_socket = $dir/ctl.sock
pin_path = $dir/bpffs/edgesteer
metrics_listen = 127.0.0.1:19464
; one loop, like the single-threaded HAProxy it is compared with
workers = 1
[xdp]
interfaces = esb0
mode = generic
; the listeners' ports, so that each is in its class (check warns otherwise)
proxy_ports = 18080
syslog_ports = 15514
[proxy web]
listen = 127.0.0.1:18080
protocol = http
default = 127.0.0.1:18081
idle_timeout = 600s
[syslog]
listen = 127.0.0.1:15514
tls_listen = 127.0.0.1:16514
cert = $dir/certs/server.crt
key = $dir/certs/server.key
client_ca = $dir/certs/ca.crt
max_subscribers = $((N_SUBS + 16))
[forward central]
collector = 127.0.0.1:16999
ca = $dir/certs/ca.crt
server_name = localhost
spool_dir = $dir/spool
[watchdog esb0]
usb_ids = 0b95:1790
dry_run = yes
CONF
"$BIN" check -c "$dir/edgesteer.conf" >/dev/null
ip netns exec "$ns" "$BIN" run -c "$dir/edgesteer.conf" > "$dir/edgesteer.log" 2>&1 &
pids+=($!)
wait_port 18080
epid=$(pgrep -f "edgesteer run -c $dir/edgesteer.conf" | head -n1)
settle
e_idle=$(rss_kb "$epid")

echo "== idle RSS, every section configured"
printf '  %-32s %s (goal < 8 MB)\n' edgesteer "$(mb "$e_idle")"

hold 18080 "$N_CONNS" 'GET / HTTP/1.1\r\nHost: budget.test\r\n\r\n' > "$dir/hold1" 
for ((i = 0; i < 300; i++)); do grep -q ready "$dir/hold1" && break; sleep 0.1; done
settle
e_conn=$(rss_kb "$epid")

hold 16514 "$N_SUBS" '' "$dir/certs/client.crt" "$dir/certs/client.key" "$dir/certs/ca.crt" > "$dir/hold2"
for ((i = 0; i < 300; i++)); do grep -q ready "$dir/hold2" && break; sleep 0.1; done
settle
e_sub=$(rss_kb "$epid")

# HAProxy, mode tcp, the same idle connections.
if command -v haproxy >/dev/null; then
	cat > "$dir/haproxy.cfg" <<CFG
global
	maxconn 4000
	nbthread 1
defaults
	mode tcp
	timeout connect 5s
	timeout client 600s
	timeout server 600s
frontend f
	bind 127.0.0.1:18090
	default_backend b
backend b
	server u 127.0.0.1:18081
CFG
	ip netns exec "$ns" haproxy -db -f "$dir/haproxy.cfg" > "$dir/haproxy.log" 2>&1 &
	pids+=($!)
	wait_port 18090
	hpid=$(pgrep -f "haproxy -db -f $dir/haproxy.cfg" | head -n1)
	settle
	h_idle=$(rss_kb "$hpid")
	hold 18090 "$N_CONNS" 'GET / HTTP/1.1\r\nHost: budget.test\r\n\r\n' > "$dir/hold3"
	for ((i = 0; i < 300; i++)); do grep -q ready "$dir/hold3" && break; sleep 0.1; done
	settle
	h_conn=$(rss_kb "$hpid")
fi

# rsyslog: UDP and TCP intake, idle; then idle imtcp clients.
if command -v rsyslogd >/dev/null; then
	cat > "$dir/rsyslog.conf" <<CFG
global(workDirectory="$dir")
module(load="imudp")
module(load="imtcp" maxSessions="20000")
input(type="imudp" port="15515" address="127.0.0.1")
input(type="imtcp" port="15516" address="127.0.0.1")
*.* action(type="omfile" file="$dir/rsyslog.out")
CFG
	ip netns exec "$ns" rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" > "$dir/rsyslog.log" 2>&1 &
	pids+=($!)
	wait_port 15516
	rpid=$(cat "$dir/rsyslog.pid" 2>/dev/null || pgrep -f "rsyslogd -n -f $dir" | head -n1)
	settle
	r_idle=$(rss_kb "$rpid")
	hold 15516 "$N_SUBS" '' > "$dir/hold4"
	for ((i = 0; i < 300; i++)); do grep -q ready "$dir/hold4" && break; sleep 0.1; done
	settle
	r_sub=$(rss_kb "$rpid")
fi

[ -n "${h_idle:-}" ] && printf '  %-32s %s (mode tcp, one proxy, nothing else)\n' haproxy "$(mb "$h_idle")"
[ -n "${r_idle:-}" ] && printf '  %-32s %s (imudp + imtcp + omfile)\n' rsyslogd "$(mb "$r_idle")"
echo "== RSS per idle proxied connection ($N_CONNS held)"
printf '  %-32s %s\n' edgesteer "$(per "$e_idle" "$e_conn" "$N_CONNS")"
[ -n "${h_conn:-}" ] && printf '  %-32s %s\n' haproxy "$(per "$h_idle" "$h_conn" "$N_CONNS")"
echo "== RSS per idle subscriber ($N_SUBS held)"
printf '  %-32s %s (TLS, client certificate)\n' edgesteer "$(per "$e_conn" "$e_sub" "$N_SUBS")"
[ -n "${r_sub:-}" ] && printf '  %-32s %s (plain imtcp client, nearest equivalent)\n' rsyslogd "$(per "$r_idle" "$r_sub" "$N_SUBS")"
exit 0
