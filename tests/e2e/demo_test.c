// SPDX-License-Identifier: GPL-2.0-only
/* `make demo DURATION=N`: the whole system on its own topology, run
 * non-interactively; it exits 0 only when traffic flowed end to end. */
#include "harness.h"

TEST_TIMEOUT(demo_runs_with_duration, 180)
{
	const char *src = getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
	const char *build = getenv("EDGESTEER_BUILD") ? getenv("EDGESTEER_BUILD") : "build";
	char out[65536], tag[64] = "";
	const char *t;
	int rc;

	/* the demo names its namespaces esdemo<its pid>-*; the tag goes on
	 * the first line so that the leftover check below looks at this run
	 * only (someone may be running `make demo` next to us); then the
	 * demo's verdict lines, which the log's tail may not reach */
	rc = th_sh_out(out, sizeof(out),
		       "cd %s && BUILD=%s scripts/demo.sh 6 > /tmp/es-demo-test-%d.log 2>&1; rc=$?; "
		       "echo \"tag=$(grep -o 'esdemo[0-9]*' /tmp/es-demo-test-%d.log | head -n 1)\"; "
		       "grep -E '^(FAIL|upstream1 answers|XDP passed)' /tmp/es-demo-test-%d.log; "
		       "tail -n 25 /tmp/es-demo-test-%d.log; rm -f /tmp/es-demo-test-%d.log; exit $rc",
		       src, build, getpid(), getpid(), getpid(), getpid(), getpid());
	TH_LOG("%s", out);
	EXPECT_EQ(rc, 0);
	EXPECT_TRUE(strstr(out, "demo OK: traffic flowed end to end") != NULL);
	t = strncmp(out, "tag=", 4) ? NULL : out + 4;
	if (t)
		sscanf(t, "%63[a-z0-9]", tag);
	ASSERT_TRUE(strncmp(tag, "esdemo", 6) == 0 && tag[6]);
	/* nothing left behind: namespaces, pins */
	EXPECT_NE(th_sh("ip netns list | grep -q '^%s-'", tag), 0);
	EXPECT_NE(th_sh("test -e /sys/fs/bpf/%s", tag), 0);
}

TEST_HARNESS_MAIN
