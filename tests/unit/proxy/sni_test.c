// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ClientHello and Host-header parsers: tables of byte
 * arrays (hand-written and built), and the seed corpus of real hellos
 * (openssl, curl, BearSSL, GREASE, ECH outer, post-quantum sized) fed
 * whole, one byte at a time and in every split.
 */
#include "harness.h"

#include <dirent.h>

#include "proxy/sni.h"

struct tcase {
	const char *what;
	const uint8_t *buf;
	size_t len;
	enum sni_result want;
	const char *name;
};

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* A minimal TLS 1.2 hello for "a.bc": record(5) handshake(4) body */
#define HELLO_HDR(reclen, hslen) 0x16, 0x03, 0x01, 0x00, (reclen), 0x01, 0x00, 0x00, (hslen)
#define RANDOM32 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32
#define BODY_PREFIX 0x03, 0x03, RANDOM32, 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00

static const struct tcase tls_cases[] = {
	{ "minimal with sni", B(HELLO_HDR(0x3c, 0x38), BODY_PREFIX, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', '.', 'b', 'c'), SNI_OK, "a.bc" },
	{ "upper case and trailing dot", B(HELLO_HDR(0x3d, 0x39), BODY_PREFIX, 0x00, 0x0e,
	  0x00, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x05, 'A', '.', 'B', 'C', '.'), SNI_OK, "a.bc" },
	{ "no extensions", B(HELLO_HDR(0x2d, 0x29), BODY_PREFIX), SNI_NONE, NULL },
	{ "extensions without sni", B(HELLO_HDR(0x35, 0x31), BODY_PREFIX, 0x00, 0x06,
	  0x00, 0x17, 0x00, 0x02, 0xaa, 0xbb), SNI_NONE, NULL },
	{ "empty", NULL, 0, SNI_NEED_MORE, NULL },
	{ "one byte", B(0x16), SNI_NEED_MORE, NULL },
	{ "record header only", B(0x16, 0x03, 0x01, 0x00, 0x3a), SNI_NEED_MORE, NULL },
	{ "http is not tls", B('G', 'E', 'T', ' '), SNI_BAD, NULL },
	{ "ssl2 hello", B(0x80, 0x2e, 0x01, 0x03, 0x01), SNI_BAD, NULL },
	{ "alert record", B(0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28), SNI_BAD, NULL },
	{ "bad record major", B(0x16, 0x02, 0x01, 0x00, 0x02), SNI_BAD, NULL },
	{ "zero length record", B(0x16, 0x03, 0x01, 0x00, 0x00), SNI_BAD, NULL },
	{ "record over 2^14", B(0x16, 0x03, 0x01, 0x40, 0x01, 0x01), SNI_BAD, NULL },
	{ "server hello", B(0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00), SNI_BAD, NULL },
	{ "empty hello", B(0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00), SNI_BAD, NULL },
	{ "hello over 16 KiB", B(0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0x00, 0x40, 0x01), SNI_BAD, NULL },
	{ "handshake then alert record", B(0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x40,
	  0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28), SNI_BAD, NULL },
	{ "session id over 32", B(HELLO_HDR(0x2d, 0x29), 0x03, 0x03, RANDOM32, 0x21, 0x00, 0x02,
	  0x00, 0x2f, 0x01, 0x00), SNI_BAD, NULL },
	{ "odd cipher suites", B(HELLO_HDR(0x2d, 0x29), 0x03, 0x03, RANDOM32, 0x00, 0x00, 0x03,
	  0x00, 0x2f, 0x01, 0x00), SNI_BAD, NULL },
	{ "no compression", B(HELLO_HDR(0x2c, 0x28), 0x03, 0x03, RANDOM32, 0x00, 0x00, 0x02,
	  0x00, 0x2f, 0x00), SNI_BAD, NULL },
	{ "extension overruns", B(HELLO_HDR(0x35, 0x31), BODY_PREFIX, 0x00, 0x06,
	  0x00, 0x17, 0x00, 0x09, 0xaa, 0xbb), SNI_BAD, NULL },
	{ "trailing bytes after extensions", B(HELLO_HDR(0x36, 0x32), BODY_PREFIX, 0x00, 0x06,
	  0x00, 0x17, 0x00, 0x02, 0xaa, 0xbb, 0x00), SNI_BAD, NULL },
	{ "two server_name extensions", B(HELLO_HDR(0x49, 0x45), BODY_PREFIX, 0x00, 0x1a,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', '.', 'b', 'c',
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'x', '.', 'y', 'z'), SNI_BAD, NULL },
	{ "two host names in one", B(HELLO_HDR(0x43, 0x3f), BODY_PREFIX, 0x00, 0x14,
	  0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x04, 'a', '.', 'b', 'c',
	  0x00, 0x00, 0x04, 'x', '.', 'y', 'z'), SNI_BAD, NULL },
	{ "unknown name type skipped", B(HELLO_HDR(0x43, 0x3f), BODY_PREFIX, 0x00, 0x14,
	  0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x07, 0x00, 0x04, 'a', '.', 'b', 'c',
	  0x00, 0x00, 0x04, 'x', '.', 'y', 'z'), SNI_OK, "x.yz" },
	{ "name with a space", B(HELLO_HDR(0x3c, 0x38), BODY_PREFIX, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', ' ', 'b', 'c'), SNI_BAD, NULL },
	{ "name with a NUL", B(HELLO_HDR(0x3c, 0x38), BODY_PREFIX, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', 0, 'b', 'c'), SNI_BAD, NULL },
	{ "empty label", B(HELLO_HDR(0x3c, 0x38), BODY_PREFIX, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', '.', '.', 'c'), SNI_BAD, NULL },
	{ "empty name", B(HELLO_HDR(0x38, 0x34), BODY_PREFIX, 0x00, 0x09,
	  0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00), SNI_BAD, NULL },
	{ "sni list length wrong", B(HELLO_HDR(0x3c, 0x38), BODY_PREFIX, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00, 0x04, 'a', '.', 'b', 'c'), SNI_BAD, NULL },
	{ "hello split in two records", B(0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00, 0x38,
	  0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	  0x16, 0x03, 0x01, 0x00, 0x2c, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
	  29, 30, 31, 32, 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x0d,
	  0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x04, 'a', '.', 'b', 'c'), SNI_OK, "a.bc" },
	{ "first of two records only", B(0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00, 0x38,
	  0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), SNI_NEED_MORE, NULL },
	{ "second record of another type", B(0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00, 0x38,
	  0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x17, 0x03, 0x03), SNI_BAD, NULL },
};

static void run_table(const struct tcase *tc, size_t n,
		      enum sni_result (*fn)(const uint8_t *, size_t, char *, size_t))
{
	char name[SNI_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		enum sni_result r = fn(tc[i].buf, tc[i].len, name, sizeof(name));

		if (r != tc[i].want)
			TH_LOG("case '%s': got %s, want %s", tc[i].what, sni_result_str(r),
			       sni_result_str(tc[i].want));
		EXPECT_EQ(r, tc[i].want);
		if (tc[i].name) {
			if (strcmp(name, tc[i].name))
				TH_LOG("case '%s'", tc[i].what);
			EXPECT_STREQ(name, tc[i].name);
		} else {
			EXPECT_STREQ(name, "");
		}
	}
}

TEST(tls_table)
{
	run_table(tls_cases, sizeof(tls_cases) / sizeof(tls_cases[0]), sni_parse_tls);
}

#define S(str) (const uint8_t *)(str), sizeof(str) - 1
static const struct tcase http_cases[] = {
	{ "simple", S("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"), SNI_OK, "www.example.com" },
	{ "port, case, spaces", S("GET / HTTP/1.1\r\nHOST:   WWW.Example.com:8080  \r\nA: b\r\n\r\n"), SNI_OK, "www.example.com" },
	{ "bare LF", S("GET / HTTP/1.1\nhost: a.b\n\n"), SNI_OK, "a.b" },
	{ "ipv6 literal", S("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:80\r\n\r\n"), SNI_OK, "[2001:db8::1]" },
	{ "absolute form wins", S("GET http://abs.example/x HTTP/1.1\r\nHost: other\r\n\r\n"), SNI_OK, "abs.example" },
	{ "absolute https with port", S("GET https://abs.example:443 HTTP/1.1\r\nHost: x\r\n\r\n"), SNI_OK, "abs.example" },
	{ "trailing dot", S("GET / HTTP/1.1\r\nHost: a.b.\r\n\r\n"), SNI_OK, "a.b" },
	{ "head incomplete", S("GET / HTTP/1.1\r\nHost: a.b\r\n"), SNI_NEED_MORE, NULL },
	{ "request line incomplete", S("GET /index.ht"), SNI_NEED_MORE, NULL },
	{ "empty", S(""), SNI_NEED_MORE, NULL },
	{ "1.0 without host", S("GET / HTTP/1.0\r\n\r\n"), SNI_NONE, NULL },
	{ "empty host", S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), SNI_NONE, NULL },
	{ "1.1 without host", S("GET / HTTP/1.1\r\nX: y\r\n\r\n"), SNI_BAD, NULL },
	{ "two hosts", S("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), SNI_BAD, NULL },
	{ "folded header", S("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"), SNI_BAD, NULL },
	{ "header without colon", S("GET / HTTP/1.1\r\nHost a\r\n\r\n"), SNI_BAD, NULL },
	{ "space before colon", S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), SNI_BAD, NULL },
	{ "http/2 preface", S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), SNI_BAD, NULL },
	{ "tls bytes", (const uint8_t *)"\x16\x03\x01\x00", 4, SNI_BAD, NULL },
	{ "bad host chars", S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), SNI_BAD, NULL },
	{ "bad port", S("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"), SNI_BAD, NULL },
	{ "userinfo in absolute form", S("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"), SNI_BAD, NULL },
	{ "CR inside a line", S("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), SNI_BAD, NULL },
	{ "no version", S("GET /\r\n\r\n"), SNI_BAD, NULL },
};

TEST(http_table)
{
	run_table(http_cases, sizeof(http_cases) / sizeof(http_cases[0]), sni_parse_http);
}

TEST(http_head_too_long_is_bad)
{
	static uint8_t buf[SNI_MAX_HELLO + 100];
	char name[SNI_NAME_MAX];
	size_t n = (size_t)snprintf((char *)buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");

	while (n + 12 < sizeof(buf))
		n += (size_t)snprintf((char *)buf + n, sizeof(buf) - n, "X-Pad: 123\r\n");
	EXPECT_EQ(sni_parse_http(buf, SNI_MAX_HELLO - 1, name, sizeof(name)), SNI_NEED_MORE);
	EXPECT_EQ(sni_parse_http(buf, n, name, sizeof(name)), SNI_BAD);
}

TEST(name_longer_than_buffer_is_bad_not_truncated)
{
	const uint8_t *b = tls_cases[0].buf;
	char small[8];

	EXPECT_EQ(sni_parse_tls(b, tls_cases[0].len, small, 4), SNI_BAD);
	EXPECT_STREQ(small, "");
	EXPECT_EQ(sni_parse_tls(b, tls_cases[0].len, small, 5), SNI_OK);
	EXPECT_STREQ(small, "a.bc");
}

/* ---- the corpus of real and crafted hellos ------------------------------- */

struct expect { const char *file; enum sni_result want; const char *name; };
static const struct expect corpus[] = {
	{ "openssl_tls13_sni.bin", SNI_OK, "app.example.com" },
	{ "openssl_tls12_sni.bin", SNI_OK, "www.example.org" },
	{ "openssl_nosni.bin", SNI_NONE, NULL },
	{ "openssl_tls12_nosni.bin", SNI_NONE, NULL },
	{ "openssl_ffdhe8192.bin", SNI_OK, "big.example.com" },
	{ "curl_sni.bin", SNI_OK, "api.example.com" },
	{ "bearssl_sni.bin", SNI_OK, "bear.example.com" },
	{ "bearssl_nosni.bin", SNI_NONE, NULL },
	{ "crafted_grease.bin", SNI_OK, "grease.example.com" },
	{ "crafted_ech_outer.bin", SNI_OK, "public.example.net" },
	{ "crafted_pq_1700.bin", SNI_OK, "pq.example.com" },
	{ "crafted_pq_two_records.bin", SNI_OK, "pq.example.com" },
	{ "crafted_small_records.bin", SNI_OK, "frag.example.com" },
	{ "crafted_no_ext.bin", SNI_NONE, NULL },
	{ "crafted_trailing_dot_upper.bin", SNI_OK, "mixed.example.com" },
	{ "http_get.txt", SNI_OK, "www.example.com" },
	{ "http_port.txt", SNI_OK, "api.example.com" },
	{ "http_abs.txt", SNI_OK, "abs.example.com" },
	{ "http_v6.txt", SNI_OK, "[2001:db8::1]" },
	{ "http10_nohost.txt", SNI_NONE, NULL },
};

static size_t load(const char *file, uint8_t *buf, size_t cap)
{
	const char *src = getenv("EDGESTEER_SRC");
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/sni/%s", src ? src : ".", file);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

TEST(corpus_whole_bytewise_and_split)
{
	static uint8_t buf[SNI_MAX_HELLO * 2];
	char name[SNI_NAME_MAX];

	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct expect *e = &corpus[i];
		bool http = strstr(e->file, ".txt") != NULL;
		enum sni_result (*fn)(const uint8_t *, size_t, char *, size_t) =
			http ? sni_parse_http : sni_parse_tls;
		size_t n = load(e->file, buf, sizeof(buf)), k;

		if (!n)
			SKIP(return, "corpus file %s not found (set EDGESTEER_SRC)", e->file);
		EXPECT_EQ(fn(buf, n, name, sizeof(name)), e->want);
		EXPECT_STREQ(name, e->name ? e->name : "");
		/* every prefix asks for more; the other parser refuses it */
		for (k = 0; k < n; k++) {
			enum sni_result r = fn(buf, k, name, sizeof(name));

			if (r != SNI_NEED_MORE) {
				TH_LOG("%s: prefix of %zu/%zu bytes gave %s", e->file, k, n, sni_result_str(r));
				ASSERT_EQ(r, SNI_NEED_MORE);
			}
		}
		EXPECT_EQ((http ? sni_parse_tls : sni_parse_http)(buf, n, name, sizeof(name)), SNI_BAD);
	}
}

TEST(corpus_dir_holds_only_known_seeds)
{
	const char *src = getenv("EDGESTEER_SRC");
	char path[512];
	struct dirent *d;
	DIR *dir;
	int seen = 0;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/sni", src ? src : ".");
	dir = opendir(path);
	if (!dir)
		SKIP(return, "no %s", path);
	while ((d = readdir(dir))) {
		bool known = false;

		if (d->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
			known |= !strcmp(corpus[i].file, d->d_name);
		if (!known)
			TH_LOG("seed %s has no expectation in sni_test.c", d->d_name);
		EXPECT_TRUE(known);
		seen++;
	}
	closedir(dir);
	EXPECT_EQ(seen, (int)(sizeof(corpus) / sizeof(corpus[0])));
}

/* ---- ALPN ---------------------------------------------------------------- */

TEST(alpn_offered_protocols)
{
	static const uint8_t h2_http11[] = { HELLO_HDR(0x41, 0x3d), BODY_PREFIX, 0x00, 0x12,
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2',
		0x08, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	static const uint8_t empty_name[] = { HELLO_HDR(0x36, 0x32), BODY_PREFIX, 0x00, 0x07,
		0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0x00 };
	static const uint8_t list_overruns[] = { HELLO_HDR(0x38, 0x34), BODY_PREFIX, 0x00, 0x09,
		0x00, 0x10, 0x00, 0x05, 0x00, 0x05, 0x02, 'h', '2' };
	struct sni_alpn a;
	char name[SNI_NAME_MAX];

	ASSERT_EQ(sni_parse_tls_alpn(h2_http11, sizeof(h2_http11), name, sizeof(name), &a), SNI_NONE);
	EXPECT_EQ(a.len, 12);
	EXPECT_TRUE(sni_alpn_offers(&a, "h2"));
	EXPECT_TRUE(sni_alpn_offers(&a, "http/1.1"));
	EXPECT_FALSE(sni_alpn_offers(&a, "h3"));
	EXPECT_FALSE(sni_alpn_offers(&a, "h"));
	EXPECT_FALSE(sni_alpn_offers(&a, "http/1.1x"));
	/* without the out parameter the answer is the same */
	EXPECT_EQ(sni_parse_tls(h2_http11, sizeof(h2_http11), name, sizeof(name)), SNI_NONE);
	EXPECT_EQ(sni_parse_tls_alpn(empty_name, sizeof(empty_name), name, sizeof(name), &a), SNI_BAD);
	EXPECT_EQ(a.len, 0);
	EXPECT_EQ(sni_parse_tls_alpn(list_overruns, sizeof(list_overruns), name, sizeof(name), &a), SNI_BAD);
	/* a hello without ALPN offers nothing */
	ASSERT_EQ(sni_parse_tls_alpn(tls_cases[0].buf, tls_cases[0].len, name, sizeof(name), &a), SNI_OK);
	EXPECT_EQ(a.len, 0);
	EXPECT_FALSE(sni_alpn_offers(&a, "h2"));
}

TEST(alpn_of_a_real_hello)
{
	static uint8_t buf[SNI_MAX_HELLO];
	char name[SNI_NAME_MAX];
	struct sni_alpn a;
	size_t n = load("curl_sni.bin", buf, sizeof(buf));

	ASSERT_GT(n, 0);
	ASSERT_EQ(sni_parse_tls_alpn(buf, n, name, sizeof(name), &a), SNI_OK);
	EXPECT_TRUE(sni_alpn_offers(&a, "http/1.1"));
}

TEST_HARNESS_MAIN
