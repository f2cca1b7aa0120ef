// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command line as an operator meets it: --help and usage errors on
 * every command, `help CMD`, the version, and `check` on the shipped
 * examples and on what the daemon would load (certificates, keys, CA
 * bundles, host names, an empty file).
 */
#include "harness.h"

static const char *const commands[] = {
	"run", "check", "status", "stats", "top", "metrics", "reload", "attach", "detach", "usb-reset",
	"help", "version",
};

TEST(every_command_prints_its_usage_to_stdout_on_help_and_exits_0)
{
	char out[4096];

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *c = commands[i];
		char want[64];

		snprintf(want, sizeof(want), "usage: edgesteer %s", c);
		/* stderr must stay empty: it goes to stdout through the pipe
		 * only when a line says so */
		EXPECT_EQ(th_sh_out(out, sizeof(out), "%s %s --help 2>&1 >/dev/null | sed 's/^/STDERR: /'",
				    th_bin(), c), 0);
		EXPECT_STREQ(out, "");
		EXPECT_EQ(th_sh_out(out, sizeof(out), "%s %s --help 2>/dev/null", th_bin(), c), 0);
		EXPECT_TRUE(strstr(out, want) == out);
		EXPECT_EQ(th_sh_out(out, sizeof(out), "%s %s -h 2>/dev/null", th_bin(), c), 0);
		EXPECT_TRUE(strstr(out, want) == out);
		if (strstr(out, want) != out)
			TH_LOG("%s -h printed: %.200s", c, out);
	}
}

TEST(usage_errors_print_the_usage_to_stderr_and_exit_2)
{
	char out[4096];

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *c = commands[i];

		/* nothing on stdout, the usage on stderr, exit 2 */
		EXPECT_EQ(th_sh_out(out, sizeof(out), "%s %s --no-such-option 2>/dev/null", th_bin(), c), 2);
		EXPECT_STREQ(out, "");
		EXPECT_EQ(th_sh_out(out, sizeof(out), "%s %s --no-such-option 2>&1", th_bin(), c), 2);
		EXPECT_TRUE(strstr(out, "usage: edgesteer") != NULL);
	}
	/* extra operands are errors, not ignored */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s status stray 2>&1", th_bin()), 2);
	EXPECT_TRUE(strstr(out, "unexpected argument 'stray'") != NULL);
	EXPECT_EQ(th_sh("%s check -c /dev/null extra 2>/dev/null", th_bin()), 2);
	EXPECT_EQ(th_sh("%s stats --json again 2>/dev/null", th_bin()), 2);
	EXPECT_EQ(th_sh("%s usb-reset eth0 eth1 2>/dev/null", th_bin()), 2);
	EXPECT_EQ(th_sh("%s usb-reset 2>/dev/null", th_bin()), 2);
	/* a missing option value is named */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c 2>&1", th_bin()), 2);
	EXPECT_TRUE(strstr(out, "option '-c' needs a value") != NULL);
	/* no command, an unknown command */
	EXPECT_EQ(th_sh("%s >/dev/null 2>&1", th_bin()), 2);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s frobnicate 2>&1", th_bin()), 2);
	EXPECT_TRUE(strstr(out, "unknown command 'frobnicate'") != NULL);
	/* --json only where it means something */
	EXPECT_EQ(th_sh("%s status --json 2>/dev/null", th_bin()), 2);
}

