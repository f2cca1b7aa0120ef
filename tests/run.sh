#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every test binary under $BUILD/tests and every fuzzer under
# $BUILD/fuzz (FUZZ_SECONDS each, seed corpus from tests/fuzz/corpus/NAME),
# echoes their TAP, and ends with the grand total:
#   N passed, N failed, N skipped
# Exit status is non-zero when anything failed.
# Usage: tests/run.sh [FILTER]   (FILTER: substring of a binary's path)
set -u
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
filter=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

export EDGESTEER="$top/$BUILD/edgesteer"
export EDGESTEER_SRC="$top"
export EDGESTEER_BUILD="$top/$BUILD"

# The BPF tests and the daemon need bpffs; many e2e tests need many fds.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "# warning: cannot mount bpffs on /sys/fs/bpf"
fi
ulimit -n 65536 2>/dev/null || ulimit -n hard 2>/dev/null || true
ulimit -l unlimited 2>/dev/null || true

pass=0 fail=0 skip=0
failed_bins=()

# One test binary; $2: a label for the name (a second run's).
run_bin() {
	local bin=$1 name=${1#"$BUILD"/tests/}$2 log out
	echo "# ===== $name"
	log=$(mktemp)
	"$bin" 2>&1 | tee "$log"
	out=$(tail -n 1 "$log")
	rm -f "$log"
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
		[ "${BASH_REMATCH[2]}" = 0 ] || failed_bins+=("$name")
	else
		echo "not ok - $name ended without a summary line (crashed?)"
		fail=$((fail + 1))
		failed_bins+=("$name")
	fi
}

# The proxy's e2e tests (tests/e2e/proxy_util.h) run with two proxy
# workers (threads), then once more with one (proxy_workers_test sets
# its own).
export EDGESTEER_TEST_WORKERS=2
for bin in $(find "$BUILD/tests" -type f -executable 2>/dev/null | sort); do
	case "$bin" in *"$filter"*) ;; *) continue ;; esac
	run_bin "$bin" ""
done
export EDGESTEER_TEST_WORKERS=1
for bin in $(find "$BUILD/tests/e2e" -type f -executable \( -name 'proxy_*' -o -name 'tls_terminate*' \) \
		! -name 'proxy_workers_test' 2>/dev/null | sort); do
	case "$bin" in *"$filter"*) ;; *) continue ;; esac
	run_bin "$bin" " (workers = 1)"
done
unset EDGESTEER_TEST_WORKERS

for fz in $(find "$BUILD/fuzz" -type f -executable 2>/dev/null | sort); do
	case "$fz" in *"$filter"*) ;; *) continue ;; esac
	name=$(basename "$fz")
	corpus="tests/fuzz/corpus/$name"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/" 2>/dev/null
	echo "# ===== fuzz/$name for ${FUZZ_SECONDS}s"
	if "$fz" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" >"$work.log" 2>&1; then
		echo "ok - fuzz/$name # $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work.log" | grep -Eo '[0-9]+$') runs"
		pass=$((pass + 1))
	else
		tail -n 40 "$work.log" | sed 's/^/# /'
		echo "not ok - fuzz/$name"
		fail=$((fail + 1))
		failed_bins+=("fuzz/$name")
	fi
	rm -rf "$work" "$work.log"
done

[ ${#failed_bins[@]} = 0 ] || echo "# failed in: ${failed_bins[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
