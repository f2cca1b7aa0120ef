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

TEST(a_config_with_every_section_parses)
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
	{ "[global]\nworkers = many\n", 2, "workers", "not auto or a whole number from 0 (auto) to 64" },
	{ "[global]\nworkers = 65\n", 2, "workers", "0 (auto) to 64" },
	{ "[global]\nworkers = -1\n", 2, "workers", "0 (auto) to 64" },
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
	{ "[syslog]\nlisten = 127.0.0.1:514\ntls_listen = 127.0.0.1:6514\n", 3, "tls_listen", "cert, key and client_ca" },
	{ "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = 127.0.0.1:6514\n", 3, NULL, "no 'ca'" },
	{ "[forward c]\ncollector = 127.0.0.1:6514\nca = /etc/hostname\n", 1, NULL, "needs a [syslog] section" },
	/* collector names are resolved later, off the loop: only their form is checked here */
	{ "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = bad!host:6514\nca = /etc/hostname\n",
	  4, "collector", "not a host name or address" },
	{ "[watchdog eth1]\nusb_ids = 0b95-1790\n", 2, "usb_ids", "VVVV:PPPP" },
	{ "[watchdog eth1]\nprobe = gatewy\n", 2, "probe", "not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway" },
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
	/* The shipped example, as shipped, passes `check --no-files` (its
	 * certificates exist only on a configured gateway). */
	char cmd[1024], out[4096];
	const char *src = getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
	const char *bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "%s check --no-files -c %s/examples/edgesteer.conf 2>&1", bin, src);
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
		EXPECT_TRUE(strstr(err, "t.conf:4: [forward c] collector: ") != NULL);
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

/* workers: auto by default, auto and 0 alike, an explicit count kept */
TEST(workers_auto_or_count)
{
	static const struct {
		const char *val;
		uint32_t want;
	} ok[] = { { "auto", 0 }, { "AUTO", 0 }, { "0", 0 }, { "1", 1 }, { "3", 3 }, { "64", 64 } };
	struct conf *c;
	char text[128];
	int rc;

	parse("[syslog]\nlisten = 127.0.0.1:514\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->global.workers, 0);
	conf_free(c);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[global]\nworkers = %s\n[syslog]\nlisten = 127.0.0.1:514\n",
			 ok[i].val);
		parse(text, &c, &rc);
		ASSERT_EQ(rc, 0);
		EXPECT_EQ(c->global.workers, ok[i].want);
		conf_free(c);
	}
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

TEST(list_keys_accumulate_over_lines)
{
	static const char text[] =
		"[xdp]\n"
		"interfaces = eth0\n"
		"interfaces = eth1 eth2\n"
		"proxy_ports = 443\n"
		"proxy_ports = 8443 9443\n"
		"allow_syslog = 10.0.0.0/8\n"
		"allow_syslog = 2001:db8::/32\n"
		"deny_proxy = 192.0.2.0/24\n"
		"deny_proxy = 198.51.100.0/24\n"
		"[proxy a]\n"
		"listen = 127.0.0.1:1\n"
		"listen = [::1]:1\n"
		"route = a.example 127.0.0.1:3\n"
		"route = b.example 127.0.0.1:4\n"
		"[syslog]\n"
		"listen = 127.0.0.1:514\n"
		"listen = [::1]:514\n"
		"[forward c]\n"
		"collector = 127.0.0.1:6514\n"
		"collector = [::1]:6514\n"
		"ca = /etc/hostname\nserver_name = logs.test\n"
		"[watchdog eth1]\n"
		"usb_ids = 0b95:1790\n"
		"usb_ids = 0bda:8153\n";
	struct conf *c;
	int rc;
	const char *err = parse(text, &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.n_ifaces, 3);
	EXPECT_STREQ(c->xdp.ifaces[2], "eth2");
	EXPECT_EQ(c->xdp.n_proxy_ports, 3);
	EXPECT_EQ(c->xdp.proxy_ports[2], 9443);
	EXPECT_EQ(c->xdp.allow_syslog.n, 2);
	EXPECT_EQ(c->xdp.deny_proxy.n, 2);
	EXPECT_EQ(c->proxies[0].n_listen, 2);
	EXPECT_EQ(c->proxies[0].n_routes, 2);
	EXPECT_EQ(c->syslog.n_listen, 2);
	EXPECT_EQ(c->forwards[0].n_collectors, 2);
	EXPECT_EQ(c->watchdogs[0].n_usb_ids, 2);
	EXPECT_EQ(c->watchdogs[0].usb_ids[1], 0x0bda8153);
	conf_free(c);
}

