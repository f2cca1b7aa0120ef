// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of bpf/steer.bpf.c on crafted frames: every
 * class and verdict over every encapsulation the program parses, the
 * policy tries, the token bucket, steering, and the frame truncated at
 * every byte offset of its headers.
 *
 * The binary loads two instances of the program exactly as bpfctl does
 * (an Ethernet one on slot 0 and an IP-first one on slot 1, sharing maps,
 * not pinned) once, before the first test: loading and verifying them
 * takes seconds. Each test puts every map back to what a fresh load holds
 * (env_open()), writes the configuration through bpfctl_write_config() and
 * checks, after every frame, the return code and that exactly the one
 * expected counter moved (packets by 1, bytes by the frame length) on the
 * expected slot and nothing else did.
 */
#include "harness.h"

#include <sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "frames.h"
#include "steer.skel.h"

struct env {
	struct steer *eth, *l3;
	struct bpfctl_maps m;
	struct es_iface_stats last[2];
	int reason;		/* malformed reason of the last frame, -1: none or several */
};

static const char *const map_names[] = {
	ES_CONFIG_SEC, "es_stats", "es_ifaces", "es_lpm4", "es_lpm6", "es_cpumap", ES_TABLES_SEC,
	"es_rules", "es_rule_hits", ES_TRACE_SEC, "es_trace_rb", "es_talkers", "es_traced",
};

/* The two instances, loaded once (TEST_BINARY_SETUP) and inherited by
 * every test's child; NULL with loaded_err set when that failed. */
static struct steer *loaded_eth, *loaded_l3;
static char loaded_err[256];

/* One instance as bpfctl loads it; NULL with loaded_err set on failure. */
static struct steer *load_instance(uint32_t slot, bool l3, const struct steer *share)
{
	struct steer *s = steer__open();
	size_t i;
	int err;

	if (!s) {
		snprintf(loaded_err, sizeof(loaded_err), "steer__open: %s", strerror(errno));
		return NULL;
	}
	s->rodata->es_slot = slot;
	s->rodata->es_l3 = l3;
	if (share)
		for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
			struct bpf_map *mine = bpf_object__find_map_by_name(s->obj, map_names[i]);
			struct bpf_map *theirs = bpf_object__find_map_by_name(share->obj, map_names[i]);

			if (!mine || !theirs || bpf_map__reuse_fd(mine, bpf_map__fd(theirs))) {
				snprintf(loaded_err, sizeof(loaded_err), "sharing map %s with slot 0 failed",
					 map_names[i]);
				steer__destroy(s);
				return NULL;
			}
		}
	err = steer__load(s);
	if (err) {
		snprintf(loaded_err, sizeof(loaded_err), "loading the slot %u instance: %s (needs root and the BPF "
			 "syscall)", slot, strerror(-err));
		steer__destroy(s);
		return NULL;
	}
	/* as bpfctl does: where this slot's frames go while a trace runs */
	{
		int tfd = bpf_program__fd(s->progs.es_steer_traced);

		if (bpf_map_update_elem(bpf_map__fd(s->maps.es_traced), &slot, &tfd, BPF_ANY)) {
			snprintf(loaded_err, sizeof(loaded_err), "es_traced[%u]: %s", slot, strerror(errno));
			steer__destroy(s);
			return NULL;
		}
	}
	return s;
}

TEST_BINARY_SETUP(load_once)
{
	bpfctl_quiet_libbpf();
	loaded_eth = load_instance(0, false, NULL);
	loaded_l3 = loaded_eth ? load_instance(1, true, loaded_eth) : NULL;
	if (loaded_eth && !loaded_l3) {
		steer__destroy(loaded_eth);
		loaded_eth = NULL;
	}
}

/* Every element of an array map to zeros, in one batch. */
static int zero_array(int fd, uint32_t n, size_t value_size)
{
	uint32_t *keys = calloc(n, sizeof(*keys)), count = n, i;
	void *zeros = calloc(n, value_size);
	int err = 0;

	if (!keys || !zeros)
		err = -ENOMEM;
	for (i = 0; !err && i < n; i++)
		keys[i] = i;
	if (!err && bpf_map_update_batch(fd, keys, zeros, &count, NULL))
		err = -errno;
	if (!err && count != n)
		err = -EIO;
	free(keys);
	free(zeros);
	return err;
}

/* Delete every key of a hash or trie map. */
static int empty_map(int fd, size_t key_size, uint32_t max_entries)
{
	unsigned char key[64];
	uint32_t i;

	if (key_size > sizeof(key))
		return -E2BIG;
	for (i = 0; i <= max_entries; i++) {
		if (bpf_map_get_next_key(fd, NULL, key))
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	}
	return -EIO;	/* more keys than the map holds */
}

static int discard_record(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/*
 * Every map of the shared instances back to what a fresh load holds:
 * arrays zeroed (configuration, counters, talkers, the direct tables
 * and buckets in .bss, the trace record in .data.es_trace), tries and the cpumap emptied, the trace ring buffer drained.
 * The test children share these kernel objects, so what one test left
 * must not reach the next. A map of another type fails the test by name
 * (add its reset here).
 */
static int maps_reset(struct steer *s, char *why, size_t whylen)
{
	int ncpus = libbpf_num_possible_cpus();
	struct bpf_map *map;

	if (ncpus <= 0) {
		snprintf(why, whylen, "libbpf_num_possible_cpus: %d", ncpus);
		return -EINVAL;
	}
	bpf_object__for_each_map(map, s->obj) {
		int fd = bpf_map__fd(map), err = 0;
		uint32_t n = bpf_map__max_entries(map), i;
		size_t vs = bpf_map__value_size(map);
		struct ring_buffer *rb;

		if (bpf_map__is_internal(map) && (bpf_map__map_flags(map) & BPF_F_RDONLY_PROG))
			continue;	/* .rodata: es_slot and es_l3, frozen */
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_PROG_ARRAY:
			break;		/* es_traced: set once at load, as bpfctl does */
		case BPF_MAP_TYPE_ARRAY:
			err = zero_array(fd, n, vs);
			break;
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			err = zero_array(fd, n, ((vs + 7) & ~(size_t)7) * (size_t)ncpus);
			break;
		case BPF_MAP_TYPE_LPM_TRIE:
		case BPF_MAP_TYPE_HASH:
			err = empty_map(fd, bpf_map__key_size(map), n);
			break;
		case BPF_MAP_TYPE_CPUMAP:
			for (i = 0; !err && i < n; i++)
				if (bpf_map_delete_elem(fd, &i) && errno != ENOENT)
					err = -errno;
			break;
		case BPF_MAP_TYPE_RINGBUF:
			rb = ring_buffer__new(fd, discard_record, NULL, NULL);
			if (!rb)
				err = -errno;
			else if (ring_buffer__consume(rb) < 0)
				err = -EIO;
			ring_buffer__free(rb);
			break;
		default:
			err = -EOPNOTSUPP;
			break;
		}
		if (err) {
			snprintf(why, whylen, "resetting map %s (type %d): %s", bpf_map__name(map),
				 (int)bpf_map__type(map), strerror(-err));
			return err;
		}
	}
	return 0;
}

static void write_conf(struct env *e, const char *xdp_lines)
{
	size_t len = strlen(xdp_lines) + 64;
	char *text = malloc(len);
	struct conf *c = NULL;

	ASSERT_TRUE(text != NULL);
	snprintf(text, len, "[xdp]\ninterfaces = lo\n%s\n", xdp_lines);
	ASSERT_EQ(conf_load_string("test.conf", text, &c, NULL), 0);
	ASSERT_EQ(bpfctl_write_config(&e->m, &c->xdp), 0);
	conf_free(c);
	free(text);
}

static void snapshot(struct env *e)
{
	ASSERT_EQ(bpfctl_read_slot(e->m.stats, 0, &e->last[0]), 0);
	ASSERT_EQ(bpfctl_read_slot(e->m.stats, 1, &e->last[1]), 0);
}

static void env_open(struct env *e, const char *xdp_lines)
{
	char why[320];

	memset(e, 0, sizeof(*e));
	if (!loaded_eth)
		TH_LOG("the program did not load: %s", loaded_err);
	ASSERT_TRUE(loaded_eth != NULL);
	e->eth = loaded_eth;
	e->l3 = loaded_l3;
	why[0] = 0;
	if (maps_reset(e->eth, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_STREQ(why, "");
	e->m.config = bpf_map__fd(e->eth->maps.data_es_config);
	e->m.stats = bpf_map__fd(e->eth->maps.es_stats);
	e->m.ifaces = bpf_map__fd(e->eth->maps.es_ifaces);
	e->m.lpm4 = bpf_map__fd(e->eth->maps.es_lpm4);
	e->m.lpm6 = bpf_map__fd(e->eth->maps.es_lpm6);
	e->m.cpumap = bpf_map__fd(e->eth->maps.es_cpumap);
	e->m.tables = bpf_map__fd(e->eth->maps.bss);
	e->m.rules = bpf_map__fd(e->eth->maps.es_rules);
	e->m.rule_hits = bpf_map__fd(e->eth->maps.es_rule_hits);
	e->m.trace = bpf_map__fd(e->eth->maps.data_es_trace);
	e->m.trace_rb = bpf_map__fd(e->eth->maps.es_trace_rb);
	e->m.talkers = bpf_map__fd(e->eth->maps.es_talkers);
	e->m.traced = bpf_map__fd(e->eth->maps.es_traced);
	write_conf(e, xdp_lines);
	snapshot(e);
}

static int run(struct steer *s, const uint8_t *f, size_t len, uint32_t repeat, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)len, .repeat = repeat);
	int err = bpf_prog_test_run_opts(bpf_program__fd(s->progs.es_steer), &o);

	*retval = o.retval;
	return err ? -errno : 0;
}

/*
 * A frame whose linear part, all the program can read, is `len` bytes,
 * shorter than an Ethernet header. BPF_PROG_TEST_RUN refuses data under
 * 14 bytes (as the drivers never hand such a frame to XDP), but it takes
 * a linear part shorter than the data (xdp_md.data_end) and puts the
 * rest of the `total` bytes in a fragment. The program sees exactly
 * `len` bytes.
 */
static int run_short(struct steer *s, const uint8_t *f, size_t total, size_t len, uint32_t *retval)
{
	struct xdp_md ctx = { .data = 0, .data_end = (uint32_t)len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)total,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(s->progs.es_steer), &o);

	*retval = o.retval;
	return err ? -errno : 0;
}

static uint32_t xdp_action(int verdict)
{
	return verdict == ES_V_PASS ? XDP_PASS : verdict == ES_V_STEER ? XDP_REDIRECT : XDP_DROP;
}

/*
 * The counters of `slot` moved by exactly n frames of `len` bytes into
 * (cls, verdict); everything else (the other slot too) is unchanged. The
 * malformed reasons moved by n in total when the verdict is
 * drop-malformed (e->reason says which one, when it was one), by nothing
 * otherwise. Returns a description of the first difference, or NULL.
 */
