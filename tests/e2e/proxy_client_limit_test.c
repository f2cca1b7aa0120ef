// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end per-client limits with two client addresses of the test's
 * namespace (127.0.0.2 heavy, 127.0.0.3 light): max_conn_per_client
 * and client_rate/client_burst refuse the heavy client, never the light
 * one, and count the refusals by reason. Behind accept_proxy the limit
 * applies to the address in the PROXY header, not the balancer's.
 */
#include "proxy_http_util.h"

#define PX	23500	/* max_conn_per_client = 3 */
#define RATE	23510	/* client_rate = 1, client_burst = 5 */
#define PPX	23520	/* accept_proxy, max_conn_per_client = 2 */

static const int ups[] = { 23501 };

static const char conf[] =
	"[proxy c]\nlisten = 127.0.0.1:23500\nprotocol = http\nmax_conn_per_client = 3\n"
	"route = a.test 127.0.0.1:23501\n"
	"[proxy r]\nlisten = 127.0.0.1:23510\nprotocol = http\nclient_rate = 1\nclient_burst = 5\n"
	"route = a.test 127.0.0.1:23501\n"
	"[proxy p]\nlisten = 127.0.0.1:23520\nprotocol = http\nmax_conn_per_client = 2\n"
	"accept_proxy = v1\naccept_proxy_from = 127.0.0.0/8\n"
	"route = a.test 127.0.0.1:23501\n";

FIXTURE(cl) {
	char dir[64], log[96], metrics[96];
	pid_t nginx, proxy;
};

FIXTURE_SETUP(cl)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-climit-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics.txt", self->dir);
	pu_metrics_file = self->metrics;
	self->nginx = hu_nginx(self->dir, ups, 1, false);
	ASSERT_GT(self->nginx, 0);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(cl)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static long long closed(struct th_fixture_cl *self, const char *px, const char *reason)
{
	static char text[1 << 16];
	char key[160];

	pu_metrics(self->proxy, text, sizeof(text));
	snprintf(key, sizeof(key), "edgesteer_proxy_closed_total{proxy=\"%s\",reason=\"%s\"}", px, reason);
	return pu_metric(text, key);
}

/* A kept-open connection that has had one answer; -1 when refused. */
static int hold(const char *src, int port, const char *pre)
{
	char page[128];
	int fd = hu_connect_from(src, port);

	if (fd < 0)
		return -1;
	if (hu_send_get(fd, pre, pre ? strlen(pre) : 0, "a.test", true) ||
	    hu_read_body(fd, page, sizeof(page)) || hu_up(page) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F_TIMEOUT(cl, max_conn_per_client_refuses_only_the_heavy_client, 30)
{
	int fds[3], extra, light;

	for (int i = 0; i < 3; i++) {
		fds[i] = hold("127.0.0.2", PX, NULL);
		ASSERT_GE(fds[i], 0);
	}
	extra = hold("127.0.0.2", PX, NULL);
	EXPECT_EQ(extra, -1);
	light = hold("127.0.0.3", PX, NULL);
	EXPECT_GE(light, 0);
	EXPECT_EQ(closed(self, "c", "client_limit"), 1);
	EXPECT_EQ(th_sh("grep -q 'client 127.0.0.2:[0-9]* refused: client_limit' %s", self->log), 0);
	/* one closes: the heavy client may open one more */
	close(fds[0]);
	for (int i = 0; i < 200 && (extra = hold("127.0.0.2", PX, NULL)) < 0; i++)
		usleep(10000);
	EXPECT_GE(extra, 0);
	for (int i = 1; i < 3; i++)
		close(fds[i]);
	if (extra >= 0)
		close(extra);
	if (light >= 0)
		close(light);
}

TEST_F_TIMEOUT(cl, client_rate_refuses_only_the_heavy_client, 30)
{
	char page[128];
	int ok = 0, refused = 0;

	/* burst 5 at 1/s: ten quick connections cannot all pass */
	for (int i = 0; i < 10; i++) {
		if (hu_get("127.0.0.2", RATE, NULL, 0, "a.test", page, sizeof(page)) == 0)
			ok++;
		else
			refused++;
	}
	TH_LOG("heavy client: %d admitted, %d refused", ok, refused);
	EXPECT_GE(ok, 5);
	EXPECT_GE(refused, 1);
	EXPECT_EQ(hu_get("127.0.0.3", RATE, NULL, 0, "a.test", page, sizeof(page)), 0);
	EXPECT_EQ(closed(self, "r", "client_rate"), refused);
}

TEST_F_TIMEOUT(cl, limits_apply_to_the_proxy_header_address, 30)
{
	static const char a[] = "PROXY TCP4 203.0.113.1 127.0.0.1 1000 80\r\n";
	static const char b[] = "PROXY TCP4 203.0.113.2 127.0.0.1 1000 80\r\n";
	int fa[2], fb;

	/* all from the same balancer address, 127.0.0.1 */
	for (int i = 0; i < 2; i++) {
		fa[i] = hold(NULL, PPX, a);
		ASSERT_GE(fa[i], 0);
	}
	EXPECT_EQ(hold(NULL, PPX, a), -1);
	fb = hold(NULL, PPX, b);
	EXPECT_GE(fb, 0);
	EXPECT_EQ(closed(self, "p", "client_limit"), 1);
	close(fa[0]);
	close(fa[1]);
	if (fb >= 0)
		close(fb);
}

TEST_HARNESS_MAIN
