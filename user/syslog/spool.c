// SPDX-License-Identifier: GPL-2.0-only
/*
 * spool.c - a forwarder's on-disk spool.
 *
 * How it works.
 *
 * What it holds. A forwarder appends here, in sequence order, every
 * message it still needs that the ring is about to evict (and, at
 * shutdown, everything unconfirmed that is still in the ring). It reads
 * them back by offset while it is behind the ring. When everything in the
 * file is confirmed, the file is emptied (an empty spool is an empty file;
 * the header is written with the first record).
 *
 * File format (version 2), all integers little-endian:
 *
 *   header, 32 bytes, once at offset 0
 *     0  8  magic "EDGSPOOL"
 *     8  4  version (2)
 *    12  4  header size (32)
 *    16  8  file id: random, new each time the file is started or emptied
 *    24  4  reserved (0)
 *    28  4  CRC-32 of bytes 0..27
 *   records, back to back from offset 32
 *     0  4  magic F3 5D A7 1C
 *     4  4  payload length (<= 65535)
 *     8  8  sequence number
 *    16  4  CRC-32 of the file id, bytes 4..15 and the payload
 *    20  .  payload
 *
 * The magic lets a reader find the next record after damage; the CRC
 * tells a record from bytes that only look like one. The file id in every
 * record's CRC binds records to this file: a syslog message that carries
 * a well-formed record inside it (anyone can send one) never validates
 * when a reader resynchronises into it, and records left over from before
 * the file was emptied do not validate either.
 *
 * Reading. spool_read() returns the first valid record at or after an
 * offset. A record with a bad magic, an impossible length, a length that
 * runs past the end, or a bad CRC is damage: the reader searches forward
 * for the next magic and tries again. So a damaged record costs that
 * record, not the file behind it; a torn last record (a crash or a full
 * disk in the middle of a write) is never read as data. Skipped bytes are
 * counted once (damaged_bytes).
 *
 * Version 1 (before this format: records [u32 len][u64 seq][bytes] from
 * offset 0, no header, no checksum) is still read: at open such a file is
 * converted, record by record while they parse, into a version-2 file
 * that replaces it; its position file is translated with it. What does
 * not parse is kept: the old file is moved aside as damaged instead of
 * being replaced.
 *
 * Ownership. The directory is opened once and checked on its descriptor:
 * owned by the daemon's user, not writable by group or others (anyone who
 * can write it could replace the spool); the directories above it, as
 * written and as resolved, must be owned by root or that user and not
 * writable by others unless sticky. Every file in it is reached with
 * openat() relative to that descriptor and O_NOFOLLOW, so a planted
 * symbolic link is never followed. A NAME.spool that is not a regular
 * file of ours with one link, or whose header is not a spool header, is
 * never written, truncated or read as data: it is renamed to
 * NAME.spool.damaged-YYYYMMDDTHHMMSSZ (counted, logged) and a new spool
 * is started. Files are created 0600.
 *
 * Position file. At a clean stop the offset of the first unconfirmed
 * record is written to NAME.spool.pos ("edgesteer-spool 2 id=ID pos=N"),
 * atomically: a temporary file, fsync, rename, fsync of the directory,
 * after the spool itself is fdatasync'ed. At open it is read and removed;
 * it is used only when its id matches the file and it points at a record
 * boundary (or at damage, or at the end). Anything else - absent, wrong
 * id, garbage, inside a record - replays the spool from its start:
 * messages may then be delivered twice, never skipped.
 *
 * Durability (spool_sync). Records go through a 128 KB write buffer; it is
 * written when full, by the forwarder's flush timer (about 1 s), at the
 * end of an intake batch under `batch`, and at close. fdatasync follows:
 *   batch   at the end of every intake batch that spooled something;
 *   second  on the flush timer, so at most about a second of spooled
 *           messages is at risk;
 *   never   only at close; the kernel writes back when it pleases.
 * What a power cut loses beyond that is in docs/spool.md (the ring is in
 * memory and is always lost with it).
 *
 * A failed write (full disk, file size limit) loses the records in the
 * write buffer - counted in lost_records; the forwarder sees their
 * sequence numbers missing and counts them as overflow - and the file is
 * cut back to the end of the last complete record, so the next write does
 * not land behind half a record. Even if that cut fails, the half record
 * fails its CRC and is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/log.h"
#include "spool.h"

#define HDR_SIZE 32u
#define REC_HDR 20u
#define VERSION 2u
#define V1_HDR 12u
#define WBUF_SIZE (128u << 10)		/* holds any one record */
#define RBUF_SIZE (256u << 10)		/* read-ahead; holds any one record */
#define MAX_DAMAGE_LOGS 8		/* per run; the counter keeps the rest */

