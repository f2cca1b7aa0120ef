/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon.h - `edgesteer run`: the composition root. It starts every
 * subsystem the configuration names on one event loop, serves the
 * control socket, reloads, drains and stops.
 */
#ifndef EDGESTEER_DAEMON_H
#define EDGESTEER_DAEMON_H

#include <stdbool.h>

/* Run until SIGTERM/SIGINT; returns the process exit status. */
int daemon_run(const char *conf_path, bool verbose);

#endif
