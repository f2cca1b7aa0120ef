// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfctl_policy.c - writing [xdp] into the config and policy maps.
 *
 * Configuration is written live: one es_config record (port bitmaps,
 * rate, steering tables) and two LPM tries whose keys carry a generation
 * byte. A policy change writes the new generation's prefixes, flips
 * es_config.policy_gen in one write, then deletes the old generation: the
 * program never sees half a policy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfctl.h"
#include "bpfctl_int.h"
#include "core/log.h"

static uint32_t random_odd(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)time(NULL) * 2654435761u;
	return v | 1;
}

/* CONFIG_HZ from a kernel config file, 0 when there is none. */
static uint32_t hz_from_config(const char *path)
{
	char line[256];
	unsigned hz = 0;
	gzFile f = gzopen(path, "r");	/* reads plain files too */

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	gzclose(f);
	return hz;
}

/* Count jiffies against CLOCK_MONOTONIC with a two-instruction program. */
static uint32_t hz_measured(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_jiffies64 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const unsigned known[] = { 100, 250, 300, 1000 };
	uint8_t frame[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame));
	struct timespec t0, t1;
	uint32_t j0, j1, best = 250;
	double hz;
	int fd, i;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "es_hz", "GPL", insns, 2, NULL);
	if (fd < 0)
		return best;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bpf_prog_test_run_opts(fd, &o);
	j0 = o.retval;
	usleep(200 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bpf_prog_test_run_opts(fd, &o);
	j1 = o.retval;
	close(fd);
	hz = (double)(j1 - j0) / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < 4; i++)
		if (fabs(hz - known[i]) < fabs(hz - best))
			best = known[i];
	return best;
}

/*
 * The kernel's HZ, which turns a rate into jiffies for the token bucket:
 * from the kernel config (/proc/config.gz, /boot/config-RELEASE), else
 * measured once (200 ms).
 */
static uint32_t kernel_hz(void)
{
	static uint32_t hz;
	struct utsname u;
	char path[128];

	if (hz)
		return hz;
	hz = hz_from_config("/proc/config.gz");
	if (!hz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from_config(path);
	}
	if (!hz)
		hz = hz_measured();
	pr_debug("kernel HZ %u", hz);
	return hz;
}

/* Ports and ranges into a bitmap: the program's test stays one bit. */
static void port_bits(__u64 *words, const uint16_t *ports, const uint16_t *last, int n)
{
	uint32_t p;
	int i;

	for (i = 0; i < n; i++)
		for (p = ports[i]; p <= (last[i] > ports[i] ? last[i] : ports[i]); p++)
			words[p >> 6] |= 1ull << (p & 63);
}

static void steer_table(struct es_steer *st, const struct conf_steer *cs)
{
	int cpus[ES_MAX_CPUS], n = 0, i;

	memset(st, 0, sizeof(*st));
	if (cs->kind != STEER_CPUS || !cs->cpus)
		return;
	for (i = 0; i < ES_MAX_CPUS; i++)
		if (cs->cpus & (1ull << i))
			cpus[n++] = i;
	st->on = 1;
	for (i = 0; i < ES_STEER_TABLE; i++)
		st->cpu[i] = (uint8_t)cpus[i % n];
}

/*
 * Rule ids (see struct es_rule): per class in order syslog, proxy; within
 * a class the implicit /0 denies (IPv4, IPv6) when there is an allow
 * list, then the allow list, then the deny list. Computed, not stored, so
 * the trie, the direct tables and es_rules agree by construction. Past
 * ES_RULE_MAX - 1 a rule gets id 0: enforced, not counted.
 */
enum { RK_IMPLICIT, RK_ALLOW, RK_DENY };

static uint32_t class_rule_count(const struct conf_prefix_list *allow,
				 const struct conf_prefix_list *deny)
{
	return (allow->n ? 2u : 0u) + (uint32_t)allow->n + (uint32_t)deny->n;
}

static uint32_t class_rule_base(const struct conf_xdp *x, int cls)
{
	uint32_t base = 1;

	if (cls > ES_CLASS_SYSLOG)
		base += class_rule_count(&x->allow_syslog, &x->deny_syslog);
	if (cls > ES_CLASS_PROXY)
		base += class_rule_count(&x->allow_proxy, &x->deny_proxy);
	return base;
}

