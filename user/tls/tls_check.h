/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tls_check.h - what `edgesteer check` asks of certificate files before
 * the daemon loads them: does the chain parse, is the key the
 * certificate's, how long is it valid, how many trust anchors does a CA
 * bundle hold. Read-only inspection; the TLS engine (tls.h) is untouched.
 */
#ifndef EDGESTEER_TLS_CHECK_H
#define EDGESTEER_TLS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define TLS_CHECK_ERR_MAX 320

struct tls_cert_facts {
	int64_t not_before;	/* Unix seconds, of the first (leaf) certificate */
	int64_t not_after;
	size_t n_certs;		/* certificates in the chain file */
	const char *key_type;	/* "RSA" or "EC": the certificate's key */
	int bad_key;		/* on failure: 1 when the key file is at fault */
};

/*
 * Parse the chain in `cert_path` and, unless `key_path` is NULL, the
 * private key in `key_path`, and check that the key belongs to the first
 * certificate. Returns 0, or -errno with a sentence in `err` naming the
 * file and what is wrong (-EINVAL: content, other: the file itself).
 */
int tls_check_cred_files(const char *cert_path, const char *key_path, struct tls_cert_facts *f,
			 char *err, size_t errlen);

/*
 * Count the trust anchors a CA file yields, as tls_anchors_load() would:
 * certificates BearSSL can decode. 0 or -errno (with `err`); *n may be 0.
 */
int tls_check_anchor_file(const char *path, size_t *n, char *err, size_t errlen);

/* The validity dates of one DER certificate; 0 or -EINVAL. */
int tls_der_validity(const uint8_t *der, size_t len, int64_t *not_before, int64_t *not_after);

#endif
