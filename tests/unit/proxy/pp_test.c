// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the PROXY protocol header builder (expected bytes per case)
 * and parser (a table of byte arrays with the documented result). */
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

/* ---- the parser -------------------------------------------------------- */

struct qcase {
	const char *what;
	unsigned accept;
	const uint8_t *in;
	size_t in_len;
	enum pp_parse_result want;
	size_t want_len;	/* on OK */
	const char *src;	/* on OK with an address pair, else NULL */
	int sport;
	const char *dst;
	int dport;
};
#define BOTH (PP_ACCEPT_V1 | PP_ACCEPT_V2)
#define NM PP_PARSE_NEED_MORE
#define BAD PP_PARSE_BAD
#define OK PP_PARSE_OK

static const struct qcase qcases[] = {
	{ "v1 tcp4 + payload", BOTH, T("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET"), OK, 45,
	  "192.0.2.1", 56324, "198.51.100.7", 443 },
	{ "v1 tcp6", PP_ACCEPT_V1, T("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"), OK, 44,
	  "2001:db8::1", 1, "2001:db8::2", 65535 },
	{ "v1 unknown", BOTH, T("PROXY UNKNOWN\r\n"), OK, 15, NULL, 0, NULL, 0 },
	{ "v1 unknown with addresses", BOTH, T("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n"), OK, 39,
	  NULL, 0, NULL, 0 },
	{ "v1 prefix only", BOTH, T("PRO"), NM, 0, NULL, 0, NULL, 0 },
	{ "v1 no CRLF yet", BOTH, T("PROXY TCP4 192.0.2.1 198.51.100.7 56324"), NM, 0, NULL, 0, NULL, 0 },
	{ "v1 not accepted", PP_ACCEPT_V2, T("PROXY TCP4 1.2.3.4 1.2.3.5 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "a TLS hello is no header", BOTH, W(0x16, 0x03, 0x01, 0x00, 0x10), BAD, 0, NULL, 0, NULL, 0 },
	{ "an HTTP request is no header", BOTH, T("GET / HTTP/1.1\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 lower case", BOTH, T("proxy TCP4 1.2.3.4 1.2.3.5 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 bad family", BOTH, T("PROXY TCP5 1.2.3.4 1.2.3.5 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 v6 address in tcp4", BOTH, T("PROXY TCP4 ::1 ::2 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 port too big", BOTH, T("PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 leading zero", BOTH, T("PROXY TCP4 1.2.3.4 1.2.3.5 01 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 missing port", BOTH, T("PROXY TCP4 1.2.3.4 1.2.3.5 1\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 extra field", BOTH, T("PROXY TCP4 1.2.3.4 1.2.3.5 1 2 3\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 double space", BOTH, T("PROXY TCP4  1.2.3.4 1.2.3.5 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 LF without CR", BOTH, T("PROXY TCP4 1.2.3.4 1.2.3.5 1 2\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 CR inside", BOTH, T("PROXY TCP4 1.2.3.4\r1.2.3.5 1 2\r\n"), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 NUL inside", BOTH, W('P', 'R', 'O', 'X', 'Y', ' ', 0, '\r', '\n'), BAD, 0, NULL, 0, NULL, 0 },
	{ "v1 longer than 107 bytes", BOTH,
	  T("PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	  BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 tcp4 + payload", BOTH,
	  W(SIG, 0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51, 100, 7, 0x12, 0x34, 0x01, 0xbb, 0x16),
	  OK, 28, "192.0.2.1", 0x1234, "198.51.100.7", 443 },
	{ "v2 tcp4 with a TLV", PP_ACCEPT_V2,
	  W(SIG, 0x21, 0x11, 0x00, 0x0f, 10, 1, 2, 3, 10, 1, 2, 4, 0, 1, 0, 2, 0x02, 0x00, 0x00),
	  OK, 31, "10.1.2.3", 1, "10.1.2.4", 2 },
	{ "v2 tcp6", BOTH,
	  W(SIG, 0x21, 0x21, 0x00, 0x24,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 80, 0x01, 0xbb),
	  OK, 52, "2001:db8::1", 80, "2001:db8::2", 443 },
	{ "v2 local", BOTH, W(SIG, 0x20, 0x00, 0x00, 0x00), OK, 16, NULL, 0, NULL, 0 },
	{ "v2 udp4: no TCP pair", BOTH,
	  W(SIG, 0x21, 0x12, 0x00, 0x0c, 1, 2, 3, 4, 1, 2, 3, 5, 0, 1, 0, 2), OK, 28, NULL, 0, NULL, 0 },
	{ "v2 signature only", BOTH, W(SIG), NM, 0, NULL, 0, NULL, 0 },
	{ "v2 body short", BOTH, W(SIG, 0x21, 0x11, 0x00, 0x0c, 1, 2, 3), NM, 0, NULL, 0, NULL, 0 },
	{ "v2 not accepted", PP_ACCEPT_V1, W(SIG, 0x20, 0x00, 0x00, 0x00), BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 bad signature", BOTH, W(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0b),
	  BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 version 1", BOTH, W(SIG, 0x11, 0x11, 0x00, 0x0c), BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 command 2", BOTH, W(SIG, 0x22, 0x11, 0x00, 0x0c), BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 tcp4 length too short", BOTH,
	  W(SIG, 0x21, 0x11, 0x00, 0x08, 1, 2, 3, 4, 1, 2, 3, 5), BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 tcp6 length too short", BOTH, W(SIG, 0x21, 0x21, 0x00, 0x0c), BAD, 0, NULL, 0, NULL, 0 },
	{ "v2 too long", BOTH, W(SIG, 0x21, 0x11, 0x08, 0x01), BAD, 0, NULL, 0, NULL, 0 },
};

TEST(parse_table)
{
	for (size_t i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		const struct qcase *q = &qcases[i];
		struct pp_info info;
		enum pp_parse_result r = pp_parse(q->in, q->in_len, q->accept, &info);

		if (r != q->want)
			TH_LOG("case '%s': result %d, want %d", q->what, r, q->want);
		ASSERT_EQ(r, q->want);
		if (r != PP_PARSE_OK)
			continue;
		EXPECT_EQ(info.len, q->want_len);
		EXPECT_EQ(info.has_addr, q->src != NULL);
		if (q->src) {
			struct sockaddr_storage s = sa(q->src, q->sport), d = sa(q->dst, q->dport);
			size_t n = s.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

			EXPECT_MEMEQ(&info.src, &s, n);
			EXPECT_MEMEQ(&info.dst, &d, n);
		}
	}
}

/* Every header the builder writes parses back to its addresses, and
 * every proper prefix of it asks for more. */
TEST(build_then_parse)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct sockaddr_storage s = sa(c->src, c->sport), d = sa(c->dst, c->dport);
		uint8_t buf[PP_MAX_LEN];
		struct pp_info info;
		int n = pp_build(c->ver, (struct sockaddr *)&s, (struct sockaddr *)&d, c->authority,
				 buf, sizeof(buf));

		ASSERT_GT(n, 0);
		ASSERT_EQ(pp_parse(buf, (size_t)n, PP_ACCEPT_V1 | PP_ACCEPT_V2, &info), PP_PARSE_OK);
		EXPECT_EQ(info.len, (size_t)n);
		for (int k = 0; k < n; k++)
			EXPECT_EQ(pp_parse(buf, (size_t)k, PP_ACCEPT_V1 | PP_ACCEPT_V2, &info), PP_PARSE_NEED_MORE);
	}
}

TEST_HARNESS_MAIN
