// SPDX-License-Identifier: GPL-2.0-only
/*
 * intake_tcp.c - syslog from senders over TCP (RFC 6587), into the ring.
 *
 * A listener per tcp_listen address (IPv6 sockets are v6-only, so
 * "0.0.0.0:514 [::]:514" both bind). Each accepted sender has a receive
 * buffer of max_message + FRAME_HDR_MAX bytes, the framing its first
 * byte chose (framing.c) and an idle deadline. Frames are validated like
 * UDP datagrams (syslog_msg.c, then missing_pri) and stored once in the
 * ring.
 *
 * Backpressure. Before a frame is stored, syslog_can_keep() asks whether
 * the ring can take it without evicting a message that a forwarder still
 * needs and that its spool cannot take. If not, the frame stays in the
 * sender's buffer, the sender's socket is no longer read (its kernel
 * buffers fill, TCP's window closes, the sender's own queue grows) and a
 * retry timer looks again every PAUSE_RETRY_MS. Paused time is counted
 * per listener. So a message read from a TCP sender is either forwarded
 * to every configured collector or sits in the spool; docs/syslog-intake.md.
 *
 * Limits. At max_senders the listeners stop accepting (the kernel's
 * backlog holds the rest) until a sender leaves. A sender idle for
 * sender_idle_timeout is closed. A framing error (framing.h) closes the
 * sender with a log line naming it; each kind is counted. Counters are
 * per listener, never per sender (a sender's address is not a label:
 * thousands of senders would mean thousands of series); a sender's own
 * totals are in the log line when it leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "framing.h"
#include "origin.h"
#include "pri_fix.h"
#include "syslog_int.h"
#include "syslog_msg.h"
#include "tls/tls.h"

#define ACCEPT_PER_WAKEUP 64
#define READS_PER_WAKEUP 16	/* fairness between senders */
#define PAUSE_RETRY_MS 10
#define EMFILE_PAUSE_MS 200
#define TOP_SENDERS 16		/* senders with series of their own; the rest as "other" */

enum sender_close {
	SC_EOF, SC_IDLE, SC_FRAMING, SC_ERROR, SC_SHUTDOWN, SC_HS_TIMEOUT, SC_HS_FAILED, SC_PREAUTH_FULL, SC_MAX
};
static const char *const sc_names[SC_MAX] = {
	"eof", "idle", "framing", "error", "shutdown", "handshake_timeout", "handshake_failed", "preauth_full",
};

struct tcp_listener {
	struct loop_fd h;
	struct tcp_intake *in;
	struct conf_addr addr;
	bool tls;			/* tls_intake, else tcp_listen */
	struct intake_counts c;
	uint64_t conns, closes[SC_MAX];
	uint64_t bad_length, too_big, no_lf, partial_at_eof;
	uint64_t paused_ms;
	int senders;
};

/* the most missing_pri or origin may add to a message */
#define INTAKE_GROWTH (SYSLOG_PRI_EXTRA > SYSLOG_ORIGIN_EXTRA ? SYSLOG_PRI_EXTRA : SYSLOG_ORIGIN_EXTRA)

struct sender {
	struct loop_fd h;
	struct loop_timer idle;
	struct tcp_intake *in;
	struct tcp_listener *tl;
	struct sender *prev, *next;
	struct tls_session *tls;	/* NULL on tcp_listen */
	bool hs_done;
	enum frame_mode mode;
	bool paused;			/* waiting for room; socket not read */
	bool eof;			/* peer closed; what is buffered is still taken */
	uint64_t paused_at;		/* loop ms */
	uint64_t msgs, bytes, paused_ms;
	size_t have;
	char peer[INET6_ADDRSTRLEN + 8];
	char host[INET6_ADDRSTRLEN];	/* HOSTNAME for missing_pri = add */
	uint8_t buf[];			/* max_message + FRAME_HDR_MAX */
};

