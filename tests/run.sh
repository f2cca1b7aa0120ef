#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every test binary under $BUILD/tests and every fuzzer under
# $BUILD/fuzz (FUZZ_SECONDS each, seed corpus from tests/fuzz/corpus/NAME)
# and ends with the grand total:
#   N passed, N failed, N skipped
# Exit status is non-zero when anything failed.
#
# Usage: [JOBS=N] tests/run.sh [FILTER]   (FILTER: substring of a path)
#
# JOBS (default 2) binaries and fuzzers run at a time, the longest first
# (durations of earlier runs in $BUILD/test-durations, else
# EXPECTED_SECONDS below), so that the lanes end together. Each one's
# output is kept and printed as one block when it ends. The binaries in
# SERIAL run afterwards, one at a time with nothing beside them. JOBS=1
# runs everything one after another in name order, output as it comes.
# tests/README.md says when a test must be serial.
set -u
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
JOBS=${JOBS:-2}
filter=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Binaries that cannot share the machine with another one. NAME=why.
declare -A SERIAL=(
	[e2e/watchdog_e2e]="asserts that a stall is declared within 1.4 s of the fault (stall_after 1 s): a busy neighbour delays the daemon's 100 ms samples past that"
	[e2e/tls_terminate_handshake_test]="asserts a median handshake under 40 ms (no delayed-ACK stall); the RSA signatures in it are CPU time, which a neighbour on the same core doubles"
)

# Seconds the long binaries took with JOBS=2 on a busy 2-core VM: where
# no earlier run was recorded (a clean tree), they start first, in this
# order. The rest: EXPECT_E2E for e2e/*, 1 for the others, FUZZ_SECONDS
# for a fuzzer.
declare -A EXPECTED_SECONDS=(
	[e2e/systemd_test]=150
	[e2e/syslog_trust_test]=105
	[e2e/watchdog_run_e2e]=100
	[e2e/xdp_e2e_test]=80
	[unit/tls/tls_test]=70
	[e2e/cli_test]=64
	[e2e/syslog_forward_test]=62
	[e2e/daemon_proxy_test]=60
	[e2e/syslog_tcp_test]=58
	[e2e/syslog_fanout_test]=54
	[e2e/xdp_diag_test]=46
	[e2e/proxy_hello_budget_test]=42
	[e2e/tls_terminate_test]=39
	[e2e/cli_top_test]=39
	[e2e/demo_test]=38
	[e2e/daemon_xdp_test]=36
	[e2e/daemon_privilege_test]=32
	[e2e/syslog_tls_intake_test]=28
)
EXPECT_E2E=10
durations=$BUILD/test-durations	# "SECONDS NAME" lines, rewritten by each run

export EDGESTEER="$top/$BUILD/edgesteer"
export EDGESTEER_SRC="$top"
export EDGESTEER_BUILD="$top/$BUILD"

# The BPF tests and the daemon need bpffs; many e2e tests need many fds.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "# warning: cannot mount bpffs on /sys/fs/bpf"
fi
ulimit -n 65536 2>/dev/null || ulimit -n hard 2>/dev/null || true
ulimit -l unlimited 2>/dev/null || true

case "$JOBS" in
'' | *[!0-9]* | 0) echo "run.sh: JOBS must be a positive number, not '$JOBS'" >&2; exit 2 ;;
esac
if [ "$JOBS" -gt 1 ] && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 501)); then
	echo "# bash $BASH_VERSION has no 'wait -n -p' (5.1): running one binary at a time"
	JOBS=1
fi

tmp=$(mktemp -d /tmp/es-run-XXXXXX)
declare -A running=()	# pid -> job index

