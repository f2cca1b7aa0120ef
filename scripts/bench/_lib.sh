# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
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

# bench_forget PID...: drop PIDs this script has already ended and waited
# for from STARTED, so that the exit trap never signals a reused PID.
bench_forget() {
	local pid f keep=()
	for pid in "${STARTED[@]}"; do
		for f in "$@"; do [ "$pid" = "$f" ] && continue 2; done
		keep+=("$pid")
	done
	STARTED=("${keep[@]}")
}

# bench_wait_listen PORT: wait up to 5 s for a TCP listener on PORT.
bench_wait_listen() {
	local _
	for _ in $(seq 50); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# bench_port_free PORT: no TCP socket is bound to PORT (ours or another's).
bench_port_free() {
	! ss -Htan "sport = :$1" | grep -q .
}

# bench_cpu_ticks PID...: utime+stime summed over the PIDs (all their
# threads), in clock ticks (getconf CLK_TCK). A PID that is gone adds 0.
bench_cpu_ticks() {
	local sum=0 pid f
	for pid in "$@"; do
		# fields after the ")" of comm: utime is the 12th, stime the 13th
		f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		set -- $f
		sum=$((sum + ${12} + ${13}))
	done
	echo $sum
}

# bench_rss_kb PID...: VmRSS summed, in KiB.
bench_rss_kb() {
	local sum=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

# bench_kv KEY LINE: the value of KEY=value in LINE (load generators print
# one line of such pairs).
bench_kv() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# bench_goal NAME VALUE REF LIMIT le|ge: one line
# "goal: NAME: PASS (x.xx)" or MISS, x.xx being VALUE / REF, which passes
# when it is <= (le) or >= (ge) LIMIT; "n/a" when a figure is missing.
bench_goal() {
	awk -v name="$1" -v v="$2" -v r="$3" -v l="$4" -v op="$5" 'BEGIN {
		sub(/[^0-9.]+$/, "", v); sub(/[^0-9.]+$/, "", r)
		if (v == "" || r == "" || r + 0 <= 0) { printf "goal: %s: n/a (not measured)\n", name; exit }
		x = v / r; ok = op == "ge" ? x >= l - 1e-9 : x <= l + 1e-9
		printf "goal: %s: %s (%.2f)\n", name, ok ? "PASS" : "MISS", x }'
}
