// SPDX-License-Identifier: GPL-2.0-only
/*
 * wdpolicy.c - stall rule, reset rate limiter, recovery ladder (pure).
 * The rules are stated in wdpolicy.h; this file only implements them.
 */
#include <string.h>

#include "wdpolicy.h"

void wd_rule_init(struct wd_rule *r, uint32_t stall_after_ms, uint32_t recover_samples)
{
	memset(r, 0, sizeof(*r));
	r->stall_after_ms = stall_after_ms;
	r->recover_samples = recover_samples ? recover_samples : 1;
}

void wd_rule_restart(struct wd_rule *r)
{
	r->primed = false;
}

void wd_rule_expect_recovery(struct wd_rule *r)
{
	r->suspect = true;
	r->streak = 0;
}

static void window_restart(struct wd_rule *r, const struct wd_sample *s, uint64_t now)
{
	r->since = now;
	r->tx_at_since = s->tx;
}

/* Up with carrier on a primed rule: does this sample prove receiving? */
static bool proof(struct wd_rule *r, const struct wd_sample *s)
{
	if (s->probing)
		return s->probe_answered;
	r->streak = s->rx > r->rx ? r->streak + 1 : 0;
	/* after a stall one burst is not enough */
	return r->streak && (!r->suspect || r->streak >= r->recover_samples);
}

static enum wd_verdict judge(struct wd_rule *r, const struct wd_sample *s, uint64_t now)
{
	if (!s->up || !s->carrier) {
		window_restart(r, s, now);
		r->streak = 0;
		return !s->up ? WD_V_DOWN : WD_V_NO_CARRIER;
	}
	if (proof(r, s)) {
		window_restart(r, s, now);
		r->suspect = false;
		return WD_V_OK;
	}
	if (!r->usable) {
		/* up with carrier again: the window starts now */
		window_restart(r, s, now);
		return WD_V_QUIET;
	}
	/* a recovery under way (rx rule) is not judged before it completes */
	if (now - r->since >= r->stall_after_ms && s->tx > r->tx_at_since && !r->streak) {
		r->suspect = true;
		return WD_V_STALLED;
	}
	return WD_V_QUIET;
}

enum wd_verdict wd_rule_sample(struct wd_rule *r, const struct wd_sample *s, uint64_t now)
{
	enum wd_verdict v;

	if (!r->primed || s->source != r->source || s->rx < r->rx || s->tx < r->tx || s->probing != r->probing) {
		/* first look, new source, new rule or counters reset: a new
		 * baseline; only an answered probe proves anything yet */
		r->primed = true;
		r->source = s->source;
		r->streak = 0;
		window_restart(r, s, now);
		v = !s->up ? WD_V_DOWN : !s->carrier ? WD_V_NO_CARRIER : s->probing && s->probe_answered ? WD_V_OK : WD_V_QUIET;
		if (v == WD_V_OK)
			r->suspect = false;
	} else {
		v = judge(r, s, now);
	}
	r->rx = s->rx;
	r->tx = s->tx;
	r->probing = s->probing;
	r->usable = s->up && s->carrier;
	return v;
}

bool wd_rule_recovering(const struct wd_rule *r)
{
	return r->suspect && !r->probing && r->streak > 0;
}

bool wd_step_expired(uint64_t now, uint64_t deadline, bool recovering, uint64_t grace)
{
	return now >= deadline && (!recovering || now >= deadline + grace);
}

uint64_t wd_rule_quiet_ms(const struct wd_rule *r, uint64_t now)
{
	return r->primed && now > r->since ? now - r->since : 0;
}

