// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls.c - BearSSL sessions pumped by the event loop.
 *
 * Implementation notes.
 *
 * BearSSL is a state machine without I/O: it says what it can do next
 * through br_ssl_engine_current_state() - SENDREC (records to write to
 * the socket), RECVREC (room for records read from the socket), SENDAPP
 * (room for plaintext to encrypt), RECVAPP (decrypted plaintext to take)
 * and CLOSED. tls_io() does the socket half: it writes SENDREC bytes
 * first (output first: this is what frees the engine), then reads into
 * RECVREC, one send and one recv per turn, each acked by what the kernel
 * took, until both would block. The owner does the application half and
 * then asks tls_events() which epoll interest the engine needs, so the
 * loop wakes the owner only when the engine can move.
 *
 * Errors are sticky in BearSSL; tls_io() reads br_ssl_engine_last_error()
 * once the engine reports CLOSED and logs the failure once, naming the
 * BearSSL error and the peer.
 *
 * Client-certificate policy is a thin x509 class wrapped around
 * br_x509_minimal: the minimal engine validates the chain against the
 * anchors; the wrapper keeps the end-entity certificate while it streams
 * by, extracts its issuer DN (tls_dn.c) and, once the chain is valid,
 * compares it with the configured issuer. The buffer for that one
 * certificate lives only during the handshake.
 *
 * SNI certificate choice is a server policy class whose choose() asks the
 * owner for a credential by name, installs it as the "single" RSA or EC
 * policy and delegates to it; BearSSL then calls that policy directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "ec_nettle.h"
#include "gmp_wipe.h"
#include "rsa_nettle.h"
#include "sha_nettle.h"
#include "tls.h"

#define PEM_FILE_MAX (8u << 20)	/* CA bundles are ~200 KB; refuse absurd files */
#define EE_CERT_MAX  (32u << 10)

static const uint16_t strong_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

/* ---- error names -------------------------------------------------------- */

struct err_name {
	int code;
	const char *name;
	const char *text;
};

