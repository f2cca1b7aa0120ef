// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmp_wipe.c - GMP's memory functions, wiping what they free.
 *
 * Nettle's elliptic-curve and RSA code (ec_nettle.c, rsa_nettle.c) takes
 * its scratch space from GMP's allocator (gmp_alloc_limbs() in Nettle's
 * GMP glue asks mp_get_memory_functions()), and GMP's default free()
 * leaves the intermediate values of an ECDHE or signing computation in
 * freed heap memory. GMP hands its free and realloc functions the size
 * of the block, so wiping costs one explicit_bzero() of a block that was
 * just written anyway. Installed once per process, before the first
 * Nettle computation; blocks allocated before come from malloc() too, so
 * freeing them here is safe.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

#include "gmp_wipe.h"

/* GMP's own functions abort on failure: its callers cannot take NULL. */
static void *must(void *p, size_t n)
{
	if (!p && n) {
		fprintf(stderr, "edgesteer: out of memory in GMP (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static void *wipe_alloc(size_t n)
{
	return must(malloc(n), n);
}

/* A new block, the old one copied and wiped: realloc() could leave the
 * old block's bytes behind when it moves it. */
static void *wipe_realloc(void *old, size_t old_n, size_t new_n)
{
	void *p = must(malloc(new_n), new_n);

	if (old) {
		memcpy(p, old, old_n < new_n ? old_n : new_n);
		explicit_bzero(old, old_n);
		free(old);
	}
	return p;
}

static void wipe_free(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

static void install(void)
{
	mp_set_memory_functions(wipe_alloc, wipe_realloc, wipe_free);
}

void tls_gmp_wipe_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install);
}

bool tls_gmp_wipe_installed(void)
{
	void (*f)(void *, size_t);

	mp_get_memory_functions(NULL, NULL, &f);
	return f == wipe_free;
}
