/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * route.h - the route table of one [proxy] section: server name -> route.
 *
 * Rules (nginx server_name semantics for the two forms we accept):
 *  - an exact name ("app.example.com") matches only itself;
 *  - a wildcard ("*.example.com") matches any name at any depth below
 *    example.com ("a.example.com", "a.b.example.com"), not example.com;
 *  - the most specific match wins whatever the order in the file: an
 *    exact name beats every wildcard, a longer wildcard beats a shorter;
 *  - matching is case-insensitive and ignores one trailing dot;
 *  - routes may share a name when their alpn= differ: at that name, a
 *    route whose protocol the hello offers wins (in file order), else
 *    the one without alpn=; when neither applies, the next less specific
 *    name is tried.
 * A lookup costs one binary search per label of the name.
 */
#ifndef EDGESTEER_ROUTE_H
#define EDGESTEER_ROUTE_H

#include "core/conf.h"
#include "sni.h"

struct route_table;

/* Index `routes` (which must outlive the table). -ENOMEM, or -EINVAL
 * when a name appears twice (the config parser refuses that already). */
int route_table_new(const struct conf_route *routes, int n, struct route_table **out);
void route_table_free(struct route_table *t);
/* The route for `name` (any case, trailing dot allowed), or NULL. */
const struct conf_route *route_lookup(const struct route_table *t, const char *name);
/* The same, for a hello that offers `alpn` (NULL or empty: none). */
const struct conf_route *route_lookup_alpn(const struct route_table *t, const char *name,
					   const struct sni_alpn *alpn);

#endif
