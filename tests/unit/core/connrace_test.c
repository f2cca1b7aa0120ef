// SPDX-License-Identifier: GPL-2.0-only
/*
 * Happy eyeballs (connrace.c) on loopback sockets the test owns, the
 * order families alternate in, TCP_NODELAY now or left to the caller,
 * the first bytes in the SYN (TFO), and the resolver (resolve.c): the TTL
 * read from a DNS answer, and no answer lost past its queues.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/connrace.h"
#include "core/loop.h"
#include "core/resolve.h"

static void v4(struct sockaddr_storage *ss, socklen_t *len, const char *ip, int port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	*len = sizeof(*in);
}

static void v6(struct sockaddr_storage *ss, socklen_t *len, const char *ip, int port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &in6->sin6_addr);
	*len = sizeof(*in6);
}

TEST(order_alternates_families_from_the_first)
{
	static const struct {
		const char *fam;	/* '4' or '6' per address, in given order */
		int want[6];
	} cases[] = {
		{ "6644", { 0, 2, 1, 3 } },
		{ "4466", { 0, 2, 1, 3 } },
		{ "666",  { 0, 1, 2 } },
		{ "6444", { 0, 1, 2, 3 } },
		{ "44446", { 0, 4, 1, 2, 3 } },
		{ "4", { 0 } },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct sockaddr_storage a[CONNRACE_MAX];
		socklen_t l;
		int n = (int)strlen(cases[k].fam), order[CONNRACE_MAX];

		for (int i = 0; i < n; i++) {
			if (cases[k].fam[i] == '6')
				v6(&a[i], &l, "2001:db8::1", 1);
			else
				v4(&a[i], &l, "192.0.2.1", 1);
		}
		connrace_order(a, n, order);
		for (int i = 0; i < n; i++)
			EXPECT_EQ(order[i], cases[k].want[i]);
	}
}

/* A DNS message: header, one question for a.test, then answers. */
static int dns_msg(uint8_t *m, const uint16_t *types, const uint32_t *ttls, int n)
{
	static const uint8_t q[] = { 1, 'a', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	int o = 12;

	memset(m, 0, 12);
	m[2] = 0x81, m[3] = 0x80, m[5] = 1, m[7] = (uint8_t)n;
	memcpy(m + o, q, sizeof(q));
	o += (int)sizeof(q);
	for (int i = 0; i < n; i++) {
		int rd = types[i] == ns_t_aaaa ? 16 : types[i] == ns_t_a ? 4 : 2;

		m[o++] = 0xc0, m[o++] = 12;
		m[o++] = (uint8_t)(types[i] >> 8), m[o++] = (uint8_t)types[i];
		m[o++] = 0, m[o++] = 1;
		m[o++] = (uint8_t)(ttls[i] >> 24), m[o++] = (uint8_t)(ttls[i] >> 16);
		m[o++] = (uint8_t)(ttls[i] >> 8), m[o++] = (uint8_t)ttls[i];
		m[o++] = 0, m[o++] = (uint8_t)rd;
		memset(m + o, 0, (size_t)rd);
		if (types[i] == ns_t_cname)
			m[o] = 0xc0, m[o + 1] = 12;	/* a pointer to the question's name */
		o += rd;
	}
	return o;
}

TEST(answer_ttl_is_the_smallest_of_its_address_records)
{
	uint8_t m[512];
	uint16_t t1[] = { ns_t_a, ns_t_a }, t2[] = { ns_t_cname, ns_t_aaaa }, t3[] = { ns_t_txt, ns_t_a };
	uint32_t l1[] = { 300, 60 }, l2[] = { 30, 600 }, l3[] = { 5, 120 };
	int len;

	len = dns_msg(m, t1, l1, 2);
	EXPECT_EQ(resolve_answer_ttl(m, len), 60);
	len = dns_msg(m, t2, l2, 2);
	EXPECT_EQ(resolve_answer_ttl(m, len), 30);	/* the CNAME expires first */
	len = dns_msg(m, t3, l3, 2);
	EXPECT_EQ(resolve_answer_ttl(m, len), 120);	/* TXT does not count */
	len = dns_msg(m, t1, l1, 0);
	EXPECT_EQ(resolve_answer_ttl(m, len), -1);	/* no answer */
	len = dns_msg(m, t1, l1, 2);
	EXPECT_EQ(resolve_answer_ttl(m, len - 3), -1);	/* truncated */
	EXPECT_EQ(resolve_answer_ttl(m, 5), -1);
}

struct result {
	bool done;
	int fd, idx, err;
};

static void on_done(void *arg, int fd, int idx, int err)
{
	struct result *r = arg;

	r->done = true;
	r->fd = fd;
	r->idx = idx;
	r->err = err;
}

/* A listener on 127.0.0.1 at an ephemeral port; backlog 0 and one
 * connection queued makes it drop further SYNs (a blackhole). */
static int listener(int *port, bool full, int *filler)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, full ? 0 : 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	if (full) {
		*filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(*filler, (struct sockaddr *)&a, sizeof(a)))
			return -1;
	}
	return fd;
}

