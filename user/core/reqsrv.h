/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reqsrv.h - a tiny request/response server on the loop, shared by the
 * control socket and the metrics HTTP listener: accept on a listening fd,
 * read one bounded request under a deadline, answer, close.
 *
 * At most REQSRV_MAX_CLIENTS at once. When every slot is taken, the
 * oldest client that has not yet sent a complete request is closed to
 * admit the new one: a client with a real request sends it at once and
 * is answered within one loop turn, so idle sockets held by strangers
 * can delay a scrape or a command but never lock it out. Only when every
 * slot is busy answering is the newcomer refused. Evictions, refusals and
 * timeouts are counted and logged at most once a second per reason.
 */
#ifndef EDGESTEER_REQSRV_H
#define EDGESTEER_REQSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define REQSRV_REQ_MAX     4096
#define REQSRV_REPLY_MAX   (16u << 20)
#define REQSRV_MAX_CLIENTS 16

struct reqsrv;

struct reqsrv_reply {
	char *buf;
	size_t len, cap;
};

int reqsrv_append(struct reqsrv_reply *r, const char *data, size_t len);
int reqsrv_printf(struct reqsrv_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct reqsrv_ops {
	/* Bytes of a complete request in req[0..len), or 0 to read more. */
	size_t (*complete)(const char *req, size_t len);
	/* Build the reply for a complete request (NUL-terminated); role is
	 * what allow() said about the peer (0 without allow()). */
	void (*handle)(void *ctx, int role, char *req, size_t len, struct reqsrv_reply *r);
	/* Optional: may this peer talk to us? fd is the accepted socket.
	 * A role >= 0 admits it, -errno refuses it. */
	int (*allow)(void *ctx, int fd);
	/* Written to peers refused for want of a slot or evicted; may be NULL. */
	const char *refusal;
	/* Written to peers allow() refused; may be NULL. */
	const char *denied;
	const char *name;	/* for log lines: "control", "metrics" */
	size_t req_max;		/* <= REQSRV_REQ_MAX */
	uint32_t timeout_ms;
};

/* Take ownership of a listening, non-blocking fd. */
int reqsrv_start(struct loop *l, int listen_fd, const struct reqsrv_ops *ops, void *ctx,
		 struct reqsrv **out);
struct reqsrv_stats {
	uint64_t evicted;	/* idle clients closed to admit a new one */
	uint64_t refused_busy;	/* every slot was answering: newcomer refused */
	uint64_t refused_denied;	/* allow() said no */
	uint64_t timed_out;	/* no complete request before the deadline */
};
void reqsrv_get_stats(const struct reqsrv *s, struct reqsrv_stats *out);
void reqsrv_free(struct reqsrv *s);

#endif
