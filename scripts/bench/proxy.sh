#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# proxy.sh - the SNI proxy benchmark (part of `make bench`).
#
# Measures, in one run on loopback, edgesteer's proxy against HAProxy
# (mode tcp, req.ssl_sni routing, splice forced on), nginx stream with
# ssl_preread, sniproxy, and the direct path (client straight to upstream):
#
#   bulk      one long connection each way (client->upstream "up",
#             upstream->client "down"): Gbit/s, ratio to direct, and the
#             proxy's CPU seconds per GB (utime+stime of the proxy PIDs from
#             /proc/PID/stat, before and after)
#   rate      connect, ClientHello, one-byte answer, close, at several
#             concurrencies: connections/s, p50/p99 latency, proxy CPU
#             microseconds per connection
#   syscalls  per connection at concurrency 16 (perf stat, untimed run)
#   idle      BENCH_IDLE (10,000) proxied connections held open: proxy RSS
#             delta over its baseline, per connection
#
# Every proxy runs single-threaded (one process or one worker; edgesteer's
# BENCH_WORKERS, default 1) so that CPU per GB and per connection compare
# like with like; the machine has few
# cores, so throughput ratios mix in contention, CPU figures much less.
# Client and upstream are scripts/bench/pxload.c (a real TLS ClientHello
# with SNI, then plain bytes), built here into $BUILD/bench.
#
# The kernel sockmap redirect versus splice experiment is its own part,
# scripts/bench/sockmap.sh.
#
# Knobs (environment): BENCH_BULK_SECS (4), BENCH_RATE_SECS (3),
# BENCH_CONCS ("1 16 128"), BENCH_IDLE (10000), BENCH_TARGETS
# ("direct edgesteer haproxy nginx sniproxy"),
# BENCH_PORT_BASE (24000; uses BASE..BASE+49 on 127.0.0.1), BENCH_PIPE_SIZE
# (unset: each proxy's default, 64K for both edgesteer and HAProxy; e.g.
# 1M sets edgesteer's pipe_size and HAProxy's tune.pipesize alike),
# BENCH_WORKERS (1: edgesteer's [global] workers).
# Peers whose binary is missing are skipped with a note.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
BULK_SECS=${BENCH_BULK_SECS:-4}
RATE_SECS=${BENCH_RATE_SECS:-3}
CONCS=${BENCH_CONCS:-"1 16 128"}
IDLE=${BENCH_IDLE:-10000}
TARGETS=${BENCH_TARGETS:-"direct edgesteer haproxy nginx sniproxy"}
BASE=${BENCH_PORT_BASE:-24000}

P_SINK=$((BASE + 1)) P_SOURCE=$((BASE + 2)) P_HOLD=$((BASE + 3)) P_CLOSE=$((BASE + 4))
declare -A PORT=([edgesteer]=$((BASE + 10)) [haproxy]=$((BASE + 20))
		 [nginx]=$((BASE + 30)) [sniproxy]=$((BASE + 40)))
HZ=$(getconf CLK_TCK)
OUT=$BUILD/bench
PXLOAD=$OUT/pxload
TMP=$(mktemp -d /tmp/es-bench-proxy-$$.XXXXXX)
STARTED=()		# every PID this script started, killed on exit

log() { printf 'proxy.sh: %s\n' "$*" >&2; }

# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"

