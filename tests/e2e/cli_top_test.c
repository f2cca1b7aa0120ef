// SPDX-License-Identifier: GPL-2.0-only
/*
 * The views of a running gateway: `edgesteer top` in a real terminal
 * (tmux: send-keys, capture-pane), `top` from the XDP pins alone without
 * a daemon, `stats --json` with and without the daemon, the aligned
 * `stats` table, and edgesteer_build_info.
 */
#include "harness.h"

#include <sys/stat.h>

#define LONG_ROUTE "a-rather-long-route-name-to-test-alignment.example.org"

FIXTURE(gw) {
	char dir[64];
	char conf[128];
	char sock[128];
	char tmux[64];		/* tmux -L socket name */
	pid_t pid;
};

FIXTURE_SETUP(gw)
{
	FILE *f;

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-cli-top-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	snprintf(self->sock, sizeof(self->sock), "%s/ctl.sock", self->dir);
	snprintf(self->tmux, sizeof(self->tmux), "es-cli-top-%d", getpid());
	/* any CA certificate will do: nothing answers on the collector's port */
	ASSERT_EQ(th_sh("rm -rf %s; mkdir -p %s/tls && openssl req -x509 -newkey ec -pkeyopt "
			"ec_paramgen_curve:P-256 -nodes -keyout %s/tls/ca.key -out %s/tls/ca.crt -days 30 "
			"-subj /CN=ca 2>/dev/null", self->dir, self->dir, self->dir, self->dir), 0);
	f = fopen(self->conf, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s\npin_path = /sys/fs/bpf/es-cli-top-%d\ndrain_timeout = 1s\n"
		"[proxy web]\nlisten = 127.0.0.1:28443\nroute = app.example.com 127.0.0.1:28444\n"
		"route = " LONG_ROUTE " 127.0.0.1:28444\n"
		"[syslog]\nlisten = 127.0.0.1:25514\n"
		"[forward central]\ncollector = 127.0.0.1:26514\nca = %s/tls/ca.crt\nserver_name = gw.test\n"
		"backoff_max = 1s\n", self->sock, getpid(), self->dir);
	fclose(f);
}

FIXTURE_TEARDOWN(gw)
{
	th_sh("tmux -L %s kill-server 2>/dev/null", self->tmux);
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	th_sh("sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null; rm -rf %s", self->dir, self->dir);
}

