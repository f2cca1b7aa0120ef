// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of lent record buffers (tls_server_opts.lend_buffer, as the
 * proxy's terminator uses them): an established idle server session
 * gives its ~33 KB buffer back, borrows one again for the next record,
 * and the bytes stay exact both ways across many detach/attach cycles
 * (small messages, records of 16 KB and more, a socket that fills, the
 * closing close_notify). A session with work in its buffer (plaintext
 * not taken, a record not yet sent) keeps it. Out of memory when
 * borrowing fails that session only (malloc below fails on request).
 * In-process sessions over a socketpair, certificates from
 * scripts/mkcerts.sh in a temp dir.
 */
#include "harness.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/log.h"
#include "tls/tls.h"

#include "certs.h"

/* malloc of this binary: fails a request of fail_size bytes when set,
 * to see a session that cannot borrow its buffer */
extern void *__libc_malloc(size_t n);
static size_t fail_size;

void *malloc(size_t n)
{
	if (fail_size && n == fail_size)
		return NULL;
	return __libc_malloc(n);
}

/* One side of a pair: what it has to send and what it got. */
struct side {
	struct tls_session *t;
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t *in;
	size_t in_len, in_cap;
	bool stall;		/* leave received plaintext in the engine */
	int rc;
};

/* A lent-buffer server and a client over a socketpair. */
struct pair {
	struct tls_cred *cred;
	struct tls_anchors *ca;
	int sv[2];
	struct side s, c;	/* server (lent buffer), client */
	int released;		/* times the server gave its buffer back */
};

static int pair_open(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	if (tls_cred_load(cp("server.crt"), cp("server.key"), &p->cred) ||
	    tls_anchors_load(cp("ca-bundle.crt"), &p->ca) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv))
		return -1;

	struct tls_server_opts so = { .cred = p->cred, .lend_buffer = true };
	struct tls_client_opts co = { .ca = p->ca, .server_name = "gateway.test" };

	if (tls_server_new(&so, p->sv[0], TLS_BUF_BIDI, true, "client", "peer-c", &p->s.t) ||
	    tls_client_new(&co, p->sv[1], TLS_BUF_BIDI, true, "upstream", "peer-s", &p->c.t))
		return -1;
	return 0;
}

static void pair_close(struct pair *p)
{
	fail_size = 0;
	tls_free(p->s.t);
	tls_free(p->c.t);
	free(p->s.out);
	free(p->s.in);
	free(p->c.out);
	free(p->c.in);
	close(p->sv[0]);
	close(p->sv[1]);
	tls_cred_free(p->cred);
	tls_anchors_free(p->ca);
}

FIXTURE(lend) {
	struct pair p;		/* built and used by the body (its own heap) */
};

FIXTURE_SETUP(lend)
{
	log_set_level(LOG_CRIT);
	if (certs_make("tls-lend"))
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
}

FIXTURE_TEARDOWN(lend)
{
	certs_remove();
}

/* One turn of a side, as the terminator does it: records in and out,
 * plaintext out of and into the engine, records out again. */
static void turn(struct side *x)
{
	br_ssl_engine_context *eng;
	unsigned char *b;
	size_t len;

	if (x->rc)
		return;
	x->rc = tls_io(x->t);
	if (x->rc)
		return;
	eng = tls_engine(x->t);
	while (!x->stall && (br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP)) {
		b = br_ssl_engine_recvapp_buf(eng, &len);
		if (x->in_len + len > x->in_cap) {
			x->in_cap = (x->in_len + len) * 2;
			x->in = realloc(x->in, x->in_cap);
			if (!x->in)
				abort();
		}
		memcpy(x->in + x->in_len, b, len);
		x->in_len += len;
		br_ssl_engine_recvapp_ack(eng, len);
	}
	if (x->out_off < x->out_len && (br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP)) {
		b = br_ssl_engine_sendapp_buf(eng, &len);
		if (len > x->out_len - x->out_off)
			len = x->out_len - x->out_off;
		memcpy(b, x->out + x->out_off, len);
		br_ssl_engine_sendapp_ack(eng, len);
		br_ssl_engine_flush(eng, 0);
		x->out_off += len;
	}
	x->rc = tls_io(x->t);
}

