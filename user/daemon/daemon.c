// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon.c - `edgesteer run`: ties the modules into one process.
 *
 * Start-up: load and validate the config completely, raise the fd limit,
 * bring up the data plane, the proxies, the syslog relay and the watchdog,
 * open the control socket and (optionally) the metrics listener, drop every
 * capability the config does not need, then tell systemd READY=1.
 *
 * Reload (SIGHUP, `edgesteer reload`): RELOADING=1, read and validate the
 * new file; a file with errors is refused with its errors and the running
 * config stays. A valid one is applied module by module; established
 * proxied connections and TLS subscribers survive (each module's reload
 * contract). Then READY=1 again.
 *
 * Stop (SIGTERM/SIGINT): STOPPING=1, listeners close, established
 * connections drain for up to [global] drain_timeout, the forwarder
 * flushes what it can, then the data plane stays attached (fail-static,
 * [xdp] on_exit = keep, the default) or is detached (on_exit = detach).
 * A second SIGTERM stops at once.
 */
#include <linux/capability.h>
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "daemon.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/metrics_http.h"
#include "core/sd_notify.h"
#include "core/version.h"
#include "proxy/proxy.h"
#include "syslog/syslog.h"
#include "proxy/tls_term.h"
#include "watchdog/watchdog.h"

#define DRAIN_POLL_MS 100

struct daemon {
	struct loop *l;
	struct conf *conf;
	char conf_path[CONF_PATH_MAX];
	struct bpfctl *bpf;
	struct proxy_set *proxy;
	struct syslog_relay *syslog;
	struct watchdog *wd;
	struct ctl_server *ctl;
	struct metrics_http *http;
	struct loop_timer sd_watchdog;
	uint64_t sd_watchdog_ms;
	struct loop_timer drain;
	uint64_t drain_deadline;
	bool stopping;
	uint64_t started_ms;
	uint64_t reloads_ok, reloads_refused, reloads_partial;
	uint64_t caps_given;		/* permitted set at start */
	uint64_t caps_running;		/* kept after start-up */
};

static uint64_t caps_permitted(void);
static void capability_plan(const struct conf *c, uint64_t *startup, uint64_t *running);
static const char *cap_list(uint64_t set, char *buf, size_t len);

/* ---- metrics ----------------------------------------------------------- */

/* The local request listeners: what strangers filling them cost. */
static void render_local(struct metric_sink *s, const char *listener, const struct reqsrv_stats *st)
{
	static const char help[] = "Clients of a local listener closed or refused, by cause";
	static const char name[] = "edgesteer_local_clients_dropped_total";

	metric(s, METRIC_COUNTER, name, help, st->evicted, "listener", listener, "cause", "evicted_idle", NULL);
	metric(s, METRIC_COUNTER, name, help, st->refused_busy, "listener", listener, "cause", "busy", NULL);
	metric(s, METRIC_COUNTER, name, help, st->refused_denied, "listener", listener, "cause", "denied", NULL);
	metric(s, METRIC_COUNTER, name, help, st->timed_out, "listener", listener, "cause", "timeout", NULL);
}

static void render(struct daemon *d, struct metric_sink *s, bool with_xdp)
{
	metric(s, METRIC_GAUGE, "edgesteer_up", "1 while the daemon runs", 1, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_build_info", "Always 1; the labels say which build runs", 1,
	       "version", EDGESTEER_VERSION, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_uptime_seconds", "Seconds since start",
	       (loop_now(d->l) - d->started_ms) / 1000, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_reloads_total", "Config reloads by result",
	       d->reloads_ok, "result", "ok", NULL);
	metric(s, METRIC_COUNTER, "edgesteer_reloads_total", "Config reloads by result",
	       d->reloads_refused, "result", "refused", NULL);
	metric(s, METRIC_COUNTER, "edgesteer_reloads_total", "Config reloads by result",
	       d->reloads_partial, "result", "applied_with_errors", NULL);
	if (with_xdp && d->conf->has_xdp)
		bpfctl_metrics(d->conf->global.pin_path, s);
	if (d->proxy)
		proxy_metrics(d->proxy, s);
	if (d->syslog)
		syslog_metrics(d->syslog, s);
	if (d->wd)
		watchdog_metrics(d->wd, s);
	{
		struct reqsrv_stats st;

		ctl_server_stats(d->ctl, &st);
		render_local(s, "control", &st);
		if (d->http) {
			metrics_http_stats(d->http, &st);
			render_local(s, "metrics", &st);
		}
	}
}

