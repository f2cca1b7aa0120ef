// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the spool reader over files it did not write.
 *
 * Input: [flags][n][n bytes: the position file][the rest: the spool file].
 * flags bit 0: repair the header's and the records' CRCs first, so that
 * the fuzzer reaches well-formed files with odd contents (lengths,
 * sequence numbers, records straddling damage) and not only bad CRCs;
 * bit 1: write the position file. Each run opens the spool in a fresh
 * private directory, reads it from the resume position, from 0 and from
 * offsets taken from the input, appends a record, reopens and finds it.
 * Any violated invariant aborts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/log.h"
#include "syslog/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[128];

static void remove_dir(void);

static void clean_dir(void)
{
	DIR *d;
	struct dirent *e;

	if (!dir[0]) {
		const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

		snprintf(dir, sizeof(dir), "%s/spool-fuzz-%d-XXXXXX", base, getpid());
		if (!mkdtemp(dir))
			abort();
		chmod(dir, 0700);
		atexit(remove_dir);
		log_set_level(0);	/* damage is the normal case here: no log lines */
	}
	d = opendir(dir);
	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void remove_dir(void)
{
	char d[sizeof(dir)];

	snprintf(d, sizeof(d), "%s", dir);
	clean_dir();
	rmdir(d);
}

static void write_file(const char *name, const uint8_t *p, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (len && write(fd, p, len) != (ssize_t)len)
		abort();
	close(fd);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Make the header and every record-looking thing valid (format in spool.c). */
static void repair(uint8_t *f, size_t n)
{
	static const uint8_t magic[4] = { 0xf3, 0x5d, 0xa7, 0x1c };
	size_t off = 32;

	if (n < 32)
		return;
	memcpy(f, "EDGSPOOL", 8);
	put32(f + 8, 2);
	put32(f + 12, 32);
	put32(f + 28, (uint32_t)crc32(crc32(0L, Z_NULL, 0), f, 28));
	while (off + 20 <= n) {
		uint32_t len = get32(f + off + 4);

		if (memcmp(f + off, magic, 4) || len > SPOOL_REC_MAX || off + 20 + len > n) {
			off++;
			continue;
		}
		uLong c = crc32(0L, Z_NULL, 0);

		c = crc32(c, f + 16, 8);	/* the file id */
		c = crc32(c, f + off + 4, 12);
		c = crc32(c, f + off + 20, len);
		put32(f + off + 16, (uint32_t)c);
		off += 20 + len;
	}
}

/* Read everything from off; check each record; return the count. */
static int read_from(struct spool *s, uint64_t off, uint64_t *first, uint64_t *last_off)
{
	struct spool_rec r;
	int n = 0;

	*first = 0;
	*last_off = off;
	while (spool_read(s, off, &r) == 0) {
		if (r.off < off || r.len > SPOOL_REC_MAX || r.next != r.off + 20 + r.len ||
		    r.next > spool_end(s))
			abort();
		if (!n)
			*first = r.seq;
		n++;
		off = r.next;
		*last_off = off;
		if (n > (int)(spool_end(s) / 20) + 1)
			abort();	/* no record read twice, no endless loop */
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_opts o = { .name = "fz", .max = 1ull << 30, .sync = SPOOL_SYNC_NEVER };
	static const uint8_t msg[] = "<13>appended after the damage";
	struct spool_resume res, res2;
	struct spool_rec r;
	struct spool *s;
	uint64_t first, tail, seq, end;
	uint8_t flags, *file;
	size_t plen, flen;
	int n_pos, n_all;

	if (size < 2)
		return 0;
	flags = data[0];
	plen = data[1];
	if (plen > size - 2)
		plen = size - 2;
	flen = size - 2 - plen;
	clean_dir();
	o.dir = dir;
	if (flags & 2)
		write_file("fz.spool.pos", data + 2, plen);
	file = malloc(flen + 1);
	if (!file)
		return 0;
	memcpy(file, data + 2 + plen, flen);
	if (flags & 1)
		repair(file, flen);
	write_file("fz.spool", file, flen);
	free(file);

	if (spool_open(&o, &s, &res))
		abort();	/* a healthy directory: whatever the file, open works */
	end = spool_end(s);
	if (res.pos > end)
		abort();
	n_pos = read_from(s, res.pos, &first, &tail);
	if (res.first_seq && first != res.first_seq)
		abort();
	n_all = read_from(s, 0, &first, &tail);
	if (n_all < n_pos)
		abort();
	/* resynchronise from arbitrary offsets */
	for (size_t i = 0; i + 4 <= plen && i < 16; i += 4) {
		uint64_t k;

		read_from(s, get32(data + 2 + i) % (end + 1), &first, &k);
	}

	/* an append lands at the end and reads back whole */
	seq = res.last_seq + 1;
	if (spool_append(s, seq, msg, sizeof(msg)))
		abort();
	if (spool_read(s, end, &r) || r.off != end || r.seq != seq || r.len != sizeof(msg) ||
	    memcmp(r.p, msg, sizeof(msg)))
		abort();
	spool_close(s, res.pos);

	/* and survives a restart */
	if (spool_open(&o, &s, &res2))
		abort();
	if (res2.last_seq < seq)
		abort();
	{
		uint64_t off = res2.pos;
		int found = 0;

		while (spool_read(s, off, &r) == 0) {
			if (r.seq == seq && r.len == sizeof(msg) && !memcmp(r.p, msg, sizeof(msg)))
				found = 1;
			off = r.next;
		}
		if (!found)
			abort();
	}
	spool_close(s, 0);
	return 0;
}
