/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * diag.h - diagnostics of steer.bpf.c that are not part of the verdict:
 * rule hits, top talkers and the packet trace. Kept apart from the
 * decision code so that its cost is visible in one place:
 *  - a rule hit is one inlined per-CPU array access, only for a frame
 *    whose source matched a prefix rule, and only with ES_CF_RULE_HITS;
 *  - the top-talker table sees 1 frame in 2^talk_shift (a multiply and
 *    a shift decide which), and only with ES_CF_TALKERS;
 *  - the trace is only in es_steer_traced, which frames reach by a tail
 *    call while a trace runs (es_steer pays one load and a test); there
 *    the filter is a few compares, and only a frame that passes it reads
 *    the clock.
 */
#ifndef EDGESTEER_BPF_DIAG_H
#define EDGESTEER_BPF_DIAG_H

#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "edgesteer_abi.h"
#include "maps.h"
#include "parse.h"

/* One hit for rule `rule` of generation `gen`. */
static __always_inline void diag_rule_hit(const struct es_config *cfg, __u32 gen, __u32 rule,
					  __u64 len)
{
	struct es_ctr *h;
	__u32 k;

	if (!rule || !(cfg->flags & ES_CF_RULE_HITS))
		return;
	k = gen * ES_RULE_MAX + (rule & (ES_RULE_MAX - 1));
	h = bpf_map_lookup_elem(&es_rule_hits, &k);
	if (h) {
		h->packets++;
		h->bytes += len;
	}
}

/*
 * Does the top-talker table look at this frame? n = the frame's number
 * on this CPU and interface (es_iface_stats.rx.packets), shift =
 * es_config.talk_shift: yes when the top `shift` bits of n * 2^32/phi
 * (mod 2^32, a Weyl sequence) are zero, 1 frame in 2^shift. Unlike
 * "every 2^shift-th frame", no periodic arrival pattern is sampled more
 * or less than others (two sources in strict alternation get half each:
 * the even and the odd terms are Weyl sequences too), and it costs a
 * multiply and a shift on a counter already in a register: no helper
 * call (bpf_get_prandom_u32() would cost the spills of a call).
 */
static __always_inline int diag_talk_sampled(__u64 n, __u32 shift)
{
	return ((__u64)((__u32)n * 0x9E3779B1u) >> (32 - (shift & 31))) == 0;
}

/* One sampled frame of (source, class, verdict) into the top-talker
 * table (see struct es_talker). w = the source as four words (IPv4:
 * w[0]); shift = the sampling in effect, kept with the slot's holder. */
static __always_inline void diag_talker(const __u32 *w, __u32 family, __u32 cls, __u32 verdict,
					__u64 len, __u32 shift)
{
	struct es_talker *t;
	__u32 *ta, h, slot;

	h = (w[0] ^ w[1] * 0x85ebca6bu ^ w[2] * 0xc2b2ae35u ^ w[3] * 0x27d4eb2fu ^
	     (cls << 8 | verdict) * 0x9E3779B1u) * 0x9E3779B1u;
	slot = h >> (32 - ES_TALK_BITS);
	t = bpf_map_lookup_elem(&es_talkers, &slot);
	if (!t)
		return;
	ta = (__u32 *)t->addr;
	if (t->family == family && t->cls == cls && t->verdict == verdict && ta[0] == w[0] &&
	    ta[1] == w[1] && ta[2] == w[2] && ta[3] == w[3]) {
		t->packets++;
		t->bytes += len;
		return;
	}
	if (t->family && ++t->contest <= t->packets)
		return;
	/* empty, or outnumbered: the newcomer takes the slot */
	ta[0] = w[0];
	ta[1] = w[1];
	ta[2] = w[2];
	ta[3] = w[3];
	t->family = (__u8)family;
	t->cls = (__u8)cls;
	t->verdict = (__u8)verdict;
	t->shift = (__u8)shift;
	t->contest = 0;
	t->packets = 1;
	t->bytes = len;
}


