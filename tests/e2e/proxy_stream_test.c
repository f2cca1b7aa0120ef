// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests of the proxy's byte path, with C peers on both sides
 * in a private network namespace: byte-exact bulk transfer both ways,
 * hellos in odd shapes (one byte per segment, two records, larger than a
 * segment: one test, a variant per shape), half-close both ways, resets
 * from either side, failing upstreams (refused, blackholed, fallback to
 * the next), unrouted names, HTTP Host routing and the deadlines of the
 * states a connection can be left in (connect, refuse, idle).
 */
#include "proxy_util.h"

#include "proxy/sni.h"

#define PX_PORT  21010
#define UP_PORT  21011
#define UP2_PORT 21012
#define DEAD_PORT 21013	/* nothing listens here */

static const char *base_conf =
	"[proxy t]\n"
	"listen = 127.0.0.1:21010\n"
	"route = *.example.com 127.0.0.1:21011\n"
	"route = pq.example.com 127.0.0.1:21011\n"
	"route = frag.example.com 127.0.0.1:21011\n"
	"route = refused.example.com 127.0.0.1:21013\n"
	"route = fallback.example.com 127.0.0.1:21013 127.0.0.1:21012\n"
	"route = blackhole.example.com 10.99.0.2:443\n"
	"route = slowfall.example.com 10.99.0.2:443 127.0.0.1:21012\n"
	"hello_timeout = 2s\n"
	"connect_timeout = 300ms\n"
	"idle_timeout = 1s\n"
	"pipe_size = 256K\n"
	"access_log = no\n";

/* A hello for `name` built from the curl seed (same length name!) or a seed file. */
static size_t hello_for(const char *seed, uint8_t *buf, size_t cap)
{
	size_t n = pu_seed(seed, buf, cap);

	return n;
}

FIXTURE(px) {
	pid_t proxy;
	int up, up2;
	char mfile[64];
};

