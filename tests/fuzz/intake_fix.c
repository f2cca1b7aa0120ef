// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: what the intake adds to messages from senders:
 * missing_pri (pri_fix.c) and origin (origin.c). Any input: the output
 * fits the reserve the callers allocate, and what they store is valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog/origin.h"
#include "syslog/pri_fix.h"
#include "syslog/syslog_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "", "192.0.2.7", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" };
	static char subject[600];
	const char *host;
	size_t cap, n, ts;
	uint8_t *out;

	if (!size)
		return 0;
	host = hosts[data[0] % 3];
	/* bit 2: the input's first bytes up to a NUL (at most 599) are also
	 * a certificate subject, whatever bytes they are */
	subject[0] = 0;
	if (data[0] & 4) {
		size_t sl = strnlen((const char *)data + 1, size - 1 < 599 ? size - 1 : 599);

		memcpy(subject, data + 1, sl);
		subject[sl] = 0;
	}
	data++;
	size--;
	cap = size + (SYSLOG_PRI_EXTRA > SYSLOG_ORIGIN_EXTRA ? SYSLOG_PRI_EXTRA : SYSLOG_ORIGIN_EXTRA);
	out = malloc(cap);
	if (!out)
		return 0;
	ts = syslog_leading_timestamp(data, size);
	if (ts > size)
		abort();
	if (syslog_msg_parse(data, size, NULL) == SYSLOG_BAD_PRI) {
		n = syslog_add_pri(data, size, host, 1764072000, out, cap);
		/* the whole input is the content, after "<13>" */
		if (!n || n > cap || n < size + 4 || memcmp(out + n - size, data, size) ||
		    syslog_msg_parse(out, n, NULL) != SYSLOG_OK)
			abort();
	}
	n = syslog_add_origin(data, size, host, subject, out, cap);
	if (n && (n > cap || n <= size || syslog_msg_parse(out, n, NULL) != SYSLOG_OK))
		abort();
	free(out);
	return 0;
}