struct tcp_intake {
	struct syslog_relay *r;
	struct tcp_listener *tl[CONF_MAX_LISTEN];
	int n_tl;
	struct sender *head;
	uint32_t n_senders;
	bool accepting;			/* false at max_senders or after EMFILE */
	struct loop_timer retry;	/* paused senders; accept after EMFILE */
	uint32_t n_paused;
	uint64_t refused_full;		/* times accepting stopped at max_senders */
	/* TLS: [syslog] cert and key, intake_client_ca and _issuer */
	struct tls_cred *cred;
	struct tls_anchors *ca;
	char issuer[TLS_DN_MAX];
	uint32_t n_handshaking;
};

static void sender_read(struct sender *s);

static size_t sender_cap(const struct tcp_intake *in)
{
	return (size_t)in->r->sc.max_message + FRAME_HDR_MAX;
}

static void set_accepting(struct tcp_intake *in, bool on)
{
	int i;

	if (in->accepting == on)
		return;
	in->accepting = on;
	for (i = 0; i < in->n_tl; i++)
		if (in->tl[i]->h.fd >= 0)
			loop_fd_mod(in->r->l, &in->tl[i]->h, on ? EPOLLIN : 0);
}

static void sender_unpause(struct sender *s)
{
	uint64_t d;

	if (!s->paused)
		return;
	d = loop_now(s->in->r->l) - s->paused_at;
	s->paused_ms += d;
	s->tl->paused_ms += d;
	s->paused = false;
	s->in->n_paused--;
}

