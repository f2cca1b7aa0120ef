#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sockmap.sh - can a kernel sockmap redirect beat splice(2) for the proxy's
# data path? (Part of `make bench`.)
#
# One long connection each way through a minimal relay (scripts/bench/
# relay.c) that forwards a ClientHello and then moves bytes by read/write
# copy, by splice through a pipe, or by a BPF sk_skb stream verdict program
# that redirects skbs between the two sockets (relay.bpf.c), against the
# direct path. Sockmap work runs in softirq and kworker context, not in the
# relay process, so the fair cost is system-wide: busy CPU time from
# /proc/stat (all CPUs) per GB moved, and that minus the direct path's
# (the relay's own share). The relay process's utime+stime per GB (it
# reports its getrusage at exit) is shown too. "in-out MB": bytes the relay
# accepted from the sender minus bytes the receiver acknowledged when the
# connection ended. Going down, the client stops reading after SECS and
# closes: with splice that gap is socket buffers plus one pipe (a few MB);
# a sockmap redirect has no backpressure, the sender's window stays open
# and the kernel queues without bound (hundreds of MB per second here).
# Going up, the relay waits until everything is delivered.
#
# Knobs: BENCH_SOCKMAP_SECS (4), BENCH_PORT_BASE (24000; this part uses
# BASE+50..BASE+59 on 127.0.0.1). Needs root for BPF; skipped otherwise.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
SECS=${BENCH_SOCKMAP_SECS:-4}
BASE=$((${BENCH_PORT_BASE:-24000} + 50))
P_SINK=$((BASE + 1)) P_SOURCE=$((BASE + 2)) P_HOLD=$((BASE + 3)) P_CLOSE=$((BASE + 4))
P_RELAY=$((BASE + 5))
OUT=$BUILD/bench
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/es-bench-sockmap-$$.XXXXXX)
STARTED=()


# shellcheck source=_lib.sh
. "$SRC/scripts/bench/_lib.sh"

bench_exit_traps

# ---- build -------------------------------------------------------------------

mkdir -p "$OUT"
CC=${CC:-cc}
BCFLAGS="-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes"
bench_build_pxload "$OUT/pxload"
clang -target bpf -O2 -g -Wall -Werror -I"/usr/include/$(gcc -dumpmachine)" \
	-c "$SRC/scripts/bench/relay.bpf.c" -o "$OUT/relay.bpf.o"
bpftool gen skeleton "$OUT/relay.bpf.o" name relay_bpf >"$OUT/relay.skel.h"
$CC $BCFLAGS -I"$OUT" -o "$OUT/relay" "$SRC/scripts/bench/relay.c" -lbpf -lelf -lz

MODES=${BENCH_SOCKMAP_MODES:-"direct copy splice sockmap"}
if [ "$(id -u)" != 0 ]; then
	log "not root: no BPF, the sockmap row is skipped"
	MODES="direct copy splice"
fi

# ---- helpers ---------------------------------------------------------------

sys_busy() {	# busy ticks of all CPUs: user nice system irq softirq steal
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# ---- run ---------------------------------------------------------------------

"$OUT/pxload" serve 127.0.0.1 $P_SINK $P_SOURCE $P_HOLD $P_CLOSE >"$TMP/serve.log" 2>&1 &
STARTED+=($!)
bench_wait_listen $P_CLOSE || { log "upstream did not start: $(cat "$TMP/serve.log")"; exit 1; }

declare -A R
for mode in $MODES; do
	for dir in up down; do
		up_port=$P_SINK sni=sink.bench
		[ $dir = down ] && up_port=$P_SOURCE sni=source.bench
		relay_pid= addr=127.0.0.1:$up_port
		if [ $mode != direct ]; then
			"$OUT/relay" $mode $dir $P_RELAY $up_port >"$TMP/relay.log" 2>&1 &
			relay_pid=$!
			STARTED+=($relay_pid)
			if ! bench_wait_listen $P_RELAY; then
				log "$mode relay did not start: $(cat "$TMP/relay.log")"
				continue
			fi
			addr=127.0.0.1:$P_RELAY
		fi
		s0=$(sys_busy)
		st=0
		out=$("$OUT/pxload" bulk "$addr" $sni $dir "$SECS" 2>"$TMP/bulk.err") || st=$?
		if [ $st != 0 ]; then
			log "$mode $dir: bulk failed (status $st): $(cat "$TMP/bulk.err"); relay: $(cat "$TMP/relay.log" 2>/dev/null)"
			[ -z "$relay_pid" ] || { kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null; } || true
			[ -z "$relay_pid" ] || bench_forget $relay_pid
			continue
		fi
		s1=$(sys_busy)
		relay_us=0
		if [ -n "$relay_pid" ]; then
			# the relay ends with its connection and prints its own CPU time
			for i in $(seq 50); do kill -0 $relay_pid 2>/dev/null || break; sleep 0.1; done
			kill $relay_pid 2>/dev/null || true
			wait $relay_pid 2>/dev/null || true
			bench_forget $relay_pid
			relay_us=$(bench_kv cpu_us "$(cat "$TMP/relay.log")")
			R[$mode,gap_$dir]=$(awk -v i="$(bench_kv in "$(cat "$TMP/relay.log")")" \
				-v o="$(bench_kv out "$(cat "$TMP/relay.log")")" 'BEGIN { d = i - o; printf "%.1f", (d > 0 ? d / 1e6 : 0) }')
			[ -n "$relay_us" ] || { log "$mode $dir: relay did not finish: $(cat "$TMP/relay.log")"; relay_us=0; }
		fi
		gb=$(awk -v b="$(bench_kv bytes "$out")" 'BEGIN { print b / 1e9 }')
		R[$mode,gbps_$dir]=$(bench_kv gbps "$out")
		R[$mode,sys_$dir]=$(awk -v t=$((s1 - s0)) -v hz="$HZ" -v gb="$gb" 'BEGIN { printf "%.3f", t / hz / gb }')
		R[$mode,proc_$dir]=$(awk -v us="$relay_us" -v gb="$gb" 'BEGIN { printf "%.3f", us / 1e6 / gb }')
	done
done

printf '\nSockmap vs splice, %s, %s, %s CPUs, loopback, one connection %ss each way\n' \
	"$(date -u +%Y-%m-%d)" "$(uname -r)" "$(nproc)" "$SECS"
printf '%-9s %-5s %16s %12s %12s %12s %14s\n' relay dir "Gbit/s (direct)" "system s/GB" "relay's s/GB" \
	"relay proc" "in-out MB"
for mode in $MODES; do
	for dir in up down; do
		[ -n "${R[$mode,gbps_$dir]:-}" ] || continue
		awk -v m=$mode -v d=$dir -v g="${R[$mode,gbps_$dir]}" -v dg="${R[direct,gbps_$dir]:-0}" \
		    -v s="${R[$mode,sys_$dir]}" -v ds="${R[direct,sys_$dir]:-0}" -v p="${R[$mode,proc_$dir]}" \
		    -v gap="${R[$mode,gap_$dir]:--}" '
		BEGIN {
			r = dg > 0 ? sprintf("%.2fx", g / dg) : ""
			printf "%-9s %-5s %10.2f %5s %12.3f %12s %12s %14s\n", m, d, g, m == "direct" ? "" : r, s,
				m == "direct" ? "-" : sprintf("%.3f", s - ds), m == "direct" ? "-" : sprintf("%.3f", p), gap
		}'
	done
done | tee "$OUT/sockmap-table.txt"
