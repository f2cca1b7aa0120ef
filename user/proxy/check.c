// SPDX-License-Identifier: GPL-2.0-only
/*
 * check.c - active health checks: every check_interval, one probe of
 * each upstream that a route with check = tcp or check = tls names.
 *
 * How it works
 *
 * A snapshot (struct front_cfg) says what is checked: check_cfg_new()
 * gives every upstream of the front the route whose check applies (its
 * own check=, check_ca=, check_sni= or the section's; the config parser
 * has refused two routes that would check one upstream differently,
 * since an upstream has one health state) and loads each check_ca file
 * once, so a CA that cannot be used refuses the start or the reload
 * instead of failing every check later.
 *
 * A probe is its own small state machine: a socket, its epoll handle, a
 * timer and, for tls, a BearSSL client session, held in a struct of its
 * own so that the front's upstream array may grow while probes are in
 * flight; it keeps a reference to its snapshot, which owns the route
 * and the CA it uses. The connect must finish within connect_timeout
 * or check_interval, the shorter; a tls check's handshake must then
 * finish within check_interval of the start, so a check never overlaps
 * the next one. tcp: connected (EPOLLOUT, no SO_ERROR) is a pass. tls:
 * the handshake completed is a pass; with check_ca the certificate
 * must chain to it and, with check_sni, carry that name (BearSSL's
 * verdict), without check_ca nothing is verified (a TLS server answers).
 * A close_notify is queued on a pass, never waited for, and the socket
 * closed at once either way, so a check costs one fd and, for tls, one
 * ~16 KB buffer, for at most its deadline. The verdict and its reason
 * go to health.c, which counts them in a row against check_rise and
 * check_fall, logs a failure whose reason changed and every transition.
 *
 * An upstream given as a host name is checked at the first address the
 * resolver has for it (none yet: no check this round). A reload cancels
 * the probes in flight (their routes may have changed) and starts a
 * round at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"
#include "tls/tls.h"

struct check_target {
	const struct conf_route *r;		/* the route whose check applies; NULL: none */
	const struct tls_anchors *ca;		/* its check_ca, loaded; NULL: not verified */
};

struct check_cfg {
	int n;					/* front->ups entries when it was built */
	struct check_target *t;			/* per front->ups index */
	struct tls_anchors **cas;		/* one per distinct check_ca file */
	const char **ca_path;
	int n_cas;
};

struct probe {
	struct front *f;
	struct front_cfg *cfg;			/* a reference: target and CA live in it */
	const struct check_target *tg;
	int idx;				/* in f->ups */
	struct loop_fd h;
	struct loop_timer t;
	uint64_t deadline;			/* loop ms: a tls handshake ends by then */
	struct tls_session *tls;		/* check=tls, once connected */
};

/* ---- what a snapshot checks -------------------------------------------- */

static const struct tls_anchors *cfg_ca(struct check_cfg *c, const char *path, const char *sec, int *err)
{
	struct tls_anchors *a = NULL;

	for (int i = 0; i < c->n_cas; i++)
		if (!strcmp(c->ca_path[i], path))
			return c->cas[i];
	*err = tls_anchors_load(path, &a);
	if (!*err && !tls_anchors_count(a)) {
		tls_anchors_free(a);
		*err = -EINVAL;
	}
	if (*err) {
		pr_err("[proxy %s] check_ca %s: %s; fix the file or remove check_ca", sec, path,
		       *err == -EINVAL ? "holds no CA certificate BearSSL can use" : strerror(-*err));
		return NULL;
	}
	c->cas[c->n_cas] = a;
	c->ca_path[c->n_cas++] = path;
	return a;
}

