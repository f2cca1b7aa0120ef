#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# workers.sh - how the proxy scales with [global] workers.
#
# For each worker count in BENCH_WORKERS_LIST ("1 2"), starts edgesteer
# with one SNI route to a pxload upstream and runs `pxload rate` (connect,
# ClientHello, one-byte answer, close) at BENCH_CONC (32) for
# BENCH_RATE_SECS (3) seconds, BENCH_REPEAT (2) times, in two placements:
#   pinned    client and upstream on CPU 0, the proxy on the other CPUs
#             (taskset; skipped on a single CPU)
#   free      no pinning
# and prints connections/s and the proxy's CPU microseconds per
# connection (utime+stime of its PID, all threads, from /proc/PID/stat).
# On a machine shared with other work, read the spread of the repeats.
#
# Knobs: BENCH_WORKERS_LIST, BENCH_CONC, BENCH_RATE_SECS, BENCH_REPEAT,
# BENCH_PORT_BASE (24100; uses BASE..BASE+10 on 127.0.0.1).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
LIST=${BENCH_WORKERS_LIST:-"1 2"}
CONC=${BENCH_CONC:-32}
SECS=${BENCH_RATE_SECS:-3}
REPEAT=${BENCH_REPEAT:-2}
BASE=${BENCH_PORT_BASE:-24100}
P_SINK=$((BASE + 1)) P_SOURCE=$((BASE + 2)) P_HOLD=$((BASE + 3)) P_CLOSE=$((BASE + 4))
P_PROXY=$((BASE + 10))
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
OUT=$BUILD/bench
PXLOAD=$OUT/pxload
TMP=$(mktemp -d /tmp/es-bench-workers-$$.XXXXXX)
STARTED=()


# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"

bench_exit_traps

mkdir -p "$OUT"
bench_build_pxload "$PXLOAD"
[ -x "$BUILD/edgesteer" ] || { log "no $BUILD/edgesteer; run make first"; exit 1; }

wait_listen() {	# PORT
	for _ in $(seq 50); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

cpu_ticks() {	# PID -> utime+stime of the whole process, in clock ticks
	local f
	f=$(sed 's/.*) //' "/proc/$1/stat")
	set -- $f
	echo $((${12} + ${13}))
}

kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

CLIENT_PIN=() PROXY_PIN=()
pin() {	# pinned|free
	CLIENT_PIN=() PROXY_PIN=()
	if [ "$1" = pinned ]; then
		CLIENT_PIN=(taskset -c 0)
		PROXY_PIN=(taskset -c "1-$((NCPU - 1))")
	fi
}

start_proxy() {	# WORKERS
	local f=$TMP/edgesteer.conf
	cat >"$f" <<EOF
[global]
control_socket = $TMP/edgesteer.sock
pin_path = /sys/fs/bpf/es-bench-workers-$$
log_level = warning
workers = $1
[proxy bench]
listen = 127.0.0.1:$P_PROXY
protocol = tls
route = close.bench 127.0.0.1:$P_CLOSE
access_log = no
EOF
	"${PROXY_PIN[@]}" "$BUILD/edgesteer" run -c "$f" >"$TMP/edgesteer.log" 2>&1 &
	PROXY_PID=$!
	STARTED+=("$PROXY_PID")
	wait_listen $P_PROXY || { log "edgesteer did not listen: $(cat "$TMP/edgesteer.log")"; exit 1; }
}

stop_proxy() {
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
}

printf '%-8s %-8s %-6s %10s %12s\n' placement workers run "conn/s" "CPU us/conn"
for placement in pinned free; do
	[ $placement = pinned ] && [ "$NCPU" -lt 2 ] && continue
	pin $placement
	"${CLIENT_PIN[@]}" "$PXLOAD" serve 127.0.0.1 $P_SINK $P_SOURCE $P_HOLD $P_CLOSE >"$TMP/serve.log" 2>&1 &
	SERVE=$!
	STARTED+=("$SERVE")
	wait_listen $P_CLOSE || { log "pxload serve did not start"; exit 1; }
	for r in $(seq "$REPEAT"); do
		for w in $LIST; do
			start_proxy "$w"
			c0=$(cpu_ticks "$PROXY_PID")
			out=$("${CLIENT_PIN[@]}" "$PXLOAD" rate 127.0.0.1:$P_PROXY close.bench "$CONC" "$SECS")
			c1=$(cpu_ticks "$PROXY_PID")
			stop_proxy
			printf '%-8s %-8s %-6s %10s %12s\n' $placement "$w" "$r" "$(kv rate "$out")" \
				"$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$(kv conns "$out")" \
					'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n }')"
		done
	done
	kill "$SERVE" 2>/dev/null || true
	wait "$SERVE" 2>/dev/null || true
done
