/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proxy_util.h - helpers of the proxy end-to-end tests.
 *
 * Each test runs in its own network namespace (TH_PRIVATE_NETNS() of
 * tests/harness.h in the forked child, loopback brought up), so addresses and
 * ports never collide with other helpers' tests and nothing leaks out;
 * the namespace disappears with the test's processes. The proxy runs in
 * a forked child that calls conf_load_string() + loop_new() +
 * proxy_start() + loop_run() directly, so the test knows its PID (to
 * count its fds) and can give it its own limits.
 */
#ifndef EDGESTEER_PROXY_UTIL_H
#define EDGESTEER_PROXY_UTIL_H

#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "proxy/proxy.h"

/* What one direction of a connection copies (read/send) before it
 * proves bulk and splices: conn.c's SMALL_MAX plus one COPY_BUF read. */
#define SMALL_COPY_MAX ((64ll + 16) << 10)

/* Options of the next pu_proxy(): set before calling it. */
static const char *pu_reload_conf;	/* SIGHUP: proxy_reload() with this */
static const char *pu_metrics_file;	/* SIGUSR1: Prometheus text written here */
static void (*pu_child_init)(void);	/* run in the child before proxy_start */
static struct proxy_set *pu_ps;

/* [global] workers of a config that leaves it at the default (auto:
 * one per online CPU, at most 4): EDGESTEER_TEST_WORKERS when set
 * (tests/run.sh runs these tests with the default, then again with 1
 * or, where the default is 1, with 2). A test that needs a fixed count
 * (proxy_workers_test: 2) writes it in its config. */
static inline void pu_workers(struct conf *c)
{
	const char *w = getenv("EDGESTEER_TEST_WORKERS");

	if (w && *w && c->global.workers == 0)
		c->global.workers = (uint32_t)atoi(w);
}

/* The proxy workers pu_workers() leaves a config with: auto (0) means
 * one per online CPU, at most 4. */
static inline int pu_workers_n(void)
{
	const char *w = getenv("EDGESTEER_TEST_WORKERS");
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (w && *w && atoi(w) > 0)
		return atoi(w);
	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

static inline void pu_on_hup(struct loop *l, int signo, void *arg)
{
	struct conf *c = NULL;

	if (pu_reload_conf && conf_load_string("reload.conf", pu_reload_conf, &c, stderr) == 0) {
		pu_workers(c);
		if (proxy_reload(pu_ps, c))
			fprintf(stderr, "reload failed\n");
		conf_free(c);
	}
}

static inline void pu_on_term(struct loop *l, int signo, void *arg)
{
	loop_stop(l);
}

static inline void pu_on_usr1(struct loop *l, int signo, void *arg)
{
	struct metric_sink *s = NULL;
	char tmp[300];
	const char *text;
	size_t len;
	FILE *f;

	if (!pu_metrics_file || metric_sink_new(METRIC_PROM, 1 << 20, &s))
		return;
	proxy_metrics(pu_ps, s);
	text = metric_sink_finish(s, &len);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pu_metrics_file);
	f = fopen(tmp, "w");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
		rename(tmp, pu_metrics_file);
	}
	metric_sink_free(s);
}

/*
 * Fork the proxy with `conf`. `nofile` > 0 sets its RLIMIT_NOFILE;
 * `logfile` (may be NULL) receives its stderr (access log). Waits until
 * `port` on 127.0.0.1 accepts. Returns the PID or -1.
 */
static inline pid_t pu_proxy(const char *conf, int port, int nofile, const char *logfile)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct proxy_set *ps = NULL;
		struct conf *c = NULL;
		struct loop *l = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (logfile) {
			int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);

			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		log_set_prefix(0);
		if (nofile > 0) {
			struct rlimit rl = { .rlim_cur = (rlim_t)nofile, .rlim_max = (rlim_t)nofile };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (pu_child_init)
			pu_child_init();
		if (conf_load_string("test.conf", conf, &c, stderr) || loop_new(&l))
			_exit(3);
		pu_workers(c);
		/* before the listeners exist: a test may signal once it connects */
		if (pu_reload_conf)
			loop_signal(l, SIGHUP, pu_on_hup, NULL);
		if (pu_metrics_file)
			loop_signal(l, SIGUSR1, pu_on_usr1, NULL);
		loop_signal(l, SIGTERM, pu_on_term, NULL);
		if (proxy_start(l, c, &ps))
			_exit(3);
		pu_ps = ps;
		conf_free(c);
		loop_run(l);
		/* an orderly end, so leak checkers (ASan builds) see everything freed */
		proxy_free(ps);
		loop_free(l);
		exit(0);
	}
	for (int i = 0; i < 1500; i++) {	/* ~15 s: a loaded machine */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0), st;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			return pid;
		}
		if (fd >= 0)
			close(fd);
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return -1;
}

/* Ask the proxy for its counters; the text (or "" after 10 s). */
static inline void pu_metrics(pid_t pid, char *out, size_t len)
{
	unlink(pu_metrics_file);
	kill(pid, SIGUSR1);
	out[0] = 0;
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(pu_metrics_file, "r");

		if (f) {
			size_t n = fread(out, 1, len - 1, f);

			out[n] = 0;
			fclose(f);
			return;
		}
		usleep(10000);
	}
}