int check_cfg_new(struct front *f, struct front_cfg *cfg)
{
	const struct conf_proxy *px = &cfg->px;
	int n_routes = px->n_routes + 2, err = 0;
	struct check_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	cfg->chk = c;
	c->n = f->n_ups;
	c->t = calloc((size_t)c->n + 1, sizeof(*c->t));
	c->cas = calloc((size_t)n_routes, sizeof(*c->cas));
	c->ca_path = calloc((size_t)n_routes, sizeof(*c->ca_path));
	if (!c->t || !c->cas || !c->ca_path)
		return -ENOMEM;
	for (int i = 0; i < n_routes; i++) {
		const struct conf_route *r = i < px->n_routes ? &px->routes[i] :
					     i == px->n_routes ? &px->default_route : &px->no_sni_route;
		const struct tls_anchors *ca = NULL;

		if (r->check == CHECK_OFF || !r->n_upstreams)
			continue;
		if (r->check == CHECK_TLS && r->check_ca[0] && !(ca = cfg_ca(c, r->check_ca, px->name, &err)))
			return err;
		for (int j = 0; j < r->n_upstreams; j++)
			c->t[cfg->lb[i].up[j]] = (struct check_target){ .r = r, .ca = ca };
	}
	return 0;
}

void check_cfg_free(struct check_cfg *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_cas; i++)
		tls_anchors_free(c->cas[i]);
	free(c->cas);
	free(c->ca_path);
	free(c->t);
	free(c);
}

/* ---- one probe ----------------------------------------------------------- */

static void probe_free(struct probe *p)
{
	struct loop *l = p->f->set->loop;
	int fd = p->h.fd;

	loop_timer_cancel(l, &p->t);
	loop_fd_del(l, &p->h);
	tls_free(p->tls);
	if (fd >= 0)
		close(fd);
	p->f->ups[p->idx].probe = NULL;
	front_cfg_put(p->cfg);
	free(p);
}

static void probe_end(struct probe *p, bool ok, const char *why)
{
	struct front *f = p->f;
	int idx = p->idx;

	if (ok && p->tls)
		tls_close_notify(p->tls);	/* polite, never waited for */
	probe_free(p);
	/* a verdict for a check the current config still asks for */
	if (f->cfg && f->ups[idx].check != CHECK_OFF)
		health_check_result(f, idx, &f->cfg->px, loop_now(f->set->loop), ok, why);
}

/* Why a tls check failed, in the words an operator acts on. */
static void tls_reason(const struct probe *p, int rc, char *buf, size_t len)
{
	const struct conf_route *r = p->tg->r;
	int err = tls_last_error(p->tls);

	if (rc == -ECONNRESET)
		snprintf(buf, len, "the upstream closed the connection during the TLS handshake");
	else if (rc != -EPROTO)
		snprintf(buf, len, "TLS handshake: %s", strerror(-rc));
	else if (err == BR_ERR_X509_NOT_TRUSTED)
		snprintf(buf, len, "certificate not trusted (check_ca %s)", r->check_ca);
	else if (err == BR_ERR_X509_BAD_SERVER_NAME)
		snprintf(buf, len, "certificate is not for %s (check_sni)", r->check_sni);
	else if (err == BR_ERR_X509_EXPIRED)
		snprintf(buf, len, "certificate expired or not yet valid");
	else if (err == TLS_ERR_WRONG_EKU)
		snprintf(buf, len, "certificate's extendedKeyUsage does not allow serverAuth");
	else if (err >= BR_ERR_RECV_FATAL_ALERT)
		snprintf(buf, len, "TLS handshake refused by the upstream: alert %d (%s)", err & 0xff,
			 tls_error_text(err));
	else
		snprintf(buf, len, "TLS handshake failed: %s (%s)", tls_error_name(err), tls_error_text(err));
}

/* Move the handshake on; ends the probe when it is over either way. */
static void probe_tls_step(struct probe *p)
{
	char why[320];
	int rc = tls_io(p->tls);

	if (rc < 0) {
		tls_reason(p, rc, why, sizeof(why));
		probe_end(p, false, why);
	} else if (tls_handshake_done(p->tls)) {
		probe_end(p, true, NULL);
	} else if (rc == TLS_CLOSED) {
		probe_end(p, false, "the upstream closed the TLS session during the handshake");
	} else if (loop_fd_mod(p->f->set->loop, &p->h, tls_events(p->tls))) {
		probe_end(p, false, "cannot watch the socket");
	}
}

