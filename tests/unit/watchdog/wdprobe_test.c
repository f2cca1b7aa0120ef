// SPDX-License-Identifier: GPL-2.0-only
/*
 * The probe's builders and answer matchers on crafted bytes: only an echo
 * reply from the neighbour with our identifier, an ARP reply from the
 * neighbour to us, or a solicited NA from the neighbour for the neighbour
 * counts; no length or header field can make them read out of bounds.
 */
#include "harness.h"

#include <arpa/inet.h>

#include "watchdog/wdprobe.h"

#define ID 0x4242

static void setup(struct wd_probe *p, struct sockaddr_storage *from, int family, const char *peer,
		  const char *src)
{
	wd_probe_init(p, ID);
	memset(from, 0, sizeof(*from));
	p->t.addr.ss_family = (sa_family_t)family;
	from->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, peer, &((struct sockaddr_in *)&p->t.addr)->sin_addr);
		inet_pton(AF_INET, src, &((struct sockaddr_in *)from)->sin_addr);
	} else {
		inet_pton(AF_INET6, peer, &((struct sockaddr_in6 *)&p->t.addr)->sin6_addr);
		inet_pton(AF_INET6, src, &((struct sockaddr_in6 *)from)->sin6_addr);
	}
}

/* IPv4 header (ihl words) + ICMP type/code/csum/id/seq. */
static size_t v4(uint8_t *b, int ihl, uint8_t type, uint16_t id)
{
	memset(b, 0, 80);
	b[0] = (uint8_t)(0x40 | ihl);
	b[ihl * 4] = type;
	b[ihl * 4 + 4] = (uint8_t)(id >> 8);
	b[ihl * 4 + 5] = (uint8_t)id;
	return (size_t)ihl * 4 + 16;
}

TEST(ipv4_reply_matching)
{
	struct sockaddr_storage from;
	struct wd_probe p;
	uint8_t b[80];
	size_t n;

	setup(&p, &from, AF_INET, "192.0.2.1", "192.0.2.1");
	n = v4(b, 5, 0, ID);
	EXPECT_TRUE(wd_probe_match(&p, &from, b, n));
	/* IP options: still found after the longer header */
	n = v4(b, 7, 0, ID);
	EXPECT_TRUE(wd_probe_match(&p, &from, b, n));
	/* another identifier (another pinger), a request, a truncated ICMP header */
	n = v4(b, 5, 0, ID + 1);
	EXPECT_FALSE(wd_probe_match(&p, &from, b, n));
	n = v4(b, 5, 8, ID);
	EXPECT_FALSE(wd_probe_match(&p, &from, b, n));
	n = v4(b, 5, 0, ID);
	EXPECT_FALSE(wd_probe_match(&p, &from, b, 27));
	EXPECT_FALSE(wd_probe_match(&p, &from, b, 3));
	/* a header length below the minimum, and one longer than the datagram */
	n = v4(b, 5, 0, ID);
	b[0] = 0x43;
	EXPECT_FALSE(wd_probe_match(&p, &from, b, n));
	b[0] = 0x4f;
	EXPECT_FALSE(wd_probe_match(&p, &from, b, n));
	/* from someone else */
	setup(&p, &from, AF_INET, "192.0.2.1", "192.0.2.99");
	n = v4(b, 5, 0, ID);
	EXPECT_FALSE(wd_probe_match(&p, &from, b, n));
}

TEST(ipv6_reply_matching)
{
	struct sockaddr_storage from;
	struct wd_probe p;
	uint8_t b[16] = { 129, 0, 0, 0, ID >> 8, ID & 0xff, 0, 1 };

	setup(&p, &from, AF_INET6, "2001:db8::1", "2001:db8::1");
	EXPECT_TRUE(wd_probe_match(&p, &from, b, sizeof(b)));
	EXPECT_FALSE(wd_probe_match(&p, &from, b, 7));
	b[0] = 128;	/* echo request */
	EXPECT_FALSE(wd_probe_match(&p, &from, b, sizeof(b)));
	b[0] = 129;
	b[5] ^= 1;
	EXPECT_FALSE(wd_probe_match(&p, &from, b, sizeof(b)));
	b[5] ^= 1;
	setup(&p, &from, AF_INET6, "2001:db8::1", "2001:db8::2");
	EXPECT_FALSE(wd_probe_match(&p, &from, b, sizeof(b)));
}