stop_all() {
	local p

	for p in "${!running[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# ---- the jobs -----------------------------------------------------------

# Job i: kind[i] (test|fuzz), name[i] (e2e/x, fuzz/x), path[i], base[i]
# (name[i] without a variant suffix), workers[i] (EDGESTEER_TEST_WORKERS;
# empty: the config's default).
# The proxy's e2e tests (tests/e2e/proxy_util.h) run with the default
# number of proxy workers (auto: one per online CPU, at most 4), then
# once more as e2e/x:workers=1 (the proxy on the main loop, no threads),
# or as e2e/x:workers=2 where the default is 1 already (one CPU), so
# that both one loop and several are tested on any machine
# (proxy_workers_test sets its own). EDGESTEER_TEST_WORKERS set by the
# caller: every binary once, with that.
auto_workers=$(nproc 2>/dev/null || echo 1)
[ "$auto_workers" -le 4 ] || auto_workers=4
other_workers=1
[ "$auto_workers" -gt 1 ] || other_workers=2
kind=() name=() path=() base=() workers=()
for bin in $(find "$BUILD/tests" -type f -executable 2>/dev/null | sort); do
	case "$bin" in *"$filter"*) ;; *) continue ;; esac
	n=${bin#"$BUILD"/tests/}
	kind+=(test) name+=("$n") path+=("$bin") base+=("$n") workers+=("${EDGESTEER_TEST_WORKERS:-}")
	[ -z "${EDGESTEER_TEST_WORKERS:-}" ] || continue
	case "$n" in
	e2e/proxy_workers_test) ;;
	e2e/proxy_* | e2e/tls_terminate*)
		kind+=(test) name+=("$n:workers=$other_workers") path+=("$bin") base+=("$n")
		workers+=("$other_workers") ;;
	esac
done
for fz in $(find "$BUILD/fuzz" -type f -executable 2>/dev/null | sort); do
	case "$fz" in *"$filter"*) ;; *) continue ;; esac
	kind+=(fuzz) name+=("fuzz/$(basename "$fz")") path+=("$fz") base+=("fuzz/$(basename "$fz")") workers+=(-)
done

# Start job $1 in the background, its output in $tmp/$1.out; its pid goes
# to running[]. A test binary is that pid itself (exec), so that stopping
# the run stops it. A fuzzer's verdict is one TAP line ("ok - fuzz/x # N
# runs"); it stops by itself after FUZZ_SECONDS.
declare -A t0=()
start_job() {
	local i=$1

	t0[$i]=$EPOCHREALTIME
	: >"$tmp/$i.out"
	if [ "${kind[i]}" = test ]; then
		(
			if [ -n "${workers[i]}" ]; then
				export EDGESTEER_TEST_WORKERS="${workers[i]}"
			else
				unset EDGESTEER_TEST_WORKERS
			fi
			exec "${path[i]}" >"$tmp/$i.out" 2>&1
		) &
	else
		fuzz_job "$i" &
	fi
	running[$!]=$i
}

fuzz_job() {
	local i=$1 fz=${path[$1]} fname=${name[$1]#fuzz/} work=$tmp/$1.corpus

	mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$fname" ] && cp -r "tests/fuzz/corpus/$fname/." "$work/" 2>/dev/null
	if "$fz" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" >"$tmp/$i.log" 2>&1; then
		echo "ok - ${name[i]} # $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$tmp/$i.log" |
			grep -Eo '[0-9]+$') runs" >"$tmp/$i.out"
	else
		{ tail -n 40 "$tmp/$i.log" | sed 's/^/# /'; echo "not ok - ${name[i]}"; } >"$tmp/$i.out"
	fi
	rm -rf "$work" "$tmp/$i.log"
}

# Wait for one running job to end; its index in $reaped.
reap() {
	local pid

	for (( ; ; )); do
		pid=
		wait -n -p pid
		[ -n "$pid" ] || { echo "run.sh: lost track of ${#running[@]} running jobs" >&2; exit 2; }
		[ -z "${running[$pid]:-}" ] || break	# else not ours (a process substitution)
	done
	reaped=${running[$pid]}
	unset "running[$pid]"
}

header() {
	if [ "${kind[$1]}" = fuzz ]; then
		echo "# ===== ${name[$1]} for ${FUZZ_SECONDS}s"
	else
		echo "# ===== ${name[$1]}"
	fi
}

