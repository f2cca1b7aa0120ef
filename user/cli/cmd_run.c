// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_run.c - edgesteer run: the daemon in the foreground.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "daemon/daemon.h"

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = CONF_DEFAULT_PATH;
	bool verbose = false;
	int opt, rc;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'v': verbose = true; break;
		case 'h': return cli_help_exit("run");
		default: return cli_bad_option("run", opt, argv);
		}
	}
	rc = cli_no_extra("run", argc, argv, 0);
	if (rc)
		return rc;
	return daemon_run(path, verbose);
}