static void sender_close(struct sender *s, enum sender_close why)
{
	struct tcp_intake *in = s->in;
	struct loop *l = in->r->l;

	sender_unpause(s);
	if (s->tls && !s->hs_done)
		in->n_handshaking--;
	s->tl->closes[why]++;
	s->tl->senders--;
	pr_info("syslog: tcp %s: sender %s left (%s): %llu messages, %llu bytes, paused %llu ms",
		s->tl->addr.text, s->peer, sc_names[why], (unsigned long long)s->msgs,
		(unsigned long long)s->bytes, (unsigned long long)s->paused_ms);
	loop_timer_cancel(l, &s->idle);
	if (s->tls)
		tls_free(s->tls);
	if (s->h.fd >= 0) {
		int fd = s->h.fd;

		loop_fd_del(l, &s->h);
		close(fd);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		in->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	in->n_senders--;
	free(s);
	if (in->n_senders < in->r->sc.max_senders && !in->r->draining)
		set_accepting(in, true);
}

static void on_idle(struct loop_timer *t)
{
	struct sender *s = container_of(t, struct sender, idle);

	if (s->tls && !s->hs_done) {
		pr_warn("syslog: tls %s: sender %s: no TLS handshake within %u ms, closing", s->tl->addr.text,
			s->peer, s->in->r->sc.handshake_timeout_ms);
		sender_close(s, SC_HS_TIMEOUT);
		return;
	}
	pr_info("syslog: tcp %s: sender %s silent for %u ms, closing", s->tl->addr.text, s->peer,
		s->in->r->sc.sender_idle_timeout_ms);
	sender_close(s, SC_IDLE);
}

static void sender_pause(struct sender *s)
{
	struct tcp_intake *in = s->in;

	if (s->paused)
		return;
	s->paused = true;
	s->paused_at = loop_now(in->r->l);
	in->n_paused++;
	/* not read while paused; the idle deadline is not the sender's fault */
	loop_fd_mod(in->r->l, &s->h, 0);
	loop_timer_cancel(in->r->l, &s->idle);
	if (!loop_timer_armed(&in->retry))
		loop_timer_arm(in->r->l, &in->retry, PAUSE_RETRY_MS);
}

/* The client certificate's subject for origin = yes: only a TLS sender
 * whose certificate was checked (intake_client_ca) has one, "" otherwise. */
static const char *sender_subject(const struct sender *s)
{
	return s->tls && s->hs_done ? tls_peer_subject(s->tls) : NULL;
}

/*
 * Take the whole frames in the buffer. Returns 0 when the buffer holds no
 * whole frame any more, 1 when paused (no room), or -1 after closing the
 * sender (framing error).
 */
static int sender_take(struct sender *s)
{
	struct tcp_intake *in = s->in;
	struct syslog_relay *r = in->r;
	size_t at = 0;
	int ret = 0;
	bool any = false;

	for (;;) {
		const uint8_t *m;
		size_t ml, used;
		enum frame_result fr = frame_next(&s->mode, s->buf + at, s->have - at, r->sc.max_message,
						  &m, &ml, &used);

		if (fr == FRAME_NEED_MORE)
			break;
		if (fr != FRAME_OK) {
			if (fr == FRAME_BAD_LENGTH)
				s->tl->bad_length++;
			else if (fr == FRAME_TOO_BIG)
				s->tl->too_big++;
			else
				s->tl->no_lf++;
			pr_warn("syslog: tcp %s: sender %s: %s (%s framing, max_message %u); closing after "
				"%llu messages", s->tl->addr.text, s->peer, frame_result_str(fr),
				frame_mode_str(s->mode), r->sc.max_message, (unsigned long long)s->msgs);
			if (any)
				syslog_notify_readers(r);
			sender_close(s, SC_FRAMING);
			return -1;
		}
		if (!syslog_can_keep(r, (uint32_t)ml + INTAKE_GROWTH)) {
			ret = 1;
			break;
		}
		if (intake_store(r, (uint8_t *)m, ml, s->host, sender_subject(s), &s->tl->c) == 0) {
			s->msgs++;
			any = true;
		}
		at += used;
	}
	if (at) {
		memmove(s->buf, s->buf + at, s->have - at);
		s->have -= at;
	}
	if (any)
		syslog_notify_readers(r);
	return ret;
}

/* Peer closed: what is left is a last LF frame without its LF, or a cut one. */
static void sender_finish(struct sender *s)
{
	if (s->have && s->mode == FRAME_LF) {
		if (!syslog_can_keep(s->in->r, (uint32_t)s->have + INTAKE_GROWTH)) {
			sender_pause(s);
			return;
		}
		if (intake_store(s->in->r, s->buf, s->have, s->host, sender_subject(s), &s->tl->c) == 0) {
			s->msgs++;
			syslog_notify_readers(s->in->r);
		}
	} else if (s->have) {
		s->tl->partial_at_eof++;
		pr_warn("syslog: tcp %s: sender %s closed in the middle of a frame (%zu bytes dropped)",
			s->tl->addr.text, s->peer, s->have);
	}
	sender_close(s, SC_EOF);
}

/* Plain TCP: read into the buffer; >0 bytes, 0 nothing now (or EOF, s->eof), -errno. */
static ssize_t plain_fill(struct sender *s, size_t cap)
{
	ssize_t n = read(s->h.fd, s->buf + s->have, cap - s->have);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		s->eof = true;
	s->have += (size_t)n;
	return n;
}

/* TLS: move records, then plaintext into the buffer; as plain_fill. */
static ssize_t tls_fill(struct sender *s, size_t cap)
{
	br_ssl_engine_context *eng = tls_engine(s->tls);
	size_t added = 0;
	int rc;

	for (;;) {
		if (br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP) {
			size_t len;
			unsigned char *b = br_ssl_engine_recvapp_buf(eng, &len);

			if (len > cap - s->have)
				len = cap - s->have;
			if (!len)
				break;
			memcpy(s->buf + s->have, b, len);
			br_ssl_engine_recvapp_ack(eng, len);
			s->have += len;
			added += len;
			continue;
		}
		if (added)
			break;
		rc = tls_io(s->tls);
		if (!s->hs_done && tls_handshake_done(s->tls)) {
			s->hs_done = true;
			s->in->n_handshaking--;
			pr_debug("syslog: tls %s: sender %s: handshake done (issuer \"%s\")", s->tl->addr.text,
				 s->peer, tls_peer_issuer(s->tls));
		}
		if (rc == TLS_CLOSED || rc == -ECONNRESET) {
			s->eof = true;
			break;
		}
		if (rc < 0)
			return rc;
		if (!(br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP))
			break;
	}
	return (ssize_t)added;
}

static void sender_read(struct sender *s)
{
	struct tcp_intake *in = s->in;
	size_t cap = sender_cap(in);
	int i, t;

	for (i = 0; i < READS_PER_WAKEUP; i++) {
		ssize_t n;

		t = sender_take(s);
		if (t < 0)
			return;
		if (t > 0) {
			sender_pause(s);
			return;
		}
		if (s->eof) {
			if (s->tls && !s->hs_done) {
				sender_close(s, SC_HS_FAILED);
				return;
			}
			sender_finish(s);
			return;
		}
		/* the decoder guarantees a full buffer is a frame or an error */
		n = s->tls ? tls_fill(s, cap) : plain_fill(s, cap);
		if (n < 0) {
			if (s->tls && !s->hs_done) {
				/* tls.c logged why, naming the peer */
				sender_close(s, SC_HS_FAILED);
				return;
			}
			pr_warn("syslog: %s %s: sender %s: %s", s->tls ? "tls" : "tcp", s->tl->addr.text, s->peer,
				s->tls ? "TLS error" : strerror((int)-n));
			sender_close(s, SC_ERROR);
			return;
		}
		if (n > 0) {
			s->bytes += (size_t)n;
			s->tl->c.bytes += (size_t)n;
		} else if (!s->eof) {
			break;
		}
	}
	if (s->tls)
		loop_fd_mod(in->r->l, &s->h, tls_events(s->tls) | EPOLLIN);
	if (!s->paused && (!s->tls || s->hs_done))
		loop_timer_arm(in->r->l, &s->idle, in->r->sc.sender_idle_timeout_ms);
}

static void on_sender(struct loop_fd *h, uint32_t events)
{
	struct sender *s = container_of(h, struct sender, h);

	(void)events;
	sender_read(s);
}

/* Paused senders try again; a listener stopped after EMFILE accepts again. */
static void on_retry(struct loop_timer *t)
{
	struct tcp_intake *in = container_of(t, struct tcp_intake, retry);
	struct sender *s, *next;

	for (s = in->head; s; s = next) {
		next = s->next;
		if (!s->paused)
			continue;
		if (!syslog_can_keep(in->r, (uint32_t)(s->have ? s->have : 1) + INTAKE_GROWTH))
			continue;
		sender_unpause(s);
		if (loop_fd_mod(in->r->l, &s->h, EPOLLIN) == 0)
			sender_read(s);
	}
	if (!in->accepting && in->n_senders < in->r->sc.max_senders && !in->r->draining)
		set_accepting(in, true);
	if (in->n_paused)
		loop_timer_arm(in->r->l, &in->retry, PAUSE_RETRY_MS);
}

static void peer_text(const struct sockaddr_storage *ss, char *host, size_t hl, char *peer, size_t pl)
{
	uint16_t port = 0;

	host[0] = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, (socklen_t)hl);
		port = ntohs(a->sin_port);
		snprintf(peer, pl, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, (socklen_t)hl);
		port = ntohs(a->sin6_port);
		snprintf(peer, pl, "[%s]:%u", host, port);
	} else {
		snprintf(host, hl, "unknown");
		snprintf(peer, pl, "unknown");
	}
}

