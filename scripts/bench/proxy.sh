#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# proxy.sh - the SNI proxy benchmark (part of `make bench`).
#
# Measures, in one run on loopback, edgesteer's proxy against HAProxy
# (mode tcp, req.ssl_sni routing; "haproxy" with splice forced on,
# "haproxy-default" without the splice options), nginx stream with
# ssl_preread, sniproxy, and the direct path (client straight to upstream):
#
#   bulk      one long connection each way (client->upstream "up",
#             upstream->client "down"): Gbit/s, ratio to direct, and the
#             proxy's CPU seconds per GB (utime+stime of the proxy PIDs from
#             /proc/PID/stat, before and after)
#   rate      a new connection per exchange: connect, ClientHello and a
#             64-byte request in one write, a 256-byte response, close; at
#             several concurrencies: connections/s, p50/p99 latency, proxy
#             CPU microseconds per connection
#   syscalls  per connection at concurrency 32 (untimed run), counted
#             exactly with perf stat on the syscall tracepoints: the total
#             and the count of each syscall (perf trace -s lost most
#             events here under load; strace -c stops the proxy at every
#             syscall)
#   idle      BENCH_IDLE (10,000) proxied connections held open: proxy RSS
#             delta over its baseline, per connection
#
# The rate at c=32, which two goals use, is measured first and apart, in
# rounds: the direct path, edgesteer, HAProxy (both), and "before" when
# given all run at once, each is measured for BENCH_ROUND_SECS in every
# round, the order of each round from a Williams square (each target
# right after each other equally often, every position equally often),
# and before each cell the sockets of the one before (connecting,
# established or closing, to or from the ports of the run; not TIME-WAIT,
# which lasts 60 s) are let go, at most BENCH_SETTLE_MS. Measured one
# after the other, a cell carries something over from the one before it,
# and the p99 ratio swung 0.44-1.48 between runs of one binary
# (docs/benchmarks.md, Method). Their c=32 figures in the table are the
# medians over the rounds; nginx and sniproxy get one cell each, as
# before.
#
# Then one table (the ratios: throughput and conn/s to direct, the rest to
# HAProxy with splice forced, the stronger of the two per byte) and a line
# per goal of edgesteer's, "goal: ... PASS|MISS (ratio)": proxy CPU per
# connection at c=32 at most 2/3 of HAProxy's, bulk CPU per GB at most 2/3
# of HAProxy's (each direction), single-connection throughput at least
# 0.45x direct, p99 latency at c=32 no worse than HAProxy's, RSS per idle
# connection at most 1 KiB. The two c=32 goals take the median of the
# per-round ratios (edgesteer over HAProxy in the same round) and print
# their range: "PASS (0.85; median of 8 rounds, 0.80-0.93)".
#
# Every proxy runs single-threaded (one process or one worker; edgesteer's
# BENCH_WORKERS, default 1) so that CPU per GB and per connection compare
# like with like; the machine has few cores, so throughput ratios mix in contention, CPU figures much less.
# Client and upstream are scripts/bench/pxload.c (a real TLS ClientHello
# with SNI, then plain bytes), built here into $BUILD/bench.
#
# The kernel sockmap redirect versus splice experiment is its own part,
# scripts/bench/sockmap.sh.
#
# Knobs (environment): BENCH_BULK_SECS (4), BENCH_RATE_SECS (3),
# BENCH_CONCS ("1 32 128"; 32 is always measured, the goals use it),
# BENCH_IDLE (10000), BENCH_TARGETS
# ("direct edgesteer haproxy haproxy-default nginx sniproxy"),
# BENCH_PORT_BASE (24000; uses BASE..BASE+49 on 127.0.0.1), BENCH_PIPE_SIZE
# (unset: each proxy's default, 64K for both edgesteer and HAProxy; e.g.
# 1M sets edgesteer's pipe_size and HAProxy's tune.pipesize alike),
# BENCH_WORKERS (1: edgesteer's [global] workers), BENCH_PROXY_BEFORE
# (another edgesteer binary, e.g. an older build, measured as the target
# "before" in the same run, next to "edgesteer"; "floor" or "uring": the
# yardstick relays scripts/bench/floor_relay.c (epoll; FLOOR_RELAY_BATCH=1:
# the calls it does not wait for batched in an io_uring) and uring_relay.c
# (io_uring), for the c=32 rate only), BENCH_TFO (1: TCP Fast
# Open towards the upstreams: net.ipv4.tcp_fastopen = 3 for the run,
# restored after; the upstream accepts it, edgesteer runs with
# upstream_fastopen = yes, HAProxy with its server option "tfo"; "before"
# and the other peers as they are). HAProxy 2.6 uses TFO towards servers
# only in HTTP mode with L7 retries: in mode tcp it takes the option and
# connects without it (docs/proxy-performance.md).
# BENCH_BULK_SECS=0 and BENCH_IDLE=0 skip those parts (BENCH_CONCS=32
# with both: the connection figures alone). BENCH_ROUNDS (auto: the
# fewest whole Williams squares of at least 6 rounds, 8 for the four
# targets by default; 0: the old way, one cell of BENCH_RATE_SECS per
# target one after the other, for the goals too), BENCH_ROUND_SECS (1.5 s
# per cell), BENCH_SETTLE_MS (2000). BENCH_INTERLEAVE=N measures only the
# rounds at c=32, N of them, with every proxy of BENCH_TARGETS (but
# direct), and prints them with the medians and per-round ratios to
# HAProxy.
# Peers whose binary is missing are skipped with a note.
#
# BENCH_PROXY_NET=veth puts the load generator and the upstream each in a
# network namespace of their own, joined to the root namespace (where the
# proxies run) by a veth pair with threaded NAPI, in the benchmarking
# range 198.18.0.0/15: 198.18.1.1 (listeners)
# <-> 198.18.1.2 (client), 198.18.2.1 <-> 198.18.2.2 (upstream); the
# direct path is routed through the root namespace (forwarding on those
# two interfaces only). Why: on loopback, a segment is delivered inside
# the sender's system call, so the TCP work of the proxy's peers (the
# upstream's handshake and close, the client's ACKs) is charged to the
# proxy's CPU time, the same for every proxy, which pushes every ratio
# towards 1. With a NAPI thread per veth end, receiving is done by those
# threads, as a NIC's interrupt and softirq would do it on a gateway, and
# the proxy's CPU time holds its own work only: its system calls and
# sending. TSO is off on the veths (with it, veth bypasses NAPI for TCP)
# and GRO on (it enables NAPI). scripts/bench/proxy_veth.sh runs this
# topology for the connection figures in `make bench`.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
BULK_SECS=${BENCH_BULK_SECS:-4}
RATE_SECS=${BENCH_RATE_SECS:-3}
NROUNDS=${BENCH_ROUNDS:-auto}
ROUND_SECS=${BENCH_ROUND_SECS:-1.5}
SETTLE_MS=${BENCH_SETTLE_MS:-2000}
ROUND_TARGETS="direct before edgesteer haproxy haproxy-default"
CONCS=${BENCH_CONCS:-"1 32 128"}
[[ " $CONCS " == *" 32 "* ]] || CONCS="$CONCS 32"
REQ=64 RESP=256		# the rate test's request and response
IDLE=${BENCH_IDLE:-10000}
TARGETS=${BENCH_TARGETS:-"direct edgesteer haproxy haproxy-default nginx sniproxy"}
BEFORE=${BENCH_PROXY_BEFORE:-}
if [ -n "$BEFORE" ] && [[ " $TARGETS " != *" before "* ]]; then
	if [[ " $TARGETS " == *" edgesteer "* ]]; then
		TARGETS=${TARGETS/edgesteer/before edgesteer}
	else
		TARGETS="before $TARGETS"
	fi
