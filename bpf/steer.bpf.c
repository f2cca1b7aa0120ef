// SPDX-License-Identifier: GPL-2.0-only
/*
 * steer.bpf.c - the XDP data plane: parse -> classify -> policy -> rate
 * limit -> steer -> count.
 *
 * One frame costs two inlined array lookups (this interface's per-CPU
 * counters and the configuration record) before any parsing; a syslog or
 * proxy frame then costs at most one LPM lookup (skipped when its class
 * has no prefix rules) and, for syslog with a rate set, one LRU lookup.
 * Port sets are bitmaps in the configuration record, so classification is
 * a bit test, whatever the number of ports.
 *
 * User space loads one instance of this program per interface, with two
 * read-only knobs set before load: the interface's counter slot and
 * whether the interface has an Ethernet header. The verifier sees them as
 * constants and drops the code the interface does not need; the maps are
 * shared by all instances (and pinned, so they outlive the controller).
 *
 * Verdicts and their return codes:
 *   pass            XDP_PASS      (also: `other`, later fragments, a
 *                                  steering target CPU without a queue)
 *   steer           XDP_REDIRECT  into es_cpumap (flow-hash spread)
 *   drop-policy     XDP_DROP      deny prefix, or not in an allow list
 *   drop-ratelimit  XDP_DROP      syslog source over its token bucket
 *   drop-malformed  XDP_DROP      truncated or inconsistent headers
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "edgesteer_abi.h"
#include "maps.h"
#include "parse.h"

#ifndef ETH_P_PPP_SES
#define ETH_P_PPP_SES 0x8864
#endif

/* Set by user space before load (frozen .rodata). */
const volatile __u32 es_slot = 0;	/* index into es_stats */
const volatile __u32 es_l3 = 0;		/* 1: frames start at the IP header */

/* Source prefix policy. Returns non-zero when the frame is to be dropped. */
static __always_inline int policy_denies(const struct es_config *cfg, const struct pkt *p, __u32 cls)
{
	struct es_policy *pol;
	__u8 gen = cfg->policy_gen & 1;

	if (!(cfg->policy_mask & (1u << (gen * ES_CLASS_MAX + cls))))
		return 0;
	if (p->family == 4) {
		struct es_lpm4_key k4 = {
			.prefixlen = 16 + 32, .gen = gen, .cls = (__u8)cls,
		};

		__builtin_memcpy(k4.addr, &((struct iphdr *)p->l3)->saddr, 4);
		pol = bpf_map_lookup_elem(&es_lpm4, &k4);
	} else {
		struct es_lpm6_key k6 = {
			.prefixlen = 16 + 128, .gen = gen, .cls = (__u8)cls,
		};

		__builtin_memcpy(k6.addr, &((struct ipv6hdr *)p->l3)->saddr, 16);
		pol = bpf_map_lookup_elem(&es_lpm6, &k6);
	}
	return pol && pol->action == ES_ACT_DENY;
}

static __always_inline __u32 v6_mask(__u32 plen, __u32 word)
{
	__u32 bits = plen > word * 32 ? plen - word * 32 : 0;

	if (bits >= 32)
		return ~0u;
	if (!bits)
		return 0;
	return bpf_htonl(~0u << (32 - bits));
}

/*
 * Per-source token bucket as GCRA (the "virtual scheduling" form): each
 * source keeps the theoretical arrival time (TAT) of its next conforming
 * frame. A frame conforms when it is at most tau early; it then pushes TAT
 * one interval further. That is one 64-bit word per source and one
 * compare per frame; a burst of `burst` frames conforms, then one per
 * interval. The clock is the kernel's coarse clock (one tick resolution,
 * no clocksource read): within one tick time stands still, which only ever
 * makes the limit stricter, never looser.
 * Returns non-zero when the frame is over the limit.
 */
static __always_inline int rate_limited(const struct es_config *cfg, const struct pkt *p)
{
	struct es_bucket *b, nb;
	__u64 now = bpf_ktime_get_coarse_ns(), tat;
	void *map;
	union {
		__u32 v4;
		__u32 w[4];
	} k = {};

	if (p->family == 4) {
		k.v4 = ((struct iphdr *)p->l3)->saddr;
		map = &es_rl4;
	} else {
		struct ipv6hdr *ip6 = p->l3;
		__u32 plen = cfg->rl_v6_prefix;

		k.w[0] = ip6->saddr.in6_u.u6_addr32[0] & v6_mask(plen, 0);
		k.w[1] = ip6->saddr.in6_u.u6_addr32[1] & v6_mask(plen, 1);
		k.w[2] = ip6->saddr.in6_u.u6_addr32[2] & v6_mask(plen, 2);
		k.w[3] = ip6->saddr.in6_u.u6_addr32[3] & v6_mask(plen, 3);
		map = &es_rl6;
	}
	b = bpf_map_lookup_elem(map, &k);
	if (!b) {
		nb.tat_ns = now + cfg->rl_interval_ns;
		bpf_map_update_elem(map, &k, &nb, BPF_ANY);
		return 0;
	}
	tat = b->tat_ns;
	if (tat < now) {
		/* idle source: it starts with a full bucket */
		b->tat_ns = now + cfg->rl_interval_ns;
		return 0;
	}
	if (tat - now > cfg->rl_tau_ns)
		return 1;
	/* atomic, so CPUs sharing a source do not lose each other's tokens */
	__sync_fetch_and_add(&b->tat_ns, cfg->rl_interval_ns);
	return 0;
}

