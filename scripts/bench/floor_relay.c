// SPDX-License-Identifier: GPL-2.0-only
/*
 * floor_relay.c - the least a single-threaded epoll TCP relay does per
 * connection, as a yardstick for the proxy's CPU per connection: accept,
 * read the first bytes, connect to one fixed upstream, replay them, copy
 * both ways, pass each EOF on with shutdown(), close. No SNI parsing, no
 * routes, timers, limits, logging or counters; a copy through one stack
 * buffer (the rate test's transfers are small). The syscalls are the ones
 * edgesteer's proxy makes on this path (docs/proxy-performance.md): a
 * short read with EPOLLRDHUP is taken as the EOF, the listener has
 * TCP_DEFER_ACCEPT and the hello is read right after accept4, each socket
 * is registered once, edge-triggered.
 *
 * It takes edgesteer's command line, `floor_relay run -c FILE`, and reads
 * from FILE the `listen = IP:PORT` line and the upstream of the route for
 * close.bench (the rate test's upstream), so that scripts/bench/proxy.sh
 * runs it as BENCH_PROXY_BEFORE, in the same rounds as edgesteer and
 * HAProxy. Only the rate test: nothing else in proxy.sh works with it.
 * A bench tool: errors end the connection, bytes a destination cannot
 * take at once are held in a buffer of the connection's (bounded).
 * FLOOR_RELAY_BATCH=1 (see batch_flush()) puts the calls it does not wait
 * for into an io_uring.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define HELD_MAX	65536	/* bytes one direction may hold unsent */

struct conn;

struct side {
	struct conn *c;
	int idx;		/* 0: client, 1: upstream */
	int fd;
	int rdhup;		/* an event said the peer's FIN is in */
	int eof;		/* EOF read from this side */
	int blocked;		/* reading stopped: the other side holds bytes */
	int shut;		/* its peer's EOF passed on to it (shutdown) */
	size_t held, off;	/* bytes waiting to be written to this side */
	char *buf;
	struct epoll_event ev;	/* its registration, read when the batch goes in */
};

struct conn {
	struct side s[2];	/* 0: client, 1: upstream */
	int connecting;
	struct conn *next_dead;	/* freed after the batch of events it was in */
	int dead;
	char hello[4096];	/* the replay, held until the upstream connects */
};

static struct sockaddr_in upstream;
static struct conn *dead;	/* closed in this batch of events */

/*
 * FLOOR_RELAY_BATCH=1 in the environment: the calls whose result the relay
 * does not wait for (epoll_ctl ADD, shutdown, close) go into an io_uring
 * and in with one io_uring_enter() per loop turn, before epoll_wait();
 * reads, writes, accept4, socket and connect stay system calls. What a
 * small step from epoll towards io_uring would save.
 */
static int batch;
static struct io_uring ring;

static struct io_uring_sqe *batch_sqe(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	if (!sqe) {
		fprintf(stderr, "floor_relay: no submission entry\n");
		exit(1);
	}
	io_uring_sqe_set_data64(sqe, 0);
	return sqe;
}

static void do_close(int fd)
{
	if (batch)
		io_uring_prep_close(batch_sqe(), fd);
	else
		close(fd);
}

static void do_shutdown(int fd)
{
	if (batch)
		io_uring_prep_shutdown(batch_sqe(), fd, SHUT_WR);
	else
		shutdown(fd, SHUT_WR);
}

/* sd->ev must stay as it is until the batch goes in */
static int do_epoll_add(int ep, struct side *sd)
{
	if (!batch)
		return epoll_ctl(ep, EPOLL_CTL_ADD, sd->fd, &sd->ev);
	io_uring_prep_epoll_ctl(batch_sqe(), ep, sd->fd, EPOLL_CTL_ADD, &sd->ev);
	return 0;
}

/* The turn's batch in, and the completions of the last ones dropped
 * (nothing waits for them; a failed close or shutdown changes nothing
 * here, a failed registration leaves its connection hanging, which the
 * rate test would show as a timeout). */
static void batch_flush(void)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	if (!batch)
		return;
	io_uring_submit(&ring);
	io_uring_for_each_cqe(&ring, head, cqe) {
		if (cqe->res < 0)
			fprintf(stderr, "floor_relay: batched call: %s\n", strerror(-cqe->res));
		n++;
	}
	io_uring_cq_advance(&ring, n);
}

/* Closed now, freed after the batch: an event for its other side may
 * still be in it. */
static void conn_free(struct conn *c)
{
	do_close(c->s[0].fd);
	if (c->s[1].fd >= 0)
		do_close(c->s[1].fd);
	c->dead = 1;
	c->next_dead = dead;
	dead = c;
}

static void reap(void)
{
	while (dead) {
		struct conn *c = dead;

		dead = c->next_dead;
		free(c->s[0].buf);
		if (c->s[1].buf != c->hello)
			free(c->s[1].buf);
		free(c);
	}
}

