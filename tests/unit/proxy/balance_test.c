// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of upstream selection (balance.c), passive health
 * (health.c) and the per-client limits (client_limit.c) on a front of
 * their own, with the loop clock given by hand.
 */
#include "harness.h"

#include <arpa/inet.h>

#include "core/log.h"
#include "proxy/proxy_int.h"

struct env {
	struct proxy_shared ps;
	struct front f;
	struct conf_route r;
	struct conf_proxy px;
	struct route_lb lb;
};

static void env_init(struct env *e, int n, enum conf_balance b)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->f.name, sizeof(e->f.name), "t");
	e->f.sh = front_share_get(&e->ps, "t");
	e->r.n_upstreams = n;
	e->r.balance = b;
	e->px.health_backoff_min_ms = 1000;
	e->px.health_backoff_max_ms = 4000;
	for (int i = 0; i < n; i++) {
		snprintf(e->r.upstreams[i].text, sizeof(e->r.upstreams[i].text), "10.0.0.%d:80", i);
		e->lb.up[i] = health_up_index(&e->f, &e->r.upstreams[i]);
	}
}

static void env_free(struct env *e)
{
	front_share_put(&e->ps, e->f.sh);
}

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return ss;
}

static int first(struct env *e, const char *client, uint64_t now)
{
	struct sockaddr_storage c = sa(client);
	uint8_t order[CONF_MAX_UPSTREAMS];

	return balance_order(&e->f, &e->r, &e->lb, (struct sockaddr *)&c, now, order) ? order[0] : -1;
}

TEST(first_and_roundrobin)
{
	struct env e;

	env_init(&e, 3, BALANCE_FIRST);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(first(&e, "192.0.2.1", 0), 0);
	e.r.balance = BALANCE_ROUNDROBIN;
	for (int i = 0; i < 9; i++)
		EXPECT_EQ(first(&e, "192.0.2.1", 0), i % 3);
	env_free(&e);
}

TEST(order_lists_every_upstream_down_ones_last)
{
	struct sockaddr_storage c = sa("192.0.2.1");
	uint8_t order[CONF_MAX_UPSTREAMS];
	struct env e;

	log_set_level(LOG_ERR);
	env_init(&e, 3, BALANCE_FIRST);
	health_failed(&e.f, e.lb.up[0], &e.px, 100, ECONNREFUSED);
	ASSERT_EQ(balance_order(&e.f, &e.r, &e.lb, (struct sockaddr *)&c, 200, order), 3);
	EXPECT_EQ(order[0], 1);
	EXPECT_EQ(order[1], 2);
	EXPECT_EQ(order[2], 0);
	env_free(&e);
}

TEST(leastconn_picks_the_least_loaded)
{
	struct env e;

	env_init(&e, 3, BALANCE_LEASTCONN);
	e.f.ups[0].active = 5;
	e.f.ups[1].active = 2;
	e.f.ups[2].active = 7;
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(first(&e, "192.0.2.1", 0), 1);
	/* ties take turns */
	e.f.ups[0].active = e.f.ups[1].active = e.f.ups[2].active = 0;
	int seen = 0;

	for (int i = 0; i < 3; i++)
		seen |= 1 << first(&e, "192.0.2.1", 0);
	EXPECT_EQ(seen, 7);
	env_free(&e);
}

TEST(hash_is_sticky_and_moves_only_when_down)
{
	struct env e;
	int a, b;

	log_set_level(LOG_ERR);
	env_init(&e, 4, BALANCE_HASH);
	a = first(&e, "192.0.2.1", 0);
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(first(&e, "192.0.2.1", 0), a);
	/* the port does not matter, IPv4-mapped is IPv4 */
	EXPECT_EQ(first(&e, "::ffff:192.0.2.1", 0), a);
	health_failed(&e.f, e.lb.up[a], &e.px, 0, ETIMEDOUT);
	b = first(&e, "192.0.2.1", 10);
	EXPECT_NE(b, a);
	EXPECT_EQ(b, (a + 1) % 4);
	env_free(&e);
}

