// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout.c - TLS subscribers of the syslog stream (the gateway is the
 * TLS server; mutual TLS is required).
 *
 * How it works.
 *
 * Every accepted message is in the ring once. A subscriber owns no copy
 * of anything: it has a TLS session (context + one half-duplex I/O buffer
 * of TLS_BUF_MONO bytes, ~24 KB in all), the sequence number of the next
 * message it will send (`pos`) and the frame it is in the middle of. That
 * is all, so memory grows by a fixed amount per subscriber and never with
 * how far behind it is.
 *
 * Writing. sub_pump() copies frames (RFC 5425 "LEN SP MSG", or "MSG LF")
 * from the ring into the engine's plaintext buffer, flushes one record,
 * and lets tls_io() hand records to the socket. A frame that fits in one
 * record is copied whole or not at all, so the ring may overwrite a
 * message the moment after without tearing the stream. When the engine
 * cannot take more (its record is waiting for the socket) the subscriber
 * waits for EPOLLOUT and nothing else wakes it for writing: new messages
 * in the ring resume only subscribers that are idle (caught up, nothing
 * pending). A subscriber is therefore resumed only when it can write
 * (docs/design.md, Bounded queues; a blocked writer is not resumed out
 * of turn), and a stalled one costs nothing per message.
 *
 * Falling behind. When the ring has evicted `pos`, the subscriber jumps
 * to the oldest message still held and adds the gap to its `skipped`
 * counter (slow_subscriber = skip), or is disconnected (= disconnect).
 * The skip happens between frames only, so the stream stays well formed.
 * Skips are noticed when the subscriber can write again; a subscriber
 * that never does is found by a once-a-second sweep when the policy is
 * to disconnect (its fd should not be held forever).
 * A frame larger than one record (max_message > ~16 KB) may be split
 * across records; if its message is evicted mid-frame the subscriber is
 * disconnected, since the rest of the frame no longer exists.
 *
 * Accepting never does work: accept4(), allocate, start the handshake
 * deadline, return. The handshake is driven by readiness like the rest.
 * A subscriber that closes its side (EPOLLRDHUP/HUP/ERR) is gone.
 *
 * Strangers. Until its handshake is done a connection is nobody: it
 * counts against max_handshakes (a list, oldest first), never against
 * max_subscribers, which bounds established subscribers only. When
 * max_handshakes is full the oldest handshaking connection is closed to
 * admit the new one, so connections that stall cannot keep a real
 * subscriber out: each one only holds a place until handshake_timeout or
 * until max_handshakes newer ones arrived. Such refusals and timeouts
 * are counted by reason and logged at most once a second per reason.
 *
 * Reloads. The certificate, key, client CA and issuer rule live in one
 * refcounted struct sub_tls: a reload that changes any of them, or
 * finds one of the files renewed in place (stat: inode, size, times),
 * loads a new one that every handshake from then on uses; sessions keep
 * the one they started with until they end. Each subscriber keeps its
 * certificate chain (a few KB) so that, when client_ca or client_issuer
 * changed, it is verified again against the new settings and
 * disconnected if they no longer accept it; a handshake that was under
 * way across the reload is verified again when it completes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "syslog_int.h"
#include "syslog_msg.h"
#include "tls/tls.h"

#define ACCEPT_PER_WAKEUP 64
#define PUMP_BUDGET (256u << 10)	/* plaintext bytes per turn, for fairness */
#define EMFILE_PAUSE_MS 200
#define SWEEP_MS 1000		/* slow_subscriber = disconnect: find stalled ones */

enum sub_state {
	SUB_HANDSHAKE,	/* TLS handshake running; the deadline is armed */
	SUB_ACTIVE,	/* streaming; on the idle list when caught up */
};

enum close_reason {
	CR_HANDSHAKE_TIMEOUT, CR_HANDSHAKE_FAILED, CR_PEER_CLOSED, CR_IO_ERROR,
	CR_SLOW, CR_EVICTED_MIDFRAME, CR_SHUTDOWN, CR_HANDSHAKE_EVICTED, CR_MAX_SUBSCRIBERS,
	CR_NO_LONGER_TRUSTED, CR_MAX
};
static const char *const close_reason_names[CR_MAX] = {
	"handshake_timeout", "handshake_failed", "peer_closed", "io_error",
	"slow_subscriber", "evicted_mid_frame", "shutdown", "handshake_evicted", "max_subscribers",
	"no_longer_trusted",
};

