// SPDX-License-Identifier: GPL-2.0-only
/*
 * [global] access_log_format: the proxy's access-log line as text
 * (key=value, the default) or as one JSON object, for a routed
 * connection whose upstream refuses and for a hello without a name.
 */
#include "harness.h"

FIXTURE(alog) {
	char dir[64];
	char conf[128];
	pid_t pid;
};

FIXTURE_SETUP(alog)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-alog-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	ASSERT_EQ(th_sh("rm -rf %s; mkdir -p %s", self->dir, self->dir), 0);
}

FIXTURE_TEARDOWN(alog)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	th_sh("sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null; rm -rf %s", self->dir, self->dir);
}

static void start(struct th_metadata *_metadata, FIXTURE(alog) *self, const char *format_line)
{
	FILE *f = fopen(self->conf, "w");
	pid_t pid;

	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\npin_path = /sys/fs/bpf/es-alog-%d\n%s"
		"[proxy web]\nlisten = 127.0.0.1:28443\nroute = app.example.com 127.0.0.1:28444\n"
		"no_sni = 127.0.0.1:28444\nconnect_timeout = 1s\n", self->dir, getpid(), format_line);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		char log[128];

		snprintf(log, sizeof(log), "%s/daemon.log", self->dir);
		if (!freopen(log, "w", stderr))
			_exit(126);
		execl(th_bin(), "edgesteer", "run", "-c", self->conf, (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	self->pid = pid;
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s/ctl.sock >/dev/null 2>&1", th_bin(), self->dir), 0);
	/* one hello with a server name, one without (-noservername) */
	th_sh("timeout 5 openssl s_client -connect 127.0.0.1:28443 -servername app.example.com </dev/null >/dev/null 2>&1");
	th_sh("timeout 5 openssl s_client -connect 127.0.0.1:28443 -noservername </dev/null >/dev/null 2>&1");
}

TEST_F(alog, json_lines_parse_and_carry_the_fields)
{
	char out[4096];

	start(_metadata, self, "access_log_format = json\n");
	ASSERT_EQ(th_wait_sh(10000, "test $(grep -c '^<6>{\"proxy\"' %s/daemon.log) -ge 2", self->dir), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out),
			    "sed -n 's/^<6>\\({\"proxy\".*\\)/\\1/p' %s/daemon.log | python3 -c '"
			    "import json,sys\n"
			    "rows=[json.loads(l) for l in sys.stdin]\n"
			    "named=[r for r in rows if r[\"name\"] == \"app.example.com\"]\n"
			    "anon=[r for r in rows if r[\"name\"] is None]\n"
			    "assert named and anon, rows\n"
			    "r=named[0]\n"
			    "assert r[\"proxy\"] == \"web\" and r[\"route\"] == \"app.example.com\", r\n"
			    "assert r[\"upstream\"] == \"127.0.0.1:28444\" and r[\"reason\"] == \"connect_failed\", r\n"
			    "assert isinstance(r[\"up\"], int) and isinstance(r[\"ms\"], int) and r[\"client\"].startswith(\"127.0.0.1:\"), r\n"
			    "print(json.dumps(r))'", self->dir), 0);
	TH_LOG("%s", out);
}

TEST_F(alog, text_stays_the_default)
{
	start(_metadata, self, "");
	ASSERT_EQ(th_wait_sh(10000, "grep -q '^<6>proxy=web client=127.0.0.1:[0-9]* name=app.example.com "
			     "route=app.example.com upstream=127.0.0.1:28444 ' %s/daemon.log", self->dir), 0);
	EXPECT_NE(th_sh("grep -q '^<6>{' %s/daemon.log", self->dir), 0);
}

TEST(access_log_format_takes_text_or_json)
{
	char out[1024];

	EXPECT_EQ(th_sh_out(out, sizeof(out), "printf '[global]\\naccess_log_format = xml\\n' > /tmp/es-alog-k-%d.conf; "
			    "%s check -c /tmp/es-alog-k-%d.conf 2>&1; rc=$?; rm -f /tmp/es-alog-k-%d.conf; exit $rc",
			    getpid(), th_bin(), getpid(), getpid()), 1);
	EXPECT_TRUE(strstr(out, ":2: [global] access_log_format: 'xml' is not one of: text | json") != NULL);
}

TEST_HARNESS_MAIN
