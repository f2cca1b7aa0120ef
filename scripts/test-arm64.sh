#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the unit tests of a cross build ($BUILD/tests/unit/*/*, pure code
# that needs no kernel feature) under qemu user-mode emulation, so no
# binfmt_misc registration is needed, and ends with the same total line as
# tests/run.sh: N passed, N failed, N skipped.
set -u
BUILD=${BUILD:-build/arm64}
QEMU=${QEMU:-qemu-aarch64-static}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v "$QEMU" >/dev/null || { echo "test-arm64: $QEMU not found; run scripts/deps.sh --arm64" >&2; exit 1; }

# Unit tests that exercise a kernel interface qemu-user does not emulate;
# they run natively in tests/run.sh. NAME=reason.
declare -A NATIVE_ONLY=(
	[unit/core/ctl_test]="SO_PEERGROUPS is not translated by qemu-user"
)

pass=0 fail=0 skip=0
for bin in $(find "$BUILD/tests/unit" -type f -executable 2>/dev/null | sort); do
	name=${bin#"$BUILD"/tests/}
	if [ -n "${NATIVE_ONLY[$name]:-}" ]; then
		echo "# ===== arm64 $name: not run under qemu (${NATIVE_ONLY[$name]}); it runs natively"
		continue
	fi
	echo "# ===== arm64 $name"
	log=$(mktemp)
	# The loader is /lib/ld-linux-aarch64.so.1 from libc6:arm64.
	"$QEMU" -L / "$bin" 2>&1 | tee "$log"
	out=$(tail -n 1 "$log")
	rm -f "$log"
	if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
	else
		echo "not ok - $bin ended without a summary line (crashed?)"
		fail=$((fail + 1))
	fi
done
[ $((pass + fail + skip)) -gt 0 ] || { echo "test-arm64: no unit tests under $BUILD/tests/unit" >&2; exit 1; }
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
