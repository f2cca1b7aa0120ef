// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: the forwarder's spool as the relay uses it, against files
 * it must not trust - a planted symbolic link, an unsafe spool_dir, a
 * spool damaged between two runs - with rsyslog as the collector where
 * delivery is checked. Each test runs in a network namespace of its own
 * (TH_PRIVATE_NETNS), ports 22300-22399 on its loopback, files in its
 * own /tmp directory.
 */
#include "harness.h"

#include "syslog_helpers.h"

FIXTURE(spl) {
	char certs[200];
	char rs[256];		/* rsyslog's directory */
	pid_t rs_pid;
	pid_t relay;
};

FIXTURE_SETUP(spl)
{
	TH_PRIVATE_NETNS();
	if (mkcerts_into(self->certs, sizeof(self->certs), "spool"))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(self->rs, sizeof(self->rs), "%s/rs", self->certs);
	self->relay = 0;
	self->rs_pid = 0;
}

FIXTURE_TEARDOWN(spl)
{
	if (self->relay > 0) {
		kill(self->relay, SIGKILL);
		waitpid(self->relay, NULL, 0);
	}
	if (self->rs_pid > 0)
		kill(self->rs_pid, SIGKILL);
	if (self->certs[0]) {
		if (th_result->failed)
			th_sh("grep -hE 'error|warn|spool' %s/relay.log 2>/dev/null | head -20 | "
			      "sed 's/^/# relay: /'", self->certs);
		th_sh("rm -rf %s", self->certs);
	}
}

static void conf_text(struct th_fixture_spl *self, char *buf, size_t len, int udp, int coll)
{
	snprintf(buf, len,
		 "[syslog]\nlisten = 127.0.0.1:%d\nring_messages = 1024\nring_size = 1M\n"
		 "[forward central]\ncollector = 127.0.0.1:%d\nca = %s/ca.crt\nserver_name = localhost\n"
		 "spool_dir = %s/spool\nbackoff_min = 100ms\nbackoff_max = 300ms\n"
		 "connect_timeout = 1s\nhandshake_timeout = 700ms\n",
		 udp, coll, self->certs, self->certs);
}

static pid_t relay(struct th_fixture_spl *self, int udp, int coll)
{
	char conf[2048];
	pid_t pid;

	conf_text(self, conf, sizeof(conf), udp, coll);
	pid = relay_start(self->certs, conf);
	if (pid > 0 && wait_udp_bound(udp, 10000))
		TH_LOG("relay did not bind UDP %d within 10 s", udp);
	return pid;
}

static void send_chunks(int port, unsigned from, unsigned to)
{
	for (unsigned k = from; k < to; k += 500) {
		send_range(port, k, k + 500 < to ? k + 500 : to, 0, 0);
		usleep(5000);
	}
}

/* Collector down: `n` messages go to the relay, which is stopped; all
 * of them end in the spool. */
static void spool_n(struct th_metadata *_metadata, struct th_fixture_spl *self, int udp, int coll,
		    unsigned n)
{
	int st = 0;

	self->relay = relay(self, udp, coll);
	ASSERT_GT(self->relay, 0);
	send_chunks(udp, 0, n);
	EXPECT_GT(relay_wait_metric(self->relay, self->certs, "edgesteer_syslog_forward_spooled_total",
				    NULL, 1, 10000), 0);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_accepted_total", NULL), n);
	kill(self->relay, SIGTERM);
	waitpid(self->relay, &st, 0);
	self->relay = 0;
	EXPECT_TRUE(WIFEXITED(st));
}

