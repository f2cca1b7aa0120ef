// SPDX-License-Identifier: GPL-2.0-only
/*
 * proxy.c - the [proxy NAME] sections: listeners, accept, limits, reload
 * and counters. The connection itself lives in conn.c.
 *
 * A "front" is one [proxy NAME] section. It survives reloads (matched by
 * name) so that its counters and pipe pool do; what a reload changes is
 * its config snapshot (struct front_cfg), which new connections take a
 * reference to and established ones keep until they close.
 *
 * Limits (docs/design.md, Never block the accept path; a deadline on
 * every read). A listener is paused - its epoll interest set to
 * nothing, not polled - while its front is at max_connections, while all
 * fronts together are at [global] max_connections, and for a short while
 * after accept4() fails with EMFILE/ENFILE/ENOBUFS/ENOMEM (the pending
 * connection stays in the backlog, so level-triggered epoll would
 * otherwise report it again at once: a busy loop). A connection that
 * closes resumes paused listeners; a timer retries after fd pressure.
 * Accepting never blocks and does no I/O on the new socket.
 *
 * Pre-authentication budget. A limit filled by clients that connect and
 * say nothing would lock good clients out for hello_timeout, renewed by
 * the next wave. So while a limit is reached and some connection is
 * still in its hello (on a terminate= route: its TLS handshake), the
 * listener stays polled and each new client closes the oldest such
 * connection to take its place (counted as hello_evicted, logged at
 * most once a second): max_connections still holds, connections past
 * their hello are never touched, and a good client,
 * which sends its hello at once, leaves the hello phase long before it
 * could become the oldest. One eviction per wakeup, so that clients
 * accepted meanwhile are read before more newcomers arrive.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"
#include "core/log.h"
#include "proxy.h"

#define ACCEPT_BATCH	 64	/* accepts per wakeup, then the others' turn */
#define FD_RETRY_MS	 250	/* listeners resume this long after EMFILE */

/* ---- config checks -------------------------------------------------- */

