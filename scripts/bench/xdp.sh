#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xdp.sh - the XDP data plane benchmark: ns per frame through
# BPF_PROG_TEST_RUN for edgesteer's program with every feature on, beside
# an empty XDP_PASS program (the floor) and xdp-tools' xdp-filter with a
# port filter, all measured in the same run (see xdp_bench.c); then one
# "goal: ... PASS|MISS (...)" line per frame, like the other parts.
#
# Environment: BUILD, BENCH_XDP_REPEAT (runs per measurement, 2000000),
# BENCH_XDP_ROUNDS (7), BENCH_XDP_PREFIXES (deny prefixes per class and
# family, 1000), BENCH_XDP_FILTER (path of xdpfilt_alw_all.o).
# Arguments are passed on: `xdp.sh -x before=/tmp/steer.bpf.o` adds another
# build of steer.bpf.c (also one from before es_tables) as a column, to compare a change
# with the tree before it in one run.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BENCH_BIN=$BUILD/bench
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
XF=${BENCH_XDP_FILTER:-/usr/lib/$multiarch/bpf/xdpfilt_alw_all.o}

[ "$(id -u)" = 0 ] || { echo "xdp.sh: needs root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
[ -r "$XF" ] || { echo "xdp.sh: $XF not found; install xdp-tools (scripts/deps.sh)" >&2; exit 1; }
[ -f "$BUILD/libedgesteer.a" ] && [ -f "$BUILD/skel/steer.skel.h" ] ||
	{ echo "xdp.sh: build first (make)" >&2; exit 1; }

mkdir -p "$BENCH_BIN"
gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$ROOT/include" -iquote "$ROOT/user" \
	-I"$BUILD/skel" -o "$BENCH_BIN/xdp_bench" "$ROOT/scripts/bench/xdp_bench.c" \
	"$BUILD/libedgesteer.a" -lbpf -lelf -lz -lbearssl -lhogweed -lnettle -lgmp -linih -lsystemd -lm

exec "$BENCH_BIN/xdp_bench" -n "${BENCH_XDP_REPEAT:-2000000}" -r "${BENCH_XDP_ROUNDS:-7}" \
	-p "${BENCH_XDP_PREFIXES:-1000}" -f "$XF" "$@"