/* Connections turned away or dropped before they authenticated: counted,
 * and logged at most once a second per reason (strangers choose how many). */
enum preauth_reason { PR_MAX_SUBSCRIBERS, PR_MAX_HANDSHAKES, PR_HANDSHAKE_TIMEOUT, PR_MAX };
static const char *const preauth_names[PR_MAX] = {
	"max_subscribers", "max_handshakes", "handshake_timeout",
};
static const char *const preauth_text[PR_MAX] = {
	"refused: max_subscribers reached",
	"still in their handshake closed to admit newer ones: max_handshakes reached",
	"closed: no TLS handshake within handshake_timeout",
};

struct preauth_count {
	uint64_t total;
	uint64_t unlogged;		/* since the last log line */
	uint64_t logged_at;		/* loop ms */
	char last_peer[64];
};

/*
 * TLS material of [syslog], shared: every session points into the one it
 * handshook with, so a reload installs a new one for new handshakes and
 * the old one goes when its last subscriber does.
 */
struct sub_tls {
	unsigned refs;
	struct tls_cred *cred;
	struct tls_anchors *ca;
	char issuer[TLS_DN_MAX];	/* canonical; "" = any issuer under client_ca */
	struct tls_file_stamp cert_st, key_st, ca_st;
};

struct fanout;

struct sub {
	struct loop_fd h;
	struct loop_timer hs_timer;
	struct fanout *f;
	struct tls_session *tls;
	struct sub_tls *mat;		/* the TLS material it handshakes with */
	struct tls_pump pump;
	enum sub_state state;
	enum conf_framing framing;	/* fixed for the life of the stream */
	uint64_t id;
	uint64_t pos;			/* next message to send */
	struct syslog_frame frame;	/* the frame in progress, if frame_open */
	bool frame_open;
	bool idle;			/* on the idle list */
	bool record_open;		/* plaintext waiting in an unflushed record */
	bool caught_up;			/* the last fill found the ring exhausted */
	struct sub *idle_next, *idle_prev;
	struct sub *hs_next, *hs_prev;	/* handshaking, oldest first */
	struct sub *next, *prev;	/* all subscribers */
	uint64_t sent_msgs, sent_bytes, skipped, discarded_rx;
	uint64_t pumps;			/* times it was run: the e2e test of its turn reads this */
	uint64_t connected_at;		/* loop ms, for the close log line */
	char peer[64];
};

struct tls_listener {
	struct loop_fd h;
	struct loop_timer pause;	/* EMFILE back-off */
	struct fanout *f;
	struct conf_addr addr;
	uint64_t accepted, accept_errors;
};

struct fanout {
	struct syslog_relay *r;
	struct conf_syslog sc;
	struct sub_tls *mat;		/* for new handshakes */
	struct tls_listener *lis[CONF_MAX_LISTEN];
	int n_lis;
	struct sub *subs;		/* all */
	struct sub *idle;		/* caught up, waiting for messages */
	struct sub *hs_old, *hs_new;	/* handshaking, oldest to newest */
	uint32_t n_subs;		/* established: what max_subscribers bounds */
	uint32_t n_hs;			/* handshaking: what max_handshakes bounds */
	struct preauth_count preauth[PR_MAX];
	uint64_t next_id;
	struct loop_defer kick;		/* runs the idle list after intake */
	struct loop_timer sweep;	/* disconnects overtaken stalled subscribers */
	struct loop_defer again;	/* subscribers that used up their budget */
	uint64_t handshakes_ok, closed[CR_MAX], rechecks;
	uint64_t skipped_closed, sent_closed;	/* totals of subscribers gone */
};

static void sub_pump(struct sub *s);

/* ---- lists -------------------------------------------------------------- */

static void idle_add(struct sub *s)
{
	struct fanout *f = s->f;

	if (s->idle)
		return;
	s->idle = true;
	s->idle_prev = NULL;
	s->idle_next = f->idle;
	if (f->idle)
		f->idle->idle_prev = s;
	f->idle = s;
}

static void idle_del(struct sub *s)
{
	struct fanout *f = s->f;

	if (!s->idle)
		return;
	s->idle = false;
	if (s->idle_prev)
		s->idle_prev->idle_next = s->idle_next;
	else
		f->idle = s->idle_next;
	if (s->idle_next)
		s->idle_next->idle_prev = s->idle_prev;
	s->idle_next = s->idle_prev = NULL;
}

