// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the DER walk that reads a certificate's validity for
 * `edgesteer check` (tls_der_validity). Its input is a file an operator
 * names, which may be anything; every read must stay inside the buffer
 * and a success must give notBefore <= a year 10000 date.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tls/tls_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t nb, na;

	if (tls_der_validity(data, size, &nb, &na) == 0 &&
	    (nb > 253402300799LL || na > 253402300799LL || nb < -62167219200LL || na < -62167219200LL))
		abort();	/* outside years 0000..9999: a date was misread */
	return 0;
}
