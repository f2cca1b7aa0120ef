// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the Nettle SHA-224/SHA-256 classes and PRF given to
 * BearSSL's server engines (tls/sha_nettle.c): every use BearSSL makes of
 * a br_hash_class - plain hashing in pieces, out() in the middle, state()
 * and set_state() at block boundaries, the multi-hasher of the handshake
 * transcript fed byte by byte, HMAC with short and long keys, HMAC-DRBG -
 * must give the same bytes as BearSSL's own br_sha224/256_vtable, and
 * tls_sha256_prf the same bytes as br_tls12_sha256_prf.
 */
#include "harness.h"

#include "tls/sha_nettle.h"

static uint64_t rng_state = 0x853c49e6748fea9bull;

static void rng_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state >> 12;
		rng_state ^= rng_state << 25;
		rng_state ^= rng_state >> 27;
		b[i] = (uint8_t)((rng_state * 0x2545f4914f6cdd1dull) >> 56);
	}
}

static const br_hash_class *const ours[] = { &tls_sha224_nettle, &tls_sha256_nettle };
static const br_hash_class *const theirs[] = { &br_sha224_vtable, &br_sha256_vtable };

static size_t out_len(const br_hash_class *hc)
{
	return (hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

TEST(descriptors_match_bearssls)
{
	for (int h = 0; h < 2; h++) {
		EXPECT_EQ(ours[h]->desc, theirs[h]->desc);
		EXPECT_TRUE(ours[h]->context_size <= sizeof(br_hash_compat_context));
	}
}

TEST(hashes_in_pieces_and_out_midway)
{
	uint8_t data[300], a[32], b[32];

	rng_bytes(data, sizeof(data));
	for (int h = 0; h < 2; h++) {
		for (size_t len = 0; len <= sizeof(data); len += 7) {
			br_hash_compat_context x, y;
			size_t off = 0, step = 1 + len % 13;

			ours[h]->init(&x.vtable);
			theirs[h]->init(&y.vtable);
			while (off < len) {
				size_t n = len - off < step ? len - off : step;

				ours[h]->update(&x.vtable, data + off, n);
				theirs[h]->update(&y.vtable, data + off, n);
				off += n;
				/* out() must not disturb the running hash */
				ours[h]->out(&x.vtable, a);
				theirs[h]->out(&y.vtable, b);
				ASSERT_EQ(memcmp(a, b, out_len(ours[h])), 0);
			}
			ours[h]->out(&x.vtable, a);
			theirs[h]->out(&y.vtable, b);
			ASSERT_EQ(memcmp(a, b, out_len(ours[h])), 0);
		}
	}
}

TEST(state_and_set_state_interchange_with_bearssl)
{
	uint8_t data[256], sa[64], sb[64], a[32], b[32];

	rng_bytes(data, sizeof(data));
	for (int h = 0; h < 2; h++) {
		br_hash_compat_context x, y;

		ours[h]->init(&x.vtable);
		theirs[h]->init(&y.vtable);
		ours[h]->update(&x.vtable, data, 128);
		theirs[h]->update(&y.vtable, data, 128);
		EXPECT_EQ(ours[h]->state(&x.vtable, sa), theirs[h]->state(&y.vtable, sb));
		EXPECT_EQ(memcmp(sa, sb, 32), 0);
		/* BearSSL's saved state continued by ours, and the reverse */
		ours[h]->set_state(&x.vtable, sb, 128);
		theirs[h]->set_state(&y.vtable, sa, 128);
		ours[h]->update(&x.vtable, data + 128, 77);
		theirs[h]->update(&y.vtable, data + 128, 77);
		ours[h]->out(&x.vtable, a);
		theirs[h]->out(&y.vtable, b);
		EXPECT_EQ(memcmp(a, b, out_len(ours[h])), 0);
	}
}

TEST(transcript_multihash_byte_by_byte)
{
	br_multihash_context x, y;
	uint8_t data[700], a[32], b[32];

	rng_bytes(data, sizeof(data));
	br_multihash_zero(&x);
	br_multihash_zero(&y);
	br_multihash_setimpl(&x, br_sha224_ID, &tls_sha224_nettle);
	br_multihash_setimpl(&x, br_sha256_ID, &tls_sha256_nettle);
	br_multihash_setimpl(&y, br_sha224_ID, &br_sha224_vtable);
	br_multihash_setimpl(&y, br_sha256_ID, &br_sha256_vtable);
	br_multihash_init(&x);
	br_multihash_init(&y);
	for (size_t i = 0; i < sizeof(data); i++) {
		br_multihash_update(&x, data + i, 1);
		br_multihash_update(&y, data + i, 1);
		if (i % 97 == 0 || i == sizeof(data) - 1) {
			EXPECT_EQ(br_multihash_out(&x, br_sha224_ID, a), 28u);
			br_multihash_out(&y, br_sha224_ID, b);
			ASSERT_EQ(memcmp(a, b, 28), 0);
			EXPECT_EQ(br_multihash_out(&x, br_sha256_ID, a), 32u);
			br_multihash_out(&y, br_sha256_ID, b);
			ASSERT_EQ(memcmp(a, b, 32), 0);
		}
	}
}

TEST(hmac_short_and_long_keys)
{
	uint8_t key[150], msg[200], a[32], b[32];
	const size_t klens[] = { 0, 16, 32, 64, 65, 150 };

	rng_bytes(key, sizeof(key));
	rng_bytes(msg, sizeof(msg));
	for (size_t k = 0; k < sizeof(klens) / sizeof(klens[0]); k++) {
		br_hmac_key_context kx, ky;
		br_hmac_context x, y;

		br_hmac_key_init(&kx, &tls_sha256_nettle, key, klens[k]);
		br_hmac_key_init(&ky, &br_sha256_vtable, key, klens[k]);
		br_hmac_init(&x, &kx, 0);
		br_hmac_init(&y, &ky, 0);
		br_hmac_update(&x, msg, sizeof(msg));
		br_hmac_update(&y, msg, sizeof(msg));
		EXPECT_EQ(br_hmac_out(&x, a), 32u);
		br_hmac_out(&y, b);
		EXPECT_EQ(memcmp(a, b, 32), 0);
	}
}

TEST(hmac_drbg_same_stream)
{
	br_hmac_drbg_context x, y;
	uint8_t seed[48], a[100], b[100];

	rng_bytes(seed, sizeof(seed));
	br_hmac_drbg_init(&x, &tls_sha256_nettle, seed, sizeof(seed));
	br_hmac_drbg_init(&y, &br_sha256_vtable, seed, sizeof(seed));
	for (int i = 0; i < 5; i++) {
		br_hmac_drbg_generate(&x, a, sizeof(a) - (size_t)i * 13);
		br_hmac_drbg_generate(&y, b, sizeof(b) - (size_t)i * 13);
		ASSERT_EQ(memcmp(a, b, sizeof(a) - (size_t)i * 13), 0);
		br_hmac_drbg_update(&x, seed, (size_t)i * 9);
		br_hmac_drbg_update(&y, seed, (size_t)i * 9);
	}
}

TEST(prf_equals_br_tls12_sha256_prf)
{
	uint8_t secret[48], s1[32], s2[32], a[104], b[104];
	const size_t lens[] = { 1, 12, 32, 33, 48, 64, 72, 104 };
	br_tls_prf_seed_chunk seed[2] = { { s1, sizeof(s1) }, { s2, sizeof(s2) } };

	rng_bytes(secret, sizeof(secret));
	rng_bytes(s1, sizeof(s1));
	rng_bytes(s2, sizeof(s2));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t nseed = 0; nseed <= 2; nseed++) {
			memset(a, 0xAA, sizeof(a));
			memset(b, 0xAA, sizeof(b));
			tls_sha256_prf(a, lens[i], secret, sizeof(secret), "key expansion", nseed, seed);
			br_tls12_sha256_prf(b, lens[i], secret, sizeof(secret), "key expansion", nseed, seed);
			/* and nothing written past len */
			ASSERT_EQ(memcmp(a, b, sizeof(a)), 0);
		}
	}
	tls_sha256_prf(a, 12, secret, 32, "client finished", 1, seed);
	br_tls12_sha256_prf(b, 12, secret, 32, "client finished", 1, seed);
	EXPECT_EQ(memcmp(a, b, 12), 0);
}

TEST_HARNESS_MAIN
