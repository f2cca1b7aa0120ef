/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog_int.h - what the relay's three parts share: syslog.c (intake,
 * the ring, the relay object), fanout.c (TLS subscribers) and forward.c
 * (TLS collectors and the spool). Not part of the module's contract.
 */
#ifndef EDGESTEER_SYSLOG_INT_H
#define EDGESTEER_SYSLOG_INT_H

#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "syslog.h"
#include "ring.h"

struct fanout;
struct forwarder;
struct udp_listener;

struct syslog_relay {
	struct loop *l;
	struct conf_syslog sc;			/* copy of [syslog] */
	struct syslog_ring *ring;
	struct udp_listener *udp[CONF_MAX_LISTEN];
	int n_udp;
	struct fanout *fan;			/* NULL without tls_listen */
	struct forwarder *fwd[CONF_MAX_SECTIONS];
	int n_fwd;
	bool draining;				/* intake stopped */
	struct loop_timer coalesce;		/* hands new messages to readers */
	/* recvmmsg batch, shared by every UDP listener */
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *rbuf;
	uint8_t *cbuf;
	uint32_t slot;				/* bytes per datagram buffer */
	char reload_why[512];			/* what the last reload did not apply */
};

/* A part of a reload that was not applied: logged, and the reason added
 * to what syslog_reload_error() reports. */
void syslog_reload_failed(struct syslog_relay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Largest frame a subscriber or forwarder writes in one piece (one TLS
 * record's plaintext). Larger frames span records; see fanout.c. */
#define SYSLOG_RECORD_MAX 16384

/* fanout.c */
int fanout_new(struct syslog_relay *r, const struct conf_syslog *sc, struct fanout **out);
int fanout_reload(struct fanout *f, const struct conf_syslog *sc);
void fanout_notify(struct fanout *f);
void fanout_stop_accepting(struct fanout *f);
void fanout_metrics(struct fanout *f, struct metric_sink *s);
void fanout_free(struct fanout *f);

/* forward.c */
/* Open the spool (if any) and report the highest seq found in it (0: none). */
int forward_new(struct syslog_relay *r, const struct conf_forward *fc, struct forwarder **out,
		uint64_t *spool_last_seq);
/* Begin connecting; the ring exists from here on. */
void forward_start(struct forwarder *f);
const char *forward_name(const struct forwarder *f);
/* Apply a changed [forward] (same name): timeouts, collectors, TLS files. */
int forward_reconf(struct forwarder *f, const struct conf_forward *fc);
void forward_notify(struct forwarder *f);
void forward_evict(struct forwarder *f, uint64_t seq, const uint8_t *p, uint32_t len);
int forward_drain(struct forwarder *f);
void forward_metrics(struct forwarder **f, int n, struct metric_sink *s);
void forward_free(struct forwarder *f);

#endif
