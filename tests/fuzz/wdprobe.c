// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the watchdog probe's answer matchers, which read
 * bytes from the network (ICMP echo replies, ARP replies, neighbour
 * advertisements), and the rtnetlink parsers behind `probe = gateway`.
 * The first byte picks the probe's family and whether its target is the
 * fuzzed input's own sender; the rest is the datagram, and also (copied
 * to an aligned buffer, its length clamped) a netlink message.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watchdog/rtnl.h"
#include "watchdog/wdprobe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t nlbuf[4096 / 4];
	struct sockaddr_storage from, gw;
	struct nlmsghdr *nh = (struct nlmsghdr *)nlbuf;
	struct rtnl_link li;
	struct in_addr a4;
	struct wd_probe p;
	socklen_t gwlen;
	uint32_t metric;
	int plen;
	bool v6;

	if (!size)
		return 0;
	v6 = data[0] & 1;
	wd_probe_init(&p, (uint16_t)(data[0] << 8 | 0x42));
	memset(&from, 0, sizeof(from));
	p.t.addr.ss_family = v6 ? AF_INET6 : AF_INET;
	from.ss_family = p.t.addr.ss_family;
	if (v6) {
		inet_pton(AF_INET6, "fe80::2", &((struct sockaddr_in6 *)&p.t.addr)->sin6_addr);
		inet_pton(AF_INET6, data[0] & 2 ? "fe80::2" : "fe80::3", &((struct sockaddr_in6 *)&from)->sin6_addr);
	} else {
		inet_pton(AF_INET, "192.0.2.2", &((struct sockaddr_in *)&p.t.addr)->sin_addr);
		inet_pton(AF_INET, data[0] & 2 ? "192.0.2.2" : "192.0.2.3", &((struct sockaddr_in *)&from)->sin_addr);
		inet_pton(AF_INET, "192.0.2.1", &p.t.src4);
	}
	memcpy(p.t.mac, "\x02\0\0\0\0\x01", 6);
	data++;
	size--;
	wd_probe_match(&p, &from, data, size);
	if (v6)
		wd_ndp_match(&p, &from, data, size);
	else
		wd_arp_match(&p, data, size);

	if (size < sizeof(*nh) || size > sizeof(nlbuf))
		return 0;
	memcpy(nlbuf, data, size);
	if (nh->nlmsg_len > size)
		nh->nlmsg_len = (uint32_t)size;	/* the kernel's length is the datagram's */
	rtnl_parse_link(nh, &li);
	if (rtnl_parse_default_route(nh, 7, &gw, &gwlen, &metric) && gwlen > sizeof(gw))
		abort();
	rtnl_parse_addr4(nh, 7, &a4, &plen);
	return 0;
}
