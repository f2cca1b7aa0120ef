// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls_check.c - certificate and key inspection for `edgesteer check`.
 *
 * Kept apart from tls.c (the engine glue) on purpose: nothing here runs in
 * the daemon's data path. BearSSL 0.6's X.509 decoder does not expose the
 * validity dates, so they are read from the DER with a short walk over
 * the TBSCertificate (version, serial, signature, issuer, validity).
 */
#include <bearssl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls_check.h"

#define CHECK_FILE_MAX (4u << 20)	/* a CA bundle is ~200 KB */

struct pem_item {
	char name[128];	/* BearSSL's decoder keeps 128 */
	uint8_t *der;
	size_t len;
};

struct pem_set {
	struct pem_item *v;
	size_t n;
	bool oom;
};

static void item_append(void *ctx, const void *data, size_t len)
{
	struct pem_set *s = ctx;
	struct pem_item *it = &s->v[s->n - 1];
	uint8_t *p;

	if (s->oom)
		return;
	p = realloc(it->der, it->len + len);
	if (!p) {
		s->oom = true;
		return;
	}
	memcpy(p + it->len, data, len);
	it->der = p;
	it->len += len;
}

static void pem_set_free(struct pem_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].der)
			explicit_bzero(s->v[i].der, s->v[i].len);	/* may be a key */
		free(s->v[i].der);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	uint8_t *buf;
	size_t n;

	if (!f)
		return -errno;
	buf = malloc(CHECK_FILE_MAX + 2);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CHECK_FILE_MAX + 1, f);
	fclose(f);
	if (n > CHECK_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[n++] = '\n';	/* a last line without its newline */
	*out = buf;
	*len = n;
	return 0;
}

/* Every PEM object of a file; -EINVAL when it is not PEM. */
static int pem_read(const char *path, struct pem_set *s)
{
	br_pem_decoder_context pc;
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	bool inobj = false;
	int err;

	memset(s, 0, sizeof(*s));
	err = read_all(path, &data, &len);
	if (err)
		return err;
	br_pem_decoder_init(&pc);
	while (off < len && !err) {
		off += br_pem_decoder_push(&pc, data + off, len - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ: {
			struct pem_item *v = realloc(s->v, (s->n + 1) * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				break;
			}
			s->v = v;
			memset(&v[s->n], 0, sizeof(v[s->n]));
			snprintf(v[s->n].name, sizeof(v[s->n].name), "%s", br_pem_decoder_name(&pc));
			s->n++;
			br_pem_decoder_setdest(&pc, item_append, s);
			inobj = true;
			break;
		}
		case BR_PEM_END_OBJ:
			inobj = false;
			break;
		case BR_PEM_ERROR:
			err = -EINVAL;
			break;
		default:
			break;
		}
	}
	free(data);
	if (!err && (inobj || s->oom))
		err = s->oom ? -ENOMEM : -EINVAL;
	if (err)
		pem_set_free(s);
	return err;
}

static bool is_cert(const struct pem_item *it)
{
	return !strcmp(it->name, "CERTIFICATE") || !strcmp(it->name, "X509 CERTIFICATE") ||
	       !strcmp(it->name, "TRUSTED CERTIFICATE");
}

/* ---- DER: the validity of a certificate -------------------------------- */

/* One TLV at *p; on success *p moves past it. */
static int der_tlv(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *vlen)
{
	const uint8_t *q = *p;
	size_t len;

	if (end - q < 2)
		return -EINVAL;
	*tag = *q++;
	len = *q++;
	if (len & 0x80) {
		unsigned k = len & 0x7f;

		if (!k || k > 4 || (size_t)(end - q) < k)
			return -EINVAL;
		for (len = 0; k; k--)
			len = len << 8 | *q++;
	}
	if ((size_t)(end - q) < len)
		return -EINVAL;
	*val = q;
	*vlen = len;
	*p = q + len;
	return 0;
}

static int two(const uint8_t *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280). */
static int der_time(uint8_t tag, const uint8_t *v, size_t len, int64_t *out)
{
	struct tm tm = { 0 };
	int year, i, f[5];

	if (tag == 0x17 && len == 13 && v[12] == 'Z') {
		year = two(v);
		if (year < 0)
			return -EINVAL;
		year += year < 50 ? 2000 : 1900;
		v += 2;
	} else if (tag == 0x18 && len == 15 && v[14] == 'Z') {
		if (two(v) < 0 || two(v + 2) < 0)
			return -EINVAL;
		year = two(v) * 100 + two(v + 2);
		v += 4;
	} else {
		return -EINVAL;
	}
	for (i = 0; i < 5; i++)
		if ((f[i] = two(v + 2 * i)) < 0)
			return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = f[0] - 1;
	tm.tm_mday = f[1];
	tm.tm_hour = f[2];
	tm.tm_min = f[3];
	tm.tm_sec = f[4];
	*out = (int64_t)timegm(&tm);
	return 0;
}

int tls_der_validity(const uint8_t *der, size_t len, int64_t *not_before, int64_t *not_after)
{
	const uint8_t *p = der, *end = der + len, *v, *tbs_end;
	size_t vlen;
	uint8_t tag;
	int i;

	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } ... } */
	if (der_tlv(&p, end, &tag, &v, &vlen) || tag != 0x30)
		return -EINVAL;
	p = v;
	end = v + vlen;
	if (der_tlv(&p, end, &tag, &v, &vlen) || tag != 0x30)
		return -EINVAL;
	p = v;
	tbs_end = v + vlen;
	/* [0] version (optional), serial, signature, issuer */
	for (i = 0; i < 4; i++) {
		const uint8_t *save = p;

		if (der_tlv(&p, tbs_end, &tag, &v, &vlen))
			return -EINVAL;
		if (i == 0 && tag != 0xa0) {
			p = save;	/* v1 certificate: no version field */
			continue;
		}
	}
	if (der_tlv(&p, tbs_end, &tag, &v, &vlen) || tag != 0x30)
		return -EINVAL;
	p = v;
	end = v + vlen;
	if (der_tlv(&p, end, &tag, &v, &vlen) || der_time(tag, v, vlen, not_before))
		return -EINVAL;
	if (der_tlv(&p, end, &tag, &v, &vlen) || der_time(tag, v, vlen, not_after))
		return -EINVAL;
	return 0;
}

