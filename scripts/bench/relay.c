// SPDX-License-Identifier: GPL-2.0-only
/*
 * relay - a one-connection TCP relay for the sockmap experiment
 * (scripts/bench/sockmap.sh). Built by that script; not product code.
 *
 *   relay copy|splice|sockmap up|down LISTEN_PORT UPSTREAM_PORT
 *
 * Accepts one client on 127.0.0.1:LISTEN_PORT, reads its ClientHello record
 * (as an SNI proxy must), connects 127.0.0.1:UPSTREAM_PORT, forwards the
 * hello (and, going up, the sink's one-byte answer back) and then moves
 * the bulk direction (up: client to upstream, down:
 * upstream to client) by
 *   copy     read(2)/write(2) through a 256 KiB buffer
 *   splice   splice(2) socket -> pipe (1 MiB) -> socket, no user copy
 *   sockmap  a BPF stream verdict program (relay.bpf.c) redirecting skbs
 *            between the two sockets inside the kernel; the relay only
 *            waits for the end
 * Ends of stream: up ends when the client half-closes (propagated with
 * shutdown) and the upstream closes; down ends when the client closes.
 * At exit it prints in=N out=N (bytes the sender's socket received, bytes
 * the receiver's socket had acknowledged) and cpu_us=N (its utime+stime). Blocking I/O on purpose: one connection, one direction, nothing else to
 * serve, so the cost measured is the data path alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "relay.skel.h"

#define PIPE_SIZE (1 << 20)

static uint8_t buf[256 * 1024];

static void die(const char *what)
{
	fprintf(stderr, "relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static void read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			die("read hello");
		p += r;
		n -= (size_t)r;
	}
}

static void write_full(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			die("write hello");
		p += w;
		n -= (size_t)w;
	}
}

/* Move src -> dst until src's EOF or an error; returns bytes moved. */
static uint64_t pump_copy(int src, int dst)
{
	uint64_t total = 0;

	for (;;) {
		ssize_t r = read(src, buf, sizeof(buf)), off = 0;

		if (r <= 0)
			return total;
		while (off < r) {
			ssize_t w = write(dst, buf + off, (size_t)(r - off));

			if (w <= 0)
				return total;
			off += w;
		}
		total += (uint64_t)r;
	}
}

static uint64_t pump_splice(int src, int dst)
{
	uint64_t total = 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe2");
	if (fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE) < 0)
		fprintf(stderr, "relay: F_SETPIPE_SZ: %s (using the default)\n", strerror(errno));
	for (;;) {
		ssize_t r = splice(src, NULL, p[1], NULL, PIPE_SIZE, SPLICE_F_MOVE | SPLICE_F_MORE);

		if (r <= 0)
			break;
		total += (uint64_t)r;
		while (r > 0) {
			ssize_t w = splice(p[0], NULL, dst, NULL, (size_t)r,
					   SPLICE_F_MOVE | SPLICE_F_MORE);

			if (w <= 0)
				goto out;
			r -= w;
		}
	}
out:
	close(p[0]);
	close(p[1]);
	return total;
}

/* Wait until fd's peer has closed (or half-closed) its side. */
static void wait_hup(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

static void tcp_bytes(int fd, uint64_t *received, uint64_t *acked)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		die("TCP_INFO");
	*received = ti.tcpi_bytes_received;
	*acked = ti.tcpi_bytes_acked;
}

/*
 * Redirected skbs wait in the other socket's psock queue, charged to
 * neither socket; wait (at most 60 s) until the upstream has acknowledged
 * every byte the client sent, so that the FIN we send next cannot
 * overtake data and the client's timing covers the delivery.
 */
static void wait_delivered(int from, int to)
{
	for (int i = 0; i < 60000; i++) {
		uint64_t in, out, dummy;

		tcp_bytes(from, &in, &dummy);
		tcp_bytes(to, &dummy, &out);
		if (out >= in)
			return;
		usleep(1000);
	}
	fprintf(stderr, "relay: not everything was delivered after 60 s\n");
}

int main(int argc, char **argv)
{
	struct relay_bpf *skel = NULL;
	struct sockaddr_in sa;
	uint8_t hello[5 + 16384];
	int lfd, cfd, ufd, up, one = 1, port;
	size_t hlen;
	const char *mode;

	if (argc != 5) {
		fprintf(stderr, "usage: relay copy|splice|sockmap up|down LISTEN_PORT UPSTREAM_PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	mode = argv[1];
	up = strcmp(argv[2], "up") == 0;
	port = atoi(argv[3]);

	if (strcmp(mode, "sockmap") == 0) {
		skel = relay_bpf__open();
		if (!skel)
			die("open relay.bpf.o");
		skel->rodata->client_port = (uint32_t)port;
		if (relay_bpf__load(skel))
			die("load relay.bpf.o");
		if (bpf_prog_attach(bpf_program__fd(skel->progs.relay_verdict),
				    bpf_map__fd(skel->maps.pair), BPF_SK_SKB_STREAM_VERDICT, 0))
			die("attach stream verdict");
	}

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa = lo(port);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16))
		die("listen");
	printf("listening\n");
	fflush(stdout);
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		die("accept");

	read_full(cfd, hello, 5);
	hlen = 5 + ((size_t)hello[3] << 8 | hello[4]);
	read_full(cfd, hello + 5, hlen - 5);

	ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa = lo(atoi(argv[4]));
	if (ufd < 0 || connect(ufd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect upstream");

	if (skel) {
		uint32_t k0 = 0, k1 = 1, v0 = (uint32_t)cfd, v1 = (uint32_t)ufd;

		/* both in the map before the upstream can answer the hello */
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.pair), &k0, &v0, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.pair), &k1, &v1, BPF_ANY))
			die("sockmap update");
	}
	write_full(ufd, hello, hlen);

	if (up) {
		if (!skel) {
			/* the sink's one-byte answer (its "first flight") goes back */
			uint8_t a;

			if (read(ufd, &a, 1) != 1 || write(cfd, &a, 1) != 1)
				die("relay the sink's answer");
		}
		if (skel) {
			wait_hup(cfd);
			wait_delivered(cfd, ufd);
		} else if (strcmp(mode, "splice") == 0) {
			pump_splice(cfd, ufd);
		} else {
			pump_copy(cfd, ufd);
		}
		shutdown(ufd, SHUT_WR);
		wait_hup(ufd);	/* the sink closes after our EOF */
	} else {
		if (skel)
			wait_hup(cfd);
		else if (strcmp(mode, "splice") == 0)
			pump_splice(ufd, cfd);
		else
			pump_copy(ufd, cfd);
	}
	{
		/* bytes in from the sender vs bytes the receiver acknowledged:
		 * what a relay accepted and never delivered shows as a gap */
		uint64_t cin, cout, uin, uout;

		tcp_bytes(cfd, &cin, &cout);
		tcp_bytes(ufd, &uin, &uout);
		printf("in=%llu out=%llu\n", (unsigned long long)(up ? cin : uin),
		       (unsigned long long)(up ? uout : cout));
	}
	close(cfd);
	close(ufd);
	close(lfd);
	relay_bpf__destroy(skel);
	{
		/* our own CPU, for the table: /proc/PID is gone once we exit */
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("cpu_us=%lld\n",
		       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
		       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	}
	return 0;
}