TEST(help_lists_every_command_and_the_version_options)
{
	char out[8192];

	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s help", th_bin()), 0);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n  %s ", commands[i]);
		EXPECT_TRUE(strstr(out, want) != NULL);
	}
	EXPECT_TRUE(strstr(out, "--version") != NULL);
	EXPECT_TRUE(strstr(out, "-V") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s --help", th_bin()), 0);
	EXPECT_TRUE(strstr(out, "commands:") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s help stats", th_bin()), 0);
	EXPECT_TRUE(strstr(out, "usage: edgesteer stats") == out);
	EXPECT_TRUE(strstr(out, "--json") != NULL);
	EXPECT_EQ(th_sh("%s help nosuch 2>/dev/null", th_bin()), 2);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s -V", th_bin()), 0);
	EXPECT_TRUE(strncmp(out, "edgesteer ", 10) == 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s --version", th_bin()), 0);
	EXPECT_TRUE(strncmp(out, "edgesteer ", 10) == 0);
}

TEST(every_shipped_example_passes_check)
{
	char out[8192];
	int n = 0;

	/* as shipped: the certificates they name exist only on a gateway */
	ASSERT_EQ(th_sh_out(out, sizeof(out),
			    "cd %s && n=0; for f in examples/*.conf; do n=$((n+1)); %s check --no-files -c $f || "
			    "exit 1; done; echo count=$n", th_src(), th_bin()), 0);
	TH_LOG("%s", out);
	ASSERT_TRUE(strstr(out, "count=") != NULL);
	sscanf(strstr(out, "count=") + 6, "%d", &n);
	EXPECT_GE(n, 5);	/* edgesteer.conf and one per role */
	/* the roles without certificates pass the full check as shipped */
	EXPECT_EQ(th_sh("cd %s && %s check -q -c examples/proxy.conf && %s check -q -c examples/watchdog.conf",
			th_src(), th_bin(), th_bin()), 0);
}

TEST_TIMEOUT(examples_pass_the_full_check_with_test_certificates, 60)
{
	char out[8192];
	char d[64];

	snprintf(d, sizeof(d), "/tmp/es-cli-ex-%d", getpid());
	/* scripts/mkcerts.sh, the paths of the examples pointed at its files */
	ASSERT_EQ(th_sh("rm -rf %s; %s/scripts/mkcerts.sh %s logs.example.net >/dev/null", d, th_src(), d), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out),
			    "cd %s && for f in examples/*.conf; do sed "
			    "-e 's#/etc/edgesteer/\\(tls/\\)\\?gateway\\.crt#%s/server.crt#' "
			    "-e 's#/etc/edgesteer/\\(tls/\\)\\?gateway\\.key#%s/server.key#' "
			    "-e 's#/etc/edgesteer/\\(tls/\\)\\?[a-z-]*ca\\.crt#%s/ca.crt#' "
			    "$f > %s/$(basename $f); %s check -c %s/$(basename $f) 2>&1 || exit 1; done",
			    th_src(), d, d, d, d, th_bin(), d), 0);
	TH_LOG("%s", out);
	EXPECT_EQ(th_sh("test \"$(grep -c 'configuration OK' <<'EOF'\n%s\nEOF\n)\" -ge 5", out), 0);
	th_sh("rm -rf %s", d);
}

FIXTURE(certs) {
	char dir[64];
	char conf[128];
};

FIXTURE_SETUP(certs)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-cli-certs-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/t.conf", self->dir);
	ASSERT_EQ(th_sh("rm -rf %s; %s/scripts/mkcerts.sh %s gw.test >/dev/null", self->dir, th_src(), self->dir), 0);
	/* an expired certificate (January 2020), and one that expires in 5 days */
	ASSERT_EQ(th_sh("cd %s && mkdir -p db && : > db/index && echo 01 > db/serial && "
			"printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = db/index\\nserial = db/serial\\n"
			"new_certs_dir = db\\ndefault_md = sha256\\npolicy = p\\n[p]\\ncommonName = supplied\\n' > ca.cnf && "
			"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout old.key "
			"-out old.csr -subj /CN=old 2>/dev/null && "
			"openssl ca -batch -config ca.cnf -selfsign -keyfile old.key -in old.csr -out old.crt "
			"-startdate 20200101000000Z -enddate 20200201000000Z -notext >/dev/null 2>&1 && "
			"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout soon.key "
			"-out soon.crt -days 5 -subj /CN=soon 2>/dev/null", self->dir), 0);
}

FIXTURE_TEARDOWN(certs)
{
	th_sh("rm -rf %s", self->dir);
}