static const uint8_t file_magic[8] = { 'E', 'D', 'G', 'S', 'P', 'O', 'O', 'L' };
static const uint8_t rec_magic[4] = { 0xf3, 0x5d, 0xa7, 0x1c };

struct spool {
	int dfd, fd;
	char dir[CONF_PATH_MAX];
	char file[CONF_NAME_MAX + 16];		/* NAME.spool */
	char path[CONF_PATH_MAX + CONF_NAME_MAX + 16];
	uint64_t max;
	enum conf_spool_sync sync;
	uint64_t id;
	uint64_t end;			/* data end, the write buffer included */
	uint64_t flushed;		/* data bytes in the file */
	uint64_t damage_hw;		/* damage is counted up to here */
	int damage_logs;
	int hdr_on_disk;		/* an empty spool is an empty file */
	int dirty;			/* written since the last fdatasync */
	int failing;			/* the last write failed (logged once) */
	uint8_t *wbuf;
	size_t wlen;
	uint32_t wrecs;			/* records in the write buffer */
	uint8_t *rbuf;
	size_t rlen;
	uint64_t roff;
	struct spool_stats st;
};

/* ---- encoding ------------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* CRC of a record whose 20-byte header and payload are at h. */
static uint32_t rec_crc(uint64_t id, const uint8_t *h, uint32_t len)
{
	uint8_t idb[8];
	uLong c = crc32(0L, Z_NULL, 0);

	put64(idb, id);
	c = crc32(c, idb, 8);
	c = crc32(c, h + 4, 12);
	c = crc32(c, h + REC_HDR, len);
	return (uint32_t)c;
}

static void encode_header(uint8_t *h, uint64_t id)
{
	memset(h, 0, HDR_SIZE);
	memcpy(h, file_magic, 8);
	put32(h + 8, VERSION);
	put32(h + 12, HDR_SIZE);
	put64(h + 16, id);
	put32(h + 28, (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 28));
}

static uint64_t new_id(void)
{
	uint64_t id = 0;

	/* not a secret against us, only unguessable from the network */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 40;
	}
	return id ? id : 1;
}

/* ---- the directory --------------------------------------------------------- */

/*
 * Every directory above `path` (as written, and as resolved) must be
 * owned by root or uid and not writable by others unless sticky (/tmp):
 * whoever can rename an entry in one of them can put a directory of
 * their choice where spool_dir was, or repoint a symbolic link on the way.
 */
static int parents_checked(const char *path, uid_t uid, const char *dir, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (n >= sizeof(buf) || path[0] != '/')
		return 0;
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	for (;;) {
		char *slash = strrchr(buf, '/');

		if (!slash)
			return 0;
		if (slash == buf)
			slash[1] = 0;	/* "/" itself */
		else
			*slash = 0;
		if (stat(buf, &st) < 0)
			return 0;	/* the directory itself reports it */
		if (st.st_uid != 0 && st.st_uid != uid) {
			snprintf(err, errlen, "spool_dir %s: its parent %s is owned by uid %u, who can replace "
				 "spool_dir; move spool_dir under a directory owned by root or uid %u", dir,
				 buf, (unsigned)st.st_uid, (unsigned)uid);
			return -EPERM;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
			snprintf(err, errlen, "spool_dir %s: its parent %s is writable by %s (mode %04o), who "
				 "can replace spool_dir: chmod go-w %s", dir, buf,
				 (st.st_mode & S_IWOTH) ? "everyone" : "its group",
				 (unsigned)(st.st_mode & 07777), buf);
			return -EPERM;
		}
		if (!strcmp(buf, "/"))
			return 0;
	}
}

