#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# syslog.sh - the syslog relay benchmark: edgesteer against rsyslog.
#
# A relay takes ~200-byte RFC 5424 messages over UDP on 127.0.0.1 and
# delivers them over TLS (RFC 5425 octet counting), either to one
# collector or to 8 subscribers. The relays compared:
#   rsyslog     stock rsyslogd: imudp with the kernel's default receive
#               buffer, omfwd with the ossl driver (8 omfwd actions for the
#               8-subscriber case: rsyslog has no subscriber mode)
#   rsyslog-4m  the same with imudp rcvbufSize="4m"
#   edgesteer   `edgesteer run -c FILE` with [syslog] (+ [forward] for the
#               collector, tls_listen with client certificates for the
#               subscribers), default settings otherwise
# syslog-gen (build/bench/) sends paced, numbered messages; syslog-sink is
# the TLS collector (server) or the subscribers (clients) and counts every
# sequence number per connection.
#
# For each relay and output: a ladder of short probes (BENCH_PROBE seconds)
# from BENCH_START msg/s up by x1.6 until a message is lost or the
# generator cannot keep the rate, two bisection steps between the last
# good and first bad rate, then the candidate is held for BENCH_HOLD
# seconds (10): the rate reported is the highest held with no loss on
# every connection. CPU per message is utime+stime of the relay process
# (all threads, /proc/PID/stat) over the held run, divided by the messages
# sent; it is also measured at a fixed BENCH_REF msg/s that every relay
# passes, so that batching at high rates flatters nobody. A rate marked
# "+" is the generator's ceiling on this machine, not the relay's. A
# relay that keeps up with the sendmmsg generator is then pushed with UDP
# GSO load (the same datagrams, far cheaper to send; column "gso") to find
# its own limit.
#
# Environment: BUILD, BENCH_SYSLOG_PORT (base, default 25000; uses
# base..base+20*configurations), BENCH_HOLD, BENCH_PROBE, BENCH_START, BENCH_STEPS,
# BENCH_REF, BENCH_SUBSCRIBERS, BENCH_SYSTEMS ("rsyslog rsyslog-4m
# edgesteer"), BENCH_OUTPUTS ("1 8"), BENCH_GSO_OUTPUTS (outputs that get
# the GSO pass, "1"; with 8 subscribers the sink saturates this machine),
# BENCH_PERF=1 (perf record edgesteer at its maximum into the temp dir,
# which is kept), BENCH_KEEP=1 (keep the temp dir: configs, logs).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=_lib.sh
. "$ROOT/scripts/bench/_lib.sh"
BUILD=$(bench_build_dir "$ROOT")
BENCH_BIN=$BUILD/bench
PORT_BASE=${BENCH_SYSLOG_PORT:-25000}
HOLD=${BENCH_HOLD:-10}
PROBE=${BENCH_PROBE:-1.5}
START=${BENCH_START:-20000}
STEPS=${BENCH_STEPS:-10}
REF=${BENCH_REF:-20000}
REF_SECONDS=${BENCH_REF_SECONDS:-5}
SUBS=${BENCH_SUBSCRIBERS:-8}
SYSTEMS=${BENCH_SYSTEMS:-rsyslog rsyslog-4m edgesteer}
OUTPUTS=${BENCH_OUTPUTS:-1 $SUBS}
GSO_OUTPUTS=${BENCH_GSO_OUTPUTS-1}
MAX_SEQ=$((1 << 24))

T=
STARTED=()	# every PID this script started, ended by stop_pids and on exit
log() { printf '%s\n' "$*"; }
die() { log "syslog.sh: $*"; exit 1; }