static const char *counters_moved(struct env *e, int slot, int cls, int verdict, uint64_t n,
				  uint64_t len, uint64_t later_frags)
{
	static char why[256];
	struct es_iface_stats now, want;
	int s, c, v;

	for (s = 0; s < 2; s++) {
		if (bpfctl_read_slot(e->m.stats, (uint32_t)s, &now))
			return "reading es_stats failed";
		want = e->last[s];
		if (s == slot) {
			want.rx.packets += n;
			want.rx.bytes += n * len;
			want.cls[cls][verdict].packets += n;
			want.cls[cls][verdict].bytes += n * len;
			want.later_fragments.packets += later_frags;
			want.later_fragments.bytes += later_frags * len;
		}
		if (s == slot) {
			uint64_t moved = 0, expect = verdict == ES_V_DROP_MALFORMED ? n : 0;

			e->reason = -1;
			for (c = 0; c < ES_REASON_MAX; c++) {
				if (now.malformed[c] != want.malformed[c])
					e->reason = e->reason == -1 && !moved ? c : -1;
				moved += now.malformed[c] - want.malformed[c];
			}
			if (moved != expect || now.malformed[ES_R_NONE] != want.malformed[ES_R_NONE]) {
				snprintf(why, sizeof(why), "slot %d: malformed reasons moved by %llu, want %llu",
					 s, (unsigned long long)moved, (unsigned long long)expect);
				e->last[s] = now;
				if (bpfctl_read_slot(e->m.stats, (uint32_t)!s, &e->last[!s]))
					return "reading es_stats failed";
				return why;
			}
			memcpy(want.malformed, now.malformed, sizeof(want.malformed));
		}
		e->last[s] = now;	/* one wrong frame must not fail the next ones */
		if (memcmp(&now, &want, sizeof(now))) {
			snprintf(why, sizeof(why), "slot %d: rx %llu/%llu want %llu/%llu", s,
				 (unsigned long long)now.rx.packets, (unsigned long long)now.rx.bytes,
				 (unsigned long long)want.rx.packets, (unsigned long long)want.rx.bytes);
			for (c = 0; c < ES_CLASS_MAX; c++)
				for (v = 0; v < ES_VERDICT_MAX; v++)
					if (now.cls[c][v].packets != want.cls[c][v].packets)
						snprintf(why + strlen(why), sizeof(why) - strlen(why),
							 "; %s/%s %llu want %llu", bpfctl_class_name(c),
							 bpfctl_verdict_name(v),
							 (unsigned long long)now.cls[c][v].packets,
							 (unsigned long long)want.cls[c][v].packets);
			if (s == 0 && bpfctl_read_slot(e->m.stats, 1, &e->last[1]))
				return "reading es_stats failed";
			return why;
		}
	}
	return NULL;
}

/* One frame through the instance; return code and counters as expected. */
#define EXPECT_FRAME(E_, L3_, F_, LEN_, CLS_, VERDICT_, WHAT_) do {			\
	uint32_t __rv = 0;								\
	const char *__why;								\
	ASSERT_EQ(run((L3_) ? (E_)->l3 : (E_)->eth, F_, LEN_, 1, &__rv), 0);		\
	__why = counters_moved(E_, (L3_) ? 1 : 0, CLS_, VERDICT_, 1, LEN_, 0);		\
	if (__why || __rv != xdp_action(VERDICT_))					\
		TH_LOG("%s (len %zu): expected %s/%s, got action %u; %s", WHAT_,	\
		       (size_t)(LEN_), bpfctl_class_name(CLS_),				\
		       bpfctl_verdict_name(VERDICT_), __rv, __why ? __why : "counters ok"); \
	EXPECT_EQ(__rv, xdp_action(VERDICT_));						\
	EXPECT_TRUE(__why == NULL);							\
} while (0)

/* A frame dropped as malformed (class CLS_) for exactly REASON_. */
#define EXPECT_REASON(E_, L3_, F_, LEN_, CLS_, REASON_, WHAT_) do {			\
	EXPECT_FRAME(E_, L3_, F_, LEN_, CLS_, ES_V_DROP_MALFORMED, WHAT_);		\
	if ((E_)->reason != (REASON_))							\
		TH_LOG("%s: reason %s, want %s", WHAT_, bpfctl_reason_name((E_)->reason),	\
		       bpfctl_reason_name(REASON_));					\
	EXPECT_EQ((E_)->reason, (REASON_));						\
} while (0)

/* Build the frame of `spec` and expect (cls, verdict). */
#define EXPECT_SPEC(E_, SPEC_, CLS_, VERDICT_, WHAT_) do {				\
	uint8_t __f[FRAME_MAX];								\
	size_t __len = frame_build(&(SPEC_), __f, NULL);				\
	EXPECT_FRAME(E_, (SPEC_).l3, __f, __len, CLS_, VERDICT_, WHAT_);		\
} while (0)

#define PORTS "syslog_ports = 514 601\nproxy_ports = 443 8443\n"

TEST(classes_plain_ethernet_v4_v6)
{
	struct env e;
	struct frame_spec s;
	int fam;

	env_open(&e, PORTS);
	for (fam = 4; fam <= 6; fam += 2) {
		s = (struct frame_spec){ .family = fam, .proto = IPPROTO_UDP, .dport = 514, .payload = 40 };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "udp/514");
		s.dport = 601;
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "udp/601");
		s.dport = 53;
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "udp/53");
		s = (struct frame_spec){ .family = fam, .proto = IPPROTO_TCP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "tcp/443 SYN");
		s.dport = 8443;
		s.payload = 100;
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "tcp/8443 data");
		s.dport = 514;	/* syslog is UDP only */
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "tcp/514");
		s = (struct frame_spec){ .family = fam, .proto = IPPROTO_UDP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "udp/443 (proxy is TCP only)");
		s = (struct frame_spec){ .family = fam, .proto = fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6 };
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "icmp");
	}
	s = (struct frame_spec){ .ethertype = 0x0806, .payload = 28 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "arp");
	/* Ethernet padding after the IP packet is fine */
	{
		uint8_t f[FRAME_MAX];
		size_t len;

		s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, 0, f, len + 18, ES_CLASS_SYSLOG, ES_V_PASS, "padded to 60 bytes");
	}
}

TEST(vlan_and_qinq)
{
	struct env e;
	struct frame_spec s;
	int fam, tags;

	env_open(&e, PORTS);
	for (fam = 4; fam <= 6; fam += 2)
		for (tags = 1; tags <= 2; tags++) {
			s = (struct frame_spec){ .vlans = tags, .family = fam, .proto = IPPROTO_UDP, .dport = 514, .payload = 20 };
			EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "vlan syslog");
			s = (struct frame_spec){ .vlans = tags, .family = fam, .proto = IPPROTO_TCP, .dport = 443 };
			EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "vlan proxy");
			s.dport = 80;
			EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "vlan other");
		}
	/* a third tag is not parsed: other, passed */
	s = (struct frame_spec){ .vlans = 3, .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "three tags");
}

TEST(pppoe_session)
{
	struct env e;
	struct frame_spec s;
	int fam;

	env_open(&e, PORTS);
	for (fam = 4; fam <= 6; fam += 2) {
		s = (struct frame_spec){ .pppoe = 1, .family = fam, .proto = IPPROTO_UDP, .dport = 514, .payload = 30 };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "pppoe syslog");
		s.ppp_pfc = 1;
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "pppoe syslog, compressed protocol field");
		s = (struct frame_spec){ .pppoe = 1, .vlans = 1, .family = fam, .proto = IPPROTO_TCP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "vlan + pppoe proxy");
		s = (struct frame_spec){ .pppoe = 1, .vlans = 2, .family = fam, .proto = IPPROTO_UDP, .dport = 53 };
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "qinq + pppoe other");
	}
	/* LCP and friends: other */
	s = (struct frame_spec){ .pppoe = 1, .ppp_proto = 0xc021, .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "ppp lcp");
	/* PPPoE discovery: other */
	s = (struct frame_spec){ .ethertype = 0x8863, .payload = 20 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "pppoe discovery");
}

TEST(l3_interface_without_ethernet)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	size_t len;
	int fam;

	env_open(&e, PORTS);
	for (fam = 4; fam <= 6; fam += 2) {
		s = (struct frame_spec){ .l3 = 1, .family = fam, .proto = IPPROTO_UDP, .dport = 514, .payload = 50 };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "l3 syslog");
		s = (struct frame_spec){ .l3 = 1, .family = fam, .proto = IPPROTO_TCP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "l3 proxy");
		s.dport = 25;
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "l3 other");
	}
	/* not IP at all: other */
	s = (struct frame_spec){ .l3 = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	f[0] = 0x20;
	EXPECT_FRAME(&e, 1, f, len, ES_CLASS_OTHER, ES_V_PASS, "l3 version 2");
}

TEST(ipv4_options)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	size_t len;
	int w;

	env_open(&e, PORTS);
	for (w = 1; w <= 10; w++) {
		s = (struct frame_spec){ .ip_opt_words = w, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "ipv4 options, syslog");
		s = (struct frame_spec){ .ip_opt_words = w, .vlans = 1, .family = 4, .proto = IPPROTO_TCP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "ipv4 options, proxy");
	}
	/* IHL below 5 */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	f[14] = 0x44;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "ihl 4");
	/* IHL beyond the total length */
	f[14] = 0x4f;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "ihl 15 in a short packet");
}

TEST(ipv6_extension_headers)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	size_t len;
	int n;

	env_open(&e, PORTS);
	for (n = 1; n <= ES_IPV6_MAX_EXT; n++) {
		s = (struct frame_spec){ .v6_ext = n, .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "v6 ext, syslog");
		s = (struct frame_spec){ .v6_ext = n, .pppoe = 1, .family = 6, .proto = IPPROTO_TCP, .dport = 443 };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "v6 ext in pppoe, proxy");
	}
	/* one more than we walk: refused, not guessed at */
	s = (struct frame_spec){ .v6_ext = ES_IPV6_MAX_EXT + 1, .family = 6, .proto = IPPROTO_UDP, .dport = 514 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "too many ext headers");
	/* an extension header longer than the payload */
	s = (struct frame_spec){ .v6_ext = 1, .family = 6, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	f[14 + 40 + 1] = 200;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "ext hdrlen beyond payload");
	/* payload length beyond the frame */
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	f[14 + 5] += 1;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "payload_len beyond frame");
}

TEST(fragments_first_classified_later_passed)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len;
	int fam;

	env_open(&e, PORTS "deny_syslog = 192.0.2.0/24 2001:db8::/32\n");
	for (fam = 4; fam <= 6; fam += 2) {
		s = (struct frame_spec){ .frag = FRAG_FIRST, .family = fam, .proto = IPPROTO_UDP, .dport = 514, .payload = 100,
					 .src = fam == 4 ? "203.0.113.1" : "2001:db9::1" };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "first fragment");
		/* the first fragment of a denied source is dropped by policy */
		s.src = NULL;
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_DROP_POLICY, "first fragment, denied");
		/* later fragments: no ports, counted and passed, even from a denied source */
		s = (struct frame_spec){ .frag = FRAG_LATER, .family = fam, .proto = IPPROTO_UDP, .payload = 200 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(e.eth, f, len, 1, &rv), 0);
		EXPECT_EQ(rv, XDP_PASS);
		EXPECT_TRUE(counters_moved(&e, 0, ES_CLASS_OTHER, ES_V_PASS, 1, len, 1) == NULL);
		/* a first fragment too short for the UDP header (RFC 1858) */
		s = (struct frame_spec){ .frag = FRAG_FIRST, .family = fam, .proto = IPPROTO_UDP, .dport = 514 };
		len = frame_build(&s, f, NULL);
		if (fam == 4)
			f[14 + 3] -= 4;		/* IP total length: 4 bytes of UDP */
		else
			f[14 + 5] -= 4;
		EXPECT_FRAME(&e, 0, f, len - 4, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "tiny first fragment");
	}
	/* also on an IP-first interface */
	s = (struct frame_spec){ .l3 = 1, .frag = FRAG_LATER, .family = 4, .proto = IPPROTO_UDP, .payload = 64 };
	len = frame_build(&s, f, NULL);
	ASSERT_EQ(run(e.l3, f, len, 1, &rv), 0);
	EXPECT_EQ(rv, XDP_PASS);
	EXPECT_TRUE(counters_moved(&e, 1, ES_CLASS_OTHER, ES_V_PASS, 1, len, 1) == NULL);
}