static int dir_open_checked(const char *dir, uid_t uid, int *dfd, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	e = parents_checked(dir, uid, dir, err, errlen);
	if (e)
		return e;
	/* a symbolic link as spool_dir itself is the operator's choice; what
	 * counts is the directory it leads to, checked on the descriptor */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "spool_dir %s: %s", dir, strerror(-e));
		return e;
	}
	if (fstat(fd, &st) < 0) {
		e = -errno;
		snprintf(err, errlen, "spool_dir %s: %s", dir, strerror(-e));
		close(fd);
		return e;
	}
	if (st.st_uid != uid) {
		snprintf(err, errlen, "spool_dir %s is owned by uid %u, not by uid %u that runs edgesteer; "
			 "anyone who owns it can replace the spool: chown it to uid %u or pick another "
			 "directory", dir, (unsigned)st.st_uid, (unsigned)uid, (unsigned)uid);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "spool_dir %s is writable by %s (mode %04o); anyone who can write it "
			 "can replace the spool: chmod go-w %s", dir,
			 (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777), dir);
		close(fd);
		return -EPERM;
	}
	{
		char real[PATH_MAX];

		e = realpath(dir, real) ? parents_checked(real, uid, dir, err, errlen) : 0;
		if (e) {
			close(fd);
			return e;
		}
	}
	*dfd = fd;
	return 0;
}

int spool_dir_check(const char *dir, uid_t uid, char *err, size_t errlen)
{
	int dfd, e = dir_open_checked(dir, uid, &dfd, err, errlen);

	if (!e)
		close(dfd);
	return e;
}

/* ---- writing --------------------------------------------------------------- */

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = pwrite(fd, p + *done, len - *done, (off_t)(off + *done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		*done += (size_t)n;
	}
	return 0;
}

static void do_sync(struct spool *s)
{
	if (!s->dirty)
		return;
	if (fdatasync(s->fd) < 0)
		pr_err("syslog: spool %s: fdatasync: %s", s->path, strerror(errno));
	s->dirty = 0;
	s->st.syncs++;
}

/* Write the write buffer (after the header if the file has none yet).
 * On failure its records are lost and the file is cut back to the last
 * complete record. */
static int flush(struct spool *s)
{
	uint8_t h[HDR_SIZE];
	size_t done = 0;
	int err = 0;

	if (!s->wlen)
		return 0;
	if (!s->hdr_on_disk) {
		encode_header(h, s->id);
		err = pwrite_all(s->fd, h, HDR_SIZE, 0, &done);
		if (err)
			goto fail;
		s->hdr_on_disk = 1;
	}
	err = pwrite_all(s->fd, s->wbuf, s->wlen, HDR_SIZE + s->flushed, &done);
	if (err)
		goto fail;
	if (s->failing)
		pr_notice("syslog: spool %s: writes succeed again", s->path);
	s->failing = 0;
	s->flushed += s->wlen;
	s->wlen = 0;
	s->wrecs = 0;
	s->dirty = 1;
	return 0;
fail:
	s->st.write_errors++;
	s->st.lost_records += s->wrecs;
	if (!s->failing)
		pr_err("syslog: spool %s: write at offset %llu: %s; %u records lost (counted as "
		       "overflow), more failures are only counted until a write succeeds", s->path,
		       (unsigned long long)(HDR_SIZE + s->flushed), strerror(-err), s->wrecs);
	s->failing = 1;
	/* a half record must not stay where the next write goes */
	if (!s->flushed)
		s->hdr_on_disk = 0;
	if (ftruncate(s->fd, (off_t)(s->flushed ? HDR_SIZE + s->flushed : 0)) < 0 && done)
		pr_err("syslog: spool %s: cutting a partial write: %s (the reader skips it)",
		       s->path, strerror(errno));
	s->end = s->flushed;
	s->wlen = 0;
	s->wrecs = 0;
	s->rlen = 0;
	return err;
}

