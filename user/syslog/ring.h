/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog_ring.h - the relay's one bounded message store.
 *
 * Every accepted message is stored once, here, under a sequence number
 * (uint64, never reused within a run). Readers (subscribers, forwarders)
 * do not own copies: each keeps only the sequence number of the next
 * message it wants, so a reader costs a few bytes however far behind it
 * is. The ring is bounded twice: by bytes (`bytes`, the payload area) and
 * by messages (`msgs`, the index). Appending evicts the oldest messages
 * until both limits hold; before a message is overwritten the eviction
 * callback sees it (the forwarder spools it from there). A reader whose
 * sequence number is older than ring_first() has been overtaken: it
 * learns how many it missed from the difference.
 *
 * Layout: payload bytes live at monotonically increasing byte positions
 * (pos % bytes in the buffer). A message never wraps: if it does not fit
 * before the end of the buffer, it starts at the beginning and the tail
 * is left unused. The index slot of seq is seq % msgs.
 */
#ifndef EDGESTEER_SYSLOG_RING_H
#define EDGESTEER_SYSLOG_RING_H

#include <stddef.h>
#include <stdint.h>

struct syslog_ring;

/* Called for each message about to be evicted, oldest first. */
typedef void (*ring_evict_cb)(void *arg, uint64_t seq, const uint8_t *p, uint32_t len);

struct ring_stats {
	uint64_t first, next;		/* oldest stored seq; seq of the next push */
	uint64_t bytes_used;		/* payload bytes in use, padding included */
	uint64_t bytes_cap;
	uint32_t msgs_cap;
	uint64_t pushed;		/* messages appended */
	uint64_t evicted;		/* messages evicted to make room */
	uint64_t evicted_bytes;
};

/* `bytes` >= 4 * largest message; the payload area is mapped lazily. */
int ring_new(uint64_t bytes, uint32_t msgs, uint64_t first_seq, struct syslog_ring **out);
void ring_free(struct syslog_ring *r);
void ring_set_evict_cb(struct syslog_ring *r, ring_evict_cb cb, void *arg);

/* Append a message (len <= bytes / 4); returns its seq, or -EINVAL. */
int64_t ring_push(struct syslog_ring *r, const uint8_t *p, uint32_t len);
/* The ring's first seq after a push of len bytes: what it would evict is
 * [ring_first(), that). Changes nothing. */
uint64_t ring_push_evicts(const struct syslog_ring *r, uint32_t len);
/* 0 and the message; -ENOENT when seq was evicted; -EAGAIN when not yet pushed. */
int ring_get(const struct syslog_ring *r, uint64_t seq, const uint8_t **p, uint32_t *len);
uint64_t ring_first(const struct syslog_ring *r);
uint64_t ring_next(const struct syslog_ring *r);
void ring_get_stats(const struct syslog_ring *r, struct ring_stats *st);

#endif
