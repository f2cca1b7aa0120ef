// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the BearSSL glue: DN canonical form, PEM loading (RSA and
 * EC), and in-process handshakes over a socketpair that exercise the
 * client-certificate policy, server-name checks and close_notify.
 * Certificates come from scripts/mkcerts.sh in a temp dir.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "core/log.h"
#include "tls/tls.h"

#include "certs.h"

TEST(dn_canonical_form_of_config_strings)
{
	char out[TLS_DN_MAX];

	ASSERT_EQ(dn_canon("CN=Edge Subscribers CA,O=Example", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=Edge Subscribers CA,O=Example");
	ASSERT_EQ(dn_canon("  cn = Edge Subscribers CA ,  o=Example ", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=Edge Subscribers CA,O=Example");
	ASSERT_EQ(dn_canon("CN=a\\,b+OU=x,emailaddress=a@b", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=a\\,b+OU=x,emailAddress=a@b");
	ASSERT_EQ(dn_canon("CN=\\41\\42C,2.5.4.99=z", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=ABC,2.5.4.99=z");
	EXPECT_EQ(dn_canon("", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(dn_canon("no equals", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(dn_canon("bogus=1", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(dn_canon("CN=x", out, 3), -ENOSPC);
}

static int read_der(const char *pem, uint8_t *der, size_t cap)
{
	char cmd[512];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -outform DER", pem);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(der, 1, cap, f);
	pclose(f);
	return (int)n;
}

TEST(issuer_of_real_certificates)
{
	uint8_t der[8192];
	char out[TLS_DN_MAX];
	int n;

	(void)certs_make("syslog-tls");
	if (!certdir[0])
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	n = read_der(cp("client.crt"), der, sizeof(der));
	ASSERT_GT(n, 100);
	ASSERT_EQ(dn_cert_issuer(der, (size_t)n, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=Edge Test CA,O=Example");
	n = read_der(cp("client-inter.crt"), der, sizeof(der));
	ASSERT_EQ(dn_cert_issuer(der, (size_t)n, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=Edge Other Sub CA,O=Example");
	ASSERT_EQ(dn_cert_subject(der, (size_t)n, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "CN=subscriber-inter,O=Example");
	/* truncated input is refused, not over-read */
	EXPECT_EQ(dn_cert_issuer(der, 40, out, sizeof(out)), -EINVAL);
	EXPECT_EQ(dn_cert_subject(der, 40, out, sizeof(out)), -EINVAL);
	certs_remove();
}

TEST(pem_loading_rsa_ec_and_bundles)
{
	struct tls_cred *c;
	struct tls_anchors *a;

	(void)certs_make("syslog-tls");
	if (!certdir[0])
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	log_set_level(LOG_CRIT);
	ASSERT_EQ(tls_cred_load(cp("server.crt"), cp("server.key"), &c), 0);
	EXPECT_STREQ(tls_cred_type(c), "RSA");
	tls_cred_free(c);
	ASSERT_EQ(tls_cred_load(cp("server-ec.crt"), cp("server-ec.key"), &c), 0);
	EXPECT_STREQ(tls_cred_type(c), "EC");
	tls_cred_free(c);
	ASSERT_EQ(tls_cred_load(cp("client-inter.crt"), cp("client-inter.key"), &c), 0);
	tls_cred_free(c);
	ASSERT_EQ(tls_anchors_load(cp("ca-bundle.crt"), &a), 0);
	EXPECT_EQ(tls_anchors_count(a), 2);
	tls_anchors_free(a);
	/* wrong files: errors, not crashes */
	EXPECT_NE(tls_cred_load(cp("server.key"), cp("server.key"), &c), 0);
	EXPECT_NE(tls_cred_load(cp("server.crt"), cp("server.crt"), &c), 0);
	EXPECT_NE(tls_anchors_load(cp("server.key"), &a), 0);
	EXPECT_NE(tls_anchors_load(cp("nonexistent"), &a), 0);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		ASSERT_EQ(tls_anchors_load("/etc/ssl/certs/ca-certificates.crt", &a), 0);
		EXPECT_GT(tls_anchors_count(a), 50);
		tls_anchors_free(a);
	}
	certs_remove();
}

struct hs_result {
	int server_rc, client_rc;
	int server_err, client_err;
	char got[64];
	bool server_closed;
	/* the client's chain checked again after the handshake (a reload):
	 * against the same CA, and against wrong-ca.crt */
	int recheck_same, recheck_other;
};

/* Run a handshake between two in-process sessions over a socketpair,
 * send "hello" client->server, then close_notify from the client. */
static void run_pair(const char *srv_cert, const char *srv_key, const char *ca_for_clients,
		     const char *issuer, const char *cli_cert, const char *cli_key,
		     const char *server_name, struct hs_result *r)
{
	struct tls_cred *scred, *ccred = NULL;
	struct tls_anchors *cli_ca, *srv_ca;
	struct tls_session *s, *c;
	char canon[TLS_DN_MAX];
	int sv[2], i;
	bool sent = false;

	memset(r, 0, sizeof(*r));
	if (tls_cred_load(cp(srv_cert), cp(srv_key), &scred) ||
	    tls_anchors_load(cp(ca_for_clients), &cli_ca) ||
	    tls_anchors_load(cp("ca-bundle.crt"), &srv_ca))
		abort();
	if (cli_cert && tls_cred_load(cp(cli_cert), cp(cli_key), &ccred))
		abort();
	if (issuer && dn_canon(issuer, canon, sizeof(canon)))
		abort();
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	struct tls_server_opts so = { .cred = scred, .client_ca = cli_ca, .client_issuer = issuer ? canon : NULL,
				      .keep_peer_chain = true };
	struct tls_client_opts co = { .ca = srv_ca, .server_name = server_name, .cred = ccred };

	if (tls_server_new(&so, sv[0], TLS_BUF_MONO, false, "test-server", "peer-c", &s) ||
	    tls_client_new(&co, sv[1], TLS_BUF_BIDI, true, "test-client", "peer-s", &c))
		abort();
	for (i = 0; i < 200; i++) {
		br_ssl_engine_context *se = tls_engine(s), *ce = tls_engine(c);
		size_t len;
		unsigned char *b;

		if (!r->server_rc)
			r->server_rc = tls_io(s);
		if (!r->client_rc)
			r->client_rc = tls_io(c);
		if (r->server_rc < 0 || r->client_rc < 0)
			break;
		if (!sent && (br_ssl_engine_current_state(ce) & BR_SSL_SENDAPP)) {
			b = br_ssl_engine_sendapp_buf(ce, &len);
			memcpy(b, "hello", 5);
			br_ssl_engine_sendapp_ack(ce, 5);
			br_ssl_engine_flush(ce, 0);
			sent = true;
		}
		if (br_ssl_engine_current_state(se) & BR_SSL_RECVAPP) {
			b = br_ssl_engine_recvapp_buf(se, &len);
			if (strlen(r->got) + len < sizeof(r->got))
				strncat(r->got, (char *)b, len);
			br_ssl_engine_recvapp_ack(se, len);
			if (!strcmp(r->got, "hello"))
				tls_close_notify(c);
		}
		if (r->server_rc == TLS_CLOSED) {
			r->server_closed = true;
			break;
		}
	}
	r->server_err = tls_last_error(s);
	r->client_err = tls_last_error(c);
	{
		struct tls_anchors *other;

		if (tls_anchors_load(cp("wrong-ca.crt"), &other))
			abort();
		r->recheck_same = tls_recheck_peer(s, cli_ca, so.client_issuer);
		r->recheck_other = tls_recheck_peer(s, other, NULL);
		tls_anchors_free(other);
	}
	tls_free(s);
	tls_free(c);
	close(sv[0]);
	close(sv[1]);
	tls_cred_free(scred);
	tls_cred_free(ccred);
	tls_anchors_free(cli_ca);
	tls_anchors_free(srv_ca);
}

FIXTURE(pair) {
	int dummy;
};

FIXTURE_SETUP(pair)
{
	(void)certs_make("syslog-tls");
	if (!certdir[0])
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	log_set_level(LOG_CRIT);
}

FIXTURE_TEARDOWN(pair)
{
	certs_remove();
}

TEST_F(pair, mutual_tls_rsa_ok_and_close_notify)
{
	struct hs_result r;

	run_pair("server.crt", "server.key", "ca.crt", "CN=Edge Test CA,O=Example",
		 "client.crt", "client.key", "gateway.test", &r);
	EXPECT_STREQ(r.got, "hello");
	EXPECT_TRUE(r.server_closed);
	EXPECT_EQ(r.server_err, 0);
}

TEST_F(pair, mutual_tls_ec_server_ec_client)
{
	struct hs_result r;

	run_pair("server-ec.crt", "server-ec.key", "ca.crt", "o=Example, cn=Edge Test CA ",
		 "client-ec.crt", "client-ec.key", "localhost", &r);
	/* "o=Example, cn=..." is a different DN (order matters) */
	EXPECT_EQ(r.server_err, TLS_ERR_ISSUER_MISMATCH);
	run_pair("server-ec.crt", "server-ec.key", "ca.crt", " cn=Edge Test CA , o=Example",
		 "client-ec.crt", "client-ec.key", "localhost", &r);
	EXPECT_STREQ(r.got, "hello");
	EXPECT_EQ(r.server_err, 0);
}

TEST_F(pair, client_cert_from_wrong_ca_rejected)
{
	struct hs_result r;

	run_pair("server.crt", "server.key", "ca.crt", NULL, "client-wrong.crt", "client-wrong.key",
		 "gateway.test", &r);
	EXPECT_EQ(r.server_err, BR_ERR_X509_NOT_TRUSTED);
	EXPECT_LT(r.server_rc, 0);
	EXPECT_STREQ(r.got, "");
}

TEST_F(pair, no_client_cert_rejected)
{
	struct hs_result r;

	run_pair("server.crt", "server.key", "ca.crt", NULL, NULL, NULL, "gateway.test", &r);
	EXPECT_LT(r.server_rc, 0);
	EXPECT_NE(r.server_err, 0);
	EXPECT_STREQ(r.got, "");
}

TEST_F(pair, issuer_check_beyond_chain_validation)
{
	struct hs_result r;

	/* client-inter chains to ca.crt through the intermediate: valid
	 * without an issuer rule, refused with one naming the root */
	run_pair("server.crt", "server.key", "ca.crt", NULL, "client-inter.crt", "client-inter.key",
		 "gateway.test", &r);
	EXPECT_STREQ(r.got, "hello");
	run_pair("server.crt", "server.key", "ca.crt", "CN=Edge Test CA,O=Example",
		 "client-inter.crt", "client-inter.key", "gateway.test", &r);
	EXPECT_EQ(r.server_err, TLS_ERR_ISSUER_MISMATCH);
	EXPECT_STREQ(r.got, "");
	run_pair("server.crt", "server.key", "ca.crt", "CN=Edge Other Sub CA,O=Example",
		 "client-inter.crt", "client-inter.key", "gateway.test", &r);
	EXPECT_STREQ(r.got, "hello");
}

TEST_F(pair, client_verifies_server_name)
{
	struct hs_result r;

	run_pair("server.crt", "server.key", "ca.crt", NULL, "client.crt", "client.key",
		 "not-the-gateway.test", &r);
	EXPECT_EQ(r.client_err, BR_ERR_X509_BAD_SERVER_NAME);
	EXPECT_STREQ(r.got, "");
}

TEST_F(pair, extended_key_usage_must_allow_the_role)
{
	struct hs_result r;

	/* right name, right CA, clientAuth only: not a server */
	run_pair("server-clientauth.crt", "server-clientauth.key", "ca.crt", NULL, "client.crt", "client.key",
		 "gateway.test", &r);
	EXPECT_EQ(r.client_err, TLS_ERR_WRONG_EKU);
	EXPECT_STREQ(r.got, "");
	/* serverAuth only: not a client */
	run_pair("server.crt", "server.key", "ca.crt", NULL, "client-serverauth.crt", "client-serverauth.key",
		 "gateway.test", &r);
	EXPECT_EQ(r.server_err, TLS_ERR_WRONG_EKU);
	EXPECT_STREQ(r.got, "");
	EXPECT_STREQ(tls_error_name(TLS_ERR_WRONG_EKU), "ES_ERR_WRONG_EKU");
}

TEST_F(pair, peer_chain_is_checked_again_with_new_anchors)
{
	struct hs_result r;

	run_pair("server.crt", "server.key", "ca.crt", "CN=Edge Test CA,O=Example",
		 "client.crt", "client.key", "gateway.test", &r);
	EXPECT_STREQ(r.got, "hello");
	EXPECT_EQ(r.recheck_same, 0);
	EXPECT_EQ(r.recheck_other, BR_ERR_X509_NOT_TRUSTED);
	/* through an intermediate, the whole chain is kept */
	run_pair("server.crt", "server.key", "ca.crt", NULL, "client-inter.crt", "client-inter.key",
		 "gateway.test", &r);
	EXPECT_EQ(r.recheck_same, 0);
	EXPECT_EQ(r.recheck_other, BR_ERR_X509_NOT_TRUSTED);
}

/* A client handshake against a server with srv_cert; ca NULL: a
 * no_verify client (the proxy's tls check without check_ca). Returns
 * the client's BearSSL error, 0 when the handshake completed. */
static int client_handshake(const char *srv_cert, const char *srv_key, const char *ca, const char *name,
			    bool *done)
{
	struct tls_anchors *a = NULL;
	struct tls_session *s, *c;
	struct tls_cred *cred;
	int sv[2], err;

	*done = false;
	if (tls_cred_load(cp(srv_cert), cp(srv_key), &cred) || (ca && tls_anchors_load(cp(ca), &a)))
		abort();
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	struct tls_server_opts so = { .cred = cred };
	struct tls_client_opts co = { .ca = a, .no_verify = !a, .server_name = name, .quiet = true };

	if (tls_server_new(&so, sv[0], TLS_BUF_MONO, false, "test-server", "peer-c", &s) ||
	    tls_client_new(&co, sv[1], TLS_BUF_MONO, false, "test-client", "peer-s", &c))
		abort();
	for (int i = 0; i < 200 && !*done; i++) {
		if (tls_io(s) < 0 || tls_io(c) < 0)
			break;
		*done = tls_handshake_done(c);
	}
	err = tls_last_error(c);
	tls_free(s);
	tls_free(c);
	close(sv[0]);
	close(sv[1]);
	tls_cred_free(cred);
	tls_anchors_free(a);
	return err;
}

TEST_F(pair, a_no_verify_client_completes_the_handshake_with_any_certificate)
{
	bool done;

	/* another CA's certificate, another name: verified, refused ... */
	EXPECT_EQ(client_handshake("server-ec.crt", "server-ec.key", "ca.crt", "gateway.test", &done),
		  BR_ERR_X509_NOT_TRUSTED);
	EXPECT_FALSE(done);
	EXPECT_EQ(client_handshake("other.crt", "other.key", "ca.crt", "gateway.test", &done),
		  BR_ERR_X509_BAD_SERVER_NAME);
	EXPECT_FALSE(done);
	/* ... not verified: the handshake completes, RSA and EC keys alike */
	EXPECT_EQ(client_handshake("server-ec.crt", "server-ec.key", NULL, "gateway.test", &done), 0);
	EXPECT_TRUE(done);
	EXPECT_EQ(client_handshake("other.crt", "other.key", NULL, "gateway.test", &done), 0);
	EXPECT_TRUE(done);
	EXPECT_EQ(client_handshake("server.crt", "server.key", NULL, NULL, &done), 0);
	EXPECT_TRUE(done);
}

TEST(file_stamp_sees_a_file_renewed_in_place)
{
	struct tls_file_stamp a, b, none;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/es-tls-stamp-%d", getpid());
	ASSERT_EQ(th_sh("echo one > %s", path), 0);
	ASSERT_EQ(tls_file_stamp(path, &a), 0);
	ASSERT_EQ(tls_file_stamp(path, &b), 0);
	EXPECT_TRUE(tls_file_stamp_eq(&a, &b));
	/* same size, same inode, rewritten: the change time moves */
	usleep(20000);
	ASSERT_EQ(th_sh("echo two > %s", path), 0);
	ASSERT_EQ(tls_file_stamp(path, &b), 0);
	EXPECT_FALSE(tls_file_stamp_eq(&a, &b));
	EXPECT_EQ(tls_file_stamp("", &none), 0);
	EXPECT_LT(tls_file_stamp("/nonexistent/x.crt", &none), 0);
	unlink(path);
}

TEST(error_names)
{
	EXPECT_STREQ(tls_error_name(BR_ERR_X509_NOT_TRUSTED), "BR_ERR_X509_NOT_TRUSTED");
	EXPECT_STREQ(tls_error_name(BR_ERR_NO_CLIENT_AUTH), "BR_ERR_NO_CLIENT_AUTH");
	EXPECT_STREQ(tls_error_name(TLS_ERR_ISSUER_MISMATCH), "ES_ERR_ISSUER_MISMATCH");
	EXPECT_STREQ(tls_error_name(BR_ERR_RECV_FATAL_ALERT + 42), "BR_ERR_RECV_FATAL_ALERT");
	EXPECT_STREQ(tls_error_text(BR_ERR_RECV_FATAL_ALERT + 42), "bad_certificate");
	EXPECT_STREQ(tls_error_name(9999 - 9000), "BR_ERR_SEND_FATAL_ALERT");
	EXPECT_STREQ(tls_error_name(11), "BR_ERR_UNKNOWN");
}

TEST_HARNESS_MAIN
