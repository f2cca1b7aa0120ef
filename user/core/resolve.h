/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * resolve.h - host names resolved off the event loop (resolver threads),
 * re-resolved on the DNS TTL; used by the proxy's upstreams and the
 * syslog forwarder's collectors. How it works: resolve.c and
 * docs/proxy.md, "Upstream host names".
 */
#ifndef EDGESTEER_RESOLVE_H
#define EDGESTEER_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "loop.h"

#define RESOLVE_MAX_ADDRS 8
#define RESOLVE_TTL_MIN_MS 1000	/* a TTL below this (0 included) counts as this */

struct resolve_name;

/* Someone waiting for a name's first answer: ready() is called once then. */
struct resolve_wait {
	struct resolve_name *name;	/* NULL: not waiting */
	struct resolve_wait *next;
	void (*ready)(struct resolve_wait *w);
};

/* One "host:port" and what it resolved to; read-only outside resolve.c. */
struct resolve_name {
	struct resolve_name *next;
	char host[CONF_HOST_MAX];
	char port[8];
	char text[CONF_HOST_MAX + 8];	/* "host:port" as written */
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	socklen_t lens[RESOLVE_MAX_ADDRS];
	int n;				/* 0: none yet (or the first lookup failed) */
	uint64_t expires;		/* loop ms: look it up again from then on */
	uint32_t interval_ms;		/* the longest an answer is kept */
	uint32_t ttl_ms;		/* of the last answer, bounded; 0: no TTL known */
	bool pending;			/* a lookup is queued or running */
	int last_err;			/* EAI_* of the last answer */
	uint64_t lookups;
	struct resolve_wait *waiting;	/* waiting for a first answer */
};

struct resolver;

/* A resolver for loop l; `who` prefixes its log lines ("proxy"). */
int resolver_new(struct loop *l, const char *who, struct resolver **out);
void resolver_free(struct resolver *r);
/* The entry of "host:port", looked up again in the background when it
 * has expired (its TTL, at most interval_ms, at least RESOLVE_TTL_MIN_MS);
 * NULL when out of memory or text is not host:port. */
struct resolve_name *resolver_get(struct resolver *r, const char *text, uint32_t interval_ms);
/* w waits for e's first answer: w->ready(w) then (set ready first). */
void resolver_wait(struct resolve_name *e, struct resolve_wait *w);
/* No longer waiting (no-op when w is not). */
void resolver_unwait(struct resolve_wait *w);
/* Lookup requests dropped because the queue was full (retried on next use). */
uint64_t resolver_queue_full(const struct resolver *r);

/* Pure: the minimum TTL, in seconds, of the A/AAAA/CNAME records in the
 * answer section of the DNS message msg[0..len); -1 when it has none or
 * does not parse. (The resolver threads' TTL source; exported for tests.) */
long resolve_answer_ttl(const unsigned char *msg, int len);

#endif