static void hs_add(struct sub *s)
{
	struct fanout *f = s->f;

	s->hs_prev = f->hs_new;
	s->hs_next = NULL;
	if (f->hs_new)
		f->hs_new->hs_next = s;
	else
		f->hs_old = s;
	f->hs_new = s;
	f->n_hs++;
}

static void hs_del(struct sub *s)
{
	struct fanout *f = s->f;

	if (s->hs_prev)
		s->hs_prev->hs_next = s->hs_next;
	else
		f->hs_old = s->hs_next;
	if (s->hs_next)
		s->hs_next->hs_prev = s->hs_prev;
	else
		f->hs_new = s->hs_prev;
	s->hs_next = s->hs_prev = NULL;
	f->n_hs--;
}

/* ---- TLS material ------------------------------------------------------- */

static void mat_put(struct sub_tls *m)
{
	if (!m || --m->refs)
		return;
	tls_cred_free(m->cred);
	tls_anchors_free(m->ca);
	free(m);
}

static struct sub_tls *mat_get(struct sub_tls *m)
{
	m->refs++;
	return m;
}

/* ---- pre-authentication budget ----------------------------------------- */

static void preauth_log(struct fanout *f, enum preauth_reason why)
{
	struct preauth_count *c = &f->preauth[why];

	if (!c->unlogged)
		return;
	pr_warn("syslog: tls_listen: %llu connection%s %s (last from %s; %llu in all)",
		(unsigned long long)c->unlogged, c->unlogged == 1 ? "" : "s", preauth_text[why],
		c->last_peer, (unsigned long long)c->total);
	c->unlogged = 0;
	c->logged_at = loop_now(f->r->l);
}

static void preauth_count(struct fanout *f, enum preauth_reason why, const char *peer)
{
	struct preauth_count *c = &f->preauth[why];

	c->total++;
	c->unlogged++;
	snprintf(c->last_peer, sizeof(c->last_peer), "%s", peer);
	if (!c->logged_at || loop_now(f->r->l) - c->logged_at >= 1000)
		preauth_log(f, why);
}

/* ---- closing: the one door ---------------------------------------------- */

static void sub_close(struct sub *s, enum close_reason why)
{
	struct fanout *f = s->f;
	struct loop *l = f->r->l;
	int fd = s->h.fd;

	if (why == CR_SHUTDOWN || why == CR_SLOW)
		tls_close_notify(s->tls);
	f->closed[why]++;
	f->skipped_closed += s->skipped;
	f->sent_closed += s->sent_msgs;
	if (s->state == SUB_ACTIVE)
		pr_info("syslog: subscriber %s (#%llu) closed: %s; sent %llu messages, skipped %llu, "
			"%llu s connected", s->peer, (unsigned long long)s->id, close_reason_names[why],
			(unsigned long long)s->sent_msgs, (unsigned long long)s->skipped,
			(unsigned long long)((loop_now(l) - s->connected_at) / 1000));
	idle_del(s);
	if (s->state == SUB_HANDSHAKE)
		hs_del(s);
	else
		f->n_subs--;
	loop_timer_cancel(l, &s->hs_timer);
	if (fd >= 0) {
		loop_fd_del(l, &s->h);
		close(fd);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		f->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	tls_free(s->tls);
	mat_put(s->mat);
	free(s);
}

static void on_hs_timeout(struct loop_timer *t)
{
	struct sub *s = container_of(t, struct sub, hs_timer);

	preauth_count(s->f, PR_HANDSHAKE_TIMEOUT, s->peer);
	sub_close(s, CR_HANDSHAKE_TIMEOUT);
}

/* ---- writing ------------------------------------------------------------ */

/* Catch up with the ring's oldest message; false if the subscriber was closed. */
static bool sub_check_behind(struct sub *s)
{
	struct syslog_ring *ring = s->f->r->ring;
	uint64_t first = ring_first(ring);

	if (s->pos >= first)
		return true;
	if (s->frame_open) {
		sub_close(s, CR_EVICTED_MIDFRAME);
		return false;
	}
	if (s->f->sc.slow_subscriber == SLOW_DISCONNECT) {
		sub_close(s, CR_SLOW);
		return false;
	}
	s->skipped += first - s->pos;
	s->pos = first;
	return true;
}

/*
 * Copy frames into the engine. Returns bytes copied, or -1 when the
 * subscriber was closed. *caught_up tells whether the ring is exhausted.
 */
static long sub_fill(struct sub *s, size_t budget, bool *caught_up)
{
	br_ssl_engine_context *eng = tls_engine(s->tls);
	struct syslog_ring *ring = s->f->r->ring;
	size_t moved = 0;

	*caught_up = false;
	while (moved < budget) {
		const uint8_t *msg;
		uint32_t len;
		unsigned char *buf;
		size_t avail, n;

		if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP))
			break;
		if (!sub_check_behind(s))
			return -1;
		if (ring_get(ring, s->pos, &msg, &len) < 0) {
			*caught_up = true;
			break;
		}
		buf = br_ssl_engine_sendapp_buf(eng, &avail);
		if (!s->frame_open) {
			syslog_frame_init(&s->frame, s->framing, len);
			if (syslog_frame_total(&s->frame) > avail && s->record_open)
				break;	/* whole frames only: flush this record first */
			s->frame_open = true;
		}
		n = syslog_frame_emit(&s->frame, msg, buf, avail);
		br_ssl_engine_sendapp_ack(eng, n);
		s->record_open = true;
		moved += n;
		s->sent_bytes += n;
		if (syslog_frame_done(&s->frame)) {
			s->frame_open = false;
			s->pos++;
			s->sent_msgs++;
		}
	}
	if (s->record_open) {
		br_ssl_engine_flush(eng, 0);
		s->record_open = false;
	}
	return (long)moved;
}

