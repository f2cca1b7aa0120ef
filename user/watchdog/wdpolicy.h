/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wdpolicy.h - the watchdog's decisions as pure code: the stall rule, the
 * reset rate limiter and the recovery ladder. No I/O and no clock of its
 * own: every function takes `now` (ms), so the unit tests drive hours of
 * behaviour in microseconds. watchdog.c feeds it samples and acts.
 *
 * Two rules decide whether an interface receives; docs/watchdog.md says
 * which applies when and walks through one stall.
 *
 * The probe rule (a probe is configured and could be sent this interval):
 * the probe is the truth, whatever rx does.
 *   - probe answered                            -> OK (window restarts)
 *   - W = now - (last answer or restart) >= stall_after and the kernel's
 *     tx counter grew during W                   -> STALLED
 *   - otherwise                                  -> QUIET
 *   A peer that keeps sending (STP, LLDP, router advertisements, a hung
 *   adapter's trickle of broadcasts) cannot hide a stall, and a quiet link
 *   whose neighbour answers never stalls.
 *
 * The rx rule (no probe, or the probe cannot be sent): as above with "rx
 * counter advanced" in place of "probe answered".
 *
 * Both rules, before that:
 *   - interface administratively down            -> DOWN (window restarts)
 *   - carrier lost                               -> NO_CARRIER (restarts)
 *   - first sample up with carrier after those   -> QUIET (restarts)
 *   A counter that goes backwards (re-attached program, new ifindex), a
 *   change of counter source or a switch between the rules restarts the
 *   window instead of counting.
 *
 * Recovery. Once STALLED has been returned (or wd_rule_expect_recovery()
 * was called) the rule is "suspicious" until a recovery is proven, and
 * only then returns OK again:
 *   - probe rule: the probe answered again;
 *   - rx rule: rx advanced on recover_samples consecutive samples. A burst
 *     of stray frames (the peer's DAD, MLD and RS after a link bounce)
 *     neither proves a recovery nor restarts the stall window.
 */
#ifndef EDGESTEER_WDPOLICY_H
#define EDGESTEER_WDPOLICY_H

#include <stdbool.h>
#include <stdint.h>

#define WD_HOUR_MS 3600000ull
#define WD_MAX_PER_HOUR 3600	/* conf.c's bound on max_resets_per_hour */

/* One look at the interface. */
struct wd_sample {
	bool up;		/* IFF_UP */
	bool carrier;		/* IFF_LOWER_UP */
	uint64_t rx;		/* received packets (XDP counter, else kernel) */
	uint64_t tx;		/* kernel tx packets */
	int source;		/* which counter rx comes from; a change restarts */
	bool probing;		/* the probe rule is in force (probe sent) */
	bool probe_answered;	/* a probe reply arrived since the last sample */
};

enum wd_verdict {
	WD_V_OK,		/* receiving; after a stall: recovery proven */
	WD_V_QUIET,		/* not receiving, not (yet) a stall */
	WD_V_DOWN,		/* administratively down: not watched */
	WD_V_NO_CARRIER,	/* no carrier: reported, never reset */
	WD_V_STALLED,		/* the rule above holds */
};

struct wd_rule {
	uint32_t stall_after_ms;
	uint32_t recover_samples;	/* rx rule: consecutive samples that prove a recovery */
	bool primed;
	bool usable;		/* last sample was up with carrier */
	bool probing;		/* the rule of the last sample */
	bool suspect;		/* stalled and no recovery proven since */
	int source;
	uint32_t streak;	/* consecutive samples with rx advancing */
	uint64_t rx, tx;	/* last sample */
	uint64_t since;		/* start of the current window without proof */
	uint64_t tx_at_since;
};

void wd_rule_init(struct wd_rule *r, uint32_t stall_after_ms, uint32_t recover_samples);
/* Forget the window (after a ladder step or a new ifindex). */
void wd_rule_restart(struct wd_rule *r);
/* From now on OK needs a proven recovery (a manual reset ran). */
void wd_rule_expect_recovery(struct wd_rule *r);
enum wd_verdict wd_rule_sample(struct wd_rule *r, const struct wd_sample *s, uint64_t now);
/* ms without proof of receiving in the current window (0 before the
 * first sample). */
uint64_t wd_rule_quiet_ms(const struct wd_rule *r, uint64_t now);
/* Is a recovery under way but not yet proven (rx rule: rx advanced on the
 * last sample, fewer than recover_samples in a row)? */
bool wd_rule_recovering(const struct wd_rule *r);
const char *wd_verdict_name(enum wd_verdict v);

/*
 * When a ladder step has waited recover_wait for its proof: give up on it
 * and run the next, unless a recovery is under way, which gets `grace` ms
 * more (recover_samples intervals) to complete.
 */
bool wd_step_expired(uint64_t now, uint64_t deadline, bool recovering, uint64_t grace);

/*
 * Rate limiter over ladder runs ("episodes"). With k episodes started in
 * the last hour, the next may start when
 *   k < max_per_hour  and  now - last >= min_interval * backoff^(k-1)
 * (capped at an hour). A quiet hour therefore resets the backoff.
 */
enum wd_gate {
	WD_GATE_GO,		/* start a ladder now */
	WD_GATE_WAIT,		/* too soon: *wait_ms to go */
	WD_GATE_GIVE_UP,	/* hourly budget spent: give up */
};

struct wd_limiter {
	uint32_t min_interval_ms;
	uint32_t max_per_hour;
	uint32_t backoff;	/* factor >= 1 */
	uint64_t at[WD_MAX_PER_HOUR];	/* episode starts, oldest first */
	uint32_t n;
};

void wd_limiter_init(struct wd_limiter *l, uint32_t min_interval_ms, uint32_t max_per_hour, uint32_t backoff);
enum wd_gate wd_limiter_gate(struct wd_limiter *l, uint64_t now, uint64_t *wait_ms);
void wd_limiter_record(struct wd_limiter *l, uint64_t now);
/* Episodes in the last hour. */
uint32_t wd_limiter_recent(struct wd_limiter *l, uint64_t now);
const char *wd_gate_name(enum wd_gate g);

/* The ladder, cheapest first; disabled steps are skipped. */
enum wd_step {
	WD_STEP_NONE,		/* not in a ladder */
	WD_STEP_BOUNCE,		/* link down and up */
	WD_STEP_USB,		/* USBDEVFS_RESET of the adapter */
	WD_STEP_COMMAND,	/* the configured reset_command */
	WD_STEP_COUNT
};

/* The step after `cur` (WD_STEP_NONE: the first); WD_STEP_NONE when none
 * is left. */
enum wd_step wd_ladder_next(enum wd_step cur, bool bounce, bool usb, bool command);
const char *wd_step_name(enum wd_step s);

/*
 * Flaps. A stall that comes back within flap_window of a recovery
 * credited to step C is the same fault: the new ladder starts at the step
 * after C instead of the cheapest (at C again when C was the last). The
 * rate limiter still decides when that ladder may start.
 */
struct wd_flap {
	uint64_t credited_at;	/* ms of the last credited recovery; 0: none */
	enum wd_step credited;	/* the step it was credited to */
};

/* Is a stall at `now` a flap? */
bool wd_flap_is(const struct wd_flap *f, uint64_t now, uint32_t window_ms);
/* The first step of a ladder starting at `now`. */
enum wd_step wd_ladder_first(const struct wd_flap *f, uint64_t now, uint32_t window_ms, bool bounce, bool usb,
			     bool command);

#endif
