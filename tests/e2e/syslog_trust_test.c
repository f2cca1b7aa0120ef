// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: what the syslog relay trusts, and what strangers can do to
 * it. Collectors that present the wrong certificate (another name, a
 * client-only one) get nothing and the messages wait; subscribers with a
 * server-only certificate are refused; a crowd of stalled handshakes
 * never locks out real subscribers; reloads of client_ca and of CA files
 * renewed in place apply at once; a collector that resets at shutdown
 * confirms nothing; `edgesteer reload` fails when a part is not applied.
 * Real peers: openssl s_server, rsyslog, a BearSSL collector of our own
 * that never reads. Each test runs in a network namespace of its own
 * (TH_PRIVATE_NETNS), ports 22300-22399 on its loopback.
 */
#include "harness.h"

#include "syslog_helpers.h"
#include "rsyslog_helpers.h"

FIXTURE(trust) {
	char dir[200];
	struct rsys rs;
	pid_t relay;
	pid_t sserver;		/* openssl s_server */
	pid_t collector;	/* our own collector that never reads */
	pid_t daemon;
};

FIXTURE_SETUP(trust)
{
	TH_PRIVATE_NETNS();
	if (mkcerts_into(self->dir, sizeof(self->dir), "trust"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(self->rs.dir, sizeof(self->rs.dir), "%s/rs", self->dir);
	self->relay = self->sserver = self->collector = self->daemon = 0;
}

static void reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

FIXTURE_TEARDOWN(trust)
{
	reap(&self->relay);
	reap(&self->collector);
	reap(&self->daemon);
	if (self->sserver > 0)
		kill(self->sserver, SIGKILL);
	rsys_stop(&self->rs);
	if (self->dir[0]) {
		if (th_result->failed)
			th_sh("grep -hE 'error|warn|forward|subscriber' %s/relay.log %s/daemon.log 2>/dev/null | "
			      "tail -25 | sed 's/^/# relay: /'", self->dir, self->dir);
		th_sh("rm -rf %s", self->dir);
	}
}

/* openssl s_server with CERT.crt/CERT.key on PORT (all addresses); what
 * it receives goes to DIR/sserver.out. */
static int sserver_start(struct th_fixture_trust *self, int port, const char *cert)
{
	char out[64];
	int i;

	if (th_sh("cd %s && (openssl s_server -accept %d -cert %s.crt -key %s.key -quiet "
		  "</dev/null >sserver.out 2>sserver.err & echo $! > sserver.pid)", self->dir, port, cert, cert))
		return -1;
	for (i = 0; i < 100 && !self->sserver; i++) {
		if (th_sh_out(out, sizeof(out), "cat %s/sserver.pid 2>/dev/null", self->dir) == 0)
			self->sserver = atoi(out);
		if (!self->sserver)
			usleep(20000);
	}
	return self->sserver > 0 ? wait_port(port, 5000) : -1;
}

static bool log_has(const char *dir, const char *file, const char *what)
{
	return th_sh("grep -qF -- '%s' %s/%s", what, dir, file) == 0;
}

/* [syslog] on UDP `udp` and one [forward central] with `fwd` lines. */
static pid_t relay_fwd(struct th_fixture_trust *self, int udp, const char *fwd)
{
	char conf[4096];
	pid_t pid;

	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:%d\n"
		 "[forward central]\n%s\nspool_dir = %s/spool\nbackoff_min = 100ms\nbackoff_max = 300ms\n"
		 "connect_timeout = 1s\nhandshake_timeout = 1s\nwrite_timeout = 5s\n",
		 udp, fwd, self->dir);
	pid = relay_start(self->dir, conf);
	if (pid > 0 && wait_udp_bound(udp, 10000))
		TH_LOG("relay did not bind UDP %d within 10 s", udp);
	return pid;
}

/* Stop the relay with SIGTERM and wait for it (bounded). */
static int relay_term(pid_t *pid, int ms)
{
	double end = th_now() + ms / 1000.0;
	int st = 0;

	kill(*pid, SIGTERM);
	while (th_now() < end) {
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = 0;
			return WIFEXITED(st) ? 0 : -1;
		}
		usleep(20000);
	}
	return -1;
}

