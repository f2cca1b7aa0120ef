// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the on-disk spool: what it refuses to touch, how it reads
 * past damage, what the position file may say, and what a full disk
 * leaves behind. Each test works in its own directory under /tmp.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/log.h"
#include "syslog/spool.h"

#define HDR 32		/* file header */
#define RHDR 20		/* record header */

FIXTURE(sp) {
	char dir[128];		/* spool_dir */
	char top[96];		/* removed at teardown */
};

FIXTURE_SETUP(sp)
{
	snprintf(self->top, sizeof(self->top), "/tmp/spool-test-%d-XXXXXX", getpid());
	ASSERT_TRUE(mkdtemp(self->top) != NULL);
	snprintf(self->dir, sizeof(self->dir), "%s/spool", self->top);
	ASSERT_EQ(mkdir(self->dir, 0700), 0);
	log_set_level(LOG_LVL_DEBUG);
}

FIXTURE_TEARDOWN(sp)
{
	if (self->top[0])
		th_sh("umount -l %s/spool 2>/dev/null; rm -rf %s", self->top, self->top);
}

/* The message stored under seq: its length and bytes follow from seq. */
static uint32_t msg_of(uint64_t seq, char *buf)
{
	uint32_t len = 20 + (uint32_t)(seq * 37 % 300);

	for (uint32_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (seq + i) % 26);
	snprintf(buf, 20, "<13>msg %llu", (unsigned long long)seq);
	return len;
}

static struct spool_opts opts(const char *dir)
{
	struct spool_opts o = { .dir = dir, .name = "central", .max = 1ull << 30,
				.sync = SPOOL_SYNC_SECOND };
	return o;
}

static void path_of(char *out, size_t len, const char *dir, const char *file)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, file) >= len)
		out[0] = 0;
}

/* Append seqs [from, to]; returns how many were accepted. */
static int append_range(struct spool *s, uint64_t from, uint64_t to)
{
	char buf[512];
	int n = 0;

	for (uint64_t q = from; q <= to; q++)
		if (!spool_append(s, q, buf, msg_of(q, buf)))
			n++;
	return n;
}

/* Read every record from off; each must carry its own message. Returns
 * the count, or -1 when a record's bytes are not its message. */
static int read_all(struct spool *s, uint64_t off, uint64_t *seqs, int max)
{
	struct spool_rec r;
	char want[512];
	int n = 0;

	while (spool_read(s, off, &r) == 0) {
		if (r.len != msg_of(r.seq, want) || memcmp(r.p, want, r.len) || r.off < off)
			return -1;
		if (n < max)
			seqs[n] = r.seq;
		n++;
		off = r.next;
	}
	return n;
}

static uint64_t rec_size(uint64_t seq)
{
	char buf[512];

	return RHDR + msg_of(seq, buf);
}

static int count_damaged_copies(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strstr(e->d_name, "central.spool.damaged-"))
			n++;
	closedir(d);
	return n;
}

static void write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		if (write(fd, p, len) < 0)
			perror(path);
		close(fd);
	}
}

static long file_size(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? -1 : (long)st.st_size;
}

TEST_F(sp, records_come_back_in_order_after_a_restart_with_the_position)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	uint64_t seqs[64], pos = 0;
	struct stat st;
	char p[256];

	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.last_seq, 0);
	ASSERT_EQ(append_range(s, 100, 119), 20);
	ASSERT_EQ(read_all(s, 0, seqs, 64), 20);
	EXPECT_EQ(seqs[0], 100);
	EXPECT_EQ(seqs[19], 119);
	for (uint64_t q = 100; q < 105; q++)
		pos += rec_size(q);
	spool_close(s, pos);	/* 100..104 confirmed */
	path_of(p, sizeof(p), self->dir, "central.spool");
	ASSERT_EQ(stat(p, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600);

	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.pos, pos);
	EXPECT_EQ(res.first_seq, 105);
	EXPECT_EQ(res.last_seq, 119);
	EXPECT_EQ(read_all(s, res.pos, seqs, 64), 15);
	/* the position file is used once */
	path_of(p, sizeof(p), self->dir, "central.spool.pos");
	EXPECT_EQ(access(p, F_OK), -1);
	spool_close(s, spool_end(s));

	/* everything confirmed: the next run starts empty */
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.first_seq, 0);
	EXPECT_EQ(spool_end(s), 0);
	spool_close(s, 0);
	path_of(p, sizeof(p), self->dir, "central.spool");
	EXPECT_EQ(file_size(p), 0);
}