FIXTURE_SETUP(px)
{
	TH_PRIVATE_NETNS();
	/* 10.99.0.2 sits behind a veth whose peer has no address: SYNs to it
	 * vanish without an answer (a blackhole, not a refusal) */
	ASSERT_EQ(th_sh("ip link add es-px-v0 type veth peer name es-px-v1 && "
			"ip addr add 10.99.0.1/24 dev es-px-v0 && ip link set es-px-v0 up && "
			"ip link set es-px-v1 up && "
			"ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev es-px-v0 nud permanent"), 0);
	self->up = pu_listen("127.0.0.1", UP_PORT);
	self->up2 = pu_listen("127.0.0.1", UP2_PORT);
	ASSERT_GE(self->up, 0);
	ASSERT_GE(self->up2, 0);
	snprintf(self->mfile, sizeof(self->mfile), "/tmp/es-px-stream-metrics-%d", (int)getpid());
	pu_metrics_file = self->mfile;
	self->proxy = pu_proxy(base_conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(px)
{
	pu_kill(self->proxy);
	if (self->mfile[0])
		unlink(self->mfile);
}

/* ---- bulk ------------------------------------------------------------- */

#define BULK (1ull << 30)
#define CHUNK (256u << 10)

struct pump_arg {
	int fd;
	uint64_t seed;
	int err;
};

static void *writer(void *arg)
{
	struct pump_arg *a = arg;
	uint8_t *buf = malloc(CHUNK);

	for (uint64_t off = 0; off < BULK && !a->err; off += CHUNK) {
		pu_fill(buf, CHUNK, off, a->seed);
		a->err = pu_write_all(a->fd, buf, CHUNK);
	}
	shutdown(a->fd, SHUT_WR);
	free(buf);
	return NULL;
}

/* Read BULK bytes of stream `seed` then EOF; 0 or an error string. */
static const char *reader(int fd, uint64_t seed)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;
	const char *err = NULL;

	while (!err) {
		ssize_t n = recv(fd, buf, CHUNK, 0);

		if (n < 0)
			err = "read error";
		else if (n == 0)
			break;
		else if (off + (uint64_t)n > BULK)
			err = "more bytes than sent";
		else if (pu_check(buf, (size_t)n, off, seed) >= 0)
			err = "bytes differ";
		else
			off += (uint64_t)n;
	}
	if (!err && off != BULK)
		err = "short stream";
	free(buf);
	return err;
}

struct up_arg {
	int lfd;
	const uint8_t *hello;
	size_t hello_len;
	const char *err;
};

static void *bulk_upstream(void *arg)
{
	struct up_arg *u = arg;
	uint8_t h[4096];
	struct pump_arg w;
	pthread_t t;
	int fd = pu_accept(u->lfd, 5000, 20000);

	if (fd < 0) {
		u->err = "upstream: no connection";
		return NULL;
	}
	pu_timeout(fd, 60000);
	if (pu_read_n(fd, h, u->hello_len) != (ssize_t)u->hello_len || memcmp(h, u->hello, u->hello_len)) {
		u->err = "upstream: hello not replayed byte for byte";
		close(fd);
		return NULL;
	}
	w = (struct pump_arg){ .fd = fd, .seed = 2 };
	pthread_create(&t, NULL, writer, &w);
	u->err = reader(fd, 1);
	pthread_join(t, NULL);
	if (!u->err && w.err)
		u->err = "upstream: write error";
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(px, bulk_1gib_each_way_byte_exact, 150)
{
	uint8_t hello[4096];
	size_t hl = hello_for("openssl_tls13_sni.bin", hello, sizeof(hello));
	struct up_arg u = { .lfd = self->up, .hello = hello, .hello_len = hl };
	struct pump_arg w;
	pthread_t ut, wt;
	const char *err;
	double t0 = th_now(), dt;
	long cpu0 = pu_cpu_ms(self->proxy);
	char m[16384];
	int fd;

	ASSERT_GT(hl, 0);
	pthread_create(&ut, NULL, bulk_upstream, &u);
	fd = pu_connect("127.0.0.1", PX_PORT);
	ASSERT_GE(fd, 0);
	pu_timeout(fd, 60000);
	ASSERT_EQ(pu_write_all(fd, hello, hl), 0);
	w = (struct pump_arg){ .fd = fd, .seed = 1 };
	pthread_create(&wt, NULL, writer, &w);
	err = reader(fd, 2);
	pthread_join(wt, NULL);
	pthread_join(ut, NULL);
	dt = th_now() - t0;
	if (err)
		TH_LOG("client: %s", err);
	if (u.err)
		TH_LOG("%s", u.err);
	EXPECT_EQ(err, NULL);
	EXPECT_EQ(u.err, NULL);
	EXPECT_EQ(w.err, 0);
	TH_LOG("2 x 1 GiB through the proxy in %.2f s (%.2f Gbit/s each way, test peers included); "
	       "proxy CPU %.3f s per GB moved", dt, 8.0 * (double)BULK / dt / 1e9,
	       (double)(pu_cpu_ms(self->proxy) - cpu0) / 1000.0 / (2.0 * (double)BULK / 1e9));
	close(fd);
	/* and it went through pipes: every payload byte spliced but what the
	 * proxy read together with the hello (at most SNI_MAX_HELLO: the
	 * writer starts right after the hello, and those bytes are replayed
	 * with it) and what each direction copies before it proves bulk
	 * (SMALL_COPY_MAX); never a copy for want of splice */
	pu_metrics(self->proxy, m, sizeof(m));
	ASSERT_NE(m[0], 0);
	TH_LOG("spliced %lld bytes, copied %lld",
	       pu_metric(m, "edgesteer_proxy_splice_bytes_total{proxy=\"t\"}"),
	       pu_metric(m, "edgesteer_proxy_copy_bytes_total{proxy=\"t\"}"));
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipes_created_total{proxy=\"t\"}"), 1);
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_copy_fallback_total{proxy=\"t\"}"), 0);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_copy_bytes_total{proxy=\"t\"}"), 2 * SMALL_COPY_MAX);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_splice_bytes_total{proxy=\"t\"}"), (long long)(2 * BULK));
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_splice_bytes_total{proxy=\"t\"}"),
		  (long long)(2 * BULK - SNI_MAX_HELLO - 2 * SMALL_COPY_MAX));
}