cleanup() {
	bench_stop_started
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ------------------------------------------------------------------

mkdir -p "$OUT"
CC=${CC:-cc}
BCFLAGS="-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes"
$CC $BCFLAGS -o "$PXLOAD" "$SRC/scripts/bench/pxload.c"

# 10,000 idle connections need 20,000+ fds in the proxy. Where the hard
# limit cannot be raised (no CAP_SYS_RESOURCE, as in some containers), the
# idle test uses as many connections as fit, in steps of 500; the result
# is per connection, so it stays comparable.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" -lt $((2 * IDLE + 2500)) ]; then	# HAProxy also wants fds for pipes
	IDLE=$(((NOFILE - 2500) / 2 / 500 * 500))
	log "ulimit -n is $NOFILE and cannot be raised here: the idle test uses $IDLE connections"
fi

# ---- helpers ---------------------------------------------------------------

wait_listen() {	# PORT: wait up to 5 s for a listener on 127.0.0.1:PORT
	local i
	for i in $(seq 50); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

pids_of() {	# PID -> the PID and its children (nginx master + workers)
	echo "$1" $(pgrep -P "$1" 2>/dev/null)
}

cpu_ticks() {	# PIDS -> utime+stime summed, in clock ticks
	local sum=0 pid f
	for pid in "$@"; do
		# fields after the ")" of comm: utime is the 12th, stime the 13th
		f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		set -- $f
		sum=$((sum + ${12} + ${13}))
	done
	echo $sum
}

rss_kb() {	# PIDS -> VmRSS summed, in KiB
	local sum=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

kv() {	# KEY LINE -> value of KEY=value in LINE
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# ---- peers -------------------------------------------------------------------

SNIS="sink.bench source.bench hold.bench close.bench"
upstream_of() {
	case $1 in
	sink.bench) echo $P_SINK ;; source.bench) echo $P_SOURCE ;;
	hold.bench) echo $P_HOLD ;; close.bench) echo $P_CLOSE ;;
	esac
}

# `edgesteer run` from the build.
ES_RUN=()
have_edgesteer() {
	[ -x "$BUILD/edgesteer" ] || return 1
	ES_RUN=("$BUILD/edgesteer" run)
}

start_edgesteer() {
	local port=${PORT[edgesteer]} f=$TMP/edgesteer.conf s
	{
		echo "[global]"
		echo "control_socket = $TMP/edgesteer.sock"
		echo "pin_path = /sys/fs/bpf/es-bench-proxy-$$"
		echo "log_level = warning"
		echo "workers = ${BENCH_WORKERS:-1}"
		echo "[proxy bench]"
		echo "listen = 127.0.0.1:$port"
		echo "protocol = tls"
		for s in $SNIS; do echo "route = $s 127.0.0.1:$(upstream_of $s)"; done
		echo "idle_timeout = 300s"
		echo "max_connections = $((IDLE + 1000))"
		echo "access_log = no	; the peers run without access logs too"
		[ -z "${BENCH_PIPE_SIZE:-}" ] || echo "pipe_size = $BENCH_PIPE_SIZE"
	} >"$f"
	"${ES_RUN[@]}" -c "$f" >"$TMP/edgesteer.log" 2>&1 &
	PEER_PID=$!
}

start_haproxy() {
	local port=${PORT[haproxy]} f=$TMP/haproxy.cfg s
	{
		echo "global"
		echo "  maxconn $((IDLE + 200))"
		echo "  maxpipes 500"
		[ -z "${BENCH_PIPE_SIZE:-}" ] || echo "  tune.pipesize $(numfmt --from=iec "$BENCH_PIPE_SIZE")"
		echo "  nbthread 1"
		echo "  pidfile $TMP/haproxy.pid"
		echo "defaults"
		echo "  mode tcp"
		echo "  timeout connect 5s"
		echo "  timeout client 300s"
		echo "  timeout server 300s"
		echo "  option splice-request"
		echo "  option splice-response"
		echo "frontend fe"
		echo "  bind 127.0.0.1:$port"
		echo "  maxconn $((IDLE + 200))"
		echo "  tcp-request inspect-delay 5s"
		echo "  tcp-request content accept if { req.ssl_hello_type 1 }"
		for s in $SNIS; do echo "  use_backend be_${s%%.*} if { req.ssl_sni -i $s }"; done
		for s in $SNIS; do
			echo "backend be_${s%%.*}"
			echo "  server up 127.0.0.1:$(upstream_of $s)"
		done
	} >"$f"
	haproxy -db -f "$f" >"$TMP/haproxy.log" 2>&1 &
	PEER_PID=$!
}

