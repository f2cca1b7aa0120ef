// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: syslog over TCP through the XDP syslog class. The daemon
 * (`edgesteer run`) runs in a gateway namespace with XDP on its veth,
 * `syslog_tcp_ports` naming its tcp_listen port and `deny_syslog`
 * covering one of the two addresses of the sender namespace. logger
 * --tcp sends from the allowed address (before and after the denied
 * one tries): every allowed line reaches a TLS subscriber, in order; the
 * denied sender never gets a connection (its SYNs are dropped at the
 * NIC), none of its lines arrive, and the drop-policy counter of class
 * syslog and the deny rule's hits rise by exactly its segments.
 *
 * Namespaces, veth, pin path and /tmp dir are named after the PID;
 * ports 22514-22515.
 */
#include "harness.h"

#include <fcntl.h>

#include "syslog_helpers.h"

#define TCP_PORT 22514
#define SUB_PORT 22515

FIXTURE(stx) {
	char dir[256];
	char gw[48], peer[48];
	char pin[96];
	pid_t pid;
};

FIXTURE_SETUP(stx)
{
	FILE *f;
	char path[320];

	snprintf(self->gw, sizeof(self->gw), "es-stx-%d-gw", getpid());
	snprintf(self->peer, sizeof(self->peer), "es-stx-%d-p", getpid());
	snprintf(self->pin, sizeof(self->pin), "/sys/fs/bpf/es-test-stx-%d", getpid());
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s",
	      self->gw, self->peer, self->pin);
	if (access("/usr/bin/logger", X_OK))
		SKIP(return, "logger not installed");
	if (mkcerts_into(self->dir, sizeof(self->dir), "stx"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	if (th_sh("ip netns add %s && ip netns add %s && "
		  "ip link add g0 netns %s type veth peer name p0 netns %s && "
		  "ip -n %s addr add 10.98.0.1/24 dev g0 && "
		  "ip -n %s addr add 10.98.0.2/24 dev p0 && ip -n %s addr add 10.98.0.3/24 dev p0 && "
		  "ip -n %s link set g0 up && ip -n %s link set p0 up && "
		  "ip -n %s link set lo up && ip -n %s link set lo up",
		  self->gw, self->peer, self->gw, self->peer, self->gw, self->peer, self->peer,
		  self->gw, self->peer, self->gw, self->peer))
		SKIP(return, "cannot create namespaces and a veth pair (not root?)");
	snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\npin_path = %s\n\n"
		"[xdp]\ninterfaces = g0\nmode = generic\non_exit = detach\n"
		"syslog_tcp_ports = %d\ndeny_syslog = 10.98.0.3/32\n"
		/* the UDP bucket must not touch TCP: one packet per second */
		"syslog_rate_pps = 1\nsyslog_burst = 1\n\n"
		"[syslog]\ntcp_listen = 10.98.0.1:%d\ntls_listen = 127.0.0.1:%d\n"
		"cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n",
		self->dir, self->pin, TCP_PORT, TCP_PORT, SUB_PORT, self->dir, self->dir, self->dir);
	fclose(f);
	self->pid = 0;
}

FIXTURE_TEARDOWN(stx)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (th_result->failed)
		th_sh("tail -n 20 %s/daemon.log 2>/dev/null | sed 's/^/# daemon: /'", self->dir);
	th_sh("%s detach -p %s >/dev/null 2>&1; ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
	      "rm -rf %s %s", th_bin(), self->pin, self->gw, self->peer, self->dir, self->pin);
}

/* `edgesteer run` in the gateway namespace (the test body is there too). */
static void start_daemon(struct th_metadata *_metadata, FIXTURE(stx) *self)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[320];
		int fd;

		snprintf(path, sizeof(path), "%s/daemon.log", self->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
		unsetenv("NOTIFY_SOCKET");
		execl(th_bin(), th_bin(), "run", "-c", path, (char *)NULL);
		_exit(127);
	}
	self->pid = pid;
	ASSERT_GT(pid, 0);
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s/ctl.sock >/dev/null 2>&1", th_bin(), self->dir), 0);
}

/* The sum of the daemon's Prometheus samples of `name` whose labels
 * contain every one of the (up to two) label texts; -1 on failure. */
static long long daemon_metric(FIXTURE(stx) *self, const char *name, const char *l1, const char *l2)
{
	char out[64];

	if (th_sh_out(out, sizeof(out),
		      "%s metrics -c %s/edgesteer.conf | grep '^%s{' | grep -F -- '%s' | grep -F -- '%s' | "
		      "awk '{s += $NF} END {print s + 0}'",
		      th_bin(), self->dir, name, l1 ? l1 : "", l2 ? l2 : ""))
		return -1;
	return atoll(out);
}

/* TCP segments the sender namespace sent (it sends nothing else over
 * TCP): OutSegs + RetransSegs from its own kernel counters. */
static long long peer_tcp_segs(FIXTURE(stx) *self)
{
	char out[64];

	if (th_sh_out(out, sizeof(out),
		      "ip netns exec %s awk '/^Tcp:/ {n++; if (n == 2) print $12 + $13}' /proc/net/snmp",
		      self->peer))
		return -1;
	return atoll(out);
}

/* The lines "allowed-line-N" in order; anything else is a failure. */
struct lines {
	long next;
	bool bad;
};

