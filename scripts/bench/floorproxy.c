// SPDX-License-Identifier: GPL-2.0-only
/*
 * floorproxy - the cheapest splice proxy we know how to write, as a floor
 * for the proxy benchmark (target "floor" in scripts/bench/proxy.sh; not
 * product code, no limits, no timeouts, no parsing beyond the hello
 * record's length).
 *
 *   floorproxy LISTEN_PORT:UPSTREAM_PORT...
 *
 * Routing is by listening port, not by name (a name lookup costs nothing
 * measurable next to the syscalls). It reads the ClientHello record,
 * connects the listener's upstream on 127.0.0.1,
 * replays the hello and splices both ways until both sides are done, with
 * the syscall pattern HAProxy uses and nothing else: speculative I/O (read
 * right after accept, send right after connect, act on EAGAIN only), each
 * fd registered once, edge-triggered, for both directions (no
 * EPOLL_CTL_MOD, no EPOLL_CTL_DEL before close), pipes pooled, no
 * SO_ERROR query (the send reports a failed connect). The CPU it spends
 * per connection is, near enough, what the kernel charges any user-space
 * proxy for one proxied TCP connection on this machine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELLO_MAX	16384
#define PIPE_CHUNK	65536
#define POOL_MAX	64

struct half {			/* one direction: from -> to through a pipe */
	int pipe[2];		/* -1: none held */
	size_t in_pipe;
	int eof;		/* source said EOF and it was passed on */
};

struct pconn {
	int cfd, ufd;
	int route;		/* index of the listener it came in on */
	int ready;		/* hello replayed, splicing */
	uint8_t *hello;
	size_t hlen, hgot, hsent;
	struct half up, down;	/* client -> upstream, upstream -> client */
};

#define MAX_LISTEN 8

static int ep, n_listen;
static int lfds[MAX_LISTEN];
static struct sockaddr_in upstreams[MAX_LISTEN];
static struct pconn **by_fd;
static int max_fd;
static int pool[POOL_MAX][2];
static int pooled;

static void die(const char *what)
{
	fprintf(stderr, "floorproxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reg(int fd, struct pconn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.fd = fd,
	};

	by_fd[fd] = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		die("epoll_ctl");
}

static void pipe_put(struct half *h)
{
	if (h->pipe[0] < 0)
		return;
	if (h->in_pipe == 0 && pooled < POOL_MAX) {
		pool[pooled][0] = h->pipe[0];
		pool[pooled][1] = h->pipe[1];
		pooled++;
	} else {
		close(h->pipe[0]);
		close(h->pipe[1]);
	}
	h->pipe[0] = h->pipe[1] = -1;
}

static void conn_free(struct pconn *c)
{
	pipe_put(&c->up);
	pipe_put(&c->down);
	if (c->cfd >= 0) {
		by_fd[c->cfd] = NULL;
		close(c->cfd);
	}
	if (c->ufd >= 0) {
		by_fd[c->ufd] = NULL;
		close(c->ufd);
	}
	free(c->hello);
	free(c);
}

/* Move from -> to until EAGAIN; 0 = fine, -1 = tear down. */
static int pump(struct half *h, int from, int to)
{
	for (;;) {
		if (h->in_pipe) {
			ssize_t w = splice(h->pipe[0], NULL, to, NULL, h->in_pipe,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

			if (w < 0)
				return errno == EAGAIN ? 0 : -1;
			h->in_pipe -= (size_t)w;
			if (h->in_pipe)
				continue;
		}
		if (h->eof)
			return 0;
		if (h->pipe[0] < 0) {
			if (pooled) {
				pooled--;
				h->pipe[0] = pool[pooled][0];
				h->pipe[1] = pool[pooled][1];
			} else if (pipe2(h->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
				return -1;
			}
		}
		ssize_t r = splice(from, NULL, h->pipe[1], NULL, PIPE_CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (r == 0) {
			h->eof = 1;
			shutdown(to, SHUT_WR);
			return 0;
		}
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		h->in_pipe = (size_t)r;
	}
}

static void conn_run(struct pconn *c)
{
	if (!c->ready) {
		/* reading the hello record */
		while (c->hgot < c->hlen) {
			ssize_t r = read(c->cfd, c->hello + c->hgot, c->hlen - c->hgot);

			if (r == 0 || (r < 0 && errno != EAGAIN))
				goto bad;
			if (r < 0)
				return;
			c->hgot += (size_t)r;
			if (c->hlen == 5 && c->hgot == 5) {
				c->hlen += (size_t)c->hello[3] << 8 | c->hello[4];
				if (c->hello[0] != 0x16 || c->hlen > HELLO_MAX)
					goto bad;
			}
		}
		if (c->ufd < 0) {
			c->ufd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->ufd < 0 || c->ufd >= max_fd)
				goto bad;
			if (connect(c->ufd, (struct sockaddr *)&upstreams[c->route],
				    sizeof(upstreams[c->route])) != 0 &&
			    errno != EINPROGRESS)
				goto bad;
			reg(c->ufd, c);
		}
		while (c->hsent < c->hlen) {
			ssize_t w = send(c->ufd, c->hello + c->hsent, c->hlen - c->hsent,
					 MSG_NOSIGNAL);

			if (w < 0 && (errno == EAGAIN || errno == ENOTCONN))
				return;		/* still connecting */
			if (w <= 0)
				goto bad;
			c->hsent += (size_t)w;
		}
		free(c->hello);
		c->hello = NULL;
		c->ready = 1;
	}
	if (pump(&c->up, c->cfd, c->ufd) || pump(&c->down, c->ufd, c->cfd))
		goto bad;
	if (c->up.eof && c->down.eof && !c->up.in_pipe && !c->down.in_pipe)
		goto bad;	/* done: both directions ended */
	return;
bad:
	conn_free(c);
}

static void on_accept(int route)
{
	for (;;) {
		int fd = accept4(lfds[route], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct pconn *c;

		if (fd < 0)
			return;
		if (fd >= max_fd) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || !(c->hello = malloc(HELLO_MAX)))
			die("malloc");
		c->cfd = fd;
		c->ufd = -1;
		c->route = route;
		c->hlen = 5;
		c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
		reg(fd, c);
		conn_run(c);	/* speculative: the hello is often there already */
	}
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct rlimit rl;
	int one = 1;

	if (argc < 2 || argc - 1 > MAX_LISTEN) {
		fprintf(stderr, "usage: floorproxy LISTEN_PORT:UPSTREAM_PORT... (at most %d)\n",
			MAX_LISTEN);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		max_fd = rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur;
	}
	by_fd = calloc((size_t)max_fd, sizeof(*by_fd));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!by_fd || ep < 0)
		die("setup");
	for (n_listen = 0; n_listen < argc - 1; n_listen++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = -1 - n_listen };
		int lport, uport, fd;

		if (sscanf(argv[n_listen + 1], "%d:%d", &lport, &uport) != 2) {
			fprintf(stderr, "floorproxy: '%s': expected LISTEN_PORT:UPSTREAM_PORT\n",
				argv[n_listen + 1]);
			return 2;
		}
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		upstreams[n_listen] = sa;
		upstreams[n_listen].sin_port = htons((uint16_t)uport);
		sa.sin_port = htons((uint16_t)lport);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096))
			die("listen");
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl");
		lfds[n_listen] = fd;
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd < 0)		/* listeners are -1 - index */
				on_accept(-1 - fd);
			else if (by_fd[fd])
				conn_run(by_fd[fd]);
		}
	}
}
