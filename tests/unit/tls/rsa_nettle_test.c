// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the Nettle RSA signer (tls/rsa_nettle.c): PKCS#1 v1.5
 * signatures are deterministic, so every signature must equal BearSSL's
 * own (br_rsa_i31_pkcs1_sign) byte for byte, for keys of several sizes
 * made by BearSSL's key generator from a fixed seed and for each hash a
 * TLS 1.2 peer may ask for; BearSSL's verifier must recover the hash;
 * a key whose CRT coefficient is wrong must give no signature at all
 * (each result is checked against the public key). The blinding pairs
 * come in batches: signatures across several batches, and from threads
 * sharing the key, must each be right (a wrong inverse would show as a
 * wrong signature), and every pair must be used exactly once. Keys from
 * OpenSSL, whose public exponent BearSSL cannot always recompute, must
 * take the same path.
 */
#include <pthread.h>

#include "harness.h"

#include "tls/rsa_nettle.h"

struct key {
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	unsigned char priv[BR_RSA_KBUF_PRIV_SIZE(2048)];
	unsigned char pub[BR_RSA_KBUF_PUB_SIZE(2048)];
};

static int make_key(struct key *k, unsigned bits, const char *seed)
{
	br_hmac_drbg_context rng;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, strlen(seed));
	return br_rsa_i31_keygen(&rng.vtable, &k->sk, k->priv, &k->pk, k->pub, bits, 65537) ? 0 : -1;
}

#define oid_sha1 BR_HASH_OID_SHA1
#define oid_sha256 BR_HASH_OID_SHA256
#define oid_sha384 BR_HASH_OID_SHA384
#define oid_sha512 BR_HASH_OID_SHA512

static void same_as_bearssl(struct th_metadata *_metadata, unsigned bits, const char *seed)
{
	const struct {
		const unsigned char *oid;
		size_t hlen;
	} h[] = {
		{ oid_sha256, 32 }, { oid_sha384, 48 }, { oid_sha512, 64 }, { oid_sha1, 20 },
		{ NULL, 36 },	/* TLS 1.0's MD5+SHA-1, no DigestInfo */
	};
	static struct key k;
	struct tls_rsa_key nk;
	unsigned char hash[64], a[256], b[256], out[64];
	size_t len = (bits + 7) / 8;

	ASSERT_EQ(make_key(&k, bits, seed), 0);
	ASSERT_EQ(tls_rsa_key_init(&nk, &k.sk), 0);
	EXPECT_TRUE(nk.ready);
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		for (size_t j = 0; j < sizeof(hash); j++)
			hash[j] = (unsigned char)(i * 31 + j * 7 + bits);
		memset(a, 0xEE, sizeof(a));
		memset(b, 0xDD, sizeof(b));
		ASSERT_EQ(tls_rsa_pkcs1_sign(h[i].oid, hash, h[i].hlen, &nk.sk, a), 1);
		ASSERT_EQ(br_rsa_i31_pkcs1_sign(h[i].oid, hash, h[i].hlen, &k.sk, b), 1);
		EXPECT_EQ(memcmp(a, b, len), 0);
		ASSERT_EQ(br_rsa_i31_pkcs1_vrfy(a, len, h[i].oid, h[i].hlen, &k.pk, out), 1);
		EXPECT_EQ(memcmp(out, hash, h[i].hlen), 0);
	}
	tls_rsa_key_clear(&nk);
}

TEST_TIMEOUT(signatures_equal_bearssls_2048, 120)
{
	same_as_bearssl(_metadata, 2048, "rsa-2048");
}

TEST_TIMEOUT(signatures_equal_bearssls_1024_and_odd_sizes, 120)
{
	same_as_bearssl(_metadata, 1024, "rsa-1024");
	same_as_bearssl(_metadata, 1536, "rsa-1536");
	same_as_bearssl(_metadata, 1023, "rsa-1023");	/* n not a whole number of bytes */
}