#define E(c, t) { c, #c, t }
static const struct err_name err_names[] = {
	E(BR_ERR_OK, "no error"),
	E(BR_ERR_BAD_PARAM, "caller-provided parameter is incorrect"),
	E(BR_ERR_BAD_STATE, "operation in the wrong state"),
	E(BR_ERR_UNSUPPORTED_VERSION, "unsupported protocol version (TLS 1.2 only); or not TLS at all"),
	E(BR_ERR_BAD_VERSION, "protocol version changed mid-session"),
	E(BR_ERR_BAD_LENGTH, "record length is invalid (not TLS?)"),
	E(BR_ERR_TOO_LARGE, "record too large for the I/O buffer"),
	E(BR_ERR_BAD_MAC, "record MAC or AEAD tag is wrong"),
	E(BR_ERR_NO_RANDOM, "no entropy source"),
	E(BR_ERR_UNKNOWN_TYPE, "unknown record type"),
	E(BR_ERR_UNEXPECTED, "unexpected message"),
	E(BR_ERR_BAD_CCS, "bad ChangeCipherSpec"),
	E(BR_ERR_BAD_ALERT, "bad alert message"),
	E(BR_ERR_BAD_HANDSHAKE, "malformed handshake message"),
	E(BR_ERR_OVERSIZED_ID, "session ID too long"),
	E(BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite (ECDHE with AES-GCM or ChaCha20 required)"),
	E(BR_ERR_BAD_COMPRESSION, "no common compression"),
	E(BR_ERR_BAD_FRAGLEN, "bad max fragment length"),
	E(BR_ERR_BAD_SECRENEG, "secure renegotiation failed"),
	E(BR_ERR_EXTRA_EXTENSION, "unexpected extension"),
	E(BR_ERR_BAD_SNI, "invalid server name"),
	E(BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone"),
	E(BR_ERR_LIMIT_EXCEEDED, "internal limit exceeded"),
	E(BR_ERR_BAD_FINISHED, "bad Finished message"),
	E(BR_ERR_RESUME_MISMATCH, "session resumption mismatch"),
	E(BR_ERR_INVALID_ALGORITHM, "unsupported or invalid algorithm"),
	E(BR_ERR_BAD_SIGNATURE, "bad signature"),
	E(BR_ERR_WRONG_KEY_USAGE, "peer key not usable for the key exchange"),
	E(BR_ERR_NO_CLIENT_AUTH, "client sent no certificate (mutual TLS required)"),
	E(BR_ERR_IO, "I/O error"),
	E(BR_ERR_X509_INVALID_VALUE, "certificate: invalid value"),
	E(BR_ERR_X509_TRUNCATED, "certificate: truncated"),
	E(BR_ERR_X509_EMPTY_CHAIN, "empty certificate chain"),
	E(BR_ERR_X509_INNER_TRUNC, "certificate: inner element truncated"),
	E(BR_ERR_X509_BAD_TAG_CLASS, "certificate: bad tag class"),
	E(BR_ERR_X509_BAD_TAG_VALUE, "certificate: bad tag value"),
	E(BR_ERR_X509_INDEFINITE_LENGTH, "certificate: indefinite length"),
	E(BR_ERR_X509_EXTRA_ELEMENT, "certificate: extra element"),
	E(BR_ERR_X509_UNEXPECTED, "certificate: unexpected element"),
	E(BR_ERR_X509_NOT_CONSTRUCTED, "certificate: not constructed"),
	E(BR_ERR_X509_NOT_PRIMITIVE, "certificate: not primitive"),
	E(BR_ERR_X509_PARTIAL_BYTE, "certificate: partial byte"),
	E(BR_ERR_X509_BAD_BOOLEAN, "certificate: bad boolean"),
	E(BR_ERR_X509_OVERFLOW, "certificate: overflow"),
	E(BR_ERR_X509_BAD_DN, "certificate: bad distinguished name"),
	E(BR_ERR_X509_BAD_TIME, "certificate: bad time"),
	E(BR_ERR_X509_UNSUPPORTED, "certificate: unsupported feature"),
	E(BR_ERR_X509_LIMIT_EXCEEDED, "certificate: limit exceeded"),
	E(BR_ERR_X509_WRONG_KEY_TYPE, "certificate: wrong key type"),
	E(BR_ERR_X509_BAD_SIGNATURE, "certificate: bad signature"),
	E(BR_ERR_X509_TIME_UNKNOWN, "certificate: current time unknown"),
	E(BR_ERR_X509_EXPIRED, "certificate expired or not yet valid"),
	E(BR_ERR_X509_DN_MISMATCH, "certificate chain: issuer/subject mismatch"),
	E(BR_ERR_X509_BAD_SERVER_NAME, "certificate does not match the server name"),
	E(BR_ERR_X509_CRITICAL_EXTENSION, "certificate: unknown critical extension"),
	E(BR_ERR_X509_NOT_CA, "certificate chain: issuer is not a CA"),
	E(BR_ERR_X509_FORBIDDEN_KEY_USAGE, "certificate: key usage forbids this use"),
	E(BR_ERR_X509_WEAK_PUBLIC_KEY, "certificate: public key too weak"),
	E(BR_ERR_X509_NOT_TRUSTED, "certificate chain not trusted by the configured CA"),
	{ TLS_ERR_ISSUER_MISMATCH, "ES_ERR_ISSUER_MISMATCH", "client certificate issuer is not client_issuer" },
	{ TLS_ERR_WRONG_EKU, "ES_ERR_WRONG_EKU",
	  "certificate's extended key usage does not allow this role" },
	{ TLS_ERR_NO_BUFFER, "ES_ERR_NO_BUFFER", "out of memory for the session's record buffer" },
	E(BR_ERR_RECV_FATAL_ALERT, "peer sent a fatal alert"),
	E(BR_ERR_SEND_FATAL_ALERT, "we sent a fatal alert"),
};
#undef E

static const struct err_name alert_names[] = {
	{ 0, "close_notify", NULL }, { 10, "unexpected_message", NULL }, { 20, "bad_record_mac", NULL },
	{ 22, "record_overflow", NULL }, { 40, "handshake_failure", NULL }, { 42, "bad_certificate", NULL },
	{ 43, "unsupported_certificate", NULL }, { 44, "certificate_revoked", NULL },
	{ 45, "certificate_expired", NULL }, { 46, "certificate_unknown", NULL },
	{ 47, "illegal_parameter", NULL }, { 48, "unknown_ca", NULL }, { 49, "access_denied", NULL },
	{ 50, "decode_error", NULL }, { 51, "decrypt_error", NULL }, { 70, "protocol_version", NULL },
	{ 71, "insufficient_security", NULL }, { 80, "internal_error", NULL },
	{ 90, "user_canceled", NULL }, { 100, "no_renegotiation", NULL },
	{ 110, "unsupported_extension", NULL }, { 112, "unrecognized_name", NULL },
	{ 116, "certificate_required", NULL }, { 120, "no_application_protocol", NULL },
};

const char *tls_error_name(int err)
{
	size_t i;

	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return "BR_ERR_SEND_FATAL_ALERT";
	if (err >= BR_ERR_RECV_FATAL_ALERT)
		return "BR_ERR_RECV_FATAL_ALERT";
	for (i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
		if (err_names[i].code == err)
			return err_names[i].name;
	return "BR_ERR_UNKNOWN";
}

const char *tls_error_text(int err)
{
	size_t i;

	if (err >= BR_ERR_RECV_FATAL_ALERT) {
		int alert = err & 0xff;

		for (i = 0; i < sizeof(alert_names) / sizeof(alert_names[0]); i++)
			if (alert_names[i].code == alert)
				return alert_names[i].name;
		return "unknown alert";
	}
	for (i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
		if (err_names[i].code == err)
			return err_names[i].text;
	return "unknown error";
}

/* ---- PEM ---------------------------------------------------------------- */

struct pem_obj {
	char name[128];
	uint8_t *der;
	size_t len;
};

/* free() for buffers that held key material (PEM text, DER, decoders). */
static void wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if ((uint64_t)st.st_size > PEM_FILE_MAX) {
		err = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
out:
	wipe_free(buf, buf ? (size_t)st.st_size + 1 : 0);
	close(fd);
	return err;
}

struct dbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void dbuf_append(void *ctx, const void *data, size_t len)
{
	struct dbuf *d = ctx;

	if (d->oom)
		return;
	if (d->len + len > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		uint8_t *p;

		while (cap < d->len + len)
			cap *= 2;
		/* not realloc(): the old block may hold key bytes, wipe it */
		p = malloc(cap);
		if (!p) {
			d->oom = true;
			return;
		}
		if (d->p) {
			memcpy(p, d->p, d->len);
			explicit_bzero(d->p, d->cap);
			free(d->p);
		}
		d->p = p;
		d->cap = cap;
	}
	memcpy(d->p + d->len, data, len);
	d->len += len;
}

static void pem_free(struct pem_obj *objs, size_t n)
{
	size_t i;

	if (!objs)
		return;
	for (i = 0; i < n; i++) {
		/* a key file's objects are key material */
		if (objs[i].der)
			explicit_bzero(objs[i].der, objs[i].len);
		free(objs[i].der);
	}
	free(objs);
}


/* Decode every PEM object of a file (like BearSSL's tools/files.c). */
static int pem_load(const char *path, struct pem_obj **out, size_t *nout)
{
	br_pem_decoder_context pc;
	struct pem_obj *objs = NULL, *o;
	struct dbuf cur = { 0 };
	uint8_t *data = NULL;
	size_t len = 0, off = 0, n = 0;
	bool inobj = false;
	int err;

	err = read_file(path, &data, &len);
	if (err)
		return err;
	br_pem_decoder_init(&pc);
	while (off < len) {
		size_t k = br_pem_decoder_push(&pc, data + off, len - off);

		off += k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			o = realloc(objs, (n + 1) * sizeof(*objs));
			if (!o) {
				err = -ENOMEM;
				goto fail;
			}
			objs = o;
			memset(&objs[n], 0, sizeof(objs[n]));
			snprintf(objs[n].name, sizeof(objs[n].name), "%s", br_pem_decoder_name(&pc));
			memset(&cur, 0, sizeof(cur));
			br_pem_decoder_setdest(&pc, dbuf_append, &cur);
			inobj = true;
			n++;
			break;
		case BR_PEM_END_OBJ:
			if (inobj) {
				if (cur.oom) {
					err = -ENOMEM;
					goto fail;
				}
				objs[n - 1].der = cur.p;
				objs[n - 1].len = cur.len;
				memset(&cur, 0, sizeof(cur));
				inobj = false;
			}
			break;
		case BR_PEM_ERROR:
			err = -EINVAL;
			goto fail;
		default:
			break;
		}
	}
	/* a PEM file whose last line lacks its newline */
	br_pem_decoder_push(&pc, "\n", 1);
	if (br_pem_decoder_event(&pc) == BR_PEM_END_OBJ && inobj) {
		objs[n - 1].der = cur.p;
		objs[n - 1].len = cur.len;
		memset(&cur, 0, sizeof(cur));
		inobj = false;
	}
	if (inobj) {
		err = -EINVAL;
		goto fail;
	}
	wipe_free(data, len);
	*out = objs;
	*nout = n;
	return 0;
fail:
	wipe_free(cur.p, cur.cap);
	wipe_free(data, len);
	pem_free(objs, n);
	return err;
}

/* ---- credentials ------------------------------------------------------- */

struct tls_cred {
	br_x509_certificate *chain;
	size_t chain_len;
	int key_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	struct tls_rsa_key rsa;		/* prepared for Nettle's signer at load */
	struct tls_ec_key ec;		/* prepared for Nettle's signer at load */
	uint8_t *key_mem;		/* backing store of rsa/ec fields */
};

static uint8_t *dup_into(uint8_t **at, const void *src, size_t len)
{
	uint8_t *p = *at;

	memcpy(p, src, len);
	*at += len;
	return p;
}

static int decode_key(struct tls_cred *c, br_skey_decoder_context *kc, const uint8_t *der, size_t len)
{
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	uint8_t *at;

	br_skey_decoder_init(kc);
	br_skey_decoder_push(kc, der, len);
	if (br_skey_decoder_last_error(kc))
		return -EINVAL;
	c->key_type = br_skey_decoder_key_type(kc);
	if (c->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(kc);

		c->key_mem = malloc(k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen);
		if (!c->key_mem)
			return -ENOMEM;
		at = c->key_mem;
		rsa = *k;
		rsa.p = dup_into(&at, k->p, k->plen);
		rsa.q = dup_into(&at, k->q, k->qlen);
		rsa.dp = dup_into(&at, k->dp, k->dplen);
		rsa.dq = dup_into(&at, k->dq, k->dqlen);
		rsa.iq = dup_into(&at, k->iq, k->iqlen);
		/* a key Nettle refuses is signed by BearSSL, which may take it */
		if (tls_rsa_key_init(&c->rsa, &rsa) == -ENOMEM)
			return -ENOMEM;
	} else if (c->key_type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(kc);

		c->key_mem = malloc(k->xlen);
		if (!c->key_mem)
			return -ENOMEM;
		at = c->key_mem;
		ec = *k;
		ec.x = dup_into(&at, k->x, k->xlen);
		if (tls_ec_key_init(&c->ec, &ec))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int load_key(struct tls_cred *c, const uint8_t *der, size_t len)
{
	br_skey_decoder_context kc;
	int err = decode_key(c, &kc, der, len);

	/* the decoder holds the key's integers */
	explicit_bzero(&kc, sizeof(kc));
	return err;
}

void tls_cred_free(struct tls_cred *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->chain_len; i++)
		free(c->chain[i].data);
	free(c->chain);
	if (c->key_mem) {
		explicit_bzero(c->key_mem, c->key_type == BR_KEYTYPE_RSA ?
			       c->rsa.sk.plen + c->rsa.sk.qlen + c->rsa.sk.dplen + c->rsa.sk.dqlen +
			       c->rsa.sk.iqlen :
			       c->ec.sk.xlen);
		free(c->key_mem);
		tls_ec_key_wipe(&c->ec);
		if (c->key_type == BR_KEYTYPE_RSA)
			tls_rsa_key_clear(&c->rsa);
	}
	free(c);
}

int tls_cred_load(const char *cert_path, const char *key_path, struct tls_cred **out)
{
	struct pem_obj *objs = NULL;
	struct tls_cred *c;
	size_t n = 0, i;
	bool have_key = false;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = pem_load(cert_path, &objs, &n);
	if (err) {
		pr_err("tls: %s: cannot read certificate chain: %s", cert_path,
		       err == -EINVAL ? "not valid PEM" : strerror(-err));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(objs[i].name, "CERTIFICATE") && strcmp(objs[i].name, "X509 CERTIFICATE"))
			continue;
		br_x509_certificate *ch = realloc(c->chain, (c->chain_len + 1) * sizeof(*ch));

		if (!ch) {
			err = -ENOMEM;
			goto fail;
		}
		c->chain = ch;
		c->chain[c->chain_len].data = objs[i].der;
		c->chain[c->chain_len].data_len = objs[i].len;
		objs[i].der = NULL;
		c->chain_len++;
	}
	pem_free(objs, n);
	objs = NULL;
	if (!c->chain_len) {
		pr_err("tls: %s: no CERTIFICATE in the file", cert_path);
		err = -EINVAL;
		goto fail;
	}
	err = pem_load(key_path, &objs, &n);
	if (err) {
		pr_err("tls: %s: cannot read private key: %s", key_path,
		       err == -EINVAL ? "not valid PEM" : strerror(-err));
		goto fail;
	}
	for (i = 0; i < n && !have_key; i++) {
		if (!strstr(objs[i].name, "PRIVATE KEY"))
			continue;
		err = load_key(c, objs[i].der, objs[i].len);
		if (err) {
			pr_err("tls: %s: '%s' is not an RSA or EC private key BearSSL can use "
			       "(encrypted keys are not supported)", key_path, objs[i].name);
			goto fail;
		}
		have_key = true;
		/* BearSSL's own RSA signs it, correctly but at some 3x the CPU
		 * per full handshake: say so rather than be slow unexplained */
		if (c->key_type == BR_KEYTYPE_RSA && !c->rsa.ready)
			pr_warn("tls: %s: this RSA key is signed with BearSSL's slower code, not Nettle's "
				"(its parts give no public exponent below 2^32); a key with e = 65537, "
				"openssl genpkey's default, is signed by Nettle", key_path);
	}
	for (i = 0; i < n; i++)
		if (objs[i].der)
			explicit_bzero(objs[i].der, objs[i].len);
	pem_free(objs, n);
	objs = NULL;
	if (!have_key) {
		pr_err("tls: %s: no PRIVATE KEY in the file", key_path);
		err = -EINVAL;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	pem_free(objs, n);
	tls_cred_free(c);
	return err;
}

const char *tls_cred_type(const struct tls_cred *c)
{
	return c->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC";
}

/* ---- trust anchors ------------------------------------------------------ */

struct tls_anchors {
	br_x509_trust_anchor *ta;
	size_t n;
};

void tls_anchors_free(struct tls_anchors *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->ta[i].dn.data);
		if (a->ta[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(a->ta[i].pkey.key.rsa.n);
			free(a->ta[i].pkey.key.rsa.e);
		} else {
			free(a->ta[i].pkey.key.ec.q);
		}
	}
	free(a->ta);
	free(a);
}

static void *memdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q && len)
		memcpy(q, p, len);
	return q;
}

static int anchor_from_der(br_x509_trust_anchor *ta, const uint8_t *der, size_t len)
{
	br_x509_decoder_context dc;
	struct dbuf dn = { 0 };
	const br_x509_pkey *pk;

	br_x509_decoder_init(&dc, dbuf_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn.oom) {
		free(dn.p);
		return -EINVAL;
	}
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = dn.p;
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memdup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = memdup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (!ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e)
			return -ENOMEM;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memdup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (!ta->pkey.key.ec.q)
			return -ENOMEM;
	}
	return 0;
}

