// SPDX-License-Identifier: GPL-2.0-only
/*
 * route.c - exact and wildcard server-name routes, most specific first.
 *
 * Two sorted arrays: exact names, and wildcard suffixes (the "example.com"
 * of "*.example.com"). A lookup tries the exact name, then each proper
 * suffix that starts after a dot, longest first; the first hit is the
 * most specific match, so the order of routes in the file never matters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

struct route_ent {
	const char *key;		/* exact name, or wildcard suffix */
	const struct conf_route *r;
};

struct route_table {
	struct route_ent *exact, *wild;
	size_t n_exact, n_wild;
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route_ent *)a)->key, ((const struct route_ent *)b)->key);
}

/* by name, then file order (alpn= routes of one name are tried in it) */
static int ent_cmp(const void *a, const void *b)
{
	const struct route_ent *x = a, *y = b;
	int c = key_cmp(a, b);

	return c ? c : (x->r > y->r) - (x->r < y->r);
}

static int has_dup(const struct route_ent *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j-- > 0 && !strcmp(v[j].key, v[i].key);)
			if (!strcmp(v[j].r->alpn, v[i].r->alpn))
				return 1;
	return 0;
}

int route_table_new(const struct conf_route *routes, int n, struct route_table **out)
{
	struct route_table *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		return -ENOMEM;
	if (n > 0) {
		t->exact = calloc((size_t)n, sizeof(*t->exact));
		t->wild = calloc((size_t)n, sizeof(*t->wild));
		if (!t->exact || !t->wild) {
			route_table_free(t);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		const struct conf_route *r = &routes[i];

		if (r->wildcard)
			t->wild[t->n_wild++] = (struct route_ent){ .key = r->name + 2, .r = r };
		else
			t->exact[t->n_exact++] = (struct route_ent){ .key = r->name, .r = r };
	}
	if (t->n_exact)
		qsort(t->exact, t->n_exact, sizeof(*t->exact), ent_cmp);
	if (t->n_wild)
		qsort(t->wild, t->n_wild, sizeof(*t->wild), ent_cmp);
	if (has_dup(t->exact, t->n_exact) || has_dup(t->wild, t->n_wild)) {
		route_table_free(t);
		return -EINVAL;
	}
	*out = t;
	return 0;
}

void route_table_free(struct route_table *t)
{
	if (!t)
		return;
	free(t->exact);
	free(t->wild);
	free(t);
}

/* The route of `key` for a hello offering alpn: an alpn= route it
 * offers, else the route without alpn=, else NULL. */
static const struct conf_route *find(const struct route_ent *v, size_t n, const char *key,
				     const struct sni_alpn *alpn)
{
	struct route_ent k = { .key = key };
	const struct route_ent *e = n ? bsearch(&k, v, n, sizeof(*v), key_cmp) : NULL;
	const struct conf_route *plain = NULL;

	if (!e)
		return NULL;
	while (e > v && !strcmp(e[-1].key, key))
		e--;
	for (; e < v + n && !strcmp(e->key, key); e++) {
		if (!e->r->alpn[0])
			plain = e->r;
		else if (alpn && sni_alpn_offers(alpn, e->r->alpn))
			return e->r;
	}
	return plain;
}

const struct conf_route *route_lookup(const struct route_table *t, const char *name)
{
	return route_lookup_alpn(t, name, NULL);
}

const struct conf_route *route_lookup_alpn(const struct route_table *t, const char *name,
					   const struct sni_alpn *alpn)
{
	char buf[CONF_HOST_MAX];
	const struct conf_route *r;
	size_t n = strlen(name), i;

	if (!n || n >= sizeof(buf))
		return NULL;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		buf[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
	}
	if (buf[n - 1] == '.')
		n--;
	buf[n] = 0;
	if (!n)
		return NULL;
	r = find(t->exact, t->n_exact, buf, alpn);
	if (r)
		return r;
	/* "a.b.example.com": try "b.example.com", "example.com", "com" */
	for (i = 0; i < n; i++) {
		if (buf[i] != '.' || !buf[i + 1])
			continue;
		r = find(t->wild, t->n_wild, buf + i + 1, alpn);
		if (r)
			return r;
	}
	return NULL;
}
