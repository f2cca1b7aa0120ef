// SPDX-License-Identifier: GPL-2.0-only
/*
 * uring_relay.c - floor_relay.c's work through io_uring instead of epoll
 * and one system call per operation: does batching the operations of many
 * connections into few io_uring_enter() calls take a relay's CPU per
 * connection below what the system calls themselves cost?
 *
 * Per connection: a multishot accept hands over the client; a recv takes
 * the hello (TCP_DEFER_ACCEPT: it is there); socket() (the one direct
 * system call); connect, send of the hello and the upstream's first recv,
 * linked; then each recv that brings bytes queues their send to the other
 * side, linked with that side's next recv; an EOF queues a shutdown of the
 * other side, or, when both ways have ended, the two closes. Every
 * operation of a loop turn goes in with one io_uring_enter(), which also
 * waits for the next completion. Same command line and limits as
 * floor_relay.c (`uring_relay run -c FILE`, the rate test only).
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define RING_ENTRIES	4096
#define BUF_SIZE	16384

enum op { OP_ACCEPT, OP_HELLO, OP_CONNECT, OP_SEND, OP_RECV, OP_SHUT, OP_CLOSE };

struct conn;

struct side {
	struct conn *c;
	int idx;		/* 0: client, 1: upstream */
	int fd;
	int eof;		/* its recv returned 0 */
	char buf[BUF_SIZE];	/* bytes read from this side */
};

struct conn {
	struct side s[2];
	int inflight;		/* operations not yet completed */
	int failed;
	int closing;
};

static struct io_uring ring;
static struct sockaddr_in upstream;

/* user_data: the side's address, the operation in the low 3 bits. */
static struct io_uring_sqe *sqe_for(struct side *sd, enum op op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	if (!sqe) {
		fprintf(stderr, "uring_relay: no submission entry\n");
		exit(1);
	}
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)sd | (uint64_t)op);
	if (sd)
		sd->c->inflight++;
	return sqe;
}

static void queue_recv(struct side *sd, unsigned int flags)
{
	struct io_uring_sqe *sqe = sqe_for(sd, OP_RECV);

	io_uring_prep_recv(sqe, sd->fd, sd->buf, BUF_SIZE, 0);
	sqe->flags |= flags;
}

/* n bytes of src's buffer to the other side, then src's next recv (linked:
 * the buffer is free again only when the send is done). */
static void queue_forward(struct side *src, size_t n)
{
	struct side *dst = &src->c->s[!src->idx];
	struct io_uring_sqe *sqe = sqe_for(dst, OP_SEND);

	io_uring_prep_send(sqe, dst->fd, src->buf, n, MSG_WAITALL | MSG_NOSIGNAL);
	sqe->flags |= IOSQE_IO_LINK;
	queue_recv(src, 0);
}

static void queue_close(struct conn *c)
{
	int i;

	c->closing = 1;
	for (i = 0; i < 2; i++)
		if (c->s[i].fd >= 0)
			io_uring_prep_close(sqe_for(&c->s[i], OP_CLOSE), c->s[i].fd);
}

/* An EOF from side i: pass it on, or close when both ways have ended. */
static void on_eof(struct conn *c, int i)
{
	c->s[i].eof = 1;
	if (c->s[!i].eof)
		queue_close(c);
	else
		io_uring_prep_shutdown(sqe_for(&c->s[!i], OP_SHUT), c->s[!i].fd, SHUT_WR);
}

/* Something failed: shutdown() wakes the pending recvs (they return 0 or
 * an error); the closes follow when nothing is in flight. */
static void fail(struct conn *c)
{
	int i;

	if (c->failed)
		return;
	c->failed = 1;
	for (i = 0; i < 2; i++)
		if (c->s[i].fd >= 0)
			shutdown(c->s[i].fd, SHUT_RDWR);
}

static void on_hello(struct side *cl, int res)
{
	struct conn *c = cl->c;
	struct side *up = &c->s[1];
	struct io_uring_sqe *sqe;

	if (res <= 0) {
		fail(c);
		return;
	}
	up->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (up->fd < 0) {
		fail(c);
		return;
	}
	sqe = sqe_for(up, OP_CONNECT);
	io_uring_prep_connect(sqe, up->fd, (struct sockaddr *)&upstream, sizeof(upstream));
	sqe->flags |= IOSQE_IO_LINK;
	sqe = sqe_for(up, OP_SEND);
	io_uring_prep_send(sqe, up->fd, cl->buf, (size_t)res, MSG_WAITALL | MSG_NOSIGNAL);
	sqe->flags |= IOSQE_IO_LINK;
	queue_recv(up, 0);
	/* the client's next bytes or EOF; its buffer is free once the hello
	 * is sent, and a client that sends more before the answer (not the
	 * rate test) would overwrite it: a yardstick, not a proxy */
	queue_recv(cl, 0);
}

static void on_accept(int res)
{
	struct conn *c;

	if (res < 0) {
		if (res != -EAGAIN && res != -ECONNABORTED)
			fprintf(stderr, "uring_relay: accept: %s\n", strerror(-res));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(res);
		return;
	}
	c->s[0].c = c;
	c->s[0].fd = res;
	c->s[1].c = c;
	c->s[1].idx = 1;
	c->s[1].fd = -1;
	io_uring_prep_recv(sqe_for(&c->s[0], OP_HELLO), res, c->s[0].buf, BUF_SIZE, 0);
}

static void on_completion(struct io_uring_cqe *cqe, int lfd)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct side *sd = (struct side *)(uintptr_t)(ud & ~(uint64_t)7);
	enum op op = (enum op)(ud & 7);
	struct conn *c;
	int res = cqe->res;

	if (op == OP_ACCEPT) {
		on_accept(res);
		if (!(cqe->flags & IORING_CQE_F_MORE))	/* multishot ended: again */
			io_uring_prep_multishot_accept(sqe_for(NULL, OP_ACCEPT), lfd, NULL, NULL,
						       SOCK_CLOEXEC);
		return;
	}
	c = sd->c;
	c->inflight--;
	if (res < 0 && op != OP_CLOSE)
		fail(c);
	else if (!c->failed && op == OP_HELLO)
		on_hello(sd, res);
	else if (!c->failed && op == OP_RECV && res == 0)
		on_eof(c, sd->idx);
	else if (!c->failed && op == OP_RECV)
		queue_forward(sd, (size_t)res);
	/* a failed connection closes once its last operation is back */
	if (c->failed && !c->inflight && !c->closing)
		queue_close(c);
	if (c->closing && !c->inflight)
		free(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in lis;
	/* completions' task work runs when this thread enters for events,
	 * not by interrupting it: the setup for one thread that batches */
	struct io_uring_params p = {
		.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	int lfd, r;

	relay_conf_or_exit("uring_relay", argc, argv, &lis, &upstream);
	signal(SIGPIPE, SIG_IGN);
	lfd = relay_listen_or_exit("uring_relay", &lis, 0);
	r = io_uring_queue_init_params(RING_ENTRIES, &ring, &p);
	if (r < 0) {
		fprintf(stderr, "uring_relay: io_uring: %s\n", strerror(-r));
		return 1;
	}
	io_uring_prep_multishot_accept(sqe_for(NULL, OP_ACCEPT), lfd, NULL, NULL, SOCK_CLOEXEC);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;

		r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "uring_relay: io_uring_enter: %s\n", strerror(-r));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			on_completion(cqe, lfd);
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
}