int tls_anchors_load(const char *path, struct tls_anchors **out)
{
	struct pem_obj *objs = NULL;
	struct tls_anchors *a;
	size_t n = 0, i, skipped = 0;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	err = pem_load(path, &objs, &n);
	if (err) {
		pr_err("tls: %s: cannot read CA certificates: %s", path,
		       err == -EINVAL ? "not valid PEM" : strerror(-err));
		goto fail;
	}
	a->ta = calloc(n ? n : 1, sizeof(*a->ta));
	if (!a->ta) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(objs[i].name, "CERTIFICATE") && strcmp(objs[i].name, "X509 CERTIFICATE") &&
		    strcmp(objs[i].name, "TRUSTED CERTIFICATE"))
			continue;
		err = anchor_from_der(&a->ta[a->n], objs[i].der, objs[i].len);
		if (err == -ENOMEM)
			goto fail;
		if (err) {
			skipped++;	/* e.g. a key type BearSSL does not know */
			continue;
		}
		a->n++;
	}
	if (!a->n) {
		pr_err("tls: %s: no usable CA certificate in the file", path);
		err = -EINVAL;
		goto fail;
	}
	if (skipped)
		pr_warn("tls: %s: %zu certificates skipped (not decodable by BearSSL)", path, skipped);
	pem_free(objs, n);
	*out = a;
	return 0;
fail:
	pem_free(objs, n);
	tls_anchors_free(a);
	return err;
}

size_t tls_anchors_count(const struct tls_anchors *a)
{
	return a->n;
}

/* ---- extended key usage ------------------------------------------------ */

static const uint8_t oid_eku[] = { 0x55, 0x1d, 0x25 };			/* 2.5.29.37 */
static const uint8_t oid_eku_any[] = { 0x55, 0x1d, 0x25, 0x00 };	/* anyExtendedKeyUsage */
static const uint8_t oid_kp_server[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };
static const uint8_t oid_kp_client[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02 };

static bool der_is(const struct dn_der *d, const uint8_t *oid, size_t len)
{
	return d->len == len && !memcmp(d->p, oid, len);
}

/*
 * Does the certificate's extendedKeyUsage allow `want`? A certificate
 * without the extension allows every use (RFC 5280 4.2.1.12); one with
 * it must list the purpose or anyExtendedKeyUsage. 1: allowed, 0: not,
 * -EINVAL: not a certificate we can read.
 */
