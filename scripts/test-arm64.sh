#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the unit tests of a cross build ($BUILD/tests/unit/*/*, pure code
# that needs no kernel feature) under qemu user-mode emulation, so no
# binfmt_misc registration is needed, and ends with the same total line as
# tests/run.sh: N passed, N failed, N skipped. JOBS (default 2) binaries
# run at a time, each with its output kept and printed as one block in
# name order: emulated, the TLS tests take two minutes one after another.
set -u
BUILD=${BUILD:-build/arm64}
QEMU=${QEMU:-qemu-aarch64-static}
JOBS=${JOBS:-2}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v "$QEMU" >/dev/null || { echo "test-arm64: $QEMU not found; run scripts/deps.sh --arm64" >&2; exit 1; }

# Unit tests that exercise a kernel interface qemu-user does not emulate;
# they run natively in tests/run.sh. NAME=reason.
declare -A NATIVE_ONLY=(
	[unit/core/ctl_test]="SO_PEERGROUPS is not translated by qemu-user"
)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
bins=()
for bin in $(find "$BUILD/tests/unit" -type f -executable 2>/dev/null | sort); do
	name=${bin#"$BUILD"/tests/}
	if [ -n "${NATIVE_ONLY[$name]:-}" ]; then
		echo "# ===== arm64 $name: not run under qemu (${NATIVE_ONLY[$name]}); it runs natively"
		continue
	fi
	bins+=("$bin")
done
[ ${#bins[@]} -gt 0 ] || { echo "test-arm64: no unit tests under $BUILD/tests/unit" >&2; exit 1; }

# One log per binary, named by its index, so the blocks print in name
# order. The loader is /lib/ld-linux-aarch64.so.1 from libc6:arm64.
for i in "${!bins[@]}"; do
	printf '%s\0%s\0' "$i" "${bins[$i]}"
done | QEMU=$QEMU LOGS=$logs xargs -0 -n 2 -P "$JOBS" \
	sh -c 'exec "$QEMU" -L / "$2" > "$LOGS/$1.log" 2>&1' sh

pass=0 fail=0 skip=0
for i in "${!bins[@]}"; do
	echo "# ===== arm64 ${bins[$i]#"$BUILD"/tests/}"
	cat "$logs/$i.log"
	out=$(tail -n 1 "$logs/$i.log")
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
	else
		echo "not ok - ${bins[$i]} ended without a summary line (crashed?)"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