int spool_append(struct spool *s, uint64_t seq, const void *p, uint32_t len)
{
	uint8_t *h;
	int err;

	if (!s)
		return -ENODEV;
	if (len > SPOOL_REC_MAX)
		return -EMSGSIZE;
	if (s->end + REC_HDR + len > s->max)
		return -ENOSPC;
	if (s->wlen + REC_HDR + len > WBUF_SIZE) {
		err = flush(s);
		if (err)
			return err;
	}
	h = s->wbuf + s->wlen;
	memcpy(h, rec_magic, 4);
	put32(h + 4, len);
	put64(h + 8, seq);
	memcpy(h + REC_HDR, p, len);
	put32(h + 16, rec_crc(s->id, h, len));
	s->wlen += REC_HDR + len;
	s->wrecs++;
	s->end += REC_HDR + len;
	return 0;
}

void spool_tick(struct spool *s)
{
	if (!s)
		return;
	flush(s);
	if (s->sync == SPOOL_SYNC_SECOND)
		do_sync(s);
}

void spool_batch_end(struct spool *s)
{
	if (!s || s->sync != SPOOL_SYNC_BATCH || (!s->wlen && !s->dirty))
		return;
	flush(s);
	do_sync(s);
}

void spool_set_sync(struct spool *s, enum conf_spool_sync sync)
{
	if (s)
		s->sync = sync;
}

int spool_pending(const struct spool *s)
{
	return s && s->wlen;
}

/* ---- reading --------------------------------------------------------------- */

/* Make data [off, off + need) readable in rbuf. */
static int fill(struct spool *s, uint64_t off, size_t need)
{
	size_t want;
	ssize_t n;

	if (off >= s->roff && off + need <= s->roff + s->rlen)
		return 0;
	/* the write buffer first; should that fail, s->end shrinks and the
	 * caller looks again (-ENODATA) */
	if (off + need > s->flushed && (flush(s) < 0 || off + need > s->flushed))
		return -ENODATA;
	want = s->flushed - off < RBUF_SIZE ? (size_t)(s->flushed - off) : RBUF_SIZE;
	do
		n = pread(s->fd, s->rbuf, want, (off_t)(HDR_SIZE + off));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->rlen = 0;
		return -errno;
	}
	s->roff = off;
	s->rlen = (size_t)n;
	return (size_t)n >= need ? 0 : -EIO;	/* shorter than we wrote: cut by someone */
}

/* The next record magic at or after off, or s->end. */
static int find_magic(struct spool *s, uint64_t off, uint64_t *at)
{
	while (off + REC_HDR <= s->end) {
		uint64_t left = s->end - off;
		size_t avail = left < RBUF_SIZE ? (size_t)left : RBUF_SIZE;
		const uint8_t *b, *m;
		int err = fill(s, off, avail);

		if (err == -ENODATA)
			continue;
		if (err)
			return err;
		b = s->rbuf + (off - s->roff);
		m = memmem(b, avail, rec_magic, sizeof(rec_magic));
		if (m) {
			*at = off + (uint64_t)(m - b);
			return 0;
		}
		off += avail - (sizeof(rec_magic) - 1);	/* a magic may straddle windows */
	}
	*at = s->end;
	return 0;
}

static void count_damage(struct spool *s, uint64_t from, uint64_t to)
{
	if (from < s->damage_hw)
		from = s->damage_hw;
	if (to <= from)
		return;
	s->st.damaged_bytes += to - from;
	s->damage_hw = to;
	if (s->damage_logs++ < MAX_DAMAGE_LOGS)
		pr_warn("syslog: spool %s: skipped %llu damaged bytes at offset %llu; reading resumes at "
			"the next valid record", s->path, (unsigned long long)(to - from),
			(unsigned long long)(HDR_SIZE + from));
}