/* Both sides, the server ending each turn as want() does. */
static void step(struct pair *f)
{
	turn(&f->s);
	if (tls_release_idle(f->s.t))
		f->released++;
	turn(&f->c);
}

static void handshake(struct th_metadata *_metadata, struct pair *f)
{
	ASSERT_EQ(pair_open(f), 0);
	for (int i = 0; i < 200 && !(tls_handshake_done(f->s.t) && tls_handshake_done(f->c.t)); i++)
		step(f);
	ASSERT_TRUE(tls_handshake_done(f->s.t));
	ASSERT_TRUE(tls_handshake_done(f->c.t));
	ASSERT_EQ(f->s.rc, 0);
	ASSERT_EQ(f->c.rc, 0);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void queue(struct side *x, size_t n, uint32_t seed)
{
	free(x->out);
	x->out = malloc(n);
	if (!x->out)
		abort();
	fill(x->out, n, seed);
	x->out_len = n;
	x->out_off = 0;
}

/* The client sends `req` bytes; once the server has them all it answers
 * `resp` bytes. Both checked byte for byte; the server ends idle. */
static void round_trip(struct th_metadata *_metadata, struct pair *f, size_t req, size_t resp,
		       uint32_t seed)
{
	uint8_t *want;
	int i;

	f->s.in_len = f->c.in_len = 0;
	queue(&f->c, req, seed);
	for (i = 0; i < 5000 && f->s.in_len < req; i++)
		step(f);
	ASSERT_EQ(f->s.in_len, req);
	ASSERT_EQ(memcmp(f->s.in, f->c.out, req), 0);
	queue(&f->s, resp, seed ^ 0xa5a5a5a5u);
	for (i = 0; i < 5000 && f->c.in_len < resp; i++)
		step(f);
	ASSERT_EQ(f->c.in_len, resp);
	want = malloc(resp);
	ASSERT_NE(want, NULL);
	fill(want, resp, seed ^ 0xa5a5a5a5u);
	EXPECT_EQ(memcmp(f->c.in, want, resp), 0);
	free(want);
	ASSERT_EQ(f->s.rc, 0);
	ASSERT_EQ(f->c.rc, 0);
	/* nothing left anywhere: the server has given its buffer back */
	step(f);
	EXPECT_FALSE(tls_session_holds_buffer(f->s.t));
}

TEST_F(lend, an_idle_session_gives_its_buffer_back_and_traffic_stays_exact)
{
	struct pair *p = &self->p;
	static const size_t sizes[][2] = {
		{ 5, 17 }, { 300, 1 }, { 40000, 100000 }, { 1, 70000 }, { 16384, 16384 }, { 123457, 9 },
	};
	size_t held;
	int before;

	handshake(_metadata, p);
	/* established, nothing in flight: released at the end of the turn */
	step(p);
	EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	EXPECT_GT(p->released, 0);
	held = tls_session_size(p->s.t);
	EXPECT_LT(held, (size_t)TLS_BUF_BIDI);
	EXPECT_LT(held, (size_t)(16 << 10));
	/* an idle session asks only for the next record */
	EXPECT_EQ(tls_events(p->s.t), (uint32_t)EPOLLIN);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		before = p->released;
		round_trip(_metadata, p, sizes[i][0], sizes[i][1], (uint32_t)i + 1);
		/* each round borrowed a buffer and gave it back */
		EXPECT_GT(p->released, before);
		/* an idle gap: nothing borrowed while nothing happens */
		for (int k = 0; k < 3; k++)
			step(p);
		EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	}
	/* the end: the client's close_notify reads as TLS_CLOSED */
	tls_close_notify(p->c.t);
	for (int i = 0; i < 50 && !p->s.rc; i++)
		step(p);
	EXPECT_EQ(p->s.rc, TLS_CLOSED);
	EXPECT_EQ(tls_last_error(p->s.t), 0);
	pair_close(p);
}

TEST_F(lend, the_servers_close_notify_reaches_the_client_after_an_idle_gap)
{
	struct pair *p = &self->p;
	handshake(_metadata, p);
	round_trip(_metadata, p, 10, 10, 7);
	ASSERT_FALSE(tls_session_holds_buffer(p->s.t));
	tls_close_notify(p->s.t);
	for (int i = 0; i < 50 && !p->c.rc; i++)
		step(p);
	EXPECT_EQ(p->c.rc, TLS_CLOSED);
	pair_close(p);
}