cleanup() {
	local p
	for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null; done
	STARTED=()
	[ -n "$T" ] && [ -z "${BENCH_PERF:-}${BENCH_KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pids() {
	local p
	for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null; done
	STARTED=()
}

fgt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# ---- build ------------------------------------------------------------------

build_tools() {
	mkdir -p "$BENCH_BIN" || die "cannot create $BENCH_BIN"
	gcc "${BENCH_CFLAGS[@]}" -o "$BENCH_BIN/syslog-gen" "$ROOT/scripts/bench/syslog-gen.c" ||
		die "building syslog-gen failed"
	gcc "${BENCH_CFLAGS[@]}" -o "$BENCH_BIN/syslog-sink" "$ROOT/scripts/bench/syslog-sink.c" -lssl -lcrypto ||
		die "building syslog-sink failed (needs libssl-dev: scripts/deps.sh)"
}

# edgesteer is measured when the build has `edgesteer run`.
detect_edgesteer() {
	ES_MODE=
	if [ -x "$BUILD/edgesteer" ] && "$BUILD/edgesteer" help 2>&1 | grep -qE '^ +run +'; then
		ES_MODE=run
	fi
}

# ---- certificates -----------------------------------------------------------

mkcert() { # NAME CN SAN
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "/CN=$2/O=edgesteer-bench" 2>/dev/null &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$T/$1.ext" &&
		openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
			-out "$T/$1.crt" -days 2 -extfile "$T/$1.ext" 2>/dev/null
}

make_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
		-out "$T/ca.crt" -days 2 -subj "/CN=Bench CA/O=edgesteer-bench" 2>/dev/null &&
		mkcert collector collector DNS:collector,IP:127.0.0.1 &&
		mkcert gateway gateway DNS:gateway,IP:127.0.0.1 &&
		mkcert subscriber subscriber DNS:subscriber || die "openssl could not make the test certificates"
}

# ---- relays -----------------------------------------------------------------

# Each configuration gets its own ports: UDP in, TLS subscribers, collector.
# The collector listens on one port per output (COL_PORT..COL_PORT+7).
set_ports() { # INDEX
	UDP_PORT=$((PORT_BASE + $1 * 20 + 1))
	SUB_PORT=$((PORT_BASE + $1 * 20 + 2))
	COL_PORT=$((PORT_BASE + $1 * 20 + 4))
}

start_sink_server() { # OUTPUTS
	STATS=$T/stats.$COL_PORT
	"$BENCH_BIN/syslog-sink" -l "127.0.0.1:$COL_PORT" -P "$1" -c "$T/collector.crt" -k "$T/collector.key" \
		-s "$STATS" -m $MAX_SEQ 2>>"$T/sink.log" &
	STARTED+=($!)
}

start_sink_clients() { # CONNS
	STATS=$T/stats.$SUB_PORT
	"$BENCH_BIN/syslog-sink" -C "127.0.0.1:$SUB_PORT" -n "$1" -c "$T/subscriber.crt" \
		-k "$T/subscriber.key" -a "$T/ca.crt" -s "$STATS" -m $MAX_SEQ 2>>"$T/sink.log" &
	STARTED+=($!)
}

start_rsyslog() { # BUFSIZE("" = stock) OUTPUTS
	local conf=$T/rsyslog.$UDP_PORT.conf work=$T/rsyslog.$UDP_PORT.d i rcv=
	mkdir -p "$work"
	[ -n "$1" ] && rcv=" rcvbufSize=\"$1\""
	{
		echo "global(workDirectory=\"$work\" DefaultNetstreamDriver=\"ossl\""
		echo "       DefaultNetstreamDriverCAFile=\"$T/ca.crt\")"
		echo "module(load=\"imudp\")"
		echo "input(type=\"imudp\" address=\"127.0.0.1\" port=\"$UDP_PORT\"$rcv)"
		for ((i = 0; i < $2; i++)); do
			echo "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"$((COL_PORT + i))\" protocol=\"tcp\""
			echo "       StreamDriver=\"ossl\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\""
			echo "       StreamDriverPermittedPeers=\"collector\" TCP_Framing=\"octet-counted\""
			echo "       template=\"RSYSLOG_SyslogProtocol23Format\")"
		done
	} >"$conf"
	bench_start_relay "$T/relay.log" rsyslogd -n -f "$conf" -i "$work/pid"
}