static long long spool_size(const char *dir)
{
	char path[320];
	struct stat st;

	snprintf(path, sizeof(path), "%s/spool/central.spool", dir);
	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* ---- collectors that present the wrong certificate ---------------------- */

TEST_F_TIMEOUT(trust, collector_with_another_name_gets_nothing, 60)
{
	struct seq_check c;
	char fwd[1024], conf[2048], out[256];
	long long fails;

	/* a certificate for other.test from the CA the forwarder trusts; the
	 * forwarder has no server_name: the collector's host name is verified */
	ASSERT_EQ(sserver_start(self, 22301, "other"), 0);
	snprintf(fwd, sizeof(fwd), "collector = localhost:22301\nca = %s/ca.crt", self->dir);
	self->relay = relay_fwd(self, 22300, fwd);
	send_range(22300, 0, 100, 0, 0);
	fails = relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_forward_failures_total",
				  "reason=\"handshake\"", 3, 15000);
	EXPECT_GE(fails, 3);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_forward_sent_total", NULL), 0);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_forward_lag_messages", NULL), 100);
	th_sh_out(out, sizeof(out), "grep -c 'message 000' %s/sserver.out", self->dir);
	EXPECT_EQ(atoi(out), 0);
	/* the error names the peer and the reason */
	EXPECT_TRUE(log_has(self->dir, "relay.log",
			    "collector localhost:22301: handshake failed: BR_ERR_X509_BAD_SERVER_NAME"));
	EXPECT_TRUE(log_has(self->dir, "relay.log", "is not for \"localhost\""));
	/* the messages waited: a collector with the right certificate gets all */
	self->rs.port = 22302;
	ASSERT_EQ(rsys_start(&self->rs, self->dir, "ossl"), 0);
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22300\n[forward central]\ncollector = 127.0.0.1:22302\n"
		 "server_name = localhost\nca = %s/ca.crt\nspool_dir = %s/spool\nbackoff_min = 100ms\n"
		 "backoff_max = 300ms\n", self->dir, self->dir);
	EXPECT_EQ(relay_reload(self->relay, self->dir, conf), 0);
	wait_out(self->rs.dir, &c, 100, 15000);
	EXPECT_EQ(c.got, 100);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_FALSE(c.bad);
}

TEST_F_TIMEOUT(trust, collector_with_a_client_only_certificate_gets_nothing_and_the_spool_keeps_it, 60)
{
	struct seq_check c;
	char fwd[1024], out[256];
	long long fails;

	/* right name, right CA, but extendedKeyUsage = clientAuth only */
	ASSERT_EQ(sserver_start(self, 22311, "server-clientauth"), 0);
	snprintf(fwd, sizeof(fwd), "collector = 127.0.0.1:22311\nserver_name = localhost\nca = %s/ca.crt",
		 self->dir);
	self->relay = relay_fwd(self, 22310, fwd);
	send_range(22310, 0, 100, 0, 0);
	fails = relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_forward_failures_total",
				  "reason=\"handshake\"", 3, 15000);
	EXPECT_GE(fails, 3);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_forward_sent_total", NULL), 0);
	th_sh_out(out, sizeof(out), "grep -c 'message 000' %s/sserver.out", self->dir);
	EXPECT_EQ(atoi(out), 0);
	EXPECT_TRUE(log_has(self->dir, "relay.log", "collector 127.0.0.1:22311: handshake failed: ES_ERR_WRONG_EKU"));
	EXPECT_TRUE(log_has(self->dir, "relay.log", "does not include serverAuth"));
	/* stopped meanwhile: all 100 go to the spool, and to the next run's collector */
	ASSERT_EQ(relay_term(&self->relay, 10000), 0);
	EXPECT_GT(spool_size(self->dir), 100 * 150);	/* ~200-byte messages */
	self->rs.port = 22312;
	ASSERT_EQ(rsys_start(&self->rs, self->dir, "ossl"), 0);
	snprintf(fwd, sizeof(fwd), "collector = 127.0.0.1:22312\nserver_name = localhost\nca = %s/ca.crt",
		 self->dir);
	self->relay = relay_fwd(self, 22310, fwd);
	wait_out(self->rs.dir, &c, 100, 15000);
	EXPECT_EQ(c.got, 100);
	EXPECT_EQ(c.last, 99);
	EXPECT_EQ(c.gaps, 0);
}

