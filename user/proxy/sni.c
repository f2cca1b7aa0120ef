// SPDX-License-Identifier: GPL-2.0-only
/*
 * sni.c - find the server name in a TLS ClientHello or an HTTP/1.x head.
 *
 * Implementation notes. Every read goes through a bounds-checked cursor
 * (struct cur); a short read fails the cursor and the parse, nothing is
 * read past `len`. The TLS side first gathers the handshake message from
 * as many handshake records as it takes into a bounded stack buffer (a
 * ClientHello may legally be fragmented over several records, and a
 * post-quantum key share makes a hello larger than one TCP segment), then
 * walks the hello. Anything it does not need (random, cipher suites, the
 * other extensions) is skipped by length, but the lengths must add up:
 * trailing garbage or an extension block that overruns the hello is
 * SNI_BAD, as is a second server_name extension or a second host_name in
 * it (RFC 6066 3). An ECH outer hello is an ordinary hello whose
 * server_name is the public name, which is what a splice proxy must route
 * by; the inner hello is encrypted and none of our business.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "sni.h"

#define TLS_REC_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1
#define TLS_MAX_RECORD		16384	/* 2^14 plaintext bytes per record */
#define TLS_EXT_SERVER_NAME	0
#define TLS_EXT_ALPN		16
#define SNI_HOST_NAME		0

struct cur {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static uint32_t get_n(struct cur *c, size_t k)
{
	uint32_t v = 0;

	if (c->bad || c->n < k) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < k; i++)
		v = v << 8 | c->p[i];
	c->p += k;
	c->n -= k;
	return v;
}

static void skip(struct cur *c, size_t k)
{
	if (c->bad || c->n < k) {
		c->bad = true;
		return;
	}
	c->p += k;
	c->n -= k;
}

/* Split off the next k bytes as their own cursor. */
static struct cur sub(struct cur *c, size_t k)
{
	struct cur s = { .p = c->p, .n = k, .bad = c->bad || c->n < k };

	skip(c, k);
	if (s.bad)
		s.n = 0;
	return s;
}

const char *sni_result_str(enum sni_result r)
{
	switch (r) {
	case SNI_OK: return "ok";
	case SNI_NONE: return "none";
	case SNI_NEED_MORE: return "need_more";
	case SNI_BAD: return "bad";
	}
	return "?";
}

/*
 * Copy a host name, lower-cased, dropping one trailing dot. Labels must
 * be non-empty and made of [a-z0-9-_]; `brackets` allows one IPv6 literal
 * "[hex:...]" instead (HTTP only).
 */
