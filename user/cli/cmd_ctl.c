// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_ctl.c - the client commands that only ask the daemon: status,
 * reload, metrics; and the option parser they share with stats.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/metrics.h"
#include "core/reqsrv.h"
#include "xdp/bpfctl.h"

int cli_parse(int argc, char **argv, const char *cmd, bool json_ok, struct cli_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, rc;

	o->conf = CONF_DEFAULT_PATH;
	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:s:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->conf = optarg; break;
		case 's': o->sock = optarg; break;
		case 'j':
			if (!json_ok)
				return CLI_DONE(cli_usage_error(cmd, "--json is not an option of %s", cmd));
			o->json = true;
			break;
		case 'h': return CLI_DONE(cli_help_exit(cmd));
		default: return CLI_DONE(cli_bad_option(cmd, opt, argv));
		}
	}
	rc = cli_no_extra(cmd, argc, argv, 0);
	if (rc)
		return CLI_DONE(rc);
	ctl_socket_path(o->conf, o->sock, o->sock_buf, sizeof(o->sock_buf));
	return 0;
}

static int cli_simple(int argc, char **argv, const char *req)
{
	struct cli_opts o = { 0 };
	int rc;

	rc = cli_parse(argc, argv, req, false, &o);
	if (rc)
		return CLI_STATUS(rc);
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
	return cli_simple(argc, argv, "status");
}

int cmd_reload(int argc, char **argv)
{
	return cli_simple(argc, argv, "reload");
}

/* Metrics from the daemon; without one, the XDP counters from the pins. */
int cmd_metrics(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	struct metric_sink *s = NULL;
	char pin[CONF_PATH_MAX];
	const char *text;
	int rc;

	rc = cli_parse(argc, argv, "metrics", false, &o);
	if (rc)
		return CLI_STATUS(rc);
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