static void on_accept(struct loop_fd *h, uint32_t events)
{
	struct tcp_listener *tl = container_of(h, struct tcp_listener, h);
	struct tcp_intake *in = tl->in;
	struct syslog_relay *r = in->r;
	int i;

	(void)events;
	for (i = 0; i < ACCEPT_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sender *s;
		int fd;

		if (in->n_senders >= r->sc.max_senders) {
			in->refused_full++;
			pr_warn("syslog: tcp: %u senders connected (max_senders); not accepting until one "
				"leaves", in->n_senders);
			set_accepting(in, false);
			return;
		}
		fd = accept4(h->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				pr_warn("syslog: tcp %s: accept: %s; pausing %d ms (raise LimitNOFILE?)",
					tl->addr.text, strerror(errno), EMFILE_PAUSE_MS);
				set_accepting(in, false);
				if (!loop_timer_armed(&in->retry))
					loop_timer_arm(r->l, &in->retry, EMFILE_PAUSE_MS);
			}
			return;
		}
		s = calloc(1, sizeof(*s) + sender_cap(in));
		if (!s) {
			close(fd);
			return;
		}
		s->in = in;
		s->tl = tl;
		s->h.fd = -1;
		peer_text(&ss, s->host, sizeof(s->host), s->peer, sizeof(s->peer));
		loop_timer_init(&s->idle, on_idle);
		if (tl->tls) {
			struct tls_server_opts o = {
				.cred = in->cred, .client_ca = in->ca, .client_issuer = in->issuer,
			};

			/* pre-authentication budget: handshakes cost CPU and hold memory */
			if (in->n_handshaking >= r->sc.intake_max_handshakes) {
				tl->closes[SC_PREAUTH_FULL]++;
				pr_warn("syslog: tls %s: sender %s refused: %u handshakes running "
					"(intake_max_handshakes)", tl->addr.text, s->peer, in->n_handshaking);
				close(fd);
				free(s);
				continue;
			}
			if (tls_server_new(&o, fd, TLS_BUF_MONO, false, "sender", s->peer, &s->tls)) {
				close(fd);
				free(s);
				continue;
			}
			in->n_handshaking++;
		}
		if (loop_fd_add(r->l, &s->h, fd, EPOLLIN, on_sender)) {
			if (s->tls) {
				tls_free(s->tls);
				in->n_handshaking--;
			}
			close(fd);
			free(s);
			return;
		}
		s->next = in->head;
		if (in->head)
			in->head->prev = s;
		in->head = s;
		in->n_senders++;
		tl->senders++;
		tl->conns++;
		loop_timer_arm(r->l, &s->idle, s->tls ? r->sc.handshake_timeout_ms : r->sc.sender_idle_timeout_ms);
		pr_debug("syslog: tcp %s: sender %s connected", tl->addr.text, s->peer);
	}
}

