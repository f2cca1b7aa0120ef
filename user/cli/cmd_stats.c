// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_stats.c - `edgesteer stats [--json] [-w SECONDS] [-c FILE] [-s SOCKET]`.
 *
 * The command is a list of sections, each reading its own counters. The
 * XDP section reads the pinned maps directly (bpfctl_read_counters), so it
 * works whether or not the daemon runs: the data plane stays attached and
 * keeps counting after the controller exits.
 *
 * Human output: one block per interface, a class x verdict table of
 * packets and bytes under a line of per-interface totals. --json: every
 * section emits metric samples into one sink (user/metrics.h), the same
 * names `edgesteer metrics` serves to Prometheus:
 *   {"daemon":{"up":true,"version":"0.1","uptime_s":42},"time":1765000000,
 *    "metrics":[{"name":"edgesteer_xdp_packets_total",
 *                "labels":{"iface":"eth0","class":"syslog","verdict":"pass"},
 *                "value":12}, ...], "dropped":0}
 * "daemon" says whether the daemon answered ("up": false: the XDP samples
 * come from the pins alone), so "not running" and "nothing counted" differ.
 *
 * The daemon's counters (proxy, syslog relay, watchdog) come over the
 * control socket when it runs: the table shows XDP from the pins and then
 * the daemon's samples (its Prometheus text, XDP left out, drawn as an
 * aligned table here); --json is the daemon's whole
 * document (it reads the same pins), or XDP alone without a daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xdp/bpfctl.h"
#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/metrics.h"
#include "samples.h"

#define STATS_JSON_MAX (4u << 20)

/* ---- XDP --------------------------------------------------------------- */

static void print_ctr_row(const char *cls, const char *what, const struct es_ctr *row, int bytes)
{
	int v;

	printf("  %-7s %-8s", cls, what);
	for (v = 0; v < ES_VERDICT_MAX; v++)
		printf(" %15llu", (unsigned long long)(bytes ? row[v].bytes : row[v].packets));
	printf("\n");
}

