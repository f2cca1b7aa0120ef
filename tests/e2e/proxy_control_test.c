// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests of the proxy's control surface: reload (routes and
 * listeners change, established connections survive), per-route
 * counters as the daemon exports them, the read/write path (splice = no)
 * byte-exact, and the byte-transform hook that terminate= routes use.
 */
#include "proxy_util.h"

#include "proxy/proxy_int.h"

#define PX_PORT  21400
#define PX_PORT2 21401
#define UP1      21402
#define UP2      21403

/* Connect to port, send the seed hello; the client fd. */
static int hello_client(int port, const char *seed, size_t *hl)
{
	uint8_t h[4096];
	int fd;

	*hl = pu_seed(seed, h, sizeof(h));
	fd = pu_connect("127.0.0.1", port);
	if (fd < 0 || !*hl)
		return -1;
	pu_timeout(fd, 5000);
	if (pu_write_all(fd, h, *hl)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Both ways through an established pair. */
static int exchange(int cfd, int ufd, const char *msg)
{
	char buf[64];
	size_t n = strlen(msg);

	if (pu_write_all(cfd, msg, n) || pu_read_n(ufd, buf, n) != (ssize_t)n || memcmp(buf, msg, n))
		return -1;
	if (pu_write_all(ufd, msg, n) || pu_read_n(cfd, buf, n) != (ssize_t)n || memcmp(buf, msg, n))
		return -1;
	return 0;
}

TEST_TIMEOUT(reload_changes_routes_and_listeners_established_survive, 30)
{
	static const char *c1 =
		"[proxy r]\nlisten = 127.0.0.1:21400\nroute = app.example.com 127.0.0.1:21402\naccess_log = no\n";
	static const char *c2 =
		"[proxy r]\nlisten = 127.0.0.1:21401\nroute = app.example.com 127.0.0.1:21403\naccess_log = no\n";
	uint8_t skip[4096];
	int up1, up2, c_old, u_old, c_new, u_new;
	size_t hl;
	pid_t px;

	TH_PRIVATE_NETNS();
	up1 = pu_listen("127.0.0.1", UP1);
	up2 = pu_listen("127.0.0.1", UP2);
	pu_reload_conf = c2;
	px = pu_proxy(c1, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	c_old = hello_client(PX_PORT, "openssl_tls13_sni.bin", &hl);
	ASSERT_GE(c_old, 0);
	u_old = pu_accept(up1, 3000, 5000);
	ASSERT_GE(u_old, 0);
	ASSERT_EQ(pu_read_n(u_old, skip, hl), (ssize_t)hl);
	ASSERT_EQ(exchange(c_old, u_old, "before"), 0);
	kill(px, SIGHUP);
	/* the old listener goes, the new one comes */
	{
		int r = 0;

		for (int i = 0; i < 150 && r != -ECONNREFUSED; i++, usleep(20000)) {
			r = pu_connect("127.0.0.1", PX_PORT);
			if (r >= 0)
				close(r);
		}
		ASSERT_EQ(r, -ECONNREFUSED);
	}
	c_new = -1;
	for (int i = 0; i < 100 && c_new < 0; i++, usleep(20000))
		c_new = hello_client(PX_PORT2, "openssl_tls13_sni.bin", &hl);
	ASSERT_GE(c_new, 0);
	/* new connections take the new route */
	u_new = pu_accept(up2, 3000, 5000);
	ASSERT_GE(u_new, 0);
	ASSERT_EQ(pu_read_n(u_new, skip, hl), (ssize_t)hl);
	ASSERT_EQ(exchange(c_new, u_new, "new"), 0);
	/* the established one still works, on its old upstream */
	ASSERT_EQ(exchange(c_old, u_old, "after"), 0);
	close(c_old);
	EXPECT_EQ(pu_wait_eof(u_old, 2000), 0);
	close(u_old);
	close(c_new);
	close(u_new);
	pu_kill(px);
}

TEST_TIMEOUT(per_route_counters, 30)
{
	static const char *conf =
		"[proxy m]\nlisten = 127.0.0.1:21400\n"
		"route = app.example.com 127.0.0.1:21402\n"
		"route = *.example.org 127.0.0.1:21499 127.0.0.1:21403\n"
		"no_sni = 127.0.0.1:21403\naccess_log = no\n";
	char mfile[64], text[65536];
	uint8_t skip[4096];
	int up1, up2, c, u;
	size_t hl;
	pid_t px;

	TH_PRIVATE_NETNS();
	up1 = pu_listen("127.0.0.1", UP1);
	up2 = pu_listen("127.0.0.1", UP2);
	snprintf(mfile, sizeof(mfile), "/tmp/es-proxy-metrics-%d", (int)getpid());
	pu_metrics_file = mfile;
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	/* app.example.com: 321-byte hello + 5 up, 7 down */
	c = hello_client(PX_PORT, "openssl_tls13_sni.bin", &hl);
	u = pu_accept(up1, 3000, 5000);
	ASSERT_GE(u, 0);
	ASSERT_EQ(pu_read_n(u, skip, hl), (ssize_t)hl);
	ASSERT_EQ(pu_write_all(c, "12345", 5), 0);
	ASSERT_EQ(pu_read_n(u, skip, 5), 5);
	ASSERT_EQ(pu_write_all(u, "1234567", 7), 0);
	ASSERT_EQ(pu_read_n(c, skip, 7), 7);
	close(c);
	close(u);
	/* www.example.org: first upstream refused, second serves */
	c = hello_client(PX_PORT, "openssl_tls12_sni.bin", &hl);
	u = pu_accept(up2, 3000, 5000);
	ASSERT_GE(u, 0);
	close(c);
	close(u);
	/* no SNI */
	c = hello_client(PX_PORT, "openssl_nosni.bin", &hl);
	u = pu_accept(up2, 3000, 5000);
	ASSERT_GE(u, 0);
	close(c);
	close(u);
	/* unrouted */
	c = hello_client(PX_PORT, "curl_sni.bin", &hl);
	EXPECT_GT(pu_wait_eof(c, 2000), 0);	/* the alert */
	close(c);
	usleep(200000);
	pu_metrics(px, text, sizeof(text));
	ASSERT_NE(text[0], 0);
#define M(s) pu_metric(text, s)
	EXPECT_EQ(M("edgesteer_proxy_route_connections_total{proxy=\"m\",route=\"app.example.com\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_route_bytes_total{proxy=\"m\",route=\"app.example.com\",direction=\"up\"}"), 321 + 5);
	EXPECT_EQ(M("edgesteer_proxy_route_bytes_total{proxy=\"m\",route=\"app.example.com\",direction=\"down\"}"), 7);
	EXPECT_EQ(M("edgesteer_proxy_route_connections_total{proxy=\"m\",route=\"*.example.org\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_route_connect_failures_total{proxy=\"m\",route=\"*.example.org\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_route_connections_total{proxy=\"m\",route=\"<no_sni>\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_route_connections_total{proxy=\"m\",route=\"<unrouted>\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_closed_total{proxy=\"m\",reason=\"unrouted\"}"), 1);
	EXPECT_EQ(M("edgesteer_proxy_closed_total{proxy=\"m\",reason=\"hello_eof\"}"), 1);	/* readiness probe */
	EXPECT_EQ(M("edgesteer_proxy_active_connections{proxy=\"m\"}"), 0);
	EXPECT_EQ(M("edgesteer_proxy_accepted_total{proxy=\"m\"}"), 5);
#undef M
	/* spare pipes stay in the pool for a second after the last close */
	for (int i = 0; i < 30 && pu_metric(text, "edgesteer_proxy_pooled_pipes{proxy=\"m\"}") != 0; i++) {
		usleep(200000);
		pu_metrics(px, text, sizeof(text));
	}
	EXPECT_EQ(pu_metric(text, "edgesteer_proxy_pooled_pipes{proxy=\"m\"}"), 0);
	pu_kill(px);
	unlink(mfile);
}

/* ---- read/write path ----------------------------------------------------- */

#define COPY_BYTES (64u << 20)

struct sink { int lfd; size_t hl; const char *err; };

static void *copy_upstream(void *arg)
{
	struct sink *s = arg;
	uint8_t *buf = malloc(1 << 16);
	uint64_t off = 0;
	int fd = pu_accept(s->lfd, 5000, 5000);

	if (fd < 0 || pu_read_n(fd, buf, s->hl) != (ssize_t)s->hl) {
		s->err = "no hello";
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, 1 << 16, 0);

		if (n <= 0)
			break;
		if (pu_check(buf, (size_t)n, off, 7) >= 0) {
			s->err = "bytes differ";
			break;
		}
		off += (uint64_t)n;
	}
	if (!s->err && off != COPY_BYTES)
		s->err = "short";
	/* echo a checksum-free answer back: the stream again, 1 MiB */
	for (uint64_t o = 0; !s->err && o < (1u << 20); o += 1 << 16) {
		pu_fill(buf, 1 << 16, o, 9);
		if (pu_write_all(fd, buf, 1 << 16))
			s->err = "write back";
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

TEST_TIMEOUT(read_write_path_byte_exact_with_splice_off, 60)
{
	static const char *conf =
		"[proxy c]\nlisten = 127.0.0.1:21400\ndefault = 127.0.0.1:21402\nsplice = no\naccess_log = no\n";
	uint8_t *buf = malloc(1 << 16);
	struct sink s = { 0 };
	uint64_t off = 0;
	pthread_t t;
	int fd;

	TH_PRIVATE_NETNS();
	s.lfd = pu_listen("127.0.0.1", UP1);
	ASSERT_GT(pu_proxy(conf, PX_PORT, 0, NULL), 0);
	fd = hello_client(PX_PORT, "openssl_tls13_sni.bin", &s.hl);
	ASSERT_GE(fd, 0);
	pthread_create(&t, NULL, copy_upstream, &s);
	for (uint64_t o = 0; o < COPY_BYTES; o += 1 << 16) {
		pu_fill(buf, 1 << 16, o, 7);
		ASSERT_EQ(pu_write_all(fd, buf, 1 << 16), 0);
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf, 1 << 16, 0);

		if (n <= 0)
			break;
		ASSERT_EQ(pu_check(buf, (size_t)n, off, 9), -1);
		off += (uint64_t)n;
	}
	pthread_join(t, NULL);
	EXPECT_EQ(s.err, NULL);
	EXPECT_EQ(off, 1u << 20);
	close(fd);
	free(buf);
}

/* ---- the transform hook ---------------------------------------------------- */

/* A stand-in for TLS termination: eats the hello, XORs the client side. */
struct xs { int dummy; };

static int xf_open(const struct conf_route *r, int fd, const struct sockaddr *peer, const uint8_t *hello,
		   size_t len, void **state)
{
	if (len < 5 || hello[0] != 0x16)
		return -EPROTO;
	*state = calloc(1, sizeof(struct xs));
	return *state ? 0 : -ENOMEM;
}

static ssize_t xf_read(void *state, int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	for (ssize_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] ^= 0x5a;
	return n;
}

static ssize_t xf_write(void *state, int fd, const void *buf, size_t len)
{
	uint8_t tmp[4096];

	if (len > sizeof(tmp))
		len = sizeof(tmp);
	for (size_t i = 0; i < len; i++)
		tmp[i] = ((const uint8_t *)buf)[i] ^ 0x5a;
	return send(fd, tmp, len, MSG_NOSIGNAL);
}

static int xf_shutdown(void *state, int fd)
{
	return shutdown(fd, SHUT_WR) ? -errno : 0;
}

static uint32_t xf_want(void *state)
{
	return 0;
}

static void xf_close(void *state)
{
	free(state);
}

static const struct conn_xform_ops xor_ops = {
	.name = "xor", .open = xf_open, .read = xf_read, .write = xf_write,
	.shutdown_wr = xf_shutdown, .want = xf_want, .close = xf_close,
};

static void register_xor(void)
{
	conn_register_xform(&xor_ops);
}

TEST_TIMEOUT(terminate_route_uses_the_transform_hook, 30)
{
	static const char *conf =
		"[proxy x]\nlisten = 127.0.0.1:21400\n"
		"route = app.example.com 127.0.0.1:21402 terminate=/etc/hostname,/etc/hostname\n"
		"access_log = no\n";
	uint8_t in[16], out[16];
	size_t hl;
	int up, c, u;
	pid_t px;

	TH_PRIVATE_NETNS();
	up = pu_listen("127.0.0.1", UP1);
	/* without a registered transform the route is refused at start */
	EXPECT_LT(pu_proxy(conf, PX_PORT, 0, "/dev/null"), 0);
	pu_child_init = register_xor;
	px = pu_proxy(conf, PX_PORT, 0, NULL);
	ASSERT_GT(px, 0);
	c = hello_client(PX_PORT, "openssl_tls13_sni.bin", &hl);
	ASSERT_GE(c, 0);
	u = pu_accept(up, 3000, 5000);
	ASSERT_GE(u, 0);
	/* the upstream sees plaintext, not the hello: the transform took it */
	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)("plaintxt"[i] ^ 0x5a);
	ASSERT_EQ(pu_write_all(c, in, 8), 0);
	ASSERT_EQ(pu_read_n(u, out, 8), 8);
	EXPECT_MEMEQ(out, "plaintxt", 8);
	ASSERT_EQ(pu_write_all(u, "response", 8), 0);
	ASSERT_EQ(pu_read_n(c, out, 8), 8);
	for (int i = 0; i < 8; i++)
		out[i] ^= 0x5a;
	EXPECT_MEMEQ(out, "response", 8);
	close(u);
	EXPECT_EQ(pu_wait_eof(c, 2000), 0);
	close(c);
	pu_kill(px);
}

TEST_TIMEOUT(failed_reload_changes_nothing, 30)
{
	static const char *c1 =
		"[proxy r]\nlisten = 127.0.0.1:21400\nroute = app.example.com 127.0.0.1:21402\naccess_log = no\n";
	/* 192.0.2.1 is not on this host: bind fails, the reload must not apply */
	static const char *c2 =
		"[proxy r]\nlisten = 192.0.2.1:21400\nroute = app.example.com 127.0.0.1:21403\naccess_log = no\n";
	uint8_t skip[4096];
	int up1, c, u;
	size_t hl;
	pid_t px;

	TH_PRIVATE_NETNS();
	up1 = pu_listen("127.0.0.1", UP1);
	pu_reload_conf = c2;
	px = pu_proxy(c1, PX_PORT, 0, "/dev/null");
	ASSERT_GT(px, 0);
	kill(px, SIGHUP);
	usleep(200000);
	c = hello_client(PX_PORT, "openssl_tls13_sni.bin", &hl);
	ASSERT_GE(c, 0);
	u = pu_accept(up1, 3000, 5000);
	ASSERT_GE(u, 0);
	ASSERT_EQ(pu_read_n(u, skip, hl), (ssize_t)hl);
	EXPECT_EQ(exchange(c, u, "still"), 0);
	close(c);
	close(u);
	pu_kill(px);
}

TEST_HARNESS_MAIN
