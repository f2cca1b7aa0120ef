// SPDX-License-Identifier: GPL-2.0-only
/*
 * conn.c - one proxied connection: peek, route, connect, replay, splice.
 *
 * How it works. A connection owns two sockets (client, upstream), one
 * timer and, only while bytes are in flight, up to two pipes; nothing
 * else touches them (docs/design.md, One owner per duplex socket). It
 * walks enum conn_state:
 *
 *   HELLO --route--> CONNECT --ok--> REPLAY --all sent--> SPLICE --EOF both--> closed
 *     |  \--no route--> REFUSE (alert / 421, SHUT_WR, read to EOF) --> closed
 *     \--bad, timeout, EOF--> closed      CONNECT --fail--> next upstream / closed
 *
 * HELLO reads (never peeks) the client's first bytes into a buffer that
 * grows to at most SNI_MAX_HELLO and parses them after every read, so a
 * hello spread over any number of segments and records is found; REPLAY
 * writes exactly those bytes, after the PROXY header if any, to the
 * upstream before anything else moves (docs/design.md, Peek, route,
 * replay). Accepting does no I/O beyond accept4() itself.
 *
 * Deadlines. Every state is entered through conn_enter(c, state, ms),
 * which sets the state, the epoll interest that state needs on both
 * sockets and the state's one deadline, so no state can be entered
 * without one (docs/design.md, Never block the accept path; a deadline
 * on every read): HELLO hello_timeout, CONNECT the bound of the race
 * of an upstream's addresses (core/connrace.c, which gives every
 * attempt its own connect_timeout) or connect_timeout while a name
 * waits for its first answer, REPLAY and SPLICE idle_timeout (moved lazily: I/O
 * only stamps last_io, the timer re-arms itself for the rest), REFUSE
 * the shorter of REFUSE_LINGER_MS and hello_timeout.
 *
 * The pump (SPLICE). Each direction ("half") moves src -> pipe -> dst
 * with splice(2), so payload never enters user space (docs/design.md,
 * Zero-copy where the kernel allows), once it has proven bulk (a full
 * 16 KiB read, or 64 KiB moved); until then it copies with read() and
 * send() through a buffer held only in flight, which for a few hundred
 * bytes costs less than two splices. A half reads only when its pipe is
 * empty and then writes the pipe out.
 *
 * Epoll. A plain connection is edge-triggered: each socket is registered
 * once with every event it will need (CONN_ET_EVENTS; the upstream by
 * the connect race, on c->uh), and what each can do is remembered
 * (c_in, c_out, u_in, u_out: set by events, cleared when a read or write
 * finds EAGAIN), so no epoll_ctl follows the state. A TCP read shorter
 * than asked has emptied the socket; with EPOLLRDHUP seen, it also means
 * EOF, and the last bytes go with MSG_MORE so the FIN rides with them.
 * Once a half proves bulk, and for terminate= routes from the start, the
 * connection is level-triggered: it asks for EPOLLIN on src while the
 * pipe is empty and EPOLLOUT on dst while it is not, never both. That
 * rule is what keeps the loop from spinning: "splice returned EAGAIN
 * with bytes in the pipe" can mean either "socket empty" or "pipe
 * full", and we never have to guess. The pipe comes from the front's
 * pool when the half starts moving bytes and goes back as soon as it is
 * empty, so an idle connection holds two sockets and no pipe. When
 * splice is refused (EINVAL: a socket type without splice support) or no
 * pipe can be had (EMFILE), the half falls back to read/write through a
 * small buffer, also only held in flight.
 *
 * Endings (docs/design.md, Watch both ends of a proxied pair). EOF on
 * src is passed on with shutdown(dst, SHUT_WR) once the pipe is empty;
 * when both halves have done that the connection is finished. EPOLLRDHUP
 * is asked for together with EPOLLIN (asking for it alone,
 * level-triggered, would spin while we wait for the other side);
 * EPOLLERR tears the pair down at once; EPOLLHUP is read to EOF (the
 * bytes before a FIN are still owed to the other side), and a socket
 * that reported HUP while we want nothing from it is taken out of epoll
 * until we do. An idle deadline catches everything else.
 *
 * Every ending goes through conn_close(c, reason): it writes the access
 * log line, counts the reason, and releases fds, pipes, buffers, the
 * timer and the config reference.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"
#include "core/log.h"
#include "pp.h"

#define PUMP_ROUNDS	16		/* fairness: then back to the loop */
/* read/write buffer (the fallback, and small transfers): the set's scratch */
#define COPY_BUF	sizeof(((struct proxy_set *)0)->scratch)
#define SMALL_MAX	(64u << 10)	/* a half that moved more is bulk: splice from then on */
#define REFUSE_LINGER_MS 1000		/* read an unrouted client to EOF this long */
#define REFUSE_MAX_DISCARD (64u << 10)
#define WARN_INTERVAL_MS 10000		/* per route: upstream failure warnings */
/* Edge-triggered registration of a plain connection's sockets: once, with
 * every event it will ever need, so its interest never changes. */
#define CONN_ET_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

static const struct conn_xform_ops *g_xform;

void conn_register_xform(const struct conn_xform_ops *ops)
{
	g_xform = ops;
}

const struct conn_xform_ops *conn_xform(void)
{
	return g_xform;
}

static const char *const reason_names[CLOSE__COUNT] = {
	[CLOSE_DONE] = "done",
	[CLOSE_HELLO_TIMEOUT] = "hello_timeout",
	[CLOSE_HELLO_EOF] = "hello_eof",
	[CLOSE_BAD_HELLO] = "bad_hello",
	[CLOSE_HELLO_TOO_LARGE] = "hello_too_large",
	[CLOSE_HELLO_EVICTED] = "hello_evicted",
	[CLOSE_UNROUTED] = "unrouted",
	[CLOSE_CONNECT_FAILED] = "connect_failed",
	[CLOSE_CONNECT_TIMEOUT] = "connect_timeout",
	[CLOSE_IDLE_TIMEOUT] = "idle_timeout",
	[CLOSE_CLIENT_ERROR] = "client_error",
	[CLOSE_UPSTREAM_ERROR] = "upstream_error",
	[CLOSE_NO_RESOURCES] = "no_resources",
	[CLOSE_TRANSFORM_ERROR] = "transform_error",
	[CLOSE_SHUTDOWN] = "shutdown",
	[CLOSE_PP_BAD] = "proxy_header_bad",
	[CLOSE_PP_TIMEOUT] = "proxy_header_timeout",
	[CLOSE_PP_UNTRUSTED] = "proxy_header_untrusted",
	[CLOSE_CLIENT_LIMIT] = "client_limit",
	[CLOSE_CLIENT_RATE] = "client_rate",
};

