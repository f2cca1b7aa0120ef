// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: syslog over TCP into the relay (tcp_listen): a C sender in
 * both RFC 6587 framings, logger --tcp (with and without --octet-count),
 * bad input (each closed and counted while a good sender keeps flowing),
 * the sender limits, and missing_pri; out to a TLS subscriber.
 * Each test runs in a network namespace of its own (TH_PRIVATE_NETNS),
 * ports 22300-22399 on its loopback.
 */
#include "harness.h"

#include "syslog_helpers.h"

FIXTURE(tcp) {
	char dir[256];
	pid_t pid;
};

FIXTURE_SETUP(tcp)
{
	TH_PRIVATE_NETNS();
	if (mkcerts_into(self->dir, sizeof(self->dir), "tcp"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	self->pid = 0;
}

FIXTURE_TEARDOWN(tcp)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->dir[0]) {
		if (th_result->failed)
			th_sh("test -f %s/relay.log && grep -E 'error|warn|tcp' %s/relay.log | head -30 | "
			      "sed 's/^/# relay: /'", self->dir, self->dir);
		th_sh("rm -rf %s", self->dir);
	}
}

/* UDP 22301, TCP 22302 (and [::1]:22302), subscribers 22303 */
static void start(struct th_fixture_tcp *self, const char *extra)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22301\ntcp_listen = 127.0.0.1:22302 [::1]:22302\n"
		 "tls_listen = 127.0.0.1:22303\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n%s",
		 self->dir, self->dir, self->dir, extra);
	self->pid = relay_start(self->dir, conf);
}

static int tcp_to(int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd = socket(family, SOCK_STREAM, 0);

	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* test_msg() [from, to) over one connection, framed; in pieces of odd
 * sizes so frames straddle reads. */
static int send_framed(int family, unsigned from, unsigned to, bool octet)
{
	static char out[1 << 16];
	size_t used = 0;
	int fd = tcp_to(family, 22302), rc = 0;
	unsigned i;

	if (fd < 0)
		return -1;
	for (i = from; i < to && !rc; i++) {
		char m[512];
		size_t ml = test_msg(m, sizeof(m), i);

		if (octet)
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%zu %s", ml, m);
		else
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", m);
		if (used > sizeof(out) - 1024 || i + 1 == to) {
			size_t at = 0, piece = 777;

			while (at < used && !rc) {
				size_t n = used - at < piece ? used - at : piece;

				rc = send_all(fd, out + at, n);
				at += n;
			}
			used = 0;
		}
	}
	close(fd);
	return rc;
}

static void subscribe(struct th_fixture_tcp *self, struct tsub *s)
{
	ASSERT_EQ(wait_port(22303, 15000), 0);
	ASSERT_EQ(tsub_connect(s, 22303, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 1, 10000), 0);
}

TEST_F_TIMEOUT(tcp, octet_and_lf_senders_arrive_once_in_order_byte_exact, 60)
{
	const unsigned N = 3000;
	struct seq_check c = { .next = 0 };
	struct tsub s;

	start(self, "");
	subscribe(self, &s);
	/* one sender after the other: the order across senders is known */
	ASSERT_EQ(send_framed(AF_INET, 0, N, true), 0);
	ASSERT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total",
				    "127.0.0.1:22302", N, 10000), N);
	ASSERT_EQ(send_framed(AF_INET, N, 2 * N, false), 0);
	ASSERT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total",
				    "127.0.0.1:22302", 2 * N, 10000), 2 * N);
	ASSERT_EQ(send_framed(AF_INET6, 2 * N, 3 * N, true), 0);
	EXPECT_EQ(tsub_collect(&s, &c, 3 * N, 20000), 3 * N);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_FALSE(c.bad);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total", "[::1]:22302"), N);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_tcp_closed_total",
				    "127.0.0.1:22302\",reason=\"eof", 2, 5000), 2);
	tsub_close(&s);
}

/* logger lines "logger-line-N": in order, once, RFC 5424 as logger sends them */
struct lines {
	long next, got;
	bool bad;
};

static int lines_cb(void *arg, const uint8_t *m, size_t len)
{
	struct lines *x = arg;
	const char *p = memmem(m, len, "logger-line-", 12);
	const char *end = (const char *)m + len, *q;
	long i = 0;

	if (!p || memcmp(m, "<134>1 ", 7)) {
		TH_LOG("unexpected '%.*s'", (int)len, m);
		x->bad = true;
		return -1;
	}
	for (q = p + 12; q < end && *q >= '0' && *q <= '9'; q++)
		i = i * 10 + (*q - '0');
	if (i != x->next || q != end) {
		TH_LOG("line %ld where %ld was due: '%.*s'", i, x->next, (int)len, m);
		x->bad = true;
		return -1;
	}
	x->next++;
	x->got++;
	return 0;
}