/* terminate= needs a registered transform; refuse the config otherwise. */
static int proxy_check_terminate(const struct conf_proxy *px)
{
	for (int i = 0; i < px->n_routes + 2; i++) {
		const struct conf_route *r = i < px->n_routes ? &px->routes[i] :
					     i == px->n_routes ? &px->default_route : &px->no_sni_route;

		if (r->cert[0] && !conn_xform()) {
			pr_err("[proxy %s] route %s (line %d): terminate= needs the TLS terminator, "
			       "which this binary does not register; remove terminate= or use a build with it",
			       px->name, r->name[0] ? r->name : "default/no_sni", r->line);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* ---- listeners ------------------------------------------------------- */

static void listeners_update(struct proxy_set *s);

static void fd_pressure(struct proxy_set *s, int err)
{
	if (!s->fd_pressure)
		pr_warn("proxy: accept: %s; listeners paused for %d ms or until a connection closes",
			strerror(err), FD_RETRY_MS);
	s->fd_pressure = true;
	s->paused_fds++;
	loop_timer_arm(s->loop, &s->fd_timer, FD_RETRY_MS);
	listeners_update(s);
}

static void on_fd_timer(struct loop_timer *t)
{
	struct proxy_set *s = container_of(t, struct proxy_set, fd_timer);

	s->fd_pressure = false;
	listeners_update(s);
}

/* The limits count the connections of every worker (shared atomics). */
static bool proxy_front_may_accept(const struct front *f)
{
	const struct proxy_set *s = f->set;

	return !s->stopped && !f->retired && !s->fd_pressure &&
	       atomic_load(&s->shared->active) < s->max_total &&
	       atomic_load(&f->sh->active) < f->cfg->px.max_connections;
}

static bool front_at_limit(const struct front *f)
{
	return atomic_load(&f->sh->active) >= f->cfg->px.max_connections;
}

/* Take one connection slot of f and of all sections before accepting,
 * so that workers accepting at once cannot overshoot a limit; false
 * when another worker took the last one. */
static bool front_reserve(struct front *f)
{
	struct proxy_set *s = f->set;

	if (atomic_fetch_add(&s->shared->active, 1) >= s->max_total) {
		atomic_fetch_sub(&s->shared->active, 1);
		return false;
	}
	if (atomic_fetch_add(&f->sh->active, 1) >= f->cfg->px.max_connections) {
		atomic_fetch_sub(&f->sh->active, 1);
		atomic_fetch_sub(&s->shared->active, 1);
		return false;
	}
	return true;
}

/* The same, past the limit: a victim's slot comes back right after. */
static void front_reserve_over(struct front *f)
{
	atomic_fetch_add(&f->set->shared->active, 1);
	atomic_fetch_add(&f->sh->active, 1);
}

static void front_unreserve(struct front *f)
{
	atomic_fetch_sub(&f->sh->active, 1);
	atomic_fetch_sub(&f->set->shared->active, 1);
}

/* Only a limit stands in the way (not stopping, not fd pressure). */
static bool front_limit_only(const struct front *f)
{
	const struct proxy_set *s = f->set;

	return !s->stopped && !f->retired && !s->fd_pressure;
}

/* The connection to close so that f can admit one more, or NULL. */
static struct conn *hello_victim(struct front *f)
{
	struct proxy_set *s = f->set;
	struct conn *victim = NULL;

	if (!front_limit_only(f))
		return NULL;
	if (front_at_limit(f))
		return conn_oldest_hello(f);
	/* the global limit: the oldest hello of any front */
	for (struct front *g = s->fronts; g; g = g->next) {
		struct conn *c = conn_oldest_hello(g);

		if (c && (!victim || c->t_start < victim->t_start))
			victim = c;
	}
	return victim;
}

/* Close victim (hello_victim(f)) to admit a new connection of f, whose
 * slot the caller has taken already (front_reserve_over). */
static void evict_hello(struct front *f, struct conn *victim, bool own_limit)
{
	struct proxy_set *s = f->set;
	char peer[64];

	conf_addr_str(&victim->peer.sa, peer, sizeof(peer));
	log_limited(&s->ll_evict, LOG_WARNING, "[proxy %s] at %s max_connections: closed the oldest "
		    "connection still in its hello (%s, %llu ms old) to admit a new one", f->name,
		    own_limit ? "its" : "[global]", peer,
		    (unsigned long long)(loop_now(s->loop) - victim->t_start));
	conn_close(victim, CLOSE_HELLO_EVICTED);
}

/* A slot came free outside a close (a grant given back): the workers
 * paused at a shared limit look again, as after a close. */
static void slot_freed(struct proxy_set *s)
{
	struct workers *ws = s->shared->w;

	for (int i = 0; ws && i < ws->n; i++)
		if (i != s->worker && atomic_load(&ws->w[i].set->any_paused))
			workers_poke(ws, i);
}

/*
 * Workers: f's worker is at a limit with no connection in its hello to
 * evict, while another worker may have some. It asks them: one request
 * per worker at a time, EVICT_ASKED, naming the section at its limit
 * (or none: [global]). A worker that takes the request up reserves the
 * slot for the asker before it closes its victim, so that the victim's
 * slot passes to the asker and to nobody else (not to the evicting
 * worker's own next accept), marks it EVICT_GRANTED and pokes it; the
 * asker accepts with that slot or, when no client waits any more, gives
 * it back. A request is made only when a listener pauses and ends only
 * by a grant or by the asker's withdrawal: no worker asks again on a
 * wakeup, so two paused workers cannot keep asking each other.
 */
static void request_evict(struct front *f)
{
	struct proxy_set *s = f->set;
	struct proxy_shared *ps = s->shared;
	struct workers *ws = ps->w;

	if (!ws)
		return;
	if (!s->evict_asking) {
		pthread_mutex_lock(&ps->evict_mu);
		s->evict_state = EVICT_ASKED;
		s->evict_sh = front_at_limit(f) ? f->sh : NULL;
		atomic_fetch_add(&ps->evict_open, 1);
		pthread_mutex_unlock(&ps->evict_mu);
		s->evict_front = f;
		s->evict_asking = true;
	}
	for (int i = 0; i < ws->n; i++)
		if (i != s->worker)
			workers_poke(ws, i);
}

/* Give back a granted slot that no client took. */
static void grant_return(struct proxy_set *s, struct front_shared *sh)
{
	if (sh)
		atomic_fetch_sub(&sh->active, 1);
	atomic_fetch_sub(&s->shared->active, 1);
	s->evict_unused++;
	slot_freed(s);
}

/* This worker got a slot of its own (or a reload comes): its request
 * is withdrawn; a slot granted meanwhile goes back. */
static void evict_withdraw(struct proxy_set *s)
{
	struct proxy_shared *ps = s->shared;
	enum evict_state st;
	struct front_shared *sh;

	if (!s->evict_asking)
		return;
	pthread_mutex_lock(&ps->evict_mu);
	st = s->evict_state;
	sh = s->evict_sh;
	if (st == EVICT_ASKED)
		atomic_fetch_sub(&ps->evict_open, 1);
	s->evict_state = EVICT_NONE;
	pthread_mutex_unlock(&ps->evict_mu);
	s->evict_asking = false;
	s->evict_front = NULL;
	if (st == EVICT_GRANTED)
		grant_return(s, sh);
}

/* A connection that has had a loop turn to send its hello; one
 * accepted just now is never evicted for another worker. */
static struct conn *old_hello(struct proxy_set *s, struct front *f)
{
	struct conn *c = conn_oldest_hello(f);

	return c && c->t_start < loop_now(s->loop) ? c : NULL;
}

/* This worker's connection to close for a request at sh's limit (NULL:
 * [global]), while that limit still holds; *young is set when only
 * connections accepted in this loop turn are in their hello. */
static struct conn *victim_for(struct proxy_set *s, const struct front_shared *sh, bool *young)
{
	struct conn *victim = NULL;

	if (!sh && atomic_load(&s->shared->active) < s->max_total)
		return NULL;
	for (struct front *g = s->fronts; g; g = g->next) {
		struct conn *c;

		if (!front_limit_only(g) || (sh && (g->sh != sh || !front_at_limit(g))))
			continue;
		c = old_hello(s, g);
		*young |= !c && conn_oldest_hello(g);
		if (c && (!victim || c->t_start < victim->t_start))
			victim = c;
	}
	return victim;
}

/* Evict this worker's oldest hello connections for other workers'
 * requests, while the limit asked about still holds. A request that
 * finds only connections accepted in this loop turn is looked at again
 * on a 1 ms timer: the asking worker is paused and nothing else would
 * bring this one back before a client's own timeout. */
static void evict_for_others(struct proxy_set *s)
{
	struct proxy_shared *ps = s->shared;
	struct workers *ws = ps->w;
	bool young = false;

	/* at most one eviction per other worker: each has one request */
	for (int round = 1; ws && round < ws->n && atomic_load(&ps->evict_open) > 0; round++) {
		struct conn *victim = NULL;
		bool section = false;
		int asker = -1;

		pthread_mutex_lock(&ps->evict_mu);
		for (int i = 0; i < ws->n && !victim; i++) {
			struct proxy_set *a = ws->w[i].set;

			if (i == s->worker || a->evict_state != EVICT_ASKED)
				continue;
			victim = victim_for(s, a->evict_sh, &young);
			asker = i;
			section = a->evict_sh != NULL;
		}
		if (victim) {
			/* the asker's slot, taken before the victim gives its
			 * own back: the counts never show a free slot */
			atomic_fetch_add(&ps->active, 1);
			if (section)
				atomic_fetch_add(&victim->front->sh->active, 1);
			ws->w[asker].set->evict_state = EVICT_GRANTED;
			atomic_fetch_sub(&ps->evict_open, 1);
		}
		pthread_mutex_unlock(&ps->evict_mu);
		if (!victim)
			break;
		evict_hello(victim->front, victim, section);
		workers_poke(ws, asker);
	}
	if (young && !loop_timer_armed(&s->evict_timer))
		loop_timer_arm(s->loop, &s->evict_timer, 1);
}

static void on_evict_timer(struct loop_timer *t)
{
	evict_for_others(container_of(t, struct proxy_set, evict_timer));
}

static void listeners_update(struct proxy_set *s)
{
	bool any_paused = false;

	for (struct front *f = s->fronts; f; f = f->next) {
		bool ok = proxy_front_may_accept(f) || hello_victim(f), asked = false;

		for (int i = 0; i < f->n_ls; i++) {
			struct listener *l = &f->ls[i];

			if (l->h.fd < 0 || ok != l->paused)
				continue;
			if (loop_fd_mod(s->loop, &l->h, ok ? EPOLLIN : 0))
				continue;	/* stays as it was; retried on the next change */
			l->paused = !ok;
			if (!ok && front_at_limit(f))
				f->paused_limit++;
			if (!ok && atomic_load(&s->shared->active) >= s->max_total)
				s->paused_total++;
			if (!ok && front_limit_only(f))
				log_limited(&s->ll_full, LOG_WARNING, "[proxy %s] at max_connections with "
					    "every connection past its hello: not accepting until one closes",
					    f->name);
			if (!ok && front_limit_only(f) && !asked) {
				request_evict(f);
				asked = true;
			}
		}
		for (int i = 0; i < f->n_ls; i++)
			any_paused |= f->ls[i].h.fd >= 0 && f->ls[i].paused;
	}
	if (!s->shared->w)
		return;
	if (!any_paused)
		evict_withdraw(s);	/* accepting again: no longer waiting */
	/* Other workers poke this one when they close a connection while
	 * the flag is set. Set first, then look at the counts again: a
	 * close that came in between either sees the flag or is seen here. */
	atomic_store(&s->any_paused, any_paused);
	for (struct front *f = any_paused ? s->fronts : NULL; f; f = f->next)
		if (proxy_front_may_accept(f))
			for (int i = 0; i < f->n_ls; i++)
				if (f->ls[i].h.fd >= 0 && f->ls[i].paused) {
					workers_poke(s->shared->w, s->worker);
					return;
				}
}

enum accept_res {
	ACCEPT_OK,
	ACCEPT_EMPTY,		/* no client waits (or a signal): stop for now */
	ACCEPT_AGAIN,		/* that client was gone already: the next may be fine */
	ACCEPT_STOP,		/* out of fds or memory: paused, do not go on */
};

/* Accept one client on l into a slot of l's front that the caller has
 * taken already; on anything but ACCEPT_OK the slot is given back. */
static enum accept_res accept_one(struct listener *l)
{
	struct front *f = l->front;
	struct proxy_set *s = f->set;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} peer;
	socklen_t plen = sizeof(peer);
	int fd, rc;

	fd = accept4(l->h.fd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		front_unreserve(f);
		if (err == EAGAIN || err == EINTR)
			return ACCEPT_EMPTY;
		if (err == ECONNABORTED || err == EPROTO || err == EPERM)
			return ACCEPT_AGAIN;
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
			fd_pressure(s, err);
			return ACCEPT_STOP;
		}
		pr_warn("[proxy %s] accept on %s: %s", f->name, l->addr.text, strerror(err));
		return ACCEPT_EMPTY;
	}
	evict_withdraw(s);
	s->accepted++;
	rc = conn_new(f, fd, &peer.sa, plen);
	if (rc) {
		front_unreserve(f);
		/* ENOMEM, or epoll's watch limit (ENOSPC): the next accept
		 * would fail the same way, so pause like for fds, loudly */
		fd_pressure(s, -rc);
		return ACCEPT_STOP;
	}
	return ACCEPT_OK;
}

static void on_accept(struct loop_fd *h, uint32_t ev)
{
	struct listener *l = container_of(h, struct listener, h);
	struct front *f = l->front;
	struct proxy_set *s = f->set;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		enum accept_res r;

		/* Evict only on the first turn, when the wakeup says a client
		 * is waiting: later in the batch the backlog may be empty and
		 * the hello closed for nobody. The slot is taken before the
		 * victim gives its own back, so that it passes straight to
		 * the newcomer and no other worker can take it in between. */
		if (!proxy_front_may_accept(f)) {
			struct conn *victim = i ? NULL : hello_victim(f);
			bool own = front_at_limit(f);

			if (!victim)
				break;
			front_reserve_over(f);
			evict_hello(f, victim, own);
		} else if (!front_reserve(f)) {
			break;	/* another worker took the last slot */
		}
		r = accept_one(l);
		if (r == ACCEPT_STOP)
			return;
		if (r == ACCEPT_EMPTY)
			break;
	}
	if (!proxy_front_may_accept(f))
		listeners_update(s);
	/* a worker that asked for an eviction while this one had no hello
	 * to give may be waiting still */
	if (s->shared->w)
		evict_for_others(s);
}

