// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end active health checks with real TLS upstreams: nginx
 * servers with certificates made by openssl (scripts/mkcerts.sh and a
 * self-signed one), behind the SNI proxy (protocol = tls) in a private
 * network namespace; curl is the client and each upstream names itself
 * in its page.
 *
 *  - check = tls with check_ca and check_sni: the upstream whose
 *    certificate chains to the CA and carries the name passes; a
 *    self-signed one and one for another name are down with the reason
 *    logged, and no connection goes to them;
 *  - check = tls without check_ca checks the handshake alone: any
 *    certificate passes, a listener that never speaks TLS fails within
 *    check_interval;
 *  - an upstream that comes back (nginx started later) is up after
 *    check_rise passes and takes connections again;
 *  - a route's check=, check_ca=, check_sni= override the section's.
 */
#include "proxy_util.h"

#define PX	23400	/* the proxy */
#define GOOD	23401	/* certificate by ca.crt for up.test: "up0" */
#define SELF	23402	/* self-signed for up.test: "up1" */
#define OTHER	23403	/* by ca.crt, but for other.test: "up2" */
#define GOOD2	23404	/* like GOOD: "up3" */
#define BACK	23405	/* nothing at first, later like GOOD: "up4" */
#define SILENT	23406	/* a listener that never answers */

FIXTURE(chk) {
	char dir[64], certs[96], log[96], metrics[96], later[96];
	pid_t nginx, nginx2, proxy;
};

static void tls_server(char *out, size_t len, int port, const char *crt, const char *key, int n)
{
	snprintf(out, len,
		 " server { listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;\n"
		 "   location / { return 200 \"up%d\\n\"; } }\n", port, crt, key, n);
}

FIXTURE_SETUP(chk)
{
	const char *src = getenv("EDGESTEER_SRC");
	char servers[2048], one[4][512], crt[160], key[160];

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-check-%d", (int)getpid());
	snprintf(self->certs, sizeof(self->certs), "%s/certs", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics.txt", self->dir);
	snprintf(self->later, sizeof(self->later), "%s/later", self->dir);
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->later), 0);
	pu_metrics_file = self->metrics;
	if (th_sh("%s/scripts/mkcerts.sh %s up.test >/dev/null", src ? src : ".", self->certs))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	ASSERT_EQ(th_sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			"-keyout self.key -out self.crt -days 30 -subj /CN=up.test "
			"-addext subjectAltName=DNS:up.test 2>/dev/null", self->certs), 0);
	snprintf(crt, sizeof(crt), "%s/server.crt", self->certs);
	snprintf(key, sizeof(key), "%s/server.key", self->certs);
	tls_server(one[0], sizeof(one[0]), GOOD, crt, key, 0);
	tls_server(one[3], sizeof(one[3]), GOOD2, crt, key, 3);
	snprintf(crt, sizeof(crt), "%s/self.crt", self->certs);
	snprintf(key, sizeof(key), "%s/self.key", self->certs);
	tls_server(one[1], sizeof(one[1]), SELF, crt, key, 1);
	snprintf(crt, sizeof(crt), "%s/other.crt", self->certs);
	snprintf(key, sizeof(key), "%s/other.key", self->certs);
	tls_server(one[2], sizeof(one[2]), OTHER, crt, key, 2);
	snprintf(servers, sizeof(servers), "%s%s%s%s", one[0], one[1], one[2], one[3]);
	self->nginx = pu_nginx(self->dir, servers, GOOD2);
	ASSERT_GT(self->nginx, 0);
}

FIXTURE_TEARDOWN(chk)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	pu_kill(self->nginx2);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static void start_proxy(struct th_metadata *_metadata, struct th_fixture_chk *self, const char *keys)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), "[proxy c]\nlisten = 127.0.0.1:%d\nprotocol = tls\nconnect_timeout = 1s\n"
		 "check_interval = 300ms\ncheck_fall = 2\n%s", PX, keys);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
}

static long long up_metric(struct th_fixture_chk *self, const char *name, int port, const char *result)
{
	static char text[1 << 16];
	char key[200];

	pu_metrics(self->proxy, text, sizeof(text));
	snprintf(key, sizeof(key), "%s{proxy=\"c\",upstream=\"127.0.0.1:%d\"%s%s%s}", name, port,
		 result ? ",result=\"" : "", result ? result : "", result ? "\"" : "");
	return pu_metric(text, key);
}

/* Wait (up to 10 s) until upstream `port` is up (1) or down (0), and
 * has been checked `passes` times with a pass or `fails` with a fail. */
static bool wait_state(struct th_fixture_chk *self, int port, int up, int passes, int fails)
{
	for (int i = 0; i < 200; i++) {
		if (up_metric(self, "edgesteer_proxy_upstream_up", port, NULL) == up &&
		    up_metric(self, "edgesteer_proxy_upstream_checks_total", port, "pass") >= passes &&
		    up_metric(self, "edgesteer_proxy_upstream_checks_total", port, "fail") >= fails)
			return true;
		usleep(50000);
	}
	return false;
}

