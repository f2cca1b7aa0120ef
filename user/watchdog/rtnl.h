/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnl.h - the little rtnetlink the watchdog needs: look a link up (flags,
 * MAC, 64-bit counters), set it up or down, parse link events, and find
 * what a probe needs: the default route's gateway through a link and the
 * link's own IPv4 address.
 *
 * Requests are synchronous on their own socket with a receive deadline
 * (RTNL_TIMEOUT_MS): the kernel answers at once, and a late answer to a
 * timed-out request is recognised by its sequence number and skipped.
 * Events come on a separate non-blocking socket owned by the caller.
 * (Owner: watchdog.)
 */
#ifndef EDGESTEER_RTNL_H
#define EDGESTEER_RTNL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000	/* <linux/if.h>; clashes with <net/if.h> */
#endif

#define RTNL_TIMEOUT_MS 1000	/* deadline of one request */
#define RTNL_BUF 32768		/* one receive; link messages are ~1-2 KiB */

struct rtnl {
	int fd;
	uint32_t seq;
};

/* What RTM_NEWLINK says about a link. */
struct rtnl_link {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned flags;		/* IFF_UP, IFF_LOWER_UP (carrier), ... */
	uint8_t mac[6];
	bool has_mac;		/* an Ethernet (6-byte) address */
	bool has_stats;
	uint64_t rx_packets, tx_packets;	/* IFLA_STATS64 */
};

/* Request socket; 0 or -errno. */
int rtnl_open(struct rtnl *r);
void rtnl_close(struct rtnl *r);
/* Non-blocking socket subscribed to `groups` (RTMGRP_LINK); fd or -errno. */
int rtnl_open_events(uint32_t groups);

/* By ifindex, or by name when ifindex is 0; -ENODEV when there is none. */
int rtnl_get_link(struct rtnl *r, int ifindex, const char *name, struct rtnl_link *out);
/* IFF_UP on or off; 0 or -errno. */
int rtnl_set_up(struct rtnl *r, int ifindex, bool up);
/* Parse an RTM_NEWLINK/RTM_DELLINK message (bounds-checked). */
void rtnl_parse_link(const struct nlmsghdr *nh, struct rtnl_link *out);

/* The gateway of the main table's default route through `ifindex` (IPv4
 * first, then IPv6; the lowest metric wins; multipath routes are not
 * followed), port 0, scope id set for a link-local one; -ENOENT when
 * there is none. */
int rtnl_default_gw(struct rtnl *r, int ifindex, struct sockaddr_storage *gw, socklen_t *len);
/* An IPv4 address of `ifindex`, the one whose prefix holds `near` when
 * there is one; -ENOENT when the link has none. */
int rtnl_addr4(struct rtnl *r, int ifindex, struct in_addr near, struct in_addr *out);
/* Pure parts of the two, for the unit tests: one RTM_NEWROUTE (returns
 * true and fills gw/metric when it is a default route via ifindex), one
 * RTM_NEWADDR (true and fills addr/plen when it is IPv4 on ifindex). */
bool rtnl_parse_default_route(const struct nlmsghdr *nh, int ifindex, struct sockaddr_storage *gw,
			      socklen_t *len, uint32_t *metric);
bool rtnl_parse_addr4(const struct nlmsghdr *nh, int ifindex, struct in_addr *addr, int *plen);

#endif