static const struct conf_prefix_list *class_allow(const struct conf_xdp *x, int cls)
{
	return cls == ES_CLASS_SYSLOG ? &x->allow_syslog : cls == ES_CLASS_PROXY ? &x->allow_proxy :
	       &x->allow_other;
}

static const struct conf_prefix_list *class_deny(const struct conf_xdp *x, int cls)
{
	return cls == ES_CLASS_SYSLOG ? &x->deny_syslog : cls == ES_CLASS_PROXY ? &x->deny_proxy :
	       &x->deny_other;
}

static uint32_t rule_id(uint32_t base, const struct conf_prefix_list *allow, int kind, int i)
{
	uint32_t imp = allow->n ? 2u : 0u, id;

	id = kind == RK_IMPLICIT ? base + (uint32_t)i :
	     kind == RK_ALLOW ? base + imp + (uint32_t)i :
	     base + imp + (uint32_t)allow->n + (uint32_t)i;
	return id < ES_RULE_MAX ? id : 0;
}

static void rule_entry(struct es_rule *tab, uint32_t id, uint8_t cls, const struct conf_prefix *pf,
		       uint8_t list)
{
	struct es_rule *r;

	if (!id)
		return;
	r = &tab[id];
	memset(r, 0, sizeof(*r));
	r->used = 1;
	r->cls = cls;
	r->family = pf->family == AF_INET ? 4 : 6;
	r->plen = pf->plen;
	r->list = list;
	memcpy(r->addr, pf->addr, pf->family == AF_INET ? 4 : 16);
}

/* The es_rules table of one generation: what each id means. */
static void rule_table(const struct conf_xdp *x, struct es_rule *tab)
{
	struct conf_prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
	int cls, i;

	memset(tab, 0, ES_RULE_MAX * sizeof(*tab));
	for (cls = ES_CLASS_SYSLOG; cls < ES_CLASS_MAX; cls++) {
		const struct conf_prefix_list *allow = class_allow(x, cls);
		const struct conf_prefix_list *deny = class_deny(x, cls);
		uint32_t base = class_rule_base(x, cls);

		if (allow->n) {
			rule_entry(tab, rule_id(base, allow, RK_IMPLICIT, 0), (uint8_t)cls, &any4,
				   ES_RULE_IMPLICIT);
			rule_entry(tab, rule_id(base, allow, RK_IMPLICIT, 1), (uint8_t)cls, &any6,
				   ES_RULE_IMPLICIT);
		}
		for (i = 0; i < allow->n; i++)
			rule_entry(tab, rule_id(base, allow, RK_ALLOW, i), (uint8_t)cls, &allow->v[i],
				   ES_RULE_ALLOW);
		for (i = 0; i < deny->n; i++)
			rule_entry(tab, rule_id(base, allow, RK_DENY, i), (uint8_t)cls, &deny->v[i],
				   ES_RULE_DENY);
	}
}

static int lpm_put(const struct bpfctl_maps *m, uint8_t gen, uint8_t cls,
		   const struct conf_prefix *pf, uint32_t action, uint32_t rule)
{
	struct es_policy pol = { .action = action, .rule = rule };
	int fd, err;

	if (pf->family == AF_INET) {
		struct es_lpm4_key k = { .prefixlen = 16u + pf->plen, .gen = gen, .cls = cls };

		memcpy(k.addr, pf->addr, 4);
		fd = m->lpm4;
		err = bpf_map_update_elem(fd, &k, &pol, BPF_ANY);
	} else {
		struct es_lpm6_key k = { .prefixlen = 16u + pf->plen, .gen = gen, .cls = cls };

		memcpy(k.addr, pf->addr, 16);
		fd = m->lpm6;
		err = bpf_map_update_elem(fd, &k, &pol, BPF_ANY);
	}
	return err ? -errno : 0;
}

/* Delete every key of generation `gen` from one trie. Keys are collected
 * first: deleting while walking would restart the walk. */
static int lpm_drop_gen(int fd, size_t key_size, uint8_t gen)
{
	size_t cap = 256, n = 0, i;
	uint8_t *keys = malloc(cap * key_size), key[64], next[64];
	int err = 0;
	void *prev = NULL;

	if (!keys)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		/* byte 4 of both key layouts is the generation */
		if (next[4] == gen) {
			if (n == cap) {
				uint8_t *k2 = realloc(keys, cap * 2 * key_size);

				if (!k2) {
					err = -ENOMEM;
					goto out;
				}
				keys = k2;
				cap *= 2;
			}
			memcpy(keys + n * key_size, next, key_size);
			n++;
		}
		memcpy(key, next, key_size);
		prev = key;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT)
			err = -errno;
