// SPDX-License-Identifier: GPL-2.0-only
/*
 * check.c - active health checks (check = tcp): every check_interval,
 * one non-blocking connect to each upstream the front's routes name.
 *
 * A probe is its own small state machine: a socket, its epoll handle and
 * a deadline (the shorter of connect_timeout and check_interval), held
 * in a struct of its own so that the front's upstream array may grow
 * while probes are in flight. Connected (EPOLLOUT, no SO_ERROR) is a
 * pass, anything else a failure; the socket is closed at once either
 * way, so a check costs one fd for at most its deadline. The verdicts go
 * to health.c, which counts them in a row against check_rise and
 * check_fall. An upstream given as a host name is checked at the first
 * address the resolver has for it (none yet: no check this round).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"

struct probe {
	struct front *f;
	int idx;			/* in f->ups */
	struct loop_fd h;
	struct loop_timer t;
};

static void probe_end(struct probe *p, bool ok, int err)
{
	struct front *f = p->f;
	struct loop *l = f->set->loop;
	int fd = p->h.fd;

	loop_timer_cancel(l, &p->t);
	loop_fd_del(l, &p->h);
	if (fd >= 0)
		close(fd);
	f->ups[p->idx].probe = NULL;
	if (f->cfg && f->cfg->px.check != CHECK_OFF)
		health_check_result(f, p->idx, &f->cfg->px, loop_now(l), ok, err);
	free(p);
}

static void on_probe(struct loop_fd *h, uint32_t ev)
{
	struct probe *p = container_of(h, struct probe, h);
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err && (ev & (EPOLLERR | EPOLLHUP)))
		err = ECONNRESET;
	probe_end(p, !err, err);
}

static void on_probe_timeout(struct loop_timer *t)
{
	probe_end(container_of(t, struct probe, t), false, ETIMEDOUT);
}

/* The address to check upstream u at, or NULL (a name without an answer yet). */
static const struct sockaddr *check_addr(struct front *f, struct up_state *u, socklen_t *len)
{
	struct resolve_name *e;

	if (u->addr.ss.ss_family != AF_UNSPEC) {
		*len = u->addr.len;
		return (const struct sockaddr *)&u->addr.ss;
	}
	if (!f->set->resolver && resolver_new(f->set->loop, "proxy", &f->set->resolver))
		return NULL;	/* no verdict this round */
	e = resolver_get(f->set->resolver, u->text, f->cfg->px.resolve_interval_ms);
	if (!e || !e->n)
		return NULL;
	*len = e->lens[0];
	return (const struct sockaddr *)&e->addrs[0];
}

static void probe_start(struct front *f, int idx)
{
	const struct conf_proxy *px = &f->cfg->px;
	struct loop *l = f->set->loop;
	struct up_state *u = &f->ups[idx];
	const struct sockaddr *sa;
	struct probe *p;
	socklen_t len = 0;
	int fd;

	sa = check_addr(f, u, &len);
	if (!sa)
		return;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;		/* out of fds: no verdict this round */
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return;
	}
	p->f = f;
	p->idx = idx;
	p->h.fd = -1;
	loop_timer_init(&p->t, on_probe_timeout);
	u->probe = p;
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		probe_end(p, false, err);
		return;
	}
	if (loop_fd_add(l, &p->h, fd, EPOLLOUT, on_probe)) {
		close(fd);
		u->probe = NULL;
		free(p);
		return;
	}
	loop_timer_arm(l, &p->t, px->connect_timeout_ms < px->check_interval_ms ? px->connect_timeout_ms :
				 px->check_interval_ms);
}

static void on_check_timer(struct loop_timer *t)
{
	struct front *f = container_of(t, struct front, check_timer);
	const struct front_cfg *cfg = f->cfg;
	bool *want;

	if (!cfg || cfg->px.check == CHECK_OFF)
		return;
	/* the upstreams the current routes name (a reload may have dropped some) */
	want = calloc((size_t)f->n_ups + 1, sizeof(*want));
	if (want) {
		for (int i = 0; i < cfg->px.n_routes + 2; i++) {
			const struct conf_route *r = i < cfg->px.n_routes ? &cfg->px.routes[i] :
						     i == cfg->px.n_routes ? &cfg->px.default_route :
						     &cfg->px.no_sni_route;

			for (int j = 0; j < r->n_upstreams; j++)
				want[cfg->lb[i].up[j]] = true;
		}
		for (int i = 0; i < f->n_ups; i++)
			if (want[i] && !f->ups[i].probe)
				probe_start(f, i);
		free(want);
	}
	loop_timer_arm(f->set->loop, &f->check_timer, cfg->px.check_interval_ms);
}

void check_stop(struct front *f)
{
	loop_timer_cancel(f->set->loop, &f->check_timer);
	for (int i = 0; i < f->n_ups; i++)
		if (f->ups[i].probe) {
			struct probe *p = f->ups[i].probe;
			struct loop *l = f->set->loop;
			int fd = p->h.fd;

			loop_timer_cancel(l, &p->t);
			loop_fd_del(l, &p->h);
			if (fd >= 0)
				close(fd);
			free(p);
			f->ups[i].probe = NULL;
		}
}

void check_apply(struct front *f)
{
	uint64_t now = loop_now(f->set->loop);

	if (f->cfg->px.check == CHECK_OFF) {
		check_stop(f);
		/* down "until the checks pass": back to the passive backoff */
		for (int i = 0; i < f->n_ups; i++)
			if (f->ups[i].down && f->ups[i].down_until == UINT64_MAX)
				f->ups[i].down_until = now + f->cfg->px.health_backoff_min_ms;
		return;
	}
	if (!f->check_timer.cb)
		loop_timer_init(&f->check_timer, on_check_timer);
	if (!f->check_timer.idx)
		loop_timer_arm(f->set->loop, &f->check_timer, 1);	/* the first round now */
}
