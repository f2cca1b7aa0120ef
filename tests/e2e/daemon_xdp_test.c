// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon with the data plane: XDP attached by `edgesteer run` on a
 * veth in a namespace of the test's own; fail-static (the program keeps
 * counting after the daemon exits, and a restarted daemon continues the
 * same counters); `edgesteer detach` while the daemon runs; `usb-reset`
 * answered through the daemon.
 */
#include "harness.h"

#include <fcntl.h>

FIXTURE(dx) {
	char dir[64];
	char gw[32], peer[32];
	char pin[96];
	pid_t pid;
};

FIXTURE_SETUP(dx)
{
	FILE *f;
	char path[128];

	snprintf(self->dir, sizeof(self->dir), "/tmp/es-dx-%d", getpid());
	snprintf(self->gw, sizeof(self->gw), "es-dx-%d-gw", getpid());
	snprintf(self->peer, sizeof(self->peer), "es-dx-%d-p", getpid());
	snprintf(self->pin, sizeof(self->pin), "/sys/fs/bpf/es-test-dx-%d", getpid());
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s %s; mkdir -p %s",
	      self->gw, self->peer, self->dir, self->pin, self->dir);
	ASSERT_EQ(th_sh("ip netns add %s && ip netns add %s && "
			"ip link add g0 netns %s type veth peer name p0 netns %s && "
			"ip -n %s addr add 10.99.0.1/24 dev g0 && ip -n %s addr add 10.99.0.2/24 dev p0 && "
			"ip -n %s link set g0 up && ip -n %s link set p0 up && "
			"ip -n %s link set lo up && ip -n %s link set lo up",
			self->gw, self->peer, self->gw, self->peer, self->gw, self->peer,
			self->gw, self->peer, self->gw, self->peer), 0);
	snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s/ctl.sock\npin_path = %s\n\n"
		"[xdp]\ninterfaces = g0\nmode = generic\non_exit = keep\n\n"
		"[watchdog g0]\ninterval = 100ms\nstall_after = 2s\ndry_run = yes\n",
		self->dir, self->pin);
	fclose(f);
}

FIXTURE_TEARDOWN(dx)
{
	if (self->pid > 0)
		kill(self->pid, SIGKILL);
	th_sh("sed 's/^/# daemon: /' %s/daemon.log 2>/dev/null | tail -n 20; "
	      "%s detach -p %s >/dev/null 2>&1; ip netns del %s; ip netns del %s; rm -rf %s %s",
	      self->dir, th_bin(), self->pin, self->gw, self->peer, self->dir, self->pin);
}

static void start_daemon(struct th_metadata *_metadata, FIXTURE(dx) *self)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[128], ns[128];
		int fd;

		snprintf(path, sizeof(path), "%s/daemon.log", self->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		snprintf(path, sizeof(path), "%s/edgesteer.conf", self->dir);
		snprintf(ns, sizeof(ns), "--net=/run/netns/%s", self->gw);
		unsetenv("NOTIFY_SOCKET");
		/* nsenter keeps our mount namespace, hence bpffs */
		execlp("nsenter", "nsenter", ns, th_bin(), "run", "-c", path, (char *)NULL);
		_exit(127);
	}
	self->pid = pid;
	ASSERT_GT(pid, 0);
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s/ctl.sock >/dev/null 2>&1", th_bin(), self->dir), 0);
}

