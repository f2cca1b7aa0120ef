/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syslog_helpers.h - shared by the tests/e2e/syslog_*.c tests: run the
 * relay in a forked child (conf_load_string + loop + syslog_start), read
 * its counters (SIGUSR1 writes them to a file), send UDP syslog, and a
 * small TLS subscriber client with an RFC 5425 framing checker.
 */
#ifndef SYSLOG_HELPERS_H
#define SYSLOG_HELPERS_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "syslog/syslog.h"
#include "syslog/syslog_msg.h"
#include "tls/tls.h"

struct relay_child {
	struct loop *l;
	struct syslog_relay *r;
	char metrics_path[320];
};

static struct relay_child rc_child;

static void rc_on_usr1(struct loop *l, int signo, void *arg)
{
	struct metric_sink *s;
	const char *text;
	size_t len;
	char tmp[340];
	FILE *f;

	if (metric_sink_new(METRIC_PROM, 4u << 20, &s))
		return;
	syslog_metrics(rc_child.r, s);
	text = metric_sink_finish(s, &len);
	snprintf(tmp, sizeof(tmp), "%s.tmp", rc_child.metrics_path);
	f = fopen(tmp, "w");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
		rename(tmp, rc_child.metrics_path);
	}
	metric_sink_free(s);
}

/* SIGHUP: syslog_reload() with DIR/reload.conf; the result in DIR/reload.rc */
static char rc_dir[256];

static void rc_on_hup(struct loop *l, int signo, void *arg)
{
	char path[320];
	struct conf *c;
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/reload.conf", rc_dir);
	if (conf_load(path, &c, NULL) == 0) {
		rc = syslog_reload(rc_child.r, c);
		conf_free(c);
	}
	/* written aside and renamed: the test polls for the file and must
	 * never read it empty */
	snprintf(path, sizeof(path), "%s/reload.rc.tmp", rc_dir);
	f = fopen(path, "w");
	if (f) {
		char final[320];

		fprintf(f, "%d\n", rc);
		fclose(f);
		snprintf(final, sizeof(final), "%s/reload.rc", rc_dir);
		rename(path, final);
	}
}

static struct loop_timer rc_drain_timer;

static void rc_drain_tick(struct loop_timer *t)
{
	if (!syslog_drain(rc_child.r))
		loop_stop(rc_child.l);
	else
		loop_timer_arm(rc_child.l, t, 20);
}

static void rc_on_term(struct loop *l, int signo, void *arg)
{
	rc_drain_tick(&rc_drain_timer);
}

/* Start the relay with `conf` in a child; its log goes to DIR/relay.log. */
static inline pid_t relay_start(const char *dir, const char *conf)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		struct conf *c;
		char logp[320];
		int fd, err;

		snprintf(logp, sizeof(logp), "%s/relay.log", dir);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		log_set_prefix(0);
		log_set_level(LOG_DEBUG);
		snprintf(rc_child.metrics_path, sizeof(rc_child.metrics_path), "%s/metrics.prom", dir);
		snprintf(rc_dir, sizeof(rc_dir), "%s", dir);
		if (conf_load_string("test.conf", conf, &c, NULL))
			_exit(3);
		if (loop_new(&rc_child.l))
			_exit(4);
		err = syslog_start(rc_child.l, c, &rc_child.r);
		if (err) {
			fprintf(stderr, "syslog_start: %s\n", strerror(-err));
			_exit(5);
		}
		conf_free(c);
		loop_timer_init(&rc_drain_timer, rc_drain_tick);
		loop_signal(rc_child.l, SIGUSR1, rc_on_usr1, NULL);
		loop_signal(rc_child.l, SIGTERM, rc_on_term, NULL);
		loop_signal(rc_child.l, SIGHUP, rc_on_hup, NULL);
		loop_run(rc_child.l);
		syslog_free(rc_child.r);
		loop_free(rc_child.l);
		_exit(0);
	}
}

/* Ask the child for its counters; returns the value of the first sample
 * whose line starts with `name` and contains `labels` (or -1). */
static inline long long relay_metric(pid_t pid, const char *dir, const char *name, const char *labels)
{
	char path[320], line[1024];
	long long v = -1;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	unlink(path);
	kill(pid, SIGUSR1);
	/* generous: a loaded CI machine may take a while to run the child */
	for (i = 0; i < 2500 && access(path, R_OK); i++)
		usleep(2000);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t nl = strlen(name);

		if (strncmp(line, name, nl) || (line[nl] != '{' && line[nl] != ' '))
			continue;
		if (labels && !strstr(line, labels))
			continue;
		v = atoll(strrchr(line, ' ') + 1);
		break;
	}
	fclose(f);
	return v;
}

/* Poll a counter until it reaches `want` or ms pass; returns the last
 * value read. For conditions a test must wait for (a subscriber's
 * handshake done on the relay's side, the spool written), instead of a
 * sleep that guesses how fast a loaded machine is. */
