/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness.h - a small kselftest-style test harness.
 *
 * Tests register themselves at load time (constructor attributes), the
 * generated main() runs each one in a forked child with its own timeout,
 * so a crash, an abort or a hang fails that test only. Output is TAP:
 *
 *   TAP version 13
 *   1..N
 *   ok 1 suite.name
 *   not ok 2 suite.other   # file.c:42: expected a == b (3 vs 4)
 *   ok 3 suite.third # SKIP no IPv6 on loopback
 *   3 passed, 1 failed, 1 skipped          <- the closing plain line
 *
 * Interface (mirrors tools/testing/selftests/kselftest_harness.h):
 *   TEST(name) { ... }
 *   TEST_TIMEOUT(name, seconds) { ... }
 *   FIXTURE(f) { members };  FIXTURE_SETUP(f) { self->... }
 *   FIXTURE_TEARDOWN(f) { ... }  TEST_F(f, name) { ... }
 *   TEST_F_TIMEOUT(f, name, seconds) { ... }
 *   FIXTURE_VARIANT(f) { members };  FIXTURE_VARIANT_ADD(f, v) { .member = ... };
 *   every TEST_F of f then runs once per variant, named f.v.name, with
 *   `variant` (const FIXTURE_VARIANT(f) *) in setup, body and teardown;
 *   a fixture without variants runs its tests once (variant is NULL).
 *   ASSERT_*(a, b) stop the test on failure, EXPECT_*(a, b) continue.
 *   SKIP(statement, fmt, ...) records a skip with its reason and runs
 *   `statement` (usually `return`).
 *   TH_LOG(fmt, ...) prints a diagnostic line ("# ...").
 *   TH_PRIVATE_NETNS() in a FIXTURE_SETUP or a TEST: the test gets a
 *   network namespace of its own (see th_private_netns()).
 *   TEST_BINARY_SETUP(fn) { ... }: runs once, in the parent, before the
 *   first test (see below); for what is slow to build and can be shared.
 *
 * Command line of every test binary: [-t FILTER] (substring of the test
 * name; repeatable) [-l] list tests.
 */
#ifndef EDGESTEER_HARNESS_H
#define EDGESTEER_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TH_DEFAULT_TIMEOUT 30
#define TH_MAX_TESTS 512
#define TH_MSG_MAX 1024

struct th_metadata;
typedef void (*th_fn)(struct th_metadata *t);

/* One FIXTURE_VARIANT_ADD. */
struct th_variant {
	const char *fixture;
	const char *name;
	const void *data;
};

struct th_metadata {
	const char *name;
	const char *fixture;
	const struct th_variant *variant;	/* the one this run uses, or NULL */
	th_fn fn;
	int timeout;
	/* set in the child, read by the parent through shared memory */
	volatile int failed;
	volatile int skipped;
	char msg[TH_MSG_MAX];
};

struct th_shared {
	int failed;
	int skipped;
	char msg[TH_MSG_MAX];
	volatile pid_t body;	/* a TEST_F body running now, else 0 */
};

/* After a TEST_F body times out it is killed and its teardown gets this
 * long to delete namespaces, pins and files before the group is killed. */
#ifndef TH_TEARDOWN_GRACE
#define TH_TEARDOWN_GRACE 30
#endif

static struct th_metadata *th_tests[TH_MAX_TESTS];
static int th_ntests;
static const struct th_variant *th_variants[TH_MAX_TESTS];	/* in the order added */
static int th_nvariants;
static struct th_shared *th_result; /* mmap'd MAP_SHARED, per run */
static volatile int th_in_child;
static void (*th_binary_setup)(void);	/* TEST_BINARY_SETUP, or NULL */

static inline void th_register(struct th_metadata *t)
{
	if (th_ntests < TH_MAX_TESTS)
		th_tests[th_ntests++] = t;
}

static inline void th_add_variant(const struct th_variant *v)
{
	if (th_nvariants < TH_MAX_TESTS)
		th_variants[th_nvariants++] = v;
}

