// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_top.c - `edgesteer top` (and `stats -w SECONDS`): a refreshing view
 * of what the gateway does now.
 *
 * Every refresh takes one sample of every counter (the daemon's Prometheus
 * text over the control socket, or without a daemon the XDP counters from
 * the pins) and shows rates from the difference to the previous sample,
 * not totals: per interface and class the packet rate and the drop rate
 * by verdict, the heaviest XDP sources (top talkers), per proxy route
 * the connection rate, open connections and
 * throughput, per syslog listener the message rate, each subscriber's
 * rate, lag and skips, each forwarder's state and backlog, each watched
 * NIC's state. On a terminal the screen is redrawn and 'q' quits; with
 * stdout not a terminal, frames are printed one after the other.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "samples.h"
#include "xdp/bpfctl.h"

#define NAME_W_MAX 56

struct top {
	struct samples prev, cur;
	double dt;		/* seconds between prev and cur; 0: no rates yet */
	int up;			/* the daemon answered */
	const char *sock, *pin;
	double interval;
	FILE *out;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int top_parse_interval(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0.2 && v <= 3600))
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* Per-second rate of one series; NAN before there are two samples. */
static double rate_of(const struct top *t, const struct sample *x)
{
	const struct sample *p;
	double d;

	if (!t->dt)
		return NAN;
	p = samples_match(&t->prev, x);
	if (!p)
		return x->value / t->dt;	/* new series: counted since the last sample */
	d = x->value - p->value;
	return (d < 0 ? x->value : d) / t->dt;	/* a restarted daemon counts from 0 */
}

/* Does `x` carry label k=v for every pair of `want` (NULL-terminated)? */
static bool has_labels(const struct sample *x, const char *const *want)
{
	for (; want && want[0]; want += 2) {
		const char *v = sample_label(x, want[0]);

		if (!v || strcmp(v, want[1]))
			return false;
	}
	return true;
}

/* Sum of the values (rate = false) or rates of `name` over matching series. */
static double sum(const struct top *t, const char *name, bool rate, const char *const *want)
{
	double s = 0;
	bool any = false;

	for (size_t i = 0; i < t->cur.n; i++) {
		const struct sample *x = &t->cur.v[i];

		if (strcmp(x->name, name) || !has_labels(x, want))
			continue;
		s += rate ? rate_of(t, x) : x->value;
		any = true;
	}
	return any ? s : NAN;
}

static const char *fmt_num(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v < 10 && v != floor(v))
		snprintf(b, n, "%.1f", v);
	else if (v < 100000)
		snprintf(b, n, "%.0f", v);
	else if (v < 1e8)
		snprintf(b, n, "%.1fk", v / 1e3);
	else
		snprintf(b, n, "%.1fM", v / 1e6);
	return b;
}