static void start(struct th_metadata *_metadata, FIXTURE(gw) *self)
{
	pid_t pid = fork();

	if (pid == 0) {
		char log[128];
		FILE *f;

		snprintf(log, sizeof(log), "%s/daemon.log", self->dir);
		f = freopen(log, "w", stderr);
		(void)f;
		execl(th_bin(), "edgesteer", "run", "-c", self->conf, (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	self->pid = pid;
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s >/dev/null 2>&1", th_bin(), self->sock), 0);
}

TEST_F_TIMEOUT(gw, top_in_a_terminal_shows_rates_and_quits_on_q, 60)
{
	char out[16384];
	int i;

	start(_metadata, self);
	ASSERT_EQ(th_sh("tmux -L %s new-session -d -s top -x 140 -y 50 '%s top -s %s -d 1'", self->tmux,
			th_bin(), self->sock), 0);
	/* syslog keeps arriving while the view refreshes: the listener's rate
	 * must show up as a number of messages per second, not a total */
	for (i = 0; i < 100; i++) {
		th_sh("for n in 1 2 3 4 5 6 7 8 9 10; do logger --server 127.0.0.1 --port 25514 --udp m$n; done");
		if (th_sh("tmux -L %s capture-pane -p -t top | grep -Eq '^  127\\.0\\.0\\.1:25514 +[1-9]'",
			  self->tmux) == 0)
			break;
		usleep(100000);
	}
	th_sh_out(out, sizeof(out), "tmux -L %s capture-pane -p -t top", self->tmux);
	TH_LOG("capture-pane:\n%s", out);
	EXPECT_LT(i, 100);
	EXPECT_TRUE(strstr(out, "edgesteer top") != NULL);
	EXPECT_TRUE(strstr(out, "(q quits)") != NULL);
	EXPECT_TRUE(strstr(out, "PROXY ROUTES") != NULL);
	EXPECT_TRUE(strstr(out, "web  app.example.com") != NULL);
	EXPECT_TRUE(strstr(out, "SYSLOG LISTENERS") != NULL);
	EXPECT_TRUE(strstr(out, "FORWARDERS") != NULL);
	EXPECT_TRUE(strstr(out, "central  127.0.0.1:26514") != NULL);
	EXPECT_TRUE(strstr(out, "DOWN") != NULL);	/* nothing listens on the collector's port */
	/* 'q' ends it and gives the terminal back */
	EXPECT_EQ(th_sh("tmux -L %s send-keys -t top q", self->tmux), 0);
	EXPECT_EQ(th_wait_sh(5000, "! tmux -L %s has-session -t top 2>/dev/null", self->tmux), 0);
}

TEST_F_TIMEOUT(gw, top_without_a_terminal_prints_frames_and_stops_after_n, 30)
{
	char out[16384];

	start(_metadata, self);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s top -s %s -d 0.3 -n 2 </dev/null", th_bin(), self->sock), 0);
	/* two frames, one after the other, no escape sequences */
	EXPECT_TRUE(strstr(out, "edgesteer top") != NULL);
	EXPECT_TRUE(strstr(strstr(out, "edgesteer top") + 1, "edgesteer top") != NULL);
	EXPECT_TRUE(strchr(out, '\033') == NULL);
	/* in every section the column captions and the rows line up: the
	 * numbers are right-aligned, so every line has the same length */
	EXPECT_EQ(th_sh("%s top -s %s -d 0.3 -n 1 </dev/null > %s/frame && "
			"for sec in 'PROXY ROUTES' 'SYSLOG LISTENERS' 'FORWARDERS'; do "
			"n=$(awk -v s=\"$sec\" '$0 == s {b=1; next} b && /^$/ {exit} b && !/confirmed =/ "
			"{print length($0)}' %s/frame | sort -u | wc -l); "
			"[ \"$n\" = 1 ] || { echo \"# $sec misaligned\"; exit 1; }; done",
			th_bin(), self->sock, self->dir, self->dir), 0);
	EXPECT_EQ(th_sh("%s top -n 0 2>/dev/null", th_bin()), 2);
	EXPECT_EQ(th_sh("%s stats -w 0 2>/dev/null", th_bin()), 2);
}

TEST_F(gw, stats_json_says_whether_the_daemon_runs)
{
	char out[512], ver[64];

	/* not running: up is false, the XDP samples (none here) still come */
	ASSERT_EQ(th_sh("%s stats --json -c %s > %s/down.json", th_bin(), self->conf, self->dir), 0);
	th_sh_out(out, sizeof(out), "head -c 300 %s/down.json", self->dir);
	TH_LOG("%s", out);
	EXPECT_EQ(th_sh("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
			"assert d[\"daemon\"][\"up\"] is False, d; assert isinstance(d[\"time\"], int); "
			"assert isinstance(d[\"metrics\"], list)' %s/down.json", self->dir), 0);
	start(_metadata, self);
	ASSERT_EQ(th_sh_out(ver, sizeof(ver), "%s -V | head -n 1 | cut -d' ' -f2 | tr -d '\\n'", th_bin()), 0);
	ASSERT_EQ(th_sh("%s stats --json -c %s > %s/up.json", th_bin(), self->conf, self->dir), 0);
	EXPECT_EQ(th_sh("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); dm=d[\"daemon\"]; "
			"assert dm[\"up\"] is True, dm; assert dm[\"version\"] == sys.argv[2], dm; "
			"assert isinstance(dm[\"uptime_s\"], int), dm; "
			"assert any(m[\"name\"] == \"edgesteer_proxy_route_connections_total\" for m in d[\"metrics\"])' "
			"%s/up.json %s", self->dir, ver), 0);
}

TEST_F(gw, metrics_carry_build_info_and_stay_valid)
{
	char out[65536], want[128], ver[64];

	start(_metadata, self);
	ASSERT_EQ(th_sh_out(ver, sizeof(ver), "%s -V | head -n 1 | cut -d' ' -f2 | tr -d '\\n'", th_bin()), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s metrics -s %s", th_bin(), self->sock), 0);
	snprintf(want, sizeof(want), "\nedgesteer_build_info{version=\"%s\"} 1\n", ver);
	EXPECT_TRUE(strstr(out, want) != NULL);
	EXPECT_EQ(th_sh("%s metrics -s %s | promtool check metrics", th_bin(), self->sock), 0);
}

TEST_F(gw, stats_table_keeps_columns_aligned_for_long_labels)
{
	char out[4096];

	start(_metadata, self);
	ASSERT_EQ(th_sh("%s stats -s %s -c %s > %s/table", th_bin(), self->sock, self->conf, self->dir), 0);
	ASSERT_EQ(th_sh("grep -q '" LONG_ROUTE "' %s/table", self->dir), 0);
	th_sh_out(out, sizeof(out), "grep -A6 '^edgesteer_proxy_route_connections_total' %s/table", self->dir);
	TH_LOG("%s", out);
	/* every row of a block ends in the same column, whatever its labels */
	EXPECT_EQ(th_sh("awk '/^edgesteer_proxy_route_connections_total/ {b=1; next} b && /^$/ {exit} "
			"b {print length($0)}' %s/table | sort -u | wc -l | grep -qx 1", self->dir), 0);
	EXPECT_EQ(th_sh("awk '/^edgesteer_proxy_closed_total/ {b=1; next} b && /^$/ {exit} "
			"b {print length($0)}' %s/table | sort -u | wc -l | grep -qx 1", self->dir), 0);
}

/* No daemon: top still shows what XDP counts, from the pinned maps. */
TEST_TIMEOUT(top_reads_xdp_from_the_pins_without_a_daemon, 60)
{
	char dir[64], out[16384];
	FILE *f;

	TH_PRIVATE_NETNS();
	snprintf(dir, sizeof(dir), "/tmp/es-cli-topx-%d", getpid());
	ASSERT_EQ(th_sh("rm -rf %s; mkdir -p %s && ip link add esv0 type veth peer name esv1 && "
			"ip link set esv0 up && ip link set esv1 up", dir, dir), 0);
	f = fopen(strcat(strcpy(out, dir), "/x.conf"), "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/none.sock\npin_path = /sys/fs/bpf/es-cli-topx-%d\n"
		"[xdp]\ninterfaces = esv0\nmode = generic\n", dir, getpid());
	fclose(f);
	ASSERT_EQ(th_sh("%s attach -c %s/x.conf", th_bin(), dir), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s top -c %s/x.conf -d 0.3 -n 1 </dev/null", th_bin(), dir), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "daemon not running") != NULL);
	EXPECT_TRUE(strstr(out, "XDP, packets/s") != NULL);
	EXPECT_TRUE(strstr(out, "esv0  syslog") != NULL);
	EXPECT_TRUE(strstr(out, "esv0  proxy") != NULL);
	th_sh("%s detach -p /sys/fs/bpf/es-cli-topx-%d >/dev/null; rm -rf %s", th_bin(), getpid(), dir);
}

/*
 * Two sources sending into the XDP interface at 400 and 40 frames per
 * second (raw Ethernet frames on the veth peer): top's talker section
 * names the heavy one first, with a rate.
 */
TEST_TIMEOUT(top_shows_the_top_talkers, 60)
{
	char dir[64], out[16384], *sec;
	FILE *f;

	TH_PRIVATE_NETNS();
	snprintf(dir, sizeof(dir), "/tmp/es-cli-toptalk-%d", getpid());
	ASSERT_EQ(th_sh("rm -rf %s; mkdir -p %s && ip link add estk0 type veth peer name estk1 && "
			"ip link set estk0 up && ip link set estk1 up", dir, dir), 0);
	snprintf(out, sizeof(out), "%s/x.conf", dir);
	f = fopen(out, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/none.sock\npin_path = /sys/fs/bpf/es-cli-toptalk-%d\n"
		"[xdp]\ninterfaces = estk0\nmode = generic\nsyslog_ports = 514\ntalkers_sample = 1\n", dir,
		getpid());
	fclose(f);
	ASSERT_EQ(th_sh("%s attach -c %s/x.conf", th_bin(), dir), 0);
	ASSERT_EQ(th_sh("cat > %s/send.py <<'EOF'\n"
			"import socket,struct,sys,time\n"
			"src,rate,dur=sys.argv[1],float(sys.argv[2]),float(sys.argv[3])\n"
			"s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind(('estk1',0))\n"
			"pl=b'<13>talker'\n"
			"ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+8+len(pl),0,0,64,17,0,"
			"socket.inet_aton(src),socket.inet_aton('192.0.2.1'))\n"
			"udp=struct.pack('!HHHH',40000,514,8+len(pl),0)\n"
			"fr=b'\\xff'*6+b'\\x02\\0\\0\\0\\0\\1'+b'\\x08\\0'+ip+udp+pl\n"
			"n=0; t0=time.monotonic()\n"
			"while time.monotonic()-t0<dur:\n"
			"  if n<(time.monotonic()-t0)*rate: s.send(fr); n+=1\n"
			"  else: time.sleep(0.001)\n"
			"EOF", dir), 0);
	ASSERT_EQ(th_sh("timeout 30 python3 %s/send.py 192.0.2.77 400 12 & echo $! >%s/p1; "
			"timeout 30 python3 %s/send.py 192.0.2.78 40 12 & echo $! >%s/p2", dir, dir, dir, dir), 0);
	/* both sending (python starts slowly on a busy machine) */
	EXPECT_EQ(th_wait_sh(10000, "%s stats --talkers -c %s/x.conf 2>/dev/null | grep -q 192.0.2.78", th_bin(),
			     dir), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s top -c %s/x.conf -d 1 -n 2 </dev/null", th_bin(), dir), 0);
	TH_LOG("%s", out);
	/* the last frame */
	for (sec = strstr(out, "TOP TALKERS"); sec && strstr(sec + 1, "TOP TALKERS");)
		sec = strstr(sec + 1, "TOP TALKERS");
	ASSERT_TRUE(sec != NULL);
	/* the first row is the heavy sender, with a rate; the light one below */
	EXPECT_EQ(th_sh("sed -n '3p' <<'EOF' | grep -Eq '^  192\\.0\\.2\\.77 +syslog +pass +[0-9]'\n%s\nEOF", sec), 0);
	EXPECT_EQ(th_sh("grep -Eq '^  192\\.0\\.2\\.78 +syslog +pass ' <<'EOF'\n%s\nEOF", sec), 0);
	th_sh("kill $(cat %s/p1 %s/p2) 2>/dev/null; %s detach -p /sys/fs/bpf/es-cli-toptalk-%d >/dev/null; rm -rf %s",
	      dir, dir, th_bin(), getpid(), dir);
}

/* A whole gateway: XDP and a watched NIC through the daemon, a
 * subscriber on the relay: every section of top has its rows. */
TEST_TIMEOUT(top_shows_every_section_of_a_whole_gateway, 90)
{
	const char *src = getenv("EDGESTEER_SRC") ? getenv("EDGESTEER_SRC") : ".";
	char dir[64], conf[128], out[16384];
	pid_t pid, sub;
	FILE *f;

	TH_PRIVATE_NETNS();
	snprintf(dir, sizeof(dir), "/tmp/es-cli-topall-%d", getpid());
	snprintf(conf, sizeof(conf), "%s/x.conf", dir);
	ASSERT_EQ(th_sh("rm -rf %s; %s/scripts/mkcerts.sh %s >/dev/null && ip link add esw0 type veth peer name esw1 "
			"&& ip link set esw0 up && ip link set esw1 up", dir, src, dir), 0);
	f = fopen(conf, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\npin_path = /sys/fs/bpf/es-cli-topall-%d\n"
		"drain_timeout = 1s\n"
		"[xdp]\ninterfaces = esw0\nmode = generic\non_exit = detach\n"
		"[syslog]\nlisten = 127.0.0.1:25514\ntls_listen = 127.0.0.1:26600\n"
		"cert = %s/server.crt\nkey = %s/server.key\nclient_ca = %s/ca.crt\n"
		"[watchdog esw0]\ninterval = 1s\nstall_after = 30s\ndry_run = yes\n",
		dir, getpid(), dir, dir, dir);
	fclose(f);
	ASSERT_EQ(th_sh("%s check -q -c %s", th_bin(), conf), 0);
	pid = fork();
	if (pid == 0) {
		snprintf(out, sizeof(out), "%s/daemon.log", dir);
		if (!freopen(out, "w", stderr))
			_exit(126);
		execl(th_bin(), "edgesteer", "run", "-c", conf, (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	EXPECT_EQ(th_wait_sh(15000, "%s status -s %s/ctl.sock >/dev/null 2>&1", th_bin(), dir), 0);
	/* a subscriber: openssl with the client certificate, reading */
	sub = fork();
	if (sub == 0) {
		char a[128], c[128], k[128];

		snprintf(a, sizeof(a), "%s/ca.crt", dir);
		snprintf(c, sizeof(c), "%s/client.crt", dir);
		snprintf(k, sizeof(k), "%s/client.key", dir);
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execlp("openssl", "openssl", "s_client", "-quiet", "-connect", "127.0.0.1:26600", "-CAfile", a,
		       "-cert", c, "-key", k, "-ign_eof", (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(th_wait_sh(10000, "%s metrics -s %s/ctl.sock | grep -q '^edgesteer_syslog_subscribers 1'",
			     th_bin(), dir), 0);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s top -s %s/ctl.sock -d 0.5 -n 1 </dev/null", th_bin(), dir), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "XDP, packets/s") != NULL);
	EXPECT_TRUE(strstr(out, "esw0  syslog") != NULL);
	EXPECT_TRUE(strstr(out, "SYSLOG LISTENERS") != NULL);
	EXPECT_TRUE(strstr(out, "SUBSCRIBERS") != NULL);
	EXPECT_TRUE(strstr(out, "#1 127.0.0.1:") != NULL);
	EXPECT_TRUE(strstr(out, "WATCHED NICS") != NULL);
	EXPECT_EQ(th_sh("grep -Eq '^  esw0 +(ok|quiet) ' <<'EOF'\n%s\nEOF", strstr(out, "WATCHED NICS") ?: ""), 0);
	kill(sub, SIGKILL);
	waitpid(sub, NULL, 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	th_sh("sed 's/^/# daemon: /' %s/daemon.log; %s detach -p /sys/fs/bpf/es-cli-topall-%d >/dev/null 2>&1; "
	      "rm -rf %s", dir, th_bin(), getpid(), dir);
}

TEST_HARNESS_MAIN
