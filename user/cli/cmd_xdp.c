// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_xdp.c - attach and detach: XDP without the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/log.h"
#include "xdp/bpfctl.h"

static int load_conf_for(const char *cmd, const char *path, struct conf **c)
{
	int err = conf_load(path, c, NULL);

	if (err) {
		fprintf(stderr, "edgesteer %s: %s: cannot use this configuration\n", cmd, path);
		return err;
	}
	log_set_level((*c)->global.log_level);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	struct bpfctl *b = NULL;
	struct conf *c = NULL;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, err;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'h': return cli_help_exit("attach");
		default: return cli_bad_option("attach", opt, argv);
		}
	}
	err = cli_no_extra("attach", argc, argv, 0);
	if (err)
		return err;
	if (load_conf_for("attach", path, &c))
		return 1;
	if (!c->has_xdp) {
		fprintf(stderr, "edgesteer attach: %s has no [xdp] section: nothing to attach\n", path);
		conf_free(c);
		return 1;
	}
	err = bpfctl_open(c, &b);
	if (!err && bpfctl_attached(b) < c->xdp.n_ifaces) {
		fprintf(stderr, "edgesteer attach: %d of %d interfaces attached (see above)\n",
			bpfctl_attached(b), c->xdp.n_ifaces);
		err = -ENODEV;
	}
	/* fail-static: leave the pinned links and maps behind */
	bpfctl_close(b, false);
	conf_free(c);
	return err ? 1 : 0;
}

int cmd_detach(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH, *pin = NULL, *sock = NULL;
	char sockbuf[128], *body = NULL;
	struct conf *c = NULL;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-path", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, err;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:p:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'p': pin = optarg; break;
		case 's': sock = optarg; break;
		case 'h': return cli_help_exit("detach");
		default: return cli_bad_option("detach", opt, argv);
		}
	}
	err = cli_no_extra("detach", argc, argv, 0);
	if (err)
		return err;
	/* A running daemon detaches itself first, so it does not keep using
	 * links and maps removed under it; then whatever is left goes. */
	ctl_socket_path(pin ? NULL : path, sock, sockbuf, sizeof(sockbuf));
	err = ctl_call_buf(sockbuf, "detach", &body);
	if (err == 0)
		printf("daemon at %s: %s", sockbuf, body);
	if (err == 1) {
		/* the daemon said no (e.g. a read-only control_group member):
		 * removing its pins behind its back would be worse */
		fprintf(stderr, "edgesteer: daemon at %s: %s\n", sockbuf, body);
		free(body);
		return 1;
	}
	free(body);
	if (!pin) {
		if (load_conf_for("detach", path, &c)) {
			fprintf(stderr, "edgesteer detach: or name the pin directory: edgesteer detach -p %s\n",
				"/sys/fs/bpf/edgesteer");
			return 1;
		}
		pin = c->global.pin_path;
	}
	err = bpfctl_detach_all(pin);
	conf_free(c);
	return err ? 1 : 0;
}