static void daemon_render(void *ctx, struct metric_sink *s)
{
	render(ctx, s, true);
}

/* ---- reload ------------------------------------------------------------ */

/* Apply a validated config; errors go to `err` (one line each). */
static int daemon_apply(struct daemon *d, struct conf *nc, FILE *err)
{
	int rc, failed = 0;
	uint64_t up, run, missing;

	/* what was dropped after start-up does not come back */
	capability_plan(nc, &up, &run);
	missing = run & d->caps_given & ~d->caps_running;
	if (missing) {
		char names[256];

		fprintf(err, "capabilities: the new configuration needs %s, dropped after start-up; "
			"restart edgesteer to apply all of it\n", cap_list(missing, names, sizeof(names)));
		failed++;
	}
	if (nc->has_xdp && d->bpf) {
		rc = bpfctl_apply(d->bpf, nc);
	} else if (nc->has_xdp) {
		rc = bpfctl_open(nc, &d->bpf);
	} else {
		/* [xdp] is gone: detach, as for interfaces dropped from
		 * `interfaces`. on_exit = keep is for the daemon exiting, not
		 * for a policy the config no longer has. */
		if (d->bpf) {
			bpfctl_close(d->bpf, true);
			pr_notice("reload: no [xdp] section any more; XDP detached and pins removed");
		}
		d->bpf = NULL;
		rc = 0;
	}
	watchdog_set_bpfctl(d->wd, d->bpf);
	if (rc) {
		fprintf(err, "xdp: %s\n", strerror(-rc));
		failed++;
	}
	rc = proxy_reload(d->proxy, nc);
	if (rc) {
		fprintf(err, "proxy: %s\n", strerror(-rc));
		failed++;
	}
	rc = syslog_reload(d->syslog, nc);
	if (rc) {
		fprintf(err, "syslog: %s\n", syslog_reload_error(d->syslog));
		failed++;
	}
	rc = watchdog_reload(d->wd, nc);
	if (rc) {
		fprintf(err, "watchdog: %s\n", strerror(-rc));
		failed++;
	}
	/* The metrics listener follows the config; the control socket and
	 * the pin path need a restart (the unit's sockets and dirs own them). */
	if (memcmp(&nc->global.metrics_listen, &d->conf->global.metrics_listen, sizeof(nc->global.metrics_listen)) ||
	    nc->global.metrics_on != d->conf->global.metrics_on) {
		metrics_http_free(d->http);
		d->http = NULL;
		if (nc->global.metrics_on) {
			rc = metrics_http_start(d->l, &nc->global.metrics_listen, daemon_render, d, &d->http);
			if (rc) {
				fprintf(err, "metrics_listen %s: %s\n", nc->global.metrics_listen.text, strerror(-rc));
				failed++;
			}
		}
	}
	if (strcmp(nc->global.control_socket, d->conf->global.control_socket))
		pr_warn("reload: control_socket changed to %s; it takes effect at the next restart",
			nc->global.control_socket);
	if (strcmp(nc->global.pin_path, d->conf->global.pin_path))
		pr_warn("reload: pin_path changed to %s; it takes effect at the next restart",
			nc->global.pin_path);
	if (nc->global.workers != d->conf->global.workers) {
		char n[16] = "auto";

		if (nc->global.workers)
			snprintf(n, sizeof(n), "%u", nc->global.workers);
		pr_warn("reload: workers changed to %s; it takes effect at the next restart", n);
	}
	log_set_level(nc->global.log_level);
	return failed ? -EIO : 0;
}

