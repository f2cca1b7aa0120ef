// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: [proxy] routes with terminate=CERT,KEY. The proxy (forked,
 * with the BearSSL terminator registered) completes the handshake with
 * the certificate of the route the SNI picked, and forwards plaintext to
 * an nginx plain-HTTP upstream (optionally after a PROXY header). Clients
 * are curl and openssl s_client. Private network namespace; ports 22200+.
 */
#include "proxy_util.h"

#include "proxy/tls_term.h"

#define PORT 22201

FIXTURE(term) {
	char dir[64];
	char certs[96];
	pid_t nginx, proxy;
};

static pid_t start_nginx(const char *dir)
{
	char servers[1024];

	snprintf(servers, sizeof(servers),
		 " server { listen 127.0.0.1:22202; root %s/www;\n"
		 "   location = /hello { return 200 \"hello $host\\n\"; } }\n"
		 " server { listen 127.0.0.1:22203 proxy_protocol;\n"
		 "   location / { return 200 \"pp=$proxy_protocol_addr\\n\"; } }\n", dir);
	return pu_nginx(dir, servers, 22203);
}

FIXTURE_SETUP(term)
{
	char conf[2048];
	const char *src = getenv("EDGESTEER_SRC");

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-syslog-term-%d", (int)getpid());
	snprintf(self->certs, sizeof(self->certs), "%s/certs", self->dir);
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s/www", self->dir), 0);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test ec.test pp.test >/dev/null", src ? src : ".", self->certs))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	/* 100 MiB of incompressible bytes and their digest */
	ASSERT_EQ(th_sh("head -c 100M /dev/urandom > %s/www/big && sha256sum < %s/www/big | cut -c1-64 > %s/big.sha",
			self->dir, self->dir, self->dir), 0);
	self->nginx = start_nginx(self->dir);
	ASSERT_GT(self->nginx, 0);
	snprintf(conf, sizeof(conf),
		 "[proxy term]\nlisten = 127.0.0.1:%d\nprotocol = tls\nidle_timeout = 5s\n"
		 "route = app.test 127.0.0.1:22202 terminate=%s/server.crt,%s/server.key\n"
		 "route = ec.test 127.0.0.1:22202 terminate=%s/server-ec.crt,%s/server-ec.key\n"
		 "route = pp.test 127.0.0.1:22203 proxy_protocol=v1 terminate=%s/server.crt,%s/server.key\n"
		 "route = pass.test 127.0.0.1:22204\n",
		 PORT, self->certs, self->certs, self->certs, self->certs, self->certs, self->certs);
	pu_child_init = tls_term_register;
	self->proxy = pu_proxy(conf, PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(term)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

static int curl(const char *certs, const char *ca, const char *name, const char *path, char *out, size_t len)
{
	return th_sh_out(out, len, "curl -s --max-time 10 --cacert %s/%s --resolve %s:%d:127.0.0.1 https://%s:%d%s",
			 certs, ca, name, PORT, name, PORT, path);
}

TEST_F_TIMEOUT(term, curl_gets_plain_upstream_page_with_the_routes_certificate, 30)
{
	char out[256];

	/* RSA route: verified against the RSA CA, the page from plain HTTP */
	ASSERT_EQ(curl(self->certs, "ca.crt", "app.test", "/hello", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "hello app.test\n");
	/* EC route: only the EC CA verifies it, so the EC certificate was chosen */
	ASSERT_EQ(curl(self->certs, "ca-ec.crt", "ec.test", "/hello", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "hello ec.test\n");
	EXPECT_NE(curl(self->certs, "ca.crt", "ec.test", "/hello", out, sizeof(out)), 0);
	EXPECT_NE(curl(self->certs, "ca-ec.crt", "app.test", "/hello", out, sizeof(out)), 0);
	/* PROXY v1 before the plaintext */
	ASSERT_EQ(curl(self->certs, "ca.crt", "pp.test", "/", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "pp=127.0.0.1\n");
	/* TLS 1.3-only clients cannot connect: BearSSL is TLS 1.2 */
	EXPECT_NE(th_sh("curl -s --max-time 5 --tlsv1.3 --cacert %s/ca.crt --resolve app.test:%d:127.0.0.1 "
			"https://app.test:%d/hello >/dev/null", self->certs, PORT, PORT), 0);
}

TEST_F_TIMEOUT(term, openssl_s_client_request_and_close, 30)
{
	char out[4096];

	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "printf 'GET /hello HTTP/1.0\\r\\nHost: app.test\\r\\n\\r\\n' | timeout 10 "
			    "openssl s_client -connect 127.0.0.1:%d -servername app.test -CAfile %s/ca.crt "
			    "-verify_return_error -ign_eof -quiet 2>/dev/null", PORT, self->certs), 0);
	EXPECT_TRUE(strstr(out, "HTTP/1.1 200 OK") != NULL);
	EXPECT_TRUE(strstr(out, "hello app.test") != NULL);
	/* garbage after a valid hello fails the session, not the proxy */
	th_sh("(printf '\\x16\\x03\\x01\\x00\\x05hello'; sleep 0.2) | timeout 5 openssl s_client -connect 127.0.0.1:%d "
	      "-servername app.test >/dev/null 2>&1", PORT);
	EXPECT_EQ(curl(self->certs, "ca.crt", "app.test", "/hello", out, sizeof(out)), 0);
	/* a returning client resumes its session (BearSSL's LRU cache) */
	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "timeout 10 openssl s_client -connect 127.0.0.1:%d -servername app.test -CAfile %s/ca.crt "
			    "-reconnect </dev/null 2>/dev/null | grep -c '^Reused'", PORT, self->certs), 0);
	EXPECT_GE(atoi(out), 5);
}

