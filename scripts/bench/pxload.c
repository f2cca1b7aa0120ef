// SPDX-License-Identifier: GPL-2.0-only
/*
 * pxload - load generator and upstream server for the proxy benchmark
 * (scripts/bench/proxy.sh). Built by that script with the system cc; not
 * part of the product.
 *
 *   pxload serve HOST SINK SOURCE HOLD CLOSE [REQ RESP]  upstream on four ports
 *   pxload bulk  HOST:PORT SNI up|down SECS     one long connection
 *   pxload rate  HOST:PORT SNI CONC SECS [REQ]  connections per second
 *   pxload idle  HOST:PORT SNI COUNT HOLD_SECS  many idle connections
 *   pxload hello SNI                            ClientHello to stdout
 *
 * Every client connection starts with a real TLS 1.3-style ClientHello
 * carrying SNI (built here, padded to 517 bytes like OpenSSL's), so SNI
 * routers (edgesteer, HAProxy req.ssl_sni, nginx ssl_preread, sniproxy)
 * route it; the upstream is a plain TCP server, not TLS, so the numbers
 * isolate the proxy. The upstream reads the whole hello record first, then
 * per port:
 *   SINK    write one byte 'A', read and discard until EOF, then close
 *           (bulk up; like a TLS client, the sender waits for the
 *           server's first bytes before it streams)
 *   SOURCE  write without end until the peer goes     (bulk down)
 *   HOLD    write one byte 'A', then wait for EOF     (idle connections)
 *   CLOSE   read REQ more bytes (the request; 0 by default), write
 *           RESP bytes (the response; 1 by default) and close
 *                                                     (connection rate)
 * The rate client sends its hello and a REQ-byte request in one write,
 * then reads until EOF.
 * In the CLOSE case the upstream closes first, so TIME_WAIT lands on the
 * accepting sides and neither the client nor the proxy runs out of
 * ephemeral ports during the rate test.
 *
 * With PXLOAD_FASTOPEN=QLEN in the environment, serve's listeners accept
 * TCP Fast Open (TCP_FASTOPEN, QLEN pending; net.ipv4.tcp_fastopen must
 * have its server bit, 2).
 *
 * Output is one line of key=value pairs for the script to parse. Every
 * mode is bounded by alarm() in case a proxy stalls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define BUF_SIZE	(256 * 1024)
#define MAX_EVENTS	256
#define HELLO_MAX	1024
#define CONN_DEADLINE_NS (5LL * 1000000000LL)	/* rate: one connection */

static uint8_t buf[BUF_SIZE];
static uint8_t hello[HELLO_MAX];
static size_t hello_len;

