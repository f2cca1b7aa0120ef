// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the PROXY protocol header builder: expected bytes per case. */
#include "harness.h"

#include <arpa/inet.h>

#include "proxy/pp.h"

static struct sockaddr_storage sa(const char *ip, int port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return ss;
}

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

struct pcase {
	const char *what;
	enum conf_pp ver;
	const char *src; int sport;
	const char *dst; int dport;
	const char *authority;
	const uint8_t *want;
	size_t want_len;
};
#define W(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define T(str) (const uint8_t *)(str), sizeof(str) - 1

static const struct pcase cases[] = {
	{ "v1 tcp4", PP_V1, "192.0.2.1", 56324, "198.51.100.7", 443, NULL,
	  T("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n") },
	{ "v1 tcp6", PP_V1, "2001:db8::1", 1, "2001:db8::2", 65535, "x",
	  T("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n") },
	{ "v1 mapped is tcp4", PP_V1, "::ffff:10.0.0.1", 5, "::ffff:10.0.0.2", 6, NULL,
	  T("PROXY TCP4 10.0.0.1 10.0.0.2 5 6\r\n") },
	{ "v1 mixed is unknown", PP_V1, "10.0.0.1", 5, "2001:db8::2", 6, NULL,
	  T("PROXY UNKNOWN\r\n") },
	{ "v2 tcp4", PP_V2, "192.0.2.1", 0x1234, "198.51.100.7", 443, NULL,
	  W(SIG, 0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51, 100, 7, 0x12, 0x34, 0x01, 0xbb) },
	{ "v2 tcp4 with authority", PP_V2, "10.1.2.3", 1, "10.1.2.4", 2, "a.example",
	  W(SIG, 0x21, 0x11, 0x00, 0x18, 10, 1, 2, 3, 10, 1, 2, 4, 0, 1, 0, 2,
	    0x02, 0x00, 0x09, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e') },
	{ "v2 tcp6", PP_V2, "2001:db8::1", 80, "2001:db8::2", 443, "",
	  W(SIG, 0x21, 0x21, 0x00, 0x24,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 80, 0x01, 0xbb) },
	{ "v2 mixed is tcp6 mapped", PP_V2, "10.0.0.1", 1, "2001:db8::2", 2, NULL,
	  W(SIG, 0x21, 0x21, 0x00, 0x24,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 2) },
};

TEST(header_bytes)
{
	uint8_t buf[PP_MAX_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct sockaddr_storage s = sa(c->src, c->sport), d = sa(c->dst, c->dport);
		int n = pp_build(c->ver, (struct sockaddr *)&s, (struct sockaddr *)&d, c->authority,
				 buf, sizeof(buf));

		if (n != (int)c->want_len)
			TH_LOG("case '%s': length %d, want %zu", c->what, n, c->want_len);
		ASSERT_EQ(n, (int)c->want_len);
		EXPECT_MEMEQ(buf, c->want, c->want_len);
	}
}

TEST(limits)
{
	struct sockaddr_storage s = sa("2001:db8::1", 1), d = sa("2001:db8::2", 2), u;
	char longname[300];
	uint8_t buf[PP_MAX_LEN];

	memset(longname, 'a', 255);
	longname[255] = 0;
	/* the largest header fits PP_MAX_LEN exactly */
	EXPECT_EQ(pp_build(PP_V2, (void *)&s, (void *)&d, longname, buf, sizeof(buf)), PP_MAX_LEN);
	EXPECT_EQ(pp_build(PP_V2, (void *)&s, (void *)&d, longname, buf, PP_MAX_LEN - 1), -ENOSPC);
	EXPECT_EQ(pp_build(PP_V1, (void *)&s, (void *)&d, NULL, buf, 10), -ENOSPC);
	EXPECT_EQ(pp_build(PP_OFF, (void *)&s, (void *)&d, NULL, buf, sizeof(buf)), -EINVAL);
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	EXPECT_EQ(pp_build(PP_V1, (void *)&u, (void *)&d, NULL, buf, sizeof(buf)), -EINVAL);
	/* a name longer than 255 bytes cannot be a host name: left out */
	memset(longname, 'b', 299);
	longname[299] = 0;
	EXPECT_EQ(pp_build(PP_V2, (void *)&s, (void *)&d, longname, buf, sizeof(buf)), 16 + 36);
}

TEST_HARNESS_MAIN
