/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli.h - what the subcommands share: the common client options, usage
 * text and the exit-status conventions.
 *
 * Conventions (every subcommand): `-h`/`--help` prints its usage to
 * stdout and exits 0; a bad option or an extra argument prints the error
 * and the usage to stderr and exits 2 (CLI_EXIT_USAGE).
 */
#ifndef EDGESTEER_CLI_H
#define EDGESTEER_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/version.h"

/* The live view (cmd_top.c), also `stats -w`: refresh every `interval`
 * seconds, `count` frames (0: until 'q' or Ctrl-C). Returns the status. */
int top_run(const char *sock, const char *pin_path, double interval, int count);
/* "2", "0.5": seconds between 0.2 and 3600; 0 or -EINVAL. */
int top_parse_interval(const char *s, double *out);

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAIL    1	/* the command ran and failed */
#define CLI_EXIT_USAGE   2	/* bad command line */
#define CLI_EXIT_NOTHING 3	/* check: valid, but nothing to do */

/* Returned by the option parsers to mean "exit now with this status";
 * CLI_STATUS() turns it back into the status. */
#define CLI_DONE(status) (-1 - (status))
#define CLI_STATUS(rc)   (-1 - (rc))

/* Option strings start with ':' and opterr is 0: cli_bad_option() names
 * the offending option itself (getopt's '?' or ':' return). */
#define CLI_GETOPT_INIT() do { optind = 1; opterr = 0; } while (0)

/* Common CLI options of the client commands. */
struct cli_opts {
	const char *conf;	/* -c FILE */
	const char *sock;	/* -s SOCKET */
	bool json;		/* --json / -j */
	char sock_buf[128];	/* the resolved control socket path */
};

/*
 * Parse -c, -s, -h and (when `json_ok`) --json for command `cmd`; no
 * operands are accepted. Returns 0, or CLI_DONE(status) when the command
 * must exit with status (help printed, or usage error printed).
 */
int cli_parse(int argc, char **argv, const char *cmd, bool json_ok, struct cli_opts *o);

/* The usage text of `cmd` to `f` (stdout for -h, stderr after errors). */
void cli_usage(const char *cmd, FILE *f);
/* -h: usage to stdout, returns 0. */
int cli_help_exit(const char *cmd);
/* An error on the command line: "edgesteer CMD: MESSAGE", the usage, 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt returned '?' or ':': say which option and how; returns 2. */
int cli_bad_option(const char *cmd, int opt, char **argv);
/* After getopt: refuse operands beyond `max` (returns 0 or 2 after usage). */
int cli_no_extra(const char *cmd, int argc, char **argv, int max);

/* The live view (cmd_top.c), also `stats -w`: refresh every `interval`
 * seconds, `count` frames (0: until 'q' or Ctrl-C). Returns the status. */
int top_run(const char *sock, const char *pin_path, double interval, int count);
/* "2", "0.5": seconds between 0.2 and 3600; 0 or -EINVAL. */
int top_parse_interval(const char *s, double *out);

#endif
