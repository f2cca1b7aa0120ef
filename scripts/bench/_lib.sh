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

# log MSG...: a line on stderr, named after the script.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# bench_exit_traps: on exit (INT and TERM included) end what STARTED holds
# and remove $TMP, or keep it and say so with BENCH_KEEP set.
bench_cleanup() {
	bench_stop_started
	if [ -n "${BENCH_KEEP:-}" ]; then
		log "kept $TMP"
		return
	fi
	rm -rf "$TMP"
}
bench_exit_traps() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
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
		# shellcheck disable=SC2086	# split into the fields
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

# bench_hold_rss OUT TENTHS "PID..." CMD...: CMD (a load generator that
# opens connections, prints "ready" and holds them) in the background, its
# stdout in OUT, its stderr in OUT.err; waits up to TENTHS tenths of a
# second for "ready" (or for CMD to end), then sets BENCH_HOLD_KB to the
# RSS growth of the PIDs meanwhile, and waits for CMD to finish. Not in a
# $(...): CMD's PID must reach STARTED for the exit trap.
bench_hold_rss() {
	local out=$1 tenths=$2 pids r0 hold_pid _
	read -ra pids <<<"$3"
	shift 3
	r0=$(bench_rss_kb "${pids[@]}")
	"$@" >"$out" 2>"$out.err" &
	hold_pid=$!
	STARTED+=("$hold_pid")
	for _ in $(seq "$tenths"); do
		grep -q ready "$out" 2>/dev/null && break
		kill -0 "$hold_pid" 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2034	# read by the calling script
	BENCH_HOLD_KB=$(($(bench_rss_kb "${pids[@]}") - r0))
	wait "$hold_pid" || true
	bench_forget "$hold_pid"
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

# ---- balanced rounds (proxy.sh, tls.sh) --------------------------------------
#
# A cell measured right after another carries something over from it (the
# previous target's connections still closing, TIME_WAIT, the scheduler's
# state): with one cell per target, one after the other, the order of the
# run decides close verdicts. The goal figures are therefore measured in
# rounds, every target running at once, the order of each round from a
# Williams square, the sockets of each cell let settle before the next,
# and the verdict taken from the median of the per-round ratios.

# bench_williams N R: the order of round R (from 0) of N targets, as the
# indices 0..N-1 on one line. A Williams square: over N rounds (2N for odd
# N, the second N reversed) each target comes right after each other
# target equally often (once; twice for odd N) and holds every position
# equally often. R wraps around.
bench_williams() {
	local n=$1 r=$2 j s first=(0) row=()
	for ((j = 1; j < n; j++)); do
		if ((j % 2)); then first+=($(((j + 1) / 2))); else first+=($((n - j / 2))); fi
	done
	r=$((r % (n % 2 ? 2 * n : n)))
	s=$((r % n))
	for ((j = 0; j < n; j++)); do row+=($(((first[j] + s) % n))); done
	if ((r >= n)); then
		for ((j = n - 1; j >= 0; j--)); do printf '%s ' "${row[j]}"; done
		echo
	else
		echo "${row[*]}"
	fi
}

# bench_square N: how many rounds one balanced square of N targets takes.
bench_square() { echo $(($1 % 2 ? 2 * $1 : $1)); }

# bench_rounds_default N: the fewest rounds, a whole number of squares,
# that is at least 6 (so that the median stands on a few values).
bench_rounds_default() {
	local q; q=$(bench_square "$1")
	echo $(((6 + q - 1) / q * q))
}

# bench_median VALUES...: the median (the mean of the middle two for an
# even count).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_range VALUES...: "min-max" ("%.2f" each).
bench_range() {
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'
}

# bench_goal_rounds NAME LIMIT le|ge RATIO...: bench_goal on the median of
# the per-round RATIOs, the count and range beside it:
# "goal: NAME: PASS (0.85; median of 8 rounds, 0.80-0.93)".
bench_goal_rounds() {
	local name=$1 limit=$2 op=$3
	shift 3
	if [ $# = 0 ]; then
		bench_goal "$name" "" "" "$limit" "$op"
		return
	fi
	bench_goal "$name" "$(bench_median "$@")" 1 "$limit" "$op" |
		sed "s/)\$/; median of $# rounds, $(bench_range "$@"))/"
}

# bench_settle MAX_MS PORTS [NETNS...]: wait until no TCP socket from or
# to any of PORTS (one string) is between connecting and TIME-WAIT
# (SYN-SENT/RECV, ESTABLISHED, FIN-WAIT-1/2, CLOSING, LAST-ACK, CLOSE-WAIT)
# in this network namespace and each NETNS, or MAX_MS have passed, polling
# every 20 ms. TIME-WAIT itself lasts 60 s on Linux, far longer than a
# round: it is not waited for (the balanced order spreads it evenly).
# Sets BENCH_SETTLE_MS, the time waited (one poll takes 50-200 ms
# itself with some 50,000 sockets in TIME-WAIT), and BENCH_SETTLE_POLLS
# (1: nothing was left open); 1 when it gave up.
# shellcheck disable=SC2034	# BENCH_SETTLE_MS is for the caller
bench_settle() {
	local max=$1 f="" p ns n t0 ss_args
	shift
	for p in $1; do f+="${f:+ or }sport = :$p or dport = :$p"; done
	shift
	ss_args=(-Htan state syn-sent state syn-recv state established state fin-wait-1 state fin-wait-2
		 state closing state last-ack state close-wait "( $f )")
	t0=$(bench_now_us)
	BENCH_SETTLE_POLLS=0
	while :; do
		BENCH_SETTLE_POLLS=$((BENCH_SETTLE_POLLS + 1))
		n=$(ss "${ss_args[@]}" | wc -l)
		for ns in "$@"; do n=$((n + $(ip netns exec "$ns" ss "${ss_args[@]}" | wc -l))); done
		BENCH_SETTLE_MS=$((($(bench_now_us) - t0) / 1000))
		[ "$n" = 0 ] && return 0
		[ "$BENCH_SETTLE_MS" -ge "$max" ] && return 1
		sleep 0.02
	done
}

# bench_rounds_note CELLS WHO: the line after a run of rounds that says how
# long the settle pauses were and how many CPU ticks the thinnest cell had
# (CELLS: what a cell's figures are; WHO: "a proxy", "a terminator"). Reads
# the caller's arrays settle (ms waited before each cell), waited (the
# waits of cells that found sockets open) and ticks, and gave_up,
# SETTLE_MS and HZ.
# shellcheck disable=SC2154	# the caller's locals, as said above
bench_rounds_note() {
	printf '(cells: %s; settle before a cell: median %s ms, at most %s ms; %s of %s cells found sockets still open, waited %s ms, %s gave up at %s ms; fewest CPU ticks of %s in a cell: %s, %s a second)\n' \
		"$1" "$(bench_median "${settle[@]}")" "$(printf '%s\n' "${settle[@]}" | sort -n | tail -1)" \
		"${#waited[@]}" "${#settle[@]}" "$([ ${#waited[@]} = 0 ] && echo - || bench_range "${waited[@]}" | sed 's/\.00//g')" "$gave_up" "$SETTLE_MS" \
		"$2" "$(printf '%s\n' "${ticks[@]:-0}" | sort -n | head -1)" "$HZ"
}

# ---- shared by syslog.sh and syslog_tcp.sh ----------------------------------

# Variables set here and in the functions below are read by the scripts.
# shellcheck disable=SC2034

# How the scripts compile their load generators and sinks (one .c file each).
BENCH_CFLAGS=(-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes)
BENCH_HZ=$(getconf CLK_TCK)

# bench_build_dir ROOT: $BUILD (default build), relative to ROOT unless absolute.
bench_build_dir() {
	local b=${BUILD:-build}
	case $b in /*) ;; *) b=$1/$b ;; esac
	echo "$b"
}

# bench_build_pxload DEST: the proxy parts' client and upstream
# (scripts/bench/pxload.c), built with the flags of every bench helper.
bench_build_pxload() {
	mkdir -p "$(dirname "$1")"
	${CC:-cc} "${BENCH_CFLAGS[@]}" -o "$1" "$SRC/scripts/bench/pxload.c"
}

# bench_now_us: the wall clock in microseconds.
bench_now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }

# bench_host: "CPU model, N CPUs, Linux release, date" for a report's head.
bench_host() {
	echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
}

# bench_rsyslogd_version: rsyslogd's version number.
bench_rsyslogd_version() {
	rsyslogd -v | sed -n '1s/^rsyslogd *\([^ ]*\).*/\1/p'
}

# bench_start_relay LOG CMD...: CMD in the background, its output appended
# to LOG; sets RELAY_PID and adds it to STARTED.
bench_start_relay() {
	local out=$1
	shift
	"$@" >>"$out" 2>&1 &
	RELAY_PID=$!
	STARTED+=("$RELAY_PID")
}

# bench_cpu_us TICKS MESSAGES: TICKS of CPU time (bench_cpu_ticks) per
# message, in microseconds ("%.2f"; 0 when no message).
bench_cpu_us() {
	awk -v c="$1" -v hz="$BENCH_HZ" -v n="$2" 'BEGIN { printf "%.2f", n ? c * 1e6 / hz / n : 0 }'
}

# bench_drain SENT INTERVAL FIELD T0 COUNTS...: after a run that ended at
# T0 (bench_now_us), run the command COUNTS every INTERVAL s until the
# first number it prints reaches SENT (everything arrived), or its FIELDth
# number (what arrived in all) has not changed for 2 s, or 15 s have passed
# since T0. Sets BENCH_COUNTS (the last line COUNTS printed) and
# BENCH_DRAIN_US (when it was read).
# shellcheck disable=SC2034	# BENCH_DRAIN_US is for the caller
bench_drain() {
	local sent=$1 interval=$2 field=$3 t0=$4 t last=-1 last_change=$4
	local -a f
	shift 4
	while :; do
		BENCH_COUNTS=$("$@")
		read -ra f <<<"$BENCH_COUNTS"
		t=$(bench_now_us)
		[ "${f[0]}" -ge "$sent" ] && break
		if [ "${f[field - 1]}" != "$last" ]; then
			last=${f[field - 1]} last_change=$t
		elif [ $((t - last_change)) -gt 2000000 ] || [ $((t - t0)) -gt 15000000 ]; then
			break
		fi
		sleep "$interval"
	done
	BENCH_DRAIN_US=$t
}

# bench_wait_count NEED TRIES COUNTS...: run the command COUNTS every 0.1 s,
# at most TRIES times, until the first number it prints reaches NEED (a
# warm-up got through). Sets BENCH_COUNTS (the last line); 1 when it never did.
bench_wait_count() {
	local need=$1 tries=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		BENCH_COUNTS=$("$@")
		[ "${BENCH_COUNTS%% *}" -ge "$need" ] && return 0
		sleep 0.1
	done
	return 1
}

# The rate searches below run the script's `trial RATE SECONDS` (0 when
# the rate held) with probes of $PROBE seconds.

# bench_halve RATE BAD STEPS FLOOR: when no probe has held yet, halve RATE
# and probe again, up to STEPS times while RATE is above FLOOR, until one
# holds. Sets BENCH_GOOD (the rate that held, or 0) and BENCH_BAD (the last
# rate that failed, or BAD).
bench_halve() {
	local rate=$1 s
	BENCH_GOOD=0 BENCH_BAD=$2
	for ((s = 0; s < $3 && BENCH_GOOD == 0 && rate > $4; s++)); do
		rate=$((rate / 2))
		if trial "$rate" "$PROBE"; then BENCH_GOOD=$rate; else BENCH_BAD=$rate; fi
	done
}

# bench_bisect GOOD BAD STEPS [UNTIL]: up to STEPS probes halfway between a
# rate that held (GOOD) and one that did not (BAD), stopping early when
# $SECONDS reaches UNTIL. Sets BENCH_GOOD and BENCH_BAD.
bench_bisect() {
	local s mid until=${4:-}
	BENCH_GOOD=$1 BENCH_BAD=$2
	for ((s = 0; s < $3; s++)); do
		[ -n "$until" ] && [ "$SECONDS" -ge "$until" ] && break
		mid=$(((BENCH_GOOD + BENCH_BAD) / 2))
		if trial "$mid" "$PROBE"; then BENCH_GOOD=$mid; else BENCH_BAD=$mid; fi
	done
}

# bench_ref_cpu RATE SECONDS: CPU_REF, the CPU per message (CPU_US) of a
# trial at the fixed reference RATE, with "*" when that rate did not hold.
# shellcheck disable=SC2034	# CPU_REF is for the caller
bench_ref_cpu() {
	if trial "$1" "$2"; then CPU_REF=$CPU_US; else CPU_REF="$CPU_US*"; fi
}
