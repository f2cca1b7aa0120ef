// SPDX-License-Identifier: GPL-2.0-only
/*
 * pri_fix.c - RFC 3164 4.3.3 relay behaviour for messages without PRI;
 * see pri_fix.h.
 */
#include <stdio.h>
#include <string.h>

#include "pri_fix.h"

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int dig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* "hh:mm:ss" at p */
static int hms(const uint8_t *p)
{
	return dig(p[0]) && dig(p[1]) && p[2] == ':' && dig(p[3]) && dig(p[4]) && p[5] == ':' && dig(p[6]) &&
	       dig(p[7]);
}

size_t syslog_leading_timestamp(const uint8_t *p, size_t len)
{
	size_t i;

	/* "Mmm dd hh:mm:ss " (RFC 3164; dd is " 1".."31") */
	if (len >= 16) {
		for (i = 0; i < 12; i++)
			if (!memcmp(p, months[i], 3))
				break;
		if (i < 12 && p[3] == ' ' && (p[4] == ' ' || dig(p[4])) && dig(p[5]) && p[6] == ' ' &&
		    hms(p + 7)) {
			i = 15;
			/* fractions some devices add: ".123" */
			if (p[i] == '.')
				for (i++; i < len && dig(p[i]); i++)
					;
			return i < len && p[i] == ' ' ? i + 1 : 0;
		}
	}
	/* "YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm] " */
	if (len >= 20 && dig(p[0]) && dig(p[1]) && dig(p[2]) && dig(p[3]) && p[4] == '-' && dig(p[5]) &&
	    dig(p[6]) && p[7] == '-' && dig(p[8]) && dig(p[9]) && (p[10] == 'T' || p[10] == ' ') && hms(p + 11)) {
		for (i = 19; i < len && p[i] != ' '; i++)
			if (!dig(p[i]) && p[i] != '.' && p[i] != ':' && p[i] != '+' && p[i] != '-' && p[i] != 'Z')
				return 0;
		return i < len ? i + 1 : 0;
	}
	return 0;
}

size_t syslog_add_pri(const uint8_t *p, size_t len, const char *host, time_t now, uint8_t *out,
		      size_t cap)
{
	size_t o = 0, hl = strlen(host);
	char ts[32];

	if (cap < len + SYSLOG_PRI_EXTRA || hl > 46)
		return 0;
	memcpy(out, "<13>", 4);
	o = 4;
	if (!syslog_leading_timestamp(p, len)) {
		struct tm tm;
		int n;

		localtime_r(&now, &tm);
		n = snprintf(ts, sizeof(ts), "%s %2d %02d:%02d:%02d ", months[tm.tm_mon % 12], tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
		memcpy(out + o, ts, (size_t)n);
		o += (size_t)n;
		if (hl) {
			memcpy(out + o, host, hl);
			o += hl;
			out[o++] = ' ';
		}
	}
	memcpy(out + o, p, len);
	return o + len;
}