static int eku_allows(const uint8_t *cert, size_t len, enum tls_eku want)
{
	struct dn_der d = { cert, len }, c, tbs, f;
	uint8_t tag;

	if (want == TLS_EKU_NONE)
		return 1;
	if (dn_der_next(&d, &tag, &c, NULL) || tag != 0x30 ||
	    dn_der_next(&c, &tag, &tbs, NULL) || tag != 0x30)
		return -EINVAL;
	/* the TBSCertificate's fields; extensions are [3] */
	while (tbs.len) {
		struct dn_der exts, ext;

		if (dn_der_next(&tbs, &tag, &f, NULL))
			return -EINVAL;
		if (tag != 0xa3)
			continue;
		if (dn_der_next(&f, &tag, &exts, NULL) || tag != 0x30)
			return -EINVAL;
		while (exts.len) {
			struct dn_der oid, val, list, kp;

			if (dn_der_next(&exts, &tag, &ext, NULL) || tag != 0x30 ||
			    dn_der_next(&ext, &tag, &oid, NULL) || tag != 0x06)
				return -EINVAL;
			if (!der_is(&oid, oid_eku, sizeof(oid_eku)))
				continue;
			/* optional critical BOOLEAN, then the OCTET STRING */
			if (dn_der_next(&ext, &tag, &val, NULL))
				return -EINVAL;
			if (tag == 0x01 && dn_der_next(&ext, &tag, &val, NULL))
				return -EINVAL;
			if (tag != 0x04 || dn_der_next(&val, &tag, &list, NULL) || tag != 0x30)
				return -EINVAL;
			while (list.len) {
				if (dn_der_next(&list, &tag, &kp, NULL) || tag != 0x06)
					return -EINVAL;
				if (der_is(&kp, oid_eku_any, sizeof(oid_eku_any)) ||
				    der_is(&kp, want == TLS_EKU_SERVER ? oid_kp_server : oid_kp_client,
					   sizeof(oid_kp_server)))
					return 1;
			}
			return 0;
		}
	}
	return 1;
}

static const char *eku_name(enum tls_eku e)
{
	return e == TLS_EKU_SERVER ? "serverAuth" : e == TLS_EKU_CLIENT ? "clientAuth" : "any";
}

/* ---- the x509 wrapper: chain validation + issuer DN + EKU ------------- */

struct x509_check {
	const br_x509_class *vtable;
	br_x509_minimal_context inner;
	const char *want_issuer;	/* canonical, or NULL */
	enum tls_eku want_eku;
	int cert_idx;
	uint8_t *ee;			/* end-entity certificate, handshake only */
	size_t ee_len, ee_cap;
	int eku;			/* eku_allows() of the end-entity certificate */
	/* the whole chain as [u32 len][DER]..., kept after the handshake
	 * when asked (tls_recheck_peer); NULL otherwise */
	bool keep;
	uint8_t *chain;
	size_t chain_len, chain_cap, cur_start;
	char issuer[TLS_DN_MAX];
	char subject[TLS_DN_MAX];	/* the end entity's: syslog origin = yes */
	/* no_verify (health checks without a CA): only the end-entity
	 * certificate's key is decoded, for the key exchange; nothing is
	 * verified and the inner engine is not used; allocated for such
	 * sessions only (~1.2 KB) */
	bool no_verify;
	br_x509_decoder_context *dec;
};

static void xc_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;

	x->cert_idx = -1;
	x->issuer[0] = 0;
	x->subject[0] = 0;
	x->eku = -EINVAL;
	x->chain_len = 0;
	if (x->no_verify)
		return;
	x->inner.vtable->start_chain(&x->inner.vtable, server_name);
}

static void xc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;

	x->cert_idx++;
	if (x->no_verify) {
		if (x->cert_idx == 0)
			br_x509_decoder_init(x->dec, NULL, NULL);
		return;
	}
	if (x->cert_idx == 0 && length <= EE_CERT_MAX) {
		free(x->ee);
		x->ee = malloc(length ? length : 1);
		x->ee_cap = x->ee ? length : 0;
		x->ee_len = 0;
	}
	if (x->keep) {
		size_t need = x->chain_len + 4 + length;

		if (need > TLS_PEER_CHAIN_MAX) {
			free(x->chain);		/* too big to keep: a recheck fails */
			x->chain = NULL;
			x->chain_cap = 0;
			x->keep = false;
		} else if (need > x->chain_cap) {
			uint8_t *c = realloc(x->chain, need);

			if (c) {
				x->chain = c;
				x->chain_cap = need;
			} else {
				free(x->chain);
				x->chain = NULL;
				x->chain_cap = 0;
				x->keep = false;
			}
		}
		if (x->keep) {
			memcpy(x->chain + x->chain_len, &length, 4);
			x->chain_len += 4;
			x->cur_start = x->chain_len;
		}
	}
	x->inner.vtable->start_cert(&x->inner.vtable, length);
}

static void xc_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;

	if (x->no_verify) {
		if (x->cert_idx == 0)
			br_x509_decoder_push(x->dec, buf, len);
		return;
	}
	if (x->cert_idx == 0 && x->ee && x->ee_len + len <= x->ee_cap) {
		memcpy(x->ee + x->ee_len, buf, len);
		x->ee_len += len;
	}
	if (x->keep && x->chain_len + len <= x->chain_cap) {
		memcpy(x->chain + x->chain_len, buf, len);
		x->chain_len += len;
	}
	x->inner.vtable->append(&x->inner.vtable, buf, len);
}

static void xc_end_cert(const br_x509_class **ctx)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;

	if (x->no_verify)
		return;
	if (x->cert_idx == 0 && x->ee) {
		if (dn_cert_issuer(x->ee, x->ee_len, x->issuer, sizeof(x->issuer)))
			x->issuer[0] = 0;
		if (dn_cert_subject(x->ee, x->ee_len, x->subject, sizeof(x->subject)))
			x->subject[0] = 0;
		x->eku = x->ee_len == x->ee_cap ? eku_allows(x->ee, x->ee_len, x->want_eku) : -EINVAL;
		free(x->ee);
		x->ee = NULL;
		x->ee_len = x->ee_cap = 0;
	}
	x->inner.vtable->end_cert(&x->inner.vtable);
}

static unsigned xc_end_chain(const br_x509_class **ctx)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;
	unsigned err;

	if (x->no_verify) {
		if (x->cert_idx < 0)
			return BR_ERR_X509_EMPTY_CHAIN;
		if (br_x509_decoder_get_pkey(x->dec))
			return 0;
		err = (unsigned)br_x509_decoder_last_error(x->dec);
		return err ? err : BR_ERR_X509_TRUNCATED;
	}
	err = x->inner.vtable->end_chain(&x->inner.vtable);
	if (err)
		return err;
	if (x->want_eku != TLS_EKU_NONE && x->eku != 1)
		return TLS_ERR_WRONG_EKU;
	if (x->want_issuer && x->want_issuer[0] && strcmp(x->issuer, x->want_issuer))
		return TLS_ERR_ISSUER_MISMATCH;
	return 0;
}

static const br_x509_pkey *xc_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct x509_check *x = (struct x509_check *)(void *)ctx;

	if (x->no_verify) {
		if (usages)
			*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
		return x->cert_idx < 0 ? NULL : br_x509_decoder_get_pkey(x->dec);
	}
	return x->inner.vtable->get_pkey(&x->inner.vtable, usages);
}

