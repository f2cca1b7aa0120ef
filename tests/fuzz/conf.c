// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the config parser (inih through our line reader, every
 * key handler, validate()). Whatever the bytes, conf_load_string() must
 * return 0 with a config or -EINVAL with at least one error line, never
 * crash, leak or read out of bounds. Errors go to /dev/null.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