static void die(const char *what)
{
	fprintf(stderr, "pxload: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- ClientHello ----------------------------------------------------- */

static uint8_t *put8(uint8_t *p, unsigned v) { *p++ = (uint8_t)v; return p; }
static uint8_t *put16(uint8_t *p, unsigned v) { p = put8(p, v >> 8); return put8(p, v); }
static uint8_t *put24(uint8_t *p, unsigned v) { p = put8(p, v >> 16); return put16(p, v); }

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

/*
 * A hello with the shape OpenSSL 3 sends: record version 3.1, legacy
 * version 3.3, 32-byte session id, common suites, SNI, groups, point
 * formats, signature algorithms, supported_versions (1.3, 1.2), an x25519
 * key share, psk modes, and padding to a 517-byte record.
 */
static size_t build_hello(uint8_t *out, const char *sni)
{
	static const uint8_t suites[] = {
		0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30,
		0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
		0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
		0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14,
		0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
		0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f,
		0x00, 0xff,
	};
	static const uint8_t groups[] = {
		0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
	};
	static const uint8_t sigalgs[] = {
		0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08,
		0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
		0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01,
	};
	size_t sni_len = strlen(sni);
	uint8_t *p = out, *hs_len, *ext_len, *ext_start, *rec_len;
	size_t body, pad;

	if (sni_len > 200) {
		fprintf(stderr, "pxload: SNI '%s' longer than 200 bytes\n", sni);
		exit(2);
	}
	p = put8(p, 0x16);			/* handshake record */
	p = put16(p, 0x0301);
	rec_len = p; p += 2;
	p = put8(p, 0x01);			/* ClientHello */
	hs_len = p; p += 3;
	p = put16(p, 0x0303);
	for (int i = 0; i < 32; i++)		/* random */
		p = put8(p, (unsigned)rand());
	p = put8(p, 32);			/* legacy session id */
	for (int i = 0; i < 32; i++)
		p = put8(p, (unsigned)rand());
	p = put16(p, sizeof(suites));
	p = put_bytes(p, suites, sizeof(suites));
	p = put8(p, 1);				/* compression: null */
	p = put8(p, 0);
	ext_len = p; p += 2;
	ext_start = p;

	p = put16(p, 0x0000);			/* server_name */
	p = put16(p, sni_len + 5);
	p = put16(p, sni_len + 3);
	p = put8(p, 0);
	p = put16(p, sni_len);
	p = put_bytes(p, sni, sni_len);

	p = put16(p, 0x000b);			/* ec_point_formats */
	p = put16(p, 4);
	p = put8(p, 3); p = put8(p, 0); p = put8(p, 1); p = put8(p, 2);

	p = put16(p, 0x000a);			/* supported_groups */
	p = put16(p, sizeof(groups) + 2);
	p = put16(p, sizeof(groups));
	p = put_bytes(p, groups, sizeof(groups));

	p = put16(p, 0x0023); p = put16(p, 0);	/* session_ticket */
	p = put16(p, 0x0016); p = put16(p, 0);	/* encrypt_then_mac */
	p = put16(p, 0x0017); p = put16(p, 0);	/* extended_master_secret */

	p = put16(p, 0x000d);			/* signature_algorithms */
	p = put16(p, sizeof(sigalgs) + 2);
	p = put16(p, sizeof(sigalgs));
	p = put_bytes(p, sigalgs, sizeof(sigalgs));

	p = put16(p, 0x002b);			/* supported_versions */
	p = put16(p, 5);
	p = put8(p, 4); p = put16(p, 0x0304); p = put16(p, 0x0303);

	p = put16(p, 0x002d);			/* psk_key_exchange_modes */
	p = put16(p, 2);
	p = put8(p, 1); p = put8(p, 1);

	p = put16(p, 0x0033);			/* key_share: x25519 */
	p = put16(p, 38);
	p = put16(p, 36);
	p = put16(p, 0x001d);
	p = put16(p, 32);
	for (int i = 0; i < 32; i++)
		p = put8(p, (unsigned)rand());

	/* padding (RFC 7685) so that the record is 517 bytes long */
	body = (size_t)(p - out) + 4;
	pad = body < 517 ? 517 - body : 0;
	p = put16(p, 0x0015);
	p = put16(p, pad);
	memset(p, 0, pad);
	p += pad;

	put16(ext_len, (unsigned)(p - ext_start));
	put24(hs_len, (unsigned)(p - hs_len - 3));
	put16(rec_len, (unsigned)(p - rec_len - 2));
	return (size_t)(p - out);
}

/* ---- sockets ---------------------------------------------------------- */

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int max_fds(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > 1 << 20)
		return 1 << 20;
	return (int)rl.rlim_cur;
}

static void ep_ctl(int ep, int op, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (epoll_ctl(ep, op, fd, &ev) != 0)
		die("epoll_ctl");
}

/* ---- upstream server ---------------------------------------------------- */

enum srv_mode { SRV_SINK, SRV_SOURCE, SRV_HOLD, SRV_CLOSE, SRV_NMODES };

struct srv_conn {
	uint8_t in_use;
	uint8_t mode;
	uint8_t hello_done;
	uint8_t hdr_got;	/* bytes of the 5-byte record header seen */
	uint8_t hdr[5];
	uint32_t hello_left;	/* record body bytes still to read */
	uint32_t req_left;	/* CLOSE: request bytes still to read */
};

static struct srv_conn *srv;
static int srv_max;
static uint32_t srv_req, srv_resp = 1;	/* CLOSE: request and response sizes */

static void srv_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	srv[fd].in_use = 0;
}

/* Consume hello bytes from buf[0..n); returns how many were hello bytes. */
static size_t srv_eat_hello(struct srv_conn *c, size_t n)
{
	size_t used = 0;

	while (used < n && c->hdr_got < 5) {
		c->hdr[c->hdr_got++] = buf[used++];
		if (c->hdr_got == 5)
			c->hello_left = (uint32_t)c->hdr[3] << 8 | c->hdr[4];
	}
	if (c->hdr_got == 5) {
		size_t take = n - used < c->hello_left ? n - used : c->hello_left;

		c->hello_left -= (uint32_t)take;
		used += take;
		if (c->hello_left == 0)
			c->hello_done = 1;
	}
	return used;
}

