/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Levelled logging to stderr. Each line starts with a syslog priority
 * prefix ("<3>") when stderr is not a terminal, so journald files it by
 * level; on a terminal a short level word is printed instead.
 */
#ifndef EDGESTEER_LOG_H
#define EDGESTEER_LOG_H

#include <syslog.h>

enum log_level {
	LOG_LVL_ERR = LOG_ERR,
	LOG_LVL_WARN = LOG_WARNING,
	LOG_LVL_NOTICE = LOG_NOTICE,
	LOG_LVL_INFO = LOG_INFO,
	LOG_LVL_DEBUG = LOG_DEBUG,
};

void log_set_level(int level);
int log_get_level(void);
/* Force (1) or suppress (0) the <N> prefixes; -1 decides by isatty(2). */
void log_set_prefix(int mode);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
