// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog-tcp-gen - paced TCP syslog load for the relay benchmark
 * (scripts/bench/syslog_tcp.sh). Built by that script; not part of the
 * product.
 *
 * Opens CONNS TCP connections (8 by default) to one IPv4 address and sends
 * RFC 5424 messages of a fixed size (200 bytes) with RFC 6587 octet-counting
 * framing ("200 <134>1 ..."), or LF framing with -F lf, at a total target
 * rate for a fixed time, split evenly over the connections. Every message
 * ends in the same fixed-width tail as syslog-gen's, " r=RUN s=SEQ", so
 * syslog-sink counts lost and duplicated messages at the collector.
 * Connection k sends the sequence numbers k, k + CONNS, k + 2 CONNS, ...
 * (unique over all senders; syslog-sink -S CONNS checks order per sender).
 *
 * How it paces: every connection has a bounded output buffer of
 * pre-formatted frames (only the sequence digits change). Each turn tops
 * up every connection's buffer with what is due by now (at most BATCH
 * frames) and writes it, non-blocking. A connection whose socket is full
 * (EAGAIN: the relay is not reading fast enough - TCP backpressure) waits
 * for POLLOUT; it falls behind its schedule and the rate reached says so.
 * When nothing is due and nothing is blocked the generator sleeps until the
 * next ~100 us worth of messages is due (fewer, larger writes at high
 * rates).
 *
 * At the end, a frame written in part is completed (bounded: 5 s) so no
 * relay sees a torn frame; whole frames never written are not counted.
 * Output, one line:
 *   sent=N seconds=S rate=R target=T blocked=B stalled_ms=M
 * B: writes that found a socket full; M: time in which at least one
 * connection waited for the relay (milliseconds). Sent and the rate count
 * whole frames handed to the kernel.
 *
 *   syslog-tcp-gen -d 127.0.0.1:PORT -r RATE -t SECS [-c CONNS] [-R RUN] [-s SIZE] [-F octet|lf]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   64
#define MAX_SIZE    2048
#define TAIL_LEN    20		/* " r=RRRR s=SSSSSSSSSS" */
#define BATCH       256		/* frames per buffer fill */
#define PREFIX_MAX  8		/* "2048 " */
#define FLUSH_SECS  5.0		/* bound on completing a torn frame at the end */

struct sender {
	int fd;
	uint64_t next_seq;	/* k + CONNS * frames framed so far */
	uint64_t framed;	/* frames put into buf (written or not) */
	uint64_t done;		/* whole frames handed to the kernel */
	size_t off, len;	/* unwritten part of buf: [off, len) */
	bool blocked;		/* last write found the socket full */
	char *buf;
};

static struct sender senders[MAX_CONNS];
static char tmpl[PREFIX_MAX + MAX_SIZE + 1];
static size_t frame_len, seq_at;	/* seq digits at frame offset seq_at */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_digits(char *p, int width, uint64_t v)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
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

/* The frame template: prefix, RFC 5424 header, padding, tail. */
static void build_template(unsigned size, unsigned run, bool lf)
{
	char msg[MAX_SIZE + 1];
	int hl = snprintf(msg, sizeof(msg),
			  "<134>1 2026-01-01T00:00:00.000000Z benchhost esbench 4242 bench - esbench ");
	size_t pre = 0;

	memset(msg + hl, 'x', size - TAIL_LEN - (unsigned)hl);
	memcpy(msg + size - TAIL_LEN, " r=0000 s=0000000000", TAIL_LEN);
	put_digits(msg + size - TAIL_LEN + 3, 4, run % 10000);
	if (!lf)
		pre = (size_t)snprintf(tmpl, sizeof(tmpl), "%u ", size);
	memcpy(tmpl + pre, msg, size);
	frame_len = pre + size;
	if (lf)
		tmpl[frame_len++] = '\n';
	seq_at = pre + size - 10;
}

/* Put up to n frames into s's (empty) buffer. */
static void fill(struct sender *s, uint64_t n, unsigned conns)
{
	s->off = s->len = 0;
	for (uint64_t i = 0; i < n; i++) {
		memcpy(s->buf + s->len, tmpl, frame_len);
		put_digits(s->buf + s->len + seq_at, 10, s->next_seq % 10000000000ULL);
		s->next_seq += conns;
		s->len += frame_len;
	}
	s->framed += n;
}

/* Write what is buffered; count whole frames done. -1 on a broken connection. */
static int flush(struct sender *s, uint64_t *blocked)
{
	while (s->off < s->len) {
		ssize_t w = send(s->fd, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			s->blocked = true;
			(*blocked)++;
			break;
		}
		if (w <= 0)
			return -1;
		s->off += (size_t)w;
	}
	if (s->off == s->len)
		s->blocked = false;
	s->done = s->framed - (s->len - s->off + frame_len - 1) / frame_len;
	return 0;
}