/* Returns 0 when applied; otherwise the errors are in *msg (malloc'd). */
static int daemon_reload(struct daemon *d, char **msg)
{
	struct conf *nc = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	int rc;

	if (!err)
		return -ENOMEM;
	/* MONOTONIC_USEC lets a Type=notify-reload manager (systemd >= 253)
	 * tell this reload from an earlier one; older ones ignore it. */
	sd_notify_printf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading configuration",
			 (unsigned long long)sd_notify_monotonic_usec());
	pr_notice("reload: reading %s", d->conf_path);
	rc = conf_load(d->conf_path, &nc, err);
	if (rc) {
		fflush(err);
		d->reloads_refused++;
		pr_err("reload: %s refused, the running configuration stays:\n%s", d->conf_path, text);
		sd_notify_printf("READY=1\nSTATUS=Running; last reload refused (%s has errors)", d->conf_path);
		fclose(err);
		*msg = text;
		return rc;
	}
	rc = daemon_apply(d, nc, err);
	fclose(err);
	/* Even a partly applied config is now what runs: keep it. */
	conf_free(d->conf);
	d->conf = nc;
	if (rc) {
		d->reloads_partial++;
		pr_err("reload: %s applied with errors:\n%s", d->conf_path, text);
		sd_notify_state("READY=1\nSTATUS=Running; last reload applied with errors");
		*msg = text;
		return rc;
	}
	d->reloads_ok++;
	if (text && text[0])	/* warnings of the new file (e.g. key modes) */
		pr_warn("reload: %s", text);
	free(text);
	pr_notice("reload: %s applied", d->conf_path);
	sd_notify_printf("READY=1\nSTATUS=Running; reloaded %s", d->conf_path);
	*msg = NULL;
	return 0;
}

/* ---- stop -------------------------------------------------------------- */

static void on_drain_tick(struct loop_timer *t)
{
	struct daemon *d = container_of(t, struct daemon, drain);
	size_t active = d->proxy ? proxy_active(d->proxy) : 0;
	int pending = d->syslog ? syslog_drain(d->syslog) : 0;

	if ((!active && !pending) || loop_now(d->l) >= d->drain_deadline) {
		if (active || pending)
			pr_warn("stop: drain timeout; closing %zu proxied connections%s", active,
				pending ? ", syslog forwarder not flushed" : "");
		loop_stop(d->l);
		return;
	}
	sd_notify_printf("STATUS=Stopping: draining %zu connections", active);
	loop_timer_arm(d->l, t, DRAIN_POLL_MS);
}

static void daemon_stop(struct daemon *d)
{
	if (d->stopping) {
		pr_warn("stop: second signal, stopping now");
		loop_stop(d->l);
		return;
	}
	d->stopping = true;
	sd_notify_state("STOPPING=1\nSTATUS=Stopping: draining");
	pr_notice("stop: no longer accepting; draining for up to %u ms", d->conf->global.drain_timeout_ms);
	if (d->proxy)
		proxy_stop_accepting(d->proxy);
	d->drain_deadline = loop_now(d->l) + d->conf->global.drain_timeout_ms;
	loop_timer_init(&d->drain, on_drain_tick);
	loop_timer_arm(d->l, &d->drain, 0);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	struct daemon *d = arg;
	char *msg = NULL;

	if (signo == SIGHUP) {
		if (!d->stopping)
			daemon_reload(d, &msg);
		free(msg);
		return;
	}
	daemon_stop(d);
}

static void on_sd_watchdog(struct loop_timer *t)
{
	struct daemon *d = container_of(t, struct daemon, sd_watchdog);

	/* The loop turning is what systemd's watchdog checks. */
	sd_notify_state("WATCHDOG=1");
	loop_timer_arm(d->l, t, d->sd_watchdog_ms);
}

/* ---- control socket ---------------------------------------------------- */

static void render_into(struct daemon *d, enum metric_format fmt, bool with_xdp, struct ctl_reply *r)
{
	struct metric_sink *s = NULL;
	const char *text;
	size_t len = 0;

	if (metric_sink_new(fmt, REQSRV_REPLY_MAX - 4096, &s)) {
		r->error = 1;
		reqsrv_printf(&r->body, "out of memory");
		return;
	}
	render(d, s, with_xdp);
	text = metric_sink_finish(s, &len);
	if (text)
		reqsrv_append(&r->body, text, len);
	else {
		r->error = 1;
		reqsrv_printf(&r->body, "metrics larger than the reply limit");
	}
	metric_sink_free(s);
}

