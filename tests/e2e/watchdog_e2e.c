// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watchdog end to end on a veth pair between two network namespaces.
 *
 * G (gateway) holds wdgPID with 10.77.0.1, P (peer) holds wdpPID with
 * 10.77.0.2; both ping each other every 50 ms. The test blackholes the
 * peer (a `blackhole` root qdisc on its egress), so the gateway receives
 * nothing while it keeps sending. The watchdog runs in a forked child
 * inside G (conf_load_string + loop + watchdog_start) and dumps its
 * metrics to a file every 50 ms, which is what the test reads.
 *
 * This kernel has no USB: a fake sysfs tree maps wdgPID to an AX88179 at
 * USB port 1-1 whose device node is a regular file, so the USB step runs
 * the real open+ioctl, fails with ENOTTY and the ladder moves on to the
 * reset_command - a script that the test controls: it logs each run and,
 * as told by flag files, lifts the blackhole or deletes and re-creates
 * the gateway's veth (new ifindex).
 */
#include "harness.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "watchdog/watchdog.h"

FIXTURE(wd) {
	char dir[96];
	char g[48], p[48];
	char gif[IFNAMSIZ], pif[IFNAMSIZ];
	char metrics[160], log[160], resets[160];
	char pins[96];
	const char *src;	/* counter source the watchdog reads: xdp or kernel */
	const char *section;	/* [watchdog NAME]: the veth, or "*" */
	pid_t child;
};

FIXTURE_SETUP(wd)
{
	int pid = getpid();

	snprintf(self->dir, sizeof(self->dir), "/tmp/es-watchdog-e2e-%d", pid);
	snprintf(self->g, sizeof(self->g), "es-watchdog-%d-g", pid);
	snprintf(self->p, sizeof(self->p), "es-watchdog-%d-p", pid);
	snprintf(self->gif, sizeof(self->gif), "wdg%d", pid);
	snprintf(self->pif, sizeof(self->pif), "wdp%d", pid);
	snprintf(self->metrics, sizeof(self->metrics), "%s/metrics", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/log", self->dir);
	snprintf(self->resets, sizeof(self->resets), "%s/resets", self->dir);
	snprintf(self->pins, sizeof(self->pins), "/sys/fs/bpf/es-test-watchdog-%d", pid);
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s", self->g, self->p, self->dir);
	if (th_sh("ip netns add %s && ip netns add %s && "
		  "ip -n %s link add %s type veth peer name %s netns %s && "
		  "ip -n %s link set lo up && ip -n %s addr add 10.77.0.1/24 dev %s && ip -n %s link set %s up && "
		  "ip -n %s link set lo up && ip -n %s addr add 10.77.0.2/24 dev %s && ip -n %s link set %s up",
		  self->g, self->p, self->g, self->gif, self->pif, self->p,
		  self->g, self->g, self->gif, self->g, self->gif,
		  self->p, self->p, self->pif, self->p, self->pif)) {
		SKIP(return, "cannot create namespaces and a veth pair (not root?)");
	}
	/* fake sysfs: the gateway's veth is an AX88179 on root port 1 of bus 1 */
	th_sh("d=%s/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1; mkdir -p $d/1-1:1.0/net/%s %s/sys/class/net "
	      "%s/dev/bus/usb/001 && echo 0b95 > $d/idVendor && echo 1790 > $d/idProduct && echo 1 > $d/busnum && "
	      "echo 2 > $d/devnum && ln -s ../../../1-1:1.0 $d/1-1:1.0/net/%s/device && "
	      "ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/net/%s %s/sys/class/net/%s && "
	      "touch %s/dev/bus/usb/001/002",
	      self->dir, self->gif, self->dir, self->dir, self->gif, self->gif, self->dir, self->gif, self->dir);
	/* the reset operation the test observes */
	th_sh("cat > %s/reset.sh <<'EOF'\n"
	      "#!/bin/sh\n"
	      "echo \"$(date +%%s.%%N) $EDGESTEER_IFACE $EDGESTEER_IFINDEX $EDGESTEER_USB_PORT $EDGESTEER_USB_ID\" >> %s\n"
	      "if [ -e %s/recreate ]; then\n"
	      "  new=$(cat %s/recreate); [ -n \"$new\" ] || new=%s\n"
	      "  mac=$(ip -n %s -o link show %s | sed -n 's|.*link/ether \\([0-9a-f:]*\\).*|\\1|p')\n"
	      "  ip -n %s link del %s\n"
	      "  ip -n %s link add $new address $mac type veth peer name %s netns %s\n"
	      "  ip -n %s addr add 10.77.0.1/24 dev $new; ip -n %s link set $new up\n"
	      "  ip -n %s addr add 10.77.0.2/24 dev %s; ip -n %s link set %s up\n"
	      "fi\n"
	      "[ -e %s/lift ] && tc -n %s qdisc del dev %s root\n"
	      "exit 0\n"
	      "EOF\nchmod +x %s/reset.sh",
	      self->dir, self->resets, self->dir, self->dir, self->gif,
	      self->g, self->gif, self->g, self->gif, self->g, self->pif, self->p,
	      self->g, self->g, self->p, self->pif, self->p, self->pif,
	      self->dir, self->p, self->pif, self->dir);
}

FIXTURE_TEARDOWN(wd)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (!self->g[0])
		return;
	if (th_result->failed) {
		th_sh("echo '# watchdog log:'; sed 's/^/#   /' %s; echo '# resets:'; sed 's/^/#   /' %s", self->log, self->resets);
		th_sh("ip -n %s -s link show %s | sed 's/^/#   /'; ip netns pids %s | xargs -r ps -o pid,args -p | sed 's/^/#   /'", self->g, self->gif, self->p);
	}
	/* stop only what runs inside our namespaces (the pings we started) */
	th_sh("for n in %s %s; do p=$(ip netns pids $n 2>/dev/null); [ -n \"$p\" ] && kill -9 $p; done; "
	      "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", self->g, self->p, self->g, self->p);
	th_sh("rm -rf %s", self->pins);
	if (getenv("WD_KEEP_LOG") == NULL)
		th_sh("rm -rf %s", self->dir);
}

