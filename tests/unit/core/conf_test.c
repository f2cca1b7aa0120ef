// SPDX-License-Identifier: GPL-2.0-only
/* Config parser: good files, and a table of bad lines each reported with
 * its file, line and key. */
#include "harness.h"

#include <arpa/inet.h>

#include "core/conf.h"

/* Parse `text`; return the error output (static buffer) and the rc. */
static const char *parse(const char *text, struct conf **out, int *rc)
{
	static char errbuf[8192];
	FILE *f = fmemopen(errbuf, sizeof(errbuf) - 1, "w");

	memset(errbuf, 0, sizeof(errbuf));
	*out = NULL;
	*rc = conf_load_string("t.conf", text, out, f);
	fclose(f);
	return errbuf;
}

TEST(minimal_and_defaults)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_TRUE(c->has_xdp);
	EXPECT_EQ(c->xdp.n_ifaces, 1);
	EXPECT_STREQ(c->xdp.ifaces[0], "eth0");
	EXPECT_EQ(c->xdp.n_syslog_ports, 1);
	EXPECT_EQ(c->xdp.syslog_ports[0], 514);
	EXPECT_EQ(c->xdp.proxy_ports[0], 443);
	EXPECT_EQ(c->xdp.mode, XDP_MODE_AUTO);
	EXPECT_EQ(c->xdp.on_exit, ON_EXIT_KEEP);
	EXPECT_STREQ(c->global.control_socket, "/run/edgesteer/control.sock");
	EXPECT_STREQ(c->global.pin_path, "/sys/fs/bpf/edgesteer");
	EXPECT_FALSE(c->global.metrics_on);
	EXPECT_FALSE(c->syslog.enabled);
	conf_free(c);
}

TEST(the_mission_sketch_parses)
{
	static const char text[] =
		"[global]\n"
		"control_socket = /run/edgesteer/control.sock\n"
		"metrics_listen = 127.0.0.1:9464      ; no HTTP metrics when absent\n"
		"[xdp]\n"
		"interfaces = eth0 eth1\n"
		"mode = generic\n"
		"proxy_ports = 443 8443\n"
		"syslog_rate_pps = 1000\n"
		"syslog_burst = 2000\n"
		"allow_syslog = 192.0.2.0/24 2001:db8::/32\n"
		"deny_proxy = 198.51.100.0/24\n"
		"steer_syslog = cpus 0-1\n"
		"steer_proxy = cpu 1\n"
		"on_exit = detach\n"
		"[proxy web]\n"
		"listen = 127.0.0.1:443 [::1]:443\n"
		"route = App.Example.COM. 10.0.0.2:443 proxy_protocol=v2\n"
		"route = *.example.org 10.0.0.3:443 10.0.0.4:443\n"
		"default = 10.0.0.9:443\n"
		"no_sni = 10.0.0.9:443\n"
		"proxy_protocol = v1\n"
		"hello_timeout = 500ms\n"
		"idle_timeout = 2m\n"
		"[watchdog eth1]\n"
		"usb_ids = 0b95:1790 0bda:8153\n"
		"stall_after = 30s\n"
		"probe = 192.0.2.1\n";
	struct conf *c;
	int rc;
	const char *err = parse(text, &c, &rc);
	struct conf_proxy *px;

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_TRUE(c->global.metrics_on);
	EXPECT_EQ(c->xdp.n_proxy_ports, 2);
	EXPECT_EQ(c->xdp.proxy_ports[1], 8443);
	EXPECT_EQ(c->xdp.allow_syslog.n, 2);
	EXPECT_EQ(c->xdp.allow_syslog.v[1].family, AF_INET6);
	EXPECT_EQ(c->xdp.allow_syslog.v[1].plen, 32);
	EXPECT_EQ(c->xdp.deny_proxy.v[0].plen, 24);
	EXPECT_EQ(c->xdp.steer_syslog.kind, STEER_CPUS);
	EXPECT_EQ(c->xdp.steer_syslog.cpus, 3);
	EXPECT_EQ(c->xdp.steer_proxy.cpus, 2);
	EXPECT_EQ(c->xdp.on_exit, ON_EXIT_DETACH);
	ASSERT_EQ(c->n_proxies, 1);
	px = &c->proxies[0];
	EXPECT_EQ(px->n_listen, 2);
	EXPECT_EQ(px->n_routes, 2);
	EXPECT_STREQ(px->routes[0].name, "app.example.com");
	EXPECT_FALSE(px->routes[0].wildcard);
	EXPECT_EQ(px->routes[0].proxy_protocol, PP_V2);
	EXPECT_TRUE(px->routes[1].wildcard);
	EXPECT_EQ(px->routes[1].n_upstreams, 2);
	EXPECT_EQ(px->routes[1].proxy_protocol, PP_V1);	/* inherited */
	EXPECT_EQ(px->default_route.n_upstreams, 1);
	EXPECT_EQ(px->hello_timeout_ms, 500);
	EXPECT_EQ(px->idle_timeout_ms, 120000);
	ASSERT_EQ(c->n_watchdogs, 1);
	EXPECT_EQ(c->watchdogs[0].n_usb_ids, 2);
	EXPECT_EQ(c->watchdogs[0].usb_ids[1], 0x0bda8153);
	EXPECT_TRUE(c->watchdogs[0].probe_on);
	conf_free(c);
}

