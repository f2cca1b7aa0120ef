// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may use the daemon's local listeners, and what strangers filling
 * them can do: idle sockets held against the metrics listener and the
 * control socket cannot lock out a scrape or a command (the oldest idle
 * client is closed to admit the new one, counted and logged rate-
 * limited); a real unprivileged member of control_group reaches the
 * socket through its directory and may read (status, stats, metrics) but
 * not change anything (reload, detach, usb-reset), and is told so.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define METRICS_PORT 26111
#define HELD 64

FIXTURE(access) {
	char dir[64];
	char conf[128];
	char sock[128];
	char user[32], group[32];
	bool made_user;
	pid_t pid;
};

static void write_conf(FIXTURE(access) *self, const char *extra)
{
	FILE *f = fopen(self->conf, "w");

	if (!f)
		return;
	fprintf(f, "[global]\ncontrol_socket = %s\npin_path = /sys/fs/bpf/es-test-access-%d\n"
		"metrics_listen = 127.0.0.1:%d\ndrain_timeout = 1s\n%s", self->sock, getpid(),
		METRICS_PORT, extra);
	fclose(f);
}

FIXTURE_SETUP(access)
{
	TH_PRIVATE_NETNS();
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-access-%d", getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	/* in a directory the daemon makes, as /run/edgesteer would be */
	snprintf(self->sock, sizeof(self->sock), "%s/run/ctl.sock", self->dir);
	snprintf(self->user, sizeof(self->user), "es-ta-u%d", getpid());
	snprintf(self->group, sizeof(self->group), "es-ta-g%d", getpid());
	th_sh("rm -rf %s; mkdir -p %s && chmod 755 %s", self->dir, self->dir, self->dir);
	write_conf(self, "");
}

FIXTURE_TEARDOWN(access)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	th_sh("sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null | tail -n 20; rm -rf %s",
	      self->dir, self->dir);
	if (self->made_user)
		th_sh("userdel %s; groupdel %s 2>/dev/null; true", self->user, self->group);
}

static void start_daemon(struct th_metadata *_metadata, FIXTURE(access) *self)
{
	pid_t pid = fork();

	if (pid == 0) {
		char log[128];
		int fd;

		snprintf(log, sizeof(log), "%s/daemon.log", self->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(th_bin(), "edgesteer", "run", "-c", self->conf, (char *)NULL);
		_exit(127);
	}
	self->pid = pid;
	ASSERT_GT(pid, 0);
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s >/dev/null 2>&1", th_bin(), self->sock), 0);
	ASSERT_EQ(th_wait_sh(15000, "curl -sf -o /dev/null http://127.0.0.1:%d/metrics", METRICS_PORT), 0);
}

/* Connect HELD sockets that never send a byte; -1 where connect failed. */
static int hold_idle(int *fds, const struct sockaddr *sa, socklen_t len)
{
	int ok = 0;

	for (int i = 0; i < HELD; i++) {
		fds[i] = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] >= 0 && connect(fds[i], sa, len) == 0) {
			ok++;
		} else if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
		usleep(2000);	/* a stranger at a human-visible pace, not a burst */
	}
	return ok;
}

static void release(int *fds)
{
	for (int i = 0; i < HELD; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The value of one local-listener counter from the scrape. */
static long dropped(const char *listener, const char *cause)
{
	char out[64];

	if (th_sh_out(out, sizeof(out), "curl -sf http://127.0.0.1:%d/metrics | "
		      "awk '/^edgesteer_local_clients_dropped_total\\{listener=\"%s\",cause=\"%s\"\\}/ "
		      "{ print $2 }'", METRICS_PORT, listener, cause) || !out[0])
		return -1;
	return atol(out);
}

TEST_F_TIMEOUT(access, metrics_scrape_succeeds_while_64_idle_sockets_are_held, 60)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(METRICS_PORT) };
	int fds[HELD], held, lines;
	char out[256];

	start_daemon(_metadata, self);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	held = hold_idle(fds, (struct sockaddr *)&sin, sizeof(sin));
	TH_LOG("%d idle sockets held against the metrics listener", held);
	ASSERT_EQ(held, HELD);
	/* a scrape, while every socket is still held */
	ASSERT_EQ(th_sh_out(out, sizeof(out), "curl -s -o /dev/null -w '%%{http_code}' "
			    "http://127.0.0.1:%d/metrics", METRICS_PORT), 0);
	TH_LOG("scrape answered %s", out);
	EXPECT_STREQ(out, "200");
	/* evictions counted; logged once a second with a count, not per socket */
	EXPECT_GE(dropped("metrics", "evicted_idle"), HELD - 16);
	EXPECT_EQ(dropped("metrics", "busy"), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "grep -c 'metrics listener: all 16 client slots taken' "
			    "%s/daemon.log", self->dir), 0);
	lines = atoi(out);
	TH_LOG("%d log lines for %d evictions", lines, HELD - 16);
	EXPECT_GE(lines, 1);
	EXPECT_LT(lines, HELD - 16);
	EXPECT_EQ(th_sh("grep -q 'since the last such line' %s/daemon.log", self->dir), 0);
	release(fds);
}