start_edgesteer() { # OUTPUTS (1 = forward to a collector, N = N subscribers)
	local conf=$T/edgesteer.$UDP_PORT.conf
	{
		echo "[global]"
		echo "control_socket = $T/ctl.$UDP_PORT.sock"
		echo "pin_path = /sys/fs/bpf/es-bench-syslog-$$"
		echo "[syslog]"
		echo "listen = 127.0.0.1:$UDP_PORT"
		if [ "$1" -gt 1 ]; then
			echo "tls_listen = 127.0.0.1:$SUB_PORT"
			echo "cert = $T/gateway.crt"
			echo "key = $T/gateway.key"
			echo "client_ca = $T/ca.crt"
		else
			echo "[forward bench]"
			echo "collector = 127.0.0.1:$COL_PORT"
			echo "ca = $T/ca.crt"
			echo "server_name = collector"
		fi
	} >"$conf"
	bench_start_relay "$T/relay.log" "$BUILD/edgesteer" run -c "$conf"
}

wait_port() { # PROTO(tcp|udp) PORT: until something listens there (5 s)
	local i hex
	hex=$(printf '%04X' "$2")
	for ((i = 0; i < 50; i++)); do
		grep -q ":$hex " "/proc/net/$1" 2>/dev/null && return 0
		kill -0 "$RELAY_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

udp_drops() { # the relay's UDP socket drop counter
	awk -v p="$(printf ':%04X' "$UDP_PORT")" 'index($2, p) == length($2) - 4 { d += $NF } END { print d + 0 }' \
		/proc/net/udp
}

# Read the sink's counts for RUN over CONNS connections:
# "min_unique sum_unique conns dup reorder"
sink_counts() { # RUN CONNS
	awk -v run="$1" -v k="$2" '$4 == run { n++; u = $8; if (min == "" || u < min) min = u; s += u; d += $10; r += $12 }
		END { if (n < k) min = 0; print min + 0, s + 0, n + 0, d + 0, r + 0 }' "$STATS" 2>/dev/null ||
		echo "0 0 0 0 0"
}

# ---- one trial --------------------------------------------------------------

# trial RATE SECONDS: send run $RUN at RATE, wait until every connection
# has everything or nothing more arrives. Sets SENT ACH LOST DUP REORDER
# DROPS CPU_US GENLIM; returns 0 when nothing was lost.
RUN=0
GEN_FLAGS=
trial() {
	local rate=$1 secs=$2 c0 c1 d0 out min
	RUN=$((RUN + 1))
	c0=$(bench_cpu_ticks "$RELAY_PID")
	d0=$(udp_drops)
	out=$("$BENCH_BIN/syslog-gen" -d "127.0.0.1:$UDP_PORT" -r "$rate" -t "$secs" -R "$RUN" $GEN_FLAGS) ||
		die "syslog-gen failed"
	SENT=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
	ACH=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$out")
	# drained: every connection has all (min), or their sum stood still
	bench_drain "$SENT" 0.1 2 "$(bench_now_us)" sink_counts "$RUN" "$CONNS"
	read -r min _ _ DUP REORDER <<<"$BENCH_COUNTS"
	kill -0 "$RELAY_PID" 2>/dev/null || die "the relay (pid $RELAY_PID) died; see its log above"
	c1=$(bench_cpu_ticks "$RELAY_PID")
	DROPS=$(($(udp_drops) - d0))
	LOST=$((SENT - min))
	CPU_US=$(bench_cpu_us $((c1 - c0)) "$SENT")
	GENLIM=0
	fgt "$(awk -v r="$rate" 'BEGIN { print r * 0.95 }')" "$ACH" && GENLIM=1
	log "$(printf '  %-11s %2s out  %7s msg/s x %4ss: sent %8s (%7s/s)  lost %7s  udp drops %7s  dup %s reorder %s  cpu %6s us/msg%s' \
		"$NAME" "$CONNS" "$rate" "$secs" "$SENT" "$ACH" "$LOST" "$DROPS" "$DUP" "$REORDER" "$CPU_US" \
		"${GEN_FLAGS:+  gso}$([ $GENLIM = 1 ] && echo '  (generator ceiling)')")"
	[ "$LOST" -eq 0 ]
}

# ---- the search -------------------------------------------------------------

# After a hold that lost: 95% of what the relay delivered per second
# during it (what it sustains; short probes can hide an overload in a
# large receive buffer), at most 85% (70%, 50% on later attempts) and at
# least half of the rate tried.
# Never below FLOOR, a rate known to pass.
next_hold() { # RATE FLOOR ATTEMPT
	awk -v r="$1" -v f="$2" -v i="$3" -v a="$ACH" -v g=$GENLIM -v d=$((SENT - LOST)) -v t="$HOLD" \
		'BEGIN { h = (g ? a : r) / 2; r = (g ? a : r) * (i == 0 ? 0.85 : i == 1 ? 0.7 : 0.5)
			 d = d / t * 0.95; r = d < r ? d : r; r = r < h ? h : r; printf "%d", r < f ? f : r }'
}

