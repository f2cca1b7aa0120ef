// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: how a terminate= route's handshake goes out on the wire.
 *
 * A server flight written in several small send()s on a socket without
 * TCP_NODELAY meets the client's delayed ACK: Nagle holds the second
 * record (the Finished after the ChangeCipherSpec) until the client ACKs
 * the first, which it delays by ~40 ms because it is waiting for the
 * whole flight. That stall made every terminated handshake take 44 ms on
 * loopback instead of a few. This is a functional check of that stall,
 * not a benchmark: a handshake through the proxy, by a client that sets
 * TCP_NODELAY itself, must complete far below the delayed-ACK timer
 * (median of 10 under 40 ms; without the stall it is a few ms, with it
 * never under 40). Private network namespace; ports 22260+.
 */
#include "proxy_util.h"

#include <sys/epoll.h>

#include "proxy/tls_term.h"
#include "tls/tls.h"

#define PORT 22261
#define UP_PORT 22262
#define ROUNDS 10
#define STALL_MS 40.0

FIXTURE(hs) {
	char dir[64], log[96];
	int up;
	pid_t proxy;
	struct tls_anchors *ca, *ca_ec;
};

FIXTURE_SETUP(hs)
{
	char conf[1024];
	const char *src = getenv("EDGESTEER_SRC");

	self->up = -1;
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-hs-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test ec.test >/dev/null", src ? src : ".", self->dir))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	ASSERT_EQ(tls_anchors_load(strcat(strcpy(conf, self->dir), "/ca.crt"), &self->ca), 0);
	ASSERT_EQ(tls_anchors_load(strcat(strcpy(conf, self->dir), "/ca-ec.crt"), &self->ca_ec), 0);
	/* the upstream: a listener whose backlog completes the connects */
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	snprintf(conf, sizeof(conf),
		 "[proxy hs]\nlisten = 127.0.0.1:%d\nprotocol = tls\n"
		 "route = app.test 127.0.0.1:%d terminate=%s/server.crt,%s/server.key\n"
		 "route = ec.test 127.0.0.1:%d terminate=%s/server-ec.crt,%s/server-ec.key\n",
		 PORT, UP_PORT, self->dir, self->dir, UP_PORT, self->dir, self->dir);
	pu_child_init = tls_term_register;
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	self->proxy = pu_proxy(conf, PORT, 0, self->log);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(hs)
{
	pu_kill(self->proxy);
	if (self->up >= 0)
		close(self->up);
	tls_anchors_free(self->ca);
	tls_anchors_free(self->ca_ec);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

/* One full handshake with TCP_NODELAY on the client; its duration in ms,
 * or -1. Bounded: 5 s in all. */
static double handshake_ms(const struct tls_anchors *ca, const char *name)
{
	struct tls_client_opts o = { .ca = ca, .server_name = name };
	struct tls_session *t = NULL;
	double t0 = th_now(), ms = -1;
	int one = 1, fd;

	fd = pu_connect("127.0.0.1", PORT);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    tls_client_new(&o, fd, TLS_BUF_BIDI, true, "client", "proxy", &t))
		goto out;
	while (th_now() - t0 < 5) {
		struct pollfd p = { .fd = fd };
		uint32_t ev;

		if (tls_io(t) != TLS_OK)
			break;
		if (tls_handshake_done(t)) {
			ms = (th_now() - t0) * 1000;
			break;
		}
		ev = tls_events(t);
		p.events = (short)((ev & EPOLLIN ? POLLIN : 0) | (ev & EPOLLOUT ? POLLOUT : 0));
		if (poll(&p, 1, 1000) < 0)
			break;
	}
out:
	tls_free(t);
	close(fd);
	return ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of ROUNDS handshakes, -1 if any failed. */
static double median_ms(const struct tls_anchors *ca, const char *name)
{
	double ms[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		ms[i] = handshake_ms(ca, name);
		if (ms[i] < 0)
			return -1;
	}
	qsort(ms, ROUNDS, sizeof(ms[0]), cmp_double);
	TH_LOG("%s: min %.1f ms, median %.1f ms, max %.1f ms", name, ms[0], ms[ROUNDS / 2], ms[ROUNDS - 1]);
	return ms[ROUNDS / 2];
}

TEST_F_TIMEOUT(hs, ecdsa_handshake_has_no_delayed_ack_stall, 60)
{
	double m = median_ms(self->ca_ec, "ec.test");

	ASSERT_GE(m, 0);
	EXPECT_LT(m, STALL_MS);
}

TEST_F_TIMEOUT(hs, rsa_handshake_has_no_delayed_ack_stall, 60)
{
	double m = median_ms(self->ca, "app.test");

	ASSERT_GE(m, 0);
	EXPECT_LT(m, STALL_MS);
}

/* The client closes as soon as it has the server's Finished: the proxy
 * must take that as the end of a complete session, not as a handshake
 * that failed (the send of the Finished and the read of the FIN happen
 * in one turn of tls_io()). */
TEST_F_TIMEOUT(hs, close_right_after_the_handshake_is_not_a_failure, 60)
{
	char out[64];

	ASSERT_GE(median_ms(self->ca, "app.test"), 0);
	usleep(300000);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "grep -c 'handshake failed' %s || true", self->log), 0);
	EXPECT_STREQ(out, "0\n");
}

TEST_HARNESS_MAIN
