/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_util.h - helpers shared by the benchmark tools (syslog-gen.c,
 * syslog-tcp-gen.c, syslog-sink.c, pxload.c, tlsload.c). Each tool is one .c
 * file that the benchmark scripts compile on their own, so these are
 * static inline: a tool that does not use one gets no warning for it.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