static int lines_cb(void *arg, const uint8_t *m, size_t len)
{
	struct lines *x = arg;
	const char *p = memmem(m, len, "allowed-line-", 13), *q, *end = (const char *)m + len;
	long i = 0;

	for (q = p ? p + 13 : end; q < end && *q >= '0' && *q <= '9'; q++)
		i = i * 10 + (*q - '0');
	if (!p || q != end || i != x->next) {
		TH_LOG("unexpected message (want allowed-line-%ld): '%.*s'", x->next, (int)len, m);
		x->bad = true;
		return -1;
	}
	x->next++;
	return 0;
}

/* logger --tcp from the peer namespace, lines [from, to). */
static int send_lines(FIXTURE(stx) *self, const char *word, int from, int to, const char *extra)
{
	return th_sh("seq -f '%s-line-%%g' %d %d | timeout 10 ip netns exec %s logger --tcp %s "
		     "-n 10.98.0.1 -P %d -t es-stx 2>/dev/null", word, from, to - 1, self->peer, extra, TCP_PORT);
}

/* Source address of the peer's traffic to the gateway. */
static int use_source(FIXTURE(stx) *self, const char *src)
{
	return th_sh("ip -n %s route replace 10.98.0.1/32 dev p0 src %s", self->peer, src);
}

TEST_F_TIMEOUT(stx, denied_tcp_sender_dropped_at_xdp_allowed_one_arrives, 90)
{
	char ns[128];
	struct lines x = { 0 };
	struct tsub s;
	long long drops = 0, pass = 0, hits = 0, segs = 0;
	double end;
	int fd;

	/* the body lives in the gateway namespace: the subscriber connects
	 * to the daemon's loopback listener there */
	snprintf(ns, sizeof(ns), "/run/netns/%s", self->gw);
	fd = open(ns, O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	start_daemon(_metadata, self);
	ASSERT_EQ(wait_port(SUB_PORT, 15000), 0);
	ASSERT_EQ(tsub_connect(&s, SUB_PORT, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(th_wait_sh(10000, "%s metrics -c %s/edgesteer.conf | "
			     "grep -q '^edgesteer_syslog_subscriber_handshakes_total.* 1$'", th_bin(), self->dir), 0);

	/* allowed, both framings; then denied; then allowed again */
	ASSERT_EQ(use_source(self, "10.98.0.2"), 0);
	ASSERT_EQ(send_lines(self, "allowed", 0, 200, "--octet-count"), 0);
	ASSERT_EQ(use_source(self, "10.98.0.3"), 0);
	/* its SYNs are dropped: logger waits for a connection until killed */
	EXPECT_NE(th_sh("seq -f 'denied-line-%%g' 0 49 | timeout 4 ip netns exec %s logger --tcp "
			"-n 10.98.0.1 -P %d -t es-stx 2>/dev/null", self->peer, TCP_PORT), 0);
	ASSERT_EQ(use_source(self, "10.98.0.2"), 0);
	ASSERT_EQ(send_lines(self, "allowed", 200, 400, ""), 0);

	end = th_now() + 20;
	while (x.next < 400 && !x.bad && th_now() < end) {
		if (tsub_pump(&s, 20) && !s.len)
			break;
		if (tsub_take(&s, FRAMING_OCTET, lines_cb, &x) < 0)
			break;
	}
	EXPECT_EQ(x.next, 400);
	EXPECT_FALSE(x.bad);
	/* nothing more (a denied line would show up here as unexpected) */
	for (end = th_now() + 1; th_now() < end && !x.bad;) {
		tsub_pump(&s, 50);
		tsub_take(&s, FRAMING_OCTET, lines_cb, &x);
	}
	EXPECT_FALSE(x.bad);
	EXPECT_EQ(x.next, 400);
	tsub_close(&s);
	/* two connections accepted, both from the allowed address */
	EXPECT_EQ(daemon_metric(self, "edgesteer_syslog_tcp_connections_total", "10.98.0.1:22514", NULL), 2);

	/* XDP: every TCP segment of the peer is class syslog; the denied
	 * ones (SYN and its retransmissions) are drop-policy, counted on the
	 * deny rule; the allowed ones pass, the 1 pps bucket notwithstanding.
	 * Equal once the last FIN/ACK has been counted. */
	end = th_now() + 10;
	do {
		segs = peer_tcp_segs(self);
		drops = daemon_metric(self, "edgesteer_xdp_packets_total", "class=\"syslog\"", "verdict=\"drop-policy\"");
		pass = daemon_metric(self, "edgesteer_xdp_packets_total", "class=\"syslog\"", "verdict=\"pass\"");
		hits = daemon_metric(self, "edgesteer_xdp_rule_hits_total", "list=\"deny\"", "prefix=\"10.98.0.3/32\"");
		if (segs > 0 && drops + pass == segs && hits == drops)
			break;
		usleep(100000);
	} while (th_now() < end);
	TH_LOG("peer TCP segments %lld: syslog pass %lld, drop-policy %lld; deny rule hits %lld",
	       segs, pass, drops, hits);
	EXPECT_GE(drops, 1);
	EXPECT_GE(pass, 6);	/* SYN, data, FIN of two connections at least */
	EXPECT_EQ(drops + pass, segs);
	EXPECT_EQ(hits, drops);
	EXPECT_EQ(daemon_metric(self, "edgesteer_xdp_packets_total", "class=\"syslog\"", "verdict=\"drop-ratelimit\""), 0);
	EXPECT_EQ(daemon_metric(self, "edgesteer_xdp_packets_total", "class=\"other\"", "verdict=\"drop-policy\""), 0);
}

TEST_HARNESS_MAIN
