// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_ctl.c - the client commands that only ask the daemon: status,
 * reload, metrics; and the option parser they share with stats.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/metrics.h"
#include "core/reqsrv.h"
#include "xdp/bpfctl.h"

int cli_parse(int argc, char **argv, struct cli_opts *o, const char *usage)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	int opt;

	o->conf = CONF_DEFAULT_PATH;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:j", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->conf = optarg; break;
		case 's': o->sock = optarg; break;
		case 'j': o->json = true; break;
		default:
			fprintf(stderr, "usage: edgesteer %s\n", usage);
			return -1;
		}
	}
	ctl_socket_path(o->conf, o->sock, o->sock_buf, sizeof(o->sock_buf));
	return optind;
}

static int cli_simple(int argc, char **argv, const char *req, const char *usage)
{
	struct cli_opts o = { 0 };
	int rc;

	if (cli_parse(argc, argv, &o, usage) < 0)
		return 2;
	rc = ctl_call(o.sock_buf, req, stdout);
	if (rc < 0) {
		fprintf(stderr, "edgesteer: cannot reach the daemon at %s: %s (is 'edgesteer run' running? "
			"-s SOCKET or -c FILE pick another)\n", o.sock_buf, strerror(-rc));
		return 1;
	}
	return rc ? 1 : 0;
}

int cmd_status(int argc, char **argv)
{
	return cli_simple(argc, argv, "status", "status [-c FILE] [-s SOCKET]");
}

int cmd_reload(int argc, char **argv)
{
	return cli_simple(argc, argv, "reload", "reload [-c FILE] [-s SOCKET]");
}

/* Metrics from the daemon; without one, the XDP counters from the pins. */
int cmd_metrics(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	struct metric_sink *s = NULL;
	char pin[CONF_PATH_MAX];
	const char *text;
	int rc;

	if (cli_parse(argc, argv, &o, "metrics [-c FILE] [-s SOCKET]") < 0)
		return 2;
	rc = ctl_call(o.sock_buf, "metrics", stdout);
	if (rc >= 0)
		return rc ? 1 : 0;
	ctl_global_key(o.conf, "pin_path", "/sys/fs/bpf/edgesteer", pin, sizeof(pin));
	if (metric_sink_new(METRIC_PROM, REQSRV_REPLY_MAX, &s))
		return 1;
	metric(s, METRIC_GAUGE, "edgesteer_up", "1 while the daemon runs", 0, NULL);
	rc = bpfctl_metrics(pin, s);
	text = metric_sink_finish(s, NULL);
	if (text)
		fputs(text, stdout);
	metric_sink_free(s);
	if (rc)
		fprintf(stderr, "edgesteer: daemon not running at %s and no XDP pins under %s: %s\n",
			o.sock_buf, pin, strerror(-rc));
	return 0;
}