/* Each case: a file, the line the first error must name, and a fragment
 * the message must contain. */
static const struct bad_case {
	const char *text;
	int line;
	const char *key;
	const char *says;
} bad[] = {
	{ "[xdp]\ninterfaces = eth0\nmode = fast\n", 3, "mode", "auto | native | generic" },
	{ "[xdp]\ninterfaces = eth0\nsyslog_ports = 514 70000\n", 3, "syslog_ports", "1-65535" },
	{ "[xdp]\ninterfaces = eth0\nallow_syslog = 10.0.0.1/8\n", 3, "allow_syslog", "host bits" },
	{ "[xdp]\ninterfaces = eth0\ndeny_proxy = 300.1.1.1/24\n", 3, "deny_proxy", "not an IPv4 or IPv6 prefix" },
	{ "[xdp]\ninterfaces = eth0\ndeny_proxy = 2001:db8::/129\n", 3, "deny_proxy", "prefix" },
	{ "[xdp]\ninterfaces = eth0\nsteer_proxy = cpu 0-1\n", 3, "steer_proxy", "cpus" },
	{ "[xdp]\ninterfaces = eth0\nsteer_proxy = cpus 99\n", 3, "steer_proxy", "pass | cpu N" },
	{ "[xdp]\ninterfaces = eth0\non_exit = maybe\n", 3, "on_exit", "keep | detach" },
	{ "[xdp]\ninterfaces = eth0\nmode = native\nmode = generic\n", 4, "mode", "set twice" },
	{ "[xdp]\ninterfaces = eth0\nsyslog_rate = 5\n", 3, "syslog_rate", "unknown key" },
	{ "[xdp]\ninterfaces = averyveryverylongname0\n", 2, "interfaces", "not an interface name" },
	{ "\n[xdp]\nmode = native\n", 2, "interfaces", "required" },
	{ "[global]\nmetrics_listen = 0.0.0.0:9464\n", 2, "metrics_listen", "loopback" },
	{ "[global]\ncontrol_socket = relative.sock\n", 2, "control_socket", "absolute" },
	{ "[global]\nlog_level = loud\n", 2, "log_level", "debug" },
	{ "[global]\ndrain_timeout = 5 parsecs\n", 2, "drain_timeout", "duration" },
	{ "[proxy a]\nlisten = 127.0.0.1:99999\ndefault = 127.0.0.1:1\n", 2, "listen", "port must be 1-65535" },
	{ "[proxy a]\nlisten = 127.0.0.1\ndefault = 127.0.0.1:1\n", 2, "listen", "HOST:PORT" },
	{ "[proxy a]\nlisten = [::1:443\ndefault = 127.0.0.1:1\n", 2, "listen", "[IPv6]:PORT" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\nroute = a.example\n", 3, "route", "at least one upstream" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\nroute = a.*.example 127.0.0.1:2\n", 3, "route", "first label" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\nroute = a.example 127.0.0.1:2 sticky=yes\n", 3, "route", "unknown route option" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\nroute = a.example 127.0.0.1:2\nroute = A.example. 127.0.0.1:3\n", 4, "route", "already defined on line 3" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\nroute = a.example 127.0.0.1:2 terminate=/nonexistent.crt\n", 3, "route", "CERT,KEY" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\nprotocol = quic\n", 4, "protocol", "tls | http" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\nhello_timeout = -1s\n", 4, "hello_timeout", "duration" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\nmax_connections = 0\n", 4, "max_connections", "1 to" },
	{ "[proxy a]\ndefault = 127.0.0.1:2\n", 1, NULL, "no 'listen'" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\n", 1, NULL, "nothing to proxy to" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\n[proxy a]\nlisten = 127.0.0.1:3\n", 4, NULL, "appears twice (first on line 1)" },
	{ "[proxy]\nlisten = 127.0.0.1:1\n", 1, NULL, "needs a name" },
	{ "[proxy a b]\nlisten = 127.0.0.1:1\n", 1, NULL, "more than two words" },
	{ "[frobnicate]\nx = 1\n", 1, NULL, "unknown section" },
	{ "[syslog]\nlisten = 127.0.0.1:514\nframing = xml\n", 3, "framing", "octet | lf" },
	{ "[syslog]\nlisten = 127.0.0.1:514\nslow_subscriber = wait\n", 3, "slow_subscriber", "skip | disconnect" },
	{ "[syslog]\nlisten = 127.0.0.1:514\nring_size = 12Q\n", 3, "ring_size", "size" },
	{ "[syslog]\nlisten = 127.0.0.1:514\nmax_message = 10\n", 3, "max_message", "64 to 65535" },
	{ "[syslog]\nlisten = 127.0.0.1:514\ntls_listen = 127.0.0.1:6514\n", 1, "tls_listen", "cert, key and client_ca" },
	{ "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = 127.0.0.1:6514\n", 3, NULL, "no 'ca'" },
	{ "[forward c]\ncollector = 127.0.0.1:6514\nca = /etc/hostname\n", 1, NULL, "needs a [syslog] section" },
	{ "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = no-such-host.invalid:6514\nca = /etc/hostname\n",
	  4, "collector", "cannot resolve" },
	{ "[watchdog eth1]\nusb_ids = 0b95-1790\n", 2, "usb_ids", "VVVV:PPPP" },
	{ "[watchdog eth1]\nprobe = gateway\n", 2, "probe", "not an IPv4 or IPv6 address" },
	{ "[watchdog eth1]\ninterval = 10s\nstall_after = 1s\n", 1, NULL, "at least one interval" },
	{ "[watchdog eth1]\ndry_run = perhaps\n", 2, "dry_run", "yes or no" },
	{ "[xdp]\ninterfaces = eth0\nthis line has no equals sign\n", 3, NULL, "expected 'key = value'" },
	{ "[xdp]\ninterfaces = eth0\nmode =\n", 3, "mode", "empty value" },
	{ "orphan = 1\n", 1, "orphan", "outside any section" },
	{ "[xdp\ninterfaces = eth0\n", 1, NULL, "without ']'" },
};

