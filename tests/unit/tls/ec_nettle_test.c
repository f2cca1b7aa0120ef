// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the Nettle-backed EC hooks (tls/ec_nettle.c): every
 * operation against BearSSL's own portable code (br_ec_p256_m31,
 * br_ec_c25519_m31, br_ec_all_m31) on many pseudo-random scalars and
 * points from a fixed seed, points that must be refused, RFC 7748's
 * X25519 vectors, and ECDSA signatures made by the new signer checked by
 * BearSSL's verifier.
 */
#include "harness.h"

#include "tls/ec_nettle.h"

#define ROUNDS 150

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng64(void)
{
	/* xorshift64*: reproducible, good enough to pick test inputs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(rng64() >> 32);
}

static int hex(uint8_t *out, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return 0;
}

/* A P-256 scalar in [1, q-1]: random, with the top byte below 0xFF (so
 * below q) and never zero. Sometimes shorter than 32 bytes. */
static size_t p256_rand_scalar(uint8_t x[32])
{
	size_t len = (rng64() % 8) ? 32 : 1 + rng64() % 32;

	rng_bytes(x, len);
	if (len == 32 && x[0] == 0xFF)
		x[0] = 0x7F;
	x[len - 1] |= 1;
	return len;
}

static const uint8_t *p256_q(void)
{
	size_t len;

	return br_ec_p256_m31.order(BR_EC_secp256r1, &len);
}

/* q - k for a 32-byte k < q */
static void p256_neg(uint8_t out[32], const uint8_t k[32])
{
	const uint8_t *q = p256_q();
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = q[i] - k[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d & 0xFF);
	}
}

/* A random valid P-256 point, made by BearSSL. */
static void p256_rand_point(uint8_t P[65])
{
	uint8_t x[32];
	size_t len = p256_rand_scalar(x);

	br_ec_p256_m31.mulgen(P, x, len, BR_EC_secp256r1);
}

TEST(p256_mulgen_matches_bearssl)
{
	uint8_t x[32], a[65], b[65];

	for (int i = 0; i < ROUNDS; i++) {
		size_t len = p256_rand_scalar(x);

		ASSERT_EQ(tls_ec_nettle.mulgen(a, x, len, BR_EC_secp256r1), 65);
		ASSERT_EQ(br_ec_p256_m31.mulgen(b, x, len, BR_EC_secp256r1), 65);
		ASSERT_EQ(memcmp(a, b, 65), 0);
	}
}

TEST(p256_mulgen_edge_scalars)
{
	uint8_t x[32], a[65], b[65];

	/* 1, 2, q-1, q-2 */
	for (int i = 0; i < 4; i++) {
		memset(x, 0, sizeof(x));
		if (i < 2) {
			x[31] = (uint8_t)(i + 1);
		} else {
			memcpy(x, p256_q(), 32);
			x[31] -= (uint8_t)(i - 1);
		}
		ASSERT_EQ(tls_ec_nettle.mulgen(a, x, 32, BR_EC_secp256r1), 65);
		ASSERT_EQ(br_ec_p256_m31.mulgen(b, x, 32, BR_EC_secp256r1), 65);
		ASSERT_EQ(memcmp(a, b, 65), 0);
	}
	/* zero: refused rather than an encoding of the point at infinity */
	memset(x, 0, sizeof(x));
	EXPECT_EQ(tls_ec_nettle.mulgen(a, x, 32, BR_EC_secp256r1), 0);
	/* leading zero bytes beyond 32 are allowed */
	uint8_t y[40] = { 0 };

	y[39] = 7;
	x[31] = 7;
	ASSERT_EQ(tls_ec_nettle.mulgen(a, y, sizeof(y), BR_EC_secp256r1), 65);
	ASSERT_EQ(br_ec_p256_m31.mulgen(b, x, 32, BR_EC_secp256r1), 65);
	EXPECT_EQ(memcmp(a, b, 65), 0);
}

TEST(p256_mul_matches_bearssl)
{
	uint8_t x[32], P[65], a[65], b[65];

	for (int i = 0; i < ROUNDS; i++) {
		size_t len = p256_rand_scalar(x);

		p256_rand_point(P);
		memcpy(a, P, 65);
		memcpy(b, P, 65);
		ASSERT_EQ(tls_ec_nettle.mul(a, 65, x, len, BR_EC_secp256r1), 1);
		ASSERT_EQ(br_ec_p256_m31.mul(b, 65, x, len, BR_EC_secp256r1), 1);
		ASSERT_EQ(memcmp(a, b, 65), 0);
	}
}

