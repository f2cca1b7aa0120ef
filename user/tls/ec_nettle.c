// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec_nettle.c - P-256 and Curve25519 for BearSSL, computed by Nettle.
 *
 * Implementation notes.
 *
 * Secret scalars (ECDHE private keys, the ECDSA key and nonce) travel as
 * byte strings and fixed-size limb arrays only, converted here without
 * branches or table lookups on their value, and are handed to Nettle's
 * side-channel silent entry points: curve25519_mul/_mul_g (Montgomery
 * ladder, fixed-window Edwards comb), ecc_point_mul/_mul_g (fixed
 * windows, masked table scans) and ecc_ecdsa_sign (limb-level, no mpz),
 * with the nonce of RFC 6979 plus fresh random data (p256_nonce()).
 * GMP's mpz layer (variable time) sees only public values: the peer's
 * point while it is validated, and the operands of the final point
 * addition of muladd(), which BearSSL uses to verify signatures. Results
 * (a shared secret's coordinates) are read from Nettle's limbs directly,
 * never through mpz. Scratch holding secrets is wiped before release.
 *
 * BearSSL's conventions kept: P-256 scalars big-endian, Curve25519
 * scalars little-endian and clamped (RFC 7748, which is what Debian's
 * BearSSL 0.6 implements: checked against br_ec_c25519_m31 by the unit
 * tests), P-256 points uncompressed
 * (0x04 || X || Y), a point that is not on the curve makes mul() and
 * muladd() return 0, the top bit of a Curve25519 u-coordinate ignored.
 * Scalars must be non-zero and below the group order, as BearSSL
 * demands; a P-256 scalar of 32 bytes at or above the order is reduced
 * (one conditional subtraction) and a zero one is refused rather than
 * handed to Nettle, whose formulas do not cover the point at infinity.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/curve25519.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>

#include "ec_nettle.h"
#include "gmp_wipe.h"

#define P256_BYTES 32
#define P256_POINT 65
#define X25519_BYTES 32
#define LIMB_BYTES ((size_t)sizeof(mp_limb_t))

static const uint8_t p256_p[P256_BYTES] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

/* ---- conversions (constant time in the value) -------------------------- */

/* Big-endian bytes (len <= n limbs' worth) into n little-endian limbs. */
static void be_to_limbs(mp_limb_t *r, size_t n, const uint8_t *b, size_t len)
{
	memset(r, 0, n * LIMB_BYTES);
	for (size_t j = 0; j < len; j++)
		r[j / LIMB_BYTES] |= (mp_limb_t)b[len - 1 - j] << (8 * (j % LIMB_BYTES));
}

static void limbs_to_be(uint8_t *b, size_t len, const mp_limb_t *r)
{
	for (size_t j = 0; j < len; j++)
		b[len - 1 - j] = (uint8_t)(r[j / LIMB_BYTES] >> (8 * (j % LIMB_BYTES)));
}

static int limbs_zero(const mp_limb_t *r, size_t n)
{
	mp_limb_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= r[i];
	return acc == 0;
}

static void wipe(void *p, size_t len)
{
	explicit_bzero(p, len);
}

static void p256_order(mp_limb_t q[TLS_EC_LIMBS])
{
	size_t len;
	const unsigned char *o = br_ec_p256_m31.order(BR_EC_secp256r1, &len);

	be_to_limbs(q, TLS_EC_LIMBS, o, len);
}

/*
 * A P-256 scalar from BearSSL's big-endian bytes into limbs, reduced
 * below the order (32 bytes are < 2q: one conditional subtraction, by
 * GMP's side-channel silent mpn_cnd_sub_n). Leading zero bytes beyond 32
 * are allowed. -EINVAL: longer than 32 significant bytes, or zero.
 */
static int p256_scalar(mp_limb_t z[TLS_EC_LIMBS], const uint8_t *x, size_t xlen)
{
	mp_limb_t q[TLS_EC_LIMBS], t[TLS_EC_LIMBS];
	uint8_t high = 0;
	mp_limb_t borrow;

	for (; xlen > P256_BYTES; xlen--, x++)
		high |= *x;
	if (high)
		return -EINVAL;
	be_to_limbs(z, TLS_EC_LIMBS, x, xlen);
	p256_order(q);
	borrow = mpn_sub_n(t, z, q, TLS_EC_LIMBS);
	mpn_cnd_sub_n(borrow ^ 1, z, z, q, TLS_EC_LIMBS);
	wipe(t, sizeof(t));
	return limbs_zero(z, TLS_EC_LIMBS) ? -EINVAL : 0;
}

/* ---- P-256 -------------------------------------------------------------- */

static const struct ecc_curve *p256(void)
{
	return nettle_get_secp_256r1();
}

/* Decodes and validates a public point (0x04 || X || Y, X and Y < p, on
 * the curve; P-256 has cofactor 1, so that is the whole subgroup check).
 * mpz is fine here: the point is public. 0 when invalid. */
static int p256_point_set(struct ecc_point *P, const uint8_t *enc, size_t len)
{
	mpz_t x, y;
	int ok;

	if (len != P256_POINT || enc[0] != 0x04)
		return 0;
	mpz_init(x);
	mpz_init(y);
	mpz_import(x, P256_BYTES, 1, 1, 1, 0, enc + 1);
	mpz_import(y, P256_BYTES, 1, 1, 1, 0, enc + 1 + P256_BYTES);
	ok = ecc_point_set(P, x, y);	/* checks x, y < p and the equation */
	mpz_clear(x);
	mpz_clear(y);
	return ok;
}

static void p256_point_encode(uint8_t *out, const struct ecc_point *R)
{
	out[0] = 0x04;
	limbs_to_be(out + 1, P256_BYTES, R->p);
	limbs_to_be(out + 1 + P256_BYTES, P256_BYTES, R->p + ecc_size(R->ecc));
}

static void point_wipe_clear(struct ecc_point *P)
{
	wipe(P->p, 2 * ecc_size(P->ecc) * LIMB_BYTES);
	ecc_point_clear(P);
}

static void scalar_wipe_clear(struct ecc_scalar *s)
{
	wipe(s->p, ecc_size(s->ecc) * LIMB_BYTES);
	ecc_scalar_clear(s);
}

/* R = x*P (P NULL: the generator). R must be initialised; 0 if x is out
 * of range. */
static int p256_mul_into(struct ecc_point *R, const struct ecc_point *P, const uint8_t *x, size_t xlen)
{
	struct ecc_scalar n;
	int ok;

	ecc_scalar_init(&n, p256());
	ok = p256_scalar(n.p, x, xlen) == 0;
	if (ok) {
		if (P)
			ecc_point_mul(R, &n, P);
		else
			ecc_point_mul_g(R, &n);
	}
	scalar_wipe_clear(&n);
	return ok;
}

static uint32_t p256_mul(uint8_t *G, size_t Glen, const uint8_t *x, size_t xlen)
{
	struct ecc_point P, R;
	int ok;

	ecc_point_init(&P, p256());
	ecc_point_init(&R, p256());
	ok = p256_point_set(&P, G, Glen) && p256_mul_into(&R, &P, x, xlen);
	if (ok)
		p256_point_encode(G, &R);
	point_wipe_clear(&R);
	ecc_point_clear(&P);
	return ok;
}

static size_t p256_mulgen(uint8_t *out, const uint8_t *x, size_t xlen)
{
	struct ecc_point R;
	int ok;

	ecc_point_init(&R, p256());
	ok = p256_mul_into(&R, NULL, x, xlen);
	if (ok)
		p256_point_encode(out, &R);
	point_wipe_clear(&R);
	return ok ? P256_POINT : 0;
}

/* A public value below p into 32 big-endian bytes. */
static void mpz_to_be(uint8_t out[P256_BYTES], const mpz_t z)
{
	size_t n = (mpz_sizeinbase(z, 2) + 7) / 8;

	memset(out, 0, P256_BYTES);
	if (mpz_sgn(z))
		mpz_export(out + P256_BYTES - n, NULL, 1, 1, 1, 0, z);
}

/*
 * A = P + Q in affine coordinates with mpz (public values only: muladd
 * serves signature verification). 0 when the sum is the point at
 * infinity (Q = -P).
 */
static int p256_add_public(uint8_t *A, const struct ecc_point *P, const struct ecc_point *Q)
{
	mp_size_t n = ecc_size(P->ecc);
	mpz_t x1, y1, x2, y2, p, l, t, x3, y3;
	int ok = 1;

	mpz_roinit_n(x1, P->p, n);
	mpz_roinit_n(y1, P->p + n, n);
	mpz_roinit_n(x2, Q->p, n);
	mpz_roinit_n(y2, Q->p + n, n);
	mpz_inits(p, l, t, x3, y3, NULL);
	mpz_import(p, P256_BYTES, 1, 1, 1, 0, p256_p);
	if (mpz_cmp(x1, x2) == 0) {
		if (mpz_cmp(y1, y2) != 0 || mpz_sgn(y1) == 0) {
			ok = 0;			/* Q = -P */
			goto out;
		}
		/* doubling: l = (3 x1^2 - 3) / (2 y1) */
		mpz_mul(l, x1, x1);
		mpz_sub_ui(l, l, 1);
		mpz_mul_ui(l, l, 3);
		mpz_mul_2exp(t, y1, 1);
	} else {
		mpz_sub(l, y2, y1);
		mpz_sub(t, x2, x1);
	}
	if (!mpz_invert(t, t, p)) {
		ok = 0;
		goto out;
	}
	mpz_mul(l, l, t);
	mpz_mod(l, l, p);
	mpz_mul(x3, l, l);
	mpz_sub(x3, x3, x1);
	mpz_sub(x3, x3, x2);
	mpz_mod(x3, x3, p);
	mpz_sub(y3, x1, x3);
	mpz_mul(y3, y3, l);
	mpz_sub(y3, y3, y1);
	mpz_mod(y3, y3, p);
	A[0] = 0x04;
	mpz_to_be(A + 1, x3);
	mpz_to_be(A + 1 + P256_BYTES, y3);
out:
	mpz_clears(p, l, t, x3, y3, NULL);
	return ok;
}

static uint32_t p256_muladd(uint8_t *A, const uint8_t *B, size_t len, const uint8_t *x, size_t xlen,
			    const uint8_t *y, size_t ylen)
{
	struct ecc_point PA, PB, RA, RB;
	int ok;

	ecc_point_init(&PA, p256());
	ecc_point_init(&PB, p256());
	ecc_point_init(&RA, p256());
	ecc_point_init(&RB, p256());
	ok = p256_point_set(&PA, A, len) && (!B || p256_point_set(&PB, B, len)) &&
	     p256_mul_into(&RA, &PA, x, xlen) && p256_mul_into(&RB, B ? &PB : NULL, y, ylen) &&
	     p256_add_public(A, &RA, &RB);
	point_wipe_clear(&RA);
	point_wipe_clear(&RB);
	ecc_point_clear(&PA);
	ecc_point_clear(&PB);
	return ok;
}

/* ---- Curve25519 --------------------------------------------------------- */

/* BearSSL's Curve25519 scalar (at most 32 bytes) is little-endian, as in
 * RFC 7748 (unlike its P-256 scalars), zero-padded at the top and
 * clamped; the same clamping as Nettle's, done here so that what Nettle
 * is given is exactly what BearSSL would have used. */
static void x25519_scalar(uint8_t le[X25519_BYTES], const uint8_t *x, size_t xlen)
{
	memcpy(le, x, xlen);
	memset(le + xlen, 0, X25519_BYTES - xlen);
	le[0] &= 0xF8;
	le[31] &= 0x7F;
	le[31] |= 0x40;
}

static uint32_t x25519_mul(uint8_t *G, size_t Glen, const uint8_t *x, size_t xlen)
{
	uint8_t le[X25519_BYTES], out[X25519_BYTES];

	if (Glen != X25519_BYTES || xlen > X25519_BYTES)
		return 0;
	G[31] &= 0x7F;		/* RFC 7748: the top bit of u is ignored */
	x25519_scalar(le, x, xlen);
	curve25519_mul(out, le, G);
	memcpy(G, out, sizeof(out));
	wipe(le, sizeof(le));
	wipe(out, sizeof(out));
	return 1;
}

static size_t x25519_mulgen(uint8_t *R, const uint8_t *x, size_t xlen)
{
	uint8_t le[X25519_BYTES];

	if (xlen > X25519_BYTES)
		return 0;
	x25519_scalar(le, x, xlen);
	curve25519_mul_g(R, le);
	wipe(le, sizeof(le));
	return X25519_BYTES;
}

/* ---- the br_ec_impl ----------------------------------------------------- */

static const br_ec_impl *const fallback = &br_ec_all_m31;

static const unsigned char *api_generator(int curve, size_t *len)
{
	return fallback->generator(curve, len);
}

static const unsigned char *api_order(int curve, size_t *len)
{
	return fallback->order(curve, len);
}

static size_t api_xoff(int curve, size_t *len)
{
	return fallback->xoff(curve, len);
}

static uint32_t api_mul(unsigned char *G, size_t Glen, const unsigned char *x, size_t xlen, int curve)
{
	switch (curve) {
	case BR_EC_secp256r1:
		return p256_mul(G, Glen, x, xlen);
	case BR_EC_curve25519:
		return x25519_mul(G, Glen, x, xlen);
	default:
		return fallback->mul(G, Glen, x, xlen, curve);
	}
}

static size_t api_mulgen(unsigned char *R, const unsigned char *x, size_t xlen, int curve)
{
	switch (curve) {
	case BR_EC_secp256r1:
		return p256_mulgen(R, x, xlen);
	case BR_EC_curve25519:
		return x25519_mulgen(R, x, xlen);
	default:
		return fallback->mulgen(R, x, xlen, curve);
	}
}

static uint32_t api_muladd(unsigned char *A, const unsigned char *B, size_t len, const unsigned char *x,
			   size_t xlen, const unsigned char *y, size_t ylen, int curve)
{
	switch (curve) {
	case BR_EC_secp256r1:
		return p256_muladd(A, B, len, x, xlen, y, ylen);
	case BR_EC_curve25519:
		return 0;	/* no ECDSA on Curve25519; BearSSL's returns 0 too */
	default:
		return fallback->muladd(A, B, len, x, xlen, y, ylen, curve);
	}
}

const br_ec_impl tls_ec_nettle = {
	.supported_curves = (1u << BR_EC_secp256r1) | (1u << BR_EC_secp384r1) |
			    (1u << BR_EC_secp521r1) | (1u << BR_EC_curve25519),
	.generator = api_generator,
	.order = api_order,
	.xoff = api_xoff,
	.mul = api_mul,
	.mulgen = api_mulgen,
	.muladd = api_muladd,
};

/* ---- ECDSA P-256 signing ------------------------------------------------ */

/* At load time: the range checks may branch (a key is checked once, not
 * per handshake, and nothing a peer sends reaches them). */
int tls_ec_key_init(struct tls_ec_key *k, const br_ec_private_key *sk)
{
	mp_limb_t q[TLS_EC_LIMBS];
	const uint8_t *x = sk->x;
	size_t xlen = sk->xlen;

	tls_gmp_wipe_init();
	uint8_t high = 0;

	memset(k, 0, sizeof(*k));
	k->sk = *sk;
	if (sk->curve != BR_EC_secp256r1)
		return 0;
	for (; xlen > P256_BYTES; xlen--, x++)
		high |= *x;
	be_to_limbs(k->z, TLS_EC_LIMBS, x, xlen);
	p256_order(q);
	if (high || limbs_zero(k->z, TLS_EC_LIMBS) || mpn_cmp(k->z, q, TLS_EC_LIMBS) >= 0) {
		wipe(k->z, sizeof(k->z));
		return -EINVAL;
	}
	k->p256 = true;
	return 0;
}

void tls_ec_key_wipe(struct tls_ec_key *k)
{
	wipe(k, sizeof(*k));
}

/*
 * The nonce of RFC 6979 with additional data (its section 3.2, with k'
 * of section 3.6): HMAC_DRBG over the message's hash function, seeded
 * with the key, the hash reduced mod q, and `extra` (32 bytes from the
 * kernel's CSPRNG when signing). With good randomness every nonce is
 * fresh; without it (extra_len 0) the nonce is still secret and
 * different for every message, so a failing or repeating random source
 * cannot make two signatures share a nonce and give the key away.
 * Candidates outside [1, q-1] are drawn again (probability ~2^-32).
 */
static void p256_nonce(mp_limb_t k[TLS_EC_LIMBS], const mp_limb_t q[TLS_EC_LIMBS],
		       const mp_limb_t z[TLS_EC_LIMBS], const br_hash_class *hf, const void *hash, size_t hlen,
		       const void *extra, size_t extra_len)
{
	uint8_t seed[2 * P256_BYTES + TLS_ECDSA_EXTRA_MAX], b[P256_BYTES];
	mp_limb_t h[TLS_EC_LIMBS], t[TLS_EC_LIMBS];
	br_hmac_drbg_context d;

	if (extra_len > TLS_ECDSA_EXTRA_MAX)
		extra_len = TLS_ECDSA_EXTRA_MAX;
	limbs_to_be(seed, P256_BYTES, z);
	/* bits2octets(hash): its leftmost 256 bits as an integer, mod q
	 * (the hash is public) */
	memset(b, 0, sizeof(b));
	if (hlen >= P256_BYTES)
		memcpy(b, hash, P256_BYTES);
	else
		memcpy(b + P256_BYTES - hlen, hash, hlen);
	be_to_limbs(h, TLS_EC_LIMBS, b, sizeof(b));
	if (!mpn_sub_n(t, h, q, TLS_EC_LIMBS))
		mpn_copyi(h, t, TLS_EC_LIMBS);
	limbs_to_be(seed + P256_BYTES, P256_BYTES, h);
	if (extra_len)
		memcpy(seed + 2 * P256_BYTES, extra, extra_len);
	br_hmac_drbg_init(&d, hf, seed, 2 * P256_BYTES + extra_len);
	for (;;) {
		br_hmac_drbg_generate(&d, b, sizeof(b));
		be_to_limbs(k, TLS_EC_LIMBS, b, sizeof(b));
		if (mpn_sub_n(t, k, q, TLS_EC_LIMBS) && !limbs_zero(k, TLS_EC_LIMBS))
			break;
	}
	wipe(seed, sizeof(seed));
	wipe(b, sizeof(b));
	wipe(t, sizeof(t));
	wipe(&d, sizeof(d));
}

#define SIGN_SCRATCH 256	/* limbs; Nettle's P-256 signing needs ~50 */

size_t tls_ecdsa_p256_sign_raw(const struct tls_ec_key *k, const br_hash_class *hf, const void *hash_value,
				const void *extra, size_t extra_len, uint8_t raw[64])
{
	const struct ecc_curve *ecc = p256();
	mp_limb_t q[TLS_EC_LIMBS], nonce[TLS_EC_LIMBS], r[TLS_EC_LIMBS], s[TLS_EC_LIMBS];
	mp_limb_t scratch[SIGN_SCRATCH];
	size_t hlen;

	if (!k->p256 || ecc_ecdsa_sign_itch(ecc) > SIGN_SCRATCH)
		return 0;
	hlen = (hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
	p256_order(q);
	p256_nonce(nonce, q, k->z, hf, hash_value, hlen, extra, extra_len);
	ecc_ecdsa_sign(ecc, k->z, nonce, hlen, hash_value, r, s, scratch);
	wipe(nonce, sizeof(nonce));
	wipe(scratch, sizeof(scratch));
	/* r or s zero (probability ~2^-256): no signature rather than a bad one */
	if (limbs_zero(r, TLS_EC_LIMBS) || limbs_zero(s, TLS_EC_LIMBS))
		return 0;
	limbs_to_be(raw, P256_BYTES, r);
	limbs_to_be(raw + P256_BYTES, P256_BYTES, s);
	return 2 * P256_BYTES;
}

size_t tls_ecdsa_sign_asn1(const br_ec_impl *impl, const br_hash_class *hf, const void *hash_value,
			   const br_ec_private_key *sk, void *sig)
{
	/* sk is the first member of a struct tls_ec_key (header contract) */
	const struct tls_ec_key *k = (const struct tls_ec_key *)(const void *)sk;
	uint8_t raw[2 * P256_BYTES + 16], extra[TLS_ECDSA_EXTRA_MAX];
	size_t len, extra_len = sizeof(extra);

	if (sk->curve != BR_EC_secp256r1 || !k->p256)
		return br_ecdsa_i31_sign_asn1(impl, hf, hash_value, sk, sig);
	/* no randomness: the deterministic nonce of RFC 6979, still safe */
	if (getrandom(extra, sizeof(extra), 0) != (ssize_t)sizeof(extra))
		extra_len = 0;
	len = tls_ecdsa_p256_sign_raw(k, hf, hash_value, extra, extra_len, raw);
	wipe(extra, sizeof(extra));
	if (!len)
		return 0;
	len = br_ecdsa_raw_to_asn1(raw, len);
	memcpy(sig, raw, len);
	return len;
}