/* Would the current settings accept this subscriber's certificate? */
static int sub_recheck(struct sub *s, const char *when)
{
	struct fanout *f = s->f;
	int rc = tls_recheck_peer(s->tls, f->mat->ca, f->mat->issuer);

	f->rechecks++;
	if (!rc)
		return 0;
	pr_warn("syslog: subscriber %s (#%llu) disconnected %s: its certificate (issuer \"%s\") is not "
		"accepted by the new client_ca/client_issuer: %s (%s)", s->peer, (unsigned long long)s->id,
		when, tls_peer_issuer(s->tls), rc > 0 ? tls_error_name(rc) : "chain not kept",
		rc > 0 ? tls_error_text(rc) : strerror(-rc));
	sub_close(s, CR_NO_LONGER_TRUSTED);
	return -EACCES;
}

/* The handshake completed; false when the subscriber was closed instead. */
static bool sub_established(struct sub *s)
{
	struct fanout *f = s->f;

	loop_timer_cancel(f->r->l, &s->hs_timer);
	/* the handshake began before a reload: the settings now in force decide */
	if (s->mat != f->mat && sub_recheck(s, "at the end of its handshake"))
		return false;
	hs_del(s);
	s->state = SUB_ACTIVE;
	f->n_subs++;
	if (f->n_subs > f->sc.max_subscribers) {
		preauth_count(f, PR_MAX_SUBSCRIBERS, s->peer);
		sub_close(s, CR_MAX_SUBSCRIBERS);
		return false;
	}
	f->handshakes_ok++;
	/* a new subscriber starts with what arrives from now on */
	s->pos = ring_next(f->r->ring);
	pr_info("syslog: subscriber %s (#%llu) connected, issuer \"%s\"", s->peer,
		(unsigned long long)s->id, tls_peer_issuer(s->tls));
	return true;
}

static void on_again(struct loop_defer *d);

static long sub_fill_cb(void *arg, br_ssl_engine_context *eng, size_t budget)
{
	struct sub *s = arg;

	return sub_fill(s, budget, &s->caught_up);
}

static void sub_pump(struct sub *s)
{
	struct fanout *f = s->f;
	br_ssl_engine_context *eng = tls_engine(s->tls);
	int rc;

	s->pumps++;
	s->caught_up = false;
	while ((rc = tls_pump(s->tls, &s->pump)) == TLS_PUMP_ESTABLISHED)
		if (!sub_established(s))
			return;
	s->discarded_rx = s->pump.rx_discarded;
	if (rc == TLS_PUMP_GONE)
		return;
	if (rc == TLS_CLOSED) {
		sub_close(s, CR_PEER_CLOSED);
		return;
	}
	if (rc < 0) {
		sub_close(s, s->state == SUB_HANDSHAKE ? CR_HANDSHAKE_FAILED :
			     rc == -ECONNRESET || rc == -EPIPE ? CR_PEER_CLOSED : CR_IO_ERROR);
		return;
	}
	if (loop_fd_mod(f->r->l, &s->h, tls_events(s->tls) | EPOLLRDHUP) < 0) {
		sub_close(s, CR_IO_ERROR);
		return;
	}
	if (rc == TLS_PUMP_MORE) {
		/* more to send: come back after this iteration through the idle
		 * list, unless the socket is full (EPOLLOUT resumes it) */
		if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDREC)) {
			idle_add(s);
			loop_defer(f->r->l, &f->again, on_again);
		} else {
			idle_del(s);
		}
		return;
	}
	/* idle: caught up and nothing stuck in the engine; else EPOLLOUT resumes it */
	if (s->state == SUB_ACTIVE && s->caught_up &&
	    !(br_ssl_engine_current_state(eng) & BR_SSL_SENDREC))
		idle_add(s);
	else
		idle_del(s);
}