pass=0 fail=0 skip=0
failed_bins=()
declare -A took=()	# test binary name -> seconds, for $durations

# Count job $1's result; print its output first unless it streamed.
finish() {
	local i=$1 streamed=${2:-} out t1=$EPOCHREALTIME ms

	[ -n "$streamed" ] || { header "$i"; cat "$tmp/$i.out"; }
	# milliseconds, so that bash's integer arithmetic will do
	ms=$(((10#${t1/[.,]/} - 10#${t0[$i]/[.,]/}) / 1000))
	if [ "${kind[i]}" = fuzz ]; then
		if grep -q '^ok - ' "$tmp/$i.out"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			failed_bins+=("${name[i]}")
		fi
	else
		took[${name[i]}]=$((ms / 1000)).$((ms % 1000 / 100))
		out=$(tail -n 1 "$tmp/$i.out")
		if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
			pass=$((pass + BASH_REMATCH[1]))
			fail=$((fail + BASH_REMATCH[2]))
			skip=$((skip + BASH_REMATCH[3]))
			[ "${BASH_REMATCH[2]}" = 0 ] || failed_bins+=("${name[i]}")
		else
			echo "not ok - ${name[i]} ended without a summary line (crashed?)"
			fail=$((fail + 1))
			failed_bins+=("${name[i]}")
		fi
	fi
	echo "# ${name[i]}: $((ms / 1000)).$((ms % 1000 / 100)) s"
}

# Job $1 alone, its output as it comes.
run_streamed() {
	local pid

	header "$1"
	start_job "$1"
	pid=$!
	tail -n +1 -s 0.1 --pid="$pid" -f "$tmp/$1.out" 2>/dev/null
	reap
	finish "$1" streamed
}

# Expected seconds of job $1: a fuzzer's FUZZ_SECONDS, else recorded,
# listed, or guessed.
expected() {
	local n=${name[$1]} s=

	[ "${kind[$1]}" = test ] || { echo "$FUZZ_SECONDS"; return; }
	[ -r "$durations" ] && s=$(awk -v n="$n" '$2 == n { s = $1 } END { print s }' "$durations")
	[ -n "$s" ] || s=${EXPECTED_SECONDS[${base[$1]}]:-}
	[ -n "$s" ] || case "$n" in
		e2e/*) s=$EXPECT_E2E ;;
		*) s=1 ;;
		esac
	echo "${s%%.*}"
}

if [ "$JOBS" = 1 ]; then
	for i in "${!name[@]}"; do run_streamed "$i"; done
else
	order=() serial=()
	while read -r _ i; do
		if [ -n "${SERIAL[${base[i]}]:-}" ]; then
			serial+=("$i")
		else
			order+=("$i")
		fi
	done < <(for i in "${!name[@]}"; do echo "$(expected "$i") $i"; done | sort -k1,1nr -k2,2n)

	echo "# ${#order[@]} binaries and fuzzers, $JOBS at a time, longest first; then ${#serial[@]} alone"
	for i in "${order[@]}"; do
		while [ "${#running[@]}" -ge "$JOBS" ]; do
			reap
			finish "$reaped"
		done
		start_job "$i"
	done
	while [ "${#running[@]}" -gt 0 ]; do
		reap
		finish "$reaped"
	done
	for i in "${serial[@]}"; do
		echo "# ${name[i]} runs alone: ${SERIAL[${base[i]}]}"
		run_streamed "$i"
	done
fi

# Remember what each took, for the order of the next run.
if [ ${#took[@]} -gt 0 ] && [ -d "$BUILD" ]; then
	{
		for n in "${!took[@]}"; do echo "${took[$n]} $n"; done
		cat "$durations" 2>/dev/null
	} | awk '!seen[$2]++' | sort -k2 >"$durations.$$" && mv "$durations.$$" "$durations"
fi

[ ${#failed_bins[@]} = 0 ] || echo "# failed in: ${failed_bins[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
