// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog-gen - paced UDP syslog load for the relay benchmark.
 *
 * Sends RFC 5424 messages of a fixed size (200 bytes by default) to one
 * UDP address at a target rate for a fixed time, in sendmmsg() batches.
 * Every message ends in " r=RUN s=SEQ" (fixed width), so a sink can tell
 * runs apart and find lost, duplicated and reordered messages even after
 * a relay rewrote the header. Sequence numbers start at 0.
 *
 * With -G the kernel cuts the datagrams (UDP GSO, UDP_SEGMENT): one
 * send of up to 64 messages travels the sending stack once and is split
 * into single datagrams before it reaches the receiving socket, which
 * sees exactly what sendmmsg would give it. This costs the generator a
 * fraction of the CPU, so on a small machine the relay, not the load,
 * sets the ceiling.
 *
 * Pacing: the target count at time t is rate * t; the generator sends
 * what is due in batches of up to BATCH and sleeps when it is ahead, but
 * never for less than about 100 us of messages (so a high rate does not
 * cost one syscall per message). When it falls behind it sends as fast
 * as it can and reports the rate it reached: that is its ceiling.
 *
 *   syslog-gen -d 127.0.0.1:514 -r 100000 -t 10 [-R RUN] [-s SIZE] [-b BATCH] [-G]
 *   -r 0 sends as fast as possible.
 * Prints one line: "sent=N seconds=S rate=R target=T".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_BATCH 256
#define MAX_GSO   64	/* UDP_MAX_SEGMENTS */
#define MAX_SIZE  2048

int main(int argc, char **argv)
{
	static char bufs[MAX_BATCH][MAX_SIZE];
	static char gso_buf[MAX_GSO * MAX_SIZE];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in dst;
	const char *dest = NULL;
	double rate = 0, seconds = 1;
	unsigned run = 0, size = 200, batch = 64;
	bool gso = false;
	int opt, fd;

	while ((opt = getopt(argc, argv, "d:r:t:R:s:b:G")) != -1) {
		switch (opt) {
		case 'd': dest = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'R': run = (unsigned)atoi(optarg); break;
		case 's': size = (unsigned)atoi(optarg); break;
		case 'b': batch = (unsigned)atoi(optarg); break;
		case 'G': gso = true; break;
		default: goto usage;
		}
	}
	if (!dest || parse_addr(dest, &dst) || rate < 0 || seconds <= 0 ||
	    size < 80 || size > MAX_SIZE || !batch || batch > MAX_BATCH || (gso && batch > MAX_GSO))
		goto usage;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		fprintf(stderr, "syslog-gen: %s: %s\n", dest, strerror(errno));
		return 1;
	}
	if (gso) {
		int seg = (int)size;

		if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg))) {
			fprintf(stderr, "syslog-gen: UDP_SEGMENT: %s\n", strerror(errno));
			return 1;
		}
	}
	/* sleep precisely: the default 50 us slack would blur pacing */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	/* one template: header, padding, fixed-width run and sequence tail */
	char tmpl[MAX_SIZE];
	bench_msg(tmpl, sizeof(tmpl), size, run);
	for (unsigned i = 0; i < batch; i++) {
		if (gso)
			memcpy(gso_buf + (size_t)i * size, tmpl, size);
		memcpy(bufs[i], tmpl, size);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = size;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	uint64_t total = rate > 0 ? (uint64_t)(rate * seconds) : UINT64_MAX;
	uint64_t sent = 0, errors = 0;
	/* smallest batch worth a wakeup: ~100 us of messages */
	uint64_t min_chunk = rate > 0 ? (uint64_t)(rate * 100e-6) : batch;
	if (min_chunk < 1)
		min_chunk = 1;
	if (min_chunk > batch)
		min_chunk = batch;
	double start = now_s(), end = start + seconds, t = start;

	while (sent < total && (t = now_s()) < end) {
		uint64_t due = rate > 0 ? (uint64_t)(rate * (t - start)) + 1 : UINT64_MAX;
		if (due > total)
			due = total;
		if (due < sent + min_chunk && due < total) {
			/* message i is due at i / rate: wake when the chunk's last is */
			uint64_t upto = sent + min_chunk < total ? sent + min_chunk : total;
			sleep_until(start + (double)(upto - 1) / rate);
			continue;
		}
		uint64_t n = due - sent;
		if (n > batch)
			n = batch;
		int k;
		if (gso) {
			for (uint64_t i = 0; i < n; i++)
				put_digits(gso_buf + (i + 1) * size - 10, 10, (sent + i) % 10000000000ULL);
			ssize_t w = send(fd, gso_buf, (size_t)n * size, 0);
			k = w < 0 ? -1 : (int)n;
		} else {
			for (uint64_t i = 0; i < n; i++)
				put_digits(bufs[i] + size - 10, 10, (sent + i) % 10000000000ULL);
			k = sendmmsg(fd, msgs, (unsigned)n, 0);
		}
		if (k < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
				errors++;
				continue;
			}
			fprintf(stderr, "syslog-gen: sendmmsg to %s: %s\n", dest, strerror(errno));
			return 1;
		}
		/* a short count re-sends the rest with the same numbers */
		sent += (uint64_t)k;
	}
	double el = now_s() - start;
	if (sent == total)
		el = seconds;	/* kept to schedule: the rate is the target's */
	printf("sent=%llu seconds=%.3f rate=%.0f target=%.0f errors=%llu\n", (unsigned long long)sent, el,
	       (double)sent / el, rate, (unsigned long long)errors);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: syslog-gen -d IPV4:PORT -r RATE -t SECONDS [-R RUN] [-s SIZE] [-b BATCH] [-G]\n");
	return 2;
}