TEST(bad_lines_name_file_line_and_key)
{
	size_t i;

	/* no-such-host.invalid must fail at once, not after the DNS timeout
	 * of a machine whose resolver is slow or unreachable: when allowed
	 * (root, as `make test` runs), resolve without a network */
	if (th_private_netns())
		TH_LOG("no private network namespace: no-such-host.invalid goes to the system resolver");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];
		struct conf *c;
		int rc;
		const char *err = parse(bad[i].text, &c, &rc);

		snprintf(want, sizeof(want), "t.conf:%d: ", bad[i].line);
		if (rc != -EINVAL || !strstr(err, want) || !strstr(err, bad[i].says) ||
		    (bad[i].key && !strstr(err, bad[i].key))) {
			TH_LOG("case %zu: %s", i, bad[i].text);
			TH_LOG("want line %d, key %s, text '%s'; got rc %d:\n%s", bad[i].line,
			       bad[i].key ? bad[i].key : "-", bad[i].says, rc, err);
		}
		EXPECT_EQ(rc, -EINVAL);
		EXPECT_TRUE(strstr(err, want) != NULL);
		EXPECT_TRUE(strstr(err, bad[i].says) != NULL);
		EXPECT_EQ(c, NULL);
	}
}

TEST(all_errors_are_reported_not_just_the_first)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\nmode = x\non_exit = y\n[global]\nlog_level = z\n",
				&c, &rc);

	ASSERT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(err, "t.conf:3:") != NULL);
	EXPECT_TRUE(strstr(err, "t.conf:4:") != NULL);
	EXPECT_TRUE(strstr(err, "t.conf:6:") != NULL);
}

