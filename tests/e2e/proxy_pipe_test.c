// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests of the splice pipes' sizes: a bulk download through
 * the proxy grows its pipe past pipe_size, gives the growth back once
 * the flow goes quiet (the connection still open) and every pipe once
 * it closes; many bulk flows at once never hold more grown pipe memory
 * than [global] pipe_memory_max, and the grows it refused are counted;
 * connections one after the other reuse the pool's pipes, and an idle
 * proxy ends up holding none.
 * The upstream writes as fast as it can and the client reads as fast as
 * it can, in a private network namespace.
 */
#include "proxy_util.h"

#define PX_PORT 21120
#define UP_PORT 21121
#define MAX_FLOWS 8

static const char *conf_fmt =
	"[global]\n"
	"pipe_memory_max = %s\n"
	"[proxy p]\n"
	"listen = 127.0.0.1:21120\n"
	"route = *.example.com 127.0.0.1:21121\n"
	"hello_timeout = 2s\n"
	"idle_timeout = 60s\n"
	"pipe_size = 64K\n"
	"access_log = no\n";

/* The upstream: accepts `n` connections; each reads the hello, writes
 * `bytes` of pattern and keeps the connection open until the client
 * closes it. */
struct up {
	int lfd, n;
	size_t hello_len;
	uint64_t bytes;
	int fds[MAX_FLOWS];
	pthread_t t[MAX_FLOWS];
	int err[MAX_FLOWS];
	pthread_t acceptor;
};

struct flow {
	struct up *u;
	int i;
};

static struct flow flows[MAX_FLOWS];

static void *up_flow(void *arg)
{
	struct flow *fl = arg;
	struct up *u = fl->u;
	int fd = u->fds[fl->i];
	uint8_t *buf = malloc(256 << 10), h[4096];

	if (pu_read_n(fd, h, u->hello_len) != (ssize_t)u->hello_len) {
		u->err[fl->i] = -EPROTO;
		free(buf);
		return NULL;
	}
	for (uint64_t off = 0; off < u->bytes && !u->err[fl->i]; off += 256 << 10) {
		pu_fill(buf, 256 << 10, off, 1);
		u->err[fl->i] = pu_write_all(fd, buf, 256 << 10);
	}
	free(buf);
	/* stay open: the client decides when the connection ends */
	pu_wait_eof(fd, 30000);
	return NULL;
}

static void *up_accept(void *arg)
{
	struct up *u = arg;

	for (int i = 0; i < u->n; i++) {
		struct pollfd p = { .fd = u->lfd, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0) {
			u->err[i] = -ETIMEDOUT;
			u->fds[i] = -1;
			continue;
		}
		u->fds[i] = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
		pu_timeout(u->fds[i], 30000);
		flows[i] = (struct flow){ .u = u, .i = i };
		pthread_create(&u->t[i], NULL, up_flow, &flows[i]);
	}
	return NULL;
}

/* Client side of one flow: read exactly `bytes` of the pattern (every
 * flow sends the same, so which upstream connection is whose does not
 * matter). */
struct down {
	int fd, i;
	uint64_t bytes;
	const char *err;
	pthread_t t;
};

static void *down_read(void *arg)
{
	struct down *d = arg;
	uint8_t *buf = malloc(256 << 10);
	uint64_t off = 0;

	while (off < d->bytes && !d->err) {
		size_t want = d->bytes - off < (256 << 10) ? (size_t)(d->bytes - off) : 256 << 10;
		ssize_t n = recv(d->fd, buf, want, 0);

		if (n <= 0)
			d->err = n ? "read error" : "early EOF";
		else if (pu_check(buf, (size_t)n, off, 1) >= 0)
			d->err = "bytes differ";
		else
			off += (uint64_t)n;
	}
	free(buf);
	return NULL;
}

/* Run `n` downloads of `bytes` each at once; the connections stay open.
 * 0 when every byte arrived; the client fds in fds[]. */