/* ---- the watchdog in a child inside G ------------------------------------- */

static struct watchdog *c_wd;
static struct loop_timer c_dump;
static const char *c_metrics;
static struct loop *c_loop;
static struct th_fixture_wd *c_self;
static char c_text[2048];

/* SIGUSR1: what `edgesteer usb-reset IFACE` through the daemon does. */
static void on_usr1(struct loop *l, int signo, void *arg)
{
	char msg[600], path[160];
	int rc = watchdog_reset_now(c_wd, c_self->gif, msg, sizeof(msg));
	FILE *f;

	snprintf(path, sizeof(path), "%s/manual", c_self->dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d %s\n", rc, msg);
		fclose(f);
	}
}

/* SIGHUP: reload the same configuration, or <dir>/reload.conf if the
 * test wrote one. */
static void on_hup(struct loop *l, int signo, void *arg)
{
	char path[160];
	struct conf *c;
	int rc;

	snprintf(path, sizeof(path), "%s/reload.conf", c_self->dir);
	if (access(path, R_OK) == 0)
		rc = conf_load(path, &c, stderr);
	else
		rc = conf_load_string("e2e.conf", c_text, &c, stderr);
	if (rc == 0)
		watchdog_reload(c_wd, c);
	/* the watchdog copies what it needs; the old conf is not referenced */
	conf_free(c);
}

static void dump_metrics(struct loop_timer *t)
{
	struct metric_sink *s;
	char tmp[200];
	const char *txt;
	size_t len;
	FILE *f;

	loop_timer_arm(c_loop, t, 50);
	if (metric_sink_new(METRIC_PROM, 1 << 20, &s))
		return;
	watchdog_metrics(c_wd, s);
	txt = metric_sink_finish(s, &len);
	snprintf(tmp, sizeof(tmp), "%s.tmp", c_metrics);
	f = fopen(tmp, "w");
	if (f) {
		fwrite(txt, 1, len, f);
		fclose(f);
		rename(tmp, c_metrics);
	}
	metric_sink_free(s);
}

/* Keys each test may set differently. */
#define DEFAULTS "recover_wait = 1s\nmax_resets_per_hour = 4\nmin_reset_interval = 500ms\n"

/* With `xdp`, edgesteer's XDP program is attached to the gateway's veth
 * and the watchdog reads its per-interface rx counter. */
