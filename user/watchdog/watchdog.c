// SPDX-License-Identifier: GPL-2.0-only
/*
 * watchdog.c - NIC stall detection, the recovery ladder, re-attach.
 *
 * How it works. Every watched interface ("nic") has a timer firing each
 * `interval`. A tick sends the probe when one is configured (ICMP echo,
 * ARP or NDP; `gateway` follows the default route through the interface)
 * and takes one sample - admin state, carrier and the kernel's tx counter
 * from an RTM_GETLINK, the rx packet count from the XDP program's
 * per-interface counter (the kernel's rx counter when no XDP counts this
 * interface), whether the probe went out and whether it was answered -
 * and hands it to the pure stall rule in wdpolicy.c: the probe rule when
 * the probe went out (only its answers count), else the rx rule.
 * docs/watchdog.md says which applies when.
 *
 * A stall starts an "episode" if the rate limiter allows it: the ladder
 * runs its steps cheapest first - link down/up, USBDEVFS_RESET of the
 * adapter the interface's own sysfs path leads to, the reset_command -
 * and after each step waits up to `recover_wait` for a proven recovery:
 * the probe answered again, or (rx rule) rx advancing on recover_samples
 * consecutive samples, so that a burst of stray frames after a link
 * bounce proves nothing. The step that precedes the proof is credited
 * with the recovery (log line and
 * edgesteer_watchdog_recoveries_total{step=...}). A stall that comes back
 * within flap_window of a credited recovery is a flap: the next ladder
 * starts at the step after the credited one. A step that cannot run (not
 * a USB NIC, no node, ENOTTY) is logged and the next one runs at once.
 * When every step has run without a recovery the episode is "exhausted";
 * the next episode waits for the limiter
 * (min_reset_interval x backoff^(k-1), max_resets_per_hour), and when the
 * hourly budget is spent the nic enters a loud GIVEN-UP state that only a
 * proven recovery, a manual reset or a reload leave (like a systemd unit
 * hitting its start limit). dry_run logs what would run, under the same
 * limits, and touches nothing.
 *
 * A USB reset makes the adapter re-enumerate: the netdev disappears and
 * comes back, maybe with a new ifindex and even a new name. An rtnetlink
 * socket on the loop follows RTM_NEWLINK/RTM_DELLINK; a nic that lost its
 * interface adopts the next one with the same name, the same MAC address
 * or the same USB port (the topology path, "2-1.4"). When the ifindex
 * changed, the XDP program is attached again through bpfctl (retried
 * every tick until it works), and the stall window starts afresh since
 * the counters are new.
 *
 * Carrier loss is reported (log, counter, state "no-carrier") and never
 * reset: a pulled cable is not a hung adapter.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "rtnl.h"
#include "usbdev.h"
#include "wdprobe.h"
#include "wdpolicy.h"
#include "watchdog.h"

extern char **environ;

#define WD_CMD_TIMEOUT_MS 60000	/* reset_command is killed after this */
#define WD_MAX_NICS 64		/* [watchdog *] discovers at most this many */
#define WD_RESOLVE_MS 10000	/* the probe's gateway and source are looked up again */
#define WD_RETRY_MS 1000	/* ... and at most this often while that fails */

enum wd_src { SRC_KERNEL, SRC_XDP };

enum wd_state {
	WD_ST_ABSENT,		/* interface does not exist (yet) */
	WD_ST_DOWN,		/* administratively down: not watched */
	WD_ST_NO_CARRIER,	/* carrier lost: reported, never reset */
	WD_ST_OK,		/* receiving */
	WD_ST_QUIET,		/* not receiving; not a stall (yet) */
	WD_ST_STALLED,		/* stalled; the next ladder waits for the limiter */
	WD_ST_RECOVERING,	/* a ladder step ran; waiting for packets */
	WD_ST_GIVEN_UP,		/* hourly budget spent; needs packets or a human */
	WD_ST_COUNT
};

static const char *const state_names[WD_ST_COUNT] = {
	[WD_ST_ABSENT] = "absent", [WD_ST_DOWN] = "down", [WD_ST_NO_CARRIER] = "no-carrier",
	[WD_ST_OK] = "ok", [WD_ST_QUIET] = "quiet", [WD_ST_STALLED] = "stalled",
	[WD_ST_RECOVERING] = "recovering", [WD_ST_GIVEN_UP] = "given-up",
};


struct wd_nic {
	struct watchdog *w;
	struct wd_nic *next;
	struct conf_watchdog cf;
	bool wildcard;			/* found through [watchdog *] */
	bool stale;			/* reload bookkeeping */
	char ifname[IFNAMSIZ];
	int ifindex;			/* 0 while absent */
	int ifindex_seen;		/* the last ifindex we knew (attach check) */
	uint8_t mac[6];
	bool has_mac;
	char port[64];			/* USB topology path; "" if unknown */
	enum wd_state state;
	struct wd_rule rule;
	struct wd_limiter *lim;
	struct loop_timer tick;
	/* ladder */
	enum wd_step step;
	uint64_t stall_at, step_at, step_deadline;
	bool was_up;
	bool manual;			/* RECOVERING from watchdog_reset_now() */
	bool held_logged, absent_logged;
	bool need_attach, attach_logged;
	bool carrier_lost;		/* up without carrier at the last sample */
	/* the probe: whom it asks, and whether its rule is in force */
	struct wd_probe probe;
	struct wd_probe_target target;
	bool target_ok;
	uint64_t target_at;		/* when target was resolved */
	bool probing;			/* a probe went out this tick: the probe rule */
	char probe_why[160];		/* why not, when the probe is configured */
	struct wd_flap flap;		/* the last credited recovery */
	/* reset_command */
	pid_t cmd_pid;
	struct loop_fd cmd_h;
	uint64_t cmd_deadline;
	/* last sample */
	uint64_t rx, tx;
	enum wd_src src;
	/* counters */
	uint64_t stalls, carrier_losses, episodes, exhausted, given_up_total, dry_runs, flaps;
	uint64_t steps[WD_STEP_COUNT], step_failures[WD_STEP_COUNT], recoveries[WD_STEP_COUNT];
	uint64_t reattach, reattach_failures, manual_resets, reappeared;
	uint64_t last_stall, last_reset, last_recovery;	/* unix seconds */
};

struct watchdog {
	struct loop *l;
	struct bpfctl *b;
	char pin_path[CONF_PATH_MAX];
	char xdp_ifaces[CONF_MAX_IFACES][IFNAMSIZ];
	int n_xdp;
	struct wd_nic *nics;
	int n_nics;
	bool wild_on;
	struct conf_watchdog wild;
	struct loop_timer discover;
	int nl_ev;			/* link events */
	struct loop_fd nl_h;
	struct rtnl rq;			/* requests (blocking, with deadline) */
	uint64_t nl_overruns, discover_skipped;
};

static void nic_tick(struct loop_timer *t);
static void nic_next_step(struct wd_nic *n, uint64_t now);