TEST(p256_invalid_points_rejected_like_bearssl)
{
	static const uint8_t p[32] = {
		0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	};
	uint8_t x[32], P[65], a[65], b[65];
	size_t len = p256_rand_scalar(x);

	for (int i = 0; i < ROUNDS; i++) {
		int kind = i % 6;
		size_t plen = 65;

		p256_rand_point(P);
		switch (kind) {
		case 0: P[1 + rng64() % 64] ^= (uint8_t)(1u << (rng64() % 8)); break; /* off the curve */
		case 1: P[0] = 0x02; break;		/* compressed: not accepted */
		case 2: P[0] = 0x00; break;
		case 3: memcpy(P + 1, p, 32); break;	/* x = p */
		case 4: memcpy(P + 33, p, 32); break;	/* y = p */
		case 5: plen = 64; break;		/* wrong length */
		}
		memcpy(a, P, 65);
		memcpy(b, P, 65);
		EXPECT_EQ(tls_ec_nettle.mul(a, plen, x, len, BR_EC_secp256r1),
			  br_ec_p256_m31.mul(b, plen, x, len, BR_EC_secp256r1));
		EXPECT_EQ(tls_ec_nettle.mul(a, plen, x, len, BR_EC_secp256r1), 0);
		memcpy(a, P, 65);
		EXPECT_EQ(tls_ec_nettle.muladd(a, NULL, plen, x, len, x, len, BR_EC_secp256r1), 0);
		/* a bad B with a good A */
		p256_rand_point(a);
		EXPECT_EQ(tls_ec_nettle.muladd(a, P, plen, x, len, x, len, BR_EC_secp256r1), 0);
	}
	/* (x, y) = (p, y+p) of a valid point: coordinates not reduced */
	p256_rand_point(P);
	memcpy(a, P, 65);
	memset(a + 1, 0, 32);
	EXPECT_EQ(tls_ec_nettle.mul(a, 65, x, len, BR_EC_secp256r1), 0);
}

TEST(p256_muladd_matches_bearssl)
{
	uint8_t x[32], y[32], A[65], B[65], a[65], b[65];

	for (int i = 0; i < ROUNDS; i++) {
		size_t xl = p256_rand_scalar(x), yl = p256_rand_scalar(y);
		bool gen = i % 2;

		p256_rand_point(A);
		p256_rand_point(B);
		memcpy(a, A, 65);
		memcpy(b, A, 65);
		ASSERT_EQ(tls_ec_nettle.muladd(a, gen ? NULL : B, 65, x, xl, y, yl, BR_EC_secp256r1), 1);
		ASSERT_EQ(br_ec_p256_m31.muladd(b, gen ? NULL : B, 65, x, xl, y, yl, BR_EC_secp256r1), 1);
		ASSERT_EQ(memcmp(a, b, 65), 0);
	}
}

TEST(p256_muladd_doubling_and_infinity)
{
	const uint8_t *G;
	uint8_t k[32], nk[32], a[65], b[65];
	size_t glen;

	G = br_ec_p256_m31.generator(BR_EC_secp256r1, &glen);
	ASSERT_EQ(glen, 65);
	for (int i = 0; i < 20; i++) {
		rng_bytes(k, 32);
		k[0] &= 0x7F;
		k[31] |= 1;
		/* k*G + k*G: the final addition is a doubling */
		memcpy(a, G, 65);
		memcpy(b, G, 65);
		ASSERT_EQ(tls_ec_nettle.muladd(a, NULL, 65, k, 32, k, 32, BR_EC_secp256r1), 1);
		ASSERT_EQ(br_ec_p256_m31.muladd(b, NULL, 65, k, 32, k, 32, BR_EC_secp256r1), 1);
		ASSERT_EQ(memcmp(a, b, 65), 0);
		/* k*G + (q-k)*G = infinity: an error for both */
		p256_neg(nk, k);
		memcpy(a, G, 65);
		memcpy(b, G, 65);
		EXPECT_EQ(tls_ec_nettle.muladd(a, NULL, 65, k, 32, nk, 32, BR_EC_secp256r1), 0);
		EXPECT_EQ(br_ec_p256_m31.muladd(b, NULL, 65, k, 32, nk, 32, BR_EC_secp256r1), 0);
		/* same with B given explicitly */
		memcpy(a, G, 65);
		EXPECT_EQ(tls_ec_nettle.muladd(a, G, 65, k, 32, nk, 32, BR_EC_secp256r1), 0);
	}
}