/* ---- subscribers -------------------------------------------------------- */

static void relay_subs(struct th_fixture_trust *self, int udp, int tls, const char *client_ca,
		       const char *extra)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:%d\ntls_listen = 127.0.0.1:%d\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s\n%s",
		 udp, tls, self->dir, self->dir, client_ca, extra);
	self->relay = relay_start(self->dir, conf);
}

TEST_F_TIMEOUT(trust, subscriber_with_a_server_only_certificate_is_refused, 40)
{
	struct tsub a, b;
	char ca[256];

	snprintf(ca, sizeof(ca), "%s/ca.crt", self->dir);
	relay_subs(self, 22320, 22321, ca, "");
	ASSERT_EQ(wait_port(22321, 15000), 0);
	EXPECT_NE(tsub_connect(&a, 22321, self->dir, "client-serverauth.crt", "client-serverauth.key", 0), 0);
	tsub_close(&a);
	EXPECT_EQ(tsub_connect(&b, 22321, self->dir, "client.crt", "client.key", 0), 0);
	tsub_close(&b);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscriber_handshakes_total", NULL), 1);
	EXPECT_TRUE(log_has(self->dir, "relay.log", "handshake failed: ES_ERR_WRONG_EKU"));
	EXPECT_TRUE(log_has(self->dir, "relay.log", "does not include clientAuth"));
}

/* A TCP connection to 127.0.0.1:port, or -1. */
static int tcp_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The first 40 bytes of a ClientHello whose record says 512: the server
 * waits for the rest. */
