// SPDX-License-Identifier: GPL-2.0-only
/*
 * A [forward] collector given by host name, resolved off the event loop.
 * The test runs in a network namespace and a mount namespace of its own
 * whose resolv.conf names a DNS stub the test runs (dns_stub.h); rsyslog
 * is the collector. While the stub is silent (a dead resolver) the relay
 * starts and takes messages at once and the forwarder waits; once the
 * stub answers, the name resolves and every message reaches rsyslog,
 * without a reload.
 */
#include "harness.h"

#include "syslog_helpers.h"
#include "rsyslog_helpers.h"
#include "dns_stub.h"

#define UDP	22171
#define COLL	22172
#define DNS_IP	"127.0.0.97"

FIXTURE(fdns) {
	char certs[200];
	struct rsys rs;
	struct dns_stub *ds;
	pid_t relay;
};

FIXTURE_SETUP(fdns)
{
	int err;

	TH_PRIVATE_NETNS();
	if (access("/usr/sbin/rsyslogd", X_OK))
		SKIP(return, "rsyslogd not installed");
	if (mkcerts_into(self->certs, sizeof(self->certs), "fdns"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(self->rs.dir, sizeof(self->rs.dir), "%s/rs", self->certs);
	err = ds_use_resolver(self->certs, DNS_IP);
	if (err)
		SKIP(return, "no private mount namespace: %s", strerror(-err));
	self->ds = ds_new();
	ASSERT_NE(self->ds, NULL);
	self->ds->silent = 1;
	ASSERT_EQ(ds_start(self->ds, DNS_IP), 0);
}

FIXTURE_TEARDOWN(fdns)
{
	if (self->relay > 0) {
		kill(self->relay, SIGKILL);
		waitpid(self->relay, NULL, 0);
	}
	rsys_stop(&self->rs);
	ds_stop(self->ds);
	if (self->certs[0]) {
		if (th_result->failed)
			th_sh("grep -hE 'error|warn|forward|resolv' %s/relay.log 2>/dev/null | head -20 | "
			      "sed 's/^/# relay: /'", self->certs);
		th_sh("rm -rf %s", self->certs);
	}
}

TEST_F_TIMEOUT(fdns, collector_name_waits_for_the_resolver_without_delaying_the_relay, 90)
{
	struct seq_check c;
	char conf[2048];
	double t0;

	self->rs.port = COLL;
	ASSERT_EQ(rsys_start(&self->rs, self->certs, "ossl"), 0);
	snprintf(conf, sizeof(conf),
		 "[syslog]\nlisten = 127.0.0.1:%d\n"
		 "[forward central]\ncollector = logs.es-test:%d\nca = %s/ca.crt\nserver_name = localhost\n"
		 "spool_dir = %s/spool\nbackoff_min = 100ms\nbackoff_max = 500ms\nresolve_interval = 1s\n"
		 "connect_timeout = 1s\nhandshake_timeout = 2s\n",
		 UDP, COLL, self->certs, self->certs);
	t0 = th_now();
	self->relay = relay_start(self->certs, conf);
	ASSERT_GT(self->relay, 0);
	/* the dead resolver does not hold up the start: intake is there */
	ASSERT_EQ(wait_udp_bound(UDP, 10000), 0);
	send_range(UDP, 0, 500, 0, 0);
	EXPECT_EQ(relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_accepted_total", NULL, 500,
				    10000), 500);
	/* well within one resolver timeout (1 s) of the stub being asked */
	TH_LOG("relay up and 500 messages taken in %.2f s", th_now() - t0);
	EXPECT_GE(relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_failures_total",
				    "reason=\"resolve\"", 1, 15000), 1);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_up", NULL), 0);
	EXPECT_GT(self->ds->queries, 0u);

	/* the resolver comes back: the name resolves and rsyslog gets it all */
	ASSERT_EQ(ds_set(self->ds, "127.0.0.1", 60), 0);
	self->ds->silent = 0;
	send_range(UDP, 500, 1000, 0, 0);
	wait_out(self->rs.dir, &c, 1000, 30000);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_EQ(c.got, 1000);
	EXPECT_EQ(c.gaps, 0);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_up", NULL), 1);
	EXPECT_EQ(th_sh("grep -q 'logs.es-test:%d resolved to 1 address' %s/relay.log", COLL, self->certs), 0);
}

TEST_HARNESS_MAIN
