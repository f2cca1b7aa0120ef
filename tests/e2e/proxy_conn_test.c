// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end checks of the per-connection savings of the proxy's
 * connection setup, in a private network namespace with C peers:
 *
 *   - TCP_NODELAY on the upstream socket is set before the second write
 *     to it, not at connect (a first segment is never held by Nagle): the
 *     test takes the proxy's upstream socket with pidfd_getfd() and reads
 *     the option before and after the client sends more;
 *   - copied bytes go through one scratch buffer per loop: bytes a full
 *     client could not take yet must survive another connection's copies
 *     through the same scratch;
 *   - upstream_fastopen: the replay rides in the SYN once the kernel holds
 *     the upstream's cookie (the upstream's accepted socket says so in
 *     TCP_INFO), byte for byte, with a PROXY header too; an upstream
 *     without TFO and the option's default (off) connect as before.
 */
#include "proxy_util.h"

#include <sys/syscall.h>

#define PX_PORT  21110
#define UP_PORT  21111

static const char *conf_fmt =
	"[proxy t]\n"
	"listen = 127.0.0.1:21110\n"
	"route = app.example.com 127.0.0.1:21111%s\n"
	"hello_timeout = 3s\n"
	"connect_timeout = 2s\n"
	"idle_timeout = 10s\n"
	"access_log = no\n"
	"%s";

/* A copy of the proxy's socket connected to 127.0.0.1:port (pidfd_getfd),
 * or -1. */
static int proxy_sock_to(pid_t pid, int port)
{
	char dir[64];
	struct dirent *e;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), found = -1;
	DIR *d;

	if (pidfd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && found < 0 && (e = readdir(d))) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			continue;
		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sin_family == AF_INET &&
		    ntohs(peer.sin_port) == port)
			found = fd;
		else
			close(fd);
	}
	if (d)
		closedir(d);
	close(pidfd);
	return found;
}

static int nodelay(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0)
		return -1;
	return v;
}

/* ---- TCP_NODELAY, copies -------------------------------------------------- */

FIXTURE(conn) {
	pid_t proxy;
	int up;
	char conf[1024];
};