static int half_hello(int port)
{
	static const uint8_t hello[40] = {
		0x16, 0x03, 0x01, 0x02, 0x00,		/* handshake record, 512 bytes */
		0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,	/* ClientHello, TLS 1.2 */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
	};
	int fd = tcp_to(port);

	if (fd >= 0 && send(fd, hello, sizeof(hello), 0) != (ssize_t)sizeof(hello)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* How many of fds the peer has closed (EOF or reset), waiting up to ms. */
static int count_closed(int *fds, int n, int want, int ms)
{
	double end = th_now() + ms / 1000.0;
	int closed = 0, i;

	while (closed < want && th_now() < end) {
		for (i = 0; i < n; i++) {
			char b[64];
			ssize_t r;

			if (fds[i] < 0)
				continue;
			r = recv(fds[i], b, sizeof(b), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
		usleep(20000);
	}
	return closed;
}

/* 20 mTLS subscribers one after another; returns how many succeeded. */
static int good_subscribers(int port, const char *dir, struct tsub *subs)
{
	double worst = 0;
	int ok = 0, i;

	for (i = 0; i < 20; i++) {
		double t0 = th_now(), dt;

		if (tsub_connect(&subs[i], port, dir, "client.crt", "client.key", 0) == 0)
			ok++;
		dt = (th_now() - t0) * 1000;
		worst = dt > worst ? dt : worst;
		TH_LOG("subscriber %2d: %s in %.1f ms", i, subs[i].t && tls_handshake_done(subs[i].t) ?
		       "connected" : "FAILED", dt);
	}
	TH_LOG("%d of 20 connected, slowest %.1f ms", ok, worst);
	return ok;
}

TEST_F_TIMEOUT(trust, stalled_handshakes_never_lock_out_subscribers, 90)
{
	static int held[250];
	struct tsub subs[20];
	char ca[256];
	int i, n = 0, closed;

	snprintf(ca, sizeof(ca), "%s/ca.crt", self->dir);
	/* long enough that the stalled ones are all still held while the
	 * subscribers connect */
	relay_subs(self, 22330, 22331, ca, "handshake_timeout = 20s\n");
	ASSERT_EQ(wait_port(22331, 15000), 0);
	/* 200 silent TCP connections and 50 half ClientHellos, held */
	for (i = 0; i < 250; i++) {
		held[i] = i < 200 ? tcp_to(22331) : half_hello(22331);
		if (held[i] >= 0)
			n++;
	}
	ASSERT_EQ(n, 250);
	/* the relay has them all (wait_port's probe was one more) */
	EXPECT_GE(relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_tls_accepted_total", NULL,
				    251, 5000), 251);
	memset(subs, 0, sizeof(subs));
	EXPECT_EQ(good_subscribers(22331, self->dir, subs), 20);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscribers", NULL), 20);
	/* the stalled ones are closed when handshake_timeout passes, the
	 * subscribers stay */
	closed = count_closed(held, 250, 250, 40000);
	EXPECT_EQ(closed, 250);
	EXPECT_GE(relay_metric(self->relay, self->dir, "edgesteer_syslog_tls_refused_total",
			       "reason=\"handshake_timeout\""), 250);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscribers", NULL), 20);
	for (i = 0; i < 250; i++)
		if (held[i] >= 0)
			close(held[i]);
	for (i = 0; i < 20; i++)
		tsub_close(&subs[i]);
}

TEST_F_TIMEOUT(trust, full_handshake_budget_gives_way_to_new_connections, 60)
{
	static int held[100];
	struct tsub subs[20];
	char ca[256], out[64];
	long long refused;
	int i, lines, closed;

	snprintf(ca, sizeof(ca), "%s/ca.crt", self->dir);
	relay_subs(self, 22340, 22341, ca, "handshake_timeout = 60s\nmax_handshakes = 32\n");
	ASSERT_EQ(wait_port(22341, 15000), 0);
	for (i = 0; i < 100; i++)
		ASSERT_GE(held[i] = tcp_to(22341), 0);
	EXPECT_GE(relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_tls_accepted_total", NULL,
				    101, 10000), 101);
	memset(subs, 0, sizeof(subs));
	EXPECT_EQ(good_subscribers(22341, self->dir, subs), 20);
	/* the oldest gave way, long before their handshake_timeout */
	refused = relay_metric(self->relay, self->dir, "edgesteer_syslog_tls_refused_total",
			       "reason=\"max_handshakes\"");
	EXPECT_GE(refused, 68);
	closed = count_closed(held, 68, 68, 5000);
	EXPECT_EQ(closed, 68);
	EXPECT_LE(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscriber_handshakes_pending", NULL),
		  32);
	/* logged with a count, not a line per connection */
	th_sh_out(out, sizeof(out), "grep -c 'max_handshakes reached' %s/relay.log", self->dir);
	lines = atoi(out);
	TH_LOG("%lld evictions in %d log lines", refused, lines);
	EXPECT_GE(lines, 1);
	EXPECT_LT(lines, refused);
	for (i = 0; i < 100; i++)
		if (held[i] >= 0)
			close(held[i]);
	for (i = 0; i < 20; i++)
		tsub_close(&subs[i]);
}

/* Pump a subscriber until the relay closes it; true when it did. */
static bool tsub_closed_by_peer(struct tsub *s, int ms)
{
	double end = th_now() + ms / 1000.0;

	while (!s->closed && th_now() < end)
		tsub_pump(s, 20);
	return s->closed;
}

TEST_F_TIMEOUT(trust, reload_tightened_client_ca_applies_to_every_new_handshake, 60)
{
	struct tsub a, b, x;
	struct seq_check c = { .next = 0 };
	char ca[256], conf[4096];
	int raw;

	/* subscribers from two CAs; one raw TCP connection held in its handshake */
	ASSERT_EQ(th_sh("cd %s && cat ca.crt wrong-ca.crt > subs-ca.crt && cp ca.crt ca-only.crt", self->dir), 0);
	snprintf(ca, sizeof(ca), "%s/subs-ca.crt", self->dir);
	relay_subs(self, 22350, 22351, ca, "");
	ASSERT_EQ(wait_port(22351, 15000), 0);
	ASSERT_EQ(wait_udp_bound(22350, 10000), 0);
	ASSERT_EQ(tsub_connect(&a, 22351, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(tsub_connect(&b, 22351, self->dir, "client-wrong.crt", "client-wrong.key", 0), 0);
	ASSERT_EQ(relay_wait_subscribers(self->relay, self->dir, 2, 10000), 0);
	raw = tcp_to(22351);
	ASSERT_GE(raw, 0);

	/* wrong-ca is removed */
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22350\ntls_listen = 127.0.0.1:22351\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca-only.crt\n",
		 self->dir, self->dir, self->dir);
	EXPECT_EQ(relay_reload(self->relay, self->dir, conf), 0);
	/* a new handshake with its certificate is refused at once */
	EXPECT_NE(tsub_connect(&x, 22351, self->dir, "client-wrong.crt", "client-wrong.key", 0), 0);
	tsub_close(&x);
	/* the subscriber from it is disconnected, logged and counted */
	EXPECT_TRUE(tsub_closed_by_peer(&b, 5000));
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscriber_closed_total",
			       "reason=\"no_longer_trusted\""), 1);
	EXPECT_TRUE(log_has(self->dir, "relay.log", "disconnected after the reload"));
	/* the other keeps its session and its stream */
	send_range(22350, 0, 100, 0, 0);
	EXPECT_EQ(tsub_collect(&a, &c, 100, 5000), 100);
	EXPECT_FALSE(a.closed);

	/* the CA file renewed in place (same path, other content) is seen too */
	ASSERT_EQ(th_sh("cd %s && cat ca-ec.crt > ca-only.crt", self->dir), 0);
	EXPECT_EQ(relay_reload(self->relay, self->dir, conf), 0);
	EXPECT_TRUE(tsub_closed_by_peer(&a, 5000));
	EXPECT_NE(tsub_connect(&x, 22351, self->dir, "client.crt", "client.key", 0), 0);
	tsub_close(&x);
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscriber_closed_total",
			       "reason=\"no_longer_trusted\""), 2);
	close(raw);
	tsub_close(&a);
	tsub_close(&b);
}

