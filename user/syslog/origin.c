// SPDX-License-Identifier: GPL-2.0-only
/*
 * origin.c - [origin ip="..."] structured data; see origin.h.
 */
#include <string.h>

#include "origin.h"
#include "syslog_msg.h"

size_t syslog_add_origin(const uint8_t *p, size_t len, const char *ip, uint8_t *out, size_t cap)
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
	memcpy(out + o, "\"]", 2);
	o += 2;
	memcpy(out + o, p + sd_end, len - sd_end);
	return o + len - sd_end;
}
