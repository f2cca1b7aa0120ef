/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * origin.h - `origin = yes`: the sender's address (and, for a mutual-TLS
 * sender, its certificate's subject) as RFC 5424 structured data, so a
 * collector behind the gateway knows who sent a message. Pure: bytes
 * in, bytes out.
 *
 * Only RFC 5424 messages carry structured data: for them the element
 * [origin ip="ADDR"] (RFC 5424 section 7.3, a registered SD-ID), or
 * [origin ip="ADDR" subject="DN"] when a subject is given, replaces a
 * NILVALUE SD or follows the elements already there. A message that
 * already has an origin element (from a relay before us) is left as it
 * is: an SD-ID may appear only once. RFC 3164 messages are unchanged.
 *
 * The subject is a PARAM-VALUE (RFC 5424 section 6.3.3): '"', '\' and
 * ']' are escaped with a backslash; control characters and bytes that
 * are not UTF-8 become '?'. It is cut at SYSLOG_ORIGIN_SUBJECT_MAX
 * bytes (escaped), at a character boundary, never inside an escape.
 */
#ifndef EDGESTEER_SYSLOG_ORIGIN_H
#define EDGESTEER_SYSLOG_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

/* the escaped subject at most (a certificate DN is rarely over 150) */
#define SYSLOG_ORIGIN_SUBJECT_MAX 256

/* [origin ip=""], an IPv6 address, ` subject=""` and the subject */
#define SYSLOG_ORIGIN_EXTRA (15 + 46 + 11 + SYSLOG_ORIGIN_SUBJECT_MAX)

/* Write p with the origin element to out (cap >= len + SYSLOG_ORIGIN_EXTRA);
 * subject NULL or "": none. Returns its length, or 0 when p stays as it
 * is (not RFC 5424, origin already there, no room). */
size_t syslog_add_origin(const uint8_t *p, size_t len, const char *ip, const char *subject, uint8_t *out,
			 size_t cap);

/* `in` as an SD PARAM-VALUE into out, at most max bytes (no NUL added);
 * returns the bytes written. */
size_t syslog_sd_escape(const char *in, uint8_t *out, size_t max);

#endif