/* The issuer of the certificate the relay presents now (openssl s_client). */
static void served_issuer(const char *dir, int port, char *out, size_t len)
{
	th_sh_out(out, len, "openssl s_client -connect 127.0.0.1:%d -cert %s/client.crt -key %s/client.key "
		  "</dev/null 2>/dev/null | openssl x509 -noout -issuer", port, dir, dir);
}

TEST_F_TIMEOUT(trust, certificate_renewed_in_place_is_served_after_reload, 60)
{
	char ca[256], conf[4096], out[512];
	struct tsub a;

	ASSERT_EQ(th_sh("cd %s && cp server.crt gw.crt && cp server.key gw.key", self->dir), 0);
	snprintf(ca, sizeof(ca), "%s/ca.crt", self->dir);
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22390\ntls_listen = 127.0.0.1:22391\n"
		 "cert = %s/gw.crt\nkey = %s/gw.key\nclient_ca = %s\n", self->dir, self->dir, ca);
	self->relay = relay_start(self->dir, conf);
	ASSERT_EQ(wait_port(22391, 15000), 0);
	ASSERT_EQ(tsub_connect(&a, 22391, self->dir, "client.crt", "client.key", 0), 0);
	served_issuer(self->dir, 22391, out, sizeof(out));
	EXPECT_TRUE(strstr(out, "Edge Test CA") != NULL);
	/* renewed at the same paths while a subscriber is connected */
	ASSERT_EQ(th_sh("cd %s && cat server-ec.crt > gw.crt && cat server-ec.key > gw.key", self->dir), 0);
	EXPECT_EQ(relay_reload(self->relay, self->dir, conf), 0);
	served_issuer(self->dir, 22391, out, sizeof(out));
	TH_LOG("after the reload: %s", out);
	EXPECT_TRUE(strstr(out, "Edge EC CA") != NULL);
	/* the subscriber's trust did not change: it keeps its session */
	EXPECT_FALSE(tsub_closed_by_peer(&a, 500));
	EXPECT_EQ(relay_metric(self->relay, self->dir, "edgesteer_syslog_subscribers", NULL), 1);
	tsub_close(&a);
}

