// SPDX-License-Identifier: GPL-2.0-only
/*
 * rtnl.c - synchronous rtnetlink link requests and link-event parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rtnl.h"

static int open_sock(uint32_t groups, bool nonblock)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	struct timeval tv = { .tv_sec = RTNL_TIMEOUT_MS / 1000, .tv_usec = (RTNL_TIMEOUT_MS % 1000) * 1000 };
	int fd, rcv = 1 << 20, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* a burst of link events (many veths at once) must not overrun us */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (!nonblock && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int rtnl_open(struct rtnl *r)
{
	int fd = open_sock(0, false);

	r->seq = 0;
	r->fd = fd < 0 ? -1 : fd;
	return fd < 0 ? fd : 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int rtnl_open_events(uint32_t groups)
{
	return open_sock(groups, true);
}

void rtnl_parse_link(const struct nlmsghdr *nh, struct rtnl_link *li)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *rta;

	memset(li, 0, sizeof(*li));
	if (len < 0)
		return;
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t plen = RTA_PAYLOAD(rta);

		switch (rta->rta_type) {
		case IFLA_IFNAME:
			snprintf(li->name, sizeof(li->name), "%.*s", (int)strnlen(RTA_DATA(rta), plen),
				 (const char *)RTA_DATA(rta));
			break;
		case IFLA_ADDRESS:
			if (plen == 6) {
				memcpy(li->mac, RTA_DATA(rta), 6);
				li->has_mac = true;
			}
			break;
		case IFLA_STATS64:
			/* older kernels send a shorter struct: take what is there */
			if (plen >= 4 * sizeof(uint64_t)) {
				struct rtnl_link_stats64 st;

				memset(&st, 0, sizeof(st));
				memcpy(&st, RTA_DATA(rta), plen < sizeof(st) ? plen : sizeof(st));
				li->rx_packets = st.rx_packets;
				li->tx_packets = st.tx_packets;
				li->has_stats = true;
			}
			break;
		}
	}
}

/* One request, one answer (or ack), within RTNL_TIMEOUT_MS. */
static int talk(struct rtnl *r, struct nlmsghdr *req, struct rtnl_link *li)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[RTNL_BUF];
	uint32_t seq = ++r->seq;
	ssize_t n;

	req->nlmsg_seq = seq;
	if (sendto(r->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nh;

		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;	/* a late answer to a timed-out request */
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error;
			}
			if (nh->nlmsg_type == RTM_NEWLINK && li) {
				rtnl_parse_link(nh, li);
				return 0;
			}
		}
	}
}

int rtnl_get_link(struct rtnl *r, int ifindex, const char *name, struct rtnl_link *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct rtattr *rta;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (!ifindex) {
		size_t l = name ? strlen(name) + 1 : 0;

		if (l < 2 || l > IFNAMSIZ)
			return -EINVAL;
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = IFLA_IFNAME;
		rta->rta_len = (unsigned short)RTA_LENGTH(l);
		memcpy(RTA_DATA(rta), name, l);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	return talk(r, &req.nh, out);
}

int rtnl_set_up(struct rtnl *r, int ifindex, bool up)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	req.ifi.ifi_flags = up ? IFF_UP : 0;
	req.ifi.ifi_change = IFF_UP;
	return talk(r, &req.nh, NULL);
}

/* ---- dumps ------------------------------------------------------------------ */

#define RTNL_DUMP_MAX_MSGS 100000	/* a full BGP table is ~1M routes: stop well before */

/* Send a dump request and hand every answer to `cb` until NLMSG_DONE;
 * each receive has the socket's deadline. */
static int dump(struct rtnl *r, struct nlmsghdr *req, void (*cb)(const struct nlmsghdr *, void *), void *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[RTNL_BUF];
	uint32_t seq = ++r->seq;
	long msgs = 0;

	req->nlmsg_seq = seq;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (sendto(r->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;	/* a late answer to a timed-out request */
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
			if (++msgs > RTNL_DUMP_MAX_MSGS)
				return -E2BIG;
			cb(nh, ctx);
		}
	}
}