/*
 * Each ECDHE group the terminator offers, forced by the client, with the
 * ECDSA and the RSA certificate, and the ECDSA signature over each hash
 * a client may ask for: P-256 and X25519 are computed by Nettle
 * (tls/ec_nettle.c), P-384 by BearSSL. -verify_return_error: the
 * ServerKeyExchange signature and the chain must verify.
 */
TEST_F_TIMEOUT(term, openssl_s_client_each_group_and_ecdsa_hash, 60)
{
	/* OpenSSL refuses an ECDSA certificate on a curve it did not list
	 * in supported_groups: the ECDSA route's client lists P-256 last.
	 * Offered P-384 and P-256, BearSSL takes P-256, so P-384 is tried
	 * with the RSA certificate only. */
	static const struct {
		const char *groups, *temp_key;
		bool rsa_only;
	} g[] = {
		{ "X25519", "Server Temp Key: X25519", false },
		{ "P-256", "Server Temp Key: ECDH, prime256v1", false },
		{ "P-384", "Server Temp Key: ECDH, secp384r1", true },
	};
	static const struct {
		const char *name, *ca, *also;
	} c[] = { { "ec.test", "ca-ec.crt", ":P-256" }, { "app.test", "ca.crt", "" } };
	static const char *const hashes[] = { "SHA256", "SHA384", "SHA512" };
	char out[16384], want[64];

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		for (size_t j = g[i].rsa_only; j < sizeof(c) / sizeof(c[0]); j++) {
			int rc = th_sh_out(out, sizeof(out),
					   "printf 'GET /hello HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' | timeout 10 "
					   "openssl s_client -connect 127.0.0.1:%d -servername %s -CAfile %s/%s "
					   "-groups %s%s -verify_return_error -ign_eof 2>&1",
					   c[j].name, PORT, c[j].name, self->certs, c[j].ca, g[i].groups,
					   strcmp(g[i].groups, "P-256") ? c[j].also : "");

			if (rc)
				TH_LOG("%s", out);
			ASSERT_EQ(rc, 0);
			if (!strstr(out, g[i].temp_key))
				TH_LOG("%s, groups %s: no \"%s\"", c[j].name, g[i].groups, g[i].temp_key);
			EXPECT_TRUE(strstr(out, g[i].temp_key) != NULL);
			snprintf(want, sizeof(want), "hello %s", c[j].name);
			EXPECT_TRUE(strstr(out, want) != NULL);
		}
	for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
		ASSERT_EQ(th_sh_out(out, sizeof(out),
				    "printf 'GET /hello HTTP/1.0\\r\\nHost: ec.test\\r\\n\\r\\n' | timeout 10 "
				    "openssl s_client -connect 127.0.0.1:%d -servername ec.test -CAfile %s/ca-ec.crt "
				    "-groups P-256 -sigalgs ECDSA+%s -verify_return_error -ign_eof 2>&1",
				    PORT, self->certs, hashes[h]), 0);
		snprintf(want, sizeof(want), "Peer signing digest: %s", hashes[h]);
		EXPECT_TRUE(strstr(out, want) != NULL);
		EXPECT_TRUE(strstr(out, "Peer signature type: ECDSA") != NULL);
		EXPECT_TRUE(strstr(out, "hello ec.test") != NULL);
	}
}

