/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loop.h - the one epoll event loop. It knows no protocol.
 *
 * Owners embed the handles (struct loop_fd, loop_timer, loop_defer) in
 * their own state and get back to it with container_of(). Each fd has one
 * owner, which changes its interest with loop_fd_mod() as its state
 * requires. loop_fd_del() may be called from any callback, also for a
 * handle whose events are still pending in the current batch: those
 * events are dropped, so the owner may free its state right after.
 *
 * Timers live in a binary min-heap indexed from the timer, so arming,
 * moving and cancelling are O(log n) and cheap by the thousand. Deferred
 * work runs after all I/O callbacks of an iteration and before timers.
 */
#ifndef EDGESTEER_LOOP_H
#define EDGESTEER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

struct loop;
struct loop_fd;
struct loop_timer;
struct loop_defer;

typedef void (*loop_fd_cb)(struct loop_fd *h, uint32_t events);
typedef void (*loop_timer_cb)(struct loop_timer *t);
typedef void (*loop_defer_cb)(struct loop_defer *d);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *arg);

struct loop_fd {
	int fd;			/* -1 when not registered */
	uint32_t events;	/* current epoll interest */
	loop_fd_cb cb;
};

struct loop_timer {
	uint64_t deadline;	/* loop clock, ms */
	size_t idx;		/* heap slot + 1; 0 when not armed */
	loop_timer_cb cb;
};

struct loop_defer {
	struct loop_defer *next;
	bool queued;
	loop_defer_cb cb;
};

int loop_new(struct loop **out);
void loop_free(struct loop *l);

/* Register fd with interest `events` (EPOLLIN, EPOLLOUT, EPOLLRDHUP...). */
int loop_fd_add(struct loop *l, struct loop_fd *h, int fd, uint32_t events, loop_fd_cb cb);
/* Change interest; a no-op when unchanged. */
int loop_fd_mod(struct loop *l, struct loop_fd *h, uint32_t events);
/* Hand from's registration to `to` with new interest and callback in one
 * EPOLL_CTL_MOD (from is forgotten); safe inside callbacks. */
int loop_fd_move(struct loop *l, struct loop_fd *from, struct loop_fd *to, uint32_t events, loop_fd_cb cb);
/* Unregister (does not close the fd); safe inside callbacks. */
void loop_fd_del(struct loop *l, struct loop_fd *h);
/* Unregister h (if registered) and close(fd), without an epoll_ctl:
 * closing the last descriptor of an open file ends its registration.
 * Only for fds nobody dup()ed and no child shares (everything here is
 * O_CLOEXEC, and the daemon spawns with posix_spawn, whose caller waits
 * until the child's exec has closed its copies). Safe inside callbacks. */
void loop_fd_close(struct loop *l, struct loop_fd *h, int fd);
/* For a loop run by a thread of a process whose other threads may spawn:
 * a spawned child's copy of the fd table would keep a closed socket's
 * registration (and its events) alive until the exec, so
 * loop_fd_close() does the EPOLL_CTL_DEL after all. */
void loop_set_threaded(struct loop *l);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb);
/* Arm or move a timer to fire `ms` from now. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != 0;
}
size_t loop_timer_count(const struct loop *l);

/* Queue work to run after this iteration's I/O; queuing twice runs once. */
void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_cb cb);
void loop_defer_cancel(struct loop *l, struct loop_defer *d);

/* Deliver `signo` through signalfd (the signal is blocked process-wide). */
int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg);

/* Milliseconds on CLOCK_MONOTONIC, cached per iteration. */
uint64_t loop_now(struct loop *l);
/* Refresh the cached clock (after long work inside a callback). */
uint64_t loop_update_time(struct loop *l);

/* One iteration: wait at most max_wait_ms (-1: until the next timer). */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Iterate until loop_stop(); returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
