// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watchdog's pure decisions with an injected clock: the stall rule
 * (probe rule, rx rule, proven recoveries), the rate limiter with
 * backoff, the ladder order and flaps.
 */
#include "harness.h"

#include "watchdog/wdpolicy.h"

#define IV 1000		/* interval */
#define SA 30000	/* stall_after */

static struct wd_sample smp(uint64_t rx, uint64_t tx)
{
	struct wd_sample s = { .up = true, .carrier = true, .rx = rx, .tx = tx };

	return s;
}

/* Feed `n` samples one interval apart with rx flat and tx += dtx each. */
static enum wd_verdict run_flat(struct wd_rule *r, uint64_t *now, int n, uint64_t rx, uint64_t *tx,
				uint64_t dtx, uint64_t *stalled_at)
{
	enum wd_verdict v = WD_V_QUIET;
	int i;

	for (i = 0; i < n; i++) {
		*now += IV;
		*tx += dtx;
		v = wd_rule_sample(r, &(struct wd_sample){ .up = true, .carrier = true, .rx = rx, .tx = *tx }, *now);
		if (v == WD_V_STALLED && stalled_at && !*stalled_at)
			*stalled_at = *now;
	}
	return v;
}

TEST(stall_after_window_with_tx)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 100, at = 0;

	wd_rule_init(&r, SA, 1);
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 50, .tx = tx }, now), WD_V_QUIET);
	/* receiving */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 60, .tx = tx }, now += IV), WD_V_OK);
	/* rx stops, tx goes on: stalled exactly when the window is full */
	EXPECT_EQ(run_flat(&r, &now, 40, 60, &tx, 3, &at), WD_V_STALLED);
	EXPECT_EQ(at, IV + SA);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 40 * IV);
	/* packets back: ok, window restarts */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 61, .tx = tx }, now += IV), WD_V_OK);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
}

TEST(quiet_without_tx_is_not_a_stall)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 7;

	wd_rule_init(&r, SA, 1);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 5, .tx = tx }, now);
	EXPECT_EQ(run_flat(&r, &now, 100, 5, &tx, 0, NULL), WD_V_QUIET);
}

/* tx that moved only before the window began does not count. */
TEST(tx_must_grow_inside_the_window)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 7;

	wd_rule_init(&r, SA, 1);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 5, .tx = 1 }, now);
	/* rx and tx move together, then both stop */
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 6, .tx = tx }, now += IV);
	EXPECT_EQ(run_flat(&r, &now, 60, 6, &tx, 0, NULL), WD_V_QUIET);
	/* one more sent packet with the window long full: now it is a stall */
	tx++;
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 6, .tx = tx }, now += IV), WD_V_STALLED);
}

/* One sample under the probe rule. */
static enum wd_verdict probe_smp(struct wd_rule *r, uint64_t now, uint64_t rx, uint64_t tx, bool answered)
{
	struct wd_sample s = smp(rx, tx);

	s.probing = true;
	s.probe_answered = answered;
	return wd_rule_sample(r, &s, now);
}

TEST(answered_probe_keeps_a_quiet_link_alive)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0;
	int i;

	wd_rule_init(&r, SA, 5);
	for (i = 0; i < 120; i++)
		EXPECT_NE(probe_smp(&r, now += IV, 0, tx += 1, true), WD_V_STALLED);
	/* the neighbour stops answering: stalled after one window */
	for (i = 0; i < SA / IV - 1; i++)
		EXPECT_EQ(probe_smp(&r, now += IV, 0, tx += 1, false), WD_V_QUIET);
	EXPECT_EQ(probe_smp(&r, now += IV, 0, tx += 1, false), WD_V_STALLED);
}

/* A neighbour that keeps sending (a beacon every sample) while the probe
 * goes unanswered: the probe rule declares the stall anyway. */
TEST(probe_rule_chattering_peer_does_not_hide_a_stall)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0, rx = 0, at = 0;
	enum wd_verdict v;
	int i;

	wd_rule_init(&r, SA, 5);
	EXPECT_EQ(probe_smp(&r, now, rx, tx, true), WD_V_OK);
	for (i = 0; i < SA / IV + 5; i++) {
		v = probe_smp(&r, now += IV, rx += 1, tx += 1, false);
		if (v == WD_V_STALLED && !at)
			at = now;
		EXPECT_NE(v, WD_V_OK);
	}
	EXPECT_EQ(at, SA);
	/* rx without tx in the window is still not a stall: the host did not try */
	wd_rule_init(&r, SA, 5);
	probe_smp(&r, now, rx, tx, true);
	for (i = 0; i < 2 * SA / IV; i++)
		EXPECT_EQ(probe_smp(&r, now += IV, rx += 3, tx, false), WD_V_QUIET);
}

