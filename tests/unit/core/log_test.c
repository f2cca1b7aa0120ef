// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of log.c: what journald receives on stderr. */
#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/log.h"

/* Run the logging calls with stderr on a temp file; return its text. */
static ssize_t capture(char *out, size_t len, void (*fn)(void))
{
	char path[64];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "/tmp/es-review-log-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	unlink(path);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	close(fd);
	if (n >= 0)
		out[n] = 0;
	return n;
}

static void log_multiline(void)
{
	log_set_prefix(1);
	log_set_level(LOG_DEBUG);
	pr_err("reload: refused:\nconf:3: bad\nconf:4: worse");
	pr_warn("next");
}

/* journald files a line by its own "<N>" prefix; a line without one
 * gets the unit's default level, so every line of a message needs it. */
TEST(every_line_of_a_message_has_the_priority_prefix)
{
	char out[4096];

	ASSERT_GT(capture(out, sizeof(out), log_multiline), 0);
	EXPECT_STREQ(out, "<3>reload: refused:\n<3>conf:3: bad\n<3>conf:4: worse\n<4>next\n");
}

static void log_long(void)
{
	static char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	log_set_prefix(1);
	log_set_level(LOG_DEBUG);
	pr_err("%s", big);
	pr_warn("next");
}

/* A message longer than the line buffer is cut, but still ends its line:
 * otherwise the next message is glued to it. */
TEST(a_truncated_message_still_ends_its_line)
{
	char out[16384], *nl;

	ASSERT_GT(capture(out, sizeof(out), log_long), 0);
	ASSERT_EQ(strncmp(out, "<3>xxx", 6), 0);
	nl = strchr(out, '\n');
	ASSERT_TRUE(nl != NULL);
	EXPECT_STREQ(nl + 1, "<4>next\n");
}

TEST_HARNESS_MAIN