/* Connected: tcp passes; tls starts its handshake. */
static void probe_connected(struct probe *p)
{
	const struct conf_route *r = p->tg->r;
	struct loop *l = p->f->set->loop;
	struct tls_client_opts o = {
		.ca = p->tg->ca,
		.no_verify = !p->tg->ca,
		.server_name = r->check_sni,
		.quiet = true,
	};
	uint64_t now = loop_now(l);
	int err;

	if (r->check != CHECK_TLS) {
		probe_end(p, true, NULL);
		return;
	}
	err = tls_client_new(&o, p->h.fd, TLS_BUF_MONO, false, "check", p->f->ups[p->idx].text, &p->tls);
	if (err) {
		char why[96];

		snprintf(why, sizeof(why), "cannot start a TLS session: %s", strerror(-err));
		probe_end(p, false, why);
		return;
	}
	loop_timer_arm(l, &p->t, p->deadline > now ? p->deadline - now : 1);
	probe_tls_step(p);
}

static void on_probe(struct loop_fd *h, uint32_t ev)
{
	struct probe *p = container_of(h, struct probe, h);
	int err = 0;
	socklen_t len = sizeof(err);

	if (p->tls) {
		probe_tls_step(p);
		return;
	}
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err && (ev & (EPOLLERR | EPOLLHUP)))
		err = ECONNRESET;
	if (err) {
		char why[96];

		snprintf(why, sizeof(why), "connect: %s", strerror(err));
		probe_end(p, false, why);
		return;
	}
	probe_connected(p);
}

static void on_probe_timeout(struct loop_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);
	char why[96];

	if (p->tls)
		snprintf(why, sizeof(why), "no TLS handshake within check_interval (%u ms)",
			 p->cfg->px.check_interval_ms);
	else
		snprintf(why, sizeof(why), "connect: timed out");
	probe_end(p, false, why);
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
	p->cfg = f->cfg;
	p->cfg->refs++;
	p->tg = &f->cfg->chk->t[idx];
	p->idx = idx;
	p->h.fd = -1;
	p->deadline = loop_now(l) + px->check_interval_ms;
	loop_timer_init(&p->t, on_probe_timeout);
	u->probe = p;
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		char why[96];

		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		close(fd);
		probe_end(p, false, why);
		return;
	}
	if (loop_fd_add(l, &p->h, fd, EPOLLOUT, on_probe)) {
		close(fd);
		probe_free(p);
		return;
	}
	loop_timer_arm(l, &p->t, px->connect_timeout_ms < px->check_interval_ms ? px->connect_timeout_ms :
				 px->check_interval_ms);
}

/* ---- rounds -------------------------------------------------------------- */

static void on_check_timer(struct loop_timer *t)
{
	struct front *f = container_of(t, struct front, check_timer);
	const struct front_cfg *cfg = f->cfg;

	if (!cfg)
		return;
	for (int i = 0; i < cfg->chk->n; i++)
		if (f->ups[i].check != CHECK_OFF && !f->ups[i].probe)
			probe_start(f, i);
	loop_timer_arm(f->set->loop, &f->check_timer, cfg->px.check_interval_ms);
}

/* Drop the probes in flight, without a verdict. */
static void probes_cancel(struct front *f)
{
	for (int i = 0; i < f->n_ups; i++)
		if (f->ups[i].probe)
			probe_free(f->ups[i].probe);
}

void check_stop(struct front *f)
{
	loop_timer_cancel(f->set->loop, &f->check_timer);
	probes_cancel(f);
}

void check_apply(struct front *f)
{
	const struct check_cfg *c = f->cfg->chk;
	uint64_t now = loop_now(f->set->loop);
	bool any = false;

	probes_cancel(f);
	for (int i = 0; i < f->n_ups; i++) {
		struct up_state *u = &f->ups[i];

		u->check = i < c->n && c->t[i].r ? c->t[i].r->check : CHECK_OFF;
		any |= u->check != CHECK_OFF;
		/* down "until the checks pass" with no check left: back to
		 * the passive backoff */
		if (u->check == CHECK_OFF && u->down && u->down_until == UINT64_MAX)
			u->down_until = now + f->cfg->px.health_backoff_min_ms;
	}
	if (!f->check_timer.cb)
		loop_timer_init(&f->check_timer, on_check_timer);
	if (any)
		loop_timer_arm(f->set->loop, &f->check_timer, 1);	/* the first round now */
	else
		loop_timer_cancel(f->set->loop, &f->check_timer);
}
