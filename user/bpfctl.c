// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfctl.c - loading, attaching, pinning, config maps, counters.
 *
 * How it fits together
 * --------------------
 * The maps of steer.bpf.c are pinned under [global] pin_path (default
 * /sys/fs/bpf/edgesteer). Opening first checks each pinned map against the
 * layout this binary was built with; a compatible map is reused (so the
 * counters survive a controller restart), an incompatible one (another
 * edgesteer version) is replaced with a warning. A "maps only" skeleton
 * instance, whose program is not loaded, creates and pins what is missing
 * and holds the map fds.
 *
 * Each interface gets its own instance of the program, loaded with two
 * read-only knobs: its counter slot and whether it has an Ethernet header
 * (tun, ppp, wireguard and raw-IP devices do not; detected from the
 * device's link type). Slots are allocated by interface *name* in
 * es_ifaces, so an interface that comes back with a new ifindex (a USB NIC
 * after a reset) keeps its counters.
 *
 * Attaching uses a bpf_link per interface, pinned as link_<ifname>:
 *  - a pinned link keeps the program attached when the controller exits:
 *    that is the fail-static behaviour ([xdp] on_exit = keep, the
 *    default); on_exit = detach removes links and pins on exit instead;
 *  - a new program replaces the old one atomically with bpf_link_update()
 *    (no moment without a program, no lost counters);
 *  - mode auto tries native (driver) XDP and falls back to generic with a
 *    warning; native and generic force one mode. A link cannot change
 *    mode, so when the configured mode differs from the attached one the
 *    link is re-created, leaving a sub-millisecond gap.
 *
 * Configuration is written live: one es_config record (port bitmaps,
 * rate, steering tables) and two LPM tries whose keys carry a generation
 * byte. A policy change writes the new generation's prefixes, flips
 * es_config.policy_gen in one write, then deletes the old generation: the
 * program never sees half a policy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfctl.h"
#include "cmds.h"
#include "ctl.h"
#include "log.h"
#include "steer.skel.h"

#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

struct bpfctl_link {
	char name[IFNAMSIZ];
	int ifindex;
	uint32_t slot;
	uint32_t flags;		/* ES_IF_* */
	int link_fd;
};

struct bpfctl {
	char pin_path[CONF_PATH_MAX];
	enum conf_xdp_mode mode;
	struct steer *maps;	/* program not loaded; owns the shared map fds */
	struct bpfctl_maps m;
	struct bpfctl_link links[CONF_MAX_IFACES];
	int n_links;
};

/* ---- names ---------------------------------------------------------- */

static const char *const class_names[ES_CLASS_MAX] = { "syslog", "proxy", "other" };
static const char *const verdict_names[ES_VERDICT_MAX] = {
	"pass", "steer", "drop-policy", "drop-ratelimit", "drop-malformed",
};

const char *bpfctl_class_name(int cls)
{
	return cls >= 0 && cls < ES_CLASS_MAX ? class_names[cls] : "?";
}

const char *bpfctl_verdict_name(int verdict)
{
	return verdict >= 0 && verdict < ES_VERDICT_MAX ? verdict_names[verdict] : "?";
}

/* ---- libbpf messages ------------------------------------------------ */

static char libbpf_first[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = 0;
	if (log_get_level() >= LOG_DEBUG && level != LIBBPF_DEBUG)
		pr_debug("libbpf: %s", line);
	if (level == LIBBPF_WARN && !libbpf_first[0] && n)
		snprintf(libbpf_first, sizeof(libbpf_first), "%s", line);
	return 0;
}

void bpfctl_quiet_libbpf(void)
{
	libbpf_first[0] = 0;
	libbpf_set_print(libbpf_print);
}

const char *bpfctl_libbpf_last(void)
{
	return libbpf_first[0] ? libbpf_first : "no detail from libbpf";
}

/* ---- pins ------------------------------------------------------------ */

static int pin_file(char *buf, size_t len, const char *pin_path, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", pin_path, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Open a pinned map for reading, only if its layout is this binary's:
 * a map of another edgesteer version would not fit our buffers. */
static int open_pinned(const char *pin_path, const char *name, uint32_t value_size)
{
	char path[CONF_PATH_MAX + 32];
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd;

	if (pin_file(path, sizeof(path), pin_path, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size != value_size ||
	    info.key_size != sizeof(uint32_t) || info.max_entries != ES_MAX_IFACES) {
		pr_err("%s: not an edgesteer map of this version (value size %u, expected %u); "
		       "restart the controller or run 'edgesteer attach' to replace it", path,
		       info.value_size, value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* mkdir -p on a bpf filesystem, with an error that says how to fix it. */
static int ensure_pin_dir(const char *pin_path)
{
	char buf[CONF_PATH_MAX];
	struct statfs sfs;
	char *s;

	snprintf(buf, sizeof(buf), "%s", pin_path);
	for (s = buf + 1; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = 0;
			if (mkdir(buf, 0700) && errno != EEXIST) {
				pr_err("%s: cannot create pin directory: %s", buf, strerror(errno));
				return -errno;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (statfs(pin_path, &sfs)) {
		pr_err("%s: %s", pin_path, strerror(errno));
		return -errno;
	}
	if ((unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		pr_err("%s: not on a bpf filesystem; mount one with 'mount -t bpf bpf /sys/fs/bpf' "
		       "or set [global] pin_path", pin_path);
		return -EXDEV;
	}
	return 0;
}

/* ---- map access helpers --------------------------------------------- */

static int ncpus(void)
{
	static int n;

	if (!n) {
		n = libbpf_num_possible_cpus();
		if (n <= 0)
			n = 1;
	}
	return n;
}

int bpfctl_read_slot(int stats_fd, uint32_t slot, struct es_iface_stats *out)
{
	int n = ncpus(), cpu, c, v;
	struct es_iface_stats *pc = calloc((size_t)n, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &slot, pc)) {
		int err = -errno;

		free(pc);
		return err;
	}
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < n; cpu++) {
		out->rx.packets += pc[cpu].rx.packets;
		out->rx.bytes += pc[cpu].rx.bytes;
		out->later_fragments.packets += pc[cpu].later_fragments.packets;
		out->later_fragments.bytes += pc[cpu].later_fragments.bytes;
		for (c = 0; c < ES_CLASS_MAX; c++)
			for (v = 0; v < ES_VERDICT_MAX; v++) {
				out->cls[c][v].packets += pc[cpu].cls[c][v].packets;
				out->cls[c][v].bytes += pc[cpu].cls[c][v].bytes;
			}
	}
	free(pc);
	return 0;
}

static int zero_slot(int stats_fd, uint32_t slot)
{
	struct es_iface_stats *pc = calloc((size_t)ncpus(), sizeof(*pc));
	int err = 0;

	if (!pc)
		return -ENOMEM;
	if (bpf_map_update_elem(stats_fd, &slot, pc, BPF_ANY))
		err = -errno;
	free(pc);
	return err;
}

/* ---- configuration --------------------------------------------------- */

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

static void port_bits(__u64 *words, const uint16_t *ports, int n)
{
	int i;

	for (i = 0; i < n; i++)
		words[ports[i] >> 6] |= 1ull << (ports[i] & 63);
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

static int lpm_put(const struct bpfctl_maps *m, uint8_t gen, uint8_t cls,
		   const struct conf_prefix *pf, uint32_t action)
{
	struct es_policy pol = { .action = action };
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
static int write_class_rules(const struct bpfctl_maps *m, uint8_t gen, uint8_t cls,
			     const struct conf_prefix_list *allow, const struct conf_prefix_list *deny)
{
	struct conf_prefix any4 = { .family = AF_INET }, any6 = { .family = AF_INET6 };
	int i, err = 0;

	if (allow->n) {
		err = lpm_put(m, gen, cls, &any4, ES_ACT_DENY);
		err = err ?: lpm_put(m, gen, cls, &any6, ES_ACT_DENY);
	}
	for (i = 0; i < allow->n && !err; i++)
		err = lpm_put(m, gen, cls, &allow->v[i], ES_ACT_ALLOW);
	for (i = 0; i < deny->n && !err; i++)
		err = lpm_put(m, gen, cls, &deny->v[i], ES_ACT_DENY);
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
	return x->order - y->order;
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

static void dir_paint(__u16 *e, uint32_t from, uint32_t count, uint8_t action)
{
	uint32_t i;

	for (i = from; i < from + count; i++)
		if (!(e[i] & (ES_DIR_IND | ES_DIR_TRIE)))
			e[i] = action;
}

static void dir_add(struct dir_build *d, const struct dir_rule *r)
{
	const uint8_t *a = r->addr;
	struct es_dir_chunk *c;
	__u16 *e;
	int lvl;

	if (r->plen <= 16) {
		dir_paint(d->l1.e, (uint32_t)(a[0] << 8 | a[1]), 1u << (16 - r->plen), r->action);
		return;
	}
	e = &d->l1.e[a[0] << 8 | a[1]];
	for (lvl = 1; lvl <= d->levels; lvl++) {
		c = dir_chunk(d, e);
		if (!c)
			return;
		if (r->plen <= 16 + 8 * lvl) {
			dir_paint(c->e, a[1 + lvl], 1u << (16 + 8 * lvl - r->plen), r->action);
			return;
		}
		e = &c->e[a[1 + lvl]];
	}
	/* longer than the table reaches: that entry defers to the trie */
	if (!(*e & ES_DIR_IND))
		*e = ES_DIR_TRIE;
}

static int write_dir(int l1_fd, uint8_t gen, uint8_t cls, int family,
		     const struct conf_prefix_list *allow, const struct conf_prefix_list *deny,
		     struct dir_build *d)
{
	struct dir_rule *rules = calloc((size_t)(allow->n + deny->n + 1), sizeof(*rules));
	uint32_t key = gen * 2u + cls;
	int n = 0, k;

	if (!rules)
		return -ENOMEM;
	memset(&d->l1, 0, sizeof(d->l1));
	if (allow->n)
		rules[n++] = (struct dir_rule){ .plen = 0, .action = ES_ACT_DENY, .order = 0 };
	for (k = 0; k < allow->n + deny->n; k++) {
		const struct conf_prefix *pf = k < allow->n ? &allow->v[k] : &deny->v[k - allow->n];

		if (pf->family != family)
			continue;
		memcpy(rules[n].addr, pf->addr, 16);
		rules[n].plen = pf->plen;
		rules[n].action = k < allow->n ? ES_ACT_ALLOW : ES_ACT_DENY;
		rules[n].order = k < allow->n ? 1 : 2;
		n++;
	}
	qsort(rules, (size_t)n, sizeof(*rules), dir_rule_cmp);
	for (k = 0; k < n; k++)
		dir_add(d, &rules[k]);
	free(rules);
	return bpf_map_update_elem(l1_fd, &key, &d->l1, BPF_ANY) ? -errno : 0;
}

/* Both classes of one family into generation `gen`: L1 tables, then the
 * chunks they use. */
static int write_dir_family(const struct bpfctl_maps *m, const struct conf_xdp *x, uint8_t gen,
			    int family)
{
	struct dir_build *d = calloc(1, sizeof(*d));
	int pool = family == AF_INET ? ES_DIR4_CHUNKS / 2 : ES_DIR6_CHUNKS / 2;
	int l1_fd = family == AF_INET ? m->dir4_l1 : m->dir6_l1;
	int chunk_fd = family == AF_INET ? m->dir4_chunk : m->dir6_chunk;
	int err = -ENOMEM, i;

	if (!d || !(d->chunks = calloc((size_t)pool, sizeof(*d->chunks))))
		goto out;
	d->base = gen * (uint32_t)pool;
	d->max = pool;
	d->levels = family == AF_INET ? 2 : ES_DIR6_LEVELS;
	err = write_dir(l1_fd, gen, ES_CLASS_SYSLOG, family, &x->allow_syslog, &x->deny_syslog, d);
	err = err ?: write_dir(l1_fd, gen, ES_CLASS_PROXY, family, &x->allow_proxy, &x->deny_proxy, d);
	for (i = 0; i < d->n && !err; i++) {
		uint32_t k = d->base + (uint32_t)i;

		if (bpf_map_update_elem(chunk_fd, &k, &d->chunks[i], BPF_ANY))
			err = -errno;
	}
	if (!err && d->overflowed)
		pr_info("IPv%d prefix rules need more than %d table chunks; the rest is looked up in "
			"the trie (slower, same result)", family == AF_INET ? 4 : 6, pool);
out:
	if (d)
		free(d->chunks);
	free(d);
	return err;
}

int bpfctl_write_config(const struct bpfctl_maps *m, const struct conf_xdp *x)
{
	struct es_config *cur = calloc(1, sizeof(*cur)), *nc = calloc(1, sizeof(*nc));
	struct bpf_cpumap_val cv;
	uint64_t want_cpus;
	uint32_t key = 0, cpu;
	uint8_t gen;
	int err, i;

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

	/* 1. the new generation's prefixes, next to the live ones */
	err = lpm_drop_gen(m->lpm4, sizeof(struct es_lpm4_key), gen);
	err = err ?: lpm_drop_gen(m->lpm6, sizeof(struct es_lpm6_key), gen);
	err = err ?: write_class_rules(m, gen, ES_CLASS_SYSLOG, &x->allow_syslog, &x->deny_syslog);
	err = err ?: write_class_rules(m, gen, ES_CLASS_PROXY, &x->allow_proxy, &x->deny_proxy);
	if (err) {
		pr_err("es_lpm4/es_lpm6: writing prefix rules: %s (the trie holds %d prefixes per family)",
		       strerror(-err), ES_LPM_ENTRIES);
		goto out;
	}
	/* the direct tables in front of the tries */
	err = write_dir_family(m, x, gen, AF_INET);
	err = err ?: write_dir_family(m, x, gen, AF_INET6);
	if (err) {
		pr_err("es_dir4/es_dir6: writing the policy tables: %s", strerror(-err));
		goto out;
	}

	/* 2. the cpumap queues steering will use */
	want_cpus = (x->steer_syslog.kind == STEER_CPUS ? x->steer_syslog.cpus : 0) |
		    (x->steer_proxy.kind == STEER_CPUS ? x->steer_proxy.cpus : 0);
	for (cpu = 0; cpu < ES_MAX_CPUS; cpu++) {
		struct bpf_cpumap_val old;

		if (!(want_cpus & (1ull << cpu)))
			continue;
		/* an unchanged queue is left alone: replacing it restarts its kthread */
		if (!bpf_map_lookup_elem(m->cpumap, &cpu, &old) && old.qsize == x->cpumap_qsize)
			continue;
		memset(&cv, 0, sizeof(cv));
		cv.qsize = x->cpumap_qsize;
		if (bpf_map_update_elem(m->cpumap, &cpu, &cv, BPF_ANY)) {
			err = -errno;
			pr_err("es_cpumap: CPU %u: %s", cpu, strerror(errno));
			goto out;
		}
	}

	/* 3. the record itself, switching to the new policy in one write */
	nc->abi_version = ES_ABI_VERSION;
	nc->flags = x->syslog_rate_pps ? ES_CF_RATELIMIT : 0;
	nc->policy_gen = gen;
	/* the old generation's bits stay, so a racing reader of the old
	 * generation number still consults the (still present) old rules */
	nc->policy_mask = (uint8_t)(cur->policy_mask & (0x7u << ((cur->policy_gen & 1) * ES_CLASS_MAX)));
	if (x->allow_syslog.n || x->deny_syslog.n)
		nc->policy_mask |= (uint8_t)(1u << (gen * ES_CLASS_MAX + ES_CLASS_SYSLOG));
	if (x->allow_proxy.n || x->deny_proxy.n)
		nc->policy_mask |= (uint8_t)(1u << (gen * ES_CLASS_MAX + ES_CLASS_PROXY));
	nc->rl_v6_prefix = (uint8_t)(x->syslog_rate_v6_prefix ? x->syslog_rate_v6_prefix : 64);
	for (i = 0; i < 4; i++) {
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
	steer_table(&nc->steer[ES_CLASS_SYSLOG], &x->steer_syslog);
	steer_table(&nc->steer[ES_CLASS_PROXY], &x->steer_proxy);
	port_bits(nc->syslog_ports, x->syslog_ports, x->n_syslog_ports);
	port_bits(nc->proxy_ports, x->proxy_ports, x->n_proxy_ports);
	if (bpf_map_update_elem(m->config, &key, nc, BPF_ANY)) {
		err = -errno;
		pr_err("es_config: write: %s", strerror(errno));
		goto out;
	}

	/* 4. retire the old generation. A frame that read the old number a
	 * moment ago is still inside the program (which runs for well under
	 * a microsecond); give it that moment before its rules go. */
	usleep(1000);
	err = lpm_drop_gen(m->lpm4, sizeof(struct es_lpm4_key), (uint8_t)!gen);
	err = err ?: lpm_drop_gen(m->lpm6, sizeof(struct es_lpm6_key), (uint8_t)!gen);
	if (err) {
		pr_err("es_lpm4/es_lpm6: removing old rules: %s", strerror(-err));
		goto out;
	}
	/* and queues of CPUs no longer steered to */
	for (cpu = 0; cpu < ES_MAX_CPUS; cpu++)
		if (!(want_cpus & (1ull << cpu)))
			bpf_map_delete_elem(m->cpumap, &cpu);
out:
	free(cur);
	free(nc);
	return err;
}

/* ---- loading --------------------------------------------------------- */

struct map_ref {
	const char *name;
	size_t off;	/* in struct bpfctl_maps */
};

static const struct map_ref map_refs[] = {
	{ ES_PIN_CONFIG, offsetof(struct bpfctl_maps, config) },
	{ ES_PIN_STATS, offsetof(struct bpfctl_maps, stats) },
	{ ES_PIN_IFACES, offsetof(struct bpfctl_maps, ifaces) },
	{ ES_PIN_LPM4, offsetof(struct bpfctl_maps, lpm4) },
	{ ES_PIN_LPM6, offsetof(struct bpfctl_maps, lpm6) },
	{ ES_PIN_RL4, offsetof(struct bpfctl_maps, rl4) },
	{ ES_PIN_RL6, offsetof(struct bpfctl_maps, rl6) },
	{ ES_PIN_CPUMAP, offsetof(struct bpfctl_maps, cpumap) },
	{ ES_PIN_DIR4_L1, offsetof(struct bpfctl_maps, dir4_l1) },
	{ ES_PIN_DIR4_CHUNK, offsetof(struct bpfctl_maps, dir4_chunk) },
	{ ES_PIN_DIR6_L1, offsetof(struct bpfctl_maps, dir6_l1) },
	{ ES_PIN_DIR6_CHUNK, offsetof(struct bpfctl_maps, dir6_chunk) },
};
#define N_MAPS ((int)(sizeof(map_refs) / sizeof(map_refs[0])))

static int *map_slot(struct bpfctl_maps *m, int i)
{
	return (int *)((char *)m + map_refs[i].off);
}

/* A pinned map of another layout (an older edgesteer) cannot be reused:
 * replace it, loudly. */
static int check_pinned(const char *pin_path, struct bpf_map *map)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[CONF_PATH_MAX + 32];
	int fd, err = 0;

	if (pin_file(path, sizeof(path), pin_path, bpf_map__name(map)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) || info.map_flags != bpf_map__map_flags(map)) {
		pr_warn("%s: pinned by another edgesteer version (value size %u, this one needs %u); "
			"replacing it, its contents start over", path, info.value_size,
			bpf_map__value_size(map));
		if (unlink(path))
			err = -errno;
	}
out:
	close(fd);
	return err;
}

static int open_maps(struct bpfctl *b)
{
	struct bpf_map *map;
	char path[CONF_PATH_MAX + 32];
	int err, i;

	b->maps = steer__open();
	if (!b->maps) {
		err = -errno;
		pr_err("steer.bpf.o: open: %s", bpfctl_libbpf_last());
		return err ? err : -EINVAL;
	}
	bpf_program__set_autoload(b->maps->progs.es_steer, false);
	bpf_object__for_each_map(map, b->maps->obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = check_pinned(b->pin_path, map);
		if (err) {
			pr_err("%s/%s: %s", b->pin_path, bpf_map__name(map), strerror(-err));
			return err;
		}
		pin_file(path, sizeof(path), b->pin_path, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	err = steer__load(b->maps);
	if (err) {
		pr_err("%s: creating or reusing pinned maps failed: %s (%s)", b->pin_path,
		       strerror(-err), bpfctl_libbpf_last());
		return err;
	}
	for (i = 0; i < N_MAPS; i++) {
		map = bpf_object__find_map_by_name(b->maps->obj, map_refs[i].name);
		if (!map)
			return -ENOENT;
		*map_slot(&b->m, i) = bpf_map__fd(map);
	}
	return 0;
}

/* One program instance for a slot; the caller destroys it after attach. */
static int load_instance(struct bpfctl *b, uint32_t slot, bool l3, struct steer **out)
{
	struct steer *s;
	struct bpf_map *map;
	int err, i;

	s = steer__open();
	if (!s)
		return -errno ? -errno : -EINVAL;
	s->rodata->es_slot = slot;
	s->rodata->es_l3 = l3;
	for (i = 0; i < N_MAPS; i++) {
		map = bpf_object__find_map_by_name(s->obj, map_refs[i].name);
		err = map ? bpf_map__reuse_fd(map, *map_slot(&b->m, i)) : -ENOENT;
		if (err)
			goto fail;
	}
	err = steer__load(s);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	steer__destroy(s);
	return err;
}

/* ---- interfaces ------------------------------------------------------ */

/*
 * Does the device carry an Ethernet header? From its link type (what
 * SIOCGIFHWADDR reports), which works in any mount namespace, unlike
 * /sys/class/net. Devices without a link header hand XDP the IP header
 * first.
 */
static int link_kind(const char *ifname, bool *l3)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = -errno;
		pr_err("%s: cannot read link type: %s", ifname, strerror(errno));
		goto out;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		*l3 = false;
		break;
	case ARPHRD_NONE:	/* tun, wireguard */
	case ARPHRD_PPP:
	case ARPHRD_RAWIP:	/* rmnet, qmi_wwan raw-ip */
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
		*l3 = true;
		break;
	default:
		pr_err("%s: link type %u has neither an Ethernet nor an IP-first header; "
		       "edgesteer cannot parse it", ifname, ifr.ifr_hwaddr.sa_family);
		err = -EOPNOTSUPP;
	}
out:
	close(fd);
	return err;
}

/* The slot of `name` in es_ifaces, or a free one (its counters zeroed). */
static int slot_for(struct bpfctl *b, const char *name, uint32_t *slot)
{
	struct es_iface e;
	uint32_t i, free_slot = ES_MAX_IFACES;

	for (i = 0; i < ES_MAX_IFACES; i++) {
		if (bpf_map_lookup_elem(b->m.ifaces, &i, &e))
			return -errno;
		if (!strncmp(e.name, name, sizeof(e.name))) {
			*slot = i;
			return 0;
		}
		if (!e.name[0] && free_slot == ES_MAX_IFACES)
			free_slot = i;
	}
	if (free_slot == ES_MAX_IFACES) {
		pr_err("%s: all %d interface slots in es_ifaces are taken; run 'edgesteer detach' to "
		       "clear interfaces no longer used", name, ES_MAX_IFACES);
		return -ENOSPC;
	}
	*slot = free_slot;
	return zero_slot(b->m.stats, free_slot);
}

static int set_iface(struct bpfctl *b, uint32_t slot, const char *name, int ifindex, uint32_t flags)
{
	struct es_iface e;

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.ifindex = (uint32_t)ifindex;
	e.flags = flags;
	return bpf_map_update_elem(b->m.ifaces, &slot, &e, BPF_ANY) ? -errno : 0;
}

static const char *mode_name(uint32_t flags)
{
	return flags & ES_IF_GENERIC ? "generic" : "native";
}

static int create_link(struct bpfctl *b, const char *ifname, int ifindex, int prog_fd, uint32_t *flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd;

	if (b->mode != XDP_MODE_GENERIC) {
		opts.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (fd >= 0) {
			*flags &= ~ES_IF_GENERIC;
			return fd;
		}
		fd = -errno;
		if (b->mode == XDP_MODE_NATIVE || fd == -EBUSY || fd == -EEXIST)
			goto fail;
		pr_warn("%s: native XDP not available (%s); using generic mode", ifname, strerror(-fd));
	}
	opts.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd >= 0) {
		*flags |= ES_IF_GENERIC;
		return fd;
	}
	fd = -errno;
fail:
	if (fd == -EBUSY || fd == -EEXIST)
		pr_err("%s: another XDP program is attached (not by edgesteer); remove it first, "
		       "e.g. 'ip link set dev %s xdp off'", ifname, ifname);
	else
		pr_err("%s: attaching XDP in %s mode failed: %s", ifname,
		       opts.flags == XDP_FLAGS_SKB_MODE ? "generic" : "native", strerror(-fd));
	return fd;
}

/* A pinned link still attached to `ifindex` in an acceptable mode? */
static bool link_usable(struct bpfctl *b, int link_fd, int ifindex)
{
	struct bpf_link_info li;
	uint32_t len = sizeof(li);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	memset(&li, 0, sizeof(li));
	if (bpf_obj_get_info_by_fd(link_fd, &li, &len) || li.type != BPF_LINK_TYPE_XDP ||
	    (int)li.xdp.ifindex != ifindex)
		return false;
	if (b->mode == XDP_MODE_AUTO)
		return true;
	if (bpf_xdp_query(ifindex, 0, &q))
		return false;
	return b->mode == XDP_MODE_NATIVE ? q.attach_mode == XDP_ATTACHED_DRV
					  : q.attach_mode == XDP_ATTACHED_SKB;
}

static struct bpfctl_link *find_link(struct bpfctl *b, const char *name)
{
	int i;

	for (i = 0; i < b->n_links; i++)
		if (!strcmp(b->links[i].name, name))
			return &b->links[i];
	return NULL;
}

static int attach_one(struct bpfctl *b, const char *ifname)
{
	char path[CONF_PATH_MAX + 32];
	struct bpfctl_link *bl = find_link(b, ifname);
	struct steer *inst = NULL;
	uint32_t slot = 0, flags = 0;
	int ifindex, err, lfd = -1, prog_fd;
	bool l3 = false, replaced = false;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		pr_err("%s: no such interface (%s); check [xdp] interfaces", ifname, strerror(errno));
		return -ENODEV;
	}
	err = link_kind(ifname, &l3);
	if (err)
		return err;
	err = slot_for(b, ifname, &slot);
	if (err)
		return err;
	if (l3)
		flags |= ES_IF_L3;

	bpfctl_quiet_libbpf();
	err = load_instance(b, slot, l3, &inst);
	if (err) {
		pr_err("%s: loading the XDP program failed: %s (%s)", ifname, strerror(-err),
		       bpfctl_libbpf_last());
		return err;
	}
	prog_fd = bpf_program__fd(inst->progs.es_steer);

	snprintf(path, sizeof(path), "%s/%s%s", b->pin_path, ES_PIN_LINK_PREFIX, ifname);
	lfd = bpf_obj_get(path);
	if (lfd >= 0) {
		if (link_usable(b, lfd, ifindex) && !bpf_link_update(lfd, prog_fd, NULL)) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			replaced = true;
			if (!bpf_xdp_query(ifindex, 0, &q) && q.attach_mode == XDP_ATTACHED_SKB)
				flags |= ES_IF_GENERIC;
		} else {
			/* stale: the device went away, or the mode must change */
			unlink(path);
			bpf_link_detach(lfd);
			close(lfd);
			lfd = -1;
		}
	}
	if (lfd < 0) {
		lfd = create_link(b, ifname, ifindex, prog_fd, &flags);
		if (lfd < 0) {
			err = lfd;
			goto out;
		}
		if (bpf_obj_pin(lfd, path)) {
			err = -errno;
			pr_err("%s: pinning the link failed: %s", path, strerror(errno));
			bpf_link_detach(lfd);
			close(lfd);
			goto out;
		}
	}
	err = set_iface(b, slot, ifname, ifindex, flags);
	if (err) {
		pr_err("%s: recording slot %u in es_ifaces: %s", ifname, slot, strerror(-err));
		close(lfd);
		goto out;
	}
	if (!bl) {
		bl = &b->links[b->n_links++];
		bl->link_fd = -1;
	}
	if (bl->link_fd >= 0 && bl->link_fd != lfd)
		close(bl->link_fd);
	snprintf(bl->name, sizeof(bl->name), "%s", ifname);
	bl->ifindex = ifindex;
	bl->slot = slot;
	bl->flags = flags;
	bl->link_fd = lfd;
	pr_info("%s: XDP %s (%s mode, %s header, slot %u)", ifname,
		replaced ? "replaced atomically" : "attached", mode_name(flags),
		l3 ? "IP" : "Ethernet", slot);
out:
	steer__destroy(inst);
	return err;
}

static int detach_link_pin(const char *pin_path, const char *ifname)
{
	char path[CONF_PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%s", pin_path, ES_PIN_LINK_PREFIX, ifname);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Program, pin and counter slot of one interface go. */
static int forget_iface(struct bpfctl *b, const char *name, uint32_t slot)
{
	struct es_iface e;
	int err;

	err = detach_link_pin(b->pin_path, name);
	memset(&e, 0, sizeof(e));
	bpf_map_update_elem(b->m.ifaces, &slot, &e, BPF_ANY);
	zero_slot(b->m.stats, slot);
	pr_info("%s: XDP detached", name);
	return err;
}

/* Interface removed from the configuration. */
static int detach_one(struct bpfctl *b, struct bpfctl_link *bl)
{
	int err = forget_iface(b, bl->name, bl->slot);

	if (bl->link_fd >= 0)
		close(bl->link_fd);
	*bl = b->links[--b->n_links];
	return err;
}

/*
 * Links pinned by an earlier run for interfaces the configuration no
 * longer names: the configuration is the truth, so they go (with their
 * slots), as they would on a reload.
 */
static void drop_unconfigured(struct bpfctl *b, const struct conf_xdp *x)
{
	size_t plen = strlen(ES_PIN_LINK_PREFIX);
	struct dirent *de;
	uint32_t slot;
	DIR *d;
	int i;

	d = opendir(b->pin_path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *name = de->d_name + plen;

		if (strncmp(de->d_name, ES_PIN_LINK_PREFIX, plen))
			continue;
		for (i = 0; i < x->n_ifaces; i++)
			if (!strcmp(x->ifaces[i], name))
				break;
		if (i < x->n_ifaces || find_link(b, name))
			continue;
		if (!slot_for(b, name, &slot))
			forget_iface(b, name, slot);
	}
	closedir(d);
}

/* ---- the contract of bpfctl.h ---------------------------------------- */

int bpfctl_open(const struct conf *c, struct bpfctl **out)
{
	struct bpfctl *b;
	int err, i;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->pin_path, sizeof(b->pin_path), "%s", c->global.pin_path);
	b->mode = c->xdp.mode;
	for (i = 0; i < (int)(sizeof(struct bpfctl_maps) / sizeof(int)); i++)
		((int *)&b->m)[i] = -1;

	bpfctl_quiet_libbpf();
	err = ensure_pin_dir(b->pin_path);
	if (err)
		goto fail;
	err = open_maps(b);
	if (err)
		goto fail;
	err = bpfctl_write_config(&b->m, &c->xdp);
	if (err)
		goto fail;
	/* An interface that cannot be attached now (absent USB NIC, another
	 * program on it) is logged and skipped: the rest of the gateway keeps
	 * working and bpfctl_attach_iface() retries it when it appears. */
	for (i = 0; i < c->xdp.n_ifaces; i++)
		attach_one(b, c->xdp.ifaces[i]);
	drop_unconfigured(b, &c->xdp);
	*out = b;
	return 0;
fail:
	bpfctl_close(b, false);
	return err;
}

int bpfctl_apply(struct bpfctl *b, const struct conf *c)
{
	int i, j, err, ret = 0;
	bool mode_changed;

	if (strcmp(b->pin_path, c->global.pin_path))
		pr_warn("[global] pin_path changed to %s; it takes effect on restart, still using %s",
			c->global.pin_path, b->pin_path);
	err = bpfctl_write_config(&b->m, &c->xdp);
	if (err)
		return err;
	for (i = b->n_links - 1; i >= 0; i--) {
		for (j = 0; j < c->xdp.n_ifaces; j++)
			if (!strcmp(b->links[i].name, c->xdp.ifaces[j]))
				break;
		if (j == c->xdp.n_ifaces)
			detach_one(b, &b->links[i]);
	}
	/* The configuration is live in the maps already: attach only new
	 * interfaces, and re-create links only when the mode changed. */
	mode_changed = b->mode != c->xdp.mode;
	b->mode = c->xdp.mode;
	for (j = 0; j < c->xdp.n_ifaces; j++) {
		if (find_link(b, c->xdp.ifaces[j]) && !mode_changed)
			continue;
		err = attach_one(b, c->xdp.ifaces[j]);
		if (err)
			ret = err;
	}
	return ret;
}

int bpfctl_attach_iface(struct bpfctl *b, const char *ifname)
{
	return attach_one(b, ifname);
}

int bpfctl_attached(const struct bpfctl *b)
{
	return b->n_links;
}

int bpfctl_iface_rx(const char *pin_path, int ifindex, uint64_t *packets, uint64_t *bytes)
{
	struct es_iface e;
	struct es_iface_stats st;
	int ifaces = -1, stats = -1, err = -ENOENT;
	uint32_t i;

	ifaces = open_pinned(pin_path, ES_PIN_IFACES, sizeof(struct es_iface));
	stats = open_pinned(pin_path, ES_PIN_STATS, sizeof(struct es_iface_stats));
	if (ifaces < 0 || stats < 0) {
		err = ifaces < 0 ? ifaces : stats;
		goto out;
	}
	for (i = 0; i < ES_MAX_IFACES; i++) {
		if (bpf_map_lookup_elem(ifaces, &i, &e)) {
			err = -errno;
			goto out;
		}
		if (!e.name[0] || (int)e.ifindex != ifindex)
			continue;
		err = bpfctl_read_slot(stats, i, &st);
		if (!err) {
			*packets = st.rx.packets;
			*bytes = st.rx.bytes;
		}
		goto out;
	}
out:
	if (ifaces >= 0)
		close(ifaces);
	if (stats >= 0)
		close(stats);
	return err;
}

static bool link_alive(const char *pin_path, const struct es_iface *e)
{
	char path[CONF_PATH_MAX + 32];
	struct bpf_link_info li;
	uint32_t len = sizeof(li);
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/%s%.*s", pin_path, ES_PIN_LINK_PREFIX, ES_IFNAMSIZ, e->name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	memset(&li, 0, sizeof(li));
	ok = !bpf_obj_get_info_by_fd(fd, &li, &len) && li.xdp.ifindex == e->ifindex && e->ifindex;
	close(fd);
	return ok;
}

int bpfctl_read_counters(const char *pin_path, struct bpfctl_counters *out, int max, int *n)
{
	int ifaces, stats, err = 0;
	uint32_t i;

	*n = 0;
	ifaces = open_pinned(pin_path, ES_PIN_IFACES, sizeof(struct es_iface));
	if (ifaces < 0)
		return ifaces;
	stats = open_pinned(pin_path, ES_PIN_STATS, sizeof(struct es_iface_stats));
	if (stats < 0) {
		close(ifaces);
		return stats;
	}
	for (i = 0; i < ES_MAX_IFACES && *n < max; i++) {
		struct bpfctl_counters *o = &out[*n];

		if (bpf_map_lookup_elem(ifaces, &i, &o->iface)) {
			err = -errno;
			break;
		}
		if (!o->iface.name[0])
			continue;
		o->iface.name[ES_IFNAMSIZ - 1] = 0;
		o->slot = i;
		err = bpfctl_read_slot(stats, i, &o->st);
		if (err)
			break;
		o->attached = link_alive(pin_path, &o->iface);
		(*n)++;
	}
	close(ifaces);
	close(stats);
	return err;
}

int bpfctl_metrics(const char *pin_path, struct metric_sink *s)
{
	struct bpfctl_counters *cs;
	int n, i, c, v, err;

	cs = calloc(ES_MAX_IFACES, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	err = bpfctl_read_counters(pin_path, cs, ES_MAX_IFACES, &n);
	if (err)
		goto out;
	/* one metric family at a time (Prometheus wants them grouped) */
	for (i = 0; i < n; i++)
		metric(s, METRIC_GAUGE, "edgesteer_xdp_attached",
		       "1 when the XDP program is attached to the interface", cs[i].attached,
		       "iface", cs[i].iface.name, "mode", mode_name(cs[i].iface.flags),
		       "header", cs[i].iface.flags & ES_IF_L3 ? "ip" : "ethernet", NULL);
	for (i = 0; i < n; i++)
		metric(s, METRIC_COUNTER, "edgesteer_xdp_rx_packets_total",
		       "Frames seen by XDP on the interface", cs[i].st.rx.packets,
		       "iface", cs[i].iface.name, NULL);
	for (i = 0; i < n; i++)
		metric(s, METRIC_COUNTER, "edgesteer_xdp_rx_bytes_total",
		       "Bytes seen by XDP on the interface (link header included)", cs[i].st.rx.bytes,
		       "iface", cs[i].iface.name, NULL);
	for (i = 0; i < n; i++)
		metric(s, METRIC_COUNTER, "edgesteer_xdp_later_fragments_total",
		       "Non-first IP fragments, passed unclassified (also in class other)",
		       cs[i].st.later_fragments.packets, "iface", cs[i].iface.name, NULL);
	for (i = 0; i < n; i++)
		for (c = 0; c < ES_CLASS_MAX; c++)
			for (v = 0; v < ES_VERDICT_MAX; v++)
				metric(s, METRIC_COUNTER, "edgesteer_xdp_packets_total",
				       "Frames per interface, class and verdict", cs[i].st.cls[c][v].packets,
				       "iface", cs[i].iface.name, "class", class_names[c],
				       "verdict", verdict_names[v], NULL);
	for (i = 0; i < n; i++)
		for (c = 0; c < ES_CLASS_MAX; c++)
			for (v = 0; v < ES_VERDICT_MAX; v++)
				metric(s, METRIC_COUNTER, "edgesteer_xdp_bytes_total",
				       "Bytes per interface, class and verdict", cs[i].st.cls[c][v].bytes,
				       "iface", cs[i].iface.name, "class", class_names[c],
				       "verdict", verdict_names[v], NULL);
out:
	free(cs);
	return err;
}

void bpfctl_close(struct bpfctl *b, bool detach)
{
	int i;

	if (!b)
		return;
	for (i = 0; i < b->n_links; i++)
		if (b->links[i].link_fd >= 0)
			close(b->links[i].link_fd);
	steer__destroy(b->maps);
	if (detach)
		bpfctl_detach_all(b->pin_path);
	free(b);
}

int bpfctl_detach_all(const char *pin_path)
{
	struct dirent *de;
	char path[CONF_PATH_MAX + 300];
	int links = 0, maps = 0, err = 0;
	DIR *d;

	d = opendir(pin_path);
	if (!d) {
		if (errno == ENOENT) {
			pr_info("%s: nothing pinned, nothing to detach", pin_path);
			return 0;
		}
		pr_err("%s: %s", pin_path, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, ES_PIN_LINK_PREFIX, strlen(ES_PIN_LINK_PREFIX))) {
			if (detach_link_pin(pin_path, de->d_name + strlen(ES_PIN_LINK_PREFIX))) {
				pr_err("%s/%s: %s", pin_path, de->d_name, strerror(errno));
				err = -errno;
			} else {
				links++;
			}
		} else if (!strncmp(de->d_name, "es_", 3)) {
			snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
			if (unlink(path)) {
				pr_err("%s: %s", path, strerror(errno));
				err = -errno;
			} else {
				maps++;
			}
		}
	}
	closedir(d);
	if (rmdir(pin_path) && errno != ENOENT) {
		pr_warn("%s: left in place: %s (files not made by edgesteer?)", pin_path, strerror(errno));
	}
	pr_info("%s: detached %d program link%s, removed %d map pin%s", pin_path, links,
		links == 1 ? "" : "s", maps, maps == 1 ? "" : "s");
	return err;
}

/* ---- commands --------------------------------------------------------- */

static int load_conf_for(const char *cmd, const char *path, struct conf **c)
{
	int err = conf_load(path, c, NULL);

	if (err) {
		fprintf(stderr, "edgesteer %s: %s: cannot use this configuration\n", cmd, path);
		return err;
	}
	log_set_level((*c)->global.log_level);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	struct bpfctl *b = NULL;
	struct conf *c = NULL;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt == 'c') {
			path = optarg;
		} else {
			fprintf(stderr, "usage: edgesteer attach [-c FILE]\n");
			return 2;
		}
	}
	if (load_conf_for("attach", path, &c))
		return 1;
	if (!c->has_xdp) {
		fprintf(stderr, "edgesteer attach: %s has no [xdp] section: nothing to attach\n", path);
		conf_free(c);
		return 1;
	}
	err = bpfctl_open(c, &b);
	if (!err && bpfctl_attached(b) < c->xdp.n_ifaces) {
		fprintf(stderr, "edgesteer attach: %d of %d interfaces attached (see above)\n",
			bpfctl_attached(b), c->xdp.n_ifaces);
		err = -ENODEV;
	}
	/* fail-static: leave the pinned links and maps behind */
	bpfctl_close(b, false);
	conf_free(c);
	return err ? 1 : 0;
}

int cmd_detach(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH, *pin = NULL, *sock = NULL;
	char sockbuf[128], *body = NULL;
	struct conf *c = NULL;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:p:s:h")) != -1) {
		if (opt == 'c') {
			path = optarg;
		} else if (opt == 'p') {
			pin = optarg;
		} else if (opt == 's') {
			sock = optarg;
		} else {
			fprintf(stderr, "usage: edgesteer detach [-c FILE | -p PIN_PATH] [-s SOCKET]\n");
			return 2;
		}
	}
	/* A running daemon detaches itself first, so it does not keep using
	 * links and maps removed under it; then whatever is left goes. */
	ctl_socket_path(pin ? NULL : path, sock, sockbuf, sizeof(sockbuf));
	if (ctl_call_buf(sockbuf, "detach", &body) == 0)
		printf("daemon at %s: %s", sockbuf, body);
	free(body);
	if (!pin) {
		if (load_conf_for("detach", path, &c)) {
			fprintf(stderr, "edgesteer detach: or name the pin directory: edgesteer detach -p %s\n",
				"/sys/fs/bpf/edgesteer");
			return 1;
		}
		pin = c->global.pin_path;
	}
	err = bpfctl_detach_all(pin);
	conf_free(c);
	return err ? 1 : 0;
}
