/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli.h - what the subcommands share: the common client options.
 */
#ifndef EDGESTEER_CLI_H
#define EDGESTEER_CLI_H

#include <stdbool.h>

/* Common CLI options of the client commands. */
struct cli_opts {
	const char *conf;	/* -c FILE */
	const char *sock;	/* -s SOCKET */
	bool json;		/* --json / -j */
	char sock_buf[128];	/* the resolved control socket path */
};

/* Parse -c, -s, --json; returns the index of the first operand or -1
 * (usage printed). */
int cli_parse(int argc, char **argv, struct cli_opts *o, const char *usage);

#endif