/* The line limit is inih's; a list longer than a line is several lines. */
TEST(a_list_too_long_for_one_line_is_written_over_several)
{
	char text[8192] = "[xdp]\n";
	struct conf *c;
	int rc, i;
	const char *err;

	for (i = 0; i < 16; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "interfaces = averylongname%02d\n", i);
	for (i = 0; i < 120; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s10.%d.0.0/16%s",
			 i % 10 ? " " : "allow_syslog =", i, i % 10 == 9 ? "\n" : "");
	for (i = 0; i < 64; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%d%s",
			 i % 16 ? " " : "proxy_ports =", 10000 + i, i % 16 == 15 ? "\n" : "");
	ASSERT_TRUE(strlen(text) > 4 * 199);
	err = parse(text, &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.n_ifaces, 16);
	EXPECT_EQ(c->xdp.allow_syslog.n, 120);
	EXPECT_EQ(c->xdp.allow_syslog.v[119].addr[1], 119);
	EXPECT_EQ(c->xdp.n_proxy_ports, 64);
	conf_free(c);
	/* the limits still hold across lines */
	strcat(text, "interfaces = onemore\nproxy_ports = 1\n");
	err = parse(text, &c, &rc);
	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(err, "interfaces: more than 16 interfaces") != NULL);
	EXPECT_TRUE(strstr(err, "proxy_ports: more than 64 ports") != NULL);
}

TEST(the_first_line_of_a_list_replaces_its_default)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\nsyslog_ports = 1514\nsyslog_ports = 2514\n"
				"[watchdog *]\nusb_ids = 0bda:8153\n", &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.n_syslog_ports, 2);
	EXPECT_EQ(c->xdp.syslog_ports[0], 1514);
	EXPECT_EQ(c->xdp.syslog_ports[1], 2514);
	EXPECT_EQ(c->xdp.n_proxy_ports, 1);	/* not given: the default */
	EXPECT_EQ(c->xdp.proxy_ports[0], 443);
	EXPECT_EQ(c->watchdogs[0].n_usb_ids, 1);
	EXPECT_EQ(c->watchdogs[0].usb_ids[0], 0x0bda8153);
	conf_free(c);
}

/* Each: a file whose key on `line` repeats the one on `first`. */
static const struct twice_case {
	const char *text;
	int line, first;
	const char *where;
} twice[] = {
	{ "[global]\nlog_level = info\n\nlog_level = debug\n", 4, 2, "[global] log_level" },
	{ "[xdp]\ninterfaces = eth0\nmode = native\nmode = generic\n", 4, 3, "[xdp] mode" },
	{ "[xdp]\ninterfaces = eth0\nsteer_proxy = pass\nsteer_proxy = cpu 0\n", 4, 3, "[xdp] steer_proxy" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\nhello_timeout = 1s\nhello_timeout = 2s\n",
	  5, 4, "[proxy a] hello_timeout" },
	{ "[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\ndefault = 127.0.0.1:3\n", 4, 3,
	  "[proxy a] default" },
	{ "[syslog]\nlisten = 127.0.0.1:514\nframing = lf\nframing = octet\n", 4, 3, "[syslog] framing" },
	{ "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = 127.0.0.1:6514\nca = /etc/hostname\n"
	  "ca = /etc/hostname\n", 6, 5, "[forward c] ca" },
	{ "[watchdog eth1]\ninterval = 1s\nstall_after = 5s\ninterval = 2s\n", 4, 2, "[watchdog eth1] interval" },
};

