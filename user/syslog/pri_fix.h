/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pri_fix.h - RFC 3164 section 4.3.3: what a relay does with a message
 * that has no PRI (or one it cannot read). Pure: bytes in, bytes out.
 *
 * The whole message becomes the CONTENT of a relayed one:
 *   - "<13>" is put in front (user.notice);
 *   - when the message does not start with a timestamp, the relay's
 *     local time "Mmm dd hh:mm:ss" and a space are added after it, then
 *     the sender's address (HOSTNAME) and a space.
 * A timestamp is RFC 3164's "Mmm dd hh:mm:ss" (day space-padded, as
 * Cisco, busybox and others send it), or an RFC 3339 / ISO 8601 one
 * "YYYY-MM-DDThh:mm:ss..." (T or a space between date and time); such a
 * message is taken to carry its HOSTNAME too and gets only the PRI.
 */
#ifndef EDGESTEER_SYSLOG_PRI_FIX_H
#define EDGESTEER_SYSLOG_PRI_FIX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* PRI + TIMESTAMP + SP + HOSTNAME (an IPv6 address) + SP at most */
#define SYSLOG_PRI_EXTRA (4 + 15 + 1 + 46 + 1)

/* Length of a timestamp at the start of p followed by a space, else 0. */
size_t syslog_leading_timestamp(const uint8_t *p, size_t len);
/* Write the relayed message to out (cap >= len + SYSLOG_PRI_EXTRA) and
 * return its length. host: the sender's address, "" for none. */
size_t syslog_add_pri(const uint8_t *p, size_t len, const char *host, time_t now, uint8_t *out,
		      size_t cap);

#endif
