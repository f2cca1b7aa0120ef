/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpfctl.h - the only user-space code that touches BPF maps and programs.
 * (Contract used by daemon.c, ctl.c and watchdog.c; owner: bpfctl.c.)
 */
#ifndef EDGESTEER_BPFCTL_H
#define EDGESTEER_BPFCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "metrics.h"

struct bpfctl;

/* Load (or re-use the pinned maps under c->global.pin_path), fill the
 * config maps and attach to every interface of c->xdp. */
int bpfctl_open(const struct conf *c, struct bpfctl **out);
/* Reload: update config maps live, attach/detach the interface diff. */
int bpfctl_apply(struct bpfctl *b, const struct conf *c);
/* (Re-)attach one interface, e.g. after it came back with a new ifindex. */
int bpfctl_attach_iface(struct bpfctl *b, const char *ifname);
/* Per-interface totals the watchdog reads (from the pinned maps). */
int bpfctl_iface_rx(const char *pin_path, int ifindex, uint64_t *packets, uint64_t *bytes);
/* Emit every XDP counter; reads pins, so it works without the daemon. */
int bpfctl_metrics(const char *pin_path, struct metric_sink *s);
/* Release; detach programs and remove pins when `detach` (fail-static
 * otherwise: programs and pinned maps stay and keep counting). */
void bpfctl_close(struct bpfctl *b, bool detach);
/* Remove every program and pin edgesteer left behind. */
int bpfctl_detach_all(const char *pin_path);

#endif
