// SPDX-License-Identifier: GPL-2.0-only
/*
 * Upstream names that follow DNS. Each test runs in a network namespace
 * and a mount namespace of its own whose resolv.conf names a small DNS
 * responder the test runs (dns_stub.h), answering with addresses and a
 * TTL the test chooses and changes:
 *  - happy eyeballs: a name whose first address (IPv6) blackholes SYNs
 *    and whose second (IPv4) is live connects long before
 *    connect_timeout, where trying one address at a time
 *    (happy_eyeballs_max = 1) is still stuck on the first;
 *  - TTL: when the name's address changes, routes follow once the
 *    record's TTL (2 s) has passed, long before resolve_interval (60 s);
 *  - active checks of a name run before any connection used it.
 */
#include "proxy_http_util.h"
#include "dns_stub.h"

#define PX	23640	/* races */
#define PX_SEQ	23641	/* one address at a time */
#define UP	23642	/* nginx on 127.0.0.2 (up=0) and 127.0.0.3 (up=1) */
#define MARK	23643	/* nginx on 127.0.0.1: only to know it is up */
#define DNS_IP	"127.0.0.98"
#define DEAD6	"2001:db8:99::2"

FIXTURE(dn) {
	char dir[64], log[96];
	struct dns_stub *ds;
	pid_t nginx, proxy;
};

FIXTURE_SETUP(dn)
{
	char servers[1024];
	int err;

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-dns-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	snprintf(self->log, sizeof(self->log), "%s/proxy.log", self->dir);
	err = ds_use_resolver(self->dir, DNS_IP);
	if (err)
		SKIP(return, "no private mount namespace: %s", strerror(-err));
	self->ds = ds_new();
	ASSERT_NE(self->ds, NULL);
	ASSERT_EQ(ds_start(self->ds, DNS_IP), 0);
	snprintf(servers, sizeof(servers),
		 " server { listen 127.0.0.2:%d; location / { return 200 \"up=0\\n\"; } }\n"
		 " server { listen 127.0.0.3:%d; location / { return 200 \"up=1\\n\"; } }\n"
		 " server { listen 127.0.0.1:%d; location / { return 200 \"mark\\n\"; } }\n", UP, UP, MARK);
	self->nginx = pu_nginx(self->dir, servers, MARK);
	ASSERT_GT(self->nginx, 0);
}

FIXTURE_TEARDOWN(dn)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	ds_stop(self->ds);
	if (th_result->failed && self->log[0])
		th_sh("grep -v 'info: proxy=' %s | tail -n 15 | sed 's/^/# /'", self->log);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

/* Whether fd has anything to read within ms (a response, or an EOF). */
static bool readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

TEST_F_TIMEOUT(dn, blackholed_first_address_does_not_delay_the_connection, 90)
{
	char conf[1024], page[128];
	int seq;

	/* DEAD6 sits behind a veth whose peer has no address: SYNs to it
	 * vanish without an answer (a blackhole, not a refusal). A global
	 * IPv6 address, so getaddrinfo's RFC 6724 order puts it first. */
	ASSERT_EQ(th_sh("ip link add es-dn-v0 type veth peer name es-dn-v1 && "
			"ip addr add 2001:db8:99::1/64 dev es-dn-v0 nodad && ip link set es-dn-v0 up && "
			"ip link set es-dn-v1 up && "
			"ip neigh add " DEAD6 " lladdr 02:00:00:00:00:02 dev es-dn-v0 nud permanent"), 0);
	ASSERT_EQ(ds_set(self->ds, DEAD6 " 127.0.0.2", 300), 0);
	snprintf(conf, sizeof(conf),
		 "[proxy he]\nlisten = 127.0.0.1:%d\nprotocol = http\nconnect_timeout = 30s\n"
		 "route = he.test up.es-test:%d\n"
		 "[proxy seq]\nlisten = 127.0.0.1:%d\nprotocol = http\nconnect_timeout = 30s\n"
		 "happy_eyeballs_max = 1\nroute = he.test up.es-test:%d\n", PX, UP, PX_SEQ, UP);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);

	/* one at a time: the first address (the dead one) holds the
	 * connection; nothing comes back while its 30 s run */
	seq = hu_connect_from(NULL, PX_SEQ);
	ASSERT_GE(seq, 0);
	ASSERT_EQ(hu_send_get(seq, NULL, 0, "he.test", false), 0);
	EXPECT_FALSE(readable_within(seq, 1500));
	/* racing: the live address answers while the dead one is pending;
	 * the client gives up after 10 s, a third of connect_timeout */
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "he.test", page, sizeof(page)), 0);
		EXPECT_STREQ(page, "up=0\n");
	}
	close(seq);
	/* the stub was asked for both families, so the race had both */
	EXPECT_EQ(th_sh("grep -q 'up.es-test:%d resolved to 2 addresses' %s", UP, self->log), 0);
}