/* The value of the sample whose line starts with `prefix` (-1: none). */
static inline long long pu_metric(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)) && p[strlen(prefix)] == ' ')
			return atoll(p + strlen(prefix) + 1);
	return -1;
}

/* SIGTERM (the proxy frees everything and exits), SIGKILL after 2 s. */
static inline void pu_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static inline int pu_addr(const char *ip, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return sizeof(*a);
}

/* Blocking connect; -errno on failure. */
static inline int pu_connect(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * nginx in the foreground in a child: `servers` (server { } blocks) go
 * into an http { } block whose pid, logs and temp paths are all under
 * `dir`. Waits until 127.0.0.1:`port` accepts. Returns the PID, or -1
 * after printing nginx's error log.
 */
static inline pid_t pu_nginx(const char *dir, const char *servers, int port)
{
	char path[128];
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/error.log;\n"
		"events { worker_connections 256; }\n"
		"http {\n access_log off;\n client_body_temp_path %s;\n proxy_temp_path %s;\n"
		" fastcgi_temp_path %s;\n uwsgi_temp_path %s;\n scgi_temp_path %s;\n%s}\n",
		dir, dir, dir, dir, dir, dir, dir, servers);
	fclose(f);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char elog[128];

		snprintf(elog, sizeof(elog), "%s/error.log", dir);
		execlp("nginx", "nginx", "-p", dir, "-e", elog, "-c", path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {	/* up to ~10 s: a loaded machine */
		int fd = pu_connect("127.0.0.1", port);

		if (fd >= 0) {
			close(fd);
			return pid;
		}
		usleep(10000);
	}
	th_sh("cat %s/error.log", dir);
	return -1;
}

static inline int pu_listen(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static inline void pu_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One connection from listener lfd within ms (-ETIMEDOUT), with io_ms
 * read/write timeouts set on it; or -1. */
static inline int pu_accept(int lfd, int ms, int io_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		pu_timeout(fd, io_ms);
	return fd;
}

static inline int pu_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes (or up to EOF); returns bytes read or -errno. */
/* An echo upstream in a thread: every connection gets back what it sends
 * (at most 255 at once). pu_echo_start: 0, or -1 when it cannot listen. */
struct pu_echo {
	int lfd;
	volatile int stop;
	pthread_t t;
};

static inline void *pu_echo_main(void *arg)
{
	struct pu_echo *e = arg;
	struct pollfd p[1024];
	int n = 1;

	p[0] = (struct pollfd){ .fd = e->lfd, .events = POLLIN };
	while (!e->stop) {
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (fd >= 0 && n < 1024)
				p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			else if (fd >= 0)
				close(fd);
		}
		for (int i = 1; i < n; i++) {
			char buf[16384];
			ssize_t r;

			if (!p[i].revents)
				continue;
			r = recv(p[i].fd, buf, sizeof(buf), 0);
			if (r > 0 && pu_write_all(p[i].fd, buf, (size_t)r) == 0)
				continue;
			if (r < 0 && errno == EAGAIN)
				continue;
			close(p[i].fd);
			p[i--] = p[--n];
		}
	}
	for (int i = 0; i < n; i++)
		close(p[i].fd);
	return NULL;
}

static inline int pu_echo_start(struct pu_echo *e, int port)
{
	e->lfd = pu_listen("127.0.0.1", port);
	e->stop = 0;
	if (e->lfd < 0)
		return -1;
	return pthread_create(&e->t, NULL, pu_echo_main, e) ? -1 : 0;
}

static inline void pu_echo_stop(struct pu_echo *e)
{
	e->stop = 1;
	pthread_join(e->t, NULL);
}

static inline ssize_t pu_read_n(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (uint8_t *)buf + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return got ? (ssize_t)got : -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Wait for EOF (0), data (>0) or error/timeout (<0) within ms. */
static inline int pu_wait_eof(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[256];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (int)n;
}

static inline int pu_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* CPU time (user + system, in ms) the process has used. */
static inline long pu_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* Load a seed hello from tests/fuzz/corpus/sni. */
static inline size_t pu_seed(const char *file, uint8_t *buf, size_t cap)
{
	const char *src = getenv("EDGESTEER_SRC");
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/sni/%s", src ? src : ".", file);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* A deterministic byte stream: byte o is byte o%8 of splitmix64(o/8 + seed). */
static inline uint64_t pu_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline void pu_fill(uint8_t *buf, size_t len, uint64_t off, uint64_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i, w = pu_mix(o / 8 + seed);

		if (!(o & 7) && i + 8 <= len) {
			memcpy(buf + i, &w, 8);
			i += 7;
			continue;
		}
		buf[i] = (uint8_t)(w >> (8 * (o & 7)));
	}
}

/* Compare buf with the stream at off; returns the first bad index or -1. */
static inline ssize_t pu_check(const uint8_t *buf, size_t len, uint64_t off, uint64_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i, w = pu_mix(o / 8 + seed);

		if (!(o & 7) && i + 8 <= len) {
			if (memcmp(buf + i, &w, 8))
				return (ssize_t)i;
			i += 7;
			continue;
		}
		if (buf[i] != (uint8_t)(w >> (8 * (o & 7))))
			return (ssize_t)i;
	}
	return -1;
}

#endif
