/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dns_stub.h - a tiny DNS responder for end-to-end tests, and the mount
 * namespace that makes the process and its children use it.
 *
 * ds_use_resolver() gives the calling process a mount namespace of its
 * own in which /etc/resolv.conf names `ip` (one try, one second), so
 * getaddrinfo and res_nsearch there ask our stub and nothing else.
 * ds_start() forks the responder: a UDP socket on ip:53 answering every
 * query from a table in shared memory that the test may change at any
 * time (ds->a4, ds->a6, ds->ttl): A and AAAA with the table's addresses
 * and TTL (none: an empty NOERROR answer), anything else an empty
 * answer. With ds->silent set it takes queries and never answers (a
 * dead resolver). ds->queries counts the queries seen.
 */
#ifndef EDGESTEER_DNS_STUB_H
#define EDGESTEER_DNS_STUB_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define DS_MAX 4

struct dns_stub {
	volatile uint32_t ttl;			/* seconds, for every record */
	volatile int n4, n6;
	uint8_t a4[DS_MAX][4];
	uint8_t a6[DS_MAX][16];
	volatile int silent;			/* take queries, answer none */
	volatile uint32_t queries;
	pid_t pid;
};

/* Shared with the responder: MAP_SHARED before the fork. */
static inline struct dns_stub *ds_new(void)
{
	struct dns_stub *ds = mmap(NULL, sizeof(*ds), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (ds == MAP_FAILED)
		return NULL;
	memset(ds, 0, sizeof(*ds));
	return ds;
}

/* Set the table: "127.0.0.2 2001:db8::2 ..." (NULL: none); 0 or -EINVAL. */
static inline int ds_set(struct dns_stub *ds, const char *addrs, uint32_t ttl)
{
	char buf[512], *save = NULL, *w;
	int n4 = 0, n6 = 0;

	ds->n4 = ds->n6 = 0;	/* no torn entries while we write */
	__sync_synchronize();
	snprintf(buf, sizeof(buf), "%s", addrs ? addrs : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n4 < DS_MAX && inet_pton(AF_INET, w, ds->a4[n4]) == 1)
			n4++;
		else if (n6 < DS_MAX && inet_pton(AF_INET6, w, ds->a6[n6]) == 1)
			n6++;
		else
			return -EINVAL;
	}
	ds->ttl = ttl;
	__sync_synchronize();
	ds->n4 = n4;
	ds->n6 = n6;
	return 0;
}

/* Answer one query q[0..len) into out; the answer's length, or 0 to drop it. */
static inline size_t ds_answer(struct dns_stub *ds, const uint8_t *q, size_t len, uint8_t *out, size_t cap)
{
	size_t end = 12, o;
	uint16_t qtype, an = 0;
	int n, rdlen;

	while (end < len && q[end])	/* the question's name: labels up to the root */
		end += (size_t)q[end] + 1;
	end += 5;			/* root, type, class */
	if (len < 12 || end > len || end > cap)
		return 0;
	qtype = (uint16_t)(q[end - 4] << 8 | q[end - 3]);
	memcpy(out, q, end);
	out[2] = 0x81;			/* QR, RD */
	out[3] = 0x80;			/* RA, NOERROR */
	out[4] = 0, out[5] = 1;		/* one question */
	memset(out + 8, 0, 4);		/* no authority, no additional */
	o = end;
	n = qtype == 1 ? ds->n4 : qtype == 28 ? ds->n6 : 0;
	rdlen = qtype == 1 ? 4 : 16;
	for (int i = 0; i < n && o + 12 + (size_t)rdlen <= cap; i++, an++) {
		uint32_t ttl = ds->ttl;
		const uint8_t hdr[12] = { 0xc0, 0x0c, 0, (uint8_t)qtype, 0, 1, (uint8_t)(ttl >> 24),
					  (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl, 0,
					  (uint8_t)rdlen };

		memcpy(out + o, hdr, sizeof(hdr));
		memcpy(out + o + 12, qtype == 1 ? ds->a4[i] : ds->a6[i], (size_t)rdlen);
		o += 12 + (size_t)rdlen;
	}
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	return o;
}

/* Fork the responder on ip:53; 0 or -errno. */
static inline int ds_start(struct dns_stub *ds, const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd;

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	fflush(stdout);
	ds->pid = fork();
	if (ds->pid < 0) {
		close(fd);
		return -errno;
	}
	if (ds->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			uint8_t q[512], out[512];
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			size_t alen;

			if (n <= 0)
				continue;
			__sync_fetch_and_add(&ds->queries, 1);
			if (ds->silent)
				continue;
			alen = ds_answer(ds, q, (size_t)n, out, sizeof(out));
			if (alen)
				sendto(fd, out, alen, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(fd);
	return 0;
}

static inline void ds_stop(struct dns_stub *ds)
{
	if (ds && ds->pid > 0) {
		kill(ds->pid, SIGKILL);
		waitpid(ds->pid, NULL, 0);
		ds->pid = 0;
	}
}

/* This process and its children resolve through ip only (file written
 * under dir). 0, or -errno (no private mount namespace: skip). */
static inline int ds_use_resolver(const char *dir, const char *ip)
{
	char path[256];
	FILE *f;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "nameserver %s\noptions timeout:1 attempts:1\n", ip);
	fclose(f);
	if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return -errno;
	return 0;
}

#endif