static void start_watchdog(struct th_metadata *_metadata, struct th_fixture_wd *self, bool xdp, const char *extra)
{
	char text[2048], ns[96], xdpsec[128] = "";
	pid_t pid;

	if (xdp)
		snprintf(xdpsec, sizeof(xdpsec), "[xdp]\ninterfaces = %s\n", self->gif);
	self->src = xdp ? "xdp" : "kernel";
	snprintf(text, sizeof(text),
		 "[global]\npin_path = %s\n%s"
		 "[watchdog %s]\nusb_ids = 0b95:1790\ninterval = 100ms\nstall_after = 1s\n"
		 "reset_command = %s/reset.sh\nsysfs_root = %s/sys\ndev_root = %s/dev\n%s",
		 self->pins, xdpsec, self->section ? self->section : self->gif, self->dir, self->dir, self->dir, extra);
	snprintf(ns, sizeof(ns), "/run/netns/%s", self->g);
	{
		char path[160];
		FILE *f;

		/* for tests that reload an edited copy */
		snprintf(path, sizeof(path), "%s/e2e.conf", self->dir);
		f = fopen(path, "w");
		if (f) {
			fputs(text, f);
			fclose(f);
		}
	}
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bpfctl *b = NULL;
		struct conf *c;
		int fd = open(ns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(3);
		if (!freopen(self->log, "a", stderr))
			_exit(3);
		setvbuf(stderr, NULL, _IOLBF, 0);
		log_set_prefix(0);
		log_set_level(LOG_DEBUG);
		if (conf_load_string("e2e.conf", text, &c, stderr))
			_exit(4);
		if (xdp && bpfctl_open(c, &b))
			_exit(6);
		if (loop_new(&c_loop) || watchdog_start(c_loop, c, b, &c_wd))
			_exit(5);
		c_metrics = self->metrics;
		c_self = self;
		snprintf(c_text, sizeof(c_text), "%s", text);
		loop_signal(c_loop, SIGUSR1, on_usr1, NULL);
		loop_signal(c_loop, SIGHUP, on_hup, NULL);
		loop_timer_init(&c_dump, dump_metrics);
		loop_timer_arm(c_loop, &c_dump, 0);
		loop_run(c_loop);
		_exit(0);
	}
	self->child = pid;
}

/* ---- reading the metrics file --------------------------------------------- */

/* Value of the sample whose line starts with `key` ("name{labels}"); -1 if absent. */
static long long mval(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long mval(const char *file, const char *fmt, ...)
{
	char key[256], line[512];
	long long v = -1;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	f = fopen(file, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = atoll(line + strlen(key) + 1);
			break;
		}
	fclose(f);
	return v;
}

static void mstate(const char *file, const char *ifname, char *out, size_t len)
{
	char key[128], line[512];
	FILE *f = fopen(file, "r");

	snprintf(out, len, "?");
	if (!f)
		return;
	snprintf(key, sizeof(key), "edgesteer_watchdog_state{iface=\"%s\",state=\"", ifname);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			char *q = strchr(line + strlen(key), '"');

			if (q)
				*q = 0;
			snprintf(out, len, "%s", line + strlen(key));
			break;
		}
	fclose(f);
}

/* Wait until the state is `want`; returns seconds waited or -1. */
static double wait_state(struct th_fixture_wd *self, const char *want, int timeout_ms)
{
	double t0 = th_now();
	char st[32];

	do {
		mstate(self->metrics, self->gif, st, sizeof(st));
		if (!strcmp(st, want))
			return th_now() - t0;
		usleep(10000);
	} while (th_now() - t0 < timeout_ms / 1000.0);
	return -1;
}

static double wait_value(struct th_fixture_wd *self, const char *key, long long min, int timeout_ms)
{
	double t0 = th_now();

	do {
		if (mval(self->metrics, "%s", key) >= min)
			return th_now() - t0;
		usleep(10000);
	} while (th_now() - t0 < timeout_ms / 1000.0);
	return -1;
}

static void start_pings(struct th_fixture_wd *self)
{
	th_sh("ip netns exec %s ping -q -i 0.05 10.77.0.1 >/dev/null 2>&1 &", self->p);
	th_sh("ip netns exec %s ping -q -i 0.05 10.77.0.2 >/dev/null 2>&1 &", self->g);
}

