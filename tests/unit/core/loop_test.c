// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the event loop: fds, timers, deferred work, signals. */
#include "harness.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "core/loop.h"

struct tctx {
	struct loop *l;
	struct loop_timer t;
	struct loop_fd h;
	struct loop_defer d;
	int fired;
	uint64_t order;
};

static void on_timer(struct loop_timer *t)
{
	struct tctx *c = container_of(t, struct tctx, t);

	c->fired++;
	c->order = c->order * 10 + (uint64_t)c->fired;
}

TEST(timers_fire_in_deadline_order)
{
	struct loop *l;
	struct tctx c[50];
	int i, fired_total = 0;

	ASSERT_EQ(loop_new(&l), 0);
	for (i = 0; i < 50; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		loop_timer_init(&c[i].t, on_timer);
		loop_timer_arm(l, &c[i].t, (uint64_t)((i * 37) % 50));
	}
	/* move one, cancel two */
	loop_timer_arm(l, &c[3].t, 1000);
	loop_timer_cancel(l, &c[4].t);
	loop_timer_cancel(l, &c[5].t);
	EXPECT_FALSE(loop_timer_armed(&c[4].t));
	ASSERT_EQ(loop_timer_count(l), 48);
	while (loop_timer_count(l) > 1)
		ASSERT_EQ(loop_run_once(l, 100), 0);
	for (i = 0; i < 50; i++) {
		fired_total += c[i].fired;
		if (c[i].fired)
			EXPECT_GE(c[i].t.deadline, 0);
	}
	EXPECT_EQ(fired_total, 47);
	EXPECT_EQ(c[3].fired, 0);
	EXPECT_TRUE(loop_timer_armed(&c[3].t));
	loop_free(l);
}

TEST(timer_heap_by_the_thousand)
{
	struct loop *l;
	static struct loop_timer t[20000];
	int i;

	ASSERT_EQ(loop_new(&l), 0);
	for (i = 0; i < 20000; i++) {
		loop_timer_init(&t[i], NULL);
		loop_timer_arm(l, &t[i], 100000 + (uint64_t)(i * 7919 % 20000));
	}
	for (i = 0; i < 20000; i += 2)
		loop_timer_cancel(l, &t[i]);
	for (i = 1; i < 20000; i += 4)
		loop_timer_arm(l, &t[i], 5000);
	ASSERT_EQ(loop_timer_count(l), 10000);
	for (i = 1; i < 20000; i += 2)
		loop_timer_cancel(l, &t[i]);
	ASSERT_EQ(loop_timer_count(l), 0);
	loop_free(l);
}

static struct tctx *g_other, *g_first;
static void on_readable(struct loop_fd *h, uint32_t ev)
{
	struct tctx *c = container_of(h, struct tctx, h);
	struct tctx *victim = g_other == c ? g_first : g_other;
	char b[16];

	c->fired++;
	(void)!read(h->fd, b, sizeof(b));
	if (victim) {
		loop_fd_del(c->l, &victim->h);
		g_other = g_first = NULL;
	}
}

TEST(fd_del_drops_pending_events_in_batch)
{
	struct loop *l;
	struct tctx a = { 0 }, b = { 0 };
	int p1[2], p2[2];

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(pipe2(p1, O_NONBLOCK), 0);
	ASSERT_EQ(pipe2(p2, O_NONBLOCK), 0);
	a.l = b.l = l;
	ASSERT_EQ(loop_fd_add(l, &a.h, p1[0], EPOLLIN, on_readable), 0);
	ASSERT_EQ(loop_fd_add(l, &b.h, p2[0], EPOLLIN, on_readable), 0);
	ASSERT_EQ(write(p1[1], "x", 1), 1);
	ASSERT_EQ(write(p2[1], "y", 1), 1);
	/* both are ready: the first callback to run deletes the other, whose
	 * event is still pending in the same batch and must be dropped */
	g_first = &a;
	g_other = &b;
	ASSERT_EQ(loop_run_once(l, 100), 0);
	ASSERT_EQ(a.fired + b.fired, 1);
	loop_free(l);
}

static void on_defer(struct loop_defer *d)
{
	struct tctx *c = container_of(d, struct tctx, d);

	c->fired++;
}

TEST(defer_runs_once_after_io)
{
	struct loop *l;
	struct tctx c = { 0 };

	ASSERT_EQ(loop_new(&l), 0);
	loop_defer(l, &c.d, on_defer);
	loop_defer(l, &c.d, on_defer);
	ASSERT_EQ(loop_run_once(l, 0), 0);
	EXPECT_EQ(c.fired, 1);
	ASSERT_EQ(loop_run_once(l, 0), 0);
	EXPECT_EQ(c.fired, 1);
	loop_defer(l, &c.d, on_defer);
	loop_defer_cancel(l, &c.d);
	ASSERT_EQ(loop_run_once(l, 0), 0);
	EXPECT_EQ(c.fired, 1);
	loop_free(l);
}

static int got_signal;
static void on_sig(struct loop *l, int signo, void *arg)
{
	got_signal = signo;
	loop_stop(l);
}

TEST(signal_through_signalfd)
{
	struct loop *l;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(loop_signal(l, SIGUSR1, on_sig, NULL), 0);
	ASSERT_EQ(loop_signal(l, SIGHUP, on_sig, NULL), 0);
	kill(getpid(), SIGHUP);
	ASSERT_EQ(loop_run(l), 0);
	EXPECT_EQ(got_signal, SIGHUP);
	loop_free(l);
}