TEST_F(sp, planted_symlink_is_not_followed_and_its_target_untouched)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;
	char target[192], link[256], buf[64];
	static const char precious[] = "root:x:0:0:root:/root:/bin/bash\n";
	uint64_t seqs[8];
	int fd;

	snprintf(target, sizeof(target), "%s/precious", self->top);
	write_file(target, precious, strlen(precious));
	/* the spool, its position file and the position file's temporary
	 * name all point at the precious file */
	path_of(link, sizeof(link), self->dir, "central.spool");
	ASSERT_EQ(symlink(target, link), 0);
	path_of(link, sizeof(link), self->dir, "central.spool.pos");
	ASSERT_EQ(symlink(target, link), 0);
	path_of(link, sizeof(link), self->dir, "central.spool.pos.tmp");
	ASSERT_EQ(symlink(target, link), 0);

	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_files, 1);
	EXPECT_EQ(res.first_seq, 0);
	ASSERT_EQ(append_range(s, 1, 3), 3);
	EXPECT_EQ(read_all(s, 0, seqs, 8), 3);
	spool_close(s, 0);

	/* the target is as it was */
	EXPECT_EQ(file_size(target), (long)strlen(precious));
	fd = open(target, O_RDONLY);
	ASSERT_GE(fd, 0);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), (ssize_t)strlen(precious));
	close(fd);
	EXPECT_STREQ(buf, precious);
	/* the link itself was moved aside, the spool is a new file of ours */
	EXPECT_EQ(count_damaged_copies(self->dir), 1);
	path_of(link, sizeof(link), self->dir, "central.spool");
	{
		struct stat ls;

		ASSERT_EQ(lstat(link, &ls), 0);
		EXPECT_TRUE(S_ISREG(ls.st_mode));
		path_of(link, sizeof(link), self->dir, "central.spool.pos");
		ASSERT_EQ(lstat(link, &ls), 0);
		EXPECT_TRUE(S_ISREG(ls.st_mode));
	}
}

TEST_F(sp, hard_link_and_fifo_are_moved_aside_unread)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;
	char target[192], p[256];

	snprintf(target, sizeof(target), "%s/spool/other", self->top);
	write_file(target, "other data", 10);
	path_of(p, sizeof(p), self->dir, "central.spool");
	ASSERT_EQ(link(target, p), 0);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_files, 1);
	spool_close(s, 0);
	EXPECT_EQ(file_size(target), 10);

	ASSERT_EQ(unlink(p), 0);
	ASSERT_EQ(mkfifo(p, 0600), 0);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);	/* does not hang on the FIFO */
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_files, 1);
	spool_close(s, 0);
	EXPECT_EQ(count_damaged_copies(self->dir), 2);
}

TEST_F(sp, group_writable_spool_dir_is_refused)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s = NULL;
	char err[512];

	ASSERT_EQ(chmod(self->dir, 0770), 0);
	EXPECT_EQ(spool_open(&o, &s, &res), -EPERM);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), -EPERM);
	TH_LOG("%s", err);
	EXPECT_TRUE(strstr(err, self->dir) != NULL);
	EXPECT_TRUE(strstr(err, "group") != NULL);
	EXPECT_TRUE(strstr(err, "chmod go-w") != NULL);
	/* nothing was created in it */
	{
		char p[256];

		path_of(p, sizeof(p), self->dir, "central.spool");
		EXPECT_EQ(access(p, F_OK), -1);
	}

	ASSERT_EQ(chmod(self->dir, 0703), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), -EPERM);
	EXPECT_TRUE(strstr(err, "everyone") != NULL);

	/* owned by someone else */
	ASSERT_EQ(chmod(self->dir, 0700), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid() + 1, err, sizeof(err)), -EPERM);
	EXPECT_TRUE(strstr(err, "owned by uid") != NULL);
}

