/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edgesteer_abi.h - the one contract between the XDP program (bpf/) and
 * user space (user/bpfctl.c, user/stats.c, tests, benchmarks).
 *
 * Everything here is either a map key/value layout, an enum that indexes
 * a map, a limit, or a pin name. Nothing else is shared. The header
 * includes only the kernel's integer types, so it compiles the same under
 * clang -target bpf and under gcc for user space.
 *
 * Map overview (all pinned under [global] pin_path, BTF-described, so
 * `bpftool map dump pinned /sys/fs/bpf/edgesteer/es_stats` prints names):
 *
 *   es_config   ARRAY[1]        struct es_config: ports, policy generation,
 *                               rate limit, steering tables
 *   es_stats    PERCPU_ARRAY    struct es_iface_stats per interface slot
 *   es_ifaces   ARRAY           struct es_iface: which interface owns a slot
 *                               (user space only; the program never reads it)
 *   es_lpm4     LPM_TRIE        struct es_lpm4_key -> struct es_policy
 *   es_lpm6     LPM_TRIE        struct es_lpm6_key -> struct es_policy
 *   es_dir4_l1  ARRAY[4]        struct es_dir_l1: IPv4 policy by /16, per
 *                               generation and class (index gen * 2 + class)
 *   es_dir4_chunk ARRAY         struct es_dir_chunk: its /24 and /32 levels
 *   es_dir6_l1  ARRAY[4]        struct es_dir_l1: IPv6 policy by /16
 *   es_dir6_chunk ARRAY         struct es_dir_chunk: its /24 .. /64 levels
 *   es_rl4      ARRAY           struct es_bucket4: syslog token buckets, IPv4
 *   es_rl6      ARRAY           struct es_bucket6: the same per IPv6 /N
 *   es_syn4     ARRAY           struct es_bucket4: proxy-class SYN buckets, IPv4
 *   es_syn6     ARRAY           struct es_bucket6: the same per IPv6 /N
 *   es_cpumap   CPUMAP          CPU -> queue, for steering
 *
 * Links (one per interface) are pinned as link_<ifname> in the same
 * directory; a pinned link keeps the program attached after the
 * controller exits (fail-static).
 */
#ifndef EDGESTEER_ABI_H
#define EDGESTEER_ABI_H

#include <linux/types.h>

/* Bumped whenever a layout below changes; pinned maps of another layout
 * are replaced rather than reused (their sizes differ anyway). */
#define ES_ABI_VERSION 1

/* Traffic classes. The order is the order of the counter arrays. */
enum es_class {
	ES_CLASS_SYSLOG = 0,	/* UDP to a port in es_config.syslog_ports */
	ES_CLASS_PROXY = 1,	/* TCP to a port in es_config.proxy_ports */
	ES_CLASS_OTHER = 2,	/* everything else, and whatever could not be parsed */
	ES_CLASS_MAX = 3,
};

/* What happened to a frame. */
enum es_verdict {
	ES_V_PASS = 0,		/* XDP_PASS to the stack on the receiving CPU */
	ES_V_STEER = 1,		/* XDP_REDIRECT into es_cpumap */
	ES_V_DROP_POLICY = 2,	/* source matched a deny prefix / missed an allow list */
	ES_V_DROP_RATELIMIT = 3,/* syslog source, or proxy SYN source, over its token bucket */
	ES_V_DROP_MALFORMED = 4,/* truncated or inconsistent header */
	ES_VERDICT_MAX = 5,
};

#define ES_MAX_IFACES	 64	/* interface slots in es_stats / es_ifaces */
#define ES_MAX_CPUS	 64	/* es_cpumap entries; matches the conf CPU mask */
#define ES_STEER_TABLE	 64	/* flow-hash indirection table, power of two */
#define ES_PORT_WORDS	 1024	/* 65536 ports / 64 bits */
#define ES_RL_BITS	 16
#define ES_RL_SLOTS	 (1u << ES_RL_BITS)	/* token bucket slots per family */
#define ES_RL_SHIFT	 20	/* token bucket time unit: 2^-20 jiffy */
#define ES_LPM_ENTRIES	 16384	/* prefixes per family, both generations */
#define ES_IPV6_MAX_EXT	 6	/* extension headers walked before giving up */
#define ES_IFNAMSIZ	 16

/* es_config.flags */
#define ES_CF_RATELIMIT	(1u << 0)	/* syslog token bucket enabled */
#define ES_CF_SYN_RATELIMIT (1u << 1)	/* proxy-class SYN token bucket enabled */

/*
 * One CPU steering table per class. `on` = 0: XDP_PASS on the receiving
 * CPU. Otherwise the flow hash of the frame (addresses and ports) picks
 * cpu[hash % ES_STEER_TABLE], filled round-robin by user space with the
 * configured CPUs, so one flow always lands on one CPU (no reordering)
 * and flows spread evenly over the set.
 */
struct es_steer {
	__u32 on;
	__u8 cpu[ES_STEER_TABLE];
};

/*
 * The single configuration record, es_config[0]. The program does one
 * lookup per frame. User space rewrites it in place on reload; a frame
 * racing the write sees every field either old or new, and every field is
 * valid on its own (the policy switch itself is the one-byte policy_gen),
 * so no frame is ever judged by an invalid configuration.
 */
