#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tls.sh - the TLS termination benchmark (part of `make bench`).
#
# Measures, in one run on loopback, TLS 1.2 handshakes terminated by
# edgesteer (terminate= route), HAProxy (mode tcp, bind ... ssl) and nginx
# (stream, listen ... ssl), each with the same ECDSA P-256 and RSA-2048
# certificates from scripts/mkcerts.sh, each single-threaded, each
# forwarding to the same plain TCP upstream (pxload serve, SINK port):
#
#   full     openssl s_time -new: a full handshake per connection
#   resumed  openssl s_time -reuse: the client offers the session of its
#            first connection (session ID; HAProxy and nginx may resume
#            with a ticket instead)
#
# For each: handshakes/s (over the wall clock around s_time, which runs
# to the next whole second past its time; the client runs on the
# same machine and takes its share of the CPU) and the terminator's CPU
# microseconds per handshake (utime+stime of its PIDs from /proc/PID/stat,
# before and after; 10 ms ticks, so short runs are coarse).
#
# The ECDSA cells, which the goals use, are measured first and apart, in
# rounds: every terminator runs at once, each (target, full|resumed) is
# one cell of BENCH_TLS_ROUND_SECS in every round, the order of each
# round from a Williams square (each cell right after each other equally
# often, every position equally often), the sockets of the cell before
# let go first (bench_settle, at most BENCH_TLS_SETTLE_MS). The table
# shows their medians; the RSA cells are one of BENCH_TLS_SECS each, as
# before. Measured one after the other, the resumed ratio read 1.01 in
# one run and 0.73-0.99 in the others (docs/benchmarks.md, Method).
#
# Then two goal lines, "goal: ... PASS|MISS (ratio; median of N rounds,
# range)": CPU per full ECDSA handshake at most 1.5x the faster OpenSSL
# peer's, per resumed ECDSA handshake at most the faster peer's, each
# ratio against the faster peer of the same round (RSA is reported,
# without a goal).
#
# Then, with the ECDSA certificate only (the record path does not depend
# on the certificate's key type), through a route of each terminator, the
# client tlsload.c (BearSSL, TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, the
# same client for every target, so its CPU is the same for all):
#
#   bulk     one long connection each way for BENCH_TLS_BULK_SECS: "up",
#            the client writes plaintext as fast as it can, the terminator
#            decrypts and forwards to pxload's SINK port; "down", pxload's
#            SOURCE port writes without end, the terminator encrypts, the
#            client reads and discards. Gbit/s of plaintext and the
#            terminator's CPU seconds per GB of plaintext (utime+stime of
#            its PIDs, as proxy.sh measures). One client thread on the
#            same 2 CPUs: Gbit/s may be the client's ceiling; CPU per GB
#            is the terminator's own.
#   idle     BENCH_TLS_IDLE sessions open at once, each a full handshake
#            and then bytes through to the upstream (the client sends a
#            record header pxload reads as its "hello" and reads the HOLD
#            port's 'A' back through TLS): the RSS delta of the
#            terminator's PIDs (VmRSS) over their baseline just before,
#            per session. Measured before the bulk runs.
#
# Each with its ratio to the better OpenSSL peer of the run (Gbit/s: the
# faster; CPU per GB and RSS: the lower), and a goal line: RSS per idle
# TLS session below the lighter OpenSSL peer's. Every byte count is
# checked to be non-zero; a target that moved none is named on stderr.
#
# Then the public-key operations alone (ec_bench.c): BearSSL's portable
# code against the Nettle-backed hooks edgesteer uses, us per call.
#
# Knobs (environment): BENCH_TLS_SECS (4: an RSA cell), BENCH_TLS_ROUNDS
# (auto: the fewest whole Williams squares of at least 6 rounds, 6 for the
# three targets by default; 0: the old way, one cell of BENCH_TLS_SECS per
# target and mode, one target after the other), BENCH_TLS_ROUND_SECS (1:
# whole seconds for s_time, which stops at the first whole second of the
# clock past it, so a cell lasts 1-2 s; the CPU figure counts 10 ms ticks,
# some 50 or more in a cell here, and the fewest of the run is printed;
# 2 s cells would add 30-40 s to the part), BENCH_TLS_SETTLE_MS (1000),
# BENCH_TLS_TARGETS
# ("edgesteer haproxy nginx"), BENCH_TLS_PORT_BASE (24100; uses
# BASE..BASE+29 on 127.0.0.1), BENCH_TLS_BEFORE (another edgesteer
# binary, e.g. an older build, measured as the target "before" in the
# same run), BENCH_TLS_BULK_SECS (4 s each way, 0: skip bulk),
# BENCH_TLS_IDLE (1000 sessions, 0: skip; fewer when ulimit -n cannot
# hold 2 fds each), BENCH_TLS_EC_CALLS (300 calls per ec_bench cell, 0:
# skip it).
# Peers whose binary is missing are skipped.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
SECS=${BENCH_TLS_SECS:-4}
NROUNDS=${BENCH_TLS_ROUNDS:-auto}
ROUND_SECS=${BENCH_TLS_ROUND_SECS:-1}
SETTLE_MS=${BENCH_TLS_SETTLE_MS:-1000}
TARGETS=${BENCH_TLS_TARGETS:-"edgesteer haproxy nginx"}
BEFORE=${BENCH_TLS_BEFORE:-}
[ -n "$BEFORE" ] && TARGETS="before $TARGETS"
EC_CALLS=${BENCH_TLS_EC_CALLS:-300}
BASE=${BENCH_TLS_PORT_BASE:-24100}
BULK_SECS=${BENCH_TLS_BULK_SECS:-4}
IDLE=${BENCH_TLS_IDLE:-1000}
P_SINK=$((BASE + 1)) P_SOURCE=$((BASE + 2)) P_HOLD=$((BASE + 3))
declare -A PORT=([edgesteer,ec]=$((BASE + 10)) [edgesteer,rsa]=$((BASE + 11))
		 [haproxy,ec]=$((BASE + 12)) [haproxy,rsa]=$((BASE + 13))
		 [nginx,ec]=$((BASE + 14)) [nginx,rsa]=$((BASE + 15))
		 [before,ec]=$((BASE + 16)) [before,rsa]=$((BASE + 17))
		 [edgesteer,ecsrc]=$((BASE + 20)) [edgesteer,echold]=$((BASE + 21))
		 [haproxy,ecsrc]=$((BASE + 22)) [haproxy,echold]=$((BASE + 23))
		 [nginx,ecsrc]=$((BASE + 24)) [nginx,echold]=$((BASE + 25))
		 [before,ecsrc]=$((BASE + 26)) [before,echold]=$((BASE + 27)))
