// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: syslog over TLS into the relay (tls_intake), with mutual
 * TLS (intake_client_ca): a C sender with a client certificate, one
 * without (refused and counted), and rsyslog's omfwd over TLS with the
 * ossl and gtls drivers; out to a TLS subscriber, byte-exact and in order;
 * origin = yes with the sender certificate's subject, escaped.
 * Each test runs in a network namespace of its own (TH_PRIVATE_NETNS),
 * ports 22500-22599 on its loopback.
 */
#include "harness.h"

#include "syslog_helpers.h"

FIXTURE(tin) {
	char dir[256];
	pid_t pid, rs;
};

FIXTURE_SETUP(tin)
{
	TH_PRIVATE_NETNS();
	self->pid = self->rs = 0;
	if (mkcerts_into(self->dir, sizeof(self->dir), "tin"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
}

FIXTURE_TEARDOWN(tin)
{
	if (self->rs > 0)
		kill(self->rs, SIGKILL);
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->dir[0]) {
		if (th_result->failed) {
			th_sh("grep -E 'warn|error|tls' %s/relay.log | head -30 | sed 's/^/# relay: /'", self->dir);
			th_sh("tail -5 %s/rs.log 2>/dev/null | sed 's/^/# rsyslog: /'", self->dir);
		}
		th_sh("rm -rf %s", self->dir);
	}
}

/* TLS intake 22502 (mutual TLS), subscribers 22503; extra: more [syslog] lines */
static void start_with(struct th_fixture_tin *self, const char *extra)
{
	char conf[4096];

	snprintf(conf, sizeof(conf),
		 "[syslog]\ntls_intake = 127.0.0.1:22502\nintake_client_ca = %s/ca.crt\n"
		 "intake_client_issuer = CN=Edge Test CA,O=Example\nhandshake_timeout = 3s\n"
		 "tls_listen = 127.0.0.1:22503\n"
		 "cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n%s",
		 self->dir, self->dir, self->dir, self->dir, extra);
	self->pid = relay_start(self->dir, conf);
}

static void start(struct th_fixture_tin *self)
{
	start_with(self, "");
}

static void subscribe(struct th_fixture_tin *self, struct tsub *s)
{
	ASSERT_EQ(wait_port(22503, 15000), 0);
	ASSERT_EQ(tsub_connect(s, 22503, self->dir, "client.crt", "client.key", 0), 0);
	ASSERT_EQ(relay_wait_subscribers(self->pid, self->dir, 1, 10000), 0);
}

/* Write len bytes of application data through the session. */
static int tls_write_all(struct tsub *c, const uint8_t *p, size_t len)
{
	br_ssl_engine_context *eng = tls_engine(c->t);
	double end = th_now() + 20;

	while (len && th_now() < end) {
		size_t room;
		unsigned char *b;

		if (br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP) {
			b = br_ssl_engine_sendapp_buf(eng, &room);
			if (room > len)
				room = len;
			memcpy(b, p, room);
			br_ssl_engine_sendapp_ack(eng, room);
			p += room;
			len -= room;
			br_ssl_engine_flush(eng, 0);
		}
		if (tsub_pump(c, 5))
			return -1;
	}
	br_ssl_engine_flush(eng, 0);
	while (th_now() < end && tls_bytes_produced(c->t) > tls_bytes_sent(c->t))
		if (tsub_pump(c, 5))
			return -1;
	return len ? -1 : 0;
}

TEST_F_TIMEOUT(tin, sender_with_certificate_arrives_byte_exact, 60)
{
	const unsigned N = 3000;
	struct seq_check sc = { .next = 0 };
	struct tsub sub, snd;
	static uint8_t out[1 << 20];
	size_t used = 0;
	unsigned i;

	start(self);
	subscribe(self, &sub);
	ASSERT_EQ(tsub_connect(&snd, 22502, self->dir, "client-ec.crt", "client-ec.key", 0), 0);
	for (i = 0; i < N; i++) {
		char m[512];
		size_t ml = test_msg(m, sizeof(m), i);

		used += (size_t)snprintf((char *)out + used, sizeof(out) - used, "%zu %s", ml, m);
	}
	ASSERT_EQ(tls_write_all(&snd, out, used), 0);
	EXPECT_EQ(tsub_collect(&sub, &sc, N, 20000), N);
	if (sc.bad)
		TH_LOG("%s", sc.why);
	EXPECT_FALSE(sc.bad);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total", "proto=\"tls\""), N);
	tsub_close(&snd);
	tsub_close(&sub);
}