const char *conn_close_reason_str(enum close_reason r)
{
	return r < CLOSE__COUNT ? reason_names[r] : "?";
}

static const char *const state_names[] = {
	[CONN_HELLO] = "hello", [CONN_CONNECT] = "connect", [CONN_REPLAY] = "replay",
	[CONN_SPLICE] = "splice", [CONN_REFUSE] = "refuse",
};

/* ---- halves -------------------------------------------------------- */

/* A half's copy buffer goes: its own, or (borrowed) the set's scratch. */
static void half_buf_drop(struct front *f, struct half *h)
{
	if (h->buf != f->set->scratch)
		free(h->buf);
	h->buf = NULL;
	h->off = 0;
}

/* The connection is over: pipe and buffer go. */
static void half_release(struct front *f, struct half *h)
{
	pipe_release(f, h);
	half_buf_drop(f, h);
}

/* Nothing in flight: an idle half holds no buffer and, unless its pipe
 * has grown for an elephant flow (pipe.c), no pipe. */
static void half_idle(struct front *f, struct half *h)
{
	pipe_idle(f, h);
	half_buf_drop(f, h);
}

/* ---- closing --------------------------------------------------------- */

static struct route_ctr *ctr(struct conn *c)
{
	return c->ctr >= 0 ? &c->front->ctrs[c->ctr] : NULL;
}

/* A JSON string body: the server name comes from the client. */
static const char *json_str(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 7 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = 0;
	return out;
}

/* access_log_format = json: one object per line, the same fields. */
static void access_log_json(struct conn *c, enum close_reason why, const char *client, const char *up)
{
	/* bounded so the line stays whole in the log's 2 KiB; json_str stops early */
	char name[512], route[512], err[128] = "";

	if (c->last_err)
		snprintf(err, sizeof(err), ",\"error\":\"%s\"", strerror(c->last_err));
	pr_info("{\"proxy\":\"%s\",\"client\":\"%s\",\"name\":%s%s%s,\"route\":%s%s%s,\"upstream\":%s%s%s,"
		"\"up\":%llu,\"down\":%llu,\"ms\":%llu,\"state\":\"%s\",\"reason\":\"%s\"%s}",
		c->front->name, client,
		c->name ? "\"" : "", c->name ? json_str(c->name, name, sizeof(name)) : "null", c->name ? "\"" : "",
		c->ctr >= 0 ? "\"" : "", c->ctr >= 0 ? json_str(c->front->ctrs[c->ctr].name, route, sizeof(route)) : "null",
		c->ctr >= 0 ? "\"" : "", up ? "\"" : "", up ? up : "null", up ? "\"" : "",
		(unsigned long long)c->bytes_up, (unsigned long long)c->bytes_down,
		(unsigned long long)(loop_now(c->set->loop) - c->t_start), state_names[c->state],
		conn_close_reason_str(why), err);
}

static void access_log(struct conn *c, enum close_reason why)
{
	char client[INET6_ADDRSTRLEN + 8], err[96] = "";
	const char *up = "-";

	if (c->route && c->up_cur >= 0)
		up = c->route->upstreams[c->up_cur].text;
	conf_addr_str(&c->peer.sa, client, sizeof(client));
	if (c->cfg->px.access_log_format == LOG_FORMAT_JSON) {
		access_log_json(c, why, client, c->route && c->up_cur >= 0 ? up : NULL);
		return;
	}
	if (c->last_err)
		snprintf(err, sizeof(err), " error=\"%s\"", strerror(c->last_err));
	pr_info("proxy=%s client=%s name=%s route=%s upstream=%s up=%llu down=%llu ms=%llu state=%s reason=%s%s",
		c->front->name, client, c->name ? c->name : "-",
		c->ctr >= 0 ? c->front->ctrs[c->ctr].name : "-", up,
		(unsigned long long)c->bytes_up, (unsigned long long)c->bytes_down,
		(unsigned long long)(loop_now(c->set->loop) - c->t_start), state_names[c->state],
		conn_close_reason_str(why), err);
}

/* ---- connections still in their hello, oldest first ------------------ */

static void hello_unlink(struct conn *c)
{
	struct front *f = c->front;

	if (!c->in_hello_list)
		return;
	if (c->hello_prev)
		c->hello_prev->hello_next = c->hello_next;
	else
		f->hello_head = c->hello_next;
	if (c->hello_next)
		c->hello_next->hello_prev = c->hello_prev;
	else
		f->hello_tail = c->hello_prev;
	c->in_hello_list = false;
}

void conn_close(struct conn *c, enum close_reason why)
{
	struct proxy_set *s = c->set;
	struct front *f = c->front;
	struct loop *l = s->loop;

	if (c->cfg->px.access_log)
		access_log(c, why);
	f->closed[why < CLOSE__COUNT ? why : CLOSE_SHUTDOWN]++;
	if (ctr(c))
		ctr(c)->active--;
	if (c->up_held >= 0)
		health_unhold(f, c->up_held);
	if (c->client_held)
		client_release(f, &c->peer.sa);
	hello_unlink(c);
	loop_timer_cancel(l, &c->timer);
	loop_defer_cancel(l, &c->more);
	resolver_unwait(&c->rwait);
	connrace_cancel(c->race);
	/* closing ends the epoll registrations: no EPOLL_CTL_DEL each */
	loop_fd_close(l, &c->ch, c->cfd);
	loop_fd_close(l, &c->uh, c->ufd);
	half_release(f, &c->up);
	half_release(f, &c->down);
	if (c->xf)
		c->xf->close(c->xf_state);
	free(c->name);
	free(c->buf);
	front_cfg_put(c->cfg);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->active--;
	f->active--;
	pipe_conn_closed(f);
	free(c);
	s->conn_closed(f);
}

static void conn_fail(struct conn *c, enum close_reason why, int err)
{
	c->last_err = err;
	conn_close(c, why);
}

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* ---- interest -------------------------------------------------------- */

static void on_client(struct loop_fd *h, uint32_t ev);
static void on_upstream(struct loop_fd *h, uint32_t ev);

/* Set the interest of one socket, (re)registering it when needed. */
static int want(struct conn *c, bool client, uint32_t ev)
{
	struct loop_fd *h = client ? &c->ch : &c->uh;
	int fd = client ? c->cfd : c->ufd;

	if (fd < 0)
		return 0;
	if (c->et)	/* registered once for good (the upstream by the race) */
		return h->fd < 0 && ev ? loop_fd_add(c->set->loop, h, fd, CONN_ET_EVENTS, client ? on_client : on_upstream) : 0;
	if (h->fd < 0)
		return ev ? loop_fd_add(c->set->loop, h, fd, ev, client ? on_client : on_upstream) : 0;
	return loop_fd_mod(c->set->loop, h, ev);
}