static int connect_to(const struct sockaddr_in *sa, const char *dest)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct timeval tv = { .tv_sec = 5 };

	if (fd < 0)
		return -1;
	/* connect blocking with a deadline, then non-blocking writes */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		fprintf(stderr, "syslog-tcp-gen: connect %s: %s\n", dest, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst;
	const char *dest = NULL;
	double rate = 0, seconds = 1;
	unsigned run = 0, size = 200, conns = 8;
	bool lf = false;
	int opt;

	while ((opt = getopt(argc, argv, "d:r:t:c:R:s:F:")) != -1) {
		switch (opt) {
		case 'd': dest = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'c': conns = (unsigned)atoi(optarg); break;
		case 'R': run = (unsigned)atoi(optarg); break;
		case 's': size = (unsigned)atoi(optarg); break;
		case 'F': lf = !strcmp(optarg, "lf"); break;
		default: goto usage;
		}
	}
	if (!dest || parse_addr(dest, &dst) || rate <= 0 || seconds <= 0 || seconds > 3600 ||
	    size < 100 || size > MAX_SIZE || !conns || conns > MAX_CONNS)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)seconds + 30);	/* a wedged relay must not wedge the benchmark */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	build_template(size, run, lf);

	for (unsigned k = 0; k < conns; k++) {
		struct sender *s = &senders[k];

		s->buf = malloc(BATCH * frame_len);
		s->fd = s->buf ? connect_to(&dst, dest) : -1;
		if (s->fd < 0)
			return 1;
		s->next_seq = k;
	}

	/* per connection: frames due by time t, and the smallest fill worth a wake-up */
	double per_conn = rate / conns;
	uint64_t total = (uint64_t)(per_conn * seconds);
	uint64_t min_chunk = (uint64_t)(per_conn * 100e-6);
	uint64_t blocked = 0;
	double stalled = 0;

	if (min_chunk < 1)
		min_chunk = 1;
	if (min_chunk > BATCH)
		min_chunk = BATCH;
	double start = now_s(), end = start + seconds, t;

	while ((t = now_s()) < end) {
		uint64_t due = (uint64_t)(per_conn * (t - start)) + 1, all_done = 0;
		struct pollfd pfd[MAX_CONNS];
		int n_wait = 0;

		if (due > total)
			due = total;
		for (unsigned k = 0; k < conns; k++) {
			struct sender *s = &senders[k];

			if (s->off == s->len && s->framed < due &&
			    (due - s->framed >= min_chunk || due == total)) {
				uint64_t n = due - s->framed;

				fill(s, n > BATCH ? BATCH : n, conns);
			}
			if (s->off < s->len && flush(s, &blocked)) {
				fprintf(stderr, "syslog-tcp-gen: send to %s (connection %u): %s\n", dest, k,
					strerror(errno));
				return 1;
			}
			if (s->blocked)
				pfd[n_wait++] = (struct pollfd){ .fd = s->fd, .events = POLLOUT };
			all_done += s->framed == total && s->off == s->len;
		}
		if (all_done == conns)
			break;
		/*
		 * Wake when the next chunk of a sender that is not blocked is
		 * due, or earlier when a full socket drains (never spin on a
		 * blocked one: it has POLLOUT).
		 */
		double next = end;

		for (unsigned k = 0; k < conns; k++) {
			struct sender *s = &senders[k];
			uint64_t upto = s->framed + min_chunk < total ? s->framed + min_chunk : total;

			if (!s->blocked && s->framed < total && start + (double)(upto - 1) / per_conn < next)
				next = start + (double)(upto - 1) / per_conn;
		}
		double wait = next - now_s();

		if (wait < 0)
			wait = 0;
		if (n_wait) {
			double t0 = now_s();
			struct timespec ts = { .tv_sec = (time_t)wait,
					       .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };

			ppoll(pfd, (nfds_t)n_wait, &ts, NULL);
			stalled += now_s() - t0;
		} else if (wait > 0) {
			struct timespec ts = { .tv_sec = (time_t)wait,
					       .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	double el = now_s() - start;

	/* complete torn frames only; drop whole frames never written */
	for (unsigned k = 0; k < conns; k++) {
		struct sender *s = &senders[k];
		size_t torn = (s->len - s->off) % frame_len;
		double deadline = now_s() + FLUSH_SECS;

		s->len = s->off + torn;
		s->framed = s->done + (torn ? 1 : 0);
		while (s->off < s->len && now_s() < deadline) {
			struct pollfd p = { .fd = s->fd, .events = POLLOUT };

			if (flush(s, &blocked))
				break;
			if (s->off < s->len)
				poll(&p, 1, 100);
		}
		if (s->off < s->len)
			fprintf(stderr, "syslog-tcp-gen: connection %u: a frame stayed torn (relay not reading)\n", k);
	}
	uint64_t sent = 0;

	for (unsigned k = 0; k < conns; k++) {
		sent += senders[k].done;
		close(senders[k].fd);
		free(senders[k].buf);
	}
	if (sent == total * conns && el < seconds)
		el = seconds;
	printf("sent=%llu seconds=%.3f rate=%.0f target=%.0f blocked=%llu stalled_ms=%.0f\n",
	       (unsigned long long)sent, el, (double)sent / el, rate, (unsigned long long)blocked, stalled * 1e3);
	return 0;
usage:
	fprintf(stderr, "usage: syslog-tcp-gen -d IPV4:PORT -r RATE -t SECONDS [-c CONNS] [-R RUN] [-s SIZE] "
			"[-F octet|lf]\n");
	return 2;
}
