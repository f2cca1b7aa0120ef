// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watchdog's rules end to end through `edgesteer run`: which
 * evidence declares a stall, which proves a recovery, and which never
 * resets a healthy link.
 *
 * G (the gateway, where `edgesteer run` runs) and P (its neighbour) are
 * two network namespaces joined by four veth pairs wgI-PID/wpI-PID
 * (I = 0..3) with 10.79.I.1/24 and fe80::1 on G's side, 10.79.I.2/24 and
 * fe80::2 on P's. The test reads the daemon's metrics and status over its
 * control socket with the real CLI.
 *
 * P misbehaves the way real neighbours and hung adapters do, with
 * nftables inside P: an ingress chain with policy drop is a neighbour
 * that receives nothing (so answers nothing) while it still sends; an
 * egress chain that passes only IPv6 is a link that brings back nothing
 * but the neighbour's own DAD/MLD/RS after a link bounce; arp_ignore=8
 * is a neighbour that stops answering ARP. "Beacons" are one echo
 * request a second from P (to a permanent neighbour entry, so P itself
 * never needs ARP): the chatter of a switch or a modem.
 *
 * wg0 looks like an AX88179 in a fake sysfs tree whose device node is a
 * regular file: the USB step runs the real ioctl, fails with ENOTTY, and
 * the ladder moves on to reset_command, a script that logs each run and,
 * when <dir>/lift exists, asks (through <dir>/lift-req) for P's nftables
 * rules to be removed.
 */
#include "harness.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>

#define NPAIRS 4

FIXTURE(wr) {
	char dir[96];
	char g[48], p[48];
	char gif[NPAIRS][IFNAMSIZ], pif[NPAIRS][IFNAMSIZ];
	char conf[160], sock[160], log[160], resets[160];
	char pins[96];
	pid_t daemon;
};

FIXTURE_SETUP(wr)
{
	int pid = getpid();
	char cmd[3072];
	size_t off = 0;

	snprintf(self->dir, sizeof(self->dir), "/tmp/es-wdrun-%d", pid);
	snprintf(self->g, sizeof(self->g), "es-wdrun-%d-g", pid);
	snprintf(self->p, sizeof(self->p), "es-wdrun-%d-p", pid);
	snprintf(self->conf, sizeof(self->conf), "%s/edgesteer.conf", self->dir);
	snprintf(self->sock, sizeof(self->sock), "%s/ctl.sock", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/daemon.log", self->dir);
	snprintf(self->resets, sizeof(self->resets), "%s/resets", self->dir);
	snprintf(self->pins, sizeof(self->pins), "/sys/fs/bpf/es-test-wdrun-%d", pid);
	if (th_sh("command -v nft >/dev/null"))
		SKIP(return, "nft (nftables) not installed: scripts/deps.sh installs it");
	th_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s; mkdir -p %s", self->g, self->p,
	      self->dir, self->dir);
	off += (size_t)snprintf(cmd + off, sizeof(cmd) - off,
				"ip netns add %s && ip netns add %s && ip -n %s link set lo up && ip -n %s link set lo up",
				self->g, self->p, self->g, self->p);
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(self->gif[i], IFNAMSIZ, "wg%d-%d", i, pid);
		snprintf(self->pif[i], IFNAMSIZ, "wp%d-%d", i, pid);
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off,
			" && ip -n %s link add %s type veth peer name %s netns %s"
			" && ip -n %s addr add 10.79.%d.1/24 dev %s && ip -n %s addr add fe80::1/64 dev %s nodad"
			" && ip -n %s addr add 10.79.%d.2/24 dev %s && ip -n %s addr add fe80::2/64 dev %s nodad"
			" && ip -n %s link set %s up && ip -n %s link set %s up",
			self->g, self->gif[i], self->pif[i], self->p,
			self->g, i, self->gif[i], self->g, self->gif[i],
			self->p, i, self->pif[i], self->p, self->pif[i],
			self->g, self->gif[i], self->p, self->pif[i]);
	}
	if (th_sh("%s", cmd))
		SKIP(return, "cannot create namespaces and veth pairs (not root?)");
	/* The kernel's own link-local addresses run DAD for about a second
	 * after the links come up; a neighbour solicitation sent meanwhile
	 * can go unanswered, which a test starting its daemon at once would
	 * take for a stall. Wait (bounded) until no address is tentative. */
	th_sh("for i in $(seq 50); do [ -z \"$(ip -n %s -6 addr show tentative)$(ip -n %s -6 addr show tentative)\" ] "
	      "&& break; sleep 0.1; done", self->g, self->p);
	/* fake sysfs: wg0 is an AX88179 on root port 1 of bus 1 */
	th_sh("d=%s/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1; mkdir -p $d/1-1:1.0/net/%s %s/sys/class/net "
	      "%s/dev/bus/usb/001 && echo 0b95 > $d/idVendor && echo 1790 > $d/idProduct && echo 1 > $d/busnum && "
	      "echo 2 > $d/devnum && ln -s ../../../1-1:1.0 $d/1-1:1.0/net/%s/device && "
	      "ln -s ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/net/%s %s/sys/class/net/%s && "
	      "touch %s/dev/bus/usb/001/002",
	      self->dir, self->gif[0], self->dir, self->dir, self->gif[0], self->gif[0], self->dir, self->gif[0],
	      self->dir);
	th_sh("cat > %s/reset.sh <<'EOF'\n"
	      "#!/bin/sh\n"
	      "echo \"$(date +%%s.%%N) $EDGESTEER_IFACE\" >> %s\n"
	      "[ -e %s/lift ] && touch %s/lift-req\n"
	      "exit 0\n"
	      "EOF\nchmod +x %s/reset.sh", self->dir, self->resets, self->dir, self->dir, self->dir);
}

