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
 * Seam for the daemon's counters (proxy, syslog relay, watchdog): add a
 * section to `sections[]` below whose functions fetch them over the
 * control socket; nothing else here needs to change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfctl.h"
#include "cmds.h"
#include "conf.h"
#include "log.h"
#include "metrics.h"

#define STATS_JSON_MAX (4u << 20)

struct stats_section {
	const char *name;
	/* human table on stdout; 0 or -errno */
	int (*table)(const struct conf *c);
	/* samples into the JSON sink; 0 or -errno */
	int (*json)(const struct conf *c, struct metric_sink *s);
};

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

static const struct stats_section sections[] = {
	{ "xdp", xdp_table, xdp_json },
};

/* ---- the command ------------------------------------------------------- */

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONF_DEFAULT_PATH;
	struct metric_sink *sink = NULL;
	struct conf *c = NULL;
	bool json = false;
	size_t i;
	int opt, err = 0, rc = 0;

	while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		if (opt == 'c') {
			path = optarg;
		} else if (opt == 'j') {
			json = true;
		} else {
			fprintf(stderr, "usage: edgesteer stats [--json] [-c FILE]\n");
			return 2;
		}
	}
	if (conf_load(path, &c, NULL)) {
		fprintf(stderr, "edgesteer stats: %s: cannot use this configuration\n", path);
		return 1;
	}
	bpfctl_quiet_libbpf();
	if (json) {
		const char *text;

		err = metric_sink_new(METRIC_JSON, STATS_JSON_MAX, &sink);
		if (err)
			goto out;
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			if (sections[i].json(c, sink))
				rc = 1;
		text = metric_sink_finish(sink, NULL);
		if (!text) {
			fprintf(stderr, "edgesteer stats: JSON output exceeds %u bytes\n", STATS_JSON_MAX);
			err = -ENOSPC;
			goto out;
		}
		fputs(text, stdout);
	} else {
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			if (sections[i].table(c))
				rc = 1;
	}
out:
	metric_sink_free(sink);
	conf_free(c);
	return err ? 1 : rc;
}
