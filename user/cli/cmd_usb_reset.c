// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_usb_reset.c - edgesteer usb-reset IFACE: through the daemon when it
 * runs (it re-attaches XDP afterwards), standalone otherwise.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "watchdog/usbdev.h"

int cmd_usb_reset(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sysfs-root", required_argument, NULL, 'Y' },
		{ "dev-root", required_argument, NULL, 'D' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 'S' },
		{ "standalone", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char sys[CONF_PATH_MAX] = "/sys", dev[CONF_PATH_MAX] = "/dev", err[USBDEV_ERR_MAX];
	const char *cfg = NULL, *ifname, *o_sys = NULL, *o_dev = NULL, *sock = NULL;
	bool dry = false, standalone = false;
	struct usbdev u;
	int opt, rc;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:s:nh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg = optarg; break;
		case 's':
		case 'S': sock = optarg; break;
		case 'A': standalone = true; break;
		case 'Y': o_sys = optarg; break;
		case 'D': o_dev = optarg; break;
		case 'n': dry = true; break;
		case 'h': return cli_help_exit("usb-reset");
		default: return cli_bad_option("usb-reset", opt, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("usb-reset", "which interface? (IFACE missing)");
	rc = cli_no_extra("usb-reset", argc, argv, 1);
	if (rc)
		return rc;
	ifname = argv[optind];
	if (!standalone && !dry && !o_sys && !o_dev) {
		char pbuf[CONF_PATH_MAX], req[CTL_REQ_MAX];
		const char *path = ctl_socket_path(cfg, sock, pbuf, sizeof(pbuf));

		snprintf(req, sizeof(req), "usb-reset %s", ifname);
		rc = ctl_call(path, req, stdout);
		if (rc >= 0)
			return rc ? 1 : 0;	/* the daemon answered (errors are on stderr) */
		if (sock) {
			fprintf(stderr, "edgesteer usb-reset: cannot reach the daemon at %s: %s\n", sock, strerror(-rc));
			return 1;
		}
		/* no daemon: do it here */
	}
	if (cfg) {
		struct conf *c;
		const struct conf_watchdog *pick = NULL;

		if (conf_load(cfg, &c, stderr))
			return 1;
		for (int i = 0; i < c->n_watchdogs; i++)
			if (!strcmp(c->watchdogs[i].iface, ifname) || (!pick && !strcmp(c->watchdogs[i].iface, "*")))
				pick = &c->watchdogs[i];
		if (pick) {
			snprintf(sys, sizeof(sys), "%s", pick->sysfs_root);
			snprintf(dev, sizeof(dev), "%s", pick->dev_root);
		}
		conf_free(c);
	}
	if (o_sys)
		snprintf(sys, sizeof(sys), "%s", o_sys);
	if (o_dev)
		snprintf(dev, sizeof(dev), "%s", o_dev);
	rc = usbdev_find(sys, dev, ifname, &u, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "edgesteer usb-reset: %s\n", err);
		return 1;
	}
	printf("%s: USB %04x:%04x at port %s, bus %03u device %03u (%s)\n", ifname, u.vendor, u.product, u.port,
	       u.busnum, u.devnum, u.node);
	if (dry) {
		printf("%s: dry run, not reset\n", ifname);
		return 0;
	}
	rc = usbdev_reset(&u, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "edgesteer usb-reset: %s\n", err);
		return 1;
	}
	printf("%s: reset; the interface re-enumerates now. Without the daemon running, re-attach XDP "
	       "afterwards with 'edgesteer attach'.\n", ifname);
	return 0;
}