static void srv_readable(int ep, int fd)
{
	struct srv_conn *c = &srv[fd];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			srv_close(ep, fd);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (c->hello_done && !(c->mode == SRV_CLOSE && c->req_left))
			continue;
		if (!c->hello_done) {
			size_t used = srv_eat_hello(c, (size_t)n);

			if (!c->hello_done)
				continue;
			c->req_left = srv_req;
			n -= (ssize_t)used;
		}
		if (c->mode == SRV_CLOSE) {
			c->req_left -= (uint32_t)n < c->req_left ? (uint32_t)n : c->req_left;
			if (c->req_left)
				continue;
		}
		switch (c->mode) {
		case SRV_SINK:
			if (write(fd, "A", 1) != 1) {
				srv_close(ep, fd);
				return;
			}
			break;
		case SRV_SOURCE:
			ep_ctl(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT);
			break;
		case SRV_HOLD:
			if (write(fd, "A", 1) != 1) {
				srv_close(ep, fd);
				return;
			}
			break;
		case SRV_CLOSE:
			/* srv_resp <= BUF_SIZE: fits an empty socket buffer */
			if (write(fd, buf, srv_resp) != (ssize_t)srv_resp)
				fprintf(stderr, "pxload: serve: response: %s\n", strerror(errno));
			srv_close(ep, fd);
			return;
		}
	}
}

static void srv_writable(int ep, int fd)
{
	for (;;) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			srv_close(ep, fd);
			return;
		}
	}
}

static int srv_listen(const char *host, const char *port)
{
	char hp[96];
	struct sockaddr_in sa;
	int one = 1, fd;

	snprintf(hp, sizeof(hp), "%s:%s", host, port);
	sa = addr_or_exit("pxload", hp);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (getenv("PXLOAD_FASTOPEN")) {
		int qlen = atoi(getenv("PXLOAD_FASTOPEN"));

		if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) != 0)
			die("setsockopt TCP_FASTOPEN");
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "pxload: bind %s: %s\n", hp, strerror(errno));
		exit(1);
	}
	if (listen(fd, 4096) != 0)
		die("listen");
	return fd;
}

static int cmd_serve(int argc, char **argv)
{
	int lfd[SRV_NMODES], ep;
	struct epoll_event evs[MAX_EVENTS];

	if (argc != 7 && argc != 9) {
		fprintf(stderr, "usage: pxload serve HOST SINK SOURCE HOLD CLOSE [REQ RESP]\n");
		return 2;
	}
	if (argc == 9) {
		srv_req = (uint32_t)atoi(argv[7]);
		srv_resp = (uint32_t)atoi(argv[8]);
		if (srv_req > BUF_SIZE || srv_resp < 1 || srv_resp > 65536) {
			fprintf(stderr, "pxload: serve: REQ 0..%d, RESP 1..65536\n", BUF_SIZE);
			return 2;
		}
	}
	srv_max = max_fds();
	srv = calloc((size_t)srv_max, sizeof(*srv));
	if (!srv)
		die("calloc");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (int m = 0; m < SRV_NMODES; m++) {
		lfd[m] = srv_listen(argv[2], argv[3 + m]);
		ep_ctl(ep, EPOLL_CTL_ADD, lfd[m], EPOLLIN);
	}
	memset(buf, 'x', sizeof(buf));
	printf("listening\n");
	fflush(stdout);

	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, m;

			for (m = 0; m < SRV_NMODES && lfd[m] != fd; m++)
				;
			if (m < SRV_NMODES) {
				int cfd;

				while ((cfd = accept4(fd, NULL, NULL,
						      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (cfd >= srv_max) {
						close(cfd);
						continue;
					}
					memset(&srv[cfd], 0, sizeof(srv[cfd]));
					srv[cfd].in_use = 1;
					srv[cfd].mode = (uint8_t)m;
					ep_ctl(ep, EPOLL_CTL_ADD, cfd, EPOLLIN);
				}
				if (errno == EMFILE || errno == ENFILE)
					fprintf(stderr, "pxload: serve: accept: %s\n",
						strerror(errno));
				continue;
			}
			if (!srv[fd].in_use)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				srv_readable(ep, fd);
			if (srv[fd].in_use && (evs[i].events & EPOLLOUT))
				srv_writable(ep, fd);
		}
	}
}

/* ---- clients ------------------------------------------------------------ */

static int connect_blocking(struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0)
		die("connect");
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
}