out:
	free(keys);
	return err;
}

/*
 * Prefix rules of one class into generation `gen`. Precedence, decided
 * here once so the program needs one lookup: the longest matching prefix
 * wins; a prefix listed in both lists is denied; a class with any allow
 * prefix denies every source not covered by one (an implicit /0 deny in
 * both families, which an explicit allow of 0.0.0.0/0 or ::/0 overrides).
 */
static int write_class_rules(const struct bpfctl_maps *m, uint8_t gen, uint8_t cls, uint32_t base,
			     const struct conf_prefix_list *allow, const struct conf_prefix_list *deny)
{
	struct conf_prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
	int i, err = 0;

	if (allow->n) {
		err = lpm_put(m, gen, cls, &any4, ES_ACT_DENY, rule_id(base, allow, RK_IMPLICIT, 0));
		err = err ?: lpm_put(m, gen, cls, &any6, ES_ACT_DENY,
				     rule_id(base, allow, RK_IMPLICIT, 1));
	}
	for (i = 0; i < allow->n && !err; i++)
		err = lpm_put(m, gen, cls, &allow->v[i], ES_ACT_ALLOW, rule_id(base, allow, RK_ALLOW, i));
	for (i = 0; i < deny->n && !err; i++)
		err = lpm_put(m, gen, cls, &deny->v[i], ES_ACT_DENY, rule_id(base, allow, RK_DENY, i));
	return err;
}

/*
 * The direct table of one class and family (see struct es_dir_l1 in the
 * ABI header), painted from the rules in order of increasing prefix
 * length, at equal length the implicit deny first, then allow, then deny:
 * each prefix overwrites what a shorter one said about its addresses, so
 * the result is longest-prefix-wins with the trie's precedence. A prefix
 * longer than /16 needs a chunk on each level it reaches; when a
 * generation's pool runs dry, or an IPv6 prefix is longer than /64, the
 * entry says "ask the trie" instead, which holds the same rules.
 */
struct dir_rule {
	uint8_t addr[16];
	uint8_t plen;
	uint8_t action;
	uint8_t order;		/* at equal length: implicit deny, allow, deny */
	uint16_t entry;		/* action | rule id << ES_DIR_RULE_SHIFT */
	int seq;		/* list position: equal rules paint in list order, as in the trie */
};

struct dir_build {
	struct es_dir_l1 l1;
	struct es_dir_chunk *chunks;	/* the generation's pool */
	uint32_t base;			/* map index of chunks[0] */
	int n, max;
	int levels;			/* chunk levels: 2 for IPv4, ES_DIR6_LEVELS */
	bool overflowed;
};

static int dir_rule_cmp(const void *a, const void *b)
{
	const struct dir_rule *x = a, *y = b;

	if (x->plen != y->plen)
		return x->plen - y->plen;
	if (x->order != y->order)
		return x->order - y->order;
	return x->seq - y->seq;
}

/* The chunk behind *e, made from a final entry when needed; NULL when
 * the entry is (or now becomes) "ask the trie". */
static struct es_dir_chunk *dir_chunk(struct dir_build *d, __u16 *e)
{
	struct es_dir_chunk *c;
	int i;

	if (*e & ES_DIR_IND)
		return &d->chunks[(*e & ~ES_DIR_IND) - d->base];
	if (*e & ES_DIR_TRIE)
		return NULL;
	if (d->n == d->max) {
		*e = ES_DIR_TRIE;
		d->overflowed = true;
		return NULL;
	}
	c = &d->chunks[d->n];
	for (i = 0; i < 256; i++)
		c->e[i] = *e;
	*e = (__u16)(ES_DIR_IND | (d->base + (uint32_t)d->n++));
	return c;
}

static void dir_paint(__u16 *e, uint32_t from, uint32_t count, uint16_t entry)
{
	uint32_t i;

	for (i = from; i < from + count; i++)
		if (!(e[i] & (ES_DIR_IND | ES_DIR_TRIE)))
			e[i] = entry;
}

