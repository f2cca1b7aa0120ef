// SPDX-License-Identifier: GPL-2.0-only
/*
 * Eviction for another worker, with two workers' loops stepped by hand
 * in one thread (the worker threads are never started), so that the
 * order of events is fixed: the slot a worker frees for another
 * worker's request must reach that worker, even when the evicting
 * worker's own listener has a client waiting at that moment (at the
 * section's limit and at [global]'s), and goes back, counted, when no
 * client waits for it any more.
 *
 * Which worker's SO_REUSEPORT listener a connection lands on is the
 * kernel's hash of the 4-tuple: the test learns, for a few fixed client
 * ports, which worker they reach, and then connects from those ports.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "proxy/proxy.h"
#include "proxy/proxy_int.h"

#define PX	 24800
#define UP	 24801
#define PORT0	 41000	/* client ports tried: PORT0 .. PORT0 + NPORTS - 1 */
#define NPORTS	 64
#define NEED	 3	/* ports wanted per worker */

/* the limit of 2 is the section's, or [global]'s */
static const char conf_section[] =
	"[global]\nworkers = 2\n"
	"[proxy t]\nlisten = 127.0.0.1:24800\nprotocol = http\naccess_log = no\n"
	"max_connections = 2\nhello_timeout = 30s\n"
	"route = a.test 127.0.0.1:24801\n";
static const char conf_global[] =
	"[global]\nworkers = 2\nmax_connections = 2\n"
	"[proxy t]\nlisten = 127.0.0.1:24800\nprotocol = http\naccess_log = no\n"
	"max_connections = 100\nhello_timeout = 30s\n"
	"route = a.test 127.0.0.1:24801\n";

static const char request[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";

struct env {
	struct loop *main_loop;
	struct proxy_set *p;
	struct workers *ws;
	struct proxy_set *set[2];
	struct loop *loop[2];
	int port[2][NEED], n_port[2];
	int up;			/* the upstream: connections wait in its backlog */
};

/* A client from 127.0.0.1:sport to the proxy; -1 on failure. */
static int client(int sport)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_port = htons((uint16_t)sport);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	a.sin_port = htons(PX);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Close with a reset: no TIME_WAIT, so the same port may connect again. */
static void reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int listen_fd(struct env *e, int w)
{
	return e->set[w]->fronts->ls[0].h.fd;
}

/* The worker whose listener has a connection waiting, or -1. */
static int queued_at(struct env *e)
{
	struct pollfd pf[2] = { { .fd = listen_fd(e, 0), .events = POLLIN },
				{ .fd = listen_fd(e, 1), .events = POLLIN } };

	if (poll(pf, 2, 1000) <= 0)
		return -1;
	return (pf[0].revents & POLLIN) ? 0 : (pf[1].revents & POLLIN) ? 1 : -1;
}

static size_t section_active(struct env *e)
{
	return atomic_load(&e->set[0]->fronts->sh->active);
}

static size_t all_active(struct env *e)
{
	return atomic_load(&e->p->shared->active);
}

/* Step both loops until neither has a connection (bounded). */
static void drain(struct env *e)
{
	for (int i = 0; i < 200; i++) {
		loop_run_once(e->loop[0], 2);
		loop_run_once(e->loop[1], 2);
		if (i >= 2 && !e->set[0]->active && !e->set[1]->active)
			break;
	}
}

static int env_init(struct env *e, const char *conf_text)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(UP) };
	struct conf *c = NULL;
	int one = 1, err;

	memset(e, 0, sizeof(*e));
	e->up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e->up < 0 || setsockopt(e->up, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(e->up, (struct sockaddr *)&a, sizeof(a)) || listen(e->up, 64))
		return -errno;
	err = loop_new(&e->main_loop);
	if (err)
		return err;
	err = conf_load_string("t.conf", conf_text, &c, stderr);
	if (err)
		return err;
	err = proxy_start(e->main_loop, c, &e->p);
	conf_free(c);
	if (err)
		return err;
	e->ws = e->p->shared->w;
	if (!e->ws || e->ws->n != 2)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		e->set[i] = e->ws->w[i].set;
		e->loop[i] = e->ws->w[i].loop;
	}
	/* learn which worker each client port reaches */
	for (int port = PORT0; port < PORT0 + NPORTS; port++) {
		int fd = client(port), w;

		if (fd < 0)
			return -errno;
		w = queued_at(e);
		if (w >= 0 && e->n_port[w] < NEED)
			e->port[w][e->n_port[w]++] = port;
		reset_close(fd);
		drain(e);
		if (e->n_port[0] == NEED && e->n_port[1] == NEED)
			return 0;
	}
	return -ENOENT;
}