static void blackhole(struct th_fixture_wd *self)
{
	th_sh("tc -n %s qdisc add dev %s root blackhole", self->p, self->pif);
}

#define KEY(buf, fmt, ...) (snprintf(buf, sizeof(buf), fmt, ##__VA_ARGS__), buf)

/* Stall -> link bounce (no help) -> USB reset (ENOTTY on the fake node)
 * -> reset_command lifts the blackhole -> packets back, credited to it. */
TEST_F_TIMEOUT(wd, stall_detected_and_reset_brings_packets_back, 40)
{
	char k[256], st[32];
	double t_black, t_stall, waited;
	long long rx0, rx1;

	th_sh("touch %s/lift", self->dir);
	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS "link_bounce = yes\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	blackhole(self);
	t_black = th_now();
	waited = wait_value(self, KEY(k, "edgesteer_watchdog_stalls_total{iface=\"%s\"}", self->gif), 1, 5000);
	t_stall = th_now();
	TH_LOG("stall declared %.0f ms after the blackhole (stall_after 1000 ms, interval 100 ms)",
	       (t_stall - t_black) * 1000);
	ASSERT_GE(waited, 0);
	/* window + one interval, plus the 50 ms metrics dump, the 10 ms poll and
	 * scheduling on a busy 2-core box */
	EXPECT_LE(t_stall - t_black, 1.0 + 0.1 + 0.3);
	EXPECT_GE(t_stall - t_black, 0.9);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_recoveries_total{iface=\"%s\",step=\"reset-command\"}",
					self->gif), 1, 8000), 0);
	EXPECT_EQ(th_count_lines(self->resets), 1);
	EXPECT_EQ(mval(self->metrics, "edgesteer_watchdog_steps_total{iface=\"%s\",step=\"link-bounce\"}", self->gif), 1);
	EXPECT_EQ(mval(self->metrics, "edgesteer_watchdog_steps_total{iface=\"%s\",step=\"usb-reset\"}", self->gif), 1);
	/* the USB step really ran the ioctl on the fake node and failed with ENOTTY */
	EXPECT_EQ(mval(self->metrics, "edgesteer_watchdog_step_failures_total{iface=\"%s\",step=\"usb-reset\"}",
		       self->gif), 1);
	EXPECT_EQ(th_sh("grep -q 'not a USB device node' %s", self->log), 0);
	EXPECT_EQ(mval(self->metrics, "edgesteer_watchdog_recoveries_total{iface=\"%s\",step=\"link-bounce\"}", self->gif), 0);
	EXPECT_EQ(th_sh("grep -q 'packets are back after reset-command' %s", self->log), 0);
	/* the script saw which adapter: the one at port 1-1 */
	EXPECT_EQ(th_sh("grep -q ' 1-1 0b95:1790' %s", self->resets), 0);
	/* traffic and counters resume */
	mstate(self->metrics, self->gif, st, sizeof(st));
	EXPECT_STREQ(st, "ok");
	rx0 = mval(self->metrics, "edgesteer_watchdog_rx_packets{iface=\"%s\",source=\"%s\"}", self->gif, self->src);
	usleep(500000);
	rx1 = mval(self->metrics, "edgesteer_watchdog_rx_packets{iface=\"%s\",source=\"%s\"}", self->gif, self->src);
	EXPECT_GT(rx1, rx0 + 5);
	EXPECT_GT(mval(self->metrics, "edgesteer_watchdog_last_recovery_timestamp_seconds{iface=\"%s\"}", self->gif), 0);
}

/* A blackhole that never lifts: at most max_resets_per_hour ladders, then
 * a loud given-up state, and nothing more. */
