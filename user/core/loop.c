// SPDX-License-Identifier: GPL-2.0-only
/*
 * loop.c - epoll, a timer heap, signalfd and deferred work.
 *
 * Dispatch keeps the current epoll batch in the loop so that
 * loop_fd_del() can blank the events still pending for a handle being
 * removed; an owner can therefore tear down a peer connection (and free
 * it) from inside another connection's callback without a use-after-free.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 256
#define LOOP_MAX_SIGNALS 8

struct loop_sig {
	int signo;
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	bool threaded;		/* loop_fd_close() unregisters explicitly */
	uint64_t now;
	/* timer min-heap */
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	/* deferred work, FIFO */
	struct loop_defer *defer_head, *defer_tail;
	struct loop_defer *run_last;	/* while running: the last job of this pass */
	/* current batch */
	struct epoll_event events[LOOP_BATCH];
	int nevents, cur;
	/* signals */
	struct loop_fd sigh;
	sigset_t sigmask;
	struct loop_sig sigs[LOOP_MAX_SIGNALS];
	int nsigs;
};

static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	l->sigh.fd = -1;
	sigemptyset(&l->sigmask);
	l->now = clock_ms();
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->sigh.fd >= 0)
		close(l->sigh.fd);
	close(l->epfd);
	free(l->heap);
	free(l);
}

uint64_t loop_now(struct loop *l)
{
	return l->now;
}

uint64_t loop_update_time(struct loop *l)
{
	l->now = clock_ms();
	return l->now;
}

/* ---- fds --------------------------------------------------------------- */

int loop_fd_add(struct loop *l, struct loop_fd *h, int fd, uint32_t events, loop_fd_cb cb)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	h->fd = fd;
	h->events = events;
	h->cb = cb;
	return 0;
}

int loop_fd_mod(struct loop *l, struct loop_fd *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (h->fd < 0)
		return -EBADF;
	if (events == h->events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return -errno;
	h->events = events;
	return 0;
}

/* Forget h: no events still to be dispatched in this turn reach it. */
static void fd_forget(struct loop *l, struct loop_fd *h)
{
	int i;

	h->fd = -1;
	h->events = 0;
	for (i = l->cur; i < l->nevents; i++)
		if (l->events[i].data.ptr == h)
			l->events[i].data.ptr = NULL;
}

void loop_fd_del(struct loop *l, struct loop_fd *h)
{
	if (h->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	fd_forget(l, h);
}

int loop_fd_move(struct loop *l, struct loop_fd *from, struct loop_fd *to, uint32_t events, loop_fd_cb cb)
{
	struct epoll_event ev = { .events = events, .data.ptr = to };
	int fd = from->fd;

	if (fd < 0)
		return -EBADF;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	fd_forget(l, from);
	to->fd = fd;
	to->events = events;
	to->cb = cb;
	return 0;
}

void loop_set_threaded(struct loop *l)
{
	l->threaded = true;
}

void loop_fd_close(struct loop *l, struct loop_fd *h, int fd)
{
	if (h->fd >= 0 && l->threaded)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	if (h->fd >= 0)
		fd_forget(l, h);
	if (fd >= 0)
		close(fd);
}

/* ---- timers ------------------------------------------------------------ */

static bool heap_less(struct loop *l, size_t a, size_t b)
{
	return l->heap[a]->deadline < l->heap[b]->deadline;
}

static void heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a + 1;
	l->heap[b]->idx = b + 1;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(l, i, p))
			break;
		heap_swap(l, i, p);
		i = p;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->heap_len && heap_less(l, c, m))
			m = c;
		if (c + 1 < l->heap_len && heap_less(l, c + 1, m))
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb)
{
	t->deadline = 0;
	t->idx = 0;
	t->cb = cb;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t i;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	l->heap_len--;
	if (i == l->heap_len)
		return;
	l->heap[i] = l->heap[l->heap_len];
	l->heap[i]->idx = i + 1;
	heap_up(l, i);
	heap_down(l, l->heap[i]->idx - 1);
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	uint64_t deadline = l->now + ms;

	if (t->idx) {
		size_t i = t->idx - 1;

		t->deadline = deadline;
		heap_up(l, i);
		heap_down(l, t->idx - 1);
		return;
	}
	if (l->heap_len == l->heap_cap) {
		size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
		struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));

		/* Out of memory for the heap: a timer we cannot arm is a
		 * deadline silently lost (a connection held forever), so stop
		 * loudly instead; systemd restarts us (Restart=on-failure). */
		if (!h) {
			static const char msg[] = "<2>event loop: out of memory for the timer heap; aborting\n";

			(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
			abort();
		}
		l->heap = h;
		l->heap_cap = cap;
	}
	t->deadline = deadline;
	l->heap[l->heap_len] = t;
	t->idx = ++l->heap_len;
	heap_up(l, l->heap_len - 1);
}