TEST_TIMEOUT(a_faulty_key_gives_no_signature, 60)
{
	static struct key k;
	struct tls_rsa_key nk;
	unsigned char hash[32] = { 1, 2, 3 }, sig[128];

	ASSERT_EQ(make_key(&k, 1024, "rsa-fault"), 0);
	k.priv[k.sk.iq - k.priv + k.sk.iqlen - 1] ^= 0x10;	/* q^-1 mod p no more */
	ASSERT_EQ(tls_rsa_key_init(&nk, &k.sk), 0);
	EXPECT_EQ(tls_rsa_pkcs1_sign(oid_sha256, hash, sizeof(hash), &nk.sk, sig), 0);
	tls_rsa_key_clear(&nk);
}

TEST_TIMEOUT(a_key_nettle_refuses_is_signed_by_bearssl, 60)
{
	static struct key k;
	struct tls_rsa_key nk;
	unsigned char hash[32] = { 4, 5, 6 }, a[128], b[128];
	static unsigned char zero[1];
	br_rsa_private_key bad;

	ASSERT_EQ(make_key(&k, 1024, "rsa-refused"), 0);
	/* no public exponent can be derived from dp = 0 */
	bad = k.sk;
	bad.dp = zero;
	bad.dplen = 1;
	EXPECT_EQ(tls_rsa_key_init(&nk, &bad), -EINVAL);
	EXPECT_FALSE(nk.ready);
	tls_rsa_key_clear(&nk);
	/* the fallback: BearSSL's signer, same result as calling it */
	ASSERT_EQ(tls_rsa_key_init(&nk, &k.sk), 0);
	nk.ready = false;
	ASSERT_EQ(tls_rsa_pkcs1_sign(oid_sha256, hash, sizeof(hash), &nk.sk, a), 1);
	ASSERT_EQ(br_rsa_i31_pkcs1_sign(oid_sha256, hash, sizeof(hash), &k.sk, b), 1);
	EXPECT_EQ(memcmp(a, b, sizeof(a)), 0);
	tls_rsa_key_clear(&nk);
}

/* A 1024-bit test key made by `openssl genpkey` (PKCS#1 DER), for this test
 * only: its p is 1 mod 4, so BearSSL's br_rsa_*_compute_pubexp() gives 0 for it. */
