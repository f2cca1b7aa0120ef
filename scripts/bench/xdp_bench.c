// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_bench.c - ns per frame through BPF_PROG_TEST_RUN, in one run, for:
 *   floor       a two-instruction XDP_PASS program (test_run's own cost)
 *   edgesteer   bpf/steer.bpf.c with every feature on: port sets, allow
 *               and deny prefix tries for syslog and proxy (both
 *               families, BENCH_PREFIXES prefixes each), the syslog token
 *               bucket (at a rate high enough that every frame conforms,
 *               so the full path runs), per-CPU counters, in three
 *               settings of its diagnostics:
 *                 diag off   rule_hits = no, talkers = no, no trace
 *                 diag on    rule hits and top talkers counted, no trace
 *                 trace      diag on and a trace whose filter matches
 *                            every frame, at its sampling cap (1000/s:
 *                            nearly every frame finds the bucket empty)
 *   xdp-filter  xdp-tools' xdpfilt_alw_all.o (all features: Ethernet,
 *               IPv4, IPv6, TCP and UDP port maps; a port filter for 23
 *               plus BENCH_PREFIXES addresses in its IPv4 map), loaded
 *               here through libbpf with its pinning switched off
 * over a syslog datagram, a TCP SYN to a proxy port and an `other` frame
 * (UDP to port 53), plain Ethernet and QinQ + PPPoE, plus IPv6 variants.
 * Each measurement is test_run's average over `repeat` runs; rounds
 * interleave the programs, and the median of the rounds is printed with
 * the minimum beside it. Every frame must come back XDP_PASS from every
 * program (checked), so all do their whole work. After the table, one
 * line per frame for the goal, "goal: FRAME diag on <= 15 ns over the
 * empty program: PASS|MISS (+X ns median, +Y ns min)", decided by the
 * median over the floor's median.
 *
 * -x LABEL=OBJ adds another build of steer.bpf.c, configured as "diag
 * on", as one more column: to compare a change with the tree before it in
 * the same run (a build from before es_tables gets its policy table maps
 * filled from a stand-in, see legacy_tables_copy()).
 *
 * Usage: xdp_bench [-n REPEAT] [-r ROUNDS] [-p PREFIXES] [-f XDP_FILTER_OBJ] [-x LABEL=OBJ]...
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "../../tests/bpf/frames.h"
#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "steer.skel.h"

#define MAX_ROUNDS 51
#define MAX_EXTRA 6
/* the goal: "diag on" at most this many ns per frame over the floor */
#define GOAL_NS 15

enum { P_FLOOR, P_ES_OFF, P_ES, P_ES_TRACE, P_XF, P_FIXED };
#define P_MAX (P_FIXED + MAX_EXTRA)
static const char *prog_names[P_MAX] = { "floor", "es diag off", "es diag on", "es trace",
					 "xdp-filter" };

struct kind {
	const char *name;
	struct frame_spec spec;
	uint8_t frame[FRAME_MAX];
	size_t len;
	double ns[P_MAX][MAX_ROUNDS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int load_floor(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "es_floor", "GPL", insns, 2, NULL);
}

/* xdp-filter: its maps are pinned by name (libxdp convention); not here. */
static int load_xdp_filter(const char *path, int prefixes, struct bpf_object **out)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int ncpu = libbpf_num_possible_cpus(), i, err;
	uint64_t *vals = calloc((size_t)ncpu, sizeof(uint64_t));
	uint32_t key;

	if (!vals)
		return -ENOMEM;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "xdp_bench: %s: %s (xdp-tools installed?)\n", path, strerror(-err));
		goto out;
	}
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "xdp_bench: loading %s failed: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		goto out;
	}
	/* a port filter: TCP and UDP destination port 23 */
	map = bpf_object__find_map_by_name(obj, "filter_ports");
	key = htons(23);
	for (i = 0; i < ncpu; i++)
		vals[i] = (1 << 1) | (1 << 2) | (1 << 3);	/* DST | TCP | UDP */
	if (!map || bpf_map_update_elem(bpf_map__fd(map), &key, vals, BPF_ANY)) {
		err = -ENOENT;
		fprintf(stderr, "xdp_bench: %s: no filter_ports map\n", path);
		bpf_object__close(obj);
		goto out;
	}
	/* and some blocked addresses, as a user with a block list has */
	map = bpf_object__find_map_by_name(obj, "filter_ipv4");
	for (i = 0; map && i < prefixes && i < 10000; i++) {
		uint32_t a = htonl(0xC6120000u + (uint32_t)i);	/* 198.18.x.y */

		vals[0] = 1;	/* SRC */
		for (int c = 1; c < ncpu; c++)
			vals[c] = 1;
		bpf_map_update_elem(bpf_map__fd(map), &a, vals, BPF_ANY);
	}
	prog = bpf_object__next_program(obj, NULL);
	err = prog ? bpf_program__fd(prog) : -ENOENT;
	*out = obj;
