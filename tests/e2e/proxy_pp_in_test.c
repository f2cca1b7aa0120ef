// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end PROXY protocol in (accept_proxy): crafted v1 and v2
 * headers, and haproxy as the front load balancer, before plain-HTTP
 * requests; the upstreams are nginx servers that parse the header we
 * pass on (proxy_protocol=v1 or v2) and print its address. A header
 * missing, malformed, too slow or from a source outside
 * accept_proxy_from is refused and counted by reason.
 */
#include "proxy_http_util.h"

#define PX	23400	/* accept_proxy = both, from 127.0.0.1 */
#define UNTR	23410	/* accept_proxy = v1, from 10.0.0.0/8 only */
#define HAP	23420	/* haproxy in front of PX */
#define HAP_UP	23421	/* PX again, for haproxy's send-proxy-v2 */

static const int ups[] = { 23401, 23402 };

static const char conf[] =
	"[proxy b]\nlisten = 127.0.0.1:23400\nprotocol = http\nhello_timeout = 500ms\n"
	"accept_proxy = both\naccept_proxy_from = 127.0.0.1/32 ::1\n"
	"route = one.test 127.0.0.1:23401 proxy_protocol=v1\n"
	"route = two.test 127.0.0.1:23402 proxy_protocol=v2\n"
	"[proxy u]\nlisten = 127.0.0.1:23410\nprotocol = http\n"
	"accept_proxy = v1\naccept_proxy_from = 10.0.0.0/8\n"
	"route = one.test 127.0.0.1:23401 proxy_protocol=v1\n";

#define SIG "\r\n\r\n\0\r\nQUIT\n"

FIXTURE(ppin) {
	char dir[64], log[96], metrics[96];
	pid_t nginx, proxy, haproxy;
};

FIXTURE_SETUP(ppin)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-ppin-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics.txt", self->dir);
	pu_metrics_file = self->metrics;
	self->nginx = hu_nginx(self->dir, ups, 2, true);
	ASSERT_GT(self->nginx, 0);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(ppin)
{
	pu_kill(self->haproxy);
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static long long closed(struct th_fixture_ppin *self, const char *px, const char *reason)
{
	static char text[1 << 16];
	char key[160];

	pu_metrics(self->proxy, text, sizeof(text));
	snprintf(key, sizeof(key), "edgesteer_proxy_closed_total{proxy=\"%s\",reason=\"%s\"}", px, reason);
	return pu_metric(text, key);
}

static void expect_page(struct th_metadata *_metadata, const void *pre, size_t len, const char *host,
			const char *want)
{
	char page[256];

	ASSERT_EQ(hu_get(NULL, PX, pre, len, host, page, sizeof(page)), 0);
	if (strcmp(page, want))
		TH_LOG("got '%s', want '%s'", page, want);
	EXPECT_STREQ(page, want);
}

TEST_F_TIMEOUT(ppin, v1_address_is_logged_and_passed_on, 30)
{
	static const char v1[] = "PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n";
	static const char v1_6[] = "PROXY TCP6 2001:db8::7 2001:db8::1 6666 80\r\n";

	expect_page(_metadata, v1, sizeof(v1) - 1, "one.test", "up=0 pp=203.0.113.7\n");
	expect_page(_metadata, v1, sizeof(v1) - 1, "two.test", "up=1 pp=203.0.113.7\n");
	expect_page(_metadata, v1_6, sizeof(v1_6) - 1, "one.test", "up=0 pp=2001:db8::7\n");
	/* the access log names the client the header names */
	EXPECT_EQ(th_sh("grep -q 'client=203.0.113.7:5555 name=one.test' %s", self->log), 0);
	EXPECT_EQ(th_sh("grep -q 'client=\\[2001:db8::7\\]:6666' %s", self->log), 0);
}

TEST_F_TIMEOUT(ppin, v2_address_is_logged_and_passed_on, 30)
{
	static const uint8_t v2[] = SIG "\x21\x11\x00\x0c" "\xcb\x00\x71\x08" "\xc6\x33\x64\x01"
				    "\x1e\x61" "\x00\x50";	/* 203.0.113.8:7777 -> :80 */

	expect_page(_metadata, v2, sizeof(v2) - 1, "two.test", "up=1 pp=203.0.113.8\n");
	expect_page(_metadata, v2, sizeof(v2) - 1, "one.test", "up=0 pp=203.0.113.8\n");
	EXPECT_EQ(th_sh("grep -q 'client=203.0.113.8:7777' %s", self->log), 0);
}

TEST_F_TIMEOUT(ppin, v2_local_uses_the_connection_address, 30)
{
	static const uint8_t local[] = SIG "\x20\x00\x00\x00";

	expect_page(_metadata, local, sizeof(local) - 1, "one.test", "up=0 pp=127.0.0.1\n");
}

TEST_F_TIMEOUT(ppin, missing_and_malformed_headers_are_refused, 30)
{
	static const char bad[] = "PROXY TCP4 203.0.113.7 198.51.100.1 99999 80\r\n";
	char page[256];

	EXPECT_NE(hu_get(NULL, PX, NULL, 0, "one.test", page, sizeof(page)), 0);
	EXPECT_NE(hu_get(NULL, PX, bad, sizeof(bad) - 1, "one.test", page, sizeof(page)), 0);
	EXPECT_EQ(closed(self, "b", "proxy_header_bad"), 2);
	EXPECT_EQ(th_sh("grep -q 'refused: proxy_header_bad' %s", self->log), 0);
}

TEST_F_TIMEOUT(ppin, slow_header_is_refused_at_hello_timeout, 30)
{
	int fd = hu_connect_from(NULL, PX);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_write_all(fd, "PROXY TCP4 ", 11), 0);
	EXPECT_EQ(pu_wait_eof(fd, 10000), 0);	/* closed by the proxy (500ms) */
	close(fd);
	EXPECT_EQ(closed(self, "b", "proxy_header_timeout"), 1);
}

