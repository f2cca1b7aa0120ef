// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the RFC 6587 decoder (user/syslog/framing.c).
 * Byte 0 picks max (16..4096), byte 1 the piece size the stream is fed
 * in; the rest is the stream. Fed whole and fed in pieces through a
 * bounded buffer of max + FRAME_HDR_MAX bytes (as a connection does), the
 * decoder must yield the same messages and end the same way; every
 * message must lie inside the buffer and be at most max bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 4096

struct out {
	size_t n;
	uint64_t hash[MAX_MSGS];
	size_t len[MAX_MSGS];
	enum frame_result end;
	enum frame_mode mode;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static void feed(const uint8_t *s, size_t len, size_t max, size_t piece, struct out *o)
{
	size_t cap = max + FRAME_HDR_MAX, have = 0, fed = 0;
	uint8_t *buf = malloc(cap);
	enum frame_mode mode = FRAME_DETECT;
	enum frame_result r = FRAME_NEED_MORE;

	if (!buf)
		abort();
	memset(o, 0, sizeof(*o));
	while (fed < len) {
		size_t take = len - fed;

		if (take > piece)
			take = piece;
		if (take > cap - have)
			take = cap - have;
		/* a full buffer without a frame must be an error, never a stall */
		if (!take)
			abort();
		memcpy(buf + have, s + fed, take);
		have += take;
		fed += take;
		for (;;) {
			const uint8_t *m;
			size_t ml, used;

			r = frame_next(&mode, buf, have, max, &m, &ml, &used);
			if (r != FRAME_OK) {
				if (used)
					abort();
				break;
			}
			if (ml > max || m < buf || m + ml > buf + have || used > have || !used ||
			    (size_t)(m - buf) + ml > used)
				abort();
			if (o->n < MAX_MSGS) {
				o->hash[o->n] = fnv(m, ml);
				o->len[o->n] = ml;
			}
			o->n++;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (r != FRAME_NEED_MORE)
			break;
	}
	o->end = r;
	o->mode = mode;
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct out whole, pieces;
	size_t max, piece;

	if (size < 2)
		return 0;
	max = 16u + (size_t)data[0] * 16u;
	piece = 1u + data[1] % 64u;
	data += 2;
	size -= 2;
	feed(data, size, max, size ? size : 1, &whole);
	feed(data, size, max, piece, &pieces);
	if (whole.n != pieces.n || whole.end != pieces.end || whole.mode != pieces.mode)
		abort();
	for (size_t i = 0; i < whole.n && i < MAX_MSGS; i++)
		if (whole.hash[i] != pieces.hash[i] || whole.len[i] != pieces.len[i])
			abort();
	return 0;
}
