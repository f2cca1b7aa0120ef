/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wdpolicy.h - the watchdog's decisions as pure code: the stall rule, the
 * reset rate limiter and the recovery ladder. No I/O and no clock of its
 * own: every function takes `now` (ms), so the unit tests drive hours of
 * behaviour in microseconds. watchdog.c feeds it samples and acts.
 *
 * The stall rule, exactly (one sample per interval):
 *   - interface administratively down          -> DOWN (window restarts)
 *   - carrier lost                             -> NO_CARRIER (restarts)
 *   - first sample up with carrier after those -> QUIET (restarts)
 *   - rx counter advanced, or a probe answered -> OK (window restarts)
 *   - otherwise, with W = now - (last rx advance, probe answer or restart):
 *       STALLED when W >= stall_after and the kernel's tx counter grew
 *       during W (the host kept trying to send); QUIET otherwise.
 *   A counter that goes backwards (re-attached program, new ifindex) or a
 *   change of counter source restarts the window instead of counting.
 *   With a probe configured the probe's echo requests are tx and its
 *   replies are rx, so a quiet network whose neighbour answers never
 *   stalls, and an unanswered probe on a quiet network does.
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
	bool probe_answered;	/* a probe reply arrived since the last sample */
};

enum wd_verdict {
	WD_V_OK,		/* receiving (rx advanced or probe answered) */
	WD_V_QUIET,		/* not receiving, not (yet) a stall */
	WD_V_DOWN,		/* administratively down: not watched */
	WD_V_NO_CARRIER,	/* no carrier: reported, never reset */
	WD_V_STALLED,		/* the rule above holds */
};

struct wd_rule {
	uint32_t stall_after_ms;
	bool primed;
	bool usable;		/* last sample was up with carrier */
	int source;
	uint64_t rx, tx;	/* last sample */
	uint64_t since;		/* start of the current window without rx */
	uint64_t tx_at_since;
};

void wd_rule_init(struct wd_rule *r, uint32_t stall_after_ms);
/* Forget the window (after a ladder step or a new ifindex). */
void wd_rule_restart(struct wd_rule *r);
enum wd_verdict wd_rule_sample(struct wd_rule *r, const struct wd_sample *s, uint64_t now);
/* ms without rx in the current window (0 before the first sample). */
uint64_t wd_rule_quiet_ms(const struct wd_rule *r, uint64_t now);
const char *wd_verdict_name(enum wd_verdict v);

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

#endif