/* After a stall, rx (however much) is not a recovery; an answer is. */
TEST(probe_rule_recovery_is_the_probe_answered_again)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0, rx = 0;
	int i;

	wd_rule_init(&r, SA, 5);
	probe_smp(&r, now, rx, tx, true);
	for (i = 0; i < SA / IV; i++)
		probe_smp(&r, now += IV, rx, tx += 1, false);
	EXPECT_EQ(probe_smp(&r, now += IV, rx, tx += 1, false), WD_V_STALLED);
	/* a ladder step ran: a new baseline; traffic floods back, unanswered */
	wd_rule_restart(&r);
	for (i = 0; i < 20; i++)
		EXPECT_EQ(probe_smp(&r, now += IV, rx += 100, tx += 1, false), WD_V_QUIET);
	EXPECT_FALSE(wd_rule_recovering(&r));
	EXPECT_EQ(probe_smp(&r, now += IV, rx, tx += 1, true), WD_V_OK);
	/* and the first sample after a restart may prove it too */
	for (i = 0; i <= SA / IV; i++)
		probe_smp(&r, now += IV, rx, tx += 1, false);
	wd_rule_restart(&r);
	EXPECT_EQ(probe_smp(&r, now += IV, rx, tx += 1, true), WD_V_OK);
}

/* Under the rx rule, a burst of stray frames after a stall (DAD, MLD, RS
 * after a link bounce) neither proves a recovery nor restarts the window. */
TEST(rx_rule_stray_frames_after_a_stall_are_not_a_recovery)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 10, rx = 5;
	int i;

	wd_rule_init(&r, SA, 3);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx, .tx = tx }, now);
	EXPECT_EQ(run_flat(&r, &now, SA / IV, rx, &tx, 1, NULL), WD_V_STALLED);
	/* two samples with frames, then nothing */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 2, .tx = tx += 1 },
				 now += IV), WD_V_QUIET);
	EXPECT_TRUE(wd_rule_recovering(&r));
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx += 1 },
				 now += IV), WD_V_QUIET);
	/* the burst ends: the window was never restarted, so still stalled */
	EXPECT_EQ(run_flat(&r, &now, 1, rx, &tx, 1, NULL), WD_V_STALLED);
	EXPECT_FALSE(wd_rule_recovering(&r));
	EXPECT_GE(wd_rule_quiet_ms(&r, now), SA);
	/* an interrupted run starts counting again */
	for (i = 0; i < 2; i++)
		wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx += 1 }, now += IV);
	run_flat(&r, &now, 1, rx, &tx, 1, NULL);
	for (i = 0; i < 2; i++)
		EXPECT_NE(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx += 1 },
					 now += IV), WD_V_OK);
	/* the third advancing sample in a row proves it */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx += 1 },
				 now += IV), WD_V_OK);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
	/* healthy again: one packet is enough to restart the window */
	EXPECT_EQ(run_flat(&r, &now, 5, rx, &tx, 1, NULL), WD_V_QUIET);
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx += 1 },
				 now += IV), WD_V_OK);
}

/* A manual reset asks for the same proof as a ladder step. */
TEST(rx_rule_expect_recovery_after_a_manual_reset)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 10, rx = 5;
	int i;

	wd_rule_init(&r, SA, 4);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx, .tx = tx }, now);
	wd_rule_restart(&r);
	wd_rule_expect_recovery(&r);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx, .tx = tx }, now += IV);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx },
					 now += IV), WD_V_QUIET);
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = rx += 1, .tx = tx }, now += IV),
		  WD_V_OK);
}

/* Switching between the rules (the probe became sendable, or stopped
 * being) is a new baseline, never an instant stall. */
TEST(switching_rules_restarts_the_window)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 10;

	wd_rule_init(&r, SA, 5);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 5, .tx = tx }, now);
	EXPECT_EQ(run_flat(&r, &now, SA / IV - 1, 5, &tx, 1, NULL), WD_V_QUIET);
	EXPECT_EQ(probe_smp(&r, now += IV, 5, tx += 1, false), WD_V_QUIET);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
	EXPECT_TRUE(r.probing);
	EXPECT_EQ(run_flat(&r, &now, 1, 5, &tx, 1, NULL), WD_V_QUIET);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
	EXPECT_FALSE(r.probing);
}

TEST(a_step_expires_after_recover_wait_unless_a_recovery_is_under_way)
{
	EXPECT_FALSE(wd_step_expired(999, 1000, false, 500));
	EXPECT_TRUE(wd_step_expired(1000, 1000, false, 500));
	EXPECT_FALSE(wd_step_expired(1000, 1000, true, 500));
	EXPECT_FALSE(wd_step_expired(1499, 1000, true, 500));
	EXPECT_TRUE(wd_step_expired(1500, 1000, true, 500));
}