static inline void th_note_failure(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void th_note_failure(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char buf[TH_MSG_MAX];
	size_t n;

	th_result->failed = 1;
	n = (size_t)snprintf(buf, sizeof(buf), "%s:%d: ", file, line);
	va_start(ap, fmt);
	if (n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	fprintf(stdout, "# %s\n", buf);
	fflush(stdout);
	/* keep the first failure: it is usually the cause */
	if (!th_result->msg[0])
		snprintf(th_result->msg, sizeof(th_result->msg), "%s", buf);
}

#define TH_LOG(fmt, ...) do { fprintf(stdout, "# " fmt "\n", ##__VA_ARGS__); fflush(stdout); } while (0)

#define SKIP(statement, fmt, ...) do {						\
	th_result->skipped = 1;							\
	snprintf(th_result->msg, sizeof(th_result->msg), fmt, ##__VA_ARGS__);	\
	statement;								\
} while (0)

/* Comparison core: integers are compared as intmax_t/uintmax_t. */
#define __TH_CMP(a, b, op, is_assert) do {					\
	__typeof__(a) __a = (a);						\
	__typeof__(b) __b = (b);						\
	int __ok;								\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")			\
	__ok = (__a op __b);							\
	_Pragma("GCC diagnostic pop")						\
	if (!__ok) {								\
		th_note_failure(__FILE__, __LINE__,				\
			"expected %s %s %s (%jd vs %jd)", #a, #op, #b,		\
			(intmax_t)__a, (intmax_t)__b);				\
		if (is_assert)							\
			_exit(1);						\
	}									\
} while (0)

#define ASSERT_EQ(a, b) __TH_CMP(a, b, ==, 1)
#define ASSERT_NE(a, b) __TH_CMP(a, b, !=, 1)
#define ASSERT_LT(a, b) __TH_CMP(a, b, <, 1)
#define ASSERT_LE(a, b) __TH_CMP(a, b, <=, 1)
#define ASSERT_GT(a, b) __TH_CMP(a, b, >, 1)
#define ASSERT_GE(a, b) __TH_CMP(a, b, >=, 1)
#define EXPECT_EQ(a, b) __TH_CMP(a, b, ==, 0)
#define EXPECT_NE(a, b) __TH_CMP(a, b, !=, 0)
#define EXPECT_LT(a, b) __TH_CMP(a, b, <, 0)
#define EXPECT_LE(a, b) __TH_CMP(a, b, <=, 0)
#define EXPECT_GT(a, b) __TH_CMP(a, b, >, 0)
#define EXPECT_GE(a, b) __TH_CMP(a, b, >=, 0)

#define __TH_BOOL(cond, want, is_assert) do {					\
	int __c = (cond) ? 1 : 0;						\
	if (__c != (want)) {							\
		th_note_failure(__FILE__, __LINE__, "expected %s to be %s",	\
				#cond, (want) ? "true" : "false");		\
		if (is_assert)							\
			_exit(1);						\
	}									\
} while (0)
#define ASSERT_TRUE(c)  __TH_BOOL(c, 1, 1)
#define ASSERT_FALSE(c) __TH_BOOL(c, 0, 1)
#define EXPECT_TRUE(c)  __TH_BOOL(c, 1, 0)
#define EXPECT_FALSE(c) __TH_BOOL(c, 0, 0)

#define __TH_STR(a, b, want_eq, is_assert) do {				\
	const char *__a = (a), *__b = (b);					\
	int __eq = __a && __b && strcmp(__a, __b) == 0;				\
	if (__eq != (want_eq)) {						\
		th_note_failure(__FILE__, __LINE__,				\
			"expected %s %s %s (\"%s\" vs \"%s\")", #a,		\
			(want_eq) ? "==" : "!=", #b,				\
			__a ? __a : "(null)", __b ? __b : "(null)");		\
		if (is_assert)							\
			_exit(1);						\
	}									\
} while (0)
#define ASSERT_STREQ(a, b) __TH_STR(a, b, 1, 1)
#define ASSERT_STRNE(a, b) __TH_STR(a, b, 0, 1)
#define EXPECT_STREQ(a, b) __TH_STR(a, b, 1, 0)
#define EXPECT_STRNE(a, b) __TH_STR(a, b, 0, 0)

/* Memory comparison with the first differing offset in the message. */
#define __TH_MEM(a, b, len, is_assert) do {					\
	const unsigned char *__a = (const void *)(a), *__b = (const void *)(b); \
	size_t __l = (len), __i;						\
	for (__i = 0; __i < __l && __a[__i] == __b[__i]; __i++)		\
		;								\
	if (__i != __l) {							\
		th_note_failure(__FILE__, __LINE__,				\
			"%s and %s differ at offset %zu of %zu", #a, #b,	\
			__i, __l);						\
		if (is_assert)							\
			_exit(1);						\
	}									\
} while (0)
#define ASSERT_MEMEQ(a, b, len) __TH_MEM(a, b, len, 1)
#define EXPECT_MEMEQ(a, b, len) __TH_MEM(a, b, len, 0)