TEST(a_key_that_takes_one_value_given_twice_names_both_lines)
{
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		char want[160];
		struct conf *c;
		int rc;
		const char *err = parse(twice[i].text, &c, &rc);

		snprintf(want, sizeof(want), "t.conf:%d: %s: set twice in this section (first on line %d)",
			 twice[i].line, twice[i].where, twice[i].first);
		if (!strstr(err, want))
			TH_LOG("case %zu: want '%s', got:\n%s", i, want, err);
		EXPECT_EQ(rc, -EINVAL);
		EXPECT_TRUE(strstr(err, want) != NULL);
	}
}

TEST(unknown_key_lists_the_keys_of_its_section_from_the_table)
{
	for (int s = 0; s < conf_n_sections; s++) {
		const struct conf_section_def *d = &conf_sections[s];
		char text[128], want[1024];
		struct conf *c;
		int rc;
		const char *err;

		snprintf(text, sizeof(text), "[%s%s]\n\nsome_key = 1\n", d->name, d->arg ? " x" : "");
		err = parse(text, &c, &rc);
		snprintf(want, sizeof(want), "t.conf:3: [%s%s] some_key: unknown key; allowed here:", d->name,
			 d->arg ? " x" : "");
		for (int i = 0; i < d->n_keys; i++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), " %s", d->keys[i].name);
		if (!strstr(err, want))
			TH_LOG("want '%s', got:\n%s", want, err);
		EXPECT_EQ(rc, -EINVAL);
		EXPECT_TRUE(strstr(err, want) != NULL);
	}
}

TEST(unknown_key_hints_at_a_typo_or_the_section_it_belongs_to)
{
	struct conf *c;
	int rc;
	const char *err = parse("[xdp]\ninterfaces = eth0\nintefaces = eth1\n[syslog]\nlisten = 127.0.0.1:514\n"
				"syslog_ports = 1514\n[watchdog eth1]\nbogus = 1\n", &c, &rc);

	EXPECT_EQ(rc, -EINVAL);
	EXPECT_TRUE(strstr(err, "t.conf:3: [xdp] intefaces: unknown key") != NULL);
	EXPECT_TRUE(strstr(err, "(did you mean 'interfaces'?)") != NULL);
	EXPECT_TRUE(strstr(err, "t.conf:6: [syslog] syslog_ports: unknown key") != NULL);
	EXPECT_TRUE(strstr(err, "('syslog_ports' is a key of [xdp])") != NULL);
	/* nothing near: no hint */
	EXPECT_TRUE(strstr(err, "bogus: unknown key; allowed here: usb_ids interval stall_after probe "
				"min_reset_interval max_resets_per_hour dry_run link_bounce reset_command "
				"sysfs_root dev_root backoff recover_wait recover_samples flap_window\n") != NULL);
}

/* What the engine relies on in every table entry. */
TEST(key_tables_are_consistent)
{
	for (int s = 0; s < conf_n_sections; s++) {
		const struct conf_section_def *d = &conf_sections[s];

		EXPECT_TRUE(d->doc && d->doc[0]);
		EXPECT_TRUE(d->n_keys > 0 && d->n_keys <= 64);
		for (int i = 0; i < d->n_keys; i++) {
			const struct conf_key *k = &d->keys[i];
			bool ok = true;

			for (int j = 0; j < i; j++)
				ok &= strcmp(k->name, d->keys[j].name) != 0;
			ok &= k->doc && k->doc[0] && !(k->def && k->def_note);
			switch (k->type) {
			case CONF_INT: case CONF_SIZE: case CONF_DURATION: case CONF_ENUM:
				ok &= k->size == 1 || k->size == 2 || k->size == 4 || k->size == 8;
				ok &= k->type == CONF_DURATION || k->type == CONF_ENUM || k->min <= k->max;
				ok &= k->type != CONF_INT || k->max <= UINT32_MAX;
				ok &= k->type != CONF_SIZE || k->size == 8 || k->max <= UINT32_MAX;
				ok &= k->type != CONF_ENUM || (k->words && k->words[0]);
				ok &= k->type != CONF_DURATION || k->size == 4;
				break;
			case CONF_STRING: case CONF_PATH:
				ok &= k->size > 1;
				break;
			case CONF_BOOL:
				ok &= k->size == sizeof(bool);
				break;
			case CONF_ADDRS:
				ok &= k->max && k->max * sizeof(struct conf_addr) <= k->size;
				break;
			case CONF_PORTS:
				ok &= k->max && k->max * sizeof(uint16_t) <= k->size;
				break;
			case CONF_IFACES:
				ok &= k->max && k->max * IFNAMSIZ <= k->size;
				break;
			case CONF_USB_IDS:
				ok &= k->max && k->max * sizeof(uint32_t) <= k->size;
				break;
			case CONF_PREFIXES:
				ok &= k->max && k->size == sizeof(struct conf_prefix_list);
				break;
			case CONF_CUSTOM:
				ok &= k->parse && k->syntax;
				break;
			}
			/* a list is repeatable; a key that takes one value is not */
			ok &= (k->type >= CONF_ADDRS && k->type <= CONF_USB_IDS) == !!(k->flags & CONF_REPEAT) ||
			      k->type == CONF_CUSTOM;
			if (!ok)
				TH_LOG("[%s] %s: inconsistent table entry", d->name, k->name);
			EXPECT_TRUE(ok);
		}
	}
}

