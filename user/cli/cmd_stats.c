// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats.c - `edgesteer stats [--json] [-c FILE]`.
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
 *   {"metrics":[{"name":"edgesteer_xdp_packets_total",
 *                "labels":{"iface":"eth0","class":"syslog","verdict":"pass"},
 *                "value":12}, ...], "dropped":0}
 *
 * The daemon's counters (proxy, syslog relay, watchdog) come over the
 * control socket when it runs: the table shows XDP from the pins and then
 * the daemon's samples (`stats table noxdp`); --json is the daemon's whole
 * document (it reads the same pins), or XDP alone without a daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/bpfctl.h"
#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/metrics.h"

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

/*
 * Proxy, syslog relay and watchdog counters live in the daemon; ask it over
 * the control socket. Not running is not an error: the XDP section above
 * still reports what the data plane counted.
 */
static int daemon_section(const char *sock, char **body)
{
	int rc = ctl_call_buf(sock, "stats table noxdp", body);

	if (rc < 0) {
		free(*body);
		*body = NULL;
		printf("\ndaemon: not running at %s (proxy, syslog and watchdog counters need it)\n", sock);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "edgesteer stats: daemon: %s\n", *body);
		return 1;
	}
	return 0;
}

/* ---- the command ------------------------------------------------------- */

int cmd_stats(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	struct metric_sink *sink = NULL;
	struct conf c;
	char *body = NULL;
	bool rules = false, talkers = false;
	int err = 0, rc = 0;

	/* --rules, --talkers: the prefix-rule hit table or the top sources
	 * instead (taken out before the common options are parsed) */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--rules") || !strcmp(argv[i], "--talkers")) {
			if (!strcmp(argv[i], "--rules"))
				rules = true;
			else
				talkers = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	if (cli_parse(argc, argv, &o, "stats [--json] [--rules | --talkers] [-c FILE] [-s SOCKET]") < 0)
		return 2;
	/* only the pin path is needed: a light read, so a config with errors
	 * elsewhere (or none at all, with -s) still shows the counters */
	memset(&c, 0, sizeof(c));
	ctl_global_key(o.conf, "pin_path", "/sys/fs/bpf/edgesteer", c.global.pin_path,
		       sizeof(c.global.pin_path));
	bpfctl_quiet_libbpf();
	if (o.json) {
		const char *text;

		/* a running daemon answers with everything, XDP included (it
		 * reads the same pins); otherwise the XDP samples alone */
		rc = ctl_call_buf(o.sock_buf, "stats json", &body);
		if (rc == 0) {
			fputs(body, stdout);
			goto out;
		}
		if (rc == 1) {
			/* the daemon answered, with an error: say so, do not
			 * pass XDP alone off as the whole picture */
			fprintf(stderr, "edgesteer stats: daemon at %s: %s\n", o.sock_buf, body);
			goto out;
		}
		rc = 0;
		free(body);
		body = NULL;
		err = metric_sink_new(METRIC_JSON, STATS_JSON_MAX, &sink);
		if (err)
			goto out;
		if (xdp_json(&c, sink))
			rc = 1;
		text = metric_sink_finish(sink, NULL);
		if (!text) {
			fprintf(stderr, "edgesteer stats: JSON output exceeds %u bytes\n", STATS_JSON_MAX);
			err = -ENOSPC;
			goto out;
		}
		fputs(text, stdout);
	} else if (talkers) {
		/* two reads a second apart give packets per second */
		err = bpfctl_print_talkers(c.global.pin_path, 1.0, stdout);
		if (err)
			fprintf(stderr, "edgesteer stats --talkers: reading %s/%s: %s\n", c.global.pin_path,
				ES_PIN_TALKERS, strerror(-err));
	} else if (rules) {
		err = bpfctl_print_rule_hits(c.global.pin_path, stdout);
		if (err)
			fprintf(stderr, "edgesteer stats --rules: reading %s/%s: %s\n", c.global.pin_path,
				ES_PIN_RULES, strerror(-err));
	} else {
		if (xdp_table(&c) || bpfctl_print_reasons(c.global.pin_path, stdout) < 0)
			rc = 1;
		rc |= daemon_section(o.sock_buf, &body);
		if (body)
			printf("\n%s", body);
	}
out:
	free(body);
	metric_sink_free(sink);
	return err ? 1 : rc;
}