static void on_ctl(void *ctx, const char *cmd, const char *arg, struct ctl_reply *r)
{
	struct daemon *d = ctx;

	if (!strcmp(cmd, "status")) {
		char down[512];
		int n_down = proxy_upstreams_down(d->proxy, down, sizeof(down));

		reqsrv_printf(&r->body,
			      "edgesteer running, pid %d, up %llu s\n"
			      "config: %s (reloads: %llu ok, %llu failed)\n"
			      "xdp: %s on %d interfaces (pins in %s)\n"
			      "proxies: %d, workers: %d, active connections: %zu, upstreams down: %d%s%s%s\n"
			      "syslog relay: %s, forwards: %d\n"
			      "watchdogs: %d\n%s",
			      getpid(), (unsigned long long)((loop_now(d->l) - d->started_ms) / 1000),
			      d->conf_path, (unsigned long long)d->reloads_ok,
			      (unsigned long long)(d->reloads_refused + d->reloads_partial),
			      d->bpf ? "attached" : "off", d->conf->has_xdp ? d->conf->xdp.n_ifaces : 0,
			      d->conf->global.pin_path, d->conf->n_proxies, proxy_workers(d->proxy),
			      d->proxy ? proxy_active(d->proxy) : (size_t)0, n_down,
			      n_down ? " (" : "", down, n_down ? ")" : "",
			      d->conf->syslog.enabled ? "on" : "off", d->conf->n_forwards,
			      d->conf->n_watchdogs, d->stopping ? "state: stopping\n" : "state: running\n");
		if (d->proxy) {
			static char ups[64 << 10];
			size_t need = proxy_upstream_status(d->proxy, ups, sizeof(ups));

			reqsrv_printf(&r->body, "%s%s", ups, need >= sizeof(ups) ? "... (more upstreams: "
				      "see edgesteer stats)\n" : "");
		}
		if (d->wd) {
			static char wds[64 * WATCHDOG_STATUS_LINE];

			watchdog_status(d->wd, wds, sizeof(wds));
			reqsrv_printf(&r->body, "%s", wds);
		}
	} else if (!strcmp(cmd, "stats")) {
		/* "stats [json|table] [noxdp]": the CLI reads XDP from the pins */
		render_into(d, strstr(arg, "json") ? METRIC_JSON : METRIC_TABLE, !strstr(arg, "noxdp"), r);
	} else if (!strcmp(cmd, "metrics")) {
		render_into(d, METRIC_PROM, true, r);
	} else if (!strcmp(cmd, "reload")) {
		uint64_t partial = d->reloads_partial;
		char *msg = NULL;
		int rc;

		if (d->stopping) {
			r->error = 1;
			reqsrv_printf(&r->body, "stopping; reload refused");
		} else if ((rc = daemon_reload(d, &msg))) {
			/* the client exits non-zero with this text */
			r->error = 1;
			reqsrv_printf(&r->body, d->reloads_partial != partial ?
				      "reload applied only in part; what is not in effect:\n%s" :
				      "reload refused; the running configuration stays:\n%s",
				      msg ? msg : strerror(-rc));
		} else {
			reqsrv_printf(&r->body, "reloaded %s\n", d->conf_path);
		}
		free(msg);
	} else if (!strcmp(cmd, "usb-reset")) {
		char msg[512] = "";
		int rc;

		if (!*arg) {
			r->error = 1;
			reqsrv_printf(&r->body, "usage: usb-reset IFACE");
			return;
		}
		rc = d->wd ? watchdog_reset_now(d->wd, arg, msg, sizeof(msg)) : -ENODEV;
		r->error = rc != 0;
		reqsrv_printf(&r->body, "%s\n", msg[0] ? msg : strerror(-rc));
	} else if (!strcmp(cmd, "detach")) {
		if (d->bpf) {
			bpfctl_close(d->bpf, true);
			d->bpf = NULL;
			watchdog_set_bpfctl(d->wd, NULL);
		}
		reqsrv_printf(&r->body, "XDP programs and pins removed; 'edgesteer reload' attaches again\n");
	} else {
		r->error = 1;
		reqsrv_printf(&r->body, "unknown command '%s' (status, stats [json], metrics, reload, "
			      "usb-reset IFACE, detach)", cmd);
	}
}

