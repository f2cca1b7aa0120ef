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

/* ---- parsing ---------------------------------------------------------- */

static const char v1_prefix[] = "PROXY ";

static void set_sa(struct sockaddr_storage *ss, int family, const uint8_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		s4->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
		s6->sin6_port = htons(port);
	}
}

/* A v1 port: 1 to 5 digits, no leading zero (the spec's form), <= 65535. */
static int v1_port(const char *s, uint16_t *port)
{
	size_t n = strlen(s);
	unsigned long v = 0;

	if (!n || n > 5 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "PROXY TCP4 1.2.3.4 5.6.7.8 1234 443\r\n", "PROXY UNKNOWN ...\r\n" */
static enum pp_parse_result parse_v1(const uint8_t *buf, size_t len, struct pp_info *out)
{
	char line[PP_V1_MAX + 1], *f[6], *save = NULL, *t;
	uint8_t sa[16], da[16];
	size_t n, i;
	int fam, nf = 0;
	uint16_t sp, dp;

	for (i = 0; i < len && i < PP_V1_MAX; i++) {
		if (i < sizeof(v1_prefix) - 1 && buf[i] != (uint8_t)v1_prefix[i])
			return PP_PARSE_BAD;
		if (buf[i] == '\n')
			break;
		/* printable ASCII and the CR that ends the line, nothing else */
		if (buf[i] == '\r' ? i + 1 < len && buf[i + 1] != '\n' : buf[i] < 0x20 || buf[i] > 0x7e)
			return PP_PARSE_BAD;
	}
	if (i == len)
		return len < PP_V1_MAX ? PP_PARSE_NEED_MORE : PP_PARSE_BAD;
	if (i == PP_V1_MAX || i < 1 || buf[i] != '\n' || buf[i - 1] != '\r')
		return PP_PARSE_BAD;
	n = i + 1;				/* with CRLF */
	memcpy(line, buf, n - 2);
	line[n - 2] = 0;
	/* exactly one space between fields: split and count */
	if (strstr(line, "  ") || line[n - 3] == ' ')
		return PP_PARSE_BAD;
	for (t = strtok_r(line, " ", &save); t && nf < 6; t = strtok_r(NULL, " ", &save))
		f[nf++] = t;
	memset(out, 0, sizeof(*out));
	out->len = n;
	out->version = 1;
	if (nf >= 2 && !strcmp(f[1], "UNKNOWN"))
		return PP_PARSE_OK;	/* the rest of the line is to be ignored */
	if (t || nf != 6)
		return PP_PARSE_BAD;
	if (!strcmp(f[1], "TCP4"))
		fam = AF_INET;
	else if (!strcmp(f[1], "TCP6"))
		fam = AF_INET6;
	else
		return PP_PARSE_BAD;
	if (inet_pton(fam, f[2], sa) != 1 || inet_pton(fam, f[3], da) != 1 || v1_port(f[4], &sp) ||
	    v1_port(f[5], &dp))
		return PP_PARSE_BAD;
	set_sa(&out->src, fam, sa, sp);
	set_sa(&out->dst, fam, da, dp);
	out->has_addr = true;
	return PP_PARSE_OK;
}

static enum pp_parse_result parse_v2(const uint8_t *buf, size_t len, struct pp_info *out)
{
	size_t body, n;
	uint8_t cmd, fam;

	for (size_t i = 0; i < len && i < sizeof(pp2_sig); i++)
		if (buf[i] != pp2_sig[i])
			return PP_PARSE_BAD;
	if (len < 16)
		return PP_PARSE_NEED_MORE;
	if ((buf[12] >> 4) != 2)
		return PP_PARSE_BAD;
	cmd = buf[12] & 0x0f;
	fam = buf[13];
	if (cmd > 1)
		return PP_PARSE_BAD;
	body = (size_t)buf[14] << 8 | buf[15];
	n = 16 + body;
	if (n > PP_V2_MAX)
		return PP_PARSE_BAD;
	/* the address block must fit in the length the header claims */
	if (cmd == 1 && ((fam == 0x11 && body < 12) || (fam == 0x21 && body < 36)))
		return PP_PARSE_BAD;
	if (len < n)
		return PP_PARSE_NEED_MORE;
	memset(out, 0, sizeof(*out));
	out->len = n;
	out->version = 2;
	if (cmd == 0)
		return PP_PARSE_OK;	/* LOCAL: the balancer's own health check */
	if (fam == 0x11) {
		set_sa(&out->src, AF_INET, buf + 16, (uint16_t)(buf[24] << 8 | buf[25]));
		set_sa(&out->dst, AF_INET, buf + 20, (uint16_t)(buf[26] << 8 | buf[27]));
		out->has_addr = true;
	} else if (fam == 0x21) {
		set_sa(&out->src, AF_INET6, buf + 16, (uint16_t)(buf[48] << 8 | buf[49]));
		set_sa(&out->dst, AF_INET6, buf + 32, (uint16_t)(buf[50] << 8 | buf[51]));
		out->has_addr = true;
	}
	/* UNSPEC, UDP, unix: no TCP address pair; the spec says to use
	 * the connection's own addresses */
	return PP_PARSE_OK;
}

enum pp_parse_result pp_parse(const uint8_t *buf, size_t len, unsigned accept, struct pp_info *out)
{
	if (!len)
		return PP_PARSE_NEED_MORE;
	if (buf[0] == 'P' && (accept & PP_ACCEPT_V1))
		return parse_v1(buf, len, out);
	if (buf[0] == pp2_sig[0] && (accept & PP_ACCEPT_V2))
		return parse_v2(buf, len, out);
	return PP_PARSE_BAD;
}