/* Write what side d holds; 0 when it is all out, 1 when some stays. */
static int flush(struct side *d)
{
	while (d->off < d->held) {
		ssize_t n = send(d->fd, d->buf + d->off, d->held - d->off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		d->off += (size_t)n;
	}
	d->held = d->off = 0;
	if (d->buf == d->c->hello)	/* the replay's room is not HELD_MAX */
		d->buf = NULL;
	return 0;
}

/* Bytes for side d: straight out, the rest held. */
static int give(struct side *d, const char *p, size_t n)
{
	ssize_t w = 0;

	if (!d->held) {
		w = send(d->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w < 0)
			w = 0;
	}
	if ((size_t)w == n)
		return 0;
	if (!d->buf && !(d->buf = malloc(HELD_MAX)))
		return -1;
	if (d->held + n - (size_t)w > HELD_MAX)
		return -1;
	memcpy(d->buf + d->held, p + w, n - (size_t)w);
	d->held += n - (size_t)w;
	return 0;
}

/* Side i readable: copy to the other side until EAGAIN or EOF, or until
 * the other side holds bytes (then its EPOLLOUT resumes this). With the
 * peer's FIN known to be in, a short read is the end: no read of 0. */
static int pump(struct conn *c, int i)
{
	struct side *src = &c->s[i], *dst = &c->s[!i];
	char buf[16384];

	ssize_t n;

	src->blocked = 0;
	while (!src->eof) {
		if (dst->held) {
			src->blocked = 1;
			break;
		}
		n = read(src->fd, buf, sizeof(buf));

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0) {
			src->eof = 1;
			break;
		}
		if (give(dst, buf, (size_t)n))
			return -1;
		if ((size_t)n < sizeof(buf)) {
			if (src->rdhup)
				src->eof = 1;
			break;
		}
	}
	return 0;
}

/* After any event: pass EOFs on, close when both ways are done.
 * Returns 1 when the connection was freed. */
static int settle(struct conn *c)
{
	int i;

	/* both ways ended and delivered: close() sends what shutdown would */
	if (c->s[0].eof && c->s[1].eof && !c->s[0].held && !c->s[1].held) {
		conn_free(c);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		struct side *dst = &c->s[!i];

		if (c->s[i].eof && !dst->held && !dst->shut) {
			do_shutdown(dst->fd);
			dst->shut = 1;
		}
	}
	if (c->s[0].shut && c->s[1].shut) {
		conn_free(c);
		return 1;
	}
	return 0;
}

/* The hello, n bytes, is in c->hello. */
static int start_upstream(int ep, struct conn *c, size_t n)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	c->s[1].fd = fd;
	if (connect(fd, (struct sockaddr *)&upstream, sizeof(upstream)) && errno != EINPROGRESS)
		return -1;
	c->connecting = 1;
	/* the replay waits in the upstream's buffer until the handshake is done */
	c->s[1].buf = c->hello;
	c->s[1].held = n;
	c->s[1].ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					   .data.ptr = &c->s[1] };
	return do_epoll_add(ep, &c->s[1]);
}

static void on_accept(int ep, int lfd)
{
	int k;

	for (k = 0; k < 64; k++) {
		struct conn *c;
		ssize_t n;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->s[0] = (struct side){ .c = c, .idx = 0, .fd = fd };
		c->s[1] = (struct side){ .c = c, .idx = 1, .fd = -1 };
		c->s[0].ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						   .data.ptr = &c->s[0] };
		if (do_epoll_add(ep, &c->s[0])) {
			conn_free(c);
			continue;
		}
		/* TCP_DEFER_ACCEPT: the hello is normally there already */
		n = read(fd, c->hello, sizeof(c->hello));
		if (n > 0 && start_upstream(ep, c, (size_t)n))
			conn_free(c);
		else if (n == 0 || (n < 0 && errno != EAGAIN))
			conn_free(c);
		/* n < 0, EAGAIN: the client's EPOLLIN brings it (see on_side) */
	}
}

static void on_side(int ep, struct side *sd, unsigned int events)
{
	struct conn *c = sd->c;
	int i = sd->idx;

	if (c->dead)
		return;
	if (events & EPOLLERR)
		goto drop;
	if (events & EPOLLRDHUP)
		sd->rdhup = 1;
	if (i == 0 && c->s[1].fd < 0) {
		/* the hello was not there at accept */
		ssize_t n = read(sd->fd, c->hello, sizeof(c->hello));

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || start_upstream(ep, c, (size_t)n))
			goto drop;
		return;
	}
	if (i == 1 && c->connecting) {
		if (!(events & EPOLLOUT))
			return;
		c->connecting = 0;
	}
	if ((events & EPOLLOUT) && sd->held) {
		int r = flush(sd);

		if (r < 0)
			goto drop;
		if (!r && c->s[!i].blocked && pump(c, !i))	/* room again */
			goto drop;
	}
	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && pump(c, i))
		goto drop;
	settle(c);
	return;
drop:
	conn_free(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in lis;
	struct epoll_event evs[256], ev = { .events = EPOLLIN };
	int lfd, ep;

	relay_conf_or_exit("floor_relay", argc, argv, &lis, &upstream);
	batch = getenv("FLOOR_RELAY_BATCH") && !strcmp(getenv("FLOOR_RELAY_BATCH"), "1");
	if (batch) {
		int r = io_uring_queue_init(1024, &ring, 0);

		if (r < 0) {
			fprintf(stderr, "floor_relay: io_uring: %s\n", strerror(-r));
			return 1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = relay_listen_or_exit("floor_relay", &lis, SOCK_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("floor_relay: epoll");
		return 1;
	}
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("floor_relay: epoll");
		return 1;
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1), k;

		for (k = 0; k < n; k++) {
			if (!evs[k].data.ptr)
				on_accept(ep, lfd);
			else
				on_side(ep, evs[k].data.ptr, evs[k].events);
		}
		batch_flush();	/* before reap(): the batch reads the sides' ev */
		reap();
	}
}