# every terminator's routes: the handshake cells go to the sink; bulk
# "down" to the source, idle sessions to the hold port (ECDSA only)
ROUTES="ec rsa ecsrc echold"
declare -A UPSTREAM=([ec]=$P_SINK [rsa]=$P_SINK [ecsrc]=$P_SOURCE [echold]=$P_HOLD)
declare -A KIND=([ec]=ec [rsa]=rsa [ecsrc]=ec [echold]=ec)
declare -A CIPHER=([ec]=ECDHE-ECDSA-AES128-GCM-SHA256 [rsa]=ECDHE-RSA-AES128-GCM-SHA256)
HZ=$(getconf CLK_TCK)
OUT=$BUILD/bench
PXLOAD=$OUT/pxload
TLSLOAD=$OUT/tlsload
TMP=$(mktemp -d /tmp/es-bench-tls-$$.XXXXXX)
STARTED=()


# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"

bench_exit_traps

mkdir -p "$OUT"
CC=${CC:-cc}
bench_build_pxload "$PXLOAD"
if [ "$BULK_SECS" != 0 ] || [ "$IDLE" != 0 ]; then
	$CC "${BENCH_CFLAGS[@]}" -o "$TLSLOAD" "$SRC/scripts/bench/tlsload.c" -lbearssl
fi
# IDLE sessions hold 2 * IDLE fds in each terminator
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((2 * IDLE + 1000)) ]; then
	IDLE=$((($(ulimit -n) - 1000) / 2 / 100 * 100))
	log "ulimit -n is $(ulimit -n) and cannot be raised here: the idle test uses $IDLE sessions"