/* ET: what an event says a socket can do now (until a read or write
 * finds out otherwise). */
static void et_mark(struct conn *c, bool client, uint32_t ev)
{
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		*(client ? &c->c_in : &c->u_in) = true;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		*(client ? &c->c_out : &c->u_out) = true;
	if (ev & (EPOLLRDHUP | EPOLLHUP))
		*(client ? &c->c_rdhup : &c->u_rdhup) = true;
}

static uint32_t splice_want(const struct conn *c, bool client)
{
	const struct half *in = client ? &c->up : &c->down;	/* read from this socket */
	const struct half *out = client ? &c->down : &c->up;	/* write to it */
	uint32_t ev = 0;

	if (!in->eof && !in->inflight)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (out->inflight)
		ev |= EPOLLOUT;
	if (client && c->xf) {
		ev |= c->xf->want(c->xf_state);
		/* decrypted bytes the socket will not signal: a writable
		 * client socket wakes us at once to read them */
		if (!in->eof && !in->inflight && c->xf->pending && c->xf->pending(c->xf_state))
			ev |= EPOLLOUT;
	}
	return ev;
}

/* The interest one socket needs in c's state. */
static uint32_t state_want(const struct conn *c, bool client)
{
	switch (c->state) {
	case CONN_HELLO:
	case CONN_REFUSE:
		/* the client's bytes (hello, or what we discard), and its EOF */
		return client ? EPOLLIN | EPOLLRDHUP : 0;
	case CONN_CONNECT:
	case CONN_REPLAY:
		/* the upstream's connect result, then room for the replay;
		 * the client only matters if it goes away. Its interest
		 * stays the hello's (and SPLICE's) until it sends more
		 * before we are ready for it: two epoll_ctl fewer per
		 * connection, and level-triggered EPOLLIN cannot spin. */
		if (!client)
			return EPOLLOUT;
		if (c->client_rdhup)
			return 0;
		return c->client_early ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
	case CONN_SPLICE:
		return splice_want(c, client);
	}
	return 0;
}

/* Set both sockets' interest to what c's state needs now. */
static int want_state(struct conn *c)
{
	int err = want(c, true, state_want(c, true));

	return err ? err : want(c, false, state_want(c, false));
}

/*
 * The one way into a state: sets it, the interest of both sockets for
 * it, and its deadline, so no state is ever entered without a deadline.
 * A deadline of 0 is a bug (every timeout key has a minimum; the tests
 * run with assertions on). 0, or -errno when epoll refused the interest:
 * the caller then closes the connection (the deadline is armed either
 * way, so none is left without one).
 */
static int __attribute__((warn_unused_result))
conn_enter(struct conn *c, enum conn_state state, uint64_t deadline_ms)
{
	assert(deadline_ms > 0);
	c->state = state;
	loop_timer_arm(c->set->loop, &c->timer, deadline_ms);
	return want_state(c);
}

/* ---- the pump -------------------------------------------------------- */

static ssize_t src_read(struct conn *c, struct half *h, int fd, void *buf, size_t len)
{
	if (h == &c->up && c->xf)
		return c->xf->read(c->xf_state, fd, buf, len);
	return read(fd, buf, len);
}

static ssize_t dst_write(struct conn *c, struct half *h, int fd, const void *buf, size_t len)
{
	if (h == &c->down && c->xf)
		return c->xf->write(c->xf_state, fd, buf, len);
	/* The last bytes before an EOF we already know of: held (MSG_MORE)
	 * for the shutdown() or close() that follows at once, so the FIN
	 * rides in their segment instead of one of its own. When the
	 * socket runs out of room the kernel sends what it holds anyway. */
	return send(fd, buf, len, MSG_NOSIGNAL | (h->eof && c->et ? MSG_MORE : 0));
}

static void dst_shut(struct conn *c, struct half *h, int fd)
{
	/* Errors do not matter here: a peer that is gone shows up as an
	 * error on its next read or write. */
	if (h == &c->down && c->xf)
		c->xf->shutdown_wr(c->xf_state, fd);
	else
		shutdown(fd, SHUT_WR);
}

/*
 * No Nagle delay of our own towards the upstream: TCP_NODELAY, set
 * before the second write to it rather than at connect (the race is
 * told nodelay_later). Nagle only holds a small segment while earlier
 * data is unacknowledged, never a connection's first one, so a
 * connection whose one write is the replay (a request and its answer)
 * saves the setsockopt. Failing only costs latency.
 */