bool rtnl_parse_default_route(const struct nlmsghdr *nh, int ifindex, struct sockaddr_storage *gw,
			      socklen_t *len, uint32_t *metric)
{
	const struct rtmsg *rt = NLMSG_DATA(nh);
	int alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	uint32_t table, oif = 0;
	const struct rtattr *rta;
	const void *via = NULL;
	size_t vialen = 0;

	if (nh->nlmsg_type != RTM_NEWROUTE || alen < 0 || rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST ||
	    (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return false;
	table = rt->rtm_table;
	*metric = 0;
	for (rta = RTM_RTA(rt); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		size_t plen = RTA_PAYLOAD(rta);

		if (rta->rta_type == RTA_TABLE && plen >= 4)
			memcpy(&table, RTA_DATA(rta), 4);
		else if (rta->rta_type == RTA_OIF && plen >= 4)
			memcpy(&oif, RTA_DATA(rta), 4);
		else if (rta->rta_type == RTA_PRIORITY && plen >= 4)
			memcpy(metric, RTA_DATA(rta), 4);
		else if (rta->rta_type == RTA_GATEWAY) {
			via = RTA_DATA(rta);
			vialen = plen;
		}
	}
	if (table != RT_TABLE_MAIN || (int)oif != ifindex || !via)
		return false;
	memset(gw, 0, sizeof(*gw));
	if (rt->rtm_family == AF_INET && vialen == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)gw;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, via, 4);
		*len = sizeof(*s);
		return true;
	}
	if (rt->rtm_family == AF_INET6 && vialen == 16) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)gw;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, via, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr))
			s->sin6_scope_id = (uint32_t)ifindex;
		*len = sizeof(*s);
		return true;
	}
	return false;
}

struct gw_ctx {
	int ifindex;
	bool found;
	uint32_t metric;
	struct sockaddr_storage gw;
	socklen_t len;
};

static void gw_cb(const struct nlmsghdr *nh, void *arg)
{
	struct gw_ctx *c = arg;
	struct sockaddr_storage gw;
	socklen_t len;
	uint32_t metric;

	if (rtnl_parse_default_route(nh, c->ifindex, &gw, &len, &metric) && (!c->found || metric < c->metric)) {
		c->found = true;
		c->metric = metric;
		c->gw = gw;
		c->len = len;
	}
}

int rtnl_default_gw(struct rtnl *r, int ifindex, struct sockaddr_storage *gw, socklen_t *len)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct {
			struct nlmsghdr nh;
			struct rtmsg rt;
		} req;
		struct gw_ctx c = { .ifindex = ifindex };
		int rc;

		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rt));
		req.nh.nlmsg_type = RTM_GETROUTE;
		req.rt.rtm_family = (unsigned char)families[i];
		rc = dump(r, &req.nh, gw_cb, &c);
		if (rc)
			return rc;
		if (c.found) {
			*gw = c.gw;
			*len = c.len;
			return 0;
		}
	}
	return -ENOENT;
}

bool rtnl_parse_addr4(const struct nlmsghdr *nh, int ifindex, struct in_addr *addr, int *plen)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	int alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	const struct rtattr *rta;
	bool have = false;

	if (nh->nlmsg_type != RTM_NEWADDR || alen < 0 || ifa->ifa_family != AF_INET || (int)ifa->ifa_index != ifindex)
		return false;
	for (rta = IFA_RTA(ifa); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen))
		/* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on p2p links) */
		if ((rta->rta_type == IFA_LOCAL || (rta->rta_type == IFA_ADDRESS && !have)) && RTA_PAYLOAD(rta) == 4) {
			memcpy(addr, RTA_DATA(rta), 4);
			have = true;
		}
	*plen = ifa->ifa_prefixlen;
	return have;
}

struct addr_ctx {
	int ifindex;
	struct in_addr near, best;
	int score;	/* 0 none, 1 some address, 2 on the same prefix as `near` */
};

static void addr_cb(const struct nlmsghdr *nh, void *arg)
{
	struct addr_ctx *c = arg;
	struct in_addr a;
	uint32_t mask;
	int plen;

	if (!rtnl_parse_addr4(nh, c->ifindex, &a, &plen))
		return;
	mask = plen <= 0 ? 0 : plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
	if (c->score < 2 && (ntohl(a.s_addr) & mask) == (ntohl(c->near.s_addr) & mask)) {
		c->best = a;
		c->score = 2;
	} else if (!c->score) {
		c->best = a;
		c->score = 1;
	}
}

int rtnl_addr4(struct rtnl *r, int ifindex, struct in_addr near, struct in_addr *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req;
	struct addr_ctx c = { .ifindex = ifindex, .near = near };
	int rc;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_GETADDR;
	req.ifa.ifa_family = AF_INET;
	rc = dump(r, &req.nh, addr_cb, &c);
	if (rc)
		return rc;
	if (!c.score)
		return -ENOENT;
	*out = c.best;
	return 0;
}
