// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog.c - the relay object and its UDP intake.
 *
 * Intake: one non-blocking UDP socket per listen address (IPv6 sockets
 * are v6-only so "0.0.0.0:514 [::]:514" both bind). The receive buffer
 * is set with SO_RCVBUFFORCE (falling back to SO_RCVBUF, capped by
 * net.core.rmem_max) to `rcvbuf`, 32 MiB by default: the kernel charges
 * ~1.2 KB per small datagram, so that is ~25k datagrams, over 100 ms at
 * 200k msg/s, absorbed while the loop is busy elsewhere; SO_RXQ_OVFL
 * makes the kernel report what it still had to drop, and that is
 * counted too. Datagrams are taken with recvmmsg() in batches of
 * SYSLOG_BATCH, at most SYSLOG_BATCHES_PER_WAKEUP batches per readiness
 * event so one busy listener cannot starve the rest of the loop (epoll
 * is level-triggered: what is left wakes us again at once).
 *
 * Each datagram: trailing LF/CR/NUL stripped; longer than max_message ->
 * truncated to max_message (oversize=truncate) or dropped (oversize=drop),
 * counted either way; then validated (syslog_msg.c) and, if good, stored
 * once in the ring. Garbage is counted by reason and dropped.
 *
 * Readers are told about new messages at most SYSLOG_COALESCE_MS after
 * the first of them arrived, not after every batch: at 20k msg/s that
 * puts ~20 messages in one TLS record and one send per subscriber
 * instead of one each, which more than halves the CPU per message at
 * moderate rates (measured: 7.6 -> 2.2 us/msg at 20k msg/s to one
 * collector), for at most a millisecond or two of added latency. For
 * the same reason a listener that was drained stops polling until that
 * tick: datagrams wait in the kernel's receive buffer and are taken in
 * one recvmmsg instead of one wakeup per datagram.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "syslog_int.h"
#include "origin.h"
#include "pri_fix.h"
#include "syslog_msg.h"

#define SYSLOG_BATCH 64
#define SYSLOG_BATCHES_PER_WAKEUP 16
#define SYSLOG_COALESCE_MS 1

struct udp_listener {
	struct loop_fd h;
	struct syslog_relay *r;
	struct conf_addr addr;
	int rcvbuf;			/* what the kernel granted */
	uint32_t last_ovfl;		/* SO_RXQ_OVFL is a running counter */
	bool paused;			/* drained; EPOLLIN back at the coalesce tick */
	uint64_t datagrams, bytes, accepted, truncated, pri_added, origin_added;
	uint64_t drop_oversize, drop_empty, drop_bad_pri, drop_bad_header, kernel_drops;
};

static void udp_close(struct udp_listener *u)
{
	if (!u)
		return;
	if (u->h.fd >= 0) {
		int fd = u->h.fd;

		loop_fd_del(u->r->l, &u->h);
		close(fd);
	}
	free(u);
}

static void on_udp(struct loop_fd *h, uint32_t events);

/* SO_RCVBUFFORCE (SO_RCVBUF without CAP_NET_ADMIN); u->rcvbuf is what
 * the kernel granted, warned about when short. */
static void udp_set_rcvbuf(struct udp_listener *u, int fd, uint32_t rcvbuf)
{
	int v = (int)rcvbuf;
	socklen_t sl = sizeof(u->rcvbuf);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &u->rcvbuf, &sl);
	/* the kernel reports double the size (bookkeeping overhead) */
	if ((uint32_t)u->rcvbuf / 2 < rcvbuf)
		pr_warn("syslog: listen %s: receive buffer is %d bytes, not %u "
			"(no CAP_NET_ADMIN? raise net.core.rmem_max)", u->addr.text, u->rcvbuf / 2, rcvbuf);
}

static int udp_open(struct syslog_relay *r, const struct conf_addr *a, uint32_t rcvbuf,
		    struct udp_listener **out)
{
	struct udp_listener *u;
	int fd, one = 1, err;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->r = r;
	u->addr = *a;
	u->h.fd = -1;
	fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_err("syslog: listen %s: socket: %s", a->text, strerror(-err));
		free(u);
		return err;
	}
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	udp_set_rcvbuf(u, fd, rcvbuf);
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		err = -errno;
		pr_err("syslog: listen %s: bind: %s", a->text, strerror(-err));
		close(fd);
		free(u);
		return err;
	}
	err = loop_fd_add(r->l, &u->h, fd, EPOLLIN, on_udp);
	if (err) {
		close(fd);
		free(u);
		return err;
	}
	pr_info("syslog: listening on udp %s (receive buffer %d bytes)", a->text, u->rcvbuf / 2);
	*out = u;
	return 0;
}

