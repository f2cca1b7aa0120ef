// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec_bench.c - CPU time of the public-key operations of a TLS handshake,
 * BearSSL's portable code (what Debian's libbearssl 0.6 offers) against
 * the Nettle-backed hooks edgesteer gives BearSSL (user/tls/ec_nettle.c,
 * user/tls/rsa_nettle.c, user/tls/sha_nettle.c): EC operations and
 * signatures, RSA-2048 ones, SHA-256.
 *
 *   ec_bench [-n CALLS] [-r ROUNDS]
 *
 * Each cell is the best of ROUNDS rounds (default 5) of CALLS calls
 * (default 300) timed with CLOCK_PROCESS_CPUTIME_ID, in microseconds per
 * call; best-of because other processes on a shared machine only ever
 * add time. Built and run by scripts/bench/tls.sh against the library.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tls/ec_nettle.h"
#include "tls/rsa_nettle.h"
#include "tls/sha_nettle.h"

static int calls = 300, rounds = 5;

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef int (*op_fn)(void *arg);

static double best_us(op_fn fn, void *arg)
{
	double best = 1e30;

	for (int r = 0; r < rounds; r++) {
		double t0 = cpu_s(), t;

		for (int i = 0; i < calls; i++)
			if (fn(arg) <= 0) {
				fprintf(stderr, "ec_bench: an operation failed\n");
				exit(1);
			}
		t = (cpu_s() - t0) * 1e6 / calls;
		if (t < best)
			best = t;
	}
	return best;
}

/* ---- the operations ----------------------------------------------------- */

struct ec_arg {
	const br_ec_impl *impl;
	int curve;
	uint8_t x[32], y[32], P[65], Q[65];
	size_t plen;
};

static int do_mulgen(void *a)
{
	struct ec_arg *e = a;
	uint8_t R[65];

	return (int)e->impl->mulgen(R, e->x, 32, e->curve);
}

static int do_mul(void *a)
{
	struct ec_arg *e = a;
	uint8_t R[65];

	memcpy(R, e->P, e->plen);
	return (int)e->impl->mul(R, e->plen, e->x, 32, e->curve);
}

static int do_muladd(void *a)
{
	struct ec_arg *e = a;
	uint8_t R[65];

	memcpy(R, e->P, e->plen);
	return (int)e->impl->muladd(R, e->Q, e->plen, e->x, 32, e->y, 32, e->curve);
}

struct sign_arg {
	const br_ec_impl *impl;
	br_ecdsa_sign sign;
	const br_ec_private_key *sk;
	uint8_t hash[32];
};

static int do_sign(void *a)
{
	struct sign_arg *s = a;
	uint8_t sig[80];

	return (int)s->sign(s->impl, &br_sha256_vtable, s->hash, s->sk, sig);
}

/* ---- RSA ---------------------------------------------------------------- */

struct rsa_arg {
	br_rsa_pkcs1_sign sign;
	const br_rsa_private_key *sk;
	uint8_t hash[32];
};

static int do_rsa_sign(void *a)
{
	struct rsa_arg *r = a;
	uint8_t sig[256];

	return (int)r->sign(BR_HASH_OID_SHA256, r->hash, sizeof(r->hash), r->sk, sig);
}

/* Nettle's own blinded, checked root (rsa_compute_root_tr), which
 * tls_rsa_pkcs1_sign used before its blinding pairs came in batches: one
 * modular inversion per call. */
static void blinding_random(void *ctx, size_t len, uint8_t *dst)
{
	if (getrandom(dst, len, 0) != (ssize_t)len)
		memset(dst, 0, len);
}

static int do_rsa_root_tr(void *a)
{
	const struct tls_rsa_key *k = a;
	mpz_t m, s;
	int ok;

	mpz_init_set_ui(m, 0x42);
	mpz_mul_2exp(m, m, 2000);
	mpz_init(s);
	ok = rsa_compute_root_tr(&k->pub, &k->priv, NULL, blinding_random, s, m);
	mpz_clear(m);
	mpz_clear(s);
	return ok;
}

/* PKCS#1 v1.5 signatures with a 2048-bit key: BearSSL's default (i62)
 * against tls_rsa_pkcs1_sign (blinded CRT root by Nettle and GMP, checked
 * against the public key), and Nettle's rsa_compute_root_tr alone. */
