// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests of the proxy's resource discipline (docs/design.md,
 * Watch both ends of a proxied pair; Never block the accept path):
 * slowloris clients do not stall a good one and are closed at the hello
 * deadline; 1000 proxied connections leave the fd count where it was;
 * max_connections and EMFILE pause the listener without a busy loop and
 * accepting resumes when a slot frees; the access log has one line per
 * connection. Private network namespace per test.
 */
#include "proxy_util.h"

#define PX_PORT 21300
#define UP_PORT 21301

static void raise_nofile(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* One proxied round trip: hello out, hello echoed back. 0 or -1. */
static int roundtrip(const uint8_t *hello, size_t hl, double *secs)
{
	double t0 = th_now();
	uint8_t back[4096];
	int fd = pu_connect("127.0.0.1", PX_PORT);

	if (fd < 0)
		return -1;
	pu_timeout(fd, 5000);
	if (pu_write_all(fd, hello, hl) || pu_read_n(fd, back, hl) != (ssize_t)hl || memcmp(back, hello, hl)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (secs)
		*secs = th_now() - t0;
	return 0;
}

static const char *conf_fmt =
	"[global]\n"
	"max_connections = %d\n"
	"[proxy lim]\n"
	"listen = 127.0.0.1:21300\n"
	"default = 127.0.0.1:21301\n"
	"hello_timeout = %s\n"
	"idle_timeout = 10s\n"
	"max_connections = %d\n"
	"access_log = %s\n";

TEST_TIMEOUT(slowloris_does_not_stall_a_good_client, 60)
{
	char conf[512];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	static int fds[1000];
	struct pu_echo e;
	double worst = 0, t0;
	int closed = 0, base;
	pid_t px;

	ASSERT_GT(hl, 0);
	raise_nofile();
	TH_PRIVATE_NETNS();
	pu_echo_start(&e, UP_PORT);
	snprintf(conf, sizeof(conf), conf_fmt, 0, "2s", 5000, "no");
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	usleep(100000);
	base = pu_count_fds(px);
	/* 1000 connections: half send nothing, half dribble a hello */
	for (int i = 0; i < 1000; i++) {
		fds[i] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(fds[i], 0);
		if (i & 1)
			ASSERT_EQ(pu_write_all(fds[i], h, 1), 0);
	}
	t0 = th_now();
	/* while they dribble, a good client is served quickly, repeatedly */
	for (int round = 0; round < 10; round++) {
		double s = 0;

		for (int i = 1; i < 1000; i += 2)
			send(fds[i], h + 1 + round, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ASSERT_EQ(roundtrip(h, hl, &s), 0);
		if (s > worst)
			worst = s;
		usleep(100000);
	}
	TH_LOG("good client: slowest of 10 round trips %.1f ms with 1000 slowloris connections", worst * 1000);
	EXPECT_LT(worst, 0.25);
	/* the hello deadline (2s from connect) closes all of them */
	for (int i = 0; i < 1000; i++) {
		int r = pu_wait_eof(fds[i], (int)(4000 - (th_now() - t0) * 1000) > 0 ?
				    (int)(4000 - (th_now() - t0) * 1000) : 1);

		closed += r <= 0 && r != -ETIMEDOUT;
		close(fds[i]);
	}
	EXPECT_EQ(closed, 1000);
	EXPECT_LT(th_now() - t0, 4.0);
	EXPECT_EQ(th_wait_sh(3000, "test $(ls /proc/%d/fd | wc -l) -eq %d", (int)px, base), 0);
	pu_kill(px);
	pu_echo_stop(&e);
}

TEST_TIMEOUT(fd_count_unchanged_after_1000_connections, 90)
{
	char conf[512];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	struct pu_echo e;
	int base, during = 0, after = -1;
	long cpu0;
	double t0;
	pid_t px;

	raise_nofile();
	TH_PRIVATE_NETNS();
	pu_echo_start(&e, UP_PORT);
	snprintf(conf, sizeof(conf), conf_fmt, 0, "2s", 5000, "no");
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	usleep(100000);
	base = pu_count_fds(px);
	ASSERT_GT(base, 0);
	cpu0 = pu_cpu_ms(px);
	t0 = th_now();
	/* 1000 proxied connections, 50 open at a time, closed by either side */
	for (int batch = 0; batch < 20; batch++) {
		int fds[50];
		uint8_t back[4096];

		for (int i = 0; i < 50; i++) {
			fds[i] = pu_connect("127.0.0.1", PX_PORT);
			ASSERT_GE(fds[i], 0);
			pu_timeout(fds[i], 5000);
			ASSERT_EQ(pu_write_all(fds[i], h, hl), 0);
		}
		for (int i = 0; i < 50; i++) {
			ASSERT_EQ(pu_read_n(fds[i], back, hl), (ssize_t)hl);
			if (i & 1)
				shutdown(fds[i], SHUT_WR);	/* half-close first */
		}
		if (batch == 10)
			during = pu_count_fds(px);
		for (int i = 0; i < 50; i++)
			close(fds[i]);
	}
	for (int i = 0; i < 300 && after != base; i++) {
		usleep(10000);
		after = pu_count_fds(px);
	}
	TH_LOG("1000 connections in %.2f s, proxy CPU %.1f us per connection (accept, hello, route, "
	       "connect, replay, 2 x 321 bytes, close)", th_now() - t0,
	       (double)(pu_cpu_ms(px) - cpu0) * 1000.0 / 1000);
	TH_LOG("proxy fds: %d before, %d with 50 connections open, %d after 1000", base, during, after);
	EXPECT_GE(during, base + 50);	/* half-closed ones may be gone already */
	EXPECT_EQ(after, base);
	pu_kill(px);
	pu_echo_stop(&e);
}

/* At max_connections (of the section, or of all together) the listener
 * pauses: the next client waits in the backlog and costs no CPU. */
FIXTURE(limit) {
	int unused;
};

FIXTURE_VARIANT(limit) {
	int global;	/* [global] max_connections */
	int local;	/* [proxy] max_connections */
};

FIXTURE_VARIANT_ADD(limit, section_max_connections) {
	.global = 0, .local = 10,
};

FIXTURE_VARIANT_ADD(limit, global_max_connections) {
	.global = 10, .local = 1000,
};

FIXTURE_SETUP(limit)
{
	TH_PRIVATE_NETNS();
}

FIXTURE_TEARDOWN(limit)
{
}

TEST_F_TIMEOUT(limit, pauses_listener_without_busy_loop, 30)
{
	char conf[512];
	uint8_t h[4096], back[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	struct pu_echo e;
	int fds[10], extra;
	long c0, c1;
	pid_t px;

	pu_echo_start(&e, UP_PORT);
	snprintf(conf, sizeof(conf), conf_fmt, variant->global, "5s", variant->local, "no");
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	usleep(50000);	/* the readiness probe's connection is gone (hello_eof) */
	for (int i = 0; i < 10; i++) {
		fds[i] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(fds[i], 0);
		pu_timeout(fds[i], 3000);
		ASSERT_EQ(pu_write_all(fds[i], h, hl), 0);
		ASSERT_EQ(pu_read_n(fds[i], back, hl), (ssize_t)hl);
	}
	/* the 11th completes the TCP handshake (backlog) but is not served */
	extra = pu_connect("127.0.0.1", PX_PORT);
	ASSERT_GE(extra, 0);
	pu_timeout(extra, 3000);
	ASSERT_EQ(pu_write_all(extra, h, hl), 0);
	c0 = pu_cpu_ms(px);
	EXPECT_EQ(pu_wait_eof(extra, 1000), -ETIMEDOUT);
	c1 = pu_cpu_ms(px);
	TH_LOG("proxy CPU while paused for 1 s: %ld ms", c1 - c0);
	EXPECT_LT(c1 - c0, 50);
	/* a slot frees: the waiting one is accepted and served */
	close(fds[0]);
	ASSERT_EQ(pu_read_n(extra, back, hl), (ssize_t)hl);
	EXPECT_MEMEQ(back, h, hl);
	close(extra);
	for (int i = 1; i < 10; i++)
		close(fds[i]);
	pu_kill(px);
	pu_echo_stop(&e);
}

TEST_TIMEOUT(emfile_pauses_listener_then_resumes, 30)
{
	char conf[512];
	uint8_t h[4096], back[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	struct pu_echo e;
	int fds[40], n = 0, served_after;
	long c0, c1;
	pid_t px;

	TH_PRIVATE_NETNS();
	pu_echo_start(&e, UP_PORT);
	/* the global limit is high: EMFILE (nofile = 48) is what stops accepting */
	snprintf(conf, sizeof(conf), conf_fmt, 1000, "5s", 1000, "no");
	px = pu_proxy(conf, PX_PORT, 48, NULL);
	ASSERT_GT(px, 0);
	usleep(50000);
	/* each routed connection holds 2 fds (+ pipes while moving bytes) */
	for (n = 0; n < 40; n++) {
		fds[n] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(fds[n], 0);
		pu_timeout(fds[n], 500);
		ASSERT_EQ(pu_write_all(fds[n], h, hl), 0);
		if (pu_read_n(fds[n], back, hl) != (ssize_t)hl)
			break;	/* not served: the proxy is out of fds */
	}
	TH_LOG("served %d connections with nofile = 48", n);
	ASSERT_LT(n, 40);
	ASSERT_GT(n, 5);
	c0 = pu_cpu_ms(px);
	usleep(1000000);
	c1 = pu_cpu_ms(px);
	TH_LOG("proxy CPU during 1 s out of fds: %ld ms", c1 - c0);
	EXPECT_LT(c1 - c0, 100);
	/* free some: the proxy serves again (the unserved one may have been
	 * closed for want of an upstream socket; a new one must work) */
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	close(fds[n]);
	usleep(300000);
	served_after = roundtrip(h, hl, NULL);
	EXPECT_EQ(served_after, 0);
	for (int i = 5; i < n; i++)
		close(fds[i]);
	pu_kill(px);
	pu_echo_stop(&e);
}

TEST_TIMEOUT(access_log_one_line_per_connection, 30)
{
	char conf[512], log[128], out[4096];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	struct pu_echo e;
	pid_t px;
	int fd;

	TH_PRIVATE_NETNS();
	pu_echo_start(&e, UP_PORT);
	snprintf(log, sizeof(log), "/tmp/es-proxy-log-%d", (int)getpid());
	snprintf(conf, sizeof(conf), conf_fmt, 0, "1s", 100, "yes");
	px = pu_proxy(conf, PX_PORT, 0, log);
	ASSERT_GT(px, 0);
	ASSERT_EQ(roundtrip(h, hl, NULL), 0);
	ASSERT_EQ(roundtrip(h, hl, NULL), 0);
	fd = pu_connect("127.0.0.1", PX_PORT);	/* says nothing: hello timeout */
	ASSERT_GE(fd, 0);
	EXPECT_EQ(th_wait_sh(3000, "grep -q reason=hello_timeout %s", log), 0);
	close(fd);
	EXPECT_EQ(th_wait_sh(2000, "test $(grep -c 'name=app.example.com route=<default> upstream=127.0.0.1:21301 "
			     "up=%zu down=%zu ms=[0-9]* state=splice reason=done' %s) -eq 2", hl, hl, log), 0);
	th_sh_out(out, sizeof(out), "cat %s", log);
	TH_LOG("access log:\n%s", out);
	/* the readiness probe, two round trips, one silent client */
	EXPECT_EQ(th_sh("test $(grep -c 'proxy=lim client=127.0.0.1:' %s) -eq 4", log), 0);
	pu_kill(px);
	pu_echo_stop(&e);
	unlink(log);
}

TEST_HARNESS_MAIN