static void stop_daemon(struct th_metadata *_metadata, FIXTURE(dx) *self)
{
	int st;

	ASSERT_EQ(kill(self->pid, SIGTERM), 0);
	ASSERT_EQ(waitpid(self->pid, &st, 0), self->pid);
	self->pid = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* rx packets XDP counted on g0, from `stats --json` (daemon or pins). */
static long rx_packets(FIXTURE(dx) *self)
{
	char out[64];

	if (th_sh_out(out, sizeof(out),
		      "%s stats --json -c %s/edgesteer.conf | python3 -c 'import json,sys; "
		      "d=json.load(sys.stdin); print(sum(m[\"value\"] for m in d[\"metrics\"] "
		      "if m[\"name\"]==\"edgesteer_xdp_rx_packets_total\" and m[\"labels\"].get(\"iface\")==\"g0\"))'",
		      th_bin(), self->dir))
		return -1;
	return atol(out);
}

/* kB of BPF map memory mapped into the daemon (its RSS counts them):
 * the policy tables are several MB, mapped only while they are written. */
static long map_rss_kb(FIXTURE(dx) *self)
{
	char out[64];

	if (th_sh_out(out, sizeof(out),
		      "awk '/^[0-9a-f]+-/ { m = ($NF == \"anon_inode:bpf-map\") } /^Rss:/ { if (m) s += $2 } "
		      "END { print s + 0 }' /proc/%d/smaps", (int)self->pid))
		return -1;
	return atol(out);
}

static void ping_gw(FIXTURE(dx) *self, int n)
{
	th_sh("ip netns exec %s ping -q -c %d -i 0.05 -W 1 10.99.0.1 >/dev/null", self->peer, n);
}

TEST_F_TIMEOUT(dx, fail_static_counts_on_and_restart_continues, 60)
{
	long before, after_exit, after_restart;

	start_daemon(_metadata, self);
	ping_gw(self, 5);
	before = rx_packets(self);
	EXPECT_GE(before, 5);
	/* maps created by this start: their pages are not kept in the RSS */
	TH_LOG("BPF maps in the daemon's RSS: %ld kB", map_rss_kb(self));
	EXPECT_GE(map_rss_kb(self), 0);
	EXPECT_LT(map_rss_kb(self), 1024);
	stop_daemon(_metadata, self);
	/* on_exit = keep: still attached, still counting, pins in place */
	EXPECT_EQ(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	ping_gw(self, 5);
	after_exit = rx_packets(self);
	EXPECT_GE(after_exit, before + 5);
	/* a new daemon continues the same counters */
	start_daemon(_metadata, self);
	ping_gw(self, 5);
	after_restart = rx_packets(self);
	EXPECT_GE(after_restart, after_exit + 5);
	EXPECT_LT(map_rss_kb(self), 1024);	/* maps reused from their pins */
	TH_LOG("rx packets: %ld, after exit %ld, after restart %ld", before, after_exit, after_restart);
}

TEST_F_TIMEOUT(dx, detach_while_running_and_reload_attaches_again, 60)
{
	char out[4096];

	start_daemon(_metadata, self);
	EXPECT_EQ(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	ASSERT_EQ(th_sh_out(out, sizeof(out), "%s detach -c %s/edgesteer.conf 2>&1", th_bin(), self->dir), 0);
	TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "daemon at") != NULL);
	EXPECT_NE(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	EXPECT_NE(th_sh("test -e %s", self->pin), 0);
	/* the daemon is still there, and a reload attaches again */
	ASSERT_EQ(th_sh("%s status -s %s/ctl.sock >/dev/null", th_bin(), self->dir), 0);
	ASSERT_EQ(th_sh("%s reload -s %s/ctl.sock >/dev/null", th_bin(), self->dir), 0);
	EXPECT_EQ(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	ping_gw(self, 3);
	EXPECT_GE(rx_packets(self), 3);
}

TEST_F_TIMEOUT(dx, usb_reset_through_the_daemon_names_the_problem, 30)
{
	char out[4096];

	start_daemon(_metadata, self);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s usb-reset -c %s/edgesteer.conf g0 2>&1", th_bin(), self->dir), 1);
	TH_LOG("%s", out);
	/* The daemon runs in the test's namespace through nsenter, so its
	 * /sys is the host's and it cannot see g0 there; either way the answer
	 * comes from the daemon and names the interface and the cause. */
	EXPECT_TRUE(strstr(out, "g0: not a USB interface") != NULL ||
		    strstr(out, "g0: no such interface") != NULL);
	EXPECT_EQ(th_sh("grep -q 'manual reset: g0' %s/daemon.log", self->dir), 0);
}

/* A reload that drops [xdp] takes the data plane away, as dropping each
 * interface from `interfaces` does: on_exit = keep is about the daemon
 * exiting, not about a policy that is no longer configured. */
TEST_F_TIMEOUT(dx, reload_without_xdp_section_detaches, 60)
{
	start_daemon(_metadata, self);
	EXPECT_EQ(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	ASSERT_EQ(th_sh("sed -i '/^\\[xdp\\]/,/^$/d' %s/edgesteer.conf && ! grep -q xdp %s/edgesteer.conf",
			self->dir, self->dir), 0);
	ASSERT_EQ(th_sh("%s reload -s %s/ctl.sock >/dev/null", th_bin(), self->dir), 0);
	EXPECT_NE(th_sh("ip -n %s link show g0 | grep -q xdp", self->gw), 0);
	EXPECT_NE(th_sh("ls %s/link_* >/dev/null 2>&1", self->pin), 0);
	stop_daemon(_metadata, self);
}

TEST_HARNESS_MAIN