/* The table's default strings give the values the daemon always had. */
TEST(defaults_are_the_values_they_always_were)
{
	static const char text[] =
		"[xdp]\ninterfaces = eth0\n"
		"[proxy a]\nlisten = 127.0.0.1:1\ndefault = 127.0.0.1:2\n"
		"[syslog]\nlisten = 127.0.0.1:514\n"
		"[forward c]\ncollector = 127.0.0.1:6514\nca = /etc/hostname\nserver_name = logs.test\n"
		"[watchdog eth1]\n";
	struct conf *c;
	int rc;
	const char *err = parse(text, &c, &rc);

	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->global.log_level, 6);	/* LOG_INFO */
	EXPECT_EQ(c->global.drain_timeout_ms, 10000);
	EXPECT_EQ(c->global.max_connections, 0);
	EXPECT_EQ(c->global.workers, 0);	/* auto */
	EXPECT_STREQ(c->global.control_group, "");
	EXPECT_EQ(c->xdp.cpumap_qsize, 2048);
	EXPECT_EQ(c->xdp.syslog_rate_v6_prefix, 64);
	EXPECT_EQ(c->xdp.syslog_rate_pps, 0);
	EXPECT_EQ(c->xdp.steer_syslog.kind, STEER_PASS);
	EXPECT_EQ(c->xdp.steer_proxy.cpus, 0);
	EXPECT_EQ(c->proxies[0].protocol, PROTO_TLS);
	EXPECT_EQ(c->proxies[0].hello_timeout_ms, 5000);
	EXPECT_EQ(c->proxies[0].connect_timeout_ms, 3000);
	EXPECT_EQ(c->proxies[0].idle_timeout_ms, 300000);
	EXPECT_EQ(c->proxies[0].max_connections, 10000);
	EXPECT_EQ(c->proxies[0].pipe_size, 65536);
	EXPECT_TRUE(c->proxies[0].access_log);
	EXPECT_TRUE(c->proxies[0].splice);
	EXPECT_EQ(c->proxies[0].proxy_protocol, PP_OFF);
	EXPECT_EQ(c->proxies[0].default_route.proxy_protocol, PP_OFF);
	EXPECT_EQ(c->syslog.max_message, 8192);
	EXPECT_EQ(c->syslog.oversize, OVERSIZE_TRUNCATE);
	EXPECT_EQ(c->syslog.ring_size, 64u << 20);
	EXPECT_EQ(c->syslog.ring_messages, 1u << 20);
	EXPECT_EQ(c->syslog.rcvbuf, 32u << 20);
	EXPECT_EQ(c->syslog.framing, FRAMING_OCTET);
	EXPECT_EQ(c->syslog.slow_subscriber, SLOW_SKIP);
	EXPECT_EQ(c->syslog.handshake_timeout_ms, 10000);
	EXPECT_EQ(c->syslog.max_subscribers, 64);
	EXPECT_EQ(c->forwards[0].spool_max, 1ull << 30);
	EXPECT_EQ(c->forwards[0].connect_timeout_ms, 5000);
	EXPECT_EQ(c->forwards[0].handshake_timeout_ms, 10000);
	EXPECT_EQ(c->forwards[0].write_timeout_ms, 10000);
	EXPECT_EQ(c->forwards[0].backoff_min_ms, 500);
	EXPECT_EQ(c->forwards[0].backoff_max_ms, 60000);
	EXPECT_STREQ(c->forwards[0].spool_dir, "");
	EXPECT_EQ(c->watchdogs[0].n_usb_ids, 1);
	EXPECT_EQ(c->watchdogs[0].usb_ids[0], 0x0b951790);
	EXPECT_EQ(c->watchdogs[0].interval_ms, 1000);
	EXPECT_EQ(c->watchdogs[0].stall_after_ms, 30000);
	EXPECT_EQ(c->watchdogs[0].min_reset_interval_ms, 60000);
	EXPECT_EQ(c->watchdogs[0].max_resets_per_hour, 4);
	EXPECT_FALSE(c->watchdogs[0].dry_run);
	EXPECT_TRUE(c->watchdogs[0].link_bounce);
	EXPECT_EQ(c->watchdogs[0].backoff, 2);
	EXPECT_EQ(c->watchdogs[0].recover_wait_ms, 10000);
	EXPECT_STREQ(c->watchdogs[0].sysfs_root, "/sys");
	EXPECT_STREQ(c->watchdogs[0].dev_root, "/dev");
	EXPECT_FALSE(c->watchdogs[0].probe_on);
	conf_free(c);
}