TEST_F_TIMEOUT(term, hundred_mib_byte_exact_and_no_leaks, 120)
{
	char want[80], got[80];
	int fds0, fds1;
	double t0;

	/* pu_proxy's readiness probe is closed by a worker thread, maybe
	 * only now: count once it is gone */
	usleep(200000);
	fds0 = pu_count_fds(self->proxy);
	ASSERT_EQ(th_sh_out(want, sizeof(want), "cat %s/big.sha", self->dir), 0);
	t0 = th_now();
	ASSERT_EQ(th_sh_out(got, sizeof(got),
			    "curl -s --max-time 60 --cacert %s/ca.crt --resolve app.test:%d:127.0.0.1 "
			    "https://app.test:%d/big | sha256sum | cut -c1-64", self->certs, PORT, PORT), 0);
	TH_LOG("100 MiB through the terminating proxy in %.2f s", th_now() - t0);
	EXPECT_STREQ(got, want);
	/* and twice at once, EC and RSA */
	ASSERT_EQ(th_sh_out(got, sizeof(got),
			    "(curl -s --max-time 60 --cacert %s/ca-ec.crt --resolve ec.test:%d:127.0.0.1 "
			    "https://ec.test:%d/big | sha256sum | cut -c1-64 > %s/ec.sha) & "
			    "curl -s --max-time 60 --cacert %s/ca.crt --resolve app.test:%d:127.0.0.1 "
			    "https://app.test:%d/big | sha256sum | cut -c1-64; wait",
			    self->certs, PORT, PORT, self->dir, self->certs, PORT, PORT), 0);
	EXPECT_STREQ(got, want);
	ASSERT_EQ(th_sh_out(got, sizeof(got), "cat %s/ec.sha", self->dir), 0);
	EXPECT_STREQ(got, want);
	/* every connection is gone: fds back where they were */
	usleep(200000);
	fds1 = pu_count_fds(self->proxy);
	EXPECT_EQ(fds1, fds0);
}

/*
 * A deadline on every read, on terminate= routes: the hello deadline must cover the whole
 * handshake, not just the ClientHello. A client that sends its hello,
 * gets the server's flight and then stalls holds a TLS session and an
 * upstream connection; it must be closed at hello_timeout, not at the
 * (much longer) idle_timeout. Own proxy, ports 27001-27002.
 */
TEST_TIMEOUT(stalled_handshake_closed_at_hello_timeout, 40)
{
	const char *src = getenv("EDGESTEER_SRC");
	char dir[64], conf[1024];
	uint8_t hello[4096], rec[5];
	int up, fd, rc = -1;
	size_t hl;
	pid_t px;
	double t0;

	TH_PRIVATE_NETNS();
	snprintf(dir, sizeof(dir), "/tmp/es-review-term-%d", (int)getpid());
	th_sh("rm -rf %s", dir);
	if (th_sh("%s/scripts/mkcerts.sh %s/certs app.test >/dev/null", src ? src : ".", dir))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	hl = pu_seed("openssl_tls12_sni.bin", hello, sizeof(hello));	/* www.example.org */
	ASSERT_GT(hl, 0);
	up = pu_listen("127.0.0.1", 27002);	/* connects complete in the backlog */
	ASSERT_GE(up, 0);
	snprintf(conf, sizeof(conf),
		 "[proxy stall]\nlisten = 127.0.0.1:27001\nprotocol = tls\nhello_timeout = 1s\n"
		 "idle_timeout = 30s\nroute = www.example.org 127.0.0.1:27002 terminate=%s/certs/server.crt,"
		 "%s/certs/server.key\n", dir, dir);
	pu_child_init = tls_term_register;
	px = pu_proxy(conf, 27001, 0, NULL);
	ASSERT_GT(px, 0);
	fd = pu_connect("127.0.0.1", 27001);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pu_write_all(fd, hello, hl), 0);
	/* the server's first flight arrives: the handshake is under way */
	pu_timeout(fd, 5000);
	ASSERT_EQ(pu_read_n(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	EXPECT_EQ(rec[0], 0x16);
	t0 = th_now();
	/* then the client says nothing more; drain what the server sent */
	while (th_now() - t0 < 10) {
		rc = pu_wait_eof(fd, 10000);
		if (rc <= 0)
			break;
	}
	TH_LOG("closed after %.1f s (rc %d)", th_now() - t0, rc);
	EXPECT_LE(rc, 0);
	EXPECT_NE(rc, -ETIMEDOUT);
	EXPECT_LT(th_now() - t0, 3.0);
	close(fd);
	close(up);
	pu_kill(px);
	th_sh("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
