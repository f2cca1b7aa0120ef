/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tls.h - BearSSL glue for the non-blocking event loop.
 *
 * Credentials (certificate chain + RSA or EC private key) and trust
 * anchors are loaded once from PEM files and shared read-only by every
 * session that uses them. A session owns one BearSSL engine, its I/O
 * buffer and the fd it talks over; the owner (a subscriber, a forwarder,
 * a terminating proxy connection) calls tls_io() whenever the fd is
 * ready, then moves application data with the engine's sendapp/recvapp
 * calls, and sets its epoll interest from tls_events(). Nothing here
 * blocks and nothing here arms timers: deadlines belong to the owner.
 *
 * Policy, fixed for every session: TLS 1.2 only (BearSSL implements no
 * TLS 1.3), ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, no
 * renegotiation. Servers that are given a client CA require a client
 * certificate that chains to it and, when an issuer DN is configured,
 * whose issuer is exactly that DN (canonical form: tls_dn.h). Clients
 * verify the server's chain against their anchors and its name. Where an
 * end-entity certificate carries extendedKeyUsage it must allow the role
 * it is used in: serverAuth for servers, clientAuth for clients.
 * Key material (private keys, PEM and DER buffers, session state) is
 * wiped before its memory is freed.
 *
 * Buffers: a full-duplex session needs BR_SSL_BUFSIZE_BIDI (~33 KB); a
 * session that mostly writes in one direction (syslog subscribers and
 * forwarders) uses TLS_BUF_MONO (~16.3 KB): half-duplex, every record
 * size still accepted from the peer. See README "TLS". A server made
 * with lend_buffer (the proxy's terminator) holds its buffer only while
 * it works: tls_release_idle().
 */
#ifndef EDGESTEER_TLS_H
#define EDGESTEER_TLS_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dn.h"

#define TLS_BUF_MONO BR_SSL_BUFSIZE_MONO
#define TLS_BUF_BIDI BR_SSL_BUFSIZE_BIDI

/* Our own X.509 errors, in BearSSL's X.509 range (sent as bad_certificate). */
#define TLS_ERR_WRONG_EKU 61		/* extendedKeyUsage lacks the role */
#define TLS_ERR_ISSUER_MISMATCH 63
/* Ours too: no memory to attach a lent record buffer (tls_release_idle). */
#define TLS_ERR_NO_BUFFER 70

/* A peer certificate chain kept for tls_recheck_peer() is at most this big. */
#define TLS_PEER_CHAIN_MAX (64u << 10)

/* The role a peer's end-entity certificate must allow when it carries an
 * extendedKeyUsage extension (one without the extension allows all). */
enum tls_eku { TLS_EKU_NONE, TLS_EKU_SERVER, TLS_EKU_CLIENT };

struct tls_cred;
struct tls_anchors;

int tls_cred_load(const char *cert_path, const char *key_path, struct tls_cred **out);
void tls_cred_free(struct tls_cred *c);
/* "RSA" or "EC" */
const char *tls_cred_type(const struct tls_cred *c);

int tls_anchors_load(const char *path, struct tls_anchors **out);
void tls_anchors_free(struct tls_anchors *a);
size_t tls_anchors_count(const struct tls_anchors *a);

/* Picks the credential for a server name (may be "" when no SNI); NULL: default. */
typedef const struct tls_cred *(*tls_sni_cb)(void *arg, const char *server_name);

struct tls_server_opts {
	const struct tls_cred *cred;		/* default credential, required */
	tls_sni_cb sni;				/* optional per-name choice */
	void *sni_arg;
	const struct tls_anchors *client_ca;	/* NULL: no client certificate asked */
	const char *client_issuer;		/* canonical DN or NULL/"": any issuer */
	const br_ssl_session_cache_class **cache; /* optional resumption cache, shared */
	bool keep_peer_chain;			/* for tls_recheck_peer() after a reload */
	bool lend_buffer;			/* the record buffer only while busy:
						 * see tls_release_idle() */
};

struct tls_client_opts {
	const struct tls_anchors *ca;		/* required unless no_verify */
	const char *server_name;		/* verified against the certificate, sent
						 * as SNI; NULL/"" would skip the name
						 * check (and send no SNI) */
	const struct tls_cred *cred;		/* optional client certificate */
	bool no_verify;				/* handshake only, certificate not verified
						 * (ca unused): the proxy's check = tls
						 * without check_ca, never for data */
	bool quiet;				/* no log line of our own when it fails:
						 * the owner reports tls_last_error() */
};

enum tls_status {
	TLS_OK = 0,		/* progress possible; see tls_events() */
	TLS_CLOSED = 1,		/* orderly close_notify from the peer */
};

struct tls_session;

/* `bufsize`: TLS_BUF_MONO or TLS_BUF_BIDI (or anything in between).
 * `peer` and `what` ("subscriber", "collector") are used in log lines. */
int tls_server_new(const struct tls_server_opts *o, int fd, size_t bufsize, bool bidi,
		   const char *what, const char *peer, struct tls_session **out);
int tls_client_new(const struct tls_client_opts *o, int fd, size_t bufsize, bool bidi,
		   const char *what, const char *peer, struct tls_session **out);
/* Free the session; does not close the fd. */
void tls_free(struct tls_session *t);

/*
 * Move records between the engine and the socket until neither can make
 * progress (EAGAIN both ways or nothing to move). Returns TLS_OK,
 * TLS_CLOSED, or a negative error: -EPROTO (a TLS failure, logged once
 * with BearSSL's error name and the peer), -ECONNRESET (the peer closed
 * without close_notify) or another -errno from the socket.
 */
int tls_io(struct tls_session *t);
/*
 * One turn of a session that streams in one direction (syslog subscribers
 * and forwarders): tls_io(), then, once the handshake is done, drop what
 * the peer sent and let the owner's fill() copy plaintext into the
 * engine, until the socket or the owner has nothing more or `budget`
 * plaintext bytes moved. Returns:
 *   TLS_OK               wait for tls_events() (handshake running, socket
 *                        full, or the owner caught up)
 *   TLS_PUMP_ESTABLISHED the handshake just completed; nothing filled yet:
 *                        the owner sets itself up and calls again
 *   TLS_PUMP_MORE        budget used up with more to send: run again soon
 *   TLS_PUMP_GONE        fill() returned < 0 (the owner closed itself)
 *   TLS_CLOSED or < 0    as tls_io()
 */
struct tls_pump {
	size_t budget;
	/* plaintext into the engine (SENDAPP); bytes moved, 0: nothing to
	 * send now, < 0: the owner is gone. Flushes what it wrote. */
	long (*fill)(void *arg, br_ssl_engine_context *eng, size_t budget);
	void *arg;
	bool established;		/* set by tls_pump() */
	uint64_t rx_discarded;		/* application bytes the peer sent */
};
#define TLS_PUMP_ESTABLISHED 2
#define TLS_PUMP_MORE 3
#define TLS_PUMP_GONE 4
int tls_pump(struct tls_session *t, struct tls_pump *p);

/* epoll interest the engine needs now: EPOLLIN and/or EPOLLOUT. */
uint32_t tls_events(const struct tls_session *t);
br_ssl_engine_context *tls_engine(struct tls_session *t);
bool tls_handshake_done(const struct tls_session *t);
/* Start an orderly close: queue close_notify and push it out if the
 * socket takes it now (best effort, never waits). */
void tls_close_notify(struct tls_session *t);
/* Server name the client asked for (SNI), "" if none. */
const char *tls_server_name(const struct tls_session *t);
/* Canonical issuer DN of the peer's certificate ("" when none). */
const char *tls_peer_issuer(const struct tls_session *t);
/* Canonical subject DN of the peer's certificate ("" when none). */
const char *tls_peer_subject(const struct tls_session *t);
/* Ciphertext bytes handed to the kernel so far. */
uint64_t tls_bytes_sent(const struct tls_session *t);
/* Ciphertext produced so far: sent plus records waiting in the engine. */
uint64_t tls_bytes_produced(struct tls_session *t);
/* Bytes this session holds in memory (context, buffer, kept peer chain). */
size_t tls_session_size(const struct tls_session *t);

/*
 * A session made with lend_buffer holds its record buffer (bufsize
 * bytes) only while it works: tls_release_idle() wipes and frees it when
 * the session is established and idle (no record partly received or
 * waiting to be sent, no plaintext waiting to be read, not closing) and
 * says so; every call here that touches the engine (tls_io, tls_pump,
 * tls_engine, tls_close_notify) allocates it again first. So the owner
 * calls tls_release_idle() only where it keeps no engine state (nothing
 * from tls_engine() or its *_buf calls) across the call. If that
 * allocation fails, the session fails (TLS_ERR_NO_BUFFER, logged with
 * the peer): the next tls_io() returns -EPROTO. Without lend_buffer
 * (and for clients) it is a no-op returning false.
 */
bool tls_release_idle(struct tls_session *t);
bool tls_session_holds_buffer(const struct tls_session *t);

/* BearSSL error code -> "BR_ERR_X509_NOT_TRUSTED"-style name. */
const char *tls_error_name(int err);
/* A short human explanation of the same code. */
const char *tls_error_text(int err);
/* The engine's last error (0 when none). */
int tls_last_error(const struct tls_session *t);

/*
 * Would the peer's certificate chain (kept: keep_peer_chain) pass with
 * these anchors and issuer rule now? 0, a BearSSL/TLS_ERR_* code (> 0),
 * or -ENODATA when no chain was kept. For reloads that tighten trust.
 */
int tls_recheck_peer(const struct tls_session *t, const struct tls_anchors *ca, const char *issuer);

/* Identity of a file's content as far as stat() tells: a certificate
 * renewed in place (same path) has another inode, size or times. */
struct tls_file_stamp {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
};
/* All zero for "" (no file); -errno when stat fails. */
int tls_file_stamp(const char *path, struct tls_file_stamp *st);
bool tls_file_stamp_eq(const struct tls_file_stamp *a, const struct tls_file_stamp *b);

#endif