fi
TFO=${BENCH_TFO:-0}
BASE=${BENCH_PORT_BASE:-24000}
NET=${BENCH_PROXY_NET:-loopback}
LIP=127.0.0.1 UIP=127.0.0.1	# the proxies' listeners; the upstream
CLI=() SRV=()			# command prefixes: the client's and upstream's namespace
NS_CLI="" NS_SRV=""
TABLE=proxy; [ "$NET" = loopback ] || TABLE=proxy-$NET	# $OUT/$TABLE-table.txt

P_SINK=$((BASE + 1)) P_SOURCE=$((BASE + 2)) P_HOLD=$((BASE + 3)) P_CLOSE=$((BASE + 4))
declare -A PORT=([edgesteer]=$((BASE + 10)) [before]=$((BASE + 12)) [haproxy]=$((BASE + 20)) [haproxy-default]=$((BASE + 25))
		 [nginx]=$((BASE + 30)) [sniproxy]=$((BASE + 40)))
HZ=$(getconf CLK_TCK)
OUT=$BUILD/bench
PXLOAD=$OUT/pxload
TMP=$(mktemp -d /tmp/es-bench-proxy-$$.XXXXXX)
STARTED=()		# every PID this script started, killed on exit


# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"

bench_exit_traps

# ---- topology ------------------------------------------------------------------

# veth_end DEV [NETNS]: GRO on and TSO off (NAPI for TCP), threaded NAPI.
veth_end() {
	local ns=()
	[ -z "${2:-}" ] || ns=(ip netns exec "$2")
	"${ns[@]}" ethtool -K "$1" gro on tso off >/dev/null &&
		"${ns[@]}" sh -c "echo 1 >/sys/class/net/$1/threaded"
}

