// SPDX-License-Identifier: GPL-2.0-only
/* The TLS terminator's credential cache (user/proxy/tls_term.c). */
#include "harness.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <utime.h>

#include "proxy/proxy_int.h"
#include "proxy/tls_term.h"

/* stat() is wrapped to count the calls on the test's certificates: the
 * library is linked statically, so this definition is the one it calls */
static char stat_dir[64];
static int stats;

int stat(const char *restrict path, struct stat *restrict st)
{
	if (stat_dir[0] && strstr(path, stat_dir))
		stats++;
	return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * A certificate renewed in place (new mtime) is loaded anew for new
 * sessions; the old credential and its session cache must go once no
 * session uses it, or every renewal leaks them for the daemon's life.
 */
TEST_TIMEOUT(renewed_certificate_does_not_leak_the_old_one, 60)
{
	const char *src = getenv("EDGESTEER_SRC");
	const struct conn_xform_ops *ops;
	struct conf_route r = { 0 };
	char dir[64];
	size_t base = 0;
	int i;

	snprintf(dir, sizeof(dir), "/tmp/es-review-tlsterm-%d", (int)getpid());
	th_sh("rm -rf %s", dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test >/dev/null", src ? src : ".", dir))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(r.cert, sizeof(r.cert), "%s/server.crt", dir);
	snprintf(r.key, sizeof(r.key), "%s/server.key", dir);
	tls_term_register();
	ops = conn_xform();
	ASSERT_TRUE(ops != NULL);
	tls_term_set_recheck_ms(0);	/* every renewal seen at once */
	for (i = 0; i < 40; i++) {
		struct utimbuf ut = { .actime = 1000000 + i, .modtime = 1000000 + i };
		void *st = NULL;
		int sv[2];

		/* "renew": a new mtime on both files */
		ASSERT_EQ(utime(r.cert, &ut), 0);
		ASSERT_EQ(utime(r.key, &ut), 0);
		ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		ASSERT_EQ(ops->open(&r, sv[0], NULL, NULL, 0, &st), 0);
		ops->close(st);
		close(sv[0]);
		close(sv[1]);
		if (i == 4)
			base = heap_bytes();
	}
	TH_LOG("heap grew by %zu KB over 35 renewals", (heap_bytes() - base) >> 10);
	EXPECT_LT(heap_bytes() - base, (size_t)1 << 20);
	tls_term_set_recheck_ms(1000);
	th_sh("rm -rf %s", dir);
}

/* One session through the transform, on a socketpair. */
static int open_close(const struct conn_xform_ops *ops, const struct conf_route *r)
{
	void *st = NULL;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return -errno;
	err = ops->open(r, sv[0], NULL, NULL, 0, &st);
	if (!err)
		ops->close(st);
	close(sv[0]);
	close(sv[1]);
	return err;
}

/*
 * The certificate files are looked at (stat) at most once a second per
 * credential, not for every connection; a renewal is still noticed once
 * that second has passed.
 */
TEST_TIMEOUT(certificate_files_looked_at_once_a_second_not_per_session, 60)
{
	const char *src = getenv("EDGESTEER_SRC");
	const struct conn_xform_ops *ops;
	struct conf_route r = { 0 };
	struct utimbuf ut = { .actime = 2000000, .modtime = 2000000 };

	snprintf(stat_dir, sizeof(stat_dir), "/tmp/es-tlsterm-stat-%d", (int)getpid());
	th_sh("rm -rf %s", stat_dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test >/dev/null", src ? src : ".", stat_dir))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	snprintf(r.cert, sizeof(r.cert), "%s/server-ec.crt", stat_dir);
	snprintf(r.key, sizeof(r.key), "%s/server-ec.key", stat_dir);
	tls_term_register();
	ops = conn_xform();
	ASSERT_TRUE(ops != NULL);
	ASSERT_EQ(open_close(ops, &r), 0);	/* loads it */
	stats = 0;
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(open_close(ops, &r), 0);
	EXPECT_EQ(stats, 0);
	/* renewed: seen after the second, by the next session */
	ASSERT_EQ(utime(r.cert, &ut), 0);
	usleep(1100 * 1000);
	ASSERT_EQ(open_close(ops, &r), 0);
	EXPECT_GE(stats, 2);
	stats = 0;
	ASSERT_EQ(open_close(ops, &r), 0);
	EXPECT_EQ(stats, 0);
	th_sh("rm -rf %s", stat_dir);
	stat_dir[0] = 0;
}

TEST_HARNESS_MAIN