static long collect_lines(struct tsub *s, struct lines *x, long want, int ms)
{
	double end = th_now() + ms / 1000.0;

	while (x->got < want && th_now() < end && !x->bad) {
		if (tsub_pump(s, 20) && !s->len)
			break;
		if (tsub_take(s, FRAMING_OCTET, lines_cb, x) < 0)
			break;
	}
	return x->got;
}

TEST_F_TIMEOUT(tcp, logger_octet_count_and_lf, 60)
{
	struct lines x = { 0 };
	struct tsub s;

	if (access("/usr/bin/logger", X_OK))
		SKIP(return, "logger not installed");
	start(self, "");
	subscribe(self, &s);
	ASSERT_EQ(th_sh("seq -f 'logger-line-%%g' 0 499 | logger --tcp --octet-count -n 127.0.0.1 -P 22302 "
			"-p local0.info -t es-test"), 0);
	ASSERT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total",
				    "127.0.0.1:22302", 500, 10000), 500);
	ASSERT_EQ(th_sh("seq -f 'logger-line-%%g' 500 999 | logger --tcp -n 127.0.0.1 -P 22302 "
			"-p local0.info -t es-test"), 0);
	EXPECT_EQ(collect_lines(&s, &x, 1000, 20000), 1000);
	EXPECT_FALSE(x.bad);
	tsub_close(&s);
}

/* Each bad sender is closed with its own counted reason; a good one flows. */
TEST_F_TIMEOUT(tcp, bad_input_is_closed_and_counted_others_flow, 60)
{
	static char big[2048];
	struct seq_check c = { .next = 0 };
	struct tsub s;
	int idle[500], fd, i, n_idle = 0;
	char buf[16];

	start(self, "max_message = 1024\nring_size = 1M\n");
	subscribe(self, &s);
	for (i = 0; i < 500; i++) {
		idle[i] = tcp_to(AF_INET, 22302);
		if (idle[i] >= 0)
			n_idle++;
	}
	EXPECT_EQ(n_idle, 500);
	/* a length of 99999999999 */
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(send_all(fd, "99999999999 <13>x", 17), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);	/* closed by the relay */
	close(fd);
	/* a frame over max_message */
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(send_all(fd, "1500 <13>", 9), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* LF framing without an LF */
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "<13>", 4);
	send_all(fd, big, sizeof(big));
	/* closed with bytes unread: a reset rather than an EOF */
	EXPECT_LE(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* the good one, with 500 idle senders still connected */
	ASSERT_EQ(send_framed(AF_INET, 0, 1000, true), 0);
	EXPECT_EQ(tsub_collect(&s, &c, 1000, 20000), 1000);
	EXPECT_FALSE(c.bad);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_framing_errors_total",
			       "reason=\"bad_length\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_framing_errors_total",
			       "reason=\"too_big\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_framing_errors_total",
			       "reason=\"no_lf\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_senders", "127.0.0.1:22302"), 500);
	/* per-sender series stay bounded: 16 senders and "other" */
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_sender_bytes_total", "sender=\"other\""), 0);
	EXPECT_EQ(th_sh("test $(grep -c '^edgesteer_syslog_sender_bytes_total{' %s/metrics.prom) = 17", self->dir), 0);
	/* and each family once: no repeated HELP lines */
	EXPECT_EQ(th_sh("test -z \"$(grep '^# HELP' %s/metrics.prom | sort | uniq -d)\"", self->dir), 0);
	for (i = 0; i < 500; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	tsub_close(&s);
}

TEST_F_TIMEOUT(tcp, idle_sender_closed_and_max_senders_pauses_accepting, 60)
{
	struct tsub s;
	int fd[5], i;
	char b;

	start(self, "max_senders = 3\nsender_idle_timeout = 300ms\n");
	subscribe(self, &s);
	tsub_close(&s);
	for (i = 0; i < 5; i++)
		fd[i] = tcp_to(AF_INET, 22302);	/* the kernel's backlog takes 4 and 5 */
	EXPECT_GE(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_tcp_max_senders_reached_total",
				    NULL, 1, 5000), 1);
	/* silent: closed at the idle deadline, then the waiting ones get in */
	for (i = 0; i < 5; i++) {
		ASSERT_GE(fd[i], 0);
		EXPECT_EQ(read(fd[i], &b, 1), 0);
		close(fd[i]);
	}
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_tcp_closed_total",
				    "reason=\"idle\"", 5, 10000), 5);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_connections_total",
			       "127.0.0.1:22302"), 5);
}