fi
"$SRC/scripts/mkcerts.sh" "$TMP/certs" bench.test >/dev/null
C=$TMP/certs
cat "$C/server-ec.crt" "$C/server-ec.key" >"$C/ec.pem"
cat "$C/server.crt" "$C/server.key" >"$C/rsa.pem"
declare -A CRT=([ec]=$C/server-ec.crt [rsa]=$C/server.crt) KEY=([ec]=$C/server-ec.key [rsa]=$C/server.key)
# tlsload trusts exactly the ECDSA server key: its uncompressed point, the
# last 65 bytes of the DER SubjectPublicKeyInfo
PUBKEY=$(openssl pkey -in "$C/server-ec.key" -pubout -outform DER | tail -c 65 | od -An -tx1 | tr -d ' \n')

"$PXLOAD" serve 127.0.0.1 $P_SINK $((BASE + 2)) $((BASE + 3)) $((BASE + 4)) 2>"$TMP/pxload.log" &
STARTED+=($!)
bench_wait_listen $P_SINK || { log "upstream did not start"; exit 1; }

# start_edgesteer [BINARY [TARGET]]
start_edgesteer() {
	local bin=${1:-$BUILD/edgesteer} t=${2:-edgesteer} f k
	f=$TMP/$t.conf
	[ -x "$bin" ] || return 1
	{
		echo "[global]"
		echo "control_socket = $TMP/$t.sock"
		echo "pin_path = /sys/fs/bpf/es-bench-tls-$t-$$"
		echo "log_level = warning"
		# one loop, like the single-threaded peers (workers defaults to one per CPU)
		echo "workers = 1"
		for k in $ROUTES; do
			echo "[proxy $k]"
			echo "listen = 127.0.0.1:${PORT[$t,$k]}"
			echo "protocol = tls"
			echo "no_sni = 127.0.0.1:${UPSTREAM[$k]} terminate=${CRT[${KIND[$k]}]},${KEY[${KIND[$k]}]}"
			echo "access_log = no"
		done
	} >"$f"
	"$bin" run -c "$f" >"$TMP/$t.log" 2>&1 &
	PEER_PID=$!
}

start_before() { start_edgesteer "$BEFORE" before; }

start_haproxy() {
	local f=$TMP/haproxy.cfg k
	command -v haproxy >/dev/null || return 1
	{
		echo "global"
		echo "  nbthread 1"
		echo "  maxconn $((2 * IDLE + 1000))"
		echo "defaults"
		echo "  mode tcp"
		echo "  timeout connect 5s"
		echo "  timeout client 30s"
		echo "  timeout server 30s"
		for k in $ROUTES; do
			echo "frontend fe_$k"
			echo "  bind 127.0.0.1:${PORT[haproxy,$k]} ssl crt $C/${KIND[$k]}.pem"
			echo "  default_backend be_$k"
			echo "backend be_$k"
			echo "  server up 127.0.0.1:${UPSTREAM[$k]}"
		done
	} >"$f"
	haproxy -db -f "$f" >"$TMP/haproxy.log" 2>&1 &
	PEER_PID=$!
}

start_nginx() {
	local f=$TMP/nginx.conf k
	command -v nginx >/dev/null || return 1
	mkdir -p "$TMP/nginx"
	{
		echo "load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "pid $TMP/nginx.pid;"
		echo "error_log $TMP/nginx-error.log warn;"
		echo "events { worker_connections $((2 * IDLE + 1000)); use epoll; }"
		echo "stream {"
		echo "  ssl_session_cache shared:S:10m;"
		for k in $ROUTES; do
			echo "  server {"
			echo "    listen 127.0.0.1:${PORT[nginx,$k]} ssl;"
			echo "    ssl_certificate ${CRT[${KIND[$k]}]};"
			echo "    ssl_certificate_key ${KEY[${KIND[$k]}]};"
			echo "    proxy_pass 127.0.0.1:${UPSTREAM[$k]};"
			echo "  }"
		done
		echo "}"
	} >"$f"
	nginx -e "$TMP/nginx-error.log" -p "$TMP/nginx" -c "$f" >"$TMP/nginx.log" 2>&1 &
	PEER_PID=$!
}

declare -A R RR	# RR[target,ec,mode,round,us|rate]: one cell of the rounds
ROUNDS_RAN=0