/* Flow hash over addresses and ports: one flow, one CPU. */
static __always_inline __u32 flow_hash(const struct pkt *p)
{
	__u32 h = ((__u32)p->sport << 16) | p->dport;

	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		h ^= iph->saddr ^ iph->daddr;
	} else {
		struct ipv6hdr *ip6 = p->l3;

		h ^= ip6->saddr.in6_u.u6_addr32[0] ^ ip6->saddr.in6_u.u6_addr32[1] ^
		     ip6->saddr.in6_u.u6_addr32[2] ^ ip6->saddr.in6_u.u6_addr32[3] ^
		     ip6->daddr.in6_u.u6_addr32[0] ^ ip6->daddr.in6_u.u6_addr32[1] ^
		     ip6->daddr.in6_u.u6_addr32[2] ^ ip6->daddr.in6_u.u6_addr32[3];
	}
	/* Fibonacci hashing: the top bits of the product are well mixed. */
	return (h * 0x9E3779B1u) >> 26;
}

SEC("xdp")
int es_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	struct pkt p = { .l3_max = 0xffff };
	struct es_iface_stats *st;
	struct es_config *cfg;
	struct es_ctr *ctr;
	__u32 key = 0, slot = es_slot;
	__u32 cls = ES_CLASS_OTHER, verdict = ES_V_PASS;
	__u64 len = data_end - data;
	int proto, action = XDP_PASS;

	st = bpf_map_lookup_elem(&es_stats, &slot);
	cfg = bpf_map_lookup_elem(&es_config, &key);
	if (!st || !cfg)
		return XDP_PASS;

	if (es_l3) {
		__u8 *vb = c.pos;

		if ((void *)(vb + 1) > c.end)
			goto malformed;
		proto = (*vb >> 4) == 4 ? bpf_htons(ETH_P_IP) :
			(*vb >> 4) == 6 ? bpf_htons(ETH_P_IPV6) : 0;
	} else {
		proto = parse_eth(&c);
		if (proto == bpf_htons(ETH_P_PPP_SES))
			proto = parse_pppoe(&c, &p.l3_max);
	}
	if (proto == bpf_htons(ETH_P_IP))
		proto = parse_ipv4(&c, &p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		proto = parse_ipv6(&c, &p);
	else if (proto != PARSE_BAD)
		goto count;		/* not IP: other, pass */
	if (proto == PARSE_BAD)
		goto malformed;
	if (p.later_frag) {
		st->later_fragments.packets++;
		st->later_fragments.bytes += len;
		goto count;
	}

	if (p.l4proto == IPPROTO_UDP || p.l4proto == IPPROTO_TCP) {
		int bad = parse_l4(&c, &p);
		__u32 dport = bpf_ntohs(p.dport);

		/* Ports read: classify even a malformed frame, so its class
		 * shows where the garbage was aimed. */
		if (p.l4proto == IPPROTO_UDP) {
			if ((cfg->syslog_ports[dport >> 6] >> (dport & 63)) & 1)
				cls = ES_CLASS_SYSLOG;
		} else if ((cfg->proxy_ports[dport >> 6] >> (dport & 63)) & 1) {
			cls = ES_CLASS_PROXY;
		}
		if (bad)
			goto malformed_cls;
	}
	if (cls == ES_CLASS_OTHER)
		goto count;

	if (policy_denies(cfg, &p, cls)) {
		verdict = ES_V_DROP_POLICY;
		action = XDP_DROP;
		goto count;
	}
	if (cls == ES_CLASS_SYSLOG && (cfg->flags & ES_CF_RATELIMIT) && rate_limited(cfg, &p)) {
		verdict = ES_V_DROP_RATELIMIT;
		action = XDP_DROP;
		goto count;
	}
	if (cfg->steer[cls].on) {
		__u32 cpu = cfg->steer[cls].cpu[flow_hash(&p) & (ES_STEER_TABLE - 1)];

		/* A CPU without a cpumap entry falls back to XDP_PASS. */
		action = bpf_redirect_map(&es_cpumap, cpu, XDP_PASS);
		if (action == XDP_REDIRECT)
			verdict = ES_V_STEER;
	}
	goto count;

malformed:
	cls = ES_CLASS_OTHER;
malformed_cls:
	verdict = ES_V_DROP_MALFORMED;
	action = XDP_DROP;
count:
	st->rx.packets++;
	st->rx.bytes += len;
	ctr = &st->cls[cls][verdict];
	ctr->packets++;
	ctr->bytes += len;
	return action;
}

char LICENSE[] SEC("license") = "GPL";
