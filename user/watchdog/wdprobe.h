/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wdprobe.h - the watchdog's active probe: one question a neighbour
 * answers every interval, sent through the watched interface only, whose
 * answer proves the adapter still receives even when nothing else is
 * sent to it. Three kinds:
 *
 *   ICMP  echo request (v4 or v6) on a raw socket with SO_BINDTODEVICE;
 *         answer: an echo reply from the neighbour with our identifier.
 *   ARP   request (IPv4) on an AF_PACKET socket bound to the interface,
 *         broadcast, sender = our MAC and our IPv4 address on the link
 *         (0.0.0.0 when there is none: an RFC 5227 probe); answer: an ARP
 *         reply whose sender is the neighbour and whose target is us.
 *   NDP   neighbour solicitation (IPv6) to the neighbour's solicited-node
 *         multicast group, hop limit 255, with our MAC as source
 *         link-layer option; answer: a solicited neighbour advertisement
 *         from the neighbour for the neighbour.
 *
 * Many modems drop echo requests; no IPv4 host may ignore ARP for its own
 * address and no IPv6 host NDP, so ARP and NDP work where ICMP does not.
 * Any other traffic, however much, is never taken for an answer.
 * (Owner: watchdog.)
 */
#ifndef EDGESTEER_WDPROBE_H
#define EDGESTEER_WDPROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"

enum wd_probe_kind { WD_PROBE_ICMP, WD_PROBE_ARP, WD_PROBE_NDP };

#define WD_ARP_LEN 28	/* Ethernet/IPv4 ARP payload */
#define WD_NS_LEN 32	/* NS header + target + source link-layer option */

/* What to ask whom, resolved by the caller (a changed target reopens). */
struct wd_probe_target {
	enum wd_probe_kind kind;
	struct sockaddr_storage addr;	/* the neighbour; scope id set for link-local */
	socklen_t len;
	struct in_addr src4;		/* ARP: our address on the link, or 0 */
	uint8_t mac[6];			/* ARP, NDP: our link-layer address */
	int ifindex;
};

struct wd_probe {
	int fd;			/* -1 until the first send */
	struct loop_fd h;
	struct loop *l;
	struct wd_probe_target t;
	uint16_t id, seq;
	bool answered;		/* since the last wd_probe_answered() */
	uint64_t last_answer_ms;	/* loop time of the last answer; 0: never */
	uint64_t sent, answered_total, errors;
};

void wd_probe_init(struct wd_probe *p, uint16_t id);
/* Send one question through `ifname` (opening the socket on first use or
 * for a new target); 0 when it went out, else -errno (cannot open the
 * socket, no address yet, no route; counted in p->errors). */
int wd_probe_send(struct wd_probe *p, struct loop *l, const struct wd_probe_target *t, const char *ifname);
/* After wd_probe_send() returned `rc`: is the probe rule in force? Yes
 * when it went out, and when the device queue was full (what a hung
 * adapter looks like: the probe counts, unanswered); no when it could not
 * be sent for the configuration's sake (no address, no route, link down). */
bool wd_probe_in_force(int rc);
/* Was an answer seen since the last call? Clears the flag. */
bool wd_probe_answered(struct wd_probe *p);
/* Close the socket (the interface went away or was renamed). */
void wd_probe_close(struct wd_probe *p);
const char *wd_probe_kind_name(enum wd_probe_kind k);

/* ---- pure: builders and matchers, bounds-checked on their own ---------- */

/* Is this datagram (as a raw socket returns it: IPv4 with its header,
 * ICMPv6 without) an echo reply from the peer with our identifier? */
bool wd_probe_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		    size_t len);
/* An ARP payload (after the Ethernet header): a reply from the target to
 * us (target protocol address src4, target hardware address mac)? */
bool wd_arp_match(const struct wd_probe *p, const uint8_t *buf, size_t len);
/* An ICMPv6 message from `from`: a solicited neighbour advertisement for
 * the target, sent by the target? */
bool wd_ndp_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		  size_t len);
/* The ARP request for t->addr from t->mac/t->src4 (WD_ARP_LEN bytes). */
void wd_arp_build(const struct wd_probe_target *t, uint8_t out[WD_ARP_LEN]);
/* The NS for t->addr with t->mac as source link-layer option (WD_NS_LEN
 * bytes; the kernel fills in the checksum). */
void wd_ns_build(const struct wd_probe_target *t, uint8_t out[WD_NS_LEN]);
/* ff02::1:ffXX:XXXX for `a`. */
void wd_solicited_node(const struct in6_addr *a, struct in6_addr *out);

#endif
