/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_util.h - helpers shared by the benchmark tools (syslog-gen.c,
 * syslog-tcp-gen.c, syslog-sink.c, pxload.c, tlsload.c, the yardstick
 * relays). Each tool is one .c
 * file that the benchmark scripts compile on their own, so these are
 * static inline: a tool that does not use one gets no warning for it.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep until now_s() reaches t (again after a signal). */
static inline void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* v in decimal, zero-padded to exactly width digits (higher digits dropped). */
static inline void put_digits(char *p, int width, uint64_t v)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "a.b.c.d:port" into *sa; 0, or -1 when s is not that. */
static inline int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* "a.b.c.d:port" from the command line, or a message naming prog and exit 2. */
static inline struct sockaddr_in addr_or_exit(const char *prog, const char *s)
{
	struct sockaddr_in sa;

	if (parse_addr(s, &sa)) {
		fprintf(stderr, "%s: '%s': expected IPV4:PORT\n", prog, s);
		exit(2);
	}
	return sa;
}

/*
 * The yardstick relays take edgesteer's command line, `run -c FILE`, so
 * that proxy.sh runs them as BENCH_PROXY_BEFORE: from FILE, edgesteer's
 * configuration as proxy.sh writes it, the `listen = IP:PORT` line into
 * *lis and the upstream of the route for close.bench (the rate test's)
 * into *up. Exits 2 with a message naming prog when either is missing.
 */
static inline void relay_conf_or_exit(const char *prog, int argc, char **argv,
				      struct sockaddr_in *lis, struct sockaddr_in *up)
{
	char line[512], a[128];
	int have = 0;
	FILE *f;

	if (argc != 4 || strcmp(argv[1], "run") || strcmp(argv[2], "-c")) {
		fprintf(stderr, "usage: %s run -c EDGESTEER_CONF\n", prog);
		exit(2);
	}
	f = fopen(argv[3], "r");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[3], strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " listen = %127s", a) == 1 && !parse_addr(a, lis))
			have |= 1;
		else if (sscanf(line, " route = close.bench %127s", a) == 1 && !parse_addr(a, up))
			have |= 2;
	}
	fclose(f);
	if (have != 3) {
		fprintf(stderr, "%s: %s: no `listen = IP:PORT` or `route = close.bench IP:PORT`\n",
			prog, argv[3]);
		exit(2);
	}
}

/* The relays' listener on lis: TCP_DEFER_ACCEPT (1 s), as edgesteer's
 * listeners, so an accepted client has normally sent its hello already. */
static inline int relay_listen_or_exit(const char *prog, const struct sockaddr_in *lis, int flags)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)lis, sizeof(*lis)) || listen(fd, 4096)) {
		fprintf(stderr, "%s: listening: %s\n", prog, strerror(errno));
		exit(1);
	}
	return fd;
}

#define TAIL_LEN 20	/* " r=RRRR s=SSSSSSSSSS" */

/*
 * One RFC 5424 message of exactly size bytes into msg (cap bytes; the
 * callers check that size leaves room for the header and the tail):
 * header, 'x' padding, and the fixed-width tail " r=RUN s=SEQ" that
 * syslog-sink reads. SEQ is the last 10 bytes, all '0' here; the
 * generators stamp each copy with put_digits().
 */
static inline void bench_msg(char *msg, size_t cap, unsigned size, unsigned run)
{
	int hl = snprintf(msg, cap, "<134>1 2026-01-01T00:00:00.000000Z benchhost esbench 4242 bench - esbench ");

	memset(msg + hl, 'x', size - TAIL_LEN - (unsigned)hl);
	memcpy(msg + size - TAIL_LEN, " r=0000 s=0000000000", TAIL_LEN);
	put_digits(msg + size - TAIL_LEN + 3, 4, run % 10000);
}

#endif /* BENCH_UTIL_H */