static enum sni_result copy_name(const uint8_t *s, size_t n, char *out, size_t out_len, bool brackets)
{
	size_t i, o = 0;

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n + 1 > out_len || n > 255)
		return SNI_BAD;
	if (brackets && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return SNI_BAD;
		for (i = 1; i + 1 < n; i++) {
			uint8_t ch = s[i];

			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			      (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.'))
				return SNI_BAD;
		}
	} else {
		for (i = 0; i < n; i++) {
			uint8_t ch = s[i];

			if (ch == '.') {
				if (i == 0 || s[i - 1] == '.')
					return SNI_BAD;	/* empty label */
				continue;
			}
			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
				return SNI_BAD;
		}
	}
	for (i = 0; i < n; i++) {
		uint8_t ch = s[i];

		out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	out[o] = 0;
	return SNI_OK;
}

/* ---- TLS ---------------------------------------------------------------- */

/* server_name extension body: ServerNameList. */
static enum sni_result parse_sni_ext(struct cur e, char *name, size_t name_len)
{
	struct cur list = sub(&e, get_n(&e, 2));
	bool have = false;
	enum sni_result r = SNI_NONE;

	if (e.bad || e.n || !list.n)
		return SNI_BAD;
	while (list.n && !list.bad) {
		uint32_t type = get_n(&list, 1);
		struct cur nm = sub(&list, get_n(&list, 2));

		if (list.bad)
			return SNI_BAD;
		if (type != SNI_HOST_NAME)
			continue;	/* unknown name types are skipped (RFC 6066) */
		if (have)
			return SNI_BAD;
		have = true;
		r = copy_name(nm.p, nm.n, name, name_len, false);
		if (r != SNI_OK)
			return r;
	}
	return list.bad ? SNI_BAD : r;
}

/* ALPN extension body: ProtocolNameList, kept (bounded) in alpn. */
static enum sni_result parse_alpn_ext(struct cur e, struct sni_alpn *alpn)
{
	struct cur list = sub(&e, get_n(&e, 2));
	const uint8_t *start = list.p;

	if (e.bad || e.n || !list.n)
		return SNI_BAD;
	while (list.n) {
		uint32_t n = get_n(&list, 1);

		if (!n)
			return SNI_BAD;
		skip(&list, n);
		if (list.bad)
			return SNI_BAD;
		/* keep whole names only, as many as fit */
		if (alpn && (size_t)(list.p - start) <= sizeof(alpn->list))
			alpn->len = (size_t)(list.p - start);
	}
	if (alpn)
		memcpy(alpn->list, start, alpn->len);
	return SNI_OK;
}

bool sni_alpn_offers(const struct sni_alpn *alpn, const char *proto)
{
	size_t plen = strlen(proto);

	for (size_t i = 0; i < alpn->len && i + 1 + alpn->list[i] <= alpn->len; i += 1u + alpn->list[i])
		if (alpn->list[i] == plen && !memcmp(alpn->list + i + 1, proto, plen))
			return true;
	return false;
}

static enum sni_result parse_client_hello(struct cur h, char *name, size_t name_len, struct sni_alpn *alpn)
{
	enum sni_result r = SNI_NONE;
	bool seen_sni = false, seen_alpn = false;
	struct cur exts;
	uint32_t n;

	if (get_n(&h, 1) != 3)		/* legacy_version major */
		return SNI_BAD;
	skip(&h, 1 + 32);		/* minor, random */
	n = get_n(&h, 1);		/* legacy_session_id */
	if (n > 32)
		return SNI_BAD;
	skip(&h, n);
	n = get_n(&h, 2);		/* cipher_suites */
	if (n < 2 || n & 1)
		return SNI_BAD;
	skip(&h, n);
	n = get_n(&h, 1);		/* legacy_compression_methods */
	if (n < 1)
		return SNI_BAD;
	skip(&h, n);
	if (h.bad)
		return SNI_BAD;
	if (!h.n)
		return SNI_NONE;	/* no extensions at all (old clients) */
	exts = sub(&h, get_n(&h, 2));
	if (h.bad || h.n)
		return SNI_BAD;	/* extensions must end the hello exactly */
	while (exts.n) {
		uint32_t type = get_n(&exts, 2);
		struct cur e = sub(&exts, get_n(&exts, 2));

		if (exts.bad)
			return SNI_BAD;
		if (type == TLS_EXT_ALPN) {
			if (seen_alpn || parse_alpn_ext(e, alpn) == SNI_BAD)
				return SNI_BAD;
			seen_alpn = true;
			continue;
		}
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		if (seen_sni)
			return SNI_BAD;
		seen_sni = true;
		r = parse_sni_ext(e, name, name_len);
		if (r == SNI_BAD)
			return r;
	}
	return r;
}

enum sni_result sni_parse_tls(const uint8_t *buf, size_t len, char *name, size_t name_len)
{
	return sni_parse_tls_alpn(buf, len, name, name_len, NULL);
}

enum sni_result sni_parse_tls_alpn(const uint8_t *buf, size_t len, char *name, size_t name_len,
				   struct sni_alpn *alpn)
{
	uint8_t hs[SNI_MAX_HELLO];
	size_t off = 0, hlen = 0, total = 0;

	if (name_len)
		name[0] = 0;
	if (alpn)
		alpn->len = 0;
	/* Reject what is plainly not TLS from the first bytes. */
	if (len >= 1 && buf[0] != TLS_REC_HANDSHAKE)
		return SNI_BAD;
	if (len >= 2 && buf[1] != 3)
		return SNI_BAD;
	for (;;) {
		size_t rlen, avail;

		if (len - off < 5) {
			if (len - off >= 1 && buf[off] != TLS_REC_HANDSHAKE)
				return SNI_BAD;
			return SNI_NEED_MORE;
		}
		if (buf[off] != TLS_REC_HANDSHAKE || buf[off + 1] != 3)
			return SNI_BAD;
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen == 0 || rlen > TLS_MAX_RECORD)
			return SNI_BAD;
		avail = len - off - 5;
		if (avail > rlen)
			avail = rlen;
		if (total)	/* never gather past the end of the hello */
			avail = avail < total - hlen ? avail : total - hlen;
		if (hlen + avail > sizeof(hs))
			return SNI_BAD;
		memcpy(hs + hlen, buf + off + 5, avail);
		hlen += avail;
		if (hlen >= 1 && hs[0] != TLS_HS_CLIENT_HELLO)
			return SNI_BAD;
		if (!total && hlen >= 4) {
			total = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (total > sizeof(hs))
				return SNI_BAD;
			if (total == 4)
				return SNI_BAD;
		}
		if (total && hlen >= total) {
			struct cur h = { .p = hs + 4, .n = total - 4 };
			enum sni_result r = parse_client_hello(h, name, name_len, alpn);

			if (r != SNI_OK && name_len)
				name[0] = 0;	/* a name only with SNI_OK */
			if (r != SNI_OK && r != SNI_NONE && alpn)
				alpn->len = 0;
			return r;
		}
		if (len - off - 5 < rlen)
			return SNI_NEED_MORE;	/* the record is still arriving */
		off += 5 + rlen;
	}
}

