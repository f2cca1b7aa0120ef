// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog_msg.c - validation of one syslog message and RFC 5425 framing.
 * Pure functions over bytes; see syslog_msg.h for the accepted grammar.
 */
#include <errno.h>
#include <string.h>

#include "syslog_msg.h"

size_t syslog_msg_trim(const uint8_t *p, size_t len)
{
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == '\0'))
		len--;
	return len;
}

const char *syslog_verdict_str(int v)
{
	switch (v) {
	case SYSLOG_OK: return "ok";
	case SYSLOG_EMPTY: return "empty";
	case SYSLOG_BAD_PRI: return "bad PRI";
	case SYSLOG_BAD_HEADER: return "bad RFC 5424 header";
	}
	return "unknown";
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* One RFC 5424 header field: 1..max PRINTUSASCII octets, ends at SP. */
static bool take_field(const uint8_t *p, size_t len, size_t *i, size_t max)
{
	size_t start = *i;

	while (*i < len && p[*i] >= 33 && p[*i] <= 126)
		(*i)++;
	if (*i == start || *i - start > max || *i >= len || p[*i] != ' ')
		return false;
	(*i)++;
	return true;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'. */
static bool take_sd_name(const uint8_t *p, size_t len, size_t *i)
{
	size_t start = *i;

	while (*i < len && p[*i] >= 33 && p[*i] <= 126 && p[*i] != '=' && p[*i] != ']' && p[*i] != '"')
		(*i)++;
	return *i > start && *i - start <= 32;
}

/* STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT; leaves *i after it. */
static bool take_sd(const uint8_t *p, size_t len, size_t *i)
{
	if (*i < len && p[*i] == '-') {
		(*i)++;
		return true;
	}
	if (*i >= len || p[*i] != '[')
		return false;
	while (*i < len && p[*i] == '[') {
		(*i)++;
		if (!take_sd_name(p, len, i))
			return false;
		while (*i < len && p[*i] == ' ') {
			(*i)++;
			if (!take_sd_name(p, len, i))
				return false;
			if (*i + 1 >= len || p[*i] != '=' || p[*i + 1] != '"')
				return false;
			*i += 2;
			/* PARAM-VALUE: UTF-8, with '"', '\' and ']' escaped */
			while (*i < len && p[*i] != '"') {
				if (p[*i] == '\\' && *i + 1 < len)
					(*i)++;
				(*i)++;
			}
			if (*i >= len)
				return false;
			(*i)++;
		}
		if (*i >= len || p[*i] != ']')
			return false;
		(*i)++;
	}
	return true;
}

int syslog_msg_parse(const uint8_t *p, size_t len, struct syslog_msg_info *info)
{
	struct syslog_msg_info tmp;
	size_t i = 1, digits;
	int pri = 0;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if (!len)
		return SYSLOG_EMPTY;
	if (p[0] != '<')
		return SYSLOG_BAD_PRI;
	while (i < len && is_digit(p[i]) && i <= 3) {
		pri = pri * 10 + (p[i] - '0');
		i++;
	}
	digits = i - 1;
	if (!digits || i >= len || p[i] != '>' || pri > 191 || (digits > 1 && p[1] == '0'))
		return SYSLOG_BAD_PRI;
	i++;
	info->pri = pri;
	if (i + 1 < len && p[i] == '1' && p[i + 1] == ' ') {
		i += 2;
		info->version = 1;
		if (!take_field(p, len, &i, 64) ||	/* TIMESTAMP, "-" or RFC 3339 */
		    !take_field(p, len, &i, 255) ||	/* HOSTNAME */
		    !take_field(p, len, &i, 48) ||	/* APP-NAME */
		    !take_field(p, len, &i, 128) ||	/* PROCID */
		    !take_field(p, len, &i, 32) ||	/* MSGID */
		    !take_sd(p, len, &i))
			return SYSLOG_BAD_HEADER;
		if (i < len && p[i] != ' ')
			return SYSLOG_BAD_HEADER;
		info->msg_off = i < len ? i + 1 : len;
		return SYSLOG_OK;
	}
	/* RFC 3164: anything goes after PRI, but something must be there. */
	if (i >= len)
		return SYSLOG_EMPTY;
	info->msg_off = i;
	return SYSLOG_OK;
}

/* ---- framing ----------------------------------------------------------- */

void syslog_frame_init(struct syslog_frame *f, enum conf_framing fr, uint32_t msg_len)
{
	char tmp[SYSLOG_FRAME_HDR_MAX];
	int n = 0;
	uint32_t v = msg_len;

	f->msg_len = msg_len;
	f->off = 0;
	f->hdr_len = 0;
	f->trl_len = 0;
	if (fr == FRAMING_LF) {
		f->trl_len = 1;
		return;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		f->hdr[f->hdr_len++] = (uint8_t)tmp[--n];
	f->hdr[f->hdr_len++] = ' ';
}

size_t syslog_frame_emit(struct syslog_frame *f, const uint8_t *msg, uint8_t *dst, size_t cap)
{
	size_t done = 0, n;

	/* header */
	if (f->off < f->hdr_len) {
		n = f->hdr_len - f->off;
		if (n > cap)
			n = cap;
		memcpy(dst, f->hdr + f->off, n);
		f->off += (uint32_t)n;
		done += n;
	}
	/* message */
	if (done < cap && f->off >= f->hdr_len && f->off < f->hdr_len + f->msg_len) {
		size_t at = f->off - f->hdr_len;

		n = f->msg_len - at;
		if (n > cap - done)
			n = cap - done;
		memcpy(dst + done, msg + at, n);
		if (f->trl_len) {
			/* LF framing: an embedded LF would end the frame early */
			uint8_t *q = dst + done, *end = q + n;

			while ((q = memchr(q, '\n', (size_t)(end - q))))
				*q++ = ' ';
		}
		f->off += (uint32_t)n;
		done += n;
	}
	/* trailer */
	if (done < cap && f->trl_len && f->off == f->hdr_len + f->msg_len) {
		dst[done++] = '\n';
		f->off++;
	}
	return done;
}

int syslog_frame_decode(enum conf_framing fr, const uint8_t *buf, size_t len, size_t max,
			const uint8_t **msg, size_t *msg_len, size_t *consumed)
{
	size_t i = 0;
	uint64_t v = 0;

	if (fr == FRAMING_LF) {
		const uint8_t *nl = memchr(buf, '\n', len);

		if (!nl)
			return len > max ? -EBADMSG : SYSLOG_FRAME_NEED_MORE;
		if ((size_t)(nl - buf) > max)
			return -EBADMSG;
		*msg = buf;
		*msg_len = (size_t)(nl - buf);
		*consumed = *msg_len + 1;
		return SYSLOG_FRAME_OK;
	}
	if (!len)
		return SYSLOG_FRAME_NEED_MORE;
	if (buf[0] < '1' || buf[0] > '9')
		return -EBADMSG;
	while (i < len && is_digit(buf[i])) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > max)
			return -EBADMSG;
		i++;
	}
	if (i == len)
		return SYSLOG_FRAME_NEED_MORE;
	if (buf[i] != ' ')
		return -EBADMSG;
	i++;
	if (len - i < v)
		return SYSLOG_FRAME_NEED_MORE;
	*msg = buf + i;
	*msg_len = (size_t)v;
	*consumed = i + (size_t)v;
	return SYSLOG_FRAME_OK;
}