TEST_F(sp, spool_dir_under_an_unsafe_parent_is_refused)
{
	char err[512], bad[192], link[192], sub[192];

	/* a group-writable parent: its group can rename spool_dir away */
	ASSERT_EQ(chmod(self->top, 0770), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), -EPERM);
	TH_LOG("%s", err);
	EXPECT_TRUE(strstr(err, "its parent") != NULL);
	EXPECT_TRUE(strstr(err, self->top) != NULL);
	/* also when spool_dir does not exist yet */
	snprintf(sub, sizeof(sub), "%s/not-yet", self->top);
	EXPECT_EQ(spool_dir_check(sub, geteuid(), err, sizeof(err)), -EPERM);
	/* sticky, like /tmp: others cannot rename what is not theirs */
	ASSERT_EQ(chmod(self->top, 01777), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), 0);
	/* owned by someone else */
	ASSERT_EQ(chmod(self->top, 0755), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid() + 1, err, sizeof(err)), -EPERM);
	ASSERT_EQ(chown(self->top, geteuid() + 1, (gid_t)-1), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), -EPERM);
	EXPECT_TRUE(strstr(err, "is owned by uid") != NULL);
	ASSERT_EQ(chown(self->top, geteuid(), (gid_t)-1), 0);

	/* a symbolic link to a good spool_dir, in a directory anyone can
	 * write: anyone can repoint it */
	snprintf(bad, sizeof(bad), "%s/open", self->top);
	ASSERT_EQ(mkdir(bad, 0777), 0);
	ASSERT_EQ(chmod(bad, 0777), 0);
	snprintf(link, sizeof(link), "%s/open/link", self->top);
	ASSERT_EQ(symlink(self->dir, link), 0);
	EXPECT_EQ(spool_dir_check(link, geteuid(), err, sizeof(err)), -EPERM);
	EXPECT_TRUE(strstr(err, "writable by everyone") != NULL);
	/* the same link in a safe directory is fine */
	ASSERT_EQ(chmod(bad, 0755), 0);
	EXPECT_EQ(spool_dir_check(link, geteuid(), err, sizeof(err)), 0);
}

TEST_F(sp, missing_spool_dir_is_created_private)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	struct stat st;
	char err[512];

	ASSERT_EQ(rmdir(self->dir), 0);
	EXPECT_EQ(spool_dir_check(self->dir, geteuid(), err, sizeof(err)), -ENOENT);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	ASSERT_EQ(stat(self->dir, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0700);
	spool_close(s, 0);
}

TEST_F(sp, damaged_file_is_moved_aside)
{
	static const char junk[] = "this is not a spool, and it is not ours to cut\n";
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;
	char p[256], copy[256], buf[128];
	DIR *d;
	struct dirent *e;
	int fd;

	path_of(p, sizeof(p), self->dir, "central.spool");
	write_file(p, junk, strlen(junk));
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_files, 1);
	EXPECT_EQ(spool_end(s), 0);
	EXPECT_EQ(res.last_seq, 0);
	spool_close(s, 0);

	/* the old bytes are kept, whole, under the damaged name */
	copy[0] = 0;
	d = opendir(self->dir);
	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		if (strstr(e->d_name, "central.spool.damaged-"))
			path_of(copy, sizeof(copy), self->dir, e->d_name);
	closedir(d);
	ASSERT_NE(copy[0], 0);
	TH_LOG("moved aside as %s", copy);
	fd = open(copy, O_RDONLY);
	ASSERT_GE(fd, 0);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), (ssize_t)strlen(junk));
	close(fd);
	EXPECT_STREQ(buf, junk);
}

/* Spool seqs 1..10, close, and return the file offset of record k. */
static long spool_ten(struct th_metadata *_metadata, const char *dir, uint64_t k)
{
	struct spool_opts o = opts(dir);
	struct spool_resume res;
	struct spool *s;
	long off = HDR;

	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	ASSERT_EQ(append_range(s, 1, 10), 10);
	spool_close(s, 0);
	for (uint64_t q = 1; q < k; q++)
		off += (long)rec_size(q);
	return off;
}

static void poke(const char *dir, long off, uint8_t xor_with)
{
	char p[256];
	uint8_t b;
	int fd;

	path_of(p, sizeof(p), dir, "central.spool");
	fd = open(p, O_RDWR);
	if (fd < 0)
		return;
	if (pread(fd, &b, 1, off) == 1) {
		b ^= xor_with;
		if (pwrite(fd, &b, 1, off) != 1)
			perror(p);
	}
	close(fd);
}

