// SPDX-License-Identifier: GPL-2.0-only
/*
 * The harness itself: FIXTURE_VARIANT runs each TEST_F of a fixture once
 * per variant, named fixture.variant.test, with the variant's data in
 * setup, body and teardown; a fixture without variants runs once.
 * TEST_BINARY_SETUP runs once, in the parent, and only when a test runs.
 */
#include <limits.h>

#include "harness.h"

static pid_t setup_pid;		/* where the binary setup ran */
static int *setup_runs;		/* shared: how often it ran */

TEST_BINARY_SETUP(once)
{
	setup_runs = mmap(NULL, sizeof(*setup_runs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (setup_runs == MAP_FAILED)
		setup_runs = NULL;
	else
		(*setup_runs)++;
	setup_pid = getpid();
	TH_LOG("binary setup ran");
}

FIXTURE(multi) {
	int from_setup;
};

FIXTURE_VARIANT(multi) {
	const char *name;
	int value;
};

FIXTURE_VARIANT_ADD(multi, one) {
	.name = "one",
	.value = 1,
};

FIXTURE_VARIANT_ADD(multi, two) {
	.name = "two",
	.value = 2,
};

FIXTURE_SETUP(multi)
{
	self->from_setup = variant->value;
}

FIXTURE_TEARDOWN(multi)
{
	/* teardown sees the same variant as setup and body */
	if (self->from_setup != variant->value)
		th_note_failure(__FILE__, __LINE__, "teardown saw another variant");
}

TEST_F(multi, body_sees_its_variant)
{
	ASSERT_NE(_metadata->variant, NULL);
	EXPECT_STREQ(_metadata->variant->name, variant->name);
	EXPECT_EQ(self->from_setup, variant->value);
}

FIXTURE(single) {
	int dummy;
};

FIXTURE_SETUP(single)
{
	self->dummy = variant == NULL;
}

FIXTURE_TEARDOWN(single)
{
}

TEST_F(single, runs_once_without_a_variant)
{
	EXPECT_EQ(self->dummy, 1);
	EXPECT_EQ(_metadata->variant, NULL);
}

/* Each test runs in a child of the process the binary setup ran in, and
 * sees what it opened. */
TEST(binary_setup_ran_once_in_the_parent)
{
	ASSERT_TRUE(setup_runs != NULL);
	EXPECT_EQ(*setup_runs, 1);
	EXPECT_EQ(setup_pid, getppid());
}

/* The binary's own list (-l) and a filtered run of the variant tests. */
TEST(each_variant_runs_the_test_once)
{
	char self_exe[PATH_MAX], out[4096];
	const char *b;
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	ASSERT_GT(n, 0);
	self_exe[n] = 0;
	ASSERT_EQ(th_sh_out(out, sizeof(out), "'%s' -l", self_exe), 0);
	EXPECT_STREQ(out, "multi.one.body_sees_its_variant\n"
			  "multi.two.body_sees_its_variant\n"
			  "single.runs_once_without_a_variant\n"
			  "binary_setup_ran_once_in_the_parent\n"
			  "each_variant_runs_the_test_once\n");
	ASSERT_EQ(th_sh_out(out, sizeof(out), "'%s' -t multi.", self_exe), 0);
	EXPECT_TRUE(strstr(out, "1..2\n") != NULL);
	EXPECT_TRUE(strstr(out, "\nok 1 multi.one.body_sees_its_variant") != NULL);
	EXPECT_TRUE(strstr(out, "\nok 2 multi.two.body_sees_its_variant") != NULL);
	EXPECT_TRUE(strstr(out, "\n2 passed, 0 failed, 0 skipped\n") != NULL);
	/* once, after the plan, before the first test */
	EXPECT_TRUE(strstr(out, "1..2\n# binary setup ran\n# RUN multi.one") != NULL);
	ASSERT_TRUE((b = strstr(out, "# binary setup ran")) != NULL);
	EXPECT_TRUE(strstr(b + 1, "# binary setup ran") == NULL);
	/* not when no test runs */
	ASSERT_EQ(th_sh_out(out, sizeof(out), "'%s' -t no-such-test", self_exe), 0);
	EXPECT_STREQ(out, "TAP version 13\n1..0\n0 passed, 0 failed, 0 skipped\n");
}

TEST_HARNESS_MAIN