TEST(lpm_allow_deny_both_families)
{
	struct env e;
	struct frame_spec s;
	struct {
		int fam, proto;
		uint16_t dport;
		const char *src;
		int cls, verdict;
	} cases[] = {
		/* syslog: allow list with a longer deny inside it */
		{ 4, IPPROTO_UDP, 514, "192.0.2.10", ES_CLASS_SYSLOG, ES_V_PASS },
		{ 4, IPPROTO_UDP, 514, "192.0.2.200", ES_CLASS_SYSLOG, ES_V_DROP_POLICY },
		{ 4, IPPROTO_UDP, 514, "203.0.113.5", ES_CLASS_SYSLOG, ES_V_DROP_POLICY },
		{ 6, IPPROTO_UDP, 514, "2001:db8::1", ES_CLASS_SYSLOG, ES_V_PASS },
		{ 6, IPPROTO_UDP, 514, "2001:db8:0:ffff::1", ES_CLASS_SYSLOG, ES_V_PASS },
		{ 6, IPPROTO_UDP, 514, "2001:db8:1::1", ES_CLASS_SYSLOG, ES_V_DROP_POLICY },
		{ 6, IPPROTO_UDP, 514, "2001:db9::1", ES_CLASS_SYSLOG, ES_V_DROP_POLICY },
		/* proxy: deny only, with an allowed hole (allow list => default deny) */
		{ 4, IPPROTO_TCP, 443, "198.51.100.7", ES_CLASS_PROXY, ES_V_DROP_POLICY },
		{ 4, IPPROTO_TCP, 443, "10.9.9.9", ES_CLASS_PROXY, ES_V_DROP_POLICY },
		{ 4, IPPROTO_TCP, 443, "10.1.2.3", ES_CLASS_PROXY, ES_V_PASS },
		{ 4, IPPROTO_TCP, 443, "172.16.0.1", ES_CLASS_PROXY, ES_V_DROP_POLICY },
		{ 4, IPPROTO_TCP, 443, "10.7.7.7", ES_CLASS_PROXY, ES_V_DROP_POLICY },	/* in both lists: deny */
		{ 6, IPPROTO_TCP, 443, "2001:db8:bad::1", ES_CLASS_PROXY, ES_V_DROP_POLICY },
		{ 6, IPPROTO_TCP, 443, "2001:db8:600d::1", ES_CLASS_PROXY, ES_V_PASS },
		{ 6, IPPROTO_TCP, 443, "2001:db8:600d:bad::1", ES_CLASS_PROXY, ES_V_DROP_POLICY },
		/* other passes untouched, whatever the source */
		{ 4, IPPROTO_UDP, 53, "198.51.100.7", ES_CLASS_OTHER, ES_V_PASS },
		{ 6, IPPROTO_TCP, 22, "2001:db8:bad::1", ES_CLASS_OTHER, ES_V_PASS },
	};
	size_t i;
	int v;

	env_open(&e, PORTS
		 "allow_syslog = 192.0.2.0/24 2001:db8::/48\n"
		 "deny_syslog = 192.0.2.128/25 2001:db8:1::/48\n"
		 "deny_proxy = 198.51.100.0/24 10.0.0.0/8 2001:db8:bad::/48 2001:db8:600d:bad::/64\n"
		 "allow_proxy = 10.1.2.0/24 10.7.7.0/24 2001:db8:600d::/48\n"
		 "deny_proxy = 10.7.7.0/24\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = (struct frame_spec){ .family = cases[i].fam, .proto = cases[i].proto,
					 .dport = cases[i].dport, .src = cases[i].src, .payload = 8 };
		EXPECT_SPEC(&e, s, cases[i].cls, cases[i].verdict, cases[i].src);
		s.l3 = 1;
		EXPECT_SPEC(&e, s, cases[i].cls, cases[i].verdict, cases[i].src);
	}

	/* live update: new rules, no re-load, no leftovers of the old ones */
	for (v = 0; v < 3; v++) {
		struct es_lpm4_key k4;
		struct es_lpm6_key k6;
		int n4 = 0, n6 = 0;
		void *prev = NULL;

		write_conf(&e, PORTS "deny_proxy = 192.0.2.10/32\n");
		snapshot(&e);
		s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "198.51.100.7" };
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "after update: old deny gone");
		s.src = "192.0.2.10";
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_DROP_POLICY, "after update: new deny");
		s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "203.0.113.5" };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "after update: allow list gone");
		while (!bpf_map_get_next_key(e.m.lpm4, prev, &k4)) {
			n4++;
			prev = &k4;
		}
		prev = NULL;
		while (!bpf_map_get_next_key(e.m.lpm6, prev, &k6)) {
			n6++;
			prev = &k6;
		}
		EXPECT_EQ(n4, 1);
		EXPECT_EQ(n6, 0);
	}
}

/* Verdict of a source by the documented precedence, computed plainly. */
struct ref_rule {
	uint32_t addr;
	int plen, deny;
};

static int ref_verdict(const struct ref_rule *r, int n, int has_allow, uint32_t a)
{
	int best = -1, i, deny = has_allow;

	for (i = 0; i < n; i++) {
		uint32_t mask = r[i].plen ? ~0u << (32 - r[i].plen) : 0;

		if ((a & mask) != r[i].addr)
			continue;
		if (r[i].plen > best || (r[i].plen == best && r[i].deny)) {
			best = r[i].plen;
			deny = r[i].deny;
		}
	}
	return deny ? ES_V_DROP_POLICY : ES_V_PASS;
}

/*
 * Random overlapping IPv4 prefixes in a small space, random sources: the
 * direct table (and the trie behind it) against the plain reference.
 */
TEST_TIMEOUT(lpm_ipv4_random_against_reference, 60)
{
	struct ref_rule rules[150];
	char *text = malloc(150 * 64 + 256);
	struct env e;
	struct frame_spec s;
	char src[32];
	int i, n = 0, has_allow = 0, round, denied;
	size_t len = 0;

	ASSERT_TRUE(text != NULL);
	srand(12345);
	for (round = 0; round < 2; round++) {
		n = has_allow = 0;
		len = (size_t)sprintf(text, PORTS);
		for (i = 0; i < 150; i++) {
			int plen = round == 0 ? 19 + rand() % 14 : 8 + rand() % 25;
			uint32_t a = (10u << 24) | ((uint32_t)rand() & 0x0003ffff);

			a &= ~0u << (32 - plen);
			rules[n].addr = a;
			rules[n].plen = plen;
			/* the second round has an allow list, so a default deny */
			rules[n].deny = round == 0 ? 1 : rand() % 3 == 0;
			has_allow |= !rules[n].deny;
			len += (size_t)sprintf(text + len, "%s_proxy = %u.%u.%u.%u/%d\n",
					       rules[n].deny ? "deny" : "allow", a >> 24, (a >> 16) & 0xff,
					       (a >> 8) & 0xff, a & 0xff, plen);
			n++;
		}
		env_open(&e, text);
		for (i = denied = 0; i < 1500; i++) {
			uint32_t a = (10u << 24) | ((uint32_t)rand() & 0x0003ffff);
			int want = ref_verdict(rules, n, has_allow, a);

			snprintf(src, sizeof(src), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
			s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = src };
			EXPECT_SPEC(&e, s, ES_CLASS_PROXY, want, src);
			denied += want == ES_V_DROP_POLICY;
		}
		TH_LOG("round %d: %d of 1500 sources denied", round, denied);
		EXPECT_GT(denied, 100);
		EXPECT_LT(denied, 1400);
	}
	free(text);
}

struct ref_rule6 {
	uint8_t addr[16];
	int plen, deny;
};

static int match6(const uint8_t *a, const uint8_t *p, int plen)
{
	int i;

	for (i = 0; i < 16 && plen > 0; i++, plen -= 8) {
		uint8_t m = plen >= 8 ? 0xff : (uint8_t)(0xff << (8 - plen));

		if ((a[i] & m) != p[i])
			return 0;
	}
	return 1;
}

static void rand6(uint8_t *a)
{
	static const uint8_t base[6] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0 };

	memset(a, 0, 16);
	memcpy(a, base, 6);
	a[7] = (uint8_t)(rand() & 7);
	a[8] = (uint8_t)(rand() & 3);
	a[11] = (uint8_t)(rand() & 1);
	a[15] = (uint8_t)(rand() & 3);
}

/* The same for IPv6: prefixes from /40 to /128, so the table answers
 * some and defers the ones longer than /64 to the trie. */
TEST_TIMEOUT(lpm_ipv6_random_against_reference, 60)
{
	struct ref_rule6 rules[80];
	char *text = malloc(80 * 96 + 256), src[64];
	struct env e;
	struct frame_spec s;
	int i, j, n, round, denied;
	size_t len;

	ASSERT_TRUE(text != NULL);
	srand(777);
	for (round = 0; round < 2; round++) {
		int has_allow = 0;

		len = (size_t)sprintf(text, PORTS);
		for (n = 0; n < 80; n++) {
			int plen = round == 0 ? 64 + rand() % 65 : 40 + rand() % 89, b;

			rand6(rules[n].addr);
			for (b = 0; b < 16; b++) {
				int keep = plen - b * 8;

				rules[n].addr[b] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
			}
			rules[n].plen = plen;
			rules[n].deny = round == 0 ? 1 : rand() % 3 == 0;
			has_allow |= !rules[n].deny;
			inet_ntop(AF_INET6, rules[n].addr, src, sizeof(src));
			len += (size_t)sprintf(text + len, "%s_syslog = %s/%d\n", rules[n].deny ? "deny" : "allow",
					       src, plen);
		}
		env_open(&e, text);
		for (i = denied = 0; i < 1000; i++) {
			uint8_t a[16];
			int best = -1, deny = has_allow, want;

			rand6(a);
			for (j = 0; j < n; j++)
				if (match6(a, rules[j].addr, rules[j].plen) &&
				    (rules[j].plen > best || (rules[j].plen == best && rules[j].deny))) {
					best = rules[j].plen;
					deny = rules[j].deny;
				}
			want = deny ? ES_V_DROP_POLICY : ES_V_PASS;
			inet_ntop(AF_INET6, a, src, sizeof(src));
			s = (struct frame_spec){ .family = 6, .proto = IPPROTO_UDP, .dport = 514, .src = src };
			EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, want, src);
			denied += deny;
		}
		TH_LOG("round %d: %d of 1000 sources denied", round, denied);
		EXPECT_GT(denied, 100);
		EXPECT_LT(denied, 900);
	}
	free(text);
}

/* More /24s with /32 rules than a generation's chunk pool holds: the
 * rest is answered by the trie, with the same result. */
TEST_TIMEOUT(lpm_ipv4_table_overflows_into_trie, 60)
{
	int n = ES_DIR4_CHUNKS / 2 + 200, i;
	char *text = malloc((size_t)n * 48 + 256), src[32];
	struct env e;
	struct frame_spec s;
	size_t len;

	ASSERT_TRUE(text != NULL);
	len = (size_t)sprintf(text, PORTS);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "deny_proxy = 10.%d.%d.7/32\n", i / 256, i % 256);
	env_open(&e, text);
	for (i = 0; i < n; i += 37) {
		s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = src };
		snprintf(src, sizeof(src), "10.%d.%d.7", i / 256, i % 256);
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_DROP_POLICY, src);
		snprintf(src, sizeof(src), "10.%d.%d.8", i / 256, i % 256);
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, src);
	}
	/* the last ones are certainly beyond the pool */
	snprintf(src, sizeof(src), "10.%d.%d.7", (n - 1) / 256, (n - 1) % 256);
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = src };
	EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_DROP_POLICY, src);
	free(text);
}

TEST(token_bucket_exact_burst)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len;

	/* 1 pps: nothing refills during the test */
	env_open(&e, PORTS "syslog_rate_pps = 1\nsyslog_burst = 5\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.1", .payload = 60 };
	len = frame_build(&s, f, NULL);
	/* 20 in one burst (repeat = 20 in one syscall): exactly 5 pass */
	ASSERT_EQ(run(e.eth, f, len, 20, &rv), 0);
	ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &e.last[1]), 0);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_SYSLOG][ES_V_PASS].packets, 5);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_SYSLOG][ES_V_DROP_RATELIMIT].packets, 15);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_SYSLOG][ES_V_DROP_RATELIMIT].bytes, 15 * len);
	EXPECT_EQ(e.last[1].rx.packets, 20);
	snapshot(&e);
	/* the same source stays limited, frame by frame */
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "still over the limit");
	/* another source has its own bucket */
	s.src = "192.0.2.2";
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 5; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "second source, in burst");
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "second source, over");
	/* proxy traffic is never rate limited */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "192.0.2.1" };
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "proxy from a limited source");
	/* IPv6: one bucket per /64 by default */
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_UDP, .dport = 514, .src = "2001:db8:0:1::a" };
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 3; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 a");
	s.src = "2001:db8:0:1::b";
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 2; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 b, same /64");
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "v6 b, /64 bucket empty");
	s.src = "2001:db8:0:2::b";
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6, other /64");
	/* per address when configured so */
	write_conf(&e, PORTS "syslog_rate_pps = 1\nsyslog_burst = 5\nsyslog_rate_v6_prefix = 128\n");
	s.src = "2001:db8:0:1::c";
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 /128 buckets");
	/* policy comes before the bucket: denied frames spend no tokens */
	write_conf(&e, PORTS "syslog_rate_pps = 1\nsyslog_burst = 2\ndeny_syslog = 192.0.2.99\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.99" };
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 4; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_POLICY, "denied, not rate limited");
}