/* ---- the key and the certificate --------------------------------------- */

static bool same_int(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	while (alen && !*a) {
		a++;
		alen--;
	}
	while (blen && !*b) {
		b++;
		blen--;
	}
	return alen == blen && !memcmp(a, b, alen);
}

/* Is the private key in `der` the one whose public half `pk` carries? */
static int key_matches(const uint8_t *der, size_t len, const br_x509_pkey *pk, const char *key_path,
		       char *err, size_t errlen)
{
	br_skey_decoder_context kc;
	int type, rc = 0;

	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, der, len);
	if (br_skey_decoder_last_error(&kc)) {
		snprintf(err, errlen, "%s: not an RSA or EC private key BearSSL can use "
			 "(encrypted keys are not supported)", key_path);
		return -EINVAL;
	}
	type = br_skey_decoder_key_type(&kc);
	if (type != pk->key_type) {
		snprintf(err, errlen, "%s is an %s key, the certificate's is %s: not its key", key_path,
			 type == BR_KEYTYPE_RSA ? "RSA" : "EC", pk->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC");
		return -EINVAL;
	}
	if (type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&kc);
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t nlen = mod(NULL, sk);
		unsigned char *n = nlen ? malloc(nlen) : NULL;

		if (!n)
			return -ENOMEM;
		if (mod(n, sk) != nlen || !same_int(n, nlen, pk->key.rsa.n, pk->key.rsa.nlen))
			rc = -EINVAL;
		free(n);
	} else {
		const br_ec_private_key *sk = br_skey_decoder_get_ec(&kc);
		unsigned char kbuf[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;

		if (!br_ec_compute_pub(br_ec_get_default(), &pub, kbuf, sk) || pub.curve != pk->key.ec.curve ||
		    pub.qlen != pk->key.ec.qlen || memcmp(pub.q, pk->key.ec.q, pub.qlen))
			rc = -EINVAL;
	}
	if (rc)
		snprintf(err, errlen, "%s does not belong to the certificate (its public key differs)", key_path);
	return rc;
}

static const char *read_error(int e)
{
	return e == -EINVAL ? "not valid PEM" : e == -EFBIG ? "larger than 4 MiB" : strerror(-e);
}

int tls_check_cred_files(const char *cert_path, const char *key_path, struct tls_cert_facts *f,
			 char *err, size_t errlen)
{
	struct pem_set certs = { 0 }, keys = { 0 };
	br_x509_decoder_context dc;
	const struct pem_item *leaf = NULL;
	const br_x509_pkey *pk;
	size_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	rc = pem_read(cert_path, &certs);
	if (rc) {
		snprintf(err, errlen, "cannot read '%s': %s", cert_path, read_error(rc));
		return rc;
	}
	for (i = 0; i < certs.n; i++)
		if (is_cert(&certs.v[i])) {
			leaf = leaf ? leaf : &certs.v[i];
			f->n_certs++;
		}
	rc = -EINVAL;
	if (!leaf) {
		snprintf(err, errlen, "'%s' holds no CERTIFICATE", cert_path);
		goto out;
	}
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, leaf->der, leaf->len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || tls_der_validity(leaf->der, leaf->len, &f->not_before, &f->not_after)) {
		snprintf(err, errlen, "'%s': the first certificate is not valid X.509 (or a key type "
			 "BearSSL does not know)", cert_path);
		goto out;
	}
	f->key_type = pk->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC";
	rc = 0;
	if (!key_path)
		goto out;
	f->bad_key = 1;
	rc = pem_read(key_path, &keys);
	if (rc) {
		snprintf(err, errlen, "cannot read '%s': %s", key_path, read_error(rc));
		goto out;
	}
	rc = -EINVAL;
	for (i = 0; i < keys.n; i++)
		if (strstr(keys.v[i].name, "PRIVATE KEY")) {
			rc = key_matches(keys.v[i].der, keys.v[i].len, pk, key_path, err, errlen);
			break;
		}
	if (i == keys.n)
		snprintf(err, errlen, "'%s' holds no PRIVATE KEY", key_path);
	if (!rc)
		f->bad_key = 0;
out:
	pem_set_free(&certs);
	pem_set_free(&keys);
	return rc;
}

int tls_check_anchor_file(const char *path, size_t *n, char *err, size_t errlen)
{
	struct pem_set s;
	size_t i;
	int rc;

	*n = 0;
	rc = pem_read(path, &s);
	if (rc) {
		snprintf(err, errlen, "cannot read '%s': %s", path, read_error(rc));
		return rc;
	}
	for (i = 0; i < s.n; i++) {
		br_x509_decoder_context dc;

		if (!is_cert(&s.v[i]))
			continue;
		br_x509_decoder_init(&dc, NULL, NULL);
		br_x509_decoder_push(&dc, s.v[i].der, s.v[i].len);
		if (br_x509_decoder_get_pkey(&dc))
			(*n)++;
	}
	pem_set_free(&s);
	return 0;
}
