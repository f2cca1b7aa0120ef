# SPDX-License-Identifier: GPL-2.0-only
# Shared by the benchmark scripts (sourced, not run).
#
# bench_stop_started: end every PID in the STARTED array (which the script
# fills with what it started) and their direct children (nginx workers,
# haproxy's), politely first, then with SIGKILL; only those PIDs.
bench_stop_started() {
	local pid c
	for pid in "${STARTED[@]}"; do
		for c in $(pgrep -P "$pid" 2>/dev/null); do kill "$c" 2>/dev/null || true; done
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in "${STARTED[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
