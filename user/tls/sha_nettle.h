/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sha_nettle.h - SHA-224/SHA-256 and the TLS 1.2 SHA-256 PRF for BearSSL,
 * computed by Nettle, which uses the CPU's SHA instructions (SHA-NI) when
 * it has them: ~7x faster than BearSSL 0.6's portable code on them.
 * A server engine hashes its handshake transcript, derives its keys
 * (PRF), seeds and draws its random generator (HMAC-DRBG) and hashes what
 * it signs with these. docs/tls-trust.md.
 */
#ifndef EDGESTEER_TLS_SHA_NETTLE_H
#define EDGESTEER_TLS_SHA_NETTLE_H

#include <bearssl.h>

/* br_hash_class implementations, drop-in for br_sha224_vtable and
 * br_sha256_vtable (same ID, sizes, state encoding). */
extern const br_hash_class tls_sha224_nettle;
extern const br_hash_class tls_sha256_nettle;

/* A br_tls_prf_impl: the TLS 1.2 PRF with HMAC over tls_sha256_nettle,
 * the same bytes as br_tls12_sha256_prf. */
void tls_sha256_prf(void *dst, size_t len, const void *secret, size_t secret_len, const char *label,
		    size_t seed_num, const br_tls_prf_seed_chunk *seed);

#endif
