// SPDX-License-Identifier: GPL-2.0-only
/*
 * pipe.c - the pipes splice(2) moves bytes through: a pool per front,
 * and pipes that grow for elephant flows within one global budget.
 *
 * How it works. Every pipe starts at the front's pipe_size (64 KiB by
 * default). A half (one direction of a connection, conn.c) takes a pipe
 * from its front's pool when it starts moving bytes and gives it back
 * as soon as the pipe is empty, so an idle connection holds none.
 *
 * A half whose splices keep filling its pipe (half of it or more,
 * PIPE_GROW_AFTER times in a row) is an elephant flow: each wakeup moves
 * a pipe's worth and would move more, so a bigger pipe moves the same
 * bytes with fewer splices and wakeups. Its pipe then doubles
 * (F_SETPIPE_SZ), up to PIPE_GROW_MAX, as long as the bytes all grown
 * pipes hold beyond their starting size stay within [global]
 * pipe_memory_max; a grow the budget refuses is counted and the pipe
 * keeps its size. A grown pipe stays with its half while empty (it is
 * likely to fill again at the next wakeup); a timer shrinks it back to
 * pipe_size once it has not been filled for PIPE_QUIET_MS, and hands it
 * back to the pool if it is empty, so the budget goes to the flows that
 * are moving now. A pipe that goes back to the pool is always shrunk
 * first: the pool only holds pipes of the front's pipe_size.
 *
 * The pool keeps as many pipes as there are open connections, plus
 * POOL_SPARE for a while after a connection closes: one connection at
 * a time would otherwise pay pipe2, F_SETPIPE_SZ and two closes each
 * (4 of its ~26 syscalls). The same timer trims the spares once they
 * have been idle for PIPE_QUIET_MS, so an idle proxy holds no pipe.
 *
 * The budget counts capacity, not pages in use: an empty pipe costs
 * almost nothing, but one whose reader stalls can hold its whole
 * capacity, and that is what an operator must be able to bound. It is
 * one counter for the process, updated atomically, so that event loops
 * on several threads can share it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_int.h"
#include "core/log.h"

#define POOL_MAX	 64		/* idle pipes kept per [proxy] */
#define POOL_SPARE	 4		/* beyond the open connections, for PIPE_QUIET_MS */
#define PIPE_GROW_AFTER	 4		/* filling splices in a row before a pipe doubles */
#define PIPE_GROW_MAX	 (1u << 20)	/* /proc/sys/fs/pipe-max-size's default */
#define PIPE_QUIET_MS	 1000		/* a grown pipe not filled this long shrinks */

static struct {
	uint64_t max, used, peak;
} g_budget;

void pipe_budget_set(uint64_t max)
{
	__atomic_store_n(&g_budget.max, max, __ATOMIC_RELAXED);
}

uint64_t pipe_budget_used(void)
{
	return __atomic_load_n(&g_budget.used, __ATOMIC_RELAXED);
}

uint64_t pipe_budget_peak(void)
{
	return __atomic_load_n(&g_budget.peak, __ATOMIC_RELAXED);
}

