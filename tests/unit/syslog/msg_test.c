// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of syslog message validation and RFC 5425 / LF framing. */
#include "harness.h"

#include "syslog/syslog_msg.h"

struct vcase {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	int verdict;
	int pri;
	int version;
};

#define V(s, v, p, ver) { s, sizeof(s) - 1, v, p, ver }

static const struct vcase vcases[] = {
	/* RFC 5424, examples from the RFC */
	V("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed", SYSLOG_OK, 34, 1),
	V("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time", SYSLOG_OK, 165, 1),
	V("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	  "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event",
	  SYSLOG_OK, 165, 1),
	V("<165>1 2003-10-11T22:14:15.003Z host app - ID47 [a@1 x=\"q\\\"]\"][b@2] msg", SYSLOG_OK, 165, 1),
	V("<0>1 - - - - - -", SYSLOG_OK, 0, 1),
	V("<191>1 - - - - - - \xef\xbb\xbf" "utf8 body", SYSLOG_OK, 191, 1),
	V("<13>1 - - - - - - bin\x00\x01\xff", SYSLOG_OK, 13, 1),
	/* RFC 3164 */
	V("<13>Oct 11 22:14:15 mymachine su: 'su root' failed", SYSLOG_OK, 13, 0),
	V("<13>x", SYSLOG_OK, 13, 0),
	V("<0>anything", SYSLOG_OK, 0, 0),
	V("<13>2 future version is legacy text", SYSLOG_OK, 13, 0),
	V("<13>1", SYSLOG_OK, 13, 0),
	/* bad PRI */
	V("", SYSLOG_EMPTY, 0, 0),
	V("<13>", SYSLOG_EMPTY, 13, 0),
	V("no pri at all", SYSLOG_BAD_PRI, 0, 0),
	V("<>1 - - - - - -", SYSLOG_BAD_PRI, 0, 0),
	V("<192>too big", SYSLOG_BAD_PRI, 0, 0),
	V("<999>too big", SYSLOG_BAD_PRI, 0, 0),
	V("<1000>four digits", SYSLOG_BAD_PRI, 0, 0),
	V("<013>leading zero", SYSLOG_BAD_PRI, 0, 0),
	V("<13 no close", SYSLOG_BAD_PRI, 0, 0),
	V("<1a>x", SYSLOG_BAD_PRI, 0, 0),
	V("<", SYSLOG_BAD_PRI, 0, 0),
	V("\x00\x01\x02\x03", SYSLOG_BAD_PRI, 0, 0),
	/* bad RFC 5424 headers */
	V("<13>1 ", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - -", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - x", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 -  - - - - -", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - [a@1 x=\"unterminated]", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - [a@1 x=noquote]", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - [a@1", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - []", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - - -x", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - - - - msgid-is-too-long-for-rfc5424-32-octets -", SYSLOG_BAD_HEADER, 13, 1),
	V("<13>1 - h\x01st - - - -", SYSLOG_BAD_HEADER, 13, 1),
};

TEST(validation_table)
{
	size_t i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		struct syslog_msg_info info;
		int v = syslog_msg_parse((const uint8_t *)c->in, c->len, &info);

		if (v != c->verdict)
			TH_LOG("case %zu \"%s\": got %s, want %s", i, c->in,
			       syslog_verdict_str(v), syslog_verdict_str(c->verdict));
		EXPECT_EQ(v, c->verdict);
		if (v == SYSLOG_OK) {
			EXPECT_EQ(info.pri, c->pri);
			EXPECT_EQ(info.version, c->version);
			EXPECT_LE(info.msg_off, c->len);
		}
	}
}

TEST(trim_strips_trailing_lf_cr_nul_only)
{
	EXPECT_EQ(syslog_msg_trim((const uint8_t *)"<13>a\n", 6), 5);
	EXPECT_EQ(syslog_msg_trim((const uint8_t *)"<13>a\r\n\0\0", 9), 5);
	EXPECT_EQ(syslog_msg_trim((const uint8_t *)"<13>a\nb", 7), 7);
	EXPECT_EQ(syslog_msg_trim((const uint8_t *)"\n\n\0", 3), 0);
	EXPECT_EQ(syslog_msg_trim((const uint8_t *)"", 0), 0);
}

TEST(octet_frame_encode_whole)
{
	const uint8_t msg[] = "<13>1 - - - - - - hello";
	struct syslog_frame f;
	uint8_t out[64];
	size_t n;

	syslog_frame_init(&f, FRAMING_OCTET, sizeof(msg) - 1);
	EXPECT_EQ(syslog_frame_total(&f), 3 + sizeof(msg) - 1);
	n = syslog_frame_emit(&f, msg, out, sizeof(out));
	ASSERT_EQ(n, 3 + sizeof(msg) - 1);
	EXPECT_TRUE(syslog_frame_done(&f));
	EXPECT_MEMEQ(out, "23 <13>1 - - - - - - hello", n);
	/* nothing more to emit */
	EXPECT_EQ(syslog_frame_emit(&f, msg, out, sizeof(out)), 0);
}