/* Another worker evicted a connection for this one's request and holds
 * the slot for it: accept a client of the asking front into it, or give
 * it back when none waits (gone meanwhile, or the request was made
 * after the last waiting client had been accepted). */
static void evict_take_grant(struct proxy_set *s)
{
	struct proxy_shared *ps = s->shared;
	struct front *f = s->evict_front;
	struct front_shared *sh;
	bool granted;

	if (!s->evict_asking)
		return;
	pthread_mutex_lock(&ps->evict_mu);
	granted = s->evict_state == EVICT_GRANTED;
	sh = s->evict_sh;
	if (granted)
		s->evict_state = EVICT_NONE;
	pthread_mutex_unlock(&ps->evict_mu);
	if (!granted)
		return;
	s->evict_asking = false;
	s->evict_front = NULL;
	/* a [global] grant holds no slot of the section: take one */
	if (!sh && atomic_fetch_add(&f->sh->active, 1) >= f->cfg->px.max_connections) {
		atomic_fetch_sub(&f->sh->active, 1);
		grant_return(s, NULL);
		return;
	}
	if (s->stopped || f->retired || s->fd_pressure) {
		grant_return(s, f->sh);
		return;
	}
	/* the slot is f's now (front_unreserve gives it back on failure) */
	for (int i = 0, tries = 0; i < f->n_ls && tries < ACCEPT_BATCH; tries++) {
		enum accept_res r;

		if (f->ls[i].h.fd < 0) {
			i++;
			continue;
		}
		r = accept_one(&f->ls[i]);
		if (r == ACCEPT_OK || r == ACCEPT_STOP)
			return;
		if (r == ACCEPT_EMPTY)
			i++;
		/* the slot was given back: take it again for the next try */
		if (!front_reserve(f)) {
			s->evict_unused++;	/* taken by another worker meanwhile */
			return;
		}
	}
	grant_return(s, f->sh);
}