start_nginx() {
	local port=${PORT[nginx]} f=$TMP/nginx.conf s
	mkdir -p "$TMP/nginx"
	{
		echo "load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "worker_rlimit_nofile $NOFILE;"
		echo "pid $TMP/nginx.pid;"
		echo "error_log $TMP/nginx-error.log warn;"
		echo "events { worker_connections $((2 * IDLE + 500)); use epoll; }"
		echo "stream {"
		echo "  map \$ssl_preread_server_name \$up {"
		for s in $SNIS; do echo "    $s 127.0.0.1:$(upstream_of $s);"; done
		echo "  }"
		echo "  server {"
		echo "    listen 127.0.0.1:$port;"
		echo "    ssl_preread on;"
		echo "    proxy_pass \$up;"
		echo "    proxy_timeout 300s;"
		echo "  }"
		echo "}"
	} >"$f"
	nginx -e "$TMP/nginx-error.log" -p "$TMP/nginx" -c "$f" >"$TMP/nginx.log" 2>&1 &
	PEER_PID=$!
}

start_sniproxy() {
	local port=${PORT[sniproxy]} f=$TMP/sniproxy.conf s
	{
		echo "pidfile $TMP/sniproxy.pid"
		echo "error_log {"
		echo "  filename $TMP/sniproxy-error.log"
		echo "  priority warning"
		echo "}"
		echo "listener 127.0.0.1:$port {"
		echo "  protocol tls"
		echo "  table bench"
		echo "}"
		echo "table bench {"
		for s in $SNIS; do echo "  ^$s\$ 127.0.0.1:$(upstream_of $s)"; done
		echo "}"
	} >"$f"
	sniproxy -f -c "$f" >"$TMP/sniproxy.log" 2>&1 &
	PEER_PID=$!
}

available() {	# TARGET -> 0 when it can run here
	case $1 in
	direct) return 0 ;;
	edgesteer) have_edgesteer ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

# ---- one target ------------------------------------------------------------

declare -A R	# R[target,metric]

