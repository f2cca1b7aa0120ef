// SPDX-License-Identifier: GPL-2.0-only
/*
 * forward.c - [forward NAME]: the gateway as a TLS client of a syslog
 * collector (RFC 5425: TLS, octet-counted frames), with an on-disk spool.
 *
 * How it works.
 *
 * Positions. A forwarder reads the same ring as the subscribers, by
 * sequence number. It keeps two: `send_seq`, the next message to write,
 * and `ack_seq`, below which everything is confirmed. RFC 5425 has no
 * application acknowledgements, and a TCP ACK only says the bytes reached
 * the collector's kernel: a collector that is frozen, or that drops a
 * session on an error, never reads what sits in its receive buffer
 * (rsyslog does exactly that with a session that ends without
 * close_notify). So "confirmed" means *read by the collector process*,
 * which TCP does tell us indirectly: the receive buffer can hold at most
 * about twice the largest window the peer ever advertised, so bytes
 * acknowledged more than `2 * max window + CONFIRM_EXTRA` before the
 * latest acknowledged byte must have been read (CONFIRM_EXTRA covers the
 * collector's own TLS and read buffers). After each record is flushed a
 * mark {ciphertext offset, send_seq, spool offset} is queued; TCP_INFO
 * gives bytes acked and the peer's window; marks at or below the
 * confirmed offset move ack_seq. An orderly end - our close_notify at
 * shutdown answered by the collector's own close_notify - confirms
 * everything. Nothing else does: a reset, an EOF without close_notify or
 * a hangup after our close_notify may have thrown away what the
 * collector's kernel acknowledged but its process never read, so the
 * unconfirmed messages go to the spool. On any connection failure
 * send_seq falls back to ack_seq, so every message not confirmed is sent
 * again on the next connection.
 *
 * Settling. The slack means the last messages sent are confirmed only
 * by the bytes that follow them. When the intake waits for this
 * forwarder (forward_can_keep() said no: the ring is full of messages
 * not confirmed and the spool cannot take them, as with a ring smaller
 * than the slack and no spool), no bytes follow: the input is paused
 * until confirmation, confirmation waits for input. So once everything
 * is sent and acknowledged while the intake waits, the forwarder ends
 * the session the one way that confirms it all - close_notify, answered
 * by the collector's close_notify - and connects again at once. Without
 * the answer within write_timeout, it is a failed connection like any
 * other (everything unconfirmed is sent again). A ring larger than the
 * slack rarely needs it: a settle costs a TLS handshake.
 *
 * Spool. Messages the forwarder still needs (seq >= ack_seq) that the
 * ring evicts are appended, in order, to <spool_dir>/<NAME>.spool (the
 * file format, its checks and its durability are in spool.c). While
 * send_seq is older than the ring's oldest message, it is read from the
 * spool, then from the ring again. The file only grows until everything
 * in it is confirmed; then it is emptied.
 * Beyond spool_max (or with no spool_dir) an evicted message is not kept;
 * if it is ever needed - not sent yet, or to be sent again after a failed
 * connection - it is skipped and counted (`overflow`). On shutdown
 * everything unconfirmed still in the ring is spooled and the confirmed
 * offset is saved in NAME.spool.pos,
 * so the next run delivers the spool first, then new messages; sequence
 * numbers continue after the spool's last one.
 *
 * Delivery guarantee: at-least-once and in order, per [forward], across
 * reconnects, collector restarts and freezes, and (with a spool) our own
 * restarts, for every message not reported in
 * edgesteer_syslog_forward_overflow_total. After a failed connection the
 * unconfirmed messages - up to a receive buffer's worth - are sent again;
 * after a crash without the .pos file the spool is replayed from its
 * start. "Read by the collector" is not its fsync: a collector that
 * loses its own queue loses it (RELP would be needed for that).
 *
 * Trust. The collector's chain is verified against `ca`, its name
 * against server_name or, without one, the collector's host as written
 * (conf refuses an IP address without server_name), and its
 * extendedKeyUsage, when present, must allow serverAuth. A reload that
 * changes ca/cert/key or finds one renewed in place reconnects.
 *
 * Collectors. The addresses of one [forward] are alternatives: one
 * connection at a time, the next collector after each failure. One given
 * as a host name is resolved off the loop (core/resolve.c: resolver
 * threads, answers kept for their DNS TTL, at most resolve_interval); a
 * first answer is waited for at most connect_timeout (FWD_RESOLVING),
 * and a name's addresses race happy-eyeballs style (core/connrace.c).
 * Deadlines: connect_timeout for TCP (per attempt), handshake_timeout for TLS (a collector that
 * accepts and never answers is dropped when it passes), write_timeout
 * while written data gets no TCP acknowledgement. Reconnects wait backoff_min,
 * doubling per failure up to backoff_max, reset once data is confirmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* the full struct tcp_info (bytes_acked, snd_wnd) */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/connrace.h"
#include "core/log.h"
#include "core/resolve.h"
#include "syslog_int.h"
#include "spool.h"
#include "syslog_msg.h"
#include "tls/tls.h"

#define MARKS 1024
#define CONFIRM_EXTRA (256u << 10)
#define ACK_POLL_MS 50
#define PUMP_BUDGET (256u << 10)
#define SPOOL_FLUSH_MS 1000