/* A [syslog] section with a subscriber listener using cert/key/ca. */
static void syslog_conf(const char *path, const char *d, const char *cert, const char *key, const char *ca)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fprintf(f, "[syslog]\nlisten = 127.0.0.1:5514\n"
		"tls_listen = 127.0.0.1:6514\n"
		"cert = %s/%s\n"
		"key = %s/%s\n"
		"client_ca = %s/%s\n", d, cert, d, key, d, ca);
	fclose(f);
}

TEST_F(certs, check_accepts_a_matching_pair_and_is_silent_with_q)
{
	char out[4096];

	syslog_conf(self->conf, self->dir, "server.crt", "server.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 0);
	EXPECT_TRUE(strstr(out, "configuration OK") != NULL);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -q -c %s 2>&1", th_bin(), self->conf), 0);
	EXPECT_STREQ(out, "");
	/* EC too */
	syslog_conf(self->conf, self->dir, "server-ec.crt", "server-ec.key", "ca-bundle.crt");
	EXPECT_EQ(th_sh("%s check -q -c %s", th_bin(), self->conf), 0);
}

TEST_F(certs, check_refuses_a_key_of_another_certificate_at_the_key_line)
{
	char out[4096];

	/* line 4 is cert, line 5 key */
	syslog_conf(self->conf, self->dir, "server.crt", "client.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":5: [syslog] key: ") != NULL);
	EXPECT_TRUE(strstr(out, "does not belong to the certificate") != NULL);
	/* an RSA certificate with an EC key */
	syslog_conf(self->conf, self->dir, "server.crt", "server-ec.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	EXPECT_TRUE(strstr(out, ":5: [syslog] key: ") != NULL);
	/* a key where the certificate belongs */
	syslog_conf(self->conf, self->dir, "server.key", "server.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	EXPECT_TRUE(strstr(out, ":4: [syslog] cert: ") != NULL);
	EXPECT_TRUE(strstr(out, "holds no CERTIFICATE") != NULL);
	/* a missing key file, at the key's line */
	syslog_conf(self->conf, self->dir, "server.crt", "nosuch.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	EXPECT_TRUE(strstr(out, ":5: [syslog] key: cannot read") != NULL);
	/* a missing file, at its key's line, not the section's */
	syslog_conf(self->conf, self->dir, "server.crt", "server.key", "nosuch.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	EXPECT_TRUE(strstr(out, ":6: [syslog] client_ca: ") != NULL);
	/* --no-files does not open them */
	EXPECT_EQ(th_sh("%s check -q --no-files -c %s", th_bin(), self->conf), 0);
}

TEST_F(certs, check_refuses_a_ca_bundle_without_anchors)
{
	char out[4096];

	syslog_conf(self->conf, self->dir, "server.crt", "server.key", "server.key");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":6: [syslog] client_ca: ") != NULL);
	EXPECT_TRUE(strstr(out, "holds no CA certificate") != NULL);
}

TEST_F(certs, check_refuses_an_expired_certificate_and_warns_of_one_expiring_soon)
{
	char out[4096];

	syslog_conf(self->conf, self->dir, "old.crt", "old.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":4: [syslog] cert: ") != NULL);
	EXPECT_TRUE(strstr(out, "expired on 2020-02-01") != NULL);
	syslog_conf(self->conf, self->dir, "soon.crt", "soon.key", "ca.crt");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":4: [syslog] cert: warning: ") != NULL);
	EXPECT_TRUE(strstr(out, "renew it soon") != NULL);
}

TEST_F(certs, check_loads_terminate_and_forward_files_too)
{
	char out[4096];
	FILE *f = fopen(self->conf, "w");

	ASSERT_TRUE(f != NULL);
	fprintf(f, "[proxy web]\nlisten = 127.0.0.1:8443\n"
		"route = a.test 127.0.0.1:9 terminate=%s/server.crt,%s/client.key\n"
		"[syslog]\nlisten = 127.0.0.1:5514\n"
		"[forward c]\ncollector = 127.0.0.1:6515\nserver_name = gw.test\n"
		"ca = %s/server.key\n", self->dir, self->dir, self->dir);
	fclose(f);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), self->conf), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":3: [proxy web] route: ") != NULL);
	EXPECT_TRUE(strstr(out, ":9: [forward c] ca: ") != NULL);
}