TEST(x25519_rfc7748_vectors)
{
	/* RFC 7748 section 5.2: scalar and u little-endian, as printed */
	static const char *const v[][3] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t k[32], u[32], want[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ASSERT_EQ(hex(k, 32, v[i][0]), 0);
		ASSERT_EQ(hex(u, 32, v[i][1]), 0);
		ASSERT_EQ(hex(want, 32, v[i][2]), 0);
		/* BearSSL 0.6 takes this scalar little-endian, like the RFC */
		ASSERT_EQ(tls_ec_nettle.mul(u, 32, k, 32, BR_EC_curve25519), 1);
		EXPECT_EQ(memcmp(u, want, 32), 0);
	}
}

TEST(x25519_rfc7748_iterated)
{
	/* section 5.2: k = u = 9; k, u = X25519(k, u), k */
	static const char *const after1 = "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079";
	static const char *const after1000 = "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51";
	uint8_t k[32] = { 9 }, u[32] = { 9 }, next[32], want[32];

	for (int i = 1; i <= 1000; i++) {
		memcpy(next, u, 32);
		ASSERT_EQ(tls_ec_nettle.mul(next, 32, k, 32, BR_EC_curve25519), 1);
		memcpy(u, k, 32);
		memcpy(k, next, 32);
		if (i == 1) {
			ASSERT_EQ(hex(want, 32, after1), 0);
			ASSERT_EQ(memcmp(k, want, 32), 0);
		}
	}
	ASSERT_EQ(hex(want, 32, after1000), 0);
	EXPECT_EQ(memcmp(k, want, 32), 0);
}

TEST(x25519_rfc7748_dh)
{
	/* section 6.1 */
	uint8_t a[32], b[32], pa[32], pb[32], want_pa[32], want_pb[32], want_k[32], ka[32], kb[32];

	ASSERT_EQ(hex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), 0);
	ASSERT_EQ(hex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), 0);
	ASSERT_EQ(hex(want_pa, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), 0);
	ASSERT_EQ(hex(want_pb, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), 0);
	ASSERT_EQ(hex(want_k, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), 0);
	ASSERT_EQ(tls_ec_nettle.mulgen(pa, a, 32, BR_EC_curve25519), 32);
	ASSERT_EQ(tls_ec_nettle.mulgen(pb, b, 32, BR_EC_curve25519), 32);
	EXPECT_EQ(memcmp(pa, want_pa, 32), 0);
	EXPECT_EQ(memcmp(pb, want_pb, 32), 0);
	memcpy(ka, pb, 32);
	memcpy(kb, pa, 32);
	ASSERT_EQ(tls_ec_nettle.mul(ka, 32, a, 32, BR_EC_curve25519), 1);
	ASSERT_EQ(tls_ec_nettle.mul(kb, 32, b, 32, BR_EC_curve25519), 1);
	EXPECT_EQ(memcmp(ka, want_k, 32), 0);
	EXPECT_EQ(memcmp(kb, want_k, 32), 0);
}

TEST(x25519_matches_bearssl)
{
	uint8_t x[32], u[32], a[32], b[32];

	for (int i = 0; i < ROUNDS; i++) {
		size_t len = (i % 5) ? 32 : 1 + rng64() % 32;

		rng_bytes(x, len);
		rng_bytes(u, 32);	/* any u, top bit set or not */
		ASSERT_EQ(tls_ec_nettle.mulgen(a, x, len, BR_EC_curve25519), 32);
		ASSERT_EQ(br_ec_c25519_m31.mulgen(b, x, len, BR_EC_curve25519), 32);
		ASSERT_EQ(memcmp(a, b, 32), 0);
		memcpy(a, u, 32);
		memcpy(b, u, 32);
		ASSERT_EQ(tls_ec_nettle.mul(a, 32, x, len, BR_EC_curve25519), 1);
		ASSERT_EQ(br_ec_c25519_m31.mul(b, 32, x, len, BR_EC_curve25519), 1);
		ASSERT_EQ(memcmp(a, b, 32), 0);
	}
}