enum fwd_state {
	FWD_BACKOFF,	/* waiting for the backoff timer before connecting */
	FWD_RESOLVING,	/* the collector's name waits for a first answer;
			 * connect_timeout armed */
	FWD_CONNECTING,	/* TCP connects racing (f->race, each attempt with
			 * connect_timeout); the race's bound armed */
	FWD_HANDSHAKE,	/* TLS handshake; handshake_timeout armed */
	FWD_UP,		/* streaming; write_timeout armed while data is unconfirmed */
};

static const char *const state_names[] = { "backoff", "resolving", "connecting", "handshake", "up" };

enum fail_reason {
	FR_CONNECT, FR_CONNECT_TIMEOUT, FR_HANDSHAKE, FR_HANDSHAKE_TIMEOUT,
	FR_WRITE_TIMEOUT, FR_CLOSED, FR_IO, FR_RESOLVE, FR_MAX
};
static const char *const fail_names[FR_MAX] = {
	"connect", "connect_timeout", "handshake", "handshake_timeout", "write_timeout",
	"closed_by_collector", "io_error", "resolve",
};

struct mark {
	uint64_t cipher_end;	/* ciphertext offset that completes the record */
	uint64_t seq_end;	/* send_seq after the record */
	uint64_t spool_off;	/* spool read offset after the record */
};

struct forwarder {
	struct syslog_relay *r;
	struct conf_forward fc;
	struct tls_anchors *ca;
	struct tls_cred *cred;
	struct tls_file_stamp ca_st, cert_st, key_st;	/* what was loaded, to notice renewals */
	char sni[CONF_HOST_MAX];		/* the name the collector's certificate must carry */
	struct tls_pump pump;
	enum fwd_state state;
	int cur;			/* collector index */
	struct loop_fd h;
	struct loop_timer timer;	/* backoff or the current deadline */
	struct loop_timer ack_timer;	/* polls TCP_INFO while bytes are unacknowledged */
	struct loop_timer flush_timer;	/* spool write buffer */
	struct loop_defer kick;
	struct resolver *resolver;	/* started at the first collector name */
	struct resolve_wait rwait;	/* FWD_RESOLVING */
	struct connrace *race;		/* FWD_CONNECTING */
	struct tls_session *tls;
	uint32_t backoff_ms;
	bool draining;
	bool closing;			/* close_notify sent at shutdown; waiting for the peer */
	bool blocking;			/* the intake waits for this forwarder to confirm */
	bool settling;			/* closing to confirm while the intake waits; reconnect after */
	uint64_t max_wnd;		/* largest window the collector advertised */
	uint64_t raw_acked, unacked;	/* TCP: bytes acknowledged, and still not */
	/* positions */
	uint64_t ack_seq, send_seq;
	struct mark marks[MARKS];
	int mhead, mcount;
	/* frame in progress */
	struct syslog_frame frame;
	bool frame_open, record_open;
	uint64_t cur_seq;
	uint32_t cur_rec;		/* spool record size when from the spool, else 0 */
	uint8_t *msgbuf;		/* stable copy of a message that spans records */
	const uint8_t *cur_msg;
	/* spool (NULL without spool_dir): read and confirmed offsets */
	struct spool *spool;
	uint64_t spool_rd, spool_ack;
	/* counters */
	uint64_t sent_msgs, sent_bytes, acked_msgs, resent_msgs, spooled_msgs, overflow;
	uint64_t connects, fails[FR_MAX], settles;
	char peer[CONF_HOST_MAX + 8];
};

static void fwd_connect(struct forwarder *f);
static void fwd_pump(struct forwarder *f);
static void on_kick(struct loop_defer *d);

const char *forward_name(const struct forwarder *f)
{
	return f->fc.name;
}

/* ---- spool (spool.c) ---------------------------------------------------- */

static bool fwd_spool_append(struct forwarder *f, uint64_t seq, const uint8_t *p, uint32_t len)
{
	if (spool_append(f->spool, seq, p, len))
		return false;
	if (!loop_timer_armed(&f->flush_timer))
		loop_timer_arm(f->r->l, &f->flush_timer, SPOOL_FLUSH_MS);
	return true;
}

/* Everything spooled is confirmed: empty the file. */
static void fwd_spool_reset(struct forwarder *f)
{
	spool_reset(f->spool);
	f->spool_rd = f->spool_ack = 0;
}

static void on_flush_timer(struct loop_timer *t)
{
	struct forwarder *f = container_of(t, struct forwarder, flush_timer);

	spool_tick(f->spool);
}

/* Everything unconfirmed that is still in the ring goes to the spool. */
static void spool_unconfirmed(struct forwarder *f)
{
	struct syslog_ring *ring = f->r->ring;
	uint64_t seq = f->ack_seq > ring_first(ring) ? f->ack_seq : ring_first(ring);

	for (; seq < ring_next(ring); seq++) {
		const uint8_t *p;
		uint32_t len;

		if (ring_get(ring, seq, &p, &len))
			continue;
		if (fwd_spool_append(f, seq, p, len))
			f->spooled_msgs++;
		else
			f->overflow++;
	}
	f->ack_seq = f->send_seq = ring_next(ring);
}

void forward_evict(struct forwarder *f, uint64_t seq, const uint8_t *p, uint32_t len)
{
	uint64_t end = spool_end(f->spool);

	if (seq < f->ack_seq)
		return;		/* confirmed already */
	if (!fwd_spool_append(f, seq, p, len))
		return;		/* counted as overflow if it is ever needed (next_message) */
	f->spooled_msgs++;
	/* already sent (unconfirmed): the reader is past it unless it rewinds */
	if (seq < f->send_seq && f->spool_rd == end)
		f->spool_rd = spool_end(f->spool);
}

