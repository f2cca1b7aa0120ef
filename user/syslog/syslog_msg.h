/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog_msg.h - pure syslog message validation and stream framing.
 *
 * No I/O, no allocation: bytes in, a documented verdict out. The same
 * functions are the fuzz entry points (tests/fuzz/syslog.c) and are
 * tested from tables of byte arrays (tests/unit/syslog_msg_test.c).
 *
 * Validation (syslog_msg_parse) accepts:
 *   - RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]",
 *     header fields PRINTUSASCII within the RFC's length limits, SD "-" or
 *     well-formed "[id param="value"...]" elements. MSG is any octets.
 *   - RFC 3164: "<PRI>" followed by at least one octet of anything.
 *   PRI is 1-3 digits, 0..191, no leading zero (RFC 3164 4.1.1). A
 *   message that starts "<PRI>1 " is held to RFC 5424 strictly.
 *   Everything else is garbage: counted and dropped by the caller.
 *
 * Framing (RFC 5425 section 4.3 and the common LF variant):
 *   octet: "LEN SP MSG", LEN decimal without leading zero.
 *   lf:    "MSG LF". LF framing cannot carry an LF inside a message, so
 *          the encoder writes a space for every embedded LF (rsyslog
 *          escapes it too); octet framing carries every byte unchanged.
 */
#ifndef EDGESTEER_SYSLOG_MSG_H
#define EDGESTEER_SYSLOG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"

enum syslog_verdict {
	SYSLOG_OK = 0,		/* valid; info filled in */
	SYSLOG_EMPTY,		/* nothing left after trimming */
	SYSLOG_BAD_PRI,		/* no "<PRI>", or PRI out of range */
	SYSLOG_BAD_HEADER,	/* "<PRI>1 " but not RFC 5424 */
};

struct syslog_msg_info {
	int pri;		/* facility * 8 + severity */
	int version;		/* 0: RFC 3164 (legacy), 1: RFC 5424 */
	size_t msg_off;		/* offset of the free-form MSG part */
};

/* Length of p once trailing LF, CR and NUL bytes are removed. */
size_t syslog_msg_trim(const uint8_t *p, size_t len);
/* Validate one (trimmed) message; returns an enum syslog_verdict. */
int syslog_msg_parse(const uint8_t *p, size_t len, struct syslog_msg_info *info);
const char *syslog_verdict_str(int v);

/* ---- framing ----------------------------------------------------------- */

#define SYSLOG_FRAME_HDR_MAX 12	/* "4294967295 " */

/*
 * An outgoing frame being written, possibly in several pieces (the TLS
 * buffer or socket takes what fits). Small and fixed: this is what a
 * subscriber keeps between writes.
 */
struct syslog_frame {
	uint32_t msg_len;
	uint32_t off;		/* bytes of the whole frame already emitted */
	uint8_t hdr_len;	/* octet: "LEN SP" */
	uint8_t trl_len;	/* lf: 1 */
	uint8_t hdr[SYSLOG_FRAME_HDR_MAX];
};

void syslog_frame_init(struct syslog_frame *f, enum conf_framing fr, uint32_t msg_len);
static inline size_t syslog_frame_total(const struct syslog_frame *f)
{
	return (size_t)f->hdr_len + f->msg_len + f->trl_len;
}
static inline bool syslog_frame_done(const struct syslog_frame *f)
{
	return f->off == syslog_frame_total(f);
}
/* Copy the next at most `cap` bytes of the frame of `msg` into dst;
 * returns how many were copied and advances f->off. */
size_t syslog_frame_emit(struct syslog_frame *f, const uint8_t *msg, uint8_t *dst, size_t cap);

enum { SYSLOG_FRAME_NEED_MORE = 0, SYSLOG_FRAME_OK = 1 };
/*
 * Decode the first frame of buf[0..len). Returns SYSLOG_FRAME_OK with
 * msg and msg_len pointing into buf and consumed the frame's length,
 * SYSLOG_FRAME_NEED_MORE when buf holds only part of a frame, or
 * -EBADMSG when it cannot be a frame (bad length field, length > max).
 */
int syslog_frame_decode(enum conf_framing fr, const uint8_t *buf, size_t len, size_t max,
			const uint8_t **msg, size_t *msg_len, size_t *consumed);

#endif
