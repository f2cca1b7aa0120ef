// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: the forwarder against rsyslog as the TLS collector (imtcp
 * with the ossl or gtls stream driver, RFC 5425 octet framing), run as our
 * own process with its own config, pid file and work dir in /tmp.
 * Delivery is at-least-once and in order: the checker accepts repeats of
 * earlier messages (counted) but no loss and no reordering.
 * Each test runs in a network namespace of its own (TH_PRIVATE_NETNS),
 * ports 22100-22199 on its loopback.
 */
#include "harness.h"

#include "syslog_helpers.h"
#include "rsyslog_helpers.h"

FIXTURE(fwd) {
	char certs[200];
	struct rsys rs;
	pid_t relay;
};

FIXTURE_SETUP(fwd)
{
	TH_PRIVATE_NETNS();
	if (access("/usr/sbin/rsyslogd", X_OK))
		SKIP(return, "rsyslogd not installed");
	if (mkcerts_into(self->certs, sizeof(self->certs), "fwd"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(self->rs.dir, sizeof(self->rs.dir), "%s/rs", self->certs);
	self->relay = 0;
}

FIXTURE_TEARDOWN(fwd)
{
	if (self->relay > 0) {
		kill(self->relay, SIGKILL);
		waitpid(self->relay, NULL, 0);
	}
	rsys_stop(&self->rs);
	if (self->certs[0]) {
		if (th_result->failed) {
			th_sh("grep -hE 'error|warn|forward' %s/relay.log 2>/dev/null | head -20 | sed 's/^/# relay: /'",
			      self->certs);
			th_sh("grep -v unexpected %s/rs/rs.log 2>/dev/null | sort | uniq -c | sort -rn | head -12 | sed 's/^/# rsyslog: /'", self->certs);
		}
		th_sh("rm -rf %s", self->certs);
	}
}

static pid_t relay_wt(struct th_fixture_fwd *self, int udp, const char *collectors, const char *extra,
		      const char *write_timeout)
{
	char conf[4096];
	pid_t pid;

	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:%d\n%s\n"
		 "[forward central]\ncollector = %s\nca = %s/ca.crt\nserver_name = localhost\n"
		 "spool_dir = %s/spool\nbackoff_min = 100ms\nbackoff_max = 500ms\n"
		 "connect_timeout = 1s\nhandshake_timeout = 700ms\nwrite_timeout = %s\n",
		 udp, extra, collectors, self->certs, self->certs, write_timeout);
	pid = relay_start(self->certs, conf);
	/* ready once it holds its UDP port: what is sent before would be lost */
	if (pid > 0 && wait_udp_bound(udp, 10000))
		TH_LOG("relay did not bind UDP %d within 10 s", udp);
	return pid;
}

static pid_t relay(struct th_fixture_fwd *self, int udp, const char *collectors, const char *extra)
{
	return relay_wt(self, udp, collectors, extra, "5s");
}

static void send_chunks(int port, unsigned from, unsigned to)
{
	unsigned k;

	for (k = from; k < to; k += 500) {
		send_range(port, k, k + 500 < to ? k + 500 : to, 0, 0);
		usleep(5000);
	}
}

static void run_restart(struct th_fixture_fwd *self, const char *driver, int udp, int port)
{
	struct seq_check c;
	long long spooled, overflow;
	char coll[64];

	self->rs.port = port;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, driver), 0);
	snprintf(coll, sizeof(coll), "127.0.0.1:%d", port);
	/* a ring of 2048 messages: the outage below overflows it into the spool */
	self->relay = relay(self, udp, coll, "ring_messages = 2048\nring_size = 1M\n");
	send_chunks(udp, 0, 5000);
	EXPECT_EQ(wait_out(self->rs.dir, &c, 5000, 15000), 5000);
	ASSERT_FALSE(c.bad);

	/* collector down for a few seconds while 10000 more arrive */
	rsys_stop(&self->rs);
	send_chunks(udp, 5000, 15000);
	sleep(2);
	ASSERT_EQ(rsys_start(&self->rs, self->certs, driver), 0);
	wait_out(self->rs.dir, &c, 15000, 20000);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_FALSE(c.bad);
	EXPECT_EQ(c.got, 15000);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_EQ(c.last, 14999);
	spooled = relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_spooled_total", NULL);
	overflow = relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL);
	TH_LOG("%s: 15000 delivered, %ld repeated, %lld went through the spool", driver, c.dups, spooled);
	EXPECT_GT(spooled, 0);
	EXPECT_EQ(overflow, 0);
}

