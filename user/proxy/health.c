// SPDX-License-Identifier: GPL-2.0-only
/*
 * health.c - passive health of upstream addresses.
 *
 * An upstream whose connect fails or times out goes down: balance.c
 * puts it after every usable upstream until its backoff is over, so a
 * dead first upstream costs one connection a connect_timeout, not every
 * connection. The backoff starts at health_backoff_min and doubles with
 * each failure in a row up to health_backoff_max. When it is over, the
 * upstream is usable again for a trial: the next connection picked for
 * it tries it; success brings it up, failure sends it down for twice as
 * long. When every upstream of a route is down they are all still
 * tried (in balance order), so a route is never refused on our word
 * alone. Every transition is logged; counters and the state are in the
 * metrics (proxy.c) and in `edgesteer status` (health_status()).
 *
 * An upstream under an active check (check.c sets u->check) goes down
 * at its first failed client connect too, but only its checks bring it
 * back: check_rise passes in a row, no backoff trial, and a client
 * connect that succeeds while it is down (every upstream was down) does
 * not count, since a tls check may fail where a TCP connect succeeds.
 * A failed check is logged when its reason is new (the first failure,
 * or another reason than the last), so an upstream that stays broken
 * for hours writes one line, not one per check_interval.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "proxy_int.h"

int health_up_index(struct front *f, const struct conf_addr *a)
{
	struct front_shared *sh = f->sh;
	int i, ret = -ENOMEM;

	/* the array moves only while every worker is parked (start,
	 * reload); the lock is for the fields other fronts may be changing
	 * when this runs without workers */
	pthread_mutex_lock(&sh->mu);
	for (i = 0; i < sh->n_ups; i++)
		if (!strcmp(sh->ups[i].text, a->text)) {
			sh->ups[i].addr = *a;	/* a name's literal twin keeps its text */
			ret = i;
			goto out;
		}
	if (sh->n_ups == sh->cap_ups) {
		int cap = sh->cap_ups ? sh->cap_ups * 2 : 8;
		struct up_state *v = realloc(sh->ups, sizeof(*v) * (size_t)cap);

		if (!v)
			goto out;
		sh->ups = v;
		sh->cap_ups = cap;
	}
	memset(&sh->ups[sh->n_ups], 0, sizeof(sh->ups[0]));
	snprintf(sh->ups[sh->n_ups].text, sizeof(sh->ups[0].text), "%s", a->text);
	sh->ups[sh->n_ups].addr = *a;
	ret = sh->n_ups++;
out:
	pthread_mutex_unlock(&sh->mu);
	front_share_sync(f);
	return ret;
}

void health_hold(struct front *f, int idx)
{
	pthread_mutex_lock(&f->sh->mu);
	f->ups[idx].active++;
	f->ups[idx].conns++;
	pthread_mutex_unlock(&f->sh->mu);
}

void health_unhold(struct front *f, int idx)
{
	pthread_mutex_lock(&f->sh->mu);
	f->ups[idx].active--;
	pthread_mutex_unlock(&f->sh->mu);
}

bool health_usable(const struct up_state *u, uint64_t now)
{
	return !u->down || now >= u->down_until;
}

static void failed_locked(struct front *f, int idx, const struct conf_proxy *px, uint64_t now, int err)
{
	struct up_state *u = &f->ups[idx];

	u->connect_fail++;
	u->fails++;
	if (!u->down) {
		u->down = true;
		u->down_since = now;
		u->downs++;
		u->backoff_ms = px->health_backoff_min_ms;
		u->ok_run = 0;
		if (u->check != CHECK_OFF) {
			/* with active checks, the checks bring it back */
			u->down_until = UINT64_MAX;
			pr_warn("[proxy %s] upstream %s: down (%s); skipped until %u checks pass, unless "
				"every upstream is down", f->name, u->text, strerror(err), px->check_rise);
			return;
		}
		pr_warn("[proxy %s] upstream %s: down (%s); skipped for %u ms unless every upstream is down",
			f->name, u->text, strerror(err), u->backoff_ms);
	} else if (u->check == CHECK_OFF && now >= u->down_until) {
		/* the trial after a backoff failed: twice as long */
		uint64_t b = (uint64_t)u->backoff_ms * 2;

		u->backoff_ms = (uint32_t)(b < px->health_backoff_max_ms ? b : px->health_backoff_max_ms);
		pr_info("[proxy %s] upstream %s: still down (%s, %u failures in a row); next trial in %u ms",
			f->name, u->text, strerror(err), u->fails, u->backoff_ms);
	} else {
		return;	/* tried while down because all were down: the backoff stands */
	}
	u->down_until = now + u->backoff_ms;
}

