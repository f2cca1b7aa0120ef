// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_INFO;
static int log_prefix = -1;

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_set_prefix(int mode)
{
	log_prefix = mode;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const words[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
		[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	char line[2048];
	size_t n;
	va_list ap;

	if (level > log_level)
		return;
	if (log_prefix < 0)
		log_prefix = !isatty(STDERR_FILENO);
	if (log_prefix)
		n = (size_t)snprintf(line, sizeof(line), "<%d>", level & 7);
	else
		n = (size_t)snprintf(line, sizeof(line), "%s: ", words[level & 7]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[--n] = 0;
	/* one write per line so concurrent writers never interleave mid-line */
	if (n + 1 < sizeof(line)) {
		line[n++] = '\n';
		line[n] = 0;
	}
	(void)!write(STDERR_FILENO, line, n);
}
