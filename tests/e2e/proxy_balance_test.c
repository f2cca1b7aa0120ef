// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end balancing and passive health with real peers: plain-HTTP
 * nginx upstreams that name themselves in their page, behind the proxy
 * (protocol = http) in a private network namespace.
 *
 *  - roundrobin spreads BALANCE_N connections (1000; EDGESTEER_BALANCE_N
 *    to change it) over three upstreams within 5% of an even share;
 *  - hash keeps a client on one upstream, different clients spread;
 *  - leastconn sends new connections to the idle upstream while the
 *    other holds open connections;
 *  - an upstream that blackholes SYNs is tried once: after that first
 *    connect_timeout the next 100 connections never try it (counted by
 *    the proxy's own per-upstream counters) and none fails;
 *  - a refused upstream is down, then comes back once it listens again
 *    and its backoff is over.
 */
#include "proxy_http_util.h"

#define PX	23300	/* the proxy */
#define UP0	23301	/* nginx upstreams */
#define UP1	23302
#define UP2	23303
#define DEAD	23310	/* a listener whose queue is full: SYNs are dropped */
#define GONE	23311	/* nothing listens (refused), later something does */

static const int ups[] = { UP0, UP1, UP2 };

FIXTURE(lb) {
	char dir[64], log[96], metrics[96];
	pid_t nginx, proxy;
};

FIXTURE_SETUP(lb)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-balance-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics.txt", self->dir);
	pu_metrics_file = self->metrics;
	self->nginx = hu_nginx(self->dir, ups, 3, false);
	ASSERT_GT(self->nginx, 0);
}

FIXTURE_TEARDOWN(lb)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static void start_proxy(struct th_metadata *_metadata, struct th_fixture_lb *self, const char *routes)
{
	char conf[1024];

	snprintf(conf, sizeof(conf),
		 "[proxy b]\nlisten = 127.0.0.1:%d\nprotocol = http\nconnect_timeout = 1s\n"
		 "access_log = yes\n%s", PX, routes);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
}

static long long up_metric(struct th_fixture_lb *self, const char *name, int port)
{
	static char text[1 << 16];
	char key[160];

	pu_metrics(self->proxy, text, sizeof(text));
	snprintf(key, sizeof(key), "%s{proxy=\"b\",upstream=\"127.0.0.1:%d\"}", name, port);
	return pu_metric(text, key);
}

static long long closed_metric(struct th_fixture_lb *self, const char *reason)
{
	static char text[1 << 16];
	char key[160];

	pu_metrics(self->proxy, text, sizeof(text));
	snprintf(key, sizeof(key), "edgesteer_proxy_closed_total{proxy=\"b\",reason=\"%s\"}", reason);
	return pu_metric(text, key);
}

TEST_F_TIMEOUT(lb, roundrobin_spreads_evenly, 300)
{
	const char *env = getenv("EDGESTEER_BALANCE_N");
	int n = env ? atoi(env) : 1000, hits[3] = { 0 }, bad = 0;
	char page[128];

	start_proxy(_metadata, self, "route = lb.test 127.0.0.1:23301 127.0.0.1:23302 127.0.0.1:23303 "
				     "balance=roundrobin\n");
	for (int i = 0; i < n; i++) {
		int u = hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)) ? -1 : hu_up(page);

		if (u >= 0 && u < 3)
			hits[u]++;
		else
			bad++;
	}
	TH_LOG("%d connections: %d / %d / %d, %d failed", n, hits[0], hits[1], hits[2], bad);
	EXPECT_EQ(bad, 0);
	for (int i = 0; i < 3; i++) {
		EXPECT_GE(hits[i] * 100, n * 100 / 3 - n * 5);
		EXPECT_LE(hits[i] * 100, n * 100 / 3 + n * 5);
	}
}

TEST_F_TIMEOUT(lb, first_is_the_default_and_stays_in_order, 60)
{
	char page[128];

	start_proxy(_metadata, self, "route = lb.test 127.0.0.1:23302 127.0.0.1:23301 127.0.0.1:23303\n");
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)), 0);
		EXPECT_EQ(hu_up(page), 1);
	}
}

TEST_F_TIMEOUT(lb, hash_keeps_a_client_on_one_upstream, 60)
{
	char page[128], src[32];
	int first[8], seen = 0;

	start_proxy(_metadata, self, "route = lb.test 127.0.0.1:23301 127.0.0.1:23302 127.0.0.1:23303 "
				     "balance=hash\n");
	for (int c = 0; c < 8; c++) {
		snprintf(src, sizeof(src), "127.0.0.%d", 10 + c);
		for (int i = 0; i < 10; i++) {
			ASSERT_EQ(hu_get(src, PX, NULL, 0, "lb.test", page, sizeof(page)), 0);
			if (!i)
				first[c] = hu_up(page);
			EXPECT_EQ(hu_up(page), first[c]);
		}
		seen |= 1 << first[c];
	}
	/* eight clients over three upstreams: more than one is used */
	EXPECT_NE(seen & (seen - 1), 0);
}

