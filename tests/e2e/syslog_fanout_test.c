// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: UDP syslog in (logger and a C sender), TLS subscribers out.
 * The relay runs in a forked child (conf_load_string + loop_new +
 * syslog_start + loop_run); its counters are read through SIGUSR1.
 * Each test runs in a network namespace of its own (TH_PRIVATE_NETNS),
 * ports 22000-22099 on its loopback; certificates from scripts/mkcerts.sh
 * in /tmp.
 */
#include "harness.h"

#include "syslog_helpers.h"

FIXTURE(relay) {
	char dir[256];
	pid_t pid;
};

FIXTURE_SETUP(relay)
{
	TH_PRIVATE_NETNS();
	if (mkcerts_into(self->dir, sizeof(self->dir), "fan"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	self->pid = 0;
}

FIXTURE_TEARDOWN(relay)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->dir[0]) {
		if (th_result->failed)
			th_sh("test -f %s/relay.log && grep -E 'error|warn' %s/relay.log | head -20 | sed 's/^/# relay: /'",
		      self->dir, self->dir);
		th_sh("rm -rf %s", self->dir);
	}
}

static void start(struct th_fixture_relay *self, int udp, int tls, const char *extra)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:%d\ntls_listen = 127.0.0.1:%d\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n"
		 "client_issuer = CN=Edge Test CA,O=Example\n%s",
		 udp, tls, self->dir, self->dir, self->dir, extra);
	self->pid = relay_start(self->dir, conf);
}

/* logger lines "logger-line-N" and test_msg() messages in one stream */
struct mixed {
	struct seq_check sc;
	long logger_lines, logger_next;
	bool bad;
};

static int mixed_cb(void *arg, const uint8_t *m, size_t len)
{
	struct mixed *x = arg;
	const char *p = memmem(m, len, "logger-line-", 12);

	if (p) {
		long i = 0;
		const char *q = p + 12, *end = (const char *)m + len;

		/* m is not NUL-terminated: parse within it */
		while (q < end && *q >= '0' && *q <= '9')
			i = i * 10 + (*q++ - '0');

		if (i < x->logger_next || memcmp(m, "<14>1 ", 6)) {
			TH_LOG("bad logger line after %ld: '%.*s'", x->logger_next - 1, (int)len, m);
			x->bad = true;
			return -1;
		}
		x->logger_next = i + 1;
		x->logger_lines++;
		return 0;
	}
	return seq_cb(&x->sc, m, len);
}

static long collect_mixed(struct tsub *s, struct mixed *x, long want, int ms, int quiet_ms)
{
	double end = th_now() + ms / 1000.0, last = th_now();

	while (x->sc.got + x->logger_lines < want && th_now() < end && !x->bad && !x->sc.bad) {
		long n;

		if (tsub_pump(s, 20) && !s->len)
			break;
		n = tsub_take(s, FRAMING_OCTET, mixed_cb, x);
		if (n < 0)
			break;
		if (n > 0)
			last = th_now();
		else if (quiet_ms && th_now() - last > quiet_ms / 1000.0)
			break;
	}
	return x->sc.got + x->logger_lines;
}