static uint64_t unix_now(void)
{
	return (uint64_t)time(NULL);
}

static const char *nic_name(const struct wd_nic *n)
{
	return n->ifname;
}

/* "arp 192.0.2.1", "ndp fe80::1 (gateway)", "gateway (unresolved)". */
static const char *nic_probe_text(const struct wd_nic *n)
{
	static const char *const kinds[] = {
		[CONF_PROBE_ICMP] = "icmp", [CONF_PROBE_ARP] = "arp", [CONF_PROBE_NDP] = "ndp", [CONF_PROBE_GATEWAY] = "?",
	};
	static char buf[INET6_ADDRSTRLEN + 48];
	char a[INET6_ADDRSTRLEN] = "?";
	bool gw = n->cf.probe_kind == CONF_PROBE_GATEWAY;
	const struct sockaddr_storage *ss = n->target.len ? &n->target.addr : &n->cf.probe.ss;

	if (!n->cf.probe_on)
		return "none";
	if (gw && !n->target.len)
		return "gateway (unresolved)";
	inet_ntop(ss->ss_family, ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						       : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr,
		  a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s %s%s",
		 n->target.len ? wd_probe_kind_name(n->target.kind) : kinds[n->cf.probe_kind], a, gw ? " (gateway)" : "");
	return buf;
}

/* ---- XDP (re-)attach and counters ---------------------------------------- */

static bool xdp_wanted(const struct watchdog *w, const char *a, const char *b)
{
	for (int i = 0; i < w->n_xdp; i++)
		if (!strcmp(w->xdp_ifaces[i], a) || (b && !strcmp(w->xdp_ifaces[i], b)))
			return true;
	return false;
}

static void nic_try_attach(struct wd_nic *n)
{
	struct watchdog *w = n->w;
	int rc;

	if (!n->need_attach || !n->ifindex)
		return;
	if (!w->b) {
		n->need_attach = false;
		return;
	}
	rc = bpfctl_attach_iface(w->b, n->ifname);
	if (rc) {
		n->reattach_failures++;
		if (!n->attach_logged)
			pr_err("watchdog: %s: re-attaching XDP to ifindex %d failed: %s; retrying every %u ms",
			       nic_name(n), n->ifindex, strerror(-rc), n->cf.interval_ms);
		n->attach_logged = true;
		return;
	}
	n->reattach++;
	n->need_attach = false;
	n->attach_logged = false;
	wd_rule_restart(&n->rule);
	pr_notice("watchdog: %s: XDP re-attached (ifindex %d)", nic_name(n), n->ifindex);
}

static void nic_sample(struct wd_nic *n, const struct rtnl_link *li, struct wd_sample *s)
{
	uint64_t pk = 0, by = 0;

	memset(s, 0, sizeof(*s));
	s->up = li->flags & IFF_UP;
	s->carrier = li->flags & IFF_LOWER_UP;
	s->tx = li->tx_packets;
	if (n->w->pin_path[0] && bpfctl_iface_rx(n->w->pin_path, li->ifindex, &pk, &by) == 0) {
		s->rx = pk;
		s->source = SRC_XDP;
	} else {
		s->rx = li->rx_packets;
		s->source = SRC_KERNEL;
	}
	s->probing = n->probing;
	s->probe_answered = wd_probe_answered(&n->probe);
	n->rx = s->rx;
	n->tx = s->tx;
	n->src = (enum wd_src)s->source;
}

/* ---- the ladder ----------------------------------------------------------- */

static void nic_set_state(struct wd_nic *n, enum wd_state s)
{
	if (n->state != s)
		pr_debug("watchdog: %s: %s -> %s", nic_name(n), state_names[n->state], state_names[s]);
	n->state = s;
}

static void cmd_done(struct wd_nic *n, int status)
{
	uint64_t now = loop_update_time(n->w->l);
	int fd = n->cmd_h.fd;

	loop_fd_del(n->w->l, &n->cmd_h);
	if (fd >= 0)
		close(fd);
	n->cmd_pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		pr_notice("watchdog: %s: reset_command finished; waiting up to %u ms for packets", nic_name(n),
			  n->cf.recover_wait_ms);
	} else {
		n->step_failures[WD_STEP_COMMAND]++;
		if (WIFEXITED(status))
			pr_err("watchdog: %s: reset_command '%s' exited with status %d", nic_name(n),
			       n->cf.reset_command, WEXITSTATUS(status));
		else
			pr_err("watchdog: %s: reset_command '%s' killed by signal %d", nic_name(n),
			       n->cf.reset_command, WTERMSIG(status));
	}
	n->step_deadline = now + n->cf.recover_wait_ms;
}

static void cmd_exited(struct loop_fd *h, uint32_t events)
{
	struct wd_nic *n = container_of(h, struct wd_nic, cmd_h);
	int status = 0;
	pid_t r = waitpid(n->cmd_pid, &status, WNOHANG);

	if (r == 0)
		return;
	if (r < 0)
		status = 0x7f00;	/* reaped elsewhere: report as failed (exit 127) */
	cmd_done(n, status);
}

static int run_command(struct wd_nic *n, const struct usbdev *u, bool have_usb)
{
	char e_if[64], e_idx[48], e_node[PATH_MAX + 32], e_port[96], e_id[48];
	char *envp[256];
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int i = 0, rc, pidfd;
	pid_t pid;
	char *argv[] = { "sh", "-c", n->cf.reset_command, NULL };

	snprintf(e_if, sizeof(e_if), "EDGESTEER_IFACE=%s", n->ifname);
	snprintf(e_idx, sizeof(e_idx), "EDGESTEER_IFINDEX=%d", n->ifindex);
	snprintf(e_node, sizeof(e_node), "EDGESTEER_USB_NODE=%s", have_usb ? u->node : "");
	snprintf(e_port, sizeof(e_port), "EDGESTEER_USB_PORT=%s", have_usb ? u->port : n->port);
	snprintf(e_id, sizeof(e_id), "EDGESTEER_USB_ID=%04x:%04x", have_usb ? u->vendor : 0, have_usb ? u->product : 0);
	envp[i++] = e_if;
	envp[i++] = e_idx;
	envp[i++] = e_node;
	envp[i++] = e_port;
	envp[i++] = e_id;
	for (char **e = environ; e && *e && i < 255; e++)
		if (strncmp(*e, "EDGESTEER_", 10))
			envp[i++] = *e;
	envp[i] = NULL;
	/* the loop blocks signals for signalfd: the child must not inherit that */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		pr_err("watchdog: %s: cannot start reset_command: %s", nic_name(n), strerror(rc));
		return -rc;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || (rc = loop_fd_add(n->w->l, &n->cmd_h, pidfd, EPOLLIN, cmd_exited))) {
		rc = pidfd < 0 ? -errno : rc;
		pr_err("watchdog: %s: cannot watch reset_command (pid %d): %s; killed it", nic_name(n), (int)pid,
		       strerror(-rc));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		return rc;
	}
	n->cmd_pid = pid;
	n->cmd_deadline = loop_now(n->w->l) + WD_CMD_TIMEOUT_MS;
	pr_notice("watchdog: %s: recovery step reset-command: running '%s' (pid %d)", nic_name(n), n->cf.reset_command, (int)pid);
	return 0;
}