/*
 * The proxy class's SYN bucket: exactly proxy_syn_burst SYNs of one
 * source pass, the rest are drop-ratelimit; segments that are not a
 * bare SYN (the ACKs and data of established connections, a SYN-ACK)
 * are never limited; another source and the syslog class have buckets
 * of their own.
 */
TEST(proxy_syn_bucket_exact_burst)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len;

	/* 1 pps: nothing refills during the test */
	env_open(&e, PORTS "proxy_syn_rate_pps = 1\nproxy_syn_burst = 4\nsyslog_rate_pps = 1\nsyslog_burst = 2\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "192.0.2.1" };
	len = frame_build(&s, f, NULL);
	ASSERT_EQ(run(e.eth, f, len, 30, &rv), 0);
	ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &e.last[1]), 0);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_PROXY][ES_V_PASS].packets, 4);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_PROXY][ES_V_DROP_RATELIMIT].packets, 26);
	snapshot(&e);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_DROP_RATELIMIT, "SYN still over the limit");
	/* the same source's established segments pass */
	s.tcp_flags = 0x10;	/* ACK */
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 10; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "ACK from a limited source");
	s.tcp_flags = 0x12;	/* SYN-ACK */
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "SYN-ACK is not a new connection");
	/* another source has its own bucket */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 8443, .src = "192.0.2.2" };
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 4; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "second source, in burst");
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_DROP_RATELIMIT, "second source, over");
	/* the syslog bucket of the first source is untouched by its SYNs */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.1", .payload = 20 };
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 2; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "syslog, own bucket");
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "syslog over its burst");
	/* IPv6 per /64 */
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_TCP, .dport = 443, .src = "2001:db8:0:1::a" };
	len = frame_build(&s, f, NULL);
	for (int i = 0; i < 4; i++)
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "v6 SYN in burst");
	s.src = "2001:db8:0:1::b";
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_DROP_RATELIMIT, "v6 SYN, same /64");
	/* off: SYNs pass again */
	write_conf(&e, PORTS);
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "192.0.2.1" };
	len = frame_build(&s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_PASS, "no SYN limit configured");
}

/*
 * Two sources on one bucket slot (found by searching with the map's
 * hash seed): while the first is active they share its bucket (stricter,
 * never looser); once it is idle, the second takes the slot over.
 */
TEST(token_bucket_slot_sharing)
{
	struct env e;
	struct frame_spec s;
	struct es_config *cfg = calloc(1, sizeof(*cfg));
	uint32_t key = 0, a, b, slot_a;
	char src_a[32], src_b[32];

	ASSERT_TRUE(cfg != NULL);
	env_open(&e, PORTS "syslog_rate_pps = 100\nsyslog_burst = 2\n");
	ASSERT_EQ(bpf_map_lookup_elem(e.m.config, &key, cfg), 0);
	a = htonl(0x0a000001);
	slot_a = (a * cfg->rl_seed) >> (32 - ES_RL_BITS);
	for (b = 0x0a000002; b < 0x0b000000; b++)
		if (((htonl(b) * cfg->rl_seed) >> (32 - ES_RL_BITS)) == slot_a)
			break;
	ASSERT_LT(b, 0x0b000000);
	b = htonl(b);
	inet_ntop(AF_INET, &a, src_a, sizeof(src_a));
	inet_ntop(AF_INET, &b, src_b, sizeof(src_b));
	TH_LOG("%s and %s share slot %u", src_a, src_b, slot_a);

	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = src_a };
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "a 1");
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "a 2");
	s.src = src_b;
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "b while a is active: shared, empty");
	usleep(100 * 1000);	/* 10 intervals: a's bucket is idle again */
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "b takes the idle slot");
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "b 2");
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "b over its burst");
	free(cfg);
}

TEST(token_bucket_refills_at_the_rate)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	uint64_t passed;
	double t0, el;
	size_t len;
	int i;

	/* 100 pps, burst 2 */
	env_open(&e, PORTS "syslog_rate_pps = 100\nsyslog_burst = 2\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.1" };
	len = frame_build(&s, f, NULL);
	ASSERT_EQ(run(e.eth, f, len, 50, &rv), 0);
	ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &e.last[0]), 0);
	EXPECT_EQ(e.last[0].cls[ES_CLASS_SYSLOG][ES_V_PASS].packets, 2);
	/* idle long enough to refill: the bucket is full again, never fuller */
	usleep(150 * 1000);
	ASSERT_EQ(run(e.eth, f, len, 50, &rv), 0);
	ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &e.last[1]), 0);
	EXPECT_EQ(e.last[1].cls[ES_CLASS_SYSLOG][ES_V_PASS].packets, 4);
	/* offered at ~500 pps for ~300 ms: about 100 pps pass */
	usleep(150 * 1000);
	t0 = th_now();
	for (i = 0; i < 150; i++) {
		ASSERT_EQ(run(e.eth, f, len, 1, &rv), 0);
		usleep(2000);
	}
	el = th_now() - t0;
	ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &e.last[0]), 0);
	passed = e.last[0].cls[ES_CLASS_SYSLOG][ES_V_PASS].packets - 4;
	TH_LOG("%llu of 150 passed in %.0f ms at 100 pps, burst 2",
	       (unsigned long long)passed, el * 1000);
	EXPECT_LE(passed, (uint64_t)(el * 100) + 2 + 2);
	EXPECT_GE(passed, (uint64_t)(el * 100 * 0.7));
}

TEST(steering_to_cpumap)
{
	struct env e;
	struct frame_spec s;
	struct es_config *cfg = calloc(1, sizeof(*cfg));
	uint32_t key = 0, cpu;
	int i, seen0 = 0;

	ASSERT_TRUE(cfg != NULL);
	env_open(&e, PORTS "steer_syslog = cpus 0-1\nsteer_proxy = cpu 0\n");
	/* the indirection table spreads over the set */
	ASSERT_EQ(bpf_map_lookup_elem(e.m.config, &key, cfg), 0);
	EXPECT_EQ(cfg->steer[ES_CLASS_SYSLOG].on, 1);
	for (i = 0; i < ES_STEER_TABLE; i++)
		seen0 += cfg->steer[ES_CLASS_SYSLOG].cpu[i] == 0;
	EXPECT_EQ(seen0, ES_STEER_TABLE / 2);
	EXPECT_EQ(cfg->steer[ES_CLASS_OTHER].on, 0);

	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_STEER, "syslog steered");
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_TCP, .dport = 443 };
	EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_STEER, "proxy steered");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 53 };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "other never steered");
	/* a CPU without a queue: the frame passes on the receiving CPU */
	for (cpu = 0; cpu < 2; cpu++)
		bpf_map_delete_elem(e.m.cpumap, &cpu);
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "no queue: pass");
	/* back to pass by live update */
	write_conf(&e, PORTS);
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "steer off");
	free(cfg);
}

TEST(inconsistent_headers_malformed)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	size_t len;

	env_open(&e, PORTS);
	/* UDP length below 8 / beyond the IP payload: classified by port, dropped */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	f[14 + 20 + 5] = 4;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_MALFORMED, "udp len 4");
	f[14 + 20 + 5] = 19;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_MALFORMED, "udp len beyond payload");
	/* TCP data offset below 5 / beyond the segment */
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_TCP, .dport = 443 };
	len = frame_build(&s, f, NULL);
	f[14 + 40 + 12] = 4 << 4;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_DROP_MALFORMED, "tcp doff 4");
	f[14 + 40 + 12] = 15 << 4;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_PROXY, ES_V_DROP_MALFORMED, "tcp doff 15");
	/* IPv4: version 6 under EtherType IPv4; total length below the header */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	f[14] = 0x65;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "ipv4 version 6");
	f[14] = 0x45;
	f[14 + 2] = 0;
	f[14 + 3] = 16;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "tot_len 16");
	/* PPPoE: wrong version/type, length beyond the frame, IP beyond the PPPoE length */
	s = (struct frame_spec){ .pppoe = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	f[14] = 0x12;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "pppoe ver 2");
	f[14] = 0x11;
	f[14 + 4] = 0x10;
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "pppoe length beyond frame");
	len = frame_build(&s, f, NULL);
	f[14 + 5] -= 3;		/* PPPoE length shorter than the IP packet inside */
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "ip beyond pppoe length");
	f[14 + 4] = 0;
	f[14 + 5] = 1;		/* shorter than the PPP protocol field */
	EXPECT_FRAME(&e, 0, f, len, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "pppoe length 1");
}

/*
 * The border of es_steer's fast path (untagged Ethernet or IP-first,
 * IPv4 without options and not a fragment or IPv6 without extension
 * headers, UDP or TCP, consistent lengths, one bounds check of the IP
 * header + 20 bytes): frames just inside and just outside each of its
 * conditions get the verdict, the reason and the counters the generic
 * parser gives them (written out here, not compared with the program).
 * Proxy sources are denied, so a proxy frame that reaches the decision
 * shows it (drop-policy), and a frame that does not, shows that too.
 */
