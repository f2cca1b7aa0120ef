// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog_ring.c - bounded message ring; see syslog_ring.h for the design.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ring.h"

struct ring_slot {
	uint64_t pos;		/* monotonic byte position of the payload */
	uint32_t len;
};

struct syslog_ring {
	uint8_t *data;
	uint64_t cap;		/* payload area, bytes */
	struct ring_slot *slots;
	uint32_t nslots;
	uint64_t first, next;	/* seqs: [first, next) are stored */
	uint64_t head;		/* monotonic byte position of the next write */
	uint64_t pushed, evicted, evicted_bytes;
	ring_evict_cb evict_cb;
	void *evict_arg;
};

int ring_new(uint64_t bytes, uint32_t msgs, uint64_t first_seq, struct syslog_ring **out)
{
	struct syslog_ring *r;

	if (bytes < 64 || msgs < 1)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->slots = calloc(msgs, sizeof(*r->slots));
	/* MAP_NORESERVE: pages are only backed once the ring fills them */
	r->data = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!r->slots || r->data == MAP_FAILED) {
		if (r->data != MAP_FAILED)
			munmap(r->data, bytes);
		free(r->slots);
		free(r);
		return -ENOMEM;
	}
	r->cap = bytes;
	r->nslots = msgs;
	r->first = r->next = first_seq;
	*out = r;
	return 0;
}

void ring_free(struct syslog_ring *r)
{
	if (!r)
		return;
	munmap(r->data, r->cap);
	free(r->slots);
	free(r);
}

void ring_set_evict_cb(struct syslog_ring *r, ring_evict_cb cb, void *arg)
{
	r->evict_cb = cb;
	r->evict_arg = arg;
}

static void evict_oldest(struct syslog_ring *r)
{
	struct ring_slot *s = &r->slots[r->first % r->nslots];

	if (r->evict_cb)
		r->evict_cb(r->evict_arg, r->first, r->data + s->pos % r->cap, s->len);
	r->evicted++;
	r->evicted_bytes += s->len;
	r->first++;
}

int64_t ring_push(struct syslog_ring *r, const uint8_t *p, uint32_t len)
{
	uint64_t start = r->head, off = start % r->cap;
	struct ring_slot *s;

	if ((uint64_t)len > r->cap / 4)
		return -EINVAL;
	if (off + len > r->cap)
		start += r->cap - off;	/* never wrap inside a message */
	/* evict until the index has a free slot and [oldest, start+len) fits */
	while (r->first < r->next &&
	       (r->next - r->first >= r->nslots ||
		start + len - r->slots[r->first % r->nslots].pos > r->cap))
		evict_oldest(r);
	s = &r->slots[r->next % r->nslots];
	s->pos = start;
	s->len = len;
	if (len)
		memcpy(r->data + start % r->cap, p, len);
	r->head = start + len;
	r->pushed++;
	return (int64_t)r->next++;
}

uint64_t ring_push_evicts(const struct syslog_ring *r, uint32_t len)
{
	uint64_t start = r->head, off = start % r->cap, first = r->first;

	if (off + len > r->cap)
		start += r->cap - off;
	/* the loop of ring_push(), without evicting */
	while (first < r->next &&
	       (r->next - first >= r->nslots || start + len - r->slots[first % r->nslots].pos > r->cap))
		first++;
	return first;
}

int ring_get(const struct syslog_ring *r, uint64_t seq, const uint8_t **p, uint32_t *len)
{
	const struct ring_slot *s;

	if (seq < r->first)
		return -ENOENT;
	if (seq >= r->next)
		return -EAGAIN;
	s = &r->slots[seq % r->nslots];
	*p = r->data + s->pos % r->cap;
	*len = s->len;
	return 0;
}

uint64_t ring_first(const struct syslog_ring *r)
{
	return r->first;
}

uint64_t ring_next(const struct syslog_ring *r)
{
	return r->next;
}

void ring_get_stats(const struct syslog_ring *r, struct ring_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->first = r->first;
	st->next = r->next;
	st->bytes_cap = r->cap;
	st->msgs_cap = r->nslots;
	if (r->first < r->next)
		st->bytes_used = r->head - r->slots[r->first % r->nslots].pos;
	st->pushed = r->pushed;
	st->evicted = r->evicted;
	st->evicted_bytes = r->evicted_bytes;
}