TEST_F_TIMEOUT(wd, persistent_blackhole_is_rate_limited, 40)
{
	char k[256];
	double t0;

	start_pings(self);
	start_watchdog(_metadata, self, true, "link_bounce = no\nrecover_wait = 300ms\nmax_resets_per_hour = 3\n"
		       "min_reset_interval = 1s\nbackoff = 2\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	blackhole(self);
	t0 = th_now();
	/* ladders at ~1.1 s, then >= 1 s and >= 2 s later (backoff 2); then
	 * the budget of 3 is spent */
	ASSERT_GE(wait_state(self, "given-up", 10000), 0);
	TH_LOG("given up %.1f s after the blackhole", th_now() - t0);
	EXPECT_EQ(th_count_lines(self->resets), 3);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_given_up{iface=\"%s\"}", self->gif)), 1);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_ladder_runs_total{iface=\"%s\"}", self->gif)), 3);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_resets_last_hour{iface=\"%s\"}", self->gif)), 3);
	EXPECT_EQ(th_sh("grep -q 'GIVING UP' %s", self->log), 0);
	/* the gaps grew: 2nd >= 1 s after the 1st, 3rd >= 2 s after the 2nd */
	EXPECT_EQ(th_sh("grep -q 'holding the next reset' %s", self->log), 0);
	EXPECT_EQ(th_sh("awk 'NR > 1 { g = $1 - p; if (g < (NR == 2 ? 1.0 : 2.0) - 0.05) bad = 1; "
			"printf \"# gap %%d: %%.2f s\\n\", NR - 1, g } { p = $1 } END { exit bad }' %s", self->resets), 0);
	sleep(2);
	EXPECT_EQ(th_count_lines(self->resets), 3);
	/* packets flowing again leave the given-up state */
	th_sh("tc -n %s qdisc del dev %s root", self->p, self->pif);
	EXPECT_GE(wait_state(self, "ok", 3000), 0);
}

/* No traffic at all, but the neighbour answers the probe: never reset. */
TEST_F_TIMEOUT(wd, quiet_link_with_probe_answered_is_never_reset, 30)
{
	char k[256], st[32];

	start_watchdog(_metadata, self, false, DEFAULTS "probe = 10.77.0.2\n");
	sleep(4);
	EXPECT_EQ(th_count_lines(self->resets), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_stalls_total{iface=\"%s\"}", self->gif)), 0);
	EXPECT_GT(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_probes_answered_total{iface=\"%s\"}", self->gif)), 20);
	mstate(self->metrics, self->gif, st, sizeof(st));
	EXPECT_STREQ(st, "ok");
	/* the same quiet link whose neighbour stops answering is a stall */
	blackhole(self);
	EXPECT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_stalls_total{iface=\"%s\"}", self->gif), 1, 3000), 0);
}

/* The peer goes down: carrier loss is reported and never reset. */
TEST_F_TIMEOUT(wd, carrier_loss_is_reported_not_reset, 30)
{
	char k[256], st[32];

	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS);
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	th_sh("ip -n %s link set %s down", self->p, self->pif);
	ASSERT_GE(wait_state(self, "no-carrier", 2000), 0);
	sleep(3);
	mstate(self->metrics, self->gif, st, sizeof(st));
	EXPECT_STREQ(st, "no-carrier");
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_carrier_losses_total{iface=\"%s\"}", self->gif)), 1);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_stalls_total{iface=\"%s\"}", self->gif)), 0);
	EXPECT_EQ(th_count_lines(self->resets), 0);
	EXPECT_EQ(th_sh("grep -q 'carrier lost' %s", self->log), 0);
	th_sh("ip -n %s link set %s up", self->p, self->pif);
	EXPECT_GE(wait_state(self, "ok", 3000), 0);
}

/* The reset deletes and re-creates the interface (new ifindex): the
 * watchdog follows it, re-attaches XDP, and the XDP counter moves again. */