/* The intake waits for us: a connected forwarder looks at once whether
 * it has to settle (check_acks). */
static bool fwd_blocks(struct forwarder *f)
{
	if (!f->blocking) {
		f->blocking = true;
		if (f->state == FWD_UP)
			loop_defer(f->r->l, &f->kick, on_kick);
	}
	return false;
}

bool forward_can_keep(struct forwarder *f, uint64_t upto)
{
	const struct syslog_ring *ring = f->r->ring;
	uint64_t seq = f->ack_seq > ring_first(ring) ? f->ack_seq : ring_first(ring), n = 0, bytes = 0;

	if (upto <= seq)
		return true;	/* all it would evict is confirmed */
	if (!f->spool)
		return fwd_blocks(f);
	for (; seq < upto; seq++) {
		const uint8_t *p;
		uint32_t len;

		if (ring_get(ring, seq, &p, &len) == 0) {
			n++;
			bytes += len;
		}
	}
	return spool_fits(f->spool, n, bytes) || fwd_blocks(f);
}

/* ---- connection lifecycle ----------------------------------------------- */

static void fwd_teardown(struct forwarder *f)
{
	struct loop *l = f->r->l;

	if (f->h.fd >= 0) {
		int fd = f->h.fd;
		char junk[4096];

		loop_fd_del(l, &f->h);
		/* close() with unread input sends RST, and an RST makes the
		 * collector's kernel drop what it acknowledged but its process
		 * has not read yet - messages we count as confirmed. Read first
		 * so the close is a FIN. */
		while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
		close(fd);
	}
	resolver_unwait(&f->rwait);
	connrace_cancel(f->race);
	f->race = NULL;
	tls_free(f->tls);
	f->tls = NULL;
	loop_timer_cancel(l, &f->timer);
	loop_timer_cancel(l, &f->ack_timer);
	loop_defer_cancel(l, &f->kick);
	/* everything unconfirmed is sent again on the next connection */
	if (f->send_seq > f->ack_seq)
		f->resent_msgs += f->send_seq - f->ack_seq;
	f->send_seq = f->ack_seq;
	f->spool_rd = f->spool_ack;
	f->mcount = 0;
	f->max_wnd = f->raw_acked = f->unacked = 0;
	f->frame_open = false;
	f->record_open = false;
	/* a settle ends with its session (a shutdown's close is the caller's) */
	if (f->settling)
		f->closing = f->settling = false;
}

static void fwd_fail(struct forwarder *f, enum fail_reason why, const char *detail)
{
	f->fails[why]++;
	if (f->settling)
		pr_warn("syslog: [forward %s] collector %s did not answer our close_notify (%s%s%s): the "
			"%llu unconfirmed messages will be sent again", f->fc.name, f->peer, fail_names[why],
			detail ? ": " : "", detail ? detail : "", (unsigned long long)(f->send_seq - f->ack_seq));
	else if (f->closing) {
		/* our close_notify was answered by a reset, an EOF or a hangup,
		 * not by the collector's close_notify: what it acknowledged may
		 * still sit unread in its kernel and die with the connection */
		pr_warn("syslog: [forward %s] collector %s ended the session without close_notify (%s%s%s): "
			"%llu unconfirmed messages are kept for the spool", f->fc.name, f->peer,
			fail_names[why], detail ? ": " : "", detail ? detail : "",
			(unsigned long long)(f->send_seq - f->ack_seq));
		fwd_teardown(f);
		f->closing = false;
		f->state = FWD_BACKOFF;	/* shutting down: no reconnect; forward_drain() spools */
		return;
	}
	if (f->settling)
		;	/* said above */
	else if (f->state == FWD_UP)
		pr_warn("syslog: [forward %s] collector %s: connection lost: %s%s%s", f->fc.name, f->peer,
			fail_names[why], detail ? ": " : "", detail ? detail : "");
	else
		pr_warn("syslog: [forward %s] collector %s: %s failed: %s%s%s; retrying in %u ms",
			f->fc.name, f->peer, state_names[f->state], fail_names[why],
			detail ? ": " : "", detail ? detail : "", f->backoff_ms);
	fwd_teardown(f);
	f->state = FWD_BACKOFF;
	f->cur = (f->cur + 1) % f->fc.n_collectors;
	loop_timer_arm(f->r->l, &f->timer, f->backoff_ms);
	f->backoff_ms = f->backoff_ms * 2 > f->fc.backoff_max_ms ? f->fc.backoff_max_ms : f->backoff_ms * 2;
}

static void pop_marks(struct forwarder *f, uint64_t point)
{
	uint64_t old = f->ack_seq;

	while (f->mcount && f->marks[f->mhead].cipher_end <= point) {
		struct mark *m = &f->marks[f->mhead];

		if (m->seq_end > f->ack_seq)
			f->ack_seq = m->seq_end;
		if (m->spool_off > f->spool_ack)
			f->spool_ack = m->spool_off;
		f->mhead = (f->mhead + 1) % MARKS;
		f->mcount--;
	}
	if (f->ack_seq != old) {
		f->acked_msgs += f->ack_seq - old;
		f->blocking = false;	/* room; the intake asks again if it still waits */
		/* every spooled message is older than the ring: all confirmed */
		if (spool_end(f->spool) && f->ack_seq >= ring_first(f->r->ring) &&
		    f->spool_rd >= spool_end(f->spool))
			fwd_spool_reset(f);
	}
}

/* Connected, everything written and acknowledged by the collector's TCP:
 * close_notify can confirm the rest now. */