bench_target() {	# TARGET
	local t=$1 addr_sink addr_source addr_hold addr_close pids=() out c0 c1 r0 r1
	local c conns=0 ticks=0 idle_pid i

	if [ "$t" = direct ]; then
		addr_sink=127.0.0.1:$P_SINK addr_source=127.0.0.1:$P_SOURCE
		addr_hold=127.0.0.1:$P_HOLD addr_close=127.0.0.1:$P_CLOSE
	else
		"start_$t"
		STARTED+=("$PEER_PID")
		if ! wait_listen "${PORT[$t]}"; then
			log "$t did not listen on 127.0.0.1:${PORT[$t]}; its log:"
			cat "$TMP/$t"*.log >&2 2>/dev/null || true
			kill "$PEER_PID" 2>/dev/null || true
			return 0
		fi
		sleep 0.3	# nginx forks its worker after binding
		read -ra pids <<<"$(pids_of "$PEER_PID")"
		addr_sink=127.0.0.1:${PORT[$t]} addr_source=$addr_sink
		addr_hold=$addr_sink addr_close=$addr_sink
	fi
	log "$t: bulk, rate, idle (pids ${pids[*]:-none})"

	# bulk, one long connection each way
	for dir in up down; do
		local addr=$addr_sink sni=sink.bench
		[ $dir = down ] && addr=$addr_source sni=source.bench
		c0=$(cpu_ticks "${pids[@]}")
		out=$("$PXLOAD" bulk "$addr" $sni $dir "$BULK_SECS") || { log "$t: bulk $dir failed"; continue; }
		c1=$(cpu_ticks "${pids[@]}")
		R[$t,gbps_$dir]=$(kv gbps "$out")
		R[$t,bytes_$dir]=$(kv bytes "$out")
		if [ ${#pids[@]} -gt 0 ]; then
			R[$t,cpugb_$dir]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v b="${R[$t,bytes_$dir]}" \
				'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')
		fi
	done

	# connection rate
	for c in $CONCS; do
		c0=$(cpu_ticks "${pids[@]}")
		out=$("$PXLOAD" rate "$addr_close" close.bench "$c" "$RATE_SECS") || { log "$t: rate c=$c failed"; continue; }
		c1=$(cpu_ticks "${pids[@]}")
		R[$t,rate_$c]=$(kv rate "$out")
		R[$t,p50_$c]=$(kv p50_us "$out")
		R[$t,p99_$c]=$(kv p99_us "$out")
		[ "$(kv errors "$out")" = 0 ] || log "$t: rate c=$c: $(kv errors "$out") failed connections"
		conns=$((conns + $(kv conns "$out")))
		ticks=$((ticks + c1 - c0))
	done
	if [ ${#pids[@]} -gt 0 ] && [ $conns -gt 0 ]; then
		R[$t,cpuconn]=$(awk -v t=$ticks -v hz="$HZ" -v n=$conns 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	fi

	# syscalls per connection (c=16, 1 s, untimed: the tracepoint costs a
	# little): a noise-free view of how much each proxy asks of the kernel
	if [ ${#pids[@]} -gt 0 ] && command -v perf >/dev/null; then
		local perf_pid n
		perf stat -x, -e raw_syscalls:sys_enter -p "$(IFS=,; echo "${pids[*]}")" \
			-o "$TMP/perf.out" -- sleep 1.5 >/dev/null 2>&1 &
		perf_pid=$!
		sleep 0.2
		out=$("$PXLOAD" rate "$addr_close" close.bench 16 1) || true
		wait $perf_pid || true
		n=$(awk -F, '/raw_syscalls/ { print $1 }' "$TMP/perf.out" 2>/dev/null)
		case $n in '' | *[!0-9]*) log "$t: perf stat gave no syscall count" ;;
		*) R[$t,syscalls]=$(awk -v n="$n" -v c="$(kv conns "$out")" 'BEGIN { if (c > 0) printf "%.1f", n / c }') ;;
		esac
	fi

	# idle connections: RSS delta over the baseline
	if [ ${#pids[@]} -gt 0 ] && [ "$IDLE" -gt 0 ]; then
		r0=$(rss_kb "${pids[@]}")
		"$PXLOAD" idle "$addr_hold" hold.bench "$IDLE" 2 >"$TMP/idle.out" &
		idle_pid=$!
		STARTED+=("$idle_pid")
		for i in $(seq 600); do
			grep -q ready "$TMP/idle.out" 2>/dev/null && break
			kill -0 $idle_pid 2>/dev/null || break
			sleep 0.1
		done
		r1=$(rss_kb "${pids[@]}")
		wait $idle_pid || true
		out=$(cat "$TMP/idle.out")
		local ok; ok=$(kv ok "$out")
		if [ -n "$ok" ] && [ "$ok" -gt 0 ]; then
			R[$t,rss]=$(awk -v d=$((r1 - r0)) -v n="$ok" 'BEGIN { printf "%.0f", d * 1024 / n }')
			[ "$ok" = "$IDLE" ] || log "$t: only $ok of $IDLE idle connections were proxied"
		else
			log "$t: idle test failed: ${out:-no output}"
		fi
	fi

	if [ "$t" != direct ]; then
		for i in $(pgrep -P "$PEER_PID"); do kill "$i" 2>/dev/null || true; done
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
	fi
}

# ---- the table -------------------------------------------------------------

ratio() {	# VALUE BASE -> " 0.45x" or ""
	awk -v v="$1" -v b="$2" 'BEGIN { if (v != "" && b != "" && b + 0 > 0) printf " %.2fx", v / b }'
}

cell() {	# TARGET METRIC BASE_TARGET -> "value ratio"
	local v=${R[$1,$2]:-} b=${R[$3,$2]:-}
	[ -n "$v" ] || { echo "-"; return; }
	if [ "$1" = "$3" ]; then echo "$v"; else echo "$v$(ratio "$v" "$b")"; fi
}

print_table() {
	local ran=() t row c
	for t in $TARGETS; do [ -n "${R[$t,gbps_up]:-}${R[$t,rate_1]:-}" ] && ran+=("$t"); done
	printf '\nProxy benchmark, %s, %s, %s CPUs, loopback; bulk %ss, rate %ss, %s idle, pipes %s\n' \
		"$(date -u +%Y-%m-%d)" "$(uname -r)" "$(nproc)" "$BULK_SECS" "$RATE_SECS" "$IDLE" "${BENCH_PIPE_SIZE:-default}"
	printf '%-30s' "metric (ratio to)"; for t in "${ran[@]}"; do printf '%16s' "$t"; done; echo
	row() {	# LABEL METRIC BASE
		printf '%-30s' "$1"
		for t in "${ran[@]}"; do printf '%16s' "$(cell "$t" "$2" "$3")"; done
		echo
	}
	row "bulk up Gbit/s (direct)" gbps_up direct
	row "bulk down Gbit/s (direct)" gbps_down direct
	row "CPU s/GB up (haproxy)" cpugb_up haproxy
	row "CPU s/GB down (haproxy)" cpugb_down haproxy
	for c in $CONCS; do
		row "conn/s c=$c (direct)" "rate_$c" direct
		printf '%-30s' "  p50/p99 us c=$c"
		for t in "${ran[@]}"; do printf '%16s' "${R[$t,p50_$c]:--}/${R[$t,p99_$c]:--}"; done
		echo
	done
	row "CPU us/conn (haproxy)" cpuconn haproxy
	row "syscalls/conn (haproxy)" syscalls haproxy
	row "RSS B/idle conn (haproxy)" rss haproxy
}

print_goals() {
	local e=edgesteer
	[ -n "${R[$e,gbps_up]:-}" ] || return 0
	echo
	echo "edgesteer goals:"
	awk -v up="${R[$e,gbps_up]:-}" -v dn="${R[$e,gbps_down]:-}" \
	    -v dup="${R[direct,gbps_up]:-}" -v ddn="${R[direct,gbps_down]:-}" \
	    -v cu="${R[$e,cpugb_up]:-}" -v cd="${R[$e,cpugb_down]:-}" \
	    -v hu="${R[haproxy,cpugb_up]:-}" -v hd="${R[haproxy,cpugb_down]:-}" \
	    -v cc="${R[$e,cpuconn]:-}" -v hc="${R[haproxy,cpuconn]:-}" \
	    -v rss="${R[$e,rss]:-}" '
	function goal(name, v, limit, ge) {
		if (v == "" || limit == "") { printf "  %-40s n/a\n", name; return }
		ok = ge ? v >= limit : v <= limit
		printf "  %-40s %-5s %.3f vs %.3f (%+.0f%%)\n", name, ok ? "MET" : "MISS", v, limit, (v / limit - 1) * 100
	}
	BEGIN {
		if (dup != "") goal("bulk up >= 0.45x direct (Gbit/s)", up, 0.45 * dup, 1)
		if (ddn != "") goal("bulk down >= 0.45x direct (Gbit/s)", dn, 0.45 * ddn, 1)
		goal("CPU/GB up <= 2/3 haproxy (s)", cu, hu == "" ? "" : hu * 2 / 3, 0)
		goal("CPU/GB down <= 2/3 haproxy (s)", cd, hd == "" ? "" : hd * 2 / 3, 0)
		goal("CPU/conn <= 2/3 haproxy (us)", cc, hc == "" ? "" : hc * 2 / 3, 0)
		goal("RSS/idle conn <= 1024 B", rss, 1024, 0)
	}'
}

# ---- main ------------------------------------------------------------------

"$PXLOAD" serve 127.0.0.1 $P_SINK $P_SOURCE $P_HOLD $P_CLOSE >"$TMP/serve.log" 2>&1 &
STARTED+=($!)
wait_listen $P_CLOSE || { log "upstream pxload did not start: $(cat "$TMP/serve.log")"; exit 1; }

RUN=()
for t in $TARGETS; do
	if available "$t"; then RUN+=("$t"); else log "$t: not available here, skipped"; fi
done
for t in "${RUN[@]}"; do bench_target "$t"; done

print_table | tee "$OUT/proxy-table.txt"
print_goals | tee -a "$OUT/proxy-table.txt"