TEST(overlong_line_is_refused_not_split)
{
	char text[1024];
	struct conf *c;
	int rc;
	const char *err;

	snprintf(text, sizeof(text), "[xdp]\ninterfaces = eth0\nallow_syslog =");
	while (strlen(text) < 400)
		strcat(text, " 10.0.0.0/8");
	strcat(text, "\nmode = native\n");
	err = parse(text, &c, &rc);
	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(err, "t.conf:3: line longer than 199 bytes") != NULL);
	/* the next line is still counted right: no phantom line from a split */
	EXPECT_TRUE(strstr(err, "t.conf:4") == NULL);
}

TEST(value_parsers)
{
	uint32_t ms;
	uint64_t sz, mask;
	bool b;
	struct conf_prefix p;

	EXPECT_EQ(conf_parse_duration_ms("250ms", &ms), 0);
	EXPECT_EQ(ms, 250);
	EXPECT_EQ(conf_parse_duration_ms("1.5s", &ms), 0);
	EXPECT_EQ(ms, 1500);
	EXPECT_EQ(conf_parse_duration_ms("3", &ms), 0);
	EXPECT_EQ(ms, 3000);
	EXPECT_EQ(conf_parse_duration_ms("1h", &ms), 0);
	EXPECT_EQ(ms, 3600000);
	EXPECT_NE(conf_parse_duration_ms("1d", &ms), 0);
	EXPECT_NE(conf_parse_duration_ms("", &ms), 0);
	/* strtod() takes these; none is a duration (NaN to uint32_t is UB) */
	EXPECT_NE(conf_parse_duration_ms("nan", &ms), 0);
	EXPECT_NE(conf_parse_duration_ms("NAN(1)ms", &ms), 0);
	EXPECT_NE(conf_parse_duration_ms("inf", &ms), 0);
	EXPECT_EQ(conf_parse_size("64M", &sz), 0);
	EXPECT_EQ(sz, 64u << 20);
	EXPECT_EQ(conf_parse_size("1GiB", &sz), 0);
	EXPECT_EQ(sz, 1u << 30);
	EXPECT_NE(conf_parse_size("99999999999999999999", &sz), 0);
	EXPECT_NE(conf_parse_size("-1", &sz), 0);
	EXPECT_EQ(conf_parse_bool("On", &b), 0);
	EXPECT_TRUE(b);
	EXPECT_NE(conf_parse_bool("y", &b), 0);
	EXPECT_EQ(conf_parse_cpus("0,2-3", &mask), 0);
	EXPECT_EQ(mask, 0xd);
	EXPECT_NE(conf_parse_cpus("3-1", &mask), 0);
	EXPECT_EQ(conf_parse_prefix("::/0", &p), 0);
	EXPECT_EQ(p.plen, 0);
	EXPECT_EQ(conf_parse_prefix("192.0.2.7", &p), 0);
	EXPECT_EQ(p.plen, 32);
	EXPECT_EQ(conf_parse_prefix("10.1.0.0/15", &p), -ERANGE);
}

TEST(example_config_is_complete_and_valid)
{
	/* The shipped example, with its file paths pointed at readable files
	 * and its collector at loopback, must pass the same validation. */
	char cmd[1024], out[4096];
	const char *src = getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
	const char *bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "sed -e 's#/etc/edgesteer/[a-z-]*\\.\\(crt\\|key\\)#/etc/hostname#' "
		 "-e 's|logs.example.net:6514|127.0.0.1:6514|' "
		 "%s/examples/edgesteer.conf > /tmp/es-conf-example-%d.conf && "
		 "%s check -c /tmp/es-conf-example-%d.conf 2>&1; rc=$?; rm -f /tmp/es-conf-example-%d.conf; exit $rc",
		 src, getpid(), bin, getpid(), getpid());
	rc = th_sh_out(out, sizeof(out), "%s", cmd);
	TH_LOG("%s", out);
	EXPECT_EQ(rc, 0);
	EXPECT_TRUE(strstr(out, "configuration OK") != NULL);
}