TEST_F(sp, damaged_record_in_the_middle_is_skipped_and_the_rest_read)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;
	uint64_t seqs[16];
	long r5 = spool_ten(_metadata, self->dir, 5), r8 = r5 + (long)(rec_size(5) + rec_size(6) + rec_size(7));

	poke(self->dir, r5 + RHDR + 3, 0x20);	/* a payload byte of seq 5 */
	poke(self->dir, r8 + 5, 0x7f);		/* the length of seq 8 */
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.first_seq, 1);
	EXPECT_EQ(res.last_seq, 10);
	ASSERT_EQ(read_all(s, 0, seqs, 16), 8);
	EXPECT_EQ(seqs[3], 4);
	EXPECT_EQ(seqs[4], 6);
	EXPECT_EQ(seqs[5], 7);
	EXPECT_EQ(seqs[6], 9);
	EXPECT_EQ(seqs[7], 10);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_files, 0);
	EXPECT_EQ(st.damaged_bytes, rec_size(5) + rec_size(8));
	/* reading again counts nothing twice */
	ASSERT_EQ(read_all(s, 0, seqs, 16), 8);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_bytes, rec_size(5) + rec_size(8));
	spool_close(s, 0);
	EXPECT_EQ(count_damaged_copies(self->dir), 0);
}

TEST_F(sp, truncated_last_record_is_ignored_and_appends_follow)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	uint64_t seqs[16];
	char p[256];
	long size;

	spool_ten(_metadata, self->dir, 1);
	path_of(p, sizeof(p), self->dir, "central.spool");
	size = file_size(p);
	ASSERT_EQ(truncate(p, size - 7), 0);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.last_seq, 9);
	ASSERT_EQ(read_all(s, 0, seqs, 16), 9);
	/* new records after the torn one are read, the torn one never */
	ASSERT_EQ(append_range(s, 11, 12), 2);
	ASSERT_EQ(read_all(s, 0, seqs, 16), 11);
	EXPECT_EQ(seqs[8], 9);
	EXPECT_EQ(seqs[9], 11);
	spool_close(s, 0);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.last_seq, 12);
	EXPECT_EQ(read_all(s, 0, seqs, 16), 11);
	spool_close(s, 0);

	/* only a header left of a record */
	spool_ten(_metadata, self->dir, 1);
	ASSERT_EQ(truncate(p, file_size(p) - (long)rec_size(10) + 9), 0);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(read_all(s, 0, seqs, 16), 9 + 11);
	spool_close(s, 0);
}

/* Write NAME.spool.pos with `text`, reopen, return where it resumes. */
static uint64_t resume_with(struct th_metadata *_metadata, const char *dir, const char *text,
			    uint64_t *first_seq)
{
	struct spool_opts o = opts(dir);
	struct spool_resume res;
	struct spool *s;
	char p[256];

	path_of(p, sizeof(p), dir, "central.spool.pos");
	unlink(p);
	if (text)
		write_file(p, text, strlen(text));
	if (spool_open(&o, &s, &res)) {
		th_note_failure(__FILE__, __LINE__, "spool_open failed");
		return UINT64_MAX;
	}
	*first_seq = res.first_seq;
	/* leave the file as it was: no position, nothing confirmed */
	spool_close(s, 0);
	unlink(p);
	return res.pos;
}