out:
	free(vals);
	return err;
}

/* `key = PREFIX` lines (one per line: config lines are bounded). */
static char *prefix_lines(const char *key, const char *fmt, int n)
{
	size_t cap = (size_t)n * 64 + 64, len = 0;
	char *s = malloc(cap);
	int i;

	if (!s)
		return NULL;
	s[0] = 0;
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len, "%s = ", key);
		len += (size_t)snprintf(s + len, cap - len, fmt, (i >> 8) & 0xff, i & 0xff);
		len += (size_t)snprintf(s + len, cap - len, "\n");
	}
	return s;
}

/*
 * A build from before the policy tables became the global es_tables had
 * them as four array maps (es_dir4_l1, es_dir4_chunk, es_dir6_l1,
 * es_dir6_chunk, element = one struct es_dir_l1 / es_dir_chunk; the
 * buckets, which the program alone writes, were maps of their own).
 * bpfctl writes the tables into a stand-in es_tables map; this copies
 * them into such a build's maps. Returns 0 when `obj` has es_tables.
 */
static int legacy_tables_copy(struct bpf_object *obj, int tables_fd)
{
	static const char *const names[] = { "es_dir4_l1", "es_dir4_chunk", "es_dir6_l1", "es_dir6_chunk" };
	struct es_tables *t;
	uint32_t i, k;
	int err = 0;

	if (bpf_object__find_map_by_name(obj, ES_TABLES_SEC))
		return 0;
	t = mmap(NULL, sizeof(*t), PROT_READ, MAP_SHARED, tables_fd, 0);
	if (t == MAP_FAILED)
		return -errno;
	for (i = 0; i < 4 && !err; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, names[i]);
		uint32_t n = i & 1 ? ES_DIR4_CHUNKS : 2 * ES_CLASS_MAX;

		if (!map) {
			fprintf(stderr, "xdp_bench: %s: neither %s nor %s\n", bpf_object__name(obj),
				ES_TABLES_SEC, names[i]);
			err = -ENOENT;
			break;
		}
		for (k = 0; k < n && !err; k++) {
			const void *v = i == 0 ? (const void *)&t->dir4_l1[k] :
					i == 1 ? (const void *)&t->dir4_chunk[k] :
					i == 2 ? (const void *)&t->dir6_l1[k] : (const void *)&t->dir6_chunk[k];

			if (bpf_map_update_elem(bpf_map__fd(map), &k, v, BPF_ANY))
				err = -errno;
		}
	}
	munmap(t, sizeof(*t));
	return err;
}

/* The map fds of one loaded steer.bpf.c object, by name; `scratch`: the
 * stand-in es_tables for a build without it (see legacy_tables_copy). */
static int es_maps(struct bpf_object *obj, struct bpfctl_maps *m, int scratch)
{
	static const struct {
		const char *name;
		size_t off;
	} refs[] = {
		{ ES_CONFIG_SEC, offsetof(struct bpfctl_maps, config) },
		{ "es_stats", offsetof(struct bpfctl_maps, stats) },
		{ "es_ifaces", offsetof(struct bpfctl_maps, ifaces) },
		{ "es_lpm4", offsetof(struct bpfctl_maps, lpm4) },
		{ "es_lpm6", offsetof(struct bpfctl_maps, lpm6) },
		{ "es_cpumap", offsetof(struct bpfctl_maps, cpumap) },
		{ ES_TABLES_SEC, offsetof(struct bpfctl_maps, tables) },
		{ "es_rules", offsetof(struct bpfctl_maps, rules) },
		{ "es_rule_hits", offsetof(struct bpfctl_maps, rule_hits) },
		{ ES_TRACE_SEC, offsetof(struct bpfctl_maps, trace) },
		{ "es_trace_rb", offsetof(struct bpfctl_maps, trace_rb) },
		{ "es_talkers", offsetof(struct bpfctl_maps, talkers) },
		{ ES_PIN_TRACED, offsetof(struct bpfctl_maps, traced) },
	};
	size_t i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, refs[i].name);

		if (!map && !strcmp(refs[i].name, ES_TRACE_SEC))	/* a build where it was a map */
			map = bpf_object__find_map_by_name(obj, "es_trace");
		if (!map && !strcmp(refs[i].name, ES_CONFIG_SEC))	/* the same */
			map = bpf_object__find_map_by_name(obj, "es_config");
		if (!map && !strcmp(refs[i].name, ES_PIN_TRACED)) {	/* a build without it */
			m->traced = -1;
			continue;
		}
		if (!map && !strcmp(refs[i].name, ES_TABLES_SEC)) {	/* a build with table maps */
			m->tables = scratch;
			continue;
		}

		if (!map) {
			fprintf(stderr, "xdp_bench: %s: no map %s\n", bpf_object__name(obj), refs[i].name);
			return -ENOENT;
		}
		*(int *)((char *)m + refs[i].off) = bpf_map__fd(map);
	}
	return 0;
}

