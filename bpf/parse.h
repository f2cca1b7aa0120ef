/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * parse.h - header parsers for steer.bpf.c, as a walk of one cursor.
 *
 * Each parse_*() checks its own bounds against the end of the frame (for
 * the verifier) and against the length the enclosing header announced
 * (for correctness: a PPPoE length, an IP total length), moves the cursor
 * past its header and returns what comes next. Any header that is cut
 * short or contradicts itself returns PARSE_BAD(reason), a negative
 * enum es_reason; the classifier counts that frame as malformed under
 * that reason and drops it. Nothing here decides policy.
 *
 * Decisions, documented in README.md:
 *  - Up to two VLAN tags (802.1Q 0x8100 and 802.1ad 0x88a8, any order).
 *    A third tag is not parsed: the frame is `other` and passes.
 *  - PPPoE session frames (0x8864) carrying PPP IPv4 (0x0021) or IPv6
 *    (0x0057), with or without protocol-field compression. Other PPP
 *    protocols (LCP, IPCP, ...) are `other`. Discovery (0x8863) is `other`.
 *  - IPv4: options skipped by IHL. A non-first fragment cannot be
 *    classified (no ports); it is counted and passed: the stack drops its
 *    datagram anyway when the first fragment was dropped here. A first
 *    fragment must carry the whole L4 header (RFC 1858/7112), else it is
 *    malformed.
 *  - IPv6: hop-by-hop, routing, destination options, fragment and AH
 *    headers are walked, at most ES_IPV6_MAX_EXT of them; a chain longer
 *    than that is treated as malformed rather than guessed at, so padding
 *    headers cannot smuggle a frame past a deny list.
 */
#ifndef EDGESTEER_BPF_PARSE_H
#define EDGESTEER_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "edgesteer_abi.h"

#define PARSE_BAD(r) (-(int)(r))

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define PPP_IP	 0x0021
#define PPP_IPV6 0x0057

struct cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct pppoe_hdr {
	__u8 ver_type;		/* 0x11 */
	__u8 code;		/* 0 in session frames */
	__be16 session;
	__be16 length;		/* PPP payload, protocol field included */
};

/* What the classifier needs to know about a frame. */
struct pkt {
	__u32 l3_max;		/* bytes the link layer says L3 may span */
	__u8 family;		/* 4, 6, or 0 for non-IP */
	__u8 l4proto;		/* IPPROTO_UDP/TCP/..., valid when family != 0 */
	__u8 first_frag;	/* first fragment of a fragmented datagram */
	__u8 later_frag;	/* non-first fragment: no L4 header */
	__be16 sport, dport;
	__u8 syn;		/* TCP SYN without ACK: a new connection */
	__u32 l4_left;		/* IP payload bytes from the L4 header on */
};

static __always_inline int vlan_proto(__be16 p)
{
	return p == bpf_htons(ETH_P_8021Q) || p == bpf_htons(ETH_P_8021AD);
}

/* Ethernet and up to two VLAN tags; returns the inner EtherType
 * (network order) or PARSE_BAD. */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return PARSE_BAD(ES_R_L2_TRUNC);
	proto = eth->h_proto;
	c->pos = eth + 1;
	if (vlan_proto(proto)) {
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return PARSE_BAD(ES_R_VLAN_TRUNC);
		proto = vh->encap_proto;
		c->pos = vh + 1;
		if (vlan_proto(proto)) {
			vh = c->pos;
			if ((void *)(vh + 1) > c->end)
				return PARSE_BAD(ES_R_VLAN_TRUNC);
			proto = vh->encap_proto;
			c->pos = vh + 1;
		}
	}
	return proto;
}

/* PPPoE session header and PPP protocol; returns ETH_P_IP, ETH_P_IPV6
 * (network order), 0 for any other PPP protocol, or PARSE_BAD. Sets
 * *l3_max from the PPPoE length. */
static __always_inline int parse_pppoe(struct cursor *c, __u32 *l3_max)
{
	struct pppoe_hdr *ph = c->pos;
	__u8 *pp;
	__u32 len, plen;
	__u16 proto;

	if ((void *)(ph + 1) > c->end)
		return PARSE_BAD(ES_R_PPPOE_TRUNC);
	if (ph->ver_type != 0x11 || ph->code != 0)
		return PARSE_BAD(ES_R_PPPOE_BAD);
	len = bpf_ntohs(ph->length);
	pp = (void *)(ph + 1);
	if ((void *)(pp + 2) > c->end)
		return PARSE_BAD(ES_R_PPPOE_TRUNC);
	if (len > (__u32)(c->end - (void *)pp))
		return PARSE_BAD(ES_R_PPPOE_BAD);
	/* Protocol-field compression: an odd first byte is the whole field. */
	if (pp[0] & 1) {
		proto = pp[0];
		plen = 1;
	} else {
		proto = (__u16)(pp[0] << 8 | pp[1]);
		plen = 2;
	}
	if (len < plen)
		return PARSE_BAD(ES_R_PPPOE_BAD);
	*l3_max = len - plen;
	c->pos = pp + plen;
	if (proto == PPP_IP)
		return bpf_htons(ETH_P_IP);
	if (proto == PPP_IPV6)
		return bpf_htons(ETH_P_IPV6);
	return 0;
}

