// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_check.c - edgesteer check: validate a configuration and exit.
 */
#include <stdio.h>
#include <unistd.h>

#include "cmds.h"
#include "core/conf.h"

/* edgesteer check [-c FILE] */
int cmd_check(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	struct conf *c = NULL;
	int opt, rc;

	optind = 1;
	while ((opt = getopt(argc, argv, "c:q")) != -1) {
		if (opt == 'c') {
			path = optarg;
		} else {
			fprintf(stderr, "usage: edgesteer check [-c FILE]\n");
			return 2;
		}
	}
	rc = conf_load(path, &c, stderr);
	if (rc) {
		fprintf(stderr, "%s: configuration has errors\n", path);
		return 1;
	}
	printf("%s: configuration OK (%d proxies, syslog %s, %d forwards, %d watchdogs, xdp on %d interfaces)\n",
	       path, c->n_proxies, c->syslog.enabled ? "on" : "off", c->n_forwards, c->n_watchdogs,
	       c->has_xdp ? c->xdp.n_ifaces : 0);
	conf_free(c);
	return 0;
}
