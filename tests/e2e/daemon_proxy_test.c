// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon with a proxy in it, against two real nginx TLS upstreams on
 * loopback: a reload that changes a route while a transfer is in flight
 * (the transfer completes byte-exact, new connections take the new
 * route), a reload with a broken file (keeps serving), and SIGTERM
 * draining an in-flight transfer before the daemon exits.
 */
#include "harness.h"

#include <fcntl.h>

#define PORT_PROXY 26200
#define PORT_UP1   26201
#define PORT_UP2   26202
#define BIG_MB     24

FIXTURE(dp) {
	char dir[64];
	pid_t pid;
};

static void write_conf(FIXTURE(dp) *self, int upstream_port, const char *extra)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\ndrain_timeout = 20s\n\n"
		"[proxy web]\nlisten = 127.0.0.1:%d\nroute = demo.test 127.0.0.1:%d\nidle_timeout = 30s\n%s",
		self->dir, PORT_PROXY, upstream_port, extra);
	fclose(f);
}

/* nginx in the foreground, in the background of the test's shell: it
 * stays in the test's process group, so the harness kills it even when
 * the test times out before its teardown runs. Ready once it listens. */
static int start_nginx(const char *dir, int port, const char *name)
{
	if (th_sh("mkdir -p %s/%s/tmp && cat > %s/%s/nginx.conf <<EOF\n"
		     "daemon off; worker_processes 1; pid %s/%s/nginx.pid; error_log %s/%s/error.log;\n"
		     "events { worker_connections 64; }\n"
		     "http { access_log off; client_body_temp_path %s/%s/tmp;\n"
		     "  server { listen 127.0.0.1:%d ssl; ssl_certificate %s/certs/server.crt;\n"
		     "    ssl_certificate_key %s/certs/server.key; root %s/www;\n"
		     "    location = /id { default_type text/plain; return 200 '%s\\n'; } } }\n"
		     "EOF\nnginx -c %s/%s/nginx.conf >>%s/%s/error.log 2>&1 &",
		     dir, name, dir, name, dir, name, dir, name, dir, name, port, dir, dir, dir, name,
		     dir, name, dir, name))
		return -1;
	if (th_wait_sh(10000, "ss -Hltn 'sport = :%d' | grep -q .", port) == 0)
		return 0;
	th_sh("sed 's/^/# nginx %s: /' %s/%s/error.log", name, dir, name);
	return -1;
}

FIXTURE_SETUP(dp)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-dproxy-%d", getpid());
	th_sh("rm -rf %s; mkdir -p %s/www", self->dir, self->dir);
	ASSERT_EQ(th_sh("%s/scripts/mkcerts.sh %s/certs demo.test >/dev/null", th_src(), self->dir), 0);
	ASSERT_EQ(th_sh("head -c %dM /dev/urandom > %s/www/big && sha256sum < %s/www/big | cut -d' ' -f1 > %s/big.sha",
			BIG_MB, self->dir, self->dir, self->dir), 0);
	ASSERT_EQ(start_nginx(self->dir, PORT_UP1, "up1"), 0);
	ASSERT_EQ(start_nginx(self->dir, PORT_UP2, "up2"), 0);
	write_conf(self, PORT_UP1, "");
}

FIXTURE_TEARDOWN(dp)
{
	if (self->pid > 0)
		kill(self->pid, SIGKILL);
	th_sh("for n in up1 up2; do [ -f %s/$n/nginx.pid ] && kill $(cat %s/$n/nginx.pid); done; "
	      "sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null | tail -n 30; rm -rf %s",
	      self->dir, self->dir, self->dir, self->dir);
}

static void start_daemon(struct th_metadata *_metadata, FIXTURE(dp) *self)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "%s/daemon.log", self->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
		unsetenv("NOTIFY_SOCKET");
		execl(th_bin(), "edgesteer", "run", "-c", path, (char *)NULL);
		_exit(127);
	}
	self->pid = pid;
	ASSERT_GT(pid, 0);
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s/ctl.sock >/dev/null 2>&1", th_bin(), self->dir), 0);
}

