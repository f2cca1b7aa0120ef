// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_check.c - edgesteer check: validate a configuration and exit.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cmds.h"
#include "core/conf.h"
#include "syslog/spool.h"

/*
 * Every spool_dir must belong to the user that runs the daemon and be
 * closed to others (anyone who can write it can replace the spool). This
 * looks at the file system, so it lives here and not in the parser; the
 * daemon applies the same check at start. Returns the number of errors.
 */
static int check_spool_dirs(const char *path, const struct conf *c)
{
	int i, bad = 0;

	for (i = 0; i < c->n_forwards; i++) {
		const struct conf_forward *f = &c->forwards[i];
		char err[CONF_PATH_MAX + 256];
		int e;

		if (!f->spool_dir[0])
			continue;
		e = spool_dir_check(f->spool_dir, geteuid(), err, sizeof(err));
		if (e && e != -ENOENT) {	/* a missing one is created 0700 at start */
			fprintf(stderr, "%s:%d: [forward %s] %s\n", path, f->line, f->name, err);
			bad++;
		}
	}
	return bad;
}

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
	if (!rc && check_spool_dirs(path, c)) {
		conf_free(c);
		rc = -EINVAL;
	}
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