/* TEST(name): a plain test. */
#define TEST(tname) TEST_TIMEOUT(tname, TH_DEFAULT_TIMEOUT)
#define TEST_TIMEOUT(tname, secs)						\
	static void th_test_##tname(struct th_metadata *_metadata);		\
	static struct th_metadata th_meta_##tname = {				\
		.name = #tname, .fn = th_test_##tname, .timeout = (secs) };	\
	__attribute__((constructor)) static void th_reg_##tname(void)		\
	{ th_register(&th_meta_##tname); }					\
	static void th_test_##tname(struct th_metadata *_metadata __attribute__((unused)))

/* FIXTURE(f) { int fd; }; -> struct th_fixture_f (FIXTURE(f) is the type) */
#define FIXTURE(f) struct th_fixture_##f
/* Each of these declares FIXTURE_VARIANT(f), so that `variant` has a
 * type whether or not the fixture has variants. */
#define FIXTURE_SETUP(f)							\
	FIXTURE_VARIANT(f);							\
	static void th_setup_##f(struct th_metadata *_metadata __attribute__((unused)), \
				 struct th_fixture_##f *self,			\
				 const FIXTURE_VARIANT(f) *variant __attribute__((unused)))
#define FIXTURE_TEARDOWN(f)							\
	FIXTURE_VARIANT(f);							\
	static void th_teardown_##f(struct th_metadata *_metadata __attribute__((unused)), \
				    struct th_fixture_##f *self,		\
				    const FIXTURE_VARIANT(f) *variant __attribute__((unused)))

/*
 * FIXTURE_VARIANT(f) { int family; };  -> the type of `variant`
 * FIXTURE_VARIANT_ADD(f, v4) { .family = AF_INET };  -> one more run of
 * every TEST_F(f, ...), named f.v4.test. Variants run in the order added.
 */