static void listener_close(struct tcp_intake *in, struct tcp_listener *tl)
{
	if (tl->h.fd >= 0) {
		int fd = tl->h.fd;

		loop_fd_del(in->r->l, &tl->h);
		close(fd);
	}
	free(tl);
}

/* Bind and listen on tl->addr; tl is new, or one closed by a reload that
 * still had senders (its counters go on). */
static int listener_bind(struct tcp_intake *in, struct tcp_listener *tl)
{
	const struct conf_addr *a = &tl->addr;
	bool tls = tl->tls;
	int fd, one = 1, err;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_err("syslog: %s %s: socket: %s", tls ? "tls_intake" : "tcp_listen", a->text, strerror(-err));
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 1024) < 0) {
		err = -errno;
		pr_err("syslog: %s %s: %s (address in use? another syslog daemon?)",
		       tls ? "tls_intake" : "tcp_listen", a->text, strerror(-err));
		close(fd);
		return err;
	}
	err = loop_fd_add(in->r->l, &tl->h, fd, in->accepting ? EPOLLIN : 0, on_accept);
	if (err) {
		close(fd);
		return err;
	}
	pr_info("syslog: listening on %s %s", tls ? "tls" : "tcp", a->text);
	return 0;
}

static int listener_open(struct tcp_intake *in, const struct conf_addr *a, bool tls,
			 struct tcp_listener **out)
{
	struct tcp_listener *tl = calloc(1, sizeof(*tl));
	int err;

	if (!tl)
		return -ENOMEM;
	tl->in = in;
	tl->tls = tls;
	tl->addr = *a;
	tl->h.fd = -1;
	err = listener_bind(in, tl);
	if (err) {
		free(tl);
		return err;
	}
	*out = tl;
	return 0;
}

static bool addr_eq(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

int intake_tcp_new(struct syslog_relay *r, struct tcp_intake **out)
{
	struct tcp_intake *in = calloc(1, sizeof(*in));
	int err;

	if (!in)
		return -ENOMEM;
	in->r = r;
	in->accepting = true;
	loop_timer_init(&in->retry, on_retry);
	err = intake_tcp_reload(in, &r->sc);
	if (err) {
		intake_tcp_free(in);
		return err;
	}
	*out = in;
	return 0;
}

static bool in_list(const struct conf_addr *a, const struct conf_addr *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr_eq(a, &list[i]))
			return true;
	return false;
}