static void cmd_kill(struct wd_nic *n)
{
	int status = 0;

	if (!n->cmd_pid)
		return;
	kill(-n->cmd_pid, SIGKILL);
	kill(n->cmd_pid, SIGKILL);
	waitpid(n->cmd_pid, &status, 0);
	cmd_done(n, status);
}

/* Run one step; 0 when it ran (now wait for packets), -errno when it could
 * not (then the next step runs at once). */
static int run_step(struct wd_nic *n, enum wd_step s)
{
	struct watchdog *w = n->w;
	char err[USBDEV_ERR_MAX];
	struct usbdev u;
	int rc;

	switch (s) {
	case WD_STEP_BOUNCE:
		if (!n->ifindex) {
			pr_warn("watchdog: %s: link bounce skipped: the interface is gone", nic_name(n));
			return -ENODEV;
		}
		pr_warn("watchdog: %s: recovery step link-bounce: link down and up", nic_name(n));
		rc = rtnl_set_up(&w->rq, n->ifindex, false);
		if (!rc)
			rc = rtnl_set_up(&w->rq, n->ifindex, true);
		if (rc)
			pr_err("watchdog: %s: link down/up failed: %s", nic_name(n), strerror(-rc));
		return rc;
	case WD_STEP_USB:
		rc = usbdev_find(n->cf.sysfs_root, n->cf.dev_root, n->ifname, &u, err, sizeof(err));
		if (rc) {
			pr_err("watchdog: %s: USB reset skipped: %s", nic_name(n), err);
			return rc;
		}
		snprintf(n->port, sizeof(n->port), "%s", u.port);
		pr_warn("watchdog: %s: recovery step usb-reset: USBDEVFS_RESET of %04x:%04x at USB port %s (%s)", nic_name(n),
			u.vendor, u.product, u.port, u.node);
		rc = usbdev_reset(&u, err, sizeof(err));
		if (rc)
			pr_err("watchdog: %s: USB reset failed: %s", nic_name(n), err);
		return rc;
	case WD_STEP_COMMAND: {
		bool have = usbdev_find(n->cf.sysfs_root, n->cf.dev_root, n->ifname, &u, err, sizeof(err)) == 0;

		return run_command(n, &u, have);
	}
	default:
		return -EINVAL;
	}
}

static void nic_recovered(struct wd_nic *n, uint64_t now)
{
	n->manual = false;
	n->recoveries[n->step]++;
	n->last_recovery = unix_now();
	n->flap.credited_at = now;
	n->flap.credited = n->step;
	pr_notice("watchdog: %s: %s after %s (%llu ms after the stall was declared); recovery credited to it", nic_name(n),
		  n->probing ? "the probe is answered again" : "packets are back", wd_step_name(n->step),
		  (unsigned long long)(now - n->stall_at));
	n->step = WD_STEP_NONE;
	nic_set_state(n, WD_ST_OK);
}

static enum wd_step next_of(const struct wd_nic *n, enum wd_step cur)
{
	return wd_ladder_next(cur, n->cf.link_bounce, true, n->cf.reset_command[0] != 0);
}

/* Run step `s`, or the next that can run; exhausted when none is left. */
static void nic_run_from(struct wd_nic *n, enum wd_step s, uint64_t now)
{
	for (;; s = next_of(n, s)) {
		if (s == WD_STEP_NONE) {
			uint64_t wait = 0;

			n->exhausted++;
			n->step = WD_STEP_NONE;
			n->held_logged = false;
			nic_set_state(n, WD_ST_STALLED);
			wd_limiter_gate(n->lim, now, &wait);
			pr_err("watchdog: %s: every recovery step ran and none brought a proven recovery; next attempt in "
			       "%llu ms at the earliest (%u of %u resets used this hour)", nic_name(n),
			       (unsigned long long)wait, wd_limiter_recent(n->lim, now), n->cf.max_resets_per_hour);
			return;
		}
		n->step = s;
		n->steps[s]++;
		n->last_reset = unix_now();
		if (run_step(n, s) == 0) {
			nic_set_state(n, WD_ST_RECOVERING);
			n->step_at = now;
			n->step_deadline = now + n->cf.recover_wait_ms;
			wd_rule_restart(&n->rule);
			return;
		}
		n->step_failures[s]++;
	}
}

static void nic_next_step(struct wd_nic *n, uint64_t now)
{
	nic_run_from(n, next_of(n, n->step), now);
}

static void nic_on_stall(struct wd_nic *n, uint64_t now)
{
	enum wd_step first;
	uint64_t wait;
	enum wd_gate g;

	if (n->state != WD_ST_STALLED) {
		n->stalls++;
		n->last_stall = unix_now();
		n->stall_at = now;
		n->held_logged = false;
		nic_set_state(n, WD_ST_STALLED);
		if (n->probing)
			pr_warn("watchdog: %s: STALLED: the probe (%s) has been unanswered for %llu ms while the host "
				"sent (probe rule: received traffic does not count)", nic_name(n), nic_probe_text(n),
				(unsigned long long)wd_rule_quiet_ms(&n->rule, now));
		else
			pr_warn("watchdog: %s: STALLED: no packets received for %llu ms (%s counter) while the host "
				"sent; %s", nic_name(n), (unsigned long long)wd_rule_quiet_ms(&n->rule, now),
				n->src == SRC_XDP ? "XDP" : "kernel",
				n->cf.probe_on ? n->probe_why : "no probe configured (rx rule)");
	}
	g = wd_limiter_gate(n->lim, now, &wait);
	if (g == WD_GATE_GIVE_UP) {
		n->given_up_total++;
		nic_set_state(n, WD_ST_GIVEN_UP);
		pr_err("watchdog: %s: GIVING UP: %u resets in the last hour reached max_resets_per_hour=%u; "
		       "no more resets until packets flow again, 'edgesteer usb-reset %s' or a reload",
		       nic_name(n), wd_limiter_recent(n->lim, now), n->cf.max_resets_per_hour, nic_name(n));
		return;
	}
	if (g == WD_GATE_WAIT) {
		if (!n->held_logged)
			pr_warn("watchdog: %s: holding the next reset for %llu ms (min_reset_interval %u ms, "
				"backoff x%u per recent reset)", nic_name(n), (unsigned long long)wait,
				n->cf.min_reset_interval_ms, n->cf.backoff);
		n->held_logged = true;
		return;
	}
	wd_limiter_record(n->lim, now);
	n->episodes++;
	n->held_logged = false;
	n->stall_at = now;
	first = wd_ladder_first(&n->flap, now, n->cf.flap_window_ms, n->cf.link_bounce, true, n->cf.reset_command[0] != 0);
	if (wd_flap_is(&n->flap, now, n->cf.flap_window_ms)) {
		n->flaps++;
		pr_warn("watchdog: %s: FLAP: the stall is back %llu ms after the recovery credited to %s (flap_window "
			"%u ms); the ladder continues at %s", nic_name(n),
			(unsigned long long)(now - n->flap.credited_at), wd_step_name(n->flap.credited),
			n->cf.flap_window_ms, wd_step_name(first));
	}
	n->flap.credited_at = 0;	/* one flap per credited recovery */
	if (n->cf.dry_run) {
		n->dry_runs++;
		pr_warn("watchdog: %s: dry-run: would run the recovery ladder:%s usb-reset%s%s", nic_name(n),
			n->cf.link_bounce ? " link-bounce ->" : "", n->cf.reset_command[0] ? " -> " : "",
			n->cf.reset_command);
		return;
	}
	n->step = WD_STEP_NONE;
	n->was_up = true;
	nic_run_from(n, first, now);
}