static const br_x509_class x509_check_vtable = {
	sizeof(struct x509_check),
	xc_start_chain, xc_start_cert, xc_append, xc_end_cert, xc_end_chain, xc_get_pkey,
};

static void x509_check_init(struct x509_check *x, const struct tls_anchors *a, const char *want,
			    enum tls_eku eku)
{
	memset(x, 0, sizeof(*x));
	x->vtable = &x509_check_vtable;
	x->want_issuer = want;
	x->want_eku = eku;
	x->eku = -EINVAL;
	br_x509_minimal_init_full(&x->inner, a->ta, a->n);
}

/* ---- sessions ----------------------------------------------------------- */

struct sni_policy {
	const br_ssl_server_policy_class *vtable;
	struct tls_session *t;
};

struct tls_session {
	union {
		br_ssl_server_context s;
		br_ssl_client_context c;
	} u;
	br_ssl_engine_context *eng;
	bool server;
	bool hs_done;
	bool failed;		/* logged once */
	int fd;
	uint64_t sent;
	/* handshake records taken from the engine but not yet sent (a short
	 * send of a gathered flight); NULL nearly always */
	unsigned char *out;
	size_t out_off, out_len;
	struct x509_check xc;
	struct sni_policy pol;
	const struct tls_cred *cred;	/* server default */
	tls_sni_cb sni;
	void *sni_arg;
	char what[24];
	char peer[64];
	char server_name[256];		/* client: the name the certificate must carry */
	/* The record buffer: right after the struct, or, when lent
	 * (tls_server_opts.lend_buffer), a malloc of bufsize that is NULL
	 * while the session is idle; ioff/ooff: where the engine's ibuf
	 * and obuf start in it (what br_ssl_engine_set_buffer chose). */
	unsigned char *buf;
	size_t bufsize, ioff, ooff;
	bool lent;
};

static void server_use_cred(br_ssl_server_context *cc, const struct tls_cred *c)
{
	if (c->key_type == BR_KEYTYPE_RSA)
		br_ssl_server_set_single_rsa(cc, c->chain, c->chain_len, &c->rsa.sk, BR_KEYTYPE_SIGN,
					     br_rsa_private_get_default(), tls_rsa_pkcs1_sign);
	else
		br_ssl_server_set_single_ec(cc, c->chain, c->chain_len, &c->ec.sk, BR_KEYTYPE_SIGN,
					    BR_KEYTYPE_EC, &tls_ec_nettle, tls_ecdsa_sign_asn1);
}

static int sni_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
		      br_ssl_server_choices *choices)
{
	struct sni_policy *p = (struct sni_policy *)(void *)pctx;
	struct tls_session *t = p->t;
	const struct tls_cred *c = t->sni(t->sni_arg, br_ssl_engine_get_server_name(&cc->eng));

	server_use_cred(&t->u.s, c ? c : t->cred);
	return (*t->u.s.policy_vtable)->choose(t->u.s.policy_vtable, cc, choices);
}

/* Never called: choose() replaced the policy before the key exchange. */
static uint32_t sni_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data, size_t *len)
{
	return 0;
}

static size_t sni_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
			  unsigned char *data, size_t hv_len, size_t len)
{
	return 0;
}

static const br_ssl_server_policy_class sni_policy_vtable = {
	sizeof(struct sni_policy), sni_choose, sni_do_keyx, sni_do_sign,
};

static struct tls_session *session_alloc(int fd, size_t bufsize, bool lent, const char *what,
					  const char *peer)
{
	struct tls_session *t;

	if (bufsize < 512)
		bufsize = 512;
	t = calloc(1, sizeof(*t) + (lent ? 0 : bufsize));
	if (!t)
		return NULL;
	t->buf = lent ? malloc(bufsize) : (unsigned char *)(t + 1);
	if (!t->buf) {
		free(t);
		return NULL;
	}
	t->lent = lent;
	t->fd = fd;
	t->bufsize = bufsize;
	snprintf(t->what, sizeof(t->what), "%s", what ? what : "tls");
	snprintf(t->peer, sizeof(t->peer), "%s", peer ? peer : "?");
	return t;
}

/*
 * The symmetric implementations, picked once. BearSSL's
 * br_ssl_server_init_full_*() picks them on every call by asking the
 * CPU (CPUID) whether it has AES-NI, PCLMUL and SSE2; in a virtual
 * machine each CPUID traps to the hypervisor, which made the init cost
 * ~50 us per session on the development VM, for an answer that never
 * changes. Same choices as BearSSL's defaults.
 */
static struct {
	const br_block_ctr_class *aes_ctr;
	br_ghash ghash;
	br_chacha20_run chacha20;
	br_poly1305_run poly1305;
} sym;
static pthread_once_t sym_once = PTHREAD_ONCE_INIT;

static void sym_pick(void)
{
	sym.aes_ctr = br_aes_x86ni_ctr_get_vtable();
	if (!sym.aes_ctr)
		sym.aes_ctr = &br_aes_ct64_ctr_vtable;
	sym.ghash = br_ghash_pclmul_get();
	if (!sym.ghash)
		sym.ghash = &br_ghash_ctmul64;
	sym.chacha20 = br_chacha20_sse2_get();
	if (!sym.chacha20)
		sym.chacha20 = &br_chacha20_ct_run;
	sym.poly1305 = br_poly1305_ctmulq_get();
	if (!sym.poly1305)
		sym.poly1305 = &br_poly1305_ctmul_run;
}

/*
 * Each engine's HMAC-DRBG gets its seed from a generator of the thread
 * (one per event loop), not from the system. BearSSL seeds every engine
 * at reset with br_prng_seeder_system(): on x86 a CPUID (to ask for
 * RDRAND; it traps to the hypervisor in a VM) and eight RDRANDs, ~1.5 %
 * of a resumed handshake's CPU. Here the thread's HMAC-DRBG (SHA-256,
 * SP 800-90A) is seeded with 32 bytes of getrandom(), reseeded with 32
 * more every RNG_RESEED sessions and in a forked child, and each engine
 * is given 32 bytes of its output, as BearSSL would have given it 32
 * bytes of RDRAND; the engine's own DRBG does the rest as before. The
 * seeds of two sessions are distinct outputs of the generator, and a
 * generate updates its state (a later look at it does not give earlier
 * seeds). What is not kept is a fresh hardware seed per session: between
 * reseeds the seeds follow from the thread generator's state, which only
 * someone reading this process's memory has - and that someone has the
 * certificate keys and the session cache too. No getrandom() answer
 * (an old kernel): the engine is seeded by BearSSL as before.
 */
#define RNG_RESEED 4096

static __thread struct {
	br_hmac_drbg_context drbg;
	unsigned left;		/* sessions before the next reseed; 0: seed first */
} rng;
static pthread_once_t rng_once = PTHREAD_ONCE_INIT;

/* The child of a fork() must not repeat its parent's seeds: only the
 * thread that forked lives on in it, and this runs in that thread. */
static void rng_after_fork(void)
{
	explicit_bzero(&rng, sizeof(rng));
}

static void rng_register_fork(void)
{
	(void)pthread_atfork(NULL, NULL, rng_after_fork);
}

/* 32 bytes of the thread's generator into eng's DRBG (nothing without
 * getrandom(): BearSSL's reset seeds it from the system then) */