/* The TLS material: loaded at start and at reload when a file name changed. */
static int load_tls(struct tcp_intake *in, const struct conf_syslog *sc)
{
	struct tls_cred *cred = NULL;
	struct tls_anchors *ca = NULL;
	char issuer[TLS_DN_MAX] = "";
	int err;

	if (!sc->n_tls_intake)
		return 0;
	err = tls_cred_load(sc->cert, sc->key, &cred);
	if (err) {
		pr_err("syslog: tls_intake: cannot load cert %s / key %s: %s", sc->cert, sc->key, strerror(-err));
		return err;
	}
	if (sc->intake_client_ca[0]) {
		err = tls_anchors_load(sc->intake_client_ca, &ca);
		if (err) {
			pr_err("syslog: intake_client_ca %s: %s", sc->intake_client_ca, strerror(-err));
			tls_cred_free(cred);
			return err;
		}
	}
	if (sc->intake_client_issuer[0] && dn_canon(sc->intake_client_issuer, issuer, sizeof(issuer))) {
		pr_err("syslog: intake_client_issuer \"%s\" is not a distinguished name", sc->intake_client_issuer);
		tls_cred_free(cred);
		tls_anchors_free(ca);
		return -EINVAL;
	}
	/* sessions in progress keep using what they started with: only swap
	 * when no sender holds the old material */
	if (in->cred && in->head) {
		bool busy = false;
		struct sender *s;

		for (s = in->head; s; s = s->next)
			busy = busy || s->tls;
		if (busy) {
			pr_warn("syslog: tls_intake: new certificate files apply once the TLS senders now "
				"connected have left");
			tls_cred_free(cred);
			tls_anchors_free(ca);
			return 0;
		}
	}
	tls_cred_free(in->cred);
	tls_anchors_free(in->ca);
	in->cred = cred;
	in->ca = ca;
	memcpy(in->issuer, issuer, sizeof(issuer));
	return 0;
}

/* Listeners gone are closed (their senders stay connected); new ones open. */
int intake_tcp_reload(struct tcp_intake *in, const struct conf_syslog *sc)
{
	int i, j, k, err = 0, e;

	if (sc->n_tls_intake) {
		e = load_tls(in, sc);
		if (e)
			return e;
	}
	for (i = 0; i < in->n_tl; ) {
		struct tcp_listener *tl = in->tl[i];
		bool keep = tl->tls ? in_list(&tl->addr, sc->tls_intake, sc->n_tls_intake)
				    : in_list(&tl->addr, sc->tcp_listen, sc->n_tcp_listen);

		if (keep || tl->senders) {
			/* a listener with senders stays allocated for their counters */
			if (!keep && tl->h.fd >= 0) {
				int fd = tl->h.fd;

				pr_info("syslog: closing %s %s", tl->tls ? "tls" : "tcp", tl->addr.text);
				loop_fd_del(in->r->l, &tl->h);
				close(fd);
			}
			i++;
			continue;
		}
		pr_info("syslog: closing %s %s", tl->tls ? "tls" : "tcp", tl->addr.text);
		listener_close(in, tl);
		in->tl[i] = in->tl[--in->n_tl];
	}
	for (k = 0; k < 2; k++) {
		const struct conf_addr *list = k ? sc->tls_intake : sc->tcp_listen;
		int n = k ? sc->n_tls_intake : sc->n_tcp_listen;

		for (j = 0; j < n; j++) {
			struct tcp_listener *have = NULL;

			for (i = 0; i < in->n_tl; i++)
				if (in->tl[i]->tls == (k == 1) && addr_eq(&in->tl[i]->addr, &list[j]))
					have = in->tl[i];
			if (have && have->h.fd < 0) {
				/* closed by an earlier reload, kept for its senders */
				e = listener_bind(in, have);
				if (e)
					err = e;
				continue;
			}
			if (have)
				continue;
			if (in->n_tl >= CONF_MAX_LISTEN) {
				pr_err("syslog: more than %d tcp_listen and tls_intake addresses", CONF_MAX_LISTEN);
				err = -ENOSPC;
				continue;
			}
			e = listener_open(in, &list[j], k == 1, &in->tl[in->n_tl]);
			if (e)
				err = e;
			else
				in->n_tl++;
		}
	}
	return err;
}

