// SPDX-License-Identifier: GPL-2.0-only
/*
 * connrace.c - happy eyeballs (RFC 8305): connect to the first of a
 * name's addresses that answers.
 *
 * How it works. Trying a name's addresses one after the other makes a
 * dead first address (an IPv6 path that drops SYNs, a host that is gone)
 * cost every connection a full connect timeout. Here the first attempt
 * starts at once; while it is pending the next starts `delay_ms` later
 * (at once when an attempt fails), and so on, at most `max_inflight` at
 * a time. The first attempt whose socket becomes writable without an
 * error wins: its fd goes to the caller, every other attempt is closed.
 * Every attempt has its own deadline (`timeout_ms` from its start), so
 * no socket waits unbounded; when the last one has failed the caller is
 * told with the last error.
 *
 * The order alternates families, starting with that of the first
 * address (RFC 8305 section 4): with getaddrinfo's RFC 6724 order that
 * is IPv6 where the host has a usable IPv6 route, and an IPv4 address
 * is tried second, not after every IPv6 one.
 *
 * One timer serves the race: it fires at the earliest of the next
 * attempt's start and the attempts' deadlines. The race frees itself
 * before it calls done(), so the callback may free its owner.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connrace.h"

struct attempt {
	struct loop_fd h;
	struct loop_fd *hp;		/* &h or o.own; NULL: not in flight */
	struct connrace *r;
	uint64_t deadline;		/* loop ms */
	int idx;			/* into addrs */
	size_t sent;			/* bytes of syn_data in its SYN */
};

struct connrace {
	struct loop *l;
	struct connrace_opts o;
	socklen_t lens[CONNRACE_MAX];
	int order[CONNRACE_MAX];
	int n, next;			/* order[next] is the next to start */
	struct attempt at[CONNRACE_MAX];	/* hp: in flight */
	int inflight;
	uint64_t next_at;		/* loop ms: when order[next] may start */
	int last_err;
	struct loop_timer t;
	connrace_done_fn done;
	void *arg;
	/* last: only n of them are allocated (one per connection, mostly) */
	struct sockaddr_storage addrs[];
};

void connrace_order(const struct sockaddr_storage *addrs, int n, int *order)
{
	bool used[CONNRACE_MAX] = { false };
	int fam = n ? addrs[0].ss_family : 0;

	for (int k = 0; k < n; k++) {
		int pick = -1;

		/* the first unused of the wanted family, else the first unused */
		for (int i = 0; i < n && pick < 0; i++)
			if (!used[i] && addrs[i].ss_family == fam)
				pick = i;
		for (int i = 0; i < n && pick < 0; i++)
			if (!used[i])
				pick = i;
		used[pick] = true;
		order[k] = pick;
		fam = addrs[pick].ss_family == AF_INET6 ? AF_INET : AF_INET6;
	}
}

uint64_t connrace_bound_ms(const struct connrace_opts *o, int n)
{
	/* each attempt waits at most one delay to start after the one
	 * before, or for a slot (one timeout), and then runs one timeout */
	return (uint64_t)n * ((uint64_t)o->timeout_ms + o->delay_ms) + 1;
}

static void race_free(struct connrace *r)
{
	for (int i = 0; i < CONNRACE_MAX; i++)
		if (r->at[i].hp)
			loop_fd_close(r->l, r->at[i].hp, r->at[i].hp->fd);
	loop_timer_cancel(r->l, &r->t);
	free(r);
}

void connrace_cancel(struct connrace *r)
{
	if (r)
		race_free(r);
}

static void on_attempt(struct loop_fd *h, uint32_t ev);