TEST(fast_path_border_same_results)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len, o;
	int l3;

	env_open(&e, PORTS "deny_proxy = 192.0.2.0/24 2001:db8::/32\n");
	for (l3 = 0; l3 <= 1; l3++) {
		o = l3 ? 0 : 14;	/* where the IP header starts */

		/* IPv4: frames exactly the bound (IP header + 20) and one byte under */
		s = (struct frame_spec){ .l3 = l3, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 12 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(len, o + 40);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 udp, the bound exactly");
		s.payload = 11;
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 udp, a byte under the bound");
		s = (struct frame_spec){ .l3 = l3, .family = 4, .proto = IPPROTO_TCP, .dport = 443 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(len, o + 40);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_PROXY, ES_V_DROP_POLICY, "v4 tcp, the bound exactly");

		/* UDP length: 8 and the IP payload are in, 7 and payload + 1 out */
		s = (struct frame_spec){ .l3 = l3, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 30 };
		len = frame_build(&s, f, NULL);
		put16(f + o + 24, 8);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 udp len 8");
		put16(f + o + 24, 38);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 udp len = payload");
		put16(f + o + 24, 7);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "v4 udp len 7");
		put16(f + o + 24, 39);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "v4 udp len = payload + 1");
		put16(f + o + 24, 38);

		/* IP total length: the frame, or less (padding), not more */
		EXPECT_FRAME(&e, l3, f, len + 6, ES_CLASS_SYSLOG, ES_V_PASS, "v4 padded");
		put16(f + o + 2, (uint16_t)(len - o + 1));
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_IP_LEN, "v4 tot_len = frame + 1");
		put16(f + o + 2, 27);	/* 7 bytes of UDP header */
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_UDP_TRUNC, "v4 tot_len 27");
		put16(f + o + 2, 19);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_IP_IHL, "v4 tot_len 19");
		put16(f + o + 2, (uint16_t)(len - o));

		/* IHL: 4 is malformed, 6 (options) takes the generic path */
		f[o] = 0x44;
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_IP_IHL, "v4 ihl 4");
		f[o] = 0x45;
		s.ip_opt_words = 1;
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 ihl 6");
		s.ip_opt_words = 0;

		/* fragments: DF is in; a first fragment (its UDP length is the
		 * datagram's) and a later one go the generic way */
		len = frame_build(&s, f, NULL);
		f[o + 6] = 0x40;
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 DF");
		f[o + 6] = 0x80;	/* the reserved bit: ignored, as by the generic parser */
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 reserved flag");
		s.frag = FRAG_FIRST;
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v4 first fragment");
		s.frag = FRAG_LATER;
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(l3 ? e.l3 : e.eth, f, len, 1, &rv), 0);
		EXPECT_EQ(rv, XDP_PASS);
		EXPECT_TRUE(counters_moved(&e, l3, ES_CLASS_OTHER, ES_V_PASS, 1, len, 1) == NULL);

		/* TCP data offset: 5 and the IP payload are in, 4 and beyond out */
		s = (struct frame_spec){ .l3 = l3, .family = 4, .proto = IPPROTO_TCP, .dport = 443, .payload = 20 };
		len = frame_build(&s, f, NULL);
		f[o + 32] = 10 << 4;
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_PROXY, ES_V_DROP_POLICY, "v4 tcp doff = payload");
		f[o + 32] = 11 << 4;
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_PROXY, ES_R_TCP_DOFF, "v4 tcp doff beyond payload");
		f[o + 32] = 4 << 4;
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_PROXY, ES_R_TCP_DOFF, "v4 tcp doff 4");
		s = (struct frame_spec){ .l3 = l3, .family = 4, .proto = IPPROTO_ICMP, .payload = 20 };
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "v4 icmp");

		/* IPv6: the bound (IP header + 20) exactly and a byte under */
		s = (struct frame_spec){ .l3 = l3, .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 12 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(len, o + 60);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 udp, the bound exactly");
		s.payload = 11;
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 udp, a byte under the bound");
		s = (struct frame_spec){ .l3 = l3, .family = 6, .proto = IPPROTO_TCP, .dport = 443 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(len, o + 60);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_PROXY, ES_V_DROP_POLICY, "v6 tcp, the bound exactly");

		/* payload length and UDP length */
		s = (struct frame_spec){ .l3 = l3, .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 30 };
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, l3, f, len + 6, ES_CLASS_SYSLOG, ES_V_PASS, "v6 padded");
		put16(f + o + 4, 39);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_IP_LEN, "v6 payload_len = frame + 1");
		put16(f + o + 4, 7);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_OTHER, ES_R_UDP_TRUNC, "v6 payload_len 7");
		put16(f + o + 4, 38);
		put16(f + o + 44, 7);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "v6 udp len 7");
		put16(f + o + 44, 39);
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "v6 udp len = payload + 1");
		put16(f + o + 44, 8);
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "v6 udp len 8");
		s.v6_ext = 1;
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "v6 with an extension header");
		s = (struct frame_spec){ .l3 = l3, .family = 6, .proto = IPPROTO_TCP, .dport = 443, .payload = 20 };
		len = frame_build(&s, f, NULL);
		f[o + 52] = 10 << 4;
		EXPECT_FRAME(&e, l3, f, len, ES_CLASS_PROXY, ES_V_DROP_POLICY, "v6 tcp doff = payload");
		f[o + 52] = 11 << 4;
		EXPECT_REASON(&e, l3, f, len, ES_CLASS_PROXY, ES_R_TCP_DOFF, "v6 tcp doff beyond payload");
	}
	/* the version must match the EtherType on the fast path as elsewhere */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 30 };
	len = frame_build(&s, f, NULL);
	f[14] = 0x65;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_VERSION, "version 6 under EtherType IPv4");
	s.family = 6;
	len = frame_build(&s, f, NULL);
	f[14] = 0x45;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_VERSION, "version 4 under EtherType IPv6");
}

/*
 * Every malformed reason, on the frame that shows it first. ES_R_L2_TRUNC
 * cannot be produced here: test_run refuses frames shorter than an
 * Ethernet header (checked in truncated_at_every_offset).
 */
TEST(malformed_reason_per_header)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	size_t len;

	env_open(&e, PORTS);
	/* shorter than an Ethernet header: every length from 0 to 13 */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	for (size_t l = 0; l < 14; l++) {
		uint32_t rv = 0;
		const char *why;

		ASSERT_EQ(run_short(e.eth, f, len, l, &rv), 0);
		why = counters_moved(&e, 0, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, 1, l, 0);
		if (why || rv != XDP_DROP || e.reason != ES_R_L2_TRUNC)
			TH_LOG("%zu bytes of Ethernet: action %u, reason %s; %s", l, rv,
			       bpfctl_reason_name(e.reason), why ? why : "counters ok");
		EXPECT_EQ(rv, XDP_DROP);
		EXPECT_TRUE(why == NULL);
		EXPECT_EQ(e.reason, ES_R_L2_TRUNC);
	}
	/* an empty frame on an IP-first link: no IP header at all */
	{
		uint32_t rv = 0;
		const char *why;

		s = (struct frame_spec){ .l3 = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run_short(e.l3, f, len, 0, &rv), 0);
		why = counters_moved(&e, 1, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, 1, 0, 0);
		EXPECT_EQ(rv, XDP_DROP);
		EXPECT_TRUE(why == NULL);
		EXPECT_EQ(e.reason, ES_R_IP_TRUNC);
	}

	s = (struct frame_spec){ .vlans = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 0, f, 16, ES_CLASS_OTHER, ES_R_VLAN_TRUNC, "half a vlan tag");
	s.vlans = 2;
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 0, f, 20, ES_CLASS_OTHER, ES_R_VLAN_TRUNC, "half the inner tag");

	s = (struct frame_spec){ .pppoe = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 0, f, 18, ES_CLASS_OTHER, ES_R_PPPOE_TRUNC, "pppoe header cut");
	EXPECT_REASON(&e, 0, f, 21, ES_CLASS_OTHER, ES_R_PPPOE_TRUNC, "ppp protocol cut");
	f[14] = 0x12;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_PPPOE_BAD, "pppoe version 2");
	f[14] = 0x11;
	f[15] = 0x09;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_PPPOE_BAD, "pppoe code not 0");
	len = frame_build(&s, f, NULL);
	f[14 + 5] += 1;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_PPPOE_BAD, "pppoe length beyond the frame");
	len = frame_build(&s, f, NULL);
	f[14 + 4] = 0;
	f[14 + 5] = 1;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_PPPOE_BAD, "pppoe length shorter than the ppp protocol");
	len = frame_build(&s, f, NULL);
	f[14 + 5] -= 3;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_LEN, "ip beyond the pppoe length");

	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 0, f, 14 + 19, ES_CLASS_OTHER, ES_R_IP_TRUNC, "ipv4 header cut");
	f[14] = 0x65;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_VERSION, "ipv4 version 6");
	f[14] = 0x44;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_IHL, "ihl 4");
	f[14] = 0x4f;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_IHL, "ihl beyond the total length");
	f[14] = 0x45;
	f[14 + 3] += 1;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_LEN, "total length beyond the frame");
	/* a UDP header the IP length does not hold */
	len = frame_build(&s, f, NULL);
	f[14 + 2] = 0;
	f[14 + 3] = 24;
	EXPECT_REASON(&e, 0, f, 14 + 24, ES_CLASS_OTHER, ES_R_UDP_TRUNC, "udp header cut");
	len = frame_build(&s, f, NULL);
	f[14 + 20 + 5] = 4;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "udp length 4");
	f[14 + 20 + 5] = 8 + 10 + 1;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_SYSLOG, ES_R_UDP_LEN, "udp length beyond the ip payload");

	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	f[14] = 0x45;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_IP_VERSION, "ipv6 ethertype, version 4");

	s = (struct frame_spec){ .l3 = 1, .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 10 };
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 1, f, 39, ES_CLASS_OTHER, ES_R_IP_TRUNC, "ipv6 header cut, l3");
	f[5] += 1;
	EXPECT_REASON(&e, 1, f, len, ES_CLASS_OTHER, ES_R_IP_LEN, "payload length beyond the frame");

	s = (struct frame_spec){ .family = 6, .v6_ext = 1, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	f[14 + 40 + 1] = 200;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_EXT_TRUNC, "ext header beyond payload");
	len = frame_build(&s, f, NULL);
	f[14 + 4] = 0;
	f[14 + 5] = 4;
	EXPECT_REASON(&e, 0, f, 14 + 40 + 4, ES_CLASS_OTHER, ES_R_EXT_TRUNC, "ext header cut short");
	s.v6_ext = ES_IPV6_MAX_EXT + 1;
	len = frame_build(&s, f, NULL);
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_OTHER, ES_R_EXT_CHAIN, "ext chain too long");

	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 443 };
	len = frame_build(&s, f, NULL);
	f[14 + 2] = 0;
	f[14 + 3] = 30;
	EXPECT_REASON(&e, 0, f, 14 + 30, ES_CLASS_OTHER, ES_R_TCP_TRUNC, "tcp header cut");
	len = frame_build(&s, f, NULL);
	f[14 + 20 + 12] = 4 << 4;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_PROXY, ES_R_TCP_DOFF, "tcp doff 4");
	f[14 + 20 + 12] = 15 << 4;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_PROXY, ES_R_TCP_DOFF, "tcp doff beyond the segment");

	/* first fragments that do not hold the L4 header */
	s = (struct frame_spec){ .frag = FRAG_FIRST, .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	len = frame_build(&s, f, NULL);
	f[14 + 3] -= 4;
	EXPECT_REASON(&e, 0, f, len - 4, ES_CLASS_OTHER, ES_R_TINY_FRAG, "tiny first fragment, udp");
	s = (struct frame_spec){ .frag = FRAG_FIRST, .family = 6, .proto = IPPROTO_TCP, .dport = 443 };
	len = frame_build(&s, f, NULL);
	f[14 + 5] -= 8;
	EXPECT_REASON(&e, 0, f, len - 8, ES_CLASS_OTHER, ES_R_TINY_FRAG, "tiny first fragment, tcp");
	/* the whole fixed TCP header, but its options beyond the fragment */
	s = (struct frame_spec){ .frag = FRAG_FIRST, .family = 4, .proto = IPPROTO_TCP, .dport = 443 };
	len = frame_build(&s, f, NULL);
	f[14 + 20 + 12] = 6 << 4;
	EXPECT_REASON(&e, 0, f, len, ES_CLASS_PROXY, ES_R_TINY_FRAG, "first fragment, tcp options cut");

	/* the counters by reason, as the stats read them */
	{
		struct es_iface_stats st;
		int r;

		ASSERT_EQ(bpfctl_read_slot(e.m.stats, 0, &st), 0);
		EXPECT_EQ(st.malformed[ES_R_NONE], 0);
		/* every reason of the ABI, on the Ethernet instance alone */
		for (r = ES_R_NONE + 1; r < ES_REASON_MAX; r++) {
			if (!st.malformed[r])
				TH_LOG("reason %s never counted", bpfctl_reason_name(r));
			EXPECT_GE(st.malformed[r], 1);
		}
		EXPECT_EQ(st.malformed[ES_R_L2_TRUNC], 14);
		EXPECT_EQ(st.malformed[ES_R_VLAN_TRUNC], 2);
		EXPECT_EQ(st.malformed[ES_R_PPPOE_BAD], 4);
		EXPECT_EQ(st.malformed[ES_R_TINY_FRAG], 3);
		EXPECT_EQ(st.malformed[ES_R_UDP_LEN], 2);
	}
}

/* Packets counted for the rule (class, list, prefix text); -1: no such rule. */
static long long rule_hits(struct env *e, int cls, int list, const char *prefix, uint64_t *bytes)
{
	struct bpfctl_rule_hits *v;
	char pfx[64];
	long long got = -1;
	int n, i;

	if (bpfctl_rule_hits_fd(e->m.config, e->m.rules, e->m.rule_hits, &v, &n))
		return -2;
	for (i = 0; i < n; i++) {
		bpfctl_rule_prefix(&v[i].rule, pfx, sizeof(pfx));
		if (v[i].rule.cls == cls && v[i].rule.list == list && !strcmp(pfx, prefix)) {
			got = (long long)v[i].hits.packets;
			if (bytes)
				*bytes = v[i].hits.bytes;
		}
	}
	free(v);
	return got;
}

