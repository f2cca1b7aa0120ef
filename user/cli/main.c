// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the subcommand table of the edgesteer binary.
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

#ifndef EDGESTEER_VERSION
#define EDGESTEER_VERSION "0.1"
#endif

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "run", cmd_run, "run [-c FILE] [-v]                 run the daemon in the foreground" },
	{ "check", cmd_check, "check [-c FILE]                    validate a config file and exit" },
	{ "status", cmd_status, "status [-c FILE] [-s SOCK]         what the daemon runs" },
	{ "stats", cmd_stats, "stats [--json] [--rules] [-c FILE] [-s SOCK] every counter as a table or JSON" },
	{ "metrics", cmd_metrics, "metrics [-c FILE] [-s SOCK]        Prometheus text of every counter" },
	{ "reload", cmd_reload, "reload [-c FILE] [-s SOCK]         re-read the config (as SIGHUP)" },
	{ "attach", cmd_attach, "attach [-c FILE]                   attach XDP per [xdp] and exit (stays attached)" },
	{ "detach", cmd_detach, "detach [-c FILE|-p PIN]            remove every XDP program and pin" },
	{ "trace", cmd_trace, "trace [--iface IF] [--class C] [--verdict V] [--src P] [--pcap F|-] ... frames XDP judged" },
	{ "usb-reset", cmd_usb_reset, "usb-reset [-c FILE] IFACE          reset the USB adapter behind IFACE (via the daemon if up)" },
	{ "help", cmd_help, "help                               this text" },
};

static int cmd_help(int argc, char **argv)
{
	size_t i;

	printf("edgesteer %s - XDP steering, SNI proxy, syslog relay and NIC watchdog\n\n"
	       "usage: edgesteer COMMAND [OPTIONS]\n\n", EDGESTEER_VERSION);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  edgesteer %s\n", cmds[i].usage);
	printf("\n-c FILE defaults to /etc/edgesteer/edgesteer.conf.\n");
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		cmd_help(argc, argv);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("edgesteer %s\n", EDGESTEER_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "edgesteer: unknown command '%s'; try 'edgesteer help'\n", argv[1]);
	return 2;
}