TEST(flap_continues_the_ladder_at_the_next_step)
{
	struct wd_flap f = { 0 };
	const uint32_t win = 300000;

	/* no credited recovery: the cheapest step */
	EXPECT_FALSE(wd_flap_is(&f, 1000, win));
	EXPECT_EQ(wd_ladder_first(&f, 1000, win, true, true, true), WD_STEP_BOUNCE);
	f.credited_at = 10000;
	f.credited = WD_STEP_BOUNCE;
	EXPECT_TRUE(wd_flap_is(&f, 10000, win));
	EXPECT_TRUE(wd_flap_is(&f, 10000 + win - 1, win));
	EXPECT_FALSE(wd_flap_is(&f, 10000 + win, win));
	EXPECT_FALSE(wd_flap_is(&f, 9999, win));	/* a clock before the credit: not a flap */
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, true, true, true), WD_STEP_USB);
	EXPECT_EQ(wd_ladder_first(&f, 10000 + win, win, true, true, true), WD_STEP_BOUNCE);
	f.credited = WD_STEP_USB;
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, true, true, true), WD_STEP_COMMAND);
	/* the strongest step was credited: it again */
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, true, true, false), WD_STEP_USB);
	f.credited = WD_STEP_COMMAND;
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, true, true, true), WD_STEP_COMMAND);
	/* a reload disabled it meanwhile: the strongest still enabled */
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, true, false, false), WD_STEP_BOUNCE);
	EXPECT_EQ(wd_ladder_first(&f, 20000, win, false, false, false), WD_STEP_NONE);
	/* flap_window = 0 turns flaps off */
	EXPECT_FALSE(wd_flap_is(&f, 10000, 0));
}

TEST(carrier_loss_and_down_are_never_a_stall)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0;
	int i;

	wd_rule_init(&r, SA, 1);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1 }, now);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 0, .tx = tx += 5 }, now += IV),
			  WD_V_NO_CARRIER);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 0, .tx = tx += 5 }, now += IV), WD_V_DOWN);
	/* carrier back: the window starts afresh, no instant stall */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .tx = tx += 5 }, now += IV), WD_V_QUIET);
	EXPECT_EQ(run_flat(&r, &now, SA / IV - 1, 0, &tx, 1, NULL), WD_V_QUIET);
	EXPECT_EQ(run_flat(&r, &now, 1, 0, &tx, 1, NULL), WD_V_STALLED);
}

TEST(counter_reset_or_new_source_restarts)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 10;

	wd_rule_init(&r, SA, 1);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 1000, .tx = tx }, now);
	EXPECT_EQ(run_flat(&r, &now, SA / IV - 1, 1000, &tx, 1, NULL), WD_V_QUIET);
	/* re-attached program: counters restart from 0, not a stall, not ok */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 0, .tx = tx }, now += IV), WD_V_QUIET);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
	/* a switch from the XDP counter to the kernel's: also a new baseline */
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 9999, .tx = tx, .source = 1 },
				 now += IV), WD_V_QUIET);
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 10000, .tx = tx, .source = 1 },
				 now += IV), WD_V_OK);
	/* an explicit restart (after a ladder step) */
	run_flat(&r, &now, 10, 10000, &tx, 1, NULL);
	wd_rule_restart(&r);
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 10000, .tx = tx, .source = 1 },
				 now += IV), WD_V_QUIET);
	EXPECT_EQ(wd_rule_quiet_ms(&r, now), 0);
}

TEST(limiter_min_interval_backoff_and_hourly_cap)
{
	static struct wd_limiter l;
	uint64_t now = 1000000, wait;

	wd_limiter_init(&l, 60000, 4, 2);
	ASSERT_EQ(wd_limiter_gate(&l, now, &wait), WD_GATE_GO);
	wd_limiter_record(&l, now);
	/* second: after min_interval */
	EXPECT_EQ(wd_limiter_gate(&l, now + 59999, &wait), WD_GATE_WAIT);
	EXPECT_EQ(wait, 1);
	EXPECT_EQ(wd_limiter_gate(&l, now + 60000, &wait), WD_GATE_GO);
	now += 60000;
	wd_limiter_record(&l, now);
	/* third: after 2 x min_interval */
	EXPECT_EQ(wd_limiter_gate(&l, now + 60000, &wait), WD_GATE_WAIT);
	EXPECT_EQ(wait, 60000);
	EXPECT_EQ(wd_limiter_gate(&l, now + 120000, &wait), WD_GATE_GO);
	now += 120000;
	wd_limiter_record(&l, now);
	/* fourth: after 4 x */
	EXPECT_EQ(wd_limiter_gate(&l, now + 239999, &wait), WD_GATE_WAIT);
	EXPECT_EQ(wd_limiter_gate(&l, now + 240000, &wait), WD_GATE_GO);
	now += 240000;
	wd_limiter_record(&l, now);
	EXPECT_EQ(wd_limiter_recent(&l, now), 4);
	/* fifth within the hour: give up */
	EXPECT_EQ(wd_limiter_gate(&l, now + 600000, &wait), WD_GATE_GIVE_UP);
	/* an hour after the first, one slot frees; backoff follows the count */
	EXPECT_EQ(wd_limiter_gate(&l, 1000000 + WD_HOUR_MS, &wait), WD_GATE_GO);
	EXPECT_EQ(wd_limiter_recent(&l, 1000000 + WD_HOUR_MS), 3);
	/* a quiet hour resets everything */
	EXPECT_EQ(wd_limiter_recent(&l, now + WD_HOUR_MS), 0);
	EXPECT_EQ(wd_limiter_gate(&l, now + WD_HOUR_MS, &wait), WD_GATE_GO);
}