static bool resource_err(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Start order[next], or the ones after it that fail at once. 1: one is
 * in flight; 0: none left to start; -errno: out of resources. */
static int start_one(struct connrace *r)
{
	while (r->next < r->n) {
		int idx = r->order[r->next++], one = 1, fd, slot, err, rc = 0;
		const struct sockaddr *sa = (const struct sockaddr *)&r->addrs[idx];
		size_t sent;

		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r->last_err = errno;	/* e.g. no IPv6 here: the next address */
			if (resource_err(errno))
				return -errno;
			continue;
		}
		/* no Nagle delay of our own; failing only costs latency */
		if (!r->o.nodelay_later)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		sent = 0;
		if (r->o.syn_len) {
			/* connect with the first bytes (TFO): how many went in
			 * the SYN, or EINPROGRESS when none did (no cookie yet);
			 * EOPNOTSUPP: TFO is off in net.ipv4.tcp_fastopen */
			ssize_t n = sendto(fd, r->o.syn_data, r->o.syn_len, MSG_FASTOPEN | MSG_NOSIGNAL, sa,
					   r->lens[idx]);

			if (n >= 0)
				sent = (size_t)n;
			else if (errno == EOPNOTSUPP)
				rc = connect(fd, sa, r->lens[idx]);
			else
				rc = -1;
		} else {
			rc = connect(fd, sa, r->lens[idx]);
		}
		if (rc < 0 && errno != EINPROGRESS) {
			r->last_err = errno;
			close(fd);
			continue;
		}
		for (slot = 0; r->at[slot].hp; slot++)
			;	/* inflight < max_inflight <= CONNRACE_MAX: there is one */
		r->at[slot].r = r;
		r->at[slot].idx = idx;
		r->at[slot].sent = sent;
		/* on the caller's handle when it is free: no epoll_ctl to hand it over */
		if (r->o.own && r->o.own->fd < 0)
			err = loop_fd_add(r->l, r->o.own, fd, r->o.own_events, r->o.own_cb);
		else
			err = loop_fd_add(r->l, &r->at[slot].h, fd, EPOLLOUT, on_attempt);
		if (err) {
			r->last_err = ENOMEM;
			close(fd);
			return -ENOMEM;
		}
		r->at[slot].hp = r->o.own && r->o.own->fd == fd ? r->o.own : &r->at[slot].h;
		r->at[slot].deadline = loop_now(r->l) + r->o.timeout_ms;
		r->inflight++;
		r->next_at = loop_now(r->l) + r->o.delay_ms;
		return 1;
	}
	return 0;
}

/* Start what is due, then finish or re-arm the timer. */
static void settle(struct connrace *r, bool start_now)
{
	uint64_t now = loop_now(r->l), when = UINT64_MAX;
	connrace_done_fn done;
	void *arg;
	int err;

	while (r->next < r->n && r->inflight < r->o.max_inflight && (start_now || now >= r->next_at)) {
		if (start_one(r) <= 0)
			break;	/* none left, or out of resources: the others go on */
		start_now = false;
	}
	if (!r->inflight) {
		done = r->done;
		arg = r->arg;
		err = r->last_err ? r->last_err : EHOSTUNREACH;
		race_free(r);
		done(arg, -1, -1, err);
		return;
	}
	if (r->next < r->n && r->inflight < r->o.max_inflight)
		when = r->next_at;
	for (int i = 0; i < CONNRACE_MAX; i++)
		if (r->at[i].hp && r->at[i].deadline < when)
			when = r->at[i].deadline;
	loop_timer_arm(r->l, &r->t, when > now ? when - now : 1);
}

static void attempt_failed(struct attempt *a, int err)
{
	struct connrace *r = a->r;

	loop_fd_close(r->l, a->hp, a->hp->fd);
	a->hp = NULL;
	r->inflight--;
	r->last_err = err;
}