FIXTURE_TEARDOWN(wr)
{
	if (self->daemon > 0) {
		kill(self->daemon, SIGKILL);
		waitpid(self->daemon, NULL, 0);
	}
	if (!self->g[0])
		return;
	if (th_result->failed)
		th_sh("echo '# daemon log:'; sed 's/^/#   /' %s; echo '# resets:'; sed 's/^/#   /' %s 2>/dev/null",
		      self->log, self->resets);
	/* stop only what runs inside our namespaces (the beacons and pings we started) */
	th_sh("for n in %s %s; do p=$(ip netns pids $n 2>/dev/null); [ -n \"$p\" ] && kill -9 $p; done; "
	      "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; rm -rf %s; true",
	      self->g, self->p, self->g, self->p, self->pins);
	if (!getenv("WD_KEEP_LOG"))
		th_sh("rm -rf %s", self->dir);
}

/* ---- the daemon and what it says -------------------------------------------- */

/* Keys every section shares; each test adds its timing and probe. */
static int section(char *buf, size_t len, FIXTURE(wr) *self, int i, const char *extra)
{
	return snprintf(buf, len,
			"[watchdog %s]\nreset_command = %s/reset.sh\nsysfs_root = %s/sys\ndev_root = %s/dev\n"
			"max_resets_per_hour = 10\nmin_reset_interval = 500ms\n%s",
			self->gif[i], self->dir, self->dir, self->dir, extra);
}

/* Timing of the tests: a stall in a second, sampled ten times a second. */
#define FAST "interval = 100ms\nstall_after = 1s\nrecover_wait = 1s\n"

/* `edgesteer run -c conf` inside G, as a child of the test body. */
static void start_daemon(struct th_metadata *_metadata, FIXTURE(wr) *self, const char *sections)
{
	char ns[96];
	FILE *f = fopen(self->conf, "w");
	pid_t pid;

	ASSERT_TRUE(f != NULL);
	fprintf(f, "[global]\ncontrol_socket = %s\npin_path = %s\n%s", self->sock, self->pins, sections);
	fclose(f);
	snprintf(ns, sizeof(ns), "/run/netns/%s", self->g);
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open(ns, O_RDONLY | O_CLOEXEC), lfd;

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(126);
		lfd = open(self->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (lfd >= 0)
			dup2(lfd, 2);
		execl(th_bin(), "edgesteer", "run", "-c", self->conf, (char *)NULL);
		_exit(127);
	}
	self->daemon = pid;
	ASSERT_EQ(th_wait_sh(15000, "%s status -s %s >/dev/null 2>&1", th_bin(), self->sock), 0);
}

static char snap_buf[1 << 16];

/* Fetch the daemon's metrics once; the m*() helpers read this copy. */
static void snap(FIXTURE(wr) *self)
{
	if (th_sh_out(snap_buf, sizeof(snap_buf), "%s metrics -s %s 2>/dev/null", th_bin(), self->sock))
		snap_buf[0] = 0;
}