TEST(check_refuses_names_that_are_not_host_names)
{
	char path[64], out[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/es-cli-names-%d.conf", getpid());
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[proxy web]\nlisten = 127.0.0.1:8443\n"
		"route = b..com 127.0.0.1:9\n"
		"route = -a.example.com 127.0.0.1:9\n"
		"route = *.ok.example.com 127.0.0.1:9\n"
		"route = sp ace.com 127.0.0.1:9\n"
		"route = x_y.example.com. 127.0.0.1:9\n");
	fclose(f);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), path), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":3: [proxy web] route: 'b..com' is not a host name") != NULL);
	EXPECT_TRUE(strstr(out, ":4: [proxy web] route: '-a.example.com' is not a host name") != NULL);
	EXPECT_TRUE(strstr(out, ":5:") == NULL);
	EXPECT_TRUE(strstr(out, ":7:") == NULL);
	th_sh("rm -f %s", path);
}

TEST(check_warns_of_listeners_whose_port_the_data_plane_would_not_classify)
{
	char path[64], out[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/es-cli-classes-%d.conf", getpid());
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[xdp]\ninterfaces = eth0\n"
		"syslog_ports = 514 6000-6010\nproxy_ports = 443\nsyslog_tcp_ports = 6514\n"
		"[proxy web]\n"
		"listen = 127.0.0.1:443 127.0.0.1:8443 [::1]:8443\n"	/* line 7 */
		"default = 127.0.0.1:9\n"
		"[syslog]\n"
		"listen = 127.0.0.1:6005 127.0.0.1:5514\n"		/* line 10 */
		"tcp_listen = 127.0.0.1:601\n"
		"tls_intake = 127.0.0.1:6514\n"
		"cert = /nonexistent.crt\nkey = /nonexistent.key\n");
	fclose(f);
	/* warnings only: the file is valid */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check --no-files -c %s 2>&1", th_bin(), path), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, ":7: [proxy web] listen: warning: port 8443 is not in [xdp] proxy_ports") != NULL);
	EXPECT_TRUE(strstr(strstr(out, "port 8443") + 1, "port 8443") == NULL);	/* once per port */
	EXPECT_TRUE(strstr(out, ":10: [syslog] listen: warning: port 5514 is not in [xdp] syslog_ports") != NULL);
	EXPECT_TRUE(strstr(out, ":11: [syslog] tcp_listen: warning: port 601 is not in [xdp] syslog_tcp_ports") !=
		    NULL);
	EXPECT_TRUE(strstr(out, "port 443 ") == NULL);	/* listed */
	EXPECT_TRUE(strstr(out, "port 6005") == NULL);	/* inside a range */
	EXPECT_TRUE(strstr(out, "port 6514") == NULL);
	EXPECT_TRUE(strstr(out, "configuration OK") != NULL);
	EXPECT_TRUE(strstr(out, "with warnings") != NULL);
	/* without [xdp] nothing is classified, so nothing to warn of */
	ASSERT_EQ(th_sh("sed -i '1,5d' %s", path), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check --no-files -c %s 2>&1", th_bin(), path), 0);
	EXPECT_TRUE(strstr(out, "warning") == NULL);
	th_sh("rm -f %s", path);
}

TEST(check_reports_an_empty_configuration_with_its_own_exit_code)
{
	char path[64], out[4096];

	snprintf(path, sizeof(path), "/tmp/es-cli-empty-%d.conf", getpid());
	ASSERT_EQ(th_sh("printf '[global]\\nlog_level = info\\n' > %s", path), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", th_bin(), path), 3);
	EXPECT_TRUE(strstr(out, "nothing to do") != NULL);
	/* -q does not hide it: it is not a success */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -q -c %s 2>&1", th_bin(), path), 3);
	EXPECT_TRUE(strstr(out, "nothing to do") != NULL);
	EXPECT_EQ(th_sh("%s check -c /dev/null 2>/dev/null", th_bin()), 3);
	th_sh("rm -f %s", path);
}

TEST_HARNESS_MAIN