/*
 * Hits per prefix rule, exactly: each frame is counted once, on the
 * longest matching prefix of its class, whether the direct table or the
 * trie (an IPv6 prefix longer than /64) decided; sources outside an allow
 * list count on the implicit deny of their family; sources no rule covers
 * count nowhere. A reload carries the counts of unchanged rules over.
 */
TEST(rule_hits_per_prefix_exact)
{
	static const char rules[] = PORTS
		"allow_syslog = 192.0.2.0/24 2001:db8::/32\n"
		"deny_syslog = 192.0.2.128/25 2001:db8:1::/48 2001:db8:2:3:4::/80\n"
		"deny_proxy = 198.51.100.7/32 10.0.0.0/8 2001:db8::/32\n";
	struct {
		int proto;
		const char *src;
		uint32_t n;
		int cls, list;
		const char *rule;	/* NULL: no rule covers it */
	} cases[] = {
		{ IPPROTO_UDP, "192.0.2.1", 3, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "192.0.2.0/24" },
		{ IPPROTO_UDP, "192.0.2.200", 5, ES_CLASS_SYSLOG, ES_RULE_DENY, "192.0.2.128/25" },
		{ IPPROTO_UDP, "203.0.113.9", 7, ES_CLASS_SYSLOG, ES_RULE_IMPLICIT, "0.0.0.0/0" },
		{ IPPROTO_UDP, "2001:db8:5::1", 2, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "2001:db8::/32" },
		{ IPPROTO_UDP, "2001:db8:1::9", 4, ES_CLASS_SYSLOG, ES_RULE_DENY, "2001:db8:1::/48" },
		{ IPPROTO_UDP, "2001:db8:2:3:4::1", 6, ES_CLASS_SYSLOG, ES_RULE_DENY, "2001:db8:2:3:4::/80" },
		{ IPPROTO_UDP, "2001:db8:2:3:5::1", 1, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "2001:db8::/32" },
		{ IPPROTO_UDP, "fd00::1", 8, ES_CLASS_SYSLOG, ES_RULE_IMPLICIT, "::/0" },
		{ IPPROTO_TCP, "198.51.100.7", 9, ES_CLASS_PROXY, ES_RULE_DENY, "198.51.100.7/32" },
		{ IPPROTO_TCP, "10.20.30.40", 2, ES_CLASS_PROXY, ES_RULE_DENY, "10.0.0.0/8" },
		{ IPPROTO_TCP, "2001:db8:1::9", 3, ES_CLASS_PROXY, ES_RULE_DENY, "2001:db8::/32" },
		{ IPPROTO_TCP, "198.51.100.8", 4, ES_CLASS_PROXY, 0, NULL },
	};
	const char *all[][3] = {
		{ "0", "1", "192.0.2.0/24" }, { "0", "2", "192.0.2.128/25" }, { "0", "3", "0.0.0.0/0" },
		{ "0", "3", "::/0" }, { "0", "1", "2001:db8::/32" }, { "0", "2", "2001:db8:1::/48" },
		{ "0", "2", "2001:db8:2:3:4::/80" }, { "1", "2", "198.51.100.7/32" },
		{ "1", "2", "10.0.0.0/8" }, { "1", "2", "2001:db8::/32" },
	};
	uint64_t want[sizeof(all) / sizeof(all[0])] = { 0 }, wbytes[sizeof(all) / sizeof(all[0])] = { 0 };
	uint64_t bytes;
	struct env e;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t i, j, len;
	int round;

	env_open(&e, rules);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct frame_spec s = {
				.family = strchr(cases[i].src, ':') ? 6 : 4, .proto = cases[i].proto,
				.dport = cases[i].proto == IPPROTO_UDP ? 514 : 443, .src = cases[i].src,
				.payload = (int)i,
			};

			len = frame_build(&s, f, NULL);
			ASSERT_EQ(run(e.eth, f, len, cases[i].n, &rv), 0);
			for (j = 0; cases[i].rule && j < sizeof(all) / sizeof(all[0]); j++)
				if (atoi(all[j][0]) == cases[i].cls && atoi(all[j][1]) == cases[i].list &&
				    !strcmp(all[j][2], cases[i].rule)) {
					want[j] += cases[i].n;
					wbytes[j] += cases[i].n * len;
				}
		}
		for (j = 0; j < sizeof(all) / sizeof(all[0]); j++) {
			long long got = rule_hits(&e, atoi(all[j][0]), atoi(all[j][1]), all[j][2], &bytes);

			if (got != (long long)want[j])
				TH_LOG("round %d: %s %s: %lld hits, want %llu", round, all[j][1], all[j][2], got,
				       (unsigned long long)want[j]);
			EXPECT_EQ(got, (long long)want[j]);
			EXPECT_EQ(bytes, wbytes[j]);
		}
		/* a reload with one more allow rule (every later id moves):
		 * the others keep their counts, the new one starts at 0 */
		if (round) {
			write_conf(&e, rules);
		} else {
			char *more = malloc(sizeof(rules) + 64);

			ASSERT_TRUE(more != NULL);
			snprintf(more, sizeof(rules) + 64, "%sallow_syslog = 198.18.0.0/15\n", rules);
			write_conf(&e, more);
			free(more);
			EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "198.18.0.0/15", NULL), 0);
		}
	}
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "198.18.0.0/15", NULL), -1);
	/* rule_hits = no: enforced, not counted */
	{
		char *off = malloc(sizeof(rules) + 32);
		struct frame_spec s = { .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "10.1.1.1" };
		long long before;

		ASSERT_TRUE(off != NULL);
		snprintf(off, sizeof(rules) + 32, "%srule_hits = no\n", rules);
		write_conf(&e, off);
		free(off);
		before = rule_hits(&e, ES_CLASS_PROXY, ES_RULE_DENY, "10.0.0.0/8", NULL);
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(e.eth, f, len, 3, &rv), 0);
		EXPECT_EQ(rv, XDP_DROP);
		EXPECT_EQ(rule_hits(&e, ES_CLASS_PROXY, ES_RULE_DENY, "10.0.0.0/8", NULL), before);
	}
}

/* Port ranges: both ends and the ports around them. */
TEST(port_ranges)
{
	struct env e;
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP };
	static const struct { uint16_t port; int proto, cls; } t[] = {
		{ 5999, IPPROTO_UDP, ES_CLASS_OTHER }, { 6000, IPPROTO_UDP, ES_CLASS_SYSLOG },
		{ 6005, IPPROTO_UDP, ES_CLASS_SYSLOG }, { 6010, IPPROTO_UDP, ES_CLASS_SYSLOG },
		{ 6011, IPPROTO_UDP, ES_CLASS_OTHER }, { 514, IPPROTO_UDP, ES_CLASS_SYSLOG },
		{ 6005, IPPROTO_TCP, ES_CLASS_OTHER }, { 8000, IPPROTO_TCP, ES_CLASS_PROXY },
		{ 65535, IPPROTO_TCP, ES_CLASS_PROXY }, { 7999, IPPROTO_TCP, ES_CLASS_OTHER },
		{ 1, IPPROTO_TCP, ES_CLASS_PROXY }, { 2, IPPROTO_TCP, ES_CLASS_OTHER },
	};
	size_t i;

	env_open(&e, "syslog_ports = 514 6000-6010\nproxy_ports = 1-1 8000-65535\n");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s.proto = t[i].proto;
		s.dport = t[i].port;
		EXPECT_SPEC(&e, s, t[i].cls, ES_V_PASS, "port range");
	}
}

/*
 * The `other` class: untouched without lists (covered above); with
 * allow_other / deny_other, IP frames of class other are judged by
 * source like the other classes (rule hits included), while non-IP
 * frames and later fragments still pass, and syslog and proxy are not
 * affected.
 */
TEST(other_class_allow_deny)
{
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len;

	env_open(&e, PORTS "allow_other = 192.0.2.0/24 2001:db8::/32\ndeny_other = 192.0.2.66/32\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_ICMP, .src = "192.0.2.1" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "icmp, allowed source");
	s.src = "192.0.2.66";
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_DROP_POLICY, "icmp, denied source");
	s.src = "203.0.113.5";
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_DROP_POLICY, "icmp, not in the allow list");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 53, .src = "203.0.113.5" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_DROP_POLICY, "udp/53, not in the allow list");
	s = (struct frame_spec){ .family = 6, .proto = IPPROTO_TCP, .dport = 22, .src = "2001:db8:9::1" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "tcp/22 v6, allowed");
	s.src = "2001:db9::1";
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_DROP_POLICY, "tcp/22 v6, not allowed");
	/* syslog and proxy keep their own (empty) policy */
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "203.0.113.5" };
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "syslog from a source other denies");
	/* not IP: passes */
	s = (struct frame_spec){ .family = 4, .ethertype = 0x0806, .src = "203.0.113.5" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "arp");
	/* a later fragment cannot be judged by port, nor here by source */
	s = (struct frame_spec){ .frag = FRAG_LATER, .family = 4, .proto = IPPROTO_UDP, .payload = 64,
				 .src = "203.0.113.5" };
	len = frame_build(&s, f, NULL);
	ASSERT_EQ(run(e.eth, f, len, 1, &rv), 0);
	EXPECT_EQ(rv, XDP_PASS);
	EXPECT_TRUE(counters_moved(&e, 0, ES_CLASS_OTHER, ES_V_PASS, 1, len, 1) == NULL);
	/* the hits, attributed as for the other classes */
	EXPECT_EQ(rule_hits(&e, ES_CLASS_OTHER, ES_RULE_DENY, "192.0.2.66/32", NULL), 1);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_OTHER, ES_RULE_IMPLICIT, "0.0.0.0/0", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_OTHER, ES_RULE_ALLOW, "192.0.2.0/24", NULL), 1);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_OTHER, ES_RULE_IMPLICIT, "::/0", NULL), 1);
	/* lists removed: other passes untouched again */
	write_conf(&e, PORTS);
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_ICMP, .src = "192.0.2.66" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "icmp, no lists");
}

/* ---- syslog over TCP ------------------------------------------------------- */

/*
 * syslog_tcp_ports: TCP segments (SYNs and data alike) to those ports are
 * class syslog and meet its allow/deny lists, counted per rule; TCP to a
 * port in no set stays other, proxy ports stay proxy, and UDP to a
 * syslog_tcp_ports port is not syslog unless syslog_ports lists it.
 */
TEST(syslog_tcp_ports_classified_with_policy)
{
	struct env e;
	struct frame_spec s;
	struct {
		int fam;
		const char *src;
		int verdict;
	} src[] = {
		{ 4, "192.0.2.10", ES_V_PASS },
		{ 4, "192.0.2.66", ES_V_DROP_POLICY },		/* denied inside the allow list */
		{ 4, "203.0.113.5", ES_V_DROP_POLICY },		/* outside the allow list */
		{ 6, "2001:db8::10", ES_V_PASS },
		{ 6, "2001:db8:bad::1", ES_V_DROP_POLICY },
		{ 6, "2001:db9::1", ES_V_DROP_POLICY },
	};
	size_t i;

	env_open(&e, PORTS "syslog_tcp_ports = 514 6514-6515\n"
		 "allow_syslog = 192.0.2.0/24 2001:db8::/32\n"
		 "deny_syslog = 192.0.2.66/32 2001:db8:bad::/48\n");
	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		s = (struct frame_spec){ .family = src[i].fam, .proto = IPPROTO_TCP, .dport = 514,
					 .src = src[i].src };
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, src[i].verdict, src[i].src);	/* SYN */
		s.tcp_flags = 0x18;	/* PSH|ACK: a frame of an established stream */
		s.payload = 120;
		s.dport = 6515;
		EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, src[i].verdict, src[i].src);
		/* ports outside the syslog TCP set keep their class */
		s.dport = 6516;
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "tcp/6516");
		s.dport = 22;
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "tcp/22");
		s.dport = 443;
		EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "tcp/443");
		/* syslog_tcp_ports is TCP only */
		s = (struct frame_spec){ .family = src[i].fam, .proto = IPPROTO_UDP, .dport = 6514,
					 .src = src[i].src, .payload = 30 };
		EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "udp/6514");
	}
	/* the rules that decided were hit: 2 frames per source */
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "192.0.2.0/24", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_DENY, "192.0.2.66/32", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_IMPLICIT, "0.0.0.0/0", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_ALLOW, "2001:db8::/32", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_DENY, "2001:db8:bad::/48", NULL), 2);
	EXPECT_EQ(rule_hits(&e, ES_CLASS_SYSLOG, ES_RULE_IMPLICIT, "::/0", NULL), 2);
	/* removed by a reload: TCP to 514 is other again */
	write_conf(&e, PORTS "allow_syslog = 192.0.2.0/24\n");
	s = (struct frame_spec){ .family = 4, .proto = IPPROTO_TCP, .dport = 514, .src = "203.0.113.5" };
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "tcp/514 without syslog_tcp_ports");
}

