/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec_nettle.h - BearSSL's elliptic-curve hooks backed by Nettle.
 *
 * BearSSL stays the TLS library; only its public-key arithmetic on the
 * two curves every handshake uses is done by Nettle (libhogweed), whose
 * P-256 and Curve25519 code is several times faster than the portable
 * m31/i31 code Debian's BearSSL offers, and as side-channel silent for
 * secret scalars. What is constant time and why: docs/tls-trust.md.
 *
 *   tls_ec_nettle   a br_ec_impl: secp256r1 and curve25519 by Nettle,
 *                   every other curve by br_ec_all_m31, with BearSSL's
 *                   semantics (encodings, clamping, error returns)
 *   tls_ec_key      an EC private key prepared once, at load, for
 *                   tls_ecdsa_sign_asn1 (P-256 keys; other curves are
 *                   signed by BearSSL)
 */
#ifndef EDGESTEER_TLS_EC_NETTLE_H
#define EDGESTEER_TLS_EC_NETTLE_H

#include <bearssl.h>
#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>

extern const br_ec_impl tls_ec_nettle;

#define TLS_EC_LIMBS ((256 + GMP_NUMB_BITS - 1) / GMP_NUMB_BITS)

/* BearSSL sees `sk` (the signing hook gets a pointer to it); `z` is the
 * same secret as Nettle's limbs, set when the key is on P-256. */
struct tls_ec_key {
	br_ec_private_key sk;
	bool p256;
	mp_limb_t z[TLS_EC_LIMBS];
};

/* Points k->sk at `sk`'s bytes (not copied: they must outlive k) and,
 * for a P-256 key, converts it for Nettle. -EINVAL: a P-256 key that is
 * zero or not below the group order. */
int tls_ec_key_init(struct tls_ec_key *k, const br_ec_private_key *sk);
void tls_ec_key_wipe(struct tls_ec_key *k);

/* Random bytes mixed into each ECDSA nonce (RFC 6979 section 3.6). */
#define TLS_ECDSA_EXTRA_MAX 32

/* P-256 ECDSA, raw r || s into raw; the nonce is RFC 6979's with `extra`
 * as its additional data (extra_len 0: deterministic, byte for byte what
 * BearSSL's br_ecdsa_i31_sign_raw gives). 64, or 0 when k is not a
 * P-256 key. tls_ecdsa_sign_asn1 passes 32 fresh random bytes. */
size_t tls_ecdsa_p256_sign_raw(const struct tls_ec_key *k, const br_hash_class *hf, const void *hash_value,
				const void *extra, size_t extra_len, uint8_t raw[64]);

/*
 * A br_ecdsa_sign: signature in ASN.1 DER (what br_ecdsa_sign_asn1
 * writes). `sk` must be the `sk` member of a struct tls_ec_key: P-256
 * keys are signed by Nettle (tls_ecdsa_p256_sign_raw, 32 bytes from
 * getrandom() as the nonce's additional data; none if it fails), others
 * by br_ecdsa_i31_sign_asn1. Returns the signature length, 0 on failure.
 */
size_t tls_ecdsa_sign_asn1(const br_ec_impl *impl, const br_hash_class *hf, const void *hash_value,
			   const br_ec_private_key *sk, void *sig);

#endif
