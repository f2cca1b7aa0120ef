/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cmds.h - the subcommands of the edgesteer binary. Each lives in the
 * module that owns it; main.c only dispatches. Every command gets argv
 * starting at its own name (getopt-ready) and returns the exit status.
 */
#ifndef EDGESTEER_CMDS_H
#define EDGESTEER_CMDS_H

int cmd_run(int argc, char **argv);       /* daemon.c */
int cmd_check(int argc, char **argv);     /* conf.c */
int cmd_status(int argc, char **argv);    /* ctl.c */
int cmd_stats(int argc, char **argv);     /* ctl.c */
int cmd_metrics(int argc, char **argv);   /* ctl.c */
int cmd_reload(int argc, char **argv);    /* ctl.c */
int cmd_detach(int argc, char **argv);    /* bpfctl.c */
int cmd_attach(int argc, char **argv);    /* bpfctl.c */
int cmd_usb_reset(int argc, char **argv); /* watchdog.c */

#endif