static void on_coalesce(struct loop_timer *t)
{
	struct syslog_relay *r = container_of(t, struct syslog_relay, coalesce);
	int i;

	if (r->fan)
		fanout_notify(r->fan);
	for (i = 0; i < r->n_fwd; i++)
		forward_notify(r->fwd[i]);
	for (i = 0; i < r->n_udp; i++)
		if (r->udp[i]->paused) {
			r->udp[i]->paused = false;
			loop_fd_mod(r->l, &r->udp[i]->h, EPOLLIN);
		}
}

void syslog_notify_readers(struct syslog_relay *r)
{
	if (!loop_timer_armed(&r->coalesce))
		loop_timer_arm(r->l, &r->coalesce, SYSLOG_COALESCE_MS);
}

static void host_text(const struct sockaddr_storage *from, char *host, size_t hl)
{
	host[0] = 0;
	if (from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, host, (socklen_t)hl);
	else if (from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, host, (socklen_t)hl);
}

/* origin = yes: [origin ip=...] on an RFC 5424 message (origin.h). */
static bool add_origin(struct syslog_relay *r, const struct sockaddr_storage *from, const uint8_t *p,
		       size_t len)
{
	char host[INET6_ADDRSTRLEN];
	size_t n;

	host_text(from, host, sizeof(host));
	n = syslog_add_origin(p, len, host, NULL, r->fixbuf, r->fixcap);
	if (!n || n > r->sc.max_message)
		return false;
	return ring_push(r->ring, r->fixbuf, (uint32_t)n) >= 0;
}

/* missing_pri = add: relay it as RFC 3164 4.3.3 asks (pri_fix.h). */
static int add_pri(struct syslog_relay *r, struct udp_listener *u, const struct sockaddr_storage *from,
		    const uint8_t *p, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	size_t n;

	host_text(from, host, sizeof(host));
	n = syslog_add_pri(p, len, host, time(NULL), r->fixbuf, r->fixcap);
	if (!n)
		return -EBADMSG;
	if (n > r->sc.max_message) {
		/* what was added pushed it over: oversize applies as to any other */
		if (r->sc.oversize == OVERSIZE_DROP)
			return -EMSGSIZE;
		u->truncated++;
		n = r->sc.max_message;
	}
	return ring_push(r->ring, r->fixbuf, (uint32_t)n) >= 0 ? 0 : -EMSGSIZE;
}

/* One datagram: trim, bound, validate, store. */
static void take_datagram(struct syslog_relay *r, struct udp_listener *u, uint8_t *p,
			  size_t got, bool kernel_trunc, const struct sockaddr_storage *from)
{
	size_t len = got, max = r->sc.max_message;
	int v;

	u->datagrams++;
	u->bytes += got;
	if (!kernel_trunc)
		len = syslog_msg_trim(p, len);
	if (kernel_trunc || len > max) {
		if (r->sc.oversize == OVERSIZE_DROP) {
			u->drop_oversize++;
			return;
		}
		u->truncated++;
		len = syslog_msg_trim(p, len > max ? max : len);
	}
	v = syslog_msg_parse(p, len, NULL);
	switch (v) {
	case SYSLOG_OK:
		if (r->sc.origin && add_origin(r, from, p, len)) {
			u->origin_added++;
			u->accepted++;
			return;
		}
		break;
	case SYSLOG_EMPTY:
		u->drop_empty++;
		return;
	case SYSLOG_BAD_PRI:
		if (r->sc.missing_pri == MISSING_PRI_ADD) {
			int e = add_pri(r, u, from, p, len);

			if (e == 0) {
				u->pri_added++;
				u->accepted++;
				return;
			}
			if (e == -EMSGSIZE) {
				u->drop_oversize++;
				return;
			}
		}
		u->drop_bad_pri++;
		return;
	default:
		u->drop_bad_header++;
		return;
	}
	if (ring_push(r->ring, p, (uint32_t)len) < 0) {
		/* cannot happen: conf guarantees ring_size >= 4 * max_message */
		u->drop_oversize++;
		return;
	}
	u->accepted++;
}

