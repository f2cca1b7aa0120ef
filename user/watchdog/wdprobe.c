// SPDX-License-Identifier: GPL-2.0-only
/*
 * wdprobe.c - ICMP, ARP and NDP questions through one interface, answers
 * read on the loop. What counts as an answer is stated in wdprobe.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wdprobe.h"

/* A raw socket sees every ICMP message (a packet socket every ARP frame)
 * of the device: bound the work one wake-up may do. */
#define PROBE_READS_PER_EVENT 64

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

static const struct in_addr *target4(const struct wd_probe_target *t)
{
	return &((const struct sockaddr_in *)&t->addr)->sin_addr;
}

static const struct in6_addr *target6(const struct wd_probe_target *t)
{
	return &((const struct sockaddr_in6 *)&t->addr)->sin6_addr;
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

bool wd_probe_in_force(int rc)
{
	return rc == 0 || rc == -ENOBUFS || rc == -EAGAIN;
}

const char *wd_probe_kind_name(enum wd_probe_kind k)
{
	return k == WD_PROBE_ARP ? "arp" : k == WD_PROBE_NDP ? "ndp" : "icmp";
}

/* ---- pure ------------------------------------------------------------------ */

bool wd_probe_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		    size_t len)
{
	const uint8_t *icmp = buf;

	if (p->t.addr.ss_family == AF_INET) {
		size_t ihl;

		if (len < 20)
			return false;
		ihl = (size_t)(buf[0] & 0x0f) * 4;	/* raw IPv4 sockets get the IP header */
		if (ihl < 20 || len < ihl + 8 ||
		    ((const struct sockaddr_in *)from)->sin_addr.s_addr != target4(&p->t)->s_addr)
			return false;
		icmp = buf + ihl;
		if (icmp[0] != ICMP_ECHOREPLY)
			return false;
	} else {
		if (len < 8 || memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, target6(&p->t), 16) ||
		    icmp[0] != ICMP6_ECHO_REPLY)
			return false;
	}
	return (uint16_t)(icmp[4] << 8 | icmp[5]) == p->id;
}

/* RFC 826 over Ethernet/IPv4: hrd 1, pro 0x0800, hln 6, pln 4, op,
 * sha[6] spa[4] tha[6] tpa[4]. */
bool wd_arp_match(const struct wd_probe *p, const uint8_t *b, size_t len)
{
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 2 };	/* ... op = reply */

	if (len < WD_ARP_LEN || memcmp(b, head, sizeof(head)))
		return false;
	return !memcmp(b + 14, &target4(&p->t)->s_addr, 4) &&	/* sender: the neighbour */
	       !memcmp(b + 18, p->t.mac, 6) &&			/* target: us */
	       !memcmp(b + 24, &p->t.src4.s_addr, 4);
}

void wd_arp_build(const struct wd_probe_target *t, uint8_t out[WD_ARP_LEN])
{
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };	/* ... op = request */

	memcpy(out, head, sizeof(head));
	memcpy(out + 8, t->mac, 6);
	memcpy(out + 14, &t->src4.s_addr, 4);
	memset(out + 18, 0, 6);
	memcpy(out + 24, &target4(t)->s_addr, 4);
}

/* RFC 4861 4.4: type 136, code 0, csum, flags (R S O), reserved, target. */
bool wd_ndp_match(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *b, size_t len)
{
	const struct in6_addr *want = target6(&p->t);

	if (len < 24 || from->ss_family != AF_INET6 || b[0] != ND_NEIGHBOR_ADVERT || b[1] != 0)
		return false;
	if (!(b[4] & 0x40))
		return false;	/* not solicited: an announcement, not an answer */
	return !memcmp(b + 8, want, 16) && !memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, want, 16);
}

void wd_ns_build(const struct wd_probe_target *t, uint8_t out[WD_NS_LEN])
{
	memset(out, 0, WD_NS_LEN);
	out[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(out + 8, target6(t), 16);
	out[24] = ND_OPT_SOURCE_LINKADDR;
	out[25] = 1;	/* length in units of 8 bytes */
	memcpy(out + 26, t->mac, 6);
}

void wd_solicited_node(const struct in6_addr *a, struct in6_addr *out)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	memcpy(out->s6_addr, prefix, sizeof(prefix));
	memcpy(out->s6_addr + 13, a->s6_addr + 13, 3);
}

