// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watchdog's pure decisions with an injected clock: the stall rule,
 * the rate limiter with backoff, the ladder order.
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

	wd_rule_init(&r, SA);
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

	wd_rule_init(&r, SA);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 5, .tx = tx }, now);
	EXPECT_EQ(run_flat(&r, &now, 100, 5, &tx, 0, NULL), WD_V_QUIET);
}

/* tx that moved only before the window began does not count. */
TEST(tx_must_grow_inside_the_window)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 7;

	wd_rule_init(&r, SA);
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 5, .tx = 1 }, now);
	/* rx and tx move together, then both stop */
	wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 6, .tx = tx }, now += IV);
	EXPECT_EQ(run_flat(&r, &now, 60, 6, &tx, 0, NULL), WD_V_QUIET);
	/* one more sent packet with the window long full: now it is a stall */
	tx++;
	EXPECT_EQ(wd_rule_sample(&r, &(struct wd_sample){ .up = 1, .carrier = 1, .rx = 6, .tx = tx }, now += IV), WD_V_STALLED);
}

TEST(answered_probe_keeps_a_quiet_link_alive)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0;
	int i;

	wd_rule_init(&r, SA);
	for (i = 0; i < 120; i++) {
		struct wd_sample s = smp(0, tx += 1);

		s.probe_answered = true;
		EXPECT_NE(wd_rule_sample(&r, &s, now += IV), WD_V_STALLED);
	}
	/* the neighbour stops answering: stalled after one window */
	EXPECT_EQ(run_flat(&r, &now, SA / IV, 0, &tx, 1, NULL), WD_V_STALLED);
}

TEST(carrier_loss_and_down_are_never_a_stall)
{
	struct wd_rule r;
	uint64_t now = 0, tx = 0;
	int i;

	wd_rule_init(&r, SA);
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

	wd_rule_init(&r, SA);
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
