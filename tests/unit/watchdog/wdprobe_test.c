// SPDX-License-Identifier: GPL-2.0-only
/*
 * The probe's reply matcher on crafted datagrams: only an echo reply
 * from the configured neighbour with our identifier counts, and no
 * length or header field can make it read out of bounds.
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
	p->peer.ss_family = (sa_family_t)family;
	from->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, peer, &((struct sockaddr_in *)&p->peer)->sin_addr);
		inet_pton(AF_INET, src, &((struct sockaddr_in *)from)->sin_addr);
	} else {
		inet_pton(AF_INET6, peer, &((struct sockaddr_in6 *)&p->peer)->sin6_addr);
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
}

TEST_HARNESS_MAIN
