// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end routing with real peers: nginx upstreams, each with its own
 * certificate and page, behind the proxy in a private network namespace;
 * curl --resolve and openssl s_client as clients. Covers exact, wildcard
 * (any depth), default and no-SNI routes, the unrecognized_name alert for
 * an unknown name, and PROXY protocol v1/v2 headers parsed by nginx
 * (`listen ... proxy_protocol`, $proxy_protocol_addr in the page).
 */
#include "proxy_util.h"

#define STRICT  21200	/* no default: unknown names get the alert */
#define LENIENT 21210	/* with a default route */

static const char *names[] = { "app", "wild", "default", "nosni", "pp" };

static const char *proxy_conf =
	"[proxy strict]\n"
	"listen = 127.0.0.1:21200\n"
	"route = app.example.com 127.0.0.1:21201\n"
	"route = *.example.org 127.0.0.1:21202\n"
	"route = pp2.example.com 127.0.0.1:21205 proxy_protocol=v2\n"
	"route = pp1.example.com 127.0.0.1:21206 proxy_protocol=v1\n"
	"no_sni = 127.0.0.1:21204\n"
	"[proxy lenient]\n"
	"listen = 127.0.0.1:21210\n"
	"route = app.example.com 127.0.0.1:21201\n"
	"default = 127.0.0.1:21203\n";

FIXTURE(rt) {
	char dir[64];
	pid_t nginx, proxy;
};

static pid_t start_nginx(struct th_metadata *_metadata, const char *dir)
{
	char servers[4096];
	size_t n = 0;

	servers[0] = 0;
	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(servers + n, sizeof(servers) - n,
			" server { listen 127.0.0.1:%d ssl; ssl_certificate %s/%s.crt;"
			" ssl_certificate_key %s/%s.key; location / { return 200 \"page=%s\\n\"; } }\n",
			21201 + i, dir, names[i], dir, names[i], names[i]);
	for (int v = 0; v < 2; v++)
		n += (size_t)snprintf(servers + n, sizeof(servers) - n,
			" server { listen 127.0.0.1:%d ssl proxy_protocol; ssl_certificate %s/pp.crt;"
			" ssl_certificate_key %s/pp.key; location / {"
			" return 200 \"pp=$proxy_protocol_addr:$proxy_protocol_port\\n\"; } }\n",
			21205 + v, dir, dir);
	return pu_nginx(dir, servers, 21206);
}

/* nginx upstreams with fresh certificates, and the proxy, in a namespace
 * of the test's own. */
