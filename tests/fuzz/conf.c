// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the config parser (inih through our line reader, every
 * key handler, validate()). Whatever the bytes, conf_load_string() must
 * return 0 with a config or -EINVAL with at least one error line, never
 * crash, leak or read out of bounds. Errors go to /dev/null.
 *
 * Host names in collectors and upstreams are resolved at load, so every
 * mutated name was a DNS query to the machine's resolver: 20 times fewer
 * runs, queries for random names leaving the box, and a slow resolver
 * would turn into libFuzzer timeouts. The target therefore runs in an
 * empty network namespace (when allowed, i.e. as root, which is how
 * `make test` runs): /etc/hosts and numeric addresses still resolve, a DNS
 * query fails at once.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (unshare(CLONE_NEWNET))
		fprintf(stderr, "fuzz/conf: no private network namespace (%s): "
			"host names go to the system resolver\n", strerror(errno));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct conf *c = NULL;
	char *text;
	int rc;

	if (size > 64 * 1024)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;	/* the parser reads a C string; NULs end it early */
	rc = conf_load_string("fuzz.conf", text, &c, devnull);
	if (rc == 0 && !c)
		abort();
	if (rc != 0 && (c || (rc != -EINVAL && rc != -ENOMEM)))
		abort();
	conf_free(c);
	free(text);
	return 0;
}
