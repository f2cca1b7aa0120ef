/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wdprobe.h - the watchdog's active probe: an ICMP echo (v4 or v6) to a
 * configured neighbour, sent through one interface only (raw socket with
 * SO_BINDTODEVICE), whose answer proves the adapter still receives even
 * when nothing else is sent to it. Replies are matched by source address
 * and echo identifier. (Owner: watchdog.)
 */
#ifndef EDGESTEER_WDPROBE_H
#define EDGESTEER_WDPROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/loop.h"

struct wd_probe {
	int fd;			/* -1 until the first send */
	struct loop_fd h;
	struct loop *l;
	struct sockaddr_storage peer;
	uint16_t id, seq;
	bool answered;		/* since the last wd_probe_answered() */
	uint64_t sent, answered_total, errors;
};

void wd_probe_init(struct wd_probe *p, uint16_t id);
/* Send one echo request to `peer` through `ifname` (opening the socket on
 * first use); 0, or -errno when the socket cannot be opened. A refused
 * send (no address yet, no route) only counts in p->errors. */
int wd_probe_send(struct wd_probe *p, struct loop *l, const struct conf_addr *peer, const char *ifname,
		  int ifindex);
/* Was an answer seen since the last call? Clears the flag. */
bool wd_probe_answered(struct wd_probe *p);
/* Is this datagram (as a raw socket returns it: IPv4 with its header,
 * ICMPv6 without) an echo reply from the peer with our identifier?
 * Pure; bounds-checked on its own. */
bool wd_probe_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		    size_t len);
/* Close the socket (the interface went away or was renamed). */
void wd_probe_close(struct wd_probe *p);

#endif