static void ok_locked(struct front *f, int idx, uint64_t now)
{
	struct up_state *u = &f->ups[idx];

	if (u->down && u->check != CHECK_OFF)
		return;		/* its checks bring it back */
	if (u->down)
		pr_warn("[proxy %s] upstream %s: up again after %u failed connects and %llu ms down",
			f->name, u->text, u->fails, (unsigned long long)(now - u->down_since));
	u->down = false;
	u->fails = 0;
	u->down_until = 0;
	u->backoff_ms = 0;
}

static void check_result_locked(struct front *f, int idx, const struct conf_proxy *px, uint64_t now,
				bool ok, const char *why)
{
	struct up_state *u = &f->ups[idx];
	bool first = !u->checks;

	u->checks++;
	u->last_check = now;
	if (ok) {
		if (!first && !u->last_ok && !u->down)
			pr_info("[proxy %s] upstream %s check passed after %u failed", f->name, u->text,
				u->fail_run);
		u->last_ok = true;
		u->last_why[0] = 0;
		u->fail_run = 0;
		u->ok_run++;
		if (u->down && u->ok_run >= px->check_rise) {
			pr_warn("[proxy %s] upstream %s: up again, %u checks passed (%llu ms down)", f->name,
				u->text, u->ok_run, (unsigned long long)(now - u->down_since));
			u->down = false;
			u->fails = 0;
			u->down_until = 0;
			u->backoff_ms = 0;
		}
		return;
	}
	why = why ? why : "unknown";
	if (u->last_ok || first || strncmp(u->last_why, why, sizeof(u->last_why) - 1))
		pr_warn("[proxy %s] upstream %s check failed: %s", f->name, u->text, why);
	else
		pr_debug("[proxy %s] upstream %s check failed again (%u in a row): %s", f->name, u->text,
			 u->fail_run + 1, why);
	snprintf(u->last_why, sizeof(u->last_why), "%s", why);
	u->last_ok = false;
	u->check_fail++;
	u->ok_run = 0;
	u->fail_run++;
	if (u->down || u->fail_run < px->check_fall)
		return;
	u->down = true;
	u->down_since = now;
	u->downs++;
	u->down_until = UINT64_MAX;	/* until the checks pass */
	pr_warn("[proxy %s] upstream %s: down, %u checks failed (%s); skipped until %u pass, unless "
		"every upstream is down", f->name, u->text, u->fail_run, why, px->check_rise);
}

static const char *const check_word[] = { "off", "tcp", "tls" };

size_t health_status(const struct front *f, uint64_t now, char *buf, size_t len)
{
	size_t off = 0;

	pthread_mutex_lock(&f->sh->mu);	/* worker 0's checks write these */
	for (int i = 0; i < f->n_ups; i++) {
		const struct up_state *u = &f->ups[i];
		char state[48], chk[480];
		int w;

		if (u->down)
			snprintf(state, sizeof(state), "down for %llu s",
				 (unsigned long long)((now - u->down_since) / 1000));
		else
			snprintf(state, sizeof(state), "up");
		if (u->check == CHECK_OFF)
			snprintf(chk, sizeof(chk), "no active check, %u failed connects in a row", u->fails);
		else if (!u->checks)
			snprintf(chk, sizeof(chk), "check %s: none yet", check_word[u->check]);
		else if (u->last_ok)
			snprintf(chk, sizeof(chk), "check %s: passed, %u in a row, last %llu ms ago",
				 check_word[u->check], u->ok_run, (unsigned long long)(now - u->last_check));
		else
			snprintf(chk, sizeof(chk), "check %s: failed, %u in a row, last %llu ms ago: %s",
				 check_word[u->check], u->fail_run, (unsigned long long)(now - u->last_check),
				 u->last_why);
		w = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0,
			     "upstream %s/%s: %s, %s\n", f->name, u->text, state, chk);
		off += w > 0 ? (size_t)w : 0;
	}
	pthread_mutex_unlock(&f->sh->mu);
	return off;
}

/* Workers share f->sh: every change of an upstream's state under its lock. */
void health_failed(struct front *f, int idx, const struct conf_proxy *px, uint64_t now, int err)
{
	pthread_mutex_lock(&f->sh->mu);
	failed_locked(f, idx, px, now, err);
	pthread_mutex_unlock(&f->sh->mu);
}

void health_ok(struct front *f, int idx, uint64_t now)
{
	pthread_mutex_lock(&f->sh->mu);
	ok_locked(f, idx, now);
	pthread_mutex_unlock(&f->sh->mu);
}

void health_check_result(struct front *f, int idx, const struct conf_proxy *px, uint64_t now, bool ok,
			 const char *why)
{
	pthread_mutex_lock(&f->sh->mu);
	check_result_locked(f, idx, px, now, ok, why);
	pthread_mutex_unlock(&f->sh->mu);
}