TEST(x25519_odd_inputs_like_bearssl)
{
	/* u at or above p = 2^255 - 19 (not reduced by the sender), u = 0,
	 * u = 1 (small order), a scalar too long, a point too short */
	static const uint8_t small[] = { 0, 1, 0xEC, 0xED, 0xEE, 0xFF };
	uint8_t x[40], u[32], a[32], b[32];

	rng_bytes(x, 32);
	for (size_t i = 0; i < sizeof(small); i++) {
		memset(u, 0xFF, 32);
		u[31] = 0x7F;
		u[0] = small[i];
		if (i < 2)
			memset(u, 0, 32), u[0] = small[i];
		memcpy(a, u, 32);
		memcpy(b, u, 32);
		ASSERT_EQ(tls_ec_nettle.mul(a, 32, x, 32, BR_EC_curve25519),
			  br_ec_c25519_m31.mul(b, 32, x, 32, BR_EC_curve25519));
		EXPECT_EQ(memcmp(a, b, 32), 0);
	}
	memset(x, 0, sizeof(x));
	x[39] = 5;
	EXPECT_EQ(tls_ec_nettle.mul(u, 32, x, 33, BR_EC_curve25519), 0);
	EXPECT_EQ(br_ec_c25519_m31.mul(u, 32, x, 33, BR_EC_curve25519), 0);
	EXPECT_EQ(tls_ec_nettle.mul(u, 31, x, 32, BR_EC_curve25519), 0);
	EXPECT_EQ(br_ec_c25519_m31.mul(u, 31, x, 32, BR_EC_curve25519), 0);
	EXPECT_EQ(tls_ec_nettle.muladd(u, NULL, 32, x, 32, x, 32, BR_EC_curve25519), 0);
}

TEST(constants_and_other_curves_from_bearssl)
{
	static const int curves[] = { BR_EC_secp256r1, BR_EC_secp384r1, BR_EC_secp521r1, BR_EC_curve25519 };
	uint8_t x[66], a[140], b[140];

	EXPECT_EQ(tls_ec_nettle.supported_curves, br_ec_all_m31.supported_curves);
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		size_t l1, l2, o1, o2;
		const unsigned char *g1 = tls_ec_nettle.generator(curves[i], &l1);
		const unsigned char *g2 = br_ec_all_m31.generator(curves[i], &l2);

		ASSERT_EQ(l1, l2);
		EXPECT_EQ(memcmp(g1, g2, l1), 0);
		g1 = tls_ec_nettle.order(curves[i], &l1);
		g2 = br_ec_all_m31.order(curves[i], &l2);
		ASSERT_EQ(l1, l2);
		EXPECT_EQ(memcmp(g1, g2, l1), 0);
		o1 = tls_ec_nettle.xoff(curves[i], &l1);
		o2 = br_ec_all_m31.xoff(curves[i], &l2);
		EXPECT_EQ(o1, o2);
		EXPECT_EQ(l1, l2);
	}
	/* P-384 goes to BearSSL */
	rng_bytes(x, 48);
	x[0] &= 0x7F;
	ASSERT_EQ(tls_ec_nettle.mulgen(a, x, 48, BR_EC_secp384r1), 97);
	ASSERT_EQ(br_ec_all_m31.mulgen(b, x, 48, BR_EC_secp384r1), 97);
	EXPECT_EQ(memcmp(a, b, 97), 0);
}