static void on_sub(struct loop_fd *h, uint32_t events)
{
	struct sub *s = container_of(h, struct sub, h);

	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		if (s->state == SUB_HANDSHAKE) {
			/* let the engine read what is left (the alert that explains
			 * it); tls_io() logs the failure */
			tls_io(s->tls);
			sub_close(s, CR_HANDSHAKE_FAILED);
		} else {
			sub_close(s, CR_PEER_CLOSED);
		}
		return;
	}
	sub_pump(s);
}

/* Run every idle subscriber once: new messages are in the ring. */
static void run_idle(struct fanout *f)
{
	struct sub *s, *next;

	/* sub_pump may move s off the list or free it: keep `next` first.
	 * Pumping another subscriber never frees `next` (only itself). */
	for (s = f->idle; s; s = next) {
		next = s->idle_next;
		sub_pump(s);
	}
}

static void on_kick(struct loop_defer *d)
{
	run_idle(container_of(d, struct fanout, kick));
}

static void on_again(struct loop_defer *d)
{
	run_idle(container_of(d, struct fanout, again));
}

static void on_sweep(struct loop_timer *t)
{
	struct fanout *f = container_of(t, struct fanout, sweep);
	uint64_t first = ring_first(f->r->ring);
	struct sub *s, *next;

	int i;

	for (s = f->subs; s; s = next) {
		next = s->next;
		if (s->state == SUB_ACTIVE && s->pos < first && f->sc.slow_subscriber == SLOW_DISCONNECT)
			sub_close(s, CR_SLOW);
	}
	/* the rest of the refusals of the last second, in one line each */
	for (i = 0; i < PR_MAX; i++)
		if (loop_now(f->r->l) - f->preauth[i].logged_at >= 1000)
			preauth_log(f, (enum preauth_reason)i);
	loop_timer_arm(f->r->l, t, SWEEP_MS);
}

void fanout_notify(struct fanout *f)
{
	if (f->idle)
		loop_defer(f->r->l, &f->kick, on_kick);
}

/* ---- accepting ---------------------------------------------------------- */

static void on_pause_end(struct loop_timer *t)
{
	struct tls_listener *tl = container_of(t, struct tls_listener, pause);

	if (tl->h.fd >= 0)
		loop_fd_mod(tl->f->r->l, &tl->h, EPOLLIN);
}

static void sub_new(struct fanout *f, int fd, const struct sockaddr *sa)
{
	struct tls_server_opts o = {
		.cred = f->mat->cred, .client_ca = f->mat->ca, .client_issuer = f->mat->issuer,
		.keep_peer_chain = true,
	};
	struct sub *s;
	int one = 1, idle_s = 60, intvl = 10, cnt = 6;

	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return;
	}
	s->f = f;
	s->h.fd = -1;
	s->id = ++f->next_id;
	s->framing = f->sc.framing;
	conf_addr_str(sa, s->peer, sizeof(s->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* dead peers are found by keepalive; a stalled reader costs nothing */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (tls_server_new(&o, fd, TLS_BUF_MONO, false, "subscriber", s->peer, &s->tls)) {
		close(fd);
		free(s);
		return;
	}
	if (loop_fd_add(f->r->l, &s->h, fd, EPOLLIN | EPOLLRDHUP, on_sub)) {
		tls_free(s->tls);
		close(fd);
		free(s);
		return;
	}
	loop_timer_init(&s->hs_timer, on_hs_timeout);
	loop_timer_arm(f->r->l, &s->hs_timer, f->sc.handshake_timeout_ms);
	s->connected_at = loop_now(f->r->l);
	s->mat = mat_get(f->mat);
	s->pump = (struct tls_pump){ .budget = PUMP_BUDGET, .fill = sub_fill_cb, .arg = s };
	s->next = f->subs;
	if (f->subs)
		f->subs->prev = s;
	f->subs = s;
	hs_add(s);
}

static void on_accept(struct loop_fd *h, uint32_t events)
{
	struct tls_listener *tl = container_of(h, struct tls_listener, h);
	struct fanout *f = tl->f;
	int i;

	for (i = 0; i < ACCEPT_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(h->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of fds: stop listening briefly instead of spinning */
				tl->accept_errors++;
				pr_warn("syslog: tls_listen %s: accept: %s; pausing %d ms", tl->addr.text,
					strerror(errno), EMFILE_PAUSE_MS);
				loop_fd_mod(f->r->l, h, 0);
				loop_timer_arm(f->r->l, &tl->pause, EMFILE_PAUSE_MS);
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				tl->accept_errors++;
			}
			return;
		}
		if (f->n_subs >= f->sc.max_subscribers) {
			char peer[64];

			conf_addr_str((struct sockaddr *)&ss, peer, sizeof(peer));
			preauth_count(f, PR_MAX_SUBSCRIBERS, peer);
			close(fd);
			continue;
		}
		/* handshakes have a budget of their own; when it is full the
		 * oldest gives way, so a stalled crowd cannot keep a real
		 * subscriber out: it only ever waits behind fresh ones */
		if (f->n_hs >= f->sc.max_handshakes && f->hs_old) {
			preauth_count(f, PR_MAX_HANDSHAKES, f->hs_old->peer);
			sub_close(f->hs_old, CR_HANDSHAKE_EVICTED);
		}
		tl->accepted++;
		sub_new(f, fd, (struct sockaddr *)&ss);
	}
}