static void env_free(struct env *e)
{
	proxy_free(e->p);
	if (e->main_loop)
		loop_free(e->main_loop);
	if (e->up >= 0)
		close(e->up);
}

/*
 * Worker 0 (A) holds a connection past its hello, worker 1 (B) one
 * still in its hello: max_connections = 2 is reached. A good client
 * comes to A: A has nothing of its own to evict, pauses and asks B. B
 * closes its hello connection for A; right then a stranger waits at B's
 * listener. The freed slot must go to A's client, not to B's stranger.
 */
static void slot_reaches_the_asker(struct th_metadata *_metadata, const char *conf_text)
{
	struct env e;
	int good, stranger, wanted, late, served = 0;
	uint64_t a_accepted, evicted;

	TH_PRIVATE_NETNS();
	log_set_level(LOG_ERR);
	ASSERT_EQ(env_init(&e, conf_text), 0);
	TH_LOG("ports to worker 0: %d %d %d, to worker 1: %d %d %d", e.port[0][0], e.port[0][1],
	       e.port[0][2], e.port[1][0], e.port[1][1], e.port[1][2]);

	/* A: a connection past its hello (routed, its upstream connected) */
	good = client(e.port[0][0]);
	ASSERT_GE(good, 0);
	ASSERT_EQ(write(good, request, strlen(request)), (ssize_t)strlen(request));
	for (int i = 0; i < 200 && (section_active(&e) < 1 || conn_oldest_hello(e.set[0]->fronts)); i++)
		loop_run_once(e.loop[0], 5);
	ASSERT_EQ(section_active(&e), 1);
	ASSERT_EQ(conn_oldest_hello(e.set[0]->fronts), NULL);

	/* B: a connection that says nothing */
	stranger = client(e.port[1][0]);
	ASSERT_GE(stranger, 0);
	for (int i = 0; i < 200 && section_active(&e) < 2; i++)
		loop_run_once(e.loop[1], 5);
	ASSERT_EQ(section_active(&e), 2);
	ASSERT_NE(conn_oldest_hello(e.set[1]->fronts), NULL);
	usleep(20 * 1000);	/* older than a loop turn: evictable for another worker */

	/* a good client at A: A pauses and asks B */
	a_accepted = e.set[0]->accepted;
	wanted = client(e.port[0][1]);
	ASSERT_GE(wanted, 0);
	ASSERT_EQ(write(wanted, request, strlen(request)), (ssize_t)strlen(request));
	ASSERT_EQ(queued_at(&e), 0);
	loop_run_once(e.loop[0], 50);
	ASSERT_TRUE(e.set[0]->fronts->ls[0].paused);
	ASSERT_EQ(e.set[0]->accepted, a_accepted);

	/* B takes the request up: its hello connection goes */
	loop_run_once(e.loop[1], 50);
	EXPECT_EQ(e.set[1]->fronts->closed[CLOSE_HELLO_EVICTED], 1);

	/* a stranger arrives at B before A has run again */
	late = client(e.port[1][1]);
	ASSERT_GE(late, 0);
	for (int i = 0; i < 5; i++)
		loop_run_once(e.loop[1], 5);

	/* now A runs: its client must get the slot that B freed for it */
	for (int i = 0; i < 100 && !served; i++) {
		loop_run_once(e.loop[0], 5);
		loop_run_once(e.loop[1], 5);
		served = e.set[0]->accepted == a_accepted + 1 && !conn_oldest_hello(e.set[0]->fronts);
	}
	evicted = e.set[0]->fronts->closed[CLOSE_HELLO_EVICTED] + e.set[1]->fronts->closed[CLOSE_HELLO_EVICTED];
	TH_LOG("worker 0 accepted %llu (wanted %llu), worker 1 accepted %llu, evicted %llu, section active %zu",
	       (unsigned long long)e.set[0]->accepted, (unsigned long long)a_accepted + 1,
	       (unsigned long long)e.set[1]->accepted, (unsigned long long)evicted, section_active(&e));
	EXPECT_TRUE(served);
	/* the limit held: the two good clients, the late stranger waits */
	EXPECT_EQ(section_active(&e), 2);
	EXPECT_EQ(all_active(&e), 2);
	EXPECT_EQ(e.set[0]->active + e.set[1]->active, 2);
	EXPECT_EQ(evicted, 1);
	EXPECT_TRUE(e.set[1]->fronts->ls[0].paused);
	EXPECT_EQ(e.set[0]->evict_unused + e.set[1]->evict_unused, 0);

	close(good);
	close(stranger);
	close(wanted);
	close(late);
	close(e.up);	/* resets the upstream sides, which would wait for it */
	e.up = -1;
	drain(&e);
	EXPECT_EQ(section_active(&e), 0);
	EXPECT_EQ(all_active(&e), 0);
	env_free(&e);
}