TEST(frame_encode_in_pieces_of_every_size)
{
	static uint8_t msg[1000];
	uint8_t whole[1100], piece[1100];
	enum conf_framing frs[] = { FRAMING_OCTET, FRAMING_LF };
	size_t i, cap, total;
	int k;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	msg[500] = '\n';
	for (k = 0; k < 2; k++) {
		struct syslog_frame f;

		syslog_frame_init(&f, frs[k], sizeof(msg));
		total = syslog_frame_emit(&f, msg, whole, sizeof(whole));
		ASSERT_EQ(total, syslog_frame_total(&f));
		for (cap = 1; cap <= 13; cap++) {
			size_t got = 0, n;

			syslog_frame_init(&f, frs[k], sizeof(msg));
			while ((n = syslog_frame_emit(&f, msg, piece + got, cap)) > 0) {
				ASSERT_LE(n, cap);
				got += n;
			}
			ASSERT_EQ(got, total);
			ASSERT_TRUE(syslog_frame_done(&f));
			ASSERT_MEMEQ(piece, whole, total);
		}
	}
	/* LF framing replaced the embedded LF, octet framing did not */
	{
		struct syslog_frame f;

		syslog_frame_init(&f, FRAMING_LF, sizeof(msg));
		syslog_frame_emit(&f, msg, whole, sizeof(whole));
		EXPECT_EQ(whole[500], ' ');
		EXPECT_EQ(whole[sizeof(msg)], '\n');
		syslog_frame_init(&f, FRAMING_OCTET, sizeof(msg));
		syslog_frame_emit(&f, msg, whole, sizeof(whole));
		EXPECT_EQ(whole[5 + 500], '\n');
	}
}

TEST(octet_decode_table)
{
	const uint8_t *m;
	size_t ml, used;

	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"5 hello6 world!", 15, 100, &m, &ml, &used),
		  SYSLOG_FRAME_OK);
	EXPECT_EQ(ml, 5);
	EXPECT_EQ(used, 7);
	EXPECT_MEMEQ(m, "hello", 5);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"5 hel", 5, 100, &m, &ml, &used),
		  SYSLOG_FRAME_NEED_MORE);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"12", 2, 100, &m, &ml, &used),
		  SYSLOG_FRAME_NEED_MORE);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"", 0, 100, &m, &ml, &used),
		  SYSLOG_FRAME_NEED_MORE);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"05 hello", 8, 100, &m, &ml, &used), -EBADMSG);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"0 ", 2, 100, &m, &ml, &used), -EBADMSG);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"5xhello", 7, 100, &m, &ml, &used), -EBADMSG);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"101 x", 5, 100, &m, &ml, &used), -EBADMSG);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"99999999999999999999999 ", 24, 100,
				      &m, &ml, &used), -EBADMSG);
	EXPECT_EQ(syslog_frame_decode(FRAMING_OCTET, (const uint8_t *)"<13>x", 5, 100, &m, &ml, &used), -EBADMSG);
}

TEST(lf_decode_table)
{
	const uint8_t *m;
	size_t ml, used;

	EXPECT_EQ(syslog_frame_decode(FRAMING_LF, (const uint8_t *)"abc\ndef", 7, 100, &m, &ml, &used),
		  SYSLOG_FRAME_OK);
	EXPECT_EQ(ml, 3);
	EXPECT_EQ(used, 4);
	EXPECT_EQ(syslog_frame_decode(FRAMING_LF, (const uint8_t *)"abc", 3, 100, &m, &ml, &used),
		  SYSLOG_FRAME_NEED_MORE);
	EXPECT_EQ(syslog_frame_decode(FRAMING_LF, (const uint8_t *)"abcdef", 6, 4, &m, &ml, &used), -EBADMSG);
}

TEST(encode_decode_roundtrip_stream)
{
	static uint8_t stream[200000];
	size_t len = 0, at = 0, i;
	int k = 0;

	for (i = 0; i < 500; i++) {
		uint8_t msg[300];
		struct syslog_frame f;
		size_t ml = 1 + (i * 37) % 299;

		memset(msg, (int)('a' + i % 26), ml);
		syslog_frame_init(&f, FRAMING_OCTET, (uint32_t)ml);
		len += syslog_frame_emit(&f, msg, stream + len, sizeof(stream) - len);
		ASSERT_TRUE(syslog_frame_done(&f));
	}
	while (at < len) {
		const uint8_t *m;
		size_t ml, used;
		int r = syslog_frame_decode(FRAMING_OCTET, stream + at, len - at, 1000, &m, &ml, &used);

		ASSERT_EQ(r, SYSLOG_FRAME_OK);
		EXPECT_EQ(ml, 1 + ((size_t)k * 37) % 299);
		EXPECT_EQ(m[0], (uint8_t)('a' + k % 26));
		at += used;
		k++;
	}
	EXPECT_EQ(k, 500);
	EXPECT_EQ(at, len);
}

TEST_HARNESS_MAIN
