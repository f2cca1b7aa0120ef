/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rsyslog_helpers.h - rsyslog as a real RFC 5425 collector for the
 * tests/e2e/syslog_*.c tests: imtcp with the ossl or gtls stream driver,
 * run as our own process with its own config, pid file and work dir;
 * what it receives goes to DIR/out.log, one raw message a line, and is
 * checked against test_msg() (syslog_helpers.h). Include after it.
 */
#ifndef RSYSLOG_HELPERS_H
#define RSYSLOG_HELPERS_H

struct rsys {
	char dir[256];
	pid_t pid;
	int port;
};

static inline int rsys_start(struct rsys *r, const char *certs, const char *driver)
{
	char pidf[320];
	int i;

	th_sh("mkdir -p %s/work", r->dir);
	/* main_queue: rsyslog's default queue (100k, 2 s enqueue timeout)
	 * discards when a thawed or restarted collector gets a backlog and
	 * its repeats at once on a loaded machine; this test is about us */
	th_sh("cat > %s/rs.conf <<'EOF'\n"
	      "global(workDirectory=\"%s/work\"\n"
	      "  DefaultNetstreamDriverCAFile=\"%s/ca.crt\"\n"
	      "  DefaultNetstreamDriverCertFile=\"%s/server.crt\"\n"
	      "  DefaultNetstreamDriverKeyFile=\"%s/server.key\")\n"
	      "main_queue(queue.size=\"1000000\" queue.timeoutEnqueue=\"60000\")\n"
	      "module(load=\"imtcp\" StreamDriver.Name=\"%s\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")\n"
	      "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\")\n"
	      "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
	      ":inputname, isequal, \"imtcp\" action(type=\"omfile\" file=\"%s/out.log\" template=\"raw\")\n"
	      "EOF", r->dir, r->dir, certs, certs, certs, driver, r->port, r->dir);
	snprintf(pidf, sizeof(pidf), "%s/rs.pid", r->dir);
	unlink(pidf);
	if (th_sh("rsyslogd -n -f %s/rs.conf -i %s >>%s/rs.log 2>&1 &", r->dir, pidf, r->dir))
		return -1;
	for (i = 0; i < 250; i++) {
		FILE *f = fopen(pidf, "r");

		if (f) {
			int ok = fscanf(f, "%d", &r->pid) == 1;

			fclose(f);
			if (ok && wait_port(r->port, 50) == 0)
				return 0;
		}
		usleep(20000);
	}
	return -1;
}

static inline void rsys_stop(struct rsys *r)
{
	int i;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGTERM);
	for (i = 0; i < 250 && kill(r->pid, 0) == 0; i++)
		usleep(20000);
	if (kill(r->pid, 0) == 0)
		kill(r->pid, SIGKILL);
	r->pid = 0;
}

/* Check out.log: test_msg() lines, byte-exact, in order; repeats allowed. */
static inline long check_out(const char *dir, struct seq_check *c)
{
	char path[320], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->allow_dups = true;
	snprintf(path, sizeof(path), "%s/out.log", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		/* rsyslog writes the file in blocks: a last line without its
		 * LF is still being written, the next poll reads it whole */
		if (line[n - 1] != '\n')
			break;
		n--;
		if (seq_cb(c, (uint8_t *)line, (size_t)n))
			break;
	}
	free(line);
	fclose(f);
	return c->got;
}

static inline long wait_out(const char *dir, struct seq_check *c, long want, int ms)
{
	double end = th_now() + ms / 1000.0;

	while (check_out(dir, c) < want && !c->bad && th_now() < end)
		usleep(50000);
	return c->got;
}

#endif