static inline long long relay_wait_metric(pid_t pid, const char *dir, const char *name,
					  const char *labels, long long want, int ms)
{
	double end = th_now() + ms / 1000.0;
	long long v;

	for (;;) {
		v = relay_metric(pid, dir, name, labels);
		if (v >= want || th_now() >= end)
			return v;
		usleep(10000);
	}
}

/* Until `n` subscriber handshakes completed on the relay's side: a
 * subscriber gets the messages that arrive after that. */
static inline int relay_wait_subscribers(pid_t pid, const char *dir, long long n, int ms)
{
	return relay_wait_metric(pid, dir, "edgesteer_syslog_subscriber_handshakes_total", NULL,
				 n, ms) >= n ? 0 : -1;
}

/* Until a UDP socket is bound to `port` in our network namespace (the
 * relay's: tests run in their own, TH_PRIVATE_NETNS), so that nothing sent
 * is lost to a socket that does not exist yet. Read from /proc/net/udp:
 * a probe bind() of our own could take the port from the relay. */
static inline int wait_udp_bound(int port, int ms)
{
	double end = th_now() + ms / 1000.0;
	char want[16], line[256];

	snprintf(want, sizeof(want), ":%04X ", port);
	do {
		FILE *f = fopen("/proc/net/udp", "r");
		bool found = false;

		while (f && !found && fgets(line, sizeof(line), f)) {
			char *local = strchr(line, ':');	/* after "sl:" */

			found = local && (local = strchr(local + 1, ':')) && !strncmp(local, want, 6);
		}
		if (f)
			fclose(f);
		if (found)
			return 0;
		usleep(10000);
	} while (th_now() < end);
	return -1;
}

/* Write DIR/reload.conf, SIGHUP the relay, return syslog_reload()'s result. */
static inline int relay_reload(pid_t pid, const char *dir, const char *conf)
{
	char path[320];
	int rc = -100, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/reload.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -100;
	fputs(conf, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/reload.rc", dir);
	unlink(path);
	kill(pid, SIGHUP);
	/* generous: a loaded CI machine may take a while to run the child */
	for (i = 0; i < 2500 && access(path, R_OK); i++)
		usleep(2000);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &rc) != 1)
			rc = -100;
		fclose(f);
	}
	return rc;
}

static inline long relay_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static inline int wait_port(int port, int ms)
{
	double end = th_now() + ms / 1000.0;

	while (th_now() < end) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			return 0;
		}
		close(fd);
		usleep(20000);
	}
	return -1;
}

/* ---- UDP sender ------------------------------------------------------- */

static inline int udp_sock(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);
}

static inline void udp_send(int fd, int port, const void *p, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, p, len, 0, (struct sockaddr *)&a, sizeof(a));
}

/* The i-th test message: RFC 5424, about 200 bytes, unique and checkable. */
static inline size_t test_msg(char *buf, size_t cap, unsigned i)
{
	return (size_t)snprintf(buf, cap,
		"<134>1 2026-11-25T12:00:00.000000Z gw-test es-test %u ID%u - "
		"message %08u padding to about two hundred bytes: "
		"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-%08u", 4242, i % 100, i, i);
}

/* Send messages [from, to) paced in bursts of `burst` with a pause. */
static inline void send_range(int port, unsigned from, unsigned to, unsigned burst, int pause_us)
{
	int fd = udp_sock();
	char m[512];
	unsigned i;

	for (i = from; i < to; i++) {
		udp_send(fd, port, m, test_msg(m, sizeof(m), i));
		if (burst && (i - from + 1) % burst == 0)
			usleep((useconds_t)pause_us);
	}
	close(fd);
}

/* ---- TLS subscriber client + framing checker ------------------------- */

struct tsub {
	int fd;
	struct tls_session *t;
	struct tls_cred *cred;
	struct tls_anchors *ca;
	uint8_t *buf;
	size_t len, cap;
	bool closed;
	int err;
};

static inline int tsub_pump(struct tsub *s, int ms)
{
	struct pollfd p = { .fd = s->fd };
	br_ssl_engine_context *eng = tls_engine(s->t);
	int rc;

	rc = tls_io(s->t);
	if (rc) {
		s->closed = true;
		s->err = rc;
		return rc;
	}
	while (br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP) {
		size_t len;
		unsigned char *b = br_ssl_engine_recvapp_buf(eng, &len);

		if (len > s->cap - s->len)
			len = s->cap - s->len;
		if (!len)
			break;
		memcpy(s->buf + s->len, b, len);
		s->len += len;
		br_ssl_engine_recvapp_ack(eng, len);
	}
	p.events = (short)tls_events(s->t);
	if (p.events && ms)
		poll(&p, 1, ms);
	return 0;
}

