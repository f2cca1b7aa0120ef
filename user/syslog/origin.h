/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * origin.h - `origin = yes`: the sender's address as RFC 5424 structured
 * data, so a collector behind the gateway knows who sent a message.
 * Pure: bytes in, bytes out.
 *
 * Only RFC 5424 messages carry structured data: for them the element
 * [origin ip="ADDR"] (RFC 5424 section 7.3, a registered SD-ID) replaces
 * a NILVALUE SD or follows the elements already there. A message that
 * already has an origin element (from a relay before us) is left as it
 * is: an SD-ID may appear only once. RFC 3164 messages are unchanged.
 */
#ifndef EDGESTEER_SYSLOG_ORIGIN_H
#define EDGESTEER_SYSLOG_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

/* [origin ip=""] and an IPv6 address */
#define SYSLOG_ORIGIN_EXTRA (15 + 46)

/* Write p with the origin element to out (cap >= len + SYSLOG_ORIGIN_EXTRA);
 * returns its length, or 0 when p stays as it is (not RFC 5424, origin
 * already there, no room). */
size_t syslog_add_origin(const uint8_t *p, size_t len, const char *ip, uint8_t *out, size_t cap);

#endif