TEST_F_TIMEOUT(dn, route_follows_an_address_change_after_the_ttl, 90)
{
	char conf[512], page[128];
	int up = -1, i;

	ASSERT_EQ(ds_set(self->ds, "127.0.0.2", 2), 0);
	snprintf(conf, sizeof(conf),
		 "[proxy ttl]\nlisten = 127.0.0.1:%d\nprotocol = http\nconnect_timeout = 2s\n"
		 "resolve_interval = 60s\nroute = ttl.test up.es-test:%d\n", PX, UP);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
	ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "ttl.test", page, sizeof(page)), 0);
	EXPECT_STREQ(page, "up=0\n");
	/* the name moves; within the 60 s resolve_interval only the 2 s
	 * TTL can make the proxy ask again */
	ASSERT_EQ(ds_set(self->ds, "127.0.0.3", 2), 0);
	/* with workers, each has its own resolver: one that never asked
	 * before resolves it anew; the one that did logs the change once a
	 * request reaches it (the kernel spreads them by the 4-tuple) */
	for (i = 0; i < 100; i++) {
		if (hu_get(NULL, PX, NULL, 0, "ttl.test", page, sizeof(page)) == 0)
			up = hu_up(page);
		if (up == 1 && !th_sh("grep -q 'up.es-test:%d now resolves to 1 address (kept 2000 ms)' %s",
				      UP, self->log))
			break;
		if (up != 1)
			usleep(200000);
	}
	EXPECT_EQ(up, 1);
	TH_LOG("route followed the change after %d requests", i);
	EXPECT_EQ(th_sh("grep -q 'up.es-test:%d now resolves to 1 address (kept 2000 ms)' %s", UP, self->log),
		  0);
	/* and stays there */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(hu_get(NULL, PX, NULL, 0, "ttl.test", page, sizeof(page)), 0);
		EXPECT_STREQ(page, "up=1\n");
	}
}

TEST_F_TIMEOUT(dn, active_check_of_a_name_needs_no_connection, 60)
{
	static char text[1 << 16];
	char conf[512], mfile[96], key[160];
	long long pass = 0;

	ASSERT_EQ(ds_set(self->ds, "127.0.0.2", 60), 0);
	snprintf(mfile, sizeof(mfile), "%s/metrics", self->dir);
	pu_metrics_file = mfile;
	snprintf(conf, sizeof(conf),
		 "[proxy chk]\nlisten = 127.0.0.1:%d\nprotocol = http\ncheck = tcp\ncheck_interval = 200ms\n"
		 "route = chk.test up.es-test:%d\n", PX, UP);
	self->proxy = pu_proxy(conf, PX, 0, self->log);
	ASSERT_GT(self->proxy, 0);
	snprintf(key, sizeof(key),
		 "edgesteer_proxy_upstream_checks_total{proxy=\"chk\",upstream=\"up.es-test:%d\",result=\"pass\"}",
		 UP);
	/* no client: the checks alone start the resolver and pass */
	for (int i = 0; i < 100 && pass < 1; i++) {
		pu_metrics(self->proxy, text, sizeof(text));
		pass = pu_metric(text, key);
		if (pass < 1)
			usleep(100000);
	}
	EXPECT_GE(pass, 1);
}

TEST_HARNESS_MAIN
