// SPDX-License-Identifier: GPL-2.0-only
/* The systemd notification protocol against sockets the test owns: a path
 * socket and an abstract one, the watchdog variables, and the refusals. */
#include "harness.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "core/sd_notify.h"

FIXTURE(notify) {
	char dir[64];
	char path[128];
	char abstract[64];
	int path_fd;
	int abs_fd;
};

static int bind_dgram(const char *addr, size_t addrlen, bool is_abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(sun.sun_path, addr, addrlen);
	if (is_abstract)
		sun.sun_path[0] = '\0';
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + addrlen + !is_abstract)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE_SETUP(notify)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/es-sdnotify-%d", getpid());
	ASSERT_EQ(mkdir(self->dir, 0700), 0);
	snprintf(self->path, sizeof(self->path), "%s/notify", self->dir);
	snprintf(self->abstract, sizeof(self->abstract), "@es-sdnotify-%d", getpid());
	self->path_fd = bind_dgram(self->path, strlen(self->path), false);
	ASSERT_GE(self->path_fd, 0);
	self->abs_fd = bind_dgram(self->abstract, strlen(self->abstract), true);
	ASSERT_GE(self->abs_fd, 0);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

FIXTURE_TEARDOWN(notify)
{
	close(self->path_fd);
	close(self->abs_fd);
	unlink(self->path);
	rmdir(self->dir);
}

/* One datagram from fd, NUL-terminated; its length or -1. */
static ssize_t take(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, 0);

	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

TEST_F(notify, a_path_socket_gets_the_state_as_one_datagram)
{
	char buf[256];

	setenv("NOTIFY_SOCKET", self->path, 1);
	ASSERT_EQ(sd_notify_state("READY=1\nSTATUS=Running"), 1);
	ASSERT_EQ(take(self->path_fd, buf, sizeof(buf)), 22);
	EXPECT_STREQ(buf, "READY=1\nSTATUS=Running");
}

TEST_F(notify, an_abstract_socket_is_named_with_a_leading_at)
{
	char buf[256];

	setenv("NOTIFY_SOCKET", self->abstract, 1);
	ASSERT_EQ(sd_notify_printf("STATUS=%d proxies\nMAINPID=%d", 3, 42), 1);
	ASSERT_GT(take(self->abs_fd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "STATUS=3 proxies\nMAINPID=42");
	/* nothing went to the path socket */
	EXPECT_LT(recv(self->path_fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
}

TEST_F(notify, every_state_the_daemon_sends_arrives_in_order)
{
	static const char *states[] = { "STATUS=Starting", "READY=1", "WATCHDOG=1",
					"RELOADING=1\nMONOTONIC_USEC=1", "STOPPING=1" };
	char buf[256];
	size_t i;

	setenv("NOTIFY_SOCKET", self->path, 1);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		ASSERT_EQ(sd_notify_state(states[i]), 1);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		ASSERT_GT(take(self->path_fd, buf, sizeof(buf)), 0);
		EXPECT_STREQ(buf, states[i]);
	}
}

TEST_F(notify, without_notify_socket_nothing_is_sent_and_that_is_no_error)
{
	char buf[16];

	EXPECT_EQ(sd_notify_state("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	EXPECT_EQ(sd_notify_state("READY=1"), 0);
	EXPECT_LT(recv(self->path_fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
}

TEST_F(notify, bad_addresses_are_refused_by_name)
{
	char longpath[200];

	EXPECT_EQ(sd_notify_to("relative/notify", "READY=1"), -EINVAL);
	EXPECT_EQ(sd_notify_to("vsock:2:1234", "READY=1"), -EINVAL);
	EXPECT_EQ(sd_notify_to("@", "READY=1"), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	EXPECT_EQ(sd_notify_to(longpath, "READY=1"), -ENAMETOOLONG);
	/* a path nobody listens on */
	EXPECT_EQ(sd_notify_to("/nonexistent/notify", "READY=1"), -ENOENT);
}

TEST_F(notify, a_status_too_long_to_format_whole_is_refused_not_cut)
{
	char big[SD_NOTIFY_MAX + 16];
	char buf[16];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("NOTIFY_SOCKET", self->path, 1);
	EXPECT_EQ(sd_notify_printf("STATUS=%s", big), -EMSGSIZE);
	EXPECT_LT(recv(self->path_fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
}

TEST_F(notify, the_watchdog_interval_is_for_our_pid_only)
{
	char pid[32];
	uint64_t us = 7;

	EXPECT_EQ(sd_notify_watchdog_usec(&us), 0);
	EXPECT_EQ(us, 0);

	setenv("WATCHDOG_USEC", "30000000", 1);
	EXPECT_EQ(sd_notify_watchdog_usec(&us), 1);
	EXPECT_EQ(us, 30000000);

	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_PID", pid, 1);
	EXPECT_EQ(sd_notify_watchdog_usec(&us), 1);
	EXPECT_EQ(us, 30000000);

	/* inherited from a parent: not ours to ping */
	snprintf(pid, sizeof(pid), "%d", getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	EXPECT_EQ(sd_notify_watchdog_usec(&us), 0);
	EXPECT_EQ(us, 0);
}

TEST_F(notify, malformed_watchdog_variables_are_errors)
{
	static const char *bad[] = { "", "0", "-5", "12x", " 1", "99999999999999999999999" };
	uint64_t us;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		EXPECT_EQ(sd_notify_watchdog_usec(&us), -EINVAL);
	}
	setenv("WATCHDOG_USEC", "1000", 1);
	setenv("WATCHDOG_PID", "abc", 1);
	EXPECT_EQ(sd_notify_watchdog_usec(&us), -EINVAL);
}

TEST_HARNESS_MAIN