/* IPv4 with options. Returns the L4 protocol or PARSE_BAD. */
static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot, avail;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return PARSE_BAD(ES_R_IP_TRUNC);
	if (iph->version != 4)
		return PARSE_BAD(ES_R_IP_VERSION);
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	avail = (__u32)(c->end - (void *)iph);
	if (hlen < sizeof(*iph) || tot < hlen)
		return PARSE_BAD(ES_R_IP_IHL);
	if (tot > avail || tot > p->l3_max)
		return PARSE_BAD(ES_R_IP_LEN);
	p->family = 4;
	p->l4proto = iph->protocol;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & 0x1fff)
		p->later_frag = 1;
	else if (frag & 0x2000)
		p->first_frag = 1;
	p->l4_left = tot - hlen;
	c->pos = (void *)iph + hlen;
	return iph->protocol;
}

struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off;	/* fragment header only */
	__u32 pad;
};

/* IPv6 and its extension headers. Returns the L4 protocol or PARSE_BAD. */
static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ipv6_ext *ext;
	__u32 plen, avail, len;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return PARSE_BAD(ES_R_IP_TRUNC);
	if (ip6->version != 6)
		return PARSE_BAD(ES_R_IP_VERSION);
	plen = bpf_ntohs(ip6->payload_len);
	avail = (__u32)(c->end - (void *)ip6);
	if (plen + sizeof(*ip6) > avail || plen + sizeof(*ip6) > p->l3_max)
		return PARSE_BAD(ES_R_IP_LEN);
	p->family = 6;
	nh = ip6->nexthdr;
	c->pos = ip6 + 1;
	/* the common case, no extension header: skip the walk's compares */
	if (nh == IPPROTO_UDP || nh == IPPROTO_TCP) {
		p->l4proto = nh;
		p->l4_left = plen;
		return nh;
	}

	for (i = 0; i < ES_IPV6_MAX_EXT; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH)
			break;
		ext = c->pos;
		if ((void *)(ext + 1) > c->end)
			return PARSE_BAD(ES_R_EXT_TRUNC);
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = bpf_ntohs(ext->frag_off);

			len = 8;
			if (fo & 0xfff8)
				p->later_frag = 1;
			else if (fo & 1)
				p->first_frag = 1;
		} else if (nh == IPPROTO_AH) {
			len = ((__u32)ext->hdrlen + 2) * 4;
		} else {
			len = ((__u32)ext->hdrlen + 1) * 8;
		}
		if (len > plen)
			return PARSE_BAD(ES_R_EXT_TRUNC);
		plen -= len;
		nh = ext->nexthdr;
		c->pos = (void *)ext + len;
		if (p->later_frag) {
			p->l4proto = nh;
			return nh;
		}
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	    nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH)
		return PARSE_BAD(ES_R_EXT_CHAIN);	/* longer chain than we walk */
	p->l4proto = nh;
	p->l4_left = plen;
	return nh;
}

/* UDP and TCP ports with length checks; other protocols are left alone. */
static __always_inline int parse_l4(struct cursor *c, struct pkt *p)
{
	if (p->l4proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;
		__u32 ulen;

		if ((void *)(uh + 1) > c->end || p->l4_left < sizeof(*uh))
			return PARSE_BAD(p->first_frag ? ES_R_TINY_FRAG : ES_R_UDP_TRUNC);
		p->sport = uh->source;
		p->dport = uh->dest;
		/* A first fragment's UDP length covers the whole datagram. */
		ulen = bpf_ntohs(uh->len);
		if (!p->first_frag && (ulen < sizeof(*uh) || ulen > p->l4_left))
			return PARSE_BAD(ES_R_UDP_LEN);
	} else if (p->l4proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;
		__u32 doff;

		if ((void *)(th + 1) > c->end || p->l4_left < sizeof(*th))
			return PARSE_BAD(p->first_frag ? ES_R_TINY_FRAG : ES_R_TCP_TRUNC);
		p->sport = th->source;
		p->dport = th->dest;
		p->syn = th->syn && !th->ack;
		doff = th->doff * 4;
		if (doff < sizeof(*th))
			return PARSE_BAD(ES_R_TCP_DOFF);
		if (doff > p->l4_left)
			return PARSE_BAD(p->first_frag ? ES_R_TINY_FRAG : ES_R_TCP_DOFF);
	}
	return 0;
}

#endif