/* ---- hello shapes ------------------------------------------------------ */

/* A proxy with base_conf and the upstream UP_PORT, nothing else. */
FIXTURE(hello) {
	pid_t proxy;
	int up;
};

/* One shape of ClientHello on the wire. */
FIXTURE_VARIANT(hello) {
	const char *seed;	/* tests/fuzz/corpus/sni/ file */
	size_t min_len;		/* the seed is at least this long */
	size_t step;		/* written in pieces of this many bytes (0: whole) */
	int mss;		/* TCP_MAXSEG of the client (0: default) */
};

FIXTURE_VARIANT_ADD(hello, one_byte_per_segment) {
	.seed = "curl_sni.bin", .min_len = 1, .step = 1,
};

FIXTURE_VARIANT_ADD(hello, over_two_records) {
	.seed = "crafted_pq_two_records.bin", .min_len = 1,
};

FIXTURE_VARIANT_ADD(hello, over_many_small_records) {
	.seed = "crafted_small_records.bin", .min_len = 1, .step = 100,
};

/* MSS 536: the 1.7 KB hello takes four segments; written in two parts */
FIXTURE_VARIANT_ADD(hello, pq_sized_larger_than_a_segment) {
	.seed = "crafted_pq_1700.bin", .min_len = 1501, .step = 1000, .mss = 536,
};

