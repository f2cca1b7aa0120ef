// SPDX-License-Identifier: GPL-2.0-only
/*
 * intake.c - what every stream input shares: one message validated, its
 * missing PRI handled (missing_pri), stored once in the ring; and the
 * question whether one more message can be kept without losing one a
 * forwarder still needs (the backpressure of intake_tcp.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "origin.h"
#include "pri_fix.h"
#include "syslog_int.h"
#include "syslog_msg.h"

/* Bound and push; the caller has validated p. */
static int push(struct syslog_relay *r, const uint8_t *p, size_t len, struct intake_counts *c)
{
	if (len > r->sc.max_message) {
		if (r->sc.oversize == OVERSIZE_DROP) {
			c->drop_oversize++;
			return -EMSGSIZE;
		}
		c->truncated++;
		len = r->sc.max_message;
	}
	if (ring_push(r->ring, p, (uint32_t)len) < 0) {
		/* cannot happen: conf guarantees ring_size >= 4 * max_message */
		c->drop_oversize++;
		return -EMSGSIZE;
	}
	c->accepted++;
	return 0;
}

int intake_store(struct syslog_relay *r, uint8_t *p, size_t len, const char *host, const char *subject,
		 struct intake_counts *c)
{
	size_t n;
	int v;

	c->frames++;
	len = syslog_msg_trim(p, len);
	v = syslog_msg_parse(p, len, NULL);
	switch (v) {
	case SYSLOG_OK:
		if (r->sc.origin && (n = syslog_add_origin(p, len, host, subject, r->fixbuf, r->fixcap)) &&
		    n <= r->sc.max_message) {
			c->origin_added++;
			return push(r, r->fixbuf, n, c);
		}
		return push(r, p, len, c);
	case SYSLOG_EMPTY:
		c->drop_empty++;
		return -ENODATA;
	case SYSLOG_BAD_PRI:
		if (r->sc.missing_pri == MISSING_PRI_DROP) {
			c->drop_bad_pri++;
			return -EBADMSG;
		}
		n = syslog_add_pri(p, len, host, time(NULL), r->fixbuf, r->fixcap);
		if (!n) {
			c->drop_bad_pri++;
			return -EBADMSG;
		}
		c->pri_added++;
		return push(r, r->fixbuf, n, c);
	}
	c->drop_bad_header++;
	return -EBADMSG;
}

bool syslog_can_keep(struct syslog_relay *r, uint32_t len)
{
	uint64_t upto;
	int i;

	if (len > r->sc.max_message)
		len = r->sc.max_message;
	upto = ring_push_evicts(r->ring, len);
	if (upto == ring_first(r->ring))
		return true;	/* nothing would be evicted */
	for (i = 0; i < r->n_fwd; i++)
		if (!forward_can_keep(r->fwd[i], upto))
			return false;
	return true;
}