/* ---- interface (re)appearance ----------------------------------------------- */

static void nic_gone(struct wd_nic *n)
{
	if (!n->ifindex)
		return;
	pr_warn("watchdog: %s: interface disappeared (ifindex %d)%s", nic_name(n), n->ifindex,
		n->state == WD_ST_RECOVERING ? "; waiting for it to come back" : "");
	n->ifindex = 0;
	n->absent_logged = true;
	wd_probe_close(&n->probe);
	if (n->state != WD_ST_RECOVERING && n->state != WD_ST_GIVEN_UP)
		nic_set_state(n, WD_ST_ABSENT);
}

static void nic_adopt(struct wd_nic *n, const struct rtnl_link *li)
{
	struct watchdog *w = n->w;
	char old[IFNAMSIZ];
	bool first = !n->ifindex_seen;

	snprintf(old, sizeof(old), "%s", n->ifname);
	if (strcmp(old, li->name))
		pr_notice("watchdog: %s: the adapter is back under the name %s", old, li->name);
	snprintf(n->ifname, sizeof(n->ifname), "%s", li->name);
	n->ifindex = li->ifindex;
	if (li->has_mac) {
		memcpy(n->mac, li->mac, 6);
		n->has_mac = true;
	}
	n->absent_logged = false;
	wd_rule_restart(&n->rule);
	wd_probe_close(&n->probe);
	if (!first && li->ifindex != n->ifindex_seen) {
		n->reappeared++;
		pr_notice("watchdog: %s: interface is back with ifindex %d (was %d)", nic_name(n), li->ifindex,
			  n->ifindex_seen);
		if (xdp_wanted(w, li->name, old))
			n->need_attach = true;
	}
	n->ifindex_seen = li->ifindex;
	if (n->state == WD_ST_ABSENT)
		nic_set_state(n, WD_ST_QUIET);
	/* an adapter re-enumerated during recovery comes back down */
	if (n->state == WD_ST_RECOVERING && n->was_up && !(li->flags & IFF_UP)) {
		int rc = rtnl_set_up(&w->rq, li->ifindex, true);

		if (rc)
			pr_err("watchdog: %s: cannot set the interface up again: %s", nic_name(n), strerror(-rc));
	}
	nic_try_attach(n);
}

static bool usb_port_is(const struct wd_nic *n, const char *ifname)
{
	char err[USBDEV_ERR_MAX];
	struct usbdev u;

	return n->port[0] && usbdev_find(n->cf.sysfs_root, n->cf.dev_root, ifname, &u, err, sizeof(err)) == 0 &&
	       !strcmp(u.port, n->port);
}

static struct wd_nic *nic_new(struct watchdog *w, const struct conf_watchdog *cf, const char *ifname, bool wild);

static bool id_listed(const struct conf_watchdog *cf, const struct usbdev *u)
{
	for (int i = 0; i < cf->n_usb_ids; i++)
		if (cf->usb_ids[i] == ((uint32_t)u->vendor << 16 | u->product))
			return true;
	return false;
}

/* [watchdog *]: is `ifname` a USB NIC with a listed id we do not watch? */
static void discover_one(struct watchdog *w, const char *ifname)
{
	char err[USBDEV_ERR_MAX];
	struct usbdev u;
	struct wd_nic *n;

	if (!w->wild_on)
		return;
	for (n = w->nics; n; n = n->next)
		if (!strcmp(n->ifname, ifname) || (!n->ifindex && usb_port_is(n, ifname)))
			return;
	if (usbdev_find(w->wild.sysfs_root, w->wild.dev_root, ifname, &u, err, sizeof(err)) || !id_listed(&w->wild, &u))
		return;
	for (n = w->nics; n; n = n->next)
		if (!strcmp(n->port, u.port))
			return;	/* the same adapter, being renamed: adoption handles it */
	if (w->n_nics >= WD_MAX_NICS) {
		w->discover_skipped++;
		return;
	}
	n = nic_new(w, &w->wild, ifname, true);
	if (n) {
		snprintf(n->port, sizeof(n->port), "%s", u.port);
		pr_notice("watchdog: %s: watching USB NIC %04x:%04x at port %s ([watchdog *])", ifname, u.vendor,
			  u.product, u.port);
	}
}

static void discover_all(struct watchdog *w)
{
	char dir[CONF_PATH_MAX + 16];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/class/net", w->wild.sysfs_root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			discover_one(w, de->d_name);
	closedir(d);
}

static void discover_tick(struct loop_timer *t)
{
	struct watchdog *w = container_of(t, struct watchdog, discover);

	discover_all(w);
	loop_timer_arm(w->l, &w->discover, w->wild.interval_ms);
}

static void on_link_event(struct watchdog *w, struct nlmsghdr *nh)
{
	struct rtnl_link li;
	struct wd_nic *n;

	rtnl_parse_link(nh, &li);
	if (nh->nlmsg_type == RTM_DELLINK) {
		for (n = w->nics; n; n = n->next)
			if (n->ifindex == li.ifindex)
				nic_gone(n);
		return;
	}
	for (n = w->nics; n; n = n->next) {
		if (n->ifindex == li.ifindex) {
			if (li.name[0] && strcmp(li.name, n->ifname)) {
				pr_notice("watchdog: %s: renamed to %s", n->ifname, li.name);
				snprintf(n->ifname, sizeof(n->ifname), "%s", li.name);
				wd_probe_close(&n->probe);
			}
			return;
		}
	}
	for (n = w->nics; n; n = n->next) {
		if (n->ifindex)
			continue;
		if (!strcmp(n->ifname, li.name) || (n->has_mac && li.has_mac && !memcmp(n->mac, li.mac, 6)) ||
		    usb_port_is(n, li.name)) {
			nic_adopt(n, &li);
			return;
		}
	}
	discover_one(w, li.name);
}

