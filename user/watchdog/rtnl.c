// SPDX-License-Identifier: GPL-2.0-only
/*
 * rtnl.c - synchronous rtnetlink link requests and link-event parsing.
 */
#include <errno.h>
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