static void on_udp(struct loop_fd *h, uint32_t events)
{
	struct udp_listener *u = container_of(h, struct udp_listener, h);
	struct syslog_relay *r = u->r;
	int b, i, n;
	bool any = false;

	for (b = 0; b < SYSLOG_BATCHES_PER_WAKEUP; b++) {
		for (i = 0; i < SYSLOG_BATCH; i++) {
			r->msgs[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint32_t));
			r->msgs[i].msg_hdr.msg_flags = 0;
			r->msgs[i].msg_hdr.msg_namelen = sizeof(r->names[i]);
		}
		n = recvmmsg(h->fd, r->msgs, SYSLOG_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
				pr_warn("syslog: listen %s: recvmmsg: %s", u->addr.text, strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct msghdr *mh = &r->msgs[i].msg_hdr;
			struct cmsghdr *cm;

			for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
					uint32_t ov;

					memcpy(&ov, CMSG_DATA(cm), sizeof(ov));
					u->kernel_drops += (uint32_t)(ov - u->last_ovfl);
					u->last_ovfl = ov;
				}
			take_datagram(r, u, r->rbuf + (size_t)i * r->slot, r->msgs[i].msg_len,
				      (mh->msg_flags & MSG_TRUNC) != 0, &r->names[i]);
		}
		any = any || n > 0;
		if (n < SYSLOG_BATCH) {
			/* drained: let the next datagrams gather until the tick */
			if (any && !u->paused && loop_fd_mod(r->l, h, 0) == 0)
				u->paused = true;
			break;
		}
	}
	if (any)
		syslog_notify_readers(r);
}

static int alloc_batch(struct syslog_relay *r)
{
	int i;
	size_t cspace = CMSG_SPACE(sizeof(uint32_t));

	/* one byte more than max_message so oversize is seen without MSG_TRUNC
	 * when only a trailing newline is over */
	r->slot = r->sc.max_message + 2;
	r->msgs = calloc(SYSLOG_BATCH, sizeof(*r->msgs));
	r->iov = calloc(SYSLOG_BATCH, sizeof(*r->iov));
	r->rbuf = malloc((size_t)SYSLOG_BATCH * r->slot);
	r->cbuf = calloc(SYSLOG_BATCH, cspace);
	r->names = calloc(SYSLOG_BATCH, sizeof(*r->names));
	/* room for what missing_pri or origin add */
	r->fixcap = r->sc.max_message + (SYSLOG_PRI_EXTRA > SYSLOG_ORIGIN_EXTRA ? SYSLOG_PRI_EXTRA
										 : SYSLOG_ORIGIN_EXTRA);
	r->fixbuf = malloc(r->fixcap);
	if (!r->msgs || !r->iov || !r->rbuf || !r->cbuf || !r->names || !r->fixbuf)
		return -ENOMEM;
	for (i = 0; i < SYSLOG_BATCH; i++) {
		r->iov[i].iov_base = r->rbuf + (size_t)i * r->slot;
		r->iov[i].iov_len = r->slot;
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
		r->msgs[i].msg_hdr.msg_control = r->cbuf + (size_t)i * cspace;
		r->msgs[i].msg_hdr.msg_controllen = cspace;
		r->msgs[i].msg_hdr.msg_name = &r->names[i];
		r->msgs[i].msg_hdr.msg_namelen = sizeof(r->names[i]);
	}
	return 0;
}

static void on_evict(void *arg, uint64_t seq, const uint8_t *p, uint32_t len)
{
	struct syslog_relay *r = arg;
	int i;

	for (i = 0; i < r->n_fwd; i++)
		forward_evict(r->fwd[i], seq, p, len);
}

static int open_udp_all(struct syslog_relay *r)
{
	int i, err;

	for (i = 0; i < r->sc.n_listen; i++) {
		err = udp_open(r, &r->sc.listen[i], r->sc.rcvbuf, &r->udp[r->n_udp]);
		if (err)
			return err;
		r->n_udp++;
	}
	return 0;
}