net_up() {	# the veth topology (BENCH_PROXY_NET=veth)
	local c=esbc$$ s=esbs$$
	command -v ethtool >/dev/null || { log "BENCH_PROXY_NET=veth needs ethtool (scripts/deps.sh)"; return 1; }
	# 198.18.0.0/15 is set aside for benchmarks; a host that routes it
	# already would see its routes shadowed, so refuse
	if ip -4 route show table all | grep -q '^[a-z ]*198\.1[89]\.'; then
		log "BENCH_PROXY_NET=veth: this host already routes 198.18.0.0/15 (ip route show table all), which the test network uses"
		return 1
	fi
	NS_CLI=es-bench-cli-$$ NS_SRV=es-bench-srv-$$
	ip netns add "$NS_CLI" && ip netns add "$NS_SRV" &&
		ip link add "$c" type veth peer name c netns "$NS_CLI" &&
		ip link add "$s" type veth peer name s netns "$NS_SRV" &&
		ip addr add 198.18.1.1/24 dev "$c" && ip addr add 198.18.2.1/24 dev "$s" &&
		ip link set "$c" up && ip link set "$s" up &&
		ip -n "$NS_CLI" addr add 198.18.1.2/24 dev c && ip -n "$NS_CLI" link set c up &&
		ip -n "$NS_CLI" link set lo up && ip -n "$NS_CLI" route add 198.18.2.0/24 via 198.18.1.1 &&
		ip -n "$NS_SRV" addr add 198.18.2.2/24 dev s && ip -n "$NS_SRV" link set s up &&
		ip -n "$NS_SRV" link set lo up && ip -n "$NS_SRV" route add 198.18.1.0/24 via 198.18.2.1 &&
		sysctl -qw "net.ipv4.conf.$c.forwarding=1" "net.ipv4.conf.$s.forwarding=1" &&
		veth_end "$c" && veth_end "$s" && veth_end c "$NS_CLI" && veth_end s "$NS_SRV" ||
		{ log "BENCH_PROXY_NET=veth: could not set up the namespaces and veths"; return 1; }
	LIP=198.18.1.1 UIP=198.18.2.2
	CLI=(ip netns exec "$NS_CLI") SRV=(ip netns exec "$NS_SRV")
}

net_down() {	# the namespaces take their veth ends along
	[ -z "$NS_CLI" ] || ip netns del "$NS_CLI" 2>/dev/null || true
	[ -z "$NS_SRV" ] || ip netns del "$NS_SRV" 2>/dev/null || true
}

# ---- build ------------------------------------------------------------------

mkdir -p "$OUT"
bench_build_pxload "$PXLOAD"
case $BEFORE in	# a yardstick relay as "before"
floor | uring)
	${CC:-cc} "${BENCH_CFLAGS[@]}" -o "$OUT/${BEFORE}_relay" "$SRC/scripts/bench/${BEFORE}_relay.c" \
		-luring
	BEFORE=$OUT/${BEFORE}_relay
	;;
esac

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

pids_of() {	# PID -> the PID and its children (nginx master + workers)
	echo "$1" $(pgrep -P "$1" 2>/dev/null)
}

# ---- peers -------------------------------------------------------------------

SNIS="sink.bench source.bench hold.bench close.bench"
upstream_of() {
	case $1 in
	sink.bench) echo $P_SINK ;; source.bench) echo $P_SOURCE ;;
	hold.bench) echo $P_HOLD ;; close.bench) echo $P_CLOSE ;;
	esac
}

# start_edgesteer [BINARY [TARGET]]: `edgesteer run` (from the build).
start_edgesteer() {
	local bin=${1:-$BUILD/edgesteer} t=${2:-edgesteer} port f s
	port=${PORT[$t]} f=$TMP/$t.conf
	{
		echo "[global]"
		echo "control_socket = $TMP/$t.sock"
		echo "pin_path = /sys/fs/bpf/es-bench-proxy-$t-$$"
		echo "log_level = warning"
		echo "workers = ${BENCH_WORKERS:-1}"
		echo "[proxy bench]"
		echo "listen = $LIP:$port"
		echo "protocol = tls"
		for s in $SNIS; do echo "route = $s $UIP:$(upstream_of $s)"; done
		echo "idle_timeout = 300s"
		echo "max_connections = $((IDLE + 1000))"
		echo "access_log = no	; the peers run without access logs too"
		[ -z "${BENCH_PIPE_SIZE:-}" ] || echo "pipe_size = $BENCH_PIPE_SIZE"
		[ "$TFO" = 1 ] && [ "$t" = edgesteer ] && echo "upstream_fastopen = yes"
	} >"$f"
	"$bin" run -c "$f" >"$TMP/$t.log" 2>&1 &
	PEER_PID=$!
}

start_before() { start_edgesteer "$BEFORE" before; }