static void nl_events(struct loop_fd *h, uint32_t events)
{
	struct watchdog *w = container_of(h, struct watchdog, nl_h);
	static char buf[RTNL_BUF];
	int round;

	for (round = 0; round < 64; round++) {
		ssize_t n = recv(w->nl_ev, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0) {
			if (errno == ENOBUFS) {
				/* events were lost; every tick looks interfaces up anyway */
				w->nl_overruns++;
				continue;
			}
			return;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK)
				on_link_event(w, nh);
	}
}

/* ---- the tick ---------------------------------------------------------------- */

/* Find the interface again by name, then by USB port. */
static int nic_lookup(struct wd_nic *n, struct rtnl_link *li)
{
	char name[IFNAMSIZ];
	int rc;

	if (n->ifindex) {
		rc = rtnl_get_link(&n->w->rq, n->ifindex, NULL, li);
		if (rc != -ENODEV)
			return rc;
		nic_gone(n);
	}
	rc = rtnl_get_link(&n->w->rq, 0, n->ifname, li);
	if (rc == -ENODEV && n->port[0] && usbdev_iface_by_port(n->cf.sysfs_root, n->port, name, sizeof(name)) == 0)
		rc = rtnl_get_link(&n->w->rq, 0, name, li);
	if (!rc)
		nic_adopt(n, li);
	return rc;
}

/* Report carrier changes (in any state but our own link bounce). */
static void nic_carrier(struct wd_nic *n, bool lost)
{
	if (lost == n->carrier_lost)
		return;
	n->carrier_lost = lost;
	if (n->state == WD_ST_RECOVERING)
		return;
	if (lost) {
		n->carrier_losses++;
		pr_warn("watchdog: %s: carrier lost (cable, peer or switch port): reported, not a stall; no reset",
			nic_name(n));
	} else {
		pr_notice("watchdog: %s: carrier is back", nic_name(n));
	}
}

/* The probe: resolve what to ask whom (the gateway, our source address),
 * send one question, and say whether the probe rule is in force. */
