// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: syslog message validation and stream framing.
 * The first byte picks the framing and the maximum frame size; the rest
 * is (1) validated as one datagram, (2) decoded as a framed stream, and
 * (3) each decoded message is re-encoded in random-sized pieces and must
 * decode back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog/syslog_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_msg_info info;
	enum conf_framing fr;
	size_t max, at = 0, len;
	int v;

	if (!size)
		return 0;
	fr = (data[0] & 1) ? FRAMING_LF : FRAMING_OCTET;
	max = 16u + (size_t)(data[0] >> 1) * 64u;
	data++;
	size--;

	len = syslog_msg_trim(data, size);
	if (len > size)
		abort();
	v = syslog_msg_parse(data, len, &info);
	if (v == SYSLOG_OK && (info.msg_off > len || info.pri < 0 || info.pri > 191))
		abort();

	while (at < size) {
		const uint8_t *m;
		size_t ml, used, got = 0, piece = 1 + (at % 7);
		uint8_t *buf;
		struct syslog_frame f;
		int r = syslog_frame_decode(fr, data + at, size - at, max, &m, &ml, &used);

		if (r != SYSLOG_FRAME_OK)
			break;
		if (used == 0 || used > size - at || ml > max || m < data + at || m + ml > data + size)
			abort();
		/* re-encode in pieces; must decode back to the same bytes */
		syslog_frame_init(&f, fr, (uint32_t)ml);
		buf = malloc(syslog_frame_total(&f));
		if (!buf)
			return 0;
		while (!syslog_frame_done(&f)) {
			size_t n = syslog_frame_emit(&f, m, buf + got, piece);

			if (!n || n > piece)
				abort();
			got += n;
		}
		if (got != syslog_frame_total(&f))
			abort();
		if (ml || fr == FRAMING_LF) {
			const uint8_t *m2;
			size_t ml2, used2;

			if (syslog_frame_decode(fr, buf, got, max, &m2, &ml2, &used2) != SYSLOG_FRAME_OK ||
			    ml2 != ml || used2 != got)
				abort();
			if (fr == FRAMING_OCTET && memcmp(m2, m, ml))
				abort();
		}
		free(buf);
		at += used;
	}
	return 0;
}