TEST_F(lend, plaintext_not_taken_keeps_the_buffer)
{
	struct pair *p = &self->p;
	handshake(_metadata, p);
	step(p);
	ASSERT_FALSE(tls_session_holds_buffer(p->s.t));
	/* the upstream is full: decrypted bytes wait in the engine */
	p->s.stall = true;
	queue(&p->c, 3000, 42);
	for (int i = 0; i < 20; i++)
		step(p);
	EXPECT_TRUE(br_ssl_engine_current_state(tls_engine(p->s.t)) & BR_SSL_RECVAPP);
	EXPECT_FALSE(tls_release_idle(p->s.t));
	EXPECT_TRUE(tls_session_holds_buffer(p->s.t));
	/* room again: taken exactly, then released */
	p->s.stall = false;
	for (int i = 0; i < 50 && p->s.in_len < 3000; i++)
		step(p);
	ASSERT_EQ(p->s.in_len, 3000);
	EXPECT_EQ(memcmp(p->s.in, p->c.out, 3000), 0);
	step(p);
	EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	pair_close(p);
}

TEST_F(lend, a_record_waiting_for_a_full_socket_keeps_the_buffer)
{
	struct pair *p = &self->p;
	uint8_t *want;
	int i;

	handshake(_metadata, p);
	/* the server sends 2 MB the client does not read yet: the socket
	 * fills and a record waits in the engine */
	queue(&p->s, 2u << 20, 9);
	for (i = 0; i < 1000; i++) {
		turn(&p->s);
		if (tls_events(p->s.t) & EPOLLOUT)
			break;
		/* the socket took all: idle between records */
		(void)tls_release_idle(p->s.t);
	}
	ASSERT_TRUE(tls_events(p->s.t) & EPOLLOUT);
	EXPECT_FALSE(tls_release_idle(p->s.t));
	EXPECT_TRUE(tls_session_holds_buffer(p->s.t));
	/* the client reads: all of it arrives exactly, then idle */
	for (i = 0; i < 20000 && p->c.in_len < (2u << 20); i++)
		step(p);
	ASSERT_EQ(p->c.in_len, 2u << 20);
	want = malloc(2u << 20);
	ASSERT_NE(want, NULL);
	fill(want, 2u << 20, 9);
	EXPECT_EQ(memcmp(p->c.in, want, 2u << 20), 0);
	free(want);
	step(p);
	EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	pair_close(p);
}

TEST_F(lend, no_memory_to_borrow_fails_that_session_only)
{
	struct pair *p = &self->p;
	handshake(_metadata, p);
	step(p);
	ASSERT_FALSE(tls_session_holds_buffer(p->s.t));
	queue(&p->c, 100, 3);
	fail_size = TLS_BUF_BIDI;
	for (int i = 0; i < 20 && !p->s.rc; i++)
		step(p);
	fail_size = 0;
	EXPECT_EQ(p->s.rc, -EPROTO);
	EXPECT_EQ(tls_last_error(p->s.t), TLS_ERR_NO_BUFFER);
	EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	/* still failed when memory is back: nothing half-attached */
	EXPECT_EQ(tls_io(p->s.t), -EPROTO);
	EXPECT_FALSE(tls_session_holds_buffer(p->s.t));
	pair_close(p);
}

TEST(a_session_without_lend_buffer_keeps_its_buffer)
{
	struct tls_cred *cred;
	struct tls_session *s;
	int sv[2];

	if (certs_make("tls-lend"))
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	ASSERT_EQ(tls_cred_load(cp("server.crt"), cp("server.key"), &cred), 0);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);

	struct tls_server_opts so = { .cred = cred };

	ASSERT_EQ(tls_server_new(&so, sv[0], TLS_BUF_MONO, false, "subscriber", "peer", &s), 0);
	EXPECT_FALSE(tls_release_idle(s));
	EXPECT_TRUE(tls_session_holds_buffer(s));
	EXPECT_GT(tls_session_size(s), (size_t)TLS_BUF_MONO);
	tls_free(s);
	tls_cred_free(cred);
	close(sv[0]);
	close(sv[1]);
	certs_remove();
}

TEST_HARNESS_MAIN