TEST_F(sp, wrong_or_absent_position_file_replays_from_the_start)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	uint64_t first = 0, r4 = 0, id;
	char p[256], text[128], h[32];
	int fd;

	spool_ten(_metadata, self->dir, 1);
	for (uint64_t q = 1; q < 4; q++)
		r4 += rec_size(q);
	path_of(p, sizeof(p), self->dir, "central.spool");
	fd = open(p, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pread(fd, h, 32, 0), 32);
	close(fd);
	memcpy(&id, h + 16, 8);

	/* the right one */
	snprintf(text, sizeof(text), "edgesteer-spool 2 id=%016llx pos=%llu\n", (unsigned long long)id,
		 (unsigned long long)r4);
	EXPECT_EQ(resume_with(_metadata, self->dir, text, &first), r4);
	EXPECT_EQ(first, 4);
	/* absent */
	EXPECT_EQ(resume_with(_metadata, self->dir, NULL, &first), 0);
	EXPECT_EQ(first, 1);
	/* another spool's id */
	snprintf(text, sizeof(text), "edgesteer-spool 2 id=%016llx pos=%llu\n",
		 (unsigned long long)(id ^ 1), (unsigned long long)r4);
	EXPECT_EQ(resume_with(_metadata, self->dir, text, &first), 0);
	EXPECT_EQ(first, 1);
	/* inside a record */
	snprintf(text, sizeof(text), "edgesteer-spool 2 id=%016llx pos=%llu\n", (unsigned long long)id,
		 (unsigned long long)(r4 + 3));
	EXPECT_EQ(resume_with(_metadata, self->dir, text, &first), 0);
	EXPECT_EQ(first, 1);
	/* beyond the end */
	snprintf(text, sizeof(text), "edgesteer-spool 2 id=%016llx pos=%llu\n", (unsigned long long)id,
		 1ull << 40);
	EXPECT_EQ(resume_with(_metadata, self->dir, text, &first), 0);
	/* garbage, a bare number (an old position file with a new spool), empty */
	EXPECT_EQ(resume_with(_metadata, self->dir, "\x01\x02garbage", &first), 0);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)r4);
	EXPECT_EQ(resume_with(_metadata, self->dir, text, &first), 0);
	EXPECT_EQ(resume_with(_metadata, self->dir, "", &first), 0);
	EXPECT_EQ(first, 1);

	/* none of that touched the records */
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	{
		uint64_t seqs[16];

		EXPECT_EQ(read_all(s, 0, seqs, 16), 10);
	}
	spool_close(s, 0);
}

TEST_F(sp, version_1_spool_is_converted_with_its_position)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	uint64_t seqs[16], v1pos = 0, want = 0;
	char p[256], text[64], buf[512];
	int fd;

	/* version 1: [u32 len][u64 seq][bytes] from offset 0, host order */
	path_of(p, sizeof(p), self->dir, "central.spool");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	for (uint64_t q = 50; q < 56; q++) {
		uint32_t len = msg_of(q, buf);

		if (q == 53)
			v1pos = (uint64_t)lseek(fd, 0, SEEK_CUR);
		ASSERT_EQ(write(fd, &len, 4), 4);
		ASSERT_EQ(write(fd, &q, 8), 8);
		ASSERT_EQ(write(fd, buf, len), (ssize_t)len);
	}
	close(fd);
	for (uint64_t q = 50; q < 53; q++)
		want += rec_size(q);
	path_of(p, sizeof(p), self->dir, "central.spool.pos");
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)v1pos);
	write_file(p, text, strlen(text));

	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.last_seq, 55);
	EXPECT_EQ(res.first_seq, 53);
	EXPECT_EQ(res.pos, want);
	EXPECT_EQ(read_all(s, 0, seqs, 16), 6);
	EXPECT_EQ(read_all(s, res.pos, seqs, 16), 3);
	EXPECT_EQ(seqs[0], 53);
	spool_close(s, res.pos);
	EXPECT_EQ(count_damaged_copies(self->dir), 0);
	/* and it is version 2 now */
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	EXPECT_EQ(res.pos, want);
	EXPECT_EQ(read_all(s, res.pos, seqs, 16), 3);
	spool_close(s, 0);
}

/*
 * Fill the disk (`limit` set by the caller), then check what is left:
 * every record read back is whole and is its own message, and the spool
 * works again once there is room.
 */
