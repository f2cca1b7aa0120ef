// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_run.c - edgesteer run: the daemon in the foreground.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "cmds.h"
#include "core/conf.h"
#include "daemon/daemon.h"

int cmd_run(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	bool verbose = false;
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "c:v")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: edgesteer run [-c FILE] [-v]\n");
			return 2;
		}
	}
	return daemon_run(path, verbose);
}