void intake_tcp_stop_accepting(struct tcp_intake *in)
{
	int i;

	if (!in)
		return;
	/* senders go too: what is buffered and can be kept is taken first */
	while (in->head) {
		struct sender *s = in->head;

		if (sender_take(s) >= 0)
			sender_close(s, SC_SHUTDOWN);
	}
	for (i = 0; i < in->n_tl; i++)
		if (in->tl[i]->h.fd >= 0) {
			int fd = in->tl[i]->h.fd;

			loop_fd_del(in->r->l, &in->tl[i]->h);
			close(fd);
		}
	in->accepting = false;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct sender *x = *(const struct sender *const *)a, *y = *(const struct sender *const *)b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

static uint64_t sender_paused_ms(const struct sender *s, uint64_t now)
{
	return s->paused_ms + (s->paused ? now - s->paused_at : 0);
}

/* The TOP_SENDERS connected senders that sent the most, each with its own
 * series (label sender = address:port); all others summed as "other". The
 * series are bounded whatever the number of senders. One name at a time:
 * the exposition format wants a family's samples together. */
static void top_senders(struct tcp_intake *in, struct metric_sink *ms)
{
	static const struct { const char *name, *help; } fam[3] = {
		{ "edgesteer_syslog_sender_messages_total",
		  "Messages from a connected TCP/TLS sender (top senders by bytes; the rest as other)" },
		{ "edgesteer_syslog_sender_bytes_total", "Bytes from a connected TCP/TLS sender" },
		{ "edgesteer_syslog_sender_paused_ms_total",
		  "Time a connected sender was not read for lack of room (ms)" },
	};
	uint64_t now = loop_now(in->r->l);
	struct sender **v, *s;
	uint32_t n = 0, i;
	int f;

	if (!in->n_senders)
		return;
	v = malloc(sizeof(*v) * in->n_senders);
	if (!v)
		return;
	for (s = in->head; s && n < in->n_senders; s = s->next)
		v[n++] = s;
	qsort(v, n, sizeof(*v), by_bytes_desc);
	for (f = 0; f < 3; f++) {
		uint64_t other = 0;

		for (i = 0; i < n; i++) {
			uint64_t val = f == 0 ? v[i]->msgs : f == 1 ? v[i]->bytes : sender_paused_ms(v[i], now);

			if (i < TOP_SENDERS)
				metric(ms, METRIC_COUNTER, fam[f].name, fam[f].help, val, "sender", v[i]->peer, NULL);
			else
				other += val;
		}
		if (n > TOP_SENDERS)
			metric(ms, METRIC_COUNTER, fam[f].name, fam[f].help, other, "sender", "other", NULL);
	}
	free(v);
}

static const char *proto(const struct tcp_listener *tl)
{
	return tl->tls ? "tls" : "tcp";
}

void intake_tcp_counts_metric(struct tcp_intake *in, struct metric_sink *s, const char *name, const char *help,
			      size_t off)
{
	int i;

	for (i = 0; in && i < in->n_tl; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&in->tl[i]->c + off, sizeof(v));
		metric(s, METRIC_COUNTER, name, help, v, "proto", proto(in->tl[i]), "listen", in->tl[i]->addr.text,
		       NULL);
	}
}