TEST_F_TIMEOUT(lb, leastconn_favours_the_idle_upstream, 60)
{
	int held[6], hits[2] = { 0 };
	char page[128];

	/* busy.test and lb.test share upstream 0: busy.test's open
	 * connections load it */
	start_proxy(_metadata, self, "route = busy.test 127.0.0.1:23301\n"
				     "route = lb.test 127.0.0.1:23301 127.0.0.1:23302 balance=leastconn\n");
	for (int i = 0; i < 6; i++) {
		held[i] = hu_connect_from(NULL, PX);
		ASSERT_GE(held[i], 0);
		ASSERT_EQ(hu_send_get(held[i], NULL, 0, "busy.test", true), 0);
		ASSERT_EQ(hu_read_body(held[i], page, sizeof(page)), 0);	/* kept open after it */
		EXPECT_EQ(hu_up(page), 0);
	}
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_active_connections", UP0), 6);
	for (int i = 0; i < 40; i++) {
		ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)), 0);
		if (hu_up(page) >= 0 && hu_up(page) < 2)
			hits[hu_up(page)]++;
	}
	TH_LOG("with 6 connections open on upstream 0: %d / %d", hits[0], hits[1]);
	EXPECT_EQ(hits[1], 40);
	for (int i = 0; i < 6; i++)
		close(held[i]);
}

TEST_F_TIMEOUT(lb, blackholed_upstream_is_skipped_after_its_first_failure, 90)
{
	int dead, filler, n_ok = 0;
	char page[128];

	/* A listener with a backlog of 0 that never accepts: once its queue
	 * holds one connection, further SYNs are dropped, so a connect
	 * waits for connect_timeout (1s here). */
	dead = pu_listen("127.0.0.1", DEAD);
	ASSERT_GE(dead, 0);
	ASSERT_EQ(listen(dead, 0), 0);
	filler = pu_connect("127.0.0.1", DEAD);
	ASSERT_GE(filler, 0);
	start_proxy(_metadata, self, "health_backoff_min = 60s\n"
				     "route = lb.test 127.0.0.1:23310 127.0.0.1:23301\n");
	/* the first connection pays one connect_timeout, then gets through */
	ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)), 0);
	EXPECT_EQ(hu_up(page), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_up", DEAD), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connect_failures_total", DEAD), 1);
	for (int i = 0; i < 100; i++)
		if (!hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)) && hu_up(page) == 0)
			n_ok++;
	EXPECT_EQ(n_ok, 100);
	/* none of the 100 tried the dead one, so none waited for it */
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", DEAD), 1);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", UP0), 101);
	EXPECT_EQ(closed_metric(self, "connect_timeout"), 0);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:%d: down' %s", DEAD, self->log), 0);
	close(filler);
	close(dead);
}

TEST_F_TIMEOUT(lb, refused_upstream_comes_back_after_its_backoff, 60)
{
	char page[128];
	int l, hits = 0;

	start_proxy(_metadata, self, "health_backoff_min = 300ms\nhealth_backoff_max = 300ms\n"
				     "route = lb.test 127.0.0.1:23311 127.0.0.1:23301\n");
	ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)), 0);
	EXPECT_EQ(hu_up(page), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_up", GONE), 0);
	/* it listens again: after the backoff the next connection tries it */
	l = pu_listen("127.0.0.1", GONE);
	ASSERT_GE(l, 0);
	for (int i = 0; i < 300 && up_metric(self, "edgesteer_proxy_upstream_up", GONE) != 1; i++) {
		int fd = hu_connect_from(NULL, PX);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(hu_send_get(fd, NULL, 0, "lb.test", false), 0);
		usleep(20000);
		close(fd);
		hits++;
	}
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_up", GONE), 1);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_down_total", GONE), 1);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:%d: up again' %s", GONE, self->log), 0);
	close(l);
}

static bool wait_up(struct th_fixture_lb *self, int port, long long want)
{
	for (int i = 0; i < 200; i++) {
		if (up_metric(self, "edgesteer_proxy_upstream_up", port) == want)
			return true;
		usleep(50000);
	}
	return false;
}

/* check = tcp: a dead upstream goes down with no client ever sent to it,
 * and comes back once its checks pass. */
TEST_F_TIMEOUT(lb, active_check_takes_a_dead_upstream_out_and_back, 60)
{
	char page[128];
	int l, n_ok = 0;

	start_proxy(_metadata, self, "check = tcp\ncheck_interval = 200ms\ncheck_rise = 2\ncheck_fall = 2\n"
				     "route = lb.test 127.0.0.1:23311 127.0.0.1:23301 balance=roundrobin\n");
	ASSERT_TRUE(wait_up(self, GONE, 0));
	for (int i = 0; i < 20; i++)
		if (!hu_get(NULL, PX, NULL, 0, "lb.test", page, sizeof(page)) && hu_up(page) == 0)
			n_ok++;
	EXPECT_EQ(n_ok, 20);
	/* no client connection was ever sent to it: the checks found it */
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", GONE), 0);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:%d: down, 2 checks failed' %s", GONE, self->log), 0);
	/* it listens again: up after two passing checks, without a client */
	l = pu_listen("127.0.0.1", GONE);
	ASSERT_GE(l, 0);
	EXPECT_TRUE(wait_up(self, GONE, 1));
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", GONE), 0);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:%d: up again, 2 checks passed' %s", GONE, self->log), 0);
	close(l);
}

TEST_HARNESS_MAIN
