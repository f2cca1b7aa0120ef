// SPDX-License-Identifier: GPL-2.0-only
/*
 * steer.bpf.c - the XDP data plane: parse -> classify -> policy -> rate
 * limit -> steer -> count.
 *
 * One frame costs one inlined array lookup (this interface's per-CPU
 * counters, where the frame is counted); the configuration record, the
 * direct policy tables and the token buckets are global variables read
 * with plain loads (es_config, es_tables). A syslog or proxy frame reads
 * a few entries of the direct policy table (none when its class has no
 * prefix rules; an LPM trie lookup only where the table defers to it)
 * and, for syslog with a rate set, its token bucket and an inlined
 * jiffies read.
 * Port sets are bitmaps in the configuration record, so classification is
 * a bit test, whatever the number of ports. Diagnostics: a rule hit is an
 * inlined per-CPU array access; the top-talker table sees 1 frame in
 * 2^talk_shift; whether a trace runs is one load (see es_steer()).
 *
 * Two paths through es_steer. The fast path (es_fast()) takes the common
 * frame shape: untagged Ethernet or an IP-first link, IPv4 without
 * options and not a fragment or IPv6 without extension headers, UDP or
 * TCP, lengths consistent, under one bounds check per family; its state
 * stays in a few registers and each class gets its own copy of the
 * decision. Every other frame (tags, PPPoE, options, fragments, other
 * protocols, anything short or inconsistent) takes the generic path
 * below, which assigns the malformed reasons; the fast path accepts only
 * frames the generic path would judge and count the same way (the border
 * is tested in tests/bpf/steer_test.c). es_steer_traced has only the
 * generic path: it is near the verifier's limit, and a traced frame pays
 * for the trace anyway. docs/diagnostics.md has the measurements.
 *
 * Verifier cost: every link-layer path (0-2 VLAN tags, PPPoE, nothing)
 * and every IPv6 extension-header path would otherwise drag its own copy
 * of the packet pointer state through the whole decision code, and the
 * verifier would walk the program once per combination (634k
 * instructions in an early version). Instead the IP header's position is
 * handed on as a plain offset (a pointer difference, which the verifier
 * treats as an unknown scalar) and the decision code re-derives its
 * pointer with one bounds check, so the paths merge. The fast path keeps
 * its pointer (one shape, a constant offset, nothing to merge). The
 * verifier walks es_steer in ~231k instructions and es_steer_traced in
 * ~862k (of 1M). Everything is inlined: a BPF-to-BPF call cost ~10 ns
 * per frame here.
 *
 * User space loads one instance of this program per interface (es_steer,
 * and es_steer_traced beside it for a running trace), with two
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
 *   drop-ratelimit  XDP_DROP      syslog source, or proxy-class SYN
 *                                  source, over its token bucket
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
#include "diag.h"

#ifndef ETH_P_PPP_SES
#define ETH_P_PPP_SES 0x8864
#endif

/* Set by user space before load (frozen .rodata). */
const volatile __u32 es_slot = 0;	/* index into es_stats */
const volatile __u32 es_l3 = 0;		/* 1: frames start at the IP header */

/* Largest offset of the IP header: Ethernet, two VLAN tags, PPPoE + PPP. */
#define ES_L3_MAX_OFF 64

/* What es_parse_ip() found, as scalars only: packet pointers do not go
 * on into the decision code (see the note on verifier cost above). */
struct ip_info {
	__u32 l3_off;		/* IP header offset in the frame */
	__u32 family;		/* 4 or 6 */
	__u32 l4proto;
	__u32 later_frag;	/* non-first fragment: no ports */
	__u32 sport, dport;	/* network byte order */
	__u32 syn;		/* TCP SYN without ACK */
	__u32 len;		/* frame length, for the rule hit counters */
	__u32 reason;		/* enum es_reason when not IP_OK */
};

/* es_parse_ip() results */
#define IP_OK		0
#define IP_BAD		1	/* malformed before the ports were read */
#define IP_BAD_L4	2	/* malformed L4 header, ports read */

/*
 * Source prefix policy: the direct table, then (only where it says so)
 * the trie. Returns non-zero when the frame is to be dropped. The rule
 * that decided (its id travels with the action) gets the hit.
 */