static bool all_sent_and_acked(struct forwarder *f)
{
	return !f->closing && f->send_seq >= ring_next(f->r->ring) &&
	       f->spool_rd >= spool_end(f->spool) && !f->frame_open && !f->unacked &&
	       !(br_ssl_engine_current_state(tls_engine(f->tls)) & BR_SSL_SENDREC);
}

/* The intake waits and nothing more will be sent: confirm by an orderly
 * end (see "Settling" above); fwd_closed_cleanly() connects again. */
static void fwd_settle(struct forwarder *f)
{
	f->closing = f->settling = true;
	f->blocking = false;
	f->settles++;
	pr_debug("syslog: [forward %s] intake waiting for room: close_notify to collector %s to confirm "
		 "the last %llu messages", f->fc.name, f->peer, (unsigned long long)(f->send_seq - f->ack_seq));
	br_ssl_engine_close(tls_engine(f->tls));
	loop_timer_arm(f->r->l, &f->timer, f->fc.write_timeout_ms);
	/* not fwd_pump() here: check_acks() may run inside it */
	loop_defer(f->r->l, &f->kick, on_kick);
}

static void check_acks(struct forwarder *f)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	uint64_t slack, raw;

	memset(&ti, 0, sizeof(ti));
	if (!f->tls || getsockopt(f->h.fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0)
		return;
	raw = ti.tcpi_bytes_acked;
	if (tl < offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(ti.tcpi_snd_wnd))
		f->max_wnd = 32u << 20;	/* kernel < 5.4: assume a large tcp_rmem */
	else if (ti.tcpi_snd_wnd > f->max_wnd)
		f->max_wnd = ti.tcpi_snd_wnd;
	slack = 2 * f->max_wnd + CONFIRM_EXTRA;
	pop_marks(f, raw > slack ? raw - slack : 0);
	f->unacked = tls_bytes_sent(f->tls) > raw ? tls_bytes_sent(f->tls) - raw : 0;
	if (raw != f->raw_acked) {
		/* the collector's TCP moves: the write deadline starts over */
		f->raw_acked = raw;
		f->backoff_ms = f->fc.backoff_min_ms;
		if (f->unacked)
			loop_timer_arm(f->r->l, &f->timer, f->fc.write_timeout_ms);
	}
	if (!f->unacked) {
		/* while settling the timer is the deadline of the answer */
		if (f->state == FWD_UP && !f->settling)
			loop_timer_cancel(f->r->l, &f->timer);
	} else if (!loop_timer_armed(&f->ack_timer)) {
		loop_timer_arm(f->r->l, &f->ack_timer, ACK_POLL_MS);
	}
	if (f->blocking && f->state == FWD_UP && f->send_seq > f->ack_seq && all_sent_and_acked(f))
		fwd_settle(f);
}

static void on_ack_timer(struct loop_timer *t)
{
	struct forwarder *f = container_of(t, struct forwarder, ack_timer);

	if (f->state == FWD_UP)
		check_acks(f);
}

static void push_mark(struct forwarder *f)
{
	struct mark m = { tls_bytes_produced(f->tls), f->send_seq, f->spool_rd };

	if (f->mcount == MARKS) {
		/* merge into the newest: coarser, still correct */
		f->marks[(f->mhead + f->mcount - 1) % MARKS] = m;
	} else {
		f->marks[(f->mhead + f->mcount) % MARKS] = m;
		f->mcount++;
	}
	if (!loop_timer_armed(&f->timer))
		loop_timer_arm(f->r->l, &f->timer, f->fc.write_timeout_ms);
	if (!loop_timer_armed(&f->ack_timer))
		loop_timer_arm(f->r->l, &f->ack_timer, ACK_POLL_MS);
}

/* The next message to send: from the spool while behind the ring. */
static bool next_message(struct forwarder *f, uint64_t *seq, const uint8_t **p, uint32_t *len,
			 uint32_t *rec)
{
	struct syslog_ring *ring = f->r->ring;

	while (f->spool_rd < spool_end(f->spool)) {
		struct spool_rec sr;
		int err = spool_read(f->spool, f->spool_rd, &sr);

		if (err) {
			if (err != -ENOENT)	/* -ENOENT: only damage is left, counted by spool.c */
				pr_err("syslog: [forward %s] spool %s unreadable at %llu (%s); skipping the rest",
				       f->fc.name, spool_path(f->spool), (unsigned long long)f->spool_rd,
				       strerror(-err));
			f->spool_rd = spool_end(f->spool);
			break;
		}
		/* damage skipped before it belongs to the record */
		f->spool_rd = sr.off;
		if (sr.seq >= f->send_seq) {
			/* a hole before it: evicted while the spool was full */
			f->overflow += sr.seq - f->send_seq;
			f->send_seq = sr.seq;
			*seq = sr.seq;
			*p = sr.p;
			*len = sr.len;
			*rec = (uint32_t)(sr.next - sr.off);
			return true;
		}
		f->spool_rd = sr.next;	/* sent before the reconnect and confirmed */
	}
	if (f->send_seq < ring_first(ring)) {
		/* gone from the ring and not in the spool: cannot be (re)sent */
		f->overflow += ring_first(ring) - f->send_seq;
		f->send_seq = ring_first(ring);
	}
	*rec = 0;
	*seq = f->send_seq;
	return ring_get(ring, f->send_seq, p, len) == 0;
}