/* What members of [global] control_group may run: reading, never changing. */
static const char *const ctl_read_only[] = { "status", "stats", "metrics", NULL };

/* ---- capabilities ------------------------------------------------------ */

/*
 * Least privilege. edgesteer runs as root or, better, as a system user
 * given ambient capabilities by its unit. From the config we compute two
 * sets, each part adding what this kernel asks of it (docs/security.md
 * has the table and how each entry was found):
 *
 *   start-up  held from the moment the config is read until every
 *             subsystem is up;
 *   running   what reloads, XDP re-attach and the watchdog can still need.
 *
 * Everything else leaves the effective, permitted, inheritable and
 * ambient sets (and the bounding set, when we hold CAP_SETPCAP), so
 * neither we nor a reset_command child can regain it (a child of a root
 * daemon gets at most the bounding set, i.e. the running set; a child of
 * the system user gets nothing). A capability the
 * process was never given is simply not kept: an operator who grants
 * USB device access with a udev rule instead of CAP_DAC_OVERRIDE just
 * leaves it out of the unit. Done with capget/capset directly: Debian's
 * libcap-ng 0.8.3 fails its capset here (EPERM on this kernel).
 */
#define CAPB(c) (1ull << (c))

static const struct { int cap; const char *name; } cap_names[] = {
	{ CAP_CHOWN, "chown" }, { CAP_DAC_OVERRIDE, "dac_override" },
	{ CAP_DAC_READ_SEARCH, "dac_read_search" }, { CAP_NET_BIND_SERVICE, "net_bind_service" },
	{ CAP_NET_ADMIN, "net_admin" }, { CAP_NET_RAW, "net_raw" }, { CAP_SYS_ADMIN, "sys_admin" },
	{ CAP_PERFMON, "perfmon" }, { CAP_BPF, "bpf" },
};

static const char *cap_list(uint64_t set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (set & CAPB(cap_names[i].cap) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", cap_names[i].name);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

static long read_sysctl(const char *path, long def)
{
	FILE *f = fopen(path, "re");
	long v = def;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = def;
		fclose(f);
	}
	return v;
}

/* Kernels before 5.8 know no CAP_BPF/CAP_PERFMON: bpf() wants CAP_SYS_ADMIN. */
static uint64_t bpf_caps(void)
{
	if (read_sysctl("/proc/sys/kernel/cap_last_cap", 0) >= CAP_BPF)
		return CAPB(CAP_BPF) | CAPB(CAP_PERFMON);
	return CAPB(CAP_SYS_ADMIN);
}

/* A port below net.ipv4.ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE. */
static bool privileged_port(const struct conf_addr *a, int n)
{
	long start = read_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", 1024);

	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *in = (const void *)&a[i].ss;
		const struct sockaddr_in6 *in6 = (const void *)&a[i].ss;
		unsigned port = a[i].ss.ss_family == AF_INET6 ? ntohs(in6->sin6_port) : ntohs(in->sin_port);

		if (port && port < start)
			return true;
	}
	return false;
}

/* The pin directory's parent, for access(2) checks without capabilities
 * (access() drops them for a non-root real uid). */
static void pin_parent(const char *pin_path, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", pin_path);
	slash = strrchr(buf, '/');
	if (slash && slash != buf)
		*slash = 0;
	else
		snprintf(buf, len, "/");
}

