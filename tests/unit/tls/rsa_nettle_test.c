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
 * wrong signature), and every pair must be used exactly once.
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