/* ---- HTTP --------------------------------------------------------------- */

static bool is_tchar(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Host value "name[:port]" or "[v6][:port]" -> name. */
static enum sni_result parse_host_value(const uint8_t *v, size_t n, char *name, size_t name_len)
{
	size_t hn = n, i;

	if (!n)
		return SNI_NONE;
	if (v[0] == '[') {
		for (hn = 0; hn < n && v[hn] != ']'; hn++)
			;
		if (hn == n)
			return SNI_BAD;
		hn++;
	} else {
		for (hn = 0; hn < n && v[hn] != ':'; hn++)
			;
	}
	if (hn < n) {
		if (v[hn] != ':' || hn + 1 == n || n - hn - 1 > 5)
			return SNI_BAD;
		for (i = hn + 1; i < n; i++)
			if (v[i] < '0' || v[i] > '9')
				return SNI_BAD;
	}
	return copy_name(v, hn, name, name_len, true);
}

enum sni_result sni_parse_http(const uint8_t *buf, size_t len, char *name, size_t name_len)
{
	const uint8_t *host = NULL, *uri_host = NULL;
	size_t host_len = 0, uri_host_len = 0, off = 0, lineno = 0;
	bool http10 = false;

	if (name_len)
		name[0] = 0;
	if (len > SNI_MAX_HELLO)
		len = SNI_MAX_HELLO;	/* a head that does not end in time is BAD below */
	/* Fast rejection: the method is a token followed by a space. */
	for (size_t i = 0; i < len && buf[i] != ' '; i++)
		if (!is_tchar(buf[i]) || i > 32)
			return SNI_BAD;
	for (;;) {
		const uint8_t *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t ll;

		if (!nl)
			return len >= SNI_MAX_HELLO ? SNI_BAD : SNI_NEED_MORE;
		ll = (size_t)(nl - line);
		off += ll + 1;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (memchr(line, '\r', ll) || memchr(line, 0, ll))
			return SNI_BAD;
		if (lineno++ == 0) {
			/* METHOD SP target SP HTTP/1.x */
			const uint8_t *sp1 = memchr(line, ' ', ll), *sp2, *t;
			size_t tl;

			if (!sp1 || sp1 == line)
				return SNI_BAD;
			t = sp1 + 1;
			sp2 = memchr(t, ' ', ll - (size_t)(t - line));
			if (!sp2 || sp2 == t)
				return SNI_BAD;
			tl = (size_t)(sp2 - t);
			if (ll - (size_t)(sp2 + 1 - line) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
			    (sp2[8] != '0' && sp2[8] != '1'))
				return SNI_BAD;
			http10 = sp2[8] == '0';
			for (size_t i = 0; i < tl; i++)
				if (t[i] <= ' ' || t[i] >= 0x7f)
					return SNI_BAD;
			size_t s = 0;

			if (tl > 7 && !strncasecmp((const char *)t, "http://", 7))
				s = 7;
			else if (tl > 8 && !strncasecmp((const char *)t, "https://", 8))
				s = 8;
			if (s) {
				const uint8_t *a = t + s;
				size_t al = 0;

				while (s + al < tl && a[al] != '/' && a[al] != '?' && a[al] != '#')
					al++;
				if (memchr(a, '@', al))
					return SNI_BAD;	/* userinfo has no place in a request */
				uri_host = a;
				uri_host_len = al;
			}
			continue;
		}
		if (!ll)
			break;	/* end of the head */
		if (line[0] == ' ' || line[0] == '\t')
			return SNI_BAD;	/* obsolete line folding */
		{
			const uint8_t *colon = memchr(line, ':', ll);
			size_t nl_len, vs, ve;

			if (!colon || colon == line)
				return SNI_BAD;
			nl_len = (size_t)(colon - line);
			for (size_t i = 0; i < nl_len; i++)
				if (!is_tchar(line[i]))
					return SNI_BAD;
			if (nl_len != 4 || strncasecmp((const char *)line, "host", 4))
				continue;
			if (host)
				return SNI_BAD;	/* two Host headers: refuse to guess */
			vs = nl_len + 1;
			ve = ll;
			while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
				vs++;
			while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
				ve--;
			host = line + vs;
			host_len = ve - vs;
		}
	}
	if (uri_host)
		return parse_host_value(uri_host, uri_host_len, name, name_len);
	if (!host)
		return http10 ? SNI_NONE : SNI_BAD;	/* RFC 9112 3.2: 1.1 needs Host */
	return parse_host_value(host, host_len, name, name_len);
}