static void lis_close(struct fanout *f, struct tls_listener *tl)
{
	if (tl->h.fd >= 0) {
		int fd = tl->h.fd;

		loop_fd_del(f->r->l, &tl->h);
		close(fd);
	}
	loop_timer_cancel(f->r->l, &tl->pause);
	free(tl);
}

static int lis_open(struct fanout *f, const struct conf_addr *a, struct tls_listener **out)
{
	struct tls_listener *tl = calloc(1, sizeof(*tl));
	int fd, one = 1, err;

	if (!tl)
		return -ENOMEM;
	tl->f = f;
	tl->addr = *a;
	tl->h.fd = -1;
	loop_timer_init(&tl->pause, on_pause_end);
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 1024) < 0)
		goto err;
	err = loop_fd_add(f->r->l, &tl->h, fd, EPOLLIN, on_accept);
	if (err) {
		errno = -err;
		goto err;
	}
	pr_info("syslog: subscribers on tls %s", a->text);
	*out = tl;
	return 0;
err:
	err = -errno;
	pr_err("syslog: tls_listen %s: %s", a->text, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(tl);
	return err;
}

/* Load cert, key, CA and the issuer rule into new material; on failure
 * `why` names the file or key. */
static int mat_load(const struct conf_syslog *sc, struct sub_tls **out, char *why, size_t whylen)
{
	struct sub_tls *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->refs = 1;
	if (sc->client_issuer[0] && dn_canon(sc->client_issuer, m->issuer, sizeof(m->issuer))) {
		snprintf(why, whylen, "client_issuer \"%s\" is not a distinguished name like "
			 "\"CN=Edge Subscribers CA,O=Example\"", sc->client_issuer);
		err = -EINVAL;
		goto fail;
	}
	/* stamps before the content: a file replaced meanwhile is seen as
	 * changed at the next reload */
	tls_file_stamp(sc->cert, &m->cert_st);
	tls_file_stamp(sc->key, &m->key_st);
	tls_file_stamp(sc->client_ca, &m->ca_st);
	err = tls_cred_load(sc->cert, sc->key, &m->cred);
	if (err) {
		snprintf(why, whylen, "cert %s / key %s: %s", sc->cert, sc->key,
			 err == -EINVAL ? "not a usable PEM certificate and key" : strerror(-err));
		goto fail;
	}
	err = tls_anchors_load(sc->client_ca, &m->ca);
	if (err) {
		snprintf(why, whylen, "client_ca %s: %s", sc->client_ca,
			 err == -EINVAL ? "no usable PEM CA certificate" : strerror(-err));
		goto fail;
	}
	*out = m;
	return 0;
fail:
	mat_put(m);
	return err;
}