TEST(proxy_balance_health_pp_in_and_client_limits)
{
	struct conf *c;
	const char *err;
	int rc;

	err = parse("[xdp]\ninterfaces = eth0\nproxy_syn_rate_pps = 50\n"
		    "[proxy p]\nlisten = 127.0.0.1:1\nbalance = leastconn\n"
		    "accept_proxy = both\naccept_proxy_from = 10.0.0.0/8 2001:db8::/32\n"
		    "max_conn_per_client = 10\nclient_rate = 5\n"
		    "route = a.example 127.0.0.1:2 127.0.0.1:3\n"
		    "route = b.example 127.0.0.1:2 balance=hash\n"
		    "default = 127.0.0.1:4\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->xdp.proxy_syn_rate_pps, 50);
	EXPECT_EQ(c->xdp.proxy_syn_burst, 50);	/* defaults to the rate */
	EXPECT_EQ(c->proxies[0].routes[0].balance, BALANCE_LEASTCONN);	/* inherited */
	EXPECT_EQ(c->proxies[0].routes[1].balance, BALANCE_HASH);
	EXPECT_EQ(c->proxies[0].default_route.balance, BALANCE_LEASTCONN);
	EXPECT_EQ(c->proxies[0].accept_proxy, ACCEPT_PP_BOTH);
	EXPECT_EQ(c->proxies[0].accept_proxy_from.n, 2);
	EXPECT_EQ(c->proxies[0].client_burst, 5);
	EXPECT_EQ(c->proxies[0].health_backoff_min_ms, 1000);
	EXPECT_EQ(c->proxies[0].health_backoff_max_ms, 60000);
	conf_free(c);

	/* a PROXY header from anyone would let anyone forge a client address */
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\naccept_proxy = v1\nroute = a 127.0.0.1:2\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_NE(strstr(err, "needs accept_proxy_from"), NULL);
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\nroute = a 127.0.0.1:2 balance=random\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_NE(strstr(err, "random"), NULL);
	/* upstream names are checked, not resolved, at load */
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\nroute = a no-such-host.invalid:443 10.0.0.1:443\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->proxies[0].routes[0].upstreams[0].ss.ss_family, AF_UNSPEC);
	EXPECT_STREQ(c->proxies[0].routes[0].upstreams[0].text, "no-such-host.invalid:443");
	EXPECT_EQ(c->proxies[0].routes[0].upstreams[1].ss.ss_family, AF_INET);
	EXPECT_EQ(c->proxies[0].resolve_interval_ms, 30000);
	EXPECT_EQ(c->proxies[0].happy_eyeballs_delay_ms, 250);
	EXPECT_EQ(c->proxies[0].happy_eyeballs_max, 3);
	conf_free(c);
	/* so are collector names; addresses stay literal */
	err = parse("[syslog]\nlisten = 127.0.0.1:514\n[forward c]\ncollector = no-such-host.invalid:6514 "
		    "127.0.0.1:6514\nca = /etc/hostname\nserver_name = logs.example.net\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->forwards[0].collectors[0].ss.ss_family, AF_UNSPEC);
	EXPECT_STREQ(c->forwards[0].collectors[0].text, "no-such-host.invalid:6514");
	EXPECT_EQ(c->forwards[0].collectors[1].ss.ss_family, AF_INET);
	EXPECT_EQ(c->forwards[0].resolve_interval_ms, 30000);
	conf_free(c);
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\nroute = a bad!name:443\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_NE(strstr(err, "not a host name"), NULL);
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\nhealth_backoff_min = 5s\nhealth_backoff_max = 1s\n"
		    "route = a 127.0.0.1:2\n", &c, &rc);
	EXPECT_NE(rc, 0);
	EXPECT_NE(strstr(err, "health_backoff_max is shorter"), NULL);
}