TEST_F_TIMEOUT(ppin, untrusted_source_is_refused, 30)
{
	static const char v1[] = "PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n";
	char page[256];

	EXPECT_NE(hu_get(NULL, UNTR, v1, sizeof(v1) - 1, "one.test", page, sizeof(page)), 0);
	EXPECT_EQ(closed(self, "u", "proxy_header_untrusted"), 1);
}

/* haproxy as the front load balancer, sending v2 (and v1) to us */
TEST_F_TIMEOUT(ppin, haproxy_in_front, 60)
{
	char path[128], page[256];
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/haproxy.cfg", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(f, NULL);
	fprintf(f, "global\n maxconn 100\ndefaults\n mode tcp\n timeout connect 5s\n"
		" timeout client 10s\n timeout server 10s\n"
		"frontend fe2\n bind 127.0.0.1:%d\n default_backend be2\n"
		"backend be2\n server px 127.0.0.1:%d send-proxy-v2\n"
		"frontend fe1\n bind 127.0.0.1:%d\n default_backend be1\n"
		"backend be1\n server px 127.0.0.1:%d send-proxy\n", HAP, PX, HAP_UP, PX);
	fclose(f);
	fflush(stdout);
	self->haproxy = fork();
	if (self->haproxy == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("haproxy", "haproxy", "-db", "-f", path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000 && !ok; i++) {
		int fd = pu_connect("127.0.0.1", HAP_UP);

		ok = fd >= 0;
		if (fd >= 0)
			close(fd);
		else
			usleep(10000);
	}
	ASSERT_TRUE(ok);
	ASSERT_EQ(hu_get("127.0.0.5", HAP, NULL, 0, "one.test", page, sizeof(page)), 0);
	EXPECT_STREQ(page, "up=0 pp=127.0.0.5\n");
	ASSERT_EQ(hu_get("127.0.0.6", HAP_UP, NULL, 0, "two.test", page, sizeof(page)), 0);
	EXPECT_STREQ(page, "up=1 pp=127.0.0.6\n");
	EXPECT_EQ(th_sh("grep -q 'client=127.0.0.5:' %s", self->log), 0);
	EXPECT_EQ(th_sh("grep -q 'client=127.0.0.6:' %s", self->log), 0);
}

TEST_HARNESS_MAIN