# s_time_cell TARGET KIND MODE SECS PID...: one openssl s_time run against
# TARGET's KIND route (ec|rsa) with -MODE (new|reuse) for SECS; sets
# CELL_N (handshakes), CELL_TICKS (CPU ticks of the PIDs meanwhile),
# CELL_RATE (handshakes per second of the wall clock around s_time, which
# runs on to the next whole second of the clock: SECS to SECS + 1) and
# CELL_OUT; 1 when no handshake was made.
s_time_cell() {
	local t=$1 k=$2 mode=$3 secs=$4 c0 c1 t0
	shift 4
	c0=$(bench_cpu_ticks "$@")
	t0=$(bench_now_us)
	CELL_OUT=$(timeout $((secs + 20)) openssl s_time -connect "127.0.0.1:${PORT[$t,$k]}" -$mode \
		-tls1_2 -cipher "${CIPHER[$k]}" -time "$secs" 2>&1) || true
	t0=$(($(bench_now_us) - t0))
	c1=$(bench_cpu_ticks "$@")
	CELL_TICKS=$((c1 - c0))
	CELL_N=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' <<<"$CELL_OUT" | tail -1)
	if [ -z "$CELL_N" ] || [ "$CELL_N" = 0 ]; then
		log "$t $k $mode: no handshakes: $(tail -2 <<<"$CELL_OUT" | tr '\n' ' ')"
		return 1
	fi
	CELL_RATE=$((CELL_N * 1000000 / t0))
}

