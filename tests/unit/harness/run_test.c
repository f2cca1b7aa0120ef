// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/run.sh on a tree of stand-in test binaries (shell scripts that
 * print a summary line): totals and the list of failed binaries, each
 * binary's output as one block, JOBS binaries at a time, a SERIAL one
 * alone after the others, and JOBS=1 one after another; a proxy e2e
 * binary twice: with the default number of workers (no
 * EDGESTEER_TEST_WORKERS), then with 1 (2 on a one-CPU machine, where
 * the default is 1).
 */
#include "harness.h"

#include <sys/stat.h>

/* A stand-in binary: logs "start NAME" and "end NAME" (in that order,
 * one line each, appended) to LOG around `body`. */
static void fake(const char *dir, const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/build/tests/%s", dir, name);
	th_sh("mkdir -p \"$(dirname %s)\"", path);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\necho \"start %s\" >> %s/log\necho 'TAP version 13'\n%s\necho \"end %s\" >> %s/log\n",
		name, dir, body, name, dir);
	fclose(f);
	chmod(path, 0755);
}

/* Line number (1-based) of the first line of `file` equal to `line`; 0 if none. */
static int line_of(const char *file, const char *line)
{
	char out[32];

	if (th_sh_out(out, sizeof(out), "grep -nxF -m1 -- '%s' %s | cut -d: -f1", line, file))
		return 0;
	return atoi(out);
}

FIXTURE(tree) {
	char dir[64];
	char out[96];
};

FIXTURE_SETUP(tree)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-run-test-%d", getpid());
	snprintf(self->out, sizeof(self->out), "%s/out", self->dir);
	ASSERT_EQ(th_sh("rm -rf %s && mkdir -p %s/build", self->dir, self->dir), 0);
	/* b waits (bounded) until a has started: they overlap only when two run at once */
	fake(self->dir, "unit/x/a_test", "echo 'ok 1 a'; sleep 1; echo '3 passed, 0 failed, 1 skipped'");
	fake(self->dir, "unit/x/b_test",
	     "i=0; while ! grep -q 'start unit/x/a_test' LOG && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n"
	     "echo 'not ok 1 b'; echo '2 passed, 1 failed, 0 skipped'");
	fake(self->dir, "unit/x/c_test", "echo 'ok 1 c'; exit 3");	/* no summary: a crash */
	/* listed in SERIAL: must run with nothing beside it */
	fake(self->dir, "e2e/watchdog_e2e", "echo '1 passed, 0 failed, 0 skipped'");
	ASSERT_EQ(th_sh("sed -i 's|LOG|%s/log|' %s/build/tests/unit/x/b_test", self->dir, self->dir), 0);
}

FIXTURE_TEARDOWN(tree)
{
	th_sh("rm -rf %s", self->dir);
}

static int run(FIXTURE(tree) *self, int jobs)
{
	th_sh("rm -f %s/log", self->dir);
	return th_sh("cd %s && JOBS=%d BUILD=%s/build env -u EDGESTEER_TEST_WORKERS tests/run.sh > %s 2>&1",
		     th_src(), jobs, self->dir, self->out);
}

TEST_F(tree, two_at_a_time_totals_blocks_and_the_serial_one_alone)
{
	char last[128], log[160], line[96];
	static const char *const order[] = { "unit/x/a_test", "unit/x/b_test", "unit/x/c_test" };

	EXPECT_EQ(run(self, 2), 1);
	th_sh("sed 's/^/#   /' %s", self->out);
	ASSERT_EQ(th_sh_out(last, sizeof(last), "tail -n 1 %s", self->out), 0);
	EXPECT_STREQ(last, "6 passed, 2 failed, 1 skipped\n");
	EXPECT_EQ(th_sh("grep -qx '# failed in: unit/x/b_test unit/x/c_test' %s", self->out), 0);
	EXPECT_EQ(th_sh("grep -qx 'not ok - unit/x/c_test ended without a summary line (crashed?)' %s",
			self->out), 0);
	/* each block whole: header, its TAP, its summary, its time */
	for (size_t i = 0; i < 3; i++) {
		int h;

		snprintf(line, sizeof(line), "# ===== %s", order[i]);
		h = line_of(self->out, line);
		ASSERT_GT(h, 0);
		EXPECT_EQ(th_sh("sed -n '%dp' %s | grep -qx 'TAP version 13'", h + 1, self->out), 0);
	}
	EXPECT_EQ(th_sh("grep -A4 -x '# ===== unit/x/a_test' %s | tail -n 2 | head -n 1 | "
			"grep -qx '3 passed, 0 failed, 1 skipped'", self->out), 0);
	EXPECT_EQ(th_sh("grep -A4 -x '# ===== unit/x/a_test' %s | tail -n 1 | grep -qE '^# unit/x/a_test: [0-9.]+ s$'",
			self->out), 0);
	/* a and b ran at once; the serial one started after every other ended */
	snprintf(log, sizeof(log), "%s/log", self->dir);
	EXPECT_LT(line_of(log, "start unit/x/b_test"), line_of(log, "end unit/x/a_test"));
	EXPECT_EQ(th_sh("tail -n 2 %s | tr '\\n' , | grep -qx 'start e2e/watchdog_e2e,end e2e/watchdog_e2e,'", log), 0);
	EXPECT_EQ(th_sh("grep -q '^# e2e/watchdog_e2e runs alone: ' %s", self->out), 0);
	/* the durations of this run order the next one */
	EXPECT_EQ(th_sh("grep -qE '^[0-9.]+ unit/x/a_test$' %s/build/test-durations", self->dir), 0);
}