static void fill_until_full(struct th_metadata *_metadata, const char *dir, void (*make_room)(const char *))
{
	struct spool_opts o = opts(dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;
	uint64_t q, seqs[1], ok = 0, last_ok = 0;
	int n, fails = 0;
	char buf[512];

	o.sync = SPOOL_SYNC_NEVER;
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	for (q = 1; q < 100000 && fails < 50; q++) {
		if (spool_append(s, q, buf, msg_of(q, buf)))
			fails++;
		if (q % 97 == 0)
			spool_tick(s);
	}
	spool_tick(s);
	spool_get_stats(s, &st);
	TH_LOG("%llu appends, %d refused, %llu write errors, %llu records lost, %llu bytes kept",
	       (unsigned long long)q - 1, fails, (unsigned long long)st.write_errors,
	       (unsigned long long)st.lost_records, (unsigned long long)spool_end(s));
	ASSERT_GT(st.write_errors, 0);
	n = read_all(s, 0, seqs, 1);
	ASSERT_GT(n, 0);
	spool_close(s, 0);

	/* a new run reads only whole records, its own messages each */
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.damaged_bytes, 0);
	EXPECT_EQ(st.damaged_files, 0);
	EXPECT_EQ(read_all(s, 0, seqs, 1), n);
	last_ok = res.last_seq;
	make_room(dir);
	for (q = last_ok + 1000; q < last_ok + 1010; q++)
		ok += spool_append(s, q, buf, msg_of(q, buf)) == 0;
	EXPECT_EQ(ok, 10);
	spool_tick(s);
	EXPECT_EQ(read_all(s, 0, seqs, 1), n + 10);
	spool_close(s, 0);
}

static void raise_fsize(const char *dir)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	(void)dir;
	setrlimit(RLIMIT_FSIZE, &rl);
}

TEST_F(sp, file_size_limit_leaves_the_spool_readable)
{
	struct rlimit rl = { 150000, RLIM_INFINITY };

	/* write() past the limit fails with EFBIG instead of killing us */
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	fill_until_full(_metadata, self->dir, raise_fsize);
}

static void free_tmpfs(const char *dir)
{
	char p[256];

	path_of(p, sizeof(p), dir, "filler");
	unlink(p);
}

TEST_F(sp, full_disk_leaves_the_spool_readable)
{
	char p[256];

	/* a 256 KB tmpfs in a mount namespace of our own */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP(return, "no mount namespace: %s", strerror(errno));
	ASSERT_EQ(mount("tmpfs", self->dir, "tmpfs", 0, "size=256k,mode=0700"), 0);
	/* something to delete later, to make room again */
	path_of(p, sizeof(p), self->dir, "filler");
	{
		static char junk[64 << 10];

		write_file(p, junk, sizeof(junk));
	}
	fill_until_full(_metadata, self->dir, free_tmpfs);
}

TEST_F(sp, spool_max_refuses_appends_without_damage)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	uint64_t seqs[1];
	char buf[512];
	int n;

	o.max = 4096;
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	n = append_range(s, 1, 100);
	EXPECT_LT(n, 100);
	EXPECT_EQ(spool_append(s, 101, buf, msg_of(101, buf)), -ENOSPC);
	EXPECT_LE(spool_end(s), 4096);
	EXPECT_EQ(read_all(s, 0, seqs, 1), n);
	spool_close(s, 0);
}

TEST_F(sp, embedded_record_in_a_message_is_not_taken_for_one)
{
	struct spool_opts o = opts(self->dir);
	struct spool_resume res;
	struct spool *s;
	struct spool_rec r;
	uint8_t msg[200], inner[64];
	uint64_t n = 0, off = 0;

	/* a syslog message that carries a record as well-formed as one can
	 * make it without knowing the file's id: its CRC covers its header
	 * and payload */
	memset(msg, 'x', sizeof(msg));
	memcpy(inner, "\xf3\x5d\xa7\x1c", 4);
	inner[4] = 10, inner[5] = inner[6] = inner[7] = 0;
	memset(inner + 8, 0, 8);
	inner[8] = 0xff;
	memset(inner + 20, 'E', 10);
	{
		uint32_t c = (uint32_t)crc32(crc32(0L, inner + 4, 12), inner + 20, 10);

		for (int i = 0; i < 4; i++)
			inner[16 + i] = (uint8_t)(c >> (8 * i));
	}
	memcpy(msg + 40, inner, 30);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	ASSERT_EQ(spool_append(s, 1, msg, sizeof(msg)), 0);
	ASSERT_EQ(spool_append(s, 2, msg, sizeof(msg)), 0);
	spool_close(s, 0);
	/* damage the first record's header: the reader resynchronises, and
	 * lands on the inner magic, which must not validate */
	poke(self->dir, HDR + 1, 0xff);
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	while (spool_read(s, off, &r) == 0) {
		EXPECT_EQ(r.seq, 2);
		EXPECT_EQ(r.len, sizeof(msg));
		off = r.next;
		n++;
	}
	EXPECT_EQ(n, 1);
	spool_close(s, 0);
}