static int cmd_bulk(int argc, char **argv)
{
	struct sockaddr_in sa;
	int64_t start, end, deadline;
	uint64_t bytes = 0;
	double secs;
	int fd, up;

	if (argc != 6) {
		fprintf(stderr, "usage: pxload bulk HOST:PORT SNI up|down SECS\n");
		return 2;
	}
	sa = addr_or_exit("pxload", argv[2]);
	up = strcmp(argv[4], "up") == 0;
	secs = atof(argv[5]);
	alarm((unsigned)secs + 30);
	memset(buf, 'y', sizeof(buf));

	fd = connect_blocking(&sa);
	write_all(fd, hello, hello_len);
	if (up && read(fd, buf, 1) != 1)	/* the sink's 'A': routed and connected */
		die("bulk up: no answer to the hello");
	start = now_ns();
	deadline = start + (int64_t)(secs * 1e9);
	if (up) {
		while (now_ns() < deadline) {
			ssize_t w = write(fd, buf, sizeof(buf));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die("bulk up: write");
			bytes += (uint64_t)w;
		}
		/* the sink closes after EOF: every byte has arrived when we see it */
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	} else {
		while (now_ns() < deadline) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("bulk down: read");
			bytes += (uint64_t)r;
		}
	}
	end = now_ns();
	close(fd);
	printf("bytes=%llu secs=%.3f gbps=%.3f\n", (unsigned long long)bytes,
	       (double)(end - start) / 1e9,
	       (double)bytes * 8 / ((double)(end - start)));
	return 0;
}

/* A client connection of the rate and idle modes. */
struct cli_conn {
	int fd;			/* -1: slot free */
	uint8_t state;		/* CLI_CONNECTING, CLI_WAIT_ACK, CLI_WAIT_EOF, CLI_IDLE */
	int64_t started;
};

enum { CLI_CONNECTING, CLI_WAIT_ACK, CLI_WAIT_EOF, CLI_IDLE };

static int cli_open(int ep, struct sockaddr_in *sa, struct cli_conn *c, int slot)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)slot };

	if (fd < 0)
		return -errno;
	c->started = now_ns();
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0 &&
	    errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		die("epoll_ctl");
	c->fd = fd;
	c->state = CLI_CONNECTING;
	return 0;
}

static void cli_close(struct cli_conn *c)
{
	close(c->fd);	/* also removes it from epoll */
	c->fd = -1;
}

/*
 * Advance connection c on an epoll event. Returns 1 when the exchange is
 * complete (ack and, unless hold, EOF), -1 on failure, 0 to wait.
 */
static int cli_step(int ep, struct cli_conn *c, int slot, uint32_t events, int hold)
{
	if (c->state == CLI_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)slot };

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			return -1;
		if (write(c->fd, hello, hello_len) != (ssize_t)hello_len)
			return -1;
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			die("epoll_ctl");
		c->state = CLI_WAIT_ACK;
		return 0;
	}
	for (;;) {
		char b[512];
		ssize_t n = read(c->fd, b, sizeof(b));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			return c->state == CLI_WAIT_EOF ? 1 : -1;
		if (c->state == CLI_WAIT_ACK) {
			if (hold) {
				c->state = CLI_IDLE;
				return 1;
			}
			c->state = CLI_WAIT_EOF;
		}
	}
	(void)events;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_rate(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event evs[MAX_EVENTS];
	struct cli_conn *conns;
	uint32_t *lat = NULL;
	size_t n_lat = 0, cap_lat = 0;
	uint64_t errors = 0;
	int64_t start, deadline, end, last_scan;
	int conc, ep, active = 0;
	double secs;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: pxload rate HOST:PORT SNI CONC SECS [REQ]\n");
		return 2;
	}
	sa = addr_or_exit("pxload", argv[2]);
	conc = atoi(argv[4]);
	secs = atof(argv[5]);
	if (argc == 7) {
		/* the request rides behind the hello, in the same write */
		int req = atoi(argv[6]);

		if (req < 0 || (size_t)req > HELLO_MAX - hello_len) {
			fprintf(stderr, "pxload: request of %d bytes out of 0..%zu\n", req, HELLO_MAX - hello_len);
			return 2;
		}
		memset(hello + hello_len, 'q', (size_t)req);
		hello_len += (size_t)req;
	}
	if (conc < 1 || conc > 4096) {
		fprintf(stderr, "pxload: concurrency %d out of 1..4096\n", conc);
		return 2;
	}
	alarm((unsigned)secs + 30);
	conns = calloc((size_t)conc, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0)
		die("setup");
	start = now_ns();
	deadline = start + (int64_t)(secs * 1e9);
	last_scan = start;
	for (int i = 0; i < conc; i++) {
		conns[i].fd = -1;
		if (cli_open(ep, &sa, &conns[i], i) == 0)
			active++;
		else
			errors++;
	}
	while (active > 0) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
		int64_t t = now_ns();

		for (int i = 0; i < n; i++) {
			int slot = (int)evs[i].data.u32;
			struct cli_conn *c = &conns[slot];
			int r;

			if (c->fd < 0)
				continue;
			r = cli_step(ep, c, slot, evs[i].events, 0);
			if (r == 0)
				continue;
			t = now_ns();
			if (r > 0) {
				if (n_lat == cap_lat) {
					cap_lat = cap_lat ? cap_lat * 2 : 65536;
					lat = realloc(lat, cap_lat * sizeof(*lat));
					if (!lat)
						die("realloc");
				}
				lat[n_lat++] = (uint32_t)((t - c->started) / 1000);
			} else {
				errors++;
			}
			cli_close(c);
			active--;
			if (t < deadline) {
				if (cli_open(ep, &sa, c, slot) == 0)
					active++;
				else
					errors++;
			}
		}
		if (t - last_scan > 100000000LL) {
			last_scan = t;
			for (int i = 0; i < conc; i++) {
				if (conns[i].fd >= 0 && t - conns[i].started > CONN_DEADLINE_NS) {
					errors++;
					cli_close(&conns[i]);
					active--;
				}
			}
		}
	}
	end = now_ns();
	if (n_lat)
		qsort(lat, n_lat, sizeof(*lat), cmp_u32);