/* a[0]: a listener with a full backlog (its connects hang, SYNs dropped),
 * a[1]: a live one. Each fd is -1 on failure. */
static void dead_and_live(struct sockaddr_storage a[2], socklen_t len[2], int *dead, int *filler, int *live)
{
	int port = 0, lport = 0;

	*dead = listener(&port, true, filler);
	*live = listener(&lport, false, NULL);
	v4(&a[0], &len[0], "127.0.0.1", port);
	v4(&a[1], &len[1], "127.0.0.1", lport);
}

static void run(struct loop *l, struct result *r)
{
	for (int i = 0; i < 500 && !r->done; i++)
		loop_run_once(l, 20);
}

static int nodelay_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
	return v;
}

TEST(nodelay_at_connect_unless_the_caller_sets_it_later)
{
	struct sockaddr_storage a;
	socklen_t len;
	struct loop *l;
	int lfd, port;

	ASSERT_EQ(loop_new(&l), 0);
	lfd = listener(&port, false, NULL);
	ASSERT_GE(lfd, 0);
	v4(&a, &len, "127.0.0.1", port);
	for (int later = 0; later < 2; later++) {
		struct connrace_opts o = { .timeout_ms = 5000, .delay_ms = 250, .max_inflight = 1,
					   .nodelay_later = later };
		struct result r = { 0 };
		struct connrace *race;

		ASSERT_EQ(connrace_start(l, &a, &len, 1, &o, on_done, &r, &race), 0);
		run(l, &r);
		ASSERT_TRUE(r.done);
		ASSERT_GE(r.fd, 0);
		EXPECT_EQ(nodelay_of(r.fd) > 0, !later);
		close(r.fd);
	}
	close(lfd);
	loop_free(l);
}

/* With syn_data: no cookie yet, so the first SYN carries nothing (it asks
 * for one) and syn_sent says 0; the second carries the bytes, which the
 * listener reads as the connection's first. Needs a namespace of our own
 * for net.ipv4.tcp_fastopen (server bit). */
