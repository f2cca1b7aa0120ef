// SPDX-License-Identifier: GPL-2.0-only
/* The TLS terminator's credential cache (user/proxy/tls_term.c). */
#include "harness.h"

#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <utime.h>

#include "proxy/proxy_int.h"
#include "proxy/tls_term.h"

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
	th_sh("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