static __always_inline int policy_denies(const struct es_config *cfg, __u32 family,
					 const void *saddr, __u32 cls, __u32 len)
{
	struct es_policy *pol;
	__u8 gen = cfg->policy_gen & 1;
	__u32 k = gen * ES_CLASS_MAX + cls, e;

	if (!(cfg->policy_mask & (1u << k)))
		return 0;
	if (k >= 2 * ES_CLASS_MAX)	/* cannot happen; tells the verifier the bound */
		return 0;
	/* plain loads: the tables are a global variable (no lookup calls);
	 * a chunk index is masked to its pool, which user space never
	 * exceeds */
	if (family == 4) {
		__u32 a = bpf_ntohl(*(const __u32 *)saddr);

		e = es_tables.dir4_l1[k].e[a >> 16];
		if (e & ES_DIR_IND) {
			e = es_tables.dir4_chunk[e & (ES_DIR4_CHUNKS - 1)].e[(a >> 8) & 0xff];
			if (e & ES_DIR_IND)
				e = es_tables.dir4_chunk[e & (ES_DIR4_CHUNKS - 1)].e[a & 0xff];
		}
		if (!(e & ES_DIR_TRIE)) {
			diag_rule_hit(cfg, gen, e >> ES_DIR_RULE_SHIFT, len);
			return (e & ES_DIR_ACT) == ES_ACT_DENY;
		}
		/* the key is built only here: a direct-table hit stores nothing */
		{
			struct es_lpm4_key k4 = {
				.prefixlen = 16 + 32, .gen = gen, .cls = (__u8)cls,
			};

			__builtin_memcpy(k4.addr, saddr, 4);
			pol = bpf_map_lookup_elem(&es_lpm4, &k4);
		}
	} else {
		const __u32 *w = saddr;
		__u64 hi = (__u64)bpf_ntohl(w[0]) << 32 | bpf_ntohl(w[1]);
		int lvl;

		e = es_tables.dir6_l1[k].e[hi >> 48];
		for (lvl = 0; lvl < ES_DIR6_LEVELS; lvl++) {
			if (!(e & ES_DIR_IND))
				break;
			e = es_tables.dir6_chunk[e & (ES_DIR6_CHUNKS - 1)].e[(hi >> (40 - 8 * lvl)) & 0xff];
		}
		if (!(e & (ES_DIR_TRIE | ES_DIR_IND))) {
			diag_rule_hit(cfg, gen, e >> ES_DIR_RULE_SHIFT, len);
			return (e & ES_DIR_ACT) == ES_ACT_DENY;
		}
		{
			struct es_lpm6_key k6 = {
				.prefixlen = 16 + 128, .gen = gen, .cls = (__u8)cls,
			};

			__builtin_memcpy(k6.addr, saddr, 16);
			pol = bpf_map_lookup_elem(&es_lpm6, &k6);
		}
	}
	if (!pol)
		return 0;
	diag_rule_hit(cfg, gen, pol->rule, len);
	return pol->action == ES_ACT_DENY;
}

/* One GCRA step on a bucket's TAT; non-zero when over the limit. */
static __always_inline int gcra(__u64 interval, __u64 tau, __u64 *tat_p, __u64 now)
{
	__u64 tat = *tat_p;

	if (tat <= now) {
		/* idle: the bucket is full again */
		*tat_p = now + interval;
		return 0;
	}
	if (tat - now > tau)
		return 1;
	/* atomic, so CPUs sharing a source do not lose each other's tokens */
	__sync_fetch_and_add(tat_p, interval);
	return 0;
}

/*
 * Per-source token bucket as GCRA (the "virtual scheduling" form): each
 * source keeps the theoretical arrival time (TAT) of its next conforming
 * frame. A frame conforms when it is at most tau early; it then pushes TAT
 * one interval further: one word per source, one compare per frame. A
 * burst of `burst` frames conforms, then one per interval.
 *
 * The clock is jiffies (bpf_jiffies64(), which the verifier inlines to
 * one load) in units of 2^-20 jiffy; within one tick time stands still,
 * which only ever makes the limit stricter. Buckets live in direct-
 * mapped tables in es_tables (struct es_bucket4/6): a plain load at a
 * hashed index instead of a hash-map call, see edgesteer_abi.h for how
 * slots are shared. The syslog class and the proxy class's SYNs each have
 * their own rate (interval, tau) and tables (tab4, tab6: constants at
 * each call site).
 * Returns non-zero when the frame is over the limit.
 */