struct es_config {
	__u32 abi_version;	/* ES_ABI_VERSION */
	__u32 flags;		/* ES_CF_* */
	/* LPM generation in use (0 or 1): keys of the other generation are
	 * being written or removed by user space and are never consulted. */
	__u8 policy_gen;
	/* Bit (gen * ES_CLASS_MAX + class): that class has prefix rules in
	 * that generation; without the bit the trie lookup is skipped. */
	__u8 policy_mask;
	__u8 rl_v6_prefix;	/* IPv6 sources share a bucket per /N (default 64) */
	__u8 pad0;
	/* Syslog token bucket as GCRA, in units of 2^-ES_RL_SHIFT jiffy:
	 * one token every rl_interval, rl_tau = (burst - 1) * interval of
	 * tolerance. rl_seed (odd) keys the hash that picks a bucket slot. */
	__u64 rl_interval;
	__u64 rl_tau;
	__u32 rl_seed;
	__u32 hz;		/* the kernel's HZ the units were computed with */
	__u32 rl_v6_mask[4];	/* rl_v6_prefix as a mask, network order */
	/* Proxy-class SYN token bucket (ES_CF_SYN_RATELIMIT), the same GCRA
	 * and units as the syslog one, its own buckets (es_syn4/6). */
	__u64 syn_interval;
	__u64 syn_tau;
	struct es_steer steer[ES_CLASS_MAX];
	/* Destination port sets, bit p of word p / 64 (host byte order). */
	__u64 syslog_ports[ES_PORT_WORDS];
	__u64 proxy_ports[ES_PORT_WORDS];
};

/* Packets and bytes (bytes as the program sees the frame: link header
 * included, FCS not). */
struct es_ctr {
	__u64 packets;
	__u64 bytes;
};

/* Per-CPU counters of one interface slot. */
struct es_iface_stats {
	struct es_ctr rx;		/* every frame the program saw: what the watchdog reads */
	struct es_ctr later_fragments;	/* non-first IP fragments (also in other/pass) */
	struct es_ctr cls[ES_CLASS_MAX][ES_VERDICT_MAX];
};

/* es_ifaces[slot]: written by user space when it assigns a slot. */
#define ES_IF_L3	(1u << 0)	/* no Ethernet header: parsed from the IP header */
#define ES_IF_GENERIC	(1u << 1)	/* attached in generic (skb) mode */
struct es_iface {
	char name[ES_IFNAMSIZ];		/* "" = slot free */
	__u32 ifindex;			/* last ifindex attached to */
	__u32 flags;			/* ES_IF_* */
};

/* LPM keys: prefixlen counts from `gen`, so prefixlen = 16 + address
 * prefix length. Generation and class lead the key so that one trie
 * holds both generations and all classes. */
struct es_lpm4_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 cls;
	__u8 addr[4];
};

struct es_lpm6_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 cls;
	__u8 addr[16];
};

enum es_action {
	ES_ACT_ALLOW = 1,
	ES_ACT_DENY = 2,
};

struct es_policy {
	__u32 action;		/* enum es_action */
};

/*
 * Token bucket slots: a direct-mapped table indexed by a keyed hash of the
 * source. A slot remembers its source; an idle bucket (tat <= now) is a
 * full one, so a new source may take the slot over without losing
 * anything. Two sources active at the same moment on one slot share its
 * bucket, which can only make the limit stricter for them.
 */
struct es_bucket4 {
	__u32 addr;		/* source, network order */
	__u32 pad;
	__u64 tat;		/* theoretical arrival time of the next conforming frame */
};

struct es_bucket6 {
	__u32 addr[4];		/* source masked to rl_v6_prefix bits */
	__u64 tat;
};

/*
 * Policy as direct tables, built by user space from the same prefixes as
 * the tries: a few inlined array reads instead of a trie walk. Level 1 is
 * indexed by the top 16 bits of the source, every further level (a chunk
 * of 256 entries) by the next 8 bits: IPv4 has levels for /24 and /32,
 * IPv6 for /24, /32, ... /64. An entry below ES_DIR_IND is final: its low
 * two bits are the action (0 none, ES_ACT_ALLOW, ES_ACT_DENY), or
 * ES_DIR_TRIE says "ask the trie" (IPv6 prefixes longer than /64, and any
 * part that did not fit the chunk pool). An entry with ES_DIR_IND set
 * names the chunk for the next 8 bits. Generation g owns chunks
 * [g * CHUNKS / 2, (g + 1) * CHUNKS / 2) of its family's pool.
 */
#define ES_DIR4_CHUNKS	2048
#define ES_DIR6_CHUNKS	2048
#define ES_DIR6_LEVELS	6	/* chunk levels below /16: down to /64 */
#define ES_DIR_IND	0x8000
#define ES_DIR_TRIE	0x0004
#define ES_DIR_ACT	0x0003

struct es_dir_l1 {
	__u16 e[65536];		/* by the top 16 bits of the source */
};

struct es_dir_chunk {
	__u16 e[256];		/* by the next 8 bits */
};

/* Pin names below [global] pin_path. */
#define ES_PIN_CONFIG	"es_config"
#define ES_PIN_STATS	"es_stats"
#define ES_PIN_IFACES	"es_ifaces"
#define ES_PIN_LPM4	"es_lpm4"
#define ES_PIN_LPM6	"es_lpm6"
#define ES_PIN_RL4	"es_rl4"
#define ES_PIN_RL6	"es_rl6"
#define ES_PIN_SYN4	"es_syn4"
#define ES_PIN_SYN6	"es_syn6"
#define ES_PIN_CPUMAP	"es_cpumap"
#define ES_PIN_DIR4_L1	"es_dir4_l1"
#define ES_PIN_DIR4_CHUNK "es_dir4_chunk"
#define ES_PIN_DIR6_L1	"es_dir6_l1"
#define ES_PIN_DIR6_CHUNK "es_dir6_chunk"
#define ES_PIN_LINK_PREFIX "link_"

#endif