int fanout_new(struct syslog_relay *r, const struct conf_syslog *sc, struct fanout **out)
{
	struct fanout *f = calloc(1, sizeof(*f));
	char why[2 * CONF_PATH_MAX + 64];
	int i, err;

	if (!f)
		return -ENOMEM;
	f->r = r;
	f->sc = *sc;
	loop_timer_init(&f->sweep, on_sweep);
	loop_timer_arm(r->l, &f->sweep, SWEEP_MS);
	err = mat_load(sc, &f->mat, why, sizeof(why));
	if (err) {
		pr_err("syslog: %s", why);
		goto fail;
	}
	for (i = 0; i < sc->n_tls_listen; i++) {
		err = lis_open(f, &sc->tls_listen[i], &f->lis[f->n_lis]);
		if (err)
			goto fail;
		f->n_lis++;
	}
	*out = f;
	return 0;
fail:
	fanout_free(f);
	return err;
}

/* Do the TLS settings or files differ from what is loaded? */
static bool tls_changed(const struct fanout *f, const struct conf_syslog *sc, bool *trust)
{
	struct tls_file_stamp cert, key, ca;

	tls_file_stamp(sc->cert, &cert);
	tls_file_stamp(sc->key, &key);
	tls_file_stamp(sc->client_ca, &ca);
	*trust = strcmp(f->sc.client_ca, sc->client_ca) || strcmp(f->sc.client_issuer, sc->client_issuer) ||
		 !tls_file_stamp_eq(&ca, &f->mat->ca_st);
	return *trust || strcmp(f->sc.cert, sc->cert) || strcmp(f->sc.key, sc->key) ||
	       !tls_file_stamp_eq(&cert, &f->mat->cert_st) || !tls_file_stamp_eq(&key, &f->mat->key_st);
}

/*
 * New TLS material for every handshake from now on; subscribers already
 * connected keep theirs unless the new trust settings reject their
 * certificate, then they are disconnected (logged, counted).
 */
static int reload_tls(struct fanout *f, const struct conf_syslog *sc)
{
	char why[2 * CONF_PATH_MAX + 64];
	struct sub *s, *next;
	struct sub_tls *m;
	bool trust;
	int err;

	if (!tls_changed(f, sc, &trust))
		return 0;
	err = mat_load(sc, &m, why, sizeof(why));
	if (err) {
		syslog_reload_failed(f->r, "[syslog] %s; the previous cert, key and client_ca stay in use", why);
		return err;
	}
	mat_put(f->mat);
	f->mat = m;
	memcpy(f->sc.cert, sc->cert, sizeof(sc->cert));
	memcpy(f->sc.key, sc->key, sizeof(sc->key));
	memcpy(f->sc.client_ca, sc->client_ca, sizeof(sc->client_ca));
	memcpy(f->sc.client_issuer, sc->client_issuer, sizeof(sc->client_issuer));
	pr_info("syslog: subscriber TLS settings reloaded (%s certificate %s, client_ca %s)",
		tls_cred_type(m->cred), sc->cert, sc->client_ca);
	if (!trust)
		return 0;
	for (s = f->subs; s; s = next) {
		next = s->next;
		if (s->state == SUB_ACTIVE)
			sub_recheck(s, "after the reload");
	}
	return 0;
}

static int reload_listeners(struct fanout *f, const struct conf_syslog *sc)
{
	int i, j, err = 0, e;

	for (i = 0; i < f->n_lis; ) {
		bool keep = false;

		for (j = 0; j < sc->n_tls_listen; j++)
			if (!strcmp(f->lis[i]->addr.text, sc->tls_listen[j].text))
				keep = true;
		if (keep) {
			i++;
			continue;
		}
		lis_close(f, f->lis[i]);
		f->lis[i] = f->lis[--f->n_lis];
	}
	for (j = 0; j < sc->n_tls_listen; j++) {
		bool have = false;

		for (i = 0; i < f->n_lis; i++)
			if (!strcmp(f->lis[i]->addr.text, sc->tls_listen[j].text))
				have = true;
		if (!have && f->n_lis < CONF_MAX_LISTEN) {
			e = lis_open(f, &sc->tls_listen[j], &f->lis[f->n_lis]);
			if (e) {
				syslog_reload_failed(f->r, "tls_listen %s: %s", sc->tls_listen[j].text, strerror(-e));
				err = e;
			} else {
				f->n_lis++;
			}
		}
	}
	memcpy(f->sc.tls_listen, sc->tls_listen, sizeof(sc->tls_listen));
	f->sc.n_tls_listen = sc->n_tls_listen;
	return err;
}