static __always_inline int rate_limited(const struct es_config *cfg, __u32 family, const __u32 *saddr,
					__u64 interval, __u64 tau, struct es_bucket4 *tab4,
					struct es_bucket6 *tab6)
{
	__u64 now = bpf_jiffies64() << ES_RL_SHIFT;
	__u32 slot;

	if (family == 4) {
		struct es_bucket4 *b;
		__u32 a = saddr[0];

		slot = ((a * cfg->rl_seed) >> (32 - ES_RL_BITS)) & (ES_RL_SLOTS - 1);
		b = &tab4[slot];
		if (b->addr != a) {
			if (b->tat > now)
				return gcra(interval, tau, &b->tat, now);	/* both active: share */
			b->addr = a;
			b->tat = now + interval;
			return 0;
		}
		return gcra(interval, tau, &b->tat, now);
	} else {
		struct es_bucket6 *b;
		__u32 w0, w1, w2, w3;

		w0 = saddr[0] & cfg->rl_v6_mask[0];
		w1 = saddr[1] & cfg->rl_v6_mask[1];
		w2 = saddr[2] & cfg->rl_v6_mask[2];
		w3 = saddr[3] & cfg->rl_v6_mask[3];
		slot = (((w0 ^ w1 * 0x85ebca6bu ^ w2 * 0xc2b2ae35u ^ w3 * 0x27d4eb2fu) * cfg->rl_seed) >>
			(32 - ES_RL_BITS)) & (ES_RL_SLOTS - 1);
		b = &tab6[slot];
		if (b->addr[0] != w0 || b->addr[1] != w1 || b->addr[2] != w2 || b->addr[3] != w3) {
			if (b->tat > now)
				return gcra(interval, tau, &b->tat, now);
			b->addr[0] = w0;
			b->addr[1] = w1;
			b->addr[2] = w2;
			b->addr[3] = w3;
			b->tat = now + interval;
			return 0;
		}
		return gcra(interval, tau, &b->tat, now);
	}
}

/*
 * IP and L4 headers from l3_off on: fills *ii, returns IP_OK, IP_BAD or
 * IP_BAD_L4.
 */
static __always_inline int es_parse_ip(struct xdp_md *ctx, struct ip_info *ii, __u64 l3_off,
					  __u32 l3_max, __u32 proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt p = { .l3_max = l3_max };
	struct cursor c = { .end = data_end };
	int l4;

	if (!ii || l3_off > ES_L3_MAX_OFF)
		return IP_BAD;
	c.pos = data + l3_off;
	if (proto == bpf_htons(ETH_P_IP))
		l4 = parse_ipv4(&c, &p);
	else
		l4 = parse_ipv6(&c, &p);
	if (l4 < 0) {
		ii->reason = (__u32)-l4;
		return IP_BAD;
	}
	ii->l3_off = (__u32)l3_off;
	ii->family = p.family;
	ii->l4proto = p.l4proto;
	ii->later_frag = p.later_frag;
	if (p.later_frag || (p.l4proto != IPPROTO_UDP && p.l4proto != IPPROTO_TCP))
		return IP_OK;
	l4 = parse_l4(&c, &p);
	ii->sport = p.sport;
	ii->dport = p.dport;
	ii->syn = p.syn;
	if (l4 < 0) {
		ii->reason = (__u32)-l4;
		return IP_BAD_L4;
	}
	return IP_OK;
}

/* Policy, rate limit, steering; `family` is a constant at each call site,
 * so each address family gets its own straight-line copy. sa: the source
 * address, the destination right after it (as in both IP headers). */