size_t loop_timer_count(const struct loop *l)
{
	return l->heap_len;
}

static void run_timers(struct loop *l)
{
	while (l->heap_len && l->heap[0]->deadline <= l->now) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		t->cb(t);
	}
}

/* ---- deferred work ----------------------------------------------------- */

void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_cb cb)
{
	d->cb = cb;
	if (d->queued)
		return;
	d->queued = true;
	d->next = NULL;
	if (l->defer_tail)
		l->defer_tail->next = d;
	else
		l->defer_head = d;
	l->defer_tail = d;
}

void loop_defer_cancel(struct loop *l, struct loop_defer *d)
{
	struct loop_defer **pp, *prev = NULL;

	if (!d->queued)
		return;
	for (pp = &l->defer_head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			if (l->defer_tail == d)
				l->defer_tail = prev;
			/* the pass in progress now ends at the one before
			 * (NULL: nothing of it is left) */
			if (l->run_last == d)
				l->run_last = prev;
			break;
		}
	}
	d->queued = false;
	d->next = NULL;
}

static void run_deferred(struct loop *l)
{
	/* Only what was queued before the pass runs in it, bounded by the
	 * snapshot of the tail (kept right when that job is cancelled), so a
	 * self-requeueing job cannot starve I/O. */
	l->run_last = l->defer_tail;
	while (l->defer_head && l->run_last) {
		struct loop_defer *d = l->defer_head;
		bool last = d == l->run_last;

		l->defer_head = d->next;
		if (!l->defer_head)
			l->defer_tail = NULL;
		d->queued = false;
		d->next = NULL;
		if (last)
			l->run_last = NULL;
		d->cb(d);
		if (last)
			break;
	}
	l->run_last = NULL;
}

/* ---- signals ----------------------------------------------------------- */

static void on_signalfd(struct loop_fd *h, uint32_t events)
{
	struct loop *l = container_of(h, struct loop, sigh);
	struct signalfd_siginfo si;
	int i;

	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (i = 0; i < l->nsigs; i++)
			if (l->sigs[i].signo == (int)si.ssi_signo)
				l->sigs[i].cb(l, (int)si.ssi_signo, l->sigs[i].arg);
	}
}

int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	int fd, err, i;

	for (i = 0; i < l->nsigs; i++) {
		if (l->sigs[i].signo == signo) {
			l->sigs[i].cb = cb;
			l->sigs[i].arg = arg;
			return 0;
		}
	}
	if (l->nsigs == LOOP_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		return -errno;
	fd = signalfd(l->sigh.fd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigh.fd < 0) {
		err = loop_fd_add(l, &l->sigh, fd, EPOLLIN, on_signalfd);
		if (err) {
			close(fd);
			return err;
		}
	}
	l->sigs[l->nsigs++] = (struct loop_sig){ .signo = signo, .cb = cb, .arg = arg };
	return 0;
}

/* ---- running ----------------------------------------------------------- */

int loop_run_once(struct loop *l, int max_wait_ms)
{
	int timeout = max_wait_ms, n;

	if (l->defer_head) {
		timeout = 0;
	} else if (l->heap_len) {
		uint64_t d = l->heap[0]->deadline;
		/* clamped: a deadline past INT_MAX ms must not become a
		 * negative timeout, which epoll reads as "forever" */
		int until = d <= l->now ? 0 : d - l->now > INT_MAX ? INT_MAX : (int)(d - l->now);

		if (timeout < 0 || until < timeout)
			timeout = until;
	}
	n = epoll_wait(l->epfd, l->events, LOOP_BATCH, timeout);
	l->now = clock_ms();
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	l->nevents = n;
	for (l->cur = 0; l->cur < l->nevents; ) {
		struct epoll_event ev = l->events[l->cur++];
		struct loop_fd *h = ev.data.ptr;

		if (h)
			h->cb(h, ev.events);
	}
	l->nevents = l->cur = 0;
	run_deferred(l);
	run_timers(l);
	return 0;
}

int loop_run(struct loop *l)
{
	int err = 0;

	l->stop = false;
	while (!l->stop && !err)
		err = loop_run_once(l, -1);
	return err;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
