// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of origin = yes (origin.c): [origin ip="..."] on RFC 5424. */
#include "harness.h"

#include "syslog/origin.h"
#include "syslog/syslog_msg.h"

struct ocase {
	const char *in;
	const char *out;	/* NULL: left as it is */
};

static const struct ocase ocases[] = {
	{ "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - 'su root' failed",
	  "<34>1 2003-10-11T22:14:15.003Z host su - ID47 [origin ip=\"192.0.2.7\"] 'su root' failed" },
	{ "<34>1 - - - - - -", "<34>1 - - - - - [origin ip=\"192.0.2.7\"]" },
	{ "<165>1 2003-10-11T22:14:15.003Z h app - ID47 [ex@32473 iut=\"3\"] \xef\xbb\xbf" "msg",
	  "<165>1 2003-10-11T22:14:15.003Z h app - ID47 [ex@32473 iut=\"3\"][origin ip=\"192.0.2.7\"] "
	  "\xef\xbb\xbf" "msg" },
	{ "<165>1 - h app - - [a@1 x=\"]\"][b@2]", "<165>1 - h app - - [a@1 x=\"]\"][b@2][origin ip=\"192.0.2.7\"]" },
	/* already there: an SD-ID appears once */
	{ "<165>1 - h app - - [origin ip=\"10.0.0.1\"] m", NULL },
	/* RFC 3164 and garbage: unchanged */
	{ "<13>Oct 11 22:14:15 host app: text", NULL },
	{ "no pri", NULL },
};

TEST(table)
{
	size_t i;

	for (i = 0; i < sizeof(ocases) / sizeof(ocases[0]); i++) {
		const struct ocase *c = &ocases[i];
		uint8_t out[512];
		size_t n = syslog_add_origin((const uint8_t *)c->in, strlen(c->in), "192.0.2.7", out, sizeof(out));

		if (!c->out) {
			EXPECT_EQ(n, 0);
			continue;
		}
		if (n != strlen(c->out) || memcmp(out, c->out, n))
			TH_LOG("case %zu: got '%.*s'", i, (int)n, out);
		EXPECT_EQ(n, strlen(c->out));
		EXPECT_MEMEQ(out, c->out, strlen(c->out));
		EXPECT_EQ(syslog_msg_parse(out, n, NULL), SYSLOG_OK);
	}
}

TEST(ipv6_fits_the_reserve)
{
	const char *in = "<34>1 - - - - - - x";
	uint8_t out[19 + SYSLOG_ORIGIN_EXTRA];
	size_t n = syslog_add_origin((const uint8_t *)in, strlen(in),
				     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", out, sizeof(out));

	EXPECT_GT(n, 0);
	EXPECT_LE(n, sizeof(out));
	EXPECT_EQ(syslog_msg_parse(out, n, NULL), SYSLOG_OK);
}

TEST_HARNESS_MAIN