void intake_tcp_metrics(struct tcp_intake *in, struct metric_sink *s)
{
	static const struct { const char *reason; size_t off; } drops[] = {
		{ "oversize", offsetof(struct intake_counts, drop_oversize) },
		{ "empty", offsetof(struct intake_counts, drop_empty) },
		{ "bad_pri", offsetof(struct intake_counts, drop_bad_pri) },
		{ "bad_header", offsetof(struct intake_counts, drop_bad_header) },
	};
	static const char drop_help[] = "Stream frames dropped at intake";
	static const char fe_help[] = "TCP/TLS senders closed for a framing error";
	int i, k;
	size_t d;

	if (!in)
		return;
	top_senders(in, s);
#define EACH(type, name, help, expr)								\
	for (i = 0; i < in->n_tl; i++)								\
		metric(s, type, name, help, (uint64_t)(expr), "proto", proto(in->tl[i]), "listen",	\
		       in->tl[i]->addr.text, NULL)
	EACH(METRIC_GAUGE, "edgesteer_syslog_tcp_senders", "TCP/TLS senders connected", in->tl[i]->senders);
	EACH(METRIC_COUNTER, "edgesteer_syslog_tcp_connections_total", "TCP/TLS senders accepted",
	     in->tl[i]->conns);
	EACH(METRIC_COUNTER, "edgesteer_syslog_tcp_bytes_total", "Bytes read from TCP/TLS senders",
	     in->tl[i]->c.bytes);
	EACH(METRIC_COUNTER, "edgesteer_syslog_tcp_partial_at_eof_total",
	     "Octet-counted frames cut short by the sender closing", in->tl[i]->partial_at_eof);
	EACH(METRIC_COUNTER, "edgesteer_syslog_tcp_paused_ms_total",
	     "Time TCP/TLS senders were not read for lack of room (ms, summed over senders)", in->tl[i]->paused_ms);
	EACH(METRIC_COUNTER, "edgesteer_syslog_stream_frames_total", "Frames read from stream senders",
	     in->tl[i]->c.frames);
	EACH(METRIC_COUNTER, "edgesteer_syslog_stream_accepted_total", "Stream messages accepted into the ring",
	     in->tl[i]->c.accepted);
	EACH(METRIC_COUNTER, "edgesteer_syslog_stream_truncated_total", "Stream messages truncated to max_message",
	     in->tl[i]->c.truncated);
#undef EACH
	for (k = 0; k < SC_MAX; k++)
		for (i = 0; i < in->n_tl; i++)
			metric(s, METRIC_COUNTER, "edgesteer_syslog_tcp_closed_total", "TCP/TLS senders gone, by reason",
			       in->tl[i]->closes[k], "proto", proto(in->tl[i]), "listen", in->tl[i]->addr.text,
			       "reason", sc_names[k], NULL);
	for (i = 0; i < in->n_tl; i++) {
		const struct tcp_listener *tl = in->tl[i];

		metric(s, METRIC_COUNTER, "edgesteer_syslog_tcp_framing_errors_total", fe_help, tl->bad_length,
		       "proto", proto(tl), "listen", tl->addr.text, "reason", "bad_length", NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_tcp_framing_errors_total", fe_help, tl->too_big,
		       "proto", proto(tl), "listen", tl->addr.text, "reason", "too_big", NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_tcp_framing_errors_total", fe_help, tl->no_lf,
		       "proto", proto(tl), "listen", tl->addr.text, "reason", "no_lf", NULL);
	}
	for (d = 0; d < sizeof(drops) / sizeof(drops[0]); d++)
		for (i = 0; i < in->n_tl; i++) {
			uint64_t v;

			memcpy(&v, (const char *)&in->tl[i]->c + drops[d].off, sizeof(v));
			metric(s, METRIC_COUNTER, "edgesteer_syslog_stream_dropped_total", drop_help, v, "proto",
			       proto(in->tl[i]), "listen", in->tl[i]->addr.text, "reason", drops[d].reason, NULL);
		}
	metric(s, METRIC_GAUGE, "edgesteer_syslog_tls_intake_handshakes", "TLS senders in their handshake",
	       (uint64_t)in->n_handshaking, NULL);
	metric(s, METRIC_GAUGE, "edgesteer_syslog_tcp_senders_paused", "TCP/TLS senders waiting for room",
	       (uint64_t)in->n_paused, NULL);
	metric(s, METRIC_COUNTER, "edgesteer_syslog_tcp_max_senders_reached_total",
	       "Times accepting stopped at max_senders", in->refused_full, NULL);
}

void intake_tcp_free(struct tcp_intake *in)
{
	if (!in)
		return;
	while (in->head)
		sender_close(in->head, SC_SHUTDOWN);
	while (in->n_tl)
		listener_close(in, in->tl[--in->n_tl]);
	loop_timer_cancel(in->r->l, &in->retry);
	tls_cred_free(in->cred);
	tls_anchors_free(in->ca);
	free(in);
}
