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
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
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
};

/* ---- metrics ----------------------------------------------------------- */

static void render(struct daemon *d, struct metric_sink *s, bool with_xdp)
{
	metric(s, METRIC_GAUGE, "edgesteer_up", "1 while the daemon runs", 1, NULL);
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
		fprintf(err, "syslog: %s\n", strerror(-rc));
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
	sd_notify(0, "RELOADING=1\nSTATUS=Reloading configuration");
	pr_notice("reload: reading %s", d->conf_path);
	rc = conf_load(d->conf_path, &nc, err);
	if (rc) {
		fflush(err);
		d->reloads_refused++;
		pr_err("reload: %s refused, the running configuration stays:\n%s", d->conf_path, text);
		sd_notifyf(0, "READY=1\nSTATUS=Running; last reload refused (%s has errors)", d->conf_path);
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
		sd_notifyf(0, "READY=1\nSTATUS=Running; last reload applied with errors");
		*msg = text;
		return rc;
	}
	d->reloads_ok++;
	free(text);
	pr_notice("reload: %s applied", d->conf_path);
	sd_notifyf(0, "READY=1\nSTATUS=Running; reloaded %s", d->conf_path);
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
	sd_notifyf(0, "STATUS=Stopping: draining %zu connections", active);
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
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping: draining");
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
	sd_notify(0, "WATCHDOG=1");
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
			      "proxies: %d, active connections: %zu, upstreams down: %d%s%s%s\n"
			      "syslog relay: %s, forwards: %d\n"
			      "watchdogs: %d\n%s",
			      getpid(), (unsigned long long)((loop_now(d->l) - d->started_ms) / 1000),
			      d->conf_path, (unsigned long long)d->reloads_ok,
			      (unsigned long long)(d->reloads_refused + d->reloads_partial),
			      d->bpf ? "attached" : "off", d->conf->has_xdp ? d->conf->xdp.n_ifaces : 0,
			      d->conf->global.pin_path, d->conf->n_proxies,
			      d->proxy ? proxy_active(d->proxy) : (size_t)0, n_down,
			      n_down ? " (" : "", down, n_down ? ")" : "",
			      d->conf->syslog.enabled ? "on" : "off", d->conf->n_forwards,
			      d->conf->n_watchdogs, d->stopping ? "state: stopping\n" : "state: running\n");
	} else if (!strcmp(cmd, "stats")) {
		/* "stats [json|table] [noxdp]": the CLI reads XDP from the pins */
		render_into(d, strstr(arg, "json") ? METRIC_JSON : METRIC_TABLE, !strstr(arg, "noxdp"), r);
	} else if (!strcmp(cmd, "metrics")) {
		render_into(d, METRIC_PROM, true, r);
	} else if (!strcmp(cmd, "reload")) {
		char *msg = NULL;

		if (d->stopping) {
			r->error = 1;
			reqsrv_printf(&r->body, "stopping; reload refused");
		} else if (daemon_reload(d, &msg)) {
			r->error = 1;
			reqsrv_printf(&r->body, "reload refused; the running configuration stays:\n%s",
				      msg ? msg : "");
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

/* ---- capabilities ------------------------------------------------------ */

/*
 * Keep only what the running config can still need after start-up:
 * reloads re-bind listeners, update maps and re-attach XDP; the watchdog
 * bounces links, probes neighbours and opens USB device nodes. Done with
 * prctl + capset directly: Debian's libcap-ng 0.8.3 fails its capset here
 * (EPERM on this kernel), and the two calls are all we need.
 */
static uint64_t needed_capabilities(const struct conf *c)
{
	uint64_t keep = 1ull << CAP_NET_BIND_SERVICE | 1ull << CAP_NET_ADMIN | 1ull << CAP_SYS_RESOURCE;

	if (c->has_xdp || c->n_watchdogs)
		keep |= 1ull << CAP_BPF | 1ull << CAP_PERFMON | 1ull << CAP_SYS_ADMIN;
	if (c->n_watchdogs)
		keep |= 1ull << CAP_NET_RAW | 1ull << CAP_DAC_OVERRIDE;
	return keep;
}

static int drop_capabilities(const struct conf *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint64_t keep = needed_capabilities(c), have;
	int cap;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	have = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	/* the bounding set first: shrinking it needs CAP_SETPCAP */
	if (have & 1ull << CAP_SETPCAP)
		for (cap = 0; cap < 64; cap++)
			if (!(keep & 1ull << cap) && prctl(PR_CAPBSET_READ, cap) == 1)
				prctl(PR_CAPBSET_DROP, cap);
	keep &= have;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data)) {
		pr_warn("could not drop capabilities: %s; running with the full set", strerror(errno));
		return -errno;
	}
	pr_info("capabilities reduced to %#llx (what the config needs)", (unsigned long long)keep);
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
	int rc;

	snprintf(d.conf_path, sizeof(d.conf_path), "%s", conf_path);
	rc = conf_load(conf_path, &d.conf, stderr);
	if (rc) {
		pr_err("%s: configuration has errors; not starting", conf_path);
		return 1;
	}
	log_set_level(verbose ? LOG_DEBUG : d.conf->global.log_level);
	signal(SIGPIPE, SIG_IGN);
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
	sd_notify(0, "STATUS=Starting");
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
				   on_ctl, &d, &d.ctl)))
		goto fail;
	if (d.conf->global.metrics_on &&
	    (rc = metrics_http_start(d.l, &d.conf->global.metrics_listen, daemon_render, &d, &d.http)))
		goto fail;
	drop_capabilities(d.conf);

	{
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec) {
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
	sd_notifyf(0, "READY=1\nMAINPID=%d\nSTATUS=Running: %d proxies, syslog %s, xdp on %d interfaces",
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
