// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the DER walk behind the client-issuer check (and the
 * subject that origin = yes records). It runs on the peer's end-entity
 * certificate as it streams in, before the chain is validated, so its
 * input is untrusted. First byte: 0 = certificate,
 * 1 = Name, else a configured DN string. Canonical output must be
 * NUL-terminated within its buffer and stable (canon(canon(x)) == canon(x)
 * for strings).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[TLS_DN_MAX], again[TLS_DN_MAX], *s;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (dn_cert_issuer(data + 1, size - 1, out, sizeof(out)) == 0 && strlen(out) >= sizeof(out))
			abort();
		if (dn_cert_subject(data + 1, size - 1, out, sizeof(out)) == 0 && strlen(out) >= sizeof(out))
			abort();
		break;
	case 1:
		if (dn_from_der(data + 1, size - 1, out, sizeof(out)) == 0 && strlen(out) >= sizeof(out))
			abort();
		break;
	default:
		s = malloc(size);
		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		if (dn_canon(s, out, sizeof(out)) == 0) {
			if (dn_canon(out, again, sizeof(again)) != 0 || strcmp(out, again))
				abort();
		}
		free(s);
		break;
	}
	return 0;
}
