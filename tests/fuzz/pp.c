// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the PROXY protocol header parser. Beyond "no crash,
 * no overread" (ASan, UBSan) it checks what the parser promises: an OK
 * header is never longer than the input or the version's limit; an
 * address pair only with a TCP family and a matching version; and every
 * proper prefix of an OK header asks for more (a prefix never decides).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/pp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned accepts[] = { PP_ACCEPT_V1, PP_ACCEPT_V2, PP_ACCEPT_V1 | PP_ACCEPT_V2 };

	for (size_t a = 0; a < sizeof(accepts) / sizeof(accepts[0]); a++) {
		struct pp_info info;
		enum pp_parse_result r = pp_parse(data, size, accepts[a], &info);

		if (r != PP_PARSE_OK)
			continue;
		if (!info.len || info.len > size)
			abort();
		if (info.version == 1 && (info.len > PP_V1_MAX || !(accepts[a] & PP_ACCEPT_V1)))
			abort();
		if (info.version == 2 && (info.len > PP_V2_MAX || !(accepts[a] & PP_ACCEPT_V2)))
			abort();
		if (info.has_addr && (info.src.ss_family != info.dst.ss_family ||
				      (info.src.ss_family != AF_INET && info.src.ss_family != AF_INET6)))
			abort();
		/* a few prefixes (all of them would make the fuzzer slow) */
		for (size_t k = 0; k < info.len; k += 1 + info.len / 8) {
			struct pp_info p;

			if (pp_parse(data, k, accepts[a], &p) != PP_PARSE_NEED_MORE)
				abort();
		}
	}
	return 0;
}
