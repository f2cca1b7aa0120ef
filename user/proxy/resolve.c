// SPDX-License-Identifier: GPL-2.0-only
/*
 * resolve.c - upstream host names, resolved off the event loop.
 *
 * How it works. getaddrinfo(3) blocks for as long as the resolver takes
 * (with a dead resolver: timeout x attempts x search domains, seconds),
 * so it never runs on the loop. RESOLVE_THREADS worker threads take
 * requests (a copy of host and port) from a bounded queue, call
 * getaddrinfo, and put the answer (again a copy) on a bounded done list,
 * then write an eventfd the loop watches. Two threads, so one name whose
 * lookup hangs does not hold up every other. The loop side keeps one
 * entry per name (names come from the configuration only, so the set is
 * bounded by it), with its addresses, an expiry and a list of
 * connections waiting for a first answer.
 *
 * An entry is used until it expires (resolve_interval), then re-resolved
 * in the background while the old addresses stay in use; a failed lookup
 * is retried after the same interval, and connections that wait for a
 * first answer are bounded by connect_timeout like any connect.
 *
 * The state shared with the threads (struct rshared) is reference
 * counted: when the proxy is freed, a thread blocked in a lookup keeps it
 * alive until it returns, and the eventfd is closed only then, so a late
 * write never lands on a reused fd number.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "proxy_int.h"

#define RESOLVE_THREADS	2
#define RESOLVE_QUEUE	64	/* requests waiting for a thread */

struct rmsg {
	char host[CONF_HOST_MAX];
	char port[8];
	int err;			/* EAI_* (0: ok) */
	int n;
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	socklen_t lens[RESOLVE_MAX_ADDRS];
};

struct rshared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;			/* the loop's + one per thread */
	bool closing;
	struct rmsg *req[RESOLVE_QUEUE];
	int req_head, req_n;
	struct rmsg *done[RESOLVE_QUEUE];
	int done_n;
	int efd;
};

static void rshared_put(struct rshared *s)
{
	bool last;

	pthread_mutex_lock(&s->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	for (int i = 0; i < s->req_n; i++)
		free(s->req[(s->req_head + i) % RESOLVE_QUEUE]);
	for (int i = 0; i < s->done_n; i++)
		free(s->done[i]);
	close(s->efd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void lookup(struct rmsg *m)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;

	m->err = getaddrinfo(m->host, m->port, &hints, &res);
	m->n = 0;
	for (ai = m->err ? NULL : res; ai && m->n < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&m->addrs[m->n], ai->ai_addr, ai->ai_addrlen);
		m->lens[m->n++] = ai->ai_addrlen;
	}
	if (!m->err && !m->n)
		m->err = EAI_NONAME;
	if (res)
		freeaddrinfo(res);
}

static void *worker(void *arg)
{
	struct rshared *s = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct rmsg *m;

		while (!s->closing && !s->req_n)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->closing)
			break;
		m = s->req[s->req_head];
		s->req_head = (s->req_head + 1) % RESOLVE_QUEUE;
		s->req_n--;
		pthread_mutex_unlock(&s->mu);
		lookup(m);
		pthread_mutex_lock(&s->mu);
		if (s->closing || s->done_n == RESOLVE_QUEUE) {
			free(m);	/* closing, or a full list: the loop asks again */
			continue;
		}
		s->done[s->done_n++] = m;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; nothing to do */
		}
	}
	pthread_mutex_unlock(&s->mu);
	rshared_put(s);
	return NULL;
}

/* ---- the loop side ---------------------------------------------------- */

static struct name_ent *find(struct resolver *r, const char *host, const char *port)
{
	for (struct name_ent *e = r->names; e; e = e->next)
		if (!strcmp(e->host, host) && !strcmp(e->port, port))
			return e;
	return NULL;
}

