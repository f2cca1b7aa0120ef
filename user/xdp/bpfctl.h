/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpfctl.h - the only user-space code that touches BPF maps and programs.
 * (Contract used by daemon.c, ctl.c and watchdog.c; owner: bpfctl.c.)
 */
#ifndef EDGESTEER_BPFCTL_H
#define EDGESTEER_BPFCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/metrics.h"

struct bpfctl;

/* Load (or re-use the pinned maps under c->global.pin_path), fill the
 * config maps and attach to every interface of c->xdp. An interface that
 * cannot be attached (absent, another XDP program on it) is logged and
 * skipped; 0 means the data plane is ready (see bpfctl_attached()). */
int bpfctl_open(const struct conf *c, struct bpfctl **out);
/* Reload: update config maps live, attach/detach the interface diff. */
int bpfctl_apply(struct bpfctl *b, const struct conf *c);
/* (Re-)attach one interface, e.g. after it came back with a new ifindex. */
int bpfctl_attach_iface(struct bpfctl *b, const char *ifname);
/* How many interfaces are attached now. */
int bpfctl_attached(const struct bpfctl *b);
/* Per-interface totals the watchdog reads (from the pinned maps). */
int bpfctl_iface_rx(const char *pin_path, int ifindex, uint64_t *packets, uint64_t *bytes);
/* Emit every XDP counter; reads pins, so it works without the daemon. */
int bpfctl_metrics(const char *pin_path, struct metric_sink *s);
/* Release; detach programs and remove pins when `detach` (fail-static
 * otherwise: programs and pinned maps stay and keep counting). */
void bpfctl_close(struct bpfctl *b, bool detach);
/* Remove every program and pin edgesteer left behind. */
int bpfctl_detach_all(const char *pin_path);

/*
 * Lower level, for stats.c, the BPF tests and the benchmark (added by
 * bpfctl.c; the functions above are built on these).
 */
#include "edgesteer_abi.h"

/* File descriptors of the shared maps (owned by whoever opened them). */
struct bpfctl_maps {
	int config, stats, ifaces, lpm4, lpm6, cpumap;
	int tables;		/* es_tables: direct policy tables, token buckets (mmapable) */
	int rules, rule_hits, trace, trace_rb, talkers;
	int traced;		/* es_traced: slot -> es_steer_traced of that instance */
};

/* Fill the config record, the LPM tries and the cpumap from `x`, live:
 * the policy switches generation in one write, see bpfctl.c. */
int bpfctl_write_config(const struct bpfctl_maps *m, const struct conf_xdp *x);

/* One interface slot's counters, summed over CPUs. */
struct bpfctl_counters {
	uint32_t slot;
	struct es_iface iface;		/* name, ifindex, ES_IF_* flags */
	bool attached;			/* a live pinned link on that ifindex */
	struct es_iface_stats st;
};

/* Read every used slot under pin_path into out[0..max); *n = count.
 * -ENOENT when nothing is pinned there. */
int bpfctl_read_counters(const char *pin_path, struct bpfctl_counters *out, int max, int *n);
/* Sum one slot of an es_stats map over all possible CPUs. */
int bpfctl_read_slot(int stats_fd, uint32_t slot, struct es_iface_stats *out);

/* Names for tables and labels: "syslog", "drop-policy", ... */
const char *bpfctl_class_name(int cls);
const char *bpfctl_verdict_name(int verdict);
/* "ip-ihl", "tiny-first-fragment", ... for enum es_reason */
const char *bpfctl_reason_name(int reason);

/* ---- diagnostics (bpfctl_diag.c) ---- */

/* One prefix rule and its hits, summed over CPUs. */
struct bpfctl_rule_hits {
	uint32_t id;
	struct es_rule rule;
	struct es_ctr hits;
};

/* The live generation's rules with their hits, in id order, into a new
 * array *out (free it) of *n entries. -ENOENT when nothing is pinned. */
int bpfctl_read_rule_hits(const char *pin_path, struct bpfctl_rule_hits **out, int *n);
/* Same from open map fds (tests). */
int bpfctl_rule_hits_fd(int config_fd, int rules_fd, int hits_fd, struct bpfctl_rule_hits **out,
			int *n);
/* "192.0.2.0/24" */
void bpfctl_rule_prefix(const struct es_rule *r, char *buf, size_t len);
/* "allow", "deny", "not-allowed" */
const char *bpfctl_rule_list_name(int list);
/* Rule-hit and malformed-reason samples: what bpfctl_metrics() adds. */
int bpfctl_diag_metrics(const char *pin_path, struct metric_sink *s);
/* Human tables for `edgesteer stats`: reasons per interface; rule hits. */
int bpfctl_print_reasons(const char *pin_path, void *file);
int bpfctl_print_rule_hits(const char *pin_path, void *file);

/* Top talkers: one source of one class and verdict, summed over CPUs. */
struct bpfctl_talker {
	struct es_talker t;	/* t.packets / t.bytes: since it took its slot, scaled
				 * by 2^t.shift when sampled (estimates then) */
	double pps;		/* from two reads; 0 when only one */
};

#define BPFCTL_TOP_N 10	/* sources per class and verdict in tables and metrics */

/* Every held slot, merged by key, into a new array *out (free it). */
int bpfctl_read_talkers_fd(int talkers_fd, struct bpfctl_talker **out, int *n);
int bpfctl_read_talkers(const char *pin_path, struct bpfctl_talker **out, int *n);
/* pps of each entry of `now` from `before`, `secs` earlier (a source
 * that is new or took its slot again counts from 0), then sort: by
 * class, verdict, pps (packets without pps) descending. */
void bpfctl_talkers_rate(struct bpfctl_talker *now, int n, const struct bpfctl_talker *before,
			 int nb, double secs);
/* "192.0.2.1" */
void bpfctl_talker_addr(const struct es_talker *t, char *buf, size_t len);
/* Table of the top BPFCTL_TOP_N per class and verdict over `secs`. */
int bpfctl_print_talkers(const char *pin_path, double secs, void *file);

/* A trace filter (see struct es_trace_cfg); masks of 0 match anything. */
struct bpfctl_trace_filter {
	uint64_t slot_mask;
	uint32_t cls_mask, verdict_mask;
	bool has_src;
	struct conf_prefix src;
	uint32_t snap;		/* bytes per frame, at most ES_TRACE_SNAP_MAX */
	uint32_t rate;		/* records per second, > 0 */
};

/* Sampling bucket of a rate: one record per 1/rate s, bursts of
 * max(1, rate / 10). */
void bpfctl_trace_bucket(uint32_t rate, __u64 *interval_ns, __u64 *tau_ns);
/* Install the filter and switch the trace on (no program reload). */
int bpfctl_trace_set(int trace_fd, const struct bpfctl_trace_filter *f);
/* The pinned es_trace and es_trace_rb maps under pin_path. */
int bpfctl_trace_open(const char *pin_path, int *trace_fd, int *rb_fd);
/* The current record (on, filter, counters). */
int bpfctl_trace_get(int trace_fd, struct es_trace_cfg *out);
/* Switch it off; *last (may be NULL) gets the final record with its
 * matched / sampled_out / lost counters. */
int bpfctl_trace_clear(int trace_fd, struct es_trace_cfg *last);

/* Route libbpf's messages: muted below debug level, the first warning
 * kept so that a failure can be reported in one line of our own. */
void bpfctl_quiet_libbpf(void);
const char *bpfctl_libbpf_last(void);

#endif
