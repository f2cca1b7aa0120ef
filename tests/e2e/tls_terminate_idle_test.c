// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: a terminated session through idle gaps. The terminator
 * hands a session's record buffer back whenever the session is idle and
 * borrows one for the next record (user/tls/README.md), so a session
 * that talks, waits, and talks again runs through many of those cycles.
 * An in-process BearSSL client talks to an echo upstream through a
 * terminate= route: rounds of small and large (> 16 KB records, both
 * ways at once) messages with pauses between them, every byte checked,
 * then close_notify. Private network namespace.
 */
#include "proxy_util.h"

#include <sys/epoll.h>

#include "proxy/tls_term.h"
#include "tls/tls.h"

#define PORT 22211
#define ECHO_PORT 22212

FIXTURE(idle) {
	char dir[64];
	pid_t proxy;
	struct pu_echo echo;
	bool echo_on;
};

FIXTURE_SETUP(idle)
{
	const char *src = getenv("EDGESTEER_SRC");
	char conf[1024];

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-term-idle-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test >/dev/null", src ? src : ".", self->dir))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	ASSERT_EQ(pu_echo_start(&self->echo, ECHO_PORT), 0);
	self->echo_on = true;
	snprintf(conf, sizeof(conf),
		 "[proxy term]\nlisten = 127.0.0.1:%d\nprotocol = tls\nidle_timeout = 20s\n"
		 "route = app.test 127.0.0.1:%d terminate=%s/server.crt,%s/server.key\n",
		 PORT, ECHO_PORT, self->dir, self->dir);
	pu_child_init = tls_term_register;
	self->proxy = pu_proxy(conf, PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(idle)
{
	pu_kill(self->proxy);
	if (self->echo_on)
		pu_echo_stop(&self->echo);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

/* Send out[0..len) and read len bytes back into in, both at once, within
 * 20 s. 0, or -1 (TLS error, EOF or deadline). */
static int exchange(struct tls_session *c, int fd, const uint8_t *out, uint8_t *in, size_t len)
{
	size_t sent = 0, got = 0;
	double deadline = th_now() + 20;

	while (got < len && th_now() < deadline) {
		br_ssl_engine_context *eng;
		struct pollfd p = { .fd = fd };
		unsigned char *b;
		size_t n;

		if (tls_io(c))
			return -1;
		eng = tls_engine(c);
		if (sent < len && (br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP)) {
			b = br_ssl_engine_sendapp_buf(eng, &n);
			if (n > len - sent)
				n = len - sent;
			memcpy(b, out + sent, n);
			br_ssl_engine_sendapp_ack(eng, n);
			br_ssl_engine_flush(eng, 0);
			sent += n;
		}
		while (br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP) {
			b = br_ssl_engine_recvapp_buf(eng, &n);
			if (n > len - got)
				return -1;	/* more than was sent */
			memcpy(in + got, b, n);
			br_ssl_engine_recvapp_ack(eng, n);
			got += n;
		}
		if (tls_io(c))
			return -1;
		if (got == len)
			break;
		p.events = (short)tls_events(c);
		if (sent == len || !(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP))
			(void)poll(&p, 1, 100);
	}
	return got == len ? 0 : -1;
}

TEST_F_TIMEOUT(idle, rounds_with_pauses_stay_byte_exact_both_ways, 90)
{
	static const size_t sizes[] = { 5, 1, 300, 200000, 17, 16384, 65537, 2 };
	struct tls_anchors *ca;
	struct tls_session *c;
	char path[128];
	uint8_t *out, *in;
	int fd;

	snprintf(path, sizeof(path), "%s/ca.crt", self->dir);
	ASSERT_EQ(tls_anchors_load(path, &ca), 0);
	fd = pu_connect("127.0.0.1", PORT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);

	struct tls_client_opts co = { .ca = ca, .server_name = "app.test" };

	ASSERT_EQ(tls_client_new(&co, fd, TLS_BUF_BIDI, true, "proxy", "127.0.0.1", &c), 0);
	out = malloc(200000);
	in = malloc(200000);
	ASSERT_NE(out, NULL);
	ASSERT_NE(in, NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pu_fill(out, sizes[i], 0, 1000 + i);
		memset(in, 0, sizes[i]);
		ASSERT_EQ(exchange(c, fd, out, in, sizes[i]), 0);
		EXPECT_EQ(memcmp(in, out, sizes[i]), 0);
		/* a pause: the terminator has nothing to do and lets go */
		usleep(150000);
	}
	/* close_notify: the proxy ends the session and the connection */
	tls_close_notify(c);
	{
		double deadline = th_now() + 10;
		int rc = TLS_OK;

		while (rc == TLS_OK && th_now() < deadline) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			(void)poll(&p, 1, 100);
			rc = tls_io(c);
		}
		/* the proxy answers with its close_notify, or just closes */
		EXPECT_TRUE(rc == TLS_CLOSED || rc == -ECONNRESET);
	}
	tls_free(c);
	close(fd);
	free(out);
	free(in);
	tls_anchors_free(ca);
}

TEST_HARNESS_MAIN