/* GET /id through the proxy: which upstream answers. */
static int which_upstream(FIXTURE(dp) *self, char *out, size_t len)
{
	return th_sh_out(out, len, "curl -sS --max-time 5 --cacert %s/certs/ca.crt "
			 "--resolve demo.test:%d:127.0.0.1 https://demo.test:%d/id",
			 self->dir, PORT_PROXY, PORT_PROXY);
}

/* Start a rate-limited download of /big in the background; its sha lands
 * in DIR/got.sha when done. */
static void slow_download(FIXTURE(dp) *self, const char *rate)
{
	th_sh("(curl -sS --max-time 60 --limit-rate %s --cacert %s/certs/ca.crt "
	      "--resolve demo.test:%d:127.0.0.1 https://demo.test:%d/big | sha256sum | cut -d' ' -f1 "
	      "> %s/got.sha.tmp; mv %s/got.sha.tmp %s/got.sha) >/dev/null 2>&1 &",
	      rate, self->dir, PORT_PROXY, PORT_PROXY, self->dir, self->dir, self->dir);
}

TEST_F_TIMEOUT(dp, reload_changes_route_while_transfer_in_flight, 90)
{
	char out[4096];

	start_daemon(_metadata, self);
	ASSERT_EQ(which_upstream(self, out, sizeof(out)), 0);
	ASSERT_STREQ(out, "up1\n");
	slow_download(self, "8M");	/* ~3 s for 24 MiB */
	ASSERT_EQ(th_wait_sh(5000, "%s stats -s %s/ctl.sock | grep -q 'proxy'", th_bin(), self->dir), 0);
	usleep(800 * 1000);
	write_conf(self, PORT_UP2, "");
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s reload -s %s/ctl.sock 2>&1", th_bin(), self->dir), 0);
	/* new connections take the new route at once */
	ASSERT_EQ(which_upstream(self, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "up2\n");
	/* the transfer that started before the reload finishes byte-exact */
	ASSERT_EQ(th_wait_sh(30000, "test -f %s/got.sha", self->dir), 0);
	EXPECT_EQ(th_sh("cmp -s %s/got.sha %s/big.sha", self->dir, self->dir), 0);
}

TEST_F_TIMEOUT(dp, reload_with_broken_file_keeps_serving, 60)
{
	char out[4096];

	start_daemon(_metadata, self);
	write_conf(self, PORT_UP2, "route = broken.test 127.0.0.1:99999\n");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s reload -s %s/ctl.sock 2>&1", th_bin(), self->dir), 1);
	EXPECT_TRUE(strstr(out, "edgesteer.conf:9: [proxy web] route") != NULL);
	/* the old route still serves */
	ASSERT_EQ(which_upstream(self, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "up1\n");
	/* SIGHUP with the broken file: same */
	kill(self->pid, SIGHUP);
	usleep(200 * 1000);
	ASSERT_EQ(which_upstream(self, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "up1\n");
	EXPECT_EQ(kill(self->pid, 0), 0);
}

TEST_F_TIMEOUT(dp, sigterm_drains_in_flight_transfer, 90)
{
	char out[4096];
	int st;

	start_daemon(_metadata, self);
	slow_download(self, "8M");
	usleep(800 * 1000);
	ASSERT_EQ(kill(self->pid, SIGTERM), 0);
	usleep(300 * 1000);
	/* no longer accepting */
	EXPECT_NE(which_upstream(self, out, sizeof(out)), 0);
	/* still running while the transfer drains, then exits 0 */
	EXPECT_EQ(kill(self->pid, 0), 0);
	ASSERT_EQ(waitpid(self->pid, &st, 0), self->pid);
	self->pid = 0;
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	ASSERT_EQ(th_wait_sh(5000, "test -f %s/got.sha", self->dir), 0);
	EXPECT_EQ(th_sh("cmp -s %s/got.sha %s/big.sha", self->dir, self->dir), 0);
}

/* A dead first upstream: skipped after its first failure, shown down
 * in status and stats, logged. */
TEST_F_TIMEOUT(dp, dead_upstream_down_in_status_and_stats, 60)
{
	char out[65536];	/* the metrics: more lines with every worker */

	write_conf(self, PORT_UP1, "");
	th_sh("sed -i 's|^route = demo.test .*|route = demo.test 127.0.0.1:9 127.0.0.1:%d|' %s/edgesteer.conf",
	      PORT_UP1, self->dir);
	start_daemon(_metadata, self);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(which_upstream(self, out, sizeof(out)), 0);
		EXPECT_STREQ(out, "up1\n");
	}
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s status -s %s/ctl.sock", th_bin(), self->dir), 0);
	EXPECT_TRUE(strstr(out, "upstreams down: 1 (web/127.0.0.1:9)") != NULL);
	/* [global] workers = auto: one loop per online CPU, at most 4 */
	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		char want[64];

		snprintf(want, sizeof(want), "proxies: 1, workers: %ld,", cpus < 1 ? 1 : cpus > 4 ? 4 : cpus);
		EXPECT_TRUE(strstr(out, want) != NULL);
	}
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s metrics -s %s/ctl.sock", th_bin(), self->dir), 0);
	EXPECT_TRUE(strstr(out, "edgesteer_proxy_upstream_up{proxy=\"web\",upstream=\"127.0.0.1:9\"} 0") != NULL);
	EXPECT_TRUE(strstr(out, "edgesteer_proxy_upstream_connects_total{proxy=\"web\",upstream=\"127.0.0.1:9\"} 1") != NULL);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:9: down' %s/daemon.log", self->dir), 0);
}

/* check = tls: every upstream's state, check streak and last reason in
 * status, its streak in stats. */
TEST_F_TIMEOUT(dp, tls_check_state_in_status_and_stats, 60)
{
	char out[65536], extra[512], want[160];

	snprintf(extra, sizeof(extra), "check = tls\ncheck_ca = %s/certs/ca.crt\ncheck_sni = demo.test\n"
		 "check_interval = 300ms\ncheck_fall = 2\n", self->dir);
	write_conf(self, PORT_UP1, extra);
	th_sh("sed -i 's|^route = demo.test .*|route = demo.test 127.0.0.1:9 127.0.0.1:%d|' %s/edgesteer.conf",
	      PORT_UP1, self->dir);
	start_daemon(_metadata, self);
	snprintf(want, sizeof(want), "upstream web/127.0.0.1:%d: up, check tls: passed, ", PORT_UP1);
	ASSERT_EQ(th_wait_sh(10000, "%s status -s %s/ctl.sock | grep -qF 'upstream web/127.0.0.1:9: down for' && "
			     "%s status -s %s/ctl.sock | grep -qF '%s'", th_bin(), self->dir, th_bin(), self->dir,
			     want), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s status -s %s/ctl.sock", th_bin(), self->dir), 0);
	EXPECT_TRUE(strstr(out, "upstreams down: 1 (web/127.0.0.1:9)") != NULL);
	EXPECT_TRUE(strstr(out, want) != NULL);
	EXPECT_TRUE(strstr(out, "check tls: failed, ") != NULL);
	EXPECT_TRUE(strstr(out, "ago: connect: Connection refused\n") != NULL);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s stats -s %s/ctl.sock --json", th_bin(), self->dir), 0);
	EXPECT_TRUE(strstr(out, "edgesteer_proxy_upstream_checks_in_a_row") != NULL);
	EXPECT_EQ(th_sh("grep -q 'upstream 127.0.0.1:9 check failed: connect: Connection refused' %s/daemon.log",
			self->dir), 0);
	EXPECT_EQ(which_upstream(self, out, sizeof(out)), 0);
	EXPECT_STREQ(out, "up1\n");
}

TEST_HARNESS_MAIN