static int downloads(struct up *u, int n, uint64_t bytes, int fds[])
{
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));	/* www.example.com */
	struct down d[MAX_FLOWS];
	int bad = 0;

	*u = (struct up){ .lfd = u->lfd, .n = n, .hello_len = hl, .bytes = bytes };
	pthread_create(&u->acceptor, NULL, up_accept, u);
	for (int i = 0; i < n; i++) {
		fds[i] = pu_connect("127.0.0.1", PX_PORT);
		if (fds[i] < 0)
			return -1;
		pu_timeout(fds[i], 30000);
		if (pu_write_all(fds[i], h, hl))
			return -1;
	}
	pthread_join(u->acceptor, NULL);
	for (int i = 0; i < n; i++) {
		d[i] = (struct down){ .fd = fds[i], .i = i, .bytes = bytes };
		pthread_create(&d[i].t, NULL, down_read, &d[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(d[i].t, NULL);
		if (d[i].err || u->err[i]) {
			TH_LOG("flow %d: %s (upstream %d)", i, d[i].err ? d[i].err : "ok", u->err[i]);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void close_all(struct up *u, int n, int fds[])
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < n; i++) {
		pthread_join(u->t[i], NULL);
		close(u->fds[i]);
	}
}

/* The metric's value once it equals want within ms, or its last value. */
static long long wait_metric(pid_t px, const char *name, long long want, int ms)
{
	char m[32768];
	long long v = -1;

	for (int waited = 0; waited <= ms; waited += 200) {
		pu_metrics(px, m, sizeof(m));
		v = pu_metric(m, name);
		if (v == want)
			break;
		usleep(200000);
	}
	return v;
}

FIXTURE(pipes) {
	pid_t px;
	struct up u;
	char mfile[64];
};

FIXTURE_SETUP(pipes)
{
	TH_PRIVATE_NETNS();
	self->u.lfd = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->u.lfd, 0);
	snprintf(self->mfile, sizeof(self->mfile), "/tmp/es-px-pipe-metrics-%d", (int)getpid());
	pu_metrics_file = self->mfile;
}

FIXTURE_TEARDOWN(pipes)
{
	if (self->px > 0)
		pu_kill(self->px);
	unlink(self->mfile);
}

TEST_F_TIMEOUT(pipes, bulk_flow_grows_its_pipe_and_gives_it_back, 120)
{
	char conf[1024], m[32768];
	int fds[1];

	snprintf(conf, sizeof(conf), conf_fmt, "16M");
	self->px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->px, 0);
	ASSERT_EQ(downloads(&self->u, 1, 512ull << 20, fds), 0);
	pu_metrics(self->px, m, sizeof(m));
	ASSERT_NE(m[0], 0);
	TH_LOG("grows %lld, grown peak %lld bytes, refused %lld",
	       pu_metric(m, "edgesteer_proxy_pipe_grows_total{proxy=\"p\"}"),
	       pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"),
	       pu_metric(m, "edgesteer_proxy_pipe_grow_refused_total{proxy=\"p\"}"));
	/* the elephant got a bigger pipe: from 64K towards 1M */
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipe_grows_total{proxy=\"p\"}"), 1);
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), 64 << 10);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), (1 << 20) - (64 << 10));
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_grow_refused_total{proxy=\"p\"}"), 0);
	/* spliced: at most what a direction copies before it proves bulk */
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_copy_fallback_total{proxy=\"p\"}"), 0);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_copy_bytes_total{proxy=\"p\"}"), SMALL_COPY_MAX);
	/* quiet now, still open: the growth goes back, and the idle
	 * connection's pipe with it (at most the pool's pipe_size ones stay) */
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_pipe_grown_bytes", 0, 5000), 0);
	pu_metrics(self->px, m, sizeof(m));
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_active_connections{proxy=\"p\"}"), 1);
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipe_shrinks_total{proxy=\"p\"}"), 1);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipe_bytes{proxy=\"p\"}"), 64 << 10);
	close_all(&self->u, 1, fds);
	/* closed, and the pool's spares timed out: no pipe at all */
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_active_connections{proxy=\"p\"}", 0, 5000), 0);
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_pooled_pipes{proxy=\"p\"}", 0, 5000), 0);
	pu_metrics(self->px, m, sizeof(m));
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_bytes{proxy=\"p\"}"), 0);
}

TEST_F_TIMEOUT(pipes, many_bulk_flows_stay_within_pipe_memory_max, 180)
{
	char conf[1024], m[32768];
	int fds[MAX_FLOWS];

	/* room for one pipe grown to 512K (448K over 64K), not for eight 1M ones */
	snprintf(conf, sizeof(conf), conf_fmt, "512K");
	self->px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->px, 0);
	ASSERT_EQ(downloads(&self->u, MAX_FLOWS, 128ull << 20, fds), 0);
	pu_metrics(self->px, m, sizeof(m));
	ASSERT_NE(m[0], 0);
	TH_LOG("grows %lld, refused %lld, grown peak %lld bytes (budget 512K)",
	       pu_metric(m, "edgesteer_proxy_pipe_grows_total{proxy=\"p\"}"),
	       pu_metric(m, "edgesteer_proxy_pipe_grow_refused_total{proxy=\"p\"}"),
	       pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"));
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipe_grows_total{proxy=\"p\"}"), 1);
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipe_grow_refused_total{proxy=\"p\"}"), 1);
	EXPECT_GT(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), 0);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), 512 << 10);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes"), 512 << 10);
	close_all(&self->u, MAX_FLOWS, fds);
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_active_connections{proxy=\"p\"}", 0, 5000), 0);
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_pooled_pipes{proxy=\"p\"}", 0, 5000), 0);
	pu_metrics(self->px, m, sizeof(m));
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes"), 0);
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_bytes{proxy=\"p\"}"), 0);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), 512 << 10);
}

