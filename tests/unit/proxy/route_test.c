// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the route table: exact, wildcard, precedence, case, dots. */
#include "harness.h"

#include "core/conf.h"
#include "proxy/route.h"

static const char *cfg =
	"[proxy web]\n"
	"listen = 127.0.0.1:21100\n"
	/* wildcards before the exact names, the short one first: order must not matter */
	"route = *.example.com 127.0.0.1:1\n"
	"route = *.deep.example.com 127.0.0.1:2\n"
	"route = app.example.com 127.0.0.1:3\n"
	"route = App.Deep.Example.COM. 127.0.0.1:4\n"
	"route = *.org 127.0.0.1:5\n"
	"route = example.net 127.0.0.1:6\n"
	"route = *.a.b.c.d 127.0.0.1:7\n";

struct rcase { const char *name; int port; };	/* port 0: no route */
static const struct rcase cases[] = {
	{ "app.example.com", 3 },
	{ "APP.EXAMPLE.COM", 3 },
	{ "app.example.com.", 3 },
	{ "x.example.com", 1 },
	{ "x.y.z.example.com", 1 },		/* any depth */
	{ "example.com", 0 },			/* a wildcard does not match its base */
	{ "deep.example.com", 1 },
	{ "x.deep.example.com", 2 },		/* the longer wildcard wins */
	{ "x.y.deep.example.com", 2 },
	{ "app.deep.example.com", 4 },		/* exact beats both wildcards */
	{ "App.Deep.Example.Com.", 4 },
	{ "wiki.org", 5 },
	{ "a.b.wiki.org", 5 },
	{ "org", 0 },
	{ "example.net", 6 },
	{ "www.example.net", 0 },
	{ "notexample.com", 0 },		/* suffix match is by label, not by string */
	{ "xexample.com", 0 },
	{ "e.a.b.c.d", 7 },
	{ "a.b.c.d", 0 },
	{ "", 0 },
	{ ".", 0 },
	{ "example.com..", 0 },
};

static int port_of(const struct conf_route *r)
{
	const struct sockaddr_in *s = (const void *)&r->upstreams[0].ss;

	return ntohs(s->sin_port);
}

TEST(lookup_table)
{
	struct conf *c = NULL;
	struct route_table *t = NULL;

	ASSERT_EQ(conf_load_string("route_test", cfg, &c, NULL), 0);
	ASSERT_EQ(route_table_new(c->proxies[0].routes, c->proxies[0].n_routes, &t), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conf_route *r = route_lookup(t, cases[i].name);
		int got = r ? port_of(r) : 0;

		if (got != cases[i].port)
			TH_LOG("'%s': got route %d, want %d", cases[i].name, got, cases[i].port);
		EXPECT_EQ(got, cases[i].port);
	}
	route_table_free(t);
	conf_free(c);
}

TEST(empty_table_and_long_names)
{
	struct route_table *t = NULL;
	char name[600];

	ASSERT_EQ(route_table_new(NULL, 0, &t), 0);
	EXPECT_EQ(route_lookup(t, "a.b"), NULL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	EXPECT_EQ(route_lookup(t, name), NULL);
	route_table_free(t);
}

TEST(duplicate_names_refused)
{
	struct conf_route r[2];
	struct route_table *t = NULL;

	memset(r, 0, sizeof(r));
	strcpy(r[0].name, "*.x.com");
	r[0].wildcard = true;
	strcpy(r[1].name, "*.x.com");
	r[1].wildcard = true;
	EXPECT_EQ(route_table_new(r, 2, &t), -EINVAL);
	r[1].wildcard = false;
	strcpy(r[1].name, "x.com");		/* exact x.com and *.x.com coexist */
	ASSERT_EQ(route_table_new(r, 2, &t), 0);
	EXPECT_EQ(route_lookup(t, "x.com"), &r[1]);
	EXPECT_EQ(route_lookup(t, "a.x.com"), &r[0]);
	route_table_free(t);
}

TEST(many_routes_most_specific_wins)
{
	static struct conf_route r[1000];
	struct route_table *t = NULL;
	char name[64];

	/* n0.example.com exact, *.n1.example.com wildcard, ... shuffled */
	for (int i = 0; i < 1000; i++) {
		int k = (i * 7919) % 1000;

		memset(&r[i], 0, sizeof(r[i]));
		r[i].wildcard = k & 1;
		snprintf(r[i].name, sizeof(r[i].name), "%sn%d.example.com", k & 1 ? "*." : "", k);
		r[i].line = k;
	}
	ASSERT_EQ(route_table_new(r, 1000, &t), 0);
	for (int k = 0; k < 1000; k++) {
		const struct conf_route *got;

		snprintf(name, sizeof(name), "%sN%d.Example.com", k & 1 ? "q.w." : "", k);
		got = route_lookup(t, name);
		ASSERT_NE(got, NULL);
		EXPECT_EQ(got->line, k);
	}
	route_table_free(t);
}

TEST(alpn_routes_share_a_name)
{
	static const char alpn_cfg[] =
		"[proxy web]\nlisten = 127.0.0.1:21100\n"
		"route = app.example.com 127.0.0.1:1\n"
		"route = app.example.com 127.0.0.1:2 alpn=h2\n"
		"route = app.example.com 127.0.0.1:3 alpn=http/1.1\n"
		"route = *.example.com 127.0.0.1:4\n"
		"route = only.example.com 127.0.0.1:5 alpn=h2\n";
	struct sni_alpn h2 = { .list = { 2, 'h', '2' }, .len = 3 };
	struct sni_alpn both = { .list = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1', 2, 'h', '2' }, .len = 12 };
	struct sni_alpn other = { .list = { 2, 'h', '3' }, .len = 3 };
	struct conf *c = NULL;
	struct route_table *t = NULL;

	ASSERT_EQ(conf_load_string("route_test", alpn_cfg, &c, NULL), 0);
	ASSERT_EQ(route_table_new(c->proxies[0].routes, c->proxies[0].n_routes, &t), 0);
	EXPECT_EQ(port_of(route_lookup_alpn(t, "app.example.com", &h2)), 2);
	/* both offered: the first such route in the file */
	EXPECT_EQ(port_of(route_lookup_alpn(t, "app.example.com", &both)), 2);
	EXPECT_EQ(port_of(route_lookup_alpn(t, "app.example.com", &other)), 1);
	EXPECT_EQ(port_of(route_lookup_alpn(t, "app.example.com", NULL)), 1);
	EXPECT_EQ(port_of(route_lookup(t, "app.example.com")), 1);
	/* an alpn= route alone: without the protocol the wildcard applies */
	EXPECT_EQ(port_of(route_lookup_alpn(t, "only.example.com", &h2)), 5);
	EXPECT_EQ(port_of(route_lookup_alpn(t, "only.example.com", &other)), 4);
	route_table_free(t);
	conf_free(c);
	/* the same name and alpn twice is refused */
	EXPECT_NE(conf_load_string("route_test", "[proxy web]\nlisten = 127.0.0.1:1\n"
				   "route = a.b 127.0.0.1:1 alpn=h2\nroute = a.b 127.0.0.1:2 alpn=h2\n", &c, NULL), 0);
	/* HTTP has no ALPN */
	EXPECT_NE(conf_load_string("route_test", "[proxy web]\nlisten = 127.0.0.1:1\nprotocol = http\n"
				   "route = a.b 127.0.0.1:1 alpn=h2\n", &c, NULL), 0);
}

TEST_HARNESS_MAIN