TEST_F_TIMEOUT(relay, two_subscribers_one_stalled, 90)
{
	const long L = 500, N = 30000, X = 5000;
	long long wake0, wake1;
	struct tsub a, b;
	struct mixed ma = { .sc = { .next = 0 } }, mb = { .sc = { .next = -1 } };
	long long skipped_a, skipped_b, kdrops, accepted;
	long rss;

	start(self, 22001, 22002, "ring_size = 1M\nring_messages = 4096\n");
	ASSERT_EQ(wait_port(22002, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22002, self->dir, "client.crt", "client.key", 0), 0);
	/* B: EC client certificate, a tiny receive buffer, and it will not read */
	ASSERT_EQ(tsub_connect(&b, 22002, self->dir, "client-ec.crt", "client-ec.key", 2048), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 2, 10000), 0);

	/* real logger first, then a C sender for byte-exact checks */
	ASSERT_EQ(th_sh("seq 0 %ld | sed 's/^/logger-line-/' | logger -n 127.0.0.1 -P 22001 -d "
			"--rfc5424=notq -t es-logger -p user.info", L - 1), 0);
	collect_mixed(&a, &ma, L, 10000, 0);
	if (ma.logger_lines != L)
		TH_LOG("A: closed %d err %d bad %d/%d lines %ld", a.closed, a.err, ma.bad, ma.sc.bad, ma.logger_lines);
	ASSERT_EQ(ma.logger_lines, L);
	/* in chunks well under the ring (4096 messages), each read by A
	 * before the next: A keeps up, B (not reading) is overtaken */
	for (long k = 0; k < N && !ma.bad && !ma.sc.bad; k += 1000) {
		send_range(22001, (unsigned)k, (unsigned)(k + 1000), 0, 0);
		collect_mixed(&a, &ma, L + k + 1000, 10000, 0);
	}
	if (ma.sc.bad)
		TH_LOG("A: %s", ma.sc.why);
	ASSERT_FALSE(ma.bad);
	ASSERT_FALSE(ma.sc.bad);
	EXPECT_EQ(ma.logger_lines, L);
	EXPECT_EQ(ma.sc.got, N);
	EXPECT_EQ(ma.sc.gaps, 0);

	kdrops = relay_metric(self->pid, self->dir, "edgesteer_syslog_kernel_drops_total", NULL);
	accepted = relay_metric(self->pid, self->dir, "edgesteer_syslog_accepted_total", NULL);
	EXPECT_EQ(kdrops, 0);
	EXPECT_EQ(accepted, L + N);
	skipped_a = relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_skipped_total", "id=\"2\"");
	EXPECT_EQ(skipped_a, 0);
	rss = relay_rss_kb(self->pid);
	TH_LOG("relay RSS %ld kB with a 1 MiB ring and 2 subscribers", rss);
	EXPECT_LT(rss, 32 * 1024);

	/* a blocked writer is not resumed out of turn: B's socket is full, so new messages must not run it;
	 * only its own EPOLLOUT may (a few wake-ups, not one per batch) */
	wake0 = relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_wakeups_total", "id=\"3\"");
	for (long k = N; k < N + X && !ma.sc.bad; k += 500) {
		send_range(22001, (unsigned)k, (unsigned)(k + 500), 0, 0);
		collect_mixed(&a, &ma, L + k + 500, 10000, 0);
	}
	EXPECT_EQ(ma.sc.got, N + X);
	wake1 = relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_wakeups_total", "id=\"3\"");
	TH_LOG("stalled B was run %lld times while %ld messages passed in %ld batches", wake1 - wake0, X, X / 500);
	EXPECT_LE(wake1 - wake0, 2);

	/* B wakes up and reads everything that is left */
	collect_mixed(&b, &mb, L + N + X, 20000, 1500);
	if (mb.sc.bad)
		TH_LOG("B: %s", mb.sc.why);
	EXPECT_FALSE(mb.sc.bad);
	EXPECT_FALSE(mb.bad);
	skipped_b = relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_skipped_total", "id=\"3\"");
	TH_LOG("B received %ld logger lines + %ld messages, skipped %lld (gaps seen %ld covering %ld)",
	       mb.logger_lines, mb.sc.got, skipped_b, mb.sc.gaps, mb.sc.gap_msgs);
	EXPECT_GT(skipped_b, 0);
	/* what B missed is exactly what the relay says it skipped */
	EXPECT_EQ(mb.logger_lines + mb.sc.got + skipped_b, L + N + X);
	EXPECT_EQ(mb.sc.last, N + X - 1);
	tsub_close(&a);
	tsub_close(&b);
}

static int raw_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* true when the peer closed within ms */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];
	double end = th_now() + ms / 1000.0;

	while (th_now() < end) {
		if (poll(&p, 1, 50) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN))
				return true;
		}
	}
	return false;
}

