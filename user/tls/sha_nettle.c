// SPDX-License-Identifier: GPL-2.0-only
/*
 * sha_nettle.c - SHA-224/SHA-256 for BearSSL by Nettle.
 *
 * Implementation notes.
 *
 * A br_hash_class is init/update/out plus state()/set_state(), which
 * BearSSL's multi-hasher (the handshake transcript) and HMAC (the PRF,
 * HMAC-DRBG) use to save and restore the chaining value at a block
 * boundary: the eight 32-bit words big-endian, and the byte count.
 * Nettle's struct sha256_ctx is public: state[8] in native words, a
 * count of whole blocks, and the partial block. out() must leave the
 * context usable (BearSSL's contract; Nettle's digest resets it), so it
 * finishes a copy. Copies that may hold HMAC key state are wiped.
 * SHA-2 has no secret-dependent branch or table index in either library.
 */
#include <string.h>

#include <nettle/sha2.h>

#include "sha_nettle.h"

struct nsha {
	const br_hash_class *vtable;
	struct sha256_ctx c;
};

_Static_assert(sizeof(struct nsha) <= sizeof(br_hash_compat_context),
	       "BearSSL keeps hash contexts in a br_hash_compat_context");

static void enc32be(unsigned char *d, uint32_t x)
{
	d[0] = (unsigned char)(x >> 24);
	d[1] = (unsigned char)(x >> 16);
	d[2] = (unsigned char)(x >> 8);
	d[3] = (unsigned char)x;
}

static uint32_t dec32be(const unsigned char *s)
{
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

static void sha224_init_(const br_hash_class **ctx)
{
	struct nsha *h = (struct nsha *)(void *)ctx;

	h->vtable = &tls_sha224_nettle;
	sha224_init(&h->c);
}

static void sha256_init_(const br_hash_class **ctx)
{
	struct nsha *h = (struct nsha *)(void *)ctx;

	h->vtable = &tls_sha256_nettle;
	sha256_init(&h->c);
}

static void nsha_update(const br_hash_class **ctx, const void *data, size_t len)
{
	struct nsha *h = (struct nsha *)(void *)ctx;

	sha256_update(&h->c, len, data);
}

static void sha224_out_(const br_hash_class *const *ctx, void *dst)
{
	const struct nsha *h = (const struct nsha *)(const void *)ctx;
	struct sha256_ctx c = h->c;

	sha224_digest(&c, SHA224_DIGEST_SIZE, dst);
	explicit_bzero(&c, sizeof(c));
}

static void sha256_out_(const br_hash_class *const *ctx, void *dst)
{
	const struct nsha *h = (const struct nsha *)(const void *)ctx;
	struct sha256_ctx c = h->c;

	sha256_digest(&c, SHA256_DIGEST_SIZE, dst);
	explicit_bzero(&c, sizeof(c));
}

static uint64_t nsha_state(const br_hash_class *const *ctx, void *dst)
{
	const struct nsha *h = (const struct nsha *)(const void *)ctx;
	unsigned char *d = dst;

	for (int i = 0; i < 8; i++)
		enc32be(d + 4 * i, h->c.state[i]);
	return h->c.count * SHA256_BLOCK_SIZE + h->c.index;
}

/* count is a multiple of the block size (BearSSL's contract) */
static void nsha_set_state(const br_hash_class **ctx, const void *stb, uint64_t count)
{
	struct nsha *h = (struct nsha *)(void *)ctx;
	const unsigned char *s = stb;

	for (int i = 0; i < 8; i++)
		h->c.state[i] = dec32be(s + 4 * i);
	h->c.count = count / SHA256_BLOCK_SIZE;
	h->c.index = 0;
}

const br_hash_class tls_sha224_nettle = {
	.context_size = sizeof(struct nsha),
	.desc = BR_HASHDESC_ID(br_sha224_ID) | BR_HASHDESC_OUT(28) | BR_HASHDESC_STATE(32) |
		BR_HASHDESC_LBLEN(6) | BR_HASHDESC_MD_PADDING | BR_HASHDESC_MD_PADDING_BE,
	.init = sha224_init_,
	.update = nsha_update,
	.out = sha224_out_,
	.state = nsha_state,
	.set_state = nsha_set_state,
};

const br_hash_class tls_sha256_nettle = {
	.context_size = sizeof(struct nsha),
	.desc = BR_HASHDESC_ID(br_sha256_ID) | BR_HASHDESC_OUT(32) | BR_HASHDESC_STATE(32) |
		BR_HASHDESC_LBLEN(6) | BR_HASHDESC_MD_PADDING | BR_HASHDESC_MD_PADDING_BE,
	.init = sha256_init_,
	.update = nsha_update,
	.out = sha256_out_,
	.state = nsha_state,
	.set_state = nsha_set_state,
};

/*
 * RFC 5246 section 5: P_SHA256(secret, label || seed) =
 * HMAC(secret, A(1) || label || seed) || HMAC(secret, A(2) || ...), with
 * A(0) = label || seed and A(i) = HMAC(secret, A(i-1)).
 */
void tls_sha256_prf(void *dst, size_t len, const void *secret, size_t secret_len, const char *label,
		    size_t seed_num, const br_tls_prf_seed_chunk *seed)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	unsigned char a[32], out[32], *d = dst;
	size_t llen = strlen(label), i;

	br_hmac_key_init(&kc, &tls_sha256_nettle, secret, secret_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, label, llen);
	for (i = 0; i < seed_num; i++)
		br_hmac_update(&hc, seed[i].data, seed[i].len);
	br_hmac_out(&hc, a);
	while (len) {
		size_t n = len < sizeof(out) ? len : sizeof(out);

		br_hmac_init(&hc, &kc, 0);
		br_hmac_update(&hc, a, sizeof(a));
		br_hmac_update(&hc, label, llen);
		for (i = 0; i < seed_num; i++)
			br_hmac_update(&hc, seed[i].data, seed[i].len);
		br_hmac_out(&hc, out);
		memcpy(d, out, n);
		d += n;
		len -= n;
		if (len) {
			br_hmac_init(&hc, &kc, 0);
			br_hmac_update(&hc, a, sizeof(a));
			br_hmac_out(&hc, a);
		}
	}
	explicit_bzero(&kc, sizeof(kc));
	explicit_bzero(&hc, sizeof(hc));
	explicit_bzero(a, sizeof(a));
	explicit_bzero(out, sizeof(out));
}
