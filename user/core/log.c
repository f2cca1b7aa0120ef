// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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
	char msg[2048], line[4096], pfx[8];
	size_t n = 0, pl;
	const char *p;
	va_list ap;

	if (level > log_level)
		return;
	if (log_prefix < 0)
		log_prefix = !isatty(STDERR_FILENO);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* a longer message is cut */
	va_end(ap);
	snprintf(pfx, sizeof(pfx), "<%d>", level & 7);
	pl = strlen(pfx);
	if (log_prefix) {
		memcpy(line, pfx, pl);
		n = pl;
	} else {
		n = (size_t)snprintf(line, sizeof(line), "%s: ", words[level & 7]);
	}
	/* Every line of a multi-line message gets the "<N>" prefix: journald
	 * files each line by its own, the rest at the unit's default level. */
	for (p = msg; *p && n + 1 < sizeof(line); p++) {
		if (p[0] == '\n' && p[1]) {
			line[n++] = '\n';
			if (log_prefix && n + pl + 1 < sizeof(line)) {
				memcpy(line + n, pfx, pl);
				n += pl;
			}
			continue;
		}
		if (p[0] != '\n')
			line[n++] = *p;
	}
	/* one write per line so concurrent writers never interleave mid-line;
	 * always ends with its newline, truncated or not */
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void log_limited(struct log_limit *ll, int level, const char *fmt, ...)
{
	struct timespec ts;
	unsigned long long now;
	char msg[1024];
	va_list ap;

	ll->held++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	if (now < ll->next_ms)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(level, "%s (%llu time%s since the last such line)", msg, ll->held,
		ll->held == 1 ? "" : "s");
	ll->held = 0;
	ll->next_ms = now + 1000;
}
