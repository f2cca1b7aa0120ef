// SPDX-License-Identifier: GPL-2.0-only
/*
 * pp.c - build PROXY protocol v1 and v2 headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pp.h"

static const uint8_t pp2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* An endpoint reduced to family, 16 address bytes (v4 in the first 4) and port. */
struct ep {
	int family;
	uint8_t addr[16];
	uint16_t port;	/* host order */
};

static int get_ep(const struct sockaddr *sa, struct ep *e)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		e->family = AF_INET;
		memcpy(e->addr, &s4->sin_addr, 4);
		e->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		e->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			e->family = AF_INET;
			memcpy(e->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->addr, &s6->sin6_addr, 16);
		}
		return 0;
	}
	return -EINVAL;
}

static void to_v6(struct ep *e)
{
	if (e->family != AF_INET)
		return;
	memmove(e->addr + 12, e->addr, 4);
	memset(e->addr, 0, 10);
	e->addr[10] = e->addr[11] = 0xff;
	e->family = AF_INET6;
}

static int build_v1(const struct ep *s, const struct ep *d, uint8_t *buf, size_t len)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int n;

	if (s->family != d->family) {
		n = snprintf((char *)buf, len, "PROXY UNKNOWN\r\n");
	} else {
		inet_ntop(s->family, s->addr, sa, sizeof(sa));
		inet_ntop(d->family, d->addr, da, sizeof(da));
		n = snprintf((char *)buf, len, "PROXY %s %s %s %u %u\r\n",
			     s->family == AF_INET ? "TCP4" : "TCP6", sa, da, s->port, d->port);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

static int build_v2(struct ep *s, struct ep *d, const char *authority, uint8_t *buf, size_t len)
{
	size_t alen = authority ? strlen(authority) : 0, body, o = 16;
	bool v4;

	if (s->family != d->family) {
		to_v6(s);
		to_v6(d);
	}
	v4 = s->family == AF_INET;
	if (alen > 255)
		alen = 0;	/* cannot be a host name; leave it out */
	body = (v4 ? 12 : 36) + (alen ? 3 + alen : 0);
	if (16 + body > len)
		return -ENOSPC;
	memcpy(buf, pp2_sig, sizeof(pp2_sig));
	buf[12] = 0x21;			/* version 2, PROXY */
	buf[13] = v4 ? 0x11 : 0x21;	/* AF_INET / AF_INET6, STREAM */
	buf[14] = (uint8_t)(body >> 8);
	buf[15] = (uint8_t)body;
	if (v4) {
		memcpy(buf + o, s->addr, 4);
		memcpy(buf + o + 4, d->addr, 4);
		o += 8;
	} else {
		memcpy(buf + o, s->addr, 16);
		memcpy(buf + o + 16, d->addr, 16);
		o += 32;
	}
	buf[o++] = (uint8_t)(s->port >> 8);
	buf[o++] = (uint8_t)s->port;
	buf[o++] = (uint8_t)(d->port >> 8);
	buf[o++] = (uint8_t)d->port;
	if (alen) {
		buf[o++] = PP2_TYPE_AUTHORITY;
		buf[o++] = 0;
		buf[o++] = (uint8_t)alen;
		memcpy(buf + o, authority, alen);
		o += alen;
	}
	return (int)o;
}

int pp_build(enum conf_pp ver, const struct sockaddr *src, const struct sockaddr *dst,
	     const char *authority, uint8_t *buf, size_t len)
{
	struct ep s, d;

	if (get_ep(src, &s) || get_ep(dst, &d))
		return -EINVAL;
	if (ver == PP_V1)
		return build_v1(&s, &d, buf, len);
	if (ver == PP_V2)
		return build_v2(&s, &d, authority, buf, len);
	return -EINVAL;
}
