/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tls_term.h - TLS termination for [proxy] routes with terminate=CERT,KEY:
 * the conn_xform_ops transform (user/conn.h) built on tls.c.
 */
#ifndef EDGESTEER_TLS_TERM_H
#define EDGESTEER_TLS_TERM_H

/* Register the transform with the proxy; call before proxy_start(). */
void tls_term_register(void);

#endif
