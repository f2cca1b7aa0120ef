// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon as users meet it: `edgesteer run` under a NOTIFY_SOCKET the
 * test owns, the control socket and its permissions, metrics that parse,
 * reload and stop, the systemd unit and `make install`.
 */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

FIXTURE(daemon) {
	char dir[64];
	char conf[192];
	char sock[192];
	pid_t pid;
	int notify_fd;
	char seen[4096];	/* notifications received so far */
};

static void write_conf(const char *path, const char *dir, const char *extra)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\npin_path = /sys/fs/bpf/es-test-daemon-%d\n"
		"drain_timeout = 2s\n%s", dir, getpid(), extra);
	fclose(f);
}

FIXTURE_SETUP(daemon)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-daemon-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	snprintf(self->sock, sizeof(self->sock), "%s/ctl.sock", self->dir);
	th_sh("rm -rf %s; mkdir -p %s", self->dir, self->dir);
	write_conf(self->conf, self->dir, "metrics_listen = 127.0.0.1:26101\n");
	self->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify.sock", self->dir);
	ASSERT_EQ(bind(self->notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
}

FIXTURE_TEARDOWN(daemon)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	close(self->notify_fd);
	th_sh("sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null; rm -rf %s", self->dir, self->dir);
}

/* Wait for a notify datagram containing `want`; returns 1 when seen. */
static int wait_notify(int fd, const char *want, int timeout_ms, char *seen, size_t seenlen)
{
	double end = th_now() + timeout_ms / 1000.0;

	while (th_now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[1024];
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (seen && strlen(seen) + (size_t)n + 2 < seenlen) {
			strcat(seen, buf);
			strcat(seen, "|");
		}
		if (strstr(buf, want))
			return 1;
	}
	return 0;
}

/* Start `edgesteer run` as a child of the test body. */
static void start_daemon(struct th_metadata *_metadata, FIXTURE(daemon) *self)
{
	/* a local first: the fixture is shared memory the child would write */
	pid_t pid = fork();

	if (pid == 0) {
		char env[256];
		int fd;

		snprintf(env, sizeof(env), "%s/notify.sock", self->dir);
		setenv("NOTIFY_SOCKET", env, 1);
		setenv("WATCHDOG_USEC", "300000", 1);
		snprintf(env, sizeof(env), "%s/daemon.log", self->dir);
		fd = open(env, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execl(th_bin(), "edgesteer", "run", "-c", self->conf, (char *)NULL);
		_exit(127);
	}
	self->pid = pid;
	ASSERT_GT(self->pid, 0);
	ASSERT_EQ(wait_notify(self->notify_fd, "READY=1", 15000, self->seen, sizeof(self->seen)), 1);
}

TEST_F(daemon, notify_sequence_ready_watchdog_reloading_stopping)
{
	char *seen = self->seen;
	int st;

	start_daemon(_metadata, self);
	EXPECT_TRUE(strstr(seen, "STATUS=") != NULL);
	ASSERT_EQ(wait_notify(self->notify_fd, "WATCHDOG=1", 5000, seen, sizeof(self->seen)), 1);
	kill(self->pid, SIGHUP);
	ASSERT_EQ(wait_notify(self->notify_fd, "RELOADING=1", 5000, seen, sizeof(self->seen)), 1);
	ASSERT_EQ(wait_notify(self->notify_fd, "READY=1", 5000, seen, sizeof(self->seen)), 1);
	kill(self->pid, SIGTERM);
	ASSERT_EQ(wait_notify(self->notify_fd, "STOPPING=1", 5000, seen, sizeof(self->seen)), 1);
	ASSERT_EQ(waitpid(self->pid, &st, 0), self->pid);
	self->pid = 0;
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	TH_LOG("notifications: %s", seen);
	/* the control socket is removed on exit */
	EXPECT_NE(access(self->sock, F_OK), 0);
}

TEST_F(daemon, control_socket_is_owner_only_and_refuses_others)
{
	struct stat stt;
	char out[4096];

	start_daemon(_metadata, self);
	ASSERT_EQ(stat(self->sock, &stt), 0);
	EXPECT_EQ(stt.st_mode & 0777, 0600);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(out, "edgesteer running") != NULL);
	/* an unprivileged user cannot connect (file mode), and is told so */
	th_sh("chmod 755 %s", self->dir);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "setpriv --reuid=65534 --regid=65534 --clear-groups "
			    "%s status -s %s 2>&1", th_bin(), self->sock), 1);
	EXPECT_TRUE(strstr(out, "Permission denied") != NULL);
	/* even with the file opened up, the SO_PEERCRED check refuses */
	th_sh("chmod 666 %s", self->sock);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "setpriv --reuid=65534 --regid=65534 --clear-groups "
			    "%s status -s %s 2>&1", th_bin(), self->sock), 1);
	EXPECT_TRUE(strstr(out, "permission denied") != NULL);
	/* unknown commands and oversized requests get an error, not a hang */
	EXPECT_EQ(th_sh_out(out, sizeof(out), "printf 'frobnicate\\n' | socat -t2 - UNIX-CONNECT:%s",
			    self->sock), 0);
	EXPECT_TRUE(strstr(out, "error: unknown command") != NULL);
	th_sh_out(out, sizeof(out), "head -c 2000 /dev/zero | tr '\\0' x | socat -t2 - UNIX-CONNECT:%s",
		  self->sock);
	EXPECT_TRUE(strstr(out, "ok") == NULL);
	/* the daemon still answers */
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s status -s %s", th_bin(), self->sock), 0);
}

