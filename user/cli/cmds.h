/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cmds.h - the subcommands of the edgesteer binary, one cmd_*.c file
 * each in user/cli/; main.c only dispatches. The library below knows no
 * command. Every command gets argv
 * starting at its own name (getopt-ready) and returns the exit status.
 */
#ifndef EDGESTEER_CMDS_H
#define EDGESTEER_CMDS_H

int cmd_run(int argc, char **argv);       /* cmd_run.c */
int cmd_check(int argc, char **argv);     /* cmd_check.c */
int cmd_status(int argc, char **argv);    /* cmd_ctl.c */
int cmd_stats(int argc, char **argv);     /* cmd_stats.c */
int cmd_top(int argc, char **argv);       /* cmd_top.c */
int cmd_metrics(int argc, char **argv);   /* cmd_ctl.c */
int cmd_reload(int argc, char **argv);    /* cmd_ctl.c */
int cmd_detach(int argc, char **argv);    /* cmd_xdp.c */
int cmd_attach(int argc, char **argv);    /* cmd_xdp.c */
int cmd_usb_reset(int argc, char **argv); /* cmd_usb_reset.c */
int cmd_trace(int argc, char **argv);     /* cmd_trace.c */

#endif