static void bench_rsa(void)
{
	br_hmac_drbg_context rng;
	br_rsa_keygen kg = br_rsa_keygen_get_default();
	static uint8_t kbuf_priv[BR_RSA_KBUF_PRIV_SIZE(2048)], kbuf_pub[BR_RSA_KBUF_PUB_SIZE(2048)];
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	struct tls_rsa_key key;
	struct rsa_arg rb, rn;
	double b, n;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, "ec_bench", 8);
	if (!kg(&rng.vtable, &sk, kbuf_priv, &pk, kbuf_pub, 2048, 65537) || tls_rsa_key_init(&key, &sk)) {
		fprintf(stderr, "ec_bench: no RSA key\n");
		exit(1);
	}
	rb = (struct rsa_arg){ .sign = br_rsa_pkcs1_sign_get_default(), .sk = &sk };
	rn = (struct rsa_arg){ .sign = tls_rsa_pkcs1_sign, .sk = &key.sk };
	memset(rb.hash, 0x42, sizeof(rb.hash));
	memset(rn.hash, 0x42, sizeof(rn.hash));
	b = best_us(do_rsa_sign, &rb);
	n = best_us(do_rsa_sign, &rn);
	printf("%-34s %10.1f %10.1f %7.2f\n", "RSA-2048 PKCS#1 sign (i62 / Nettle)", b, n, b / n);
	b = best_us(do_rsa_root_tr, &key);
	printf("%-34s %10s %10.1f %7.2f\n", "RSA-2048 root, rsa_compute_root_tr", "-", b, b / n);
	tls_rsa_key_clear(&key);
}

/* ---- SHA-256 ------------------------------------------------------------ */

/* What a handshake hashes most: SHA-256 over its transcript, its PRF and
 * HMAC-DRBG. 1 KB, BearSSL's portable code against Nettle's. */
static int do_sha256(void *a)
{
	const br_hash_class *hc = a;
	static uint8_t data[1024];
	br_hash_compat_context c;
	uint8_t out[32];

	hc->init(&c.vtable);
	hc->update(&c.vtable, data, sizeof(data));
	hc->out(&c.vtable, out);
	return 1 + out[0] * 0;
}

/* ---- main --------------------------------------------------------------- */

static void row(const char *name, op_fn fn, struct ec_arg *bear, struct ec_arg *net)
{
	double b = best_us(fn, bear), n = best_us(fn, net);

	printf("%-34s %10.1f %10.1f %7.2f\n", name, b, n, b / n);
}

int main(int argc, char **argv)
{
	struct ec_arg bear = { 0 }, net = { 0 };
	br_ec_private_key sk = { .curve = BR_EC_secp256r1 };
	struct tls_ec_key key;
	struct sign_arg sb, sn;
	uint8_t kx[32];
	int opt;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			calls = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (calls < 1 || rounds < 1)
		return 2;
	srand(1);
	for (size_t i = 0; i < 32; i++) {
		bear.x[i] = (uint8_t)rand();
		bear.y[i] = (uint8_t)rand();
		kx[i] = (uint8_t)rand();
	}
	bear.x[0] &= 0x7F;
	bear.y[0] &= 0x7F;
	kx[0] &= 0x7F;

	printf("%-34s %10s %10s %7s\n", "us per call (best of rounds)", "BearSSL", "Nettle", "ratio");
	/* X25519: what an ECDHE handshake does twice */
	bear.impl = &br_ec_c25519_m31;
	bear.curve = BR_EC_curve25519;
	bear.plen = 32;
	bear.impl->mulgen(bear.P, bear.y, 32, bear.curve);
	net = bear;
	net.impl = &tls_ec_nettle;
	row("X25519 keygen (mulgen, c25519_m31)", do_mulgen, &bear, &net);
	row("X25519 shared secret (mul)", do_mul, &bear, &net);

	bear.impl = &br_ec_p256_m31;
	bear.curve = BR_EC_secp256r1;
	bear.plen = 65;
	bear.impl->mulgen(bear.P, bear.y, 32, bear.curve);
	bear.impl->mulgen(bear.Q, bear.x, 32, bear.curve);
	net = bear;
	net.impl = &tls_ec_nettle;
	row("P-256 keygen (mulgen, p256_m31)", do_mulgen, &bear, &net);
	row("P-256 shared secret (mul)", do_mul, &bear, &net);
	row("P-256 muladd (ECDSA verify)", do_muladd, &bear, &net);

	sk.x = kx;
	sk.xlen = sizeof(kx);
	if (tls_ec_key_init(&key, &sk))
		return 1;
	sb = (struct sign_arg){ .impl = &br_ec_p256_m31, .sign = br_ecdsa_i31_sign_asn1, .sk = &sk };
	sn = (struct sign_arg){ .impl = &tls_ec_nettle, .sign = tls_ecdsa_sign_asn1, .sk = &key.sk };
	memset(sb.hash, 0x42, sizeof(sb.hash));
	memset(sn.hash, 0x42, sizeof(sn.hash));
	{
		double b = best_us(do_sign, &sb), n = best_us(do_sign, &sn);

		printf("%-34s %10.1f %10.1f %7.2f\n", "ECDSA P-256 sign (i31 / Nettle)", b, n, b / n);
	}
	bench_rsa();
	{
		double b = best_us(do_sha256, (void *)&br_sha256_vtable);
		double n = best_us(do_sha256, (void *)&tls_sha256_nettle);

		printf("%-34s %10.1f %10.1f %7.2f\n", "SHA-256 of 1 KB", b, n, b / n);
	}
	tls_ec_key_wipe(&key);
	return 0;
}