int spool_read(struct spool *s, uint64_t off, struct spool_rec *rec)
{
	uint64_t start = off;
	int err;

	if (!s)
		return -ENOENT;
	while (off + REC_HDR <= s->end) {
		const uint8_t *h;
		uint32_t len;

		err = fill(s, off, REC_HDR);
		if (err == -ENODATA)
			continue;
		if (err)
			return err;
		h = s->rbuf + (off - s->roff);
		len = get32(h + 4);
		if (!memcmp(h, rec_magic, 4) && len <= SPOOL_REC_MAX && off + REC_HDR + len <= s->end) {
			err = fill(s, off, REC_HDR + len);
			if (err == -ENODATA)
				continue;
			if (err)
				return err;
			h = s->rbuf + (off - s->roff);
			if (rec_crc(s->id, h, len) == get32(h + 16)) {
				count_damage(s, start, off);
				rec->seq = get64(h + 8);
				rec->p = h + REC_HDR;
				rec->len = len;
				rec->off = off;
				rec->next = off + REC_HDR + len;
				return 0;
			}
		}
		err = find_magic(s, off + 1, &off);
		if (err)
			return err;
	}
	count_damage(s, start, s->end);
	return -ENOENT;
}

uint64_t spool_end(const struct spool *s)
{
	return s ? s->end : 0;
}

/* ---- files in the directory ------------------------------------------------ */

/* Rename NAME.spool to NAME.spool.damaged-TIME: it is kept, never reused. */
static int move_aside(struct spool *s, const char *why)
{
	char ts[32], name[sizeof(s->file) + 48];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(name, sizeof(name), "%s.damaged-%s-%d", s->file, ts, i);
		else
			snprintf(name, sizeof(name), "%s.damaged-%s", s->file, ts);
		if (!renameat2(s->dfd, s->file, s->dfd, name, RENAME_NOREPLACE)) {
			s->st.damaged_files++;
			pr_warn("syslog: spool %s: %s; moved aside as %s/%s, starting a new spool",
				s->path, why, s->dir, name);
			return 0;
		}
		if (errno != EEXIST) {
			int e = -errno;

			pr_err("syslog: spool %s: %s, and cannot move it aside: %s; remove it or fix it",
			       s->path, why, strerror(-e));
			return e;
		}
	}
	pr_err("syslog: spool %s: %s, and 100 damaged copies exist already; clean up %s", s->path, why, s->dir);
	return -EEXIST;
}

static int fsync_dir(struct spool *s)
{
	if (fsync(s->dfd) < 0) {
		int e = -errno;

		pr_err("syslog: spool_dir %s: fsync: %s", s->dir, strerror(-e));
		return e;
	}
	return 0;
}

/* Create NAME.spool (it does not exist), or `file` for the version-1
 * conversion: empty; the header comes with the first record. */
static int create_file(struct spool *s, const char *file, int *out)
{
	int fd, err;

	fd = openat(s->dfd, file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_err("syslog: spool %s/%s: create: %s", s->dir, file, strerror(-err));
		return err;
	}
	s->id = new_id();
	s->hdr_on_disk = 0;
	*out = fd;
	return 0;
}

/*
 * Open NAME.spool if it is a regular file of ours with one link: 0 and
 * the fd; -ENOENT when absent; -EBADF with `why` set when something else
 * sits there (to be moved aside); other -errno on failure.
 */
static int open_ours(struct spool *s, int *out, const char **why)
{
	struct stat a, b;
	int fd;

	if (fstatat(s->dfd, s->file, &a, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(a.st_mode)) {
		*why = "a symbolic link (not followed)";
		return -EBADF;
	}
	if (!S_ISREG(a.st_mode)) {
		*why = "not a regular file";
		return -EBADF;
	}
	if (a.st_uid != geteuid()) {
		*why = "owned by another user";
		return -EBADF;
	}
	if (a.st_nlink != 1) {
		*why = "a file with other hard links";
		return -EBADF;
	}
	/* O_NONBLOCK: should it have become a FIFO since, do not hang on it */
	fd = openat(s->dfd, s->file, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP) {
			*why = "a symbolic link (not followed)";
			return -EBADF;
		}
		return -errno;
	}
	if (fstat(fd, &b) < 0 || b.st_dev != a.st_dev || b.st_ino != a.st_ino) {
		close(fd);
		*why = "replaced while being opened";
		return -EBADF;
	}
	fcntl(fd, F_SETFL, 0);
	if (b.st_mode & 077)
		fchmod(fd, 0600);
	*out = fd;
	return 0;
}

