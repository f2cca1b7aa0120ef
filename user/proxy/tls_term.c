// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls_term.c - the proxy's TLS terminator (route option terminate=CERT,KEY).
 *
 * conn.c routes the connection by the ClientHello's server name as for
 * any route, then hands the client side to this transform with the
 * bytes it already read. The certificate is therefore the one of the
 * route the SNI selected (default/no_sni routes have their own). open()
 * feeds those bytes to a fresh BearSSL server engine as received records
 * and pushes the server's first flight at once, so the handshake runs
 * while conn.c connects the upstream. From then on read() and write()
 * move plaintext through the engine; want() pushes records still queued
 * in the engine (so a level-triggered EPOLLOUT never spins) and asks for
 * EPOLLOUT only while the socket is full.
 *
 * Endings: an EOF from the upstream becomes close_notify to the client
 * (shutdown_wr). The client's close_notify, or a TCP FIN after the
 * handshake, reads as EOF and conn.c passes it on as shutdown(SHUT_WR) to
 * the upstream. TLS 1.2 has no half-close: once either side sent
 * close_notify the session ends in both directions, so a client that
 * sends close_notify before reading the whole response loses the rest -
 * as with any TLS server. Deadlines are conn.c's (hello, connect, idle);
 * hello_timeout also bounds the rest of the handshake, counted from when
 * the upstream is connected (conn.c asks established()).
 *
 * Credentials are loaded once per (CERT, KEY) and reloaded when either
 * file's mtime changes, looked at (two stat()s) at most once per
 * RECHECK_MS per credential rather than for every connection: a renewed
 * certificate is served within a second; a replaced credential stays in
 * memory while sessions still use it and is freed with the last of them.
 * Each credential has its own session-resumption cache (BearSSL's LRU in
 * CACHE_BYTES, ~2,000 sessions), so a returning client skips the
 * public-key work, and a session only ever resumes under the certificate
 * it was made with.
 * A session costs its context (~5 KB) plus, only while it works, a
 * full-duplex ~33 KB record buffer: want(), which conn.c calls after
 * every event it handled for the connection, hands the buffer back when
 * the session is idle (tls_release_idle()), and the next read, write or
 * close borrows one again. No engine pointer is kept across want().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "proxy_int.h"
#include "core/log.h"
#include "tls/tls.h"
#include "tls_term.h"

#define CACHE_BYTES (200u << 10)
/* how stale a credential's file stamps may be: two stat()s per
 * connection were ~2.5 % of a resumed handshake's CPU */
#define RECHECK_MS 1000

static unsigned recheck_ms = RECHECK_MS;

struct cred_ent {
	char cert[CONF_PATH_MAX], key[CONF_PATH_MAX];
	struct timespec mc, mk;
	uint64_t checked_ms;		/* when mc and mk were last compared */
	struct tls_cred *cred;
	const br_ssl_session_cache_class *cache;	/* locked_cache_vtable: what sessions use */
	pthread_mutex_t cache_mu;
	br_ssl_session_cache_lru lru;
	unsigned char *store;
	int refs;			/* live sessions using it */
	bool stale;			/* replaced on disk: freed at refs == 0 */
	struct cred_ent *next;
};

/* Proxy workers (threads) share the credentials and their session
 * caches, so a client resumes on whichever worker the kernel hands it
 * to: the list and refs under creds_mu, each cache under its own lock
 * (BearSSL's LRU has none), taken by the locked_* methods below. */
static struct cred_ent *creds;
static pthread_mutex_t creds_mu = PTHREAD_MUTEX_INITIALIZER;

struct term {
	struct tls_session *t;
	struct cred_ent *ce;
	int fd;
};

static void locked_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *server_ctx,
			const br_ssl_session_parameters *params)
{
	struct cred_ent *e = container_of(ctx, struct cred_ent, cache);

	pthread_mutex_lock(&e->cache_mu);
	e->lru.vtable->save(&e->lru.vtable, server_ctx, params);
	pthread_mutex_unlock(&e->cache_mu);
}

static int locked_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *server_ctx,
		       br_ssl_session_parameters *params)
{
	struct cred_ent *e = container_of(ctx, struct cred_ent, cache);
	int rc;

	pthread_mutex_lock(&e->cache_mu);
	rc = e->lru.vtable->load(&e->lru.vtable, server_ctx, params);
	pthread_mutex_unlock(&e->cache_mu);
	return rc;
}