/* Simulate a persistent stall for 3 hours: never more than the cap per
 * hour and never two runs closer than min_interval. */
TEST(persistent_stall_never_flaps)
{
	static struct wd_limiter l;
	uint64_t now, wait, last = 0, runs[64];
	int n = 0, i, j;

	wd_limiter_init(&l, 60000, 4, 2);
	for (now = 0; now < 3 * WD_HOUR_MS; now += 1000) {
		if (wd_limiter_gate(&l, now, &wait) == WD_GATE_GO) {
			ASSERT_LT(n, 64);
			if (n)
				EXPECT_GE(now - last, 60000);
			wd_limiter_record(&l, now);
			runs[n++] = last = now;
		}
	}
	for (i = 0; i < n; i++) {
		int in_hour = 0;

		for (j = 0; j < n; j++)
			in_hour += runs[j] >= runs[i] && runs[j] < runs[i] + WD_HOUR_MS;
		EXPECT_LE(in_hour, 4);
	}
	/* at most the hourly cap per hour, and the budget does reopen */
	EXPECT_LE(n, 3 * 4);
	EXPECT_GT(n, 4);
}

TEST(limiter_zero_budget_and_no_backoff)
{
	static struct wd_limiter l;
	uint64_t wait;

	wd_limiter_init(&l, 1000, 0, 2);
	EXPECT_EQ(wd_limiter_gate(&l, 5, &wait), WD_GATE_GIVE_UP);
	wd_limiter_init(&l, 1000, 10, 1);
	wd_limiter_record(&l, 0);
	wd_limiter_record(&l, 1000);
	wd_limiter_record(&l, 2000);
	EXPECT_EQ(wd_limiter_gate(&l, 2999, &wait), WD_GATE_WAIT);
	EXPECT_EQ(wd_limiter_gate(&l, 3000, &wait), WD_GATE_GO);
	/* a huge factor caps at an hour instead of overflowing */
	wd_limiter_init(&l, 3000000, 100, 1000);
	for (int i = 0; i < 10; i++)
		wd_limiter_record(&l, (uint64_t)i);
	EXPECT_EQ(wd_limiter_gate(&l, 100, &wait), WD_GATE_WAIT);
	EXPECT_EQ(wait, WD_HOUR_MS + 9 - 100);
}

TEST(ladder_order_cheapest_first)
{
	EXPECT_EQ(wd_ladder_next(WD_STEP_NONE, true, true, true), WD_STEP_BOUNCE);
	EXPECT_EQ(wd_ladder_next(WD_STEP_BOUNCE, true, true, true), WD_STEP_USB);
	EXPECT_EQ(wd_ladder_next(WD_STEP_USB, true, true, true), WD_STEP_COMMAND);
	EXPECT_EQ(wd_ladder_next(WD_STEP_COMMAND, true, true, true), WD_STEP_NONE);
	EXPECT_EQ(wd_ladder_next(WD_STEP_NONE, false, true, false), WD_STEP_USB);
	EXPECT_EQ(wd_ladder_next(WD_STEP_USB, false, true, false), WD_STEP_NONE);
	EXPECT_EQ(wd_ladder_next(WD_STEP_NONE, false, false, true), WD_STEP_COMMAND);
	EXPECT_EQ(wd_ladder_next(WD_STEP_NONE, false, false, false), WD_STEP_NONE);
	EXPECT_STREQ(wd_step_name(WD_STEP_USB), "usb-reset");
	EXPECT_STREQ(wd_verdict_name(WD_V_NO_CARRIER), "no-carrier");
}

TEST_HARNESS_MAIN