static void rng_seed_engine(br_ssl_engine_context *eng)
{
	unsigned char seed[32];

	pthread_once(&rng_once, rng_register_fork);
	if (!rng.left) {
		if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
			return;
		if (rng.drbg.vtable)
			br_hmac_drbg_update(&rng.drbg, seed, sizeof(seed));
		else
			br_hmac_drbg_init(&rng.drbg, &tls_sha256_nettle, seed, sizeof(seed));
		rng.left = RNG_RESEED;
	}
	rng.left--;
	br_hmac_drbg_generate(&rng.drbg, seed, sizeof(seed));
	br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	/* the engine is seeded ("rng_init_done" 2): BearSSL's reset would
	 * still try the system once, unless told it has (BearSSL 0.6's
	 * public struct; the field means "OS seeding attempted") */
	eng->rng_os_rand_done = 1;
}

/* The engine's record buffer, where its input and output start in it
 * (attach() needs them for a lent buffer), and its DRBG's seed: what
 * every session does before its reset. */
static void session_engine_setup(struct tls_session *t, bool bidi)
{
	br_ssl_engine_set_buffer(t->eng, t->buf, t->bufsize, bidi);
	t->ioff = (size_t)(t->eng->ibuf - t->buf);
	t->ooff = (size_t)(t->eng->obuf - t->buf);
	rng_seed_engine(t->eng);
}

/* What br_ssl_server_init_full_rsa() sets up, for the suites we allow
 * (ECDHE with AES-GCM or ChaCha20-Poly1305, TLS 1.2), without asking the
 * CPU each time. The key policy is set by the caller. */
static void server_init(br_ssl_server_context *cc)
{
	tls_gmp_wipe_init();	/* before the engine's first ECDHE by Nettle */
	/* SHA-224/256 by Nettle (SHA-NI where the CPU has it): the
	 * transcript, the PRF of every suite we allow but the SHA-384 ones,
	 * the engine's HMAC-DRBG and the hash of what we sign use them */
	static const br_hash_class *const hashes[] = {
		&br_md5_vtable, &br_sha1_vtable, &tls_sha224_nettle,
		&tls_sha256_nettle, &br_sha384_vtable, &br_sha512_vtable,
	};
	br_ssl_engine_context *eng = &cc->eng;

	pthread_once(&sym_once, sym_pick);
	br_ssl_server_zero(cc);
	for (int id = br_md5_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(eng, id, hashes[id - br_md5_ID]);
	br_ssl_engine_set_prf_sha256(eng, &tls_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_ec(eng, &tls_ec_nettle);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, sym.aes_ctr);
	br_ssl_engine_set_ghash(eng, sym.ghash);
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable, &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, sym.chacha20);
	br_ssl_engine_set_poly1305(eng, sym.poly1305);
}

static void engine_policy(br_ssl_engine_context *eng)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, strong_suites, sizeof(strong_suites) / sizeof(strong_suites[0]));
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
}

int tls_server_new(const struct tls_server_opts *o, int fd, size_t bufsize, bool bidi,
		   const char *what, const char *peer, struct tls_session **out)
{
	struct tls_session *t = session_alloc(fd, bufsize, o->lend_buffer, what, peer);
	br_ssl_server_context *cc;

	if (!t)
		return -ENOMEM;
	cc = &t->u.s;
	t->server = true;
	t->cred = o->cred;
	t->sni = o->sni;
	t->sni_arg = o->sni_arg;
	server_init(cc);
	t->eng = &cc->eng;
	engine_policy(t->eng);
	if (o->sni) {
		t->pol.vtable = &sni_policy_vtable;
		t->pol.t = t;
		br_ssl_server_set_policy(cc, &t->pol.vtable);
	} else {
		server_use_cred(cc, o->cred);
	}
	if (o->client_ca) {
		/* verifying the client's CertificateVerify; init_full_rsa
		 * leaves these out since client auth is optional. Not
		 * br_ssl_engine_set_default_ecdsa(): it would also put
		 * BearSSL's EC code back in place of Nettle's. */
		br_ssl_engine_set_default_rsavrfy(t->eng);
		br_ssl_engine_set_ecdsa(t->eng, br_ecdsa_vrfy_asn1_get_default());
		x509_check_init(&t->xc, o->client_ca, o->client_issuer, TLS_EKU_CLIENT);
		t->xc.keep = o->keep_peer_chain;
		br_ssl_engine_set_x509(t->eng, &t->xc.vtable);
		br_ssl_server_set_trust_anchor_names_alt(cc, o->client_ca->ta, o->client_ca->n);
	}
	if (o->cache)
		br_ssl_server_set_cache(cc, o->cache);
	session_engine_setup(t, bidi);
	if (!br_ssl_server_reset(cc)) {
		pr_err("tls: %s %s: cannot start a server session: %s", t->what, t->peer,
		       tls_error_name(br_ssl_engine_last_error(t->eng)));
		tls_free(t);
		return -EPROTO;
	}
	*out = t;
	return 0;
}

int tls_client_new(const struct tls_client_opts *o, int fd, size_t bufsize, bool bidi,
		   const char *what, const char *peer, struct tls_session **out)
{
	struct tls_session *t = session_alloc(fd, bufsize, false, what, peer);
	br_ssl_client_context *cc;

	if (!t)
		return -ENOMEM;
	tls_gmp_wipe_init();	/* before the engine's first ECDHE by Nettle */
	cc = &t->u.c;
	if (o->no_verify) {
		memset(&t->xc, 0, sizeof(t->xc));
		t->xc.vtable = &x509_check_vtable;
		t->xc.no_verify = true;
		t->xc.cert_idx = -1;
		t->xc.dec = calloc(1, sizeof(*t->xc.dec));
		if (!t->xc.dec) {
			tls_free(t);
			return -ENOMEM;
		}
		br_ssl_client_init_full(cc, &t->xc.inner, NULL, 0);
	} else {
		x509_check_init(&t->xc, o->ca, NULL, TLS_EKU_SERVER);
		br_ssl_client_init_full(cc, &t->xc.inner, o->ca->ta, o->ca->n);
	}
	t->failed = o->quiet;	/* the owner reports failures itself */
	snprintf(t->server_name, sizeof(t->server_name), "%s", o->server_name ? o->server_name : "");
	/* init_full set the minimal engine; route it through our wrapper */
	br_ssl_engine_set_x509(&cc->eng, &t->xc.vtable);
	/* ECDHE and the server's signature check by Nettle (init_full
	 * set BearSSL's own) */
	br_ssl_engine_set_ec(&cc->eng, &tls_ec_nettle);
	t->eng = &cc->eng;
	engine_policy(t->eng);
	if (o->cred) {
		const struct tls_cred *c = o->cred;

		if (c->key_type == BR_KEYTYPE_RSA)
			br_ssl_client_set_single_rsa(cc, c->chain, c->chain_len, &c->rsa.sk,
						     tls_rsa_pkcs1_sign);
		else
			br_ssl_client_set_single_ec(cc, c->chain, c->chain_len, &c->ec.sk,
						    BR_KEYTYPE_SIGN, 0, &tls_ec_nettle,
						    tls_ecdsa_sign_asn1);
	}
	session_engine_setup(t, bidi);
	if (!br_ssl_client_reset(cc, o->server_name && o->server_name[0] ? o->server_name : NULL, 0)) {
		pr_err("tls: %s %s: cannot start a client session: %s", t->what, t->peer,
		       tls_error_name(br_ssl_engine_last_error(t->eng)));
		tls_free(t);
		return -EPROTO;
	}
	*out = t;
	return 0;
}