static int xdp_table(const struct conf *c)
{
	struct bpfctl_counters *cs;
	int n, i, cl, v, err;

	cs = calloc(ES_MAX_IFACES, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	err = bpfctl_read_counters(c->global.pin_path, cs, ES_MAX_IFACES, &n);
	if (err == -ENOENT) {
		printf("xdp: no counters pinned under %s: nothing attached "
		       "(start with 'edgesteer attach' or 'edgesteer run')\n", c->global.pin_path);
		err = 0;
		goto out;
	}
	if (err) {
		fprintf(stderr, "edgesteer stats: reading XDP counters under %s: %s\n",
			c->global.pin_path, strerror(-err));
		goto out;
	}
	if (!n)
		printf("xdp: maps pinned under %s, but no interface slots in use\n", c->global.pin_path);
	for (i = 0; i < n; i++) {
		const struct bpfctl_counters *k = &cs[i];

		printf("%s%s  ifindex %u  %s  %s header  %s\n", i ? "\n" : "", k->iface.name,
		       k->iface.ifindex, k->iface.flags & ES_IF_GENERIC ? "generic" : "native",
		       k->iface.flags & ES_IF_L3 ? "IP" : "Ethernet",
		       k->attached ? "attached" : "NOT ATTACHED");
		printf("  rx %llu packets, %llu bytes; later fragments %llu packets\n",
		       (unsigned long long)k->st.rx.packets, (unsigned long long)k->st.rx.bytes,
		       (unsigned long long)k->st.later_fragments.packets);
		printf("  %-7s %-8s", "class", "");
		for (v = 0; v < ES_VERDICT_MAX; v++)
			printf(" %15s", bpfctl_verdict_name(v));
		printf("\n");
		for (cl = 0; cl < ES_CLASS_MAX; cl++) {
			print_ctr_row(bpfctl_class_name(cl), "packets", k->st.cls[cl], 0);
			print_ctr_row("", "bytes", k->st.cls[cl], 1);
		}
	}
out:
	free(cs);
	return err;
}

static int xdp_json(const struct conf *c, struct metric_sink *s)
{
	int err = bpfctl_metrics(c->global.pin_path, s);

	/* nothing pinned: no XDP samples, which is not an error */
	if (err == -ENOENT)
		return 0;
	if (err)
		fprintf(stderr, "edgesteer stats: reading XDP counters under %s: %s\n",
			c->global.pin_path, strerror(-err));
	return err;
}

/* ---- the daemon's counters ---------------------------------------------- */

static bool is_xdp(const struct sample *x)
{
	return !strncmp(x->name, "edgesteer_xdp_", 14);
}

/*
 * The daemon's samples as a table, one block per metric, label columns as
 * wide as the longest value in the block so that long peers and route
 * names keep the numbers in one column.
 */
static void print_table(const struct samples *ss)
{
	size_t i = 0, j;

	while (i < ss->n) {
		const struct sample *first = &ss->v[i];
		size_t end = i, w[SAMPLE_MAX_LABELS] = { 0 };
		int l;

		if (is_xdp(first)) {	/* shown above, from the pins */
			i++;
			continue;
		}
		while (end < ss->n && !strcmp(ss->v[end].name, first->name))
			end++;
		for (j = i; j < end; j++)
			for (l = 0; l < ss->v[j].nl; l++) {
				size_t n = strlen(ss->v[j].k[l]) + 1 + strlen(ss->v[j].v[l]);

				if (n > w[l])
					w[l] = n;
			}
		printf("\n%s  (%s)\n", first->name, first->help);
		for (j = i; j < end; j++) {
			const struct sample *x = &ss->v[j];
			char kv[512];
			int nl = 0;

			printf("  ");
			for (l = 0; l < SAMPLE_MAX_LABELS && w[l]; l++) {
				if (l < x->nl)
					snprintf(kv, sizeof(kv), "%s=%s", x->k[l], x->v[l]);
				else
					kv[0] = 0;
				printf("%-*s  ", (int)w[l], kv);
				nl++;
			}
			printf("%*.0f\n", nl ? 16 : 18, x->value);
		}
		i = end;
	}
}

/*
 * Proxy, syslog relay and watchdog counters live in the daemon; ask it over
 * the control socket. Not running is not an error: the XDP section above
 * still reports what the data plane counted.
 */
static int daemon_section(const char *sock)
{
	struct samples ss;
	char *body = NULL;
	int rc = ctl_call_buf(sock, "metrics", &body);

	if (rc < 0) {
		free(body);
		printf("\ndaemon: not running at %s (proxy, syslog and watchdog counters need it)\n", sock);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "edgesteer stats: daemon: %s\n", body);
		free(body);
		return 1;
	}
	rc = samples_parse(body, &ss);
	if (rc) {
		fprintf(stderr, "edgesteer stats: the daemon's answer: %s\n", strerror(-rc));
		return 1;
	}
	print_table(&ss);
	samples_free(&ss);
	return 0;
}

/* ---- --json ------------------------------------------------------------- */

/* The number after `"name":"NAME","labels":{...},"value":` in metrics JSON. */
static const char *json_find(const char *body, const char *name)
{
	char key[128];

	snprintf(key, sizeof(key), "{\"name\":\"%s\",", name);
	return strstr(body, key);
}

/*
 * {"daemon":{"up":BOOL,"version":..,"uptime_s":..},"time":UNIX_SECONDS,
 *  "metrics":[...],"dropped":N}: "not running" and "nothing counted" differ.
 * `body` is a metrics document ({"metrics":[...],"dropped":N}).
 */
static void print_json(const char *body, bool up)
{
	const char *m, *v;
	char version[64] = "";

	printf("{\"daemon\":{\"up\":%s", up ? "true" : "false");
	if (up) {
		m = json_find(body, "edgesteer_build_info");
		if (m && (v = strstr(m, "\"version\":\"")))
			sscanf(v + 11, "%63[^\"]", version);
		if (version[0])
			printf(",\"version\":\"%s\"", version);
		else
			printf(",\"version\":null");
		m = json_find(body, "edgesteer_uptime_seconds");
		if (m && (v = strstr(m, "\"value\":")))
			printf(",\"uptime_s\":%llu", strtoull(v + 8, NULL, 10));
		else
			printf(",\"uptime_s\":null");
	} else {
		printf(",\"version\":null,\"uptime_s\":null");
	}
	printf("},\"time\":%lld,%s", (long long)time(NULL), body[0] == '{' ? body + 1 : body);
}