static void dir_add(struct dir_build *d, const struct dir_rule *r)
{
	const uint8_t *a = r->addr;
	struct es_dir_chunk *c;
	__u16 *e;
	int lvl;

	if (r->plen <= 16) {
		dir_paint(d->l1.e, (uint32_t)(a[0] << 8 | a[1]), 1u << (16 - r->plen), r->entry);
		return;
	}
	e = &d->l1.e[a[0] << 8 | a[1]];
	for (lvl = 1; lvl <= d->levels; lvl++) {
		c = dir_chunk(d, e);
		if (!c)
			return;
		if (r->plen <= 16 + 8 * lvl) {
			dir_paint(c->e, a[1 + lvl], 1u << (16 + 8 * lvl - r->plen), r->entry);
			return;
		}
		e = &c->e[a[1 + lvl]];
	}
	/* longer than the table reaches: that entry defers to the trie */
	if (!(*e & ES_DIR_IND))
		*e = ES_DIR_TRIE;
}

static uint16_t dir_entry(uint8_t action, uint32_t rule)
{
	return (uint16_t)(action | rule << ES_DIR_RULE_SHIFT);
}

static int write_dir(struct es_dir_l1 *l1_tab, uint8_t gen, uint8_t cls, uint32_t base, int family,
		     const struct conf_prefix_list *allow, const struct conf_prefix_list *deny,
		     struct dir_build *d)
{
	struct dir_rule *rules = calloc((size_t)(allow->n + deny->n + 1), sizeof(*rules));
	uint32_t key = gen * ES_CLASS_MAX + cls;
	int n = 0, k;

	if (!rules)
		return -ENOMEM;
	memset(&d->l1, 0, sizeof(d->l1));
	if (allow->n)
		rules[n++] = (struct dir_rule){
			.plen = 0, .action = ES_ACT_DENY, .order = 0,
			.entry = dir_entry(ES_ACT_DENY,
					   rule_id(base, allow, RK_IMPLICIT, family == AF_INET ? 0 : 1)),
		};
	for (k = 0; k < allow->n + deny->n; k++) {
		const struct conf_prefix *pf = k < allow->n ? &allow->v[k] : &deny->v[k - allow->n];

		if (pf->family != family)
			continue;
		memcpy(rules[n].addr, pf->addr, 16);
		rules[n].plen = pf->plen;
		rules[n].action = k < allow->n ? ES_ACT_ALLOW : ES_ACT_DENY;
		rules[n].order = k < allow->n ? 1 : 2;
		rules[n].entry = dir_entry(rules[n].action,
					   k < allow->n ? rule_id(base, allow, RK_ALLOW, k) :
					   rule_id(base, allow, RK_DENY, k - allow->n));
		rules[n].seq = k;
		n++;
	}
	qsort(rules, (size_t)n, sizeof(*rules), dir_rule_cmp);
	for (k = 0; k < n; k++)
		dir_add(d, &rules[k]);
	free(rules);
	memcpy(&l1_tab[key], &d->l1, sizeof(d->l1));
	return 0;
}

/* Both classes of one family into generation `gen`: L1 tables, then the
 * chunks they use. */
static int write_dir_family(struct es_tables *t, const struct conf_xdp *x, uint8_t gen, int family)
{
	struct dir_build *d = calloc(1, sizeof(*d));
	int pool = family == AF_INET ? ES_DIR4_CHUNKS / 2 : ES_DIR6_CHUNKS / 2;
	struct es_dir_l1 *l1_tab = family == AF_INET ? t->dir4_l1 : t->dir6_l1;
	struct es_dir_chunk *chunk_tab = family == AF_INET ? t->dir4_chunk : t->dir6_chunk;
	int err = -ENOMEM, i;

	if (!d || !(d->chunks = calloc((size_t)pool, sizeof(*d->chunks))))
		goto out;
	d->base = gen * (uint32_t)pool;
	d->max = pool;
	d->levels = family == AF_INET ? 2 : ES_DIR6_LEVELS;
	err = 0;
	for (i = ES_CLASS_SYSLOG; i < ES_CLASS_MAX && !err; i++)
		err = write_dir(l1_tab, gen, (uint8_t)i, class_rule_base(x, i), family, class_allow(x, i),
				class_deny(x, i), d);
	if (!err)
		memcpy(&chunk_tab[d->base], d->chunks, (size_t)d->n * sizeof(*d->chunks));
	if (!err && d->overflowed)
		pr_info("IPv%d prefix rules need more than %d table chunks; the rest is looked up in "
			"the trie (slower, same result)", family == AF_INET ? 4 : 6, pool);
out:
	if (d)
		free(d->chunks);
	free(d);
	return err;
}

