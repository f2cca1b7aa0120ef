/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmp_wipe.h - GMP (and so Nettle) scratch memory wiped when freed.
 */
#ifndef EDGESTEER_TLS_GMP_WIPE_H
#define EDGESTEER_TLS_GMP_WIPE_H

#include <stdbool.h>

/* Install the wiping memory functions; idempotent, thread-safe. Called
 * wherever Nettle's public-key code can first be reached. */
void tls_gmp_wipe_init(void);
bool tls_gmp_wipe_installed(void);

#endif