static const uint8_t MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static void arp_setup(struct wd_probe *p, const char *target, const char *src)
{
	wd_probe_init(p, ID);
	p->t.kind = WD_PROBE_ARP;
	p->t.addr.ss_family = AF_INET;
	inet_pton(AF_INET, target, &((struct sockaddr_in *)&p->t.addr)->sin_addr);
	inet_pton(AF_INET, src, &p->t.src4);
	memcpy(p->t.mac, MAC, 6);
}

/* The reply a neighbour sends to our request: swap the roles. */
static void arp_reply(const struct wd_probe *p, uint8_t *b)
{
	uint8_t req[WD_ARP_LEN];

	wd_arp_build(&p->t, req);
	memcpy(b, req, 8);
	b[7] = 2;
	memcpy(b + 8, PEER_MAC, 6);
	memcpy(b + 14, req + 24, 4);
	memcpy(b + 18, req + 8, 6);
	memcpy(b + 24, req + 14, 4);
}

TEST(arp_request_bytes)
{
	static const uint8_t want[WD_ARP_LEN] = {
		0, 1, 8, 0, 6, 4, 0, 1,			/* Ethernet, IPv4, request */
		0x02, 0, 0, 0, 0, 0x01, 192, 0, 2, 7,	/* sender: us */
		0, 0, 0, 0, 0, 0, 192, 0, 2, 1,		/* target: the neighbour */
	};
	struct wd_probe p;
	uint8_t b[WD_ARP_LEN];

	arp_setup(&p, "192.0.2.1", "192.0.2.7");
	wd_arp_build(&p.t, b);
	EXPECT_MEMEQ(b, want, sizeof(want));
}

TEST(arp_reply_matching)
{
	struct wd_probe p;
	uint8_t b[64];

	arp_setup(&p, "192.0.2.1", "192.0.2.7");
	arp_reply(&p, b);
	EXPECT_TRUE(wd_arp_match(&p, b, WD_ARP_LEN));
	EXPECT_TRUE(wd_arp_match(&p, b, sizeof(b)));	/* Ethernet padding */
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN - 1));
	/* a request (our own, looped back, or anyone's) is not an answer */
	b[7] = 1;
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN));
	/* a reply from another host, to another host, to another address of ours */
	arp_reply(&p, b);
	b[17] ^= 1;
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN));
	arp_reply(&p, b);
	b[23] ^= 1;
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN));
	arp_reply(&p, b);
	b[27] ^= 1;
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN));
	/* not Ethernet/IPv4 */
	arp_reply(&p, b);
	b[3] = 0xdd;
	EXPECT_FALSE(wd_arp_match(&p, b, WD_ARP_LEN));
	/* no address of our own: an RFC 5227 probe, answered to 0.0.0.0 */
	arp_setup(&p, "192.0.2.1", "0.0.0.0");
	arp_reply(&p, b);
	EXPECT_TRUE(wd_arp_match(&p, b, WD_ARP_LEN));
	EXPECT_EQ(b[24] | b[25] | b[26] | b[27], 0);
}

static void ndp_setup(struct wd_probe *p, struct sockaddr_storage *from, const char *target, const char *src)
{
	wd_probe_init(p, ID);
	p->t.kind = WD_PROBE_NDP;
	p->t.addr.ss_family = AF_INET6;
	inet_pton(AF_INET6, target, &((struct sockaddr_in6 *)&p->t.addr)->sin6_addr);
	memcpy(p->t.mac, MAC, 6);
	memset(from, 0, sizeof(*from));
	from->ss_family = AF_INET6;
	inet_pton(AF_INET6, src, &((struct sockaddr_in6 *)from)->sin6_addr);
}

