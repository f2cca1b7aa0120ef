// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the RFC 6587 decoder (user/syslog/framing.c): byte
 * streams with the messages they must yield and how they must end, each
 * fed whole, split in two at every byte, and one byte at a time.
 */
#include "harness.h"

#include "syslog/framing.h"

#define MAXM 5

struct fcase {
	const char *name;
	const char *in;
	size_t len;
	size_t max;
	enum frame_mode mode;		/* detected */
	int n;				/* messages before the end */
	const char *msgs[MAXM];
	enum frame_result end;		/* NEED_MORE: clean end (maybe a partial frame) */
	size_t len0;			/* length of msgs[0] when it holds a NUL */
};

#define S(s) s, sizeof(s) - 1

static const struct fcase cases[] = {
	{ "octet one", S("5 <13>a"), 64, FRAME_OCTET, 1, { "<13>a" }, FRAME_NEED_MORE, 0 },
	{ "octet three", S("5 <13>a6 <14>bc3 <1>"), 64, FRAME_OCTET, 3, { "<13>a", "<14>bc", "<1>" },
	  FRAME_NEED_MORE, 0 },
	{ "octet carries LF and NUL", S("9 <13>a\nb\0c"), 64, FRAME_OCTET, 1, { "<13>a\nb\0c" },
	  FRAME_NEED_MORE, 9 },
	{ "octet partial tail", S("5 <13>a12 <13>"), 64, FRAME_OCTET, 1, { "<13>a" }, FRAME_NEED_MORE, 0 },
	{ "octet exactly max", S("8 <13>abcd"), 8, FRAME_OCTET, 1, { "<13>abcd" }, FRAME_NEED_MORE, 0 },
	{ "octet over max", S("5 <13>a9 <13>abcde"), 8, FRAME_OCTET, 1, { "<13>a" }, FRAME_TOO_BIG, 0 },
	{ "octet 99999999999", S("99999999999 <13>x"), 8192, FRAME_OCTET, 0, { NULL }, FRAME_BAD_LENGTH, 0 },
	{ "octet 10 digits over max", S("9999999999 "), 8192, FRAME_OCTET, 0, { NULL }, FRAME_TOO_BIG, 0 },
	{ "octet no space", S("5x<13>a"), 64, FRAME_OCTET, 0, { NULL }, FRAME_BAD_LENGTH, 0 },
	{ "octet then garbage", S("5 <13>a<13>b\n"), 64, FRAME_OCTET, 1, { "<13>a" }, FRAME_BAD_LENGTH, 0 },
	{ "octet leading zero later", S("5 <13>a05 <13>a"), 64, FRAME_OCTET, 1, { "<13>a" },
	  FRAME_BAD_LENGTH, 0 },
	{ "octet LF between frames", S("5 <13>a\n5 <13>b"), 64, FRAME_OCTET, 1, { "<13>a" },
	  FRAME_BAD_LENGTH, 0 },
	{ "lf one", S("<13>a\n"), 64, FRAME_LF, 1, { "<13>a" }, FRAME_NEED_MORE, 0 },
	{ "lf three, CR kept", S("<13>a\r\n<14>b\n\n"), 64, FRAME_LF, 3, { "<13>a\r", "<14>b", "" },
	  FRAME_NEED_MORE, 0 },
	{ "lf starts with 0", S("0 <13>a\n"), 64, FRAME_LF, 1, { "0 <13>a" }, FRAME_NEED_MORE, 0 },
	{ "lf partial tail", S("<13>a\n<13>bbb"), 64, FRAME_LF, 1, { "<13>a" }, FRAME_NEED_MORE, 0 },
	{ "lf exactly max", S("<13>abcd\n"), 8, FRAME_LF, 1, { "<13>abcd" }, FRAME_NEED_MORE, 0 },
	{ "lf no LF within max", S("<13>a\n<13>abcde\n"), 8, FRAME_LF, 1, { "<13>a" }, FRAME_NO_LF, 0 },
	{ "lf stream without LF", S("<13>aaaaaaaaaaaaaaaaaaaaaaaa"), 16, FRAME_LF, 0, { NULL }, FRAME_NO_LF, 0 },
	{ "lf digit later is text", S("<13>a\n5 <13>b\n"), 64, FRAME_LF, 2, { "<13>a", "5 <13>b" },
	  FRAME_NEED_MORE, 0 },
	{ "nothing", "", 0, 64, FRAME_DETECT, 0, { NULL }, FRAME_NEED_MORE, 0 },
};