/* How many fdatasync calls each hook makes under `sync`. */
static void syncs_under(struct th_metadata *_metadata, const char *dir, enum conf_spool_sync sync,
			uint64_t *after_batch, uint64_t *after_tick, uint64_t *after_both)
{
	struct spool_opts o = opts(dir);
	struct spool_resume res;
	struct spool_stats st;
	struct spool *s;

	o.sync = sync;
	ASSERT_EQ(spool_open(&o, &s, &res), 0);
	ASSERT_EQ(append_range(s, 1, 5), 5);
	spool_batch_end(s);
	spool_get_stats(s, &st);
	*after_batch = st.syncs;
	ASSERT_EQ(append_range(s, 6, 10), 5);
	spool_tick(s);
	spool_get_stats(s, &st);
	*after_tick = st.syncs - *after_batch;
	EXPECT_FALSE(spool_pending(s));
	/* what the timer wrote and did not sync, a batch end syncs */
	spool_batch_end(s);
	spool_tick(s);
	spool_get_stats(s, &st);
	*after_both = st.syncs - *after_batch - *after_tick;
	/* nothing new: no sync at all, whatever the policy */
	spool_batch_end(s);
	spool_tick(s);
	spool_get_stats(s, &st);
	EXPECT_EQ(st.syncs, *after_batch + *after_tick + *after_both);
	spool_close(s, 0);
	th_sh("rm -f %s/central.spool*", dir);
}

static int load_forward(const char *top, const char *extra, struct conf **c, FILE *errf)
{
	char text[512];

	snprintf(text, sizeof(text), "[syslog]\nlisten = 127.0.0.1:514\n[forward c]\n"
		 "collector = 127.0.0.1:6514\nserver_name = localhost\nca = %s/ca.crt\n%s", top, extra);
	return conf_load_string("t.conf", text, c, errf);
}

TEST_F(sp, spool_sync_decides_when_fdatasync_runs)
{
	struct conf *c = NULL;
	uint64_t b, t, e;
	char conf[512];

	syncs_under(_metadata, self->dir, SPOOL_SYNC_BATCH, &b, &t, &e);
	EXPECT_EQ(b, 1);	/* at the end of the intake batch */
	EXPECT_EQ(t, 0);	/* the timer only writes what waits */
	EXPECT_EQ(e, 1);
	syncs_under(_metadata, self->dir, SPOOL_SYNC_SECOND, &b, &t, &e);
	EXPECT_EQ(b, 0);
	EXPECT_EQ(t, 1);	/* on the timer */
	EXPECT_EQ(e, 0);
	syncs_under(_metadata, self->dir, SPOOL_SYNC_NEVER, &b, &t, &e);
	EXPECT_EQ(b, 0);
	EXPECT_EQ(t, 0);
	EXPECT_EQ(e, 0);

	/* the key: second by default, the three words, nothing else */
	snprintf(conf, sizeof(conf), "%s/ca.crt", self->top);
	write_file(conf, "x", 1);
	ASSERT_EQ(load_forward(self->top, "", &c, NULL), 0);
	EXPECT_EQ(c->forwards[0].spool_sync, SPOOL_SYNC_SECOND);
	conf_free(c);
	ASSERT_EQ(load_forward(self->top, "spool_sync = batch\n", &c, NULL), 0);
	EXPECT_EQ(c->forwards[0].spool_sync, SPOOL_SYNC_BATCH);
	conf_free(c);
	ASSERT_EQ(load_forward(self->top, "spool_sync = Never\n", &c, NULL), 0);
	EXPECT_EQ(c->forwards[0].spool_sync, SPOOL_SYNC_NEVER);
	conf_free(c);
	{
		char err[512] = "";
		FILE *ef = fmemopen(err, sizeof(err), "w");

		EXPECT_NE(load_forward(self->top, "spool_sync = always\n", &c, ef), 0);
		fclose(ef);
		TH_LOG("%s", err);
		EXPECT_TRUE(strstr(err, "t.conf:7: [forward c] spool_sync: 'always' is not one of: "
				   "second | batch | never") != NULL);
	}
}

TEST_HARNESS_MAIN
