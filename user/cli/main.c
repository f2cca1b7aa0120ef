// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the subcommand table of the edgesteer binary: names, one-line
 * summaries, the usage of each command, and the dispatch. The usage texts
 * here are what `edgesteer CMD --help`, `edgesteer help CMD` and the
 * errors print, so a command's options are described in one place.
 */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/version.h"
#include "edgesteer_abi.h"

/* From the Makefile: the -dev package built against (BearSSL has no
 * run-time version call). */
#ifndef BEARSSL_VERSION
#define BEARSSL_VERSION "unknown"
#endif

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;	/* after "edgesteer NAME " */
	const char *summary;	/* one line for `edgesteer help` */
	const char *options;	/* the option list for `edgesteer NAME --help` */
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

#define OPT_C   "  -c, --config FILE  configuration (default /etc/edgesteer/edgesteer.conf)\n"
#define OPT_S   "  -s, --socket PATH  the daemon's control socket (default: from -c FILE's [global])\n"
#define OPT_H   "  -h, --help         this text\n"

static const struct cmd cmds[] = {
	{ "run", cmd_run, "[-c FILE] [-v]", "run the daemon in the foreground (as the systemd unit does)",
	  OPT_C "  -v, --verbose      log at debug level\n" OPT_H },
	{ "check", cmd_check, "[-c FILE] [-q] [--no-files] [--allow-empty]",
	  "validate a configuration and the files it names, then exit",
	  OPT_C
	  "  -q, --quiet        print nothing when the configuration is valid\n"
	  "  --no-files         do not open certificates, keys and CA bundles (check a\n"
	  "                     file meant for another machine)\n"
	  "  --allow-empty      a valid file with nothing to do exits 0 (the systemd\n"
	  "                     unit: a fresh install comes up and answers status)\n" OPT_H
	  "exit status: 0 valid, 1 errors, 2 bad usage, 3 valid but nothing to do\n"
	  "(no [xdp], [proxy], [syslog] or [watchdog] section)\n" },
	{ "status", cmd_status, "[-c FILE] [-s SOCKET]", "what the running daemon does",
	  OPT_C OPT_S OPT_H },
	{ "stats", cmd_stats, "[--json | -w SECONDS | --rules | --talkers] [-c FILE] [-s SOCKET]",
	  "every counter as a table or JSON (XDP from the pins without a daemon)",
	  "  -j, --json         {\"daemon\":{\"up\":..},\"time\":..,\"metrics\":[..]}\n"
	  "  -w, --watch SECS   the live view of 'edgesteer top', refreshed every SECS\n"
	  "  --rules            hits per configured allow/deny prefix, per class\n"
	  "  --talkers          the heaviest sources per class and verdict, packets/s\n"
	  OPT_C OPT_S OPT_H },
	{ "top", cmd_top, "[-d SECONDS] [-n COUNT] [-c FILE] [-s SOCKET]",
	  "live view: rates per interface, route, listener, subscriber, collector, NIC",
	  "  -d, --delay SECS   refresh interval (default 2; rates are over it)\n"
	  "  -n, --count N      stop after N refreshes (default: until 'q' or Ctrl-C)\n"
	  OPT_C OPT_S OPT_H },
	{ "metrics", cmd_metrics, "[-c FILE] [-s SOCKET]", "Prometheus text of every counter",
	  OPT_C OPT_S OPT_H },
	{ "reload", cmd_reload, "[-c FILE] [-s SOCKET]", "re-read the configuration (as SIGHUP)",
	  OPT_C OPT_S OPT_H },
	{ "attach", cmd_attach, "[-c FILE]", "attach XDP per [xdp] and exit (it stays attached)",
	  OPT_C OPT_H },
	{ "detach", cmd_detach, "[-c FILE | -p PIN_PATH] [-s SOCKET]", "remove every XDP program and pin",
	  OPT_C "  -p PIN_PATH        the pin directory, instead of reading -c FILE\n" OPT_S OPT_H },
	{ "trace", cmd_trace,
	  "[--iface IF]... [--class C,..] [--verdict V,..] [--src PREFIX] [--count N] [--snap BYTES]\n"
	  "       [--rate N] [--seconds S] [--pcap FILE|-] [--stop] [-c FILE]",
	  "stream summaries of the frames XDP judged, or a pcapng file (sampled)",
	  "  --iface IF         only frames of IF (repeatable)\n"
	  "  --class C,..       syslog, proxy, other\n"
	  "  --verdict V,..     pass, steer, drop-policy, drop-ratelimit, drop-malformed\n"
	  "  --src PREFIX       only sources inside PREFIX (IPv4 or IPv6)\n"
	  "  --count N          stop after N frames;  --seconds S  stop after S seconds\n"
	  "  --snap BYTES       bytes kept per frame (default 128)\n"
	  "  --rate N           at most N records per second (default 100): a flood cannot drown the host\n"
	  "  --pcap FILE|-      write pcapng (verdict in each packet's comment) instead of lines\n"
	  "  --stop             turn off a trace left on by a killed reader\n" OPT_C OPT_H },
	{ "usb-reset", cmd_usb_reset, "[-c FILE] [-s SOCKET] [--standalone] [-n] IFACE",
	  "reset the USB adapter behind IFACE (through the daemon when it runs)",
	  OPT_C OPT_S
	  "  --standalone       never ask the daemon\n"
	  "  --sysfs-root DIR   default /sys   (implies --standalone)\n"
	  "  --dev-root DIR     default /dev   (implies --standalone)\n"
	  "  -n, --dry-run      only show which device would be reset (standalone)\n" OPT_H },
	{ "help", cmd_help, "[COMMAND]", "this text, or the usage of COMMAND", OPT_H },
	{ "version", cmd_version, "", "the version (also: edgesteer --version, -V)", OPT_H },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

void cli_usage(const char *cmd, FILE *f)
{
	const struct cmd *c = find_cmd(cmd);

	if (!c)
		return;
	fprintf(f, "usage: edgesteer %s%s%s\n  %s\n\n%s", c->name, c->synopsis[0] ? " " : "",
		c->synopsis, c->summary, c->options);
}

int cli_help_exit(const char *cmd)
{
	cli_usage(cmd, stdout);
	return CLI_EXIT_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "edgesteer %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(cmd, stderr);
	return CLI_EXIT_USAGE;
}

int cli_no_extra(const char *cmd, int argc, char **argv, int max)
{
	if (argc - optind > max)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}

int cli_bad_option(const char *cmd, int opt, char **argv)
{
	const char *what = argv[optind - 1];

	if (opt == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", what);
	if (optopt && what[0] == '-' && what[1] != '-')
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", what);
}

static void overview(FILE *f)
{
	size_t i;

	fprintf(f, "edgesteer %s - XDP steering, SNI proxy, syslog relay and NIC watchdog\n\n"
		"usage: edgesteer COMMAND [OPTIONS]\n"
		"       edgesteer COMMAND --help      the options of COMMAND\n"
		"       edgesteer -V | --version      the version\n\ncommands:\n", EDGESTEER_VERSION);
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n-c FILE defaults to /etc/edgesteer/edgesteer.conf. See edgesteer(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_help_exit("help");
	if (argc > 2)
		return cli_usage_error("help", "unexpected argument '%s'", argv[2]);
	if (argc == 1) {
		overview(stdout);
		return CLI_EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command '%s'", argv[1]);
	return cli_help_exit(c->name);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_help_exit("version");
	if (argc > 1)
		return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
	printf("edgesteer %s\nlibbpf %s, BearSSL %s (build time), BPF ABI %d\n",
	       EDGESTEER_VERSION, libbpf_version_string(), BEARSSL_VERSION, ES_ABI_VERSION);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		overview(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "edgesteer: unknown command '%s'; 'edgesteer help' lists them\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