static void on_done(struct loop_fd *h, uint32_t ev)
{
	struct resolver *r = container_of(h, struct resolver, h);
	struct rmsg *got[RESOLVE_QUEUE];
	uint64_t cnt;
	int n;

	(void)ev;
	if (read(h->fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_warn("proxy: resolver eventfd: %s", strerror(errno));
	pthread_mutex_lock(&r->sh->mu);
	n = r->sh->done_n;
	memcpy(got, r->sh->done, sizeof(got[0]) * (size_t)n);
	r->sh->done_n = 0;
	pthread_mutex_unlock(&r->sh->mu);
	for (int i = 0; i < n; i++) {
		struct rmsg *m = got[i];
		struct name_ent *e = find(r, m->host, m->port);

		if (e) {
			uint64_t now = loop_now(r->loop);

			e->pending = false;
			e->expires = now + e->interval_ms;
			if (!m->err) {
				if (!e->n || e->last_err)
					pr_info("proxy: %s resolved to %d address%s", e->text, m->n,
						m->n == 1 ? "" : "es");
				e->n = m->n;
				memcpy(e->addrs, m->addrs, sizeof(e->addrs));
				memcpy(e->lens, m->lens, sizeof(e->lens));
			} else if (e->last_err != m->err) {
				/* logged once per change, not per retry */
				pr_warn("proxy: upstream %s: cannot resolve: %s%s; retried every %u ms",
					e->text, gai_strerror(m->err),
					e->n ? " (the last addresses stay in use)" : "", e->interval_ms);
			}
			e->last_err = m->err;
			e->lookups++;
			/* waiting connections go on, with addresses or to the next upstream */
			while (e->waiting) {
				struct conn *c = e->waiting;

				e->waiting = c->rwait_next;
				c->rwait = NULL;
				c->rwait_next = NULL;
				r->ready(c);
			}
		}
		free(m);
	}
}

int resolver_new(struct loop *l, void (*ready)(struct conn *c), struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct rshared *s = calloc(1, sizeof(*s));
	int err = -ENOMEM, i;

	if (!r || !s)
		goto fail;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->refs = 1;
	r->sh = s;
	r->loop = l;
	r->ready = ready;
	r->h.fd = -1;
	err = loop_fd_add(l, &r->h, s->efd, EPOLLIN, on_done);
	if (err) {
		rshared_put(s);
		free(r);
		return err;
	}
	for (i = 0; i < RESOLVE_THREADS; i++) {
		pthread_t t;
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&s->mu);
		s->refs++;
		pthread_mutex_unlock(&s->mu);
		err = pthread_create(&t, &a, worker, s);
		pthread_attr_destroy(&a);
		if (err) {
			rshared_put(s);	/* that thread's reference */
			if (!i) {
				pr_err("proxy: cannot start a resolver thread: %s", strerror(err));
				resolver_free(r);
				return -err;
			}
			break;	/* one thread works too, only slower */
		}
	}
	*out = r;
	return 0;
fail:
	if (s && s->efd > 0)
		close(s->efd);
	free(s);
	free(r);
	return err;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	loop_fd_del(r->loop, &r->h);
	pthread_mutex_lock(&r->sh->mu);
	r->sh->closing = true;
	pthread_cond_broadcast(&r->sh->cv);
	pthread_mutex_unlock(&r->sh->mu);
	rshared_put(r->sh);
	while (r->names) {
		struct name_ent *e = r->names;

		r->names = e->next;
		free(e);
	}
	free(r);
}

/* Queue a lookup of e; false when the queue is full (tried again on next use). */
static bool request(struct resolver *r, struct name_ent *e)
{
	struct rmsg *m = calloc(1, sizeof(*m));
	bool ok = false;

	if (!m)
		return false;
	snprintf(m->host, sizeof(m->host), "%s", e->host);
	snprintf(m->port, sizeof(m->port), "%s", e->port);
	pthread_mutex_lock(&r->sh->mu);
	if (r->sh->req_n < RESOLVE_QUEUE) {
		r->sh->req[(r->sh->req_head + r->sh->req_n) % RESOLVE_QUEUE] = m;
		r->sh->req_n++;
		pthread_cond_signal(&r->sh->cv);
		ok = true;
	}
	pthread_mutex_unlock(&r->sh->mu);
	if (!ok) {
		free(m);
		r->queue_full++;
	}
	return ok;
}

struct name_ent *resolver_get(struct resolver *r, const char *text, uint32_t interval_ms)
{
	const char *colon = strrchr(text, ':');
	char host[CONF_HOST_MAX], port[8];
	uint64_t now = loop_now(r->loop);
	struct name_ent *e;

	if (!colon || (size_t)(colon - text) >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return NULL;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	snprintf(port, sizeof(port), "%s", colon + 1);
	e = find(r, host, port);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		snprintf(e->host, sizeof(e->host), "%s", host);
		snprintf(e->port, sizeof(e->port), "%s", port);
		snprintf(e->text, sizeof(e->text), "%s", text);
		e->next = r->names;
		r->names = e;
	}
	e->interval_ms = interval_ms;	/* the newest config's */
	if (!e->pending && now >= e->expires)
		e->pending = request(r, e);
	return e;
}

void resolver_wait(struct name_ent *e, struct conn *c)
{
	c->rwait = e;
	c->rwait_next = e->waiting;
	e->waiting = c;
}

void resolver_unwait(struct conn *c)
{
	struct name_ent *e = c->rwait;

	if (!e)
		return;
	for (struct conn **pp = &e->waiting; *pp; pp = &(*pp)->rwait_next)
		if (*pp == c) {
			*pp = c->rwait_next;
			break;
		}
	c->rwait = NULL;
	c->rwait_next = NULL;
}
