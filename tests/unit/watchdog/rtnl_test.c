// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `probe = gateway` reads from rtnetlink, on crafted messages: the
 * main table's default route through one interface (IPv4 or IPv6, a
 * link-local gateway scoped to the interface), and the interface's own
 * IPv4 address for the ARP sender.
 */
#include "harness.h"

#include <arpa/inet.h>

#include "watchdog/rtnl.h"

static uint32_t buf[256];

static void put_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* RTM_NEWROUTE: dst_len 0 unless told, unicast, main table. */
static struct nlmsghdr *route(int family, unsigned char table, int oif, const char *via, unsigned char dst_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtmsg *rt = NLMSG_DATA(nh);
	uint8_t a[16];
	uint32_t o = (uint32_t)oif, metric = 100;

	memset(buf, 0, sizeof(buf));
	nh->nlmsg_type = RTM_NEWROUTE;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*rt));
	rt->rtm_family = (unsigned char)family;
	rt->rtm_table = table;
	rt->rtm_type = RTN_UNICAST;
	rt->rtm_dst_len = dst_len;
	put_attr(nh, RTA_OIF, &o, 4);
	put_attr(nh, RTA_PRIORITY, &metric, 4);
	if (via && inet_pton(family, via, a) == 1)
		put_attr(nh, RTA_GATEWAY, a, family == AF_INET ? 4 : 16);
	return nh;
}

TEST(default_route_through_the_interface)
{
	struct sockaddr_storage gw;
	struct sockaddr_in6 *g6 = (struct sockaddr_in6 *)&gw;
	struct sockaddr_in *g4 = (struct sockaddr_in *)&gw;
	char text[64];
	socklen_t len;
	uint32_t metric;

	ASSERT_TRUE(rtnl_parse_default_route(route(AF_INET, RT_TABLE_MAIN, 7, "192.0.2.1", 0), 7, &gw, &len, &metric));
	EXPECT_EQ(gw.ss_family, AF_INET);
	EXPECT_EQ(len, sizeof(struct sockaddr_in));
	EXPECT_STREQ(inet_ntop(AF_INET, &g4->sin_addr, text, sizeof(text)), "192.0.2.1");
	EXPECT_EQ(metric, 100);
	ASSERT_TRUE(rtnl_parse_default_route(route(AF_INET6, RT_TABLE_MAIN, 7, "fe80::1", 0), 7, &gw, &len, &metric));
	EXPECT_EQ(gw.ss_family, AF_INET6);
	EXPECT_STREQ(inet_ntop(AF_INET6, &g6->sin6_addr, text, sizeof(text)), "fe80::1");
	EXPECT_EQ(g6->sin6_scope_id, 7);
	ASSERT_TRUE(rtnl_parse_default_route(route(AF_INET6, RT_TABLE_MAIN, 7, "2001:db8::1", 0), 7, &gw, &len, &metric));
	EXPECT_EQ(g6->sin6_scope_id, 0);
	/* another interface, another table, not a default route, no gateway */
	EXPECT_FALSE(rtnl_parse_default_route(route(AF_INET, RT_TABLE_MAIN, 8, "192.0.2.1", 0), 7, &gw, &len, &metric));
	EXPECT_FALSE(rtnl_parse_default_route(route(AF_INET, 100, 7, "192.0.2.1", 0), 7, &gw, &len, &metric));
	EXPECT_FALSE(rtnl_parse_default_route(route(AF_INET, RT_TABLE_MAIN, 7, "192.0.2.1", 24), 7, &gw, &len, &metric));
	EXPECT_FALSE(rtnl_parse_default_route(route(AF_INET, RT_TABLE_MAIN, 7, NULL, 0), 7, &gw, &len, &metric));
	/* a truncated message is not read past its length */
	route(AF_INET, RT_TABLE_MAIN, 7, "192.0.2.1", 0)->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)) + 8;
	EXPECT_FALSE(rtnl_parse_default_route((struct nlmsghdr *)buf, 7, &gw, &len, &metric));
}

static struct nlmsghdr *addr4(int ifindex, const char *a, unsigned char plen)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	uint8_t b[4];

	memset(buf, 0, sizeof(buf));
	nh->nlmsg_type = RTM_NEWADDR;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = (uint32_t)ifindex;
	inet_pton(AF_INET, a, b);
	put_attr(nh, IFA_LOCAL, b, 4);
	return nh;
}

TEST(ipv4_address_of_the_interface)
{
	struct in_addr a;
	char text[32];
	int plen;

	ASSERT_TRUE(rtnl_parse_addr4(addr4(7, "192.0.2.7", 24), 7, &a, &plen));
	EXPECT_STREQ(inet_ntop(AF_INET, &a, text, sizeof(text)), "192.0.2.7");
	EXPECT_EQ(plen, 24);
	EXPECT_FALSE(rtnl_parse_addr4(addr4(8, "192.0.2.7", 24), 7, &a, &plen));
}

TEST_HARNESS_MAIN