/*
 * The deferred queue runs what was queued before it started, so a job
 * that re-queues itself waits for the next iteration. That must hold
 * also when a job cancels the one that was last in the queue.
 */
static struct loop *g_dl;
static struct loop_defer g_da, g_db, g_dc;
static int g_dc_runs;

static void on_dc(struct loop_defer *d)
{
	g_dc_runs++;
	loop_defer(g_dl, d, on_dc);	/* always more to do */
}

static void on_da(struct loop_defer *d)
{
	loop_defer_cancel(g_dl, &g_db);	/* B was the last one queued */
	loop_defer(g_dl, &g_dc, on_dc);
}

static void on_db(struct loop_defer *d)
{
}

TEST_TIMEOUT(defer_cancel_of_the_last_job_keeps_the_bound, 5)
{
	ASSERT_EQ(loop_new(&g_dl), 0);
	loop_defer(g_dl, &g_da, on_da);
	loop_defer(g_dl, &g_db, on_db);
	ASSERT_EQ(loop_run_once(g_dl, 0), 0);
	EXPECT_LE(g_dc_runs, 1);
	ASSERT_EQ(loop_run_once(g_dl, 0), 0);
	EXPECT_LE(g_dc_runs, 2);
	loop_defer_cancel(g_dl, &g_dc);
	loop_free(g_dl);
}

/* A timer further away than INT_MAX ms (uint32 durations reach 49 days)
 * must not turn the epoll timeout negative, i.e. into "wait forever". */
TEST_TIMEOUT(far_timer_does_not_block_forever, 5)
{
	struct loop *l;
	struct loop_timer t;
	double t0;

	ASSERT_EQ(loop_new(&l), 0);
	loop_timer_init(&t, NULL);
	loop_timer_arm(l, &t, 3000000000ull);
	t0 = th_now();
	ASSERT_EQ(loop_run_once(l, 20), 0);
	EXPECT_LT(th_now() - t0, 1.0);
	EXPECT_TRUE(loop_timer_armed(&t));
	loop_timer_cancel(l, &t);
	loop_free(l);
}

/* loop_fd_move: the registration changes hands in one epoll_ctl; events
 * reach the new handle with its callback and interest, none the old one. */
static int g_moved_from, g_moved_to;
static void on_from(struct loop_fd *h, uint32_t ev)
{
	(void)h;
	(void)ev;
	g_moved_from++;
}
static void on_to(struct loop_fd *h, uint32_t ev)
{
	(void)h;
	if (ev & EPOLLIN)
		g_moved_to++;
}

TEST(fd_move_hands_the_registration_over)
{
	struct loop *l;
	struct loop_fd from = { .fd = -1 }, to = { .fd = -1 };
	int sv[2];

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ASSERT_EQ(loop_fd_add(l, &from, sv[0], EPOLLOUT, on_from), 0);
	ASSERT_EQ(loop_fd_move(l, &from, &to, EPOLLIN | EPOLLET, on_to), 0);
	EXPECT_EQ(from.fd, -1);
	EXPECT_EQ(to.fd, sv[0]);
	EXPECT_EQ(to.events, (uint32_t)(EPOLLIN | EPOLLET));
	loop_run_once(l, 0);	/* writable, but that is no longer asked for */
	EXPECT_EQ(g_moved_from, 0);
	EXPECT_EQ(g_moved_to, 0);
	ASSERT_EQ(write(sv[1], "x", 1), 1);
	loop_run_once(l, 100);
	EXPECT_EQ(g_moved_to, 1);
	EXPECT_EQ(g_moved_from, 0);
	EXPECT_EQ(loop_fd_move(l, &from, &to, EPOLLIN, on_to), -EBADF);	/* from has nothing */
	loop_fd_close(l, &to, sv[0]);
	close(sv[1]);
	loop_free(l);
}

TEST(harness_catches_crash_expected_fail_is_reported)
{
	/* sanity of the harness itself: a passing EXPECT chain */
	EXPECT_EQ(1, 1);
	EXPECT_STREQ("a", "a");
	EXPECT_MEMEQ("abc", "abc", 3);
}

/* A copy of the fd elsewhere (a spawned child's fd table, here a dup)
 * keeps the file open after close(): only a threaded loop's
 * loop_fd_close() ends the registration, so no event reaches the
 * handle its owner may have freed. */
static int fd_close_events;

static void on_closed_fd(struct loop_fd *h, uint32_t ev)
{
	fd_close_events++;
}

static int events_after_close(bool threaded)
{
	struct loop_fd h = { .fd = -1 };
	struct loop *l;
	int sv[2], copy;

	fd_close_events = 0;
	if (loop_new(&l))
		return -1;
	if (threaded)
		loop_set_threaded(l);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    loop_fd_add(l, &h, sv[0], EPOLLIN, on_closed_fd)) {
		loop_free(l);
		return -1;
	}
	copy = dup(sv[0]);
	loop_fd_close(l, &h, sv[0]);
	(void)!write(sv[1], "x", 1);
	loop_run_once(l, 50);
	close(copy);
	close(sv[1]);
	loop_free(l);
	return fd_close_events;
}

TEST(threaded_fd_close_ends_the_registration_despite_a_copy)
{
	EXPECT_EQ(events_after_close(true), 0);
	/* the single-threaded loop relies on the last close instead */
	EXPECT_EQ(events_after_close(false), 1);
}

TEST_HARNESS_MAIN