TEST(backoff_doubles_to_the_cap_and_success_resets)
{
	struct env e;
	struct up_state *u;

	log_set_level(LOG_ERR);
	env_init(&e, 1, BALANCE_FIRST);
	u = &e.f.ups[0];
	health_failed(&e.f, 0, &e.px, 0, ECONNREFUSED);
	EXPECT_TRUE(u->down);
	EXPECT_FALSE(health_usable(u, 999));
	EXPECT_TRUE(health_usable(u, 1000));
	/* failures while down and before the trial do not extend it */
	health_failed(&e.f, 0, &e.px, 500, ECONNREFUSED);
	EXPECT_EQ(u->down_until, 1000);
	health_failed(&e.f, 0, &e.px, 1000, ECONNREFUSED);	/* trial failed */
	EXPECT_EQ(u->down_until, 3000);
	health_failed(&e.f, 0, &e.px, 3000, ECONNREFUSED);
	EXPECT_EQ(u->down_until, 7000);
	health_failed(&e.f, 0, &e.px, 7000, ECONNREFUSED);	/* capped at 4 s */
	EXPECT_EQ(u->down_until, 11000);
	EXPECT_EQ(u->downs, 1);
	EXPECT_EQ(u->connect_fail, 5);
	health_ok(&e.f, 0, 11000);
	EXPECT_FALSE(u->down);
	health_failed(&e.f, 0, &e.px, 20000, ECONNREFUSED);
	EXPECT_EQ(u->down_until, 21000);
	EXPECT_EQ(u->downs, 2);
	env_free(&e);
}

TEST(client_token_bucket_exact_burst_and_refill)
{
	struct sockaddr_storage a = sa("192.0.2.1"), b = sa("192.0.2.2");
	struct env e;
	bool held;
	int i;

	env_init(&e, 1, BALANCE_FIRST);
	e.px.client_rate = 2;		/* one token per 500 ms */
	e.px.client_burst = 4;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 1000, &held), 0);
		EXPECT_TRUE(held);
		client_release(&e.f, (struct sockaddr *)&a);
	}
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 1000, &held), CLOSE_CLIENT_RATE);
	EXPECT_FALSE(held);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&b, 1000, &held), 0);
	client_release(&e.f, (struct sockaddr *)&b);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 1499, &held), CLOSE_CLIENT_RATE);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 1500, &held), 0);
	client_release(&e.f, (struct sockaddr *)&a);
	env_free(&e);
}

TEST(client_max_conn_and_ipv6_per_64)
{
	struct sockaddr_storage a = sa("2001:db8:1:2::1"), a2 = sa("2001:db8:1:2:ffff::9"),
				b = sa("2001:db8:1:3::1");
	struct env e;
	bool held;

	env_init(&e, 1, BALANCE_FIRST);
	e.px.max_conn_per_client = 2;
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), 0);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a2, 0, &held), 0);
	/* same /64 */
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), CLOSE_CLIENT_LIMIT);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&b, 0, &held), 0);
	client_release(&e.f, (struct sockaddr *)&a);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a2, 0, &held), 0);
	EXPECT_EQ(client_table_size(&e.f), 2);
	env_free(&e);
}

/* Two workers' fronts of one section share the client table and the
 * upstream state: a client cannot get its limit once per worker. */
TEST(limits_and_health_hold_across_fronts_of_one_section)
{
	struct sockaddr_storage a = sa("192.0.2.1");
	struct front g;
	struct env e;
	bool held;

	env_init(&e, 2, BALANCE_LEASTCONN);
	e.px.max_conn_per_client = 2;
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "t");
	g.sh = front_share_get(&e.ps, "t");
	ASSERT_TRUE(g.sh == e.f.sh);
	front_share_sync(&g);
	EXPECT_EQ(g.n_ups, 2);
	EXPECT_EQ(health_up_index(&g, &e.r.upstreams[1]), 1);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), 0);
	EXPECT_EQ(client_admit(&g, &e.px, (struct sockaddr *)&a, 0, &held), 0);
	EXPECT_EQ(client_admit(&g, &e.px, (struct sockaddr *)&a, 0, &held), CLOSE_CLIENT_LIMIT);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), CLOSE_CLIENT_LIMIT);
	client_release(&g, (struct sockaddr *)&a);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), 0);
	/* a failure seen by one worker sends the upstream down for both */
	health_failed(&g, 0, &e.px, 0, ECONNREFUSED);
	EXPECT_EQ(first(&e, "192.0.2.1", 0), 1);
	/* and the load one worker puts on an upstream steers the other */
	health_ok(&g, 0, 0);
	health_hold(&g, 1);
	EXPECT_EQ(first(&e, "192.0.2.1", 0), 0);
	health_unhold(&g, 1);
	front_share_put(&e.ps, g.sh);
	EXPECT_EQ(e.ps.fronts == e.f.sh, true);
	env_free(&e);
	EXPECT_EQ(e.ps.fronts == NULL, true);
}

TEST(no_limits_track_nothing)
{
	struct sockaddr_storage a = sa("192.0.2.1");
	struct env e;
	bool held = true;

	env_init(&e, 1, BALANCE_FIRST);
	EXPECT_EQ(client_admit(&e.f, &e.px, (struct sockaddr *)&a, 0, &held), 0);
	EXPECT_FALSE(held);
	EXPECT_EQ(client_table_size(&e.f), 0);
	env_free(&e);
}