/*
 * The syslog token bucket is for UDP: a burst of TCP syslog frames far
 * beyond syslog_burst all pass, and spend none of the source's UDP
 * tokens (its UDP frames still get exactly syslog_burst).
 */
TEST(syslog_tcp_not_rate_limited)
{
	static const char *const srcs[] = { "192.0.2.1", "2001:db8:0:1::a" };
	struct env e;
	struct frame_spec s;
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len, i;

	/* 1 pps: nothing refills during the test */
	env_open(&e, PORTS "syslog_tcp_ports = 514\nsyslog_rate_pps = 1\nsyslog_burst = 5\n");
	for (i = 0; i < 2; i++) {
		s = (struct frame_spec){ .family = i ? 6 : 4, .proto = IPPROTO_TCP, .dport = 514,
					 .src = srcs[i], .tcp_flags = 0x18, .payload = 200 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(e.eth, f, len, 50, &rv), 0);
		EXPECT_EQ(rv, XDP_PASS);
		EXPECT_TRUE(counters_moved(&e, 0, ES_CLASS_SYSLOG, ES_V_PASS, 50, len, 0) == NULL);
		/* SYNs are not limited either */
		s.tcp_flags = 0;
		s.payload = 0;
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(e.eth, f, len, 20, &rv), 0);
		EXPECT_TRUE(counters_moved(&e, 0, ES_CLASS_SYSLOG, ES_V_PASS, 20, len, 0) == NULL);
		/* the same source over UDP: its full bucket, then the limit */
		s = (struct frame_spec){ .family = i ? 6 : 4, .proto = IPPROTO_UDP, .dport = 514,
					 .src = srcs[i], .payload = 60 };
		len = frame_build(&s, f, NULL);
		ASSERT_EQ(run(e.eth, f, len, 5, &rv), 0);
		EXPECT_TRUE(counters_moved(&e, 0, ES_CLASS_SYSLOG, ES_V_PASS, 5, len, 0) == NULL);
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_DROP_RATELIMIT, "udp over its burst");
		/* and TCP still passes once UDP is over its limit */
		s.proto = IPPROTO_TCP;
		s.tcp_flags = 0x10;
		len = frame_build(&s, f, NULL);
		EXPECT_FRAME(&e, 0, f, len, ES_CLASS_SYSLOG, ES_V_PASS, "tcp from a limited source");
	}
}

/* ---- top talkers ------------------------------------------------------------ */

/* Packets the talker table holds for (src, cls, verdict); -1: not held. */
static long long talker_packets(struct env *e, const char *src, int cls, int verdict)
{
	struct bpfctl_talker *v;
	char a[64];
	long long got = -1;
	int n, i;

	if (bpfctl_read_talkers_fd(e->m.talkers, &v, &n))
		return -2;
	for (i = 0; i < n; i++) {
		bpfctl_talker_addr(&v[i].t, a, sizeof(a));
		if (!strcmp(a, src) && v[i].t.cls == cls && v[i].t.verdict == verdict)
			got = (long long)v[i].t.packets;
	}
	free(v);
	return got;
}

/* The program's slot of an IPv4 source (mirrors diag_talker()). */
static uint32_t talker_slot4(const char *src, uint32_t cls, uint32_t verdict)
{
	struct in_addr a;
	uint32_t h;

	inet_pton(AF_INET, src, &a);
	h = (a.s_addr ^ (cls << 8 | verdict) * 0x9E3779B1u) * 0x9E3779B1u;
	return h >> (32 - ES_TALK_BITS);
}

static void send_n(struct env *e, const char *src, int proto, uint32_t n)
{
	struct frame_spec s = {
		.family = strchr(src, ':') ? 6 : 4, .proto = proto,
		.dport = proto == IPPROTO_UDP ? 514 : 443, .src = src,
	};
	uint8_t f[FRAME_MAX];
	uint32_t rv;
	size_t len = frame_build(&s, f, NULL);

	ASSERT_EQ(run(e->eth, f, len, n, &rv), 0);
}

/*
 * With talkers_sample = 1, each source is counted exactly, per class and
 * verdict; a source that shares its slot keeps it while it outnumbers
 * the others hashed there and loses it once they outnumber it;
 * talkers = no counts nothing.
 */
TEST(talkers_exact_and_heavy_keeps_its_slot)
{
	struct env e;
	char other[32];
	uint32_t i, slot;
	cpu_set_t one;

	/* the table is per CPU: every frame of this test on the same one */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
	env_open(&e, PORTS "deny_proxy = 198.51.100.0/24\ntalkers_sample = 1\n");
	send_n(&e, "192.0.2.1", IPPROTO_UDP, 50);
	send_n(&e, "192.0.2.2", IPPROTO_UDP, 20);
	send_n(&e, "192.0.2.3", IPPROTO_UDP, 5);
	send_n(&e, "2001:db8::7", IPPROTO_UDP, 7);
	send_n(&e, "198.51.100.9", IPPROTO_TCP, 9);
	send_n(&e, "192.0.2.1", IPPROTO_TCP, 4);
	EXPECT_EQ(talker_packets(&e, "192.0.2.1", ES_CLASS_SYSLOG, ES_V_PASS), 50);
	EXPECT_EQ(talker_packets(&e, "192.0.2.2", ES_CLASS_SYSLOG, ES_V_PASS), 20);
	EXPECT_EQ(talker_packets(&e, "192.0.2.3", ES_CLASS_SYSLOG, ES_V_PASS), 5);
	EXPECT_EQ(talker_packets(&e, "2001:db8::7", ES_CLASS_SYSLOG, ES_V_PASS), 7);
	EXPECT_EQ(talker_packets(&e, "198.51.100.9", ES_CLASS_PROXY, ES_V_DROP_POLICY), 9);
	EXPECT_EQ(talker_packets(&e, "192.0.2.1", ES_CLASS_PROXY, ES_V_PASS), 4);

	/* a second source in the slot of 192.0.2.1's syslog */
	slot = talker_slot4("192.0.2.1", ES_CLASS_SYSLOG, ES_V_PASS);
	for (i = 1; i < 1u << 24; i++) {
		snprintf(other, sizeof(other), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		if (talker_slot4(other, ES_CLASS_SYSLOG, ES_V_PASS) == slot)
			break;
	}
	ASSERT_LT(i, 1u << 24);
	send_n(&e, other, IPPROTO_UDP, 50);	/* as many: the holder stays */
	EXPECT_EQ(talker_packets(&e, "192.0.2.1", ES_CLASS_SYSLOG, ES_V_PASS), 50);
	EXPECT_EQ(talker_packets(&e, other, ES_CLASS_SYSLOG, ES_V_PASS), -1);
	send_n(&e, other, IPPROTO_UDP, 1);	/* outnumbered: taken over */
	EXPECT_EQ(talker_packets(&e, "192.0.2.1", ES_CLASS_SYSLOG, ES_V_PASS), -1);
	EXPECT_EQ(talker_packets(&e, other, ES_CLASS_SYSLOG, ES_V_PASS), 1);
	send_n(&e, other, IPPROTO_UDP, 9);
	EXPECT_EQ(talker_packets(&e, other, ES_CLASS_SYSLOG, ES_V_PASS), 10);

	/* the ranking: by packets within a class and verdict */
	{
		struct bpfctl_talker *v;
		char a[64];
		int n, k = 0;

		ASSERT_EQ(bpfctl_read_talkers_fd(e.m.talkers, &v, &n), 0);
		bpfctl_talkers_rate(v, n, NULL, 0, 0);
		for (int j = 0; j < n; j++) {
			if (v[j].t.cls != ES_CLASS_SYSLOG || v[j].t.verdict != ES_V_PASS)
				continue;
			bpfctl_talker_addr(&v[j].t, a, sizeof(a));
			if (k == 0)
				EXPECT_STREQ(a, "192.0.2.2");
			if (k == 1)
				EXPECT_STREQ(a, other);
			k++;
		}
		EXPECT_EQ(k, 4);
		free(v);
	}

	write_conf(&e, PORTS "talkers = no\n");
	send_n(&e, "192.0.2.2", IPPROTO_UDP, 3);
	send_n(&e, "192.0.2.99", IPPROTO_UDP, 3);
	EXPECT_EQ(talker_packets(&e, "192.0.2.2", ES_CLASS_SYSLOG, ES_V_PASS), 20);
	EXPECT_EQ(talker_packets(&e, "192.0.2.99", ES_CLASS_SYSLOG, ES_V_PASS), -1);
}

/* One frame of `src` to the syslog port, built once per source. */
struct sender {
	const char *src;
	int weight;		/* frames per round */
	uint8_t f[FRAME_MAX];
	size_t len;
	long long sent;
};

/*
 * Sampled (the default, 1 frame in 16): three sources interleaved at
 * 6:3:1 in a strict period, and two in strict alternation, the patterns
 * that "every 16th frame" would get wrong (it would see only one of the
 * alternating pair, or only one source of the 6:3:1 period at a fixed
 * phase). The table names the heavy sender first, every estimate is
 * within 20% of the frames sent (about 6 standard errors at these
 * counts), and the alternating pair each get about half.
 */
TEST(talkers_sampled_name_the_heavy_sender)
{
	struct env e;
	struct sender snd[] = {
		{ .src = "192.0.2.61", .weight = 6 }, { .src = "192.0.2.62", .weight = 3 },
		{ .src = "192.0.2.63", .weight = 1 }, { .src = "198.51.100.1" }, { .src = "198.51.100.2" },
	};
	struct bpfctl_talker *v;
	char a[64];
	cpu_set_t one;
	uint32_t rv;
	int i, j, n, round, k = 0;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
	env_open(&e, PORTS);
	for (i = 0; i < 5; i++) {
		struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = snd[i].src };

		snd[i].len = frame_build(&s, snd[i].f, NULL);
	}
	/* 800 rounds of 6 + 3 + 1 frames, one frame per run */
	for (round = 0; round < 800; round++)
		for (i = 0; i < 3; i++)
			for (j = 0; j < snd[i].weight; j++) {
				ASSERT_EQ(run(e.eth, snd[i].f, snd[i].len, 1, &rv), 0);
				snd[i].sent++;
			}
	/* 4000 frames in strict alternation */
	for (round = 0; round < 4000; round++) {
		ASSERT_EQ(run(e.eth, snd[3 + (round & 1)].f, snd[3 + (round & 1)].len, 1, &rv), 0);
		snd[3 + (round & 1)].sent++;
	}
	for (i = 0; i < 5; i++) {
		long long got = talker_packets(&e, snd[i].src, ES_CLASS_SYSLOG, ES_V_PASS);

		TH_LOG("%s: %lld frames sent, %lld estimated", snd[i].src, snd[i].sent, got);
		EXPECT_GT(got, snd[i].sent * 8 / 10);
		EXPECT_LT(got, snd[i].sent * 12 / 10);
	}
	/* ranked: the 6 ahead of the 3 ahead of the 1 (of the 192.0.2.6x) */
	ASSERT_EQ(bpfctl_read_talkers_fd(e.m.talkers, &v, &n), 0);
	bpfctl_talkers_rate(v, n, NULL, 0, 0);
	for (j = 0; j < n; j++) {
		bpfctl_talker_addr(&v[j].t, a, sizeof(a));
		if (strncmp(a, "192.0.2.6", 9))
			continue;
		EXPECT_EQ(v[j].t.shift, 4);
		if (k < 3)
			EXPECT_STREQ(a, snd[k].src);
		k++;
	}
	EXPECT_EQ(k, 3);
	free(v);
}

