/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sni.h - pure parsers of the first bytes a proxied client sends: the TLS
 * ClientHello (server_name extension) and the HTTP/1.x request head (Host
 * header). Bytes in, a result out; no I/O, no allocation, no global state.
 * The same functions are the fuzz entry points (tests/fuzz/sni.c).
 *
 * Call them with everything received so far (from the first byte of the
 * connection); they are cheap enough to call again after every read.
 *
 *   result          meaning                                   what to do
 *   SNI_OK          a name was found, copied into `name`      route by it
 *   SNI_NONE        complete and valid, but carries no name   no_sni route
 *   SNI_NEED_MORE   valid so far, but incomplete              read more
 *   SNI_BAD         not a ClientHello / request, malformed    close, count
 *
 * `name` comes back lower case, without a trailing dot, NUL-terminated,
 * made only of [a-z0-9-_.] (HTTP: the port is removed; an IPv6 literal is
 * returned in brackets, e.g. "[2001:db8::1]"). A name that does not fit
 * `name_len`, or holds other characters, is SNI_BAD: nothing is truncated.
 */
#ifndef EDGESTEER_SNI_H
#define EDGESTEER_SNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most a client may send before we know where it goes (TLS and HTTP). */
#define SNI_MAX_HELLO	16384
#define SNI_NAME_MAX	256	/* 255 bytes of name + NUL */

enum sni_result {
	SNI_OK = 0,
	SNI_NONE = 1,
	SNI_NEED_MORE = 2,
	SNI_BAD = 3,
};

/*
 * TLS: `buf` holds TLS records starting at the first record header. The
 * ClientHello handshake message may be split over any number of
 * handshake records; a hello longer than SNI_MAX_HELLO is SNI_BAD, so is
 * a record of another type before the hello is complete.
 */
enum sni_result sni_parse_tls(const uint8_t *buf, size_t len, char *name, size_t name_len);

/*
 * The same, and the protocols the hello offers in its ALPN extension
 * (RFC 7301): on SNI_OK and SNI_NONE, alpn->list holds the extension's
 * ProtocolNameList (each name a length byte and that many bytes, every
 * length non-zero and adding up exactly, else SNI_BAD), alpn->len its
 * length (0: no ALPN extension). A second ALPN extension is SNI_BAD; a
 * list longer than SNI_ALPN_MAX is kept as its first SNI_ALPN_MAX bytes
 * cut at a name boundary (the client listed its preferences first).
 */
#define SNI_ALPN_MAX	256
struct sni_alpn {
	uint8_t list[SNI_ALPN_MAX];
	size_t len;
};
enum sni_result sni_parse_tls_alpn(const uint8_t *buf, size_t len, char *name, size_t name_len,
				   struct sni_alpn *alpn);
/* Does the ALPN list offer `proto` (exactly, case-sensitive)? */
bool sni_alpn_offers(const struct sni_alpn *alpn, const char *proto);

/*
 * HTTP/1.x: `buf` holds the request from its first byte. The whole head
 * (up to the empty line) must arrive before a result other than NEED_MORE
 * (a head longer than SNI_MAX_HELLO is SNI_BAD). The host comes from an
 * absolute-form target if there is one (RFC 9112 3.2.2), else from the one
 * Host header; two Host headers, a folded line or a header line without
 * a colon are SNI_BAD. HTTP/1.0 without Host is SNI_NONE.
 */
enum sni_result sni_parse_http(const uint8_t *buf, size_t len, char *name, size_t name_len);

const char *sni_result_str(enum sni_result r);

#endif
