/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reqsrv.h - a tiny request/response server on the loop, shared by the
 * control socket and the metrics HTTP listener: accept on a listening fd,
 * read one bounded request under a deadline, answer, close. At most
 * REQSRV_MAX_CLIENTS at once; more are refused and counted.
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
	/* Build the reply for a complete request (NUL-terminated). */
	void (*handle)(void *ctx, char *req, size_t len, struct reqsrv_reply *r);
	/* Optional: may this peer talk to us? fd is the accepted socket. */
	bool (*allow)(void *ctx, int fd);
	/* Written to refused peers (permission, limits); may be NULL. */
	const char *refusal;
	const char *name;	/* for log lines: "control", "metrics" */
	size_t req_max;		/* <= REQSRV_REQ_MAX */
	uint32_t timeout_ms;
};

/* Take ownership of a listening, non-blocking fd. */
int reqsrv_start(struct loop *l, int listen_fd, const struct reqsrv_ops *ops, void *ctx,
		 struct reqsrv **out);
uint64_t reqsrv_refused(const struct reqsrv *s);
void reqsrv_free(struct reqsrv *s);

#endif
