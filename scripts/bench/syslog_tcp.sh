#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# syslog_tcp.sh - the syslog relay over TCP: edgesteer against rsyslog
# (part of `make bench`).
#
# BENCH_TCP_SENDERS (8) TCP senders send 200-byte RFC 5424 messages with
# RFC 6587 octet-counting framing to a relay on 127.0.0.1, which forwards
# them over TLS (RFC 5425) to one collector. The relays, in the same run:
#   rsyslog     rsyslogd: imtcp (plain TCP) -> omfwd with the
#               BENCH_TCP_DRIVER stream driver (ossl; or gtls), octet-counted
#   edgesteer   `edgesteer run`: [syslog] tcp_listen -> [forward] collector,
#               default settings otherwise
# syslog-tcp-gen (build/bench/) sends paced, numbered messages, split evenly
# over the senders, with non-blocking writes: when the relay stops reading,
# its sockets fill and the generator falls behind (TCP backpressure);
# syslog-sink is the TLS collector and counts every sequence number, so loss,
# duplicates and per-sender order are exact, counted where they arrive.
#
# A rate is held when, over the run, the generator kept to it (>= 98%: the
# relay took the messages as fast as they were offered), the collector got
# every one of them, and the last arrived within BENCH_TCP_LAG (0.5) s of
# the end (the relay did not fall behind into its own queues). Messages
# still missing when nothing has arrived for 2 s are "missing": lost, or
# held back by the relay, which the next run's "late" count (messages of
# an earlier run) tells apart. Search per relay: short probes
# (BENCH_TCP_PROBE s) up a x1.6 ladder from BENCH_TCP_START, at most
# BENCH_TCP_STEPS steps and BENCH_TCP_BUDGET s (one failed probe per relay
# is tried once more: a hiccup on a loaded machine), two bisection steps,
# then the candidate is held for BENCH_TCP_HOLD (10) s, lowered up to three
# times if it fails (to 85%, 70%, 50% of the rate tried, and at most 95% of
# what got through). CPU per message is the relay
# process's utime+stime (all threads, /proc/PID/stat) over a run divided by
# the messages sent, at the held rate and at a fixed BENCH_TCP_REF msg/s
# that both relays pass (equal load; batching at high rates flatters the
# faster one). A rate marked "+" is the generator's ceiling (it fell behind
# without ever finding a socket full), not the relay's.
#
# Knobs (environment): BUILD, BENCH_TCP_PORT_BASE (25600; uses BASE+1..+12
# on 127.0.0.1), BENCH_TCP_SYSTEMS ("rsyslog edgesteer"), BENCH_TCP_SENDERS,
# BENCH_TCP_HOLD, BENCH_TCP_PROBE (2), BENCH_TCP_START (20000),
# BENCH_TCP_STEPS (8), BENCH_TCP_BUDGET (45), BENCH_TCP_REF (20000),
# BENCH_TCP_REF_SECS (5), BENCH_TCP_LAG, BENCH_TCP_DRIVER, BENCH_KEEP=1
# (keep the temp dir: configs, logs).
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"
BUILD=$(bench_build_dir "$SRC")
OUT=$BUILD/bench
BASE=${BENCH_TCP_PORT_BASE:-25600}
SYSTEMS=${BENCH_TCP_SYSTEMS:-rsyslog edgesteer}
SENDERS=${BENCH_TCP_SENDERS:-8}
HOLD=${BENCH_TCP_HOLD:-10}
PROBE=${BENCH_TCP_PROBE:-2}
START=${BENCH_TCP_START:-20000}
STEPS=${BENCH_TCP_STEPS:-8}
BUDGET=${BENCH_TCP_BUDGET:-45}
REF=${BENCH_TCP_REF:-20000}
REF_SECS=${BENCH_TCP_REF_SECS:-5}
LAG_MAX=${BENCH_TCP_LAG:-0.5}
DRIVER=${BENCH_TCP_DRIVER:-ossl}
MAX_SEQ=$((1 << 25))
declare -A PORT_IN=([rsyslog]=$((BASE + 1)) [edgesteer]=$((BASE + 11)))
declare -A PORT_COL=([rsyslog]=$((BASE + 2)) [edgesteer]=$((BASE + 12)))
TMP=$(mktemp -d /tmp/es-bench-syslogtcp-$$.XXXXXX) || exit 1
STARTED=()		# every PID this script started, ended on exit


bench_exit_traps

# ---- build, certificates ------------------------------------------------------