/* Value of the sample whose line starts with the key; -1 if absent. */
static long long mv(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long mv(const char *fmt, ...)
{
	char key[256];
	const char *at = snap_buf;
	va_list ap;
	size_t kl;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	kl = strlen(key);
	while ((at = strstr(at, key))) {
		if ((at == snap_buf || at[-1] == '\n') && at[kl] == ' ')
			return atoll(at + kl + 1);
		at += kl;
	}
	return -1;
}

static long long m_iface(const char *name, const char *ifname)
{
	return mv("edgesteer_watchdog_%s{iface=\"%s\"}", name, ifname);
}

static long long m_step(const char *name, const char *ifname, const char *step)
{
	return mv("edgesteer_watchdog_%s{iface=\"%s\",step=\"%s\"}", name, ifname, step);
}

static long long m_rx(const char *ifname)
{
	return mv("edgesteer_watchdog_rx_packets{iface=\"%s\",source=\"kernel\"}", ifname);
}

static bool m_state_is(const char *ifname, const char *state)
{
	return mv("edgesteer_watchdog_state{iface=\"%s\",state=\"%s\"}", ifname, state) == 1;
}

static bool m_rule_is(const char *ifname, const char *rule)
{
	return mv("edgesteer_watchdog_rule{iface=\"%s\",rule=\"%s\"}", ifname, rule) == 1;
}

/* Poll until the per-interface sample `name` (with a step label when
 * `step` is set) reaches min; seconds waited, or -1. */
static double wait_m(FIXTURE(wr) *self, const char *name, const char *ifname, const char *step, long long min,
		     int timeout_ms)
{
	double t0 = th_now();

	do {
		snap(self);
		if ((step ? m_step(name, ifname, step) : m_iface(name, ifname)) >= min)
			return th_now() - t0;
		usleep(30000);
	} while (th_now() - t0 < timeout_ms / 1000.0);
	return -1;
}

static double wait_state(FIXTURE(wr) *self, const char *ifname, const char *state, int timeout_ms)
{
	double t0 = th_now();

	do {
		snap(self);
		if (m_state_is(ifname, state))
			return th_now() - t0;
		usleep(30000);
	} while (th_now() - t0 < timeout_ms / 1000.0);
	return -1;
}

/*
 * From now on the next reset_command run lifts P's drop. The command runs
 * with the daemon's reduced capabilities and cannot enter P's namespace
 * itself, so it only asks (lift-req) and a watcher of ours, bounded to
 * 60 s, does it.
 */
static void arm_lift(FIXTURE(wr) *self)
{
	th_sh("(i=0; while [ ! -e %s/lift-req ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; "
	      "[ -e %s/lift-req ] && ip netns exec %s nft flush ruleset) >/dev/null 2>&1 &",
	      self->dir, self->dir, self->p);
	th_sh("touch %s/lift", self->dir);
}

/* Unix time of the first reset_command run (0: none). */
static double first_reset_at(FIXTURE(wr) *self)
{
	char out[64] = "";

	th_sh_out(out, sizeof(out), "head -n 1 %s 2>/dev/null | cut -d' ' -f1", self->resets);
	return atof(out);
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- what P does -------------------------------------------------------------- */

/* One echo request a second from P to G over pair i; P knows G's MAC for
 * good, so the beacon needs no answer of any kind. */
static void beacon(FIXTURE(wr) *self, int i)
{
	th_sh("mac=$(ip -n %s -o link show %s | sed -n 's|.*link/ether \\([0-9a-f:]*\\).*|\\1|p'); "
	      "ip -n %s neigh replace 10.79.%d.1 lladdr $mac dev %s nud permanent && "
	      "(ip netns exec %s ping -q -i 1 10.79.%d.1 >/dev/null 2>&1 &)",
	      self->g, self->gif[i], self->p, i, self->pif[i], self->p, i);
}

/* P receives nothing on pair i (and so answers nothing); it still sends. */
static int deaf(FIXTURE(wr) *self, int i)
{
	return th_sh("ip netns exec %s nft 'add table netdev deaf%d; add chain netdev deaf%d in "
		     "{ type filter hook ingress device %s priority 0; policy drop; }'", self->p, i, i, self->pif[i]);
}

/* ---- the probe rule ---------------------------------------------------------------- */

/*
 * The neighbour chatters (a beacon a second) but answers nothing: under
 * the probe rule that is a stall; the ladder runs to reset_command, and
 * only the probe answered again (after reset_command lifted P's drop)
 * credits a recovery, never the beacons.
 */
TEST_F_TIMEOUT(wr, chattering_peer_unanswered_probe_is_a_stall_until_answered, 60)
{
	char st[4096];
	const char *g = self->gif[0];
	double t_deaf, t_stall, t_rec, u_stall, u_rec, lift_at;
	long long rx0, rx1;
	char sec[1024];

	arm_lift(self);
	beacon(self, 0);
	/* "probe = ADDR" is the ICMP echo probe, as it always was */
	/* stall_after spans two beacons: under the rx rule they would hide it */
	section(sec, sizeof(sec), self, 0, "interval = 100ms\nstall_after = 2s\nrecover_wait = 1s\n"
		"probe = 10.79.0.2\nlink_bounce = yes\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	EXPECT_TRUE(m_rule_is(g, "probe"));
	rx0 = m_rx(g);
	ASSERT_EQ(deaf(self, 0), 0);
	t_deaf = th_now();
	ASSERT_GE(wait_m(self, "stalls_total", g, NULL, 1, 8000), 0);
	t_stall = th_now();
	u_stall = unix_now();
	rx1 = m_rx(g);
	TH_LOG("stall declared %.0f ms after the neighbour went deaf (stall_after 2000 ms, interval 100 ms); "
	       "rx meanwhile %lld -> %lld", (t_stall - t_deaf) * 1000, rx0, rx1);
	/* the beacons kept arriving: rx alone would have hidden this stall */
	EXPECT_GT(rx1, rx0);
	ASSERT_GE(wait_m(self, "recoveries_total", g, "reset-command", 1, 15000), 0);
	t_rec = th_now();
	u_rec = unix_now();
	lift_at = first_reset_at(self);
	TH_LOG("stall -> link-bounce -> usb-reset (ENOTTY) -> reset-command ran %.0f ms after the stall; recovery "
	       "credited %.0f ms after reset_command lifted the drop; %.0f ms from deaf to credited",
	       (lift_at - u_stall) * 1000, (u_rec - lift_at) * 1000, (t_rec - t_deaf) * 1000);
	EXPECT_EQ(m_step("steps_total", g, "link-bounce"), 1);
	EXPECT_EQ(m_step("steps_total", g, "usb-reset"), 1);
	EXPECT_EQ(m_step("step_failures_total", g, "usb-reset"), 1);
	EXPECT_EQ(m_step("steps_total", g, "reset-command"), 1);
	/* the beacons after the link bounce credited nothing */
	EXPECT_EQ(m_step("recoveries_total", g, "link-bounce"), 0);
	EXPECT_EQ(m_step("recoveries_total", g, "usb-reset"), 0);
	EXPECT_EQ(th_count_lines(self->resets), 1);
	EXPECT_EQ(th_sh("grep -q 'the probe (icmp 10.79.0.2) has been unanswered' %s", self->log), 0);
	EXPECT_EQ(th_sh("grep -q 'the probe is answered again after reset-command' %s", self->log), 0);
	ASSERT_GE(wait_state(self, g, "ok", 3000), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "rule probe; probe icmp 10.79.0.2, last answer") != NULL);
	EXPECT_TRUE(strstr(st, "ladder none; stalls 1, flaps 0, recoveries 1") != NULL);
}

/*
 * ARP: a quiet link whose neighbour answers is healthy; the same
 * neighbour that stops answering ARP (arp_ignore=8) while it keeps
 * sending beacons is a stall, and answering again ends it.
 */
TEST_F_TIMEOUT(wr, arp_probe_peer_stops_answering_while_beaconing_is_a_stall, 40)
{
	const char *g = self->gif[0];
	double t0, waited;
	long long rx0, rx1, ans;
	char sec[1024], st[4096];

	section(sec, sizeof(sec), self, 0, FAST "probe = arp 10.79.0.2\ndry_run = yes\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	EXPECT_TRUE(m_rule_is(g, "probe"));
	EXPECT_GT(m_iface("probes_answered_total", g), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "rule probe; probe arp 10.79.0.2, last answer 0.") != NULL);
	beacon(self, 0);
	sleep(2);
	snap(self);
	EXPECT_TRUE(m_state_is(g, "ok"));
	EXPECT_EQ(m_iface("stalls_total", g), 0);
	rx0 = m_rx(g);
	ASSERT_EQ(th_sh("ip netns exec %s sysctl -qw net.ipv4.conf.%s.arp_ignore=8", self->p, self->pif[0]), 0);
	t0 = th_now();
	waited = wait_m(self, "stalls_total", g, NULL, 1, 8000);
	ASSERT_GE(waited, 0);
	rx1 = m_rx(g);
	ans = m_iface("probes_answered_total", g);
	TH_LOG("ARP unanswered: stall declared %.0f ms later (stall_after 1000 ms); rx %lld -> %lld", waited * 1000,
	       rx0, rx1);
	EXPECT_GT(rx1, rx0);
	EXPECT_TRUE(m_rule_is(g, "probe"));
	sleep(1);
	snap(self);
	EXPECT_EQ(m_iface("probes_answered_total", g), ans);
	EXPECT_TRUE(m_state_is(g, "stalled"));
	ASSERT_EQ(th_sh("ip netns exec %s sysctl -qw net.ipv4.conf.%s.arp_ignore=0", self->p, self->pif[0]), 0);
	t0 = th_now();
	ASSERT_GE(wait_state(self, g, "ok", 3000), 0);
	TH_LOG("ARP answered again: ok %.0f ms later", (th_now() - t0) * 1000);
	EXPECT_EQ(th_sh("grep -q 'the probe is answered again without a reset' %s", self->log), 0);
}

/* NDP: the same with a neighbour solicitation to fe80::2; a neighbour
 * that receives nothing any more is a stall. */
TEST_F_TIMEOUT(wr, ndp_probe_answered_then_unanswered_is_a_stall, 40)
{
	const char *g = self->gif[0];
	char sec[1024], st[4096];
	double waited;

	section(sec, sizeof(sec), self, 0, FAST "probe = ndp fe80::2\ndry_run = yes\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	sleep(2);
	snap(self);
	EXPECT_TRUE(m_state_is(g, "ok"));
	EXPECT_TRUE(m_rule_is(g, "probe"));
	EXPECT_GT(m_iface("probes_answered_total", g), 15);
	EXPECT_EQ(m_iface("stalls_total", g), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "rule probe; probe ndp fe80::2, last answer 0.") != NULL);
	beacon(self, 0);
	ASSERT_EQ(deaf(self, 0), 0);
	waited = wait_m(self, "stalls_total", g, NULL, 1, 8000);
	ASSERT_GE(waited, 0);
	TH_LOG("NDP unanswered: stall declared %.0f ms later (stall_after 1000 ms)", waited * 1000);
	EXPECT_EQ(th_sh("grep -q 'the probe (ndp fe80::2) has been unanswered' %s", self->log), 0);
}

/* probe = gateway with no default route through the interface: the rx
 * rule applies, and says why; the route appears, the probe rule takes over. */
TEST_F_TIMEOUT(wr, gateway_probe_follows_the_default_route, 40)
{
	const char *g = self->gif[0];
	char sec[1024], st[4096];
	double t0 = 0;

	th_sh("ip netns exec %s ping -q -i 0.1 10.79.0.1 >/dev/null 2>&1 &", self->p);
	section(sec, sizeof(sec), self, 0, FAST "probe = gateway\ndry_run = yes\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	EXPECT_TRUE(m_rule_is(g, "rx"));
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "rule rx; probe gateway (unresolved), last answer never") != NULL);
	EXPECT_EQ(th_sh("grep -q 'no default route through %s; the rx rule applies' %s", g, self->log), 0);
	ASSERT_EQ(th_sh("ip -n %s -6 route add default via fe80::2 dev %s", self->g, g), 0);
	t0 = th_now();
	do {
		snap(self);
		if (m_rule_is(g, "probe") && m_iface("probes_answered_total", g) > 0)
			break;
		usleep(50000);
	} while (th_now() - t0 < 5);
	EXPECT_TRUE(m_rule_is(g, "probe"));
	EXPECT_GT(m_iface("probes_answered_total", g), 0);
	EXPECT_EQ(m_iface("stalls_total", g), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "rule probe; probe ndp fe80::2 (gateway)") != NULL);
}