TEST_F_TIMEOUT(tin, sender_without_certificate_is_refused_and_counted, 60)
{
	struct tsub snd, sub;

	start(self);
	subscribe(self, &sub);
	/* no client certificate: the handshake fails on the relay's side */
	tsub_connect(&snd, 22502, self->dir, NULL, NULL, 0);
	tsub_close(&snd);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_tcp_closed_total",
				    "reason=\"handshake_failed\"", 1, 10000), 1);
	/* a certificate from another CA: refused too */
	tsub_connect(&snd, 22502, self->dir, "client-wrong.crt", "client-wrong.key", 0);
	tsub_close(&snd);
	EXPECT_EQ(relay_wait_metric(self->pid, self->dir, "edgesteer_syslog_tcp_closed_total",
				    "reason=\"handshake_failed\"", 2, 10000), 2);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_stream_accepted_total", "proto=\"tls\""), 0);
	tsub_close(&sub);
}

/* rsyslog takes test_msg() lines over UDP and forwards them raw, octet
 * counted, over TLS with its client certificate. */
static void rsyslog_omfwd(struct th_fixture_tin *self, const char *driver)
{
	const unsigned N = 2000;
	struct seq_check sc = { .next = 0 };
	struct tsub sub;
	char pidf[320];
	int i;

	if (access("/usr/sbin/rsyslogd", X_OK))
		SKIP(return, "rsyslogd not installed");
	start(self);
	subscribe(self, &sub);
	th_sh("mkdir -p %s/work", self->dir);
	th_sh("cat > %s/rs.conf <<'EOF'\n"
	      "global(workDirectory=\"%s/work\"\n"
	      "  DefaultNetstreamDriverCAFile=\"%s/ca.crt\"\n"
	      "  DefaultNetstreamDriverCertFile=\"%s/client.crt\"\n"
	      "  DefaultNetstreamDriverKeyFile=\"%s/client.key\")\n"
	      "main_queue(queue.size=\"100000\")\n"
	      "module(load=\"imudp\")\n"
	      "input(type=\"imudp\" port=\"22504\" address=\"127.0.0.1\" ruleset=\"fwd\")\n"
	      "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\")\n"
	      "ruleset(name=\"fwd\") {\n"
	      "  action(type=\"omfwd\" target=\"127.0.0.1\" port=\"22502\" protocol=\"tcp\"\n"
	      "    StreamDriver=\"%s\" StreamDriverMode=\"1\" StreamDriverAuthMode=\"x509/name\"\n"
	      "    StreamDriverPermittedPeers=\"localhost\" TCP_Framing=\"octet-counted\" template=\"raw\"\n"
	      "    action.resumeRetryCount=\"-1\" queue.type=\"LinkedList\" queue.size=\"100000\")\n"
	      "}\n"
	      "EOF", self->dir, self->dir, self->dir, self->dir, self->dir, driver);
	snprintf(pidf, sizeof(pidf), "%s/rs.pid", self->dir);
	ASSERT_EQ(th_sh("rsyslogd -n -f %s/rs.conf -i %s >>%s/rs.log 2>&1 &", self->dir, pidf, self->dir), 0);
	for (i = 0; i < 250 && wait_udp_bound(22504, 20); i++)
		;
	{
		FILE *f = fopen(pidf, "r");

		if (f) {
			if (fscanf(f, "%d", &self->rs) != 1)
				self->rs = 0;
			fclose(f);
		}
	}
	ASSERT_EQ(wait_udp_bound(22504, 5000), 0);
	/* paced: rsyslog's UDP input drops what its buffer cannot hold */
	send_range(22504, 0, N, 100, 20000);
	EXPECT_EQ(tsub_collect(&sub, &sc, N, 30000), N);
	if (sc.bad)
		TH_LOG("%s", sc.why);
	EXPECT_FALSE(sc.bad);
	EXPECT_EQ(sc.gaps, 0);
	EXPECT_GE(relay_metric(self->pid, self->dir, "edgesteer_syslog_tcp_connections_total",
			       "127.0.0.1:22502"), 1);
	tsub_close(&sub);
}