static int run_one(int fd, const uint8_t *f, size_t len, uint32_t repeat, double *ns, uint32_t *rv)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ns = o.duration;
	*rv = o.retval;
	return 0;
}

int main(int argc, char **argv)
{
	const char *xf_path = "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o";
	uint32_t repeat = 2000000;
	int rounds = 7, prefixes = 1000, opt, k, p, r, err, fds[P_MAX];
	struct bpf_object *xf = NULL;
	struct steer *es_inst[P_MAX] = { 0 };
	struct bpf_object *extra[MAX_EXTRA] = { 0 };
	const char *extra_obj[MAX_EXTRA];
	int nextra = 0, np, scratch;
	struct bpfctl_maps m;
	struct conf *c = NULL;
	char *conf_text, *d4, *d6, *d4p, *d6p;
	cpu_set_t cpus;
	struct kind kinds[] = {
		{ .name = "syslog  udp/514  eth", .spec = { .family = 4, .proto = IPPROTO_UDP, .dport = 514, .payload = 120,
					    .src = "192.0.2.10" } },
		{ .name = "proxy   tcp/443  eth SYN", .spec = { .family = 4, .proto = IPPROTO_TCP, .dport = 443, .src = "192.0.2.10" } },
		{ .name = "other   udp/53   eth", .spec = { .family = 4, .proto = IPPROTO_UDP, .dport = 53, .payload = 40,
					    .src = "192.0.2.10" } },
		{ .name = "syslog  udp/514  qinq+pppoe", .spec = { .vlans = 2, .pppoe = 1, .family = 4, .proto = IPPROTO_UDP,
						   .dport = 514, .payload = 120, .src = "192.0.2.10" } },
		{ .name = "proxy   tcp/443  qinq+pppoe", .spec = { .vlans = 2, .pppoe = 1, .family = 4, .proto = IPPROTO_TCP,
						   .dport = 443, .src = "192.0.2.10" } },
		{ .name = "other   udp/53   qinq+pppoe", .spec = { .vlans = 2, .pppoe = 1, .family = 4, .proto = IPPROTO_UDP,
						   .dport = 53, .payload = 40, .src = "192.0.2.10" } },
		{ .name = "syslog  udp/514  eth ipv6", .spec = { .family = 6, .proto = IPPROTO_UDP, .dport = 514, .payload = 120,
						 .src = "2001:db8::10" } },
		{ .name = "proxy   tcp/443  eth ipv6", .spec = { .family = 6, .proto = IPPROTO_TCP, .dport = 443,
						 .src = "2001:db8::10" } },
	};
	const int nk = (int)(sizeof(kinds) / sizeof(kinds[0]));
	double goal_med[sizeof(kinds) / sizeof(kinds[0])], goal_min[sizeof(kinds) / sizeof(kinds[0])];

	while ((opt = getopt(argc, argv, "n:r:p:f:x:")) != -1) {
		switch (opt) {
		case 'x': {
			char *eq = strchr(optarg, '=');

			if (!eq || nextra == MAX_EXTRA) {
				fprintf(stderr, "xdp_bench: -x LABEL=OBJ, at most %d\n", MAX_EXTRA);
				return 2;
			}
			*eq = 0;
			prog_names[P_FIXED + nextra] = optarg;
			extra_obj[nextra++] = eq + 1;
			break;
		}
		case 'n': repeat = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': rounds = atoi(optarg); break;
		case 'p': prefixes = atoi(optarg); break;
		case 'f': xf_path = optarg; break;
		default:
			fprintf(stderr, "usage: xdp_bench [-n REPEAT] [-r ROUNDS] [-p PREFIXES] [-f XDP_FILTER_OBJ] "
				"[-x LABEL=STEER_OBJ]...\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || prefixes < 1 || prefixes > 4000 || !repeat) {
		fprintf(stderr, "xdp_bench: rounds 1..%d, prefixes 1..4000, repeat > 0\n", MAX_ROUNDS);
		return 2;
	}
	/* one CPU, so every program sees the same cache and frequency */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	bpfctl_quiet_libbpf();

	fds[P_FLOOR] = load_floor();
	if (fds[P_FLOOR] < 0) {
		fprintf(stderr, "xdp_bench: loading the floor program: %s (root?)\n", strerror(errno));
		return 1;
	}

	/* every feature: both classes with allow and deny lists in both
	 * families, the token bucket, several ports per class */
	d4 = prefix_lines("deny_syslog", "198.18.%d.%d/32", prefixes);
	d6 = prefix_lines("deny_syslog", "2001:db8:bad:%x:%x::/80", prefixes);
	d4p = prefix_lines("deny_proxy", "198.19.%d.%d/32", prefixes);
	d6p = prefix_lines("deny_proxy", "2001:db8:bee:%x:%x::/80", prefixes);
	/* stand-in es_tables for -x builds that still had table maps */
	{
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);

		scratch = bpf_map_create(BPF_MAP_TYPE_ARRAY, "es_tables_tmp", 4, sizeof(struct es_tables), 1,
					 &mo);
		if (scratch < 0) {
			fprintf(stderr, "xdp_bench: creating a stand-in es_tables: %s\n", strerror(errno));
			return 1;
		}
	}
	conf_text = malloc((size_t)prefixes * 300 + 4096);
	if (!d4 || !d6 || !d4p || !d6p || !conf_text)
		return 1;
	for (p = P_ES_OFF; p < P_FIXED + nextra; p++) {
		struct bpf_object *obj;
		struct bpf_program *prog;

		if (p == P_XF)
			continue;
		if (p < P_XF) {
			struct steer *es = steer__open();

			if (!es || steer__load(es)) {
				fprintf(stderr, "xdp_bench: loading steer.bpf.o: %s\n", bpfctl_libbpf_last());
				return 1;
			}
			es_inst[p] = es;
			obj = es->obj;
		} else {
			/* another build of steer.bpf.c, "diag on" (same map layout) */
			obj = bpf_object__open_file(extra_obj[p - P_FIXED], NULL);
			if (!obj || bpf_object__load(obj)) {
				fprintf(stderr, "xdp_bench: loading %s: %s\n", extra_obj[p - P_FIXED],
					bpfctl_libbpf_last());
				return 1;
			}
			extra[p - P_FIXED] = obj;
		}
		if (es_maps(obj, &m, scratch))
			return 1;
		sprintf(conf_text,
			"[xdp]\ninterfaces = lo\n"
			"syslog_ports = 514 601 6514\nproxy_ports = 443 8443 993\n"
			"allow_syslog = 192.0.2.0/24 10.0.0.0/8 2001:db8::/48\n"
			"deny_syslog = 192.0.2.128/25\n%s%s"
			"allow_proxy = 0.0.0.0/0 ::/0\n"
			"deny_proxy = 203.0.113.0/24\n%s%s"
			"syslog_rate_pps = 100000000\nsyslog_burst = 100000000\n%s",
			d4, d6, d4p, d6p, p == P_ES_OFF ? "rule_hits = no\ntalkers = no\n" : "");
		if (conf_load_string("bench.conf", conf_text, &c, NULL) || bpfctl_write_config(&m, &c->xdp) ||
		    legacy_tables_copy(obj, m.tables)) {
			fprintf(stderr, "xdp_bench: configuring edgesteer failed\n");
			return 1;
		}
		conf_free(c);
		c = NULL;
		if (p == P_ES_TRACE) {
			/* every frame matches; the bucket runs dry at once */
			struct bpfctl_trace_filter flt = { .snap = 128, .rate = 1000 };

			if (bpfctl_trace_set(m.trace, &flt)) {
				fprintf(stderr, "xdp_bench: setting the trace filter failed\n");
				return 1;
			}
		}
		prog = bpf_object__find_program_by_name(obj, "es_steer");
		if (!prog) {
			fprintf(stderr, "xdp_bench: no es_steer program\n");
			return 1;
		}
		fds[p] = bpf_program__fd(prog);
		/* while a trace runs, frames jump to the traced copy (slot 0) */
		prog = bpf_object__find_program_by_name(obj, "es_steer_traced");
		if (prog && m.traced >= 0) {
			uint32_t slot = 0;
			int tfd = bpf_program__fd(prog);

			if (bpf_map_update_elem(m.traced, &slot, &tfd, BPF_ANY)) {
				fprintf(stderr, "xdp_bench: es_traced: %s\n", strerror(errno));
				return 1;
			}
		}
	}

	np = P_FIXED + nextra;
	fds[P_XF] = load_xdp_filter(xf_path, prefixes, &xf);
	if (fds[P_XF] < 0)
		return 1;

	for (k = 0; k < nk; k++)
		kinds[k].len = frame_build(&kinds[k].spec, kinds[k].frame, NULL);

	printf("xdp: BPF_PROG_TEST_RUN, %u runs per measurement, %d rounds, median (min) ns per frame;\n"
	       "     edgesteer (es): ports, %d+%d deny prefixes per class and family, allow lists, token bucket,\n"
	       "     counters; diag off / diag on (rule hits, top talkers) / trace (diag on, a trace matching\n"
	       "     every frame at its 1000/s cap)\n"
	       "     xdp-filter: %s, port 23 filtered, %d IPv4 addresses listed\n\n",
	       repeat, rounds, prefixes, 1, xf_path, prefixes);
	for (r = 0; r < rounds; r++)
		for (k = 0; k < nk; k++)
			for (p = 0; p < np; p++) {
				uint32_t rv = 0;

				err = run_one(fds[p], kinds[k].frame, kinds[k].len, repeat, &kinds[k].ns[p][r], &rv);
				if (err || rv != XDP_PASS) {
					fprintf(stderr, "xdp_bench: %s on '%s': %s, action %u (want XDP_PASS)\n",
						prog_names[p], kinds[k].name, err ? strerror(-err) : "ok", rv);
					return 1;
				}
			}

	printf("%-28s %14s", "frame", "floor");
	for (p = 1; p < np; p++)
		printf(" %14.14s %7s", prog_names[p], "+floor");
	printf("\n");
	for (k = 0; k < nk; k++) {
		double med[P_MAX], mn[P_MAX];

		for (p = 0; p < np; p++) {
			qsort(kinds[k].ns[p], (size_t)rounds, sizeof(double), cmp_double);
			med[p] = kinds[k].ns[p][rounds / 2];
			mn[p] = kinds[k].ns[p][0];
		}
		printf("%-28s %6.1f (%5.1f)", kinds[k].name, med[P_FLOOR], mn[P_FLOOR]);
		for (p = 1; p < np; p++)
			printf(" %6.1f (%5.1f) %+7.1f", med[p], mn[p], med[p] - med[P_FLOOR]);
		printf("\n");
		goal_med[k] = med[P_ES] - med[P_FLOOR];
		goal_min[k] = mn[P_ES] - mn[P_FLOOR];
	}
	printf("\n+floor: cost above the empty program (median minus median).\n\n");
	/* The goal is decided by the medians, the cost a typical round paid;
	 * the minima (one lucky round each) are a lower bound, printed
	 * beside (docs/benchmarks.md, XDP section). */
	for (k = 0; k < nk; k++) {
		const char *s;

		printf("goal: ");
		for (s = kinds[k].name; *s; s++)	/* the name's column padding collapsed */
			if (*s != ' ' || s[1] != ' ')
				putchar(*s);
		printf(" diag on <= %d ns over the empty program: %s (%+.1f ns median, %+.1f ns min)\n", GOAL_NS,
		       goal_med[k] <= GOAL_NS ? "PASS" : "MISS", goal_med[k], goal_min[k]);
	}

	conf_free(c);
	free(conf_text);
	free(d4);
	free(d6);
	free(d4p);
	free(d6p);
	bpf_object__close(xf);
	for (p = 0; p < P_MAX; p++)
		steer__destroy(es_inst[p]);
	for (p = 0; p < nextra; p++)
		bpf_object__close(extra[p]);
	close(scratch);
	close(fds[P_FLOOR]);
	return 0;
}