/* ---- the rx rule: recovery must last ---------------------------------------------------- */

/*
 * No probe. P's IPv4 (and ARP) stops reaching G; its IPv6 still passes,
 * so the link bounce brings back P's own DAD, MLD and RS frames and
 * nothing else. Those stray frames are not a recovery: the ladder goes on
 * to the USB reset and reset_command, which brings traffic back for good
 * and is credited.
 */
TEST_F_TIMEOUT(wr, link_bounce_stray_frames_are_not_a_recovery, 60)
{
	const char *g = self->gif[0];
	long long rx_stall, rx_next;
	char sec[1024];

	arm_lift(self);
	th_sh("ip netns exec %s ping -q -i 0.05 10.79.0.1 >/dev/null 2>&1 &", self->p);
	th_sh("ip netns exec %s ping -q -i 0.05 10.79.0.2 >/dev/null 2>&1 &", self->g);
	/* 5 samples of 200 ms in a row: a second of steady traffic */
	section(sec, sizeof(sec), self, 0, "interval = 200ms\nstall_after = 1s\nrecover_wait = 2s\n"
		"recover_samples = 5\nlink_bounce = yes\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	EXPECT_TRUE(m_rule_is(g, "rx"));
	ASSERT_EQ(th_sh("ip netns exec %s nft 'add table netdev v6only; add chain netdev v6only out "
			"{ type filter hook egress device %s priority 0; policy accept; }; "
			"add rule netdev v6only out meta protocol != ip6 drop'", self->p, self->pif[0]), 0);
	ASSERT_GE(wait_m(self, "stalls_total", g, NULL, 1, 8000), 0);
	rx_stall = m_rx(g);
	ASSERT_GE(wait_m(self, "steps_total", g, "usb-reset", 1, 10000), 0);
	rx_next = m_rx(g);
	TH_LOG("after the link bounce %lld stray frames came back before the next step", rx_next - rx_stall);
	/* the test means something only if stray frames did come */
	ASSERT_GT(rx_next, rx_stall);
	EXPECT_EQ(m_step("recoveries_total", g, "link-bounce"), 0);
	ASSERT_GE(wait_m(self, "recoveries_total", g, "reset-command", 1, 10000), 0);
	EXPECT_EQ(m_step("steps_total", g, "link-bounce"), 1);
	EXPECT_EQ(m_step("recoveries_total", g, "link-bounce"), 0);
	EXPECT_EQ(m_step("recoveries_total", g, "usb-reset"), 0);
	EXPECT_EQ(m_iface("stalls_total", g), 1);
	EXPECT_EQ(th_count_lines(self->resets), 1);
	EXPECT_EQ(th_sh("grep -q 'link-bounce did not bring steady packets back' %s", self->log), 0);
	EXPECT_EQ(th_sh("grep -q 'packets are back after reset-command' %s", self->log), 0);
}

/* ---- flaps ---------------------------------------------------------------------------- */

/*
 * A recovery credited to the link bounce, then the same stall again a
 * second later: a flap. The new ladder starts at the USB reset, not at
 * the link bounce again, and is counted and logged.
 */
TEST_F_TIMEOUT(wr, stall_back_within_flap_window_continues_the_ladder, 60)
{
	const char *g = self->gif[0];
	char sec[1024], st[4096];

	section(sec, sizeof(sec), self, 0, "interval = 100ms\nstall_after = 1s\nrecover_wait = 3s\n"
		"probe = arp 10.79.0.2\nlink_bounce = yes\nflap_window = 60s\n");
	start_daemon(_metadata, self, sec);
	ASSERT_GE(wait_state(self, g, "ok", 10000), 0);
	ASSERT_EQ(deaf(self, 0), 0);
	ASSERT_GE(wait_m(self, "steps_total", g, "link-bounce", 1, 8000), 0);
	/* the bounce "works" */
	th_sh("ip netns exec %s nft flush ruleset", self->p);
	ASSERT_GE(wait_m(self, "recoveries_total", g, "link-bounce", 1, 5000), 0);
	/* and the fault is back */
	arm_lift(self);
	ASSERT_EQ(deaf(self, 0), 0);
	ASSERT_GE(wait_m(self, "flaps_total", g, NULL, 1, 8000), 0);
	ASSERT_GE(wait_m(self, "recoveries_total", g, "reset-command", 1, 10000), 0);
	EXPECT_EQ(m_iface("stalls_total", g), 2);
	EXPECT_EQ(m_iface("ladder_runs_total", g), 2);
	EXPECT_EQ(m_step("steps_total", g, "link-bounce"), 1);
	EXPECT_EQ(m_step("steps_total", g, "usb-reset"), 1);
	EXPECT_EQ(m_step("steps_total", g, "reset-command"), 1);
	EXPECT_EQ(m_iface("flaps_total", g), 1);
	EXPECT_EQ(th_sh("grep -q 'FLAP: the stall is back .* after the recovery credited to link-bounce .* "
			"the ladder continues at usb-reset' %s", self->log), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "stalls 2, flaps 1, recoveries 2") != NULL);
}