#define FIXTURE_VARIANT(f) struct th_variant_##f
#define FIXTURE_VARIANT_ADD(f, v)						\
	static const FIXTURE_VARIANT(f) th_vdata_##f##_##v;			\
	static const struct th_variant th_v_##f##_##v = {			\
		.fixture = #f, .name = #v, .data = &th_vdata_##f##_##v };	\
	__attribute__((constructor)) static void th_vreg_##f##_##v(void)	\
	{ th_add_variant(&th_v_##f##_##v); }					\
	static const FIXTURE_VARIANT(f) th_vdata_##f##_##v =

/*
 * TEST_F runs setup, the body in a grandchild (so ASSERT's _exit still
 * lets teardown run), then teardown. The fixture lives in shared memory:
 * teardown sees what the body changed. Processes the body starts are its
 * children, not the teardown's: teardown may kill them, not reap them.
 */
#define TEST_F(f, tname) TEST_F_TIMEOUT(f, tname, TH_DEFAULT_TIMEOUT)
#define TEST_F_TIMEOUT(f, tname, secs)						\
	FIXTURE_VARIANT(f);							\
	static void th_body_##f##_##tname(struct th_metadata *_metadata,		\
					 struct th_fixture_##f *self,		\
					 const FIXTURE_VARIANT(f) *variant);	\
	static void th_test_##f##_##tname(struct th_metadata *_metadata)	\
	{									\
		const FIXTURE_VARIANT(f) *variant =				\
			_metadata->variant ? _metadata->variant->data : NULL;	\
		/* shared, so teardown sees what the body changed */	\
		struct th_fixture_##f *self_ = mmap(NULL, sizeof(*self_),	\
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0); \
		pid_t pid;							\
		int st = 0;							\
		if (self_ == MAP_FAILED) {					\
			th_note_failure(__FILE__, __LINE__, "mmap: %s", strerror(errno)); \
			return;							\
		}								\
		th_setup_##f(_metadata, self_, variant);					\
		if (th_result->failed || th_result->skipped) {			\
			th_teardown_##f(_metadata, self_, variant);			\
			return;							\
		}								\
		fflush(stdout);							\
		pid = fork();							\
		if (pid == 0) {							\
			th_body_##f##_##tname(_metadata, self_, variant);	\
			fflush(stdout);						\
			_exit(0);						\
		}								\
		th_result->body = pid > 0 ? pid : 0;				\
		if (pid < 0 || waitpid(pid, &st, 0) < 0) {			\
			th_result->body = 0;					\
			th_note_failure(__FILE__, __LINE__, "fork: %s", strerror(errno)); \
		} else if ((th_result->body = 0), WIFSIGNALED(st))		\
			th_note_failure(__FILE__, __LINE__, "test body killed by signal %d", WTERMSIG(st)); \
		th_teardown_##f(_metadata, self_, variant);				\
	}									\
	static struct th_metadata th_meta_##f##_##tname = {			\
		.name = #tname, .fixture = #f,					\
		.fn = th_test_##f##_##tname, .timeout = (secs) };		\
	__attribute__((constructor)) static void th_reg_##f##_##tname(void)	\
	{ th_register(&th_meta_##f##_##tname); }				\
	static void th_body_##f##_##tname(struct th_metadata *_metadata __attribute__((unused)), \
					 struct th_fixture_##f *self __attribute__((unused)), \
					 const FIXTURE_VARIANT(f) *variant __attribute__((unused)))

/*
 * TEST_BINARY_SETUP(fn) { ... }: fn runs once, in the parent process,
 * after the plan line and before the first test (not with -l, not when no
 * test matches -t). Every test's child inherits what it opened (file
 * descriptors, mappings), so an object that takes seconds to build (a
 * verified BPF program) is built once per binary instead of once per
 * test. It runs outside any test, so it must not ASSERT: it keeps its
 * error for the tests to report, and each test must put whatever state it
 * shares back to a known one before using it (the children share kernel
 * objects, not copies).
 */
#define TEST_BINARY_SETUP(fn)							\
	static void fn(void);							\
	__attribute__((constructor)) static void th_reg_binary_setup_##fn(void) \
	{ th_binary_setup = fn; }						\
	static void fn(void)

static inline double th_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run one test in a child with its own process group; on timeout the
 * whole group is killed so helpers it started (servers, sleeps) go too.
 * A TEST_F whose body times out loses the body first and keeps its
 * teardown (up to TH_TEARDOWN_GRACE s), so what the setup created outside
 * the process group (namespaces, pins, files) is still deleted.
 * Returns 0 pass, 1 fail, 2 skip.
 */
static inline int th_run_one(struct th_metadata *t, char *why, size_t whylen)
{
	double deadline = th_now() + t->timeout;
	bool timed_out = false;
	pid_t pid;
	int st = 0;

	memset(th_result, 0, sizeof(*th_result));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		th_in_child = 1;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		t->fn(t);
		fflush(stdout);
		_exit(th_result->failed ? 1 : 0);
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return 1;
		}
		if (th_now() > deadline) {
			pid_t body = th_result->body;

			if (!timed_out && body > 0) {
				timed_out = true;
				kill(body, SIGKILL);
				deadline = th_now() + TH_TEARDOWN_GRACE;
				continue;
			}
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, whylen, "timed out after %d s%s", t->timeout,
				 timed_out ? " (and so did its teardown)" : "");
			return 1;
		}
		usleep(2000);
	}
	if (timed_out) {
		kill(-pid, SIGKILL);
		snprintf(why, whylen, "timed out after %d s (teardown ran)", t->timeout);
		return 1;
	}
	/* clean up whatever the test left running in its group */
	kill(-pid, SIGKILL);
	if (WIFSIGNALED(st)) {
		snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
		return 1;
	}
	if (th_result->failed || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "%s", th_result->msg[0] ? th_result->msg : "exit status non-zero");
		return 1;
	}
	if (th_result->skipped) {
		snprintf(why, whylen, "%s", th_result->msg);
		return 2;
	}
	return 0;
}

static inline int th_match(const char *name, char **filters, int nf)
{
	int i;

	if (!nf)
		return 1;
	for (i = 0; i < nf; i++)
		if (strstr(name, filters[i]))
			return 1;
	return 0;
}

/* fixture.variant.test, fixture.test or test */
static inline void th_full_name(const struct th_metadata *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", t->fixture ? t->fixture : "", t->fixture ? "." : "",
		 t->variant ? t->variant->name : "", t->variant ? "." : "", t->name);
}

/* How many variants test t's fixture has (0 for a TEST). */
static inline int th_count_variants(const struct th_metadata *t)
{
	int n = 0;

	for (int j = 0; t->fixture && j < th_nvariants; j++)
		n += !strcmp(th_variants[j]->fixture, t->fixture);
	return n;
}

/* The runs: each test once, a TEST_F once per variant of its fixture. */
static inline int th_expand(struct th_metadata ***out)
{
	struct th_metadata **runs;
	int n = 0, i, j;

	for (i = 0; i < th_ntests; i++)
		n += th_count_variants(th_tests[i]) ? th_count_variants(th_tests[i]) : 1;
	runs = calloc((size_t)n + 1, sizeof(*runs));
	if (!runs)
		return -1;
	n = 0;
	for (i = 0; i < th_ntests; i++) {
		struct th_metadata *t = th_tests[i];

		if (!th_count_variants(t))
			runs[n++] = t;
		for (j = 0; t->fixture && j < th_nvariants; j++) {
			struct th_metadata *r;

			if (strcmp(th_variants[j]->fixture, t->fixture))
				continue;
			r = malloc(sizeof(*r));
			if (!r)
				return -1;
			*r = *t;
			r->variant = th_variants[j];
			runs[n++] = r;
		}
	}
	*out = runs;
	return n;
}