TEST(proxy_checks_per_section_and_per_route)
{
	struct conf *c;
	const char *err;
	int rc;

	err = parse("[proxy p]\nlisten = 127.0.0.1:1\ncheck = tls\ncheck_ca = /etc/hostname\n"
		    "check_sni = up.example\ncheck_interval = 2s\n"
		    "route = a.example 127.0.0.1:2\n"
		    "route = b.example 127.0.0.1:3 check=tcp\n"
		    "route = c.example 127.0.0.1:4 check_sni=c.example\n"
		    "route = d.example 127.0.0.1:5 check=off\n"
		    "route = e.example 127.0.0.1:2\n"
		    "default = 127.0.0.1:6 check=tls check_ca=/etc/passwd\n", &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(c->proxies[0].check, CHECK_TLS);
	EXPECT_EQ(c->proxies[0].check_interval_ms, 2000);
	/* inherited whole */
	EXPECT_EQ(c->proxies[0].routes[0].check, CHECK_TLS);
	EXPECT_STREQ(c->proxies[0].routes[0].check_ca, "/etc/hostname");
	EXPECT_STREQ(c->proxies[0].routes[0].check_sni, "up.example");
	/* tcp takes neither CA nor name */
	EXPECT_EQ(c->proxies[0].routes[1].check, CHECK_TCP);
	EXPECT_STREQ(c->proxies[0].routes[1].check_ca, "");
	EXPECT_STREQ(c->proxies[0].routes[1].check_sni, "");
	/* one key overridden, the others inherited */
	EXPECT_EQ(c->proxies[0].routes[2].check, CHECK_TLS);
	EXPECT_STREQ(c->proxies[0].routes[2].check_ca, "/etc/hostname");
	EXPECT_STREQ(c->proxies[0].routes[2].check_sni, "c.example");
	EXPECT_EQ(c->proxies[0].routes[3].check, CHECK_OFF);
	EXPECT_STREQ(c->proxies[0].default_route.check_ca, "/etc/passwd");
	EXPECT_STREQ(c->proxies[0].default_route.check_sni, "up.example");
	/* absent fallbacks inherit too (nothing to check on them) */
	EXPECT_EQ(c->proxies[0].no_sni_route.check, CHECK_TLS);
	conf_free(c);

	/* the default is off, and a route may ask for its own */
	err = parse("[proxy p]\nlisten = 127.0.0.1:1\nroute = a 127.0.0.1:2 check=tls\nroute = b 127.0.0.1:3\n",
		    &c, &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(c->proxies[0].check, CHECK_OFF);
	EXPECT_EQ(c->proxies[0].routes[0].check, CHECK_TLS);
	EXPECT_STREQ(c->proxies[0].routes[0].check_ca, "");
	EXPECT_EQ(c->proxies[0].routes[1].check, CHECK_OFF);
	conf_free(c);
}

TEST(proxy_check_errors_name_file_line_and_key)
{
	static const struct {
		const char *lines;	/* after "[proxy p]\nlisten = 127.0.0.1:1\n" (lines 1-2) */
		const char *want;
	} bad_checks[] = {
		{ "check = http\nroute = a 127.0.0.1:2\n",
		  "t.conf:3: [proxy p] check: 'http' is not one of" },
		{ "route = a 127.0.0.1:2 check=ssl\n",
		  "t.conf:3: [proxy p] route: 'ssl' is not one of" },
		{ "route = a 127.0.0.1:2 check=tls check_ca=relative.crt\n",
		  "t.conf:3: [proxy p] route: 'relative.crt' must be an absolute path" },
		{ "check_ca = ca.crt\nroute = a 127.0.0.1:2 check=tls\n",
		  "t.conf:3: [proxy p] check_ca: 'ca.crt' must be an absolute path" },
		{ "route = a 127.0.0.1:2 check=tls check_sni=bad!name\n",
		  "t.conf:3: [proxy p] route: check_sni='bad!name' is not a host name" },
		{ "check_sni = -x\nroute = a 127.0.0.1:2 check=tls\n",
		  "t.conf:3: [proxy p] check_sni: '-x' is not a host name" },
		{ "route = a 127.0.0.1:2\nroute = b 127.0.0.1:3 check=tcp check_ca=/etc/hostname\n",
		  "t.conf:4: [proxy p] route: check_ca= and check_sni= only apply to check=tls; this route's check is tcp" },
		{ "check = tcp\nroute = a 127.0.0.1:2 check_sni=a.example\n",
		  "t.conf:4: [proxy p] route: check_ca= and check_sni= only apply to check=tls; this route's check is tcp" },
		{ "\ncheck_ca = /etc/hostname\nroute = a 127.0.0.1:2 check=tcp\n",
		  "t.conf:4: [proxy p] check_ca: only a tls check uses it, and no route has check = tls" },
		{ "route = a 127.0.0.1:2 check=tls check_ca=/nonexistent/ca.crt\n",
		  "t.conf:3: [proxy p] route: check_ca: cannot read '/nonexistent/ca.crt'" },
		{ "check = tls\ncheck_ca = /nonexistent/ca.crt\nroute = a 127.0.0.1:2\n",
		  "t.conf:4: [proxy p] check_ca: cannot read '/nonexistent/ca.crt'" },
		/* one upstream, one health state: checked one way only */
		{ "route = a 127.0.0.1:2 check=tcp\n\nroute = b 127.0.0.1:9 127.0.0.1:2 check=tls\n",
		  "t.conf:5: [proxy p] route: upstream 127.0.0.1:2 is checked here with check=tls but with "
		  "check=tcp on line 3; it has one health state, so check it the same way" },
		{ "check = tls\nroute = a 127.0.0.1:2 check_sni=a.example\ndefault = 127.0.0.1:2\n",
		  "t.conf:5: [proxy p] default: upstream 127.0.0.1:2 is checked here with check=tls but with "
		  "check=tls check_sni=a.example on line 4" },
	};
	struct conf *c;
	char text[512];
	int rc;

	for (size_t i = 0; i < sizeof(bad_checks) / sizeof(bad_checks[0]); i++) {
		const char *err;

		snprintf(text, sizeof(text), "[proxy p]\nlisten = 127.0.0.1:1\n%s", bad_checks[i].lines);
		err = parse(text, &c, &rc);
		EXPECT_NE(rc, 0);
		if (!strstr(err, bad_checks[i].want))
			TH_LOG("case %zu: want \"%s\", got \"%s\"", i, bad_checks[i].want, err);
		EXPECT_NE(strstr(err, bad_checks[i].want), NULL);
	}
	/* a route with check=off beside one that checks the same upstream is fine */
	parse("[proxy p]\nlisten = 127.0.0.1:1\nroute = a 127.0.0.1:2 check=tls\nroute = b 127.0.0.1:2\n", &c, &rc);
	EXPECT_EQ(rc, 0);
	conf_free(c);
}

TEST_HARNESS_MAIN