static const br_ssl_session_cache_class locked_cache_vtable = {
	.context_size = sizeof(struct cred_ent),
	.save = locked_save,
	.load = locked_load,
};

/* Free e if it is stale and unused; creds_mu held. */
static void cred_put(struct cred_ent *e)
{
	struct cred_ent **pp;

	if (e->refs || !e->stale)
		return;
	for (pp = &creds; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	tls_cred_free(e->cred);
	pthread_mutex_destroy(&e->cache_mu);
	free(e->store);
	free(e);
}

static void cred_release(struct cred_ent *e)
{
	pthread_mutex_lock(&creds_mu);
	e->refs--;
	cred_put(e);
	pthread_mutex_unlock(&creds_mu);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void tls_term_set_recheck_ms(unsigned ms)
{
	recheck_ms = ms;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	/* coarse: the vDSO answers without a syscall */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The credential of (cert, key) with one more reference (cred_release). */
static struct cred_ent *cred_get_locked(const char *cert, const char *key)
{
	uint64_t now = now_ms();
	struct stat sc, sk;
	struct cred_ent *e;

	/* the live credential of these files, if there is one */
	for (e = creds; e; e = e->next)
		if (!e->stale && !strcmp(e->cert, cert) && !strcmp(e->key, key))
			break;
	/* looked at recently: no stat() */
	if (e && now - e->checked_ms < recheck_ms) {
		e->refs++;
		return e;
	}
	if (stat(cert, &sc) < 0 || stat(key, &sk) < 0) {
		pr_err("tls: terminate=%s,%s: %s", cert, key, strerror(errno));
		return NULL;
	}
	if (e) {
		if (same_time(&e->mc, &sc.st_mtim) && same_time(&e->mk, &sk.st_mtim)) {
			e->checked_ms = now;
			e->refs++;
			return e;
		}
		/* changed on disk: load anew; the old one stays while live
		 * sessions use it, then goes */
		e->stale = true;
		cred_put(e);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->store = malloc(CACHE_BYTES);
	if (!e->store || tls_cred_load(cert, key, &e->cred)) {
		free(e->store);
		free(e);
		return NULL;
	}
	if (pthread_mutex_init(&e->cache_mu, NULL)) {
		tls_cred_free(e->cred);
		free(e->store);
		free(e);
		return NULL;
	}
	br_ssl_session_cache_lru_init(&e->lru, e->store, CACHE_BYTES);
	e->cache = &locked_cache_vtable;
	e->refs = 1;
	snprintf(e->cert, sizeof(e->cert), "%s", cert);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->mc = sc.st_mtim;
	e->mk = sk.st_mtim;
	e->checked_ms = now;
	e->next = creds;
	creds = e;
	pr_info("tls: loaded %s certificate %s for terminating routes", tls_cred_type(e->cred), cert);
	return e;
}

static struct cred_ent *cred_get(const char *cert, const char *key)
{
	struct cred_ent *e;

	pthread_mutex_lock(&creds_mu);
	e = cred_get_locked(cert, key);
	pthread_mutex_unlock(&creds_mu);
	return e;
}

static int term_open(const struct conf_route *r, int fd, const struct sockaddr *client, const uint8_t *hello,
		     size_t len, void **state)
{
	struct tls_server_opts o = { 0 };
	struct cred_ent *ce = cred_get(r->cert, r->key);
	char peer[64] = "?";
	struct term *x;
	int err;

	if (!ce)
		return -EINVAL;
	o.cred = ce->cred;
	o.cache = &ce->cache;
	o.lend_buffer = true;
	if (client)
		conf_addr_str(client, peer, sizeof(peer));
	x = calloc(1, sizeof(*x));
	if (!x) {
		cred_release(ce);
		return -ENOMEM;
	}
	x->fd = fd;
	x->ce = ce;
	err = tls_server_new(&o, fd, TLS_BUF_BIDI, true, "client", peer, &x->t);
	if (err) {
		cred_release(ce);
		free(x);
		return err;
	}
	/* the bytes conn.c already read are the first records */
	while (len) {
		br_ssl_engine_context *eng = tls_engine(x->t);
		unsigned char *buf;
		size_t room;

		if (!(br_ssl_engine_current_state(eng) & BR_SSL_RECVREC))
			break;
		buf = br_ssl_engine_recvrec_buf(eng, &room);
		if (room > len)
			room = len;
		memcpy(buf, hello, room);
		br_ssl_engine_recvrec_ack(eng, room);
		hello += room;
		len -= room;
	}
	err = tls_io(x->t);
	if (err < 0 || len) {
		tls_free(x->t);
		cred_release(ce);
		free(x);
		return err < 0 ? err : -EPROTO;
	}
	*state = x;
	return 0;
}

/* tls_io's result as read(2)/write(2) would say it; 1: go on. */
static int io_status(struct term *x, bool reading)
{
	int rc = tls_io(x->t);

	if (rc == TLS_OK)
		return 1;
	if (rc == TLS_CLOSED || (rc == -ECONNRESET && reading && tls_handshake_done(x->t)))
		return 0;	/* close_notify, or FIN after the handshake: EOF */
	errno = rc == -EPROTO ? EPROTO : -rc;
	return -1;
}

static ssize_t term_read(void *state, int fd, void *buf, size_t len)
{
	struct term *x = state;
	br_ssl_engine_context *eng = tls_engine(x->t);
	unsigned char *p;
	size_t n;
	int st = io_status(x, true);

	/* plaintext already decrypted goes first, whatever came after it */
	if (!(br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP)) {
		if (st <= 0)
			return st;
		errno = EAGAIN;
		return -1;
	}
	p = br_ssl_engine_recvapp_buf(eng, &n);
	if (n > len)
		n = len;
	memcpy(buf, p, n);
	br_ssl_engine_recvapp_ack(eng, n);
	return (ssize_t)n;
}

static ssize_t term_write(void *state, int fd, const void *buf, size_t len)
{
	struct term *x = state;
	br_ssl_engine_context *eng = tls_engine(x->t);
	unsigned char *p;
	size_t n;
	int st = io_status(x, false);

	if (st <= 0) {
		if (st == 0)
			errno = EPIPE;	/* the session is over: nothing can be sent */
		return -1;
	}
	if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP)) {
		errno = EAGAIN;
		return -1;
	}
	p = br_ssl_engine_sendapp_buf(eng, &n);
	if (n > len)
		n = len;
	memcpy(p, buf, n);
	br_ssl_engine_sendapp_ack(eng, n);
	br_ssl_engine_flush(eng, 0);
	/* push now; a failure shows on the next call (errors are sticky) */
	(void)tls_io(x->t);
	return (ssize_t)n;
}

static int term_shutdown_wr(void *state, int fd)
{
	struct term *x = state;

	tls_close_notify(x->t);
	return 0;
}

static uint32_t term_want(void *state)
{
	struct term *x = state;

	/* flush queued records here, so EPOLLOUT is asked only while the
	 * socket is full (level-triggered epoll would spin otherwise) */
	if (tls_events(x->t) & EPOLLOUT)
		(void)tls_io(x->t);
	/* the end of the connection's turn: nothing holds engine state */
	(void)tls_release_idle(x->t);
	return tls_events(x->t) & EPOLLOUT;
}

static bool term_established(void *state)
{
	struct term *x = state;

	return tls_handshake_done(x->t);
}

static bool term_pending(void *state)
{
	struct term *x = state;

	/* without its buffer a session is idle: nothing decrypted waits
	 * (and asking must not borrow one) */
	if (!tls_session_holds_buffer(x->t))
		return false;
	return br_ssl_engine_current_state(tls_engine(x->t)) & BR_SSL_RECVAPP;
}

static void term_close(void *state)
{
	struct term *x = state;

	tls_free(x->t);
	cred_release(x->ce);
	free(x);
}

static const struct conn_xform_ops tls_term_ops = {
	.name = "tls",
	.open = term_open,
	.read = term_read,
	.write = term_write,
	.shutdown_wr = term_shutdown_wr,
	.want = term_want,
	.close = term_close,
	.established = term_established,
	.pending = term_pending,
};

void tls_term_register(void)
{
	conn_register_xform(&tls_term_ops);
}