TEST_F_TIMEOUT(access, control_commands_succeed_while_64_idle_clients_are_held, 60)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fds[HELD], held;
	char out[4096];

	start_daemon(_metadata, self);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", self->sock);
	held = hold_idle(fds, (struct sockaddr *)&sun, sizeof(sun));
	TH_LOG("%d idle clients held against the control socket", held);
	ASSERT_EQ(held, HELD);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s status -s %s 2>&1", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(out, "edgesteer running") != NULL);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s reload -s %s 2>&1", th_bin(), self->sock), 0);
	EXPECT_GE(dropped("control", "evicted_idle"), HELD - 16);
	release(fds);
}

static void make_user(struct th_metadata *_metadata, FIXTURE(access) *self)
{
	th_sh("userdel %s 2>/dev/null; groupdel %s 2>/dev/null", self->user, self->group);
	ASSERT_EQ(th_sh("groupadd -r %s && useradd -r -M -N -g nogroup -G %s -s /usr/sbin/nologin %s",
			self->group, self->group, self->user), 0);
	self->made_user = true;
}

/* The CLI as the test's user: its groups as a login would give them. */
static int as_user(FIXTURE(access) *self, char *out, size_t len, const char *args)
{
	return th_sh_out(out, len, "setpriv --reuid=%s --regid=nogroup --init-groups %s %s -s %s 2>&1",
			 self->user, th_bin(), args, self->sock);
}

TEST_F_TIMEOUT(access, control_group_member_reads_but_cannot_change, 60)
{
	char out[8192], extra[96];
	struct stat st;

	make_user(_metadata, self);
	snprintf(extra, sizeof(extra), "control_group = %s\n", self->group);
	write_conf(self, extra);
	start_daemon(_metadata, self);
	/* the member is in the group only as a supplementary group */
	ASSERT_EQ(th_sh("id -G %s | grep -qw $(getent group %s | cut -d: -f3)", self->user, self->group), 0);
	ASSERT_EQ(stat(self->sock, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0660);
	EXPECT_EQ(as_user(self, out, sizeof(out), "status"), 0);
	TH_LOG("status as %s: %.80s", self->user, out);
	EXPECT_TRUE(strstr(out, "edgesteer running") != NULL);
	EXPECT_EQ(as_user(self, out, sizeof(out), "stats"), 0);
	EXPECT_EQ(as_user(self, out, sizeof(out), "metrics"), 0);
	EXPECT_TRUE(strstr(out, "edgesteer_up 1") != NULL);
	/* changing commands are refused, naming the command and the role */
	EXPECT_EQ(as_user(self, out, sizeof(out), "reload"), 1);
	TH_LOG("reload as %s: %s", self->user, out);
	EXPECT_TRUE(strstr(out, "'reload' refused") != NULL);
	EXPECT_TRUE(strstr(out, "read-only role") != NULL);
	EXPECT_EQ(as_user(self, out, sizeof(out), "detach"), 1);
	EXPECT_TRUE(strstr(out, "'detach' refused") != NULL);
	EXPECT_EQ(as_user(self, out, sizeof(out), "usb-reset eth0"), 1);
	EXPECT_TRUE(strstr(out, "'usb-reset' refused") != NULL);
	EXPECT_EQ(th_sh("grep -q 'reload: reading' %s/daemon.log", self->dir), 1);
	/* root still may */
	EXPECT_EQ(th_sh("%s reload -s %s >/dev/null", th_bin(), self->sock), 0);
	/* outside the group: nothing, even with the directory opened up */
	th_sh("chmod o+x %s/run", self->dir);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "setpriv --reuid=65534 --regid=65534 --clear-groups "
			    "%s status -s %s 2>&1", th_bin(), self->sock), 1);
	EXPECT_TRUE(strstr(out, "ermission denied") != NULL);
}

TEST_HARNESS_MAIN
