/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * certs.h - the certificates of the TLS unit tests: scripts/mkcerts.sh
 * writes a fresh set into /tmp/es-TAG-PID (certs_make), cp() names a file
 * in it, certs_remove() deletes it. Included by each test file (static).
 */
#ifndef TESTS_TLS_CERTS_H
#define TESTS_TLS_CERTS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static char certdir[256];

/* 0, or -1 when mkcerts.sh failed (openssl missing?); certdir is "" then. */
static int certs_make(const char *tag)
{
	const char *src = getenv("EDGESTEER_SRC");

	snprintf(certdir, sizeof(certdir), "/tmp/es-%s-%d", tag, getpid());
	if (th_sh("%s/scripts/mkcerts.sh %s gateway.test >/dev/null", src ? src : ".", certdir)) {
		th_sh("rm -rf %s", certdir);
		certdir[0] = 0;
		return -1;
	}
	return 0;
}

static void certs_remove(void)
{
	if (certdir[0])
		th_sh("rm -rf %s", certdir);
}

/* certdir/name; the last eight results stay valid. */
static const char *cp(const char *name)
{
	static char bufs[8][320];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 320, "%s/%s", certdir, name);
	return b;
}

#endif
