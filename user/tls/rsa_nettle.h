/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rsa_nettle.h - RSA PKCS#1 v1.5 signatures for BearSSL, computed by
 * Nettle and GMP (side-channel silent mpn_sec_* functions, blinded with a
 * fresh random r per signature, the pairs (r^e, r^-1) made in batches),
 * 2.4 to 3 times as fast as Debian's BearSSL 0.6 i62 code here.
 * What is constant time: docs/tls-trust.md.
 */
#ifndef EDGESTEER_TLS_RSA_NETTLE_H
#define EDGESTEER_TLS_RSA_NETTLE_H

#include <bearssl.h>
#include <nettle/rsa.h>
#include <stdbool.h>
#include <stdint.h>

struct tls_rsa_blind;

/* Blinding pairs (r^e, r^-1) made per modular inversion. */
#define TLS_RSA_BLIND_BATCH 16

/* BearSSL sees `sk` (the signing hook gets a pointer to it); Nettle's
 * form of the same key is made once, at load. */
struct tls_rsa_key {
	br_rsa_private_key sk;
	bool inited;			/* pub and priv hold GMP memory */
	bool ready;			/* pub and priv set */
	struct rsa_public_key pub;	/* n, e: Nettle checks each result */
	struct rsa_private_key priv;
	/* unused blinding pairs, shared by the threads signing with the
	 * key (own lock); NULL unless ready */
	struct tls_rsa_blind *blind;
};

/* Points k->sk at `sk`'s bytes (not copied: they must outlive k) and
 * prepares Nettle's key. -EINVAL: Nettle refuses the key (then sign
 * falls back to BearSSL's i62/i31 code); -ENOMEM. */
int tls_rsa_key_init(struct tls_rsa_key *k, const br_rsa_private_key *sk);
void tls_rsa_key_clear(struct tls_rsa_key *k);

/* How many batches of blinding pairs the key has made (for tests). */
uint64_t tls_rsa_blind_batches(const struct tls_rsa_key *k);

/*
 * A br_rsa_pkcs1_sign: the signature over hash (DigestInfo with hash_oid,
 * or the bare hash when hash_oid is NULL) into x, (n_bitlen + 7) / 8
 * bytes. `sk` must be the `sk` member of a struct tls_rsa_key. Returns 1,
 * or 0 on failure (x then holds no signature). Thread-safe.
 */
uint32_t tls_rsa_pkcs1_sign(const unsigned char *hash_oid, const unsigned char *hash, size_t hash_len,
			    const br_rsa_private_key *sk, unsigned char *x);

#endif
