// SPDX-License-Identifier: GPL-2.0-only
/*
 * balance.c - the order in which a connection tries a route's upstreams.
 *
 * The route's balance picks where to start among the usable upstreams
 * (health.c): first - in the order written; roundrobin - each new
 * connection one further; leastconn - fewest connections open now
 * (connecting included, so a burst spreads too), ties taken in
 * round-robin order; hash - a hash of the client's address (not its
 * port), so one client keeps its upstream while the set is healthy.
 * The other usable upstreams follow in the order written from there,
 * then the ones that are down: a connect that fails goes on down the
 * list, and the down ones are only reached when all the others failed.
 */
#include <string.h>

#include "proxy_int.h"

struct route_lb *front_route_lb(const struct front_cfg *cfg, const struct conf_route *r)
{
	if (r == &cfg->px.default_route)
		return &cfg->lb[cfg->px.n_routes];
	if (r == &cfg->px.no_sni_route)
		return &cfg->lb[cfg->px.n_routes + 1];
	return &cfg->lb[r - cfg->px.routes];
}

/* FNV-1a over the address bytes (IPv4-mapped IPv6 as IPv4). */
static uint32_t addr_hash(const struct sockaddr *sa)
{
	const uint8_t *p = NULL;
	uint32_t h = 2166136261u;
	size_t n = 0;

	if (sa->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		n = 4;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		p = IN6_IS_ADDR_V4MAPPED(a) ? a->s6_addr + 12 : a->s6_addr;
		n = IN6_IS_ADDR_V4MAPPED(a) ? 4 : 16;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int balance_order(struct front *f, const struct conf_route *r, struct route_lb *lb,
		  const struct sockaddr *client, uint64_t now, uint8_t order[CONF_MAX_UPSTREAMS])
{
	int n = r->n_upstreams, usable[CONF_MAX_UPSTREAMS], nu = 0, start = 0, k = 0, i;
	bool is_usable[CONF_MAX_UPSTREAMS];

	/* health and load are shared with the other workers */
	pthread_mutex_lock(&f->sh->mu);
	for (i = 0; i < n; i++) {
		is_usable[i] = health_usable(&f->ups[lb->up[i]], now);
		if (is_usable[i])
			usable[nu++] = i;
	}
	if (nu) {
		switch (r->balance) {
		case BALANCE_FIRST:
			start = 0;
			break;
		case BALANCE_ROUNDROBIN:
			start = (int)(lb->next++ % (uint32_t)nu);
			break;
		case BALANCE_LEASTCONN: {
			/* the least loaded, scanning from the round-robin
			 * position so that ties take turns */
			int off = (int)(lb->next++ % (uint32_t)nu);
			uint32_t best = UINT32_MAX;

			for (i = 0; i < nu; i++) {
				int j = (off + i) % nu;
				uint32_t a = f->ups[lb->up[usable[j]]].active;

				if (a < best) {
					best = a;
					start = j;
				}
			}
			break;
		}
		case BALANCE_HASH: {
			/* the hash picks among all upstreams, so that a client
			 * stays put while its upstream is healthy; when that
			 * one is down, the next usable one after it */
			int h = (int)(addr_hash(client) % (uint32_t)n);

			for (start = 0; start < nu - 1 && usable[start] < h; start++)
				;
			if (usable[start] < h)
				start = 0;
			break;
		}
		}
	}
	pthread_mutex_unlock(&f->sh->mu);
	for (i = 0; i < nu; i++)
		order[k++] = (uint8_t)usable[(start + i) % nu];
	for (i = 0; i < n; i++)
		if (!is_usable[i])
			order[k++] = (uint8_t)i;
	return k;
}
