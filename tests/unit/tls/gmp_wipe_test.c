// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of tls/gmp_wipe.c: GMP's (and so Nettle's) memory functions
 * are ours once the TLS code can reach Nettle, a block GMP frees is zero
 * when it reaches free(), a block GMP grows keeps its bytes and the old
 * copy is wiped. free() is interposed here to look at the block at the
 * moment it is handed back (the harness runs each test in its own
 * process, so "not installed yet" holds at the start of each).
 */
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "tls/ec_nettle.h"
#include "tls/gmp_wipe.h"

extern void __libc_free(void *p);

static const void *watched;
static size_t watched_len;
static int watched_state;	/* 0: not freed yet, 1: freed wiped, 2: freed with bytes left */

void free(void *p)
{
	if (p && p == watched) {
		const unsigned char *b = p;
		size_t i;

		for (i = 0; i < watched_len && !b[i]; i++)
			;
		watched_state = i == watched_len ? 1 : 2;
		watched = NULL;
	}
	__libc_free(p);
}

static void watch(const void *p, size_t len)
{
	watched = p;
	watched_len = len;
	watched_state = 0;
}

TEST(installed_once_by_init_and_idempotent)
{
	EXPECT_FALSE(tls_gmp_wipe_installed());
	tls_gmp_wipe_init();
	EXPECT_TRUE(tls_gmp_wipe_installed());
	tls_gmp_wipe_init();
	EXPECT_TRUE(tls_gmp_wipe_installed());
}

TEST(loading_an_ec_key_installs_it)
{
	static const unsigned char x[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
	br_ec_private_key sk = { .curve = BR_EC_secp256r1, .x = (unsigned char *)x, .xlen = sizeof(x) };
	struct tls_ec_key k;

	EXPECT_FALSE(tls_gmp_wipe_installed());
	ASSERT_EQ(tls_ec_key_init(&k, &sk), 0);
	EXPECT_TRUE(tls_gmp_wipe_installed());
	tls_ec_key_wipe(&k);
}

TEST(a_freed_block_is_zero_when_it_reaches_free)
{
	void *(*alloc_fn)(size_t);
	void (*free_fn)(void *, size_t);
	unsigned char *p;

	tls_gmp_wipe_init();
	mp_get_memory_functions(&alloc_fn, NULL, &free_fn);
	p = alloc_fn(300);
	ASSERT_TRUE(p != NULL);
	memset(p, 0xa5, 300);
	watch(p, 300);
	free_fn(p, 300);
	EXPECT_EQ(watched_state, 1);
}

TEST(a_grown_block_keeps_its_bytes_and_the_old_one_is_wiped)
{
	void *(*alloc_fn)(size_t);
	void *(*realloc_fn)(void *, size_t, size_t);
	void (*free_fn)(void *, size_t);
	unsigned char *p, *q, want[64];

	tls_gmp_wipe_init();
	mp_get_memory_functions(&alloc_fn, &realloc_fn, &free_fn);
	for (int i = 0; i < 64; i++)
		want[i] = (unsigned char)(i * 7 + 1);
	p = alloc_fn(64);
	ASSERT_TRUE(p != NULL);
	memcpy(p, want, 64);
	watch(p, 64);
	q = realloc_fn(p, 64, 5000);
	ASSERT_TRUE(q != NULL);
	EXPECT_EQ(watched_state, 1);
	EXPECT_EQ(memcmp(q, want, 64), 0);
	/* shrinking keeps the prefix too */
	p = realloc_fn(q, 5000, 16);
	EXPECT_EQ(memcmp(p, want, 16), 0);
	free_fn(p, 16);
}

TEST(gmp_arithmetic_is_unchanged)
{
	mpz_t z;

	tls_gmp_wipe_init();
	mpz_init(z);
	mpz_ui_pow_ui(z, 3, 20000);	/* grows through realloc many times */
	EXPECT_EQ(mpz_sizeinbase(z, 3), 20001u);
	mpz_sub_ui(z, z, 1);
	EXPECT_EQ(mpz_fdiv_ui(z, 2), 0u);
	mpz_clear(z);
}

TEST_HARNESS_MAIN
