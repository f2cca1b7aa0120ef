/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcapng.h - a minimal pcapng writer: one section, interfaces with a name
 * and nanosecond timestamps, enhanced packet blocks with a comment.
 * Enough for tcpdump -r, tshark and Wireshark.
 */
#ifndef EDGESTEER_PCAPNG_H
#define EDGESTEER_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_LINKTYPE_RAW	 101	/* the frame starts at the IP header */

/* Section header; the caller owns `f`. 0 or -errno. */
int pcapng_begin(FILE *f);
/* Interface description block: interfaces are numbered 0, 1, ... in the
 * order they are written. */
int pcapng_iface(FILE *f, const char *name, uint16_t linktype, uint32_t snaplen);
/* Enhanced packet block; `comment` may be NULL. ts in ns since the epoch. */
int pcapng_packet(FILE *f, uint32_t iface, uint64_t ts_ns, const void *data, uint32_t caplen,
		  uint32_t origlen, const char *comment);

#endif
