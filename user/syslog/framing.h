/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * framing.h - RFC 6587 decoder for syslog received over TCP or TLS.
 *
 * Pure: bytes in, one documented result out; no I/O, no allocation. The
 * caller keeps the connection's mode and a buffer of at most
 * max + FRAME_HDR_MAX bytes, calls frame_next() until it returns
 * FRAME_NEED_MORE, then drops the consumed bytes and reads more.
 *
 * Mode: a connection starts in FRAME_DETECT. Its first byte decides, once
 * for the whole connection: a digit 1-9 means octet counting
 * ("LEN SP MSG", RFC 6587 3.4.1), anything else non-transparent framing
 * ("MSG LF", 3.4.2). A syslog message starts with '<', never with a
 * digit, so the two cannot be confused at the start of a connection.
 *
 * Result table (max = largest message accepted, max_message):
 *
 *   result              when                                   consumed  msg
 *   FRAME_OK            a whole frame is in buf                 frame     MSG (LF mode: without LF;
 *                                                                         a trailing CR is kept)
 *   FRAME_NEED_MORE     buf holds only part of a frame          0         -
 *   FRAME_BAD_LENGTH    octet: LEN starts with 0 or a non-digit, 0         -
 *                       has more than FRAME_LEN_DIGITS digits,
 *                       or is not followed by SP
 *   FRAME_TOO_BIG       octet: LEN > max                        0         -
 *   FRAME_NO_LF         lf: no LF within the first max+1 bytes   0         -
 *
 * The three errors are final: the caller closes the connection (there is
 * no way to find the next frame boundary in either framing). An empty
 * LF frame (an empty line) is FRAME_OK with msg_len 0.
 */
#ifndef EDGESTEER_SYSLOG_FRAMING_H
#define EDGESTEER_SYSLOG_FRAMING_H

#include <stddef.h>
#include <stdint.h>

enum frame_mode { FRAME_DETECT = 0, FRAME_OCTET, FRAME_LF };

enum frame_result {
	FRAME_OK = 0,
	FRAME_NEED_MORE,
	FRAME_BAD_LENGTH,
	FRAME_TOO_BIG,
	FRAME_NO_LF,
};

/* "4294967295": more digits than this is not a length */
#define FRAME_LEN_DIGITS 10
/* LEN SP before the largest message */
#define FRAME_HDR_MAX (FRAME_LEN_DIGITS + 1)

/* Decode the first frame of buf[0..len); *mode is set on first use. */
enum frame_result frame_next(enum frame_mode *mode, const uint8_t *buf, size_t len, size_t max,
			     const uint8_t **msg, size_t *msg_len, size_t *consumed);
const char *frame_result_str(enum frame_result r);
const char *frame_mode_str(enum frame_mode m);

#endif
