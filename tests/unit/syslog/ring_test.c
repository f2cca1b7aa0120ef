// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the message ring: positions, limits, eviction accounting. */
#include "harness.h"

#include "syslog/ring.h"

struct evlog {
	uint64_t seqs[4096];
	int n;
	uint64_t bytes;
};

static void on_evict(void *arg, uint64_t seq, const uint8_t *p, uint32_t len)
{
	struct evlog *e = arg;

	if (e->n < 4096)
		e->seqs[e->n++] = seq;
	e->bytes += len;
	(void)p;
}

TEST(positions_and_lookup)
{
	struct syslog_ring *r;
	const uint8_t *p;
	uint32_t len;
	int64_t s;

	ASSERT_EQ(ring_new(4096, 16, 100, &r), 0);
	EXPECT_EQ(ring_first(r), 100);
	EXPECT_EQ(ring_next(r), 100);
	EXPECT_EQ(ring_get(r, 100, &p, &len), -EAGAIN);
	s = ring_push(r, (const uint8_t *)"hello", 5);
	EXPECT_EQ(s, 100);
	s = ring_push(r, (const uint8_t *)"world!", 6);
	EXPECT_EQ(s, 101);
	ASSERT_EQ(ring_get(r, 100, &p, &len), 0);
	EXPECT_EQ(len, 5);
	EXPECT_MEMEQ(p, "hello", 5);
	ASSERT_EQ(ring_get(r, 101, &p, &len), 0);
	EXPECT_MEMEQ(p, "world!", 6);
	EXPECT_EQ(ring_get(r, 99, &p, &len), -ENOENT);
	EXPECT_EQ(ring_get(r, 102, &p, &len), -EAGAIN);
	/* too large for the ring: refused, not truncated */
	{
		static uint8_t big[2048];

		EXPECT_EQ(ring_push(r, big, sizeof(big)), -EINVAL);
	}
	ring_free(r);
}

TEST(message_limit_evicts_oldest_and_counts)
{
	struct syslog_ring *r;
	struct ring_stats st;
	struct evlog ev = { .n = 0 };
	const uint8_t *p;
	uint32_t len;
	uint64_t i;

	ASSERT_EQ(ring_new(1 << 20, 16, 0, &r), 0);
	ring_set_evict_cb(r, on_evict, &ev);
	for (i = 0; i < 100; i++) {
		char m[16];
		int n = snprintf(m, sizeof(m), "m%03d", (int)i);

		ASSERT_EQ(ring_push(r, (const uint8_t *)m, (uint32_t)n), (int64_t)i);
	}
	ring_get_stats(r, &st);
	EXPECT_EQ(st.next, 100);
	EXPECT_EQ(st.next - st.first, 16);	/* exactly msgs messages kept */
	EXPECT_EQ(st.evicted, 84);
	EXPECT_EQ(st.pushed, 100);
	EXPECT_EQ(ev.n, 84);
	for (i = 0; i < 84; i++)
		EXPECT_EQ(ev.seqs[i], i);	/* oldest first, each once */
	EXPECT_EQ(ring_get(r, 83, &p, &len), -ENOENT);
	ASSERT_EQ(ring_get(r, 84, &p, &len), 0);
	EXPECT_MEMEQ(p, "m084", 4);
	ring_free(r);
}

TEST(byte_limit_never_overlaps_and_never_wraps_a_message)
{
	struct syslog_ring *r;
	struct ring_stats st;
	struct evlog ev = { .n = 0 };
	uint8_t buf[1024];
	uint64_t i, seq;

	ASSERT_EQ(ring_new(4096, 1000, 0, &r), 0);
	ring_set_evict_cb(r, on_evict, &ev);
	for (i = 0; i < 3000; i++) {
		uint32_t len = (uint32_t)(1 + (i * 131) % 1024);

		memset(buf, (int)(i & 0xff), len);
		ASSERT_EQ(ring_push(r, buf, len), (int64_t)i);
		ring_get_stats(r, &st);
		ASSERT_LE(st.bytes_used, 4096);
		/* every stored message is intact: nothing overwrote it */
		for (seq = st.first; seq < st.next; seq++) {
			const uint8_t *p;
			uint32_t l, k;

			ASSERT_EQ(ring_get(r, seq, &p, &l), 0);
			ASSERT_EQ(l, (uint32_t)(1 + (seq * 131) % 1024));
			for (k = 0; k < l; k++)
				ASSERT_EQ(p[k], (uint8_t)(seq & 0xff));
		}
	}
	ring_get_stats(r, &st);
	EXPECT_EQ(st.evicted, st.first);
	EXPECT_EQ(st.pushed - st.evicted, st.next - st.first);
	EXPECT_EQ((uint64_t)ev.n, st.evicted > 4096 ? 4096 : st.evicted);
	ring_free(r);
}

TEST(reader_behind_learns_how_many_it_missed)
{
	struct syslog_ring *r;
	const uint8_t *p;
	uint32_t len;
	uint64_t reader = 0, skipped = 0, got = 0, i;

	ASSERT_EQ(ring_new(1 << 16, 64, 0, &r), 0);
	for (i = 0; i < 1000; i++) {
		ring_push(r, (const uint8_t *)"x", 1);
		/* a reader that takes one message every 10 pushes */
		if (i % 10 == 0) {
			if (ring_get(r, reader, &p, &len) == -ENOENT) {
				skipped += ring_first(r) - reader;
				reader = ring_first(r);
			}
			if (ring_get(r, reader, &p, &len) == 0) {
				reader++;
				got++;
			}
		}
	}
	/* catch up, then drain the rest */
	if (ring_get(r, reader, &p, &len) == -ENOENT) {
		skipped += ring_first(r) - reader;
		reader = ring_first(r);
	}
	while (ring_get(r, reader, &p, &len) == 0) {
		reader++;
		got++;
	}
	EXPECT_EQ(reader, 1000);
	EXPECT_EQ(got + skipped, 1000);
	EXPECT_GT(skipped, 0);
	ring_free(r);
}

TEST(lazy_memory)
{
	struct syslog_ring *r;

	/* a 1 GiB ring costs nothing until it is filled */
	ASSERT_EQ(ring_new(1ull << 30, 1024, 0, &r), 0);
	ring_push(r, (const uint8_t *)"x", 1);
	ring_free(r);
}

TEST_HARNESS_MAIN
