// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the ClientHello and Host-header parsers on the same
 * input. Beyond "no crash, no overread" (ASan, UBSan) it checks what the
 * parsers promise: a name only on SNI_OK, NUL-terminated, within bounds,
 * lower case and of the allowed characters; and, for the TLS parser, that
 * the first half of a hello that parses OK asks for more (or, when the
 * hello fits in that half, gives the same answer): a prefix never decides;
 * with ALPN wanted the answer is the same and the list is whole names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(enum sni_result r, const char *name, size_t cap)
{
	size_t n = strnlen(name, cap);

	if (n == cap)
		abort();	/* not terminated */
	if (r != SNI_OK) {
		if (n)
			abort();	/* a name only on success */
		return;
	}
	if (!n)
		abort();
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (ch >= 'A' && ch <= 'Z')
			abort();
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      strchr("-_.[]:", ch)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNI_NAME_MAX], small[8];
	enum sni_result r;

	r = sni_parse_tls(data, size, name, sizeof(name));
	check_name(r, name, sizeof(name));
	if (r == SNI_OK) {
		/* The same hello cut short must ask for more, never decide. */
		enum sni_result p = sni_parse_tls(data, size / 2, name, sizeof(name));

		if (p != SNI_NEED_MORE && p != SNI_OK)
			abort();
	}
	r = sni_parse_tls(data, size, small, sizeof(small));
	check_name(r, small, sizeof(small));
	{
		/* with ALPN: the same answer, and a list of whole names */
		struct sni_alpn a;
		enum sni_result ra = sni_parse_tls_alpn(data, size, name, sizeof(name), &a);

		if (ra != sni_parse_tls(data, size, name, sizeof(name)) || a.len > sizeof(a.list))
			abort();
		if (ra != SNI_OK && ra != SNI_NONE && a.len)
			abort();
		for (size_t i = 0; i < a.len; i += 1u + a.list[i])
			if (!a.list[i] || i + 1 + a.list[i] > a.len)
				abort();
		(void)sni_alpn_offers(&a, "h2");
	}

	r = sni_parse_http(data, size, name, sizeof(name));
	check_name(r, name, sizeof(name));
	r = sni_parse_http(data, size, small, sizeof(small));
	check_name(r, small, sizeof(small));
	return 0;
}