TEST_F_TIMEOUT(wd, interface_recreated_during_reset_xdp_reattached, 40)
{
	char k[256], out[64];
	long long idx0, idx1, rx0, rx1;

	th_sh("touch %s/recreate", self->dir);
	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS "link_bounce = no\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	idx0 = mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_ifindex{iface=\"%s\"}", self->gif));
	ASSERT_GT(idx0, 0);
	blackhole(self);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_recoveries_total{iface=\"%s\",step=\"reset-command\"}",
					self->gif), 1, 8000), 0);
	idx1 = mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_ifindex{iface=\"%s\"}", self->gif));
	th_sh_out(out, sizeof(out), "ip netns exec %s cat /sys/class/net/%s/ifindex | tr -d '\\n'", self->g, self->gif);
	TH_LOG("ifindex %lld -> %lld (kernel says %s)", idx0, idx1, out);
	EXPECT_NE(idx1, idx0);
	EXPECT_EQ(idx1, atoll(out));
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_reappeared_total{iface=\"%s\"}", self->gif)), 1);
	/* XDP was attached again to the new interface, and counts there */
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_xdp_reattach_total{iface=\"%s\"}", self->gif)), 1);
	EXPECT_EQ(th_sh("ip -n %s link show %s | grep -q xdp", self->g, self->gif), 0);
	EXPECT_EQ(th_count_lines(self->resets), 1);
	rx0 = mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_rx_packets{iface=\"%s\",source=\"%s\"}", self->gif, self->src));
	usleep(500000);
	rx1 = mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_rx_packets{iface=\"%s\",source=\"%s\"}", self->gif, self->src));
	EXPECT_GT(rx1, rx0 + 5);
}

/* The adapter comes back under another name (udev renamed it): the
 * watchdog recognises it by its MAC address and keeps watching it. */
TEST_F_TIMEOUT(wd, interface_back_under_a_new_name_matched_by_mac, 40)
{
	char k[256], newname[IFNAMSIZ];

	snprintf(newname, sizeof(newname), "wdr%d", getpid());
	th_sh("echo %s > %s/recreate", newname, self->dir);
	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS "link_bounce = no\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	blackhole(self);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_recoveries_total{iface=\"%s\",step=\"reset-command\"}",
					newname), 1, 8000), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_reappeared_total{iface=\"%s\"}", newname)), 1);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_xdp_reattach_total{iface=\"%s\"}", newname)), 1);
	EXPECT_EQ(th_sh("grep -q 'is back under the name %s' %s", newname, self->log), 0);
	EXPECT_EQ(th_sh("ip -n %s link show %s | grep -q xdp", self->g, newname), 0);
	EXPECT_EQ(th_sh("grep -q 'iface=\"%s\"' %s", self->gif, self->metrics), 1);
}

/* [watchdog *]: every USB NIC with a listed id, found through sysfs. */
TEST_F_TIMEOUT(wd, wildcard_watches_listed_usb_nics_only, 30)
{
	char k[256], other[IFNAMSIZ], twin[IFNAMSIZ];

	snprintf(other, sizeof(other), "wdx%d", getpid());
	snprintf(twin, sizeof(twin), "wdy%d", getpid());
	/* a Realtek NIC (not listed) and a second AX88179 whose netdev is not
	 * in this namespace (so it stays "absent") */
	th_sh("d=%s/sys/devices/pci0000:00/0000:00:14.0/usb1; for x in '1-3 0bda 8153 4 %s' '1-2 0b95 1790 3 %s'; do "
	      "set -- $x; mkdir -p $d/$1/$1:1.0/net/$5 && echo $2 > $d/$1/idVendor && echo $3 > $d/$1/idProduct && "
	      "echo 1 > $d/$1/busnum && echo $4 > $d/$1/devnum && ln -s ../../../$1:1.0 $d/$1/$1:1.0/net/$5/device && "
	      "ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/$1/$1:1.0/net/$5 %s/sys/class/net/$5; done",
	      self->dir, other, twin, self->dir);
	th_sh("touch %s/lift", self->dir);
	self->section = "*";
	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS "link_bounce = no\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_state{iface=\"%s\",state=\"absent\"}", twin)), 1);
	EXPECT_EQ(th_sh("grep -q 'iface=\"%s\"' %s", other, self->metrics), 1);
	blackhole(self);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_recoveries_total{iface=\"%s\",step=\"reset-command\"}",
					self->gif), 1, 8000), 0);
	EXPECT_EQ(th_sh("grep -q ' 1-1 0b95:1790' %s", self->resets), 0);
	EXPECT_EQ(th_count_lines(self->resets), 1);
}