TEST_F_TIMEOUT(pipes, pipe_memory_max_0_keeps_pipe_size, 120)
{
	char conf[1024], m[32768];
	int fds[1];

	snprintf(conf, sizeof(conf), conf_fmt, "0");
	self->px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->px, 0);
	ASSERT_EQ(downloads(&self->u, 1, 256ull << 20, fds), 0);
	pu_metrics(self->px, m, sizeof(m));
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_grows_total{proxy=\"p\"}"), 0);
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_grow_refused_total{proxy=\"p\"}"), 0);
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_pipe_grown_bytes_peak"), 0);
	/* all of it through the pipe but what was copied before it proved bulk */
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_splice_bytes_total{proxy=\"p\"}"), (256ll << 20) - SMALL_COPY_MAX);
	close_all(&self->u, 1, fds);
}

/* The upstream for connections one at a time: echo each until its EOF. */
static void *echo_serial(void *arg)
{
	int lfd = *(int *)arg;

	for (int i = 0; i < 5; i++) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		char buf[4096];
		ssize_t n;
		int fd;

		if (poll(&p, 1, 10000) <= 0)
			return NULL;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return NULL;
		pu_timeout(fd, 10000);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (pu_write_all(fd, buf, (size_t)n))
				break;
		close(fd);
	}
	return NULL;
}

TEST_F_TIMEOUT(pipes, one_connection_at_a_time_reuses_the_pools_pipes, 60)
{
	char conf[1024], m[32768];
	/* bulk enough to be spliced (small transfers are copied) */
	static uint8_t data[128 << 10], back[128 << 10];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	pthread_t echo;

	pthread_create(&echo, NULL, echo_serial, &self->u.lfd);
	snprintf(conf, sizeof(conf), conf_fmt, "16M");
	self->px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->px, 0);
	memset(data, 'x', sizeof(data));
	for (int i = 0; i < 5; i++) {
		int fd = pu_connect("127.0.0.1", PX_PORT);

		ASSERT_GE(fd, 0);
		pu_timeout(fd, 5000);
		/* the hello is replayed, then echoed back through a pipe; the
		 * data goes up and comes back through pipes */
		ASSERT_EQ(pu_write_all(fd, h, hl), 0);
		ASSERT_EQ(pu_read_n(fd, back, hl), (ssize_t)hl);
		ASSERT_EQ(pu_write_all(fd, data, sizeof(data)), 0);
		ASSERT_EQ(pu_read_n(fd, back, sizeof(data)), (ssize_t)sizeof(data));
		close(fd);
		ASSERT_EQ(wait_metric(self->px, "edgesteer_proxy_active_connections{proxy=\"p\"}", 0, 5000), 0);
	}
	pu_metrics(self->px, m, sizeof(m));
	TH_LOG("5 connections one after the other: %lld pipes created",
	       pu_metric(m, "edgesteer_proxy_pipes_created_total{proxy=\"p\"}"));
	/* each connection took its pipes from the spares the one before left */
	EXPECT_GE(pu_metric(m, "edgesteer_proxy_pipes_created_total{proxy=\"p\"}"), 1);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_pipes_created_total{proxy=\"p\"}"), 2);
	EXPECT_EQ(pu_metric(m, "edgesteer_proxy_copy_fallback_total{proxy=\"p\"}"), 0);
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_copy_bytes_total{proxy=\"p\"}"), 5 * 2 * SMALL_COPY_MAX);
	/* and the spares go once idle: an idle proxy holds no pipe */
	EXPECT_EQ(wait_metric(self->px, "edgesteer_proxy_pooled_pipes{proxy=\"p\"}", 0, 5000), 0);
	pu_kill(self->px);
	self->px = 0;
	pthread_join(echo, NULL);
}

TEST_HARNESS_MAIN