static long fwd_fill(struct forwarder *f, size_t budget, bool *caught_up)
{
	br_ssl_engine_context *eng = tls_engine(f->tls);
	size_t moved = 0;

	*caught_up = false;
	while (moved < budget) {
		unsigned char *buf;
		size_t avail, n;

		if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP))
			break;
		buf = br_ssl_engine_sendapp_buf(eng, &avail);
		if (!f->frame_open) {
			uint64_t seq;
			const uint8_t *p;
			uint32_t len, rec;

			if (!next_message(f, &seq, &p, &len, &rec)) {
				*caught_up = true;
				break;
			}
			syslog_frame_init(&f->frame, FRAMING_OCTET, len);
			if (syslog_frame_total(&f->frame) > avail && f->record_open)
				break;
			if (syslog_frame_total(&f->frame) > avail) {
				/* spans records: the ring or read-ahead may move under it */
				memcpy(f->msgbuf, p, len);
				p = f->msgbuf;
			}
			f->frame_open = true;
			f->cur_seq = seq;
			f->cur_rec = rec;
			f->cur_msg = p;
		}
		n = syslog_frame_emit(&f->frame, f->cur_msg, buf, avail);
		br_ssl_engine_sendapp_ack(eng, n);
		f->record_open = true;
		moved += n;
		f->sent_bytes += n;
		if (syslog_frame_done(&f->frame)) {
			f->frame_open = false;
			f->send_seq = f->cur_seq + 1;
			if (f->cur_rec)
				f->spool_rd += f->cur_rec;
			f->sent_msgs++;
		}
	}
	if (f->record_open) {
		br_ssl_engine_flush(eng, 0);
		f->record_open = false;
		push_mark(f);
	}
	return (long)moved;
}

static void on_kick(struct loop_defer *d)
{
	fwd_pump(container_of(d, struct forwarder, kick));
}

/* Our close_notify was answered: the collector read it all. */
static void fwd_closed_cleanly(struct forwarder *f)
{
	bool settle = f->settling;

	pop_marks(f, UINT64_MAX);
	if (settle)
		pr_debug("syslog: [forward %s] collector %s confirmed everything; connecting again",
			 f->fc.name, f->peer);
	else
		pr_info("syslog: [forward %s] collector %s closed the session after reading everything",
			f->fc.name, f->peer);
	fwd_teardown(f);
	f->closing = false;
	f->state = FWD_BACKOFF;
	/* at shutdown no reconnect; after a settle at once */
	if (settle && !f->r->draining)
		loop_timer_arm(f->r->l, &f->timer, 0);
}

static long fwd_fill_cb(void *arg, br_ssl_engine_context *eng, size_t budget)
{
	bool caught_up;

	return fwd_fill(arg, budget, &caught_up);
}

static void fwd_pump(struct forwarder *f)
{
	int rc;

	while ((rc = tls_pump(f->tls, &f->pump)) == TLS_PUMP_ESTABLISHED) {
		f->state = FWD_UP;
		loop_timer_cancel(f->r->l, &f->timer);
		pr_info("syslog: [forward %s] connected to collector %s (certificate for \"%s\")", f->fc.name,
			f->peer, f->sni);
	}
	if (rc == TLS_CLOSED && f->closing) {
		/* only the collector's close_notify after ours confirms */
		fwd_closed_cleanly(f);
		return;
	}
	if (rc == TLS_CLOSED || rc < 0) {
		const char *d = rc == TLS_CLOSED ? "close_notify" :
				rc == -EPROTO ? tls_error_name(tls_last_error(f->tls)) : strerror(-rc);

		fwd_fail(f, f->state == FWD_HANDSHAKE ? FR_HANDSHAKE :
			    rc == TLS_CLOSED || rc == -ECONNRESET || rc == -EPIPE ? FR_CLOSED : FR_IO, d);
		return;
	}
	if (rc == TLS_PUMP_MORE)
		loop_defer(f->r->l, &f->kick, on_kick);
	if (f->state == FWD_UP)
		check_acks(f);
	loop_fd_mod(f->r->l, &f->h, tls_events(f->tls) | EPOLLRDHUP);
}

static void on_fd(struct loop_fd *h, uint32_t events)
{
	struct forwarder *f = container_of(h, struct forwarder, h);

	if (f->state == FWD_CONNECTING) {
		return;	/* not registered while the race owns the sockets */
	} else if (f->closing && (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
		/* the collector's close_notify, if it sent one, is read first */
		int rc = tls_io(f->tls);

		if (rc == TLS_CLOSED)
			fwd_closed_cleanly(f);
		else
			fwd_fail(f, FR_CLOSED, rc < 0 ? strerror(-rc) : "hangup");
		return;
	} else if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		/* let the engine read what explains it (an alert) first */
		if (f->tls && tls_io(f->tls) == -EPROTO) {
			fwd_fail(f, f->state == FWD_HANDSHAKE ? FR_HANDSHAKE : FR_CLOSED,
				 tls_error_name(tls_last_error(f->tls)));
			return;
		}
		fwd_fail(f, f->state == FWD_HANDSHAKE ? FR_HANDSHAKE : FR_CLOSED, "connection closed");
		return;
	}
	fwd_pump(f);
}