/* ---- sockets ----------------------------------------------------------------- */

static bool is_answer(const struct wd_probe *p, const struct sockaddr_storage *from, const uint8_t *buf,
		      size_t len)
{
	switch (p->t.kind) {
	case WD_PROBE_ARP: return wd_arp_match(p, buf, len);
	case WD_PROBE_NDP: return wd_ndp_match(p, from, buf, len);
	default: return wd_probe_match(p, from, buf, len);
	}
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
		if (is_answer(p, &from, buf, (size_t)len)) {
			p->answered = true;
			p->answered_total++;
			p->last_answer_ms = loop_now(p->l);
		}
	}
}

static int open_arp(const struct wd_probe_target *t)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				   .sll_ifindex = t->ifindex };
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	int rc;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int open_ip(const struct wd_probe_target *t, const char *ifname)
{
	int v6 = t->addr.ss_family == AF_INET6, hops = 255, off = 0, ifx = t->ifindex, rc;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	struct icmp6_filter f;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		goto fail;
	if (!v6)
		return fd;
	ICMP6_FILTER_SETBLOCKALL(&f);
	if (t->kind == WD_PROBE_NDP) {
		ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &f);
		/* RFC 4861: neighbour discovery is only believed at hop limit 255 */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifx, sizeof(ifx)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0)
			goto fail;
	} else {
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	}
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

static int probe_open(struct wd_probe *p, struct loop *l, const struct wd_probe_target *t, const char *ifname)
{
	int fd = t->kind == WD_PROBE_ARP ? open_arp(t) : open_ip(t, ifname);
	int rc;

	if (fd < 0)
		return fd;
	rc = loop_fd_add(l, &p->h, fd, EPOLLIN, probe_read);
	if (rc) {
		close(fd);
		return rc;
	}
	p->fd = fd;
	p->l = l;
	p->t = *t;
	return 0;
}

static ssize_t send_icmp(struct wd_probe *p)
{
	uint8_t pkt[16] = { 0 };

	pkt[0] = p->t.addr.ss_family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(p->id >> 8);
	pkt[5] = (uint8_t)p->id;
	pkt[6] = (uint8_t)(p->seq >> 8);
	pkt[7] = (uint8_t)p->seq;
	memcpy(pkt + 8, "edgestr", 8);
	if (pkt[0] == ICMP_ECHO) {
		uint16_t c = inet_csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	}			/* ICMPv6: the kernel fills in the checksum */
	return sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&p->t.addr, p->t.len);
}

static ssize_t send_arp(struct wd_probe *p)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = p->t.ifindex, .sll_halen = 6 };
	uint8_t pkt[WD_ARP_LEN];

	memset(to.sll_addr, 0xff, 6);	/* broadcast, as the kernel's first request */
	wd_arp_build(&p->t, pkt);
	return sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
}

static ssize_t send_ns(struct wd_probe *p)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)p->t.ifindex };
	uint8_t pkt[WD_NS_LEN];

	wd_solicited_node(target6(&p->t), &to.sin6_addr);
	wd_ns_build(&p->t, pkt);
	return sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
}

int wd_probe_send(struct wd_probe *p, struct loop *l, const struct wd_probe_target *t, const char *ifname)
{
	ssize_t r;
	int rc;

	if (p->fd >= 0 && memcmp(&p->t, t, sizeof(*t)))
		wd_probe_close(p);	/* a new target, source or interface */
	if (p->fd < 0) {
		rc = probe_open(p, l, t, ifname);
		if (rc) {
			p->errors++;
			return rc;
		}
	}
	p->seq++;
	r = t->kind == WD_PROBE_ARP ? send_arp(p) : t->kind == WD_PROBE_NDP ? send_ns(p) : send_icmp(p);
	if (r < 0) {
		p->errors++;	/* e.g. ENETUNREACH before the address is configured */
		return -errno;
	}
	p->sent++;
	return 0;
}
