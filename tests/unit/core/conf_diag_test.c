// SPDX-License-Identifier: GPL-2.0-only
/* Config keys of the diagnostics: port ranges in syslog_ports /
 * proxy_ports, the `other` class lists, rule_hits and talkers. */
#include "harness.h"

#include "core/conf.h"

static const char *parse(const char *text, struct conf **out, int *rc)
{
	static char errbuf[4096];
	FILE *f = fmemopen(errbuf, sizeof(errbuf) - 1, "w");

	memset(errbuf, 0, sizeof(errbuf));
	*out = NULL;
	*rc = conf_load_string("t.conf", text, out, f);
	fclose(f);
	return errbuf;
}

TEST(port_ranges_and_single_ports)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\nsyslog_ports = 514 6000-6010\n"
				"proxy_ports = 443\nproxy_ports = 8000-8000 9000-65535\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	ASSERT_EQ(c->xdp.n_syslog_ports, 2);
	EXPECT_EQ(c->xdp.syslog_ports[0], 514);
	EXPECT_EQ(c->xdp.syslog_ports_last[0], 514);
	EXPECT_EQ(c->xdp.syslog_ports[1], 6000);
	EXPECT_EQ(c->xdp.syslog_ports_last[1], 6010);
	ASSERT_EQ(c->xdp.n_proxy_ports, 3);
	EXPECT_EQ(c->xdp.proxy_ports[1], 8000);
	EXPECT_EQ(c->xdp.proxy_ports_last[1], 8000);
	EXPECT_EQ(c->xdp.proxy_ports_last[2], 65535);
	conf_free(c);
}

TEST(bad_port_ranges_named)
{
	static const char *const bad[] = { "6010-6000", "0-5", "6000-", "-5", "6000-70000", "1-2-3" };
	char text[128];
	struct conf *c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err;

		snprintf(text, sizeof(text), "[xdp]\ninterfaces = eth0\nsyslog_ports = %s\n", bad[i]);
		err = parse(text, &c, &rc);
		EXPECT_NE(rc, 0);
		EXPECT_TRUE(strstr(err, "t.conf:3") && strstr(err, "syslog_ports"));
		if (!strstr(err, "syslog_ports"))
			TH_LOG("%s: %s", bad[i], err);
		conf_free(c);
	}
}

TEST(other_lists_and_switches)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.allow_other.n, 0);
	EXPECT_EQ(c->xdp.deny_other.n, 0);
	EXPECT_TRUE(c->xdp.rule_hits);
	EXPECT_TRUE(c->xdp.talkers);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\nallow_other = 10.0.0.0/8 ::/0\ndeny_other = 10.1.0.0/16\n"
		    "rule_hits = no\ntalkers = no\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.allow_other.n, 2);
	EXPECT_EQ(c->xdp.deny_other.n, 1);
	EXPECT_FALSE(c->xdp.rule_hits);
	EXPECT_FALSE(c->xdp.talkers);
	conf_free(c);
}

/* syslog_tcp_ports: no default (TCP to 514 stays `other` unless listed),
 * ranges like the other port keys, and a port in proxy_ports too is an
 * error naming it. */
TEST(syslog_tcp_ports_parsed_and_apart_from_proxy_ports)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->xdp.n_syslog_tcp_ports, 0);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\nsyslog_tcp_ports = 514\nsyslog_tcp_ports = 6514-6515\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	ASSERT_EQ(c->xdp.n_syslog_tcp_ports, 2);
	EXPECT_EQ(c->xdp.syslog_tcp_ports[0], 514);
	EXPECT_EQ(c->xdp.syslog_tcp_ports_last[0], 514);
	EXPECT_EQ(c->xdp.syslog_tcp_ports[1], 6514);
	EXPECT_EQ(c->xdp.syslog_tcp_ports_last[1], 6515);
	conf_free(c);
	/* 443 is the default proxy port */
	err = parse("[xdp]\ninterfaces = eth0\nsyslog_tcp_ports = 400-500\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_TRUE(strstr(err, "syslog_tcp_ports: port 443 is also in proxy_ports") != NULL);
	if (!strstr(err, "port 443"))
		TH_LOG("%s", err);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\nproxy_ports = 8000-8100\nsyslog_tcp_ports = 514 8100\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_TRUE(strstr(err, "port 8100 is also in proxy_ports") != NULL);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\nsyslog_tcp_ports = 0\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_TRUE(strstr(err, "t.conf:3") && strstr(err, "syslog_tcp_ports"));
	conf_free(c);
}

/* talkers_sample: a power of two from 1 to 256, kept as its log2 (the
 * shift the XDP program uses); 16 by default; anything else is refused. */
TEST(talkers_sample_powers_of_two)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->xdp.talkers_sample_shift, 4);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\ntalkers_sample = 1\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->xdp.talkers_sample_shift, 0);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\ntalkers_sample = 256\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->xdp.talkers_sample_shift, 8);
	conf_free(c);
	err = parse("[xdp]\ninterfaces = eth0\ntalkers_sample = 10\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_TRUE(strstr(err, "talkers_sample") != NULL);
	EXPECT_TRUE(strstr(err, "'10' is not one of") != NULL);
	conf_free(c);
}

TEST_HARNESS_MAIN
