// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Debian package under a real systemd: a minimal Debian 12 root
 * (cached outside the tree, tests/e2e/systemd/mkroot.sh) gets the package
 * with `apt-get install ./edgesteer_*.deb`, boots under systemd-nspawn, and
 * a oneshot unit inside (tests/e2e/systemd/checks.sh) checks readiness,
 * reload, the watchdog, stop, XDP fail-static across a restart and purge,
 * one result line per check, read back here.
 */
#include "harness.h"

#define CACHE_DIR "/var/cache/edgesteer-test"

static const char *src(void) { return getenv("EDGESTEER_SRC") ?: "."; }
static const char *build(void) { return getenv("EDGESTEER_BUILD") ?: "build"; }

/* Every check checks.sh writes; a missing line is a failure too. */
static const char *const checks[] = {
	"boot_unit_is_active_after_ready",
	"boot_status_text_is_set",
	"boot_shipped_config_checks",
	"status_works_as_root",
	"spool_dir_exists_under_state_directory",
	"reload_good_file_succeeds",
	"reload_good_file_is_applied",
	"reload_good_keeps_main_pid",
	"reload_broken_file_fails",
	"reload_broken_unit_stays_active",
	"reload_broken_keeps_main_pid",
	"reload_broken_is_counted",
	"watchdog_is_armed",
	"watchdog_healthy_daemon_survives_2x_period",
	"watchdog_no_restart",
	"stop_is_clean",
	"xdp_counts_while_running",
	"xdp_stays_attached_after_stop",
	"xdp_counts_with_the_daemon_stopped",
	"xdp_keeps_counting_across_restart",
	"xdp_restart_unit_active",
	"upgrade_restarts_the_daemon",
	"upgrade_keeps_xdp_counting",
	"purge_removes_every_file",
	"purge_removes_the_unit",
	"purge_removes_state",
	"purge_removes_config",
	"purge_removes_pins",
	"purge_detaches_xdp",
};

/* "ok - NAME" on a line of its own in results. */
static bool passed(const char *results, const char *name)
{
	char want[128];
	const char *p;

	snprintf(want, sizeof(want), "ok - %s\n", name);
	for (p = strstr(results, want); p; p = strstr(p + 1, want))
		if (p == results || p[-1] == '\n')
			return true;
	return false;
}

TEST_TIMEOUT(the_package_boots_on_a_fresh_debian_and_behaves_under_systemd, 900)
{
	static char results[16384];
	char work[64], deb[512], root[512];
	size_t i;
	int rc;

	if (geteuid() != 0)
		SKIP(return, "needs root (systemd-nspawn, mmdebstrap)");
	if (th_sh("command -v systemd-nspawn mmdebstrap dpkg-buildpackage >/dev/null"))
		SKIP(return, "needs systemd-nspawn, mmdebstrap and dpkg-buildpackage (scripts/deps.sh)");
	snprintf(work, sizeof(work), "/tmp/es-systemd-%d", getpid());

	/* The package, as `make deb` builds it for users. */
	rc = th_sh_out(deb, sizeof(deb), "make -s -C %s BUILD=%s deb 2>&1 | tail -n 20 >&2; "
		       "ls %s/deb/edgesteer_*_$(dpkg --print-architecture).deb", src(), build(), build());
	ASSERT_EQ(rc, 0);
	deb[strcspn(deb, "\n")] = '\0';
	TH_LOG("package: %s", deb);

	/* The cached root; its Depends are pre-downloaded, not installed. */
	rc = th_sh_out(root, sizeof(root), "%s/tests/e2e/systemd/mkroot.sh %s $(dpkg-deb -f %s Depends | "
		       "sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g')", src(), CACHE_DIR, deb);
	if (rc)
		SKIP(return, "cannot build the Debian 12 root in " CACHE_DIR " (mirror unreachable?)");
	root[strcspn(root, "\n")] = '\0';
	TH_LOG("root: %s", root);

	rc = th_sh("%s/tests/e2e/systemd/boot.sh %s %s %s >&2", src(), root, deb, work);
	if (!rc)
		rc = th_sh_out(results, sizeof(results), "cat %s/results/out", work);
	th_sh("umount %s/bpffs 2>/dev/null; rm -rf --one-file-system %s", work, work);
	ASSERT_EQ(rc, 0);
	TH_LOG("results:\n%s", results);

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!passed(results, checks[i]))
			th_note_failure(__FILE__, __LINE__, "check %s did not pass", checks[i]);
	EXPECT_TRUE(strstr(results, "\ndone\n") != NULL);
}

TEST_HARNESS_MAIN
