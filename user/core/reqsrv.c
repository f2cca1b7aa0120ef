// SPDX-License-Identifier: GPL-2.0-only
/*
 * reqsrv.c - bounded one-shot request/response connections on the loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "reqsrv.h"

#define REQSRV_FD_RETRY_MS 250	/* accepting resumes this long after EMFILE */
/* Accepted per wakeup: fewer than half the slots, so that a client
 * accepted in one turn is read in the next before enough newcomers
 * arrived to make it the oldest and evict it. */
#define REQSRV_ACCEPT_BATCH (REQSRV_MAX_CLIENTS / 2 - 1)

struct reqsrv_client {
	struct reqsrv *srv;
	struct loop_fd h;
	struct loop_timer deadline;
	char req[REQSRV_REQ_MAX + 1];
	size_t req_len;
	struct reqsrv_reply reply;
	size_t sent;
	uint64_t seq;		/* accept order: the smallest is the oldest */
	int role;		/* from ops->allow */
	bool in_use;
	bool answering;		/* a complete request came; the reply is going out */
};

struct reqsrv {
	struct loop *l;
	struct loop_fd h;
	const struct reqsrv_ops *ops;
	void *ctx;
	struct reqsrv_stats st;
	uint64_t seq;
	struct log_limit ll_evict, ll_busy, ll_denied, ll_timeout, ll_long;
	uint64_t paused_fds;		/* accept4() failed for want of fds or memory */
	struct loop_timer retry;	/* resumes accepting after such a failure */
	struct reqsrv_client clients[REQSRV_MAX_CLIENTS];
};

int reqsrv_append(struct reqsrv_reply *r, const char *data, size_t len)
{
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + len + 1)
			cap *= 2;
		if (cap > REQSRV_REPLY_MAX)
			return -ENOSPC;
		b = realloc(r->buf, cap);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = 0;
	return 0;
}

int reqsrv_printf(struct reqsrv_reply *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, err;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	err = reqsrv_append(r, s, (size_t)n);
	free(s);
	return err;
}

static void client_close(struct reqsrv_client *c)
{
	struct loop *l = c->srv->l;
	int fd = c->h.fd;

	loop_fd_del(l, &c->h);
	loop_timer_cancel(l, &c->deadline);
	if (fd >= 0)
		close(fd);
	free(c->reply.buf);
	memset(&c->reply, 0, sizeof(c->reply));
	c->in_use = false;
}

/* Out of fds (or memory) in accept4(): the connection stays in the
 * backlog and level-triggered epoll would report it again at once, a
 * busy loop. Stop polling the listener and retry after a while. */
static void accept_pause(struct reqsrv *s, int err)
{
	if (!s->paused_fds++)
		pr_warn("%s: accept: %s; not accepting for %d ms (raise the fd limit?)",
			s->ops->name, strerror(err), REQSRV_FD_RETRY_MS);
	if (loop_fd_mod(s->l, &s->h, 0) == 0)
		loop_timer_arm(s->l, &s->retry, REQSRV_FD_RETRY_MS);
}

static void accept_resume(struct loop_timer *t)
{
	struct reqsrv *s = container_of(t, struct reqsrv, retry);

	if (loop_fd_mod(s->l, &s->h, EPOLLIN))
		loop_timer_arm(s->l, &s->retry, REQSRV_FD_RETRY_MS);
}

static void client_on_deadline(struct loop_timer *t)
{
	struct reqsrv_client *c = container_of(t, struct reqsrv_client, deadline);

	c->srv->st.timed_out++;
	log_limited(&c->srv->ll_timeout, LOG_WARNING, "%s: client timed out after %u ms; closed",
		    c->srv->ops->name, c->srv->ops->timeout_ms);
	client_close(c);
}