static void on_timer(struct loop_timer *t)
{
	struct forwarder *f = container_of(t, struct forwarder, timer);

	switch (f->state) {
	case FWD_BACKOFF:
		fwd_connect(f);
		break;
	case FWD_RESOLVING:
		fwd_fail(f, FR_RESOLVE, "no answer from the resolver within connect_timeout");
		break;
	case FWD_CONNECTING:
		fwd_fail(f, FR_CONNECT_TIMEOUT, NULL);
		break;
	case FWD_HANDSHAKE:
		fwd_fail(f, FR_HANDSHAKE_TIMEOUT, NULL);
		break;
	case FWD_UP:
		if (f->settling) {
			fwd_fail(f, FR_WRITE_TIMEOUT, "no close_notify in answer within write_timeout");
			break;
		}
		check_acks(f);
		if (loop_timer_armed(&f->timer) || !f->unacked)
			break;	/* progress after all */
		fwd_fail(f, FR_WRITE_TIMEOUT, "collector stopped acknowledging");
		break;
	}
}

/* server_name, else the collector's host as written: the name is always
 * verified (conf refuses an IP literal without server_name). */
static void fwd_pick_name(struct forwarder *f, const struct conf_addr *a)
{
	const char *t = a->text, *end;
	size_t n;

	if (f->fc.server_name[0]) {
		snprintf(f->sni, sizeof(f->sni), "%s", f->fc.server_name);
		return;
	}
	if (t[0] == '[') {
		t++;
		end = strchr(t, ']');
	} else {
		end = strrchr(t, ':');
	}
	n = end ? (size_t)(end - t) : strlen(t);
	if (n >= sizeof(f->sni))
		n = sizeof(f->sni) - 1;
	memcpy(f->sni, t, n);
	f->sni[n] = 0;
}

/* TCP is up (fd connected): TLS starts; handshake_timeout armed. */
static void fwd_connected(struct forwarder *f, int fd)
{
	struct tls_client_opts o = { .ca = f->ca, .server_name = f->sni, .cred = f->cred };
	int err = loop_fd_add(f->r->l, &f->h, fd, EPOLLOUT | EPOLLRDHUP, on_fd);

	if (err) {
		close(fd);
		fwd_fail(f, FR_CONNECT, strerror(-err));
		return;
	}
	if (tls_client_new(&o, fd, TLS_BUF_MONO, false, "collector", f->peer, &f->tls)) {
		fwd_fail(f, FR_HANDSHAKE, "cannot start TLS");
		return;
	}
	f->pump = (struct tls_pump){ .budget = PUMP_BUDGET, .fill = fwd_fill_cb, .arg = f };
	f->state = FWD_HANDSHAKE;
	f->connects++;
	loop_timer_arm(f->r->l, &f->timer, f->fc.handshake_timeout_ms);
}

static void fwd_raced(void *arg, int fd, int idx, int err)
{
	struct forwarder *f = arg;

	(void)idx;
	f->race = NULL;
	if (fd < 0)
		fwd_fail(f, err == ETIMEDOUT ? FR_CONNECT_TIMEOUT : FR_CONNECT, strerror(err));
	else
		fwd_connected(f, fd);
}

/* The collector's name has its first answer (or failed): try again. */
static void fwd_name_ready(struct resolve_wait *w)
{
	struct forwarder *f = container_of(w, struct forwarder, rwait);

	loop_timer_cancel(f->r->l, &f->timer);
	fwd_connect(f);
}

/*
 * The addresses of collector a: the literal one, or its name's answer.
 * 0 with none: *wait when the first answer is on its way (f->rwait
 * registered), else the lookup failed (fwd_fail done).
 */
static int fwd_addrs(struct forwarder *f, const struct conf_addr *a, const struct sockaddr_storage **addrs,
		     const socklen_t **lens, bool *wait)
{
	struct resolve_name *e;
	int err;

	*wait = false;
	if (a->ss.ss_family != AF_UNSPEC) {
		*addrs = &a->ss;
		*lens = &a->len;
		return 1;
	}
	if (!f->resolver) {
		char who[CONF_NAME_MAX + 24];

		snprintf(who, sizeof(who), "syslog: [forward %s]", f->fc.name);
		err = resolver_new(f->r->l, who, &f->resolver);
		if (err) {
			fwd_fail(f, FR_RESOLVE, strerror(-err));
			return 0;
		}
	}
	e = resolver_get(f->resolver, a->text, f->fc.resolve_interval_ms);
	if (!e) {
		fwd_fail(f, FR_RESOLVE, strerror(ENOMEM));
		return 0;
	}
	if (!e->n && e->pending) {
		*wait = true;
		f->rwait.ready = fwd_name_ready;
		resolver_wait(e, &f->rwait);
		return 0;
	}
	if (!e->n) {
		fwd_fail(f, FR_RESOLVE, gai_strerror(e->last_err));
		return 0;
	}
	*addrs = e->addrs;
	*lens = e->lens;
	return e->n;
}

static void fwd_connect(struct forwarder *f)
{
	const struct conf_addr *a = &f->fc.collectors[f->cur];
	const struct connrace_opts ro = { .timeout_ms = f->fc.connect_timeout_ms,
					  .delay_ms = CONNRACE_DELAY_MS, .max_inflight = CONNRACE_INFLIGHT };
	const struct sockaddr_storage *addrs = NULL;
	const socklen_t *lens = NULL;
	bool wait;
	int n, err;

	snprintf(f->peer, sizeof(f->peer), "%s", a->text);
	fwd_pick_name(f, a);
	f->state = FWD_RESOLVING;
	n = fwd_addrs(f, a, &addrs, &lens, &wait);
	if (wait) {
		loop_timer_arm(f->r->l, &f->timer, f->fc.connect_timeout_ms);
		return;
	}
	if (!n)
		return;	/* failed: backoff armed */
	f->state = FWD_CONNECTING;
	err = connrace_start(f->r->l, addrs, lens, n, &ro, fwd_raced, f, &f->race);
	if (err) {
		fwd_fail(f, FR_CONNECT, strerror(-err));
		return;
	}
	/* each attempt has its own deadline; this bounds the race */
	loop_timer_arm(f->r->l, &f->timer, connrace_bound_ms(&ro, n));
}