TEST_F_TIMEOUT(tin, rsyslog_omfwd_ossl, 90)
{
	rsyslog_omfwd(self, "ossl");
}

TEST_F_TIMEOUT(tin, rsyslog_omfwd_gtls, 90)
{
	rsyslog_omfwd(self, "gtls");
}

/* test_msg(i) as the relay forwards it with origin = yes: its NILVALUE
 * SD replaced by `element`. */
static size_t origin_msg(char *buf, size_t cap, unsigned i, const char *element)
{
	char m[512], *sd;

	test_msg(m, sizeof(m), i);
	sd = strstr(m, " - message ");
	if (!sd)
		return 0;
	return (size_t)snprintf(buf, cap, "%.*s %s%s", (int)(sd - m), m, element, sd + 2);
}

struct origin_check {
	const char *element;
	unsigned next;
	bool bad;
};

static int origin_cb(void *arg, const uint8_t *m, size_t len)
{
	struct origin_check *c = arg;
	char want[1024];
	size_t wl = origin_msg(want, sizeof(want), c->next, c->element);

	if (wl != len || memcmp(want, m, len)) {
		TH_LOG("message %u: got '%.*s'", c->next, (int)len, m);
		TH_LOG("        want '%s'", want);
		c->bad = true;
		return -1;
	}
	c->next++;
	return 0;
}

/*
 * origin = yes on mutual-TLS intake: the subscriber sees the sender's
 * address and its certificate's subject, RFC 5424 escaped. The
 * certificate is made here by openssl with a subject that needs every
 * escape: the DN is CN=log]sender\\1,O=Acme \"Ops\" (RFC 4514: '\' and
 * '"' escaped), and as a PARAM-VALUE ']', '\' and '"' are escaped again.
 */
TEST_F_TIMEOUT(tin, origin_carries_certificate_subject, 60)
{
	static const char element[] =
		"[origin ip=\"127.0.0.1\" subject=\"CN=log\\]sender\\\\\\\\1,O=Acme \\\\\\\"Ops\\\\\\\"\"]";
	const unsigned N = 50;
	struct origin_check oc = { .element = element };
	struct tsub sub, snd;
	static uint8_t out[1 << 16];
	size_t used = 0;
	double end;
	unsigned i;

	ASSERT_EQ(th_sh("cd %s && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out odd.key "
			"2>/dev/null && openssl req -new -key odd.key -subj '/O=Acme \"Ops\"/CN=log]sender\\\\1' "
			"-out odd.csr && printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
			"extendedKeyUsage=clientAuth\\n' >odd.ext && openssl x509 -req -in odd.csr -CA ca.crt "
			"-CAkey ca.key -CAcreateserial -days 30 -out odd.crt -extfile odd.ext 2>/dev/null",
			self->dir), 0);
	start_with(self, "origin = yes\n");
	subscribe(self, &sub);
	ASSERT_EQ(tsub_connect(&snd, 22502, self->dir, "odd.crt", "odd.key", 0), 0);
	for (i = 0; i < N; i++) {
		char m[512];
		size_t ml = test_msg(m, sizeof(m), i);

		used += (size_t)snprintf((char *)out + used, sizeof(out) - used, "%zu %s", ml, m);
	}
	ASSERT_EQ(tls_write_all(&snd, out, used), 0);
	end = th_now() + 20;
	while (oc.next < N && !oc.bad && th_now() < end) {
		if (tsub_pump(&sub, 20) && !sub.len)
			break;
		if (tsub_take(&sub, FRAMING_OCTET, origin_cb, &oc) < 0)
			break;
	}
	EXPECT_EQ(oc.next, N);
	EXPECT_FALSE(oc.bad);
	EXPECT_EQ(relay_metric(self->pid, self->dir, "edgesteer_syslog_origin_added_total", "proto=\"tls\""), N);
	tsub_close(&snd);
	tsub_close(&sub);
}

TEST_HARNESS_MAIN