static const unsigned char openssl_key[] = {
	0x30, 0x82, 0x02, 0x5c, 0x02, 0x01, 0x00, 0x02, 0x81, 0x81, 0x00, 0xb9,
	0x7a, 0xc2, 0x61, 0x22, 0x19, 0x18, 0x29, 0x65, 0x7e, 0xa0, 0xb9, 0xe1,
	0x7d, 0x08, 0xa8, 0x32, 0x18, 0x5c, 0x19, 0xe5, 0x76, 0xc7, 0xfe, 0x7d,
	0xf6, 0x3d, 0xe2, 0x90, 0xa9, 0x07, 0x76, 0x05, 0x2e, 0x24, 0x79, 0x00,
	0x7c, 0xf4, 0x1d, 0xb9, 0x4c, 0xa4, 0x8a, 0x6b, 0x73, 0xad, 0x9f, 0x5e,
	0xcf, 0x44, 0x57, 0xf7, 0x59, 0x7e, 0x70, 0xc4, 0xf6, 0x17, 0xf3, 0x26,
	0x64, 0x34, 0x3a, 0x50, 0x5e, 0x1f, 0x77, 0x69, 0xad, 0x2b, 0x95, 0x60,
	0x91, 0x66, 0x34, 0x10, 0x03, 0x0f, 0x02, 0x0d, 0x19, 0xc4, 0xd5, 0x17,
	0x57, 0xea, 0xc4, 0x2a, 0x2a, 0x65, 0xf5, 0xa1, 0xb8, 0xe7, 0x89, 0x21,
	0x09, 0x84, 0xe3, 0x4f, 0x97, 0xfb, 0x69, 0x30, 0x68, 0x58, 0xd1, 0xd7,
	0xb0, 0x64, 0x56, 0x9b, 0xaf, 0x29, 0xec, 0x5d, 0x40, 0x0e, 0xd4, 0x8d,
	0x7d, 0x51, 0x93, 0x30, 0x23, 0x4c, 0xd3, 0x02, 0x03, 0x01, 0x00, 0x01,
	0x02, 0x81, 0x80, 0x33, 0xc9, 0x3c, 0xa0, 0x56, 0x1e, 0xdf, 0x8a, 0x1f,
	0x56, 0x5d, 0x95, 0xc8, 0x89, 0x5a, 0x73, 0x6b, 0x99, 0x35, 0x8d, 0xdd,
	0x6d, 0x6e, 0xa5, 0x75, 0x91, 0xdc, 0xf1, 0x77, 0x26, 0x5a, 0x78, 0xef,
	0x35, 0x54, 0xe5, 0x9b, 0xe7, 0x47, 0x59, 0x4d, 0x35, 0x42, 0xf3, 0x8a,
	0xd0, 0xbf, 0x77, 0x31, 0xc7, 0x78, 0xf3, 0x7e, 0x92, 0x34, 0x25, 0x54,
	0x38, 0xc9, 0xb3, 0x0f, 0xd3, 0x06, 0x69, 0x8f, 0x83, 0x54, 0xd6, 0x60,
	0x6d, 0xce, 0x76, 0x36, 0x29, 0xde, 0x6b, 0x85, 0x93, 0xcd, 0xc1, 0xc8,
	0xfa, 0x73, 0xcd, 0x97, 0xfb, 0xbd, 0x33, 0x28, 0xe7, 0x4f, 0x7a, 0xd0,
	0x84, 0xad, 0x98, 0x6a, 0xb9, 0x81, 0x8a, 0x6f, 0xe7, 0x4b, 0x14, 0x6c,
	0x53, 0x47, 0x4d, 0xb9, 0x5b, 0x31, 0x50, 0xfb, 0x74, 0x46, 0x58, 0x39,
	0x9b, 0xac, 0x83, 0x90, 0x51, 0x9a, 0x0b, 0x70, 0x36, 0xa9, 0x61, 0x02,
	0x41, 0x00, 0xed, 0xff, 0xbc, 0xf9, 0x21, 0x9e, 0x4b, 0xfb, 0x47, 0xf5,
	0x40, 0xea, 0xaf, 0x86, 0xcb, 0x44, 0x77, 0x72, 0x04, 0x65, 0xc1, 0x57,
	0x87, 0x96, 0x90, 0x1c, 0x9f, 0x82, 0x43, 0xca, 0x3e, 0x25, 0x86, 0x48,
	0xa8, 0xac, 0x70, 0x76, 0x6f, 0x62, 0x3c, 0xe5, 0x76, 0xbf, 0xea, 0x99,
	0x4d, 0xc0, 0xe0, 0x79, 0x07, 0x29, 0xa6, 0x96, 0x09, 0x5f, 0x09, 0x95,
	0xc4, 0xb4, 0x0c, 0x10, 0xb2, 0x8b, 0x02, 0x41, 0x00, 0xc7, 0x82, 0x1c,
	0xa0, 0xd9, 0x38, 0xd5, 0x31, 0x53, 0x65, 0xb6, 0xcc, 0x22, 0x11, 0x9c,
	0x0e, 0x13, 0x82, 0xea, 0xe1, 0xb9, 0xe0, 0x31, 0x46, 0x6b, 0x6e, 0x38,
	0x95, 0x8f, 0x5a, 0xaa, 0xe2, 0x7e, 0xa9, 0x4b, 0xdc, 0x31, 0x3b, 0x4d,
	0xcd, 0x09, 0xd8, 0x2c, 0xcb, 0x35, 0x5a, 0x51, 0x50, 0xa2, 0x8a, 0xdd,
	0x9c, 0xb0, 0x0f, 0xdf, 0x06, 0x06, 0xc8, 0xc4, 0x10, 0x62, 0x5b, 0x7f,
	0xd9, 0x02, 0x41, 0x00, 0xda, 0xee, 0x0b, 0x69, 0xa9, 0x11, 0x32, 0x97,
	0xde, 0x23, 0xaf, 0x29, 0xb3, 0x79, 0x6d, 0x76, 0x77, 0xe1, 0xfc, 0x45,
	0x96, 0x4a, 0xec, 0x41, 0x06, 0x24, 0x2e, 0x5e, 0xe7, 0xf9, 0x1c, 0x9d,
	0xec, 0x1e, 0xde, 0x7a, 0x71, 0xa1, 0xa0, 0xe8, 0x5f, 0x58, 0x3d, 0x9a,
	0x61, 0x35, 0xd0, 0x9e, 0x82, 0x5f, 0x12, 0xc5, 0xaf, 0xa6, 0x08, 0xcc,
	0xd1, 0xc6, 0x61, 0x81, 0xb6, 0x2f, 0x8d, 0xed, 0x02, 0x40, 0x76, 0x18,
	0xd4, 0xed, 0x79, 0xe8, 0x24, 0x7a, 0xe0, 0x4d, 0x13, 0x59, 0xde, 0xc8,
	0xe1, 0xc1, 0x8b, 0x57, 0x31, 0xc6, 0x90, 0x8a, 0xdf, 0x60, 0x39, 0xf3,
	0xb2, 0xd7, 0x05, 0x56, 0xbc, 0x54, 0xfa, 0x79, 0x28, 0x88, 0x9d, 0x33,
	0xe7, 0xa7, 0xf9, 0xad, 0xd7, 0x46, 0x2a, 0xbc, 0xdd, 0xe9, 0x87, 0x6e,
	0x00, 0x24, 0xe2, 0x2b, 0x62, 0xef, 0x64, 0x50, 0xaf, 0x8e, 0xab, 0x4a,
	0x52, 0x71, 0x02, 0x40, 0x01, 0xe4, 0x06, 0x8b, 0xd8, 0xda, 0xf6, 0x94,
	0x8f, 0x2d, 0xff, 0xfd, 0xf3, 0x69, 0x26, 0xa3, 0xe4, 0x36, 0x8b, 0x15,
	0x8e, 0x8d, 0xd1, 0x0d, 0x02, 0xc4, 0x21, 0x2c, 0x6f, 0xff, 0x11, 0xbc,
	0x38, 0xe6, 0xc5, 0x4f, 0xfc, 0x56, 0xa8, 0x58, 0x24, 0xea, 0xba, 0x9a,
	0x66, 0x7d, 0x5d, 0xfb, 0x03, 0x64, 0x8d, 0xf1, 0xbb, 0x5c, 0xff, 0x0f,
	0xda, 0x25, 0x36, 0x07, 0x81, 0x01, 0x4a, 0x00
};

