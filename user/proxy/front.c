// SPDX-License-Identifier: GPL-2.0-only
/*
 * front.c - what a front (one [proxy NAME] section) keeps across
 * reloads and hands to its connections: counters by route name, the
 * upstream health entries of its routes (health.c), and the immutable
 * config snapshot (struct front_cfg) each connection
 * takes a reference to.
 *
 * proxy.c builds snapshots on start and reload; conn.c drops its
 * reference when a connection closes. This file calls neither, so both
 * may call it (only health.c and check.c, for a snapshot's upstreams
 * and what it checks).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_int.h"

struct front_shared *front_share_get(struct proxy_shared *ps, const char *name)
{
	struct front_shared *sh;

	for (sh = ps->fronts; sh; sh = sh->next)
		if (!strcmp(sh->name, name)) {
			sh->refs++;
			return sh;
		}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	if (pthread_mutex_init(&sh->mu, NULL)) {
		free(sh);
		return NULL;
	}
	snprintf(sh->name, sizeof(sh->name), "%s", name);
	atomic_init(&sh->active, 0);
	sh->refs = 1;
	sh->next = ps->fronts;
	ps->fronts = sh;
	return sh;
}

void front_share_put(struct proxy_shared *ps, struct front_shared *sh)
{
	struct front_shared **pp;

	if (!sh || --sh->refs > 0)
		return;
	for (pp = &ps->fronts; *pp; pp = &(*pp)->next)
		if (*pp == sh) {
			*pp = sh->next;
			break;
		}
	pthread_mutex_destroy(&sh->mu);
	free(sh->ups);
	client_table_free(sh->clients);
	free(sh);
}

void front_share_sync(struct front *f)
{
	f->ups = f->sh->ups;
	f->n_ups = f->sh->n_ups;
}

int front_ctr(struct front *f, const char *name)
{
	int i;

	for (i = 0; i < f->n_ctrs; i++)
		if (!strcmp(f->ctrs[i].name, name))
			return i;
	if (f->n_ctrs == f->cap_ctrs) {
		int cap = f->cap_ctrs ? f->cap_ctrs * 2 : 8;
		struct route_ctr *v = realloc(f->ctrs, sizeof(*v) * (size_t)cap);

		if (!v)
			return -ENOMEM;
		f->ctrs = v;
		f->cap_ctrs = cap;
	}
	memset(&f->ctrs[f->n_ctrs], 0, sizeof(f->ctrs[0]));
	snprintf(f->ctrs[f->n_ctrs].name, sizeof(f->ctrs[0].name), "%s", name);
	return f->n_ctrs++;
}

int front_cfg_new(struct front *f, const struct conf_proxy *px, struct front_cfg **out)
{
	struct front_cfg *cfg = calloc(1, sizeof(*cfg));
	int err = -ENOMEM, i;

	if (!cfg)
		return -ENOMEM;
	cfg->refs = 1;
	cfg->px = *px;
	cfg->px.routes = NULL;
	cfg->px.accept_proxy_from.v = NULL;
	if (px->accept_proxy_from.n) {
		size_t sz = sizeof(*px->accept_proxy_from.v) * (size_t)px->accept_proxy_from.n;

		cfg->px.accept_proxy_from.v = malloc(sz);
		if (!cfg->px.accept_proxy_from.v)
			goto fail;
		memcpy(cfg->px.accept_proxy_from.v, px->accept_proxy_from.v, sz);
	}
	cfg->lb = calloc((size_t)px->n_routes + 2, sizeof(*cfg->lb));
	if (!cfg->lb)
		goto fail;
	if (px->n_routes) {
		cfg->px.routes = malloc(sizeof(*px->routes) * (size_t)px->n_routes);
		cfg->ctr_of_route = malloc(sizeof(int) * (size_t)px->n_routes);
		if (!cfg->px.routes || !cfg->ctr_of_route)
			goto fail;
		memcpy(cfg->px.routes, px->routes, sizeof(*px->routes) * (size_t)px->n_routes);
	}
	err = route_table_new(cfg->px.routes, cfg->px.n_routes, &cfg->rt);
	if (err)
		goto fail;
	err = -ENOMEM;
	for (i = 0; i < px->n_routes; i++) {
		char cname[CONF_HOST_MAX + 40];

		/* routes of one name told apart by alpn= count apart */
		snprintf(cname, sizeof(cname), "%s%s%s", px->routes[i].name,
			 px->routes[i].alpn[0] ? " alpn=" : "", px->routes[i].alpn);
		if ((cfg->ctr_of_route[i] = front_ctr(f, cname)) < 0)
			goto fail;
	}
	if ((cfg->ctr_default = front_ctr(f, "<default>")) < 0 ||
	    (cfg->ctr_no_sni = front_ctr(f, "<no_sni>")) < 0)
		goto fail;
	for (i = 0; i < px->n_routes + 2; i++) {
		const struct conf_route *r = i < px->n_routes ? &px->routes[i] :
					     i == px->n_routes ? &px->default_route : &px->no_sni_route;

		for (int j = 0; j < r->n_upstreams; j++)
			if ((cfg->lb[i].up[j] = health_up_index(f, &r->upstreams[j])) < 0)
				goto fail;
	}
	err = check_cfg_new(f, cfg);
	if (err)
		goto fail;
	*out = cfg;
	return 0;
fail:
	front_cfg_put(cfg);
	return err;
}

void front_cfg_put(struct front_cfg *cfg)
{
	if (!cfg || --cfg->refs > 0)
		return;
	route_table_free(cfg->rt);
	check_cfg_free(cfg->chk);
	free(cfg->lb);
	free(cfg->px.accept_proxy_from.v);
	free(cfg->ctr_of_route);
	free(cfg->px.routes);
	free(cfg);
}
