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
 *                               rate limit, steering tables; the program's
 *                               global variable `es_config`, in section
 *                               ES_CONFIG_SEC (libbpf's map name)
 *   es_stats    PERCPU_ARRAY    struct es_iface_stats per interface slot
 *   es_ifaces   ARRAY           struct es_iface: which interface owns a slot
 *                               (user space only; the program never reads it)
 *   es_lpm4     LPM_TRIE        struct es_lpm4_key -> struct es_policy
 *   es_lpm6     LPM_TRIE        struct es_lpm6_key -> struct es_policy
 *   es_tables   ARRAY[1]        struct es_tables: the direct policy tables
 *                               and the token buckets; the program's global
 *                               variable `es_tables`, in section
 *                               ES_TABLES_SEC (read by plain loads, written
 *                               by user space through mmap)
 *   es_cpumap   CPUMAP          CPU -> queue, for steering
 *   es_rules    ARRAY           struct es_rule: what each rule id of a
 *                               generation is (user space only)
 *   es_rule_hits PERCPU_ARRAY   struct es_ctr per rule id and generation
 *   es_trace    ARRAY[1]        struct es_trace_cfg: the trace filter and
 *                               its sampling bucket (set by `edgesteer trace`);
 *                               the program's global variable `es_trace`, in
 *                               section ES_TRACE_SEC (libbpf's map name)
 *   es_trace_rb RINGBUF         struct es_trace_rec + frame bytes
 *   es_traced   PROG_ARRAY      slot -> that interface's es_steer_traced, the
 *                               program a frame jumps to while a trace runs
 *   es_talkers  PERCPU_ARRAY    struct es_talker: heavy sources per class
 *                               and verdict
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
#define ES_ABI_VERSION 4

/* Traffic classes. The order is the order of the counter arrays. */
enum es_class {
	ES_CLASS_SYSLOG = 0,	/* UDP to a port in es_config.syslog_ports, or TCP to
				 * one in es_config.syslog_tcp_ports */
	ES_CLASS_PROXY = 1,	/* TCP to a port in es_config.proxy_ports (checked
				 * first: a TCP port in both sets is proxy) */
	ES_CLASS_OTHER = 2,	/* everything else, and whatever could not be parsed */
	ES_CLASS_MAX = 3,
};

/* What happened to a frame. */
enum es_verdict {
	ES_V_PASS = 0,		/* XDP_PASS to the stack on the receiving CPU */
	ES_V_STEER = 1,		/* XDP_REDIRECT into es_cpumap */
	ES_V_DROP_POLICY = 2,	/* source matched a deny prefix / missed an allow list */
	ES_V_DROP_RATELIMIT = 3,/* syslog UDP source, or proxy SYN source, over its token bucket */
	ES_V_DROP_MALFORMED = 4,/* truncated or inconsistent header */
	ES_VERDICT_MAX = 5,
};

/*
 * Why a frame was dropped as malformed: counted per interface
 * (es_iface_stats.malformed), carried in trace records. The first check
 * that fails names the reason.
 */
enum es_reason {
	ES_R_NONE = 0,
	ES_R_L2_TRUNC = 1,	/* Ethernet header cut short */
	ES_R_VLAN_TRUNC = 2,	/* a VLAN tag cut short */
	ES_R_PPPOE_TRUNC = 3,	/* PPPoE header or PPP protocol field cut short */
	ES_R_PPPOE_BAD = 4,	/* PPPoE version/type/code wrong, length beyond the frame
				 * or shorter than the PPP protocol field */
	ES_R_IP_TRUNC = 5,	/* IPv4/IPv6 fixed header cut short (or an empty frame
				 * on an IP-first link) */
	ES_R_IP_VERSION = 6,	/* IP version does not match the EtherType / PPP protocol */
	ES_R_IP_IHL = 7,	/* IPv4 IHL below 5, or header longer than the total length */
	ES_R_IP_LEN = 8,	/* IP length beyond the frame or the PPPoE length */
	ES_R_EXT_TRUNC = 9,	/* IPv6 extension header cut short or beyond the payload */
	ES_R_EXT_CHAIN = 10,	/* more than ES_IPV6_MAX_EXT extension headers */
	ES_R_TINY_FRAG = 11,	/* first fragment without the whole UDP/TCP header */
	ES_R_UDP_TRUNC = 12,	/* UDP header cut short */
	ES_R_UDP_LEN = 13,	/* UDP length below 8 or beyond the IP payload */
	ES_R_TCP_TRUNC = 14,	/* TCP header cut short */
	ES_R_TCP_DOFF = 15,	/* TCP data offset below 5 or beyond the IP payload */
	ES_REASON_MAX = 16,
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
#define ES_CF_RATELIMIT	(1u << 0)	/* syslog token bucket enabled (UDP only) */
#define ES_CF_SYN_RATELIMIT (1u << 1)	/* proxy-class SYN token bucket enabled */
#define ES_CF_RULE_HITS	(1u << 2)	/* count hits per prefix rule (es_rule_hits) */
#define ES_CF_TALKERS	(1u << 3)	/* count heavy sources (es_talkers) */

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

#define ES_CONFIG_SEC	".data.es_config"	/* the section, and libbpf's map name */

/*
 * The single configuration record, es_config[0]: a global variable of the
 * program (section ES_CONFIG_SEC), read with plain loads, no lookup. User
 * space rewrites it in place on reload; a frame
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
	__u8 talk_shift;	/* es_talkers sees 1 frame in 2^talk_shift (0: all) */
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
	/* TCP destination ports of the syslog class (RFC 6587 / RFC 5425
	 * senders): prefix policy and counters as syslog, but no token
	 * bucket, since TCP has its own flow control. */
	__u64 syslog_tcp_ports[ES_PORT_WORDS];
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
	__u64 malformed[ES_REASON_MAX];	/* drop-malformed frames by enum es_reason */
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
	__u32 rule;		/* rule id (see es_rule), 0 = not counted */
};

/*
 * Rule hits. Every prefix rule of a generation gets an id in
 * [1, ES_RULE_MAX): the implicit /0 deny of a class with an allow list
 * (one per family), then the allow list, then the deny list, per class.
 * Rules past the last id are enforced but not counted (id 0). The id is
 * stored with the action in the direct tables and in the trie, so the
 * rule that decided a frame (the longest matching prefix, whichever
 * structure answered) gets the hit. Hit counters are per generation:
 * key gen * ES_RULE_MAX + id in es_rules and es_rule_hits; on a reload
 * user space carries the counts of unchanged rules to their new ids.
 */
#define ES_RULE_MAX	 4096
#define ES_RULE_ALLOW	 1	/* es_rule.list */
#define ES_RULE_DENY	 2
#define ES_RULE_IMPLICIT 3	/* the /0 deny implied by an allow list */

struct es_rule {
	__u8 used;		/* 0: id not in use in this generation */
	__u8 cls;		/* enum es_class */
	__u8 family;		/* 4 or 6 */
	__u8 plen;
	__u8 list;		/* ES_RULE_* */
	__u8 pad[3];
	__u8 addr[16];
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
 * two bits are the action (0 none, ES_ACT_ALLOW, ES_ACT_DENY) and bits
 * 3..14 the rule id that set it, or ES_DIR_TRIE says "ask the trie" (IPv6 prefixes longer than /64, and any
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
#define ES_DIR_RULE_SHIFT 3	/* final entries: rule id in bits 3..14 */

struct es_dir_l1 {
	__u16 e[65536];		/* by the top 16 bits of the source */
};

struct es_dir_chunk {
	__u16 e[256];		/* by the next 8 bits */
};

/*
 * The program's tables, one global variable in the program's .bss
 * section (which libbpf makes a one-element array map, BPF_F_MMAPABLE;
 * pinned as es_tables and shared by every instance). The program reads
 * and updates it with plain loads and stores at a constant address: no
 * map lookup, which the compiler treats as a call that clobbers five
 * registers. User space writes the policy tables
 * through an mmap of the map (bpfctl_policy.c); the buckets are the
 * program's alone.
 *   dir4_l1[gen * ES_CLASS_MAX + class]   IPv4 policy by /16
 *   dir4_chunk[]                          its /24 and /32 levels
 *   dir6_l1[gen * ES_CLASS_MAX + class]   IPv6 policy by /16
 *   dir6_chunk[]                          its /24 .. /64 levels
 *   rl4, rl6                              syslog token buckets (IPv4; IPv6 per /N)
 *   syn4, syn6                            proxy-class SYN buckets
 * A chunk index read from a table is masked to its pool (user space never
 * writes one beyond it).
 */
#define ES_TABLES_SEC	".bss"	/* the section, and libbpf's map name */

struct es_tables {
	struct es_dir_l1 dir4_l1[2 * ES_CLASS_MAX];
	struct es_dir_l1 dir6_l1[2 * ES_CLASS_MAX];
	struct es_dir_chunk dir4_chunk[ES_DIR4_CHUNKS];
	struct es_dir_chunk dir6_chunk[ES_DIR6_CHUNKS];
	struct es_bucket4 rl4[ES_RL_SLOTS];
	struct es_bucket6 rl6[ES_RL_SLOTS];
	struct es_bucket4 syn4[ES_RL_SLOTS];
	struct es_bucket6 syn6[ES_RL_SLOTS];
};

/*
 * Trace: es_trace[0] is written by `edgesteer trace` while it runs and
 * cleared when it stops; the program reads `on` (one load per frame: the
 * record is a global variable, see ES_TRACE_SEC) and does nothing more
 * while it is 0. A frame that
 * passes every filter takes a token from the sampling bucket (GCRA on
 * bpf_ktime_get_ns, shared by all CPUs) and, if it gets one, puts a
 * struct es_trace_rec and its first `snap` bytes into es_trace_rb.
 */
#define ES_TRACE_SEC	  ".data.es_trace"	/* the section, and libbpf's map name */
#define ES_TRACE_SNAP_MAX 256	/* frame bytes a record can carry */
#define ES_TRACE_RB_SIZE  (1u << 20)

struct es_trace_cfg {
	__u32 on;
	__u32 snap;		/* bytes to copy, 0..ES_TRACE_SNAP_MAX */
	__u64 slot_mask;	/* bit per interface slot; 0 = any */
	__u32 cls_mask;		/* bit per enum es_class; 0 = any */
	__u32 verdict_mask;	/* bit per enum es_verdict; 0 = any */
	__u8 family;		/* source prefix: 0 = any, 4 or 6 */
	__u8 plen;
	__u8 pad[6];
	__u8 addr[16];		/* prefix, network order, host bits zero */
	__u64 interval_ns;	/* sampling: one record per interval... */
	__u64 tau_ns;		/* ...with this much burst tolerance */
	__u64 tat;		/* the bucket's theoretical arrival time */
	__u64 matched;		/* frames that passed the filter */
	__u64 sampled_out;	/* ...but found the bucket empty */
	__u64 lost;		/* ...or the ring buffer full */
};

struct es_trace_rec {
	__u64 ts_ns;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 slot;		/* interface slot */
	__u32 ifindex;		/* ingress ifindex */
	__u32 len;		/* frame length */
	__u16 caplen;		/* bytes that follow the record */
	__u8 cls, verdict, reason, family, l4proto, pad;
	__be16 sport, dport;	/* network order */
	__u8 saddr[16], daddr[16];	/* IPv4 in the first 4 bytes */
};

/*
 * Top talkers: a direct-mapped per-CPU table, indexed by a hash of
 * (source, class, verdict). A slot counts the frames of the source that
 * holds it exactly; frames of other keys hashed to the slot only raise
 * `contest`, and when they outnumber the holder's frames the newcomer
 * takes the slot over (Misra-Gries with one counter per slot). A source
 * that sends more than everything else hashed to its slot keeps it;
 * light sources churn. Only 1 IP frame in 2^es_config.talk_shift is
 * looked at (which one: see diag_talk_sampled() in bpf/diag.h), and it
 * counts for 2^shift; no atomics (per CPU), bounded memory. User space
 * scales, sums the CPUs and turns two reads into packets per second.
 */
#define ES_TALK_BITS	12
#define ES_TALK_SHIFT_MAX 8	/* sampling: at most 1 frame in 256 */
#define ES_TALK_SLOTS	(1u << ES_TALK_BITS)

struct es_talker {
	__u8 addr[16];		/* source, IPv4 in the first 4 bytes */
	__u8 family;		/* 0: slot empty */
	__u8 cls, verdict;
	__u8 shift;		/* talk_shift when the holder took the slot: packets,
				 * bytes and contest count 1 frame in 2^shift */
	__u32 contest;		/* frames of other keys since the holder took the slot */
	__u64 packets;		/* the holder's frames since it took the slot */
	__u64 bytes;
};

/* Pin names below [global] pin_path. */
#define ES_PIN_CONFIG	"es_config"
#define ES_PIN_STATS	"es_stats"
#define ES_PIN_IFACES	"es_ifaces"
#define ES_PIN_LPM4	"es_lpm4"
#define ES_PIN_LPM6	"es_lpm6"
#define ES_PIN_CPUMAP	"es_cpumap"
#define ES_PIN_TABLES	"es_tables"
#define ES_PIN_RULES	"es_rules"
#define ES_PIN_RULE_HITS "es_rule_hits"
#define ES_PIN_TRACE	"es_trace"
#define ES_PIN_TRACE_RB	"es_trace_rb"
#define ES_PIN_TALKERS	"es_talkers"
#define ES_PIN_TRACED	"es_traced"
#define ES_PIN_LINK_PREFIX "link_"

#endif