/* ---- the contract with syslog.c ---------------------------------------- */

static int load_tls(struct forwarder *f, const struct conf_forward *fc)
{
	struct tls_anchors *ca = NULL;
	struct tls_cred *cred = NULL;
	struct tls_file_stamp ca_st, cert_st, key_st;
	int err;

	/* stamps first: a file replaced while it is read is loaded again
	 * at the next reload */
	tls_file_stamp(fc->ca, &ca_st);
	tls_file_stamp(fc->cert, &cert_st);
	tls_file_stamp(fc->key, &key_st);
	err = tls_anchors_load(fc->ca, &ca);
	if (err) {
		pr_err("syslog: [forward %s] ca %s: cannot load", fc->name, fc->ca);
		return err;
	}
	if (fc->cert[0]) {
		err = tls_cred_load(fc->cert, fc->key, &cred);
		if (err) {
			tls_anchors_free(ca);
			return err;
		}
	}
	tls_anchors_free(f->ca);
	tls_cred_free(f->cred);
	f->ca = ca;
	f->cred = cred;
	f->ca_st = ca_st;
	f->cert_st = cert_st;
	f->key_st = key_st;
	return 0;
}

/* Did ca, cert or key change on disk since they were loaded? */
static bool tls_files_renewed(const struct forwarder *f, const struct conf_forward *fc)
{
	struct tls_file_stamp ca, cert, key;

	tls_file_stamp(fc->ca, &ca);
	tls_file_stamp(fc->cert, &cert);
	tls_file_stamp(fc->key, &key);
	return !tls_file_stamp_eq(&ca, &f->ca_st) || !tls_file_stamp_eq(&cert, &f->cert_st) ||
	       !tls_file_stamp_eq(&key, &f->key_st);
}

int forward_new(struct syslog_relay *r, const struct conf_forward *fc, struct forwarder **out,
		uint64_t *spool_last_seq)
{
	struct forwarder *f = calloc(1, sizeof(*f));
	uint64_t first = 0;
	int err;

	if (!f)
		return -ENOMEM;
	f->r = r;
	f->fc = *fc;
	f->h.fd = -1;
	f->backoff_ms = fc->backoff_min_ms;
	loop_timer_init(&f->timer, on_timer);
	loop_timer_init(&f->ack_timer, on_ack_timer);
	loop_timer_init(&f->flush_timer, on_flush_timer);
	f->msgbuf = malloc(65536);
	if (!f->msgbuf) {
		err = -ENOMEM;
		goto fail;
	}
	err = load_tls(f, fc);
	if (err)
		goto fail;
	*spool_last_seq = 0;
	if (fc->spool_dir[0]) {
		struct spool_opts so = { .dir = fc->spool_dir, .name = fc->name, .max = fc->spool_max,
					 .sync = fc->spool_sync };
		struct spool_resume res;

		err = spool_open(&so, &f->spool, &res);
		if (err)
			goto fail;
		f->spool_rd = f->spool_ack = res.pos;
		*spool_last_seq = res.last_seq;
		first = res.first_seq;
		if (res.first_seq)
			pr_info("syslog: [forward %s] %llu spooled bytes from an earlier run will be delivered "
				"first", fc->name, (unsigned long long)(spool_end(f->spool) - res.pos));
	}
	/* 0 until forward_start(): the spool's first record, else the ring's */
	f->ack_seq = f->send_seq = first;
	*out = f;
	return 0;
fail:
	forward_free(f);
	return err;
}

void forward_start(struct forwarder *f)
{
	uint64_t first = ring_first(f->r->ring);

	if (!f->ack_seq || f->ack_seq > first)
		f->ack_seq = f->send_seq = first;
	fwd_connect(f);
}

int forward_reconf(struct forwarder *f, const struct conf_forward *fc)
{
	bool restart = memcmp(f->fc.collectors, fc->collectors, sizeof(fc->collectors)) ||
		       f->fc.n_collectors != fc->n_collectors || strcmp(f->fc.ca, fc->ca) ||
		       strcmp(f->fc.cert, fc->cert) || strcmp(f->fc.key, fc->key) ||
		       strcmp(f->fc.server_name, fc->server_name) || tls_files_renewed(f, fc);
	int err = 0;

	spool_set_sync(f->spool, fc->spool_sync);
	if (restart) {
		err = load_tls(f, fc);
		if (err) {
			syslog_reload_failed(f->r, "[forward %s] ca %s%s%s not loaded (%s); the collector "
					     "is still verified with the previous files", fc->name, fc->ca,
					     fc->cert[0] ? " or cert " : "", fc->cert,
					     err == -EINVAL ? "not usable PEM" : strerror(-err));
			return err;
		}
	}
	{
		char dir[CONF_PATH_MAX];

		memcpy(dir, f->fc.spool_dir, sizeof(dir));
		if (strcmp(dir, fc->spool_dir)) {
			syslog_reload_failed(f->r, "[forward %s] spool_dir stays %s until a restart", fc->name,
					     dir[0] ? dir : "(none)");
			err = -EBUSY;
		}
		f->fc = *fc;
		memcpy(f->fc.spool_dir, dir, sizeof(dir));
	}
	if (restart) {
		pr_info("syslog: [forward %s] collectors or TLS files changed: reconnecting", fc->name);
		fwd_teardown(f);
		f->cur = 0;
		f->backoff_ms = fc->backoff_min_ms;
		fwd_connect(f);
	}
	return err;
}

