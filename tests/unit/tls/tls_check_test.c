// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls_check: the validity dates read from DER (UTCTime and
 * GeneralizedTime, with and without a version field), and every
 * truncation refused without reading past the end.
 */
#include "harness.h"

#include "tls/tls_check.h"

/* A TBSCertificate skeleton around a validity; enough for the walk. */
static size_t mk_cert(uint8_t *buf, bool version, const uint8_t *validity, size_t vlen)
{
	uint8_t tbs[256];
	size_t n = 0, m = 0;

	if (version) {
		const uint8_t v[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };

		memcpy(tbs + n, v, sizeof(v));
		n += sizeof(v);
	}
	const uint8_t rest[] = { 0x02, 0x01, 0x07,			/* serial */
				 0x30, 0x03, 0x06, 0x01, 0x2a,		/* signature alg */
				 0x30, 0x00 };				/* issuer */
	memcpy(tbs + n, rest, sizeof(rest));
	n += sizeof(rest);
	memcpy(tbs + n, validity, vlen);
	n += vlen;
	buf[m++] = 0x30;
	buf[m++] = (uint8_t)(n + 2);
	buf[m++] = 0x30;
	buf[m++] = (uint8_t)n;
	memcpy(buf + m, tbs, n);
	return m + n;
}

TEST(utctime_and_generalizedtime_are_read)
{
	/* 2020-01-01 00:00:00 .. 2051-02-03 04:05:06 (GeneralizedTime) */
	const uint8_t val[] = { 0x30, 0x20,
				0x17, 0x0d, '2', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z',
				0x18, 0x0f, '2', '0', '5', '1', '0', '2', '0', '3', '0', '4', '0', '5', '0', '6', 'Z' };
	uint8_t cert[256];
	int64_t nb = 0, na = 0;
	size_t len;

	len = mk_cert(cert, true, val, sizeof(val));
	ASSERT_EQ(tls_der_validity(cert, len, &nb, &na), 0);
	EXPECT_EQ(nb, 1577836800);
	EXPECT_EQ(na, 2559009906);
	/* a v1 certificate has no version field */
	len = mk_cert(cert, false, val, sizeof(val));
	ASSERT_EQ(tls_der_validity(cert, len, &nb, &na), 0);
	EXPECT_EQ(nb, 1577836800);
}

TEST(utctime_years_below_50_are_2000s)
{
	const uint8_t val[] = { 0x30, 0x1e,
				0x17, 0x0d, '9', '9', '1', '2', '3', '1', '2', '3', '5', '9', '5', '9', 'Z',
				0x17, 0x0d, '4', '9', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z' };
	uint8_t cert[256];
	int64_t nb = 0, na = 0;
	size_t len = mk_cert(cert, true, val, sizeof(val));

	ASSERT_EQ(tls_der_validity(cert, len, &nb, &na), 0);
	EXPECT_EQ(nb, 946684799);	/* 1999-12-31 23:59:59 */
	EXPECT_EQ(na, 2493072000);	/* 2049-01-01 */
}

TEST(every_truncation_and_bad_time_is_refused)
{
	const uint8_t val[] = { 0x30, 0x1e,
				0x17, 0x0d, '2', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z',
				0x17, 0x0d, '3', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z' };
	const uint8_t bad[] = { 0x30, 0x1e,
				0x17, 0x0d, '2', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'X',
				0x17, 0x0d, '3', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z' };
	uint8_t cert[256], *copy;
	int64_t nb, na;
	size_t len = mk_cert(cert, true, val, sizeof(val)), i;

	for (i = 0; i < len; i++) {
		/* an exact-size heap copy, so ASan would see a read past it */
		copy = malloc(i ? i : 1);
		ASSERT_TRUE(copy != NULL);
		memcpy(copy, cert, i);
		EXPECT_NE(tls_der_validity(copy, i, &nb, &na), 0);
		free(copy);
	}
	len = mk_cert(cert, true, bad, sizeof(bad));
	EXPECT_NE(tls_der_validity(cert, len, &nb, &na), 0);
}

TEST_HARNESS_MAIN