int syslog_start(struct loop *l, const struct conf *c, struct syslog_relay **out)
{
	struct syslog_relay *r;
	uint64_t last = 0, first;
	int i, err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->l = l;
	r->sc = c->syslog;
	loop_timer_init(&r->coalesce, on_coalesce);
	*out = r;
	if (!c->syslog.enabled)
		return 0;
	err = alloc_batch(r);
	if (err)
		goto fail;
	for (i = 0; i < c->n_forwards; i++) {
		uint64_t s = 0;

		err = forward_new(r, &c->forwards[i], &r->fwd[r->n_fwd], &s);
		if (err)
			goto fail;
		r->n_fwd++;
		if (s > last)
			last = s;
	}
	/* sequence numbers continue after anything left in a spool */
	first = last + 1;
	err = ring_new(r->sc.ring_size, r->sc.ring_messages, first, &r->ring);
	if (err) {
		pr_err("syslog: cannot allocate a ring of %llu bytes / %u messages: %s",
		       (unsigned long long)r->sc.ring_size, r->sc.ring_messages, strerror(-err));
		goto fail;
	}
	ring_set_evict_cb(r->ring, on_evict, r);
	err = open_udp_all(r);
	if (err)
		goto fail;
	if (r->sc.n_tcp_listen || r->sc.n_tls_intake) {
		err = intake_tcp_new(r, &r->tcp);
		if (err)
			goto fail;
	}
	if (r->sc.n_tls_listen) {
		err = fanout_new(r, &r->sc, &r->fan);
		if (err)
			goto fail;
	}
	for (i = 0; i < r->n_fwd; i++)
		forward_start(r->fwd[i]);
	return 0;
fail:
	syslog_free(r);
	*out = NULL;
	return err;
}

static bool addr_in(const struct conf_addr *a, const struct conf_addr *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a->len == list[i].len && !memcmp(&a->ss, &list[i].ss, a->len))
			return true;
	return false;
}