static void attempt_event(struct attempt *a, uint32_t ev)
{
	struct connrace *r = a->r;
	struct loop_fd *h = a->hp;
	int err = 0, fd = h->fd, idx = a->idx;
	socklen_t len = sizeof(err);
	connrace_done_fn done;
	void *arg;

	/* EPOLLOUT alone is a connect that succeeded: SO_ERROR is only
	 * read when the socket says something went wrong */
	if (ev & (EPOLLERR | EPOLLHUP)) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (!err)
			err = ECONNRESET;
	} else if (!(ev & EPOLLOUT)) {
		return;	/* not connected yet */
	}
	if (err) {
		attempt_failed(a, err);
		settle(r, true);	/* a failure starts the next one at once */
		return;
	}
	/* the winner: its fd leaves the race (on the caller's handle when
	 * it has one), the others are closed */
	if (r->o.own && h != r->o.own) {
		/* a loser on the caller's handle makes room first */
		for (int i = 0; i < CONNRACE_MAX; i++) {
			if (r->at[i].hp == r->o.own) {
				loop_fd_close(r->l, r->o.own, r->o.own->fd);
				r->at[i].hp = NULL;
				r->inflight--;
			}
		}
	}
	if (h != r->o.own) {
		if (r->o.own && loop_fd_move(r->l, h, r->o.own, r->o.own_events, r->o.own_cb) == 0) {
			/* moved */
		} else {
			loop_fd_del(r->l, h);
			if (r->o.own) {
				/* the caller counts on its handle: without it,
				 * this attempt is lost like a failed one */
				close(fd);
				a->hp = NULL;
				r->inflight--;
				r->last_err = ENOMEM;
				settle(r, true);
				return;
			}
		}
	}
	a->hp = NULL;
	if (r->o.syn_sent)
		*r->o.syn_sent = a->sent;
	done = r->done;
	arg = r->arg;
	race_free(r);
	done(arg, fd, idx, 0);
}

static void on_attempt(struct loop_fd *h, uint32_t ev)
{
	attempt_event(container_of(h, struct attempt, h), ev);
}

void connrace_event(struct connrace *r, struct loop_fd *h, uint32_t ev)
{
	for (int i = 0; i < CONNRACE_MAX; i++) {
		if (r->at[i].hp == h) {
			attempt_event(&r->at[i], ev);
			return;
		}
	}
}

static void on_timer(struct loop_timer *t)
{
	struct connrace *r = container_of(t, struct connrace, t);
	uint64_t now = loop_now(r->l);

	for (int i = 0; i < CONNRACE_MAX; i++)
		if (r->at[i].hp && now >= r->at[i].deadline)
			attempt_failed(&r->at[i], ETIMEDOUT);
	settle(r, false);
}

int connrace_start(struct loop *l, const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
		   const struct connrace_opts *o, connrace_done_fn done, void *arg, struct connrace **out)
{
	struct connrace *r;
	int rc;

	if (n <= 0)
		return -EINVAL;
	if (n > CONNRACE_MAX)
		n = CONNRACE_MAX;
	r = calloc(1, sizeof(*r) + sizeof(r->addrs[0]) * (size_t)n);
	if (!r)
		return -ENOMEM;
	r->l = l;
	r->o = *o;
	if (r->o.max_inflight < 1)
		r->o.max_inflight = 1;
	if (r->o.max_inflight > CONNRACE_MAX)
		r->o.max_inflight = CONNRACE_MAX;
	memcpy(r->addrs, addrs, sizeof(addrs[0]) * (size_t)n);
	memcpy(r->lens, lens, sizeof(lens[0]) * (size_t)n);
	r->n = n;
	r->done = done;
	r->arg = arg;
	for (int i = 0; i < CONNRACE_MAX; i++)
		r->at[i].h.fd = -1;	/* hp NULL (calloc) */
	loop_timer_init(&r->t, on_timer);
	connrace_order(r->addrs, n, r->order);
	rc = start_one(r);
	if (rc <= 0) {
		rc = rc < 0 ? rc : -(r->last_err ? r->last_err : EHOSTUNREACH);
		race_free(r);
		return rc;
	}
	settle(r, false);	/* arms the timer (the first attempt is in flight) */
	*out = r;
	return 0;
}
