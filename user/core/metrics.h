/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - one way for every module to report what it counts.
 *
 * A module emits samples into a sink: name, help, type, value and up to
 * METRIC_MAX_LABELS label pairs. The same samples render as Prometheus
 * text (`edgesteer metrics`, the HTTP listener), as JSON (`stats --json`)
 * or as a table (`stats`). Emit all samples of one metric name together:
 * the Prometheus text format wants one group per metric family.
 *
 * Naming: edgesteer_<module>_<what>[_total]; counters end in _total.
 */
#ifndef EDGESTEER_METRICS_H
#define EDGESTEER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_MAX_LABELS 4

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };
enum metric_format { METRIC_PROM, METRIC_JSON, METRIC_TABLE };

struct metric_sink;

/* The sink accumulates text into a bounded buffer (max bytes). */
int metric_sink_new(enum metric_format fmt, size_t max, struct metric_sink **out);
/* Finish (closes JSON) and return the text; valid until sink_free. */
const char *metric_sink_finish(struct metric_sink *s, size_t *len);
void metric_sink_free(struct metric_sink *s);
/* Samples dropped because the buffer limit was hit. */
uint64_t metric_sink_dropped(const struct metric_sink *s);

/*
 * Emit one sample. The variadic part is label key/value string pairs
 * ending with NULL: metric(s, METRIC_COUNTER, "edgesteer_xdp_packets_total",
 * "Packets seen by XDP", n, "iface", "eth0", "class", "syslog", NULL);
 */
void metric(struct metric_sink *s, enum metric_type type, const char *name,
	    const char *help, uint64_t value, ...) __attribute__((sentinel));

#endif