/* Read and remove NAME.spool.pos: 1 and the fields when it parses. */
static int read_pos_file(struct spool *s, unsigned *ver, uint64_t *id, uint64_t *pos)
{
	char name[sizeof(s->file) + 8], buf[128];
	unsigned long long i = 0, p = 0;
	ssize_t n;
	int fd, used = 0, ok = 0;

	snprintf(name, sizeof(name), "%s.pos", s->file);
	fd = openat(s->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			pr_warn("syslog: spool %s/%s: %s; ignored", s->dir, name, strerror(errno));
		unlinkat(s->dfd, name, 0);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "edgesteer-spool %u id=%16llx pos=%llu%n", ver, &i, &p, &used) == 3 &&
		    buf[used] == '\n' && !buf[used + 1]) {
			ok = 1;
		} else if (sscanf(buf, "%llu%n", &p, &used) == 1 && buf[used] == '\n' && !buf[used + 1]) {
			*ver = 1;	/* version 1: a bare file offset */
			ok = 1;
		}
	}
	if (!ok)
		pr_warn("syslog: spool %s/%s: not a position file; the spool is replayed from its start",
			s->dir, name);
	*id = i;
	*pos = p;
	/* used once: a stale one must not come back with a later spool */
	unlinkat(s->dfd, name, 0);
	fsync_dir(s);
	return ok;
}

static int write_pos_file(struct spool *s, uint64_t pos)
{
	char name[sizeof(s->file) + 8], tmp[sizeof(s->file) + 16], buf[96];
	size_t done;
	int fd, n, err;

	snprintf(name, sizeof(name), "%s.pos", s->file);
	snprintf(tmp, sizeof(tmp), "%s.pos.tmp", s->file);
	unlinkat(s->dfd, tmp, 0);
	fd = openat(s->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "edgesteer-spool %u id=%016llx pos=%llu\n", VERSION,
		     (unsigned long long)s->id, (unsigned long long)pos);
	err = pwrite_all(fd, (const uint8_t *)buf, (size_t)n, 0, &done);
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err && renameat(s->dfd, tmp, s->dfd, name) < 0)
		err = -errno;
	if (err) {
		unlinkat(s->dfd, tmp, 0);
		goto fail;
	}
	return fsync_dir(s);
fail:
	pr_err("syslog: spool %s/%s: %s; the next run replays the spool from its start", s->dir, name,
	       strerror(-err));
	return err;
}

/* ---- version 1 ------------------------------------------------------------ */

/*
 * A file without the header: convert it if it starts with a version-1
 * record. 1: converted (s->fd is the new file, *pos translated); 0: not
 * version 1; -errno on failure.
 */
static int convert_v1(struct spool *s, int old, uint64_t size, int have_pos, uint64_t *pos)
{
	char tmp[sizeof(s->file) + 8];
	uint64_t off = 0, last = 0, newpos = 0, max = s->max;
	uint8_t *rec = NULL;
	int fd = -1, err, n = 0, pos_found = !have_pos;

	snprintf(tmp, sizeof(tmp), "%s.v2", s->file);
	rec = malloc(V1_HDR + SPOOL_REC_MAX);
	if (!rec)
		return -ENOMEM;
	while (off + V1_HDR <= size) {
		uint32_t len;
		uint64_t seq;

		if (pread(old, rec, V1_HDR, (off_t)off) != V1_HDR)
			break;
		memcpy(&len, rec, 4);	/* version 1 wrote host order */
		memcpy(&seq, rec + 4, 8);
		if (len > SPOOL_REC_MAX || off + V1_HDR + len > size || (n && seq <= last))
			break;
		if (pread(old, rec + V1_HDR, len, (off_t)(off + V1_HDR)) != (ssize_t)len)
			break;
		if (!n) {
			unlinkat(s->dfd, tmp, 0);
			err = create_file(s, tmp, &fd);
			if (err)
				goto out;
			s->fd = fd;
		}
		if (have_pos && off == *pos) {
			newpos = s->end;
			pos_found = 1;
		}
		s->max = UINT64_MAX;	/* version 2 is larger: keep all that was kept */
		err = spool_append(s, seq, rec + V1_HDR, len);
		s->max = max;
		if (err)
			goto out;
		last = seq;
		n++;
		off += V1_HDR + len;
	}
	err = 0;
	if (!n)
		goto out;
	if (have_pos && off == *pos) {
		newpos = s->end;
		pos_found = 1;
	}
	err = flush(s);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (err)
		goto out;
	if (off < size) {
		err = move_aside(s, "a version-1 spool damaged after its last readable record");
		if (err)
			goto out;
	}
	if (renameat(s->dfd, tmp, s->dfd, s->file) < 0) {
		err = -errno;
		goto out;
	}
	fsync_dir(s);
	pr_notice("syslog: spool %s: converted %d records from version 1", s->path, n);
	*pos = pos_found ? newpos : 0;
	close(old);
	free(rec);
	return 1;
out:
	if (fd >= 0) {
		close(fd);
		unlinkat(s->dfd, tmp, 0);
		s->fd = -1;
		s->end = s->flushed = 0;
		s->wlen = 0;
		s->wrecs = 0;
	}
	free(rec);
	if (err)
		pr_err("syslog: spool %s: converting from version 1: %s", s->path, strerror(-err));
	return err;
}

