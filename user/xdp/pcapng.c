// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcapng.c - see pcapng.h. Blocks are written in host byte order; the
 * section header's byte-order magic tells readers which one that is.
 */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static int put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -EIO;
}

static int put32(FILE *f, uint32_t v)
{
	return put(f, &v, 4);
}

static int put_opt(FILE *f, uint16_t code, const void *v, uint16_t len)
{
	static const uint8_t zero[4];
	uint16_t h[2] = { code, len };
	int err = put(f, h, 4);

	err = err ?: put(f, v, len);
	return err ?: put(f, zero, pad4(len) - len);
}

static uint32_t opt_size(uint32_t len)
{
	return 4 + pad4(len);
}

int pcapng_begin(FILE *f)
{
	uint32_t len = 28;
	uint16_t ver[2] = { 1, 0 };
	int64_t section_len = -1;	/* unknown: written as we go */
	int err;

	err = put32(f, BT_SHB);
	err = err ?: put32(f, len);
	err = err ?: put32(f, 0x1A2B3C4Du);
	err = err ?: put(f, ver, 4);
	err = err ?: put(f, &section_len, 8);
	return err ?: put32(f, len);
}

int pcapng_iface(FILE *f, const char *name, uint16_t linktype, uint32_t snaplen)
{
	uint16_t lt[2] = { linktype, 0 };
	uint8_t tsresol = 9;	/* 10^-9 s */
	uint16_t nlen = (uint16_t)strnlen(name, 64);
	uint32_t len = 20 + opt_size(nlen) + opt_size(1) + 4;
	int err;

	err = put32(f, BT_IDB);
	err = err ?: put32(f, len);
	err = err ?: put(f, lt, 4);
	err = err ?: put32(f, snaplen);
	err = err ?: put_opt(f, OPT_IF_NAME, name, nlen);
	err = err ?: put_opt(f, OPT_IF_TSRESOL, &tsresol, 1);
	err = err ?: put32(f, OPT_END);
	return err ?: put32(f, len);
}

int pcapng_packet(FILE *f, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		  uint32_t origlen, const char *comment)
{
	static const uint8_t zero[4];
	uint16_t clen = comment ? (uint16_t)strnlen(comment, 1024) : 0;
	uint32_t len = 32 + pad4(caplen) + (clen ? opt_size(clen) + 4 : 0);
	int err;

	err = put32(f, BT_EPB);
	err = err ?: put32(f, len);
	err = err ?: put32(f, iface);
	err = err ?: put32(f, (uint32_t)(ts_ns >> 32));
	err = err ?: put32(f, (uint32_t)ts_ns);
	err = err ?: put32(f, caplen);
	err = err ?: put32(f, origlen);
	err = err ?: put(f, data, caplen);
	err = err ?: put(f, zero, pad4(caplen) - caplen);
	if (clen) {
		err = err ?: put_opt(f, OPT_COMMENT, comment, clen);
		err = err ?: put32(f, OPT_END);
	}
	return err ?: put32(f, len);
}
