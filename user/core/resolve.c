// SPDX-License-Identifier: GPL-2.0-only
/*
 * resolve.c - host names (proxy upstreams, syslog collectors), resolved
 * off the event loop.
 *
 * How it works. getaddrinfo(3) blocks for as long as the resolver takes
 * (with a dead resolver: timeout x attempts x search domains, seconds),
 * so it never runs on the loop. RESOLVE_THREADS worker threads take
 * requests (a copy of host and port) from a bounded queue, call
 * getaddrinfo, and put the answer (again a copy) on a done list,
 * then write an eventfd the loop watches. Two threads, so one name whose
 * lookup hangs does not hold up every other. The loop side keeps one
 * entry per name (names come from the configuration only, so the set is
 * bounded by it), with its addresses, an expiry and a list of
 * connections waiting for a first answer.
 *
 * Addresses and their order come from getaddrinfo, so /etc/hosts,
 * nsswitch and the RFC 6724 sorting of /etc/gai.conf apply as for any
 * program. getaddrinfo does not report the records' TTL, so after a
 * successful lookup the thread asks DNS for it (res_nsearch for A and/or
 * AAAA, the families that came back, parsed with ns_parserr): the
 * smallest TTL of the answer's A, AAAA and CNAME records. That second
 * query is bounded to one try of one second per server: it only decides
 * when to ask again, and a name answered from /etc/hosts while DNS is
 * dead must not wait long for it. No TTL (not in DNS, no answer): the
 * interval is used.
 *
 * An entry is used until it expires - its TTL, bounded below by
 * RESOLVE_TTL_MIN_MS and above by the caller's interval
 * (resolve_interval) - then re-resolved in the background, at its next
 * use, while the old addresses stay in use; a failed lookup is retried
 * after the interval, and callers that wait for a first answer bound the
 * wait with a deadline of their own (the proxy's connect_timeout).
 *
 * The state shared with the threads (struct rshared) is reference
 * counted: when the resolver is freed, a thread blocked in a lookup keeps it
 * alive until it returns, and the eventfd is closed only then, so a late
 * write never lands on a reused fd number.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"

#define RESOLVE_THREADS	2
#define RESOLVE_QUEUE	64	/* requests waiting for a thread */

struct rmsg {
	struct rmsg *next;		/* on the done list */
	char host[CONF_HOST_MAX];
	char port[8];
	int err;			/* EAI_* (0: ok) */
	long ttl;			/* seconds; -1: unknown */
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
	/* answers for the loop: a list, never full, so no answer is lost
	 * (a lost one would leave its name pending for good); bounded all
	 * the same, as a name has at most one lookup in flight */
	struct rmsg *done;
	int efd;
};

struct resolver {
	struct loop *loop;
	char who[16];
	struct loop_fd h;		/* the eventfd the threads write */
	struct rshared *sh;
	struct resolve_name *names;
	uint64_t queue_full;
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
	while (s->done) {
		struct rmsg *m = s->done;

		s->done = m->next;
		free(m);
	}
	close(s->efd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

long resolve_answer_ttl(const unsigned char *msg, int len)
{
	ns_msg h;
	long ttl = -1;
	int n;

	if (len <= 0 || ns_initparse(msg, len, &h) < 0)
		return -1;
	n = ns_msg_count(h, ns_s_an);
	for (int i = 0; i < n; i++) {
		ns_rr rr;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return -1;
		if (ns_rr_class(rr) != ns_c_in ||
		    (ns_rr_type(rr) != ns_t_a && ns_rr_type(rr) != ns_t_aaaa && ns_rr_type(rr) != ns_t_cname))
			continue;
		if (ttl < 0 || (long)ns_rr_ttl(rr) < ttl)
			ttl = (long)ns_rr_ttl(rr);
	}
	return ttl;
}

/* The TTL DNS gives host's records of the families in m, or -1. */
static long query_ttl(const char *host, const struct rmsg *m)
{
	struct __res_state st;
	unsigned char ans[4096];
	bool v4 = false, v6 = false;
	long ttl = -1;

	for (int i = 0; i < m->n; i++) {
		v4 |= m->addrs[i].ss_family == AF_INET;
		v6 |= m->addrs[i].ss_family == AF_INET6;
	}
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) < 0)
		return -1;
	/* only a hint of when to ask again: one short try per server */
	st.retry = 1;
	if (st.retrans > 1)
		st.retrans = 1;
	for (int k = 0; k < 2; k++) {
		int type = k ? ns_t_aaaa : ns_t_a, len;
		long t;

		if (!(k ? v6 : v4))
			continue;
		len = res_nsearch(&st, host, ns_c_in, type, ans, sizeof(ans));
		t = len > 0 ? resolve_answer_ttl(ans, len < (int)sizeof(ans) ? len : (int)sizeof(ans)) : -1;
		if (t >= 0 && (ttl < 0 || t < ttl))
			ttl = t;
	}
	res_nclose(&st);
	return ttl;
}

static bool is_numeric(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void lookup(struct rmsg *m)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;

	m->err = getaddrinfo(m->host, m->port, &hints, &res);
	m->n = 0;
	m->ttl = -1;
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
	if (!m->err && !is_numeric(m->host))	/* an address has no TTL to ask for */
		m->ttl = query_ttl(m->host, m);
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
		if (s->closing) {
			free(m);
			continue;
		}
		m->next = s->done;
		s->done = m;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; nothing to do */
		}
	}
	pthread_mutex_unlock(&s->mu);
	rshared_put(s);
	return NULL;
}

