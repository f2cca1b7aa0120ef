/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * frames.h - craft test frames for the XDP program: Ethernet or bare IP,
 * 0-3 VLAN tags, PPPoE, IPv4 with options, IPv6 with extension headers,
 * fragments, UDP/TCP/ICMP. Shared by tests/bpf/steer_test.c and the
 * benchmark (scripts/bench/xdp_bench.c).
 */
#ifndef EDGESTEER_TEST_FRAMES_H
#define EDGESTEER_TEST_FRAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#define FRAME_MAX 1600

enum frag_kind { FRAG_NONE, FRAG_FIRST, FRAG_LATER };

struct frame_spec {
	int l3;			/* no Ethernet header */
	int vlans;		/* 0..3 tags; 2 = 802.1ad outer + 802.1Q inner */
	int pppoe;		/* PPPoE session header */
	int ppp_pfc;		/* PPP protocol-field compression (1-byte protocol) */
	uint16_t ppp_proto;	/* override the PPP protocol (0 = from family) */
	uint16_t ethertype;	/* override (0 = from family/pppoe) */
	int family;		/* 4 or 6 */
	int ip_opt_words;	/* IPv4 options, in 4-byte words (0..10) */
	int v6_ext;		/* IPv6 extension headers before L4 (HBH, DST, RT, ...) */
	enum frag_kind frag;
	int proto;		/* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP(V6) */
	const char *src;	/* source address text */
	const char *dst;
	uint16_t sport, dport;
	int payload;		/* payload bytes after L4 */
	uint8_t tcp_flags;	/* TCP flags byte (0 = SYN) */
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Build the frame into out (FRAME_MAX bytes). Returns its length; *hdrs
 * (if not NULL) gets the offset where the last header (L4, or the last
 * IP/extension header when there is no L4 header) ends.
 */
static inline size_t frame_build(const struct frame_spec *s, uint8_t *out, size_t *hdrs)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 }, smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t off = 0, l3, l4, l4len, iphl = 0, pppoe_len_at = 0;
	int family = s->family ? s->family : 4;
	int proto = s->proto ? s->proto : IPPROTO_UDP;
	const char *src = s->src ? s->src : (family == 4 ? "192.0.2.10" : "2001:db8::10");
	const char *dst = s->dst ? s->dst : (family == 4 ? "198.18.0.1" : "2001:db8:1::1");
	int i;

	memset(out, 0, FRAME_MAX);
	if (!s->l3) {
		memcpy(out, dmac, 6);
		memcpy(out + 6, smac, 6);
		off = 12;
		for (i = 0; i < s->vlans; i++) {
			put16(out + off, (s->vlans >= 2 && i == 0) ? 0x88a8 : 0x8100);
			put16(out + off + 2, (uint16_t)(100 + i));
			off += 4;
		}
		if (s->ethertype)
			put16(out + off, s->ethertype);
		else if (s->pppoe)
			put16(out + off, 0x8864);
		else
			put16(out + off, family == 4 ? 0x0800 : 0x86dd);
		off += 2;
		if (s->pppoe) {
			uint16_t pp = s->ppp_proto ? s->ppp_proto : (family == 4 ? 0x0021 : 0x0057);

			out[off] = 0x11;
			out[off + 1] = 0;
			put16(out + off + 2, 0x1234);
			pppoe_len_at = off + 4;
			off += 6;
			if (s->ppp_pfc) {
				out[off++] = (uint8_t)pp;
			} else {
				put16(out + off, pp);
				off += 2;
			}
		}
	}
	l3 = off;
	if (family == 4) {
		iphl = 20 + 4 * (size_t)s->ip_opt_words;
		out[l3] = (uint8_t)(0x40 | (iphl / 4));
		out[l3 + 8] = 64;
		out[l3 + 9] = (uint8_t)proto;
		inet_pton(AF_INET, src, out + l3 + 12);
		inet_pton(AF_INET, dst, out + l3 + 16);
		/* options: NOPs, then end-of-list */
		for (i = 0; i < 4 * s->ip_opt_words; i++)
			out[l3 + 20 + i] = (i == 4 * s->ip_opt_words - 1) ? 0 : 1;
		if (s->frag == FRAG_FIRST)
			put16(out + l3 + 6, 0x2000);
		else if (s->frag == FRAG_LATER)
			put16(out + l3 + 6, 185);	/* offset 1480 bytes, last fragment */
		l4 = l3 + iphl;
	} else {
		static const uint8_t ext_types[] = { 0 /*HBH*/, 60 /*DST*/, 43 /*RT*/, 60, 60, 60, 60, 60 };
		uint8_t *nh = out + l3 + 6;
		size_t e = l3 + 40;

		out[l3] = 0x60;
		out[l3 + 7] = 64;
		inet_pton(AF_INET6, src, out + l3 + 8);
		inet_pton(AF_INET6, dst, out + l3 + 24);
		for (i = 0; i < s->v6_ext && i < (int)sizeof(ext_types); i++) {
			*nh = ext_types[i];
			nh = out + e;
			/* 16-byte header: hdrlen 1 (units of 8 beyond the first 8),
			 * filled with a PadN option */
			out[e + 1] = 1;
			out[e + 2] = 1;		/* PadN */
			out[e + 3] = 12;
			if (ext_types[i] == 43) {	/* routing type 0 left, segments 0 */
				out[e + 2] = 0;
				out[e + 3] = 0;
			}
			e += 16;
		}
		if (s->frag != FRAG_NONE) {
			*nh = 44;
			nh = out + e;
			put16(out + e + 2, s->frag == FRAG_FIRST ? 0x0001 : (uint16_t)(1480 | 0));
			out[e + 4] = 0xab;
			e += 8;
		}
		*nh = (uint8_t)proto;
		l4 = e;
	}
	if (s->frag == FRAG_LATER) {
		l4len = 0;	/* later fragment: payload is a continuation, no L4 header */
	} else if (proto == IPPROTO_UDP) {
		l4len = 8;
		put16(out + l4, s->sport ? s->sport : 40000);
		put16(out + l4 + 2, s->dport);
		/* a first fragment's UDP length covers the whole datagram */
		put16(out + l4 + 4, (uint16_t)(8 + s->payload + (s->frag == FRAG_FIRST ? 1480 : 0)));
	} else if (proto == IPPROTO_TCP) {
		l4len = 20;
		put16(out + l4, s->sport ? s->sport : 40000);
		put16(out + l4 + 2, s->dport);
		out[l4 + 12] = 5 << 4;
		out[l4 + 13] = s->tcp_flags ? s->tcp_flags : 0x02;	/* SYN */
		put16(out + l4 + 14, 64240);
	} else {
		l4len = 8;	/* ICMP echo */
		out[l4] = family == 4 ? 8 : 128;
	}
	if (hdrs)
		*hdrs = l4 + l4len;
	for (i = 0; i < s->payload; i++)
		out[l4 + l4len + (size_t)i] = (uint8_t)('a' + i % 26);
	off = l4 + l4len + (size_t)s->payload;
	if (family == 4) {
		put16(out + l3 + 2, (uint16_t)(off - l3));
		put16(out + l3 + 10, ip_csum(out + l3, iphl));
	} else {
		put16(out + l3 + 4, (uint16_t)(off - l3 - 40));
	}
	if (pppoe_len_at)
		put16(out + pppoe_len_at, (uint16_t)(off - (pppoe_len_at + 2)));
	return off;
}

#endif