/* Charge n bytes to the budget if they fit; false when they do not. */
static bool budget_take(uint64_t n)
{
	uint64_t max = __atomic_load_n(&g_budget.max, __ATOMIC_RELAXED);
	uint64_t used = __atomic_load_n(&g_budget.used, __ATOMIC_RELAXED), peak;

	do {
		if (used + n > max)
			return false;
	} while (!__atomic_compare_exchange_n(&g_budget.used, &used, used + n, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	peak = __atomic_load_n(&g_budget.peak, __ATOMIC_RELAXED);
	while (used + n > peak &&
	       !__atomic_compare_exchange_n(&g_budget.peak, &peak, used + n, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	return true;
}

static void budget_give(uint64_t n)
{
	__atomic_fetch_sub(&g_budget.used, n, __ATOMIC_RELAXED);
}

/* ---- the grown list ----------------------------------------------------- */

static void grown_link(struct front *f, struct pipe_pair *p, struct half *h)
{
	p->owner = h;
	p->prev = NULL;
	p->next = f->grown;
	if (f->grown)
		f->grown->prev = p;
	f->grown = p;
	if (!loop_timer_armed(&f->set->pipe_timer))
		loop_timer_arm(f->set->loop, &f->set->pipe_timer, PIPE_QUIET_MS);
}

static void grown_unlink(struct front *f, struct pipe_pair *p)
{
	if (!p->owner)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		f->grown = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->owner = NULL;
	p->next = p->prev = NULL;
}

/* ---- sizes -------------------------------------------------------------- */

static void pipe_close(struct front *f, struct pipe_pair *p)
{
	budget_give(p->charged);
	f->pipe_bytes -= p->size;
	close(p->r);
	close(p->w);
	free(p);
}

/* Back to the front's pipe_size; 0, or -errno (EBUSY: more bytes in it). */
static int pipe_shrink(struct front *f, struct pipe_pair *p)
{
	int got;

	if (!p->charged)
		return 0;
	got = fcntl(p->w, F_SETPIPE_SZ, (int)(p->size - p->charged));
	if (got < 0)
		return -errno;
	budget_give(p->charged);
	f->pipe_bytes -= p->size;
	f->pipe_bytes += (uint32_t)got;
	p->size = (uint32_t)got;
	p->charged = 0;
	f->pipes_shrunk++;
	return 0;
}

static void pipe_grow(struct front *f, struct half *h, uint64_t now)
{
	struct pipe_pair *p = h->pipe;
	uint32_t want = p->size * 2 > PIPE_GROW_MAX ? PIPE_GROW_MAX : p->size * 2;
	uint32_t extra = want - p->size;
	int got;

	if (!budget_take(extra)) {
		f->pipe_grow_refused++;
		return;
	}
	got = fcntl(p->w, F_SETPIPE_SZ, (int)want);
	if (got != (int)want) {
		/* Refused: over /proc/sys/fs/pipe-max-size or the user's pipe
		 * budget. (The kernel rounds to powers of two pages, which a
		 * doubled pipe already is; any other answer is undone so the
		 * books stay exact.) */
		if (got > 0)
			(void)fcntl(p->w, F_SETPIPE_SZ, (int)p->size);
		budget_give(extra);
		p->no_grow = true;
		if (!f->pipe_resize_failed++)
			pr_warn("[proxy %s] growing a pipe to %u bytes: F_SETPIPE_SZ: %s; busy connections "
				"keep pipe_size (see /proc/sys/fs/pipe-max-size and pipe-user-pages-soft)",
				f->name, want, got < 0 ? strerror(errno) : "another size granted");
		return;
	}
	p->charged += extra;
	f->pipe_bytes += extra;
	p->size = want;
	p->filled_at = now;
	f->pipes_grown++;
	if (!p->owner)
		grown_link(f, p, h);
}

/* ---- the pool ----------------------------------------------------------- */

struct pipe_pair *pipe_get(struct front *f)
{
	struct pipe_pair *p = f->pool;
	int fds[2], got;

	if (p) {
		f->pool = p->next;
		f->pool_len--;
		p->next = NULL;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(p);
		return NULL;
	}
	/* Also at the default size: past /proc/sys/fs/pipe-user-pages-soft
	 * the kernel hands unprivileged users 8 KiB pipes, and this is
	 * where that shows (EPERM), counted and warned about once. */
	got = fcntl(fds[1], F_SETPIPE_SZ, (int)f->pool_pipe_size);
	if (got < 0) {
		/* Over /proc/sys/fs/pipe-max-size or the user's pipe budget:
		 * the pipe still works, just with more wakeups. */
		if (!f->pipe_resize_failed++)
			pr_warn("[proxy %s] pipe_size %u: F_SETPIPE_SZ: %s; using a smaller pipe "
				"(see /proc/sys/fs/pipe-max-size and pipe-user-pages-soft)",
				f->name, f->pool_pipe_size, strerror(errno));
		got = fcntl(fds[1], F_GETPIPE_SZ);
		if (got <= 0)
			got = 4096;
		p->no_grow = true;
	}
	p->r = fds[0];
	p->w = fds[1];
	p->base = f->pool_pipe_size;
	p->size = (uint32_t)got;
	f->pipe_bytes += p->size;
	f->pipes_created++;
	return p;
}

/* An empty pipe of the pool's size goes back to the pool; any other is
 * shrunk first, or closed. */
static void pipe_put(struct front *f, struct pipe_pair *p, bool empty)
{
	if (!empty || f->pool_len >= POOL_MAX || p->base != f->pool_pipe_size || pipe_shrink(f, p)) {
		pipe_close(f, p);	/* bytes in it, pool full, or pipe_size changed by a reload */
		return;
	}
	p->next = f->pool;
	f->pool = p;
	f->pool_len++;
}

void pipe_conn_closed(struct front *f)
{
	pipe_pool_trim(f, f->active + POOL_SPARE);
	if (f->pool_len > f->active) {
		f->spare_since = loop_now(f->set->loop);
		if (!loop_timer_armed(&f->set->pipe_timer))
			loop_timer_arm(f->set->loop, &f->set->pipe_timer, PIPE_QUIET_MS);
	}
}

void pipe_pool_trim(struct front *f, size_t keep)
{
	while (f->pool_len > keep) {
		struct pipe_pair *p = f->pool;

		f->pool = p->next;
		f->pool_len--;
		pipe_close(f, p);
	}
}

/* ---- what a half does with its pipe -------------------------------------- */

void pipe_filled(struct front *f, struct half *h, size_t n)
{
	struct pipe_pair *p = h->pipe;
	uint64_t now;

	if (n * 4 < p->size) {
		h->fills = 0;
		return;
	}
	now = loop_now(f->set->loop);
	p->filled_at = now;	/* busy: the quiet timer leaves it alone */
	if (n * 2 < p->size) {
		h->fills = 0;
		return;
	}
	if (++h->fills < PIPE_GROW_AFTER || p->no_grow || p->size >= PIPE_GROW_MAX ||
	    !__atomic_load_n(&g_budget.max, __ATOMIC_RELAXED))
		return;	/* (pipe_memory_max = 0: growing is off, not refused) */
	h->fills = 0;
	pipe_grow(f, h, now);
}

void pipe_idle(struct front *f, struct half *h)
{
	if (!h->pipe || h->pipe->owner)
		return;	/* none, or grown: it stays until the quiet timer */
	pipe_put(f, h->pipe, true);
	h->pipe = NULL;
}

void pipe_release(struct front *f, struct half *h)
{
	struct pipe_pair *p = h->pipe;

	if (!p)
		return;
	h->pipe = NULL;
	grown_unlink(f, p);
	pipe_put(f, p, !h->inflight);
}

/* Every PIPE_QUIET_MS while pipes are grown: shrink those not filled
 * since, and take back the empty ones from their halves. */
static void on_pipe_timer(struct loop_timer *t)
{
	struct proxy_set *s = container_of(t, struct proxy_set, pipe_timer);
	uint64_t now = loop_now(s->loop);
	bool left = false;

	for (struct front *f = s->fronts; f; f = f->next) {
		for (struct pipe_pair *p = f->grown, *next; p; p = next) {
			struct half *h = p->owner;

			next = p->next;
			if (now - p->filled_at < PIPE_QUIET_MS) {
				left = true;
				continue;
			}
			h->fills = 0;
			if (!h->inflight) {
				grown_unlink(f, p);
				h->pipe = NULL;
				pipe_put(f, p, true);
			} else if (!pipe_shrink(f, p)) {
				/* bytes in flight, fewer than pipe_size: the half
				 * keeps it and returns it when it is empty */
				grown_unlink(f, p);
			} else {
				left = true;	/* more than pipe_size in flight (EBUSY) */
			}
		}
		/* spares idle since the last close: gone */
		if (f->pool_len > f->active && now - f->spare_since >= PIPE_QUIET_MS)
			pipe_pool_trim(f, f->active);
		if (f->pool_len > f->active)
			left = true;
	}
	if (left)
		loop_timer_arm(s->loop, t, PIPE_QUIET_MS);
}

void pipe_set_init(struct proxy_set *s)
{
	loop_timer_init(&s->pipe_timer, on_pipe_timer);
}

void pipe_set_stop(struct proxy_set *s)
{
	loop_timer_cancel(s->loop, &s->pipe_timer);
}
