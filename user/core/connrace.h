/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * connrace.h - connect to the first of several addresses that answers,
 * happy-eyeballs style (RFC 8305): attempts staggered by a delay, the
 * first connected wins, the others are closed. How it works: connrace.c.
 */
#ifndef EDGESTEER_CONNRACE_H
#define EDGESTEER_CONNRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

#define CONNRACE_MAX 8			/* addresses of one race at most; more are ignored */
#define CONNRACE_DELAY_MS 250		/* RFC 8305's recommended Connection Attempt Delay */
#define CONNRACE_INFLIGHT 3		/* attempts at once, by default */

struct connrace_opts {
	uint32_t timeout_ms;	/* deadline of each attempt, from its start */
	uint32_t delay_ms;	/* the next attempt starts this long after the last one
				 * while that one is still pending (at once when it fails) */
	int max_inflight;	/* attempts at once (1: one after the other) */
	/*
	 * Optional (NULL: none): the caller's handle. An attempt started
	 * while it is free is registered on it, with own_events and own_cb
	 * (which must hand its events to connrace_event() while the race
	 * runs), and the winner is always left registered on it, moved there
	 * with one EPOLL_CTL_MOD when it raced on another handle: the socket
	 * changes hands with no epoll_ctl in the common case of one address.
	 * Without it the winner comes unregistered.
	 */
	struct loop_fd *own;
	uint32_t own_events;
	loop_fd_cb own_cb;
	/* The caller sets TCP_NODELAY itself, before its second write (Nagle
	 * never holds a connection's first segment): for a connection that
	 * writes once, one setsockopt less. */
	bool nodelay_later;
	/*
	 * TCP Fast Open (syn_len > 0): every attempt connects with
	 * sendto(MSG_FASTOPEN) of syn_data (not copied: it must stay until
	 * the race ends), so that once the kernel holds a cookie for the
	 * address the bytes ride in the SYN; without one (the first time,
	 * or a server without TFO) the SYN asks for a cookie and nothing is
	 * sent. The winner is still the first attempt that connects; how
	 * many bytes of syn_data it sent goes to *syn_sent before done().
	 * Such data may reach a server twice (a duplicated SYN) or reach one
	 * whose attempt then loses the race: only for bytes that may.
	 */
	const void *syn_data;
	size_t syn_len;
	size_t *syn_sent;
};

/*
 * The end of a race: fd >= 0 is connected (non-blocking, TCP_NODELAY
 * unless nodelay_later),
 * now the caller's, to addrs[idx]; fd -1: every attempt failed, err the
 * errno of the one that ended last (ETIMEDOUT: its deadline passed).
 * Called once, from the loop, never from connrace_start; the race is
 * already freed then.
 */
typedef void (*connrace_done_fn)(void *arg, int fd, int idx, int err);

struct connrace;

/*
 * Start racing addrs[0..n) (copied). They are tried in an order that
 * alternates address families, starting with the family of addrs[0]
 * (put the preferred one first: getaddrinfo's order does, RFC 6724).
 * 0 and *out, or -errno when no attempt could even start: -EMFILE,
 * -ENFILE, -ENOBUFS, -ENOMEM (out of resources) or the error of the
 * last address (e.g. -ENETUNREACH), done() not called.
 */
int connrace_start(struct loop *l, const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
		   const struct connrace_opts *o, connrace_done_fn done, void *arg, struct connrace **out);
/* An event of o->own while the race runs (see own above). */
void connrace_event(struct connrace *r, struct loop_fd *h, uint32_t ev);
/* Stop a race: every attempt closed, done() not called. */
void connrace_cancel(struct connrace *r);
/* The longest a race of n addresses can take (a bound for a caller's own deadline). */
uint64_t connrace_bound_ms(const struct connrace_opts *o, int n);
/* Pure: the order to try addrs in (indexes into addrs), families alternating. */
void connrace_order(const struct sockaddr_storage *addrs, int n, int *order);

#endif
