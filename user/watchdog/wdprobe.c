// SPDX-License-Identifier: GPL-2.0-only
/*
 * wdprobe.c - ICMP echo through one interface, answers read on the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wdprobe.h"

#define PROBE_READS_PER_EVENT 64	/* a raw socket sees every ICMP message of the device */

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (; len > 1; b += 2, len -= 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)(b[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

void wd_probe_init(struct wd_probe *p, uint16_t id)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->h.fd = -1;
	p->id = id;
}

void wd_probe_close(struct wd_probe *p)
{
	if (p->fd < 0)
		return;
	loop_fd_del(p->l, &p->h);
	close(p->fd);
	p->fd = -1;
}

bool wd_probe_answered(struct wd_probe *p)
{
	bool a = p->answered;

	p->answered = false;
	return a;
}

bool wd_probe_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		    size_t len)
{
	const uint8_t *icmp = buf;

	if (p->peer.ss_family == AF_INET) {
		const struct sockaddr_in *want = (const struct sockaddr_in *)&p->peer;
		size_t ihl;

		if (len < 20)
			return false;
		ihl = (size_t)(buf[0] & 0x0f) * 4;	/* raw IPv4 sockets get the IP header */
		if (ihl < 20 || len < ihl + 8 ||
		    ((const struct sockaddr_in *)from)->sin_addr.s_addr != want->sin_addr.s_addr)
			return false;
		icmp = buf + ihl;
		if (icmp[0] != ICMP_ECHOREPLY)
			return false;
	} else {
		const struct sockaddr_in6 *want = (const struct sockaddr_in6 *)&p->peer;

		if (len < 8 || memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, &want->sin6_addr, 16) ||
		    icmp[0] != ICMP6_ECHO_REPLY)
			return false;
	}
	return (uint16_t)(icmp[4] << 8 | icmp[5]) == p->id;
}

static void probe_read(struct loop_fd *h, uint32_t events)
{
	struct wd_probe *p = container_of(h, struct wd_probe, h);
	struct sockaddr_storage from;
	uint8_t buf[1500];
	int i;

	for (i = 0; i < PROBE_READS_PER_EVENT; i++) {
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (len < 0)
			return;
		if (wd_probe_match(p, &from, buf, (size_t)len)) {
			p->answered = true;
			p->answered_total++;
		}
	}
}

static int probe_open(struct wd_probe *p, struct loop *l, const char *ifname)
{
	int v6 = p->peer.ss_family == AF_INET6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	int rc;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	rc = loop_fd_add(l, &p->h, fd, EPOLLIN, probe_read);
	if (rc) {
		close(fd);
		return rc;
	}
	p->fd = fd;
	p->l = l;
	return 0;
}

int wd_probe_send(struct wd_probe *p, struct loop *l, const struct conf_addr *peer, const char *ifname,
		  int ifindex)
{
	uint8_t pkt[16] = { 0 };
	int rc;

	if (p->fd < 0) {
		memcpy(&p->peer, &peer->ss, sizeof(p->peer));
		/* a link-local neighbour is only reachable through this link */
		if (p->peer.ss_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)&p->peer)->sin6_addr))
			((struct sockaddr_in6 *)&p->peer)->sin6_scope_id = (uint32_t)ifindex;
		rc = probe_open(p, l, ifname);
		if (rc)
			return rc;
	}
	p->seq++;
	pkt[0] = p->peer.ss_family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(p->id >> 8);
	pkt[5] = (uint8_t)p->id;
	pkt[6] = (uint8_t)(p->seq >> 8);
	pkt[7] = (uint8_t)p->seq;
	memcpy(pkt + 8, "edgestr", 8);
	if (pkt[0] == ICMP_ECHO) {
		uint16_t c = inet_csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	}			/* ICMPv6: the kernel fills in the checksum */
	if (sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&p->peer, peer->len) < 0)
		p->errors++;	/* e.g. ENETUNREACH before the address is configured */
	else
		p->sent++;
	return 0;
}
