/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog_int.h - what the relay's three parts share: syslog.c (intake,
 * the ring, the relay object), fanout.c (TLS subscribers) and forward.c
 * (TLS collectors and the spool). Not part of the module's contract.
 */
#ifndef EDGESTEER_SYSLOG_INT_H
#define EDGESTEER_SYSLOG_INT_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "syslog.h"
#include "ring.h"

struct fanout;
struct forwarder;
struct udp_listener;
struct tcp_intake;

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
	struct sockaddr_storage *names;		/* senders of the batch (missing_pri) */
	struct tcp_intake *tcp;			/* NULL without tcp_listen */
	uint8_t *fixbuf;			/* missing_pri = add: the relayed message */
	size_t fixcap;
};

/* What a stream (or datagram) input counts about the messages it takes. */
struct intake_counts {
	uint64_t frames, bytes, accepted, truncated, pri_added, origin_added;
	uint64_t drop_oversize, drop_empty, drop_bad_pri, drop_bad_header;
};

/* A part of a reload that was not applied: logged, and the reason added
 * to what syslog_reload_error() reports. */
void syslog_reload_failed(struct syslog_relay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Largest frame a subscriber or forwarder writes in one piece (one TLS
 * record's plaintext). Larger frames span records; see fanout.c. */
#define SYSLOG_RECORD_MAX 16384

/* syslog.c: hand new messages to readers (coalesced) */
void syslog_notify_readers(struct syslog_relay *r);

/* intake.c */
/* Validate p (trimmed in place), apply missing_pri and origin (host, and
 * subject: a client certificate's, or NULL), store; 0 or -errno, counted. */
int intake_store(struct syslog_relay *r, uint8_t *p, size_t len, const char *host, const char *subject,
		 struct intake_counts *c);
/* Can a message of len bytes be pushed without losing one a forwarder
 * still needs (not confirmed and no room in its spool)? */
bool syslog_can_keep(struct syslog_relay *r, uint32_t len);

/* intake_tcp.c */
int intake_tcp_new(struct syslog_relay *r, struct tcp_intake **out);
int intake_tcp_reload(struct tcp_intake *in, const struct conf_syslog *sc);
void intake_tcp_stop_accepting(struct tcp_intake *in);
void intake_tcp_metrics(struct tcp_intake *in, struct metric_sink *s);
/* One intake_counts field (offsetof) of every listener, labelled proto
 * and listen: for families UDP listeners emit too (kept together). */
void intake_tcp_counts_metric(struct tcp_intake *in, struct metric_sink *s, const char *name, const char *help,
			      size_t off);
void intake_tcp_free(struct tcp_intake *in);

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
/* Would evicting the ring's messages before `upto` lose one this forwarder
 * still needs (unconfirmed, and its spool cannot take them all)? A "no"
 * makes the forwarder settle once all is sent (forward.c). */
bool forward_can_keep(struct forwarder *f, uint64_t upto);
int forward_drain(struct forwarder *f);
void forward_metrics(struct forwarder **f, int n, struct metric_sink *s);
void forward_free(struct forwarder *f);

#endif
