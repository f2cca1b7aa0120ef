// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests of [global] workers = 2: both workers accept (the
 * kernel spreads connections over their SO_REUSEPORT listeners, counted
 * per worker), the counters of both add up in the metrics,
 * max_conn_per_client holds across the workers (one table, not one per
 * worker), and a reload reaches both workers (every new connection
 * takes the new route, whichever worker accepts it).
 */
#include "proxy_http_util.h"

#define PX	24700
#define RL	24710

static const int ups[] = { 24701, 24702 };

static const char conf[] =
	"[global]\nworkers = 2\n"
	"[proxy w]\nlisten = 127.0.0.1:24700\nprotocol = http\nmax_conn_per_client = 4\naccess_log = no\n"
	"route = a.test 127.0.0.1:24701\n"
	"[proxy r]\nlisten = 127.0.0.1:24710\nprotocol = http\naccess_log = no\n"
	"route = a.test 127.0.0.1:24701\n";

static const char reloaded[] =
	"[global]\nworkers = 2\n"
	"[proxy w]\nlisten = 127.0.0.1:24700\nprotocol = http\nmax_conn_per_client = 4\naccess_log = no\n"
	"route = a.test 127.0.0.1:24701\n"
	"[proxy r]\nlisten = 127.0.0.1:24710\nprotocol = http\naccess_log = no\n"
	"route = a.test 127.0.0.1:24702\n";

FIXTURE(wk) {
	char dir[64], metrics[96];
	pid_t nginx, proxy;
};

FIXTURE_SETUP(wk)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-workers-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics.txt", self->dir);
	pu_metrics_file = self->metrics;
	pu_reload_conf = reloaded;
	self->nginx = hu_nginx(self->dir, ups, 2, false);
	ASSERT_GT(self->nginx, 0);
	self->proxy = pu_proxy(conf, PX, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(wk)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static long long metric_of(struct th_fixture_wk *self, const char *key)
{
	static char text[1 << 16];

	pu_metrics(self->proxy, text, sizeof(text));
	return pu_metric(text, key);
}

#define W0 "edgesteer_proxy_worker_accepted_total{worker=\"0\"}"
#define W1 "edgesteer_proxy_worker_accepted_total{worker=\"1\"}"

TEST_F_TIMEOUT(wk, both_workers_accept_and_counters_add_up, 60)
{
	long long w0, w1, acc_w, acc_r, routed;
	char page[128];
	int ok = 0;

	for (int i = 0; i < 64; i++)
		ok += hu_get(NULL, RL, NULL, 0, "a.test", page, sizeof(page)) == 0 && hu_up(page) == 0;
	EXPECT_EQ(ok, 64);
	w0 = metric_of(self, W0);
	w1 = metric_of(self, W1);
	acc_w = metric_of(self, "edgesteer_proxy_accepted_total{proxy=\"w\"}");
	acc_r = metric_of(self, "edgesteer_proxy_accepted_total{proxy=\"r\"}");
	routed = metric_of(self, "edgesteer_proxy_route_connections_total{proxy=\"r\",route=\"a.test\"}");
	TH_LOG("worker 0 accepted %lld, worker 1 %lld", w0, w1);
	/* 64 connections over two listeners by 4-tuple hash: both get some
	 * (all on one would be a 1 in 2^63 chance) */
	EXPECT_GT(w0, 0);
	EXPECT_GT(w1, 0);
	/* pu_proxy's readiness probe is one more on w */
	EXPECT_EQ(acc_r, 64);
	EXPECT_EQ(w0 + w1, acc_w + acc_r);
	EXPECT_EQ(routed, 64);
}

/* A kept-open connection from src that has had one answer; -1 when refused. */
static int hold(const char *src, int port)
{
	char page[128];
	int fd = hu_connect_from(src, port);

	if (fd < 0)
		return -1;
	if (hu_send_get(fd, NULL, 0, "a.test", true) || hu_read_body(fd, page, sizeof(page)) ||
	    hu_up(page) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F_TIMEOUT(wk, max_conn_per_client_holds_across_workers, 60)
{
	long long w0, w1, w0_after, w1_after;
	int fds[16], admitted = 0, light;

	w0 = metric_of(self, W0);
	w1 = metric_of(self, W1);
	/* 16 tries, held open: one table for both workers admits 4; a table
	 * per worker would admit up to 4 on each */
	for (int i = 0; i < 16; i++) {
		fds[i] = hold("127.0.0.2", PX);
		admitted += fds[i] >= 0;
	}
	w0_after = metric_of(self, W0);
	w1_after = metric_of(self, W1);
	TH_LOG("tries accepted by worker 0: %lld, by worker 1: %lld", w0_after - w0, w1_after - w1);
	EXPECT_GT(w0_after - w0, 0);
	EXPECT_GT(w1_after - w1, 0);
	EXPECT_EQ(admitted, 4);
	EXPECT_EQ(metric_of(self, "edgesteer_proxy_closed_total{proxy=\"w\",reason=\"client_limit\"}"), 12);
	/* another client is not affected */
	light = hold("127.0.0.3", PX);
	EXPECT_GE(light, 0);
	if (light >= 0)
		close(light);
	for (int i = 0; i < 16; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

TEST_F_TIMEOUT(wk, reload_reaches_both_workers, 60)
{
	long long w0, w1;
	char page[128];
	int moved = 0, on_new = 0;

	kill(self->proxy, SIGHUP);
	/* the reload is applied once a connection takes the new route */
	for (int i = 0; i < 200 && !moved; i++) {
		moved = hu_get(NULL, RL, NULL, 0, "a.test", page, sizeof(page)) == 0 && hu_up(page) == 1;
		if (!moved)
			usleep(20000);
	}
	ASSERT_TRUE(moved);
	w0 = metric_of(self, W0);
	w1 = metric_of(self, W1);
	/* every worker applied it: no connection takes the old route */
	for (int i = 0; i < 64; i++)
		on_new += hu_get(NULL, RL, NULL, 0, "a.test", page, sizeof(page)) == 0 && hu_up(page) == 1;
	EXPECT_EQ(on_new, 64);
	EXPECT_GT(metric_of(self, W0), w0);
	EXPECT_GT(metric_of(self, W1), w1);
}

TEST_HARNESS_MAIN
