/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proxy.h - every [proxy NAME] section: listeners, routing, splice pump.
 * (Contract used by daemon.c; owner: proxy.c and friends.)
 */
#ifndef EDGESTEER_PROXY_H
#define EDGESTEER_PROXY_H

#include <stddef.h>

#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"

struct proxy_set;

/* Bind every listener of c->proxies and start accepting. */
int proxy_start(struct loop *l, const struct conf *c, struct proxy_set **out);
/* Reload: new routes and timeouts apply to new connections, listeners are
 * added/removed by address, established connections survive. The config
 * is copied; `c` may be freed afterwards. */
int proxy_reload(struct proxy_set *p, const struct conf *c);
/* SIGTERM: close listeners, keep serving established connections. */
void proxy_stop_accepting(struct proxy_set *p);
size_t proxy_active(const struct proxy_set *p);
/* Event loops serving the proxies ([global] workers as resolved): 1 for
 * the main loop alone, 0 without a proxy. */
int proxy_workers(const struct proxy_set *p);
/* Upstreams marked down by passive health, counted, and named as
 * "PROXY/ADDR, ..." in list (cut short to len). */
int proxy_upstreams_down(const struct proxy_set *p, char *list, size_t len);
/* One line per upstream of every section: up or down, its active check,
 * checks passed or failed in a row and the last failure's reason.
 * Returns the length it needed (snprintf style: cut short to len). */
size_t proxy_upstream_status(struct proxy_set *p, char *list, size_t len);
void proxy_metrics(struct proxy_set *p, struct metric_sink *s);
/* Close everything (connections with reason "shutdown"). */
void proxy_free(struct proxy_set *p);

#endif
