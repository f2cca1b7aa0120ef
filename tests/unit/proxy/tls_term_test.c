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
 * Certificates from scripts/mkcerts.sh in dir (/tmp/es-TAG-PID), and r
 * pointed at NAME.crt and NAME.key there; non-zero when mkcerts failed.
 */
static int make_certs(char *dir, size_t dirsize, const char *tag, const char *name,
		      struct conf_route *r)
{
	const char *src = getenv("EDGESTEER_SRC");

	snprintf(dir, dirsize, "/tmp/es-%s-%d", tag, (int)getpid());
	th_sh("rm -rf %s", dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.test >/dev/null", src ? src : ".", dir))
		return -1;
	snprintf(r->cert, sizeof(r->cert), "%s/%s.crt", dir, name);
	snprintf(r->key, sizeof(r->key), "%s/%s.key", dir, name);
	return 0;
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
 * A certificate renewed in place (new mtime) is loaded anew for new
 * sessions; the old credential and its session cache must go once no
 * session uses it, or every renewal leaks them for the daemon's life.
 */
TEST_TIMEOUT(renewed_certificate_does_not_leak_the_old_one, 60)
{
	const struct conn_xform_ops *ops;
	struct conf_route r = { 0 };
	char dir[64];
	size_t base = 0;
	int i;

	if (make_certs(dir, sizeof(dir), "review-tlsterm", "server", &r))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	tls_term_register();
	ops = conn_xform();
	ASSERT_TRUE(ops != NULL);
	tls_term_set_recheck_ms(0);	/* every renewal seen at once */
	for (i = 0; i < 40; i++) {
		struct utimbuf ut = { .actime = 1000000 + i, .modtime = 1000000 + i };

		/* "renew": a new mtime on both files */
		ASSERT_EQ(utime(r.cert, &ut), 0);
		ASSERT_EQ(utime(r.key, &ut), 0);
		ASSERT_EQ(open_close(ops, &r), 0);
		if (i == 4)
			base = heap_bytes();
	}
	TH_LOG("heap grew by %zu KB over 35 renewals", (heap_bytes() - base) >> 10);
	EXPECT_LT(heap_bytes() - base, (size_t)1 << 20);
	tls_term_set_recheck_ms(1000);
	th_sh("rm -rf %s", dir);
}

/*
 * The certificate files are looked at (stat) at most once a second per
 * credential, not for every connection; a renewal is still noticed once
 * that second has passed.
 */
TEST_TIMEOUT(certificate_files_looked_at_once_a_second_not_per_session, 60)
{
	const struct conn_xform_ops *ops;
	struct conf_route r = { 0 };
	struct utimbuf ut = { .actime = 2000000, .modtime = 2000000 };

	if (make_certs(stat_dir, sizeof(stat_dir), "tlsterm-stat", "server-ec", &r))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
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