/* Sign with the new signer, verify with BearSSL's i31 verifier. */
static void sign_and_verify(struct th_metadata *_metadata, int curve, size_t xlen,
			    const br_hash_class *hf, size_t hlen)
{
	uint8_t x[66], pub[140], hash[64], sig[160];
	br_ec_private_key sk = { .curve = curve, .x = x, .xlen = xlen };
	br_ec_public_key pk = { .curve = curve, .q = pub };
	struct tls_ec_key key;
	size_t slen;

	rng_bytes(x, xlen);
	x[0] &= 0x7F;
	x[xlen - 1] |= 1;
	pk.qlen = br_ec_all_m31.mulgen(pub, x, xlen, curve);
	ASSERT_NE(pk.qlen, 0);
	ASSERT_EQ(tls_ec_key_init(&key, &sk), 0);
	EXPECT_EQ(key.p256, curve == BR_EC_secp256r1);
	rng_bytes(hash, hlen);
	slen = tls_ecdsa_sign_asn1(&tls_ec_nettle, hf, hash, &key.sk, sig);
	ASSERT_NE(slen, 0);
	EXPECT_EQ(sig[0], 0x30);
	EXPECT_EQ(br_ecdsa_i31_vrfy_asn1(&br_ec_all_m31, hash, hlen, &pk, sig, slen), 1);
	/* and not for another hash */
	hash[0] ^= 1;
	EXPECT_EQ(br_ecdsa_i31_vrfy_asn1(&br_ec_all_m31, hash, hlen, &pk, sig, slen), 0);
	hash[0] ^= 1;
	/* a verifier using the Nettle impl agrees */
	EXPECT_EQ(br_ecdsa_i31_vrfy_asn1(&tls_ec_nettle, hash, hlen, &pk, sig, slen), 1);
	tls_ec_key_wipe(&key);
}

TEST(ecdsa_p256_signatures_verify_with_bearssl)
{
	for (int i = 0; i < 40; i++) {
		sign_and_verify(_metadata, BR_EC_secp256r1, 32, &br_sha256_vtable, 32);
		sign_and_verify(_metadata, BR_EC_secp256r1, 32, &br_sha384_vtable, 48);
		sign_and_verify(_metadata, BR_EC_secp256r1, 32, &br_sha1_vtable, 20);
	}
}

TEST(ecdsa_other_curves_signed_by_bearssl)
{
	sign_and_verify(_metadata, BR_EC_secp384r1, 48, &br_sha384_vtable, 48);
}

TEST(ecdsa_nonce_is_fresh)
{
	uint8_t x[32], hash[32], s1[80], s2[80];
	br_ec_private_key sk = { .curve = BR_EC_secp256r1, .x = x, .xlen = 32 };
	struct tls_ec_key key;
	size_t l1, l2;

	rng_bytes(x, 32);
	x[0] &= 0x7F;
	rng_bytes(hash, 32);
	ASSERT_EQ(tls_ec_key_init(&key, &sk), 0);
	l1 = tls_ecdsa_sign_asn1(&tls_ec_nettle, &br_sha256_vtable, hash, &key.sk, s1);
	l2 = tls_ecdsa_sign_asn1(&tls_ec_nettle, &br_sha256_vtable, hash, &key.sk, s2);
	ASSERT_NE(l1, 0);
	ASSERT_NE(l2, 0);
	EXPECT_TRUE(l1 != l2 || memcmp(s1, s2, l1) != 0);
}

/* Without additional data the nonce is RFC 6979's: signatures equal
 * BearSSL's (which implements RFC 6979) byte for byte, for hashes
 * shorter than, as long as and longer than the order, and for keys and
 * hashes at or above the order. */