static void upstream_nodelay(struct conn *c)
{
	int one = 1;

	c->u_nodelay = true;
	(void)setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void count(struct conn *c, struct half *h, size_t n)
{
	struct route_ctr *r = ctr(c);

	if (h == &c->up) {
		c->bytes_up += n;
		if (r)
			r->bytes_up += n;
	} else {
		c->bytes_down += n;
		if (r)
			r->bytes_down += n;
	}
}

/* Move what can move now in one direction. 0; 1 when (ET) it stopped
 * for fairness with work left; -1 when c was closed. */
static int pump(struct conn *c, struct half *h)
{
	bool up = h == &c->up, moved = false;
	int src = up ? c->cfd : c->ufd, dst = up ? c->ufd : c->cfd, round;
	/* ET: what src and dst can do; level-triggered: always try */
	bool lt_yes = true, *src_ok = &lt_yes, *dst_ok = &lt_yes;
	enum close_reason src_err = up ? CLOSE_CLIENT_ERROR : CLOSE_UPSTREAM_ERROR;
	enum close_reason dst_err = up ? CLOSE_UPSTREAM_ERROR : CLOSE_CLIENT_ERROR;
	struct front *f = c->front;

	if (c->et) {
		src_ok = up ? &c->c_in : &c->u_in;
		dst_ok = up ? &c->u_out : &c->c_out;
	}
	for (round = 0; round < PUMP_ROUNDS; round++) {
		bool progress = false;
		ssize_t n;

		if (!h->eof && !h->inflight && *src_ok) {
			if (!h->copy && h->bulk && !h->pipe) {
				h->pipe = pipe_get(f);
				if (!h->pipe) {
					h->copy = true;	/* out of fds: copy instead */
					f->copy_fallback++;
				}
			}
			/* Until a half proves bulk it copies: for a few hundred
			 * bytes one read and one send cost less than two splices
			 * through a pipe, and a short read tells what a splice
			 * cannot (below). */
			if (h->copy || !h->bulk) {
				/* nothing in flight: read into the set's scratch
				 * (a buffer of its own only if bytes stay, below) */
				half_buf_drop(f, h);
				h->buf = c->set->scratch;
				h->inbuf = true;
				n = src_read(c, h, src, h->buf, COPY_BUF);
				if (n > 0 && !h->copy &&
				    ((size_t)n == COPY_BUF || (up ? c->bytes_up : c->bytes_down) + (size_t)n > SMALL_MAX))
					h->bulk = true;	/* a full buffer, or enough: splice from now on */
				/*
				 * ET, EOF seen (EPOLLRDHUP) and a read that
				 * returned less than asked: the socket is empty
				 * and the FIN is next, so EOF is known without
				 * the read that would return 0. TCP hands a
				 * read all it holds up to the length; the one
				 * exception is urgent data (a read stops at its
				 * mark), which TLS and HTTP do not use: bytes
				 * after a mark that came with the FIN would be
				 * lost. HAProxy infers EOF the same way.
				 */
				if (n > 0 && (size_t)n < COPY_BUF && c->et && (up ? c->c_rdhup : c->u_rdhup))
					h->eof = true;
			} else {
				h->inbuf = false;
				n = splice(src, NULL, h->pipe->w, NULL, h->pipe->size,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
				if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
					h->copy = true;
					f->copy_fallback++;
					half_release(f, h);
					continue;
				}
			}
			if (n > 0) {
				h->inflight = (size_t)n;
				if (!h->inbuf)
					pipe_filled(f, h, (size_t)n);
				progress = true;
			} else if (n == 0) {
				h->eof = true;
			} else if (errno == EAGAIN) {
				if (c->et)
					*src_ok = false;	/* until its next event */
			} else if (errno != EINTR) {
				conn_fail(c, c->xf && up ? CLOSE_TRANSFORM_ERROR : src_err, errno);
				return -1;
			}
		}
		if (h->inflight && *dst_ok) {
			if (up && !c->u_nodelay)
				upstream_nodelay(c);
			if (h->inbuf)
				n = dst_write(c, h, dst, h->buf + h->off, h->inflight);
			else
				n = splice(h->pipe->r, NULL, dst, NULL, h->inflight,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->inflight -= (size_t)n;
				h->off += (size_t)n;
				count(c, h, (size_t)n);
				*(h->inbuf ? &f->copy_bytes : &f->splice_bytes) += (uint64_t)n;
				progress = true;
			} else if (n < 0 && errno == EAGAIN) {
				if (c->et)
					*dst_ok = false;	/* until its next EPOLLOUT */
			} else if (n < 0 && errno != EINTR) {
				conn_fail(c, c->xf && !up ? CLOSE_TRANSFORM_ERROR : dst_err, errno);
				return -1;
			}
		}
		if (!h->inflight && h->eof && !h->shut) {
			const struct half *o = up ? &c->down : &c->up;

			/* When the other way is finished too, the pair is
			 * closed right after (splice_settle) and close()
			 * sends the same FIN: dst was read to EOF, so
			 * nothing unread turns it into a reset. A transform
			 * still ends its session (close_notify). */
			if (!o->shut || (c->xf && h == &c->down))
				dst_shut(c, h, dst);
			h->shut = true;
			progress = true;
		}
		if (!progress)
			break;
		moved = true;
	}
	if (!h->inflight) {
		half_idle(f, h);	/* held only while bytes are in flight */
	} else if (h->inbuf && h->buf == c->set->scratch) {
		/* Unsent bytes leave the scratch, which the next pump of any
		 * connection of this loop reuses: a copy of just those bytes
		 * (rare: the destination was full). */
		uint8_t *b = malloc(h->inflight);

		if (!b)
			goto nomem;
		memcpy(b, h->buf + h->off, h->inflight);
		h->buf = b;
		h->off = 0;
	}
	if (moved)
		c->last_io = loop_now(c->set->loop);
	/* Level-triggered, epoll brings us back; ET, nothing would */
	return c->et && round == PUMP_ROUNDS ? 1 : 0;
nomem:
	conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
	return -1;
}

/* After the pump: finished, or the interest both sockets need now. */
static void splice_settle(struct conn *c, bool client, uint32_t ev)
{
	uint32_t cw, uw;

	if (c->up.shut && c->down.shut) {
		conn_close(c, CLOSE_DONE);
		return;
	}
	cw = state_want(c, true);
	uw = state_want(c, false);
	/* HUP is reported whatever the interest; a socket that has told us
	 * all it will and that we do not need now leaves epoll until we do. */
	if ((ev & EPOLLHUP) && client && !cw)
		loop_fd_del(c->set->loop, &c->ch);
	if ((ev & EPOLLHUP) && !client && !uw)
		loop_fd_del(c->set->loop, &c->uh);
	if (want_state(c))
		conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
}

static void on_more(struct loop_defer *d);

/* ET: both directions move what their sockets' state allows. No
 * interest to change: only finished, or (fairness) more later. */
static void splice_run(struct conn *c)
{
	int up, down;

	if ((up = pump(c, &c->up)) < 0 || (down = pump(c, &c->down)) < 0)
		return;
	if (c->up.shut && c->down.shut) {
		conn_close(c, CLOSE_DONE);
		return;
	}
	if (c->up.bulk || c->down.bulk) {
		/* An elephant: level-triggered from here, with the interest
		 * following the pipes (two epoll_ctl now, a few per pipe
		 * that fills later). Edge-triggered, every segment that
		 * arrives while its pipe waits for the other side wakes us
		 * for nothing: more CPU per GB (docs/proxy-performance.md). */
		c->et = false;
		loop_defer_cancel(c->set->loop, &c->more);
		splice_settle(c, false, 0);
		return;
	}
	if (up || down)
		loop_defer(c->set->loop, &c->more, on_more);
}

static void on_more(struct loop_defer *d)
{
	struct conn *c = container_of(d, struct conn, more);

	if (c->et)
		splice_run(c);
}

static void splice_event(struct conn *c, bool client, uint32_t ev)
{
	struct half *in = client ? &c->up : &c->down, *out = client ? &c->down : &c->up;

	if (ev & EPOLLERR) {
		int fd = client ? c->cfd : c->ufd;

		conn_fail(c, client ? CLOSE_CLIENT_ERROR : CLOSE_UPSTREAM_ERROR, sock_error(fd));
		return;
	}
	if (c->et) {
		splice_run(c);
		return;
	}
	if (client && c->xf) {
		/* the transform may need either direction to make progress */
		if (pump(c, &c->up) < 0 || pump(c, &c->down) < 0)
			return;
	} else {
		if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && pump(c, in) < 0)
			return;
		if ((ev & EPOLLOUT) && pump(c, out) < 0)
			return;
	}
	splice_settle(c, client, ev);
}

/* ---- upstream connect and replay ------------------------------------ */

static int connect_next(struct conn *c);