/* ---- trace ---------------------------------------------------------------- */

#define TRACE_MAX 64

struct trace_got {
	int n;
	struct es_trace_rec rec[TRACE_MAX];
	uint8_t data[TRACE_MAX][ES_TRACE_SNAP_MAX];
};

static int trace_cb(void *ctx, void *data, size_t size)
{
	struct trace_got *g = ctx;
	const struct es_trace_rec *r = data;

	if (size < sizeof(*r) || g->n >= TRACE_MAX)
		return 0;
	g->rec[g->n] = *r;
	memcpy(g->data[g->n], r + 1, r->caplen <= ES_TRACE_SNAP_MAX ? r->caplen : 0);
	g->n++;
	return 0;
}

/* Everything in the ring buffer now. */
static void trace_drain(struct env *e, struct trace_got *g)
{
	struct ring_buffer *rb = ring_buffer__new(e->m.trace_rb, trace_cb, g, NULL);

	ASSERT_TRUE(rb != NULL);
	memset(g, 0, sizeof(*g));
	ASSERT_GE(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
}

/*
 * The trace filter (interface slot, class, verdict, source prefix)
 * lets through exactly the frames it should, and each record carries
 * the frame's summary and its first `snap` bytes; switched off, nothing
 * more is recorded.
 */
TEST(trace_filter_matches_exactly)
{
	struct env e;
	struct trace_got g;
	struct bpfctl_trace_filter flt = {
		.slot_mask = 1, .cls_mask = 1u << ES_CLASS_SYSLOG,
		.verdict_mask = 1u << ES_V_PASS | 1u << ES_V_DROP_POLICY, .has_src = true,
		.snap = 60, .rate = 1000000,
	};
	struct {
		struct frame_spec s;
		int match, cls, verdict;
	} fr[] = {
		{ { .family = 4, .proto = IPPROTO_UDP, .dport = 514, .sport = 40001, .src = "192.0.2.1", .payload = 100 },
		  1, ES_CLASS_SYSLOG, ES_V_PASS },
		{ { .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.200", .payload = 10 },
		  1, ES_CLASS_SYSLOG, ES_V_DROP_POLICY },
		{ { .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.3.1" }, 0, ES_CLASS_SYSLOG, ES_V_PASS },
		{ { .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "192.0.2.1" }, 0, ES_CLASS_PROXY, ES_V_PASS },
		{ { .family = 4, .proto = IPPROTO_UDP, .dport = 53, .src = "192.0.2.1" }, 0, ES_CLASS_OTHER, ES_V_PASS },
		{ { .family = 6, .proto = IPPROTO_UDP, .dport = 514, .src = "2001:db8::1" }, 0, ES_CLASS_SYSLOG, ES_V_PASS },
		{ { .l3 = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .src = "192.0.2.1" }, 0,
		  ES_CLASS_SYSLOG, ES_V_PASS },
		{ { .vlans = 2, .family = 4, .proto = IPPROTO_UDP, .dport = 601, .sport = 7, .src = "192.0.2.99", .payload = 3 },
		  1, ES_CLASS_SYSLOG, ES_V_PASS },
	};
	uint8_t f[FRAME_MAX];
	size_t i, len[sizeof(fr) / sizeof(fr[0])];
	struct es_trace_cfg last;
	int k = 0, want = 0;

	env_open(&e, PORTS "deny_syslog = 192.0.2.128/25\n");
	ASSERT_EQ(conf_parse_prefix("192.0.2.0/24", &flt.src), 0);
	ASSERT_EQ(bpfctl_trace_set(e.m.trace, &flt), 0);
	for (i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		len[i] = frame_build(&fr[i].s, f, NULL);
		EXPECT_FRAME(&e, fr[i].s.l3, f, len[i], fr[i].cls, fr[i].verdict, "traced frame");
		want += fr[i].match;
	}
	trace_drain(&e, &g);
	ASSERT_EQ(g.n, want);
	for (i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		const struct es_trace_rec *r;
		struct in_addr sa;
		size_t cap;

		if (!fr[i].match)
			continue;
		r = &g.rec[k];
		len[i] = frame_build(&fr[i].s, f, NULL);
		cap = len[i] < 60 ? len[i] : 60;
		EXPECT_EQ(r->slot, 0);
		EXPECT_EQ(r->len, len[i]);
		EXPECT_EQ(r->caplen, cap);
		EXPECT_EQ(r->cls, fr[i].cls);
		EXPECT_EQ(r->verdict, fr[i].verdict);
		EXPECT_EQ(r->reason, ES_R_NONE);
		EXPECT_EQ(r->family, 4);
		EXPECT_EQ(r->l4proto, IPPROTO_UDP);
		EXPECT_EQ(ntohs(r->dport), fr[i].s.dport);
		if (fr[i].s.sport)
			EXPECT_EQ(ntohs(r->sport), fr[i].s.sport);
		ASSERT_EQ(inet_pton(AF_INET, fr[i].s.src, &sa), 1);
		EXPECT_EQ(memcmp(r->saddr, &sa, 4), 0);
		EXPECT_EQ(memcmp(g.data[k], f, cap), 0);
		EXPECT_NE(r->ts_ns, 0);
		k++;
	}
	ASSERT_EQ(bpfctl_trace_clear(e.m.trace, &last), 0);
	EXPECT_EQ(last.matched, (uint64_t)want);
	EXPECT_EQ(last.sampled_out, 0);
	EXPECT_EQ(last.lost, 0);

	/* malformed frames of any class, on any interface: the reason travels */
	flt = (struct bpfctl_trace_filter){ .verdict_mask = 1u << ES_V_DROP_MALFORMED, .snap = 0, .rate = 1000 };
	ASSERT_EQ(bpfctl_trace_set(e.m.trace, &flt), 0);
	len[0] = frame_build(&fr[0].s, f, NULL);
	EXPECT_FRAME(&e, 0, f, len[0], ES_CLASS_SYSLOG, ES_V_PASS, "not malformed");
	f[14] = 0x44;
	EXPECT_REASON(&e, 0, f, len[0], ES_CLASS_OTHER, ES_R_IP_IHL, "traced malformed");
	trace_drain(&e, &g);
	ASSERT_EQ(g.n, 1);
	EXPECT_EQ(g.rec[0].verdict, ES_V_DROP_MALFORMED);
	EXPECT_EQ(g.rec[0].reason, ES_R_IP_IHL);
	EXPECT_EQ(g.rec[0].caplen, 0);
	EXPECT_EQ(g.rec[0].family, 0);

	/* off: nothing recorded */
	ASSERT_EQ(bpfctl_trace_clear(e.m.trace, NULL), 0);
	EXPECT_REASON(&e, 0, f, len[0], ES_CLASS_OTHER, ES_R_IP_IHL, "untraced malformed");
	trace_drain(&e, &g);
	EXPECT_EQ(g.n, 0);
}

/*
 * A flood of matching frames: the sampling bucket lets through at most
 * its burst plus one record per interval of the time the flood took
 * (measured around it, so the bound holds on any machine), every other
 * frame is counted as sampled out, none is lost.
 */
TEST(trace_sampling_cap_holds)
{
	struct env e;
	struct trace_got g;
	struct bpfctl_trace_filter flt = { .snap = 32, .rate = 20 };
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .dport = 514 };
	struct es_trace_cfg last;
	struct timespec t0, t1;
	uint8_t f[FRAME_MAX];
	__u64 interval, tau;
	uint64_t elapsed, cap;
	uint32_t rv, floods = 0;
	size_t len;

	env_open(&e, PORTS);
	bpfctl_trace_bucket(flt.rate, &interval, &tau);
	EXPECT_EQ(interval, 50000000u);
	EXPECT_EQ(tau, 50000000u);	/* burst of 2 */
	ASSERT_EQ(bpfctl_trace_set(e.m.trace, &flt), 0);
	len = frame_build(&s, f, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (floods = 0; floods < 5; floods++)
		ASSERT_EQ(run(e.eth, f, len, 200000, &rv), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t1.tv_nsec -
		  (uint64_t)t0.tv_nsec;
	cap = (tau + elapsed) / interval + 1;
	trace_drain(&e, &g);
	ASSERT_EQ(bpfctl_trace_clear(e.m.trace, &last), 0);
	TH_LOG("%d records of 1000000 frames in %llu ms (cap %llu)", g.n,
	       (unsigned long long)(elapsed / 1000000), (unsigned long long)cap);
	EXPECT_GE(g.n, 1);
	EXPECT_LE((uint64_t)g.n, cap);
	EXPECT_EQ(last.matched, 1000000);
	EXPECT_EQ(last.sampled_out + (uint64_t)g.n, 1000000);
	EXPECT_EQ(last.lost, 0);
}

/*
 * Every frame kind, cut at every byte offset up to the end of its
 * headers and beyond (into the payload): never classified, always
 * counted as malformed. The kernel's test_run refuses frames shorter than
 * an Ethernet header (14 bytes), so the cut starts there; the refusal is
 * checked too.
 */
TEST(truncated_at_every_offset)
{
	struct env e;
	struct frame_spec specs[] = {
		{ .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 16 },
		{ .family = 6, .proto = IPPROTO_TCP, .dport = 443, .payload = 16 },
		{ .vlans = 2, .family = 4, .ip_opt_words = 3, .proto = IPPROTO_TCP, .dport = 443, .payload = 8 },
		{ .vlans = 1, .pppoe = 1, .family = 6, .v6_ext = 3, .proto = IPPROTO_UDP, .dport = 514, .payload = 8 },
		{ .pppoe = 1, .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 8 },
		{ .family = 6, .frag = FRAG_FIRST, .proto = IPPROTO_UDP, .dport = 514, .payload = 8 },
		{ .l3 = 1, .family = 4, .ip_opt_words = 2, .proto = IPPROTO_UDP, .dport = 514, .payload = 16 },
		{ .l3 = 1, .family = 6, .v6_ext = 2, .proto = IPPROTO_TCP, .dport = 443, .payload = 16 },
	};
	uint8_t f[FRAME_MAX];
	size_t i, len, hdrs, cut;
	uint32_t rv;
	int checked = 0;

	env_open(&e, PORTS "allow_syslog = 0.0.0.0/0 ::/0\nsyslog_rate_pps = 1000\n");
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct steer *inst = specs[i].l3 ? e.l3 : e.eth;

		len = frame_build(&specs[i], f, &hdrs);
		ASSERT_LT(hdrs, len);
		for (cut = 0; cut < 14; cut++)
			EXPECT_EQ(run(inst, f, cut, 1, &rv), -EINVAL);
		for (cut = 14; cut < len; cut++) {
			EXPECT_FRAME(&e, specs[i].l3, f, cut, ES_CLASS_OTHER, ES_V_DROP_MALFORMED, "truncated");
			checked++;
		}
		/* and the whole frame is fine */
		EXPECT_FRAME(&e, specs[i].l3, f, len,
			     specs[i].proto == IPPROTO_UDP ? ES_CLASS_SYSLOG : ES_CLASS_PROXY, ES_V_PASS, "whole");
	}
	TH_LOG("%d truncated frames checked", checked);
}

TEST(port_sets_update_live)
{
	struct env e;
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .dport = 10514 };

	env_open(&e, PORTS);
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "10514 before");
	write_conf(&e, "syslog_ports = 514 10514 65535\nproxy_ports = 1 443\n");
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "10514 after");
	s.dport = 65535;
	EXPECT_SPEC(&e, s, ES_CLASS_SYSLOG, ES_V_PASS, "65535");
	s.proto = IPPROTO_TCP;
	s.dport = 1;
	EXPECT_SPEC(&e, s, ES_CLASS_PROXY, ES_V_PASS, "tcp/1");
	s.dport = 8443;
	EXPECT_SPEC(&e, s, ES_CLASS_OTHER, ES_V_PASS, "8443 removed");
}

TEST_HARNESS_MAIN