# ec_rounds ROUNDS TARGET...: the ECDSA handshake cells (full and
# resumed) of every TARGET, all terminators running at once, each cell
# ROUND_SECS long in each of ROUNDS rounds; the units (target, mode) in the
# order of a Williams square (bench_williams: each unit right after each
# other equally often, every position equally often), the sockets of the
# cell before let settle first (bench_settle). Prints each round and the
# medians; sets RR[...], R[TARGET,ec,MODE,rate|us] (medians) and ROUNDS_RAN.
ec_rounds() {
	local rounds=$1 t u r i mode ports=$P_SINK units=() settle=() waited=() ticks=() gave_up=0 xs v m
	local -A tpids
	shift
	for t in "$@"; do
		PEER_PID=
		"start_$t" || { log "$t: not available here, skipped"; continue; }
		STARTED+=("$PEER_PID")
		bench_wait_listen "${PORT[$t,echold]}" || { log "$t: did not listen"; continue; }
		sleep 0.3
		tpids[$t]="$PEER_PID $(pgrep -P "$PEER_PID" 2>/dev/null | tr '\n' ' ' || true)"
		ports+=" ${PORT[$t,ec]}"
		units+=("$t:new" "$t:reuse")
	done
	printf '\nECDSA handshakes, %s rounds of %s s per cell (all terminators running; order a Williams square of target and mode; sockets settled between cells)\n' \
		"$rounds" "$ROUND_SECS"
	for ((r = 0; r < rounds; r++)); do
		printf 'round %d:' "$((r + 1))"
		for i in $(bench_williams ${#units[@]} "$r"); do
			u=${units[i]} t=${units[i]%:*} mode=${units[i]#*:}
			bench_settle "$SETTLE_MS" "$ports" || gave_up=$((gave_up + 1))
			settle+=("$BENCH_SETTLE_MS")
			[ "$BENCH_SETTLE_POLLS" = 1 ] || waited+=("$BENCH_SETTLE_MS")
			# shellcheck disable=SC2086	# the PIDs split
			s_time_cell "$t" ec "$mode" "$ROUND_SECS" ${tpids[$t]} || { printf ' %s none' "$u"; continue; }
			ticks+=("$CELL_TICKS")
			RR[$t,ec,$mode,$r,rate]=$CELL_RATE
			RR[$t,ec,$mode,$r,us]=$(awk -v t="$CELL_TICKS" -v hz="$HZ" -v n="$CELL_N" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
			printf ' %s %s' "$u" "${RR[$t,ec,$mode,$r,us]}"
		done
		echo
	done
	ROUNDS_RAN=$rounds
	for u in "${units[@]}"; do
		t=${u%:*} mode=${u#*:}
		for m in rate us; do
			xs=()
			for ((r = 0; r < rounds; r++)); do
				v=${RR[$t,ec,$mode,$r,$m]:-}
				[ -z "$v" ] || xs+=("$v")
			done
			# whole numbers, as the one-cell figures of the RSA columns
			[ ${#xs[@]} = 0 ] || R[$t,ec,$mode,$m]=$(awk -v v="$(bench_median "${xs[@]}")" 'BEGIN { printf "%.0f", v }')
		done
	done
	bench_rounds_note "target:mode terminator CPU us per handshake" "a terminator"
	for t in "$@"; do
		[ -n "${tpids[$t]:-}" ] || continue
		for u in ${tpids[$t]}; do kill "$u" 2>/dev/null || true; done
		wait "${tpids[$t]%% *}" 2>/dev/null || true
		bench_forget "${tpids[$t]%% *}"
	done
}

# peer_round_ratios TARGET MODE -> TARGET's CPU per ECDSA handshake over
# the faster OpenSSL peer's of the same round, one per round
peer_round_ratios() {
	local r p v best xs=()
	for ((r = 0; r < ROUNDS_RAN; r++)); do
		best=
		for p in haproxy nginx; do
			v=${RR[$p,ec,$2,$r,us]:-}
			[ -n "$v" ] && { [ -z "$best" ] || awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; } && best=$v
		done
		v=${RR[$1,ec,$2,$r,us]:-}
		[ -n "$v" ] && [ -n "$best" ] && xs+=("$(awk -v a="$v" -v b="$best" 'BEGIN { if (b > 0) printf "%.3f", a / b }')")
	done
	echo "${xs[*]}"
}

# bench_idle TARGET PID...: IDLE established ECDSA sessions at once
# through TARGET to the hold port; R[TARGET,rss] = the RSS delta of its
# PIDs over their baseline, bytes per session. Before the bulk runs, so
# that their buffers are not in the baseline.
bench_idle() {
	local t=$1 ok out
	shift
	[ "$IDLE" -gt 0 ] || return 0
	# 90 s; tlsload gives up opening after 60
	bench_hold_rss "$TMP/idle.out" 900 "$*" "$TLSLOAD" idle "127.0.0.1:${PORT[$t,echold]}" "$PUBKEY" "$IDLE" 2
	out=$(cat "$TMP/idle.out")
	ok=$(bench_kv ok "$out")
	if [ -n "$ok" ] && [ "$ok" -gt 0 ]; then
		R[$t,rss]=$(awk -v d="$BENCH_HOLD_KB" -v n="$ok" 'BEGIN { printf "%.0f", d * 1024 / n }')
		R[$t,idle_ok]=$ok
		[ "$ok" = "$IDLE" ] || log "$t: only $ok of $IDLE TLS sessions were established: $(head -1 "$TMP/idle.out.err")"
	else
		log "$t: idle TLS sessions failed: ${out:-no output} $(head -2 "$TMP/idle.out.err" | tr '\n' ' ')"
	fi
}

# bench_bulk TARGET PID...: one long ECDSA connection each way through
# TARGET; R[TARGET,gbps_DIR] (plaintext) and R[TARGET,cpugb_DIR], the CPU
# seconds of its PIDs per GB of plaintext.
bench_bulk() {
	local t=$1 dir port out c0 c1 b
	shift
	[ "$BULK_SECS" != 0 ] || return 0
	for dir in up down; do
		port=${PORT[$t,ec]}
		[ $dir = down ] && port=${PORT[$t,ecsrc]}
		c0=$(bench_cpu_ticks "$@")
		out=$(timeout $((${BULK_SECS%.*} + 40)) "$TLSLOAD" bulk "127.0.0.1:$port" "$PUBKEY" $dir "$BULK_SECS" 2>&1) || true
		c1=$(bench_cpu_ticks "$@")
		b=$(bench_kv bytes "$out")
		if [ -z "$b" ] || [ "$b" = 0 ]; then
			log "$t: bulk $dir: no bytes through: $(tail -2 <<<"$out" | tr '\n' ' ')"
			continue
		fi
		R[$t,gbps_$dir]=$(bench_kv gbps "$out")
		R[$t,cpugb_$dir]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v b="$b" \
			'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')
		R[$t,clientgb_$dir]=$(awk -v t="$(bench_kv cpu "$out")" -v b="$b" \
			'BEGIN { printf "%.3f", t / (b / 1e9) }')
	done
}

bench_target() {
	local t=$1 k mode pids
	PEER_PID=
	"start_$t" || { log "$t: not available here, skipped"; return 0; }
	STARTED+=("$PEER_PID")
	bench_wait_listen "${PORT[$t,echold]}" || { log "$t: did not listen"; return 0; }
	sleep 0.3
	pids=("$PEER_PID" $(pgrep -P "$PEER_PID" 2>/dev/null || true))
	for k in ec rsa; do
		# ECDSA from the rounds (ec_rounds), when they ran
		[ $k = ec ] && [ "$ROUNDS_RAN" -gt 0 ] && continue
		for mode in new reuse; do
			s_time_cell "$t" $k $mode "$SECS" "${pids[@]}" || continue
			R[$t,$k,$mode,rate]=$CELL_RATE
			R[$t,$k,$mode,us]=$((CELL_TICKS * 1000000 / HZ / CELL_N))
		done
	done
	bench_idle "$t" "${pids[@]}"
	bench_bulk "$t" "${pids[@]}"
	kill "$PEER_PID" 2>/dev/null || true
	wait "$PEER_PID" 2>/dev/null || true
	bench_forget "$PEER_PID"
}

if [ "$NROUNDS" != 0 ]; then
	# shellcheck disable=SC2086	# the list splits into targets
	set -- $TARGETS
	[ "$NROUNDS" != auto ] || NROUNDS=$(bench_rounds_default $((2 * $#)))
	# not in a pipeline: the terminators it starts must reach STARTED
	ec_rounds "$NROUNDS" "$@" >"$OUT/tls-rounds.txt"
	cat "$OUT/tls-rounds.txt"
fi
for t in $TARGETS; do bench_target "$t"; done

if [ "$ROUNDS_RAN" -gt 0 ]; then
	printf '\nTLS 1.2 termination (handshakes/s | terminator CPU us per handshake); ECDSA: medians of %s rounds of %s s, RSA: one cell of %s s\n' \
		"$ROUNDS_RAN" "$ROUND_SECS" "$SECS"
else
	printf '\nTLS 1.2 termination, %s s per cell (handshakes/s | terminator CPU us per handshake)\n' "$SECS"
fi
printf '%-10s %18s %18s %18s %18s\n' target "ECDSA full" "ECDSA resumed" "RSA full" "RSA resumed"
for t in $TARGETS; do
	printf '%-10s' "$t"
	for c in ec,new ec,reuse rsa,new rsa,reuse; do
		printf ' %18s' "${R[$t,$c,rate]:--} | ${R[$t,$c,us]:--}"
	done
	printf '\n'
done

fastest() {	# CELL -> the faster peer's us per handshake in this run, or ""
	local p v best=
	for p in haproxy nginx; do
		v=${R[$p,$1,us]:-}
		[ -n "$v" ] && { [ -z "$best" ] || [ "$v" -lt "$best" ]; } && best=$v
	done
	echo "$best"
}

# CPU per handshake over the faster OpenSSL peer's in this run (the goal
# is at most 1.5 for full ECDSA handshakes, parity when resumed)
printf '\nCPU per handshake / the faster of haproxy and nginx in this run\n'
for t in $TARGETS; do
	case $t in haproxy | nginx) continue ;; esac
	printf '%-10s' "$t"
	for c in ec,new ec,reuse rsa,new rsa,reuse; do
		best=$(fastest "$c")
		if [ -n "$best" ] && [ "$best" -gt 0 ] && [ -n "${R[$t,$c,us]:-}" ]; then
			printf ' %18s' "$(awk -v a="${R[$t,$c,us]}" -v b="$best" 'BEGIN { printf "%.2f", a / b }')"
		else
			printf ' %18s' -
		fi
	done
	printf '\n'
done

# the goal lines, edgesteer's against the faster OpenSSL peer's CPU
if [[ " $TARGETS " == *" edgesteer "* ]]; then
	echo
	if [ "$ROUNDS_RAN" -gt 0 ]; then
		# the median of the per-round ratios (each against the faster
		# peer of its round), the range beside it
		# shellcheck disable=SC2046	# one ratio per round
		bench_goal_rounds "CPU per full ECDSA handshake <= 1.5x the faster OpenSSL peer's" 1.5 le \
			$(peer_round_ratios edgesteer new)
		# shellcheck disable=SC2046
		bench_goal_rounds "CPU per resumed ECDSA handshake <= the faster OpenSSL peer's" 1 le \
			$(peer_round_ratios edgesteer reuse)
	else
		bench_goal "CPU per full ECDSA handshake <= 1.5x the faster OpenSSL peer's" \
			"${R[edgesteer,ec,new,us]:-}" "$(fastest ec,new)" 1.5 le
		bench_goal "CPU per resumed ECDSA handshake <= the faster OpenSSL peer's" \
			"${R[edgesteer,ec,reuse,us]:-}" "$(fastest ec,reuse)" 1 le
	fi
fi

# peer_best FIELD min|max -> the lower or higher of haproxy's and nginx's
# R[PEER,FIELD] in this run (decimals), or ""
peer_best() {
	local p v best=
	for p in haproxy nginx; do
		v=${R[$p,$1]:-}
		[ -n "$v" ] || continue
		if [ -z "$best" ] || awk -v v="$v" -v b="$best" -v op="$2" \
			'BEGIN { exit !(op == "min" ? v < b : v > b) }'; then
			best=$v
		fi
	done
	echo "$best"
}

if [ "$BULK_SECS" != 0 ] || [ "$IDLE" -gt 0 ]; then
	printf '\nECDSA certificate, TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256: bulk, one connection each way for %s s\n' "$BULK_SECS"
	printf '(Gbit/s of plaintext | terminator CPU s per GB); %s sessions held open (terminator RSS B per session)\n' "$IDLE"
	printf '%-10s %20s %20s %14s\n' target "bulk up" "bulk down" "RSS B/session"
	for t in $TARGETS; do
		printf '%-10s %20s %20s %14s\n' "$t" "${R[$t,gbps_up]:--} | ${R[$t,cpugb_up]:--}" \
			"${R[$t,gbps_down]:--} | ${R[$t,cpugb_down]:--}" "${R[$t,rss]:--}"
	done
	# the one client thread may be the ceiling of Gbit/s: its own CPU
	printf '(tlsload, the client, CPU s per GB up / down:'
	for t in $TARGETS; do printf ' %s %s / %s' "$t" "${R[$t,clientgb_up]:--}" "${R[$t,clientgb_down]:--}"; done
	printf ')\n'
	# ratios: Gbit/s over the faster OpenSSL peer's, CPU per GB and RSS
	# over the cheaper one's, each cell on its own
	printf '\nratio to the better of haproxy and nginx in this run (Gbit/s: the faster; CPU/GB, RSS: the lower)\n'
	for t in $TARGETS; do
		case $t in haproxy | nginx) continue ;; esac
		printf '%-10s' "$t"
		for c in gbps_up,max cpugb_up,min gbps_down,max cpugb_down,min rss,min; do
			best=$(peer_best "${c%,*}" "${c#*,}")
			v=${R[$t,${c%,*}]:-}
			if [ -n "$best" ] && [ -n "$v" ]; then
				printf ' %s %s' "${c%,*}" "$(awk -v a="$v" -v b="$best" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }')"
			else
				printf ' %s -' "${c%,*}"
			fi
		done
		printf '\n'
	done
	if [[ " $TARGETS " == *" edgesteer "* ]] && [ "$IDLE" -gt 0 ]; then
		echo
		# strictly below: a ratio of 1.00 is not ahead
		bench_goal "RSS per idle TLS session < the lighter OpenSSL peer's" \
			"${R[edgesteer,rss]:-}" "$(peer_best rss min)" 0.9999 le
	fi
fi

[ "$EC_CALLS" -gt 0 ] || exit 0
if [ -f "$BUILD/libedgesteer.a" ]; then
	$CC -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -I"$SRC/include" \
		-iquote "$SRC/user" -o "$OUT/ec_bench" "$SRC/scripts/bench/ec_bench.c" "$BUILD/libedgesteer.a" \
		-lbearssl -lhogweed -lnettle -lgmp
	printf '\nPublic-key operations, CPU time per call (ec_bench, %s calls, best of 5 rounds)\n' "$EC_CALLS"
	"$OUT/ec_bench" -n "$EC_CALLS"
else
	log "no $BUILD/libedgesteer.a: ec_bench skipped (build first)"
fi
