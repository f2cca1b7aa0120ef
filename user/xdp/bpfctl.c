// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfctl.c - loading, attaching, pinning, counters.
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
 * The policy and config maps are written by bpfctl_policy.c.
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
#include <sys/mman.h>
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
#include "bpfctl_int.h"
#include "core/log.h"
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

static const char *const reason_names[ES_REASON_MAX] = {
	"none", "l2-truncated", "vlan-truncated", "pppoe-truncated", "pppoe-bad",
	"ip-truncated", "ip-version", "ip-ihl", "ip-length", "ipv6-ext-truncated",
	"ipv6-ext-chain-too-long", "tiny-first-fragment", "udp-truncated", "udp-length",
	"tcp-truncated", "tcp-doff",
};

const char *bpfctl_reason_name(int reason)
{
	return reason >= 0 && reason < ES_REASON_MAX ? reason_names[reason] : "?";
}

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

int bpfctl_open_pinned_map(const char *pin_path, const char *name, uint32_t value_size,
			   uint32_t max_entries)
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
	    (value_size && info.key_size != sizeof(uint32_t)) ||
	    (max_entries && info.max_entries != max_entries)) {
		pr_err("%s: not an edgesteer map of this version (value size %u, expected %u); "
		       "restart the controller or run 'edgesteer attach' to replace it", path,
		       info.value_size, value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* Open a pinned per-interface map for reading, only if its layout is this
 * binary's: a map of another edgesteer version would not fit our buffers. */
static int open_pinned(const char *pin_path, const char *name, uint32_t value_size)
{
	return bpfctl_open_pinned_map(pin_path, name, value_size, ES_MAX_IFACES);
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

int bpfctl_ncpus(void)
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
	int n = bpfctl_ncpus(), cpu, c, v;
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
		for (c = 0; c < ES_REASON_MAX; c++)
			out->malformed[c] += pc[cpu].malformed[c];
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
	struct es_iface_stats *pc = calloc((size_t)bpfctl_ncpus(), sizeof(*pc));
	int err = 0;

	if (!pc)
		return -ENOMEM;
	if (bpf_map_update_elem(stats_fd, &slot, pc, BPF_ANY))
		err = -errno;
	free(pc);
	return err;
}

/* ---- loading --------------------------------------------------------- */

struct map_ref {
	const char *name;
	size_t off;	/* in struct bpfctl_maps */
};

static const struct map_ref map_refs[] = {
	{ ES_CONFIG_SEC, offsetof(struct bpfctl_maps, config) },	/* pinned as ES_PIN_CONFIG */
	{ ES_PIN_STATS, offsetof(struct bpfctl_maps, stats) },
	{ ES_PIN_IFACES, offsetof(struct bpfctl_maps, ifaces) },
	{ ES_PIN_LPM4, offsetof(struct bpfctl_maps, lpm4) },
	{ ES_PIN_LPM6, offsetof(struct bpfctl_maps, lpm6) },
	{ ES_PIN_CPUMAP, offsetof(struct bpfctl_maps, cpumap) },
	{ ES_TABLES_SEC, offsetof(struct bpfctl_maps, tables) },	/* pinned as ES_PIN_TABLES */
	{ ES_PIN_RULES, offsetof(struct bpfctl_maps, rules) },
	{ ES_PIN_RULE_HITS, offsetof(struct bpfctl_maps, rule_hits) },
	{ ES_TRACE_SEC, offsetof(struct bpfctl_maps, trace) },	/* pinned as ES_PIN_TRACE */
	{ ES_PIN_TRACE_RB, offsetof(struct bpfctl_maps, trace_rb) },
	{ ES_PIN_TALKERS, offsetof(struct bpfctl_maps, talkers) },
	{ ES_PIN_TRACED, offsetof(struct bpfctl_maps, traced) },
};
#define N_MAPS ((int)(sizeof(map_refs) / sizeof(map_refs[0])))

static int *map_slot(struct bpfctl_maps *m, int i)
{
	return (int *)((char *)m + map_refs[i].off);
}

/* The pin name of a map: its own, but the configuration, the trace
 * record and the tables, global variables of the program, are section
 * maps that libbpf names after their section (ES_CONFIG_SEC,
 * ES_TRACE_SEC; "<object>" ES_TABLES_SEC); NULL for the other sections
 * (.rodata: per instance). */
static const char *pin_name(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);
	size_t n = strlen(name), t = strlen(ES_TABLES_SEC);

	if (!bpf_map__is_internal(map))
		return name;
	if (!strcmp(name, ES_TRACE_SEC))
		return ES_PIN_TRACE;
	if (!strcmp(name, ES_CONFIG_SEC))
		return ES_PIN_CONFIG;
	return n >= t && !strcmp(name + n - t, ES_TABLES_SEC) ? ES_PIN_TABLES : NULL;
}

/* Pins of maps that older versions had and this one folded into
 * es_tables: removed, so that they do not linger as memory nobody uses. */
static void drop_obsolete_pins(const char *pin_path)
{
	static const char *const gone[] = { "es_rl4", "es_rl6", "es_syn4", "es_syn6", "es_dir4_l1",
					    "es_dir4_chunk", "es_dir6_l1", "es_dir6_chunk" };
	char path[CONF_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (!pin_file(path, sizeof(path), pin_path, gone[i]) && !unlink(path))
			pr_info("%s: removed (an older edgesteer's map, now part of %s)", path, ES_PIN_TABLES);
}

/* A pinned map of another layout (an older edgesteer) cannot be reused:
 * replace it, loudly. */
static int check_pinned(const char *pin_path, struct bpf_map *map)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[CONF_PATH_MAX + 32];
	int fd, err = 0;

	if (pin_file(path, sizeof(path), pin_path, pin_name(map)))
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

/*
 * libbpf maps each global-variable section of the program into this
 * process; for .bss, which is es_tables, the kernel inserts every page of
 * the map at once, so all of the tables (about 8.5 MB) would count in the
 * controller's RSS although nothing here reads them through that mapping
 * (the policy writer maps them only while it writes). Put an
 * inaccessible reservation in its place: the memory stays the map's, the
 * address range stays ours, so libbpf's munmap at close finds its range
 * and nothing else lands there meanwhile.
 */
static void drop_tables_mapping(struct steer *s)
{
	size_t sz, page = (size_t)sysconf(_SC_PAGESIZE);
	const void *p = bpf_map__initial_value(s->maps.bss, &sz);

	if (!p)
		return;
	sz = (sz + page - 1) & ~(page - 1);
	if (mmap((void *)(uintptr_t)p, sz, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		pr_warn("%s: releasing libbpf's view of the tables: %s (the controller's RSS includes them)",
			ES_PIN_TABLES, strerror(errno));
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
	bpf_program__set_autoload(b->maps->progs.es_steer_traced, false);
	drop_obsolete_pins(b->pin_path);
	bpf_object__for_each_map(map, b->maps->obj) {
		if (!pin_name(map))
			continue;
		err = check_pinned(b->pin_path, map);
		if (err) {
			pr_err("%s/%s: %s", b->pin_path, pin_name(map), strerror(-err));
			return err;
		}
		pin_file(path, sizeof(path), b->pin_path, pin_name(map));
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
	drop_tables_mapping(b->maps);
	return 0;
}

/* One program instance for a slot; the caller destroys it after attach. */
static int load_instance(struct bpfctl *b, uint32_t slot, bool l3, struct steer **out)
{
	struct steer *s;
	struct bpf_map *map;
	int err, i, tfd;

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
	/* where es_steer of this slot jumps while a trace runs */
	tfd = bpf_program__fd(s->progs.es_steer_traced);
	if (bpf_map_update_elem(b->m.traced, &slot, &tfd, BPF_ANY)) {
		err = -errno;
		pr_err("%s/%s: slot %u: %s", b->pin_path, ES_PIN_TRACED, slot, strerror(errno));
		goto fail;
	}
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
	bpf_map_delete_elem(b->m.traced, &slot);
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
	for (i = 0; i < n; i++)
		for (c = 1; c < ES_REASON_MAX; c++)
			metric(s, METRIC_COUNTER, "edgesteer_xdp_malformed_total",
			       "Frames dropped as malformed, per interface and reason",
			       cs[i].st.malformed[c], "iface", cs[i].iface.name, "reason", reason_names[c],
			       NULL);
	err = bpfctl_diag_metrics(pin_path, s);
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
