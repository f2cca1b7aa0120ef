/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spool.h - a forwarder's on-disk spool: messages appended in order as
 * framed, checksummed records in <spool_dir>/<NAME>.spool, read back by
 * offset. The file format, the position file and what survives a crash
 * or a power cut are described at the top of spool.c and in docs/spool.md.
 *
 * Offsets in this interface are data offsets: 0 is the first record,
 * spool_end() the byte after the last one (the file header is hidden).
 * Every function accepts a NULL spool (no spool_dir): nothing is kept,
 * nothing is read.
 */
#ifndef EDGESTEER_SYSLOG_SPOOL_H
#define EDGESTEER_SYSLOG_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/conf.h"

#define SPOOL_REC_MAX 65535u	/* largest message one record holds */

struct spool;

struct spool_opts {
	const char *dir;		/* spool_dir; created 0700 when missing */
	const char *name;		/* the file is <dir>/<name>.spool */
	uint64_t max;			/* spool_max: data bytes */
	enum conf_spool_sync sync;
};

/* Where the previous run stopped, found by spool_open(). */
struct spool_resume {
	uint64_t pos;		/* the first record not confirmed yet */
	uint64_t first_seq;	/* seq of the first record at or after pos; 0: none */
	uint64_t last_seq;	/* the highest seq in the file; 0: none */
};

struct spool_rec {
	uint64_t seq;
	const uint8_t *p;	/* valid until the next call on this spool */
	uint32_t len;
	uint64_t off;		/* where the record starts: >= the offset asked for */
	uint64_t next;		/* where the record after it starts */
};

struct spool_stats {
	uint64_t bytes;			/* data bytes, the write buffer included */
	uint64_t damaged_files;		/* moved aside as NAME.spool.damaged-TIME */
	uint64_t damaged_bytes;		/* skipped to resynchronise at a valid record */
	uint64_t write_errors;		/* failed writes (their records are lost) */
	uint64_t lost_records;		/* records lost to failed writes */
	uint64_t syncs;			/* fdatasync calls */
};

/*
 * Is `dir` fit to hold a spool for a daemon running as `uid`: a directory
 * (a symbolic link to one is followed), owned by uid, not writable by
 * group or others; every directory above it (as written and as resolved)
 * owned by root or uid and not writable by others unless sticky. 0: yes;
 * -ENOENT: it does not exist but may be created (spool_open creates it);
 * else -errno and a sentence in err that names the path and the fix.
 */
int spool_dir_check(const char *dir, uid_t uid, char *err, size_t errlen);

/*
 * Open (or create) the spool, check every record, and say where the
 * previous run stopped. A file that is not a spool of ours is moved aside
 * (NAME.spool.damaged-TIME), never truncated or written. 0 or -errno
 * (logged, naming the path).
 */
int spool_open(const struct spool_opts *o, struct spool **out, struct spool_resume *res);

/* Append one record. 0; -ENOSPC beyond spool_max; -EMSGSIZE; -errno when
 * the write buffer could not be written (those records are lost). */
int spool_append(struct spool *s, uint64_t seq, const void *p, uint32_t len);

/*
 * The first valid record at or after `off`: damaged bytes in between are
 * skipped and counted once. 0 and *rec; -ENOENT at the end; -errno when
 * the file cannot be read.
 */
int spool_read(struct spool *s, uint64_t off, struct spool_rec *rec);

uint64_t spool_end(const struct spool *s);

/* Everything is confirmed: drop every record (the file keeps its header). */
void spool_reset(struct spool *s);

/* The flush timer (about once a second while data waits): write the write
 * buffer; fdatasync under spool_sync = second. */
void spool_tick(struct spool *s);

/* The end of an intake batch: write and fdatasync under spool_sync = batch. */
void spool_batch_end(struct spool *s);

/* A reload changed spool_sync. */
void spool_set_sync(struct spool *s, enum conf_spool_sync sync);

/* Does the write buffer hold data (the flush timer is wanted)? */
int spool_pending(const struct spool *s);

/* Write everything, fdatasync, save `pos` (the first unconfirmed record)
 * atomically in NAME.spool.pos, close. */
void spool_close(struct spool *s, uint64_t pos);

/* Could `records` records of `bytes` payload bytes in all be appended now
 * without passing max? */
bool spool_fits(const struct spool *s, uint64_t records, uint64_t bytes);
void spool_get_stats(const struct spool *s, struct spool_stats *st);
const char *spool_path(const struct spool *s);

#endif