/* ---- the false-positive side ----------------------------------------------------------- */

/*
 * A minute of four quiet links, watched at once with the most eager
 * settings (stall in 1 s, sampled every 100 ms, the full ladder armed):
 * answered ARP, NDP and gateway (ARP to the default route's next hop)
 * probes, and on the fourth a carrier pulled after 5 s. Nothing is ever
 * reset; the pulled carrier is reported.
 */
TEST_F_TIMEOUT(wr, quiet_links_with_answered_probes_are_never_reset_for_60s, 110)
{
	static const char *const probes[NPAIRS] = { "arp 10.79.0.2", "ndp fe80::2", "gateway", "arp 10.79.3.2" };
	char secs[4096], extra[256], st[4096];
	size_t off = 0;
	double t0;
	bool pulled = false;

	ASSERT_EQ(th_sh("ip -n %s route add default via 10.79.2.2 dev %s", self->g, self->gif[2]), 0);
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(extra, sizeof(extra), FAST "link_bounce = yes\nprobe = %s\n", probes[i]);
		off += (size_t)section(secs + off, sizeof(secs) - off, self, i, extra);
	}
	start_daemon(_metadata, self, secs);
	for (int i = 0; i < NPAIRS; i++)
		ASSERT_GE(wait_state(self, self->gif[i], "ok", 10000), 0);
	t0 = th_now();
	while (th_now() - t0 < 60) {
		if (!pulled && th_now() - t0 >= 5) {
			th_sh("ip -n %s link set %s down", self->p, self->pif[3]);
			pulled = true;
		}
		snap(self);
		for (int i = 0; i < NPAIRS; i++)
			ASSERT_EQ(m_iface("stalls_total", self->gif[i]), 0);
		ASSERT_EQ(th_count_lines(self->resets), 0);
		sleep(1);
	}
	snap(self);
	for (int i = 0; i < NPAIRS; i++) {
		const char *g = self->gif[i];
		long long steps = m_step("steps_total", g, "link-bounce") + m_step("steps_total", g, "usb-reset") +
				  m_step("steps_total", g, "reset-command");

		EXPECT_EQ(m_iface("stalls_total", g), 0);
		EXPECT_EQ(steps, 0);
		EXPECT_TRUE(m_state_is(g, i == 3 ? "no-carrier" : "ok"));
		TH_LOG("%s (%s): %lld probes answered in 60 s", g, probes[i], m_iface("probes_answered_total", g));
		if (i < 3) {
			EXPECT_TRUE(m_rule_is(g, "probe"));
			/* ten a second; half of that on a loaded machine is plenty */
			EXPECT_GT(m_iface("probes_answered_total", g), 300);
		}
	}
	EXPECT_EQ(m_iface("carrier_losses_total", self->gif[3]), 1);
	EXPECT_EQ(th_count_lines(self->resets), 0);
	EXPECT_EQ(th_sh("grep -q '%s: carrier lost' %s", self->gif[3], self->log), 0);
	EXPECT_EQ(th_sh_out(st, sizeof(st), "%s status -s %s", th_bin(), self->sock), 0);
	EXPECT_TRUE(strstr(st, "probe arp 10.79.2.2 (gateway), last answer 0.") != NULL);
	th_sh("ip -n %s link set %s up", self->p, self->pif[3]);
	EXPECT_GE(wait_state(self, self->gif[3], "ok", 5000), 0);
}

TEST_HARNESS_MAIN