mkdir -p "$OUT"
CC=${CC:-cc}
$CC "${BENCH_CFLAGS[@]}" -o "$OUT/syslog-tcp-gen" "$SRC/scripts/bench/syslog-tcp-gen.c" || exit 1
$CC "${BENCH_CFLAGS[@]}" -o "$OUT/syslog-sink" "$SRC/scripts/bench/syslog-sink.c" -lssl -lcrypto ||
	{ log "building syslog-sink failed (needs libssl-dev: scripts/deps.sh)"; exit 1; }
# the collector's certificate: EC P-256, CN and SAN "collector", by ca-ec
"$SRC/scripts/mkcerts.sh" "$TMP/certs" collector >/dev/null || { log "mkcerts.sh failed"; exit 1; }
C=$TMP/certs

# ---- relays -----------------------------------------------------------------------

start_sink() {	# SYSTEM: the TLS collector for SYSTEM's relay
	STATS=$TMP/stats.$1
	"$OUT/syslog-sink" -l "127.0.0.1:${PORT_COL[$1]}" -c "$C/server-ec.crt" -k "$C/server-ec.key" \
		-s "$STATS" -m $MAX_SEQ -S "$SENDERS" 2>>"$TMP/sink.$1.log" &
	STARTED+=($!)
	SINK_PID=$!
}

start_rsyslog() {
	local conf=$TMP/rsyslog.conf work=$TMP/rsyslog.d
	mkdir -p "$work"
	cat >"$conf" <<-EOF
		global(workDirectory="$work" DefaultNetstreamDriverCAFile="$C/ca-ec.crt")
		module(load="imtcp" StreamDriver.Name="ptcp" MaxSessions="100")
		input(type="imtcp" address="127.0.0.1" port="${PORT_IN[rsyslog]}")
		action(type="omfwd" target="127.0.0.1" port="${PORT_COL[rsyslog]}" protocol="tcp"
		       StreamDriver="$DRIVER" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
		       StreamDriverPermittedPeers="collector" TCP_Framing="octet-counted"
		       template="RSYSLOG_SyslogProtocol23Format")
	EOF
	bench_start_relay "$TMP/relay.rsyslog.log" rsyslogd -n -f "$conf" -i "$work/pid"
}

start_edgesteer() {
	local conf=$TMP/edgesteer.conf
	cat >"$conf" <<-EOF
		[global]
		control_socket = $TMP/edgesteer.sock
		pin_path = /sys/fs/bpf/es-bench-syslogtcp-$$
		log_level = warning
		[syslog]
		tcp_listen = 127.0.0.1:${PORT_IN[edgesteer]}
		[forward bench]
		collector = 127.0.0.1:${PORT_COL[edgesteer]}
		ca = $C/ca-ec.crt
		server_name = collector
	EOF
	bench_start_relay "$TMP/relay.edgesteer.log" "$BUILD/edgesteer" run -c "$conf"
}

