// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of how a server session writes its handshake: one send()
 * per flight (BearSSL hands out one record at a time; tls_io gathers a
 * flight's records), for a full handshake and a resumed one, and a
 * handshake that still completes when every send() is cut short (the
 * rest of a gathered flight waits in the session). send() is wrapped
 * here to count the calls per socket and to cut them short: the library
 * is linked statically, so this definition is the one it calls.
 * In-process client and server over a socketpair; certificates from
 * scripts/mkcerts.sh in a temp dir.
 */
#include "harness.h"

#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "core/log.h"
#include "tls/tls.h"

#include "certs.h"

static int count_fd = -1;	/* count the sends on this fd */
static int sends;
static size_t send_max;		/* 0: whole; else at most this many bytes per send */

static int empty_recvs;		/* recv() on count_fd that found nothing */

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);

	if (fd == count_fd && n < 0 && errno == EAGAIN)
		empty_recvs++;
	return n;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (fd == count_fd) {
		sends++;
		if (send_max && len > send_max)
			len = send_max;
	}
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

struct run {
	int server_sends;	/* send() calls by the server until both ends are done */
	int server_ios;		/* tls_io() calls on the server */
	int server_empty_recvs;	/* its recv() calls that found the socket empty */
	bool done;		/* both ends finished the handshake */
	bool resumed;
};

/* One handshake; `resume` (may be NULL) are the parameters of a session
 * to offer; the new session's are stored back. */
static void handshake(const br_ssl_session_cache_class **cache, br_ssl_session_parameters *resume,
		      struct run *r)
{
	struct tls_cred *cred;
	struct tls_anchors *ca;
	struct tls_session *s, *c;
	int sv[2];

	memset(r, 0, sizeof(*r));
	if (tls_cred_load(cp("server-ec.crt"), cp("server-ec.key"), &cred) ||
	    tls_anchors_load(cp("ca-bundle.crt"), &ca) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	struct tls_server_opts so = { .cred = cred, .cache = cache };
	struct tls_client_opts co = { .ca = ca, .server_name = "localhost" };

	if (tls_server_new(&so, sv[0], TLS_BUF_BIDI, true, "test-server", "peer-c", &s) ||
	    tls_client_new(&co, sv[1], TLS_BUF_BIDI, true, "test-client", "peer-s", &c))
		abort();
	if (resume && resume->session_id_len) {
		br_ssl_engine_set_session_parameters(tls_engine(c), resume);
		br_ssl_client_reset((br_ssl_client_context *)(void *)tls_engine(c), "localhost", 1);
	}
	count_fd = sv[0];
	sends = 0;
	empty_recvs = 0;
	for (int i = 0; i < 400 && !r->done; i++) {
		if (tls_io(c) < 0)
			break;
		r->server_ios++;
		if (tls_io(s) < 0)
			break;
		r->done = tls_handshake_done(s) && tls_handshake_done(c) &&
			  !(tls_events(s) & EPOLLOUT);
	}
	r->server_sends = sends;
	r->server_empty_recvs = empty_recvs;
	count_fd = -1;
	if (resume) {
		uint8_t old[32];
		size_t old_len = resume->session_id_len;

		memcpy(old, resume->session_id, sizeof(old));
		br_ssl_engine_get_session_parameters(tls_engine(c), resume);
		r->resumed = old_len && old_len == resume->session_id_len &&
			     !memcmp(old, resume->session_id, old_len);
	}
	tls_free(s);
	tls_free(c);
	close(sv[0]);
	close(sv[1]);
	tls_cred_free(cred);
	tls_anchors_free(ca);
}

FIXTURE(flight) {
	br_ssl_session_cache_lru lru;
	unsigned char store[16384];
};

FIXTURE_SETUP(flight)
{
	if (certs_make("tls-flight"))
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	log_set_level(LOG_CRIT);
	br_ssl_session_cache_lru_init(&self->lru, self->store, sizeof(self->store));
}

FIXTURE_TEARDOWN(flight)
{
	certs_remove();
}

TEST_F(flight, full_handshake_takes_one_send_per_flight)
{
	struct run r;

	handshake(NULL, NULL, &r);
	ASSERT_TRUE(r.done);
	/* ServerHello..ServerHelloDone, then ChangeCipherSpec + Finished */
	EXPECT_EQ(r.server_sends, 2);
}

TEST_F(flight, resumed_handshake_takes_one_send)
{
	br_ssl_session_parameters p = { .session_id_len = 0 };
	struct run r;

	handshake(&self->lru.vtable, &p, &r);
	ASSERT_TRUE(r.done);
	ASSERT_NE(p.session_id_len, 0);
	handshake(&self->lru.vtable, &p, &r);
	ASSERT_TRUE(r.done);
	ASSERT_TRUE(r.resumed);
	/* ServerHello, ChangeCipherSpec and Finished together */
	EXPECT_EQ(r.server_sends, 1);
}

/* A tls_io() that found the socket empty does not recv() again in the
 * same call after sending a flight: at most one empty recv() per call. */
TEST_F(flight, one_empty_recv_per_io_call)
{
	br_ssl_session_parameters p = { .session_id_len = 0 };
	struct run r;

	handshake(&self->lru.vtable, &p, &r);
	ASSERT_TRUE(r.done);
	EXPECT_LE(r.server_empty_recvs, r.server_ios);
	handshake(&self->lru.vtable, &p, &r);
	ASSERT_TRUE(r.resumed);
	EXPECT_LE(r.server_empty_recvs, r.server_ios);
}

TEST_F(flight, handshake_completes_when_every_send_is_short)
{
	br_ssl_session_parameters p = { .session_id_len = 0 };
	struct run r;

	send_max = 7;	/* a flight leaves the rest in the session, sent first next time */
	handshake(NULL, NULL, &r);
	EXPECT_TRUE(r.done);
	EXPECT_GT(r.server_sends, 2);
	handshake(&self->lru.vtable, &p, &r);
	EXPECT_TRUE(r.done);
	handshake(&self->lru.vtable, &p, &r);
	EXPECT_TRUE(r.done);
	EXPECT_TRUE(r.resumed);
	send_max = 0;
}

TEST_HARNESS_MAIN