/* Which upstream answered a request for `name` through the proxy (-1: none). */
static int via(const char *name)
{
	char out[64];

	if (th_sh_out(out, sizeof(out), "curl -sk --max-time 5 --resolve %s:%d:127.0.0.1 https://%s:%d/",
		      name, PX, name, PX))
		return -1;
	return strncmp(out, "up", 2) ? -1 : atoi(out + 2);
}

static int log_has(struct th_fixture_chk *self, const char *fmt, int port, const char *tail)
{
	return th_sh("grep -qF 'upstream 127.0.0.1:%d%s%s' %s", port, fmt, tail ? tail : "", self->log);
}

TEST_F_TIMEOUT(chk, trusted_upstream_passes_untrusted_and_wrong_name_are_down_and_skipped, 90)
{
	char keys[512], ca[160];
	int hits[4] = { 0 };

	snprintf(ca, sizeof(ca), "%s/ca.crt", self->certs);
	snprintf(keys, sizeof(keys), "check = tls\ncheck_ca = %s\ncheck_sni = up.test\n"
		 "route = up.test 127.0.0.1:%d 127.0.0.1:%d 127.0.0.1:%d balance=roundrobin\n",
		 ca, SELF, GOOD, OTHER);
	start_proxy(_metadata, self, keys);
	ASSERT_TRUE(wait_state(self, GOOD, 1, 2, 0));
	ASSERT_TRUE(wait_state(self, SELF, 0, 0, 2));
	ASSERT_TRUE(wait_state(self, OTHER, 0, 0, 2));
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", GOOD, "fail"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", SELF, "pass"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", OTHER, "pass"), 0);
	EXPECT_GE(up_metric(self, "edgesteer_proxy_upstream_checks_in_a_row", SELF, "fail"), 2);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_in_a_row", SELF, "pass"), 0);
	/* the reasons, in the words an operator acts on */
	EXPECT_EQ(log_has(self, " check failed: certificate not trusted (check_ca ", SELF, ca), 0);
	EXPECT_EQ(log_has(self, " check failed: certificate is not for up.test (check_sni)", OTHER, NULL), 0);
	EXPECT_EQ(log_has(self, ": down, 2 checks failed (certificate not trusted", SELF, NULL), 0);
	/* logged when the reason is new, not at every check */
	EXPECT_EQ(th_sh("test $(grep -c 'upstream 127.0.0.1:%d check failed' %s) = 1", SELF, self->log), 0);
	/* every connection goes to the good one */
	for (int i = 0; i < 12; i++) {
		int u = via("up.test");

		if (u >= 0 && u < 4)
			hits[u]++;
	}
	TH_LOG("12 connections: %d / %d / %d / %d", hits[0], hits[1], hits[2], hits[3]);
	EXPECT_EQ(hits[0], 12);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", SELF, NULL), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", OTHER, NULL), 0);
}

TEST_F_TIMEOUT(chk, without_check_ca_the_handshake_alone_counts, 60)
{
	char keys[256];
	int silent = pu_listen("127.0.0.1", SILENT);	/* accepts (backlog), never speaks */

	ASSERT_GE(silent, 0);
	snprintf(keys, sizeof(keys), "check = tls\nroute = up.test 127.0.0.1:%d 127.0.0.1:%d 127.0.0.1:%d\n",
		 SILENT, SELF, OTHER);
	start_proxy(_metadata, self, keys);
	EXPECT_TRUE(wait_state(self, SELF, 1, 2, 0));
	EXPECT_TRUE(wait_state(self, OTHER, 1, 2, 0));
	EXPECT_TRUE(wait_state(self, SILENT, 0, 0, 2));
	EXPECT_EQ(log_has(self, " check failed: no TLS handshake within check_interval (300 ms)", SILENT, NULL),
		  0);
	/* first in order, but down: the next one answers */
	EXPECT_EQ(via("up.test"), 1);
	close(silent);
}