# Sets MAX_RATE (0 when even the lowest probe lost), MAX_PLUS ("+" at the
# generator's ceiling, "^" when the ladder ended without loss), CPU_MAX,
# CPU_REF.
search() {
	local rate=$START good=0 bad=0 s i ok
	MAX_PLUS=
	for ((s = 0; s < STEPS; s++)); do
		if trial "$rate" "$PROBE"; then ok=1; else ok=0; fi
		if [ $GENLIM = 1 ]; then
			[ $ok = 1 ] && good=$ACH && MAX_PLUS=+
			[ $ok = 0 ] && bad=$rate
			break
		fi
		if [ $ok = 1 ]; then
			good=$rate
			rate=$(awk -v r="$rate" 'BEGIN { printf "%d", r * 1.6 }')
		else
			bad=$rate
			break
		fi
	done
	[ "$bad" = 0 ] && [ -z "$MAX_PLUS" ] && MAX_PLUS="^"	# the ladder ended first
	if [ "$good" = 0 ]; then
		bench_halve "$rate" "$bad" 4 1000
		good=$BENCH_GOOD bad=$BENCH_BAD
	fi
	if [ "$bad" -gt 0 ] && [ "$good" -gt 0 ] && [ "$MAX_PLUS" != + ]; then
		bench_bisect "$good" "$bad" 2
		good=$BENCH_GOOD bad=$BENCH_BAD
	fi
	MAX_RATE=0 CPU_MAX=-
	for ((i = 0; i < 4 && good > 0; i++)); do
		if trial "$good" "$HOLD"; then
			MAX_RATE=$good CPU_MAX=$CPU_US
			if [ $GENLIM = 1 ]; then MAX_RATE=$ACH MAX_PLUS=+; fi
			break
		fi
		good=$(next_hold "$good" 0 "$i")
		MAX_PLUS=-
	done
	bench_ref_cpu "$REF" "$REF_SECONDS"
}

# A relay that kept up with the sendmmsg generator is pushed further with
# UDP GSO load (syslog-gen -G: the same datagrams at a fraction of the
# generator's CPU): the same ladder, bisection and hold, from 1.4 x its
# sendmmsg maximum. Sets GSO_MAX (with "+" or "^" as above) and CPU_GSO.
gso_search() {
	local rate good=0 bad=0 s i plus=
	GSO_MAX=- CPU_GSO=-
	[ "$MAX_PLUS" = + ] && [[ " $GSO_OUTPUTS " == *" $CONNS "* ]] || return 0
	GEN_FLAGS=-G
	rate=$((MAX_RATE * 14 / 10))
	for ((s = 0; s < 6; s++)); do
		if trial "$rate" "$PROBE"; then
			good=$rate
			if [ $GENLIM = 1 ]; then good=$ACH plus=+; break; fi
			rate=$((rate * 14 / 10))
		else
			bad=$rate
			break
		fi
	done
	[ "$bad" = 0 ] && [ -z "$plus" ] && plus="^"
	[ "$good" = 0 ] && good=$MAX_RATE
	if [ "$bad" -gt 0 ]; then
		bench_bisect "$good" "$bad" 2
		good=$BENCH_GOOD bad=$BENCH_BAD
	fi
	for ((i = 0; i < 3; i++)); do
		if trial "$good" "$HOLD"; then
			GSO_MAX=$good$plus CPU_GSO=$CPU_US
			[ $GENLIM = 1 ] && GSO_MAX=$ACH+
			break
		fi
		[ "$good" = "$MAX_RATE" ] && break
		good=$(next_hold "$good" "$MAX_RATE" "$i") plus=
	done
	GEN_FLAGS=
}