static void capability_plan(const struct conf *c, uint64_t *startup, uint64_t *running)
{
	uint64_t up = 0, run = 0;
	char parent[CONF_PATH_MAX];
	bool low = privileged_port(&c->global.metrics_listen, c->global.metrics_on ? 1 : 0) ||
		   privileged_port(c->syslog.listen, c->syslog.n_listen) ||
		   privileged_port(c->syslog.tls_listen, c->syslog.n_tls_listen);

	for (int i = 0; i < c->n_proxies; i++)
		low |= privileged_port(c->proxies[i].listen, c->proxies[i].n_listen);
	/* reloads re-bind listeners */
	if (low)
		run |= CAPB(CAP_NET_BIND_SERVICE);
	/* XDP: loading the program needs CAP_BPF and CAP_PERFMON (without
	 * the latter the verifier refuses it, EACCES) and, XDP being a
	 * network program type, CAP_NET_ADMIN, as does attaching it. Kept:
	 * a reload may attach new interfaces and the watchdog re-attaches
	 * after a reset. Map updates themselves need nothing but the map fd
	 * from 6.5 on; before, any bpf() call needs CAP_BPF while
	 * kernel.unprivileged_bpf_disabled is set, which this keeps too. */
	if (c->has_xdp) {
		run |= bpf_caps() | CAPB(CAP_NET_ADMIN);
		pin_parent(c->global.pin_path, parent, sizeof(parent));
		/* systemd mounts /sys/fs/bpf 0700 root: a system user can
		 * neither create nor reach the pin directory there */
		if (access(c->global.pin_path, F_OK) && access(parent, W_OK | X_OK))
			up |= CAPB(CAP_DAC_OVERRIDE);
		if (access(parent, X_OK))
			run |= CAPB(CAP_DAC_READ_SEARCH);
	}
	/* SO_RCVBUFFORCE past net.core.rmem_max, at start-up; a reload that
	 * opens a new UDP listener falls back to SO_RCVBUF (and says so) */
	if (c->syslog.enabled && c->syslog.n_listen)
		up |= CAPB(CAP_NET_ADMIN);
	for (int i = 0; i < c->n_watchdogs; i++) {
		const struct conf_watchdog *w = &c->watchdogs[i];

		if (w->link_bounce)
			run |= CAPB(CAP_NET_ADMIN);	/* RTM_NEWLINK down/up */
		if (w->probe_on)
			run |= CAPB(CAP_NET_RAW);	/* ICMP/ICMPv6 raw socket */
		/* USBDEVFS_RESET itself checks no capability, only that the
		 * device node was opened for writing; the nodes are root's
		 * (0664), so a system user needs CAP_DAC_OVERRIDE or a udev
		 * rule giving its group write access (then leave it out) */
		if (!w->dry_run)
			run |= CAPB(CAP_DAC_OVERRIDE);
	}
	/* giving the control socket and its directory to a group we are
	 * not a member of */
	if (c->global.control_group[0]) {
		struct group *g = getgrnam(c->global.control_group);

		if (g && g->gr_gid != getegid() && !group_member(g->gr_gid))
			up |= CAPB(CAP_CHOWN);
	}
	*running = run;
	*startup = up | run;
}

static uint64_t caps_permitted(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (uint64_t)data[1].permitted << 32 | data[0].permitted;
}

/* Keep `keep` (as far as we have it) in every set; clear the rest. */
static int capabilities_limit(uint64_t keep, const char *when)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint64_t have;
	char names[256];
	int cap;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	have = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	/* the bounding set first: shrinking it needs CAP_SETPCAP */
	if (have & CAPB(CAP_SETPCAP))
		for (cap = 0; cap < 64; cap++)
			if (!(keep & CAPB(cap)) && prctl(PR_CAPBSET_READ, cap) == 1)
				prctl(PR_CAPBSET_DROP, cap);
	keep &= have;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	/* no inheritable set, hence no ambient set: children get nothing */
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data)) {
		pr_warn("capabilities (%s): capset: %s; running with more than needed", when, strerror(errno));
		return -errno;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	pr_info("capabilities %s: %s (uid %u)", when, cap_list(keep, names, sizeof(names)),
		(unsigned)geteuid());
	return 0;
}

/* ---- run --------------------------------------------------------------- */

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void daemon_teardown(struct daemon *d)
{
	metrics_http_free(d->http);
	ctl_server_free(d->ctl);
	watchdog_free(d->wd);
	syslog_free(d->syslog);
	proxy_free(d->proxy);
	if (d->bpf) {
		bool detach = d->conf->xdp.on_exit == ON_EXIT_DETACH;

		bpfctl_close(d->bpf, detach);
		pr_notice("xdp: %s", detach ? "detached (on_exit = detach)" :
			  "left attached, counting (fail-static, on_exit = keep)");
	}
	conf_free(d->conf);
	loop_free(d->l);
}