TEST_TIMEOUT(slot_freed_at_the_section_limit_reaches_the_asker, 60)
{
	slot_reaches_the_asker(_metadata, conf_section);
}

/* A [global] grant holds a slot of the total only: the asker takes its
 * section's slot itself. */
TEST_TIMEOUT(slot_freed_at_the_global_limit_reaches_the_asker, 60)
{
	slot_reaches_the_asker(_metadata, conf_global);
}


/* The client A asked for is gone when the slot arrives (here the test
 * takes it from A's backlog itself): A gives the slot back, counted, and
 * the counts are those of the connections that remain. */
TEST_TIMEOUT(slot_no_client_takes_is_given_back, 60)
{
	struct env e;
	int good, stranger, wanted, taken;
	uint64_t a_accepted;

	TH_PRIVATE_NETNS();
	log_set_level(LOG_ERR);
	ASSERT_EQ(env_init(&e, conf_section), 0);
	good = client(e.port[0][0]);
	ASSERT_GE(good, 0);
	ASSERT_EQ(write(good, request, strlen(request)), (ssize_t)strlen(request));
	for (int i = 0; i < 200 && (section_active(&e) < 1 || conn_oldest_hello(e.set[0]->fronts)); i++)
		loop_run_once(e.loop[0], 5);
	ASSERT_EQ(conn_oldest_hello(e.set[0]->fronts), NULL);
	stranger = client(e.port[1][0]);
	ASSERT_GE(stranger, 0);
	for (int i = 0; i < 200 && section_active(&e) < 2; i++)
		loop_run_once(e.loop[1], 5);
	ASSERT_EQ(section_active(&e), 2);
	usleep(20 * 1000);

	a_accepted = e.set[0]->accepted;
	wanted = client(e.port[0][1]);
	ASSERT_GE(wanted, 0);
	ASSERT_EQ(queued_at(&e), 0);
	loop_run_once(e.loop[0], 50);
	ASSERT_TRUE(e.set[0]->fronts->ls[0].paused);
	/* the waiting client leaves A's backlog before the slot comes */
	taken = accept(listen_fd(&e, 0), NULL, NULL);
	ASSERT_GE(taken, 0);
	loop_run_once(e.loop[1], 50);
	EXPECT_EQ(e.set[1]->fronts->closed[CLOSE_HELLO_EVICTED], 1);
	for (int i = 0; i < 10; i++) {
		loop_run_once(e.loop[0], 5);
		loop_run_once(e.loop[1], 5);
	}
	EXPECT_EQ(e.set[0]->accepted, a_accepted);
	EXPECT_EQ(e.set[0]->evict_unused, 1);
	/* only the one past its hello holds a slot; A accepts again */
	EXPECT_EQ(section_active(&e), 1);
	EXPECT_EQ(all_active(&e), 1);
	EXPECT_FALSE(e.set[0]->fronts->ls[0].paused);
	EXPECT_FALSE(e.set[0]->evict_asking);

	close(taken);
	close(wanted);
	close(good);
	close(stranger);
	close(e.up);
	e.up = -1;
	drain(&e);
	EXPECT_EQ(section_active(&e), 0);
	env_free(&e);
}

TEST_HARNESS_MAIN
