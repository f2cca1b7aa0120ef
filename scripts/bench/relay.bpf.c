// SPDX-License-Identifier: GPL-2.0-only
/*
 * relay.bpf.c - the kernel half of the sockmap experiment in
 * scripts/bench/sockmap.sh (not product code: the product's BPF lives in
 * bpf/). A stream verdict program on a two-slot sockmap: every skb that
 * arrives on one socket of a relayed pair is redirected to the send side of
 * the other, so the bytes never reach the relay's user space, not even as
 * splice(2) calls.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} pair SEC(".maps");	/* 0: the client's socket, 1: the upstream's */

/* The relay's listening port, set before load: an skb whose local port is
 * this one arrived from the client and goes upstream, any other from the
 * upstream and goes to the client. */
const volatile __u32 client_port = 0;

SEC("sk_skb/stream_verdict")
int relay_verdict(struct __sk_buff *skb)
{
	__u32 to = skb->local_port == client_port ? 1 : 0;

	return bpf_sk_redirect_map(skb, &pair, to, 0);
}

char LICENSE[] SEC("license") = "GPL";