# ---- one configuration ------------------------------------------------------

RESULTS=()
bench_one() { # INDEX SYSTEM OUTPUTS
	local idx=$1 sys=$2 outs=$3
	NAME=$sys CONNS=$outs RUN=0
	set_ports "$idx"
	: >"$T/relay.log"
	: >"$T/sink.log"
	if grep -q ":$(printf '%04X' "$UDP_PORT") " /proc/net/udp; then
		log "  $sys: UDP port $UDP_PORT is taken by another process (BENCH_SYSLOG_PORT moves the range)"
		RESULTS+=("$sys $outs failed - - - -"); return
	fi
	case $sys in
	rsyslog | rsyslog-4m)
		start_sink_server "$outs"
		start_rsyslog "$([ "$sys" = rsyslog-4m ] && echo 4m)" "$outs"
		;;
	edgesteer)
		[ "$outs" -eq 1 ] && start_sink_server 1
		start_edgesteer "$outs"
		;;
	esac
	if ! wait_port udp "$UDP_PORT"; then
		log "  $sys: the relay did not come up:"; sed 's/^/    /' "$T/relay.log" >&2
		RESULTS+=("$sys $outs failed - - - -"); stop_pids; return
	fi
	if [ "$sys" = edgesteer ] && [ "$outs" -gt 1 ]; then
		wait_port tcp "$SUB_PORT" || { log "  $sys: no TLS listener on $SUB_PORT"; stop_pids; return; }
		start_sink_clients "$outs"
		sleep 0.5
	fi
	# warm-up: connections up, TLS sessions established
	RUN=0
	"$BENCH_BIN/syslog-gen" -d "127.0.0.1:$UDP_PORT" -r 2000 -t 0.5 -R 0 >/dev/null
	if ! bench_wait_count 1 50 sink_counts 0 "$outs"; then
		log "  $sys: not every one of $outs connections received the warm-up messages"
		sed 's/^/    /' "$T/relay.log" "$T/sink.log" >&2
		RESULTS+=("$sys $outs failed - - - -"); stop_pids; return
	fi
	sleep 0.3
	search
	gso_search
	if [ -n "${BENCH_PERF:-}" ] && [ "$sys" = edgesteer ] && [ "$MAX_RATE" -gt 0 ]; then
		perf record -g -o "$T/perf.$outs.data" -p "$RELAY_PID" -- sleep "$HOLD" >/dev/null 2>&1 &
		local perf_pid=$!
		trial "$MAX_RATE" "$HOLD"
		wait $perf_pid
		log "  perf data: $T/perf.$outs.data"
	fi
	RESULTS+=("$sys $outs $MAX_RATE${MAX_PLUS#-} $CPU_MAX $CPU_REF $GSO_MAX $CPU_GSO")
	# a connection that closed while the relay ran is worth knowing about
	grep 'closed' "$T/sink.log" | sed "s/^/  note: $sys: /"
	stop_pids
}

# ---- the table --------------------------------------------------------------

