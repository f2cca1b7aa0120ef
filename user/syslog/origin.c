// SPDX-License-Identifier: GPL-2.0-only
/*
 * origin.c - [origin ip="..." subject="..."] structured data; see origin.h.
 */
#include <string.h>

#include "origin.h"
#include "syslog_msg.h"

/* Length of the well-formed UTF-8 sequence at s (lead byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
	/* overlong three- and four-byte forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

size_t syslog_sd_escape(const char *in, uint8_t *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		size_t n = 1, w;

		if (*s >= 0x80)
			n = utf8_len(s);
		/* one character: escaped, copied, or '?' */
		if (*s == '"' || *s == '\\' || *s == ']')
			w = 2;
		else if (*s < 0x20 || *s == 0x7f || !n)
			w = 1;
		else
			w = n;
		if (o + w > max)
			break;		/* cut before the character, never inside it */
		if (w == 2 && n == 1) {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s < 0x20 || *s == 0x7f || !n) {
			out[o++] = '?';
		} else {
			memcpy(out + o, s, n);
			o += n;
		}
		s += n ? n : 1;
	}
	return o;
}

size_t syslog_add_origin(const uint8_t *p, size_t len, const char *ip, const char *subject, uint8_t *out,
			 size_t cap)
{
	struct syslog_msg_info info;
	size_t i, sd, sd_end, il = strlen(ip), o;
	int spaces = 0;

	if (il > 46 || cap < len + SYSLOG_ORIGIN_EXTRA)
		return 0;
	if (syslog_msg_parse(p, len, &info) != SYSLOG_OK || info.version != 1)
		return 0;
	/* SD starts after "<PRI>1 " and five space-separated header fields */
	for (i = 0; i < len && p[i] != '>'; i++)
		;
	i += 3;
	for (; i < len && spaces < 5; i++)
		if (p[i] == ' ')
			spaces++;
	sd = i;
	sd_end = info.msg_off < len ? info.msg_off - 1 : len;
	if (sd >= sd_end || sd_end > len)
		return 0;
	if (memmem(p + sd, sd_end - sd, "[origin ", 8) || memmem(p + sd, sd_end - sd, "[origin]", 8))
		return 0;
	o = 0;
	if (p[sd] == '-') {
		memcpy(out, p, sd);
		o = sd;
	} else {
		memcpy(out, p, sd_end);
		o = sd_end;
	}
	memcpy(out + o, "[origin ip=\"", 12);
	o += 12;
	memcpy(out + o, ip, il);
	o += il;
	if (subject && subject[0]) {
		memcpy(out + o, "\" subject=\"", 11);
		o += 11;
		o += syslog_sd_escape(subject, out + o, SYSLOG_ORIGIN_SUBJECT_MAX);
	}
	memcpy(out + o, "\"]", 2);
	o += 2;
	memcpy(out + o, p + sd_end, len - sd_end);
	return o + len - sd_end;
}