TEST_F_TIMEOUT(chk, an_upstream_that_comes_back_passes_after_check_rise, 90)
{
	char keys[512], servers[512], crt[160], key[160];
	int seen[5] = { 0 };

	snprintf(keys, sizeof(keys), "check = tls\ncheck_ca = %s/ca.crt\ncheck_sni = up.test\ncheck_rise = 3\n"
		 "route = up.test 127.0.0.1:%d 127.0.0.1:%d balance=roundrobin\n", self->certs, BACK, GOOD);
	start_proxy(_metadata, self, keys);
	ASSERT_TRUE(wait_state(self, BACK, 0, 0, 2));
	EXPECT_EQ(log_has(self, " check failed: connect: Connection refused", BACK, NULL), 0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(via("up.test"), 0);
	/* it comes back: up after three passes in a row, without a client */
	snprintf(crt, sizeof(crt), "%s/server.crt", self->certs);
	snprintf(key, sizeof(key), "%s/server.key", self->certs);
	tls_server(servers, sizeof(servers), BACK, crt, key, 4);
	self->nginx2 = pu_nginx(self->later, servers, BACK);
	ASSERT_GT(self->nginx2, 0);
	ASSERT_TRUE(wait_state(self, BACK, 1, 3, 0));
	EXPECT_EQ(log_has(self, ": up again, 3 checks passed", BACK, NULL), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_in_a_row", BACK, "fail"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", BACK, NULL), 0);
	/* and takes its turn again */
	for (int i = 0; i < 6; i++) {
		int u = via("up.test");

		if (u >= 0 && u < 5)
			seen[u]++;
	}
	TH_LOG("after it came back: %d to it, %d to the other", seen[4], seen[0]);
	if (pu_workers_n() == 1) {
		EXPECT_EQ(seen[4], 3);
		EXPECT_EQ(seen[0], 3);
	} else {
		/* round-robin positions are per worker: each one's turns
		 * alternate, so each worker tips the split by one at most */
		int min = (6 - pu_workers_n()) / 2;

		EXPECT_EQ(seen[4] + seen[0], 6);
		EXPECT_GE(seen[4], min < 1 ? 1 : min);
		EXPECT_GE(seen[0], min < 1 ? 1 : min);
	}
}

TEST_F_TIMEOUT(chk, a_routes_check_overrides_the_sections, 90)
{
	char keys[768];

	/* the section checks tcp; b.test checks tls with its CA and name;
	 * c.test asks for no check */
	snprintf(keys, sizeof(keys), "check = tcp\n"
		 "route = a.test 127.0.0.1:%d\n"
		 "route = b.test 127.0.0.1:%d 127.0.0.1:%d check=tls check_ca=%s/ca.crt check_sni=up.test\n"
		 "route = c.test 127.0.0.1:%d check=off\n", SELF, OTHER, GOOD2, self->certs, GOOD);
	start_proxy(_metadata, self, keys);
	/* a self-signed certificate passes a tcp check */
	ASSERT_TRUE(wait_state(self, SELF, 1, 2, 0));
	ASSERT_TRUE(wait_state(self, GOOD2, 1, 2, 0));
	ASSERT_TRUE(wait_state(self, OTHER, 0, 0, 2));
	EXPECT_EQ(log_has(self, " check failed: certificate is not for up.test (check_sni)", OTHER, NULL), 0);
	/* not checked at all */
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", GOOD, "pass"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", GOOD, "fail"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_in_a_row", GOOD, "pass"), -1);
	EXPECT_EQ(via("a.test"), 1);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(via("b.test"), 3);
	EXPECT_EQ(via("c.test"), 0);
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_connects_total", OTHER, NULL), 0);
}

/* A check_ca that holds no CA certificate refuses the start and a
 * reload (the running checks go on), rather than failing every check. */
TEST_F_TIMEOUT(chk, a_check_ca_without_a_ca_refuses_start_and_reload, 60)
{
	static char good[512], bad[512];

	snprintf(bad, sizeof(bad), "[proxy c]\nlisten = 127.0.0.1:%d\ncheck = tls\ncheck_ca = %s/server.key\n"
		 "route = up.test 127.0.0.1:%d\n", PX, self->certs, GOOD);
	EXPECT_LT(pu_proxy(bad, PX, 0, self->log), 0);
	EXPECT_EQ(th_sh("grep -qF '[proxy c] check_ca %s/server.key: holds no CA certificate' %s", self->certs,
			self->log), 0);
	snprintf(good, sizeof(good), "check = tls\ncheck_ca = %s/ca.crt\ncheck_sni = up.test\n"
		 "route = up.test 127.0.0.1:%d\n", self->certs, GOOD);
	pu_reload_conf = bad;
	start_proxy(_metadata, self, good);
	ASSERT_TRUE(wait_state(self, GOOD, 1, 1, 0));
	kill(self->proxy, SIGHUP);
	EXPECT_EQ(th_wait_sh(10000, "grep -q 'reload failed' %s", self->log), 0);
	/* the old configuration still checks, and passes */
	{
		long long n = up_metric(self, "edgesteer_proxy_upstream_checks_total", GOOD, "pass");

		EXPECT_TRUE(wait_state(self, GOOD, 1, (int)n + 2, 0));
	}
	EXPECT_EQ(up_metric(self, "edgesteer_proxy_upstream_checks_total", GOOD, "fail"), 0);
	EXPECT_EQ(via("up.test"), 0);
}

TEST_HARNESS_MAIN
