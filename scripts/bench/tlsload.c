// SPDX-License-Identifier: GPL-2.0-only
/*
 * tlsload - TLS 1.2 client for the TLS termination benchmark
 * (scripts/bench/tls.sh). Built by that script with the system cc and
 * BearSSL; not part of the product.
 *
 *   tlsload bulk HOST:PORT PUBKEY up|down SECS     one long TLS connection
 *   tlsload idle HOST:PORT PUBKEY COUNT HOLD_SECS  many established sessions
 *
 * PUBKEY is the server's P-256 public key, the uncompressed point in hex
 * (65 bytes): the client trusts exactly that key (br_x509_knownkey), so no
 * CA path is built and the client's work is the same for every server.
 * The client offers TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 only and no
 * SNI (the benchmark's routes take connections without SNI).
 *
 * Behind the terminator is pxload serve (pxload.c), which reads a 5-byte
 * TLS record header and its body before it acts on a port; the client
 * sends such a header with an empty body as its first plaintext:
 *   up    to SINK: wait for its 'A', then write plaintext until SECS have
 *         passed, then close_notify and wait for the end of the connection
 *         (the sink closes after EOF, so every byte has arrived)
 *   down  to SOURCE: read and discard plaintext for SECS
 *   idle  to HOLD: COUNT connections one after another, each a full
 *         handshake, the header sent and the upstream's 'A' read back; the
 *         client then drops its TLS state and keeps only the socket, so
 *         COUNT sessions stay open at once at little cost here
 * Output is one line of key=value pairs (bulk: bytes= secs= gbps= and
 * cpu=, the client's own CPU seconds over the same span; idle:
 * "ready ok= failed=", printed once all are open, then HOLD_SECS of
 * holding). Every mode is bounded by alarm(), every socket by a receive
 * and send timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define CHUNK		16384		/* one full TLS record of plaintext */
#define SOCK_TIMEOUT_S	10		/* per read or write on a socket */

static const uint8_t preamble[5] = { 0x16, 0x03, 0x01, 0x00, 0x00 };
static uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
static uint8_t buf[CHUNK];
static br_ssl_client_context cc;
static br_x509_minimal_context xmin;	/* replaced by xkk, init_full wants one */
static br_x509_knownkey_context xkk;
static uint8_t q[65];
static br_ec_public_key pk = { BR_EC_secp256r1, q, sizeof(q) };

static void die(const char *what)
{
	fprintf(stderr, "tlsload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_tls(const char *what)
{
	fprintf(stderr, "tlsload: %s: TLS error %d (bearssl.h BR_ERR_*)\n", what,
		br_ssl_engine_last_error(&cc.eng));
	exit(1);
}

static void parse_pubkey(const char *hex)
{
	if (strlen(hex) != 2 * sizeof(q)) {
		fprintf(stderr, "tlsload: PUBKEY must be %zu hex digits (an uncompressed P-256 point)\n",
			2 * sizeof(q));
		exit(2);
	}
	for (size_t i = 0; i < sizeof(q); i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "tlsload: PUBKEY: not hex at %zu\n", 2 * i);
			exit(2);
		}
		q[i] = (uint8_t)v;
	}
}