static void routing_start(struct th_metadata *_metadata, struct th_fixture_rt *self)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-proxy-%d", (int)getpid());
	th_sh("rm -rf %s", self->dir);
	ASSERT_EQ(th_sh("mkdir -p %s", self->dir), 0);
	for (int i = 0; i < 5; i++) {
		const char *cn = i == 1 ? "*.example.org" : names[i];

		ASSERT_EQ(th_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
				"-keyout %s/%s.key -out %s/%s.crt -days 2 -subj '/CN=%s' 2>/dev/null",
				self->dir, names[i], self->dir, names[i], cn), 0);
	}
	self->nginx = start_nginx(_metadata, self->dir);
	ASSERT_GT(self->nginx, 0);
	self->proxy = pu_proxy(proxy_conf, STRICT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

static void routing_stop(struct th_fixture_rt *self)
{
	pu_kill(self->proxy);
	pu_kill(self->nginx);
	if (self->dir[0])
		th_sh("rm -rf %s", self->dir);
}

FIXTURE_SETUP(rt)
{
	routing_start(_metadata, self);
}

FIXTURE_TEARDOWN(rt)
{
	routing_stop(self);
}

/* curl https://NAME:PORT/ through the proxy; the page it got. */
static int curl_page(const char *name, int port, const char *extra, char *out, size_t len)
{
	return th_sh_out(out, len, "curl -sk --max-time 5 %s --resolve %s:%d:127.0.0.1 https://%s:%d/",
			 extra, name, port, name, port);
}

static void expect_page(struct th_metadata *_metadata, const char *name, int port, const char *page)
{
	char out[256];

	EXPECT_EQ(curl_page(name, port, "", out, sizeof(out)), 0);
	if (strcmp(out, page))
		TH_LOG("%s:%d: got '%s', want '%s'", name, port, out, page);
	EXPECT_STREQ(out, page);
}

/* The subject openssl s_client sees with `sni` ("" : no SNI). */
static void expect_subject(struct th_metadata *_metadata, const char *sni, int port, const char *cn)
{
	char out[4096], want[128];

	th_sh_out(out, sizeof(out), "echo | timeout 5 openssl s_client -connect 127.0.0.1:%d %s%s 2>&1",
		  port, sni[0] ? "-servername " : "-noservername", sni);
	snprintf(want, sizeof(want), "subject=CN = %s\n", cn);
	if (!strstr(out, want))
		TH_LOG("s_client %s: no '%s' in:\n%.600s", sni, cn, out);
	EXPECT_NE(strstr(out, want), NULL);
}

TEST_F_TIMEOUT(rt, exact_route, 30)
{
	expect_page(_metadata, "app.example.com", STRICT, "page=app\n");
	expect_page(_metadata, "APP.Example.com", STRICT, "page=app\n");
	expect_subject(_metadata, "app.example.com", STRICT, "app");
}

TEST_F_TIMEOUT(rt, wildcard_route_any_depth, 30)
{
	expect_page(_metadata, "x.example.org", STRICT, "page=wild\n");
	expect_page(_metadata, "a.b.c.example.org", STRICT, "page=wild\n");
	expect_subject(_metadata, "deep.er.example.org", STRICT, "*.example.org");
}

TEST_F_TIMEOUT(rt, default_route, 30)
{
	expect_page(_metadata, "unknown.example.net", LENIENT, "page=default\n");
	expect_page(_metadata, "app.example.com", LENIENT, "page=app\n");
	expect_subject(_metadata, "whatever.example", LENIENT, "default");
	/* without SNI and without no_sni, the default route takes it */
	expect_subject(_metadata, "", LENIENT, "default");
}

TEST_F_TIMEOUT(rt, no_sni_route, 30)
{
	char out[256];

	/* curl to an IP address sends no SNI */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "curl -sk --max-time 5 https://127.0.0.1:%d/", STRICT), 0);
	EXPECT_STREQ(out, "page=nosni\n");
	expect_subject(_metadata, "", STRICT, "nosni");
}

TEST_F_TIMEOUT(rt, unknown_name_gets_unrecognized_name_alert, 30)
{
	char out[4096];
	int rc;

	th_sh_out(out, sizeof(out), "echo | timeout 5 openssl s_client -connect 127.0.0.1:%d "
		  "-servername nope.example.net 2>&1", STRICT);
	if (!strstr(out, "unrecognized name"))
		TH_LOG("s_client said:\n%.800s", out);
	EXPECT_NE(strstr(out, "unrecognized name"), NULL);
	EXPECT_NE(strstr(out, "alert number 112"), NULL);
	rc = curl_page("nope.example.net", STRICT, "", out, sizeof(out));
	EXPECT_EQ(rc, 35);	/* CURLE_SSL_CONNECT_ERROR */
}

/* The same setup; a route with a PROXY protocol header per variant. */
FIXTURE(pp) {
	struct th_fixture_rt rt;
};

FIXTURE_VARIANT(pp) {
	const char *name;	/* routed to the nginx server of that version */
	int local_port;		/* the client's port, which nginx must report */
};

FIXTURE_VARIANT_ADD(pp, v2) {
	.name = "pp2.example.com", .local_port = 21250,
};

FIXTURE_VARIANT_ADD(pp, v1) {
	.name = "pp1.example.com", .local_port = 21251,
};

FIXTURE_SETUP(pp)
{
	routing_start(_metadata, &self->rt);
}

FIXTURE_TEARDOWN(pp)
{
	routing_stop(&self->rt);
}

TEST_F_TIMEOUT(pp, header_parsed_by_nginx, 30)
{
	char out[256], port[32], want[64];

	snprintf(port, sizeof(port), "--local-port %d", variant->local_port);
	snprintf(want, sizeof(want), "pp=127.0.0.1:%d\n", variant->local_port);
	EXPECT_EQ(curl_page(variant->name, STRICT, port, out, sizeof(out)), 0);
	EXPECT_STREQ(out, want);
}

TEST_HARNESS_MAIN