static __always_inline int decide(const struct es_config *cfg, const struct ip_info *ii, __u64 cls,
				  __u32 family, const __u32 *sa)
{
	__u32 cpu, h;

	if (policy_denies(cfg, family, sa, cls, ii->len))
		return ES_V_DROP_POLICY;
	/* TCP syslog is paced by TCP itself: the bucket is for UDP only */
	if (cls == ES_CLASS_SYSLOG && ii->l4proto == IPPROTO_UDP && (cfg->flags & ES_CF_RATELIMIT) &&
	    rate_limited(cfg, family, sa, cfg->rl_interval, cfg->rl_tau, es_tables.rl4, es_tables.rl6))
		return ES_V_DROP_RATELIMIT;
	/* a SYN flood is dropped before it costs a socket; the segments of
	 * established connections are never limited */
	if (cls == ES_CLASS_PROXY && ii->syn && (cfg->flags & ES_CF_SYN_RATELIMIT) &&
	    rate_limited(cfg, family, sa, cfg->syn_interval, cfg->syn_tau, es_tables.syn4,
			 es_tables.syn6))
		return ES_V_DROP_RATELIMIT;
	if (!cfg->steer[cls].on)
		return ES_V_PASS;
	/* Flow hash over addresses and ports (Fibonacci hashing: the top
	 * bits of the product are well mixed): one flow, one CPU. Computed
	 * only here, so that it is not held across the lookups above. */
	if (family == 4)
		h = sa[0] ^ sa[1];
	else
		h = sa[0] ^ sa[1] ^ sa[2] ^ sa[3] ^ sa[4] ^ sa[5] ^ sa[6] ^ sa[7];
	h ^= (ii->sport << 16) | ii->dport;
	h = (h * 0x9E3779B1u) >> 26;
	cpu = cfg->steer[cls].cpu[h & (ES_STEER_TABLE - 1)];
	/* A CPU without a cpumap entry falls back to XDP_PASS. */
	if (bpf_redirect_map(&es_cpumap, cpu, XDP_PASS) == XDP_REDIRECT)
		return ES_V_STEER;
	return ES_V_PASS;
}

/*
 * Policy, rate limit and steering of a syslog or proxy frame; returns its
 * verdict (es_steer() turns it into the XDP action).
 */
static __always_inline int es_decide(struct xdp_md *ctx, const struct es_config *cfg,
				     const struct ip_info *ii, __u64 cls)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 l3_off;

	if (cls >= ES_CLASS_MAX)
		return ES_V_PASS;
	l3_off = ii->l3_off;
	if (l3_off > ES_L3_MAX_OFF)
		return ES_V_DROP_MALFORMED;
	if (ii->family == 4) {
		struct iphdr *iph = data + l3_off;

		if ((void *)(iph + 1) > data_end)
			return ES_V_DROP_MALFORMED;
		return decide(cfg, ii, cls, 4, &iph->saddr);
	} else {
		struct ipv6hdr *ip6 = data + l3_off;

		if ((void *)(ip6 + 1) > data_end)
			return ES_V_DROP_MALFORMED;
		return decide(cfg, ii, cls, 6, ip6->saddr.in6_u.u6_addr32);
	}
}

/*
 * The counting stage of the fast path (the generic path has its own copy
 * in es_pipeline(), with the malformed and fragment counters the fast
 * path never needs): rx, class x verdict, and the top-talker sample.
 * sa: the frame's source address (4 or 16 bytes, already bounds-checked).
 */
static __always_inline int es_fast_count(const struct es_config *cfg, __u64 cls, __u64 verdict,
					 __u64 len, __u32 family, const __u32 *sa)
{
	struct es_iface_stats *st;
	struct es_ctr *ctr;
	__u32 slot = es_slot;

	st = bpf_map_lookup_elem(&es_stats, &slot);
	if (!st)
		return XDP_PASS;
	st->rx.packets++;
	st->rx.bytes += len;
	ctr = &st->cls[cls][verdict];
	ctr->packets++;
	ctr->bytes += len;
	if ((cfg->flags & ES_CF_TALKERS) && diag_talk_sampled(st->rx.packets, cfg->talk_shift)) {
		if (family == 4) {
			__u32 w[4] = { sa[0] };

			diag_talker(w, 4, (__u32)cls, (__u32)verdict, len, cfg->talk_shift);
		} else {
			diag_talker(sa, 6, (__u32)cls, (__u32)verdict, len, cfg->talk_shift);
		}
	}
	return verdict == ES_V_PASS ? XDP_PASS : verdict == ES_V_STEER ? XDP_REDIRECT : XDP_DROP;
}

/* Is bit `port` (host order) of a port set set? */
static __always_inline int port_in(const __u64 *set, __u32 port)
{
	return (set[port >> 6] >> (port & 63)) & 1;
}

