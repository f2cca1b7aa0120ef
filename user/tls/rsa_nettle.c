// SPDX-License-Identifier: GPL-2.0-only
/*
 * rsa_nettle.c - RSA PKCS#1 v1.5 signing for BearSSL by Nettle and GMP.
 *
 * Implementation notes.
 *
 * BearSSL's private key has p, q, d mod (p-1), d mod (q-1) and q^-1 mod p:
 * Nettle's a, b and c. The public key (n, e) is computed from the private
 * key, once, at load (pubexp_of() for e): each signature is
 * checked with it before it leaves (a fault in the CRT computation would
 * otherwise reveal a factor).
 *
 * A signature is what Nettle's rsa_compute_root_tr() computes - blind
 * the message with r^e for a fresh random r, take the CRT root, check it
 * against the public key, unblind with r^-1 - done here with GMP's
 * side-channel silent mpn_sec_* functions around Nettle's
 * rsa_compute_root() (itself mpn_sec_powm/_mul/_div_r on the key's
 * limbs), because of one cost: Nettle inverts each r on its own with
 * mpn_sec_invert, whose fixed 4096 steps for a 2048-bit modulus took as
 * much CPU as the root itself. Here the blinding pairs (r^e, r^-1) are
 * made BLIND_BATCH at a time: BLIND_BATCH independent random r, one
 * inversion of their product, each r^-1 recovered from it with three
 * multiplications (Montgomery's batch inversion). Every signature still
 * uses its own random r, used once and wiped; only the inverse is shared
 * work. The pool hangs off the key, which the proxy's worker threads
 * share: it is taken under a mutex.
 *
 * The key lives in GMP mpz_t values, as Nettle's API takes it. That is
 * storage only: converting the key into mpz (mpz_import, variable time)
 * is done once per key file, never in reach of a peer. The padded
 * message and the signature are public; the blinded message and its
 * root are random-looking values, handled with fixed sizes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gmp_wipe.h"
#include "rsa_nettle.h"

#define RSA_MAX_BYTES 1024	/* 8192-bit keys; larger go to BearSSL */
#define BLIND_BATCH TLS_RSA_BLIND_BATCH
#define LIMB_BYTES ((size_t)sizeof(mp_limb_t))

struct tls_rsa_blind {
	pthread_mutex_t mu;
	mp_size_t nn;		/* limbs of n */
	unsigned left;		/* unused pairs: pairs[0 .. left) */
	uint64_t batches;	/* made so far */
	mp_limb_t *pairs;	/* BLIND_BATCH x { r^e mod n, r^-1 mod n }, nn limbs each */
	mp_limb_t *scratch;	/* for a batch, under mu */
	size_t scratch_limbs;
};

static void set_mpz(mpz_t z, const unsigned char *b, size_t len)
{
	mpz_import(z, len, 1, 1, 1, 0, b);
}

/* GMP scratch for every mpn_sec_* call below, nn-limb modulus. */
static size_t sec_itch(mp_size_t nn, mp_bitcnt_t ebn)
{
	size_t need = 0, i;

#define AT_LEAST(x) do { i = (size_t)(x); if (i > need) need = i; } while (0)
	AT_LEAST(mpn_sec_mul_itch(nn, nn));
	AT_LEAST(mpn_sec_div_r_itch(2 * nn, nn));
	AT_LEAST(mpn_sec_div_r_itch(nn + 1, nn));
	AT_LEAST(mpn_sec_powm_itch(nn, ebn, nn));
	AT_LEAST(mpn_sec_invert_itch(nn));
#undef AT_LEAST
	return need;
}

static int blind_new(struct tls_rsa_key *k)
{
	struct tls_rsa_blind *b = calloc(1, sizeof(*b));
	mp_size_t nn = (mp_size_t)mpz_size(k->pub.n);

	if (!b)
		return -ENOMEM;
	b->nn = nn;
	b->scratch_limbs = sec_itch(nn, mpz_sizeinbase(k->pub.e, 2));
	b->pairs = calloc(2 * BLIND_BATCH * (size_t)nn, LIMB_BYTES);
	/* the batch's r values and products: 2 * BLIND_BATCH + 3 numbers of 2nn */
	b->scratch = calloc(b->scratch_limbs + (2 * BLIND_BATCH + 3) * 2 * (size_t)nn, LIMB_BYTES);
	if (!b->pairs || !b->scratch) {
		free(b->pairs);
		free(b->scratch);
		free(b);
		return -ENOMEM;
	}
	pthread_mutex_init(&b->mu, NULL);
	k->blind = b;
	return 0;
}