/* dry_run: the stall is reported, the ladder is not run. */
TEST_F_TIMEOUT(wd, dry_run_only_reports, 30)
{
	char k[256];

	th_sh("touch %s/lift", self->dir);
	start_pings(self);
	start_watchdog(_metadata, self, true, DEFAULTS "dry_run = yes\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	blackhole(self);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_dry_run_actions_total{iface=\"%s\"}", self->gif), 1, 5000), 0);
	sleep(1);
	EXPECT_EQ(th_count_lines(self->resets), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_steps_total{iface=\"%s\",step=\"link-bounce\"}", self->gif)), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_steps_total{iface=\"%s\",step=\"usb-reset\"}", self->gif)), 0);
	EXPECT_EQ(th_sh("grep -q 'dry-run: would run the recovery ladder' %s", self->log), 0);
	EXPECT_EQ(th_sh("ip -n %s link show %s | grep -q 'state UP'", self->g, self->gif), 0);
}

/* The daemon's manual reset path (watchdog_reset_now): on this tree the
 * node is a regular file, so it must fail and say exactly why. */
TEST_F_TIMEOUT(wd, manual_reset_reports_the_device_error, 30)
{
	char out[700];

	start_pings(self);
	start_watchdog(_metadata, self, false, DEFAULTS);
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	kill(self->child, SIGUSR1);
	ASSERT_EQ(th_wait_sh(3000, "test -s %s/manual", self->dir), 0);
	th_sh_out(out, sizeof(out), "cat %s/manual", self->dir);
	TH_LOG("%s", out);
	EXPECT_EQ(atoi(out), -ENOTTY);
	EXPECT_TRUE(strstr(out, "/dev/bus/usb/001/002") != NULL);
	EXPECT_TRUE(strstr(out, "not a USB device node") != NULL);
	EXPECT_TRUE(strstr(out, self->gif) != NULL);
}

/* Given up after the hourly budget; a reload gives a fresh budget. */
TEST_F_TIMEOUT(wd, reload_gives_a_given_up_nic_a_fresh_budget, 40)
{
	char k[256];

	start_pings(self);
	start_watchdog(_metadata, self, true, "link_bounce = no\nrecover_wait = 300ms\nmax_resets_per_hour = 1\n"
		       "min_reset_interval = 500ms\n");
	ASSERT_GE(wait_state(self, "ok", 5000), 0);
	blackhole(self);
	ASSERT_GE(wait_state(self, "given-up", 8000), 0);
	EXPECT_EQ(th_count_lines(self->resets), 1);
	kill(self->child, SIGHUP);
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_given_up_total{iface=\"%s\"}", self->gif), 2, 8000), 0);
	EXPECT_EQ(th_count_lines(self->resets), 2);
	EXPECT_EQ(th_sh("grep -q 'reload clears the given-up state' %s", self->log), 0);
}

/* A reload that moves the probe to another neighbour probes that one:
 * the open probe socket must not keep the old address. */
TEST_F_TIMEOUT(wd, reload_moves_the_probe_to_the_new_neighbour, 30)
{
	char k[256];

	start_watchdog(_metadata, self, false, DEFAULTS "dry_run = yes\nprobe = 10.77.0.9\n");
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_probes_sent_total{iface=\"%s\"}", self->gif), 5, 5000), 0);
	EXPECT_EQ(mval(self->metrics, "%s", KEY(k, "edgesteer_watchdog_probes_answered_total{iface=\"%s\"}", self->gif)), 0);
	ASSERT_EQ(th_sh("sed 's/^probe = 10.77.0.9$/probe = 10.77.0.2/' %s/e2e.conf > %s/reload.conf && "
			"grep -q '^probe = 10.77.0.2$' %s/reload.conf", self->dir, self->dir, self->dir), 0);
	kill(self->child, SIGHUP);
	EXPECT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_probes_answered_total{iface=\"%s\"}", self->gif), 3, 5000), 0);
}

/* What the watchdog exports passes promtool's checks (names, units). */
TEST_F_TIMEOUT(wd, metrics_pass_promtool, 20)
{
	char k[256];

	if (th_sh("command -v promtool >/dev/null"))
		SKIP(return, "promtool not installed");
	start_watchdog(_metadata, self, false, DEFAULTS "dry_run = yes\nprobe = 10.77.0.2\n");
	ASSERT_GE(wait_value(self, KEY(k, "edgesteer_watchdog_probes_sent_total{iface=\"%s\"}", self->gif), 2, 5000), 0);
	EXPECT_EQ(th_sh("promtool check metrics < %s", self->metrics), 0);
}

TEST_HARNESS_MAIN