static void client_write(struct reqsrv_client *c)
{
	while (c->sent < c->reply.len) {
		ssize_t n = send(c->h.fd, c->reply.buf + c->sent, c->reply.len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_fd_mod(c->srv->l, &c->h, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->sent += (size_t)n;
	}
	client_close(c);
}

static void client_answer(struct reqsrv_client *c, size_t len)
{
	c->req[len] = 0;
	c->answering = true;
	c->srv->ops->handle(c->srv->ctx, c->role, c->req, len, &c->reply);
	client_write(c);
}

static void client_on_io(struct loop_fd *h, uint32_t events)
{
	struct reqsrv_client *c = container_of(h, struct reqsrv_client, h);
	const struct reqsrv_ops *ops = c->srv->ops;

	if (h->events & EPOLLOUT) {
		if (events & (EPOLLERR | EPOLLHUP))
			client_close(c);
		else
			client_write(c);
		return;
	}
	for (;;) {
		ssize_t n = recv(h->fd, c->req + c->req_len, ops->req_max - c->req_len, MSG_DONTWAIT);
		size_t done;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EOF: a request without its terminator is still answered */
			if (n == 0 && c->req_len)
				client_answer(c, c->req_len);
			else
				client_close(c);
			return;
		}
		c->req_len += (size_t)n;
		done = ops->complete(c->req, c->req_len);
		if (done) {
			client_answer(c, done);
			return;
		}
		if (c->req_len == ops->req_max) {
			log_limited(&c->srv->ll_long, LOG_WARNING, "%s: request longer than %zu bytes; closed",
				    ops->name, ops->req_max);
			client_close(c);
			return;
		}
	}
}

static void refuse(int fd, const char *why)
{
	char sink[512];

	if (why)
		(void)!send(fd, why, strlen(why), MSG_NOSIGNAL | MSG_DONTWAIT);
	/* read what already came so the close is orderly and the peer gets
	 * the refusal rather than a reset */
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	shutdown(fd, SHUT_WR);
	close(fd);
}

/* A free slot, or the one of the oldest client still sending its
 * request (closed here, counted), or NULL when all are answering. */
static struct reqsrv_client *take_slot(struct reqsrv *s)
{
	struct reqsrv_client *oldest = NULL;
	int i;

	for (i = 0; i < REQSRV_MAX_CLIENTS; i++) {
		struct reqsrv_client *c = &s->clients[i];

		if (!c->in_use)
			return c;
		if (!c->answering && (!oldest || c->seq < oldest->seq))
			oldest = c;
	}
	if (!oldest)
		return NULL;
	s->st.evicted++;
	log_limited(&s->ll_evict, LOG_WARNING,
		    "%s: all %d client slots taken; closed the oldest client that had not sent a "
		    "complete request, to admit a new one", s->ops->name, REQSRV_MAX_CLIENTS);
	if (s->ops->refusal)
		(void)!send(oldest->h.fd, s->ops->refusal, strlen(s->ops->refusal),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(oldest);
	return oldest;
}

static void on_accept(struct loop_fd *h, uint32_t events)
{
	struct reqsrv *s = container_of(h, struct reqsrv, h);

	for (int n = 0; n < REQSRV_ACCEPT_BATCH; n++) {
		struct reqsrv_client *c;
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), role = 0;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_pause(s, errno);
			else if (errno != EAGAIN)
				pr_warn("%s: accept: %s", s->ops->name, strerror(errno));
			return;
		}
		if (s->ops->allow && (role = s->ops->allow(s->ctx, fd)) < 0) {
			s->st.refused_denied++;
			log_limited(&s->ll_denied, LOG_WARNING, "%s: peer refused: %s", s->ops->name,
				    strerror(-role));
			refuse(fd, s->ops->denied);
			continue;
		}
		c = take_slot(s);
		if (!c) {
			s->st.refused_busy++;
			log_limited(&s->ll_busy, LOG_WARNING, "%s: all %d client slots busy answering; "
				    "new client refused", s->ops->name, REQSRV_MAX_CLIENTS);
			refuse(fd, s->ops->refusal);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->srv = s;
		c->in_use = true;
		c->seq = ++s->seq;
		c->role = role;
		loop_timer_init(&c->deadline, client_on_deadline);
		if (loop_fd_add(s->l, &c->h, fd, EPOLLIN | EPOLLRDHUP, client_on_io)) {
			close(fd);
			c->in_use = false;
			continue;
		}
		loop_timer_arm(s->l, &c->deadline, s->ops->timeout_ms);
	}
}

int reqsrv_start(struct loop *l, int listen_fd, const struct reqsrv_ops *ops, void *ctx,
		 struct reqsrv **out)
{
	struct reqsrv *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->l = l;
	s->ops = ops;
	s->ctx = ctx;
	loop_timer_init(&s->retry, accept_resume);
	err = loop_fd_add(l, &s->h, listen_fd, EPOLLIN, on_accept);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void reqsrv_get_stats(const struct reqsrv *s, struct reqsrv_stats *out)
{
	if (s)
		*out = s->st;
	else
		memset(out, 0, sizeof(*out));
}

void reqsrv_free(struct reqsrv *s)
{
	int i, fd;

	if (!s)
		return;
	for (i = 0; i < REQSRV_MAX_CLIENTS; i++)
		if (s->clients[i].in_use)
			client_close(&s->clients[i]);
	loop_timer_cancel(s->l, &s->retry);
	fd = s->h.fd;
	loop_fd_del(s->l, &s->h);
	if (fd >= 0)
		close(fd);
	free(s);
}
