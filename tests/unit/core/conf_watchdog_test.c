// SPDX-License-Identifier: GPL-2.0-only
/*
 * The [watchdog] keys that choose the stall rule and its recovery proof:
 * the probe forms (ADDR, icmp ADDR, arp IPV4, ndp IPV6, gateway),
 * recover_samples and flap_window, their defaults and their errors.
 */
#include "harness.h"

#include <arpa/inet.h>

#include "core/conf.h"

static char errbuf[4096];

static struct conf *load(const char *text, int *rc)
{
	struct conf *c = NULL;
	FILE *f = fmemopen(errbuf, sizeof(errbuf), "w");

	*rc = conf_load_string("t.conf", text, &c, f);
	fclose(f);
	return c;
}

static const char *addr(const struct conf_addr *a, char *buf, size_t len)
{
	const struct sockaddr_storage *ss = &a->ss;

	inet_ntop(ss->ss_family, ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						       : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr,
		  buf, (socklen_t)len);
	return buf;
}

TEST(probe_forms)
{
	static const struct {
		const char *val;
		enum conf_probe_kind kind;
		const char *addr;
	} ok[] = {
		{ "192.0.2.1", CONF_PROBE_ICMP, "192.0.2.1" },
		{ "2001:db8::1", CONF_PROBE_ICMP, "2001:db8::1" },
		{ "icmp 192.0.2.1", CONF_PROBE_ICMP, "192.0.2.1" },
		{ "arp 192.0.2.1", CONF_PROBE_ARP, "192.0.2.1" },
		{ "ndp fe80::1", CONF_PROBE_NDP, "fe80::1" },
		{ "gateway", CONF_PROBE_GATEWAY, NULL },
	};
	char text[256], buf[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct conf *c;
		int rc;

		snprintf(text, sizeof(text), "[watchdog eth1]\nprobe = %s\n", ok[i].val);
		c = load(text, &rc);
		if (rc)
			TH_LOG("probe = %s: %s", ok[i].val, errbuf);
		ASSERT_EQ(rc, 0);
		EXPECT_TRUE(c->watchdogs[0].probe_on);
		EXPECT_EQ(c->watchdogs[0].probe_kind, ok[i].kind);
		if (ok[i].addr)
			EXPECT_STREQ(addr(&c->watchdogs[0].probe, buf, sizeof(buf)), ok[i].addr);
		conf_free(c);
	}
}

TEST(probe_errors_say_what_is_allowed)
{
	static const struct {
		const char *val, *says;
	} bad[] = {
		{ "arp 2001:db8::1", "arp probes an IPv4 address (ndp for IPv6)" },
		{ "ndp 192.0.2.1", "ndp probes an IPv6 address (arp for IPv4)" },
		{ "arp", "not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway" },
		{ "gateway 192.0.2.1", "not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway" },
		{ "arp 192.0.2.1 192.0.2.2", "not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway" },
		{ "rarp 192.0.2.1", "not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway" },
		/* a neighbour is an address; no DNS query at start-up */
		{ "router.example", "(addresses numeric)" },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct conf *c;
		int rc;

		snprintf(text, sizeof(text), "[watchdog eth1]\nprobe = %s\n", bad[i].val);
		c = load(text, &rc);
		EXPECT_EQ(rc, -EINVAL);
		EXPECT_TRUE(c == NULL);
		if (!strstr(errbuf, "t.conf:2: ") || !strstr(errbuf, "probe") || !strstr(errbuf, bad[i].says))
			TH_LOG("probe = %s: want '%s', got: %s", bad[i].val, bad[i].says, errbuf);
		EXPECT_TRUE(strstr(errbuf, bad[i].says) != NULL);
		EXPECT_TRUE(strstr(errbuf, "t.conf:2: ") != NULL);
	}
}

TEST(recover_samples_and_flap_window)
{
	struct conf *c;
	int rc;

	c = load("[watchdog eth1]\n", &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_FALSE(c->watchdogs[0].probe_on);
	EXPECT_EQ(c->watchdogs[0].recover_samples, 5);
	EXPECT_EQ(c->watchdogs[0].flap_window_ms, 300000);
	conf_free(c);
	c = load("[watchdog eth1]\nrecover_samples = 3\nflap_window = 0\n", &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->watchdogs[0].recover_samples, 3);
	EXPECT_EQ(c->watchdogs[0].flap_window_ms, 0);
	conf_free(c);
	c = load("[watchdog eth1]\nflap_window = 10m\n", &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->watchdogs[0].flap_window_ms, 600000);
	conf_free(c);
	c = load("[watchdog eth1]\nrecover_samples = 0\n", &rc);
	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(errbuf, "recover_samples") != NULL);
	c = load("[watchdog eth1]\nrecover_samples = 2\nrecover_samples = 3\n", &rc);
	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(errbuf, "set twice") != NULL);
}

TEST_HARNESS_MAIN