TEST_F_TIMEOUT(spl, planted_symlink_in_spool_dir_is_not_followed, 60)
{
	static const char precious[] = "root:x:0:0:root:/root:/bin/bash\nnot a spool, not ours\n";
	char target[256], link[256], log[8192], out[64];
	struct stat st;

	snprintf(target, sizeof(target), "%s/precious", self->certs);
	th_sh("printf '%%s' '%s' > %s", precious, target);
	th_sh("mkdir -m 0700 %s/spool", self->certs);
	snprintf(link, sizeof(link), "%s/spool/central.spool", self->certs);
	ASSERT_EQ(symlink(target, link), 0);

	spool_n(_metadata, self, 22301, 22302, 3000);
	/* the target is untouched: same size, same bytes */
	ASSERT_EQ(stat(target, &st), 0);
	EXPECT_EQ(st.st_size, (off_t)strlen(precious));
	EXPECT_EQ(th_sh_out(out, sizeof(out), "cmp -s %s - <<'EOF' && echo same\n%sEOF", target,
			    precious), 0);
	/* the link was moved aside, the spool is a file of the relay's own */
	ASSERT_EQ(lstat(link, &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0600);
	EXPECT_GT(st.st_size, 3000 * 200);
	EXPECT_EQ(th_sh("test -L %s/spool/central.spool.damaged-*", self->certs), 0);
	th_sh_out(log, sizeof(log), "cat %s/relay.log", self->certs);
	EXPECT_TRUE(strstr(log, "a symbolic link (not followed); moved aside") != NULL);
}

TEST_F_TIMEOUT(spl, unsafe_spool_dir_is_refused_by_check_and_at_start, 60)
{
	const char *bin = getenv("EDGESTEER") ? getenv("EDGESTEER") : "build/edgesteer";
	char conf[2048], path[256], out[2048], log[8192];
	int st = 0;
	pid_t pid;

	th_sh("mkdir -m 0775 %s/spool", self->certs);
	conf_text(self, conf, sizeof(conf), 22311, 22312);
	snprintf(path, sizeof(path), "%s/gw.conf", self->certs);
	th_sh("cat > %s <<'EOF'\n%sEOF", path, conf);

	/* check: an error naming the file, the section, the directory and the fix */
	EXPECT_NE(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", bin, path), 0);
	TH_LOG("check: %s", out);
	EXPECT_TRUE(strstr(out, "[forward central] spool_dir") != NULL);
	EXPECT_TRUE(strstr(out, "/spool is writable by its group (mode 0775)") != NULL);
	EXPECT_TRUE(strstr(out, "chmod go-w") != NULL);

	/* start: refused, with the same words */
	pid = relay_start(self->certs, conf);
	ASSERT_GT(pid, 0);
	self->relay = pid;
	for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	ASSERT_EQ(kill(pid, 0), -1);	/* it did not start */
	self->relay = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	th_sh_out(log, sizeof(log), "cat %s/relay.log", self->certs);
	EXPECT_TRUE(strstr(log, "/spool is writable by its group (mode 0775)") != NULL);
	EXPECT_NE(th_sh("ls %s/spool/central.spool >/dev/null 2>&1", self->certs), 0);

	/* fixed: both accept it */
	th_sh("chmod 0755 %s/spool", self->certs);
	EXPECT_EQ(th_sh_out(out, sizeof(out), "%s check -c %s 2>&1", bin, path), 0);
}

/* rsyslog as the collector (imtcp, ossl driver), writing raw messages. */
static int rsys_start(struct th_fixture_spl *self, int port)
{
	char pidf[320];

	th_sh("mkdir -p %s/work", self->rs);
	th_sh("cat > %s/rs.conf <<'EOF'\n"
	      "global(workDirectory=\"%s/work\"\n"
	      "  DefaultNetstreamDriverCAFile=\"%s/ca.crt\"\n"
	      "  DefaultNetstreamDriverCertFile=\"%s/server.crt\"\n"
	      "  DefaultNetstreamDriverKeyFile=\"%s/server.key\")\n"
	      "main_queue(queue.size=\"1000000\" queue.timeoutEnqueue=\"60000\")\n"
	      "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")\n"
	      "input(type=\"imtcp\" port=\"%d\" address=\"127.0.0.1\")\n"
	      "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
	      ":inputname, isequal, \"imtcp\" action(type=\"omfile\" file=\"%s/out.log\" template=\"raw\")\n"
	      "EOF", self->rs, self->rs, self->certs, self->certs, self->certs, port, self->rs);
	snprintf(pidf, sizeof(pidf), "%s/rs.pid", self->rs);
	if (th_sh("rsyslogd -n -f %s/rs.conf -i %s >>%s/rs.log 2>&1 &", self->rs, pidf, self->rs))
		return -1;
	for (int i = 0; i < 250; i++) {
		FILE *f = fopen(pidf, "r");

		if (f) {
			int ok = fscanf(f, "%d", &self->rs_pid) == 1;

			fclose(f);
			if (ok && wait_port(port, 50) == 0)
				return 0;
		}
		usleep(20000);
	}
	return -1;
}

/* Check out.log until `want` messages or `ms` passed. */
static long wait_out(struct th_fixture_spl *self, struct seq_check *c, long want, int ms)
{
	double end = th_now() + ms / 1000.0;
	char path[320];

	snprintf(path, sizeof(path), "%s/out.log", self->rs);
	do {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		FILE *f = fopen(path, "r");

		memset(c, 0, sizeof(*c));
		c->allow_dups = true;
		while (f && (n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n')
			if (seq_cb(c, (uint8_t *)line, (size_t)n - 1))
				break;
		free(line);
		if (f)
			fclose(f);
		if (c->got >= want || c->bad)
			break;
		usleep(50000);
	} while (th_now() < end);
	return c->got;
}

/* Flip one byte `at` bytes from where message `idx` starts in the spool. */
static int damage_message(const char *certs, unsigned idx, long at)
{
	char path[320], m[512];
	size_t ml = test_msg(m, sizeof(m), idx);
	uint8_t *buf, b;
	struct stat st;
	int fd, rc = -1;
	uint8_t *p;

	snprintf(path, sizeof(path), "%s/spool/central.spool", certs);
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		return -1;
	buf = malloc((size_t)st.st_size);
	if (buf && pread(fd, buf, (size_t)st.st_size, 0) == st.st_size &&
	    (p = memmem(buf, (size_t)st.st_size, m, ml))) {
		off_t off = (off_t)(p - buf) + at;

		b = buf[off] ^ 0x7f;
		rc = pwrite(fd, &b, 1, off) == 1 ? 0 : -1;
	}
	free(buf);
	close(fd);
	return rc;
}

TEST_F_TIMEOUT(spl, damaged_records_cost_only_themselves_after_a_restart, 90)
{
	struct seq_check c;

	if (access("/usr/sbin/rsyslogd", X_OK))
		SKIP(return, "rsyslogd not installed");
	spool_n(_metadata, self, 22321, 22322, 3000);
	/* between the runs: a payload byte of message 1500, and the length
	 * field of message 2200 (it sits 16 bytes before the payload) */
	ASSERT_EQ(damage_message(self->certs, 1500, 40), 0);
	ASSERT_EQ(damage_message(self->certs, 2200, -15), 0);

	self->relay = relay(self, 22321, 22322);
	ASSERT_GT(self->relay, 0);
	ASSERT_EQ(rsys_start(self, 22322), 0);
	wait_out(self, &c, 2998, 30000);
	if (c.bad)
		TH_LOG("%s", c.why);
	EXPECT_FALSE(c.bad);
	/* everything but the two damaged messages, in order, byte-exact */
	EXPECT_EQ(c.got, 2998);
	EXPECT_EQ(c.gaps, 2);
	EXPECT_EQ(c.gap_msgs, 2);
	EXPECT_EQ(c.first_gap, 1500);
	EXPECT_EQ(c.last, 2999);
	EXPECT_GT(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_spool_damaged_bytes_total",
			       NULL), 400);
	EXPECT_EQ(relay_metric(self->relay, self->certs, "edgesteer_syslog_forward_overflow_total", NULL), 2);
}

TEST_HARNESS_MAIN