static int stats_json(const struct conf *c, const char *sock)
{
	struct metric_sink *sink = NULL;
	char *body = NULL;
	const char *text;
	int rc, err;

	/* a running daemon answers with everything, XDP included (it reads
	 * the same pins); otherwise the XDP samples alone */
	rc = ctl_call_buf(sock, "stats json", &body);
	if (rc == 0) {
		print_json(body, true);
		free(body);
		return 0;
	}
	if (rc == 1) {
		/* the daemon answered, with an error: say so, do not pass XDP
		 * alone off as the whole picture */
		fprintf(stderr, "edgesteer stats: daemon at %s: %s\n", sock, body);
		free(body);
		return 1;
	}
	free(body);
	err = metric_sink_new(METRIC_JSON, STATS_JSON_MAX, &sink);
	if (err)
		return 1;
	rc = xdp_json(c, sink) ? 1 : 0;
	text = metric_sink_finish(sink, NULL);
	if (!text) {
		fprintf(stderr, "edgesteer stats: JSON output exceeds %u bytes\n", STATS_JSON_MAX);
		rc = 1;
	} else {
		print_json(text, false);
	}
	metric_sink_free(sink);
	return rc;
}

/* ---- the command ------------------------------------------------------- */

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "rules", no_argument, NULL, 'R' },
		{ "talkers", no_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli_opts o = { .conf = CONF_DEFAULT_PATH };
	struct conf c;
	double watch = 0;
	bool rules = false, talkers = false;
	int opt, err, rc = 0;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":jw:c:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': o.json = true; break;
		case 'R': rules = true; break;
		case 'T': talkers = true; break;
		case 'c': o.conf = optarg; break;
		case 's': o.sock = optarg; break;
		case 'w':
			if (top_parse_interval(optarg, &watch))
				return cli_usage_error("stats", "-w '%s': seconds, 0.2 to 3600", optarg);
			break;
		case 'h': return cli_help_exit("stats");
		default: return cli_bad_option("stats", opt, argv);
		}
	}
	rc = cli_no_extra("stats", argc, argv, 0);
	if (rc)
		return rc;
	if (watch && o.json)
		return cli_usage_error("stats", "-w draws the live view; it has no JSON form");
	if ((rules || talkers) && (watch || o.json || (rules && talkers)))
		return cli_usage_error("stats", "--rules and --talkers are tables of their own: one at a time, "
				       "without --json or -w");
	ctl_socket_path(o.conf, o.sock, o.sock_buf, sizeof(o.sock_buf));
	/* only the pin path is needed: a light read, so a config with errors
	 * elsewhere (or none at all, with -s) still shows the counters */
	memset(&c, 0, sizeof(c));
	ctl_global_key(o.conf, "pin_path", "/sys/fs/bpf/edgesteer", c.global.pin_path,
		       sizeof(c.global.pin_path));
	bpfctl_quiet_libbpf();
	if (watch)
		return top_run(o.sock_buf, c.global.pin_path, watch, 0);
	if (o.json)
		return stats_json(&c, o.sock_buf);
	if (talkers) {
		/* two reads a second apart give packets per second */
		err = bpfctl_print_talkers(c.global.pin_path, 1.0, stdout);
		if (err)
			fprintf(stderr, "edgesteer stats --talkers: reading %s/%s: %s\n", c.global.pin_path,
				ES_PIN_TALKERS, strerror(-err));
		return err ? 1 : 0;
	}
	if (rules) {
		err = bpfctl_print_rule_hits(c.global.pin_path, stdout);
		if (err)
			fprintf(stderr, "edgesteer stats --rules: reading %s/%s: %s\n", c.global.pin_path,
				ES_PIN_RULES, strerror(-err));
		return err ? 1 : 0;
	}
	if (xdp_table(&c) || bpfctl_print_reasons(c.global.pin_path, stdout) < 0)
		rc = 1;
	rc |= daemon_section(o.sock_buf);
	return rc;
}
