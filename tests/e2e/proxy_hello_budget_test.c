// SPDX-License-Identifier: GPL-2.0-only
/*
 * The proxy's pre-authentication budget: clients that connect and never
 * send a hello fill max_connections (of the [proxy] or [global]), yet a
 * good client is still admitted, because the oldest connection still in
 * its hello is closed to make room (counted as hello_evicted). Clients
 * past their hello are never evicted, the limit is never exceeded, and
 * the stalled ones that kept a slot are closed at hello_timeout. On a
 * terminate= route the same holds for clients that send a ClientHello
 * and then stall the TLS handshake. Private network namespace per test.
 */
#include "proxy_util.h"

#include "proxy/tls_term.h"

#define PX_PORT 21310
#define UP_PORT 21311
#define STALLED 100
#define GOOD 20
#define LIMIT 20
#define ESTABLISHED 5

/* A client that sends its hello and gets it echoed: 0 or -1. The read
 * timeout is far below hello_timeout, so waiting for a stalled client's
 * slot to expire does not count as being admitted. */
static int roundtrip(int fd, const uint8_t *h, size_t hl)
{
	uint8_t back[4096];

	pu_timeout(fd, 3000);
	if (pu_write_all(fd, h, hl) || pu_read_n(fd, back, hl) != (ssize_t)hl || memcmp(back, h, hl))
		return -1;
	return 0;
}

static void stalled_cannot_lock_out(struct th_metadata *_metadata, int global, int local)
{
	static const char *fmt =
		"[global]\nmax_connections = %d\n"
		"[proxy lim]\nlisten = 127.0.0.1:21310\ndefault = 127.0.0.1:21311\n"
		"hello_timeout = 10s\nidle_timeout = 30s\nmax_connections = %d\n";
	int stalled[STALLED], est[ESTABLISHED], good = 0, closed = 0;
	char conf[512], mfile[64], m[65536];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	long long evicted;
	struct pu_echo e;
	double t0;
	pid_t px;

	ASSERT_GT(hl, 0);
	TH_PRIVATE_NETNS();
	ASSERT_EQ(pu_echo_start(&e, UP_PORT), 0);
	snprintf(mfile, sizeof(mfile), "/tmp/es-hello-budget-%d.prom", (int)getpid());
	pu_metrics_file = mfile;
	snprintf(conf, sizeof(conf), fmt, global, local);
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	usleep(50000);	/* the readiness probe's connection is gone (hello_eof) */
	/* established connections, past their hello: never evicted */
	for (int i = 0; i < ESTABLISHED; i++) {
		est[i] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(est[i], 0);
		ASSERT_EQ(roundtrip(est[i], h, hl), 0);
	}
	/* strangers that connect and say nothing, five times the slots left */
	t0 = th_now();
	for (int i = 0; i < STALLED; i++) {
		stalled[i] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(stalled[i], 0);
	}
	/* every stranger accepted first (bounded wait): with workers, a
	 * worker still behind on its backlog would otherwise accept
	 * strangers after a good client and, "oldest" being per worker,
	 * may close the good one before its hello is read */
	for (int i = 0; i < 50; i++) {
		pu_metrics(px, m, sizeof(m));
		if (pu_metric(m, "edgesteer_proxy_accepted_total{proxy=\"lim\"}") >= 1 + ESTABLISHED + STALLED)
			break;
		usleep(100000);
	}
	/* with workers, a worker paused at the limit with no stranger of
	 * its own gets the slot another worker frees for it, so this does
	 * not fall short (docs/proxy-performance.md) */
	TH_LOG("accepted before the good clients: %lld of %d",
	       pu_metric(m, "edgesteer_proxy_accepted_total{proxy=\"lim\"}"), 1 + ESTABLISHED + STALLED);
	/* good clients, one after another, each admitted and served */
	for (int i = 0; i < GOOD; i++) {
		int fd = pu_connect("127.0.0.1", PX_PORT);

		good += fd >= 0 && roundtrip(fd, h, hl) == 0;
		if (fd >= 0)
			close(fd);
	}
	TH_LOG("%d of %d good clients served with %d stalled connections against max_connections %d",
	       good, GOOD, STALLED, LIMIT);
	EXPECT_EQ(good, GOOD);
	/* the established ones still work */
	for (int i = 0; i < ESTABLISHED; i++)
		EXPECT_EQ(roundtrip(est[i], h, hl), 0);
	pu_metrics(px, m, sizeof(m));
	evicted = pu_metric(m, "edgesteer_proxy_closed_total{proxy=\"lim\",reason=\"hello_evicted\"}");
	TH_LOG("hello_evicted %lld", evicted);
	/* all but the slots left free, at least; a good client that closes
	 * frees its slot for the next one */
	EXPECT_GE(evicted, STALLED - (LIMIT - ESTABLISHED));
	EXPECT_LE(pu_metric(m, "edgesteer_proxy_active_connections{proxy=\"lim\"}"), LIMIT);
	/* every stalled one is closed: evicted, or at hello_timeout (10 s) */
	for (int i = 0; i < STALLED; i++) {
		int left = (int)((13.0 - (th_now() - t0)) * 1000);
		int r = pu_wait_eof(stalled[i], left > 0 ? left : 1);

		closed += r <= 0 && r != -ETIMEDOUT;
		close(stalled[i]);
	}
	EXPECT_EQ(closed, STALLED);
	for (int i = 0; i < ESTABLISHED; i++)
		close(est[i]);
	pu_kill(px);
	pu_echo_stop(&e);
	unlink(mfile);
}

TEST_TIMEOUT(stalled_hellos_cannot_lock_out_good_clients, 60)
{
	stalled_cannot_lock_out(_metadata, 0, LIMIT);
}

