// SPDX-License-Identifier: GPL-2.0-only
/* `make demo DURATION=N`: the whole system on its own topology, run
 * non-interactively; it exits 0 only when traffic flowed end to end. */
#include "harness.h"

TEST_TIMEOUT(demo_runs_with_duration, 180)
{
	const char *src = getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
	const char *build = getenv("EDGESTEER_BUILD") ? getenv("EDGESTEER_BUILD") : "build";
	char out[65536];
	int rc;

	rc = th_sh_out(out, sizeof(out),
		       "cd %s && BUILD=%s scripts/demo.sh 6 > /tmp/es-demo-test-%d.log 2>&1; "
		       "rc=$?; tail -n 25 /tmp/es-demo-test-%d.log; rm -f /tmp/es-demo-test-%d.log; exit $rc",
		       src, build, getpid(), getpid(), getpid());
	TH_LOG("%s", out);
	EXPECT_EQ(rc, 0);
	EXPECT_TRUE(strstr(out, "demo OK: traffic flowed end to end") != NULL);
	/* nothing left behind */
	EXPECT_NE(th_sh("ip netns list | grep -q esdemo"), 0);
}

TEST_HARNESS_MAIN