/* A transform (terminate=) whose handshake is still running. */
static bool xf_handshaking(const struct conn *c)
{
	return c->xf && c->xf->established && !c->xf->established(c->xf_state);
}

/*
 * Not yet authenticated: still reading the hello or, on a terminate=
 * route, still in the TLS handshake (which starts when the route is
 * picked, in CONN_HELLO, and ends once). Once false, never true again.
 */
static bool pre_auth(const struct conn *c)
{
	return c->state == CONN_HELLO || xf_handshaking(c);
}

/* A connection past its hello is dropped from the list here, once: the
 * walk costs O(1) amortised per connection and no state change
 * elsewhere has to know about the list. */
struct conn *conn_oldest_hello(struct front *f)
{
	while (f->hello_head && !pre_auth(f->hello_head))
		hello_unlink(f->hello_head);
	return f->hello_head;
}


/* SPLICE's deadline is idle_timeout, moved lazily (on_timer); while a
 * transform still handshakes, hello_timeout bounds that too. */
static void enter_splice(struct conn *c)
{
	uint64_t idle = c->cfg->px.idle_timeout_ms, hs = c->cfg->px.hello_timeout_ms;
	uint64_t deadline = idle;

	c->last_io = loop_now(c->set->loop);
	if (xf_handshaking(c)) {
		c->xf_deadline = c->last_io + hs;
		deadline = hs < idle ? hs : idle;
	}
	/* Level-triggered: bytes that arrived meanwhile wake us at once;
	 * ET: their events have been noted, so the pump runs now. */
	if (conn_enter(c, CONN_SPLICE, deadline)) {
		conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
		return;
	}
	if (c->et)
		splice_run(c);
}

static void replay_write(struct conn *c)
{
	while (c->buf_off < c->buf_len) {
		ssize_t n;

		if (c->buf_off && !c->u_nodelay)
			upstream_nodelay(c);	/* the rest of a replay that did not fit */
		n = send(c->ufd, c->buf + c->buf_off, c->buf_len - c->buf_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN && c->et)
				c->u_out = false;
			if (errno == EAGAIN || errno == EINTR)
				return;	/* REPLAY asks for EPOLLOUT on the upstream */
			conn_fail(c, CLOSE_UPSTREAM_ERROR, errno);
			return;
		}
		c->buf_off += (size_t)n;
		c->last_io = loop_now(c->set->loop);
	}
	count(c, &c->up, c->replay_hello);
	free(c->buf);
	c->buf = NULL;
	c->buf_len = c->buf_off = 0;
	enter_splice(c);
}

/*
 * c->buf := what the upstream gets first: the PROXY header, if the route
 * sends one, and the client's bytes read so far (none on a terminate=
 * route, whose transform took them). Built once per connection, at the
 * latest when the upstream has connected, before its first connect with
 * upstream_fastopen (the bytes ride in the SYN). 0, or -1: c was closed.
 */
static int replay_prepare(struct conn *c)
{
	uint8_t hdr[PP_MAX_LEN];
	size_t hello = c->xf ? 0 : c->buf_len;
	int hl = 0;

	if (c->replay_ready)
		return 0;
	if (c->route->proxy_protocol != PP_OFF) {
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);

		/* behind a balancer: the address the client reached is the header's */
		if (c->pp_dst_set)
			local = c->pp_dst;
		else if (getsockname(c->cfd, (struct sockaddr *)&local, &ll) < 0) {
			conn_fail(c, CLOSE_CLIENT_ERROR, errno);
			return -1;
		}
		hl = pp_build(c->route->proxy_protocol, &c->peer.sa, (struct sockaddr *)&local,
			      c->name, hdr, sizeof(hdr));
		if (hl < 0) {
			conn_fail(c, CLOSE_NO_RESOURCES, -hl);
			return -1;
		}
	}
	if (hl) {
		uint8_t *b = malloc((size_t)hl + hello);

		if (!b) {
			conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
			return -1;
		}
		memcpy(b, hdr, (size_t)hl);
		if (hello)
			memcpy(b + hl, c->buf, hello);
		free(c->buf);
		c->buf = b;
	} else if (!hello) {
		free(c->buf);
		c->buf = NULL;
	}
	c->buf_len = (size_t)hl + hello;
	c->replay_hello = hello;
	c->replay_ready = true;
	return 0;
}

/* Connected: send what replay_prepare() built, after what the SYN
 * carried already (upstream_fastopen). */
static void start_replay(struct conn *c)
{
	if (replay_prepare(c))
		return;
	c->buf_off = c->syn_sent;
	c->last_io = loop_now(c->set->loop);
	/* REPLAY's deadline is idle_timeout, moved lazily like SPLICE's */
	if (conn_enter(c, CONN_REPLAY, c->cfg->px.idle_timeout_ms)) {
		conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
		return;
	}
	replay_write(c);
}

/* Stop counting c on the upstream it holds (leastconn's load). */
static void up_release(struct conn *c)
{
	if (c->up_held >= 0) {
		health_unhold(c->front, c->up_held);
		c->up_held = -1;
	}
}

/* Every address of upstreams[c->up_cur] failed (or its name had no
 * answer in time): count it, then the route's next upstream. */
static void upstream_failed(struct conn *c, int err)
{
	struct route_ctr *r = ctr(c);
	uint64_t now = loop_now(c->set->loop);
	const char *addr = c->route->upstreams[c->up_cur].text;

	/* still waiting for a name's first answer, or racing: stop */
	resolver_unwait(&c->rwait);
	connrace_cancel(c->race);
	c->race = NULL;
	loop_fd_del(c->set->loop, &c->uh);
	if (c->ufd >= 0)
		close(c->ufd);
	c->ufd = -1;
	c->last_err = err;
	if (c->up_held >= 0)
		health_failed(c->front, c->up_held, &c->cfg->px, now, err);
	up_release(c);
	if (r) {
		r->connect_fail++;
		if (!r->warned_at || now - r->warned_at >= WARN_INTERVAL_MS) {
			r->warned_at = now;
			pr_warn("[proxy %s] route %s: upstream %s: %s%s", c->front->name, r->name, addr,
				strerror(err), c->up_idx + 1 < c->n_order ? "; trying the next" : "");
		}
	}
	c->up_idx++;
	connect_next(c);
}

/* A name this connection waited for has its answer: go on. */
static void name_ready(struct resolve_wait *w)
{
	connect_next(container_of(w, struct conn, rwait));
}

/* The race to upstreams[c->up_cur] is over (connrace.c). */
static void raced(void *arg, int fd, int idx, int err)
{
	struct conn *c = arg;

	(void)idx;
	c->race = NULL;
	if (fd < 0) {
		upstream_failed(c, err);
		return;
	}
	c->ufd = fd;	/* registered on c->uh by the race */
	c->u_nodelay = false;	/* set before its second write */
	c->u_out = true;	/* just connected */
	health_ok(c->front, c->up_held, loop_now(c->set->loop));
	start_replay(c);
}