void tls_free(struct tls_session *t)
{
	if (!t)
		return;
	free(t->xc.ee);
	free(t->xc.chain);
	free(t->xc.dec);
	free(t->out);
	/* the engine holds session keys, the buffer plaintext */
	if (t->lent) {
		if (t->buf)
			explicit_bzero(t->buf, t->bufsize);
		free(t->buf);
		explicit_bzero(t, sizeof(*t));
	} else {
		explicit_bzero(t, sizeof(*t) + t->bufsize);
	}
	free(t);
}

/* ---- lent record buffers ------------------------------------------------ */

/* BearSSL's iomode values (its inner.h, not installed). */
#define ENGINE_IO_FAILED 0
#define ENGINE_IO_INOUT 3

/*
 * Idle: the engine's buffers hold nothing it will read again. Read from
 * BearSSL 0.6's ssl_engine.c: make_ready_in() leaves the input waiting
 * for a record header with nothing received (ixa == ixb == 0, ixc == 5),
 * and a header is written at ibuf[0], a record's data after it;
 * make_ready_out() leaves the output accumulating with nothing in it
 * (oxa == oxc, the payload start, oxa != oxb), and the record layer
 * writes its header, nonce and tag around the payload when it closes a
 * record. So a detached engine is attached again to a buffer whose
 * content is anything. Everything else (handshake, a record half
 * received or not yet sent, plaintext not yet taken, closing) keeps it.
 * The handshake coroutine's hbuf_in/hbuf_out are set afresh each time
 * the engine runs it (jump_handshake), never kept across calls.
 */
static bool engine_idle(const struct tls_session *t)
{
	const br_ssl_engine_context *e = t->eng;
	unsigned st;

	if (!t->hs_done || t->out_len || e->iomode != ENGINE_IO_INOUT || !e->incrypt)
		return false;
	if (e->ixa != 0 || e->ixb != 0 || e->ixc != 5 || e->oxa != e->oxc || e->oxa == e->oxb)
		return false;
	st = br_ssl_engine_current_state(e);
	return (st & (BR_SSL_SENDAPP | BR_SSL_RECVREC)) == (BR_SSL_SENDAPP | BR_SSL_RECVREC) &&
	       !(st & (BR_SSL_CLOSED | BR_SSL_SENDREC | BR_SSL_RECVAPP));
}

/*
 * Give a lent session its buffer back before anything touches the
 * engine. Out of memory fails this session only: the engine reads as
 * closed with TLS_ERR_NO_BUFFER (it has no buffer to touch in that
 * state) and the owner closes it on its next tls_io().
 */
static void attach(struct tls_session *t)
{
	/* detached means idle, never failed: a failed one is ours, below */
	if (t->buf || t->eng->iomode == ENGINE_IO_FAILED)
		return;
	t->buf = malloc(t->bufsize);
	if (!t->buf) {
		if (t->eng->iomode != ENGINE_IO_FAILED) {
			pr_err("tls: %s %s: out of memory for the record buffer (%zu bytes): session closed",
			       t->what, t->peer, t->bufsize);
			t->failed = true;	/* logged */
			t->eng->iomode = ENGINE_IO_FAILED;
			t->eng->err = TLS_ERR_NO_BUFFER;
		}
		return;
	}
	/* same offsets as br_ssl_engine_set_buffer() chose: ibuf_len,
	 * obuf_len and every index stay valid */
	t->eng->ibuf = t->buf + t->ioff;
	t->eng->obuf = t->buf + t->ooff;
}

bool tls_release_idle(struct tls_session *t)
{
	if (!t->lent || !t->buf || !engine_idle(t))
		return false;
	/* it may hold the last records' plaintext */
	explicit_bzero(t->buf, t->bufsize);
	free(t->buf);
	t->buf = NULL;
	/* a use without attach() faults instead of touching freed memory */
	t->eng->ibuf = t->eng->obuf = NULL;
	t->eng->hbuf_in = t->eng->hbuf_out = t->eng->saved_hbuf_out = NULL;
	return true;
}

bool tls_session_holds_buffer(const struct tls_session *t)
{
	return t->buf != NULL;
}

static int closed_status(struct tls_session *t)
{
	int err = br_ssl_engine_last_error(t->eng);

	if (err == BR_ERR_OK)
		return TLS_CLOSED;
	if (!t->failed) {
		t->failed = true;
		if (err == TLS_ERR_ISSUER_MISMATCH)
			pr_warn("tls: %s %s: handshake failed: %s: client certificate issuer \"%s\" is not \"%s\"",
				t->what, t->peer, tls_error_name(err), t->xc.issuer,
				t->xc.want_issuer ? t->xc.want_issuer : "");
		else if (err == BR_ERR_X509_BAD_SERVER_NAME)
			pr_warn("tls: %s %s: handshake failed: %s: its certificate is not for \"%s\" "
				"(set server_name to a name the certificate carries)", t->what, t->peer,
				tls_error_name(err), t->server_name);
		else if (err == TLS_ERR_WRONG_EKU)
			pr_warn("tls: %s %s: handshake failed: %s: its certificate's extended key usage "
				"does not include %s", t->what, t->peer, tls_error_name(err),
				eku_name(t->xc.want_eku));
		else if (err >= BR_ERR_RECV_FATAL_ALERT)
			pr_warn("tls: %s %s: %s failed: %s (alert %d %s)", t->what, t->peer,
				t->hs_done ? "session" : "handshake", tls_error_name(err), err & 0xff,
				tls_error_text(err));
		else
			pr_warn("tls: %s %s: %s failed: %s (%s)", t->what, t->peer,
				t->hs_done ? "session" : "handshake", tls_error_name(err), tls_error_text(err));
	}
	return -EPROTO;
}