/* ---- forwarder: CA renewed in place; reset at shutdown ------------------ */

TEST_F_TIMEOUT(trust, forwarder_ca_renewed_in_place_is_used_after_reload, 60)
{
	struct seq_check c;
	char fwd[1024], conf[2048];

	/* the forwarder's CA file does not (yet) hold the collector's CA */
	ASSERT_EQ(th_sh("cd %s && cat wrong-ca.crt > fwd-ca.crt", self->dir), 0);
	self->rs.port = 22362;
	ASSERT_EQ(rsys_start(&self->rs, self->dir, "ossl"), 0);
	snprintf(fwd, sizeof(fwd), "collector = 127.0.0.1:22362\nserver_name = localhost\nca = %s/fwd-ca.crt",
		 self->dir);
	self->relay = relay_fwd(self, 22360, fwd);
	send_range(22360, 0, 100, 0, 0);
	EXPECT_GE(relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_forward_failures_total",
				    "reason=\"handshake\"", 2, 15000), 2);
	EXPECT_TRUE(log_has(self->dir, "relay.log", "BR_ERR_X509_NOT_TRUSTED"));
	/* renewed at the same path (same inode: rewritten), same config */
	ASSERT_EQ(th_sh("cd %s && cat ca.crt > fwd-ca.crt", self->dir), 0);
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22360\n[forward central]\n%s\nspool_dir = %s/spool\n"
		 "backoff_min = 100ms\nbackoff_max = 300ms\nconnect_timeout = 1s\nhandshake_timeout = 1s\n"
		 "write_timeout = 5s\n", fwd, self->dir);
	EXPECT_EQ(relay_reload(self->relay, self->dir, conf), 0);
	wait_out(self->rs.dir, &c, 100, 15000);
	EXPECT_EQ(c.got, 100);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_FALSE(c.bad);
}

/* A collector that completes the handshake and never reads: what the
 * relay sends stays unread in its receive buffer; killed, it resets. */
static pid_t deaf_collector(const char *dir, int lfd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct tls_server_opts o = { 0 };
		struct tls_session *t = NULL;
		struct tls_cred *cred = NULL;
		char cp[320], kp[320];
		double end;
		int fd;

		snprintf(cp, sizeof(cp), "%s/server.crt", dir);
		snprintf(kp, sizeof(kp), "%s/server.key", dir);
		if (tls_cred_load(cp, kp, &cred))
			_exit(1);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(2);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		o.cred = cred;
		if (tls_server_new(&o, fd, TLS_BUF_BIDI, true, "deaf-collector", "relay", &t))
			_exit(3);
		end = th_now() + 10;
		while (!tls_handshake_done(t) && th_now() < end) {
			struct pollfd p = { .fd = fd };

			if (tls_io(t) < 0)
				_exit(4);
			p.events = (short)tls_events(t);
			poll(&p, 1, 20);
		}
		tls_io(t);	/* our Finished */
		for (;;)
			pause();
	}
	return pid;
}

TEST_F_TIMEOUT(trust, collector_reset_at_shutdown_leaves_everything_in_the_spool, 60)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(22371) };
	struct seq_check c;
	char fwd[1024];
	int lfd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ASSERT_EQ(listen(lfd, 4), 0);
	self->collector = deaf_collector(self->dir, lfd);
	close(lfd);
	snprintf(fwd, sizeof(fwd), "collector = 127.0.0.1:22371\nserver_name = localhost\nca = %s/ca.crt",
		 self->dir);
	self->relay = relay_fwd(self, 22370, fwd);
	ASSERT_EQ(relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_forward_up", NULL, 1, 10000), 1);
	send_range(22370, 0, 50, 0, 0);
	ASSERT_EQ(relay_wait_metric(self->relay, self->dir, "edgesteer_syslog_forward_sent_total", NULL,
				    50, 10000), 50);
	/* SIGTERM: everything is acknowledged by the collector's kernel, so
	 * the relay sends close_notify; the collector dies with the 50
	 * messages unread, its kernel answers with a reset */
	kill(self->relay, SIGTERM);
	EXPECT_EQ(th_wait_sh(10000, "grep -q 'close_notify to collector' %s/relay.log", self->dir), 0);
	reap(&self->collector);
	ASSERT_EQ(relay_term(&self->relay, 10000), 0);
	EXPECT_FALSE(log_has(self->dir, "relay.log", "closed the session after reading everything"));
	EXPECT_TRUE(log_has(self->dir, "relay.log", "ended the session without close_notify"));
	EXPECT_GT(spool_size(self->dir), 50 * 150);
	/* the next run delivers all 50 */
	self->rs.port = 22372;
	ASSERT_EQ(rsys_start(&self->rs, self->dir, "ossl"), 0);
	snprintf(fwd, sizeof(fwd), "collector = 127.0.0.1:22372\nserver_name = localhost\nca = %s/ca.crt",
		 self->dir);
	self->relay = relay_fwd(self, 22370, fwd);
	wait_out(self->rs.dir, &c, 50, 15000);
	EXPECT_EQ(c.got, 50);
	EXPECT_EQ(c.last, 49);
	EXPECT_EQ(c.gaps, 0);
}