const char *wd_verdict_name(enum wd_verdict v)
{
	static const char *const names[] = {
		[WD_V_OK] = "ok", [WD_V_QUIET] = "quiet", [WD_V_DOWN] = "down",
		[WD_V_NO_CARRIER] = "no-carrier", [WD_V_STALLED] = "stalled",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

void wd_limiter_init(struct wd_limiter *l, uint32_t min_interval_ms, uint32_t max_per_hour, uint32_t backoff)
{
	memset(l, 0, sizeof(*l));
	l->min_interval_ms = min_interval_ms;
	l->max_per_hour = max_per_hour > WD_MAX_PER_HOUR ? WD_MAX_PER_HOUR : max_per_hour;
	l->backoff = backoff ? backoff : 1;
}

/* Drop episodes older than an hour. */
static void prune(struct wd_limiter *l, uint64_t now)
{
	uint32_t i = 0;

	while (i < l->n && now - l->at[i] >= WD_HOUR_MS)
		i++;
	if (i) {
		memmove(l->at, l->at + i, (l->n - i) * sizeof(l->at[0]));
		l->n -= i;
	}
}

uint32_t wd_limiter_recent(struct wd_limiter *l, uint64_t now)
{
	prune(l, now);
	return l->n;
}

enum wd_gate wd_limiter_gate(struct wd_limiter *l, uint64_t now, uint64_t *wait_ms)
{
	uint64_t gap, last;
	uint32_t k;

	*wait_ms = 0;
	prune(l, now);
	if (l->n >= l->max_per_hour)
		return WD_GATE_GIVE_UP;
	if (!l->n)
		return WD_GATE_GO;
	gap = l->min_interval_ms;
	for (k = 1; k < l->n && gap < WD_HOUR_MS; k++)
		gap *= l->backoff;
	if (gap > WD_HOUR_MS)
		gap = WD_HOUR_MS;
	last = l->at[l->n - 1];
	if (now - last >= gap)
		return WD_GATE_GO;
	*wait_ms = last + gap - now;
	return WD_GATE_WAIT;
}

void wd_limiter_record(struct wd_limiter *l, uint64_t now)
{
	prune(l, now);
	if (l->n == WD_MAX_PER_HOUR) {
		memmove(l->at, l->at + 1, (l->n - 1) * sizeof(l->at[0]));
		l->n--;
	}
	l->at[l->n++] = now;
}

const char *wd_gate_name(enum wd_gate g)
{
	return g == WD_GATE_GO ? "go" : g == WD_GATE_WAIT ? "wait" : "give-up";
}

enum wd_step wd_ladder_next(enum wd_step cur, bool bounce, bool usb, bool command)
{
	bool enabled[WD_STEP_COUNT] = { false, bounce, usb, command };
	int s;

	for (s = (int)cur + 1; s < WD_STEP_COUNT; s++)
		if (enabled[s])
			return (enum wd_step)s;
	return WD_STEP_NONE;
}

const char *wd_step_name(enum wd_step s)
{
	static const char *const names[] = {
		[WD_STEP_NONE] = "none", [WD_STEP_BOUNCE] = "link-bounce",
		[WD_STEP_USB] = "usb-reset", [WD_STEP_COMMAND] = "reset-command",
	};

	return (unsigned)s < WD_STEP_COUNT ? names[s] : "?";
}

bool wd_flap_is(const struct wd_flap *f, uint64_t now, uint32_t window_ms)
{
	return f->credited_at && now >= f->credited_at && now - f->credited_at < window_ms;
}

enum wd_step wd_ladder_first(const struct wd_flap *f, uint64_t now, uint32_t window_ms, bool bounce, bool usb,
			     bool command)
{
	bool enabled[WD_STEP_COUNT] = { false, bounce, usb, command };
	enum wd_step s;
	int top;

	if (!wd_flap_is(f, now, window_ms))
		return wd_ladder_next(WD_STEP_NONE, bounce, usb, command);
	s = wd_ladder_next(f->credited, bounce, usb, command);
	if (s != WD_STEP_NONE)
		return s;
	/* the credited step was the strongest: it again */
	for (top = WD_STEP_COUNT - 1; top > WD_STEP_NONE; top--)
		if (enabled[top])
			return (enum wd_step)top;
	return WD_STEP_NONE;
}