static int listener_open(struct proxy_set *s, struct listener *l)
{
	int fd, one = 1, err;

	fd = socket(l->addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	/* every worker listens on the address with a socket of its own;
	 * the kernel spreads new connections over them by 4-tuple */
	if (s->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	/* Accepted sockets inherit TCP_NODELAY, at no cost per connection.
	 * A relay must not add Nagle's delay on top of the peers' own:
	 * a small write held for the ACK of the previous one meets the
	 * peer's delayed ACK (~40 ms), e.g. a TLS handshake flight
	 * written record by record. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		goto fail;
	/* "[::]:443" next to "0.0.0.0:443" must not claim IPv4 too */
	if (l->addr.ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&l->addr.ss, l->addr.len) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	err = loop_fd_add(s->loop, &l->h, fd, EPOLLIN, on_accept);
	if (err) {
		errno = -err;
		goto fail;
	}
	l->paused = false;
	return 0;
fail:
	err = -errno;
	pr_err("[proxy %s] listen %s: %s", l->front->name, l->addr.text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static void listener_close(struct proxy_set *s, struct listener *l)
{
	int fd = l->h.fd;

	if (fd < 0)
		return;
	loop_fd_del(s->loop, &l->h);
	close(fd);
}

/* A worker's eventfd said: another worker freed a slot or asks for an
 * eviction. */
static void proxy_worker_poked(struct proxy_set *s)
{
	evict_take_grant(s);
	evict_for_others(s);
	listeners_update(s);
}

/* ---- fronts ---------------------------------------------------------- */

static void proxy_front_free(struct proxy_set *s, struct front *f)
{
	struct front **pp;

	for (pp = &s->fronts; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	for (int i = 0; i < f->n_ls; i++)
		listener_close(s, &f->ls[i]);
	free(f->ls);
	if (!s->worker)
		check_stop(f);	/* only worker 0 probes; u->probe is in the shared state */
	pipe_pool_trim(f, 0);
	front_cfg_put(f->cfg);
	free(f->ctrs);
	front_share_put(s->shared, f->sh);
	free(f);
}

static void proxy_front_conn_closed(struct front *f)
{
	struct proxy_set *s = f->set;

	front_unreserve(f);
	/* a slot is free: workers paused at a shared limit look again */
	slot_freed(s);
	if (f->retired && !f->active) {
		proxy_front_free(s, f);
		return;
	}
	if (s->fd_pressure) {
		/* a connection gave fds back: try accepting again now */
		s->fd_pressure = false;
		loop_timer_cancel(s->loop, &s->fd_timer);
	}
	for (struct front *g = s->fronts; g; g = g->next)
		for (int i = 0; i < g->n_ls; i++)
			if (g->ls[i].paused) {
				listeners_update(s);
				return;
			}
}

static size_t resolve_max_total(const struct conf *c)
{
	struct rlimit rl;

	if (c->global.max_connections)
		return c->global.max_connections;
	/* two sockets per idle connection; pipes come and go and fall back
	 * to copying when fds run out */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1000000;
	return rl.rlim_cur > 96 ? (size_t)(rl.rlim_cur - 64) / 2 : 16;
}

static bool same_addr(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

/*
 * Applying a config (start and reload) is plan, then commit or rollback.
 * Every section gets a front (kept by name, or fresh) with a new
 * snapshot; listeners are kept by address (even across sections), opened
 * when new and closed when gone. All or nothing: the plan builds what is
 * new next to what is live and can fail; the commit moves it in and
 * cannot fail; a rollback frees the plan and leaves the live set as it
 * was.
 */
struct proxy_plan {
	const struct conf *c;
	struct front *front[CONF_MAX_SECTIONS];		/* per section: kept or fresh */
	struct front *fresh[CONF_MAX_SECTIONS];		/* the fronts this plan created */
	struct front_cfg *cfg[CONF_MAX_SECTIONS];	/* the new snapshots */
	struct listener *ls[CONF_MAX_SECTIONS];		/* the new listener arrays */
};

/* The live listener open on addr, or NULL. */
static struct listener *proxy_open_listener_at(struct proxy_set *s, const struct conf_addr *addr)
{
	for (struct front *f = s->fronts; f; f = f->next)
		for (int k = 0; k < f->n_ls; k++)
			if (f->ls[k].h.fd >= 0 && same_addr(&f->ls[k].addr, addr))
				return &f->ls[k];
	return NULL;
}

/* The live front named px->name, or a fresh one recorded in the plan. */
static int proxy_plan_front(struct proxy_set *s, struct proxy_plan *p, int i)
{
	const struct conf_proxy *px = &p->c->proxies[i];
	struct front *f;

	for (f = s->fronts; f; f = f->next)
		if (!f->retired && !strcmp(f->name, px->name)) {
			p->front[i] = f;
			return 0;
		}
	f = p->fresh[i] = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->sh = front_share_get(s->shared, px->name);
	if (!f->sh)
		return -ENOMEM;
	front_share_sync(f);
	f->set = s;
	snprintf(f->name, sizeof(f->name), "%s", px->name);
	f->pool_pipe_size = px->pipe_size;
	if (front_ctr(f, "<unrouted>") != 0)
		return -ENOMEM;
	p->front[i] = f;
	return 0;
}

/* Plan: a front, a snapshot and a listener array per section. */
static int proxy_plan_fronts(struct proxy_set *s, struct proxy_plan *p)
{
	for (int i = 0; i < p->c->n_proxies; i++) {
		const struct conf_proxy *px = &p->c->proxies[i];
		int err = proxy_check_terminate(px);

		if (!err)
			err = proxy_plan_front(s, p, i);
		if (!err)
			err = front_cfg_new(p->front[i], px, &p->cfg[i]);
		if (err)
			return err;
		p->ls[i] = calloc((size_t)px->n_listen, sizeof(struct listener));
		if (!p->ls[i])
			return -ENOMEM;
	}
	return 0;
}

/* Plan: open each new address; one that is open already is taken over
 * in the commit. */
static int proxy_plan_listeners(struct proxy_set *s, struct proxy_plan *p)
{
	for (int i = 0; i < p->c->n_proxies; i++)
		for (int j = 0; j < p->c->proxies[i].n_listen; j++) {
			struct listener *l = &p->ls[i][j];
			int err;

			l->h.fd = -1;
			l->front = p->front[i];
			l->addr = p->c->proxies[i].listen[j];
			if (s->stopped || proxy_open_listener_at(s, &l->addr))
				continue;
			err = listener_open(s, l);
			if (err)
				return err;
		}
	return 0;
}

/* Commit: the new listeners take over the sockets of live ones with
 * their address. */
static void proxy_commit_listeners(struct proxy_set *s, struct proxy_plan *p)
{
	for (int i = 0; i < p->c->n_proxies; i++)
		for (int j = 0; j < p->c->proxies[i].n_listen; j++) {
			struct listener *l = &p->ls[i][j], *o;
			int fd;

			if (l->h.fd >= 0 || s->stopped)
				continue;
			o = proxy_open_listener_at(s, &l->addr);
			if (!o)
				continue;
			fd = o->h.fd;
			loop_fd_del(s->loop, &o->h);
			if (loop_fd_add(s->loop, &l->h, fd, EPOLLIN, on_accept)) {
				pr_err("[proxy %s] listen %s: cannot keep it across the reload; closed",
				       l->front->name, l->addr.text);
				close(fd);
			}
		}
}

/* Commit: close what is left of the old listeners; a front gone from
 * the config retires, freed when its last connection closes. */
static void proxy_commit_retire(struct proxy_set *s, struct proxy_plan *p)
{
	for (struct front *f = s->fronts, *next; f; f = next) {
		bool kept = false;

		next = f->next;
		for (int i = 0; i < p->c->n_proxies; i++)
			kept |= p->front[i] == f;
		for (int j = 0; j < f->n_ls; j++)
			listener_close(s, &f->ls[j]);
		if (!kept) {
			free(f->ls);
			f->ls = NULL;
			f->n_ls = 0;
			f->retired = true;
			if (!s->worker)
				check_stop(f);	/* worker 0's probes (u->probe is shared) */
			if (!f->active)
				proxy_front_free(s, f);
		}
	}
}

/* Commit: each front gets its listeners and snapshot; fresh ones join. */
static void proxy_commit_fronts(struct proxy_set *s, struct proxy_plan *p)
{
	for (int i = 0; i < p->c->n_proxies; i++) {
		struct front *f = p->front[i];

		free(f->ls);
		f->ls = p->ls[i];
		f->n_ls = p->c->proxies[i].n_listen;
		front_cfg_put(f->cfg);
		f->cfg = p->cfg[i];
		if (f->pool_pipe_size != p->cfg[i]->px.pipe_size) {
			pipe_pool_trim(f, 0);
			f->pool_pipe_size = p->cfg[i]->px.pipe_size;
		}
		if (p->fresh[i]) {
			f->next = s->fronts;
			s->fronts = f;
		}
		/* one worker probes; the verdicts are shared (f->sh) */
		if (!s->worker)
			check_apply(f);
	}
}

static void proxy_commit(struct proxy_set *s, struct proxy_plan *p)
{
	proxy_commit_listeners(s, p);
	proxy_commit_retire(s, p);
	proxy_commit_fronts(s, p);
	s->max_total = resolve_max_total(p->c);
	pipe_budget_set(p->c->global.pipe_memory_max);
	listeners_update(s);
}

/* Undo a plan that failed: close what it opened, free what it built. */
static void proxy_rollback(struct proxy_set *s, struct proxy_plan *p)
{
	for (int i = 0; i < p->c->n_proxies; i++) {
		if (p->ls[i]) {
			for (int j = 0; j < p->c->proxies[i].n_listen; j++)
				if (p->ls[i][j].front)
					listener_close(s, &p->ls[i][j]);
			free(p->ls[i]);
		}
		front_cfg_put(p->cfg[i]);
		if (p->fresh[i]) {
			free(p->fresh[i]->ctrs);
			front_share_put(s->shared, p->fresh[i]->sh);
			free(p->fresh[i]);
		}
	}
}

/*
 * Apply c to the sets of every worker, all or nothing: each plans (and
 * may fail), then all commit or all roll back. With workers, they are
 * parked meanwhile (the caller's job), so the main thread plays each.
 */
static int proxy_apply(struct proxy_set **sets, int n, const struct conf *c)
{
	struct proxy_plan *p = calloc((size_t)n, sizeof(*p));
	int err = 0, i, planned = 0;

	if (!p)
		return -ENOMEM;
	/* eviction requests may name a section about to go; a worker still
	 * paused asks again when the commit updates its listeners */
	for (i = 0; i < n; i++)
		evict_withdraw(sets[i]);
	for (i = 0; i < n && !err; i++, planned++) {
		p[i].c = c;
		err = proxy_plan_fronts(sets[i], &p[i]);
		if (!err)
			err = proxy_plan_listeners(sets[i], &p[i]);
	}
	for (i = 0; i < planned; i++) {
		if (err)
			proxy_rollback(sets[i], &p[i]);
		else
			proxy_commit(sets[i], &p[i]);
	}
	/* the shared upstream arrays may have moved: every front's mirror */
	for (i = 0; i < n; i++)
		for (struct front *f = sets[i]->fronts; f; f = f->next)
			front_share_sync(f);
	free(p);
	return err;
}

/* ---- workers ---------------------------------------------------------- */

/* The sets to work on: the one of p, or (p is the handle of workers) each worker's. */
static int proxy_sets(struct proxy_set *p, struct proxy_set ***sets)
{
	struct workers *ws = p->shared->w;

	if (p->worker >= 0) {
		*sets = NULL;
		return 1;
	}
	*sets = calloc((size_t)ws->n, sizeof(**sets));
	if (!*sets)
		return -ENOMEM;
	for (int i = 0; i < ws->n; i++)
		(*sets)[i] = ws->w[i].set;
	return ws->n;
}

static unsigned auto_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	/* more loops than cores only adds switching; a small board's
	 * fourth core is also what the other subsystems run on */
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

static struct proxy_set *proxy_set_new(struct loop *l, struct proxy_shared *shared, int worker)
{
	struct proxy_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = l;
	s->shared = shared;
	s->worker = worker;
	atomic_init(&s->any_paused, false);
	s->conn_closed = proxy_front_conn_closed;
	loop_timer_init(&s->fd_timer, on_fd_timer);
	loop_timer_init(&s->evict_timer, on_evict_timer);
	pipe_set_init(s);
	return s;
}

static void proxy_set_free(struct proxy_set *p)
{
	if (!p)
		return;
	p->stopped = true;
	for (struct front *f = p->fronts; f; f = f->next)
		for (int i = 0; i < f->n_ls; i++)
			listener_close(p, &f->ls[i]);
	while (p->conns)
		conn_close(p->conns, CLOSE_SHUTDOWN);
	while (p->fronts)
		proxy_front_free(p, p->fronts);
	loop_timer_cancel(p->loop, &p->fd_timer);
	loop_timer_cancel(p->loop, &p->evict_timer);
	pipe_set_stop(p);
	resolver_free(p->resolver);
	free(p);
}

/*
 * The threads start on the main loop's first turn, not in proxy_start():
 * the daemon drops capabilities between the two, and capset(2) changes
 * only the calling thread, while a new thread inherits its creator's.
 * Until then the listeners are open and the kernel queues connections.
 */
static void on_start_workers(struct loop_defer *d)
{
	struct proxy_set *h = container_of(d, struct proxy_set, start);
	int err = workers_run(h->shared->w);

	if (err) {
		pr_err("proxy: cannot start the worker threads (%s); stopping. Set [global] workers = 1 "
		       "to run the proxy on the main loop", strerror(-err));
		loop_stop(h->loop);
	}
}

/* workers >= 2: a handle (worker -1) over one set per worker thread. */
static int proxy_start_workers(struct loop *l, const struct conf *c, unsigned n, struct proxy_shared *sh,
			       struct proxy_set **out)
{
	struct proxy_set *h = proxy_set_new(l, sh, -1), **sets = NULL;
	int err;

	if (!h)
		return -ENOMEM;
	err = workers_new((int)n, proxy_worker_poked, &sh->w);
	if (err) {
		free(h);
		pthread_mutex_destroy(&sh->evict_mu);
		free(sh);
		return err;
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &sh->w->w[i];

		w->set = proxy_set_new(w->loop, sh, (int)i);
		if (!w->set) {
			err = -ENOMEM;
			goto fail;
		}
		w->set->reuseport = true;
	}
	err = proxy_sets(h, &sets);
	if (err < 0)
		goto fail;
	err = proxy_apply(sets, (int)n, c);
	free(sets);
	if (err)
		goto fail;
	loop_defer(l, &h->start, on_start_workers);
	pr_info("proxy: %u workers", n);
	*out = h;
	return 0;
fail:
	proxy_free(h);
	return err;
}

/* ---- the contract (proxy.h) ------------------------------------------ */

int proxy_start(struct loop *l, const struct conf *c, struct proxy_set **out)
{
	unsigned n = c->global.workers ? c->global.workers : auto_workers();
	struct proxy_shared *sh = calloc(1, sizeof(*sh));
	struct proxy_set *s;
	int err;

	if (!sh)
		return -ENOMEM;
	if (pthread_mutex_init(&sh->evict_mu, NULL)) {
		free(sh);
		return -ENOMEM;
	}
	atomic_init(&sh->active, 0);
	atomic_init(&sh->evict_open, 0);
	/* splice(2) has no MSG_NOSIGNAL: a peer that vanished must give
	 * EPIPE, not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (n > 1)
		return proxy_start_workers(l, c, n, sh, out);
	s = proxy_set_new(l, sh, 0);
	if (!s) {
		pthread_mutex_destroy(&sh->evict_mu);
		free(sh);
		return -ENOMEM;
	}
	err = proxy_apply(&s, 1, c);
	if (err) {
		proxy_free(s);
		return err;
	}
	*out = s;
	return 0;
}

int proxy_reload(struct proxy_set *p, const struct conf *c)
{
	struct proxy_set **sets;
	int n = proxy_sets(p, &sets), err;

	if (n < 0)
		return n;
	if (!sets)
		return proxy_apply(&p, 1, c);
	workers_park(p->shared->w);
	err = proxy_apply(sets, n, c);
	workers_release(p->shared->w);
	free(sets);
	return err;
}

static void proxy_set_stop_accepting(struct proxy_set *p)
{
	p->stopped = true;
	evict_withdraw(p);
	for (struct front *f = p->fronts; f; f = f->next)
		for (int i = 0; i < f->n_ls; i++)
			listener_close(p, &f->ls[i]);
}

void proxy_stop_accepting(struct proxy_set *p)
{
	struct workers *ws = p->shared->w;

	p->stopped = true;
	if (p->worker >= 0) {
		proxy_set_stop_accepting(p);
		return;
	}
	workers_park(ws);
	for (int i = 0; i < ws->n; i++)
		proxy_set_stop_accepting(ws->w[i].set);
	workers_release(ws);
}

size_t proxy_active(const struct proxy_set *p)
{
	if (!p)
		return 0;
	return p->worker >= 0 ? p->active : atomic_load(&p->shared->active);
}

int proxy_workers(const struct proxy_set *p)
{
	if (!p)
		return 0;
	return p->worker >= 0 ? 1 : p->shared->w->n;
}

int proxy_upstreams_down(const struct proxy_set *p, char *list, size_t len)
{
	struct workers *ws = p && p->worker < 0 ? p->shared->w : NULL;
	size_t off = 0;
	int n = 0;

	if (len)
		list[0] = 0;
	/* with workers, the first one's fronts: their health is everyone's.
	 * Parked, since worker 0 frees a retired front at its last close. */
	if (ws) {
		workers_park(ws);
		p = ws->w[0].set;
	}
	for (const struct front *f = p ? p->fronts : NULL; f; f = f->next) {
		pthread_mutex_lock(&f->sh->mu);
		for (int i = 0; i < f->n_ups; i++) {
			if (!f->ups[i].down)
				continue;
			if (off < len) {
				int w = snprintf(list + off, len - off, "%s%s/%s", n ? ", " : "", f->name,
						 f->ups[i].text);

				off += w > 0 ? (size_t)w : 0;
			}
			n++;
		}
		pthread_mutex_unlock(&f->sh->mu);
	}
	if (ws)
		workers_release(ws);
	return n;
}

size_t proxy_upstream_status(struct proxy_set *p, char *list, size_t len)
{
	struct workers *ws = p && p->worker < 0 ? p->shared->w : NULL;
	size_t off = 0;

	if (len)
		list[0] = 0;
	/* as proxy_upstreams_down(): worker 0's fronts, parked */
	if (ws) {
		workers_park(ws);
		p = ws->w[0].set;
	}
	for (const struct front *f = p ? p->fronts : NULL; f; f = f->next)
		off += health_status(f, loop_now(p->loop), off < len ? list + off : NULL, off < len ? len - off : 0);
	if (ws)
		workers_release(ws);
	return off;
}

void proxy_free(struct proxy_set *p)
{
	struct proxy_shared *sh;
	struct workers *ws;

	if (!p)
		return;
	sh = p->shared;
	ws = sh->w;
	if (p->worker >= 0) {
		proxy_set_free(p);
		pthread_mutex_destroy(&sh->evict_mu);
		free(sh);
		return;
	}
	/* the threads end first; then their sets go like a single one's,
	 * with no worker left to poke */
	loop_defer_cancel(p->loop, &p->start);
	workers_stop(ws);
	sh->w = NULL;
	for (int i = 0; ws && i < ws->n; i++)
		proxy_set_free(ws->w[i].set);
	workers_free(ws);
	pthread_mutex_destroy(&sh->evict_mu);
	free(sh);
	free(p);
}

/* The plain per-upstream counters (struct up_state, uint64_t fields). */
static const struct {
	const char *name, *help;
	size_t off;
} up_counters[] = {
	{ "edgesteer_proxy_upstream_connects_total", "Connects attempted, by upstream",
	  offsetof(struct up_state, conns) },
	{ "edgesteer_proxy_upstream_connect_failures_total", "Connects that failed or timed out, by upstream",
	  offsetof(struct up_state, connect_fail) },
	{ "edgesteer_proxy_upstream_down_total", "Transitions to down, by upstream",
	  offsetof(struct up_state, downs) },
};

/* The plain per-section counters and gauges (struct front, uint64_t
 * fields): one line each per section, and summed across workers. */
static const struct {
	enum metric_type type;
	const char *name, *help;
	size_t off;
} front_values[] = {
	{ METRIC_COUNTER, "edgesteer_proxy_accepted_total", "Connections accepted",
	  offsetof(struct front, accepted) },
	{ METRIC_COUNTER, "edgesteer_proxy_pipes_created_total", "Pipes created",
	  offsetof(struct front, pipes_created) },
	{ METRIC_COUNTER, "edgesteer_proxy_pipe_resize_failures_total",
	  "Pipes that could not get pipe_size (F_SETPIPE_SZ refused)", offsetof(struct front, pipe_resize_failed) },
	{ METRIC_GAUGE, "edgesteer_proxy_pipe_bytes",
	  "Capacity of the pipes held now, pooled and in use (what a stalled reader could fill)",
	  offsetof(struct front, pipe_bytes) },
	{ METRIC_COUNTER, "edgesteer_proxy_pipe_grows_total",
	  "Pipes doubled for a flow that kept filling them (elephant flows)", offsetof(struct front, pipes_grown) },
	{ METRIC_COUNTER, "edgesteer_proxy_pipe_grow_refused_total",
	  "Pipe grows refused because [global] pipe_memory_max was reached",
	  offsetof(struct front, pipe_grow_refused) },
	{ METRIC_COUNTER, "edgesteer_proxy_pipe_shrinks_total",
	  "Grown pipes shrunk back to pipe_size (quiet, or returned to the pool)",
	  offsetof(struct front, pipes_shrunk) },
	{ METRIC_COUNTER, "edgesteer_proxy_copy_fallback_total",
	  "Directions moved with read/write because splice or a pipe was refused",
	  offsetof(struct front, copy_fallback) },
	{ METRIC_COUNTER, "edgesteer_proxy_splice_bytes_total",
	  "Payload bytes moved with splice(2) through a pipe (both directions; bytes "
	  "read together with the hello are replayed with it and in neither counter)",
	  offsetof(struct front, splice_bytes) },
	{ METRIC_COUNTER, "edgesteer_proxy_copy_bytes_total",
	  "Payload bytes moved with read/write through a buffer (both directions; "
	  "terminate= routes, splice = no, or the fallback)", offsetof(struct front, copy_bytes) },
};

static uint64_t *front_value(struct front *f, size_t k)
{
	return (uint64_t *)((char *)f + front_values[k].off);
}

static void proxy_set_metrics(struct proxy_set *p, struct metric_sink *s)
{
	struct front *f;
	int i;

	for (f = p->fronts; f; f = f->next)
		metric(s, METRIC_GAUGE, "edgesteer_proxy_active_connections",
		       "Connections open now", f->active, "proxy", f->name, NULL);
	for (size_t k = 0; k < sizeof(front_values) / sizeof(front_values[0]); k++)
		for (f = p->fronts; f; f = f->next)
			metric(s, front_values[k].type, front_values[k].name, front_values[k].help,
			       *front_value(f, k), "proxy", f->name, NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < CLOSE__COUNT; i++)
			metric(s, METRIC_COUNTER, "edgesteer_proxy_closed_total",
			       "Connections closed, by reason", f->closed[i], "proxy", f->name,
			       "reason", conn_close_reason_str(i), NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ctrs; i++)
			metric(s, METRIC_COUNTER, "edgesteer_proxy_route_connections_total",
			       "Connections routed, by route", f->ctrs[i].conns, "proxy", f->name,
			       "route", f->ctrs[i].name, NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ctrs; i++)
			metric(s, METRIC_GAUGE, "edgesteer_proxy_route_active_connections",
			       "Connections open now, by route", f->ctrs[i].active, "proxy", f->name,
			       "route", f->ctrs[i].name, NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ctrs; i++) {
			metric(s, METRIC_COUNTER, "edgesteer_proxy_route_bytes_total",
			       "Payload bytes, by route and direction (up: client to upstream)",
			       f->ctrs[i].bytes_up, "proxy", f->name, "route", f->ctrs[i].name,
			       "direction", "up", NULL);
			metric(s, METRIC_COUNTER, "edgesteer_proxy_route_bytes_total",
			       "Payload bytes, by route and direction (up: client to upstream)",
			       f->ctrs[i].bytes_down, "proxy", f->name, "route", f->ctrs[i].name,
			       "direction", "down", NULL);
		}
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ctrs; i++)
			metric(s, METRIC_COUNTER, "edgesteer_proxy_route_connect_failures_total",
			       "Upstream connect attempts that failed, by route", f->ctrs[i].connect_fail,
			       "proxy", f->name, "route", f->ctrs[i].name, NULL);
	for (f = p->fronts; f; f = f->next)
		metric(s, METRIC_COUNTER, "edgesteer_proxy_paused_total",
		       "Times listeners paused, by cause", f->paused_limit,
		       "proxy", f->name, "cause", "max_connections", NULL);
	metric(s, METRIC_COUNTER, "edgesteer_proxy_paused_total",
	       "Times listeners paused, by cause", p->paused_total,
	       "proxy", "*", "cause", "global_max_connections", NULL);
	metric(s, METRIC_COUNTER, "edgesteer_proxy_paused_total",
	       "Times listeners paused, by cause", p->paused_fds,
	       "proxy", "*", "cause", "out_of_fds", NULL);
	if (p->shared->w)
		metric(s, METRIC_COUNTER, "edgesteer_proxy_evict_grants_unused_total",
		       "Slots freed for another worker's eviction request that no client of its took",
		       p->evict_unused, NULL);
	for (f = p->fronts; f; f = f->next)
		metric(s, METRIC_GAUGE, "edgesteer_proxy_pooled_pipes", "Idle pipes in the pool",
		       f->pool_len, "proxy", f->name, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_proxy_pipe_grown_bytes",
	       "Bytes grown pipes hold beyond pipe_size now, all sections (at most pipe_memory_max)",
	       pipe_budget_used(), NULL);
	metric(s, METRIC_GAUGE, "edgesteer_proxy_pipe_grown_bytes_peak",
	       "The most edgesteer_proxy_pipe_grown_bytes has been since start", pipe_budget_peak(), NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ups; i++)
			metric(s, METRIC_GAUGE, "edgesteer_proxy_upstream_up",
			       "1: usable; 0: down (a failed connect, or check_fall failed checks)",
			       !f->ups[i].down, "proxy", f->name, "upstream", f->ups[i].text, NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ups; i++)
			metric(s, METRIC_GAUGE, "edgesteer_proxy_upstream_active_connections",
			       "Connections open or connecting, by upstream", f->ups[i].active,
			       "proxy", f->name, "upstream", f->ups[i].text, NULL);
	for (size_t k = 0; k < sizeof(up_counters) / sizeof(up_counters[0]); k++)
		for (f = p->fronts; f; f = f->next)
			for (i = 0; i < f->n_ups; i++)
				metric(s, METRIC_COUNTER, up_counters[k].name, up_counters[k].help,
				       *(const uint64_t *)((const char *)&f->ups[i] + up_counters[k].off),
				       "proxy", f->name, "upstream", f->ups[i].text, NULL);
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ups; i++) {
			metric(s, METRIC_COUNTER, "edgesteer_proxy_upstream_checks_total",
			       "Active checks (check = tcp | tls), by upstream and result", f->ups[i].checks -
			       f->ups[i].check_fail, "proxy", f->name, "upstream", f->ups[i].text,
			       "result", "pass", NULL);
			metric(s, METRIC_COUNTER, "edgesteer_proxy_upstream_checks_total",
			       "Active checks (check = tcp | tls), by upstream and result", f->ups[i].check_fail,
			       "proxy", f->name, "upstream", f->ups[i].text, "result", "fail", NULL);
		}
	for (f = p->fronts; f; f = f->next)
		for (i = 0; i < f->n_ups; i++) {
			if (f->ups[i].check == CHECK_OFF)
				continue;
			metric(s, METRIC_GAUGE, "edgesteer_proxy_upstream_checks_in_a_row",
			       "The current run of active checks that passed or failed, by upstream",
			       f->ups[i].ok_run, "proxy", f->name, "upstream", f->ups[i].text,
			       "result", "pass", NULL);
			metric(s, METRIC_GAUGE, "edgesteer_proxy_upstream_checks_in_a_row",
			       "The current run of active checks that passed or failed, by upstream",
			       f->ups[i].fail_run, "proxy", f->name, "upstream", f->ups[i].text,
			       "result", "fail", NULL);
		}
	for (f = p->fronts; f; f = f->next)
		metric(s, METRIC_GAUGE, "edgesteer_proxy_clients_tracked",
		       "Client addresses (IPv6: /64s) in the per-client limit table",
		       client_table_size(f), "proxy", f->name, NULL);
	for (f = p->fronts; f; f = f->next)
		metric(s, METRIC_COUNTER, "edgesteer_proxy_client_table_full_total",
		       "Clients admitted without a per-client limit because the table was full",
		       client_table_full(f), "proxy", f->name, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_proxy_max_connections",
	       "Connection limit of all [proxy] sections together", p->max_total, NULL);
}

/* The front of m named like f (added at the end when new), or NULL. */
static struct front *merged_front(struct proxy_set *m, const struct front *f)
{
	struct front **pp, *g;

	for (pp = &m->fronts; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, f->name))
			return *pp;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", f->name);
	g->sh = f->sh;
	g->ups = f->ups;
	g->n_ups = f->n_ups;
	*pp = g;
	return g;
}

/* Add the counters of f (one worker's) to g (all workers'). */
static void merge_front(struct front *g, struct front *f)
{
	g->active += f->active;
	for (int k = 0; k < CLOSE__COUNT; k++)
		g->closed[k] += f->closed[k];
	g->paused_limit += f->paused_limit;
	g->pool_len += f->pool_len;
	for (size_t k = 0; k < sizeof(front_values) / sizeof(front_values[0]); k++)
		*front_value(g, k) += *front_value(f, k);
	for (int k = 0; k < f->n_ctrs; k++) {
		int j = front_ctr(g, f->ctrs[k].name);

		if (j < 0)
			continue;	/* out of memory: that route's line is short */
		g->ctrs[j].conns += f->ctrs[k].conns;
		g->ctrs[j].active += f->ctrs[k].active;
		g->ctrs[j].bytes_up += f->ctrs[k].bytes_up;
		g->ctrs[j].bytes_down += f->ctrs[k].bytes_down;
		g->ctrs[j].connect_fail += f->ctrs[k].connect_fail;
	}
}

/* Counters are kept per worker and summed here, by section and route
 * name, while the workers are parked; upstream health and client
 * tables are shared and read once. */
void proxy_metrics(struct proxy_set *p, struct metric_sink *s)
{
	struct proxy_set **sets, m = { 0 };
	int n;

	if (!p)
		return;
	n = proxy_sets(p, &sets);
	if (n < 0)
		return;
	if (!sets) {
		proxy_set_metrics(p, s);
		metric(s, METRIC_COUNTER, "edgesteer_proxy_worker_accepted_total",
		       "Connections accepted, by worker (event loop)", p->accepted, "worker", "0", NULL);
		return;
	}
	workers_park(p->shared->w);
	m.shared = p->shared;
	m.max_total = sets[0]->max_total;
	for (int i = 0; i < n; i++) {
		m.paused_total += sets[i]->paused_total;
		m.paused_fds += sets[i]->paused_fds;
		m.evict_unused += sets[i]->evict_unused;
		for (struct front *f = sets[i]->fronts; f; f = f->next) {
			struct front *g = merged_front(&m, f);

			if (g)
				merge_front(g, f);
		}
	}
	proxy_set_metrics(&m, s);
	for (int i = 0; i < n; i++) {
		char w[16];

		snprintf(w, sizeof(w), "%d", i);
		metric(s, METRIC_COUNTER, "edgesteer_proxy_worker_accepted_total",
		       "Connections accepted, by worker (event loop)", sets[i]->accepted, "worker", w, NULL);
	}
	workers_release(p->shared->w);
	while (m.fronts) {
		struct front *g = m.fronts;

		m.fronts = g->next;
		free(g->ctrs);
		free(g);
	}
	free(sets);
}