TEST(ecdsa_without_extra_data_is_rfc6979_as_bearssl_signs)
{
	static const br_hash_class *const hfs[] = { &br_sha1_vtable, &br_sha256_vtable, &br_sha384_vtable,
						    &br_sha512_vtable };
	uint8_t x[32], hash[64], ours[64], theirs[64];
	br_ec_private_key sk = { .curve = BR_EC_secp256r1, .x = x, .xlen = 32 };
	struct tls_ec_key key;

	for (int i = 0; i < 40; i++) {
		const br_hash_class *hf = hfs[i % 4];
		size_t hlen = (hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;

		rng_bytes(x, 32);
		if (i % 10 == 0)
			x[0] &= 0x7F;
		rng_bytes(hash, hlen);
		if (i % 5 == 1)
			memset(hash, 0xFF, hlen);	/* above the order: reduced */
		ASSERT_EQ(tls_ec_key_init(&key, &sk), 0);
		ASSERT_EQ(tls_ecdsa_p256_sign_raw(&key, hf, hash, NULL, 0, ours), 64);
		ASSERT_EQ(br_ecdsa_i31_sign_raw(&br_ec_all_m31, hf, hash, &sk, theirs), 64);
		EXPECT_EQ(memcmp(ours, theirs, 64), 0);
		tls_ec_key_wipe(&key);
	}
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample". */
TEST(ecdsa_rfc6979_vector)
{
	static const uint8_t x[32] = {
		0xC9, 0xAF, 0xA9, 0xD8, 0x45, 0xBA, 0x75, 0x16, 0x6B, 0x5C, 0x21, 0x57, 0x67, 0xB1, 0xD6, 0x93,
		0x4E, 0x50, 0xC3, 0xDB, 0x36, 0xE8, 0x9B, 0x12, 0x7B, 0x8A, 0x62, 0x2B, 0x12, 0x0F, 0x67, 0x21,
	};
	static const uint8_t want[64] = {
		0xEF, 0xD4, 0x8B, 0x2A, 0xAC, 0xB6, 0xA8, 0xFD, 0x11, 0x40, 0xDD, 0x9C, 0xD4, 0x5E, 0x81, 0xD6,
		0x9D, 0x2C, 0x87, 0x7B, 0x56, 0xAA, 0xF9, 0x91, 0xC3, 0x4D, 0x0E, 0xA8, 0x4E, 0xAF, 0x37, 0x16,
		0xF7, 0xCB, 0x1C, 0x94, 0x2D, 0x65, 0x7C, 0x41, 0xD4, 0x36, 0xC7, 0xA1, 0xB6, 0xE2, 0x9F, 0x65,
		0xF3, 0xE9, 0x00, 0xDB, 0xB9, 0xAF, 0xF4, 0x06, 0x4D, 0xC4, 0xAB, 0x2F, 0x84, 0x3A, 0xCD, 0xA8,
	};
	br_ec_private_key sk = { .curve = BR_EC_secp256r1, .x = (unsigned char *)x, .xlen = 32 };
	struct tls_ec_key key;
	br_sha256_context h;
	uint8_t hash[32], sig[64], extra[32];

	br_sha256_init(&h);
	br_sha256_update(&h, "sample", 6);
	br_sha256_out(&h, hash);
	ASSERT_EQ(tls_ec_key_init(&key, &sk), 0);
	ASSERT_EQ(tls_ecdsa_p256_sign_raw(&key, &br_sha256_vtable, hash, NULL, 0, sig), 64);
	EXPECT_EQ(memcmp(sig, want, 64), 0);
	/* with additional data: another nonce, and the signature verifies */
	memset(extra, 0x5A, sizeof(extra));
	ASSERT_EQ(tls_ecdsa_p256_sign_raw(&key, &br_sha256_vtable, hash, extra, sizeof(extra), sig), 64);
	EXPECT_NE(memcmp(sig, want, 32), 0);
	{
		uint8_t pub[65];
		br_ec_public_key pk = { .curve = BR_EC_secp256r1, .q = pub };

		pk.qlen = br_ec_all_m31.mulgen(pub, x, 32, BR_EC_secp256r1);
		EXPECT_EQ(br_ecdsa_i31_vrfy_raw(&br_ec_all_m31, hash, 32, &pk, sig, 64), 1);
	}
	tls_ec_key_wipe(&key);
}

TEST(ec_key_init_refuses_out_of_range_keys)
{
	uint8_t x[33] = { 0 };
	br_ec_private_key sk = { .curve = BR_EC_secp256r1, .x = x, .xlen = 32 };
	struct tls_ec_key key;

	EXPECT_EQ(tls_ec_key_init(&key, &sk), -EINVAL);		/* zero */
	memcpy(x, p256_q(), 32);
	EXPECT_EQ(tls_ec_key_init(&key, &sk), -EINVAL);		/* q */
	x[31] -= 1;
	EXPECT_EQ(tls_ec_key_init(&key, &sk), 0);			/* q - 1 */
	memset(x, 0, sizeof(x));
	x[0] = 1;
	sk.xlen = 33;
	EXPECT_EQ(tls_ec_key_init(&key, &sk), -EINVAL);		/* 2^256 */
	x[0] = 0;
	x[32] = 1;
	EXPECT_EQ(tls_ec_key_init(&key, &sk), 0);			/* 1, a leading zero */
}

TEST_HARNESS_MAIN