/*
 * The addresses of upstream a: the literal one, or what its name
 * resolved to. 0 when there are none (c->last_err says why), or (*wait)
 * when the name has no answer yet.
 */
static int upstream_addrs(struct conn *c, const struct conf_addr *a, const struct sockaddr_storage **addrs,
			  const socklen_t **lens, bool *wait)
{
	struct resolve_name *e;

	*wait = false;
	if (a->ss.ss_family != AF_UNSPEC) {
		*addrs = &a->ss;
		*lens = &a->len;
		return 1;
	}
	if (!c->set->resolver && resolver_new(c->set->loop, "proxy", &c->set->resolver)) {
		c->last_err = ENOMEM;
		return 0;
	}
	e = resolver_get(c->set->resolver, a->text, c->cfg->px.resolve_interval_ms);
	if (!e) {
		c->last_err = ENOMEM;
		return 0;
	}
	if (!e->n) {
		if (e->pending) {
			*wait = true;
			c->rwait.ready = name_ready;
			resolver_wait(e, &c->rwait);
		} else {
			c->last_err = EHOSTUNREACH;	/* the lookup failed: the next upstream */
		}
		return 0;
	}
	*addrs = e->addrs;
	*lens = e->lens;
	return e->n;
}

/* Try the route's upstreams in c->order from c->up_idx; each upstream's
 * addresses race (connrace.c). 0, or -1 when closed. */
static int connect_next(struct conn *c)
{
	const struct conf_route *r = c->route;
	const struct route_lb *lb = front_route_lb(c->cfg, r);
	const struct conf_proxy *px = &c->cfg->px;
	/* the winner is left registered on c->uh: no epoll_ctl to take it */
	struct connrace_opts ro = { .timeout_ms = px->connect_timeout_ms,
					  .delay_ms = px->happy_eyeballs_delay_ms,
					  .max_inflight = (int)px->happy_eyeballs_max,
					  .own = &c->uh, .own_events = c->et ? CONN_ET_EVENTS : EPOLLOUT,
					  .own_cb = on_upstream, .nodelay_later = true };

	/* TCP Fast Open: the replay goes with the SYN once the kernel has
	 * the upstream's cookie (core/connrace.c); off by default, since a
	 * SYN's data may reach the server twice */
	if (px->upstream_fastopen) {
		if (replay_prepare(c))
			return -1;
		ro.syn_data = c->buf;
		ro.syn_len = c->buf_len;
		ro.syn_sent = &c->syn_sent;
	}
	while (c->up_idx < c->n_order) {
		const struct sockaddr_storage *addrs = NULL;
		const socklen_t *lens = NULL;
		bool wait;
		int n, err;

		c->up_cur = c->order[c->up_idx];
		n = upstream_addrs(c, &r->upstreams[c->up_cur], &addrs, &lens, &wait);
		if (wait) {
			/* the first answer for this name is on its way; the
			 * wait is bounded by connect_timeout like a connect */
			c->up_held = -1;
			if (conn_enter(c, CONN_CONNECT, px->connect_timeout_ms)) {
				resolver_unwait(&c->rwait);
				conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
				return -1;
			}
			return 0;
		}
		if (!n) {	/* no address: the next upstream */
			c->up_idx++;
			continue;
		}
		/* counted from the attempt on, so a burst spreads under leastconn */
		c->up_held = lb->up[c->up_cur];
		health_hold(c->front, c->up_held);
		err = connrace_start(c->set->loop, addrs, lens, n, &ro, raced, c, &c->race);
		if (err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM) {
			conn_fail(c, CLOSE_NO_RESOURCES, -err);
			return -1;
		}
		if (err) {
			upstream_failed(c, -err);
			return -1;	/* upstream_failed went on with the next one */
		}
		/* each attempt has its own connect_timeout (connrace.c);
		 * the state's deadline only bounds the whole race */
		if (conn_enter(c, CONN_CONNECT, connrace_bound_ms(&ro, n))) {
			conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
			return -1;
		}
		return 0;
	}
	conn_close(c, c->last_err == ETIMEDOUT ? CLOSE_CONNECT_TIMEOUT : CLOSE_CONNECT_FAILED);
	return -1;
}

/* ---- routing --------------------------------------------------------- */

static void refuse_read(struct conn *c);

