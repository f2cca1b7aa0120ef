// SPDX-License-Identifier: GPL-2.0-only
/*
 * rsa_nettle.c - RSA PKCS#1 v1.5 signing for BearSSL by Nettle.
 *
 * Implementation notes.
 *
 * BearSSL's private key has p, q, d mod (p-1), d mod (q-1) and q^-1 mod p:
 * Nettle's a, b and c. Nettle also wants the public key, to check each
 * signature before it leaves (a fault in the CRT computation would
 * otherwise reveal a factor); n and e are computed from the private key
 * with BearSSL's own helpers, once, at load.
 *
 * The key lives in GMP mpz_t values, as Nettle's API takes it. That is
 * storage only: rsa_compute_root_tr() blinds the input with a random r,
 * computes the root with mpn_sec_powm, mpn_sec_mul and mpn_sec_div_r on
 * the key's limbs (fixed sizes, no branch or index on secret data) and
 * unblinds. Converting the key into mpz (mpz_import, variable time) is
 * done once per key file, never in reach of a peer. The padded message
 * and the signature are public.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "rsa_nettle.h"

#define RSA_MAX_BYTES 1024	/* 8192-bit keys; larger go to BearSSL */

static void set_mpz(mpz_t z, const unsigned char *b, size_t len)
{
	mpz_import(z, len, 1, 1, 1, 0, b);
}

int tls_rsa_key_init(struct tls_rsa_key *k, const br_rsa_private_key *sk)
{
	br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
	br_rsa_compute_pubexp pubexp = br_rsa_compute_pubexp_get_default();
	unsigned char n[RSA_MAX_BYTES];
	size_t nlen;
	uint32_t e;

	memset(k, 0, sizeof(*k));
	k->sk = *sk;
	nlen = modulus(NULL, sk);
	e = pubexp(sk);
	if (!nlen || nlen > sizeof(n) || !e || modulus(n, sk) != nlen)
		return -EINVAL;
	rsa_public_key_init(&k->pub);
	rsa_private_key_init(&k->priv);
	k->inited = true;
	set_mpz(k->pub.n, n, nlen);
	mpz_set_ui(k->pub.e, e);
	set_mpz(k->priv.p, sk->p, sk->plen);
	set_mpz(k->priv.q, sk->q, sk->qlen);
	set_mpz(k->priv.a, sk->dp, sk->dplen);
	set_mpz(k->priv.b, sk->dq, sk->dqlen);
	set_mpz(k->priv.c, sk->iq, sk->iqlen);
	/* d is not used by the CRT computation and stays 0 */
	if (!rsa_public_key_prepare(&k->pub) || !rsa_private_key_prepare(&k->priv) ||
	    k->pub.size != k->priv.size) {
		tls_rsa_key_clear(k);
		k->sk = *sk;
		return -EINVAL;
	}
	k->ready = true;
	return 0;
}

/* Overwrites an mpz's limbs before GMP frees them. */
static void mpz_wipe_clear(mpz_t z)
{
	size_t n = mpz_size(z);

	if (n)
		explicit_bzero(mpz_limbs_modify(z, (mp_size_t)n), n * sizeof(mp_limb_t));
	mpz_clear(z);
}

void tls_rsa_key_clear(struct tls_rsa_key *k)
{
	if (k->inited) {
		rsa_public_key_clear(&k->pub);
		mpz_wipe_clear(k->priv.p);
		mpz_wipe_clear(k->priv.q);
		mpz_wipe_clear(k->priv.a);
		mpz_wipe_clear(k->priv.b);
		mpz_wipe_clear(k->priv.c);
		mpz_clear(k->priv.d);
	}
	explicit_bzero(k, sizeof(*k));
}

struct rnd {
	bool failed;
};

/* Randomness for the blinding factor. Nettle's callback cannot fail: a
 * failure is noted and the signature thrown away. */
static void blinding_random(void *ctx, size_t len, uint8_t *dst)
{
	struct rnd *r = ctx;

	while (len) {
		ssize_t n = getrandom(dst, len, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			r->failed = true;
			memset(dst, 0, len);
			return;
		}
		dst += n;
		len -= (size_t)n;
	}
}

/* EMSA-PKCS1-v1_5 encoding into x (xlen bytes), as BearSSL's pads it:
 * 00 01 FF..FF 00 DigestInfo, or the bare hash without hash_oid (TLS 1.0
 * style MD5+SHA-1). hash_oid: length byte, then the OID. 0 if too long. */
static int pkcs1_pad(unsigned char *x, size_t xlen, const unsigned char *hash_oid, const unsigned char *hash,
		     size_t hash_len)
{
	size_t tlen = hash_oid ? (size_t)hash_oid[0] + hash_len + 10 : hash_len;
	size_t u;

	if (xlen < tlen + 11)
		return 0;
	x[0] = 0x00;
	x[1] = 0x01;
	u = xlen - tlen;
	memset(x + 2, 0xFF, u - 3);
	x[u - 1] = 0x00;
	if (hash_oid) {
		size_t olen = hash_oid[0];

		x[u++] = 0x30;
		x[u++] = (unsigned char)(olen + hash_len + 8);
		x[u++] = 0x30;
		x[u++] = (unsigned char)(olen + 4);
		x[u++] = 0x06;
		memcpy(x + u, hash_oid, olen + 1);
		u += olen + 1;
		x[u++] = 0x05;
		x[u++] = 0x00;
		x[u++] = 0x04;
		x[u++] = (unsigned char)hash_len;
	}
	memcpy(x + u, hash, hash_len);
	return 1;
}

uint32_t tls_rsa_pkcs1_sign(const unsigned char *hash_oid, const unsigned char *hash, size_t hash_len,
			    const br_rsa_private_key *sk, unsigned char *x)
{
	/* sk is the first member of a struct tls_rsa_key (header contract) */
	const struct tls_rsa_key *k = (const struct tls_rsa_key *)(const void *)sk;
	size_t xlen = (sk->n_bitlen + 7) / 8, slen;
	struct rnd rnd = { false };
	mpz_t m, s;
	int ok;

	if (!k->ready || xlen != k->pub.size)
		return br_rsa_pkcs1_sign_get_default()(hash_oid, hash, hash_len, sk, x);
	if (!pkcs1_pad(x, xlen, hash_oid, hash, hash_len))
		return 0;
	mpz_init(m);
	mpz_init(s);
	set_mpz(m, x, xlen);
	ok = rsa_compute_root_tr(&k->pub, &k->priv, &rnd, blinding_random, s, m) && !rnd.failed;
	if (ok) {
		slen = (mpz_sizeinbase(s, 2) + 7) / 8;
		ok = slen <= xlen;
	}
	if (ok) {
		memset(x, 0, xlen);
		mpz_export(x + xlen - slen, NULL, 1, 1, 1, 0, s);
	}
	mpz_clear(m);
	mpz_clear(s);
	return ok ? 1 : 0;
}