/* Does the source match the trace's prefix? (family 0: any source) */
static __always_inline int diag_src_match(const struct es_trace_cfg *t, const __u8 *sa,
					  __u32 family)
{
	__u32 i, bits, n = family == 4 ? 4 : 16;

	if (!t->family)
		return 1;
	if (t->family != family)
		return 0;
	bits = t->plen;
	for (i = 0; i < 16; i++) {
		__u8 m;

		if (i >= n || bits == 0)
			break;
		m = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((sa[i] & m) != t->addr[i])
			return 0;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return 1;
}

/*
 * One token from the trace's sampling bucket (GCRA on the monotonic
 * clock). The new TAT is installed by compare-and-swap, so CPUs racing
 * for the same token cannot both get it: the cap holds on any number of
 * CPUs (a loser just does not sample, which errs on the side of less).
 */
static __always_inline int diag_trace_token(struct es_trace_cfg *t)
{
	__u64 now = bpf_ktime_get_ns(), tat = t->tat, next;

	next = (tat > now ? tat : now) + t->interval_ns;
	if (next - now > t->tau_ns + t->interval_ns)
		return 0;
	return __sync_val_compare_and_swap(&t->tat, tat, next) == tat;
}

/*
 * The trace proper: gets only the verdict word and finds addresses and
 * ports again itself (re-parsing costs only the frames a running trace
 * looks at). Only es_steer_traced has it, inlined: as a BPF-to-BPF call
 * it cost each traced frame a return (dear on CPUs with return-stack
 * mitigations) and the verifier 15% more work (817k instructions
 * processed against 707k).
 *   what: class | verdict << 8 | reason << 16 | slot << 24 | ip_first << 30
 */
static __always_inline void diag_trace(struct xdp_md *ctx, struct es_trace_cfg *t, __u32 what)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	struct pkt p = { .l3_max = 0xffff };
	struct es_trace_rec *r;
	__u8 sa[16] = {}, da[16] = {};
	__u32 cls = what & 0xff, verdict = (what >> 8) & 0xff, slot = (what >> 24) & 63;
	__u32 caplen, family = 0, len;
	__u64 off;
	int proto, l4;

	if (!ctx || !t)
		return;
	len = (__u32)(data_end - data);
	if (t->slot_mask && !(t->slot_mask & (1ull << slot)))
		return;
	if (t->cls_mask && !(t->cls_mask & (1u << (cls & 31))))
		return;
	if (t->verdict_mask && !(t->verdict_mask & (1u << (verdict & 31))))
		return;
	/* the IP header, found as the classifier found it */
	if (what & (1u << 30)) {
		__u8 *vb = c.pos;

		proto = (void *)(vb + 1) > c.end ? -1 : (*vb >> 4) == 4 ? bpf_htons(ETH_P_IP) :
			(*vb >> 4) == 6 ? bpf_htons(ETH_P_IPV6) : 0;
	} else {
		proto = parse_eth(&c);
		if (proto == bpf_htons(0x8864))	/* PPPoE session */
			proto = parse_pppoe(&c, &p.l3_max);
	}
	off = (__u64)(c.pos - data);	/* a scalar from here: the paths merge */
	if ((proto == bpf_htons(ETH_P_IP) || proto == bpf_htons(ETH_P_IPV6)) && off <= 64) {
		c.pos = data + off;
		l4 = proto == bpf_htons(ETH_P_IP) ? parse_ipv4(&c, &p) : parse_ipv6(&c, &p);
		if (l4 >= 0) {
			family = p.family;
			if (family == 4) {
				struct iphdr *iph = data + off;

				if ((void *)(iph + 1) > data_end)
					return;
				__builtin_memcpy(sa, &iph->saddr, 4);
				__builtin_memcpy(da, &iph->daddr, 4);
			} else {
				struct ipv6hdr *ip6 = data + off;

				if ((void *)(ip6 + 1) > data_end)
					return;
				__builtin_memcpy(sa, &ip6->saddr, 16);
				__builtin_memcpy(da, &ip6->daddr, 16);
			}
			if (!p.later_frag && (p.l4proto == IPPROTO_UDP || p.l4proto == IPPROTO_TCP))
				parse_l4(&c, &p);
		}
	}
	if (!diag_src_match(t, sa, family))
		return;
	__sync_fetch_and_add(&t->matched, 1);
	if (!diag_trace_token(t)) {
		__sync_fetch_and_add(&t->sampled_out, 1);
		return;
	}
	r = bpf_ringbuf_reserve(&es_trace_rb, sizeof(*r) + ES_TRACE_SNAP_MAX, 0);
	if (!r) {
		__sync_fetch_and_add(&t->lost, 1);
		return;
	}
	caplen = t->snap < len ? t->snap : len;
	if (caplen > ES_TRACE_SNAP_MAX)
		caplen = ES_TRACE_SNAP_MAX;
	/* the verifier wants the length visibly in [1, ES_TRACE_SNAP_MAX] */
	if (caplen && bpf_xdp_load_bytes(ctx, 0, r + 1, ((caplen - 1) & (ES_TRACE_SNAP_MAX - 1)) + 1))
		caplen = 0;
	r->ts_ns = bpf_ktime_get_ns();
	r->slot = slot;
	r->ifindex = ctx->ingress_ifindex;
	r->len = len;
	r->caplen = (__u16)caplen;
	r->cls = (__u8)cls;
	r->verdict = (__u8)verdict;
	r->reason = (__u8)(what >> 16);
	r->family = (__u8)family;
	r->l4proto = family ? p.l4proto : 0;
	r->pad = 0;
	r->sport = p.sport;
	r->dport = p.dport;
	__builtin_memcpy(r->saddr, sa, 16);
	__builtin_memcpy(r->daddr, da, 16);
	bpf_ringbuf_submit(r, 0);
}

#endif