FIXTURE_SETUP(hello)
{
	TH_PRIVATE_NETNS();
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	self->proxy = pu_proxy(base_conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(hello)
{
	pu_kill(self->proxy);
}

/*
 * Send the hello in pieces with TCP_NODELAY (and a small MSS when asked),
 * then check that the upstream got it byte for byte and that a reply
 * comes back.
 */
TEST_F(hello, reaches_the_upstream_byte_for_byte)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr("127.0.0.1", PX_PORT, &ss);
	uint8_t hello[4096], got[8192], reply[16];
	size_t hl = hello_for(variant->seed, hello, sizeof(hello));
	size_t step = variant->step ? variant->step : hl;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, mss = variant->mss, ufd;

	ASSERT_GE(hl, variant->min_len);
	ASSERT_GE(fd, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (mss)
		ASSERT_EQ(setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
	ASSERT_EQ(connect(fd, (struct sockaddr *)&ss, len), 0);
	pu_timeout(fd, 5000);
	for (size_t off = 0; off < hl; off += step) {
		size_t n = hl - off < step ? hl - off : step;

		ASSERT_EQ(pu_write_all(fd, hello + off, n), 0);
		if (step < hl)
			usleep(step == 1 ? 1000 : 50000);
	}
	ufd = pu_accept(self->up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, got, hl), (ssize_t)hl);
	ASSERT_MEMEQ(got, hello, hl);
	ASSERT_EQ(pu_write_all(ufd, "server-hello", 12), 0);
	ASSERT_EQ(pu_read_n(fd, reply, 12), 12);
	EXPECT_MEMEQ(reply, "server-hello", 12);
	close(ufd);
	EXPECT_EQ(pu_wait_eof(fd, 2000), 0);
	close(fd);
}

/* ---- half-close --------------------------------------------------------- */

TEST_F(px, half_close_client_then_upstream_replies)
{
	uint8_t h[4096], buf[256];
	size_t hl = hello_for("openssl_tls13_sni.bin", h, sizeof(h));
	int fd = pu_connect("127.0.0.1", PX_PORT), ufd;

	ASSERT_GE(fd, 0);
	pu_timeout(fd, 5000);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ASSERT_EQ(pu_write_all(fd, "request", 7), 0);
	ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
	ufd = pu_accept(self->up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	/* the upstream reads everything, then EOF: the half-close came through */
	ASSERT_EQ(pu_read_n(ufd, buf, hl + 7 < sizeof(buf) ? hl + 7 : sizeof(buf)), (ssize_t)(hl + 7 < sizeof(buf) ? hl + 7 : sizeof(buf)));
	{
		uint8_t rest[4096];
		ssize_t n = pu_read_n(ufd, rest, sizeof(rest));

		EXPECT_EQ((size_t)n + (hl + 7 < sizeof(buf) ? hl + 7 : sizeof(buf)), hl + 7);
	}
	/* and still replies; the client gets it and then EOF */
	ASSERT_EQ(pu_write_all(ufd, "response after your EOF", 23), 0);
	close(ufd);
	ASSERT_EQ(pu_read_n(fd, buf, 23), 23);
	EXPECT_MEMEQ(buf, "response after your EOF", 23);
	EXPECT_EQ(pu_wait_eof(fd, 1000), 0);
	close(fd);
}

TEST_F(px, half_close_upstream_client_sees_eof_promptly)
{
	uint8_t h[4096], buf[64];
	size_t hl = hello_for("openssl_tls13_sni.bin", h, sizeof(h));
	int fd = pu_connect("127.0.0.1", PX_PORT), ufd;
	double t0;

	ASSERT_GE(fd, 0);
	pu_timeout(fd, 5000);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(self->up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, buf, 1), 1);
	ASSERT_EQ(pu_write_all(ufd, "bye", 3), 0);
	ASSERT_EQ(shutdown(ufd, SHUT_WR), 0);
	t0 = th_now();
	ASSERT_EQ(pu_read_n(fd, buf, 3), 3);
	EXPECT_EQ(pu_wait_eof(fd, 1000), 0);
	EXPECT_LT(th_now() - t0, 0.5);
	/* the other direction still works after the upstream's half-close */
	ASSERT_EQ(pu_write_all(fd, "more", 4), 0);
	ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
	{
		uint8_t rest[8192];
		ssize_t n = pu_read_n(ufd, rest, sizeof(rest));

		ASSERT_GE(n, 4);
		EXPECT_MEMEQ(rest + n - 4, "more", 4);
	}
	close(ufd);
	close(fd);
}

/* close() with SO_LINGER 0: the peer gets a reset, not a FIN */
static void reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* A proxy with base_conf and the upstream UP_PORT; one side resets. */
FIXTURE(reset) {
	pid_t proxy;
	int up;
};

FIXTURE_VARIANT(reset) {
	bool upstream_resets;	/* else the client does */
};

FIXTURE_VARIANT_ADD(reset, by_upstream) {
	.upstream_resets = true,
};

FIXTURE_VARIANT_ADD(reset, by_client) {
	.upstream_resets = false,
};

FIXTURE_SETUP(reset)
{
	TH_PRIVATE_NETNS();
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	self->proxy = pu_proxy(base_conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(reset)
{
	pu_kill(self->proxy);
}

TEST_F(reset, tears_down_the_pair)
{
	bool upstream_resets = variant->upstream_resets;
	uint8_t h[4096], b[8];
	size_t hl = hello_for("openssl_tls13_sni.bin", h, sizeof(h));
	int fd = pu_connect("127.0.0.1", PX_PORT), ufd, r;
	double t0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(self->up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, b, 1), 1);
	/* a pair in the middle of a conversation, both sides silent now */
	t0 = th_now();
	reset_close(upstream_resets ? ufd : fd);
	r = pu_wait_eof(upstream_resets ? fd : ufd, 2000);
	if (!upstream_resets) {
		/* the upstream still has the unread rest of the hello queued */
		uint8_t rest[4096];

		while (r > 0)
			r = (int)recv(ufd, rest, sizeof(rest), 0);
		r = r < 0 ? -errno : 0;
	}
	EXPECT_NE(r, -ETIMEDOUT);
	EXPECT_LE(r, 0);
	EXPECT_LT(th_now() - t0, 0.5);
	close(upstream_resets ? fd : ufd);
}

/* ---- failing upstreams ------------------------------------------------- */

/* Connect and send a hello for `name`: the crafted GREASE seed with its
 * server name replaced and its five length fields fixed up. */
static int client_with_name(const char *name)
{
	uint8_t h[4096];
	size_t hl = pu_seed("crafted_grease.bin", h, sizeof(h));
	const char *old = "grease.example.com";
	size_t ol = strlen(old), nl = strlen(name);
	uint8_t out[4096];
	size_t o = 0;
	int fd;

	/* rebuild: the name sits once in the hello; fix the 5 length fields */
	uint8_t *at = memmem(h, hl, old, ol);

	if (!at || nl > 200)
		return -EINVAL;
	memcpy(out, h, (size_t)(at - h));
	o = (size_t)(at - h);
	memcpy(out + o, name, nl);
	o += nl;
	memcpy(out + o, at + ol, hl - (size_t)(at - h) - ol);
	o += hl - (size_t)(at - h) - ol;
	{
		ssize_t d = (ssize_t)nl - (ssize_t)ol;
		size_t p = (size_t)(at - h);
		/* record len @3, hs len @6..8, ext block len, sni ext len, list len, name len */
		uint16_t rl = (uint16_t)((out[3] << 8 | out[4]) + d);
		uint32_t hsl = (uint32_t)((out[6] << 16 | out[7] << 8 | out[8]) + d);

		out[3] = (uint8_t)(rl >> 8), out[4] = (uint8_t)rl;
		out[7] = (uint8_t)(hsl >> 8), out[8] = (uint8_t)hsl;
		out[p - 2] = (uint8_t)(nl >> 8), out[p - 1] = (uint8_t)nl;		/* name */
		out[p - 5] = (uint8_t)((nl + 3) >> 8), out[p - 4] = (uint8_t)(nl + 3);	/* list */
		out[p - 7] = (uint8_t)((nl + 5) >> 8), out[p - 6] = (uint8_t)(nl + 5);	/* ext */
		/* extensions block length: after session id, ciphers, compression */
		size_t q = 9 + 2 + 32;
		q += 1 + out[q];
		q += 2 + (size_t)(out[q] << 8 | out[q + 1]);
		q += 1 + out[q];
		uint16_t el = (uint16_t)((out[q] << 8 | out[q + 1]) + d);
		out[q] = (uint8_t)(el >> 8), out[q + 1] = (uint8_t)el;
	}
	fd = pu_connect("127.0.0.1", PX_PORT);
	if (fd < 0)
		return fd;
	pu_timeout(fd, 5000);
	if (pu_write_all(fd, out, o)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

TEST_F(px, upstream_refused_client_closed_promptly)
{
	double t0 = th_now();
	int fd = client_with_name("refused.example.com");

	ASSERT_GE(fd, 0);
	EXPECT_LE(pu_wait_eof(fd, 2000), 0);	/* EOF or reset, not a timeout */
	EXPECT_NE(pu_wait_eof(fd, 0), -ETIMEDOUT);
	EXPECT_LT(th_now() - t0, 0.5);
	close(fd);
}

TEST_F(px, upstream_blackholed_client_closed_at_connect_timeout)
{
	double t0 = th_now(), dt;
	int fd = client_with_name("blackhole.example.com");
	int r;

	ASSERT_GE(fd, 0);
	r = pu_wait_eof(fd, 3000);
	dt = th_now() - t0;
	EXPECT_LE(r, 0);
	EXPECT_NE(r, -ETIMEDOUT);
	EXPECT_GE(dt, 0.25);	/* connect_timeout = 300ms */
	EXPECT_LT(dt, 1.0);
	close(fd);
}

static void expect_served_by_up2(struct th_metadata *_metadata, struct th_fixture_px *self,
				 const char *name)
{
	uint8_t buf[16];
	int fd = client_with_name(name), ufd;

	ASSERT_GE(fd, 0);
	ufd = pu_accept(self->up2, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, buf, 5), 5);
	EXPECT_EQ(buf[0], 0x16);
	ASSERT_EQ(pu_write_all(ufd, "ok", 2), 0);
	ASSERT_EQ(pu_read_n(fd, buf, 2), 2);
	EXPECT_MEMEQ(buf, "ok", 2);
	/* still whole after the first answer: what the failed attempt
	 * reported (a refused connect's EPOLLHUP) did not stick to the
	 * winner as an EOF of the upstream */
	ASSERT_EQ(pu_write_all(ufd, "again", 5), 0);
	ASSERT_EQ(pu_read_n(fd, buf, 5), 5);
	EXPECT_MEMEQ(buf, "again", 5);
	close(ufd);
	close(fd);
}

TEST_F(px, refused_upstream_falls_back_to_the_next)
{
	expect_served_by_up2(_metadata, self, "fallback.example.com");
}

TEST_F(px, blackholed_upstream_falls_back_after_connect_timeout)
{
	double t0 = th_now();

	expect_served_by_up2(_metadata, self, "slowfall.example.com");
	EXPECT_GE(th_now() - t0, 0.25);
}

/* ---- routing answers ---------------------------------------------------- */

TEST_F(px, unrouted_name_gets_unrecognized_name_alert)
{
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70 };
	uint8_t buf[16];
	int fd = client_with_name("nothing.example.net");

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_read_n(fd, buf, sizeof(buf)), (ssize_t)sizeof(alert));
	EXPECT_MEMEQ(buf, alert, sizeof(alert));
	close(fd);
}

/*
 * REFUSE has a deadline too: a refused client that keeps its side open
 * and trickles bytes is still closed (then its next byte meets a reset).
 */
TEST_F(px, refused_client_that_stays_is_closed_at_its_deadline)
{
	uint8_t buf[16];
	int fd = client_with_name("nothing.example.net"), err = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_read_n(fd, buf, sizeof(buf)), 7);	/* the alert, then the proxy's FIN */
	for (int i = 0; i < 100 && !err; i++) {
		usleep(50000);
		if (send(fd, "x", 1, MSG_NOSIGNAL) < 0)
			err = errno;
	}
	if (err != ECONNRESET && err != EPIPE)
		TH_LOG("sending after the alert: %s", err ? strerror(err) : "still accepted after 5 s");
	EXPECT_TRUE(err == ECONNRESET || err == EPIPE);
	close(fd);
}

TEST_F(px, garbage_closed_without_reaching_an_upstream)
{
	int fd = pu_connect("127.0.0.1", PX_PORT);
	struct pollfd p = { .fd = self->up, .events = POLLIN };

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_write_all(fd, "SSH-2.0-OpenSSH_9.2\r\n", 21), 0);
	EXPECT_LE(pu_wait_eof(fd, 1000), 0);
	EXPECT_EQ(poll(&p, 1, 100), 0);
	close(fd);
}