void syslog_reload_failed(struct syslog_relay *r, const char *fmt, ...)
{
	size_t at = strlen(r->reload_why);
	char line[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pr_err("syslog: reload: %s", line);
	if (at + 3 < sizeof(r->reload_why))
		snprintf(r->reload_why + at, sizeof(r->reload_why) - at, "%s%s", at ? "; " : "", line);
}

const char *syslog_reload_error(const struct syslog_relay *r)
{
	return r && r->reload_why[0] ? r->reload_why : "not applied";
}

/* Keys that size memory or sockets fixed at start: kept, and said so. */
static int reload_restart_only(struct syslog_relay *r, const struct conf_syslog *ns)
{
	if (ns->ring_size == r->sc.ring_size && ns->ring_messages == r->sc.ring_messages &&
	    ns->max_message == r->sc.max_message)
		return 0;
	syslog_reload_failed(r, "ring_size, ring_messages and max_message stay as they were until a restart");
	return -EBUSY;
}

/* UDP listeners: close those gone, open those new, resize the kept ones. */
static int reload_udp(struct syslog_relay *r, const struct conf_syslog *ns)
{
	int i, j, err = 0, e;

	for (i = 0; i < r->n_udp; ) {
		if (!r->draining && addr_in(&r->udp[i]->addr, ns->listen, ns->n_listen)) {
			if (ns->rcvbuf != r->sc.rcvbuf)
				udp_set_rcvbuf(r->udp[i], r->udp[i]->h.fd, ns->rcvbuf);
			i++;
			continue;
		}
		pr_info("syslog: closing udp %s", r->udp[i]->addr.text);
		udp_close(r->udp[i]);
		r->udp[i] = r->udp[--r->n_udp];
	}
	for (i = 0; i < ns->n_listen && !r->draining; i++) {
		bool have = false;

		for (j = 0; j < r->n_udp; j++)
			if (addr_in(&ns->listen[i], &r->udp[j]->addr, 1))
				have = true;
		if (have)
			continue;
		e = udp_open(r, &ns->listen[i], ns->rcvbuf, &r->udp[r->n_udp]);
		if (e) {
			syslog_reload_failed(r, "listen %s: %s", ns->listen[i].text, strerror(-e));
			err = e;
		} else {
			r->n_udp++;
		}
	}
	return err;
}

/* The new [syslog] becomes ours, but for the keys that need a restart. */
static void reload_adopt(struct syslog_relay *r, const struct conf_syslog *ns)
{
	uint64_t rs = r->sc.ring_size;
	uint32_t rm = r->sc.ring_messages, mm = r->sc.max_message;

	r->sc = *ns;
	r->sc.ring_size = rs;
	r->sc.ring_messages = rm;
	r->sc.max_message = mm;
}

/* TCP and TLS intake: listeners added, kept or closed (intake_tcp.c). */
static int reload_intake(struct syslog_relay *r)
{
	int e = 0;

	if (r->draining)
		return 0;
	if (r->tcp)
		e = intake_tcp_reload(r->tcp, &r->sc);
	else if (r->sc.n_tcp_listen || r->sc.n_tls_intake)
		e = intake_tcp_new(r, &r->tcp);
	if (e)
		syslog_reload_failed(r, "tcp_listen/tls_intake: not applied: %s", strerror(-e));
	return e;
}

/* TLS subscribers: listeners, policy and TLS files (fanout.c reports). */
static int reload_fanout(struct syslog_relay *r)
{
	int e;

	if (r->fan)
		return fanout_reload(r->fan, &r->sc);
	if (!r->sc.n_tls_listen)
		return 0;
	e = fanout_new(r, &r->sc, &r->fan);
	if (e)
		syslog_reload_failed(r, "tls_listen: subscribers not started: %s", strerror(-e));
	return e;
}

/* Forwarders by name: those kept are reconfigured, those gone freed. */
static int reload_forwarders_kept(struct syslog_relay *r, const struct conf *c)
{
	struct forwarder *keep[CONF_MAX_SECTIONS];
	int i, j, n_keep = 0, err = 0, e;

	for (i = 0; i < r->n_fwd; i++) {
		bool found = false;

		for (j = 0; j < c->n_forwards; j++)
			if (!strcmp(forward_name(r->fwd[i]), c->forwards[j].name)) {
				found = true;
				e = forward_reconf(r->fwd[i], &c->forwards[j]);
				if (e)
					err = e;
			}
		if (found) {
			keep[n_keep++] = r->fwd[i];
		} else {
			pr_info("syslog: [forward %s] removed", forward_name(r->fwd[i]));
			forward_free(r->fwd[i]);
		}
	}
	memcpy(r->fwd, keep, sizeof(keep[0]) * (size_t)n_keep);
	r->n_fwd = n_keep;
	return err;
}

/* Forwarders new in this config start now. */
static int reload_forwarders_new(struct syslog_relay *r, const struct conf *c)
{
	int i, j, err = 0, e;

	for (j = 0; j < c->n_forwards; j++) {
		bool have = false;
		uint64_t s = 0;

		for (i = 0; i < r->n_fwd; i++)
			if (!strcmp(forward_name(r->fwd[i]), c->forwards[j].name))
				have = true;
		if (have)
			continue;
		e = forward_new(r, &c->forwards[j], &r->fwd[r->n_fwd], &s);
		if (e) {
			syslog_reload_failed(r, "[forward %s] not started: %s", c->forwards[j].name, strerror(-e));
			err = e;
			continue;
		}
		if (s >= ring_first(r->ring))
			pr_warn("syslog: [forward %s]: spool from an earlier run overlaps this run's "
				"sequence numbers; it is delivered first anyway", c->forwards[j].name);
		forward_start(r->fwd[r->n_fwd]);
		r->n_fwd++;
	}
	return err;
}

/*
 * Apply what can be applied and report every part that was not (one
 * reason each, syslog_reload_error()): a reload that returns 0 is in
 * effect in full.
 */
int syslog_reload(struct syslog_relay *r, const struct conf *c)
{
	const struct conf_syslog *ns = &c->syslog;
	int err = 0, e;

	r->reload_why[0] = 0;
	if (!r->sc.enabled || !ns->enabled) {
		if (r->sc.enabled == ns->enabled)
			return 0;
		syslog_reload_failed(r, "adding or removing [syslog] needs a restart; kept as it was");
		return -EINVAL;
	}
	if ((e = reload_restart_only(r, ns)))
		err = e;
	if ((e = reload_udp(r, ns)))
		err = e;
	reload_adopt(r, ns);
	if ((e = reload_intake(r)))
		err = e;
	if ((e = reload_fanout(r)))
		err = e;
	if ((e = reload_forwarders_kept(r, c)))
		err = e;
	if ((e = reload_forwarders_new(r, c)))
		err = e;
	return err;
}

int syslog_drain(struct syslog_relay *r)
{
	int i, pending = 0;

	if (!r)
		return 0;
	if (!r->draining) {
		r->draining = true;
		while (r->n_udp)
			udp_close(r->udp[--r->n_udp]);
		if (r->fan)
			fanout_stop_accepting(r->fan);
		intake_tcp_stop_accepting(r->tcp);
	}
	for (i = 0; i < r->n_fwd; i++)
		if (forward_drain(r->fwd[i]))
			pending = 1;
	return pending;
}

void syslog_metrics(struct syslog_relay *r, struct metric_sink *s)
{
	struct ring_stats st;
	int i;

	if (!r || !r->sc.enabled)
		return;
#define EACH_UDP(name, help, field)							\
	for (i = 0; i < r->n_udp; i++)							\
		metric(s, METRIC_COUNTER, name, help, r->udp[i]->field, "listen", r->udp[i]->addr.text, NULL)
	EACH_UDP("edgesteer_syslog_datagrams_total", "UDP datagrams received", datagrams);
	EACH_UDP("edgesteer_syslog_datagram_bytes_total", "UDP payload bytes received", bytes);
	EACH_UDP("edgesteer_syslog_accepted_total", "Messages accepted into the ring", accepted);
	EACH_UDP("edgesteer_syslog_truncated_total", "Messages truncated to max_message", truncated);
	EACH_UDP("edgesteer_syslog_kernel_drops_total", "Datagrams the kernel dropped (receive buffer full)",
		 kernel_drops);
#undef EACH_UDP
	for (i = 0; i < r->n_udp; i++) {
		struct udp_listener *u = r->udp[i];

		metric(s, METRIC_COUNTER, "edgesteer_syslog_dropped_total", "Datagrams dropped at intake",
		       u->drop_oversize, "listen", u->addr.text, "reason", "oversize", NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_dropped_total", "Datagrams dropped at intake",
		       u->drop_empty, "listen", u->addr.text, "reason", "empty", NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_dropped_total", "Datagrams dropped at intake",
		       u->drop_bad_pri, "listen", u->addr.text, "reason", "bad_pri", NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_dropped_total", "Datagrams dropped at intake",
		       u->drop_bad_header, "listen", u->addr.text, "reason", "bad_header", NULL);
	}
	for (i = 0; i < r->n_udp; i++)
		metric(s, METRIC_COUNTER, "edgesteer_syslog_pri_added_total",
		       "Messages without PRI relayed with PRI 13 (missing_pri = add)", r->udp[i]->pri_added,
		       "proto", "udp", "listen", r->udp[i]->addr.text, NULL);
	intake_tcp_counts_metric(r->tcp, s, "edgesteer_syslog_pri_added_total",
				 "Messages without PRI relayed with PRI 13 (missing_pri = add)",
				 offsetof(struct intake_counts, pri_added));
	for (i = 0; i < r->n_udp; i++)
		metric(s, METRIC_COUNTER, "edgesteer_syslog_origin_added_total",
		       "RFC 5424 messages given [origin ip=...] (origin = yes)", r->udp[i]->origin_added,
		       "proto", "udp", "listen", r->udp[i]->addr.text, NULL);
	intake_tcp_counts_metric(r->tcp, s, "edgesteer_syslog_origin_added_total",
				 "RFC 5424 messages given [origin ip=...] (origin = yes)",
				 offsetof(struct intake_counts, origin_added));
	intake_tcp_metrics(r->tcp, s);
	for (i = 0; i < r->n_udp; i++)
		metric(s, METRIC_GAUGE, "edgesteer_syslog_rcvbuf_bytes", "UDP receive buffer granted",
		       (uint64_t)(r->udp[i]->rcvbuf / 2), "listen", r->udp[i]->addr.text, NULL);
	ring_get_stats(r->ring, &st);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_ring_messages", "Messages held in the ring",
	       st.next - st.first, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_ring_bytes", "Payload bytes held in the ring", st.bytes_used, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_ring_capacity_bytes", "Ring size", st.bytes_cap, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_ring_capacity_messages", "Ring index size",
	       (uint64_t)st.msgs_cap, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_syslog_ring_evicted_total",
	       "Messages evicted from the ring to make room", st.evicted, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_ring_next_seq", "Sequence number of the next message",
	       st.next, NULL);
	if (r->fan)
		fanout_metrics(r->fan, s);
	forward_metrics(r->fwd, r->n_fwd, s);
}

void syslog_free(struct syslog_relay *r)
{
	int i;

	if (!r)
		return;
	while (r->n_udp)
		udp_close(r->udp[--r->n_udp]);
	intake_tcp_free(r->tcp);
	loop_timer_cancel(r->l, &r->coalesce);
	fanout_free(r->fan);
	for (i = 0; i < r->n_fwd; i++)
		forward_free(r->fwd[i]);
	ring_free(r->ring);
	free(r->msgs);
	free(r->iov);
	free(r->rbuf);
	free(r->cbuf);
	free(r->names);
	free(r->fixbuf);
	free(r);
}
