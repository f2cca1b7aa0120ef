/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics_http.h - the optional Prometheus scrape listener ([global]
 * metrics_listen, loopback only). GET /metrics answers the same text as
 * `edgesteer metrics`; anything else gets 404 (or 405 for other methods).
 */
#ifndef EDGESTEER_METRICS_HTTP_H
#define EDGESTEER_METRICS_HTTP_H

#include "conf.h"
#include "loop.h"
#include "metrics.h"

struct metrics_http;

typedef void (*metrics_render_fn)(void *ctx, struct metric_sink *s);

int metrics_http_start(struct loop *l, const struct conf_addr *addr, metrics_render_fn render,
		       void *ctx, struct metrics_http **out);
void metrics_http_free(struct metrics_http *m);
/* Evictions, refusals and timeouts of scrape connections. */
struct reqsrv_stats;
void metrics_http_stats(const struct metrics_http *m, struct reqsrv_stats *out);

#endif