int fanout_reload(struct fanout *f, const struct conf_syslog *sc)
{
	int err = 0, e;

	f->sc.slow_subscriber = sc->slow_subscriber;
	f->sc.handshake_timeout_ms = sc->handshake_timeout_ms;
	f->sc.max_subscribers = sc->max_subscribers;
	f->sc.max_handshakes = sc->max_handshakes;
	f->sc.framing = sc->framing;	/* for new subscribers only */
	if (sc->n_tls_listen && (e = reload_tls(f, sc)))
		err = e;
	if ((e = reload_listeners(f, sc)))
		err = e;
	return err;
}

void fanout_stop_accepting(struct fanout *f)
{
	while (f->n_lis)
		lis_close(f, f->lis[--f->n_lis]);
}

void fanout_metrics(struct fanout *f, struct metric_sink *s)
{
	struct sub *x;
	int i;
	uint64_t next = ring_next(f->r->ring), skipped = f->skipped_closed;
	char id[24];

	for (i = 0; i < f->n_lis; i++)
		metric(s, METRIC_COUNTER, "edgesteer_syslog_tls_accepted_total", "Subscriber connections accepted",
		       f->lis[i]->accepted, "listen", f->lis[i]->addr.text, NULL);
	for (i = 0; i < PR_MAX; i++)
		metric(s, METRIC_COUNTER, "edgesteer_syslog_tls_refused_total",
		       "Connections refused or closed before they authenticated, by reason",
		       f->preauth[i].total, "reason", preauth_names[i], NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_subscribers", "Subscribers connected (handshake done)",
	       f->n_subs, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_subscriber_handshakes_pending",
	       "Connections in their TLS handshake (bounded by max_handshakes)", f->n_hs, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_syslog_subscriber_rechecks_total",
	       "Subscriber certificates checked again after a reload changed client_ca or client_issuer",
	       f->rechecks, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_syslog_subscriber_handshakes_total",
	       "Subscriber TLS handshakes completed", f->handshakes_ok, NULL);
	for (i = 0; i < CR_MAX; i++)
		metric(s, METRIC_COUNTER, "edgesteer_syslog_subscriber_closed_total", "Subscribers closed, by reason",
		       f->closed[i], "reason", close_reason_names[i], NULL);
	for (x = f->subs; x; x = x->next)
		skipped += x->skipped;
	metric(s, METRIC_COUNTER, "edgesteer_syslog_subscriber_skipped_all_total",
	       "Messages skipped by slow subscribers, all subscribers ever", skipped, NULL);
#define EACH_SUB(type, name, help, expr)						\
	for (x = f->subs; x; x = x->next) {						\
		if (x->state != SUB_ACTIVE)						\
			continue;							\
		snprintf(id, sizeof(id), "%llu", (unsigned long long)x->id);		\
		metric(s, type, name, help, (expr), "id", id, "peer", x->peer, NULL);	\
	}
	EACH_SUB(METRIC_COUNTER, "edgesteer_syslog_subscriber_messages_total", "Messages sent to the subscriber",
		 x->sent_msgs);
	EACH_SUB(METRIC_COUNTER, "edgesteer_syslog_subscriber_bytes_total", "Framed bytes sent to the subscriber",
		 x->sent_bytes);
	EACH_SUB(METRIC_COUNTER, "edgesteer_syslog_subscriber_skipped_total",
		 "Messages the subscriber missed because it fell behind the ring", x->skipped);
	EACH_SUB(METRIC_GAUGE, "edgesteer_syslog_subscriber_lag_messages", "Messages not yet sent to the subscriber",
		 next - x->pos);
	EACH_SUB(METRIC_COUNTER, "edgesteer_syslog_subscriber_wakeups_total",
		 "Times the subscriber was run (socket ready, or caught up and new messages)", x->pumps);
	EACH_SUB(METRIC_COUNTER, "edgesteer_syslog_subscriber_received_bytes_total",
		 "Application bytes the subscriber sent us (dropped)", x->discarded_rx);
	EACH_SUB(METRIC_GAUGE, "edgesteer_syslog_subscriber_memory_bytes", "Memory held for the subscriber",
		 (uint64_t)(sizeof(*x) + tls_session_size(x->tls)));
#undef EACH_SUB
}

void fanout_free(struct fanout *f)
{
	if (!f)
		return;
	fanout_stop_accepting(f);
	while (f->subs)
		sub_close(f->subs, CR_SHUTDOWN);
	loop_defer_cancel(f->r->l, &f->kick);
	loop_defer_cancel(f->r->l, &f->again);
	loop_timer_cancel(f->r->l, &f->sweep);
	mat_put(f->mat);
	free(f);
}