static const char *fmt_bytes(char *b, size_t n, double v)
{
	static const char *const unit[] = { "B", "K", "M", "G", "T" };
	int u = 0;

	if (isnan(v)) {
		snprintf(b, n, "-");
		return b;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(b, n, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
	return b;
}

#define NUM(v)   fmt_num((char[24]){ 0 }, 24, (v))
#define BYTES(v) fmt_bytes((char[24]){ 0 }, 24, (v))

/* Distinct values of labels (k1[,k2]) of metric `name`, in order of first
 * appearance: the rows of a section. */
struct rows {
	const struct sample *first[256];
	int n;
	int w;			/* the width of the name column */
};

static void rows_of(const struct top *t, const char *name, const char *k1, const char *k2, struct rows *r)
{
	memset(r, 0, sizeof(*r));
	r->w = 8;
	for (size_t i = 0; i < t->cur.n && r->n < 256; i++) {
		const struct sample *x = &t->cur.v[i];
		const char *a, *b;
		int j, w;

		if (strcmp(x->name, name) || !(a = sample_label(x, k1)))
			continue;
		b = k2 ? sample_label(x, k2) : "";
		if (!b)
			continue;
		for (j = 0; j < r->n; j++)
			if (!strcmp(sample_label(r->first[j], k1), a) &&
			    (!k2 || !strcmp(sample_label(r->first[j], k2), b)))
				break;
		if (j < r->n)
			continue;
		r->first[r->n++] = x;
		w = (int)(strlen(a) + (k2 ? strlen(b) + 2 : 0));
		if (w > r->w)
			r->w = w < NAME_W_MAX ? w : NAME_W_MAX;
	}
}

static void name2(char *buf, size_t n, const char *a, const char *b)
{
	snprintf(buf, n, "%s%s%s", a, b && b[0] ? "  " : "", b ? b : "");
}

/* ---- sections ---------------------------------------------------------- */

static void sec_xdp(const struct top *t)
{
	static const char *const verdicts[] = { "pass", "steer", "drop-policy", "drop-ratelimit",
						"drop-malformed" };
	struct rows r;
	char nm[128];

	rows_of(t, "edgesteer_xdp_packets_total", "iface", "class", &r);
	if (!r.n)
		return;
	if (r.w < 13)
		r.w = 13;
	fprintf(t->out, "\nXDP, packets/s\n  %-*s %9s %9s %9s %12s %15s %15s\n", r.w, "iface  class", "total",
		"pass", "steer", "drop-policy", "drop-ratelimit", "drop-malformed");
	for (int i = 0; i < r.n; i++) {
		const char *ifc = sample_label(r.first[i], "iface"), *cls = sample_label(r.first[i], "class");
		const char *w[] = { "iface", ifc, "class", cls, NULL, NULL, NULL };

		name2(nm, sizeof(nm), ifc, cls);
		fprintf(t->out, "  %-*.*s %9s", r.w, r.w, nm,
			NUM(sum(t, "edgesteer_xdp_packets_total", true, w)));
		for (int v = 0; v < 5; v++) {
			static const int width[] = { 9, 9, 12, 15, 15 };

			w[4] = "verdict";
			w[5] = verdicts[v];
			fprintf(t->out, " %*s", width[v],
				NUM(sum(t, "edgesteer_xdp_packets_total", true, w)));
		}
		fputc('\n', t->out);
	}
}

#define TOP_TALKERS 10

struct talker_row {
	const struct sample *x;
	double pps;
};

static int talker_row_cmp(const void *a, const void *b)
{
	const struct talker_row *p = a, *q = b;

	if (isnan(p->pps) != isnan(q->pps))
		return isnan(p->pps) ? 1 : -1;
	if (!isnan(p->pps) && p->pps != q->pps)
		return p->pps < q->pps ? 1 : -1;
	return p->x->value < q->x->value ? 1 : p->x->value > q->x->value ? -1 : 0;
}

/*
 * The heaviest sources XDP saw, from edgesteer_xdp_talker_packets (the
 * top sources per class and verdict, counted since each took its slot
 * in the talker table). A source's rate needs it in both samples; one
 * that dropped below its earlier count lost its slot and took it again,
 * so it counts from 0. A source new in this sample shows "-" rather than
 * its whole count as one interval's.
 */
static void sec_talkers(const struct top *t)
{
	static const char *const m = "edgesteer_xdp_talker_packets";
	struct talker_row rows[256];
	int n = 0, w = 6;

	for (size_t i = 0; i < t->cur.n && n < 256; i++) {
		const struct sample *x = &t->cur.v[i], *p;
		const char *src;

		if (strcmp(x->name, m) || !(src = sample_label(x, "source")))
			continue;
		rows[n].x = x;
		rows[n].pps = NAN;
		p = t->dt ? samples_match(&t->prev, x) : NULL;
		if (p)
			rows[n].pps = (x->value >= p->value ? x->value - p->value : x->value) / t->dt;
		if ((int)strlen(src) > w)
			w = (int)strlen(src) < NAME_W_MAX ? (int)strlen(src) : NAME_W_MAX;
		n++;
	}
	if (!n)
		return;
	qsort(rows, (size_t)n, sizeof(rows[0]), talker_row_cmp);
	fprintf(t->out, "\nTOP TALKERS (XDP sources), packets/s\n  %-*s %-7s %-14s %9s %12s\n", w, "source",
		"class", "verdict", "pkt/s", "packets");
	for (int i = 0; i < n && i < TOP_TALKERS; i++) {
		const struct sample *x = rows[i].x;

		fprintf(t->out, "  %-*.*s %-7s %-14s %9s %12s\n", w, w, sample_label(x, "source"),
			sample_label(x, "class") ?: "?", sample_label(x, "verdict") ?: "?", NUM(rows[i].pps),
			NUM(x->value));
	}
}

static void sec_proxy(const struct top *t)
{
	static const char *const m = "edgesteer_proxy_route_connections_total";
	struct rows r;
	char nm[128];

	rows_of(t, m, "proxy", "route", &r);
	if (!r.n)
		return;
	if (r.w < 12)
		r.w = 12;
	fprintf(t->out, "\nPROXY ROUTES\n  %-*s %8s %8s %10s %10s %11s\n", r.w, "proxy  route", "conn/s",
		"active", "up B/s", "down B/s", "connfail/s");
	for (int i = 0; i < r.n; i++) {
		const char *px = sample_label(r.first[i], "proxy"), *rt = sample_label(r.first[i], "route");
		const char *w[] = { "proxy", px, "route", rt, NULL, NULL, NULL };
		const char *up[] = { "proxy", px, "route", rt, "direction", "up", NULL };
		const char *down[] = { "proxy", px, "route", rt, "direction", "down", NULL };

		name2(nm, sizeof(nm), px, rt);
		fprintf(t->out, "  %-*.*s %8s %8s %10s %10s %11s\n", r.w, r.w, nm, NUM(sum(t, m, true, w)),
			NUM(sum(t, "edgesteer_proxy_route_active_connections", false, w)),
			BYTES(sum(t, "edgesteer_proxy_route_bytes_total", true, up)),
			BYTES(sum(t, "edgesteer_proxy_route_bytes_total", true, down)),
			NUM(sum(t, "edgesteer_proxy_route_connect_failures_total", true, w)));
	}
}

static void sec_syslog(const struct top *t)
{
	struct rows r;

	rows_of(t, "edgesteer_syslog_datagrams_total", "listen", NULL, &r);
	if (!r.n)
		return;
	fprintf(t->out, "\nSYSLOG LISTENERS\n  %-*s %8s %10s %10s %13s\n", r.w, "listen", "msg/s",
		"accepted/s", "dropped/s", "kerneldrop/s");
	for (int i = 0; i < r.n; i++) {
		const char *l = sample_label(r.first[i], "listen");
		const char *w[] = { "listen", l, NULL };

		fprintf(t->out, "  %-*.*s %8s %10s %10s %13s\n", r.w, r.w, l,
			NUM(sum(t, "edgesteer_syslog_datagrams_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_accepted_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_dropped_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_kernel_drops_total", true, w)));
	}
}

static void sec_subscribers(const struct top *t)
{
	struct rows r;
	char nm[128];

	rows_of(t, "edgesteer_syslog_subscriber_messages_total", "id", "peer", &r);
	if (r.w < 12)
		r.w = 12;
	fprintf(t->out, "\nSUBSCRIBERS\n  %-*s %8s %8s %10s %10s\n", r.w, "#id  peer", "msg/s", "lag",
		"skipped", "skipped/s");
	if (!r.n)
		fprintf(t->out, "  (none connected)\n");
	for (int i = 0; i < r.n; i++) {
		const char *id = sample_label(r.first[i], "id"), *peer = sample_label(r.first[i], "peer");
		const char *w[] = { "id", id, "peer", peer, NULL };

		snprintf(nm, sizeof(nm), "#%s %s", id, peer);
		fprintf(t->out, "  %-*.*s %8s %8s %10s %10s\n", r.w, r.w, nm,
			NUM(sum(t, "edgesteer_syslog_subscriber_messages_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_subscriber_lag_messages", false, w)),
			NUM(sum(t, "edgesteer_syslog_subscriber_skipped_total", false, w)),
			NUM(sum(t, "edgesteer_syslog_subscriber_skipped_total", true, w)));
	}
}

static void sec_forwarders(const struct top *t)
{
	struct rows r;
	char nm[128];
	bool unconfirmed = false;

	rows_of(t, "edgesteer_syslog_forward_up", "forward", "collector", &r);
	if (!r.n)
		return;
	if (r.w < 18)
		r.w = 18;
	fprintf(t->out, "\nFORWARDERS\n  %-*s %5s %8s %11s %11s %8s %9s\n", r.w, "forward  collector", "state",
		"sent/s", "confirmed/s", "unconfirmed", "spool", "failures");
	for (int i = 0; i < r.n; i++) {
		const char *f = sample_label(r.first[i], "forward"), *c = sample_label(r.first[i], "collector");
		const char *w[] = { "forward", f, "collector", c, NULL };
		const char *wf[] = { "forward", f, NULL };
		double sent = sum(t, "edgesteer_syslog_forward_sent_total", false, w);
		double conf = sum(t, "edgesteer_syslog_forward_confirmed_total", false, w);

		if (sent > 0 && conf == 0)
			unconfirmed = true;
		name2(nm, sizeof(nm), f, c);
		fprintf(t->out, "  %-*.*s %5s %8s %11s %11s %8s %9s\n", r.w, r.w, nm,
			r.first[i]->value ? "up" : "DOWN",
			NUM(sum(t, "edgesteer_syslog_forward_sent_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_forward_confirmed_total", true, w)),
			NUM(sum(t, "edgesteer_syslog_forward_lag_messages", false, w)),
			BYTES(sum(t, "edgesteer_syslog_forward_spool_bytes", false, w)),
			NUM(sum(t, "edgesteer_syslog_forward_failures_total", false, wf)));
	}
	if (unconfirmed)
		fprintf(t->out, "  confirmed = known to be read by the collector, from its TCP acknowledgements: it\n"
			"  stays 0 until the collector has acknowledged more than its receive window holds\n"
			"  (or the connection closes cleanly). Sent but unconfirmed messages are kept and\n"
			"  resent after a failure; nothing is lost.\n");
}

static void sec_watchdog(const struct top *t)
{
	struct rows r;

	rows_of(t, "edgesteer_watchdog_state", "iface", NULL, &r);
	if (!r.n)
		return;
	fprintf(t->out, "\nWATCHED NICS\n  %-*s %-12s %9s %9s %12s\n", r.w, "iface", "state", "rx pkt/s",
		"tx pkt/s", "resets/hour");
	for (int i = 0; i < r.n; i++) {
		const char *ifc = sample_label(r.first[i], "iface"), *st = "?";
		const char *w[] = { "iface", ifc, NULL };

		for (size_t j = 0; j < t->cur.n; j++) {
			const struct sample *x = &t->cur.v[j];

			if (!strcmp(x->name, "edgesteer_watchdog_state") && x->value == 1 &&
			    !strcmp(sample_label(x, "iface") ?: "", ifc))
				st = sample_label(x, "state") ?: "?";
		}
		fprintf(t->out, "  %-*.*s %-12s %9s %9s %12s\n", r.w, r.w, ifc, st,
			NUM(sum(t, "edgesteer_watchdog_rx_packets", true, w)),
			NUM(sum(t, "edgesteer_watchdog_tx_packets", true, w)),
			NUM(sum(t, "edgesteer_watchdog_resets_last_hour", false, w)));
	}
}

static void draw(struct top *t, bool clear)
{
	char *buf = NULL, when[32];
	size_t len = 0;
	time_t now = time(NULL);
	struct tm tm;

	t->out = open_memstream(&buf, &len);
	if (!t->out)
		return;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(t->out, "edgesteer top  %s  every %gs", when, t->interval);
	if (t->up) {
		double up = sum(t, "edgesteer_uptime_seconds", false, NULL);
		const char *ver = "?";

		for (size_t i = 0; i < t->cur.n; i++)
			if (!strcmp(t->cur.v[i].name, "edgesteer_build_info"))
				ver = sample_label(&t->cur.v[i], "version") ?: "?";
		fprintf(t->out, "  daemon %s up %.0fs", ver, isnan(up) ? 0 : up);
	} else {
		fprintf(t->out, "  daemon not running at %s: XDP from the pins in %s", t->sock, t->pin);
	}
	fprintf(t->out, "%s\n", clear ? "  (q quits)" : "");
	if (!t->dt)
		fprintf(t->out, "(rates after the next refresh)\n");
	if (!t->cur.n)
		fprintf(t->out, "\nnothing to show: no daemon at %s and no XDP pins under %s\n", t->sock, t->pin);
	sec_xdp(t);
	sec_talkers(t);
	sec_proxy(t);
	sec_syslog(t);
	if (sum(t, "edgesteer_syslog_subscribers", false, NULL) >= 0)
		sec_subscribers(t);
	sec_forwarders(t);
	sec_watchdog(t);
	fclose(t->out);
	if (clear)
		fputs("\033[H\033[2J", stdout);
	fwrite(buf, 1, len, stdout);
	if (!clear)
		fputc('\n', stdout);
	fflush(stdout);
	free(buf);
}

/* One sample into t->cur, the previous one kept for the rates. */
static void sample(struct top *t, double *last)
{
	struct samples s;
	double now = now_s();
	int up = 0;

	if (samples_fetch(t->sock, t->pin, &s, &up))
		memset(&s, 0, sizeof(s));
	samples_free(&t->prev);
	t->prev = t->cur;
	t->cur = s;
	t->dt = *last ? now - *last : 0;
	/* a daemon that came or went: its counters are not comparable */
	if (up != t->up)
		t->dt = 0;
	t->up = up;
	*last = now;
}

/* Wait `secs`; true when the user asked to quit ('q') or a signal came. */
static bool wait_key(double secs, bool tty_in)
{
	double end = now_s() + secs;

	while (!top_stop) {
		double left = end - now_s();
		struct pollfd p = { .fd = 0, .events = POLLIN };
		char c;

		if (left <= 0)
			return false;
		if (poll(&p, tty_in ? 1 : 0, (int)(left * 1000) + 1) > 0 && read(0, &c, 1) == 1 &&
		    (c == 'q' || c == 'Q' || c == 3))
			return true;
	}
	return true;
}

int top_run(const char *sock, const char *pin_path, double interval, int count)
{
	struct top t = { .sock = sock, .pin = pin_path, .interval = interval };
	struct sigaction sa = { .sa_handler = on_signal };
	bool tty = isatty(1), tty_in = tty && isatty(0);
	struct termios saved, raw;
	double last = 0;
	int frames = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (tty_in && !tcgetattr(0, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	} else {
		tty_in = false;
	}
	sample(&t, &last);
	if (tty)
		draw(&t, true);
	while (!top_stop && (!count || frames < count)) {
		if (wait_key(interval, tty_in))
			break;
		sample(&t, &last);
		draw(&t, tty);
		frames++;
	}
	if (tty_in)
		tcsetattr(0, TCSANOW, &saved);
	samples_free(&t.prev);
	samples_free(&t.cur);
	return CLI_EXIT_OK;
}

/* edgesteer top [-d SECONDS] [-n COUNT] [-c FILE] [-s SOCKET] */
int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *conf = CONF_DEFAULT_PATH, *sock = NULL;
	char sockbuf[128], pin[CONF_PATH_MAX];
	double interval = 2;
	int opt, rc, count = 0;
	char *end;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":d:n:c:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (top_parse_interval(optarg, &interval))
				return cli_usage_error("top", "-d '%s': seconds, 0.2 to 3600", optarg);
			break;
		case 'n':
			count = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || count < 1 || count > 1000000)
				return cli_usage_error("top", "-n '%s': a count of refreshes, 1 or more", optarg);
			break;
		case 'c': conf = optarg; break;
		case 's': sock = optarg; break;
		case 'h': return cli_help_exit("top");
		default: return cli_bad_option("top", opt, argv);
		}
	}
	rc = cli_no_extra("top", argc, argv, 0);
	if (rc)
		return rc;
	ctl_socket_path(conf, sock, sockbuf, sizeof(sockbuf));
	ctl_global_key(conf, "pin_path", "/sys/fs/bpf/edgesteer", pin, sizeof(pin));
	bpfctl_quiet_libbpf();
	return top_run(sockbuf, pin, interval, count);
}
