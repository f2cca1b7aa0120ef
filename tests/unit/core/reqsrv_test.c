// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of reqsrv, the bounded request/response server of the
 * control socket and the metrics listener. */
#include "harness.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/reqsrv.h"

static size_t line_complete(const char *req, size_t len)
{
	const char *nl = memchr(req, '\n', len);

	return nl ? (size_t)(nl - req) + 1 : 0;
}

static void echo_handle(void *ctx, int role, char *req, size_t len, struct reqsrv_reply *r)
{
	(void)ctx;
	(void)role;
	reqsrv_append(r, req, len);
}

static const struct reqsrv_ops echo_ops = {
	.complete = line_complete,
	.handle = echo_handle,
	.refusal = "busy\n",
	.name = "test",
	.req_max = 256,
	.timeout_ms = 5000,
};

/* A listening abstract unix socket unique to this process. */
static int listen_unix(struct sockaddr_un *sun, socklen_t *slen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "es-review-reqsrv-%d", getpid());
	*slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sun->sun_path + 1));
	if (fd < 0 || bind(fd, (struct sockaddr *)sun, *slen) < 0 || listen(fd, 16) < 0)
		return -1;
	return fd;
}

TEST(answers_one_request)
{
	struct sockaddr_un sun;
	struct reqsrv *s;
	struct loop *l;
	socklen_t slen;
	char buf[64];
	int lfd, cfd, i;
	ssize_t n = 0;

	ASSERT_EQ(loop_new(&l), 0);
	lfd = listen_unix(&sun, &slen);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(reqsrv_start(l, lfd, &echo_ops, NULL, &s), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(cfd, (struct sockaddr *)&sun, slen), 0);
	ASSERT_EQ(send(cfd, "ping\n", 5, 0), 5);
	for (i = 0; i < 20 && n <= 0; i++) {
		ASSERT_EQ(loop_run_once(l, 50), 0);
		n = recv(cfd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	ASSERT_EQ(n, 5);
	EXPECT_MEMEQ(buf, "ping\n", 5);
	close(cfd);
	reqsrv_free(s);
	loop_free(l);
}

/*
 * EMFILE must not become a busy loop (docs/design.md, Never block the
 * accept path; a deadline on every read). The pending connection
 * stays in the backlog, so a listener that keeps its EPOLLIN interest
 * after accept4() failed is reported again at once, forever. Count loop
 * iterations while out of fds: waiting 50 ms each, 400 ms allow a dozen;
 * a spinning listener makes thousands. Then fds come back and the
 * client is served.
 */
TEST_TIMEOUT(emfile_pauses_instead_of_spinning, 20)
{
	struct sockaddr_un sun;
	struct rlimit rl;
	struct reqsrv *s;
	struct loop *l;
	socklen_t slen;
	int lfd, cfd, fill[64], nfill = 0, iters = 0, i;
	double t0;
	char buf[16];
	ssize_t n = 0;

	ASSERT_EQ(loop_new(&l), 0);
	lfd = listen_unix(&sun, &slen);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(reqsrv_start(l, lfd, &echo_ops, NULL, &s), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(cfd, 0);
	/* Use up every fd: lower the limit just above what is open, fill. */
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)cfd + 8;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (nfill < 64) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		fill[nfill++] = fd;
	}
	ASSERT_LT(nfill, 64);
	ASSERT_EQ(connect(cfd, (struct sockaddr *)&sun, slen), 0);
	ASSERT_EQ(send(cfd, "x\n", 2, 0), 2);
	t0 = th_now();
	while (th_now() - t0 < 0.4) {
		ASSERT_EQ(loop_run_once(l, 50), 0);
		iters++;
	}
	TH_LOG("%d loop iterations in 400 ms while out of fds", iters);
	EXPECT_LT(iters, 40);
	/* fds come back: the client is answered within the retry delay */
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	for (i = 0; i < 40 && n <= 0; i++) {
		ASSERT_EQ(loop_run_once(l, 50), 0);
		n = recv(cfd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	EXPECT_EQ(n, 2);
	close(cfd);
	reqsrv_free(s);
	loop_free(l);
}

/*
 * Strangers holding idle connections must not lock out a client with a
 * real request: with every slot and more taken by sockets that never
 * send, a new client is still answered (the oldest idle one is closed
 * to admit it), and the evictions are counted.
 */
TEST_TIMEOUT(idle_clients_cannot_lock_out_a_real_request, 20)
{
	struct reqsrv_stats st;
	struct sockaddr_un sun;
	struct reqsrv *s;
	struct loop *l;
	socklen_t slen;
	int lfd, cfd, idle[64], i;
	char buf[64];
	ssize_t n = 0;

	ASSERT_EQ(loop_new(&l), 0);
	lfd = listen_unix(&sun, &slen);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(reqsrv_start(l, lfd, &echo_ops, NULL, &s), 0);
	for (i = 0; i < 64; i++) {
		idle[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_EQ(connect(idle[i], (struct sockaddr *)&sun, slen), 0);
		/* let the server accept, so the backlog never fills */
		ASSERT_EQ(loop_run_once(l, 0), 0);
	}
	for (i = 0; i < 10; i++)
		ASSERT_EQ(loop_run_once(l, 10), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(connect(cfd, (struct sockaddr *)&sun, slen), 0);
	ASSERT_EQ(send(cfd, "ping\n", 5, 0), 5);
	for (i = 0; i < 40 && n <= 0; i++) {
		ASSERT_EQ(loop_run_once(l, 50), 0);
		n = recv(cfd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	ASSERT_EQ(n, 5);
	EXPECT_MEMEQ(buf, "ping\n", 5);
	reqsrv_get_stats(s, &st);
	TH_LOG("evicted %llu, refused busy %llu", (unsigned long long)st.evicted,
	       (unsigned long long)st.refused_busy);
	EXPECT_GE(st.evicted, 64 - REQSRV_MAX_CLIENTS + 1);
	EXPECT_EQ(st.refused_busy, 0);
	for (i = 0; i < 64; i++)
		close(idle[i]);
	close(cfd);
	reqsrv_free(s);
	loop_free(l);
}

TEST_HARNESS_MAIN