/*
 * Class and decision of a frame the fast path accepted: the class is a
 * constant in each call of decide(), so each gets its own copy with the
 * class's configuration tests folded.
 */
static __always_inline int es_fast_decide(const struct es_config *cfg, struct ip_info *ii,
					  __u32 family, const __u32 *sa)
{
	__u32 dport = bpf_ntohs((__u16)ii->dport);
	__u64 verdict = ES_V_PASS, cls = ES_CLASS_OTHER;

	if (ii->l4proto == IPPROTO_UDP) {
		if (port_in(cfg->syslog_ports, dport)) {
			cls = ES_CLASS_SYSLOG;
			verdict = (__u64)decide(cfg, ii, ES_CLASS_SYSLOG, family, sa);
			goto count;
		}
	} else {
		if (port_in(cfg->proxy_ports, dport)) {
			cls = ES_CLASS_PROXY;
			verdict = (__u64)decide(cfg, ii, ES_CLASS_PROXY, family, sa);
			goto count;
		}
		if (port_in(cfg->syslog_tcp_ports, dport)) {
			cls = ES_CLASS_SYSLOG;
			verdict = (__u64)decide(cfg, ii, ES_CLASS_SYSLOG, family, sa);
			goto count;
		}
	}
	if (cfg->policy_mask & (1u << ((cfg->policy_gen & 1) * ES_CLASS_MAX + ES_CLASS_OTHER)))
		verdict = (__u64)decide(cfg, ii, ES_CLASS_OTHER, family, sa);
count:
	return es_fast_count(cfg, cls, verdict, ii->len, family, sa);
}

/*
 * The L4 header of a frame the fast path took, one code for both
 * families: the UDP length in [8, IP payload], the TCP data offset in
 * [20, IP payload], then the ports into ii. 0, or -1 to send the frame
 * to the generic path. l4 is already bounds-checked for a TCP header.
 * ip_len is the length the IP header states, ip_hlen (a constant per
 * call) how much of it is the IP header: IPv4's total length counts its
 * header, IPv6's payload length does not. ip_hlen is added on the left
 * (64-bit) rather than subtracted on the right, so a total length under
 * 20 cannot wrap. The caller makes the decision: with es_fast_decide()
 * called in here, clang allocated the registers of the whole fast path
 * differently (data_end spilled on every frame); so, es_steer's code is
 * the same, instruction for instruction, as with two copies of this.
 */
static __always_inline int es_fast_l4(struct ip_info *ii, void *l4, __u32 ip_len, const __u64 ip_hlen)
{
	struct udphdr *uh = l4;
	struct tcphdr *th = l4;

	if (ii->l4proto == IPPROTO_UDP) {
		__u32 ulen = bpf_ntohs(uh->len);

		if (ulen < sizeof(*uh) || ulen + ip_hlen > ip_len)
			return -1;
		ii->sport = uh->source;
		ii->dport = uh->dest;
	} else if (ii->l4proto == IPPROTO_TCP) {
		__u32 doff = th->doff * 4;

		if (doff < sizeof(*th) || doff + ip_hlen > ip_len)
			return -1;
		ii->sport = th->source;
		ii->dport = th->dest;
		ii->syn = th->syn && !th->ack;
	} else {
		return -1;
	}
	return 0;
}

/*
 * The fast path (es_steer only): the common frame shape, untagged
 * Ethernet (or an IP-first link) + IPv4 without options and not a
 * fragment, or IPv6 without extension headers, + UDP or TCP, under ONE
 * bounds check per family that covers every byte it reads (the IP
 * header and 20 bytes after it). It accepts only frames the generic
 * parser accepts with the same results: the IP length within the frame,
 * the UDP length in [8, IP payload], the TCP data offset in [20, IP
 * payload]. Anything else (tags, PPPoE, options, fragments, other
 * protocols, short or inconsistent headers, frames shorter than the
 * bound) returns -1 and takes the generic path, which assigns the
 * malformed reasons. So the verdict, the reason and the counters are the
 * generic path's; what is saved is the cursor walk, the spills of its
 * state and the re-derived header pointer.
 */
