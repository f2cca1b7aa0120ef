// SPDX-License-Identifier: GPL-2.0-only
/*
 * client_limit.c - per-client limits of one section: open connections
 * (max_conn_per_client) and a new-connection token bucket (client_rate
 * per second, client_burst deep). The table belongs to the section's
 * shared state (struct front_shared), so that the limits hold across
 * workers, under its lock.
 *
 * A client is its address; IPv6 clients are keyed by their /64, since
 * one host commonly owns a whole /64 and would otherwise step around the
 * limit by changing addresses. The table is a chained hash of
 * CLIENT_BUCKETS chains with at most CLIENT_MAX entries. An entry is
 * needed only while the client has connections open or its bucket is
 * not full again; entries that need nothing are dropped from the chain
 * being walked, and a full table is swept whole at most once a second.
 * When the table is full of live entries a new client is admitted
 * without a limit and counted (client_table_full): refusing unknown
 * clients would let a flood of sources lock everyone out.
 *
 * The bucket is kept in thousandths of a token, so rates below one per
 * millisecond refill exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_int.h"

#define CLIENT_BUCKETS	4096
#define CLIENT_MAX	65536
#define SWEEP_EVERY_MS	1000

struct client {
	struct client *next;
	uint8_t key[16];
	uint32_t active;
	uint64_t milli_tokens;	/* tokens * 1000 */
	uint64_t stamp;		/* loop ms of the last refill */
};

struct client_table {
	struct client *chain[CLIENT_BUCKETS];
	size_t n;
	uint64_t full;		/* clients admitted untracked: table full */
	uint64_t swept_at;
};

static void client_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			memcpy(key, a->s6_addr, 16);
		else
			memcpy(key, a->s6_addr, 8);	/* the /64 */
	}
}

static uint32_t key_hash(const uint8_t key[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % CLIENT_BUCKETS;
}

static void refill(struct client *c, const struct conf_proxy *px, uint64_t now)
{
	uint64_t cap = (uint64_t)px->client_burst * 1000;

	if (now > c->stamp) {
		c->milli_tokens += (now - c->stamp) * px->client_rate;	/* rate/s = rate milli-tokens/ms */
		c->stamp = now;
	}
	if (c->milli_tokens > cap)
		c->milli_tokens = cap;
}

/* Nothing to remember: no connection open, bucket full again. */
static bool idle(struct client *c, const struct conf_proxy *px, uint64_t now)
{
	if (c->active)
		return false;
	if (!px->client_rate)
		return true;
	refill(c, px, now);
	return c->milli_tokens >= (uint64_t)px->client_burst * 1000;
}

static void sweep(struct client_table *t, const struct conf_proxy *px, uint64_t now)
{
	t->swept_at = now;
	for (int b = 0; b < CLIENT_BUCKETS; b++)
		for (struct client **pp = &t->chain[b]; *pp;) {
			struct client *c = *pp;

			if (idle(c, px, now)) {
				*pp = c->next;
				free(c);
				t->n--;
			} else {
				pp = &c->next;
			}
		}
}

/* The entry of key, created when new (NULL: table full or no memory). */
static struct client *lookup(struct client_table *t, const struct conf_proxy *px, const uint8_t key[16],
			     uint64_t now)
{
	uint32_t b = key_hash(key);
	struct client *c;

	for (struct client **pp = &t->chain[b]; *pp;) {
		c = *pp;
		if (!memcmp(c->key, key, 16))
			return c;
		if (idle(c, px, now)) {	/* tidy the chain on the way */
			*pp = c->next;
			free(c);
			t->n--;
		} else {
			pp = &c->next;
		}
	}
	if (t->n >= CLIENT_MAX && now - t->swept_at >= SWEEP_EVERY_MS)
		sweep(t, px, now);
	if (t->n >= CLIENT_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->key, key, 16);
	c->milli_tokens = (uint64_t)px->client_burst * 1000;
	c->stamp = now;
	c->next = t->chain[b];
	t->chain[b] = c;
	t->n++;
	return c;
}

/* Admission under the lock of f->sh: the table is shared by the
 * section's fronts in every worker, so a client's limit holds across
 * them. */
static int admit_locked(struct front_shared *sh, const struct conf_proxy *px, const uint8_t key[16],
			uint64_t now, bool *held)
{
	struct client *c;

	if (!sh->clients && !(sh->clients = calloc(1, sizeof(*sh->clients))))
		return 0;	/* no memory for the table: admit, like a full table */
	c = lookup(sh->clients, px, key, now);
	if (!c) {
		sh->clients->full++;
		return 0;
	}
	if (px->max_conn_per_client && c->active >= px->max_conn_per_client)
		return CLOSE_CLIENT_LIMIT;
	if (px->client_rate) {
		refill(c, px, now);
		if (c->milli_tokens < 1000)
			return CLOSE_CLIENT_RATE;
		c->milli_tokens -= 1000;
	}
	c->active++;
	*held = true;
	return 0;
}

int client_admit(struct front *f, const struct conf_proxy *px, const struct sockaddr *client,
		 uint64_t now, bool *held)
{
	uint8_t key[16];
	int rc;

	*held = false;
	if (!px->max_conn_per_client && !px->client_rate)
		return 0;
	client_key(client, key);
	pthread_mutex_lock(&f->sh->mu);
	rc = admit_locked(f->sh, px, key, now, held);
	pthread_mutex_unlock(&f->sh->mu);
	return rc;
}

void client_release(struct front *f, const struct sockaddr *client)
{
	struct client_table *t;
	uint8_t key[16];

	client_key(client, key);
	pthread_mutex_lock(&f->sh->mu);
	t = f->sh->clients;
	for (struct client *c = t ? t->chain[key_hash(key)] : NULL; c; c = c->next)
		if (!memcmp(c->key, key, 16)) {
			if (c->active)
				c->active--;
			break;
		}
	pthread_mutex_unlock(&f->sh->mu);
}

size_t client_table_size(const struct front *f)
{
	size_t n;

	pthread_mutex_lock(&f->sh->mu);
	n = f->sh->clients ? f->sh->clients->n : 0;
	pthread_mutex_unlock(&f->sh->mu);
	return n;
}

uint64_t client_table_full(const struct front *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->sh->mu);
	n = f->sh->clients ? f->sh->clients->full : 0;
	pthread_mutex_unlock(&f->sh->mu);
	return n;
}

void client_table_free(struct client_table *t)
{
	if (!t)
		return;
	for (int b = 0; b < CLIENT_BUCKETS; b++)
		while (t->chain[b]) {
			struct client *c = t->chain[b];

			t->chain[b] = c->next;
			free(c);
		}
	free(t);
}
