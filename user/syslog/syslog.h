/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog.h - the relay: UDP intake, ring, TLS subscribers, forwarders.
 * (Contract used by daemon.c; owner: syslog.c, fanout.c, forward.c.)
 */
#ifndef EDGESTEER_SYSLOG_H
#define EDGESTEER_SYSLOG_H

#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"

struct syslog_relay;

/* Start [syslog] and every [forward]; a no-op relay when not enabled. */
int syslog_start(struct loop *l, const struct conf *c, struct syslog_relay **out);
/* Reload: listeners, subscriber policy and forwarders change; connected
 * TLS subscribers survive. The config is copied. */
int syslog_reload(struct syslog_relay *r, const struct conf *c);
/* After a syslog_reload() that failed: what was not applied, and why. */
const char *syslog_reload_error(const struct syslog_relay *r);
/* SIGTERM: stop intake; returns 1 while forwarders still have data to
 * flush, 0 when all is delivered or spooled. */
int syslog_drain(struct syslog_relay *r);
void syslog_metrics(struct syslog_relay *r, struct metric_sink *s);
void syslog_free(struct syslog_relay *r);

#endif