static __always_inline int es_fast(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct es_config *cfg = &es_config;
	struct ip_info ii = {};
	__u32 l4_len, hv;
	void *l3 = data;

	ii.len = (__u32)(data_end - data);
	l3 = es_l3 ? data : data + sizeof(struct ethhdr);
	/* IPv4's one bounds check, made first: it also covers the Ethernet
	 * header (IPv6 needs 20 bytes more and checks again) */
	if (l3 + sizeof(struct iphdr) + sizeof(struct tcphdr) > data_end)
		return -1;
	if (es_l3) {
		hv = *(__u8 *)l3 >> 4;
	} else {
		/* one 16-bit load (struct ethhdr is packed: two byte loads) */
		__be16 proto = *(__be16 *)(data + offsetof(struct ethhdr, h_proto));

		hv = proto == bpf_htons(ETH_P_IP) ? 4 : proto == bpf_htons(ETH_P_IPV6) ? 6 : 0;
	}
	if (hv == 4) {
		struct iphdr *iph = l3;

		/* version 4, IHL 5; no MF, no fragment offset */
		if (*(__u8 *)iph != 0x45 || (iph->frag_off & bpf_htons(0x3fff)))
			return -1;
		l4_len = bpf_ntohs(iph->tot_len);
		if (l4_len > (__u32)(data_end - (void *)iph))
			return -1;
		ii.l4proto = iph->protocol;
		/* l4_len is the IP total length here, header included */
		if (es_fast_l4(&ii, iph + 1, l4_len, sizeof(*iph)))
			return -1;
		return es_fast_decide(cfg, &ii, 4, &iph->saddr);
	}
	if (hv == 6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) + sizeof(struct tcphdr) > data_end)
			return -1;
		if ((*(__u8 *)ip6 >> 4) != 6)
			return -1;
		l4_len = bpf_ntohs(ip6->payload_len);
		/* the generic parser's bounds: the frame, and the 64k an
		 * IP length can say */
		if (l4_len + sizeof(*ip6) > (__u32)(data_end - (void *)ip6) ||
		    l4_len + sizeof(*ip6) > 0xffff)
			return -1;
		ii.l4proto = ip6->nexthdr;
		if (es_fast_l4(&ii, ip6 + 1, l4_len, 0))
			return -1;
		return es_fast_decide(cfg, &ii, 6, ip6->saddr.in6_u.u6_addr32);
	}
	return -1;
}

/*
 * The whole pipeline; `traced` is a constant in each of the two programs
 * below, and only es_steer_traced has the trace call at its end.
 */
static __always_inline int es_pipeline(struct xdp_md *ctx, const int traced)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	struct ip_info ii = {};
	struct es_iface_stats *st;
	struct es_config *cfg;
	struct es_ctr *ctr;
	__u32 slot = es_slot, l3_max = 0xffff, dport, reason = ES_R_NONE;
	__u64 cls = ES_CLASS_OTHER, verdict = ES_V_PASS;	/* 64-bit: bounds stay on one register */
	__u64 len = data_end - data;
	int proto, r;

	if (!traced) {
		r = es_fast(ctx);
		if (r >= 0)
			return r;
	}
	cfg = &es_config;

	if (es_l3) {
		__u8 *vb = c.pos;

		if ((void *)(vb + 1) > c.end) {
			reason = ES_R_IP_TRUNC;
			goto malformed;
		}
		proto = (*vb >> 4) == 4 ? bpf_htons(ETH_P_IP) :
			(*vb >> 4) == 6 ? bpf_htons(ETH_P_IPV6) : 0;
	} else {
		proto = parse_eth(&c);
		if (proto == bpf_htons(ETH_P_PPP_SES))
			proto = parse_pppoe(&c, &l3_max);
	}
	if (proto < 0) {
		reason = (__u32)-proto;
		goto malformed;
	}
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		goto count;		/* not IP: other, pass */

	ii.len = (__u32)len;
	r = es_parse_ip(ctx, &ii, (__u64)(c.pos - data), l3_max, (__u32)proto);
	reason = ii.reason;
	if (r == IP_BAD)
		goto malformed;
	if (ii.later_frag)
		goto count;
	/* Classify by destination port: a bit test in the port sets. Ports
	 * read but the L4 header bad: the class still shows where the
	 * garbage was aimed. */
	dport = bpf_ntohs((__u16)ii.dport);
	if (ii.l4proto == IPPROTO_UDP) {
		if ((cfg->syslog_ports[dport >> 6] >> (dport & 63)) & 1)
			cls = ES_CLASS_SYSLOG;
	} else if (ii.l4proto == IPPROTO_TCP) {
		if ((cfg->proxy_ports[dport >> 6] >> (dport & 63)) & 1)
			cls = ES_CLASS_PROXY;
		else if ((cfg->syslog_tcp_ports[dport >> 6] >> (dport & 63)) & 1)
			cls = ES_CLASS_SYSLOG;
	}
	if (r == IP_BAD_L4)
		goto malformed_cls;
	/* other: only its prefix policy, and only when it has one (steering
	 * and the rate limit are for syslog and proxy) */
	if (cls != ES_CLASS_OTHER ||
	    (cfg->policy_mask & (1u << ((cfg->policy_gen & 1) * ES_CLASS_MAX + ES_CLASS_OTHER))))
		verdict = (__u64)es_decide(ctx, cfg, &ii, cls);
	goto count;