/* Keys from OpenSSL: p and q are not always 3 mod 4, and then BearSSL
 * cannot say the public exponent; the signer must still take the key
 * (not fall back to BearSSL's slower code) and sign like BearSSL. */
TEST_TIMEOUT(a_key_from_openssl_is_signed_by_nettle, 60)
{
	br_skey_decoder_context kc;
	const br_rsa_private_key *sk;
	br_rsa_public_key pk;
	struct tls_rsa_key nk;
	unsigned char n[128], hash[32] = { 7, 8, 9 }, a[128], b[128], out[32];
	uint32_t e = 65537;
	unsigned char eb[3] = { (unsigned char)(e >> 16), (unsigned char)(e >> 8), (unsigned char)e };

	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, openssl_key, sizeof(openssl_key));
	ASSERT_EQ(br_skey_decoder_last_error(&kc), 0);
	sk = br_skey_decoder_get_rsa(&kc);
	ASSERT_NE(sk, NULL);
	EXPECT_EQ(br_rsa_compute_pubexp_get_default()(sk), 0);	/* what made it fall back */
	ASSERT_EQ(tls_rsa_key_init(&nk, sk), 0);
	EXPECT_TRUE(nk.ready);
	EXPECT_EQ(mpz_cmp_ui(nk.pub.e, e), 0);
	ASSERT_EQ(tls_rsa_pkcs1_sign(oid_sha256, hash, sizeof(hash), &nk.sk, a), 1);
	ASSERT_EQ(tls_rsa_blind_batches(&nk), 1);	/* Nettle's path, not BearSSL's */
	ASSERT_EQ(br_rsa_i31_pkcs1_sign(oid_sha256, hash, sizeof(hash), sk, b), 1);
	EXPECT_EQ(memcmp(a, b, sizeof(a)), 0);
	ASSERT_EQ(br_rsa_compute_modulus_get_default()(n, sk), sizeof(n));
	pk = (br_rsa_public_key){ .n = n, .nlen = sizeof(n), .e = eb, .elen = sizeof(eb) };
	ASSERT_EQ(br_rsa_i31_pkcs1_vrfy(a, sizeof(a), oid_sha256, sizeof(hash), &pk, out), 1);
	EXPECT_EQ(memcmp(out, hash, sizeof(hash)), 0);
	tls_rsa_key_clear(&nk);
}

