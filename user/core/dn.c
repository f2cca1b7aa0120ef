// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls_dn.c - DER Name walking and the canonical DN form of tls_dn.h.
 * A bounded DER reader: every length is checked against what is left.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dn.h"

int dn_der_next(struct dn_der *d, uint8_t *tag, struct dn_der *val, struct dn_der *whole)
{
	size_t i = 2, l;

	if (d->len < 2)
		return -EINVAL;
	*tag = d->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return -EINVAL;	/* multi-byte tags never occur in a Name */
	l = d->p[1];
	if (l & 0x80) {
		size_t n = l & 0x7f;

		if (n == 0 || n > 3 || d->len < 2 + n)
			return -EINVAL;
		for (l = 0; n; n--)
			l = (l << 8) | d->p[i++];
	}
	if (l > d->len - i)
		return -EINVAL;
	if (whole) {
		whole->p = d->p;
		whole->len = i + l;
	}
	val->p = d->p + i;
	val->len = l;
	d->p += i + l;
	d->len -= i + l;
	return 0;
}

struct oid_name {
	const char *name;
	uint8_t len;
	uint8_t oid[10];
};

static const struct oid_name oid_names[] = {
	{ "CN", 3, { 0x55, 0x04, 0x03 } },
	{ "SN", 3, { 0x55, 0x04, 0x04 } },
	{ "serialNumber", 3, { 0x55, 0x04, 0x05 } },
	{ "C", 3, { 0x55, 0x04, 0x06 } },
	{ "L", 3, { 0x55, 0x04, 0x07 } },
	{ "ST", 3, { 0x55, 0x04, 0x08 } },
	{ "STREET", 3, { 0x55, 0x04, 0x09 } },
	{ "O", 3, { 0x55, 0x04, 0x0a } },
	{ "OU", 3, { 0x55, 0x04, 0x0b } },
	{ "GN", 3, { 0x55, 0x04, 0x2a } },
	{ "DC", 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 } },
	{ "UID", 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01 } },
	{ "emailAddress", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 } },
};

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

static void putf(struct out *o, const char *fmt, unsigned v)
{
	char b[16];
	int n = snprintf(b, sizeof(b), fmt, v);

	put(o, b, (size_t)n);
}

static void put_oid(struct out *o, const uint8_t *p, size_t len)
{
	size_t i;
	unsigned long v = 0;
	bool first = true;

	for (i = 0; i < sizeof(oid_names) / sizeof(oid_names[0]); i++)
		if (oid_names[i].len == len && !memcmp(oid_names[i].oid, p, len)) {
			put(o, oid_names[i].name, strlen(oid_names[i].name));
			return;
		}
	for (i = 0; i < len; i++) {
		v = (v << 7) | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 80 ? (unsigned)v / 40 : 2;

			putf(o, "%u", a);
			putf(o, ".%u", (unsigned)(v - a * 40));
			first = false;
		} else {
			putf(o, ".%u", (unsigned)v);
		}
		v = 0;
	}
}

static void put_value(struct out *o, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = (char)p[i];

		if (strchr(",+\"\\<>;=", c) && c) {
			put(o, "\\", 1);
		} else if ((i == 0 && (c == ' ' || c == '#')) || (i == len - 1 && c == ' ')) {
			put(o, "\\", 1);
		} else if ((uint8_t)c < 0x20 || c == 0x7f) {
			putf(o, "\\%02x", (uint8_t)c);
			continue;
		}
		put(o, &c, 1);
	}
}

int dn_from_der(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	struct dn_der d = { der, len }, name, rdns[64];
	struct out o = { out, 0, outlen, false };
	uint8_t tag;
	int n = 0, i;

	if (!outlen)
		return -ENOSPC;
	out[0] = 0;
	if (dn_der_next(&d, &tag, &name, NULL) || tag != 0x30)
		return -EINVAL;
	while (name.len) {
		if (n == 64)
			return -EINVAL;
		if (dn_der_next(&name, &tag, &rdns[n], NULL) || tag != 0x31)
			return -EINVAL;
		n++;
	}
	for (i = n - 1; i >= 0; i--) {
		struct dn_der rdn = rdns[i];
		bool first = true;

		if (i != n - 1)
			put(&o, ",", 1);
		while (rdn.len) {
			struct dn_der atv, oid, val, whole;
			uint8_t vtag;

			if (dn_der_next(&rdn, &tag, &atv, NULL) || tag != 0x30)
				return -EINVAL;
			if (dn_der_next(&atv, &tag, &oid, NULL) || tag != 0x06 || !oid.len)
				return -EINVAL;
			if (dn_der_next(&atv, &vtag, &val, &whole) || atv.len)
				return -EINVAL;
			if (!first)
				put(&o, "+", 1);
			first = false;
			put_oid(&o, oid.p, oid.len);
			put(&o, "=", 1);
			/* UTF8String, PrintableString, T61String, IA5String */
			if (vtag == 0x0c || vtag == 0x13 || vtag == 0x14 || vtag == 0x16) {
				put_value(&o, val.p, val.len);
			} else {
				size_t k;

				put(&o, "#", 1);
				for (k = 0; k < whole.len; k++)
					putf(&o, "%02x", whole.p[k]);
			}
		}
	}
	return o.overflow ? -ENOSPC : 0;
}

