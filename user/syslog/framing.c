// SPDX-License-Identifier: GPL-2.0-only
/*
 * framing.c - RFC 6587 decoder (octet counting and LF), see framing.h for
 * the result table.
 */
#include <string.h>

#include "framing.h"

const char *frame_result_str(enum frame_result r)
{
	switch (r) {
	case FRAME_OK: return "ok";
	case FRAME_NEED_MORE: return "need more";
	case FRAME_BAD_LENGTH: return "malformed octet-count length";
	case FRAME_TOO_BIG: return "frame longer than max_message";
	case FRAME_NO_LF: return "no LF within max_message bytes";
	}
	return "unknown";
}

const char *frame_mode_str(enum frame_mode m)
{
	return m == FRAME_OCTET ? "octet" : m == FRAME_LF ? "lf" : "detect";
}

static enum frame_result octet(const uint8_t *buf, size_t len, size_t max, const uint8_t **msg,
			       size_t *msg_len, size_t *consumed)
{
	uint64_t v = 0;
	size_t i = 0;

	if (buf[0] < '1' || buf[0] > '9')
		return FRAME_BAD_LENGTH;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == FRAME_LEN_DIGITS)
			return FRAME_BAD_LENGTH;
		v = v * 10 + (uint64_t)(buf[i] - '0');
		i++;
	}
	if (i == len)
		return FRAME_NEED_MORE;
	if (buf[i] != ' ')
		return FRAME_BAD_LENGTH;
	if (v > max)
		return FRAME_TOO_BIG;
	i++;
	if (len - i < v)
		return FRAME_NEED_MORE;
	*msg = buf + i;
	*msg_len = (size_t)v;
	*consumed = i + (size_t)v;
	return FRAME_OK;
}

static enum frame_result lf(const uint8_t *buf, size_t len, size_t max, const uint8_t **msg,
			    size_t *msg_len, size_t *consumed)
{
	/* a message of max bytes plus its LF: look no further than that */
	size_t look = len < max + 1 ? len : max + 1;
	const uint8_t *nl = memchr(buf, '\n', look);

	if (!nl)
		return len > max ? FRAME_NO_LF : FRAME_NEED_MORE;
	*msg = buf;
	*msg_len = (size_t)(nl - buf);
	*consumed = *msg_len + 1;
	return FRAME_OK;
}

enum frame_result frame_next(enum frame_mode *mode, const uint8_t *buf, size_t len, size_t max,
			     const uint8_t **msg, size_t *msg_len, size_t *consumed)
{
	*msg = NULL;
	*msg_len = 0;
	*consumed = 0;
	if (!len)
		return FRAME_NEED_MORE;
	if (*mode == FRAME_DETECT)
		*mode = buf[0] >= '1' && buf[0] <= '9' ? FRAME_OCTET : FRAME_LF;
	if (*mode == FRAME_OCTET)
		return octet(buf, len, max, msg, msg_len, consumed);
	return lf(buf, len, max, msg, msg_len, consumed);
}