static void refuse(struct conn *c)
{
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70 };	/* fatal unrecognized_name */
	static const char http421[] = "HTTP/1.1 421 Misdirected Request\r\n"
				      "Content-Type: text/plain\r\nContent-Length: 23\r\n"
				      "Connection: close\r\n\r\nno route for this host\n";
	bool tls = c->cfg->px.protocol == PROTO_TLS;

	/* A fresh socket always has room for this much; a short write
	 * only shortens the answer to a client we are dropping anyway. */
	if (send(c->cfd, tls ? (const void *)alert : http421, tls ? sizeof(alert) : sizeof(http421) - 1,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		c->last_err = errno;
	shutdown(c->cfd, SHUT_WR);
	free(c->buf);
	c->buf = NULL;
	c->buf_len = 0;
	c->refuse_why = CLOSE_UNROUTED;
	if (conn_enter(c, CONN_REFUSE, REFUSE_LINGER_MS < c->cfg->px.hello_timeout_ms ?
		       REFUSE_LINGER_MS : c->cfg->px.hello_timeout_ms)) {
		conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
		return;
	}
	if (c->et && c->c_in)
		refuse_read(c);	/* ET: no event for what is already there */
}

static void route_conn(struct conn *c, enum sni_result res, const struct sni_alpn *alpn)
{
	const struct front_cfg *cfg = c->cfg;
	const struct conf_route *r = NULL;
	int k = 0;

	if (res == SNI_OK) {
		r = route_lookup_alpn(cfg->rt, c->name, alpn);
		if (r)
			k = cfg->ctr_of_route[r - cfg->px.routes];
	} else if (cfg->px.no_sni_route.n_upstreams) {
		r = &cfg->px.no_sni_route;
		k = cfg->ctr_no_sni;
	}
	if (!r && cfg->px.default_route.n_upstreams) {
		r = &cfg->px.default_route;
		k = cfg->ctr_default;
	}
	c->ctr = k;	/* 0: "<unrouted>" */
	c->front->ctrs[k].conns++;
	c->front->ctrs[k].active++;
	if (!r) {
		refuse(c);
		return;
	}
	c->route = r;
	c->n_order = balance_order(c->front, r, front_route_lb(cfg, r), &c->peer.sa,
				   loop_now(c->set->loop), c->order);
	if (r->cert[0]) {
		/* terminate=: the transform takes the hello (proxy_start
		 * refuses such routes when no transform is registered). */
		int err = g_xform ? g_xform->open(r, c->cfd, &c->peer.sa, c->buf, c->buf_len,
						      &c->xf_state) : -ENOTSUP;

		if (err) {
			conn_fail(c, CLOSE_TRANSFORM_ERROR, -err);
			return;
		}
		c->xf = g_xform;
		c->up.copy = c->down.copy = true;
		/* the transform's interest follows its engine: level-triggered
		 * from here on (the next conn_enter sets it) */
		c->et = false;
	}
	connect_next(c);
}

/* Room for n bytes in the hello buffer, growing by powers of two. */
static int hello_reserve(struct conn *c, size_t n)
{
	size_t cap = 512, need = c->buf_len + n;
	uint8_t *b;

	while (cap < c->buf_len)
		cap *= 2;
	if (c->buf && need <= cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(c->buf, cap);
	if (!b)
		return -ENOMEM;
	c->buf = b;
	return 0;
}

/* ---- the client: PROXY header in, per-client limits ------------------ */

#define CLIENT_WARN_INTERVAL_MS 10000	/* per front: refused-client warnings */

/* Refuse a client for `why`: counted and access-logged by conn_close,
 * warned about at most once per CLIENT_WARN_INTERVAL_MS per front (a
 * flood must not flood the log), with the count of those not logged. */
static void refuse_client(struct conn *c, enum close_reason why)
{
	struct front *f = c->front;
	uint64_t now = loop_now(c->set->loop);
	char client[INET6_ADDRSTRLEN + 8];

	if (!f->refuse_warned_at || now - f->refuse_warned_at >= CLIENT_WARN_INTERVAL_MS) {
		conf_addr_str(&c->peer.sa, client, sizeof(client));
		pr_warn("[proxy %s] client %s refused: %s (%llu more refusals since the last warning)",
			f->name, client, conn_close_reason_str(why),
			(unsigned long long)f->refused_unlogged);
		f->refuse_warned_at = now;
		f->refused_unlogged = 0;
	} else {
		f->refused_unlogged++;
	}
	conn_close(c, why);
}

/* The client's address is final (its own, or the PROXY header's): apply
 * the per-client limits. 0, or -1 when c was refused (closed). */
static int client_admit_conn(struct conn *c)
{
	int why = client_admit(c->front, &c->cfg->px, &c->peer.sa, loop_now(c->set->loop),
			       &c->client_held);

	if (!why)
		return 0;
	refuse_client(c, (enum close_reason)why);
	return -1;
}

static bool prefix_has(const struct conf_prefix_list *l, const struct sockaddr *sa)
{
	uint8_t a[16];
	int fam;

	if (sa->sa_family == AF_INET) {
		fam = AF_INET;
		memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		fam = IN6_IS_ADDR_V4MAPPED(in6) ? AF_INET : AF_INET6;
		memcpy(a, fam == AF_INET ? in6->s6_addr + 12 : in6->s6_addr, fam == AF_INET ? 4 : 16);
	} else {
		return false;
	}
	for (int i = 0; i < l->n; i++) {
		const struct conf_prefix *p = &l->v[i];
		int full = p->plen / 8, rest = p->plen % 8;

		if (p->family != fam || memcmp(p->addr, a, (size_t)full))
			continue;
		if (rest && ((p->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

/*
 * accept_proxy: read the PROXY header at the start of c->buf (pp.c's
 * parser decides). On a complete header its addresses replace the
 * connection's for logging, limits, balance=hash and the header we send
 * upstream, and the header's bytes leave c->buf. 0: c->buf holds client
 * bytes to parse; 1: wait for more; -1: c was closed.
 */
static int pp_in(struct conn *c)
{
	static const unsigned accept[] = {
		[ACCEPT_PP_V1] = PP_ACCEPT_V1, [ACCEPT_PP_V2] = PP_ACCEPT_V2,
		[ACCEPT_PP_BOTH] = PP_ACCEPT_V1 | PP_ACCEPT_V2,
	};
	struct pp_info pi;

	switch (pp_parse(c->buf, c->buf_len, accept[c->cfg->px.accept_proxy], &pi)) {
	case PP_PARSE_NEED_MORE:
		return 1;	/* hello_timeout bounds a slow header (proxy_header_timeout) */
	case PP_PARSE_BAD:
		refuse_client(c, CLOSE_PP_BAD);
		return -1;
	case PP_PARSE_OK:
		break;
	}
	c->pp_done = true;
	if (pi.has_addr) {
		memcpy(&c->peer, &pi.src, sizeof(c->peer));
		c->pp_dst = pi.dst;
		c->pp_dst_set = true;
	}
	c->buf_len -= pi.len;
	memmove(c->buf, c->buf + pi.len, c->buf_len);
	if (client_admit_conn(c))
		return -1;
	return c->buf_len ? 0 : 1;
}

/* One read of the hello. 1: (ET) the socket may hold more of it, read
 * again; 0: wait for an event, or c was routed or closed. */
static int hello_read(struct conn *c, uint32_t ev)
{
	struct proxy_set *s = c->set;
	char name[SNI_NAME_MAX];
	struct sni_alpn alpn = { .len = 0 };
	enum sni_result r;
	size_t want = SNI_MAX_HELLO - c->buf_len;
	ssize_t n;
	int pp;

	if (ev & EPOLLERR) {
		conn_fail(c, CLOSE_CLIENT_ERROR, sock_error(c->cfd));
		return 0;
	}
	n = read(c->cfd, s->scratch, want);
	if (n < 0) {
		if (errno == EINTR)
			return c->et;
		if (errno == EAGAIN)
			c->c_in = false;
		else
			conn_fail(c, CLOSE_CLIENT_ERROR, errno);
		return 0;
	}
	if (n == 0) {
		conn_close(c, CLOSE_HELLO_EOF);
		return 0;
	}
	/* A TCP read that returns less than asked has emptied the socket:
	 * no read that would only say EAGAIN. Unless its EOF has come,
	 * which the next read reports (and no event would). */
	if ((size_t)n < want && !c->c_rdhup)
		c->c_in = false;
	if (hello_reserve(c, (size_t)n)) {
		conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
		return 0;
	}
	memcpy(c->buf + c->buf_len, s->scratch, (size_t)n);
	c->buf_len += (size_t)n;
	if (c->cfg->px.accept_proxy && !c->pp_done && (pp = pp_in(c)))
		return pp > 0 && c->et && c->c_in;
	if (c->cfg->px.protocol == PROTO_TLS)
		r = sni_parse_tls_alpn(c->buf, c->buf_len, name, sizeof(name), &alpn);
	else
		r = sni_parse_http(c->buf, c->buf_len, name, sizeof(name));
	switch (r) {
	case SNI_NEED_MORE:
		if (c->buf_len >= SNI_MAX_HELLO) {
			conn_close(c, CLOSE_HELLO_TOO_LARGE);
			return 0;
		}
		return c->et && c->c_in;
	case SNI_BAD:
		conn_close(c, CLOSE_BAD_HELLO);
		return 0;
	case SNI_OK:
		c->name = strdup(name);
		if (!c->name) {
			conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
			return 0;
		}
		break;
	case SNI_NONE:
		break;
	}
	route_conn(c, r, &alpn);
	return 0;
}

/* ---- events ---------------------------------------------------------- */

static void refuse_read(struct conn *c)
{
	/* ET: read until EAGAIN, bounded by REFUSE_MAX_DISCARD */
	for (;;) {
		ssize_t n = read(c->cfd, c->set->scratch, sizeof(c->set->scratch));

		if (n < 0 && errno == EINTR && c->et)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			c->c_in = false;
			return;
		}
		if (n > 0 && (c->buf_len += (size_t)n) < REFUSE_MAX_DISCARD) {
			if (c->et)
				continue;
			return;
		}
		break;	/* EOF, an error, or enough */
	}
	conn_close(c, c->refuse_why);
}

static void on_client(struct loop_fd *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, ch);

	if (c->et)
		et_mark(c, true, ev);
	switch (c->state) {
	case CONN_HELLO:
		if (c->et && !c->c_in)
			return;	/* only writable: nothing to read */
		while (hello_read(c, ev) > 0)
			;	/* ET: until the hello is complete or EAGAIN */
		return;
	case CONN_CONNECT:
	case CONN_REPLAY:
		if (ev & (EPOLLERR | EPOLLHUP)) {
			/* gone for good (reset): nobody to deliver to */
			conn_fail(c, CLOSE_CLIENT_ERROR, sock_error(c->cfd));
			return;
		}
		if (ev & EPOLLRDHUP) {
			/* half-closed after its request: fine, the pump
			 * will pass the EOF on once we are through */
			c->client_rdhup = true;
		} else if (ev & EPOLLIN) {
			/* more bytes (or TLS records) than the hello: they
			 * wait in the socket until SPLICE */
			c->client_early = true;
		}
		if (want_state(c))
			conn_fail(c, CLOSE_NO_RESOURCES, ENOMEM);
		return;
	case CONN_SPLICE:
		splice_event(c, true, ev);
		return;
	case CONN_REFUSE:
		refuse_read(c);
		return;
	}
}

static void on_upstream(struct loop_fd *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, uh);

	if (c->et && c->state != CONN_CONNECT)
		et_mark(c, false, ev);
	switch (c->state) {
	case CONN_CONNECT:
		/* An attempt of the race on our handle (connrace.c). What a
		 * failed attempt reported (EPOLLHUP: EOF) must not stick to
		 * the socket that wins: only a success's event is noted (a
		 * winner moved here by the race gets a fresh event). */
		if (c->et) {
			c->u_in = c->u_out = c->u_rdhup = false;
			if (!(ev & (EPOLLERR | EPOLLHUP)))
				et_mark(c, false, ev);
		}
		if (c->race)
			connrace_event(c->race, h, ev);
		return;
	case CONN_REPLAY:
		if (ev & EPOLLERR) {
			conn_fail(c, CLOSE_UPSTREAM_ERROR, sock_error(c->ufd));
			return;
		}
		if (!c->et || c->u_out)
			replay_write(c);
		return;
	case CONN_SPLICE:
		splice_event(c, false, ev);
		return;
	case CONN_HELLO:
	case CONN_REFUSE:
		return;
	}
}

static void on_timer(struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);
	struct loop *l = c->set->loop;
	uint64_t idle = c->cfg->px.idle_timeout_ms, quiet;

	switch (c->state) {
	case CONN_HELLO:
		conn_close(c, c->cfg->px.accept_proxy && !c->pp_done ? CLOSE_PP_TIMEOUT : CLOSE_HELLO_TIMEOUT);
		return;
	case CONN_CONNECT:
		upstream_failed(c, ETIMEDOUT);
		return;
	case CONN_REPLAY:
	case CONN_SPLICE:
		if (c->xf_deadline && xf_handshaking(c)) {
			if (loop_now(l) >= c->xf_deadline) {
				conn_close(c, CLOSE_HELLO_TIMEOUT);
				return;
			}
		} else {
			c->xf_deadline = 0;
		}
		/* The deadline is moved lazily: activity only stamps last_io. */
		quiet = loop_now(l) - c->last_io;
		if (quiet >= idle) {
			conn_close(c, CLOSE_IDLE_TIMEOUT);
			return;
		}
		idle -= quiet;
		if (c->xf_deadline && c->xf_deadline - loop_now(l) < idle)
			idle = c->xf_deadline - loop_now(l);
		loop_timer_arm(l, &c->timer, idle);
		return;
	case CONN_REFUSE:
		conn_close(c, c->refuse_why);
		return;
	}
}

int conn_new(struct front *f, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct proxy_set *s = f->set;
	struct conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->set = s;
	c->front = f;
	c->cfg = f->cfg;
	c->cfg->refs++;
	c->cfd = fd;
	c->ufd = -1;
	c->ch.fd = c->uh.fd = -1;
	c->ctr = -1;
	c->up_cur = c->up_held = -1;
	c->up.copy = c->down.copy = !c->cfg->px.splice;
	c->et = true;		/* until a transform takes the connection */
	c->c_out = true;	/* a new socket has room */
	if (plen > sizeof(c->peer))
		plen = sizeof(c->peer);
	memcpy(&c->peer, peer, plen);
	c->t_start = c->last_io = loop_now(s->loop);
	loop_timer_init(&c->timer, on_timer);
	err = conn_enter(c, CONN_HELLO, c->cfg->px.hello_timeout_ms);
	if (err) {
		loop_timer_cancel(s->loop, &c->timer);
		front_cfg_put(c->cfg);
		close(fd);
		free(c);
		return err;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	c->hello_prev = f->hello_tail;
	if (f->hello_tail)
		f->hello_tail->hello_next = c;
	else
		f->hello_head = c;
	f->hello_tail = c;
	c->in_hello_list = true;
	s->active++;
	f->active++;
	f->accepted++;
	/* refused clients are closed here, counted and logged like any other */
	if (c->cfg->px.accept_proxy) {
		if (!prefix_has(&c->cfg->px.accept_proxy_from, &c->peer.sa))
			refuse_client(c, CLOSE_PP_UNTRUSTED);
	} else {
		client_admit_conn(c);
	}
	return 0;
}