TEST(ndp_solicitation_bytes_and_group)
{
	struct sockaddr_storage from;
	struct in6_addr g, want;
	struct wd_probe p;
	uint8_t b[WD_NS_LEN];

	ndp_setup(&p, &from, "fe80::1234:5678:9abc", "fe80::1");
	wd_ns_build(&p.t, b);
	EXPECT_EQ(b[0], 135);
	EXPECT_EQ(b[1], 0);
	EXPECT_MEMEQ(b + 8, &((struct sockaddr_in6 *)&p.t.addr)->sin6_addr, 16);
	EXPECT_EQ(b[24], 1);	/* source link-layer address option, 8 bytes */
	EXPECT_EQ(b[25], 1);
	EXPECT_MEMEQ(b + 26, MAC, 6);
	wd_solicited_node(&((struct sockaddr_in6 *)&p.t.addr)->sin6_addr, &g);
	inet_pton(AF_INET6, "ff02::1:ff78:9abc", &want);
	EXPECT_MEMEQ(&g, &want, 16);
}

TEST(ndp_advertisement_matching)
{
	struct sockaddr_storage from;
	struct wd_probe p;
	uint8_t b[32] = { 136, 0, 0, 0, 0x60 };	/* solicited, override */

	ndp_setup(&p, &from, "2001:db8::1", "2001:db8::1");
	memcpy(b + 8, &((struct sockaddr_in6 *)&p.t.addr)->sin6_addr, 16);
	EXPECT_TRUE(wd_ndp_match(&p, &from, b, 24));
	EXPECT_TRUE(wd_ndp_match(&p, &from, b, sizeof(b)));
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 23));
	/* unsolicited (an announcement), a solicitation, a non-zero code */
	b[4] = 0x20;
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 24));
	b[4] = 0x60;
	b[0] = 135;
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 24));
	b[0] = 136;
	b[1] = 1;
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 24));
	b[1] = 0;
	/* for another target; from another sender */
	b[23] ^= 1;
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 24));
	b[23] ^= 1;
	ndp_setup(&p, &from, "2001:db8::1", "2001:db8::2");
	EXPECT_FALSE(wd_ndp_match(&p, &from, b, 24));
}

/* A full device queue is a probe unanswered, not a reason to drop the rule. */
TEST(send_errors_that_keep_the_probe_rule)
{
	EXPECT_TRUE(wd_probe_in_force(0));
	EXPECT_TRUE(wd_probe_in_force(-ENOBUFS));
	EXPECT_TRUE(wd_probe_in_force(-EAGAIN));
	EXPECT_FALSE(wd_probe_in_force(-ENETUNREACH));
	EXPECT_FALSE(wd_probe_in_force(-EADDRNOTAVAIL));
	EXPECT_FALSE(wd_probe_in_force(-ENETDOWN));
	EXPECT_FALSE(wd_probe_in_force(-EPERM));
}

/* Every length of every prefix of random bytes: never a crash. */
TEST(random_datagrams_are_safe)
{
	struct sockaddr_storage from;
	struct wd_probe p;
	uint8_t b[128];
	unsigned seed = 1;
	int fam, i, len, hits = 0;

	for (fam = 0; fam < 2; fam++) {
		setup(&p, &from, fam ? AF_INET6 : AF_INET, fam ? "::1" : "127.0.0.1", fam ? "::1" : "127.0.0.1");
		for (i = 0; i < 2000; i++) {
			for (size_t j = 0; j < sizeof(b); j++)
				b[j] = (uint8_t)rand_r(&seed);
			for (len = 0; len <= (int)sizeof(b); len += 7)
				hits += wd_probe_match(&p, &from, b, (size_t)len);
		}
	}
	/* a random datagram is almost never our reply */
	EXPECT_LT(hits, 5);
	arp_setup(&p, "192.0.2.1", "192.0.2.7");
	for (i = 0; i < 2000; i++) {
		for (size_t j = 0; j < sizeof(b); j++)
			b[j] = (uint8_t)rand_r(&seed);
		for (len = 0; len <= (int)sizeof(b); len += 3)
			hits += wd_arp_match(&p, b, (size_t)len);
	}
	ndp_setup(&p, &from, "fe80::1", "fe80::1");
	for (i = 0; i < 2000; i++) {
		for (size_t j = 0; j < sizeof(b); j++)
			b[j] = (uint8_t)rand_r(&seed);
		for (len = 0; len <= (int)sizeof(b); len += 3)
			hits += wd_ndp_match(&p, &from, b, (size_t)len);
	}
	EXPECT_LT(hits, 5);
}

TEST_HARNESS_MAIN