start_haproxy() {	# [nosplice]
	local port=${PORT[haproxy]} f=$TMP/haproxy.cfg s
	[ "${1:-}" = nosplice ] && port=${PORT[haproxy-default]} f=$TMP/haproxy-default.cfg
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
		if [ "${1:-}" != nosplice ]; then
			echo "  option splice-request"
			echo "  option splice-response"
		fi
		echo "frontend fe"
		echo "  bind $LIP:$port"
		echo "  maxconn $((IDLE + 200))"
		echo "  tcp-request inspect-delay 5s"
		echo "  tcp-request content accept if { req.ssl_hello_type 1 }"
		for s in $SNIS; do echo "  use_backend be_${s%%.*} if { req.ssl_sni -i $s }"; done
		for s in $SNIS; do
			echo "backend be_${s%%.*}"
			echo "  server up $UIP:$(upstream_of $s)$([ "$TFO" = 1 ] && echo " tfo")"
		done
	} >"$f"
	haproxy -db -f "$f" >"${f%.cfg}.log" 2>&1 &
	PEER_PID=$!
}

start_haproxy-default() { start_haproxy nosplice; }

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
		for s in $SNIS; do echo "    $s $UIP:$(upstream_of $s);"; done
		echo "  }"
		echo "  server {"
		echo "    listen $LIP:$port;"
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
		echo "listener $LIP:$port {"
		echo "  protocol tls"
		echo "  table bench"
		echo "}"
		echo "table bench {"
		for s in $SNIS; do echo "  ^$s\$ $UIP:$(upstream_of $s)"; done
		echo "}"
	} >"$f"
	sniproxy -f -c "$f" >"$TMP/sniproxy.log" 2>&1 &
	PEER_PID=$!
}

available() {	# TARGET -> 0 when it can run here
	case $1 in
	direct) return 0 ;;
	edgesteer) [ -x "$BUILD/edgesteer" ] ;;
	before) [ -x "$BEFORE" ] ;;
	haproxy-default) command -v haproxy >/dev/null ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

# ---- one target ------------------------------------------------------------

declare -A R	# R[target,metric]

# Syscalls whose count per connection is shown one by one (those that
# exist as tracepoints here); the rest are "other".
SYSCALLS="accept accept4 socket connect close shutdown epoll_ctl epoll_wait epoll_pwait
	  read write readv writev recvfrom sendto recvmsg sendmsg splice pipe2 setsockopt
	  getsockopt getsockname getpeername fcntl ioctl timerfd_settime brk mmap munmap futex"

