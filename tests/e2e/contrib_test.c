// SPDX-License-Identifier: GPL-2.0-only
/*
 * What ships beside the binary and must stay true to it: edgesteer(8)
 * renders with man and names every command and option the binary has,
 * the bash completion loads and completes, the Prometheus rules pass
 * promtool's checks and unit tests, and the Grafana dashboard and the
 * rules use only metric names the daemon emits.
 */
#include "harness.h"

TEST(man_page_renders_and_names_every_command_and_option)
{
	char out[8192], page[64];

	snprintf(page, sizeof(page), "/tmp/es-man-%d.txt", getpid());
	/* man -l renders it without a warning from groff */
	ASSERT_EQ(th_sh("MANWIDTH=80 man -l %s/docs/edgesteer.8 2>/tmp/es-man-%d.err | col -b > %s",
			th_src(), getpid(), page), 0);
	EXPECT_EQ(th_sh("test ! -s /tmp/es-man-%d.err || { sed 's/^/# /' /tmp/es-man-%d.err; false; }",
			getpid(), getpid()), 0);
	EXPECT_EQ(th_sh("grep -q '^EXIT STATUS' %s && grep -q '^SIGNALS' %s && grep -q '^FILES' %s && "
			"grep -q '^ENVIRONMENT' %s && grep -q '^CONTROL SOCKET' %s", page, page, page, page, page), 0);
	/* every command of `edgesteer help`, and every long option of every
	 * command's --help, appears in the page: it cannot drift silently */
	EXPECT_EQ(th_sh_out(out, sizeof(out),
			    "for c in $(%s help | sed -n 's/^  \\([a-z-]*\\)  .*/\\1/p'); do "
			    "  grep -q \"^ *$c\\b\" %s || echo \"command $c missing\"; "
			    "  for o in $(%s $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do "
			    "    grep -q -- \"$o\" %s || echo \"$c $o missing\"; done; done",
			    th_bin(), page, th_bin(), page), 0);
	EXPECT_STREQ(out, "");
	th_sh("rm -f %s /tmp/es-man-%d.err", page, getpid());
}

TEST(make_man_builds_the_page)
{
	const char *build = getenv("EDGESTEER_BUILD");

	if (!build)
		SKIP(return, "EDGESTEER_BUILD not set (run through tests/run.sh)");
	EXPECT_EQ(th_sh("cmp -s %s/docs/edgesteer.8 %s/man/edgesteer.8", th_src(), build), 0);
}

/* Complete `edgesteer WORDS...` in a bash that loaded the file. */
static int complete(char *out, size_t len, const char *words)
{
	return th_sh_out(out, len,
			 "cd %s && bash --norc --noprofile -c 'source contrib/bash-completion/edgesteer && "
			 "COMP_WORDS=(edgesteer %s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
			 "_edgesteer; printf \"%%s \" \"${COMPREPLY[@]}\"; "
			 "complete -p edgesteer >/dev/null || echo NOT-REGISTERED'", th_src(), words);
}

TEST(bash_completion_completes_commands_options_and_sections)
{
	char out[4096];

	ASSERT_EQ(complete(out, sizeof(out), "st"), 0);
	EXPECT_STREQ(out, "status stats ");
	ASSERT_EQ(complete(out, sizeof(out), "\"\""), 0);
	EXPECT_TRUE(strstr(out, "run check status stats top metrics reload attach detach trace usb-reset help version") != NULL);
	ASSERT_EQ(complete(out, sizeof(out), "check --"), 0);
	EXPECT_STREQ(out, "--config --quiet --no-files --allow-empty --help ");
	ASSERT_EQ(complete(out, sizeof(out), "stats --j"), 0);
	EXPECT_STREQ(out, "--json ");
	ASSERT_EQ(complete(out, sizeof(out), "top -"), 0);
	EXPECT_TRUE(strstr(out, "--delay") != NULL && strstr(out, "--count") != NULL);
	ASSERT_EQ(complete(out, sizeof(out), "help us"), 0);
	EXPECT_STREQ(out, "usb-reset ");
	/* -c completes .conf files */
	ASSERT_EQ(complete(out, sizeof(out), "check -c examples/gat"), 0);
	EXPECT_STREQ(out, "examples/gateway.conf ");
	/* usb-reset IFACE: the [watchdog IFACE] sections of the -c file */
	ASSERT_EQ(complete(out, sizeof(out), "usb-reset -c examples/gateway.conf eth1"), 0);
	EXPECT_TRUE(strncmp(out, "eth1 ", 5) == 0);
	/* the section names of a file */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "cd %s && bash --norc -c 'source contrib/bash-completion/edgesteer "
			    "&& _edgesteer_sections examples/gateway.conf | tr \"\\n\" ,'", th_src()), 0);
	EXPECT_STREQ(out, "global,xdp,proxy web,syslog,forward central,watchdog eth1,");
	/* every command the binary knows is completed */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "for c in $(%s help | sed -n 's/^  \\([a-z-]*\\)  .*/\\1/p'); do "
			    "grep -q \"$c\" %s/contrib/bash-completion/edgesteer || echo $c; done", th_bin(), th_src()), 0);
	EXPECT_STREQ(out, "");
}

TEST(prometheus_rules_pass_promtool_check_and_unit_tests)
{
	char out[8192];

	EXPECT_EQ(th_sh_out(out, sizeof(out), "cd %s/contrib/prometheus && promtool check rules edgesteer-alerts.yml 2>&1",
			    th_src()), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "SUCCESS: 8 rules found") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "cd %s/contrib/prometheus && promtool test rules edgesteer-alerts.test.yml 2>&1",
			    th_src()), 0);
	TH_LOG("%s", out);
	/* the alerts the brief asks for are all there */
	EXPECT_EQ(th_sh("cd %s/contrib/prometheus && for a in EdgesteerDown EdgesteerForwarderDown EdgesteerSpoolGrowing "
			"EdgesteerSubscriberSkipping EdgesteerXdpMalformedRising EdgesteerNicStalled EdgesteerNicGivenUp; "
			"do grep -q \"alert: $a$\" edgesteer-alerts.yml || exit 1; "
			"grep -q \"alertname: $a$\" edgesteer-alerts.test.yml || exit 1; done", th_src()), 0);
}

TEST(dashboard_and_rules_use_metric_names_the_daemon_emits)
{
	char out[4096];

	EXPECT_EQ(th_sh("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
			"assert d[\"uid\"] == \"edgesteer\" and len(d[\"panels\"]) > 10' %s/contrib/grafana/edgesteer.json",
			th_src()), 0);
	/* every edgesteer_* name in them is one the sources emit */
	EXPECT_EQ(th_sh_out(out, sizeof(out),
			    "cd %s && for m in $(grep -oh 'edgesteer_[a-z_]*[a-z]' contrib/grafana/edgesteer.json "
			    "contrib/prometheus/edgesteer-alerts.yml | sort -u); do "
			    "grep -rqF \"\\\"$m\\\"\" user || echo \"$m\"; done", th_src()), 0);
	EXPECT_STREQ(out, "");
}

TEST_HARNESS_MAIN