TEST(checks_rise_and_fall_in_a_row)
{
	struct env e;
	struct up_state *u;

	log_set_level(LOG_ERR);
	env_init(&e, 1, BALANCE_FIRST);
	e.px.check_rise = 2;
	e.px.check_fall = 3;
	u = &e.f.ups[0];
	u->check = CHECK_TCP;	/* check.c sets it for a checked upstream */
	health_check_result(&e.f, 0, &e.px, 0, false, "connect: Connection refused");
	health_check_result(&e.f, 0, &e.px, 0, false, "connect: Connection refused");
	health_check_result(&e.f, 0, &e.px, 0, true, NULL);	/* breaks the run */
	health_check_result(&e.f, 0, &e.px, 0, false, "connect: Connection refused");
	health_check_result(&e.f, 0, &e.px, 0, false, "connect: Connection refused");
	EXPECT_FALSE(u->down);
	health_check_result(&e.f, 0, &e.px, 100, false, "connect: timed out");
	EXPECT_TRUE(u->down);
	/* down until the checks pass, whatever the time */
	EXPECT_FALSE(health_usable(u, UINT64_MAX - 1));
	health_check_result(&e.f, 0, &e.px, 200, true, NULL);
	EXPECT_TRUE(u->down);
	health_check_result(&e.f, 0, &e.px, 300, true, NULL);
	EXPECT_FALSE(u->down);
	EXPECT_EQ(u->checks, 8);
	EXPECT_EQ(u->check_fail, 5);
	/* a failed client connect takes it down at once, the checks bring it back */
	health_failed(&e.f, 0, &e.px, 400, ECONNREFUSED);
	EXPECT_TRUE(u->down);
	EXPECT_FALSE(health_usable(u, 1000000));
	health_check_result(&e.f, 0, &e.px, 500, true, NULL);
	health_check_result(&e.f, 0, &e.px, 600, true, NULL);
	EXPECT_FALSE(u->down);
	env_free(&e);
}

TEST(checked_upstream_comes_back_only_by_its_checks_and_status_says_why)
{
	struct env e;
	struct up_state *u;
	char st[1024];

	log_set_level(LOG_ERR);
	env_init(&e, 2, BALANCE_FIRST);
	e.px.check_rise = 2;
	e.px.check_fall = 2;
	u = &e.f.ups[0];
	u->check = CHECK_TLS;
	health_check_result(&e.f, 0, &e.px, 10, false, "certificate not trusted (check_ca /x.crt)");
	health_check_result(&e.f, 0, &e.px, 20, false, "certificate not trusted (check_ca /x.crt)");
	EXPECT_TRUE(u->down);
	EXPECT_EQ(u->fail_run, 2);
	EXPECT_EQ(u->ok_run, 0);
	EXPECT_STREQ(u->last_why, "certificate not trusted (check_ca /x.crt)");
	/* every upstream down, a client's TCP connect to it succeeds: the
	 * tls check failed, so that is no reason to bring it back */
	health_ok(&e.f, 0, 30);
	EXPECT_TRUE(u->down);
	/* down ones go last */
	{
		struct sockaddr_storage c = sa("192.0.2.1");
		uint8_t order[CONF_MAX_UPSTREAMS];

		ASSERT_EQ(balance_order(&e.f, &e.r, &e.lb, (struct sockaddr *)&c, 40, order), 2);
		EXPECT_EQ(order[0], 1);
		EXPECT_EQ(order[1], 0);
	}
	ASSERT_LT(health_status(&e.f, 1040, st, sizeof(st)), sizeof(st));
	EXPECT_NE(strstr(st, "upstream t/10.0.0.0:80: down for 1 s, check tls: failed, 2 in a row, last 1020 ms "
			     "ago: certificate not trusted (check_ca /x.crt)\n"), NULL);
	EXPECT_NE(strstr(st, "upstream t/10.0.0.1:80: up, no active check"), NULL);
	health_check_result(&e.f, 0, &e.px, 50, true, NULL);
	EXPECT_TRUE(u->down);
	EXPECT_EQ(u->ok_run, 1);
	EXPECT_EQ(u->fail_run, 0);
	EXPECT_STREQ(u->last_why, "");
	health_check_result(&e.f, 0, &e.px, 60, true, NULL);
	EXPECT_FALSE(u->down);
	ASSERT_LT(health_status(&e.f, 60, st, sizeof(st)), sizeof(st));
	EXPECT_NE(strstr(st, "upstream t/10.0.0.0:80: up, check tls: passed, 2 in a row, last 0 ms ago\n"), NULL);
	/* status cut short says how much it needed */
	EXPECT_GT(health_status(&e.f, 60, st, 10), 10);
	EXPECT_EQ(strlen(st), 9);
	env_free(&e);
}

TEST_HARNESS_MAIN