static void blind_free(struct tls_rsa_blind *b)
{
	if (!b)
		return;
	explicit_bzero(b->pairs, 2 * BLIND_BATCH * (size_t)b->nn * LIMB_BYTES);
	explicit_bzero(b->scratch, (b->scratch_limbs + (2 * BLIND_BATCH + 3) * 2 * (size_t)b->nn) * LIMB_BYTES);
	free(b->pairs);
	free(b->scratch);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Overwrites an mpz's limbs before GMP frees them. */
static void mpz_wipe_clear(mpz_t z)
{
	size_t n = mpz_size(z);

	if (n)
		explicit_bzero(mpz_limbs_modify(z, (mp_size_t)n), n * sizeof(mp_limb_t));
	mpz_clear(z);
}

/*
 * The public exponent of a private key: BearSSL's helper first; it gives
 * 0 for most keys that OpenSSL makes (it works only for primes p = 3 mod
 * 4, which BearSSL's own key generator makes). Then e = dp^-1 mod (p - 1),
 * exact because e < p - 1, checked against dq and q - 1 as well, so a
 * key whose parts do not belong together still gives 0. GMP's inversion
 * is not constant time; it runs once per key file, like the import.
 */
static uint32_t pubexp_of(const br_rsa_private_key *sk)
{
	uint32_t e = br_rsa_compute_pubexp_get_default()(sk);
	mpz_t p1, q1, dp, dq, x;

	if (e)
		return e;
	mpz_inits(p1, q1, dp, dq, x, NULL);
	set_mpz(p1, sk->p, sk->plen);
	set_mpz(q1, sk->q, sk->qlen);
	set_mpz(dp, sk->dp, sk->dplen);
	set_mpz(dq, sk->dq, sk->dqlen);
	if (mpz_cmp_ui(p1, 3) >= 0 && mpz_cmp_ui(q1, 3) >= 0) {
		mpz_sub_ui(p1, p1, 1);
		mpz_sub_ui(q1, q1, 1);
		if (mpz_invert(x, dp, p1) && mpz_odd_p(x) && mpz_cmp_ui(x, 3) >= 0 &&
		    mpz_cmp_ui(x, UINT32_MAX) <= 0) {
			e = (uint32_t)mpz_get_ui(x);
			mpz_mul_ui(x, dq, e);
			mpz_mod(x, x, q1);
			if (mpz_cmp_ui(x, 1) != 0)
				e = 0;
		}
	}
	mpz_wipe_clear(p1);
	mpz_wipe_clear(q1);
	mpz_wipe_clear(dp);
	mpz_wipe_clear(dq);
	mpz_wipe_clear(x);
	return e;
}

int tls_rsa_key_init(struct tls_rsa_key *k, const br_rsa_private_key *sk)
{
	br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
	unsigned char n[RSA_MAX_BYTES];
	size_t nlen;
	uint32_t e;

	tls_gmp_wipe_init();

	memset(k, 0, sizeof(*k));
	k->sk = *sk;
	nlen = modulus(NULL, sk);
	e = pubexp_of(sk);
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
	    k->pub.size != k->priv.size || mpz_even_p(k->pub.n) || mpz_even_p(k->priv.p) ||
	    mpz_even_p(k->priv.q)) {
		tls_rsa_key_clear(k);
		k->sk = *sk;
		return -EINVAL;
	}
	if (blind_new(k)) {
		tls_rsa_key_clear(k);
		k->sk = *sk;
		return -ENOMEM;
	}
	k->ready = true;
	return 0;
}