TEST_F_TIMEOUT(fwd, rsyslog_ossl_collector_restart_loses_nothing, 90)
{
	run_restart(self, "ossl", 22101, 22102);
}

TEST_F_TIMEOUT(fwd, rsyslog_gtls_collector_restart_loses_nothing, 90)
{
	run_restart(self, "gtls", 22111, 22112);
}

TEST_F_TIMEOUT(fwd, silent_collector_times_out_and_next_one_is_used, 60)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(22121) };
	struct seq_check c;
	int hole, one = 1;
	long long hs_timeouts;
	char coll[64];
	double t0;

	/* a collector that accepts (the kernel does) and never answers */
	hole = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(hole, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	ASSERT_EQ(listen(hole, 16), 0);
	self->rs.port = 22122;
	snprintf(coll, sizeof(coll), "127.0.0.1:22121 127.0.0.1:22122");
	self->relay = relay(self, 22123, coll, "");
	send_chunks(22123, 0, 1000);
	/* stuck on the silent one: intake and counters still answer at once */
	t0 = th_now();
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_accepted_total", NULL), 1000);
	EXPECT_LT(th_now() - t0, 1.0);
	/* handshake_timeout = 700ms after the connect */
	hs_timeouts = relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_failures_total",
					"reason=\"handshake_timeout\"", 1, 10000);
	EXPECT_GE(hs_timeouts, 1);
	/* the second collector comes up: everything arrives there */
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	send_chunks(22123, 1000, 2000);
	EXPECT_EQ(wait_out(self->rs.dir, &c, 2000, 20000), 2000);
	EXPECT_FALSE(c.bad);
	EXPECT_EQ(c.gaps, 0);
	close(hole);
}

TEST_F_TIMEOUT(fwd, spool_survives_relay_restart, 60)
{
	struct seq_check c;
	long long spooled;
	int st = 0;

	self->rs.port = 22132;
	/* collector down; the relay gets 3000 messages and is stopped */
	self->relay = relay(self, 22131, "127.0.0.1:22132", "ring_messages = 1024\nring_size = 1M\n");
	send_chunks(22131, 0, 3000);
	spooled = relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_spooled_total",
				    NULL, 1, 10000);
	EXPECT_GT(spooled, 0);
	kill(self->relay, SIGTERM);
	waitpid(self->relay, &st, 0);
	self->relay = 0;
	EXPECT_TRUE(WIFEXITED(st));
	/* a new relay on the same spool, then the collector */
	self->relay = relay(self, 22131, "127.0.0.1:22132", "ring_messages = 1024\nring_size = 1M\n");
	send_chunks(22131, 3000, 3500);
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	wait_out(self->rs.dir, &c, 3500, 20000);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_EQ(c.got, 3500);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_EQ(c.last, 3499);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL), 0);
}