void forward_notify(struct forwarder *f)
{
	spool_batch_end(f->spool);
	if (f->state == FWD_UP && !(tls_events(f->tls) & EPOLLOUT))
		loop_defer(f->r->l, &f->kick, on_kick);
}

int forward_drain(struct forwarder *f)
{
	bool done = f->ack_seq >= ring_next(f->r->ring) && f->spool_ack >= spool_end(f->spool);

	if (done)
		return 0;
	if (f->state == FWD_UP) {
		/* connected: let it deliver (the daemon's drain_timeout bounds
		 * this); once the collector's TCP has everything, close_notify
		 * - its answer proves it read it all */
		check_acks(f);
		if (f->state == FWD_UP && all_sent_and_acked(f)) {
			f->closing = true;
			pr_info("syslog: [forward %s] all sent; close_notify to collector %s, waiting for "
				"its close_notify to confirm the last %llu messages", f->fc.name, f->peer,
				(unsigned long long)(f->send_seq - f->ack_seq));
			br_ssl_engine_close(tls_engine(f->tls));
			fwd_pump(f);
		}
		return 1;
	}
	if (!f->draining) {
		uint64_t first = ring_first(f->r->ring), from = f->ack_seq > first ? f->ack_seq : first;
		unsigned long long n = ring_next(f->r->ring) - from;

		f->draining = true;
		if (f->spool)
			pr_info("syslog: [forward %s] collector down at shutdown: spooling the %llu "
				"unconfirmed messages still in the ring", f->fc.name, n);
		else
			pr_warn("syslog: [forward %s] collector down at shutdown and no spool_dir: "
				"%llu unconfirmed messages are lost", f->fc.name, n);
		spool_unconfirmed(f);
	}
	return 0;
}

void forward_metrics(struct forwarder **fw, int n, struct metric_sink *s)
{
	int i, k;

#define EACH(type, mname, mhelp, expr)							\
	for (i = 0; i < n; i++) {							\
		struct forwarder *f = fw[i];						\
		metric(s, type, mname, mhelp, (expr), "forward", f->fc.name,		\
		       "collector", f->fc.collectors[f->cur].text, NULL);		\
	}
	EACH(METRIC_GAUGE, "edgesteer_syslog_forward_up", "1 when connected to the collector",
	     (uint64_t)(f->state == FWD_UP));
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_sent_total", "Messages written to the collector",
	     f->sent_msgs);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_bytes_total", "Framed bytes written to the collector",
	     f->sent_bytes);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_confirmed_total",
	     "Messages the collector has read (acknowledged beyond its receive buffer, or close_notify)",
	     f->acked_msgs);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_resent_total",
	     "Messages sent again after a connection failed before confirming them", f->resent_msgs);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_spooled_total", "Messages written to the spool",
	     f->spooled_msgs);
	EACH(METRIC_GAUGE, "edgesteer_syslog_forward_spool_bytes", "Bytes in the spool file",
	     spool_end(f->spool));
	for (i = 0; i < n; i++) {
		struct spool_stats st;
		struct forwarder *f = fw[i];

		spool_get_stats(f->spool, &st);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_forward_spool_damaged_files_total",
		       "Spool files that were not ours or not spools, moved aside as NAME.spool.damaged-TIME",
		       st.damaged_files, "forward", f->fc.name, NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_forward_spool_damaged_bytes_total",
		       "Damaged spool bytes skipped to resynchronise at the next valid record",
		       st.damaged_bytes, "forward", f->fc.name, NULL);
		metric(s, METRIC_COUNTER, "edgesteer_syslog_forward_spool_write_errors_total",
		       "Failed spool writes (full disk, size limit); their messages count as overflow",
		       st.write_errors, "forward", f->fc.name, NULL);
	}
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_overflow_total",
	     "Messages that could not be sent or sent again: gone from the ring, spool full or absent",
	     f->overflow);
	EACH(METRIC_GAUGE, "edgesteer_syslog_forward_lag_messages", "Messages not yet confirmed",
	     ring_next(f->r->ring) - f->ack_seq);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_connects_total", "TLS connections established",
	     f->connects);
	EACH(METRIC_COUNTER, "edgesteer_syslog_forward_settles_total",
	     "Sessions ended by close_notify to confirm what the collector read while the intake waited "
	     "for room (then connected again)", f->settles);
#undef EACH
	for (i = 0; i < n; i++)
		for (k = 0; k < FR_MAX; k++)
			metric(s, METRIC_COUNTER, "edgesteer_syslog_forward_failures_total",
			       "Connection failures, by reason", fw[i]->fails[k], "forward", fw[i]->fc.name,
			       "reason", fail_names[k], NULL);
}

void forward_free(struct forwarder *f)
{
	struct loop *l;

	if (!f)
		return;
	l = f->r->l;
	if (f->r->ring && f->spool && f->ack_seq && f->ack_seq < ring_next(f->r->ring))
		spool_unconfirmed(f);
	if (f->tls)
		tls_close_notify(f->tls);
	fwd_teardown(f);
	resolver_free(f->resolver);
	loop_timer_cancel(l, &f->flush_timer);
	spool_close(f->spool, f->spool_ack);
	tls_anchors_free(f->ca);
	tls_cred_free(f->cred);
	free(f->msgbuf);
	free(f);
}