#define PCT(p) (n_lat ? lat[(size_t)((double)n_lat * (p))] : 0)
	printf("conns=%zu errors=%llu secs=%.3f rate=%.0f p50_us=%u p90_us=%u p99_us=%u "
	       "p999_us=%u max_us=%u\n",
	       n_lat, (unsigned long long)errors, (double)(end - start) / 1e9,
	       (double)n_lat * 1e9 / (double)(end - start),
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), n_lat ? lat[n_lat - 1] : 0);
#undef PCT
	free(lat);
	free(conns);
	return 0;
}

static int cmd_idle(int argc, char **argv)
{
	enum { MAX_PENDING = 256 };
	struct sockaddr_in sa;
	struct epoll_event evs[MAX_EVENTS];
	struct cli_conn *conns;
	int count, ep, opened = 0, pending = 0, ok = 0, failed = 0;
	double hold;
	int64_t deadline;

	if (argc != 6) {
		fprintf(stderr, "usage: pxload idle HOST:PORT SNI COUNT HOLD_SECS\n");
		return 2;
	}
	raise_nofile();
	sa = addr_or_exit("pxload", argv[2]);
	count = atoi(argv[4]);
	hold = atof(argv[5]);
	if (count < 1 || count > max_fds() - 16) {
		fprintf(stderr, "pxload: %d connections do not fit the fd limit %d "
			"(raise ulimit -n)\n", count, max_fds());
		return 2;
	}
	alarm((unsigned)hold + 60);
	conns = calloc((size_t)count, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0)
		die("setup");
	deadline = now_ns() + 30LL * 1000000000LL;
	while (ok + failed < count && now_ns() < deadline) {
		int n;

		while (opened < count && pending < MAX_PENDING) {
			conns[opened].fd = -1;
			if (cli_open(ep, &sa, &conns[opened], opened) == 0)
				pending++;
			else
				failed++;
			opened++;
		}
		n = epoll_wait(ep, evs, MAX_EVENTS, 100);
		for (int i = 0; i < n; i++) {
			int slot = (int)evs[i].data.u32;
			struct cli_conn *c = &conns[slot];
			int r;

			if (c->fd < 0 || c->state == CLI_IDLE)
				continue;
			r = cli_step(ep, c, slot, evs[i].events, 1);
			if (r == 0)
				continue;
			pending--;
			if (r > 0) {
				ok++;
				/* idle now: no more interest, the fd just stays open */
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			} else {
				failed++;
				cli_close(c);
			}
		}
	}
	printf("ready ok=%d failed=%d\n", ok, failed + (count - ok - failed));
	fflush(stdout);
	{
		struct timespec ts = { (time_t)hold,
				       (long)((hold - (double)(time_t)hold) * 1e9) };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < opened; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(conns);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sni = argc > 3 ? argv[3] : "bench.invalid";

	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)getpid());
	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "serve") == 0) {
		raise_nofile();
		return cmd_serve(argc, argv);
	}
	if (strcmp(argv[1], "hello") == 0) {
		if (argc != 3)
			goto usage;
		hello_len = build_hello(hello, argv[2]);
		write_all(1, hello, hello_len);
		return 0;
	}
	hello_len = build_hello(hello, sni);
	if (strcmp(argv[1], "bulk") == 0)
		return cmd_bulk(argc, argv);
	if (strcmp(argv[1], "rate") == 0)
		return cmd_rate(argc, argv);
	if (strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc, argv);
usage:
	fprintf(stderr, "usage: pxload serve|bulk|rate|idle|hello ... (see pxload.c)\n");
	return 2;
}