/* The exponent found from p and dp must fit q and dq too: a key with a
 * damaged dq is refused (BearSSL's signer, the fallback, checks each
 * signature against nothing; Nettle's would refuse every one). */
TEST_TIMEOUT(a_key_whose_dq_does_not_fit_is_refused, 60)
{
	br_skey_decoder_context kc;
	br_rsa_private_key bad;
	struct tls_rsa_key nk;
	unsigned char dq[128];

	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, openssl_key, sizeof(openssl_key));
	ASSERT_EQ(br_skey_decoder_last_error(&kc), 0);
	bad = *br_skey_decoder_get_rsa(&kc);
	ASSERT_LE(bad.dqlen, sizeof(dq));
	memcpy(dq, bad.dq, bad.dqlen);
	dq[bad.dqlen - 1] ^= 0x02;
	bad.dq = dq;
	EXPECT_EQ(tls_rsa_key_init(&nk, &bad), -EINVAL);
	EXPECT_FALSE(nk.ready);
	tls_rsa_key_clear(&nk);
}

TEST_TIMEOUT(signatures_across_blinding_batches, 120)
{
	static struct key k;
	struct tls_rsa_key nk;
	unsigned char hash[32], a[256], b[256];
	const int n = 3 * TLS_RSA_BLIND_BATCH + 1;

	ASSERT_EQ(make_key(&k, 2048, "rsa-batches"), 0);
	ASSERT_EQ(tls_rsa_key_init(&nk, &k.sk), 0);
	EXPECT_EQ(tls_rsa_blind_batches(&nk), 0u);	/* made on first use */
	for (int i = 0; i < n; i++) {
		memset(hash, i, sizeof(hash));
		ASSERT_EQ(tls_rsa_pkcs1_sign(oid_sha256, hash, sizeof(hash), &nk.sk, a), 1);
		ASSERT_EQ(br_rsa_i31_pkcs1_sign(oid_sha256, hash, sizeof(hash), &k.sk, b), 1);
		ASSERT_EQ(memcmp(a, b, sizeof(a)), 0);
	}
	/* one inversion per TLS_RSA_BLIND_BATCH signatures, each pair once */
	EXPECT_EQ(tls_rsa_blind_batches(&nk), 4u);
	tls_rsa_key_clear(&nk);
}

#define SIGNERS 4
#define PER_SIGNER 24

struct signer {
	struct tls_rsa_key *nk;
	const struct key *k;
	int id, bad;
};

static void *sign_many(void *arg)
{
	struct signer *s = arg;
	unsigned char hash[32], a[256], b[256];

	for (int i = 0; i < PER_SIGNER; i++) {
		memset(hash, s->id * PER_SIGNER + i, sizeof(hash));
		if (tls_rsa_pkcs1_sign(oid_sha256, hash, sizeof(hash), &s->nk->sk, a) != 1 ||
		    br_rsa_i31_pkcs1_sign(oid_sha256, hash, sizeof(hash), &s->k->sk, b) != 1 ||
		    memcmp(a, b, sizeof(a)))
			s->bad++;
	}
	return NULL;
}

TEST_TIMEOUT(threads_share_the_blinding_pool, 180)
{
	static struct key k;
	struct tls_rsa_key nk;
	struct signer s[SIGNERS];
	pthread_t th[SIGNERS];

	ASSERT_EQ(make_key(&k, 2048, "rsa-threads"), 0);
	ASSERT_EQ(tls_rsa_key_init(&nk, &k.sk), 0);
	for (int i = 0; i < SIGNERS; i++) {
		s[i] = (struct signer){ .nk = &nk, .k = &k, .id = i };
		ASSERT_EQ(pthread_create(&th[i], NULL, sign_many, &s[i]), 0);
	}
	for (int i = 0; i < SIGNERS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(s[i].bad, 0);
	}
	/* no pair lost or handed out twice under contention */
	EXPECT_EQ(tls_rsa_blind_batches(&nk),
		  (uint64_t)((SIGNERS * PER_SIGNER + TLS_RSA_BLIND_BATCH - 1) / TLS_RSA_BLIND_BATCH));
	tls_rsa_key_clear(&nk);
}

TEST_HARNESS_MAIN