TEST_F(px, idle_connection_closed_at_idle_timeout)
{
	uint8_t h[4096], b[8];
	size_t hl = hello_for("openssl_tls13_sni.bin", h, sizeof(h));
	int fd = pu_connect("127.0.0.1", PX_PORT), ufd;
	double t0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(self->up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, b, 1), 1);
	t0 = th_now();
	/* nobody says anything: idle_timeout = 1s closes both sides */
	EXPECT_LE(pu_wait_eof(fd, 3000), 0);
	EXPECT_GE(th_now() - t0, 0.8);
	EXPECT_LT(th_now() - t0, 2.0);
	close(ufd);
	close(fd);
}

TEST(http_host_routing)
{
	static const char *conf =
		"[proxy h]\n"
		"listen = 127.0.0.1:21020\n"
		"protocol = http\n"
		"route = www.example.com 127.0.0.1:21021\n"
		"access_log = no\n";
	const char *req = "GET /x HTTP/1.1\r\nHost: WWW.example.com:8080\r\n\r\n";
	uint8_t buf[256];
	int up, fd, ufd;
	pid_t px;

	TH_PRIVATE_NETNS();
	up = pu_listen("127.0.0.1", 21021);
	ASSERT_GE(up, 0);
	px = pu_proxy(conf, 21020, 0, NULL);
	ASSERT_GT(px, 0);
	fd = pu_connect("127.0.0.1", 21020);
	ASSERT_GE(fd, 0);
	pu_timeout(fd, 3000);
	/* the head in two parts */
	ASSERT_EQ(pu_write_all(fd, req, 20), 0);
	usleep(50000);
	ASSERT_EQ(pu_write_all(fd, req + 20, strlen(req) - 20), 0);
	ufd = pu_accept(up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, buf, strlen(req)), (ssize_t)strlen(req));
	EXPECT_MEMEQ(buf, req, strlen(req));
	close(ufd);
	close(fd);
	/* an unknown host gets 421 */
	fd = pu_connect("127.0.0.1", 21020);
	ASSERT_GE(fd, 0);
	pu_timeout(fd, 3000);
	ASSERT_EQ(pu_write_all(fd, "GET / HTTP/1.1\r\nHost: other\r\n\r\n", 31), 0);
	memset(buf, 0, sizeof(buf));
	ASSERT_GT(pu_read_n(fd, buf, sizeof(buf) - 1), 12);
	EXPECT_EQ(strncmp((char *)buf, "HTTP/1.1 421 ", 13), 0);
	close(fd);
	pu_kill(px);
}