/* ---- the daemon's reload result ----------------------------------------- */

static const char *es_bin(void)
{
	const char *b = getenv("EDGESTEER");

	return b ? b : "build/edgesteer";
}

TEST_F_TIMEOUT(trust, edgesteer_reload_fails_when_a_part_is_not_applied, 60)
{
	char conf[2048], out[4096];
	int rc;

	snprintf(conf, sizeof(conf),
		 "[global]\ncontrol_socket = %s/ctl.sock\npin_path = /sys/fs/bpf/es-trust-%d\n"
		 "[syslog]\nlisten = 127.0.0.1:22380\ntls_listen = 127.0.0.1:22381\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n",
		 self->dir, getpid(), self->dir, self->dir, self->dir);
	ASSERT_EQ(th_sh("cat > %s/es.conf <<'EOF'\n%sEOF", self->dir, conf), 0);
	ASSERT_EQ(th_sh("(%s run -c %s/es.conf >%s/daemon.log 2>&1 & echo $! > %s/daemon.pid)", es_bin(),
			self->dir, self->dir, self->dir), 0);
	ASSERT_EQ(th_wait_sh(10000, "%s status -s %s/ctl.sock >/dev/null 2>&1", es_bin(), self->dir), 0);
	th_sh_out(out, sizeof(out), "cat %s/daemon.pid", self->dir);
	self->daemon = atoi(out);
	/* a client_ca that is readable but no certificate: nothing new applies */
	ASSERT_EQ(th_sh("cd %s && echo garbage > bad-ca.crt && sed -i 's#client_ca = .*#client_ca = %s/bad-ca.crt#' "
			"es.conf", self->dir, self->dir), 0);
	rc = th_sh_out(out, sizeof(out), "%s reload -s %s/ctl.sock 2>&1", es_bin(), self->dir);
	TH_LOG("reload: rc %d: %s", rc, out);
	EXPECT_EQ(rc, 1);
	EXPECT_TRUE(strstr(out, "bad-ca.crt") != NULL);
	/* a key that needs a restart: kept, and said so */
	ASSERT_EQ(th_sh("cd %s && sed -i 's#client_ca = .*#client_ca = %s/ca.crt#' es.conf && "
			"echo 'ring_size = 32M' >> es.conf", self->dir, self->dir), 0);
	rc = th_sh_out(out, sizeof(out), "%s reload -s %s/ctl.sock 2>&1", es_bin(), self->dir);
	TH_LOG("reload: rc %d: %s", rc, out);
	EXPECT_EQ(rc, 1);
	EXPECT_TRUE(strstr(out, "ring_size") != NULL);
	/* and a reload that applies in full says so with 0 */
	ASSERT_EQ(th_sh("cd %s && sed -i '/ring_size/d' es.conf", self->dir), 0);
	rc = th_sh_out(out, sizeof(out), "%s reload -s %s/ctl.sock 2>&1", es_bin(), self->dir);
	EXPECT_EQ(rc, 0);
}

TEST_HARNESS_MAIN