/* Expected length of message i (the first message may hold a NUL). */
static size_t msg_len(const struct fcase *c, int i)
{
	return i == 0 && c->len0 ? c->len0 : strlen(c->msgs[i]);
}

/* A connection's receive path: a buffer of max + FRAME_HDR_MAX bytes, fed
 * the stream in pieces; returns the result that ended it. */
static enum frame_result run(const struct fcase *c, size_t split, size_t piece, int *n_out,
			     enum frame_mode *mode_out, char *why, size_t whylen)
{
	size_t cap = c->max + FRAME_HDR_MAX, have = 0, fed = 0;
	uint8_t buf[256];
	enum frame_mode mode = FRAME_DETECT;
	int n = 0;

	while (fed < c->len || have) {
		size_t take = c->len - fed;
		enum frame_result r;

		if (piece && take > piece)
			take = piece;
		if (split && fed < split && fed + take > split)
			take = split - fed;
		if (take > cap - have)
			take = cap - have;
		memcpy(buf + have, c->in + fed, take);
		have += take;
		fed += take;
		for (;;) {
			const uint8_t *m;
			size_t ml, used;

			r = frame_next(&mode, buf, have, c->max, &m, &ml, &used);
			if (r != FRAME_OK)
				break;
			if (n >= c->n) {
				snprintf(why, whylen, "extra message %d '%.*s'", n, (int)ml, m);
				*n_out = n;
				return FRAME_OK;
			}
			if (ml != msg_len(c, n) || memcmp(m, c->msgs[n], ml)) {
				snprintf(why, whylen, "message %d is '%.*s'", n, (int)ml, m);
				*n_out = n;
				return FRAME_OK;
			}
			n++;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (r != FRAME_NEED_MORE) {
			*n_out = n;
			*mode_out = mode;
			return r;
		}
		if (fed == c->len)
			break;
	}
	*n_out = n;
	*mode_out = mode;
	return FRAME_NEED_MORE;
}

static void check(size_t split, size_t piece)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *c = &cases[i];
		enum frame_mode mode = FRAME_DETECT;
		char why[200] = "";
		int n = -1;
		enum frame_result r;

		if (split > c->len)
			continue;
		r = run(c, split, piece, &n, &mode, why, sizeof(why));
		if (r != c->end || n != c->n || mode != c->mode || why[0])
			TH_LOG("%s (split %zu, piece %zu): %s after %d messages in mode %s %s; want %s after %d",
			       c->name, split, piece, frame_result_str(r), n, frame_mode_str(mode), why,
			       frame_result_str(c->end), c->n);
		EXPECT_EQ(r, c->end);
		EXPECT_EQ(n, c->n);
		EXPECT_EQ(mode, c->mode);
		EXPECT_STREQ(why, "");
	}
}

TEST(whole)
{
	check(0, 0);
}

TEST(split_at_every_byte)
{
	size_t s;

	for (s = 1; s < 40; s++)
		check(s, 0);
}

TEST(one_byte_at_a_time)
{
	check(0, 1);
}

TEST(need_more_consumes_nothing)
{
	enum frame_mode mode = FRAME_DETECT;
	const uint8_t *m;
	size_t ml, used;

	ASSERT_EQ(frame_next(&mode, (const uint8_t *)"12", 2, 64, &m, &ml, &used), FRAME_NEED_MORE);
	EXPECT_EQ(used, 0);
	EXPECT_EQ(mode, FRAME_OCTET);
	/* the mode stays once chosen */
	ASSERT_EQ(frame_next(&mode, (const uint8_t *)"<1>x\n", 5, 64, &m, &ml, &used), FRAME_BAD_LENGTH);
}

TEST_HARNESS_MAIN