/* The new generation's prefixes and direct tables, next to the live ones. */
static int policy_write_gen(const struct bpfctl_maps *m, const struct conf_xdp *x, uint8_t gen)
{
	struct es_tables *t;
	struct es_rule *tab;
	int err;

	err = lpm_drop_gen(m->lpm4, sizeof(struct es_lpm4_key), gen);
	err = err ?: lpm_drop_gen(m->lpm6, sizeof(struct es_lpm6_key), gen);
	for (int cls = ES_CLASS_SYSLOG; cls < ES_CLASS_MAX && !err; cls++)
		err = write_class_rules(m, gen, (uint8_t)cls, class_rule_base(x, cls), class_allow(x, cls),
					class_deny(x, cls));
	if (err) {
		pr_err("es_lpm4/es_lpm6: writing prefix rules: %s (the trie holds %d prefixes per family)",
		       strerror(-err), ES_LPM_ENTRIES);
		return err;
	}
	/* the tables are the program's global variable: written in place,
	 * through a shared mapping of the es_tables map */
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, m->tables, 0);
	if (t == MAP_FAILED) {
		err = -errno;
		pr_err("%s: mapping the policy tables: %s", ES_PIN_TABLES, strerror(-err));
		return err;
	}
	err = write_dir_family(t, x, gen, AF_INET);
	err = err ?: write_dir_family(t, x, gen, AF_INET6);
	munmap(t, sizeof(*t));
	if (err) {
		pr_err("%s: writing the policy tables: %s", ES_PIN_TABLES, strerror(-err));
		return err;
	}
	tab = calloc(ES_RULE_MAX, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	rule_table(x, tab);
	err = bpfctl_rules_write(m, gen, tab);
	free(tab);
	return err;
}

static uint64_t steered_cpus(const struct conf_xdp *x)
{
	return (x->steer_syslog.kind == STEER_CPUS ? x->steer_syslog.cpus : 0) |
	       (x->steer_proxy.kind == STEER_CPUS ? x->steer_proxy.cpus : 0);
}

/* The cpumap queues steering will use; an unchanged queue is left alone
 * (replacing it restarts its kthread). */
