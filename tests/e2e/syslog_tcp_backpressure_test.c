// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: backpressure of the TCP intake. A collector (rsyslog over
 * TLS) frozen with SIGSTOP, a small ring and a small spool: once both are
 * full of what the collector still needs, the relay stops reading the TCP
 * sender (its send() blocks), nothing is lost, and after SIGCONT every
 * message arrives, in order. And a ring far smaller than the forwarder's
 * confirmation slack, without a spool: the sender is paused again and
 * again, and resumed each time, and every message arrives over its one
 * connection.
 * Runs in a network namespace of its own (TH_PRIVATE_NETNS), ports
 * 22400-22499 on its loopback.
 */
#include "harness.h"

#include "syslog_helpers.h"
#include "rsyslog_helpers.h"

FIXTURE(bp) {
	char certs[256];
	struct rsys rs;
	pid_t relay, sender;
};

FIXTURE_SETUP(bp)
{
	TH_PRIVATE_NETNS();
	self->relay = self->sender = 0;
	self->rs.pid = 0;
	if (access("/usr/sbin/rsyslogd", X_OK))
		SKIP(return, "rsyslogd not installed");
	if (mkcerts_into(self->certs, sizeof(self->certs), "bp"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	/* certs is "/tmp/es-syslog-bp-PID": short enough */
	memcpy(self->rs.dir, self->certs, sizeof(self->certs) - 4);
	self->rs.dir[sizeof(self->certs) - 4] = 0;
	strcat(self->rs.dir, "/rs");
	th_sh("mkdir -p -m 700 %s/spool", self->certs);
}

FIXTURE_TEARDOWN(bp)
{
	if (self->rs.pid > 0)
		kill(self->rs.pid, SIGCONT);
	rsys_stop(&self->rs);
	if (self->sender > 0) {
		kill(self->sender, SIGKILL);
		waitpid(self->sender, NULL, 0);
	}
	if (self->relay > 0) {
		kill(self->relay, SIGKILL);
		waitpid(self->relay, NULL, 0);
	}
	if (self->certs[0]) {
		if (th_result->failed)
			th_sh("grep -E 'warn|error|tcp' %s/relay.log | tail -20 | sed 's/^/# relay: /'", self->certs);
		th_sh("rm -rf %s", self->certs);
	}
}

/* test_msg() [from, to) octet-framed over one TCP connection, blocking. */
static int send_tcp(int port, unsigned from, unsigned to)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	for (i = from; i < to; i++) {
		char m[512], f[540];
		size_t ml = test_msg(m, sizeof(m), i);
		int fl = snprintf(f, sizeof(f), "%zu %s", ml, m);

		size_t at = 0;

		while (at < (size_t)fl) {
			ssize_t n = send(fd, f + at, (size_t)fl - at, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, "# sender: message %u: send: %s\n", i, strerror(errno));
				return -1;
			}
			at += (size_t)n;
		}
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(bp, frozen_collector_pauses_tcp_sender_nothing_lost, 200)
{
	const unsigned N = 400000;
	struct seq_check c;
	char conf[4096];
	long long paused, accepted, overflow;
	int st = -1;
	pid_t sender;

	self->rs.port = 22402;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	/* ring 32M (~155k messages), spool 1M (~4700): less than N, and what
	 * is left (~45M) more than the sockets' buffers hold. The ring is
	 * larger than the forwarder's confirmation slack (twice the
	 * collector's TCP window and 256K, see forward.c), so this is about
	 * the frozen collector alone; a smaller ring is the next test */
	snprintf(conf, sizeof(conf),
		 "[syslog]\ntcp_listen = 127.0.0.1:22401\nmax_message = 1024\nring_size = 32M\n"
		 "[forward central]\ncollector = 127.0.0.1:22402\nca = %s/ca.crt\nserver_name = localhost\n"
		 "spool_dir = %s/spool\nspool_max = 1M\nbackoff_min = 100ms\nbackoff_max = 500ms\n"
		 "connect_timeout = 1s\nhandshake_timeout = 700ms\nwrite_timeout = 2s\n",
		 self->certs, self->certs);
	self->relay = relay_start(self->certs, conf);
	ASSERT_EQ(wait_port(22401, 15000), 0);
	ASSERT_EQ(send_tcp(22401, 0, 1000), 0);
	ASSERT_EQ(wait_out(self->rs.dir, &c, 1000, 20000), 1000);
	kill(self->rs.pid, SIGSTOP);
	/* the fixture is shared with the teardown's process: the child must
	 * not write it, so the pid goes through a local */
	sender = fork();
	if (sender == 0)
		_exit(send_tcp(22401, 1000, N) ? 1 : 0);
	self->sender = sender;
	/* the sender is paused: waiting for room, its socket not read */
	paused = relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_tcp_senders_paused", NULL, 1, 30000);
	EXPECT_EQ(paused, 1);
	accepted = relay_metric(self->relay, self->certs, "edgesteer_syslog_stream_accepted_total", NULL);
	TH_LOG("paused after %lld of %u accepted", accepted, N);
	EXPECT_LT(accepted, N);
	/* and stays paused a while: the sender cannot finish */
	usleep(500000);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_stream_accepted_total", NULL), accepted);
	if (waitpid(self->sender, &st, WNOHANG) == self->sender) {
		self->sender = 0;
		TH_LOG("sender exit status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
		ASSERT_TRUE(!"the sender finished while it should be paused");
	}
	kill(self->rs.pid, SIGCONT);
	wait_out(self->rs.dir, &c, N, 120000);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_EQ(c.got, N);
	EXPECT_EQ(c.gaps, 0);
	{
		pid_t want = self->sender, got = waitpid(want, &st, 0);

		self->sender = 0;
		ASSERT_EQ(got, want);
	}
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	overflow = relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL);
	EXPECT_EQ(overflow, 0);
	EXPECT_GT(relay_metric(self->relay, self->certs, "edgesteer_syslog_tcp_paused_ms_total", NULL), 0);
	TH_LOG("all %u delivered after the thaw, %ld repeated", N, c.dups);
}

/*
 * A ring smaller than the forwarder's confirmation slack (twice the
 * collector's TCP window and 256K, see forward.c) and no spool: the ring
 * fills with messages the collector has acknowledged but that cannot be
 * counted as read until that many more bytes follow, and those can only
 * come from the paused sender. The forwarder must settle the session
 * (close_notify answered by the collector's close_notify confirms it
 * all) so the sender is resumed: every message arrives, in order, over
 * the sender's one connection, nothing skipped.
 */
TEST_F_TIMEOUT(bp, small_ring_paused_sender_resumes_without_reconnecting, 200)
{
	const unsigned N = 6000;
	struct seq_check c;
	char conf[4096];
	long long settles;
	int st = -1;
	pid_t sender;

	self->rs.port = 22412;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	/* 64K: about 300 messages, a fifth of what the sender sends */
	snprintf(conf, sizeof(conf),
		 "[syslog]\ntcp_listen = 127.0.0.1:22411\nmax_message = 1024\nring_size = 64K\n"
		 "[forward central]\ncollector = 127.0.0.1:22412\nca = %s/ca.crt\nserver_name = localhost\n"
		 "backoff_min = 100ms\nbackoff_max = 500ms\n"
		 "connect_timeout = 1s\nhandshake_timeout = 2s\nwrite_timeout = 5s\n",
		 self->certs);
	self->relay = relay_start(self->certs, conf);
	ASSERT_EQ(wait_port(22411, 15000), 0);
	sender = fork();
	if (sender == 0)
		_exit(send_tcp(22411, 0, N) ? 1 : 0);
	self->sender = sender;
	wait_out(self->rs.dir, &c, N, 120000);
	if (c.bad)
		TH_LOG("%s", c.why);
	TH_LOG("%ld of %u delivered, %ld repeated; paused %lld ms", c.got, N, c.dups,
	       relay_metric(self->relay, self->certs, "edgesteer_syslog_tcp_paused_ms_total", NULL));
	EXPECT_EQ(c.got, N);
	EXPECT_EQ(c.gaps, 0);
	{
		pid_t want = self->sender, got = waitpid(want, &st, 0);

		self->sender = 0;
		ASSERT_EQ(got, want);
	}
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* one sender connection (and wait_port()'s probe), all of it
	 * accepted, nothing skipped */
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_tcp_connections_total", NULL), 2);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_stream_accepted_total", NULL), N);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL), 0);
	/* it was paused (the ring is far smaller than N messages) */
	EXPECT_GT(relay_metric(self->relay, self->certs, "edgesteer_syslog_tcp_paused_ms_total", NULL), 0);
	settles = relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_settles_total", NULL);
	TH_LOG("forwarder sessions settled: %lld", settles);
	EXPECT_GT(settles, 0);
}

TEST_HARNESS_MAIN