/* ---- open and close -------------------------------------------------------- */

/* 0: s->fd is a valid version-2 spool of ours (maybe converted); the
 * position file is consumed into *pos (*have_pos 0 when unusable). */
static int open_file(struct spool *s, uint64_t *pos, int *have_pos)
{
	uint8_t h[HDR_SIZE];
	const char *why = NULL;
	unsigned ver = 0;
	uint64_t pid = 0;
	struct stat st;
	ssize_t n;
	int fd = -1, err;

	memset(h, 0, sizeof(h));
	*have_pos = read_pos_file(s, &ver, &pid, pos);
	err = open_ours(s, &fd, &why);
	if (err == -ENOENT)
		goto create;
	if (err == -EBADF)
		goto aside;
	if (err) {
		pr_err("syslog: spool %s: %s", s->path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (st.st_size == 0) {
		/* an empty spool; a position file cannot point into it */
		s->fd = fd;
		s->id = new_id();
		*have_pos = 0;
		return 0;
	}
	n = pread(fd, h, HDR_SIZE, 0);
	if (n == (ssize_t)HDR_SIZE && !memcmp(h, file_magic, 8) &&
	    get32(h + 28) == (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 28)) {
		if (get32(h + 8) != VERSION || get32(h + 12) != HDR_SIZE) {
			close(fd);
			why = "a spool of another version";
			goto aside;
		}
		s->fd = fd;
		s->id = get64(h + 16);
		s->hdr_on_disk = 1;
		s->end = s->flushed = (uint64_t)st.st_size - HDR_SIZE;
		if (*have_pos && (ver != VERSION || pid != s->id)) {
			pr_warn("syslog: spool %s: the position file belongs to another spool; replaying "
				"from the start", s->path);
			*have_pos = 0;
		}
		return 0;
	}
	if (memcmp(h, file_magic, 8)) {
		err = convert_v1(s, fd, (uint64_t)st.st_size, *have_pos && ver == 1, pos);
		if (err < 0) {
			close(fd);
			return err;
		}
		if (err == 1) {
			*have_pos = *have_pos && ver == 1;
			return 0;
		}
	}
	close(fd);
	why = "not a spool (no valid header)";
aside:
	err = move_aside(s, why);
	if (err)
		return err;
	*have_pos = 0;
create:
	err = create_file(s, s->file, &s->fd);
	if (!err)
		err = fsync_dir(s);
	return err;
}

void spool_reset(struct spool *s)
{
	if (!s || (!s->end && !s->flushed && !s->hdr_on_disk))
		return;
	s->end = s->flushed = s->damage_hw = 0;
	s->wlen = 0;
	s->wrecs = 0;
	s->rlen = 0;
	/* Should the cut fail, the old records stay on disk, but under the
	 * new id (written with the next record) they fail their CRC and are
	 * skipped as damage. The new id also voids a stale position file. */
	if (ftruncate(s->fd, 0) < 0)
		pr_warn("syslog: spool %s: truncate: %s", s->path, strerror(errno));
	s->hdr_on_disk = 0;
	s->id = new_id();
	s->dirty = 1;
}

/*
 * Walk every record once: check them, find the last seq, check pos.
 * Returns whether any record lies at or after the position.
 */
static int scan(struct spool *s, uint64_t *pos, int have_pos, struct spool_resume *res)
{
	struct spool_rec r;
	uint64_t off = 0, first_any = 0;
	int pos_ok = 0, any = 0, after = 0;

	res->first_seq = res->last_seq = 0;
	while (spool_read(s, off, &r) == 0) {
		if (!any)
			first_any = r.seq;
		any = 1;
		/* pos is good at a record boundary or in the damage before one */
		if (have_pos && *pos >= off && *pos <= r.off && !pos_ok) {
			pos_ok = 1;
			after = 1;
			res->first_seq = r.seq;
		}
		if (r.seq > res->last_seq)
			res->last_seq = r.seq;
		off = r.next;
	}
	if (have_pos && !pos_ok && *pos >= off && *pos <= s->end)
		pos_ok = 1;	/* at the end: everything was confirmed */
	if (have_pos && !pos_ok)
		pr_warn("syslog: spool %s: the position file points inside a record (offset %llu); "
			"replaying from the start", s->path, (unsigned long long)(HDR_SIZE + *pos));
	if (!pos_ok) {
		*pos = 0;
		res->first_seq = first_any;
		after = any;
	}
	return after;
}

int spool_open(const struct spool_opts *o, struct spool **out, struct spool_resume *res)
{
	char err_msg[CONF_PATH_MAX + 256];
	struct spool *s = calloc(1, sizeof(*s));
	int have_pos, err;

	memset(res, 0, sizeof(*res));
	if (!s)
		return -ENOMEM;
	s->dfd = s->fd = -1;
	s->max = o->max;
	s->sync = o->sync;
	snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
	snprintf(s->file, sizeof(s->file), "%s.spool", o->name);
	snprintf(s->path, sizeof(s->path), "%s/%s", o->dir, s->file);
	s->wbuf = malloc(WBUF_SIZE);
	s->rbuf = malloc(RBUF_SIZE);
	if (!s->wbuf || !s->rbuf) {
		err = -ENOMEM;
		goto fail;
	}
	err = dir_open_checked(s->dir, geteuid(), &s->dfd, err_msg, sizeof(err_msg));
	if (err == -ENOENT) {
		if (mkdir(s->dir, 0700) < 0 && errno != EEXIST) {
			err = -errno;
			snprintf(err_msg, sizeof(err_msg), "spool_dir %s: cannot create it: %s", s->dir,
				 strerror(-err));
		} else {
			err = dir_open_checked(s->dir, geteuid(), &s->dfd, err_msg, sizeof(err_msg));
		}
	}
	if (err) {
		pr_err("syslog: %s", err_msg);
		goto fail;
	}
	err = open_file(s, &res->pos, &have_pos);
	if (err)
		goto fail;
	if (!scan(s, &res->pos, have_pos, res)) {
		/* nothing unconfirmed (what is left is damage): start empty */
		spool_reset(s);
		res->pos = 0;
		res->first_seq = 0;
	}
	s->st.bytes = s->end;
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->wbuf);
	free(s->rbuf);
	free(s);
	return err;
}

void spool_close(struct spool *s, uint64_t pos)
{
	if (!s)
		return;
	flush(s);
	do_sync(s);
	if (s->end)
		write_pos_file(s, pos < s->end ? pos : s->end);
	close(s->fd);
	close(s->dfd);
	free(s->wbuf);
	free(s->rbuf);
	free(s);
}

bool spool_fits(const struct spool *s, uint64_t records, uint64_t bytes)
{
	return s->end + records * REC_HDR + bytes <= s->max;
}

void spool_get_stats(const struct spool *s, struct spool_stats *st)
{
	if (!s) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = s->st;
	st->bytes = s->end;
}

const char *spool_path(const struct spool *s)
{
	return s ? s->path : "";
}