/* The issuer (subject = false) or subject Name of a DER certificate. */
static int cert_name(const uint8_t *cert, size_t len, bool subject, char *out, size_t outlen)
{
	struct dn_der d = { cert, len }, c, tbs, skip, issuer;
	uint8_t tag;

	if (dn_der_next(&d, &tag, &c, NULL) || tag != 0x30)
		return -EINVAL;
	if (dn_der_next(&c, &tag, &tbs, NULL) || tag != 0x30)
		return -EINVAL;
	/* [0] version (optional), serialNumber, signature, issuer */
	if (dn_der_next(&tbs, &tag, &skip, NULL))
		return -EINVAL;
	if (tag == 0xa0 && dn_der_next(&tbs, &tag, &skip, NULL))
		return -EINVAL;
	if (tag != 0x02)
		return -EINVAL;
	if (dn_der_next(&tbs, &tag, &skip, NULL) || tag != 0x30)
		return -EINVAL;
	if (dn_der_next(&tbs, &tag, &skip, &issuer) || tag != 0x30)
		return -EINVAL;
	if (subject) {
		/* validity, then subject */
		if (dn_der_next(&tbs, &tag, &skip, NULL) || tag != 0x30)
			return -EINVAL;
		if (dn_der_next(&tbs, &tag, &skip, &issuer) || tag != 0x30)
			return -EINVAL;
	}
	return dn_from_der(issuer.p, issuer.len, out, outlen);
}

int dn_cert_issuer(const uint8_t *cert, size_t len, char *out, size_t outlen)
{
	return cert_name(cert, len, false, out, outlen);
}

int dn_cert_subject(const uint8_t *cert, size_t len, char *out, size_t outlen)
{
	return cert_name(cert, len, true, out, outlen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int dn_canon(const char *in, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen, false };
	const char *s = in;

	if (!outlen)
		return -ENOSPC;
	out[0] = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	for (;;) {
		char type[64], val[TLS_DN_MAX];
		size_t tl = 0, vl = 0, lastsig = 0, i;
		bool known = false;

		while (isspace((unsigned char)*s))
			s++;
		while (*s && *s != '=' && !isspace((unsigned char)*s) && tl < sizeof(type) - 1)
			type[tl++] = *s++;
		type[tl] = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!tl || *s != '=')
			return -EINVAL;
		s++;
		while (*s == ' ')
			s++;
		/* value up to an unescaped ',' or '+'; trailing spaces dropped
		 * unless escaped */
		while (*s && *s != ',' && *s != '+') {
			if (vl >= sizeof(val) - 1)
				return -ENOSPC;
			if (*s == '\\') {
				int h1 = hexval(s[1]), h2 = h1 >= 0 ? hexval(s[2]) : -1;

				if (!s[1])
					return -EINVAL;
				if (h1 >= 0 && h2 >= 0) {
					val[vl++] = (char)(h1 * 16 + h2);
					s += 3;
				} else {
					val[vl++] = s[1];
					s += 2;
				}
				lastsig = vl;
				continue;
			}
			val[vl++] = *s++;
			if (val[vl - 1] != ' ')
				lastsig = vl;
		}
		vl = lastsig;
		val[vl] = 0;
		for (i = 0; i < sizeof(oid_names) / sizeof(oid_names[0]); i++)
			if (!strcasecmp(type, oid_names[i].name)) {
				put(&o, oid_names[i].name, strlen(oid_names[i].name));
				known = true;
				break;
			}
		if (!known) {
			/* a dotted OID */
			if (strspn(type, "0123456789.") != tl || !isdigit((unsigned char)type[0]))
				return -EINVAL;
			put(&o, type, tl);
		}
		put(&o, "=", 1);
		if (vl > 1 && val[0] == '#' && !known && strspn(val + 1, "0123456789abcdefABCDEF") == vl - 1) {
			/* "#hex": the DER of a non-string value, as dn_from_der prints it */
			for (i = 0; i < vl; i++) {
				char ch = (char)tolower((unsigned char)val[i]);

				put(&o, &ch, 1);
			}
		} else {
			put_value(&o, (const uint8_t *)val, vl);
		}
		if (!*s)
			break;
		put(&o, s, 1);	/* ',' or '+' */
		s++;
	}
	return o.overflow ? -ENOSPC : 0;
}