TEST_F_TIMEOUT(relay, bad_clients_rejected_without_blocking, 60)
{
	struct tsub a, bad;
	struct seq_check c = { .next = 0 };
	int stalled, half, plain;
	char log[8192];
	double t0;

	start(self, 22011, 22012, "handshake_timeout = 3s\n");
	ASSERT_EQ(wait_port(22012, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22012, self->dir, "client.crt", "client.key", 0), 0);

	/* a connection that sends nothing, one that stops halfway through a
	 * ClientHello, and plaintext */
	stalled = raw_connect(22012);
	half = raw_connect(22012);
	ASSERT_GE(stalled, 0);
	ASSERT_GE(half, 0);
	ASSERT_EQ(send(half, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 0), 11);
	plain = raw_connect(22012);
	ASSERT_EQ(send(plain, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
	EXPECT_TRUE(closed_within(plain, 2000));

	/* the good subscriber is served while those hang */
	t0 = th_now();
	send_range(22011, 0, 1000, 0, 0);
	EXPECT_EQ(tsub_collect(&a, &c, 1000, 2000), 1000);
	EXPECT_LT(th_now() - t0, 2.5);

	/* openssl without a certificate, with one from the wrong CA */
	th_sh("timeout 5 openssl s_client -connect 127.0.0.1:22012 -CAfile %s/ca.crt -tls1_2 "
	      "</dev/null >/dev/null 2>&1", self->dir);
	th_sh("timeout 5 openssl s_client -connect 127.0.0.1:22012 -CAfile %s/ca.crt "
	      "-cert %s/client-wrong.crt -key %s/client-wrong.key </dev/null >/dev/null 2>&1",
	      self->dir, self->dir, self->dir);
	/* a certificate that chains to the CA but from another issuer */
	EXPECT_NE(tsub_connect(&bad, 22012, self->dir, "client-inter.crt", "client-inter.key", 0), 0);
	if (bad.t)
		tsub_close(&bad);
	/* and openssl with the right certificate works */
	EXPECT_EQ(th_sh("timeout 5 openssl s_client -connect 127.0.0.1:22012 -CAfile %s/ca.crt "
			"-cert %s/client.crt -key %s/client.key -verify_return_error -brief "
			"</dev/null >/dev/null 2>&1", self->dir, self->dir, self->dir), 0);

	send_range(22011, 1000, 2000, 0, 0);
	EXPECT_EQ(tsub_collect(&a, &c, 2000, 3000), 2000);
	EXPECT_FALSE(c.bad);

	/* the stalled handshakes are cut at their deadline */
	EXPECT_TRUE(closed_within(stalled, 4000));
	EXPECT_TRUE(closed_within(half, 1000));
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_closed_total",
			       "reason=\"handshake_timeout\""), 2);
	EXPECT_GE(relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_closed_total",
			       "reason=\"handshake_failed\""), 4);
	th_sh_out(log, sizeof(log), "cat %s/relay.log", self->dir);
	EXPECT_TRUE(strstr(log, "BR_ERR_X509_NOT_TRUSTED") != NULL);
	EXPECT_TRUE(strstr(log, "ES_ERR_ISSUER_MISMATCH") != NULL);
	EXPECT_TRUE(strstr(log, "127.0.0.1:") != NULL);
	EXPECT_TRUE(strstr(log, "BR_ERR_NO_CLIENT_AUTH") != NULL || strstr(log, "BR_ERR_RECV_FATAL_ALERT") != NULL);
	close(stalled);
	close(half);
	close(plain);
	tsub_close(&a);
}

struct exact {
	const char *want[16];
	size_t wlen[16];
	int n, got;
	bool bad;
};

static int exact_cb(void *arg, const uint8_t *m, size_t len)
{
	struct exact *x = arg;

	if (x->got >= x->n || x->wlen[x->got] != len || memcmp(x->want[x->got], m, len)) {
		TH_LOG("message %d differs (len %zu)", x->got, len);
		x->bad = true;
		return -1;
	}
	x->got++;
	return 0;
}

