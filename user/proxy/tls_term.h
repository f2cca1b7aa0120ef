/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tls_term.h - TLS termination for [proxy] routes with terminate=CERT,KEY:
 * the conn_xform_ops transform (user/conn.h) built on tls.c.
 */
#ifndef EDGESTEER_TLS_TERM_H
#define EDGESTEER_TLS_TERM_H

/* Register the transform with the proxy; call before proxy_start(). */
void tls_term_register(void);

/* How long a credential's file stamps are trusted before the files are
 * looked at again (1000 ms); tests set 0: looked at for every session. */
void tls_term_set_recheck_ms(unsigned ms);

#endif