static inline int th_main(int argc, char **argv)
{
	char *filters[32];
	int nf = 0, list = 0, i, n = 0, passed = 0, failed = 0, skipped = 0, c, nruns;
	char full[256], why[TH_MSG_MAX];
	struct th_metadata **runs;

	while ((c = getopt(argc, argv, "t:l")) != -1) {
		if (c == 't' && nf < 32)
			filters[nf++] = optarg;
		else if (c == 'l')
			list = 1;
		else {
			fprintf(stderr, "usage: %s [-t FILTER]... [-l]\n", argv[0]);
			return 2;
		}
	}
	th_result = mmap(NULL, sizeof(*th_result), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	nruns = th_expand(&runs);
	if (th_result == MAP_FAILED || nruns < 0) {
		perror("harness: mmap/malloc");
		return 2;
	}
	for (i = 0; i < nruns; i++) {
		th_full_name(runs[i], full, sizeof(full));
		if (list)
			printf("%s\n", full);
		else if (th_match(full, filters, nf))
			n++;
	}
	if (list)
		return 0;
	printf("TAP version 13\n1..%d\n", n);
	if (n && th_binary_setup) {
		fflush(stdout);
		th_binary_setup();
		fflush(stdout);
	}
	n = 0;
	for (i = 0; i < nruns; i++) {
		struct th_metadata *t = runs[i];
		double t0;
		int r;

		th_full_name(t, full, sizeof(full));
		if (!th_match(full, filters, nf))
			continue;
		n++;
		printf("# RUN %s\n", full);
		fflush(stdout);
		why[0] = 0;
		t0 = th_now();
		r = th_run_one(t, why, sizeof(why));
		if (r == 0) {
			passed++;
			printf("ok %d %s # %.2fs\n", n, full, th_now() - t0);
		} else if (r == 2) {
			skipped++;
			printf("ok %d %s # SKIP %s\n", n, full, why);
		} else {
			failed++;
			printf("not ok %d %s # %s\n", n, full, why);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

#define TEST_HARNESS_MAIN int main(int argc, char **argv) { return th_main(argc, argv); }

/* ---- helpers for end-to-end tests ------------------------------------ */

/* Run a shell command; returns its exit status (or -1). Echoes on failure. */
static inline int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int th_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run a shell command and capture up to len-1 bytes of its stdout. */
static inline int th_sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int th_sh_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	size_t n = 0;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < len) {
		size_t r = fread(out + n, 1, len - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = 0;
	/* drain so the writer never blocks on a full pipe */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Poll a shell condition until it succeeds or timeout_ms passes. */
static inline int th_wait_sh(int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int th_wait_sh(int timeout_ms, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	double end = th_now() + timeout_ms / 1000.0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	do {
		if (th_sh("%s", cmd) == 0)
			return 0;
		usleep(20000);
	} while (th_now() < end);
	return -1;
}


/* The binary under test and the source tree, as tests/run.sh exports
 * them (EDGESTEER, EDGESTEER_SRC); defaults for a run from the top. */
static inline const char *th_bin(void)
{
	const char *b = getenv("EDGESTEER");

	return b ? b : "build/edgesteer";
}

static inline const char *th_src(void)
{
	const char *s = getenv("EDGESTEER_SRC");

	return s ? s : ".";
}

/* Lines in a file (0 when it cannot be read): logs of commands a test ran. */
static inline int th_count_lines(const char *file)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/*
 * Move the calling test (and every process it starts afterwards) into a
 * network namespace of its own with loopback up. Fixed ports on 127.0.0.1
 * then cannot collide with another test binary, another run of the suite
 * on the same machine or a service there, and nothing listening survives
 * the test's processes. Each TEST and each FIXTURE_SETUP runs in its own
 * forked child, so this never leaks into the next test. Returns 0 or -errno.
 */
static inline int th_private_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	return th_sh("ip link set lo up") ? -EIO : 0;
}

#define TH_PRIVATE_NETNS() do {							\
	int __e = th_private_netns();						\
	if (__e == -EPERM)							\
		SKIP(return, "needs root (CAP_SYS_ADMIN) for a network namespace"); \
	ASSERT_EQ(__e, 0);							\
} while (0)

#endif /* EDGESTEER_HARNESS_H */