TEST_F_TIMEOUT(relay, oversized_binary_empty_never_corrupt_the_stream, 30)
{
	static char big[3000];
	struct tsub a;
	struct exact x = { .n = 0 };
	int fd = udp_sock();
	double end;

	/* missing_pri = drop: the junk without PRI is to be dropped here
	 * (add, the default, is tested in syslog_tcp_test.c) */
	start(self, 22021, 22022, "max_message = 512\noversize = truncate\nmissing_pri = drop\n");
	ASSERT_EQ(wait_port(22022, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22022, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 1, 10000), 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "<13>1 - host app - - - ", 23);

#define SEND(p, l) udp_send(fd, 22021, p, l)
#define WANT(p, l) do { x.want[x.n] = p; x.wlen[x.n] = l; x.n++; } while (0)
	SEND("<13>good 0", 10);			WANT("<13>good 0", 10);
	SEND(big, sizeof(big));			WANT(big, 512);		/* truncated */
	SEND("\x00\xff\xfe binary junk", 15);	/* no PRI: dropped */
	SEND("", 0);				/* empty: dropped */
	SEND("<13>", 4);			/* nothing after PRI: dropped */
	SEND("\n\n\0", 3);			/* empty once trimmed: dropped */
	SEND("<13>1 broken", 12);		/* bad RFC 5424 header: dropped */
	SEND("<13>bin\n\x00\x01\xff mid", 15);	WANT("<13>bin\n\x00\x01\xff mid", 15);
	SEND("<13>trail\n\0\0", 12);		WANT("<13>trail", 9);
	SEND("<13>good 1", 10);			WANT("<13>good 1", 10);
#undef SEND
#undef WANT
	end = th_now() + 5;
	while (x.got < x.n && !x.bad && th_now() < end) {
		tsub_pump(&a, 20);
		if (tsub_take(&a, FRAMING_OCTET, exact_cb, &x) < 0)
			break;
	}
	EXPECT_FALSE(x.bad);
	EXPECT_EQ(x.got, x.n);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_truncated_total", NULL), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_dropped_total", "reason=\"bad_pri\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_dropped_total", "reason=\"empty\""), 3);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_dropped_total", "reason=\"bad_header\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_accepted_total", NULL), 5);
	close(fd);
	tsub_close(&a);
}

TEST_F_TIMEOUT(relay, oversize_drop_policy_and_lf_framing, 30)
{
	static char big[3000];
	struct tsub a;
	int fd = udp_sock();
	double end;
	const char want[] = "<13>one\n<13>two three\n";

	start(self, 22031, 22032, "max_message = 512\noversize = drop\nframing = lf\n");
	ASSERT_EQ(wait_port(22032, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22032, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 1, 10000), 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "<13>", 4);
	udp_send(fd, 22031, "<13>one", 7);
	udp_send(fd, 22031, big, sizeof(big));
	udp_send(fd, 22031, "<13>two\nthree", 13);	/* LF framing: embedded LF becomes a space */
	end = th_now() + 5;
	while (a.len < sizeof(want) - 1 && th_now() < end)
		tsub_pump(&a, 20);
	ASSERT_EQ(a.len, sizeof(want) - 1);
	EXPECT_MEMEQ(a.buf, want, a.len);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_dropped_total", "reason=\"oversize\""), 1);
	close(fd);
	tsub_close(&a);
}

TEST_F_TIMEOUT(relay, openssl_s_client_subscriber_gets_the_stream, 30)
{
	struct seq_check c = { .next = 0 };
	struct tsub file = { 0 };
	char path[320];
	size_t want = 0;
	FILE *f;

	start(self, 22051, 22052, "");
	ASSERT_EQ(wait_port(22052, 15000), 0);
	/* OpenSSL as the subscriber: its stdout is the decrypted stream; it
	 * lives until its stdin closes, the test's end kills it earlier */
	ASSERT_EQ(th_sh("(sleep 20 | timeout 25 openssl s_client -connect 127.0.0.1:22052 -CAfile %s/ca.crt "
			"-cert %s/client.crt -key %s/client.key -verify_return_error -quiet "
			"> %s/stream.bin 2>%s/s_client.err &)", self->dir, self->dir, self->dir,
			self->dir, self->dir), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 1, 10000), 0);
	send_range(22051, 0, 2000, 0, 0);
	/* what s_client wrote must decode exactly */
	for (unsigned i = 0; i < 2000; i++) {
		char m[512], h[16];
		size_t ml = test_msg(m, sizeof(m), i);

		want += ml + (size_t)snprintf(h, sizeof(h), "%zu ", ml);
	}
	th_wait_sh(10000, "test $(stat -c %%s %s/stream.bin) -ge %zu", self->dir, want);
	usleep(300000);
	snprintf(path, sizeof(path), "%s/stream.bin", self->dir);
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL);
	file.cap = 16u << 20;
	file.buf = malloc(file.cap);
	file.len = fread(file.buf, 1, file.cap, f);
	fclose(f);
	EXPECT_EQ(tsub_take(&file, FRAMING_OCTET, seq_cb, &c), 2000);
	EXPECT_EQ(file.len, 0);
	EXPECT_EQ(c.got, 2000);
	EXPECT_EQ(c.gaps, 0);
	free(file.buf);
}