TEST_TIMEOUT(stalled_hellos_cannot_lock_out_good_clients_at_global_limit, 60)
{
	stalled_cannot_lock_out(_metadata, LIMIT, 1000);
}

/* n TLS clients through the terminating route, one after another, from
 * one python process (its start-up is not counted against a client:
 * under load it can take seconds): the number that got "ping" back, or
 * -1. Each step of a client (connect, every handshake read, the answer)
 * waits at most 3 s, far below hello_timeout, so waiting for a stalled
 * client's slot to expire does not count as being admitted. */
static int tls_pings(const char *certs, int n)
{
	char out[64];

	if (th_sh_out(out, sizeof(out), "timeout 60 python3 -c '\n"
		      "import socket, ssl, sys\n"
		      "ctx = ssl.create_default_context(cafile=\"%s/ca.crt\")\n"
		      "ctx.check_hostname = False\n"
		      "ok = 0\n"
		      "for i in range(%d):\n"
		      "    try:\n"
		      "        s = socket.create_connection((\"127.0.0.1\", %d), timeout=3)\n"
		      "        t = ctx.wrap_socket(s, server_hostname=\"app.example.com\")\n"
		      "        t.sendall(b\"ping\")\n"
		      "        ok += t.recv(4) == b\"ping\"\n"
		      "        t.close()\n"
		      "    except Exception as e:\n"
		      "        print(\"# client %%d: %%s\" %% (i, e), file=sys.stderr)\n"
		      "print(ok)\n'", certs, n, PX_PORT))
		return -1;
	return atoi(out);
}

TEST_TIMEOUT(stalled_tls_handshakes_cannot_lock_out_good_clients_on_terminate_route, 90)
{
	const char *src = getenv("EDGESTEER_SRC");
	int stalled[STALLED], good = 0, closed = 0;
	char conf[1024], dir[64], certs[96], mfile[96], m[65536];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	long long evicted;
	struct pu_echo e;
	double t0;
	pid_t px;

	ASSERT_GT(hl, 0);
	TH_PRIVATE_NETNS();
	snprintf(dir, sizeof(dir), "/tmp/es-hello-budget-%d", (int)getpid());
	snprintf(certs, sizeof(certs), "%s/certs", dir);
	th_sh("rm -rf %s", dir);
	if (th_sh("%s/scripts/mkcerts.sh %s app.example.com >/dev/null", src ? src : ".", certs))
		SKIP(return, "scripts/mkcerts.sh failed (openssl missing?)");
	ASSERT_EQ(pu_echo_start(&e, UP_PORT), 0);
	snprintf(mfile, sizeof(mfile), "%s/m.prom", dir);
	pu_metrics_file = mfile;
	snprintf(conf, sizeof(conf),
		 "[proxy lim]\nlisten = 127.0.0.1:%d\nprotocol = tls\nhello_timeout = 10s\n"
		 "idle_timeout = 30s\nmax_connections = %d\n"
		 "route = app.example.com 127.0.0.1:%d terminate=%s/server.crt,%s/server.key\n",
		 PX_PORT, LIMIT, UP_PORT, certs, certs);
	pu_child_init = tls_term_register;
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	usleep(50000);
	ASSERT_EQ(tls_pings(certs, 1), 1);
	/* strangers: a real ClientHello, then silence in the handshake */
	t0 = th_now();
	for (int i = 0; i < STALLED; i++) {
		stalled[i] = pu_connect("127.0.0.1", PX_PORT);
		ASSERT_GE(stalled[i], 0);
		ASSERT_EQ(pu_write_all(stalled[i], h, hl), 0);
	}
	/* every stranger accepted first (bounded wait), as above: a
	 * stranger accepted after a good client may close it, "oldest" being
	 * per worker; then let the proxy read their hellos: the slots are
	 * all held by connections in the TLS handshake, past the hello */
	for (int i = 0; i < 50; i++) {
		pu_metrics(px, m, sizeof(m));
		if (pu_metric(m, "edgesteer_proxy_accepted_total{proxy=\"lim\"}") >= 2 + STALLED)
			break;
		usleep(100000);
	}
	TH_LOG("accepted before the good clients: %lld of %d",
	       pu_metric(m, "edgesteer_proxy_accepted_total{proxy=\"lim\"}"), 2 + STALLED);
	usleep(300000);
	good = tls_pings(certs, GOOD);
	TH_LOG("%d of %d TLS clients served with %d stalled handshakes against max_connections %d",
	       good, GOOD, STALLED, LIMIT);
	EXPECT_EQ(good, GOOD);
	pu_metrics(px, m, sizeof(m));
	evicted = pu_metric(m, "edgesteer_proxy_closed_total{proxy=\"lim\",reason=\"hello_evicted\"}");
	TH_LOG("hello_evicted %lld, transform_error %lld, active %lld", evicted,
	       pu_metric(m, "edgesteer_proxy_closed_total{proxy=\"lim\",reason=\"transform_error\"}"),
	       pu_metric(m, "edgesteer_proxy_active_connections{proxy=\"lim\"}"));
	EXPECT_GE(evicted, STALLED - LIMIT);
	th_sh("grep 'closed_total.*lim' %s | grep -v ' 0$' | sed 's/^/# /'", mfile);
	for (int i = 0; i < STALLED; i++) {
		int left, r;

		/* the server's handshake records come first, then EOF */
		do {
			left = (int)((13.0 - (th_now() - t0)) * 1000);
			r = pu_wait_eof(stalled[i], left > 0 ? left : 1);
		} while (r > 0);
		closed += r != -ETIMEDOUT;
		close(stalled[i]);
	}
	EXPECT_EQ(closed, STALLED);
	pu_kill(px);
	pu_echo_stop(&e);
	th_sh("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