TEST(fastopen_first_bytes_ride_in_the_syn_once_there_is_a_cookie)
{
	static const char data[] = "first bytes in the SYN";
	struct sockaddr_storage a;
	socklen_t len;
	struct loop *l;
	int lfd, port, qlen = 16;

	TH_PRIVATE_NETNS();
	ASSERT_EQ(th_sh("echo 3 > /proc/sys/net/ipv4/tcp_fastopen"), 0);
	ASSERT_EQ(loop_new(&l), 0);
	lfd = listener(&port, false, NULL);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(setsockopt(lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
	v4(&a, &len, "127.0.0.1", port);
	for (int i = 0; i < 2; i++) {
		size_t sent = 99;
		struct connrace_opts o = { .timeout_ms = 5000, .delay_ms = 250, .max_inflight = 1,
					   .syn_data = data, .syn_len = sizeof(data), .syn_sent = &sent };
		struct result r = { 0 };
		struct connrace *race;
		char got[sizeof(data)];
		int afd;

		ASSERT_EQ(connrace_start(l, &a, &len, 1, &o, on_done, &r, &race), 0);
		run(l, &r);
		ASSERT_TRUE(r.done);
		ASSERT_GE(r.fd, 0);
		EXPECT_EQ(sent, i ? sizeof(data) : 0);
		afd = accept(lfd, NULL, NULL);
		ASSERT_GE(afd, 0);
		if (i) {
			EXPECT_EQ(recv(afd, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(data));
			EXPECT_MEMEQ(got, data, sizeof(data));
		}
		close(afd);
		close(r.fd);
	}
	close(lfd);
	loop_free(l);
}

TEST(refused_address_is_passed_over_at_once_and_the_live_one_wins)
{
	struct sockaddr_storage a[2];
	socklen_t len[2];
	struct connrace_opts o = { .timeout_ms = 5000, .delay_ms = 5000, .max_inflight = 2 };
	struct result r = { 0 };
	struct connrace *race;
	struct loop *l;
	int live, port, closed_port, tmp;

	ASSERT_EQ(loop_new(&l), 0);
	live = listener(&port, false, NULL);
	ASSERT_GE(live, 0);
	tmp = listener(&closed_port, false, NULL);	/* a port nobody listens on */
	ASSERT_GE(tmp, 0);
	close(tmp);
	v4(&a[0], &len[0], "127.0.0.1", closed_port);
	v4(&a[1], &len[1], "127.0.0.1", port);
	ASSERT_EQ(connrace_start(l, a, len, 2, &o, on_done, &r, &race), 0);
	EXPECT_FALSE(r.done);	/* never from connrace_start */
	run(l, &r);
	ASSERT_TRUE(r.done);
	EXPECT_GE(r.fd, 0);
	EXPECT_EQ(r.idx, 1);	/* not after the 5 s delay: the refusal starts it */
	close(r.fd);
	close(live);
	loop_free(l);
}

TEST(each_attempt_has_its_deadline_and_the_last_error_is_told)
{
	struct sockaddr_storage a[2];
	socklen_t len[2];
	struct connrace_opts o = { .timeout_ms = 200, .delay_ms = 50, .max_inflight = 1 };
	struct result r = { 0 };
	struct connrace *race;
	struct loop *l;
	int dead, filler = -1, live;

	ASSERT_EQ(loop_new(&l), 0);
	dead_and_live(a, len, &dead, &filler, &live);
	ASSERT_GE(dead, 0);
	ASSERT_GE(live, 0);
	/* one at a time: the dead one runs into its deadline, then the live one */
	ASSERT_EQ(connrace_start(l, a, len, 2, &o, on_done, &r, &race), 0);
	run(l, &r);
	ASSERT_TRUE(r.done);
	EXPECT_EQ(r.idx, 1);
	EXPECT_GE(r.fd, 0);
	close(r.fd);
	/* only the dead one: it times out, and says so */
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(connrace_start(l, a, len, 1, &o, on_done, &r, &race), 0);
	run(l, &r);
	ASSERT_TRUE(r.done);
	EXPECT_EQ(r.fd, -1);
	EXPECT_EQ(r.err, ETIMEDOUT);
	/* cancelled: closed, done never called */
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(connrace_start(l, a, len, 1, &o, on_done, &r, &race), 0);
	connrace_cancel(race);
	for (int i = 0; i < 20; i++)
		loop_run_once(l, 20);
	EXPECT_FALSE(r.done);
	EXPECT_EQ(loop_timer_count(l), 0u);
	close(filler);
	close(dead);
	close(live);
	loop_free(l);
}

/* The caller's own handle: the race's events reach it through
 * connrace_event(), the winner stays registered on it. */
static struct connrace *g_race;
static uint32_t g_own_events_after;	/* events seen once the race is over */

static void own_cb(struct loop_fd *h, uint32_t ev)
{
	if (g_race)
		connrace_event(g_race, h, ev);
	else
		g_own_events_after |= ev;
}

static void own_done(void *arg, int fd, int idx, int err)
{
	g_race = NULL;
	on_done(arg, fd, idx, err);
}

/* After a won race on own: the peer's bytes reach own_cb, no epoll_ctl needed. */
static void expect_own_gets_data(struct loop *l, struct loop_fd *own, int fd, int lfd)
{
	int pfd = accept(lfd, NULL, NULL);

	ASSERT_GE(pfd, 0);
	EXPECT_EQ(own->fd, fd);
	g_own_events_after = 0;
	ASSERT_EQ(write(pfd, "x", 1), 1);
	for (int i = 0; i < 50 && !(g_own_events_after & EPOLLIN); i++)
		loop_run_once(l, 20);
	EXPECT_TRUE(g_own_events_after & EPOLLIN);
	close(pfd);
}

TEST(own_handle_a_failed_attempt_frees_it_and_the_winner_stays_on_it)
{
	struct sockaddr_storage a[2];
	socklen_t len[2];
	struct loop_fd own = { .fd = -1 };
	struct connrace_opts o = { .timeout_ms = 5000, .delay_ms = 5000, .max_inflight = 1,
				   .own = &own, .own_events = EPOLLIN | EPOLLOUT | EPOLLET, .own_cb = own_cb };
	struct result r = { 0 };
	struct loop *l;
	int live, port, closed_port, tmp;

	ASSERT_EQ(loop_new(&l), 0);
	live = listener(&port, false, NULL);
	ASSERT_GE(live, 0);
	tmp = listener(&closed_port, false, NULL);
	ASSERT_GE(tmp, 0);
	close(tmp);
	v4(&a[0], &len[0], "127.0.0.1", closed_port);
	v4(&a[1], &len[1], "127.0.0.1", port);
	ASSERT_EQ(connrace_start(l, a, len, 2, &o, own_done, &r, &g_race), 0);
	EXPECT_GE(own.fd, 0);	/* the first attempt is on it */
	run(l, &r);
	ASSERT_TRUE(r.done);
	ASSERT_GE(r.fd, 0);
	EXPECT_EQ(r.idx, 1);
	expect_own_gets_data(l, &own, r.fd, live);
	loop_fd_close(l, &own, r.fd);
	close(live);
	loop_free(l);
}

TEST(own_handle_busy_with_a_loser_the_winner_is_moved_onto_it)
{
	struct sockaddr_storage a[2];
	socklen_t len[2];
	struct loop_fd own = { .fd = -1 };
	struct connrace_opts o = { .timeout_ms = 5000, .delay_ms = 30, .max_inflight = 2,
				   .own = &own, .own_events = EPOLLIN | EPOLLOUT | EPOLLET, .own_cb = own_cb };
	struct result r = { 0 };
	struct loop *l;
	int dead, filler = -1, live;

	ASSERT_EQ(loop_new(&l), 0);
	dead_and_live(a, len, &dead, &filler, &live);
	ASSERT_GE(dead, 0);
	ASSERT_GE(live, 0);
	/* the blackholed one holds own; the live one races on the race's handle */
	ASSERT_EQ(connrace_start(l, a, len, 2, &o, own_done, &r, &g_race), 0);
	run(l, &r);
	ASSERT_TRUE(r.done);
	ASSERT_GE(r.fd, 0);
	EXPECT_EQ(r.idx, 1);
	expect_own_gets_data(l, &own, r.fd, live);
	loop_fd_close(l, &own, r.fd);
	EXPECT_EQ(loop_timer_count(l), 0u);
	close(filler);
	close(dead);
	close(live);
	loop_free(l);
}

static int all_answered(struct loop *l, struct resolver *r, char names[][32], int n)
{
	int got = 0;

	for (int i = 0; i < n; i++) {
		struct resolve_name *e = resolver_get(r, names[i], 60000);

		got += e && e->n > 0;
	}
	loop_run_once(l, 20);
	return got;
}

TEST(every_name_is_answered_even_past_the_queues)
{
	char names[100][32];
	struct resolver *r;
	struct loop *l;
	int got = 0;

	/* numeric names: getaddrinfo answers them without DNS, and no TTL
	 * is asked for; a namespace of our own all the same, when allowed */
	if (th_private_netns())
		TH_LOG("no private network namespace");
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(resolver_new(l, "test", &r), 0);
	for (int i = 0; i < 100; i++)
		snprintf(names[i], sizeof(names[i]), "127.0.%d.%d:80", i / 200, i % 200 + 1);
	/* more lookups than the request queue holds, and answers piling up
	 * while the loop does not run: none may be lost */
	for (int i = 0; i < 64; i++)
		ASSERT_NE(resolver_get(r, names[i], 60000), NULL);
	usleep(300000);
	for (int i = 64; i < 100; i++)
		ASSERT_NE(resolver_get(r, names[i], 60000), NULL);
	usleep(300000);
	for (int k = 0; k < 250 && got < 100; k++)
		got = all_answered(l, r, names, 100);
	EXPECT_EQ(got, 100);
	resolver_free(r);
	loop_free(l);
}

TEST_HARNESS_MAIN
