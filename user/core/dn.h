/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dn.h - X.500 distinguished names in one canonical text form, for
 * the exact issuer check of client certificates ([syslog] client_issuer).
 *
 * Canonical form (RFC 4514 order and escaping, normalised):
 *   - RDNs from the last in the DER encoding to the first, joined by ","
 *     (so the CN of "/O=Example/CN=Edge CA" comes first: "CN=Edge CA,O=Example");
 *     attributes of one multi-valued RDN joined by "+", in DER order;
 *   - attribute types by their short upper-case name (CN, O, OU, C, L, ST,
 *     STREET, DC, UID, SN, GN, serialNumber, emailAddress), other types as
 *     a dotted OID;
 *   - string values as their bytes, with , + " \ < > ; = escaped by a
 *     backslash, as are a leading space or '#' and a trailing space;
 *     values of other ASN.1 types as '#' and lower-case hex of the DER;
 *   - no spaces around separators.
 * A configured string is parsed (types case-insensitive, spaces around
 * "," "+" and "=" ignored, "\X" and "\HH" escapes understood) and printed
 * back in the same form; then the two are compared byte for byte, so
 * values are case-sensitive.
 */
#ifndef EDGESTEER_DN_H
#define EDGESTEER_DN_H

#include <stddef.h>
#include <stdint.h>

#define TLS_DN_MAX 512

/* DER Name (the SEQUENCE, tag included) to canonical text; 0 or -EINVAL/-ENOSPC. */
int dn_from_der(const uint8_t *der, size_t len, char *out, size_t outlen);
/* The issuer Name of a DER certificate, canonical; 0 or -EINVAL/-ENOSPC. */
int dn_cert_issuer(const uint8_t *cert, size_t len, char *out, size_t outlen);
/* The subject Name of a DER certificate, canonical; 0 or -EINVAL/-ENOSPC. */
int dn_cert_subject(const uint8_t *cert, size_t len, char *out, size_t outlen);
/* A user-written DN string to canonical text; 0 or -EINVAL/-ENOSPC. */
int dn_canon(const char *in, char *out, size_t outlen);

/* A cursor over DER bytes; also what tls/ reads certificate extensions with. */
struct dn_der {
	const uint8_t *p;
	size_t len;
};
/* Take one TLV (single-byte tag, length up to 3 bytes) off the front of d:
 * *val is its contents, *whole (may be NULL) the TLV itself; 0 or -EINVAL. */
int dn_der_next(struct dn_der *d, uint8_t *tag, struct dn_der *val, struct dn_der *whole);

#endif