TEST_F_TIMEOUT(fwd, frozen_collector_hits_write_timeout_then_gets_everything, 90)
{
	struct seq_check c;
	long long wto;
	const long N = 60000;

	self->rs.port = 22142;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	self->relay = relay_wt(self, 22141, "127.0.0.1:22142", "", "2s");
	send_chunks(22141, 0, 1000);
	ASSERT_EQ(wait_out(self->rs.dir, &c, 1000, 10000), 1000);
	/* freeze the collector: its kernel buffers fill, then nothing is
	 * acknowledged; reconnects get TCP but never a handshake */
	kill(self->rs.pid, SIGSTOP);
	send_chunks(22141, 1000, (unsigned)N);
	/* write_timeout = 2s: the first one comes two seconds after the
	 * buffers filled; wait for it, generously */
	wto = relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_failures_total",
				"reason=\"write_timeout\"", 1, 15000);
	TH_LOG("write timeouts %lld, handshake timeouts %lld", wto,
	       relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_failures_total",
			    "reason=\"handshake_timeout\""));
	EXPECT_GE(wto, 1);
	/* the relay is still responsive meanwhile */
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_accepted_total", NULL), N);
	kill(self->rs.pid, SIGCONT);
	wait_out(self->rs.dir, &c, N, 60000);
	if (c.bad)
		TH_LOG("%s", c.why);
	if (c.got != N)
		TH_LOG("first gap at %ld (%ld missing); resent %lld, confirmed %lld, write timeouts %lld, up %lld",
		       c.first_gap, c.gap_msgs, relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_resent_total", NULL),
		       relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_confirmed_total", NULL),
		       relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_failures_total",
				    "reason=\"write_timeout\""),
		       relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_up", NULL));
	EXPECT_EQ(c.got, N);
	EXPECT_EQ(c.gaps, 0);
	TH_LOG("all %ld delivered after the thaw, %ld repeated", N, c.dups);
}

TEST_F_TIMEOUT(fwd, clean_shutdown_confirms_everything_with_close_notify, 40)
{
	struct seq_check c;
	struct stat st;
	char path[320], log[16384];
	int status = 0;
	double t0;

	self->rs.port = 22152;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	self->relay = relay(self, 22151, "127.0.0.1:22152", "");
	usleep(300000);
	send_chunks(22151, 0, 3000);
	ASSERT_EQ(wait_out(self->rs.dir, &c, 3000, 10000), 3000);
	/* SIGTERM: the forwarder sends close_notify, rsyslog closes, and
	 * only that counts as "read everything" for the last bytes */
	EXPECT_LT(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_confirmed_total", NULL), 3000);
	t0 = th_now();
	kill(self->relay, SIGTERM);
	waitpid(self->relay, &status, 0);
	self->relay = 0;
	EXPECT_LT(th_now() - t0, 3.0);
	EXPECT_TRUE(WIFEXITED(status));
	th_sh_out(log, sizeof(log), "cat %s/relay.log", self->certs);
	EXPECT_TRUE(strstr(log, "closed the session after reading everything") != NULL);
	/* nothing left to deliver: the spool is empty */
	snprintf(path, sizeof(path), "%s/spool/central.spool", self->certs);
	EXPECT_EQ(stat(path, &st), 0);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(c.dups, 0);
}

TEST_F_TIMEOUT(fwd, without_spool_what_overflows_is_counted_exactly, 40)
{
	struct seq_check c;
	char conf[4096];
	long long overflow;

	/* no spool_dir, a ring of 1024 messages, the collector down while
	 * 5000 arrive: what it gets plus what is counted is what was sent */
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:22161\nring_messages = 1024\nring_size = 1M\n"
		 "[forward central]\ncollector = 127.0.0.1:22162\nca = %s/ca.crt\nserver_name = localhost\n"
		 "backoff_min = 100ms\nbackoff_max = 300ms\n", self->certs);
	self->relay = relay_start(self->certs, conf);
	ASSERT_EQ(wait_udp_bound(22161, 10000), 0);
	send_chunks(22161, 0, 5000);
	EXPECT_EQ(relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_accepted_total", NULL,
				    5000, 10000), 5000);
	self->rs.port = 22162;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	wait_out(self->rs.dir, &c, 1024, 15000);
	EXPECT_FALSE(c.bad);
	EXPECT_EQ(c.got, 1024);
	EXPECT_EQ(c.last, 4999);
	overflow = relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL,
				     5000 - 1024, 5000);
	EXPECT_EQ(overflow, 5000 - 1024);
	EXPECT_EQ(c.got + overflow, 5000);
}

TEST_HARNESS_MAIN