int daemon_run(const char *conf_path, bool verbose)
{
	struct daemon d = { 0 };
	uint64_t caps_startup, caps_running;
	int rc;

	snprintf(d.conf_path, sizeof(d.conf_path), "%s", conf_path);
	rc = conf_load(conf_path, &d.conf, stderr);
	if (rc) {
		pr_err("%s: configuration has errors; not starting", conf_path);
		return 1;
	}
	log_set_level(verbose ? LOG_DEBUG : d.conf->global.log_level);
	/* as early as we know the config: only what start-up needs */
	capability_plan(d.conf, &caps_startup, &caps_running);
	d.caps_given = caps_permitted();
	d.caps_running = caps_running;
	capabilities_limit(caps_startup, "for start-up");
	signal(SIGPIPE, SIG_IGN);
	/* past a file size limit the spool wants EFBIG (counted), not death */
	signal(SIGXFSZ, SIG_IGN);
	raise_fd_limit();
	rc = loop_new(&d.l);
	if (rc) {
		pr_err("event loop: %s", strerror(-rc));
		conf_free(d.conf);
		return 1;
	}
	d.started_ms = loop_now(d.l);
	if (loop_signal(d.l, SIGTERM, on_signal, &d) || loop_signal(d.l, SIGINT, on_signal, &d) ||
	    loop_signal(d.l, SIGHUP, on_signal, &d)) {
		pr_err("signals: cannot set up signalfd");
		goto fail;
	}
	sd_notify_state("STATUS=Starting");
	if (d.conf->has_xdp && (rc = bpfctl_open(d.conf, &d.bpf))) {
		pr_err("xdp: cannot start the data plane: %s", strerror(-rc));
		goto fail;
	}
	tls_term_register();	/* terminate= routes end TLS with BearSSL */
	if ((rc = proxy_start(d.l, d.conf, &d.proxy))) {
		pr_err("proxy: cannot start: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = syslog_start(d.l, d.conf, &d.syslog))) {
		pr_err("syslog: cannot start: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = watchdog_start(d.l, d.conf, d.bpf, &d.wd))) {
		pr_err("watchdog: cannot start: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = ctl_server_start(d.l, d.conf->global.control_socket, d.conf->global.control_group,
				   ctl_read_only, on_ctl, &d, &d.ctl)))
		goto fail;
	if (d.conf->global.metrics_on &&
	    (rc = metrics_http_start(d.l, &d.conf->global.metrics_listen, daemon_render, &d, &d.http)))
		goto fail;
	capabilities_limit(caps_running, "while running");

	{
		uint64_t usec = 0;

		rc = sd_notify_watchdog_usec(&usec);
		if (rc < 0)
			pr_warn("systemd: WATCHDOG_USEC=%s is not a number of microseconds; no watchdog pings",
				getenv("WATCHDOG_USEC"));
		if (rc > 0) {
			/* ping at half the interval, as sd_watchdog_enabled(3) advises */
			d.sd_watchdog_ms = usec / 2000 ? usec / 2000 : 1;
			loop_timer_init(&d.sd_watchdog, on_sd_watchdog);
			loop_timer_arm(d.l, &d.sd_watchdog, 0);
		}
	}
	pr_notice("running: %d proxies, syslog %s, %d forwards, %d watchdogs, xdp on %d interfaces; "
		  "control socket %s", d.conf->n_proxies, d.conf->syslog.enabled ? "on" : "off",
		  d.conf->n_forwards, d.conf->n_watchdogs, d.conf->has_xdp ? d.conf->xdp.n_ifaces : 0,
		  d.conf->global.control_socket);
	sd_notify_printf("READY=1\nMAINPID=%d\nSTATUS=Running: %d proxies, syslog %s, xdp on %d interfaces",
		   getpid(), d.conf->n_proxies, d.conf->syslog.enabled ? "on" : "off",
		   d.conf->has_xdp ? d.conf->xdp.n_ifaces : 0);
	rc = loop_run(d.l);
	if (rc)
		pr_err("event loop failed: %s", strerror(-rc));
	daemon_teardown(&d);
	pr_notice("stopped");
	return rc ? 1 : 0;
fail:
	daemon_teardown(&d);
	return 1;
}