TEST_F(daemon, metrics_parse_with_promtool_and_http)
{
	char out[65536];

	start_daemon(_metadata, self);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s metrics -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(out, "edgesteer_up 1") != NULL);
	EXPECT_EQ(th_sh("%s metrics -s %s | promtool check metrics", th_bin(), self->sock), 0);
	EXPECT_EQ(th_sh("curl -sf http://127.0.0.1:26101/metrics | promtool check metrics"), 0);
	EXPECT_EQ(th_sh("curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:26101/ | grep -q 404"), 0);
}

TEST_F(daemon, reload_refuses_a_broken_file_and_keeps_running)
{
	char out[8192];

	start_daemon(_metadata, self);
	write_conf(self->conf, self->dir, "metrics_listen = 0.0.0.0:26101\nbogus = 1\n");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s reload -s %s 2>&1", th_bin(), self->sock), 1);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "edgesteer.conf:5: [global] metrics_listen") != NULL);
	EXPECT_TRUE(strstr(out, "edgesteer.conf:6: [global] bogus: unknown key") != NULL);
	/* still serving the old config */
	EXPECT_EQ(th_sh("curl -sf http://127.0.0.1:26101/metrics | "
			"grep -q 'edgesteer_reloads_total{result=\"refused\"} 1'"), 0);
	/* a good file is applied: metrics move to another port */
	write_conf(self->conf, self->dir, "metrics_listen = 127.0.0.1:26102\n");
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s reload -s %s 2>&1", th_bin(), self->sock), 0);
	EXPECT_EQ(th_sh("curl -sf http://127.0.0.1:26102/metrics >/dev/null"), 0);
	EXPECT_NE(th_sh("curl -sf http://127.0.0.1:26101/metrics >/dev/null 2>&1"), 0);
}

TEST_F(daemon, second_instance_on_the_same_socket_is_refused)
{
	char out[4096];

	start_daemon(_metadata, self);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "NOTIFY_SOCKET= timeout 5 %s run -c %s 2>&1",
			    th_bin(), self->conf), 1);
	EXPECT_TRUE(strstr(out, "another edgesteer is running") != NULL);
	ASSERT_EQ(th_sh("%s status -s %s >/dev/null", th_bin(), self->sock), 0);
}

TEST(systemd_unit_verifies)
{
	char out[8192];
	int rc;

	rc = th_sh_out(out, sizeof(out),
		       "d=$(mktemp -d) && mkdir -p $d/sbin && cp %s $d/sbin/edgesteer && "
		       "sed 's|@SBINDIR@|'$d/sbin'|g' %s/scripts/edgesteer.service > $d/edgesteer.service && "
		       "systemd-analyze verify $d/edgesteer.service 2>&1; rc=$?; rm -rf $d; exit $rc",
		       th_bin(), th_src());
	TH_LOG("%s", out);
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(th_sh("grep -q '^Type=notify' %s/scripts/edgesteer.service && "
			"grep -q '^WatchdogSec=' %s/scripts/edgesteer.service && "
			"grep -q '^ExecReload=' %s/scripts/edgesteer.service", th_src(), th_src(), th_src()), 0);
}

TEST_TIMEOUT(make_install_lays_out_files, 120)
{
	char out[8192];
	int rc;

	rc = th_sh_out(out, sizeof(out),
		       "d=$(mktemp -d) && make -s -C %s BUILD=${EDGESTEER_BUILD:-build} install "
		       "PREFIX=/usr DESTDIR=$d >/dev/null && (cd $d && find . -type f | sort) && "
		       "test -x $d/usr/sbin/edgesteer && "
		       "test -f $d/etc/edgesteer/edgesteer.conf.example && "
		       "grep -q 'ExecStart=/usr/sbin/edgesteer run' $d/lib/systemd/system/edgesteer.service; "
		       "rc=$?; rm -rf $d; exit $rc", th_src());
	TH_LOG("%s", out);
	EXPECT_EQ(rc, 0);
}

TEST_HARNESS_MAIN