FIXTURE_SETUP(conn)
{
	TH_PRIVATE_NETNS();
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	snprintf(self->conf, sizeof(self->conf), conf_fmt, "", "");
	self->proxy = pu_proxy(self->conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(conn)
{
	pu_kill(self->proxy);
}

TEST_F(conn, upstream_nodelay_from_the_second_write)
{
	uint8_t h[4096], got[4096 + 16];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	int fd, ufd, pfd;

	ASSERT_GT(hl, 0);
	fd = pu_connect("127.0.0.1", PX_PORT);
	ASSERT_GE(fd, 0);
	pu_timeout(fd, 5000);
	ASSERT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(self->up, 3000, 5000);
	ASSERT_GE(ufd, 0);
	ASSERT_EQ(pu_read_n(ufd, got, hl), (ssize_t)hl);
	ASSERT_MEMEQ(got, h, hl);
	pfd = proxy_sock_to(self->proxy, UP_PORT);
	ASSERT_GE(pfd, 0);
	/* one write so far (the replay): no setsockopt yet */
	EXPECT_EQ(nodelay(pfd), 0);
	ASSERT_EQ(pu_write_all(fd, "more", 4), 0);
	ASSERT_EQ(pu_read_n(ufd, got, 4), 4);
	EXPECT_MEMEQ(got, "more", 4);
	/* the second write found Nagle off */
	EXPECT_EQ(nodelay(pfd) > 0, 1);
	ASSERT_EQ(pu_write_all(ufd, "reply", 5), 0);
	ASSERT_EQ(pu_read_n(fd, got, 5), 5);
	EXPECT_MEMEQ(got, "reply", 5);
	close(pfd);
	close(ufd);
	EXPECT_EQ(pu_wait_eof(fd, 2000), 0);
	close(fd);
}

/*
 * Copies of every connection of a loop go through its scratch buffer;
 * bytes a destination cannot take yet must leave it. With splice = no
 * every byte is copied: connection A's client reads nothing while its
 * upstream writes until its socket is full, so the proxy holds bytes it
 * read for A; then connection B's answer is copied through the same
 * scratch; then A's client reads everything. Both checked byte for byte.
 */
FIXTURE(copy) {
	pid_t proxy;
	int up;
	char conf[1024];
};

FIXTURE_SETUP(copy)
{
	TH_PRIVATE_NETNS();
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	snprintf(self->conf, sizeof(self->conf), conf_fmt, "", "splice = no\n");
	self->proxy = pu_proxy(self->conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(copy)
{
	pu_kill(self->proxy);
}

TEST_F(copy, held_bytes_survive_other_connections)
{
	enum { PIECE = 64 << 10, B_LEN = 12000 };
	const size_t a_max = 64u << 20;	/* bounds the fill below */
	static uint8_t buf[PIECE];
	uint8_t h[4096];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h)), a_len = 0;
	int a, b, ua, ub, small = 4096;
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pu_addr("127.0.0.1", PX_PORT, &ss);

	ASSERT_GT(hl, 0);
	a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(a, 0);
	ASSERT_EQ(setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	ASSERT_EQ(connect(a, (struct sockaddr *)&ss, len), 0);
	pu_timeout(a, 5000);
	ASSERT_EQ(pu_write_all(a, h, hl), 0);
	ua = pu_accept(self->up, 3000, 5000);
	ASSERT_GE(ua, 0);
	ASSERT_EQ(pu_read_n(ua, buf, hl), (ssize_t)hl);
	/* A's upstream writes until its socket takes no more: the proxy has
	 * stopped reading, i.e. it holds bytes it could not send to A */
	for (int quiet = 0; quiet < 20 && a_len < a_max;) {
		ssize_t n;

		pu_fill(buf, PIECE, a_len, 1);
		n = send(ua, buf, PIECE, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			a_len += (size_t)n;
			quiet = 0;
		} else {
			ASSERT_EQ(errno, EAGAIN);
			quiet++;
			usleep(10000);	/* the proxy may still be reading */
		}
	}
	ASSERT_LT(a_len, a_max);

	/* B, start to end, through the same scratch */
	b = pu_connect("127.0.0.1", PX_PORT);
	ASSERT_GE(b, 0);
	pu_timeout(b, 5000);
	ASSERT_EQ(pu_write_all(b, h, hl), 0);
	ub = pu_accept(self->up, 3000, 5000);
	ASSERT_GE(ub, 0);
	ASSERT_EQ(pu_read_n(ub, buf, hl), (ssize_t)hl);
	/* in one piece: one read of B's fills the scratch over A's bytes */
	pu_fill(buf, B_LEN, 0, 2);
	ASSERT_EQ(pu_write_all(ub, buf, B_LEN), 0);
	close(ub);
	ASSERT_EQ(pu_read_n(b, buf, B_LEN), B_LEN);
	EXPECT_EQ(pu_check(buf, B_LEN, 0, 2), -1);
	EXPECT_EQ(pu_wait_eof(b, 2000), 0);
	close(b);

	close(ua);
	for (size_t off = 0; off < a_len;) {
		size_t want = a_len - off < PIECE ? a_len - off : PIECE;

		ASSERT_EQ(pu_read_n(a, buf, want), (ssize_t)want);
		ASSERT_EQ(pu_check(buf, want, off, 1), -1);
		off += want;
	}
	EXPECT_EQ(pu_wait_eof(a, 2000), 0);
	close(a);
}

/* ---- upstream_fastopen ----------------------------------------------------- */

FIXTURE(tfo) {
	pid_t proxy;
	int up;
	char conf[1024];
};

FIXTURE_VARIANT(tfo) {
	bool option;		/* upstream_fastopen = yes */
	bool upstream_tfo;	/* the upstream's listener takes TFO */
	bool pp;		/* the route sends a PROXY v1 header */
};

FIXTURE_VARIANT_ADD(tfo, on_tfo_upstream) { .option = true, .upstream_tfo = true };
FIXTURE_VARIANT_ADD(tfo, on_tfo_upstream_proxy_header) { .option = true, .upstream_tfo = true, .pp = true };
FIXTURE_VARIANT_ADD(tfo, on_upstream_without_tfo) { .option = true };
FIXTURE_VARIANT_ADD(tfo, off_by_default) { .upstream_tfo = true };

FIXTURE_SETUP(tfo)
{
	TH_PRIVATE_NETNS();
	/* this namespace's: client and server sides of TFO */
	ASSERT_EQ(th_sh("echo 3 > /proc/sys/net/ipv4/tcp_fastopen"), 0);
	self->up = pu_listen("127.0.0.1", UP_PORT);
	ASSERT_GE(self->up, 0);
	if (variant->upstream_tfo) {
		int qlen = 64;

		ASSERT_EQ(setsockopt(self->up, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
	}
	snprintf(self->conf, sizeof(self->conf), conf_fmt, variant->pp ? " proxy_protocol=v1" : "",
		 variant->option ? "upstream_fastopen = yes\n" : "");
	self->proxy = pu_proxy(self->conf, PX_PORT, 0, NULL);
	ASSERT_GT(self->proxy, 0);
}

FIXTURE_TEARDOWN(tfo)
{
	pu_kill(self->proxy);
}

/* One exchange; 1 when the upstream got its first bytes in the SYN, 0
 * when not, -1 on a failure (the byte checks are the caller's asserts). */
static int tfo_exchange(struct th_metadata *_metadata, FIXTURE(tfo) *self, bool pp)
{
	uint8_t h[4096], got[4096 + 128];
	size_t hl = pu_seed("openssl_tls13_sni.bin", h, sizeof(h));
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	int fd, ufd, syn_data;

	if (!hl)
		return -1;
	fd = pu_connect("127.0.0.1", PX_PORT);
	if (fd < 0)
		return -1;
	pu_timeout(fd, 5000);
	EXPECT_EQ(pu_write_all(fd, h, hl), 0);
	ufd = pu_accept(self->up, 3000, 5000);
	if (ufd < 0) {
		close(fd);
		return -1;
	}
	memset(&ti, 0, sizeof(ti));
	EXPECT_EQ(getsockopt(ufd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	syn_data = !!(ti.tcpi_options & TCPI_OPT_SYN_DATA);
	if (pp) {
		size_t n = 0;

		/* "PROXY TCP4 127.0.0.1 127.0.0.1 SPORT 21110\r\n" */
		while (n < 107 && pu_read_n(ufd, got + n, 1) == 1 && got[n++] != '\n')
			;
		got[n] = 0;
		EXPECT_EQ(strncmp((char *)got, "PROXY TCP4 127.0.0.1 127.0.0.1 ", 31), 0);
		EXPECT_NE(strstr((char *)got, " 21110\r\n"), NULL);
	}
	EXPECT_EQ(pu_read_n(ufd, got, hl), (ssize_t)hl);
	EXPECT_MEMEQ(got, h, hl);
	EXPECT_EQ(pu_write_all(ufd, "server-hello", 12), 0);
	close(ufd);
	EXPECT_EQ(pu_read_n(fd, got, 12), 12);
	EXPECT_MEMEQ(got, "server-hello", 12);
	EXPECT_EQ(pu_wait_eof(fd, 2000), 0);
	close(fd);
	return syn_data;
}

/*
 * The first connection has no cookie yet (its SYN asks for one); from the
 * second on the replay rides in the SYN, when the option is on and the
 * upstream takes TFO. Every connection gets its bytes through either way.
 */
TEST_F(tfo, replay_in_the_syn_only_when_both_sides_allow)
{
	bool want = variant->option && variant->upstream_tfo;

	EXPECT_EQ(tfo_exchange(_metadata, self, variant->pp), 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(tfo_exchange(_metadata, self, variant->pp), want ? 1 : 0);
}

TEST_HARNESS_MAIN