void tls_rsa_key_clear(struct tls_rsa_key *k)
{
	blind_free(k->blind);
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

uint64_t tls_rsa_blind_batches(const struct tls_rsa_key *k)
{
	uint64_t n;

	if (!k->blind)
		return 0;
	pthread_mutex_lock(&k->blind->mu);
	n = k->blind->batches;
	pthread_mutex_unlock(&k->blind->mu);
	return n;
}

/* ---- blinding pairs --------------------------------------------------- */

/* r = a * b mod n; t: 2nn limbs. */
static void mulmod(mp_limb_t *r, const mp_limb_t *a, const mp_limb_t *b, const mp_limb_t *np, mp_size_t nn,
		   mp_limb_t *t, mp_limb_t *scratch)
{
	mpn_sec_mul(t, a, nn, b, nn, scratch);
	mpn_sec_div_r(t, 2 * nn, np, nn, scratch);
	mpn_copyi(r, t, nn);
}

static int fill_random(void *dst, size_t len)
{
	uint8_t *p = dst;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * BLIND_BATCH new pairs (r^e mod n, r^-1 mod n) into b->pairs; b->mu
 * held. Each r: nn + 1 limbs from getrandom() reduced mod n (statistically
 * uniform). Prefix products P_i = r_0 ... r_i, one inversion of P_last,
 * then downwards r_i^-1 = P_{i-1} * (P_i)^-1 and (P_{i-1})^-1 = (P_i)^-1 * r_i.
 * A product that is not invertible (an r sharing a factor with n, about
 * 2^-1000) throws the batch away. 0, or -EIO when there is no randomness.
 */
static int blind_refill(struct tls_rsa_blind *b, const struct tls_rsa_key *k)
{
	const mp_limb_t *np = mpz_limbs_read(k->pub.n), *ep = mpz_limbs_read(k->pub.e);
	mp_bitcnt_t ebn = mpz_sizeinbase(k->pub.e, 2);
	mp_size_t nn = b->nn;
	size_t w = 2 * (size_t)nn;	/* slot width: room for a product */
	mp_limb_t *sc = b->scratch, *r = sc + b->scratch_limbs, *pre = r + BLIND_BATCH * w;
	mp_limb_t *inv = pre + BLIND_BATCH * w, *t = inv + w, *u = t + w;
	int err = 0, tries;

	for (tries = 0; tries < 4; tries++) {
		for (int i = 0; i < BLIND_BATCH; i++) {
			mp_limb_t *ri = r + (size_t)i * w;

			err = fill_random(ri, ((size_t)nn + 1) * LIMB_BYTES);
			if (err)
				goto out;
			mpn_sec_div_r(ri, nn + 1, np, nn, sc);
			if (i == 0)
				mpn_copyi(pre, ri, nn);
			else
				mulmod(pre + (size_t)i * w, pre + (size_t)(i - 1) * w, ri, np, nn, t, sc);
		}
		mpn_copyi(u, pre + (size_t)(BLIND_BATCH - 1) * w, nn);
		if (mpn_sec_invert(inv, u, np, nn, 2 * (mp_bitcnt_t)nn * GMP_NUMB_BITS, sc))
			break;
	}
	if (tries == 4) {
		err = -EIO;
		goto out;
	}
	for (int i = BLIND_BATCH - 1; i >= 0; i--) {
		mp_limb_t *re = b->pairs + (size_t)i * 2 * (size_t)nn, *rinv = re + nn;
		mp_limb_t *ri = r + (size_t)i * w;

		if (i > 0) {
			mulmod(rinv, pre + (size_t)(i - 1) * w, inv, np, nn, t, sc);
			mulmod(inv, inv, ri, np, nn, t, sc);
		} else {
			mpn_copyi(rinv, inv, nn);
		}
		mpn_sec_powm(re, ri, nn, ep, ebn, np, nn, sc);
	}
	b->left = BLIND_BATCH;
	b->batches++;
out:
	explicit_bzero(b->scratch, (b->scratch_limbs + (2 * BLIND_BATCH + 3) * w) * LIMB_BYTES);
	return err;
}

/* Takes one unused pair (r^e, r^-1) out of the pool into re and ri. */
static int blind_take(const struct tls_rsa_key *k, mp_limb_t *re, mp_limb_t *ri)
{
	struct tls_rsa_blind *b = k->blind;
	mp_size_t nn = b->nn;
	mp_limb_t *pair;
	int err = 0;

	pthread_mutex_lock(&b->mu);
	if (!b->left)
		err = blind_refill(b, k);
	if (!err) {
		b->left--;
		pair = b->pairs + (size_t)b->left * 2 * (size_t)nn;
		mpn_copyi(re, pair, nn);
		mpn_copyi(ri, pair + nn, nn);
		explicit_bzero(pair, 2 * (size_t)nn * LIMB_BYTES);	/* used once */
	}
	pthread_mutex_unlock(&b->mu);
	return err;
}

/* ---- signing ---------------------------------------------------------- */

/* Big-endian bytes (len <= nn limbs' worth) to nn limbs, and back. */
static void be_to_limbs(mp_limb_t *r, mp_size_t nn, const uint8_t *b, size_t len)
{
	memset(r, 0, (size_t)nn * LIMB_BYTES);
	for (size_t j = 0; j < len; j++)
		r[j / LIMB_BYTES] |= (mp_limb_t)b[len - 1 - j] << (8 * (j % LIMB_BYTES));
}

static void limbs_to_be(uint8_t *b, size_t len, const mp_limb_t *r)
{
	for (size_t j = 0; j < len; j++)
		b[len - 1 - j] = (uint8_t)(r[j / LIMB_BYTES] >> (8 * (j % LIMB_BYTES)));
}

static int limbs_equal(const mp_limb_t *a, const mp_limb_t *b, mp_size_t nn)
{
	mp_limb_t z = 0;

	for (mp_size_t i = 0; i < nn; i++)
		z |= a[i] ^ b[i];
	return z == 0;
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


/*
 * s = ((m * r^e)^d mod n) * r^-1 mod n, the root checked against e before
 * it is unblinded. The CRT root is Nettle's rsa_compute_root() (GMP's
 * mpn_sec_* on the key's limbs); the mpz it takes holds the blinded
 * message. 1, or 0 when the check fails or there is no randomness.
 */
static int sign_blinded(const struct tls_rsa_key *k, unsigned char *x, size_t xlen)
{
	const mp_limb_t *np = mpz_limbs_read(k->pub.n), *ep = mpz_limbs_read(k->pub.e);
	mp_bitcnt_t ebn = mpz_sizeinbase(k->pub.e, 2);
	mp_size_t nn = k->blind->nn;
	size_t sl = sec_itch(nn, ebn), limbs = 7 * (size_t)nn + sl, xs;
	mp_limb_t *mem, *m, *re, *ri, *c, *y, *t, *sc;
	mpz_t cz, xz;
	int ok = 0;

	mem = calloc(limbs, LIMB_BYTES);
	if (!mem)
		return 0;
	m = mem;
	re = m + nn;
	ri = re + nn;
	c = ri + nn;
	y = c + nn;
	t = y + nn;	/* 2nn */
	sc = t + 2 * nn;
	if (blind_take(k, re, ri))
		goto out;
	be_to_limbs(m, nn, x, xlen);
	mulmod(c, m, re, np, nn, t, sc);
	mpz_init(cz);
	mpz_init(xz);
	mpn_copyi(mpz_limbs_write(cz, nn), c, nn);
	mpz_limbs_finish(cz, nn);
	rsa_compute_root(&k->priv, xz, cz);
	xs = mpz_size(xz);
	if (xs <= (size_t)nn) {
		memset(y, 0, (size_t)nn * LIMB_BYTES);
		mpn_copyi(y, mpz_limbs_read(xz), (mp_size_t)xs);
		/* y = root; t = root^e, which must give the blinded message back */
		mpn_sec_powm(t, y, nn, ep, ebn, np, nn, sc);
		ok = limbs_equal(t, c, nn);
		mulmod(m, y, ri, np, nn, t, sc);
	}
	mpz_wipe_clear(cz);
	mpz_wipe_clear(xz);
	if (ok)
		limbs_to_be(x, xlen, m);
out:
	explicit_bzero(mem, limbs * LIMB_BYTES);
	free(mem);
	return ok;
}

uint32_t tls_rsa_pkcs1_sign(const unsigned char *hash_oid, const unsigned char *hash, size_t hash_len,
			    const br_rsa_private_key *sk, unsigned char *x)
{
	/* sk is the first member of a struct tls_rsa_key (header contract) */
	const struct tls_rsa_key *k = (const struct tls_rsa_key *)(const void *)sk;
	size_t xlen = (sk->n_bitlen + 7) / 8;

	if (!k->ready || xlen != k->pub.size)
		return br_rsa_pkcs1_sign_get_default()(hash_oid, hash, hash_len, sk, x);
	if (!pkcs1_pad(x, xlen, hash_oid, hash, hash_len))
		return 0;
	if (sign_blinded(k, x, xlen))
		return 1;
	/* no signature leaves on failure; the padded hash is public */
	memset(x, 0, xlen);
	return 0;
}
