// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of origin = yes (origin.c): [origin ip="..."] on RFC 5424, with
 * a client certificate's subject escaped and bounded. */
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
		size_t n = syslog_add_origin((const uint8_t *)c->in, strlen(c->in), "192.0.2.7", NULL, out,
					     sizeof(out));

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
				     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", NULL, out, sizeof(out));

	EXPECT_GT(n, 0);
	EXPECT_LE(n, sizeof(out));
	EXPECT_EQ(syslog_msg_parse(out, n, NULL), SYSLOG_OK);
}

/* The subject as a PARAM-VALUE: '"', '\' and ']' escaped, control bytes
 * and broken UTF-8 as '?', well-formed UTF-8 kept. */
TEST(subject_escaped)
{
	static const struct {
		const char *subject, *value;
	} t[] = {
		{ "CN=sender-1,O=Example", "CN=sender-1,O=Example" },
		{ "CN=a\"b", "CN=a\\\"b" },
		{ "CN=x]y", "CN=x\\]y" },
		{ "CN=Example\\, Inc", "CN=Example\\\\, Inc" },	/* DN escape, then SD escape */
		{ "CN=tab\there\x7f", "CN=tab?here?" },
		{ "CN=M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x92", "CN=M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x92" },
		{ "CN=\xc3(\xff\xc0\xaf\xed\xa0\x80", "CN=?(??????" },
		{ "", NULL },		/* no subject: ip only */
	};
	const char *in = "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - text";
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char want[512];
		uint8_t out[512];
		size_t n = syslog_add_origin((const uint8_t *)in, strlen(in), "192.0.2.7", t[i].subject, out,
					     sizeof(out));

		if (t[i].value)
			snprintf(want, sizeof(want), "<34>1 2003-10-11T22:14:15.003Z host su - ID47 "
				 "[origin ip=\"192.0.2.7\" subject=\"%s\"] text", t[i].value);
		else
			snprintf(want, sizeof(want), "<34>1 2003-10-11T22:14:15.003Z host su - ID47 "
				 "[origin ip=\"192.0.2.7\"] text");
		if (n != strlen(want) || memcmp(out, want, n))
			TH_LOG("case %zu: got '%.*s'", i, (int)n, out);
		EXPECT_EQ(n, strlen(want));
		EXPECT_MEMEQ(out, want, strlen(want));
		EXPECT_EQ(syslog_msg_parse(out, n, NULL), SYSLOG_OK);
	}
}

/* A long subject is cut at SYSLOG_ORIGIN_SUBJECT_MAX escaped bytes, never
 * inside an escape or a UTF-8 character, and the whole still fits the
 * reserve and parses. */
TEST(subject_bounded)
{
	const char *in = "<34>1 - - - - - - x";
	char subject[1024];
	uint8_t esc[SYSLOG_ORIGIN_SUBJECT_MAX + 8];
	size_t i, n, k;

	/* only quotes: 2 bytes each, so the cut lands on an even count */
	memset(subject, '"', 1000);
	subject[1000] = 0;
	n = syslog_sd_escape(subject, esc, SYSLOG_ORIGIN_SUBJECT_MAX - 1);
	EXPECT_EQ(n, SYSLOG_ORIGIN_SUBJECT_MAX - 2);
	for (i = 0; i < n; i += 2) {
		EXPECT_EQ(esc[i], '\\');
		EXPECT_EQ(esc[i + 1], '"');
	}
	/* three-byte characters from an offset of 1: the cut is on a boundary */
	subject[0] = 'a';
	for (i = 1; i + 3 < 1000; i += 3)
		memcpy(subject + i, "\xe2\x82\xac", 3);
	subject[i] = 0;
	n = syslog_sd_escape(subject, esc, SYSLOG_ORIGIN_SUBJECT_MAX);
	EXPECT_EQ(n, 1 + (SYSLOG_ORIGIN_SUBJECT_MAX - 1) / 3 * 3);
	EXPECT_MEMEQ(esc, subject, n);
	/* in a message: every kind of long subject fits the reserve */
	for (k = 0; k < 3; k++) {
		uint8_t out[19 + SYSLOG_ORIGIN_EXTRA];
		size_t m;

		for (i = 0; i < 1000; i++)
			subject[i] = k == 0 ? 'A' : k == 1 ? "\\]\""[i % 3] : (char)(0x80 + i % 64);
		subject[1000] = 0;
		m = syslog_add_origin((const uint8_t *)in, strlen(in),
				      "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", subject, out, sizeof(out));
		EXPECT_GT(m, 0);
		EXPECT_LE(m, sizeof(out));
		EXPECT_EQ(syslog_msg_parse(out, m, NULL), SYSLOG_OK);
		EXPECT_TRUE(memmem(out, m, "\"] x", 4) != NULL);
	}
}

TEST_HARNESS_MAIN
