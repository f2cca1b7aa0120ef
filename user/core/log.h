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

/*
 * At most one line per second for one reason, however often it happens:
 * a listener full of strangers must not flood the journal. Each line
 * carries the number of events since the previous line of that reason.
 * One struct log_limit per reason, zeroed before first use.
 */
struct log_limit {
	unsigned long long next_ms;	/* monotonic ms before which we stay quiet */
	unsigned long long held;	/* events not yet reported */
};
void log_limited(struct log_limit *ll, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
