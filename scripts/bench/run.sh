#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - what `make bench` runs: every scripts/bench/*.sh part in turn
# (except this one and helpers named _*.sh), each bounded in time. A part
# that fails is reported and the others still run; the exit status says
# whether all passed. Parts take their knobs from the environment (see the
# head of each part); BUILD names the build folder; BENCH_PARTS="proxy
# sockmap" runs only those parts (make bench BENCH_PARTS=...).
set -u

here=$(cd "$(dirname "$0")" && pwd)
export BUILD=${BUILD:-build}
PART_TIMEOUT=${BENCH_PART_TIMEOUT:-600}
failed=()

for part in "$here"/*.sh; do
	name=$(basename "$part" .sh)
	case $name in run | _*) continue ;; esac
	if [ -n "${BENCH_PARTS:-}" ] && [[ " $BENCH_PARTS " != *" $name "* ]]; then
		continue
	fi
	echo "=== bench: $name"
	if ! timeout --kill-after=10 "$PART_TIMEOUT" bash "$part"; then
		echo "=== bench: $name FAILED" >&2
		failed+=("$name")
	fi
done

[ ${#failed[@]} = 0 ] || { echo "bench: failed parts: ${failed[*]}" >&2; exit 1; }