static inline int tsub_connect(struct tsub *s, int port, const char *certdir, const char *cert,
			       const char *key, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char cp[320], kp[320];
	struct tls_client_opts o = { .server_name = "localhost" };
	double end = th_now() + 5;

	memset(s, 0, sizeof(*s));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(cp, sizeof(cp), "%s/ca.crt", certdir);
	if (tls_anchors_load(cp, &s->ca))
		return -1;
	if (cert) {
		snprintf(cp, sizeof(cp), "%s/%s", certdir, cert);
		snprintf(kp, sizeof(kp), "%s/%s", certdir, key);
		if (tls_cred_load(cp, kp, &s->cred))
			return -1;
	}
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(s->fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	s->cap = 64u << 20;
	s->buf = malloc(s->cap);
	o.ca = s->ca;
	o.cred = s->cred;
	if (tls_client_new(&o, s->fd, TLS_BUF_BIDI, true, "test-subscriber", "relay", &s->t))
		return -1;
	while (!tls_handshake_done(s->t) && th_now() < end)
		if (tsub_pump(s, 50))
			return -1;
	return tls_handshake_done(s->t) ? 0 : -1;
}

static inline void tsub_close(struct tsub *s)
{
	if (s->t)
		tls_free(s->t);
	if (s->fd > 0)
		close(s->fd);
	tls_cred_free(s->cred);
	tls_anchors_free(s->ca);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Decode frames from what was received; returns messages taken or -1 on
 * a framing error. Each message is handed to cb. */
typedef int (*frame_cb)(void *arg, const uint8_t *m, size_t len);

static inline long tsub_take(struct tsub *s, enum conf_framing fr, frame_cb cb, void *arg)
{
	size_t at = 0;
	long n = 0;

	for (;;) {
		const uint8_t *m;
		size_t ml, used;
		int r = syslog_frame_decode(fr, s->buf + at, s->len - at, 65535, &m, &ml, &used);

		if (r < 0)
			return -1;
		if (r == SYSLOG_FRAME_NEED_MORE)
			break;
		if (cb(arg, m, ml))
			return -1;
		at += used;
		n++;
	}
	memmove(s->buf, s->buf + at, s->len - at);
	s->len -= at;
	return n;
}

/* Checks messages produced by test_msg(): strictly increasing index,
 * byte-exact; records how many and where gaps were. */
struct seq_check {
	long next;		/* expected index of the next message, -1: any */
	long got, gaps, gap_msgs, last, dups, first_gap;
	bool allow_dups;	/* at-least-once: a repeat of earlier messages is fine */
	bool bad;
	char why[256];
};

static inline int seq_cb(void *arg, const uint8_t *m, size_t len)
{
	struct seq_check *c = arg;
	char want[512];
	const char *p = memmem(m, len, "message ", 8);
	long idx;
	size_t wl;

	if (!p) {
		c->bad = true;
		snprintf(c->why, sizeof(c->why), "unexpected message '%.*s'", (int)(len > 80 ? 80 : len), m);
		return -1;
	}
	idx = atol(p + 8);
	wl = test_msg(want, sizeof(want), (unsigned)idx);
	if (wl != len || memcmp(want, m, len)) {
		c->bad = true;
		snprintf(c->why, sizeof(c->why), "message %ld not byte-exact (%zu bytes, want %zu): '%.*s'",
			 idx, len, wl, (int)(len > 150 ? 150 : len), m);
		return -1;
	}
	if (c->next >= 0 && idx != c->next) {
		if (idx < c->next) {
			if (c->allow_dups) {
				c->dups++;
				return 0;
			}
			c->bad = true;
			snprintf(c->why, sizeof(c->why), "message %ld after %ld: out of order", idx, c->last);
			return -1;
		}
		if (!c->gaps)
			c->first_gap = c->next;
		c->gaps++;
		c->gap_msgs += idx - c->next;
	}
	c->last = idx;
	c->next = idx + 1;
	c->got++;
	return 0;
}

/* Read from s until `want` messages were checked or ms passed. */
static inline long tsub_collect(struct tsub *s, struct seq_check *c, long want, int ms)
{
	double end = th_now() + ms / 1000.0;

	while (c->got < want && th_now() < end && !c->bad) {
		if (tsub_pump(s, 20) && !s->len)
			break;
		if (tsub_take(s, FRAMING_OCTET, seq_cb, c) < 0)
			break;
	}
	return c->got;
}

static inline int mkcerts_into(char *dir, size_t len, const char *tag)
{
	const char *src = getenv("EDGESTEER_SRC");

	snprintf(dir, len, "/tmp/es-syslog-%s-%d", tag, getpid());
	th_sh("rm -rf %s", dir);
	return th_sh("%s/scripts/mkcerts.sh %s gateway.test >/dev/null", src ? src : ".", dir);
}

#endif