TEST(ipv6_listener_and_upstream_with_proxy_v2)
{
	static const char *conf =
		"[proxy six]\n"
		"listen = [::1]:21040 127.0.0.1:21040\n"
		"default = [::1]:21041 proxy_protocol=v2\n"
		"access_log = no\n";
	uint8_t h[4096], got[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	int up, fd, ufd;
	pid_t px;

	TH_PRIVATE_NETNS();
	up = pu_listen("::1", 21041);
	ASSERT_GE(up, 0);
	px = pu_proxy(conf, 21040, 0, NULL);
	ASSERT_GT(px, 0);
	fd = pu_connect("::1", 21040);
	ASSERT_GE(fd, 0);
	pu_timeout(fd, 3000);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(up, 3000, 20000);
	ASSERT_GE(ufd, 0);
	/* v2 header: signature, PROXY TCP6, 36 address bytes + authority TLV */
	ASSERT_EQ(pu_read_n(ufd, got, 16), 16);
	EXPECT_MEMEQ(got, "\r\n\r\n\0\r\nQUIT\n\x21\x21", 14);
	{
		size_t body = (size_t)got[14] << 8 | got[15];
		uint8_t loop6[16] = { [15] = 1 };

		ASSERT_EQ(body, 36 + 3 + strlen("app.example.com"));
		ASSERT_EQ(pu_read_n(ufd, got, body), (ssize_t)body);
		EXPECT_MEMEQ(got, loop6, 16);		/* source ::1 */
		EXPECT_MEMEQ(got + 16, loop6, 16);	/* destination ::1 */
		EXPECT_EQ(got[34] << 8 | got[35], 21040);
		EXPECT_EQ(got[36], 0x02);		/* PP2_TYPE_AUTHORITY */
		EXPECT_MEMEQ(got + 39, "app.example.com", 15);
	}
	ASSERT_EQ(pu_read_n(ufd, got, hl), (ssize_t)hl);
	EXPECT_MEMEQ(got, h, hl);
	close(ufd);
	close(fd);
	/* the IPv4 listener of the same section works too */
	fd = pu_connect("127.0.0.1", 21040);
	ASSERT_GE(fd, 0);
	close(fd);
	pu_kill(px);
}

TEST_HARNESS_MAIN
