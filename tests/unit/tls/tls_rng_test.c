// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of where a session's random generator gets its seed
 * (user/tls/tls.c, rng_seed_engine): from a generator of the thread,
 * seeded by getrandom() once and reseeded every 4096 sessions and in a
 * forked child, not by BearSSL's system seeder (CPUID and RDRAND) per
 * session. getrandom() is wrapped here, to count its calls and to give
 * fixed bytes: the library is linked statically, so this definition is
 * the one it calls. A session's generator state is read from its engine
 * (br_hmac_drbg_context: K and V).
 */
#include "harness.h"

#include <pthread.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "core/log.h"
#include "tls/tls.h"

#include "certs.h"

static int getrandom_calls;
static bool fixed;		/* answer 0x5a bytes instead of the kernel's */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	__atomic_add_fetch(&getrandom_calls, 1, __ATOMIC_SEQ_CST);
	if (fixed) {
		memset(buf, 0x5a, len);
		return (ssize_t)len;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

struct state {
	unsigned char k[32], v[32];
};

static struct tls_cred *cred;

/* A server session made and freed; its generator's state in *st. */
static void session_state(struct state *st)
{
	struct tls_server_opts so = { .cred = cred };
	struct tls_session *s;
	br_ssl_engine_context *eng;

	if (tls_server_new(&so, -1, TLS_BUF_BIDI, true, "test", "peer", &s))
		abort();
	eng = tls_engine(s);
	memcpy(st->k, eng->rng.K, sizeof(st->k));
	memcpy(st->v, eng->rng.V, sizeof(st->v));
	tls_free(s);
}

static void *thread_first_session(void *arg)
{
	session_state(arg);
	return NULL;
}

/* The first session of a new thread (a fresh thread generator). */
static void first_session_of_a_thread(struct state *st)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_first_session, st) || pthread_join(th, NULL))
		abort();
}

FIXTURE(rng) {
	int unused;
};

FIXTURE_SETUP(rng)
{
	if (certs_make("tls-rng"))
		SKIP(return, "mkcerts.sh failed (openssl missing?)");
	log_set_level(LOG_CRIT);
	ASSERT_EQ(tls_cred_load(cp("server-ec.crt"), cp("server-ec.key"), &cred), 0);
	fixed = false;
}

FIXTURE_TEARDOWN(rng)
{
	tls_cred_free(cred);
	cred = NULL;
	certs_remove();
}

/* Two threads whose getrandom() gives the same bytes make the same
 * first session state: nothing else (RDRAND) went into it. */
TEST_F(rng, session_seed_comes_from_the_threads_generator)
{
	struct state a, b, c;

	fixed = true;
	first_session_of_a_thread(&a);
	first_session_of_a_thread(&b);
	fixed = false;
	EXPECT_EQ(memcmp(&a, &b, sizeof(a)), 0);
	/* and a third thread, seeded by the kernel, does not */
	first_session_of_a_thread(&c);
	EXPECT_NE(memcmp(&a, &c, sizeof(a)), 0);
}

static void *thread_sessions(void *arg)
{
	struct state *st = arg;

	for (int i = 0; i < 3; i++)
		session_state(&st[i]);
	return NULL;
}

/* Sessions of one thread never share a seed. */
TEST_F(rng, sessions_of_a_thread_get_distinct_seeds)
{
	struct state st[3];
	pthread_t th;

	fixed = true;	/* even from one fixed seed */
	ASSERT_EQ(pthread_create(&th, NULL, thread_sessions, st), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	fixed = false;
	EXPECT_NE(memcmp(&st[0], &st[1], sizeof(st[0])), 0);
	EXPECT_NE(memcmp(&st[1], &st[2], sizeof(st[0])), 0);
	EXPECT_NE(memcmp(&st[0], &st[2], sizeof(st[0])), 0);
}

static void *thread_many_sessions(void *arg)
{
	struct state st;

	for (int i = 0; i < *(int *)arg; i++)
		session_state(&st);
	return NULL;
}

/* getrandom() once per thread and per 4096 sessions, not per session. */
TEST_F(rng, getrandom_per_thread_and_reseed_not_per_session)
{
	pthread_t th;
	int n = 4096;

	getrandom_calls = 0;
	ASSERT_EQ(pthread_create(&th, NULL, thread_many_sessions, &n), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	EXPECT_EQ(getrandom_calls, 1);
	n = 4097;
	getrandom_calls = 0;
	ASSERT_EQ(pthread_create(&th, NULL, thread_many_sessions, &n), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	EXPECT_EQ(getrandom_calls, 2);
}

/* A forked child seeds its generator anew: it does not make the
 * sessions its parent makes next. */
TEST_F(rng, forked_child_does_not_repeat_the_parents_seeds)
{
	struct state parent, child;
	int p[2], status;
	pid_t pid;

	session_state(&parent);	/* this thread's generator is seeded */
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		session_state(&child);
		_exit(write(p[1], &child, sizeof(child)) == (ssize_t)sizeof(child) ? 0 : 1);
	}
	close(p[1]);
	session_state(&parent);
	ASSERT_EQ(read(p[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	close(p[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_NE(memcmp(&parent, &child, sizeof(parent)), 0);
}

TEST_HARNESS_MAIN