# syscalls_per_conn TARGET ADDR PID...: syscalls per connection at c=32 in
# a 1 s rate run (untimed: counting costs the proxy a little), counted
# exactly by perf stat on the syscall tracepoints of the proxy's threads:
# the total (raw_syscalls:sys_enter) and each of SYSCALLS. Sets
# R[TARGET,syscalls] and R[TARGET,sysmix] ("epoll_ctl 2.00, ...").
syscalls_per_conn() {
	local t=$1 addr=$2 perf_pid out conns n ev=raw_syscalls:sys_enter sc tp
	shift 2
	command -v perf >/dev/null || { log "$t: no perf (linux-perf, scripts/deps.sh): syscalls not counted"; return 0; }
	tp=/sys/kernel/tracing/events/syscalls
	[ -d $tp ] || tp=/sys/kernel/debug/tracing/events/syscalls
	for sc in $SYSCALLS; do [ -d "$tp/sys_enter_$sc" ] && ev+=",syscalls:sys_enter_$sc"; done
	perf stat -x, -e "$ev" -p "$(IFS=,; echo "$*")" -o "$TMP/perf.out" -- sleep 1.6 >/dev/null 2>&1 &
	perf_pid=$!
	STARTED+=("$perf_pid")
	sleep 0.3
	out=$("${CLI[@]}" "$PXLOAD" rate "$addr" close.bench 32 1 $REQ) || true
	wait "$perf_pid" || true
	bench_forget "$perf_pid"
	conns=$(bench_kv conns "$out")
	[ "${conns:-0}" -gt 0 ] || { log "$t: the syscall run made no connection"; return 0; }
	n=$(awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$TMP/perf.out" 2>/dev/null)
	case $n in
	'' | *[!0-9]*) log "$t: perf stat gave no syscall count"; return 0 ;;
	esac
	R[$t,syscalls]=$(awk -v n="$n" -v c="$conns" 'BEGIN { printf "%.1f", n / c }')
	R[$t,sysmix]=$(awk -F, -v c="$conns" -v total="$n" '
		$3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ { k = substr($3, 20); if ($1 / c >= 0.05) m[k] = $1; rest += $1 }
		END { for (k in m) printf "%.2f %s\n", m[k] / c, k
		      if ((total - rest) / c >= 0.05) printf "%.2f other\n", (total - rest) / c }' "$TMP/perf.out" |
		sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
}

bench_target() {	# TARGET
	local t=$1 addr_sink addr_source addr_hold addr_close pids=() out c0 c1
	local c n i

	if [ "$t" = direct ]; then
		addr_sink=$UIP:$P_SINK addr_source=$UIP:$P_SOURCE
		addr_hold=$UIP:$P_HOLD addr_close=$UIP:$P_CLOSE
	else
		"start_$t"
		STARTED+=("$PEER_PID")
		if ! bench_wait_listen "${PORT[$t]}"; then
			log "$t did not listen on $LIP:${PORT[$t]}; its log:"
			cat "$TMP/$t"*.log >&2 2>/dev/null || true
			kill "$PEER_PID" 2>/dev/null || true
			return 0
		fi
		sleep 0.3	# nginx forks its worker after binding
		read -ra pids <<<"$(pids_of "$PEER_PID")"
		addr_sink=$LIP:${PORT[$t]} addr_source=$addr_sink
		addr_hold=$addr_sink addr_close=$addr_sink
	fi
	log "$t: bulk, rate, idle (pids ${pids[*]:-none})"

	# bulk, one long connection each way
	for dir in up down; do
		[ "$BULK_SECS" != 0 ] || break
		local addr=$addr_sink sni=sink.bench
		[ $dir = down ] && addr=$addr_source sni=source.bench
		c0=$(bench_cpu_ticks "${pids[@]}")
		out=$("${CLI[@]}" "$PXLOAD" bulk "$addr" $sni $dir "$BULK_SECS") || { log "$t: bulk $dir failed"; continue; }
		c1=$(bench_cpu_ticks "${pids[@]}")
		R[$t,gbps_$dir]=$(bench_kv gbps "$out")
		R[$t,bytes_$dir]=$(bench_kv bytes "$out")
		if [ ${#pids[@]} -gt 0 ]; then
			R[$t,cpugb_$dir]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v b="${R[$t,bytes_$dir]}" \
				'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')
		fi
	done

	# connection rate, a new connection per request/response
	for c in $CONCS; do
		# c=32 of the goal targets: from the rounds (rounds_c32)
		[ "$c" = 32 ] && [ "$ROUNDS_RAN" -gt 0 ] && [ -n "${R[$t,rate_32]:-}" ] && continue
		c0=$(bench_cpu_ticks "${pids[@]}")
		out=$("${CLI[@]}" "$PXLOAD" rate "$addr_close" close.bench "$c" "$RATE_SECS" $REQ) || { log "$t: rate c=$c failed"; continue; }
		c1=$(bench_cpu_ticks "${pids[@]}")
		R[$t,rate_$c]=$(bench_kv rate "$out")
		R[$t,p50_$c]=$(bench_kv p50_us "$out")
		R[$t,p99_$c]=$(bench_kv p99_us "$out")
		[ "$(bench_kv errors "$out")" = 0 ] || log "$t: rate c=$c: $(bench_kv errors "$out") failed connections"
		n=$(bench_kv conns "$out")
		if [ ${#pids[@]} -gt 0 ] && [ "${n:-0}" -gt 0 ]; then
			R[$t,cpuconn_$c]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
		fi
	done

	[ ${#pids[@]} -gt 0 ] && syscalls_per_conn "$t" "$addr_close" "${pids[@]}"

	# idle connections: RSS delta over the baseline
	if [ ${#pids[@]} -gt 0 ] && [ "$IDLE" -gt 0 ]; then
		bench_hold_rss "$TMP/idle.out" 600 "${pids[*]}" "${CLI[@]}" "$PXLOAD" idle "$addr_hold" hold.bench "$IDLE" 2
		out=$(cat "$TMP/idle.out")
		local ok; ok=$(bench_kv ok "$out")
		if [ -n "$ok" ] && [ "$ok" -gt 0 ]; then
			R[$t,rss]=$(awk -v d="$BENCH_HOLD_KB" -v n="$ok" 'BEGIN { printf "%.0f", d * 1024 / n }')
			[ "$ok" = "$IDLE" ] || log "$t: only $ok of $IDLE idle connections were proxied"
		else
			log "$t: idle test failed: ${out:-no output} $(head -2 "$TMP/idle.out.err" | tr '\n' ' ')"
		fi
	fi

	if [ "$t" != direct ]; then
		for i in $(pgrep -P "$PEER_PID"); do kill "$i" 2>/dev/null || true; done
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
		bench_forget "$PEER_PID"
	fi
}

# ---- the table -------------------------------------------------------------

ratio() {	# VALUE BASE -> " 0.45x" or ""
	awk -v v="$1" -v b="$2" 'BEGIN { if (v != "" && b != "" && b + 0 > 0) printf " %.2fx", v / b }'
}

ratio_or_dash() {	# VALUE BASE -> "0.45x" or "-"
	local x; x=$(ratio "$1" "$2")
	echo "${x:- -}" | tr -d ' '
}

cell() {	# TARGET METRIC BASE_TARGET -> "value ratio"
	local v=${R[$1,$2]:-} b=${R[$3,$2]:-}
	[ -n "$v" ] || { echo "-"; return; }
	if [ "$1" = "$3" ]; then echo "$v"; else echo "$v$(ratio "$v" "$b")"; fi
}

print_table() {
	local ran=() t c
	for t in $TARGETS; do [ -n "${R[$t,gbps_up]:-}${R[$t,rate_32]:-}" ] && ran+=("$t"); done
	printf '\nProxy benchmark, %s, %s, %s CPUs, %s; bulk %ss, rate %ss (%s B request, %s B response), %s idle, pipes %s\n' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(nproc)" "$(net_label)" "$BULK_SECS" "$RATE_SECS" $REQ $RESP "$IDLE" \
		"${BENCH_PIPE_SIZE:-default}"
	printf '%-32s' "metric (ratio to)"; for t in "${ran[@]}"; do printf '%16s' "$t"; done; echo
	row() {	# LABEL METRIC BASE
		printf '%-32s' "$1"
		for t in "${ran[@]}"; do printf '%16s' "$(cell "$t" "$2" "$3")"; done
		echo
	}
	row "proxy CPU us/conn c=32 (haproxy)" cpuconn_32 haproxy
	row "conn/s c=32 (direct)" rate_32 direct
	row "p99 us c=32 (haproxy)" p99_32 haproxy
	row "bulk CPU s/GB up (haproxy)" cpugb_up haproxy
	row "bulk CPU s/GB down (haproxy)" cpugb_down haproxy
	row "bulk up Gbit/s (direct)" gbps_up direct
	row "bulk down Gbit/s (direct)" gbps_down direct
	row "RSS B/idle conn (haproxy)" rss haproxy
	row "syscalls/conn c=32 (haproxy)" syscalls haproxy
	for c in $CONCS; do
		[ "$c" = 32 ] && continue
		row "conn/s c=$c (direct)" "rate_$c" direct
		row "  proxy CPU us/conn c=$c" "cpuconn_$c" haproxy
		printf '%-32s' "  p50/p99 us c=$c"
		for t in "${ran[@]}"; do printf '%16s' "${R[$t,p50_$c]:--}/${R[$t,p99_$c]:--}"; done
		echo
	done
	echo
	echo "syscalls per connection at c=32 (perf stat on the syscall tracepoints; >= 0.05 shown):"
	for t in "${ran[@]}"; do
		[ -n "${R[$t,sysmix]:-}" ] && printf '  %-16s %s\n' "$t" "${R[$t,sysmix]}"
	done
	return 0
}

net_label() {
	if [ "$NET" = veth ]; then echo "peers in namespaces over veth (threaded NAPI)"; else echo loopback; fi
}

# One line per goal of edgesteer's against HAProxy (splice forced) or the
# direct path measured in this run: "goal: ... PASS|MISS (ratio)".
print_goals() {
	local e=edgesteer h=haproxy d=direct on=""
	[ -n "${R[$e,rate_32]:-}${R[$e,gbps_up]:-}" ] || return 0
	[ "$NET" = loopback ] || on=" ($NET)"
	echo
	if [ "$ROUNDS_RAN" -gt 0 ]; then
		# shellcheck disable=SC2046	# one ratio per round
		bench_goal_rounds "proxy CPU per connection at c=32 <= 2/3 HAProxy's$on" 0.667 le $(round_ratios $e $h cpu)
	else
		bench_goal "proxy CPU per connection at c=32 <= 2/3 HAProxy's$on" "${R[$e,cpuconn_32]:-}" "${R[$h,cpuconn_32]:-}" 0.667 le
	fi
	if [ "$BULK_SECS" != 0 ]; then
		bench_goal "bulk CPU per GB up <= 2/3 HAProxy's$on" "${R[$e,cpugb_up]:-}" "${R[$h,cpugb_up]:-}" 0.667 le
		bench_goal "bulk CPU per GB down <= 2/3 HAProxy's$on" "${R[$e,cpugb_down]:-}" "${R[$h,cpugb_down]:-}" 0.667 le
		bench_goal "1-connection throughput up >= 0.45x direct$on" "${R[$e,gbps_up]:-}" "${R[$d,gbps_up]:-}" 0.45 ge
		bench_goal "1-connection throughput down >= 0.45x direct$on" "${R[$e,gbps_down]:-}" "${R[$d,gbps_down]:-}" 0.45 ge
	fi
	if [ "$ROUNDS_RAN" -gt 0 ]; then
		# shellcheck disable=SC2046	# one ratio per round
		bench_goal_rounds "p99 latency at c=32 <= HAProxy's$on" 1 le $(round_ratios $e $h p99)
	else
		bench_goal "p99 latency at c=32 <= HAProxy's$on" "${R[$e,p99_32]:-}" "${R[$h,p99_32]:-}" 1 le
	fi
	[ "$IDLE" = 0 ] || bench_goal "RSS per idle connection <= 1 KiB$on" "${R[$e,rss]:-}" 1024 1 le
	echo "conn/s at c=32: edgesteer ${R[$e,rate_32]:--}, direct ${R[$d,rate_32]:--};" \
		"edgesteer's ratio to direct $(ratio_or_dash "${R[$e,rate_32]:-}" "${R[$d,rate_32]:-}")," \
		"to HAProxy $(ratio_or_dash "${R[$e,rate_32]:-}" "${R[$h,rate_32]:-}")," \
		"to HAProxy without splice $(ratio_or_dash "${R[$e,rate_32]:-}" "${R[haproxy-default,rate_32]:-}")"
}

# ---- balanced rounds at c=32 -------------------------------------------------

declare -A RR	# RR[target,round,metric]: one cell of the rounds
ROUNDS_RAN=0

addr_c32() {	# TARGET -> the address its rate cells connect to
	if [ "$1" = direct ]; then echo "$UIP:$P_CLOSE"; else echo "$LIP:${PORT[$1]}"; fi
}

# rounds_c32 ROUNDS TARGET...: the connection rate at c=32 of every TARGET
# (direct: straight to the upstream, no proxy), all of them running at
# once, each measured for ROUND_SECS in each of ROUNDS rounds; the order
# of each round from a Williams square (bench_williams: each target right
# after each other equally often, every position equally often), and
# before every cell the sockets of the one before let settle
# (bench_settle, at most SETTLE_MS). Prints each round and the medians;
# sets RR[TARGET,ROUND,cpu|p50|p99|rate], R[TARGET,rate_32|p50_32|p99_32|
# cpuconn_32] (the medians over rounds) and ROUNDS_RAN.
rounds_c32() {
	local rounds=$1 t r i k out c0 c1 n ts=() ports=$P_CLOSE v m gave_up=0 settle=() waited=() ticks=() x xs
	local -A pids peer
	shift
	for t in "$@"; do
		if [ "$t" != direct ]; then
			"start_$t"
			STARTED+=("$PEER_PID")
			if ! bench_wait_listen "${PORT[$t]}"; then
				log "$t did not listen on $LIP:${PORT[$t]}; its log:"
				cat "$TMP/$t"*.log >&2 2>/dev/null || true
				continue
			fi
			sleep 0.3	# nginx forks its worker after binding
			peer[$t]=$PEER_PID pids[$t]=$(pids_of "$PEER_PID")
			ports+=" ${PORT[$t]}"
		fi
		ts+=("$t")
		"${CLI[@]}" "$PXLOAD" rate "$(addr_c32 "$t")" close.bench 32 0.5 $REQ >/dev/null || true	# warm-up
	done
	printf '\nConnection rate at c=32, %s rounds of %s s per target (all running; order a Williams square; sockets settled between cells), %s (TFO %s), %s\n' \
		"$rounds" "$ROUND_SECS" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$TFO" "$(net_label)"
	for ((r = 0; r < rounds; r++)); do
		printf 'round %d:' "$((r + 1))"
		for i in $(bench_williams ${#ts[@]} "$r"); do
			t=${ts[i]}
			# shellcheck disable=SC2086	# no namespaces on loopback
			bench_settle "$SETTLE_MS" "$ports" $NS_CLI $NS_SRV || gave_up=$((gave_up + 1))
			settle+=("$BENCH_SETTLE_MS")
			[ "$BENCH_SETTLE_POLLS" = 1 ] || waited+=("$BENCH_SETTLE_MS")
			k=()
			[ "$t" = direct ] || read -ra k <<<"${pids[$t]}"
			c0=$(bench_cpu_ticks "${k[@]}")
			out=$("${CLI[@]}" "$PXLOAD" rate "$(addr_c32 "$t")" close.bench 32 "$ROUND_SECS" $REQ) || { log "$t: rate failed"; printf ' %s failed' "$t"; continue; }
			c1=$(bench_cpu_ticks "${k[@]}")
			n=$(bench_kv conns "$out")
			[ "$(bench_kv errors "$out")" = 0 ] || log "$t: round $((r + 1)): $(bench_kv errors "$out") failed connections"
			[ "${n:-0}" -gt 0 ] || { printf ' %s none' "$t"; continue; }
			RR[$t,$r,rate]=$(bench_kv rate "$out") RR[$t,$r,p50]=$(bench_kv p50_us "$out") RR[$t,$r,p99]=$(bench_kv p99_us "$out")
			if [ "$t" != direct ]; then
				RR[$t,$r,cpu]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
				ticks+=($((c1 - c0)))
			fi
			printf ' %s %s/%s' "$t" "${RR[$t,$r,cpu]:--}" "${RR[$t,$r,p99]}"
		done
		echo
	done
	ROUNDS_RAN=$rounds
	for t in "${ts[@]}"; do
		for m in rate:rate_32 p50:p50_32 p99:p99_32 cpu:cpuconn_32; do
			xs=()
			for ((r = 0; r < rounds; r++)); do
				v=${RR[$t,$r,${m%:*}]:-}
				[ -z "$v" ] || xs+=("$v")
			done
			[ ${#xs[@]} = 0 ] || R[$t,${m#*:}]=$(awk -v v="$(bench_median "${xs[@]}")" 'BEGIN { printf (v == int(v) ? "%d" : "%.1f"), v }')
		done
	done
	bench_rounds_note "target CPU us/conn/p99 us" "a proxy"
	printf '%-16s %10s %10s %10s %10s   %s\n' target "conn/s" "CPU us" "p99 us" "p50 us" "per round, ratio to haproxy: CPU/conn, p99"
	for t in "${ts[@]}"; do
		printf '%-16s %10s %10s %10s %10s' "$t" "${R[$t,rate_32]:--}" "${R[$t,cpuconn_32]:--}" "${R[$t,p99_32]:--}" "${R[$t,p50_32]:--}"
		if [ "$t" != haproxy ] && [ -n "${R[haproxy,rate_32]:-}" ]; then
			for m in cpu p99; do
				read -ra xs <<<"$(round_ratios "$t" haproxy "$m")"
				if [ ${#xs[@]} -gt 0 ]; then printf '   %s %.2f (%s)' "$m" "$(bench_median "${xs[@]}")" "$(bench_range "${xs[@]}")"; fi
			done
		fi
		echo
	done
	for t in "${ts[@]}"; do
		[ "$t" = direct ] && continue
		for i in $(pgrep -P "${peer[$t]}"); do kill "$i" 2>/dev/null || true; done
		kill "${peer[$t]}" 2>/dev/null || true
		wait "${peer[$t]}" 2>/dev/null || true
		bench_forget "${peer[$t]}"
	done
}

# round_ratios TARGET BASE METRIC -> TARGET's METRIC over BASE's, one per
# round in which both were measured (the same round: the same machine)
round_ratios() {
	local r x xs=()
	for ((r = 0; r < ROUNDS_RAN; r++)); do
		x=$(awk -v a="${RR[$1,$r,$3]:-}" -v b="${RR[$2,$r,$3]:-}" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.3f", a / b }')
		[ -z "$x" ] || xs+=("$x")
	done
	echo "${xs[*]}"
}

# ---- main ------------------------------------------------------------------

TFO_SYSCTL=""
proxy_cleanup() {
	[ -z "$TFO_SYSCTL" ] || sysctl -qw net.ipv4.tcp_fastopen="$TFO_SYSCTL"
	bench_cleanup
	net_down
}
trap proxy_cleanup EXIT
if [ "$TFO" = 1 ]; then
	TFO_SYSCTL=$(sysctl -n net.ipv4.tcp_fastopen)
	sysctl -qw net.ipv4.tcp_fastopen=3 || { TFO_SYSCTL=""; log "BENCH_TFO=1: cannot set net.ipv4.tcp_fastopen"; exit 1; }
	export PXLOAD_FASTOPEN=4096	# the upstream's listeners accept TFO
fi
case $NET in
loopback) ;;
veth) net_up || exit 1 ;;
*) log "BENCH_PROXY_NET=$NET: loopback or veth"; exit 1 ;;
esac
"${SRV[@]}" "$PXLOAD" serve "$UIP" $P_SINK $P_SOURCE $P_HOLD $P_CLOSE $REQ $RESP >"$TMP/serve.log" 2>&1 &
STARTED+=($!)
"${SRV[@]}" bash -c "for _ in \$(seq 50); do ss -Hltn 'sport = :$P_CLOSE' | grep -q . && exit 0; sleep 0.1; done; exit 1" || { log "upstream pxload did not start: $(cat "$TMP/serve.log")"; exit 1; }

RUN=()
for t in $TARGETS; do
	if available "$t"; then RUN+=("$t"); else log "$t: not available here, skipped"; fi
done
if [ "${BENCH_INTERLEAVE:-0}" -gt 0 ]; then
	ROUNDS=()
	for t in "${RUN[@]}"; do [ "$t" = direct ] || ROUNDS+=("$t"); done
	# not in a pipeline: the peers it starts must reach STARTED (the exit trap)
	rounds_c32 "$BENCH_INTERLEAVE" "${ROUNDS[@]}" >"$OUT/$TABLE-interleave.txt"
	cat "$OUT/$TABLE-interleave.txt"
	exit 0
fi
# the targets of the goal figures at c=32, measured in rounds
ROUNDS=()
if [ "$NROUNDS" != 0 ]; then
	for t in "${RUN[@]}"; do
		[[ " $ROUND_TARGETS " == *" $t "* ]] && ROUNDS+=("$t")
	done
fi
if [ ${#ROUNDS[@]} -gt 0 ]; then
	[ "$NROUNDS" != auto ] || NROUNDS=$(bench_rounds_default ${#ROUNDS[@]})
	rounds_c32 "$NROUNDS" "${ROUNDS[@]}" >"$OUT/$TABLE-rounds.txt"
	cat "$OUT/$TABLE-rounds.txt"
fi
for t in "${RUN[@]}"; do bench_target "$t"; done

print_table | tee "$OUT/$TABLE-table.txt"
print_goals | tee -a "$OUT/$TABLE-table.txt"