static int nic_resolve_probe(struct wd_nic *n, const struct rtnl_link *li, struct wd_probe_target *t)
{
	const struct conf_watchdog *cf = &n->cf;
	int rc;

	memset(t, 0, sizeof(*t));
	t->ifindex = li->ifindex;
	if (cf->probe_kind == CONF_PROBE_GATEWAY) {
		rc = rtnl_default_gw(&n->w->rq, li->ifindex, &t->addr, &t->len);
		if (rc) {
			snprintf(n->probe_why, sizeof(n->probe_why), rc == -ENOENT ? "no default route through %s"
				 : "cannot read the routes of %s: %s", nic_name(n), strerror(-rc));
			return rc;
		}
		t->kind = t->addr.ss_family == AF_INET ? WD_PROBE_ARP : WD_PROBE_NDP;
	} else {
		memcpy(&t->addr, &cf->probe.ss, cf->probe.len);
		t->len = cf->probe.len;
		t->kind = cf->probe_kind == CONF_PROBE_ARP ? WD_PROBE_ARP
			  : cf->probe_kind == CONF_PROBE_NDP ? WD_PROBE_NDP : WD_PROBE_ICMP;
		if (t->addr.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr;

			s6->sin6_port = 0;	/* a raw IPv6 socket refuses a port */
			/* a link-local neighbour is only reachable through this link */
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				s6->sin6_scope_id = (uint32_t)li->ifindex;
		} else {
			((struct sockaddr_in *)&t->addr)->sin_port = 0;
		}
	}
	if (t->kind == WD_PROBE_ICMP)
		return 0;
	if (!li->has_mac) {
		snprintf(n->probe_why, sizeof(n->probe_why), "%s has no Ethernet address: ARP and NDP need one; "
			 "probe with ICMP (probe = ADDR)", nic_name(n));
		return -EAFNOSUPPORT;
	}
	memcpy(t->mac, li->mac, 6);
	if (t->kind == WD_PROBE_ARP) {
		/* no IPv4 address on the link: an ARP probe from 0.0.0.0 */
		rc = rtnl_addr4(&n->w->rq, li->ifindex, ((struct sockaddr_in *)&t->addr)->sin_addr, &t->src4);
		if (rc && rc != -ENOENT) {
			snprintf(n->probe_why, sizeof(n->probe_why), "cannot read the addresses of %s: %s", nic_name(n),
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void nic_probe(struct wd_nic *n, const struct rtnl_link *li, uint64_t now)
{
	char was[sizeof(n->probe_why)];
	int rc = 0;

	snprintf(was, sizeof(was), "%s", n->probe_why);
	n->probing = false;
	if (!n->cf.probe_on || !(li->flags & IFF_UP))
		return;
	if (!n->target_at || now - n->target_at >= (n->target_ok ? WD_RESOLVE_MS : WD_RETRY_MS) ||
	    n->target.ifindex != li->ifindex) {
		n->target_at = now;
		n->target_ok = nic_resolve_probe(n, li, &n->target) == 0;
	}
	if (n->target_ok) {
		rc = wd_probe_send(&n->probe, n->w->l, &n->target, n->ifname);
		n->probing = wd_probe_in_force(rc);
		if (rc && !n->probing) {
			snprintf(n->probe_why, sizeof(n->probe_why), "cannot send the %s probe through %s: %s",
				 wd_probe_kind_name(n->target.kind), nic_name(n), strerror(-rc));
			n->target_ok = false;	/* look again next time: the address may have changed */
		}
	}
	if (n->probing && !rc)
		n->probe_why[0] = 0;
	if (strcmp(was, n->probe_why) && n->probe_why[0])
		pr_warn("watchdog: %s: %s; the rx rule applies until the probe can be sent", nic_name(n), n->probe_why);
	else if (strcmp(was, n->probe_why))
		pr_notice("watchdog: %s: probing %s; the probe rule applies", nic_name(n), nic_probe_text(n));
}

/* reset_command has a deadline too. */
static void nic_check_command(struct wd_nic *n, uint64_t now)
{
	if (n->cmd_pid && now >= n->cmd_deadline) {
		pr_err("watchdog: %s: reset_command ran longer than %u ms; killing it", nic_name(n), WD_CMD_TIMEOUT_MS);
		cmd_kill(n);
	}
}

/* The interface is not there: a ladder step that re-enumerates it may
 * still bring it back. */
static void nic_absent_tick(struct wd_nic *n, int rc, uint64_t now)
{
	if (!n->absent_logged)
		pr_warn("watchdog: %s: %s; waiting for it to appear", nic_name(n),
			rc == -ENODEV ? "no such interface" : strerror(-rc));
	n->absent_logged = true;
	if (n->state == WD_ST_RECOVERING && !n->cmd_pid && now >= n->step_deadline) {
		pr_err("watchdog: %s: did not come back within %u ms after %s", nic_name(n),
		       n->cf.recover_wait_ms, wd_step_name(n->step));
		if (n->manual) {
			n->manual = false;
			n->step = WD_STEP_NONE;
			nic_set_state(n, WD_ST_ABSENT);
		} else {
			nic_next_step(n, now);
		}
	} else if (n->state != WD_ST_RECOVERING && n->state != WD_ST_GIVEN_UP) {
		nic_set_state(n, WD_ST_ABSENT);
	}
}

/* A ladder step ran: credit it on a proven recovery, else after
 * recover_wait run the next one. */
static void nic_recovering_tick(struct wd_nic *n, enum wd_verdict v, uint64_t now)
{
	uint64_t grace = (uint64_t)n->cf.recover_samples * n->cf.interval_ms;

	if (v == WD_V_OK) {
		nic_recovered(n, now);
		return;
	}
	if (n->cmd_pid || !wd_step_expired(now, n->step_deadline, wd_rule_recovering(&n->rule), grace))
		return;
	if (n->manual) {
		/* a human asked for one reset, not for the rest of the ladder */
		pr_warn("watchdog: %s: no packets within %u ms of the manual reset", nic_name(n), n->cf.recover_wait_ms);
		n->manual = false;
		n->step = WD_STEP_NONE;
		nic_set_state(n, WD_ST_QUIET);
		return;
	}
	pr_warn("watchdog: %s: %s did not bring %s back within %u ms", nic_name(n), wd_step_name(n->step),
		n->probing ? "probe answers" : "steady packets", n->cf.recover_wait_ms);
	nic_next_step(n, now);
}

/* Not in a ladder: follow the verdict. */
static void nic_watch_tick(struct wd_nic *n, enum wd_verdict v, uint64_t now)
{
	if (n->state == WD_ST_GIVEN_UP) {
		if (v == WD_V_OK) {
			pr_notice("watchdog: %s: %s again; leaving the given-up state", nic_name(n),
				  n->probing ? "the probe is answered" : "packets flow");
			nic_set_state(n, WD_ST_OK);
		}
		return;
	}
	if (v == WD_V_OK && n->state == WD_ST_STALLED)
		pr_notice("watchdog: %s: %s without a reset", nic_name(n),
			  n->probing ? "the probe is answered again" : "packets are back");
	switch (v) {
	case WD_V_STALLED:
		nic_on_stall(n, now);
		break;
	case WD_V_OK:
		nic_set_state(n, WD_ST_OK);
		break;
	case WD_V_QUIET:
		if (n->state != WD_ST_STALLED)
			nic_set_state(n, WD_ST_QUIET);
		break;
	case WD_V_DOWN:
		nic_set_state(n, WD_ST_DOWN);
		break;
	case WD_V_NO_CARRIER:
		nic_set_state(n, WD_ST_NO_CARRIER);
		break;
	}
}

static void nic_tick(struct loop_timer *t)
{
	struct wd_nic *n = container_of(t, struct wd_nic, tick);
	uint64_t now = loop_update_time(n->w->l);
	struct rtnl_link li;
	struct wd_sample s;
	enum wd_verdict v;
	int rc;

	loop_timer_arm(n->w->l, &n->tick, n->cf.interval_ms);
	nic_check_command(n, now);
	rc = nic_lookup(n, &li);
	if (rc) {
		nic_absent_tick(n, rc, now);
		return;
	}
	n->absent_logged = false;
	nic_try_attach(n);
	nic_probe(n, &li, now);
	nic_sample(n, &li, &s);
	v = wd_rule_sample(&n->rule, &s, now);
	nic_carrier(n, s.up && !s.carrier);
	if (n->state == WD_ST_RECOVERING)
		nic_recovering_tick(n, v, now);
	else
		nic_watch_tick(n, v, now);
}

/* ---- life cycle ------------------------------------------------------------- */

static void nic_apply_conf(struct wd_nic *n, const struct conf_watchdog *cf)
{
	n->cf = *cf;
	if (n->cf.backoff < 1)
		n->cf.backoff = 1;
	n->rule.stall_after_ms = cf->stall_after_ms;
	n->rule.recover_samples = cf->recover_samples ? cf->recover_samples : 1;
	n->lim->min_interval_ms = cf->min_reset_interval_ms;
	n->lim->max_per_hour = cf->max_resets_per_hour > WD_MAX_PER_HOUR ? WD_MAX_PER_HOUR : cf->max_resets_per_hour;
	n->lim->backoff = n->cf.backoff;
}

/* A reload's settings for a watched NIC. The probe socket is opened
 * once for one neighbour: a changed (or removed) probe closes it, and the
 * next tick opens one for the new neighbour. */
static void nic_reconf(struct wd_nic *n, const struct conf_watchdog *cf)
{
	if (n->cf.probe_on != cf->probe_on || n->cf.probe_kind != cf->probe_kind || n->cf.probe.len != cf->probe.len ||
	    memcmp(&n->cf.probe.ss, &cf->probe.ss, cf->probe.len)) {
		wd_probe_close(&n->probe);
		n->target_ok = false;
		memset(&n->target, 0, sizeof(n->target));
	}
	nic_apply_conf(n, cf);
}

static struct wd_nic *nic_new(struct watchdog *w, const struct conf_watchdog *cf, const char *ifname, bool wild)
{
	struct wd_nic *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->lim = calloc(1, sizeof(*n->lim));
	if (!n->lim) {
		free(n);
		return NULL;
	}
	n->w = w;
	n->wildcard = wild;
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	wd_rule_init(&n->rule, cf->stall_after_ms, cf->recover_samples);
	wd_limiter_init(n->lim, cf->min_reset_interval_ms, cf->max_resets_per_hour, cf->backoff);
	nic_apply_conf(n, cf);
	n->cmd_h.fd = -1;
	wd_probe_init(&n->probe, (uint16_t)(getpid() ^ (w->n_nics * 7919)));
	n->state = WD_ST_ABSENT;
	loop_timer_init(&n->tick, nic_tick);
	n->next = w->nics;
	w->nics = n;
	w->n_nics++;
	/* first look soon, spread a little so many nics do not tick together */
	loop_timer_arm(w->l, &n->tick, (uint64_t)(w->n_nics % 10) * 10);
	return n;
}

static void nic_free(struct wd_nic *n)
{
	cmd_kill(n);
	wd_probe_close(&n->probe);
	loop_timer_cancel(n->w->l, &n->tick);
	free(n->lim);
	free(n);
}

static void wd_set_conf(struct watchdog *w, const struct conf *c)
{
	snprintf(w->pin_path, sizeof(w->pin_path), "%s", c->global.pin_path);
	w->n_xdp = 0;
	if (c->has_xdp)
		for (int i = 0; i < c->xdp.n_ifaces; i++)
			snprintf(w->xdp_ifaces[w->n_xdp++], IFNAMSIZ, "%s", c->xdp.ifaces[i]);
	w->wild_on = false;
	for (int i = 0; i < c->n_watchdogs; i++)
		if (!strcmp(c->watchdogs[i].iface, "*")) {
			w->wild = c->watchdogs[i];
			w->wild_on = true;
		}
}

void watchdog_set_bpfctl(struct watchdog *w, struct bpfctl *b)
{
	if (w)
		w->b = b;
}

int watchdog_start(struct loop *l, const struct conf *c, struct bpfctl *b, struct watchdog **out)
{
	struct watchdog *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->l = l;
	w->b = b;
	w->nl_ev = -1;
	w->rq.fd = -1;
	w->nl_h.fd = -1;
	wd_set_conf(w, c);
	rc = rtnl_open(&w->rq);
	if (rc < 0)
		goto fail;
	rc = rtnl_open_events(RTMGRP_LINK);
	if (rc < 0)
		goto fail;
	w->nl_ev = rc;
	rc = loop_fd_add(l, &w->nl_h, w->nl_ev, EPOLLIN, nl_events);
	if (rc)
		goto fail;
	for (int i = 0; i < c->n_watchdogs; i++) {
		if (!strcmp(c->watchdogs[i].iface, "*"))
			continue;
		if (!nic_new(w, &c->watchdogs[i], c->watchdogs[i].iface, false)) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	loop_timer_init(&w->discover, discover_tick);
	if (w->wild_on) {
		discover_all(w);
		loop_timer_arm(l, &w->discover, w->wild.interval_ms);
	}
	pr_info("watchdog: watching %d interface(s)%s", w->n_nics, w->wild_on ? " and every USB NIC with a listed id" : "");
	*out = w;
	return 0;
fail:
	pr_err("watchdog: cannot start: %s", strerror(-rc));
	watchdog_free(w);
	return rc;
}

int watchdog_reload(struct watchdog *w, const struct conf *c)
{
	struct wd_nic *n, **pp;

	wd_set_conf(w, c);
	for (n = w->nics; n; n = n->next)
		n->stale = true;
	for (int i = 0; i < c->n_watchdogs; i++) {
		const struct conf_watchdog *cf = &c->watchdogs[i];

		if (!strcmp(cf->iface, "*")) {
			for (n = w->nics; n; n = n->next)
				if (n->wildcard) {
					n->stale = false;
					nic_reconf(n, cf);
				}
			continue;
		}
		/* also a NIC [watchdog *] found: a named section now owns it */
		for (n = w->nics; n; n = n->next)
			if (!strcmp(n->ifname, cf->iface))
				break;
		if (n) {
			n->stale = false;
			n->wildcard = false;
			nic_reconf(n, cf);
		} else if (!nic_new(w, cf, cf->iface, false)) {
			return -ENOMEM;
		}
	}
	for (pp = &w->nics; (n = *pp);) {
		if (n->stale) {
			pr_info("watchdog: %s: no longer watched", nic_name(n));
			*pp = n->next;
			w->n_nics--;
			nic_free(n);
			continue;
		}
		if (n->state == WD_ST_GIVEN_UP) {
			/* the operator looked at it: a fresh hourly budget */
			pr_notice("watchdog: %s: reload clears the given-up state and the reset budget", nic_name(n));
			wd_limiter_init(n->lim, n->cf.min_reset_interval_ms, n->cf.max_resets_per_hour, n->cf.backoff);
			nic_set_state(n, WD_ST_STALLED);
			n->held_logged = false;
		}
		pp = &n->next;
	}
	loop_timer_cancel(w->l, &w->discover);
	if (w->wild_on) {
		discover_all(w);
		loop_timer_arm(w->l, &w->discover, w->wild.interval_ms);
	}
	return 0;
}

int watchdog_reset_now(struct watchdog *w, const char *ifname, char *msg, size_t msglen)
{
	char err[USBDEV_ERR_MAX];
	struct usbdev u;
	struct wd_nic *n;
	const char *sys = "/sys", *dev = "/dev";
	int rc;

	for (n = w->nics; n; n = n->next)
		if (!strcmp(n->ifname, ifname))
			break;
	if (n) {
		sys = n->cf.sysfs_root;
		dev = n->cf.dev_root;
	} else if (w->wild_on) {
		sys = w->wild.sysfs_root;
		dev = w->wild.dev_root;
	}
	rc = usbdev_find(sys, dev, ifname, &u, err, sizeof(err));
	if (!rc)
		rc = usbdev_reset(&u, err, sizeof(err));
	if (rc) {
		snprintf(msg, msglen, "%s", err);
		pr_err("watchdog: manual reset: %s", err);
		return rc;
	}
	snprintf(msg, msglen, "%s: USB %04x:%04x at port %s (%s) reset", ifname, u.vendor, u.product, u.port, u.node);
	pr_notice("watchdog: manual reset: %s", msg);
	if (n) {
		uint64_t now = loop_update_time(w->l);

		n->manual_resets++;
		n->last_reset = unix_now();
		snprintf(n->port, sizeof(n->port), "%s", u.port);
		if (n->cmd_pid)
			cmd_kill(n);
		/* follow it like a ladder step: re-attach, credit, resume */
		n->step = WD_STEP_USB;
		n->steps[WD_STEP_USB]++;
		n->stall_at = now;
		n->step_at = now;
		n->step_deadline = now + n->cf.recover_wait_ms;
		n->was_up = true;
		n->manual = true;
		wd_rule_restart(&n->rule);
		wd_rule_expect_recovery(&n->rule);
		nic_set_state(n, WD_ST_RECOVERING);
	}
	return 0;
}

/* ---- metrics -------------------------------------------------------------- */

#define FOR_NICS(w, n) for (struct wd_nic *n = (w)->nics; n; n = n->next)

static void per_step(struct metric_sink *s, struct watchdog *w, const char *name, const char *help, size_t off)
{
	FOR_NICS(w, n)
		for (int st = WD_STEP_BOUNCE; st < WD_STEP_COUNT; st++)
			metric(s, METRIC_COUNTER, name, help, ((const uint64_t *)((const char *)n + off))[st],
			       "iface", n->ifname, "step", wd_step_name((enum wd_step)st), NULL);
}

/* Per-interface counters that are a plain uint64_t field of wd_nic. */
static const struct {
	enum metric_type type;
	const char *name, *help;
	size_t off;
} plain[] = {
		{ METRIC_COUNTER, "edgesteer_watchdog_exhausted_total",
		  "Ladders that ended without packets", offsetof(struct wd_nic, exhausted) },
		{ METRIC_COUNTER, "edgesteer_watchdog_given_up_total",
		  "Times the hourly budget ran out", offsetof(struct wd_nic, given_up_total) },
		{ METRIC_COUNTER, "edgesteer_watchdog_dry_run_actions_total",
		  "Ladders dry_run did not run", offsetof(struct wd_nic, dry_runs) },
		{ METRIC_COUNTER, "edgesteer_watchdog_manual_resets_total",
		  "Resets by usb-reset through the daemon", offsetof(struct wd_nic, manual_resets) },
		{ METRIC_COUNTER, "edgesteer_watchdog_reappeared_total",
		  "Interface came back with a new ifindex", offsetof(struct wd_nic, reappeared) },
		{ METRIC_COUNTER, "edgesteer_watchdog_xdp_reattach_total",
		  "XDP re-attached after a new ifindex", offsetof(struct wd_nic, reattach) },
		{ METRIC_COUNTER, "edgesteer_watchdog_xdp_reattach_failures_total",
		  "XDP re-attach attempts that failed", offsetof(struct wd_nic, reattach_failures) },
		{ METRIC_COUNTER, "edgesteer_watchdog_probes_sent_total",
		  "Probes sent (ICMP echo, ARP or NDP)", offsetof(struct wd_nic, probe.sent) },
		{ METRIC_COUNTER, "edgesteer_watchdog_probes_answered_total",
		  "Probe answers from the neighbour", offsetof(struct wd_nic, probe.answered_total) },
		{ METRIC_COUNTER, "edgesteer_watchdog_probe_errors_total",
		  "Probes that could not be sent", offsetof(struct wd_nic, probe.errors) },
		{ METRIC_COUNTER, "edgesteer_watchdog_flaps_total",
		  "Stalls back within flap_window of a credited recovery", offsetof(struct wd_nic, flaps) },
		{ METRIC_GAUGE, "edgesteer_watchdog_last_stall_timestamp_seconds",
		  "Unix time of the last stall (0: never)", offsetof(struct wd_nic, last_stall) },
		{ METRIC_GAUGE, "edgesteer_watchdog_last_reset_timestamp_seconds",
		  "Unix time of the last reset step (0: never)", offsetof(struct wd_nic, last_reset) },
		{ METRIC_GAUGE, "edgesteer_watchdog_last_recovery_timestamp_seconds",
		  "Unix time packets last came back after a reset", offsetof(struct wd_nic, last_recovery) },
};

void watchdog_metrics(struct watchdog *w, struct metric_sink *s)
{
	uint64_t now;

	if (!w)
		return;
	now = loop_now(w->l);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_state", "1 for the state the interface is in", 1,
		       "iface", n->ifname, "state", state_names[n->state], NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_given_up", "1 while resets are given up", n->state == WD_ST_GIVEN_UP,
		       "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_rule", "1 for the stall rule in force: probe or rx", 1,
		       "iface", n->ifname, "rule", n->probing ? "probe" : "rx", NULL);
	FOR_NICS(w, n)
		if (n->probe.last_answer_ms)
			metric(s, METRIC_GAUGE, "edgesteer_watchdog_probe_answer_age_seconds",
			       "Time since the probe was last answered", (now - n->probe.last_answer_ms) / 1000,
			       "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_ladder_step", "1 for the ladder step running (none: no ladder)",
		       1, "iface", n->ifname, "step", wd_step_name(n->state == WD_ST_RECOVERING ? n->step : WD_STEP_NONE),
		       NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_ifindex", "Current ifindex (0: absent)", (uint64_t)n->ifindex,
		       "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_rx_packets", "Receive counter the stall rule reads",
		       n->rx, "iface", n->ifname, "source", n->src == SRC_XDP ? "xdp" : "kernel", NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_tx_packets", "Kernel transmit counter", n->tx,
		       "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_quiet_seconds", "Time without received packets",
		       wd_rule_quiet_ms(&n->rule, now) / 1000, "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_COUNTER, "edgesteer_watchdog_stalls_total", "Stalls declared", n->stalls,
		       "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_COUNTER, "edgesteer_watchdog_carrier_losses_total", "Carrier losses (never reset)",
		       n->carrier_losses, "iface", n->ifname, NULL);
	FOR_NICS(w, n)
		metric(s, METRIC_COUNTER, "edgesteer_watchdog_ladder_runs_total", "Recovery ladders started",
		       n->episodes, "iface", n->ifname, NULL);
	per_step(s, w, "edgesteer_watchdog_steps_total", "Ladder steps run", offsetof(struct wd_nic, steps));
	per_step(s, w, "edgesteer_watchdog_step_failures_total", "Ladder steps that could not run or failed",
		 offsetof(struct wd_nic, step_failures));
	per_step(s, w, "edgesteer_watchdog_recoveries_total", "Recoveries, by the step that brought packets back",
		 offsetof(struct wd_nic, recoveries));
	FOR_NICS(w, n)
		metric(s, METRIC_GAUGE, "edgesteer_watchdog_resets_last_hour", "Ladders started in the last hour",
		       wd_limiter_recent(n->lim, now), "iface", n->ifname, NULL);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		FOR_NICS(w, n)
			metric(s, plain[i].type, plain[i].name, plain[i].help,
			       *(const uint64_t *)((const char *)n + plain[i].off), "iface", n->ifname, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_watchdog_netlink_overruns_total", "Link event batches lost (ENOBUFS)",
	       w->nl_overruns, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_watchdog_discover_skipped_total", "USB NICs not watched: limit reached",
	       w->discover_skipped, NULL);
}

/* One line per NIC for `edgesteer status`. */
size_t watchdog_status(struct watchdog *w, char *buf, size_t len)
{
	size_t off = 0;
	uint64_t now;

	if (!w || !len)
		return 0;
	buf[0] = 0;
	now = loop_now(w->l);
	FOR_NICS(w, n) {
		char age[48] = "never";
		int k;

		if (n->probe.last_answer_ms)
			snprintf(age, sizeof(age), "%.1f s ago", (double)(now - n->probe.last_answer_ms) / 1000.0);
		k = snprintf(buf + off, len - off,
			     "watchdog %s: %s; rule %s; probe %s, last answer %s; ladder %s; stalls %llu, flaps %llu, "
			     "recoveries %llu\n", n->ifname, state_names[n->state], n->probing ? "probe" : "rx",
			     nic_probe_text(n), n->cf.probe_on ? age : "-",
			     wd_step_name(n->state == WD_ST_RECOVERING ? n->step : WD_STEP_NONE),
			     (unsigned long long)n->stalls, (unsigned long long)n->flaps,
			     (unsigned long long)(n->recoveries[WD_STEP_BOUNCE] + n->recoveries[WD_STEP_USB] +
						  n->recoveries[WD_STEP_COMMAND]));
		if (k < 0 || (size_t)k >= len - off) {
			buf[off] = 0;	/* whole lines only */
			break;
		}
		off += (size_t)k;
	}
	return off;
}

void watchdog_free(struct watchdog *w)
{
	struct wd_nic *n;

	if (!w)
		return;
	while ((n = w->nics)) {
		w->nics = n->next;
		nic_free(n);
	}
	loop_timer_cancel(w->l, &w->discover);
	if (w->nl_h.fd >= 0)
		loop_fd_del(w->l, &w->nl_h);
	if (w->nl_ev >= 0)
		close(w->nl_ev);
	rtnl_close(&w->rq);
	free(w);
}