/* ---- the loop side ---------------------------------------------------- */

static struct resolve_name *find(struct resolver *r, const char *host, const char *port)
{
	for (struct resolve_name *e = r->names; e; e = e->next)
		if (!strcmp(e->host, host) && !strcmp(e->port, port))
			return e;
	return NULL;
}

/* How long an answer with this TTL (seconds, -1: unknown) is used. */
static uint32_t keep_ms(long ttl, uint32_t interval_ms)
{
	uint64_t ms;

	if (ttl < 0)
		return interval_ms;
	ms = (uint64_t)ttl * 1000;
	if (ms < RESOLVE_TTL_MIN_MS)
		ms = RESOLVE_TTL_MIN_MS;
	return ms < interval_ms ? (uint32_t)ms : interval_ms;
}

static void answered(struct resolver *r, struct resolve_name *e, const struct rmsg *m)
{
	uint64_t now = loop_now(r->loop);

	e->pending = false;
	if (!m->err) {
		bool changed = e->n != m->n || memcmp(e->addrs, m->addrs, sizeof(e->addrs[0]) * (size_t)m->n);

		e->ttl_ms = m->ttl < 0 ? 0 : keep_ms(m->ttl, e->interval_ms);
		e->expires = now + keep_ms(m->ttl, e->interval_ms);
		if (!e->n || e->last_err)
			pr_info("%s: %s resolved to %d address%s (kept %u ms)", r->who, e->text, m->n,
				m->n == 1 ? "" : "es", keep_ms(m->ttl, e->interval_ms));
		else if (changed)
			pr_info("%s: %s now resolves to %d address%s (kept %u ms)", r->who, e->text, m->n,
				m->n == 1 ? "" : "es", keep_ms(m->ttl, e->interval_ms));
		e->n = m->n;
		memcpy(e->addrs, m->addrs, sizeof(e->addrs));
		memcpy(e->lens, m->lens, sizeof(e->lens));
	} else {
		e->expires = now + e->interval_ms;
		if (e->last_err != m->err)	/* logged once per change, not per retry */
			pr_warn("%s: %s: cannot resolve: %s%s; retried every %u ms", r->who, e->text,
				gai_strerror(m->err), e->n ? " (the last addresses stay in use)" : "",
				e->interval_ms);
	}
	e->last_err = m->err;
	e->lookups++;
	/* waiters go on, with addresses or to their next choice */
	while (e->waiting) {
		struct resolve_wait *w = e->waiting;

		e->waiting = w->next;
		w->name = NULL;
		w->next = NULL;
		w->ready(w);
	}
}

static void on_done(struct loop_fd *h, uint32_t ev)
{
	struct resolver *r = container_of(h, struct resolver, h);
	struct rmsg *got;
	uint64_t cnt;

	(void)ev;
	if (read(h->fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_warn("%s: resolver eventfd: %s", r->who, strerror(errno));
	pthread_mutex_lock(&r->sh->mu);
	got = r->sh->done;
	r->sh->done = NULL;
	pthread_mutex_unlock(&r->sh->mu);
	while (got) {
		struct rmsg *m = got;
		struct resolve_name *e = find(r, m->host, m->port);

		got = m->next;
		if (e)
			answered(r, e, m);
		free(m);
	}
}

int resolver_new(struct loop *l, const char *who, struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct rshared *s = calloc(1, sizeof(*s));
	sigset_t all, old;
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
	snprintf(r->who, sizeof(r->who), "%s", who);
	r->h.fd = -1;
	err = loop_fd_add(l, &r->h, s->efd, EPOLLIN, on_done);
	if (err) {
		rshared_put(s);
		free(r);
		return err;
	}
	/* the threads take no signal: a process-directed one (SIGTERM,
	 * SIGHUP) must reach the loop's signalfd, whatever the mask of the
	 * thread that starts them (they inherit it) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
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
				pthread_sigmask(SIG_SETMASK, &old, NULL);
				pr_err("%s: cannot start a resolver thread: %s", who, strerror(err));
				resolver_free(r);
				return -err;
			}
			break;	/* one thread works too, only slower */
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
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
		struct resolve_name *e = r->names;

		r->names = e->next;
		/* waiters are owned by callers, which free them first */
		for (struct resolve_wait *w = e->waiting; w; w = w->next)
			w->name = NULL;
		free(e);
	}
	free(r);
}

uint64_t resolver_queue_full(const struct resolver *r)
{
	return r ? r->queue_full : 0;
}

/* Queue a lookup of e; false when the queue is full (tried again on next use). */
static bool request(struct resolver *r, struct resolve_name *e)
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

struct resolve_name *resolver_get(struct resolver *r, const char *text, uint32_t interval_ms)
{
	const char *colon = strrchr(text, ':');
	char host[CONF_HOST_MAX], port[8];
	uint64_t now = loop_now(r->loop);
	struct resolve_name *e;

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

void resolver_wait(struct resolve_name *e, struct resolve_wait *w)
{
	w->name = e;
	w->next = e->waiting;
	e->waiting = w;
}

void resolver_unwait(struct resolve_wait *w)
{
	struct resolve_name *e = w->name;

	if (!e)
		return;
	for (struct resolve_wait **pp = &e->waiting; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->name = NULL;
	w->next = NULL;
}