/* A blocking socket, connected, with a timeout on every read and write. */
static int connect_to(const struct sockaddr_in *sa)
{
	struct timeval tv = { SOCK_TIMEOUT_S, 0 };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int sock_read(void *ctx, unsigned char *b, size_t len)
{
	for (;;) {
		ssize_t n = read(*(int *)ctx, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? (int)n : -1;	/* EOF is an error to the engine */
	}
}

static int sock_write(void *ctx, const unsigned char *b, size_t len)
{
	for (;;) {
		ssize_t n = write(*(int *)ctx, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? (int)n : -1;
	}
}

static void tls_setup(void)
{
	static const uint16_t suites[] = { BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 };

	br_ssl_client_init_full(&cc, &xmin, NULL, 0);
	br_x509_knownkey_init_ec(&xkk, &pk, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(&cc.eng, &xkk.vtable);
	br_ssl_engine_set_versions(&cc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(&cc.eng, suites, 1);
	br_ssl_engine_set_buffer(&cc.eng, iobuf, sizeof(iobuf), 1);
}

/*
 * A new TLS connection on *fd: full handshake, the preamble, and with
 * want_ack the upstream's first byte read back. 0, or -1 with the reason
 * on stderr when verbose.
 */
static int tls_open(br_sslio_context *io, int *fd, int want_ack)
{
	uint8_t a;

	if (!br_ssl_client_reset(&cc, NULL, 0))
		return -1;
	br_sslio_init(io, &cc.eng, sock_read, fd, sock_write, fd);
	if (br_sslio_write_all(io, preamble, sizeof(preamble)) != 0 || br_sslio_flush(io) != 0)
		return -1;
	if (want_ack && (br_sslio_read(io, &a, 1) != 1 || a != 'A'))
		return -1;
	return 0;
}

/* This process's CPU time (user + system), in seconds. */
static double cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmd_bulk(int argc, char **argv)
{
	struct sockaddr_in sa;
	br_sslio_context io;
	int64_t start, end, deadline;
	uint64_t bytes = 0;
	double secs, cpu0;
	int fd, up;

	if (argc != 6) {
		fprintf(stderr, "usage: tlsload bulk HOST:PORT PUBKEY up|down SECS\n");
		return 2;
	}
	sa = addr_or_exit("tlsload", argv[2]);
	parse_pubkey(argv[3]);
	up = strcmp(argv[4], "up") == 0;
	secs = atof(argv[5]);
	alarm((unsigned)secs + 30);
	memset(buf, 'y', sizeof(buf));
	tls_setup();

	fd = connect_to(&sa);
	if (fd < 0) {
		errno = -fd;
		die(argv[2]);
	}
	if (tls_open(&io, &fd, up) != 0)
		die_tls(up ? "bulk up: handshake or the sink's 'A'" : "bulk down: handshake");
	start = now_ns();
	cpu0 = cpu_secs();
	deadline = start + (int64_t)(secs * 1e9);
	if (up) {
		while (now_ns() < deadline) {
			int w = br_sslio_write(&io, buf, sizeof(buf));

			if (w <= 0)
				die_tls("bulk up: write");
			bytes += (uint64_t)w;
		}
		/*
		 * close_notify, then wait for the end of the connection: the
		 * sink closes after EOF, and the terminator then closes or
		 * answers the close_notify; either ends br_sslio_close.
		 */
		br_sslio_close(&io);
	} else {
		while (now_ns() < deadline) {
			int r = br_sslio_read(&io, buf, sizeof(buf));

			if (r <= 0)
				die_tls("bulk down: read");
			bytes += (uint64_t)r;
		}
	}
	end = now_ns();
	close(fd);
	printf("bytes=%llu secs=%.3f gbps=%.3f cpu=%.3f\n", (unsigned long long)bytes,
	       (double)(end - start) / 1e9, (double)bytes * 8 / ((double)(end - start)),
	       cpu_secs() - cpu0);
	return 0;
}

static int cmd_idle(int argc, char **argv)
{
	struct sockaddr_in sa;
	br_sslio_context io;
	struct rlimit rl;
	int count, ok = 0, failed = 0, *fds;
	double hold;
	int64_t deadline;

	if (argc != 6) {
		fprintf(stderr, "usage: tlsload idle HOST:PORT PUBKEY COUNT HOLD_SECS\n");
		return 2;
	}
	sa = addr_or_exit("tlsload", argv[2]);
	parse_pubkey(argv[3]);
	count = atoi(argv[4]);
	hold = atof(argv[5]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (count < 1 || getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rlim_t)count + 16 > rl.rlim_cur) {
		fprintf(stderr, "tlsload: %d connections do not fit the fd limit (raise ulimit -n)\n",
			count);
		return 2;
	}
	alarm((unsigned)hold + 90);
	fds = calloc((size_t)count, sizeof(*fds));
	if (!fds)
		die("calloc");
	tls_setup();
	deadline = now_ns() + 60LL * 1000000000LL;
	while (ok + failed < count && now_ns() < deadline) {
		int fd = connect_to(&sa);

		if (fd < 0) {
			if (!failed++)
				fprintf(stderr, "tlsload: idle: connect: %s\n", strerror(-fd));
			continue;
		}
		if (tls_open(&io, &fd, 1) != 0) {
			if (!failed++)
				fprintf(stderr, "tlsload: idle: handshake or the upstream's 'A': TLS error %d\n",
					br_ssl_engine_last_error(&cc.eng));
			close(fd);
			continue;
		}
		fds[ok++] = fd;	/* the TLS state goes; the session stays open */
	}
	printf("ready ok=%d failed=%d\n", ok, count - ok);
	fflush(stdout);
	{
		struct timespec ts = { (time_t)hold, (long)((hold - (double)(time_t)hold) * 1e9) };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < ok; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "bulk") == 0)
		return cmd_bulk(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc, argv);
	fprintf(stderr, "usage: tlsload bulk|idle HOST:PORT PUBKEY ... (see tlsload.c)\n");
	return 2;
}