print_table() {
	[ ${#RESULTS[@]} -gt 0 ] || { echo "no results"; return; }
	printf '%s\n' "${RESULTS[@]}" | awk -v ref="$REF" '
	function num(x) { sub(/[+^*]$/, "", x); return x }
	function ratio(a, b) { a = num(a); b = num(b)
		return (a != "-" && b != "-" && a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
	function verdict(r) { return r == "-" ? "n/a" : (r + 0 <= 0.5 ? "met (" r ")" : "MISSED (" r ")") }
	{ n = NR; sys[n] = $1; out[n] = $2; rate[n] = $3; cmax[n] = $4; cref[n] = $5; gso[n] = $6; cgso[n] = $7
	  key = $1 " " $2; R[key] = $3; CM[key] = $4; CR[key] = $5; G[key] = $6 }
	END {
		k = int(ref / 1000) "k"
		printf "%-10s %-9s %10s %8s %8s %10s %8s | %7s %9s %8s %8s %8s\n", "relay", "output", "msg/s", \
			"us/msg", "@" k, "gso msg/s", "us/msg", "rate/rs", "rate/rs4m", "cpu/rs4m", "@" k "/rs4m", "gso/rs4m"
		for (i = 1; i <= n; i++) {
			o = out[i] == 1 ? "collector" : out[i] " subs"
			k4 = "rsyslog-4m " out[i]; ks = "rsyslog " out[i]
			printf "%-10s %-9s %10s %8s %8s %10s %8s | %7s %9s %8s %8s %8s\n", sys[i], o, rate[i], \
				cmax[i], cref[i], gso[i], cgso[i], ratio(rate[i], R[ks]), ratio(rate[i], R[k4]), \
				ratio(cmax[i], CM[k4]), ratio(cref[i], CR[k4]), ratio(gso[i], G[k4])
		}
		# the goals for edgesteer, against the stronger rsyslog (4 MiB)
		for (i = 1; i <= n; i++) {
			if (sys[i] != "edgesteer")
				continue
			o = out[i] == 1 ? "collector" : out[i] " subscribers"
			k4 = "rsyslog-4m " out[i]
			printf "goal, %s: no loss up to the sendmmsg generator ceiling: %s", o, \
				rate[i] ~ /\+$/ ? "met" : rate[i] ~ /\^$/ ? "not reached (BENCH_STEPS too low)" : \
				"MISSED (loss above " rate[i] " msg/s)"
			printf "; cpu/msg <= 0.5 x rsyslog-4m: %s at max rate, %s at %s msg/s\n", \
				verdict(ratio(cmax[i], CM[k4])), verdict(ratio(cref[i], CR[k4])), k
		}
	}'
}

# ---- main -------------------------------------------------------------------

command -v rsyslogd >/dev/null || die "rsyslogd not found (scripts/deps.sh installs rsyslog)"
[ -f /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 ||
	die "rsyslog's ossl driver is missing (package rsyslog-openssl)"
T=$(mktemp -d /tmp/es-bench-syslog.XXXXXX) || die "mktemp failed"
build_tools
make_certs
detect_edgesteer

echo "== syslog relay: UDP in, TLS out (RFC 5425), ${HOLD}s with no loss, 200-byte RFC 5424 messages"
echo "   $(bench_host)"
echo "   rsyslogd $(bench_rsyslogd_version), net.core.rmem_default $(sysctl -n net.core.rmem_default)"
if [ -n "$ES_MODE" ]; then
	echo "   edgesteer $("$BUILD/edgesteer" --version | sed 's/^edgesteer //') ($BUILD/edgesteer run), default [syslog] settings"
else
	log "   edgesteer: $BUILD/edgesteer has no 'run' command; its rows are skipped"
fi

t0=$SECONDS
idx=0
for outs in $OUTPUTS; do
	for sys in $SYSTEMS; do
		if [ "$sys" = edgesteer ] && [ -z "$ES_MODE" ]; then continue; fi
		bench_one "$idx" "$sys" "$outs"
		idx=$((idx + 1))
	done
done
echo
print_table
echo "msg/s: highest rate with no loss for ${HOLD} s from the sendmmsg generator, us/msg: relay CPU (utime+stime)"
echo "per message there and at $REF msg/s; gso: the same with UDP GSO load, for relays that kept up with sendmmsg."
echo "'+' = the generator's ceiling, '^' = no loss when the ladder ended, '*' = loss at the reference rate."
echo "Ratios against stock rsyslog (rs) and rsyslog with a 4 MiB receive buffer (rs4m). Took $((SECONDS - t0)) s."