TEST(collector_name_is_always_verified)
{
	static const char *const ip[] = { "127.0.0.1:6514", "[::1]:6514" };
	char text[512];
	struct conf *c;
	const char *err;
	size_t i;
	int rc;

	/* an IP address carries no name: server_name is required */
	for (i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
		snprintf(text, sizeof(text), "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = %s\n"
			 "ca = /etc/hostname\n", ip[i]);
		err = parse(text, &c, &rc);
		TH_LOG("%s", err);
		EXPECT_EQ(rc, -EINVAL);
		EXPECT_TRUE(strstr(err, "t.conf:3: [forward c] collector: ") != NULL);
		EXPECT_TRUE(strstr(err, "is an IP address") != NULL);
		EXPECT_TRUE(strstr(err, "server_name") != NULL);
	}
	/* with server_name, or a host name (then the name verified), it is fine */
	err = parse("[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = 127.0.0.1:6514\n"
		    "ca = /etc/hostname\nserver_name = logs.example.net\n", &c, &rc);
	EXPECT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	conf_free(c);
	err = parse("[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = localhost:6514\n"
		    "ca = /etc/hostname\n", &c, &rc);
	EXPECT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	conf_free(c);
}

TEST(unprotected_private_key_is_a_warning)
{
	char key[64], text[512];
	struct conf *c;
	const char *err;
	int rc;

	snprintf(key, sizeof(key), "/tmp/es-conf-key-%d.key", getpid());
	ASSERT_EQ(th_sh("echo x > %s && chmod 644 %s", key, key), 0);
	snprintf(text, sizeof(text), "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = localhost:6514\n"
		 "ca = /etc/hostname\ncert = /etc/hostname\nkey = %s\n", key);
	err = parse(text, &c, &rc);
	TH_LOG("%s", err);
	EXPECT_EQ(rc, 0);
	EXPECT_TRUE(strstr(err, "t.conf:3: [forward c] key: warning: UNPROTECTED PRIVATE KEY FILE") != NULL);
	EXPECT_TRUE(strstr(err, "mode 0644") != NULL);
	conf_free(c);
	th_sh("chmod 600 %s", key);
	err = parse(text, &c, &rc);
	EXPECT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	conf_free(c);
	unlink(key);
}

TEST(max_handshakes_default_and_range)
{
	struct conf *c;
	const char *err;
	int rc;

	err = parse("[syslog]\nlisten = 127.0.0.1:514\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->syslog.max_handshakes, 256);
	EXPECT_EQ(c->syslog.max_subscribers, 64);
	conf_free(c);
	err = parse("[syslog]\nlisten = 127.0.0.1:514\nmax_handshakes = 0\n", &c, &rc);
	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(err, "t.conf:3: [syslog] max_handshakes") != NULL);
}

TEST(check_exit_codes)
{
	const char *bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	char out[2048];

	EXPECT_EQ(th_sh("printf '[xdp]\\ninterfaces = lo\\n' > /tmp/es-chk-%d.conf", getpid()), 0);
	EXPECT_EQ(th_sh("%s check -c /tmp/es-chk-%d.conf >/dev/null", bin, getpid()), 0);
	EXPECT_EQ(th_sh("printf '[xdp]\\nmode = x\\n' > /tmp/es-chk-%d.conf", getpid()), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c /tmp/es-chk-%d.conf 2>&1", bin, getpid()), 1);
	EXPECT_TRUE(strstr(out, ":2: [xdp] mode:") != NULL);
	EXPECT_EQ(th_sh("%s check -c /nonexistent/edgesteer.conf 2>/dev/null", bin), 1);
	EXPECT_EQ(th_sh("%s check --bogus 2>/dev/null", bin), 2);
	th_sh("rm -f /tmp/es-chk-%d.conf", getpid());
}

TEST_HARNESS_MAIN