/* Send what a short send left of a gathered flight. 0 or -errno. */
static int out_flush(struct tls_session *t, bool *progress)
{
	while (t->out_len) {
		ssize_t n = send(t->fd, t->out + t->out_off, t->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		t->sent += (uint64_t)n;
		t->out_off += (size_t)n;
		t->out_len -= (size_t)n;
		*progress = true;
	}
	free(t->out);
	t->out = NULL;
	t->out_off = 0;
	return 0;
}

/*
 * BearSSL hands out one record at a time and the next only once the
 * current one is acknowledged, so a handshake flight of several records
 * (ChangeCipherSpec then Finished; a resumption's ServerHello before
 * them) would take a send() each. During the handshake the records that
 * fit in FLIGHT_MAX are copied out, acknowledged and sent together; a
 * short send keeps the rest in t->out (sent before anything else).
 * After the handshake records go straight from the engine's buffer.
 * 0: the engine moved on; -EAGAIN: the socket is full; or -errno.
 */
#define FLIGHT_MAX 1024
static int send_records(struct tls_session *t)
{
	unsigned char flight[FLIGHT_MAX], *buf;
	size_t len, fl = 0;
	ssize_t n;

	buf = br_ssl_engine_sendrec_buf(t->eng, &len);
	if (t->hs_done || len > sizeof(flight)) {
		n = send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		br_ssl_engine_sendrec_ack(t->eng, (size_t)n);
		t->sent += (uint64_t)n;
		return 0;
	}
	while (len <= sizeof(flight) - fl) {
		memcpy(flight + fl, buf, len);
		fl += len;
		br_ssl_engine_sendrec_ack(t->eng, len);
		if (!(br_ssl_engine_current_state(t->eng) & BR_SSL_SENDREC))
			break;
		buf = br_ssl_engine_sendrec_buf(t->eng, &len);
	}
	n = send(t->fd, flight, fl, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		n = 0;
	}
	t->sent += (uint64_t)n;
	if ((size_t)n < fl) {
		t->out = malloc(fl - (size_t)n);
		if (!t->out)
			return -ENOMEM;
		memcpy(t->out, flight + n, fl - (size_t)n);
		t->out_len = fl - (size_t)n;
	}
	return 0;
}

int tls_io(struct tls_session *t)
{
	/* a recv() that found the socket empty is not repeated in this call
	 * (the loop goes on after a send): the owner's poller reports what
	 * arrives later; one recv() less per flight we send */
	bool drained = false;

	attach(t);
	for (;;) {
		unsigned st = br_ssl_engine_current_state(t->eng);
		bool progress = false;
		unsigned char *buf;
		size_t len;
		ssize_t n;
		int err;

		if (t->out_len && (err = out_flush(t, &progress)) < 0) {
			if (!t->hs_done)
				pr_warn("tls: %s %s: handshake failed: send: %s", t->what, t->peer, strerror(-err));
			return err;
		}
		if (st & BR_SSL_CLOSED)
			return closed_status(t);
		if (!t->hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			t->hs_done = true;
		if ((st & BR_SSL_SENDREC) && !t->out_len) {
			err = send_records(t);
			if (!err) {
				progress = true;
				/* sending our Finished may have completed the
				 * handshake: a peer that closes right after it
				 * must read as EOF, not as a failed handshake */
				if (!t->hs_done &&
				    (br_ssl_engine_current_state(t->eng) & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
					t->hs_done = true;
			} else if (err != -EAGAIN) {
				if (!t->hs_done)
					pr_warn("tls: %s %s: handshake failed: send: %s", t->what, t->peer,
						strerror(-err));
				return err;
			}
		}
		if ((st & BR_SSL_RECVREC) && !drained) {
			buf = br_ssl_engine_recvrec_buf(t->eng, &len);
			n = recv(t->fd, buf, len, MSG_DONTWAIT);
			if (n > 0) {
				br_ssl_engine_recvrec_ack(t->eng, (size_t)n);
				progress = true;
			} else if (n == 0) {
				if (!t->hs_done)
					pr_warn("tls: %s %s: handshake failed: connection closed by the peer",
						t->what, t->peer);
				return -ECONNRESET;
			} else if (errno == EAGAIN) {
				drained = true;
			} else if (errno != EINTR) {
				err = -errno;
				if (!t->hs_done)
					pr_warn("tls: %s %s: handshake failed: recv: %s", t->what, t->peer,
						strerror(-err));
				return err;
			}
		}
		if (!progress)
			return TLS_OK;
	}
}

int tls_pump(struct tls_session *t, struct tls_pump *p)
{
	size_t budget = p->budget;

	attach(t);
	for (;;) {
		unsigned st;
		long moved;
		int rc = tls_io(t);

		if (rc)
			return rc;
		if (!t->hs_done)
			return TLS_OK;
		if (!p->established) {
			p->established = true;
			return TLS_PUMP_ESTABLISHED;
		}
		/* syslog peers have nothing to say: what they send is dropped */
		while ((st = br_ssl_engine_current_state(t->eng)) & BR_SSL_RECVAPP) {
			size_t len;

			br_ssl_engine_recvapp_buf(t->eng, &len);
			br_ssl_engine_recvapp_ack(t->eng, len);
			p->rx_discarded += len;
		}
		moved = p->fill(p->arg, t->eng, budget);
		if (moved < 0)
			return TLS_PUMP_GONE;
		if (moved == 0)
			return TLS_OK;
		budget = (size_t)moved >= budget ? 0 : budget - (size_t)moved;
		if (!budget) {
			/* hand what was produced to the socket, then let others run */
			rc = tls_io(t);
			return rc ? rc : TLS_PUMP_MORE;
		}
	}
}

uint32_t tls_events(const struct tls_session *t)
{
	unsigned st;
	uint32_t ev = 0;

	if (!t->buf)
		return EPOLLIN;	/* idle: waits for a record, sends nothing */
	st = br_ssl_engine_current_state(t->eng);
	if ((st & BR_SSL_SENDREC) || t->out_len)
		ev |= EPOLLOUT;
	if (st & BR_SSL_RECVREC)
		ev |= EPOLLIN;
	return ev;
}

br_ssl_engine_context *tls_engine(struct tls_session *t)
{
	attach(t);
	return t->eng;
}

bool tls_handshake_done(const struct tls_session *t)
{
	return t->hs_done;
}

void tls_close_notify(struct tls_session *t)
{
	attach(t);
	if (br_ssl_engine_current_state(t->eng) & BR_SSL_CLOSED)
		return;
	br_ssl_engine_close(t->eng);
	/* push the alert if the socket takes it; the peer's reply is not awaited */
	t->failed = true;	/* what follows is our own teardown, not worth a log line */
	(void)tls_io(t);
}

const char *tls_server_name(const struct tls_session *t)
{
	return br_ssl_engine_get_server_name(t->eng);
}

const char *tls_peer_issuer(const struct tls_session *t)
{
	return t->xc.issuer;
}

const char *tls_peer_subject(const struct tls_session *t)
{
	return t->xc.subject;
}

uint64_t tls_bytes_sent(const struct tls_session *t)
{
	return t->sent;
}

uint64_t tls_bytes_produced(struct tls_session *t)
{
	size_t len = 0;

	if (t->buf && (br_ssl_engine_current_state(t->eng) & BR_SSL_SENDREC))
		br_ssl_engine_sendrec_buf(t->eng, &len);
	return t->sent + t->out_len + len;
}

size_t tls_session_size(const struct tls_session *t)
{
	return sizeof(*t) + (t->buf ? t->bufsize : 0) + t->xc.chain_cap + (t->xc.dec ? sizeof(*t->xc.dec) : 0);
}

int tls_last_error(const struct tls_session *t)
{
	return br_ssl_engine_last_error(t->eng);
}

int tls_recheck_peer(const struct tls_session *t, const struct tls_anchors *ca, const char *issuer)
{
	struct x509_check *x;
	size_t off = 0;
	unsigned err;

	if (!t->xc.chain || !t->xc.chain_len)
		return -ENODATA;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x509_check_init(x, ca, issuer, t->xc.want_eku);
	x->vtable->start_chain(&x->vtable, NULL);
	while (off + 4 <= t->xc.chain_len) {
		uint32_t len;

		memcpy(&len, t->xc.chain + off, 4);
		off += 4;
		if (len > t->xc.chain_len - off)
			break;
		x->vtable->start_cert(&x->vtable, len);
		x->vtable->append(&x->vtable, t->xc.chain + off, len);
		x->vtable->end_cert(&x->vtable);
		off += len;
	}
	err = x->vtable->end_chain(&x->vtable);
	free(x->ee);
	free(x);
	return (int)err;
}

/* ---- file identity ------------------------------------------------------ */

int tls_file_stamp(const char *path, struct tls_file_stamp *st)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (!path || !path[0])
		return 0;
	if (stat(path, &sb) < 0)
		return -errno;
	st->dev = (uint64_t)sb.st_dev;
	st->ino = (uint64_t)sb.st_ino;
	st->size = (uint64_t)sb.st_size;
	st->mtime_ns = (uint64_t)sb.st_mtim.tv_sec * 1000000000u + (uint64_t)sb.st_mtim.tv_nsec;
	st->ctime_ns = (uint64_t)sb.st_ctim.tv_sec * 1000000000u + (uint64_t)sb.st_ctim.tv_nsec;
	return 0;
}

bool tls_file_stamp_eq(const struct tls_file_stamp *a, const struct tls_file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}