available() {	# SYSTEM
	case $1 in
	rsyslog)
		command -v rsyslogd >/dev/null || { log "rsyslog: rsyslogd not found (scripts/deps.sh)"; return 1; }
		ls /usr/lib/*/rsyslog/lmnsd_"$DRIVER".so >/dev/null 2>&1 ||
			{ log "rsyslog: its $DRIVER driver is missing (rsyslog-openssl / rsyslog-gnutls)"; return 1; }
		;;
	edgesteer)
		[ -x "$BUILD/edgesteer" ] || { log "edgesteer: $BUILD/edgesteer not built (make all)"; return 1; }
		;;
	*) log "$1: unknown system"; return 1 ;;
	esac
}

# "unique dup reorder late" of run RUN at the collector (one output: one
# port); late: messages of an earlier run that arrived during this one.
sink_counts() {
	awk -v run="$1" '$4 == run { u += $8; d += $10; r += $12; l += $16 } END { print u + 0, d + 0, r + 0, l + 0 }' \
		"$STATS" 2>/dev/null || echo "0 0 0 0"
}

# ---- one trial --------------------------------------------------------------------

# trial RATE SECONDS: run $RUN at RATE, then wait until the collector has
# everything, or nothing more arrives for 2 s, or 15 s have passed. Sets
# SENT ACH LOST DUP REORDER LATE LAG CPU_US GENLIM; returns 0 when the rate
# was held (see the head of this file). A run that ends with messages
# missing is counted in INCOMPLETE (and their number in MISSING): the next
# run's "late" column tells whether they were only held back.
RUN=0
trial() {
	local rate=$1 secs=$2 c0 c1 out t_end unique blocked held=1
	RUN=$((RUN + 1))
	c0=$(bench_cpu_ticks "$RELAY_PID")
	out=$("$OUT/syslog-tcp-gen" -d "127.0.0.1:$IN" -c "$SENDERS" -r "$rate" -t "$secs" -R "$RUN") ||
		{ log "$NAME: syslog-tcp-gen failed at $rate msg/s"; out="sent=0 rate=0 blocked=0"; }
	t_end=$(bench_now_us)
	SENT=$(bench_kv sent "$out") ACH=$(bench_kv rate "$out") blocked=$(bench_kv blocked "$out")
	bench_drain "$SENT" 0.05 1 "$t_end" sink_counts "$RUN"
	read -r unique DUP REORDER LATE <<<"$BENCH_COUNTS"
	LAG=$(awk -v d=$((BENCH_DRAIN_US - t_end)) 'BEGIN { printf "%.2f", d / 1e6 }')
	kill -0 "$RELAY_PID" 2>/dev/null || { log "$NAME: the relay (pid $RELAY_PID) died"; return 2; }
	c1=$(bench_cpu_ticks "$RELAY_PID")
	LOST=$((SENT - unique))
	CPU_US=$(bench_cpu_us $((c1 - c0)) "$SENT")
	GENLIM=0
	if awk -v a="$ACH" -v r="$rate" 'BEGIN { exit !(a < 0.98 * r) }'; then
		held=0
		[ "${blocked:-0}" = 0 ] && GENLIM=1
	fi
	[ "$LOST" -eq 0 ] || { held=0 INCOMPLETE=$((INCOMPLETE + 1)) MISSING=$((MISSING + LOST)); }
	awk -v l="$LAG" -v m="$LAG_MAX" 'BEGIN { exit !(l > m) }' && held=0
	printf '  %-9s %7s msg/s x %4ss: sent %8s (%7s/s) missing %5s dup %s reorder %s late %s lag %5ss blocked %6s  cpu %6s us/msg%s%s\n' \
		"$NAME" "$rate" "$secs" "$SENT" "$ACH" "$LOST" "$DUP" "$REORDER" "$LATE" "$LAG" "$blocked" "$CPU_US" \
		"$([ $GENLIM = 1 ] && echo '  (generator ceiling)')" "$([ $held = 1 ] && echo '  held')"
	[ $held = 1 ]
}

# ---- the search -------------------------------------------------------------------

# Sets MAX_RATE (0: not even the lowest rate held; "+" appended at the
# generator's ceiling, "^" when the ladder ended first), CPU_MAX, CPU_REF.
search() {
	local rate=$START good=0 bad=0 s i t0=$SECONDS plus="" retried=0
	for ((s = 0; s < STEPS && SECONDS - t0 < BUDGET; s++)); do
		if trial "$rate" "$PROBE"; then
			good=$rate
			rate=$((rate * 16 / 10))
		elif [ $retried = 0 ] && [ "$GENLIM" = 0 ]; then
			# one hiccup on a loaded machine must not end the ladder: the
			# same rate once more (both runs are printed)
			retried=1 s=$((s - 1))
		else
			[ "$GENLIM" = 1 ] && plus=+ && good=$((ACH / 1000 * 1000))
			[ "$GENLIM" = 1 ] || bad=$rate
			break
		fi
	done
	[ "$bad" = 0 ] && [ -z "$plus" ] && plus="^"
	if [ "$good" = 0 ]; then
		bench_halve "$rate" "$bad" 3 2000
		good=$BENCH_GOOD bad=$BENCH_BAD
	fi
	if [ "$bad" -gt 0 ] && [ "$good" -gt 0 ]; then
		bench_bisect "$good" "$bad" 2 $((t0 + BUDGET))
		good=$BENCH_GOOD bad=$BENCH_BAD
	fi
	MAX_RATE=0 CPU_MAX=-
	for ((i = 0; i < 4 && good > 0; i++)); do
		if trial "$good" "$HOLD"; then
			MAX_RATE=$good$plus CPU_MAX=$CPU_US
			break
		fi
		# 85%, 70%, 50% of the rate tried, and at most 95% of what the
		# generator got through in the failed hold
		good=$(awk -v r="$good" -v a="$ACH" -v i=$i \
			'BEGIN { r *= i == 0 ? 0.85 : i == 1 ? 0.7 : 0.5; a *= 0.95; printf "%d", a < r ? a : r }')
		plus=
	done
	bench_ref_cpu "$REF" "$REF_SECS"
}

# ---- one relay ----------------------------------------------------------------------

declare -A R
bench_one() {	# SYSTEM
	local sys=$1 n
	NAME=$sys IN=${PORT_IN[$sys]} RUN=0 INCOMPLETE=0 MISSING=0
	for n in "$IN" "${PORT_COL[$sys]}"; do
		bench_port_free "$n" || { log "$sys: port $n is taken (BENCH_TCP_PORT_BASE moves the range)"; return; }
	done
	start_sink "$sys"
	"start_$sys"
	if ! bench_wait_listen "$IN"; then
		log "$sys: the relay did not listen on 127.0.0.1:$IN; its log:"
		sed 's/^/    /' "$TMP/relay.$sys.log" >&2
		return
	fi
	# warm-up: every sender connects, the relay's TLS session to the collector is up
	"$OUT/syslog-tcp-gen" -d "127.0.0.1:$IN" -c "$SENDERS" -r 2000 -t 0.5 -R 0 >/dev/null
	if ! bench_wait_count 1000 100 sink_counts 0; then
		log "$sys: the collector got ${BENCH_COUNTS%% *} of 1000 warm-up messages; logs:"
		sed 's/^/    /' "$TMP/relay.$sys.log" "$TMP/sink.$sys.log" >&2
		return
	fi
	search
	R[$sys,rate]=$MAX_RATE R[$sys,cpu]=$CPU_MAX R[$sys,ref]=$CPU_REF
	[ $INCOMPLETE = 0 ] ||
		echo "  note: $sys: $INCOMPLETE of $RUN runs ended with messages missing ($MISSING in all; see 'late' for any that came later)"
	grep 'closed' "$TMP/sink.$sys.log" | sed "s/^/  note: $sys collector: /"
	kill "$RELAY_PID" "$SINK_PID" 2>/dev/null
	wait "$RELAY_PID" "$SINK_PID" 2>/dev/null
	bench_forget "$RELAY_PID" "$SINK_PID"
}

# ---- main -----------------------------------------------------------------------

echo "== syslog relay over TCP: $SENDERS senders, RFC 6587 octet counting, 200-byte RFC 5424 messages -> one TLS collector"
echo "   $(bench_host), load $(cut -d' ' -f1-3 /proc/loadavg)"
command -v rsyslogd >/dev/null && echo "   rsyslogd $(bench_rsyslogd_version): imtcp -> omfwd ($DRIVER)"
[ -x "$BUILD/edgesteer" ] && echo "   edgesteer $("$BUILD/edgesteer" --version 2>/dev/null | sed -n '1s/^edgesteer //p'): tcp_listen -> [forward], defaults"
t0=$SECONDS
RAN=()
for sys in $SYSTEMS; do
	available "$sys" || continue
	bench_one "$sys"
	[ -n "${R[$sys,rate]:-}" ] && RAN+=("$sys")
done

echo
printf '%-10s %12s %12s %12s\n' relay "msg/s held" "us/msg there" "us/msg @$((REF / 1000))k"
for sys in "${RAN[@]}"; do
	printf '%-10s %12s %12s %12s\n' "$sys" "${R[$sys,rate]}" "${R[$sys,cpu]}" "${R[$sys,ref]}"
done
e=edgesteer r=rsyslog
if [ -n "${R[$e,rate]:-}" ] && [ -n "${R[$r,rate]:-}" ]; then
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { sub(/[^0-9.]+$/, "", a); sub(/[^0-9.]+$/, "", b)
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
	echo "ratio edgesteer/rsyslog: rate $(ratio "${R[$e,rate]}" "${R[$r,rate]}")," \
		"CPU/msg $(ratio "${R[$e,cpu]}" "${R[$r,cpu]}") (each at its held rate)," \
		"$(ratio "${R[$e,ref]}" "${R[$r,ref]}") (both at $REF msg/s)"
	bench_goal "TCP intake: rate >= rsyslog's" "${R[$e,rate]}" "${R[$r,rate]}" 1 ge
	bench_goal "TCP intake: CPU/msg <= 1/2 rsyslog's, each at its held rate" "${R[$e,cpu]}" "${R[$r,cpu]}" 0.5 le
	bench_goal "TCP intake: CPU/msg <= 1/2 rsyslog's, both at $REF msg/s" "${R[$e,ref]}" "${R[$r,ref]}" 0.5 le
fi
echo "msg/s held: ${HOLD} s at the rate offered, nothing lost, all at the collector within ${LAG_MAX} s;"
echo "'+' the generator's ceiling, '^' the ladder ended first, '*' not held at the reference rate."
echo "us/msg: relay utime+stime (all threads) per message. Took $((SECONDS - t0)) s."
[ ${#RAN[@]} -gt 0 ]
