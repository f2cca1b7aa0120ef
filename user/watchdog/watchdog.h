/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * watchdog.h - NIC stall detection and the USB reset ladder.
 * (Contract used by daemon.c and ctl.c; owner: watchdog.c, with wdpolicy.c,
 * usbdev.c, rtnl.c and wdprobe.c.)
 */
#ifndef EDGESTEER_WATCHDOG_H
#define EDGESTEER_WATCHDOG_H

#include <stddef.h>

#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"

struct watchdog;

/* Watch every [watchdog IFACE]; `b` re-attaches XDP after a reset (may be
 * NULL when no [xdp] is configured: then only the kernel counters count). */
int watchdog_start(struct loop *l, const struct conf *c, struct bpfctl *b, struct watchdog **out);
int watchdog_reload(struct watchdog *w, const struct conf *c);
/* The daemon's data plane came or went (reload, `edgesteer detach`):
 * re-attach through `b` from now on (NULL: no XDP to re-attach). */
void watchdog_set_bpfctl(struct watchdog *w, struct bpfctl *b);
/* Manual reset through the daemon (`edgesteer usb-reset IFACE`);
 * writes a one-line result into msg. */
int watchdog_reset_now(struct watchdog *w, const char *ifname, char *msg, size_t msglen);
void watchdog_metrics(struct watchdog *w, struct metric_sink *s);
/* One line per watched NIC for `edgesteer status` (state, the rule in
 * force, the probe and its last answer, the ladder step, stalls, flaps),
 * whole lines only; returns the length written. */
#define WATCHDOG_STATUS_LINE 320
size_t watchdog_status(struct watchdog *w, char *buf, size_t len);
void watchdog_free(struct watchdog *w);

#endif