static int cpumap_open_queues(const struct bpfctl_maps *m, const struct conf_xdp *x)
{
	uint64_t want = steered_cpus(x);
	struct bpf_cpumap_val cv, old;
	uint32_t cpu;

	for (cpu = 0; cpu < ES_MAX_CPUS; cpu++) {
		if (!(want & (1ull << cpu)))
			continue;
		if (!bpf_map_lookup_elem(m->cpumap, &cpu, &old) && old.qsize == x->cpumap_qsize)
			continue;
		memset(&cv, 0, sizeof(cv));
		cv.qsize = x->cpumap_qsize;
		if (bpf_map_update_elem(m->cpumap, &cpu, &cv, BPF_ANY)) {
			int err = -errno;

			pr_err("es_cpumap: CPU %u: %s", cpu, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void cpumap_close_unused(const struct bpfctl_maps *m, const struct conf_xdp *x)
{
	uint64_t want = steered_cpus(x);

	for (uint32_t cpu = 0; cpu < ES_MAX_CPUS; cpu++)
		if (!(want & (1ull << cpu)))
			bpf_map_delete_elem(m->cpumap, &cpu);
}

/* The es_config record that switches to generation `gen` in one write. */
static void config_record(struct es_config *nc, const struct es_config *cur,
			  const struct conf_xdp *x, uint8_t gen)
{
	nc->abi_version = ES_ABI_VERSION;
	nc->flags = (x->syslog_rate_pps ? ES_CF_RATELIMIT : 0) |
		    (x->proxy_syn_rate_pps ? ES_CF_SYN_RATELIMIT : 0) |
		    (x->rule_hits ? ES_CF_RULE_HITS : 0) | (x->talkers ? ES_CF_TALKERS : 0);
	nc->policy_gen = gen;
	nc->talk_shift = (uint8_t)(x->talkers_sample_shift <= ES_TALK_SHIFT_MAX ? x->talkers_sample_shift
										: ES_TALK_SHIFT_MAX);
	/* the old generation's bits stay, so a racing reader of the old
	 * generation number still consults the (still present) old rules */
	nc->policy_mask = (uint8_t)(cur->policy_mask & (0x7u << ((cur->policy_gen & 1) * ES_CLASS_MAX)));
	if (x->allow_syslog.n || x->deny_syslog.n)
		nc->policy_mask |= (uint8_t)(1u << (gen * ES_CLASS_MAX + ES_CLASS_SYSLOG));
	if (x->allow_proxy.n || x->deny_proxy.n)
		nc->policy_mask |= (uint8_t)(1u << (gen * ES_CLASS_MAX + ES_CLASS_PROXY));
	if (x->allow_other.n || x->deny_other.n)
		nc->policy_mask |= (uint8_t)(1u << (gen * ES_CLASS_MAX + ES_CLASS_OTHER));
	nc->rl_v6_prefix = (uint8_t)(x->syslog_rate_v6_prefix ? x->syslog_rate_v6_prefix : 64);
	for (int i = 0; i < 4; i++) {
		int bits = nc->rl_v6_prefix - 32 * i;

		nc->rl_v6_mask[i] = htonl(bits >= 32 ? ~0u : bits <= 0 ? 0 : ~0u << (32 - bits));
	}
	/* keep the slot hash across reloads, so live buckets stay put */
	nc->rl_seed = cur->rl_seed & 1 ? cur->rl_seed : random_odd();
	nc->hz = kernel_hz();
	if (x->syslog_rate_pps) {
		uint32_t burst = x->syslog_burst ? x->syslog_burst : x->syslog_rate_pps;

		nc->rl_interval = ((uint64_t)nc->hz << ES_RL_SHIFT) / x->syslog_rate_pps;
		if (!nc->rl_interval)
			nc->rl_interval = 1;
		nc->rl_tau = (uint64_t)(burst - 1) * nc->rl_interval;
	}
	if (x->proxy_syn_rate_pps) {
		uint32_t burst = x->proxy_syn_burst ? x->proxy_syn_burst : x->proxy_syn_rate_pps;

		nc->syn_interval = ((uint64_t)nc->hz << ES_RL_SHIFT) / x->proxy_syn_rate_pps;
		if (!nc->syn_interval)
			nc->syn_interval = 1;
		nc->syn_tau = (uint64_t)(burst - 1) * nc->syn_interval;
	}
	steer_table(&nc->steer[ES_CLASS_SYSLOG], &x->steer_syslog);
	steer_table(&nc->steer[ES_CLASS_PROXY], &x->steer_proxy);
	port_bits(nc->syslog_ports, x->syslog_ports, x->syslog_ports_last, x->n_syslog_ports);
	port_bits(nc->proxy_ports, x->proxy_ports, x->proxy_ports_last, x->n_proxy_ports);
	port_bits(nc->syslog_tcp_ports, x->syslog_tcp_ports, x->syslog_tcp_ports_last, x->n_syslog_tcp_ports);
}

/* Retire the old generation. A frame that read the old number a moment
 * ago is still inside the program (which runs for well under a
 * microsecond); give it that moment before its rules go. */
static int policy_retire_gen(const struct bpfctl_maps *m, uint8_t old_gen)
{
	int err;

	usleep(1000);
	err = lpm_drop_gen(m->lpm4, sizeof(struct es_lpm4_key), old_gen);
	err = err ?: lpm_drop_gen(m->lpm6, sizeof(struct es_lpm6_key), old_gen);
	if (err)
		pr_err("es_lpm4/es_lpm6: removing old rules: %s", strerror(-err));
	return err;
}

int bpfctl_write_config(const struct bpfctl_maps *m, const struct conf_xdp *x)
{
	struct es_config *cur = calloc(1, sizeof(*cur)), *nc = calloc(1, sizeof(*nc));
	uint32_t key = 0;
	uint8_t gen;
	int err;

	if (!cur || !nc) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(m->config, &key, cur)) {
		err = -errno;
		pr_err("es_config: read: %s", strerror(errno));
		goto out;
	}
	gen = cur->abi_version == ES_ABI_VERSION ? (uint8_t)!(cur->policy_gen & 1) : 1;
	err = policy_write_gen(m, x, gen);
	err = err ?: cpumap_open_queues(m, x);
	if (err)
		goto out;
	config_record(nc, cur, x, gen);
	if (bpf_map_update_elem(m->config, &key, nc, BPF_ANY)) {
		err = -errno;
		pr_err("es_config: write: %s", strerror(errno));
		goto out;
	}
	err = policy_retire_gen(m, (uint8_t)!gen);
	if (!err)
		cpumap_close_unused(m, x);
out:
	free(cur);
	free(nc);
	return err;
}
