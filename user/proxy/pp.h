/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pp.h - PROXY protocol header builder (haproxy.org proxy-protocol.txt),
 * sent to an upstream before the client's first byte so that it learns
 * the client's address.
 *
 * v1: "PROXY TCP4 SRC DST SPORT DPORT\r\n" (TCP6 for IPv6; an IPv4-mapped
 *     IPv6 address is written as IPv4; mixed families give
 *     "PROXY UNKNOWN\r\n", which the spec defines for that case).
 * v2: the binary form, PROXY command, AF_INET or AF_INET6 over STREAM
 *     (a mixed pair is sent as two IPv6 addresses, IPv4 mapped), plus a
 *     PP2_TYPE_AUTHORITY TLV with the server name when there is one.
 */
#ifndef EDGESTEER_PP_H
#define EDGESTEER_PP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/conf.h"

#define PP_MAX_LEN	(16 + 36 + 3 + 255)	/* v2 TCP6 + authority TLV */
#define PP2_TYPE_AUTHORITY 0x02

/*
 * Write the header for a connection from `src` (the client) to `dst` (the
 * address it reached us on) into buf. `authority` may be NULL or "".
 * Returns its length, or -EINVAL (bad version or family), -ENOSPC.
 */
int pp_build(enum conf_pp ver, const struct sockaddr *src, const struct sockaddr *dst,
	     const char *authority, uint8_t *buf, size_t len);

#endif
