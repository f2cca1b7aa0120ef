/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pp.h - PROXY protocol headers (haproxy.org proxy-protocol.txt): the
 * builder, sent to an upstream before the client's first byte so that it
 * learns the client's address, and the parser of a header a load
 * balancer in front of us sends (accept_proxy).
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

#include <stdbool.h>
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

/*
 * Parsing a header received from a client (accept_proxy).
 *
 * pp_parse() takes the bytes read so far and answers, without I/O:
 *
 *   PP_PARSE_NEED_MORE  every byte so far fits a header of an accepted
 *                       version, and the header is not complete yet;
 *   PP_PARSE_BAD        not a header of an accepted version (a missing
 *                       header is BAD as soon as its first byte differs),
 *                       malformed, or longer than the limits below;
 *   PP_PARSE_OK         a complete header of out->len bytes; the bytes
 *                       after it are the client's own.
 *
 * On OK, out->has_addr says whether the header carries a TCP over IPv4
 * or IPv6 address pair (v1 TCP4/TCP6, v2 PROXY command with
 * AF_INET/AF_INET6 over STREAM); when it does not (v1 UNKNOWN, v2 LOCAL,
 * other families) the spec says to use the connection's own addresses.
 * v1 is at most PP_V1_MAX bytes with CRLF; a v2 header (with its TLVs,
 * which are skipped) at most PP_V2_MAX.
 */
#define PP_V1_MAX	107
#define PP_V2_MAX	(16 + 2048)
#define PP_ACCEPT_V1	0x1
#define PP_ACCEPT_V2	0x2

enum pp_parse_result { PP_PARSE_NEED_MORE, PP_PARSE_BAD, PP_PARSE_OK };

struct pp_info {
	size_t len;			/* header bytes, on OK */
	int version;			/* 1 or 2 */
	bool has_addr;			/* src and dst are set */
	struct sockaddr_storage src;	/* the client, as the balancer saw it */
	struct sockaddr_storage dst;	/* the address the client reached */
};

/* `accept`: PP_ACCEPT_V1 | PP_ACCEPT_V2. See the table above. */
enum pp_parse_result pp_parse(const uint8_t *buf, size_t len, unsigned accept, struct pp_info *out);

#endif