static long take_one(struct tsub *s, char *out, size_t cap)
{
	double end = th_now() + 10;

	while (th_now() < end) {
		const uint8_t *m;
		size_t ml, used;

		tsub_pump(s, 20);
		if (syslog_frame_decode(FRAMING_OCTET, s->buf, s->len, 65535, &m, &ml, &used) ==
		    SYSLOG_FRAME_OK) {
			snprintf(out, cap, "%.*s", (int)ml, m);
			memmove(s->buf, s->buf + used, s->len - used);
			s->len -= used;
			return (long)ml;
		}
	}
	return -1;
}

TEST_F_TIMEOUT(tcp, missing_pri_added_on_tcp_and_udp, 60)
{
	char got[512];
	struct tsub s;
	int fd, u;

	start(self, "");
	subscribe(self, &s);
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	/* the frame's first byte decides LF framing */
	ASSERT_EQ(send_all(fd, "Oct 11 22:14:15 host app: text\n", 31), 0);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	EXPECT_STREQ(got, "<13>Oct 11 22:14:15 host app: text");
	ASSERT_EQ(send_all(fd, "no header at all\n", 17), 0);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	/* "<13>Mmm dd hh:mm:ss 127.0.0.1 no header at all" */
	EXPECT_EQ(strlen(got), 4 + 16 + 10 + 16);
	EXPECT_EQ(memcmp(got, "<13>", 4), 0);
	EXPECT_STREQ(got + 20, "127.0.0.1 no header at all");
	close(fd);
	u = udp_sock();
	ASSERT_EQ(wait_udp_bound(22301, 5000), 0);
	udp_send(u, 22301, "2026-11-25T12:00:00.123+01:00 fw01 kernel: udp line", 52);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	EXPECT_STREQ(got, "<13>2026-11-25T12:00:00.123+01:00 fw01 kernel: udp line");
	close(u);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_pri_added_total", "proto=\"udp\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_pri_added_total",
			       "listen=\"127.0.0.1:22302\""), 2);
	tsub_close(&s);
}

TEST_F_TIMEOUT(tcp, missing_pri_drop_counts, 40)
{
	struct tsub s;
	int u;

	start(self, "missing_pri = drop\n");
	/* a handshake done means the loop runs (and takes SIGUSR1) */
	subscribe(self, &s);
	tsub_close(&s);
	u = udp_sock();
	udp_send(u, 22301, "Oct 11 22:14:15 host app: text", 30);
	close(u);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_dropped_total", "reason=\"bad_pri\"",
				    1, 5000), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_pri_added_total", "proto=\"udp\""), 0);
}

TEST_F_TIMEOUT(tcp, origin_adds_sender_address_to_rfc5424, 40)
{
	char got[512];
	struct tsub s;
	int fd, u;

	start(self, "origin = yes\n");
	subscribe(self, &s);
	fd = tcp_to(AF_INET6, 22302);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(send_all(fd, "19 <13>1 - h a - - - x", 22), 0);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	EXPECT_STREQ(got, "<13>1 - h a - - [origin ip=\"::1\"] x");
	close(fd);
	u = udp_sock();
	udp_send(u, 22301, "<13>1 - h a - - [x@1] y", 23);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	EXPECT_STREQ(got, "<13>1 - h a - - [x@1][origin ip=\"127.0.0.1\"] y");
	/* RFC 3164: unchanged */
	udp_send(u, 22301, "<13>Oct 11 22:14:15 host app: text", 34);
	ASSERT_GT(take_one(&s, got, sizeof(got)), 0);
	EXPECT_STREQ(got, "<13>Oct 11 22:14:15 host app: text");
	close(u);
	tsub_close(&s);
}

TEST_F_TIMEOUT(tcp, reload_opens_and_closes_tcp_listeners, 40)
{
	char conf[4096];
	struct tsub s;
	int fd;

	start(self, "");
	subscribe(self, &s);
	tsub_close(&s);
	/* without tcp_listen: the port is closed, a connected sender stays */
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22301\ntls_listen = 127.0.0.1:22303\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n",
		 self->dir, self->dir, self->dir);
	ASSERT_EQ(relay_reload(self->pid, self->dir, conf), 0);
	EXPECT_EQ(tcp_to(AF_INET, 22302), -1);
	ASSERT_EQ(send_all(fd, "<13>still here\n", 15), 0);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total",
				    "127.0.0.1:22302", 1, 5000), 1);
	close(fd);
	/* and back */
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22301\ntcp_listen = 127.0.0.1:22302\n"
		 "tls_listen = 127.0.0.1:22303\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n",
		 self->dir, self->dir, self->dir);
	ASSERT_EQ(relay_reload(self->pid, self->dir, conf), 0);
	fd = tcp_to(AF_INET, 22302);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(send_all(fd, "<13>new\n", 8), 0);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total",
				    "127.0.0.1:22302", 2, 5000), 2);
	close(fd);
}

TEST_HARNESS_MAIN
