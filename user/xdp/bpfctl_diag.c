// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfctl_diag.c - the diagnostic maps: rule ids and their hits,
 * malformed-drop reasons as tables and metrics.
 *
 * Rule hits are attributed to the rule that decided the frame, the
 * longest matching prefix, whichever structure answered (direct table or
 * trie: both carry the rule id beside the action). A source covered by
 * no rule of its class counts nowhere. A class with an allow list has two
 * extra rules, the implicit /0 deny per family, shown as "not-allowed":
 * "which rule dropped this" then always has an answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfctl.h"
#include "bpfctl_int.h"
#include "core/log.h"

static const char *const list_names[] = { "?", "allow", "deny", "not-allowed" };

const char *bpfctl_rule_list_name(int list)
{
	return list >= ES_RULE_ALLOW && list <= ES_RULE_IMPLICIT ? list_names[list] : "?";
}

void bpfctl_rule_prefix(const struct es_rule *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, r->plen);
}

static bool same_rule(const struct es_rule *a, const struct es_rule *b)
{
	return a->used && b->used && a->cls == b->cls && a->family == b->family &&
	       a->plen == b->plen && a->list == b->list && !memcmp(a->addr, b->addr, 16);
}

int bpfctl_rules_write(const struct bpfctl_maps *m, uint8_t gen, const struct es_rule *tab)
{
	int ncpu = bpfctl_ncpus(), err = 0;
	struct es_rule *old = calloc(ES_RULE_MAX, sizeof(*old));
	struct es_ctr *pc = calloc((size_t)ncpu, sizeof(*pc));
	uint32_t id, j, k, old_gen = !gen, last = 0;

	if (!old || !pc) {
		err = -ENOMEM;
		goto out;
	}
	/* the live generation's rules, to carry their counts over */
	for (id = 1; id < ES_RULE_MAX; id++) {
		k = old_gen * ES_RULE_MAX + id;
		if (bpf_map_lookup_elem(m->rules, &k, &old[id])) {
			err = -errno;
			goto out;
		}
		if (old[id].used || tab[id].used)
			last = id;
	}
	/* ids past both tables' last are unused in both: nothing to write */
	for (id = 1; id <= last; id++) {
		memset(pc, 0, (size_t)ncpu * sizeof(*pc));
		if (tab[id].used) {
			for (j = 1; j < ES_RULE_MAX; j++)
				if (same_rule(&tab[id], &old[(id + j - 2) % (ES_RULE_MAX - 1) + 1]))
					break;
			if (j < ES_RULE_MAX) {
				k = old_gen * ES_RULE_MAX + (id + j - 2) % (ES_RULE_MAX - 1) + 1;
				if (bpf_map_lookup_elem(m->rule_hits, &k, pc)) {
					err = -errno;
					goto out;
				}
			}
		}
		k = gen * ES_RULE_MAX + id;
		if (bpf_map_update_elem(m->rule_hits, &k, pc, BPF_ANY) ||
		    bpf_map_update_elem(m->rules, &k, &tab[id], BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	/* this generation's slots past `last` may hold rules of two reloads ago */
	for (id = last + 1; id < ES_RULE_MAX; id++) {
		struct es_rule r;

		k = gen * ES_RULE_MAX + id;
		if (bpf_map_lookup_elem(m->rules, &k, &r)) {
			err = -errno;
			goto out;
		}
		if (!r.used)
			continue;
		memset(&r, 0, sizeof(r));
		if (bpf_map_update_elem(m->rules, &k, &r, BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
out:
	if (err)
		pr_err("es_rules/es_rule_hits: writing rule ids: %s", strerror(-err));
	free(old);
	free(pc);
	return err;
}

int bpfctl_rule_hits_fd(int config_fd, int rules_fd, int hits_fd, struct bpfctl_rule_hits **out,
			int *n)
{
	int ncpu = bpfctl_ncpus(), err = 0, cpu;
	struct es_config *cfg = calloc(1, sizeof(*cfg));
	struct es_ctr *pc = calloc((size_t)ncpu, sizeof(*pc));
	struct bpfctl_rule_hits *v = calloc(ES_RULE_MAX, sizeof(*v));
	uint32_t id, k, key = 0, gen;

	*out = NULL;
	*n = 0;
	if (!cfg || !pc || !v) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(config_fd, &key, cfg)) {
		err = -errno;
		goto out;
	}
	gen = cfg->policy_gen & 1;
	for (id = 1; id < ES_RULE_MAX; id++) {
		struct bpfctl_rule_hits *h = &v[*n];

		k = gen * ES_RULE_MAX + id;
		if (bpf_map_lookup_elem(rules_fd, &k, &h->rule)) {
			err = -errno;
			goto out;
		}
		if (!h->rule.used)
			continue;
		if (bpf_map_lookup_elem(hits_fd, &k, pc)) {
			err = -errno;
			goto out;
		}
		h->id = id;
		memset(&h->hits, 0, sizeof(h->hits));
		for (cpu = 0; cpu < ncpu; cpu++) {
			h->hits.packets += pc[cpu].packets;
			h->hits.bytes += pc[cpu].bytes;
		}
		(*n)++;
	}
	*out = v;
	v = NULL;
out:
	free(cfg);
	free(pc);
	free(v);
	return err;
}

int bpfctl_read_rule_hits(const char *pin_path, struct bpfctl_rule_hits **out, int *n)
{
	int cfg, rules = -1, hits = -1, err;

	*out = NULL;
	*n = 0;
	cfg = bpfctl_open_pinned_map(pin_path, ES_PIN_CONFIG, sizeof(struct es_config), 1);
	if (cfg < 0)
		return cfg;
	rules = bpfctl_open_pinned_map(pin_path, ES_PIN_RULES, sizeof(struct es_rule), 2 * ES_RULE_MAX);
	hits = bpfctl_open_pinned_map(pin_path, ES_PIN_RULE_HITS, sizeof(struct es_ctr), 2 * ES_RULE_MAX);
	if (rules < 0 || hits < 0) {
		err = rules < 0 ? rules : hits;
		goto out;
	}
	err = bpfctl_rule_hits_fd(cfg, rules, hits, out, n);
out:
	close(cfg);
	if (rules >= 0)
		close(rules);
	if (hits >= 0)
		close(hits);
	return err;
}

static int talker_metrics(const char *pin_path, struct metric_sink *s);

int bpfctl_diag_metrics(const char *pin_path, struct metric_sink *s)
{
	struct bpfctl_rule_hits *v;
	char pfx[INET6_ADDRSTRLEN + 8];
	int n, i, err;

	err = bpfctl_read_rule_hits(pin_path, &v, &n);
	if (err == -ENOENT)
		return 0;	/* maps of an older version: no rule samples */
	if (err)
		return err;
	/* only the configured rules: the label set is bounded by the config */
	for (i = 0; i < n; i++) {
		bpfctl_rule_prefix(&v[i].rule, pfx, sizeof(pfx));
		metric(s, METRIC_COUNTER, "edgesteer_xdp_rule_hits_total",
		       "Frames decided by a prefix rule (the longest matching prefix of its class)",
		       v[i].hits.packets, "class", bpfctl_class_name(v[i].rule.cls),
		       "list", bpfctl_rule_list_name(v[i].rule.list), "prefix", pfx, NULL);
	}
	for (i = 0; i < n; i++) {
		bpfctl_rule_prefix(&v[i].rule, pfx, sizeof(pfx));
		metric(s, METRIC_COUNTER, "edgesteer_xdp_rule_hit_bytes_total",
		       "Bytes of the frames decided by a prefix rule", v[i].hits.bytes,
		       "class", bpfctl_class_name(v[i].rule.cls),
		       "list", bpfctl_rule_list_name(v[i].rule.list), "prefix", pfx, NULL);
	}
	free(v);
	return talker_metrics(pin_path, s);
}

int bpfctl_print_reasons(const char *pin_path, void *file)
{
	FILE *f = file;
	struct bpfctl_counters *cs = calloc(ES_MAX_IFACES, sizeof(*cs));
	int n, i, r, err, shown;

	if (!cs)
		return -ENOMEM;
	err = bpfctl_read_counters(pin_path, cs, ES_MAX_IFACES, &n);
	if (err == -ENOENT)
		err = 0;	/* nothing attached: xdp_table said so */
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		shown = 0;
		for (r = 1; r < ES_REASON_MAX; r++) {
			if (!cs[i].st.malformed[r])
				continue;
			if (!shown++)
				fprintf(f, "\n%s  malformed drops by reason\n", cs[i].iface.name);
			fprintf(f, "  %-24s %15llu\n", bpfctl_reason_name(r),
				(unsigned long long)cs[i].st.malformed[r]);
		}
	}
out:
	free(cs);
	return err;
}

int bpfctl_print_rule_hits(const char *pin_path, void *file)
{
	FILE *f = file;
	struct bpfctl_rule_hits *v;
	char pfx[INET6_ADDRSTRLEN + 8];
	int n, i, err;

	err = bpfctl_read_rule_hits(pin_path, &v, &n);
	if (err)
		return err;
	if (!n)
		fprintf(f, "rules: no allow/deny prefixes configured\n");
	else
		fprintf(f, "%-7s %-12s %-44s %15s %15s\n", "class", "list", "prefix", "packets", "bytes");
	for (i = 0; i < n; i++) {
		bpfctl_rule_prefix(&v[i].rule, pfx, sizeof(pfx));
		fprintf(f, "%-7s %-12s %-44s %15llu %15llu\n", bpfctl_class_name(v[i].rule.cls),
			bpfctl_rule_list_name(v[i].rule.list), pfx,
			(unsigned long long)v[i].hits.packets, (unsigned long long)v[i].hits.bytes);
	}
	free(v);
	return 0;
}

void bpfctl_trace_bucket(uint32_t rate, __u64 *interval_ns, __u64 *tau_ns)
{
	uint32_t burst;

	if (!rate)
		rate = 1;
	burst = rate / 10 ? rate / 10 : 1;
	*interval_ns = 1000000000ull / rate;
	if (!*interval_ns)
		*interval_ns = 1;
	*tau_ns = (uint64_t)(burst - 1) * *interval_ns;
}

int bpfctl_trace_set(int trace_fd, const struct bpfctl_trace_filter *f)
{
	struct es_trace_cfg t;
	uint32_t key = 0, i, bits;

	memset(&t, 0, sizeof(t));
	t.snap = f->snap > ES_TRACE_SNAP_MAX ? ES_TRACE_SNAP_MAX : f->snap;
	t.slot_mask = f->slot_mask;
	t.cls_mask = f->cls_mask;
	t.verdict_mask = f->verdict_mask;
	if (f->has_src) {
		t.family = f->src.family == AF_INET ? 4 : 6;
		t.plen = f->src.plen;
		/* host bits zero: the program compares masked bytes */
		for (i = 0, bits = t.plen; i < 16 && bits; i++) {
			uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

			t.addr[i] = f->src.addr[i] & m;
			bits = bits >= 8 ? bits - 8 : 0;
		}
	}
	bpfctl_trace_bucket(f->rate, &t.interval_ns, &t.tau_ns);
	t.on = 1;
	return bpf_map_update_elem(trace_fd, &key, &t, BPF_ANY) ? -errno : 0;
}

int bpfctl_trace_clear(int trace_fd, struct es_trace_cfg *last)
{
	struct es_trace_cfg t;
	uint32_t key = 0;

	if (last && bpf_map_lookup_elem(trace_fd, &key, last))
		return -errno;
	memset(&t, 0, sizeof(t));
	return bpf_map_update_elem(trace_fd, &key, &t, BPF_ANY) ? -errno : 0;
}

int bpfctl_trace_open(const char *pin_path, int *trace_fd, int *rb_fd)
{
	*trace_fd = bpfctl_open_pinned_map(pin_path, ES_PIN_TRACE, sizeof(struct es_trace_cfg), 1);
	if (*trace_fd < 0)
		return *trace_fd;
	/* a ring buffer has no key or value: check only that it is one */
	*rb_fd = bpfctl_open_pinned_map(pin_path, ES_PIN_TRACE_RB, 0, ES_TRACE_RB_SIZE);
	if (*rb_fd < 0) {
		close(*trace_fd);
		*trace_fd = -1;
		return *rb_fd;
	}
	return 0;
}

int bpfctl_trace_get(int trace_fd, struct es_trace_cfg *out)
{
	uint32_t key = 0;

	return bpf_map_lookup_elem(trace_fd, &key, out) ? -errno : 0;
}

/* ---- top talkers ------------------------------------------------------- */

static bool same_talker(const struct es_talker *a, const struct es_talker *b)
{
	return a->family == b->family && a->cls == b->cls && a->verdict == b->verdict &&
	       !memcmp(a->addr, b->addr, 16);
}

void bpfctl_talker_addr(const struct es_talker *t, char *buf, size_t len)
{
	if (!inet_ntop(t->family == 4 ? AF_INET : AF_INET6, t->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

int bpfctl_read_talkers_fd(int talkers_fd, struct bpfctl_talker **out, int *n)
{
	int ncpu = bpfctl_ncpus(), cpu, i, cap = 256, err = 0;
	struct es_talker *pc = calloc((size_t)ncpu, sizeof(*pc));
	struct bpfctl_talker *v = calloc((size_t)cap, sizeof(*v));
	uint32_t slot;

	*out = NULL;
	*n = 0;
	if (!pc || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (slot = 0; slot < ES_TALK_SLOTS; slot++) {
		if (bpf_map_lookup_elem(talkers_fd, &slot, pc)) {
			err = -errno;
			goto out;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			if (!pc[cpu].family)
				continue;
			/* a sampled frame stands for 2^shift frames */
			if (pc[cpu].shift <= ES_TALK_SHIFT_MAX) {
				pc[cpu].packets <<= pc[cpu].shift;
				pc[cpu].bytes <<= pc[cpu].shift;
			}
			/* one key lives in the same slot on every CPU: merge */
			for (i = *n - 1; i >= 0 && i >= *n - ncpu; i--)
				if (same_talker(&v[i].t, &pc[cpu]))
					break;
			if (i >= 0 && i >= *n - ncpu) {
				v[i].t.packets += pc[cpu].packets;
				v[i].t.bytes += pc[cpu].bytes;
				continue;
			}
			if (*n == cap) {
				struct bpfctl_talker *v2 = realloc(v, (size_t)cap * 2 * sizeof(*v));

				if (!v2) {
					err = -ENOMEM;
					goto out;
				}
				v = v2;
				cap *= 2;
			}
			memset(&v[*n], 0, sizeof(v[*n]));
			v[*n].t = pc[cpu];
			v[*n].t.contest = 0;
			(*n)++;
		}
	}
	*out = v;
	v = NULL;
out:
	free(pc);
	free(v);
	return err;
}

int bpfctl_read_talkers(const char *pin_path, struct bpfctl_talker **out, int *n)
{
	int fd = bpfctl_open_pinned_map(pin_path, ES_PIN_TALKERS, sizeof(struct es_talker), ES_TALK_SLOTS);
	int err;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return fd;
	err = bpfctl_read_talkers_fd(fd, out, n);
	close(fd);
	return err;
}

static int talker_cmp(const void *a, const void *b)
{
	const struct bpfctl_talker *x = a, *y = b;

	if (x->t.cls != y->t.cls)
		return x->t.cls - y->t.cls;
	if (x->t.verdict != y->t.verdict)
		return x->t.verdict - y->t.verdict;
	if (x->pps != y->pps)
		return x->pps < y->pps ? 1 : -1;
	if (x->t.packets != y->t.packets)
		return x->t.packets < y->t.packets ? 1 : -1;
	return memcmp(x->t.addr, y->t.addr, 16);
}

void bpfctl_talkers_rate(struct bpfctl_talker *now, int n, const struct bpfctl_talker *before,
			 int nb, double secs)
{
	int i, j;

	for (i = 0; i < n && secs > 0; i++) {
		uint64_t base = 0;

		for (j = 0; j < nb; j++)
			if (same_talker(&now[i].t, &before[j].t)) {
				/* fewer now: it lost the slot and took it again */
				if (before[j].t.packets <= now[i].t.packets)
					base = before[j].t.packets;
				break;
			}
		now[i].pps = (double)(now[i].t.packets - base) / secs;
	}
	qsort(now, (size_t)n, sizeof(*now), talker_cmp);
}

int bpfctl_print_talkers(const char *pin_path, double secs, void *file)
{
	FILE *f = file;
	struct bpfctl_talker *a = NULL, *b = NULL;
	char addr[INET6_ADDRSTRLEN];
	int na, nb, i, rank = 0, err;

	err = bpfctl_read_talkers(pin_path, &a, &na);
	if (!err && secs > 0) {
		struct timespec ts = { .tv_sec = (time_t)secs,
				       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };

		nanosleep(&ts, NULL);
		err = bpfctl_read_talkers(pin_path, &b, &nb);
	}
	if (err)
		goto out;
	bpfctl_talkers_rate(b, nb, a, na, secs);
	fprintf(f, "%-7s %-14s %-40s %12s %15s %15s\n", "class", "verdict", "source", "pps", "packets",
		"bytes");
	for (i = 0; i < nb; i++) {
		if (i && (b[i].t.cls != b[i - 1].t.cls || b[i].t.verdict != b[i - 1].t.verdict))
			rank = 0;
		if (rank++ >= BPFCTL_TOP_N)
			continue;
		bpfctl_talker_addr(&b[i].t, addr, sizeof(addr));
		fprintf(f, "%-7s %-14s %-40s %12.1f %15llu %15llu\n", bpfctl_class_name(b[i].t.cls),
			bpfctl_verdict_name(b[i].t.verdict), addr, b[i].pps,
			(unsigned long long)b[i].t.packets, (unsigned long long)b[i].t.bytes);
	}
	if (!nb)
		fprintf(f, "no sources counted (talkers = no, or no IP traffic yet)\n");
	else if (b[0].t.shift)
		fprintf(f, "(sampled: 1 frame in %u counts for %u; estimates)\n", 1u << b[0].t.shift,
			1u << b[0].t.shift);
out:
	free(a);
	free(b);
	return err;
}

/* The top BPFCTL_TOP_N per class and verdict by packets since they took
 * their slots: a bounded label set whatever the traffic. */
static int talker_metrics(const char *pin_path, struct metric_sink *s)
{
	struct bpfctl_talker *v;
	char addr[INET6_ADDRSTRLEN];
	int n, i, rank = 0, err;

	err = bpfctl_read_talkers(pin_path, &v, &n);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	bpfctl_talkers_rate(v, n, NULL, 0, 0);
	for (i = 0; i < n; i++) {
		if (i && (v[i].t.cls != v[i - 1].t.cls || v[i].t.verdict != v[i - 1].t.verdict))
			rank = 0;
		if (rank++ >= BPFCTL_TOP_N)
			continue;
		bpfctl_talker_addr(&v[i].t, addr, sizeof(addr));
		metric(s, METRIC_GAUGE, "edgesteer_xdp_talker_packets",
		       "Frames of a top source per class and verdict, since it became a top source",
		       v[i].t.packets, "class", bpfctl_class_name(v[i].t.cls),
		       "verdict", bpfctl_verdict_name(v[i].t.verdict), "source", addr, NULL);
	}
	free(v);
	return 0;
}