TEST_F(tree, jobs_1_runs_one_after_another_in_name_order)
{
	char last[128], log[160];

	EXPECT_EQ(run(self, 1), 1);
	ASSERT_EQ(th_sh_out(last, sizeof(last), "tail -n 1 %s", self->out), 0);
	EXPECT_STREQ(last, "6 passed, 2 failed, 1 skipped\n");
	snprintf(log, sizeof(log), "%s/log", self->dir);
	EXPECT_EQ(line_of(log, "start e2e/watchdog_e2e"), 1);
	EXPECT_EQ(line_of(log, "end e2e/watchdog_e2e"), 2);
	EXPECT_EQ(line_of(log, "start unit/x/a_test"), 3);
	EXPECT_EQ(line_of(log, "end unit/x/a_test"), 4);
	EXPECT_EQ(line_of(log, "start unit/x/b_test"), 5);
}

TEST_F(tree, proxy_e2e_runs_with_the_default_workers_then_one)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int other = cpus > 1 ? 1 : 2;
	char last[128], log[160], want[64];

	fake(self->dir, "e2e/proxy_x_test", "echo \"workers $EDGESTEER_TEST_WORKERS\" >> LOG\n"
	     "echo '1 passed, 0 failed, 0 skipped'");
	ASSERT_EQ(th_sh("sed -i 's|LOG|%s/log|' %s/build/tests/e2e/proxy_x_test", self->dir, self->dir), 0);
	snprintf(log, sizeof(log), "%s/log", self->dir);
	EXPECT_EQ(run(self, 2), 1);
	ASSERT_EQ(th_sh_out(last, sizeof(last), "tail -n 1 %s", self->out), 0);
	EXPECT_STREQ(last, "8 passed, 2 failed, 1 skipped\n");
	EXPECT_EQ(th_sh("grep -qx '# ===== e2e/proxy_x_test' %s", self->out), 0);
	EXPECT_EQ(th_sh("grep -qx '# ===== e2e/proxy_x_test:workers=%d' %s", other, self->out), 0);
	snprintf(want, sizeof(want), "workers %d", other);
	EXPECT_EQ(th_sh("grep -cx '%s' %s | grep -qx 1", want, log), 0);
	/* the default run: no count given */
	EXPECT_EQ(th_sh("grep -cx 'workers ' %s | grep -qx 1", log), 0);
	/* the caller's choice: every binary once, with it */
	th_sh("rm -f %s", log);
	EXPECT_EQ(th_sh("cd %s && JOBS=2 BUILD=%s/build EDGESTEER_TEST_WORKERS=2 tests/run.sh > %s 2>&1",
			th_src(), self->dir, self->out), 1);
	ASSERT_EQ(th_sh_out(last, sizeof(last), "tail -n 1 %s", self->out), 0);
	EXPECT_STREQ(last, "7 passed, 2 failed, 1 skipped\n");
	EXPECT_EQ(th_sh("grep -q ':workers=2' %s", self->out), 1);
	EXPECT_EQ(th_sh("grep -cx 'workers 2' %s | grep -qx 1", log), 0);
}

TEST_F(tree, jobs_must_be_a_positive_number)
{
	EXPECT_EQ(th_sh("cd %s && JOBS=0 BUILD=%s/build tests/run.sh >/dev/null 2>&1", th_src(), self->dir), 2);
	EXPECT_EQ(th_sh("cd %s && JOBS=x BUILD=%s/build tests/run.sh >/dev/null 2>&1", th_src(), self->dir), 2);
}

TEST_HARNESS_MAIN