TEST_F_TIMEOUT(relay, memory_does_not_grow_with_stalled_subscribers, 60)
{
	enum { NSUB = 40 };
	static struct tsub subs[NSUB];
	struct tsub a;
	struct seq_check c = { .next = 0 };
	long rss0, rss1, rss2;
	long long mem;
	int i;

	start(self, 22061, 22062, "ring_size = 4M\nring_messages = 16384\n");
	ASSERT_EQ(wait_port(22062, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22062, self->dir, "client.crt", "client.key", 0), 0);
	/* fill the ring once so its pages count in the baseline */
	for (long k = 0; k < 20000; k += 1000) {
		send_range(22061, (unsigned)k, (unsigned)(k + 1000), 0, 0);
		tsub_collect(&a, &c, k + 1000, 5000);
	}
	rss0 = relay_rss_kb(self->pid);
	for (i = 0; i < NSUB; i++)
		ASSERT_EQ(tsub_connect(&subs[i], 22062, self->dir, "client.crt", "client.key", 2048), 0);
	rss1 = relay_rss_kb(self->pid);
	/* 40 subscribers that never read, 60,000 more messages */
	for (long k = 20000; k < 80000; k += 1000) {
		send_range(22061, (unsigned)k, (unsigned)(k + 1000), 0, 0);
		tsub_collect(&a, &c, k + 1000, 5000);
	}
	EXPECT_EQ(c.got, 80000);
	EXPECT_EQ(c.gaps, 0);
	rss2 = relay_rss_kb(self->pid);
	mem = relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_memory_bytes", NULL);
	TH_LOG("relay RSS %ld kB, %ld kB with %d subscribers (%lld bytes each by the counter), "
	       "%ld kB after 60,000 messages they never read", rss0, rss1, NSUB, mem, rss2);
	EXPECT_LT(mem, 32 * 1024);
	EXPECT_LT(rss1 - rss0, NSUB * 48);	/* ~25 KB each, allocator slack included */
	EXPECT_LT(rss2 - rss1, 2048);		/* lag costs nothing */
	for (i = 0; i < NSUB; i++)
		tsub_close(&subs[i]);
	tsub_close(&a);
}

static void udp6_send(int port, const char *m)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	a.sin6_addr = in6addr_loopback;
	sendto(fd, m, strlen(m), 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
}

TEST_F_TIMEOUT(relay, reload_ipv6_listener_and_disconnect_policy, 40)
{
	char conf[4096];
	struct tsub a, b;
	struct seq_check c = { .next = 0 };
	double end;

	start(self, 22041, 22042, "ring_messages = 1024\nring_size = 1M\n");
	ASSERT_EQ(wait_port(22042, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22042, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(tsub_connect(&b, 22042, self->dir, "client-ec.crt", "client-ec.key", 2048), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 2, 10000), 0);
	/* add [::1] to the UDP listeners, slow subscribers are now cut off */
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22041 [::1]:22041\ntls_listen = 127.0.0.1:22042\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n"
		 "client_issuer = CN=Edge Test CA,O=Example\nring_messages = 1024\nring_size = 1M\n"
		 "slow_subscriber = disconnect\n", self->dir, self->dir, self->dir);
	ASSERT_EQ(relay_reload(self->pid, self->dir, conf), 0);
	/* the subscriber connected before the reload still gets everything, v4 and v6 */
	udp6_send(22041, "<13>over ipv6");
	end = th_now() + 3;
	while (a.len < 16 && th_now() < end)
		tsub_pump(&a, 20);
	ASSERT_EQ(a.len, 16);
	EXPECT_MEMEQ(a.buf, "13 <13>over ipv6", 16);
	a.len = 0;
	/* B does not read: overtaken, it is disconnected, A is not */
	for (long k = 0; k < 20000; k += 500) {
		send_range(22041, (unsigned)k, (unsigned)(k + 500), 0, 0);
		tsub_collect(&a, &c, k + 500, 5000);
	}
	EXPECT_EQ(c.got, 20000);
	EXPECT_EQ(c.gaps, 0);
	usleep(1100000);	/* the once-a-second sweep finds B */
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_subscriber_closed_total",
			       "reason=\"slow_subscriber\""), 1);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_subscribers", NULL), 1);
	/* a reload that cannot bind fails and names the address */
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22041 192.0.2.1:22041\ntls_listen = 127.0.0.1:22042\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n",
		 self->dir, self->dir, self->dir);
	EXPECT_NE(relay_reload(self->pid, self->dir, conf), 0);
	tsub_close(&a);
	tsub_close(&b);
}

TEST_HARNESS_MAIN