malformed:
	cls = ES_CLASS_OTHER;
malformed_cls:
	verdict = ES_V_DROP_MALFORMED;
count:
	/* The counters are looked up here, not at the start: a pointer held
	 * across the decision code costs a register or spills on every path. */
	st = bpf_map_lookup_elem(&es_stats, &slot);
	if (!st)
		return XDP_PASS;
	if (verdict == ES_V_DROP_MALFORMED)
		st->malformed[reason & (ES_REASON_MAX - 1)]++;
	else if (ii.later_frag) {
		st->later_fragments.packets++;
		st->later_fragments.bytes += len;
	}
	st->rx.packets++;
	st->rx.bytes += len;
	ctr = &st->cls[cls][verdict];
	ctr->packets++;
	ctr->bytes += len;
	if ((cfg->flags & ES_CF_TALKERS) && ii.family && ii.l3_off <= ES_L3_MAX_OFF &&
	    diag_talk_sampled(st->rx.packets, cfg->talk_shift)) {
		__u32 w[4] = {};

		if (ii.family == 4) {
			struct iphdr *iph = data + ii.l3_off;

			if ((void *)(iph + 1) <= data_end) {
				w[0] = iph->saddr;
				diag_talker(w, 4, (__u32)cls, (__u32)verdict, len, cfg->talk_shift);
			}
		} else {
			struct ipv6hdr *ip6 = data + ii.l3_off;

			if ((void *)(ip6 + 1) <= data_end)
				diag_talker(ip6->saddr.in6_u.u6_addr32, 6, (__u32)cls, (__u32)verdict, len,
					    cfg->talk_shift);
		}
	}
	if (traced)
		diag_trace(ctx, &es_trace, (__u32)cls | (__u32)verdict << 8 | reason << 16 | slot << 24 |
				    (es_l3 ? 1u << 30 : 0));
	return verdict == ES_V_PASS ? XDP_PASS : verdict == ES_V_STEER ? XDP_REDIRECT : XDP_DROP;
}

/*
 * Whether a trace runs is decided here, once per frame, by one load of a
 * global variable; a running trace takes the other program, which has
 * the trace call at its end (es_steer_traced, loaded beside this one for
 * the same interface and found in es_traced by interface slot). Measured
 * on the development machine, with no trace running:
 *  - testing it where the trace is called, after the decision, cost
 *    every frame 10-15 ns: the call kept the context and the verdict's
 *    parts alive across the decision code, and with four callee-saved
 *    registers that meant spills on every path;
 *  - two inlined copies in one function cost as much (the compiler
 *    merged and hoisted their common parts);
 *  - the copies as BPF-to-BPF calls cost as much again: on a CPU with
 *    return-stack mitigations (AMD "safe RET") every return is dear.
 * A tail call is a jump, taken only while a trace runs; when it fails
 * (no program for this slot) the frame goes on untraced.
 */
SEC("xdp")
int es_steer(struct xdp_md *ctx)
{
	if (es_trace.on)
		bpf_tail_call(ctx, &es_traced, es_slot);
	return es_pipeline(ctx, 0);
}

SEC("xdp")
int es_steer_traced(struct xdp_md *ctx)
{
	return es_pipeline(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
