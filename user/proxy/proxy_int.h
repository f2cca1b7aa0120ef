/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * conn.h - one proxied connection, and the proxy's internal types shared
 * by conn.c (the connection state machine and splice pump) and proxy.c
 * (listeners, accept, limits, reload, counters). Nothing outside the
 * proxy module includes this file; the daemon uses proxy.h.
 */
#ifndef EDGESTEER_CONN_H
#define EDGESTEER_CONN_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/conf.h"
#include "core/connrace.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/resolve.h"
#include "route.h"
#include "sni.h"

struct conn;
struct front;
struct proxy_set;

/* Why a connection ended: counted per [proxy] and written to the access log. */
enum close_reason {
	CLOSE_DONE,		/* both directions finished with EOF */
	CLOSE_HELLO_TIMEOUT,	/* no complete hello / request head (terminate=: handshake) in time */
	CLOSE_HELLO_EOF,	/* client closed before its hello was complete */
	CLOSE_BAD_HELLO,	/* not a ClientHello / HTTP head, or malformed */
	CLOSE_HELLO_TOO_LARGE,	/* no answer within SNI_MAX_HELLO bytes */
	CLOSE_HELLO_EVICTED,	/* still in its hello (terminate=: its handshake),
				 * the oldest such, when the proxy was at
				 * max_connections and a new client came */
	CLOSE_UNROUTED,		/* no route, no default: alert / 421 sent */
	CLOSE_CONNECT_FAILED,	/* every upstream refused or was unreachable */
	CLOSE_CONNECT_TIMEOUT,	/* the last upstream tried did not answer in time */
	CLOSE_IDLE_TIMEOUT,	/* no byte either way for idle_timeout */
	CLOSE_CLIENT_ERROR,	/* reset or error on the client socket */
	CLOSE_UPSTREAM_ERROR,	/* reset or error on the upstream socket */
	CLOSE_NO_RESOURCES,	/* out of fds or memory for this connection */
	CLOSE_TRANSFORM_ERROR,	/* the route's byte transform failed (terminate=) */
	CLOSE_SHUTDOWN,		/* the proxy was freed (daemon exit) */
	CLOSE_PP_BAD,		/* accept_proxy: header missing or malformed */
	CLOSE_PP_TIMEOUT,	/* accept_proxy: no complete header within hello_timeout */
	CLOSE_PP_UNTRUSTED,	/* accept_proxy: source not in accept_proxy_from */
	CLOSE_CLIENT_LIMIT,	/* the client has max_conn_per_client open already */
	CLOSE_CLIENT_RATE,	/* the client is over client_rate / client_burst */
	CLOSE__COUNT
};
const char *conn_close_reason_str(enum close_reason r);

/* The states of a connection; each socket has this one owner (docs/design.md,
 * One owner per duplex socket). Every state is entered through conn_enter(),
 * which arms its deadline. */
enum conn_state {
	CONN_HELLO,	/* reading the PROXY header (accept_proxy, until
			 * c->pp_done) and the ClientHello / request head into
			 * c->buf; client EPOLLIN, hello deadline armed */
	CONN_CONNECT,	/* connecting upstreams[c->up_cur]: its addresses
			 * race (c->race, each attempt with its own
			 * connect_timeout), or its name waits for a first
			 * answer (c->rwait, connect_timeout armed) */
	CONN_REPLAY,	/* sending the PROXY header and the peeked bytes to the
			 * upstream (partial writes resume on EPOLLOUT) */
	CONN_SPLICE,	/* routed: both directions pumped, idle deadline */
	CONN_REFUSE,	/* unrouted: alert / 421 written and SHUT_WR sent;
			 * reading the client to EOF so the answer is not
			 * destroyed by a reset; short deadline */
};

/*
 * A byte transform for the client side, in place of splice: the hook
 * for routes with terminate=CERT,KEY (TLS ends at the proxy). When a
 * route has a certificate, conn.c asks the registered transform to
 * open() with the bytes already read (the ClientHello); from then on
 * the client side moves through read()/write() (plaintext) in copy mode
 * and the upstream side stays a plain socket. want() adds the epoll
 * events the transform needs on the client fd (e.g. EPOLLOUT to flush
 * handshake records while the application has nothing to write).
 * read/write follow read(2)/write(2): >0 bytes, 0 EOF (read), -1 with
 * errno (EAGAIN: call again when want() says).
 */
struct conn_xform_ops {
	const char *name;
	/* peer: the client as the proxy knows it (the PROXY header's source
	 * with accept_proxy), for the transform's log lines */
	int (*open)(const struct conf_route *r, int fd, const struct sockaddr *peer, const uint8_t *hello,
		    size_t len, void **state);
	ssize_t (*read)(void *state, int fd, void *buf, size_t len);
	ssize_t (*write)(void *state, int fd, const void *buf, size_t len);
	int (*shutdown_wr)(void *state, int fd);	/* close_notify; 0 or -errno (-EAGAIN: retry) */
	uint32_t (*want)(void *state);
	void (*close)(void *state);
	/* Optional: has the transform's own handshake finished? Until it
	 * has, hello_timeout (counted from entering SPLICE) bounds it, so
	 * a client that stalls mid-handshake is not kept for idle_timeout. */
	bool (*established)(void *state);
	/* Optional: plaintext already taken off the socket and waiting to be
	 * read(). want() and write() also read records (the engine needs
	 * both ways), so such bytes can sit where no EPOLLIN will signal
	 * them; conn.c then asks for EPOLLOUT to be called back. */
	bool (*pending)(void *state);
};
/* Register the transform used by terminate= routes (one for the process). */
void conn_register_xform(const struct conn_xform_ops *ops);
const struct conn_xform_ops *conn_xform(void);

/* Counters of one route, kept across reloads by route name. */
struct route_ctr {
	char name[CONF_HOST_MAX];
	uint64_t conns;		/* connections routed here */
	uint64_t active;
	uint64_t bytes_up;	/* client -> upstream */
	uint64_t bytes_down;	/* upstream -> client */
	uint64_t connect_fail;	/* upstream attempts that failed */
	uint64_t warned_at;	/* loop ms of the last failure warning */
};

/*
 * Health and load of one upstream address of a front (health.c), kept
 * across reloads by the address as written; routes naming the same
 * address share it.
 */
struct probe;
struct up_state {
	char text[CONF_HOST_MAX + 8];	/* the address as written */
	struct conf_addr addr;		/* and as parsed (AF_UNSPEC: a host name) */
	struct probe *probe;		/* active check in flight (check.c), or NULL */
	enum conf_check check;		/* its active check now (check.c); CHECK_OFF: none */
	uint32_t ok_run, fail_run;	/* checks passed / failed in a row */
	uint64_t checks, check_fail;
	bool last_ok;			/* the last check passed (checks > 0) */
	uint64_t last_check;		/* loop ms of the last verdict */
	char last_why[320];		/* why the last check failed */
	uint32_t active;		/* connections on it, connecting included */
	bool down;			/* a connect failed; skipped until down_until */
	uint64_t down_until;		/* loop ms: then one connection may try it */
	uint64_t down_since;		/* loop ms of the transition to down */
	uint32_t backoff_ms;		/* the current down period */
	uint32_t fails;			/* consecutive failed connects */
	uint64_t conns;			/* connects attempted */
	uint64_t connect_fail;		/* connects failed or timed out */
	uint64_t downs;			/* transitions to down */
};

/* One route's upstreams as a front sees them (balance.c). */
struct route_lb {
	int up[CONF_MAX_UPSTREAMS];	/* upstreams[j] -> front->ups index */
	uint32_t next;			/* roundrobin / tie-break position */
};

/* Immutable snapshot of one [proxy] section; connections hold a reference
 * so a reload never changes the routes of an established connection. */
struct front_cfg {
	int refs;
	struct conf_proxy px;		/* routes array and prefix list owned by the snapshot */
	struct route_table *rt;
	int *ctr_of_route;		/* px.routes[i] -> front->ctrs index */
	int ctr_default, ctr_no_sni;
	/* px.routes[i] -> lb[i]; default_route -> lb[n_routes], no_sni -> lb[n_routes + 1].
	 * The only mutable part (round-robin position): a new snapshot starts over. */
	struct route_lb *lb;
	struct check_cfg *chk;		/* what check.c checks, and its CAs */
};

/* A splice pipe (pipe.c): in a front's pool, or held by one half. */
struct half;
struct pipe_pair {
	int r, w;
	uint32_t size;			/* capacity now (what F_SETPIPE_SZ granted) */
	uint32_t base;			/* the front's pipe_size when it was made */
	uint32_t charged;		/* bytes above the pool size, counted in the budget */
	uint64_t filled_at;		/* loop ms of the last splice that filled it */
	struct half *owner;		/* grown: the half holding it, also while empty */
	struct pipe_pair *next, *prev;	/* pool (next only), or the front's grown list */
	bool no_grow;			/* the kernel refused a bigger size */
};

/*
 * What the fronts of one section name share across workers (proxy.c,
 * workers.c): upstream health and load, the per-client table, and the
 * section's connection count. mu guards the fields of ups[] and clients
 * while workers run; the array itself and this list grow or shrink
 * only while every worker is parked (start, reload, free), and refs is
 * only touched then.
 */
struct front_shared {
	struct front_shared *next;
	char name[CONF_NAME_MAX];
	int refs;			/* fronts (of every worker) using it */
	pthread_mutex_t mu;
	struct up_state *ups;		/* each front's ups/n_ups mirror these */
	int n_ups, cap_ups;
	struct client_table *clients;	/* per-client limits (client_limit.c) */
	atomic_size_t active;		/* connections of the section, all workers */
};

/* One per proxy_start(): what every worker's proxy_set shares. */
struct workers;
struct proxy_shared {
	struct front_shared *fronts;
	atomic_size_t active;		/* connections of all sections, all workers */
	/* eviction requests between workers (proxy.c): evict_mu guards
	 * every set's evict_state and evict_sh; evict_open counts the
	 * requests in EVICT_ASKED, so that a worker looks without the lock */
	pthread_mutex_t evict_mu;
	atomic_int evict_open;
	struct workers *w;		/* NULL: one loop, no threads */
};

/* A worker's request that another worker evict a connection still in
 * its hello and hand the freed slot over (proxy.c). */
enum evict_state {
	EVICT_NONE,
	EVICT_ASKED,		/* paused at a limit with no hello of its own */
	EVICT_GRANTED,		/* a slot is held for this worker: it accepts or gives it back */
};

struct listener {
	struct loop_fd h;
	struct front *front;
	struct conf_addr addr;
	bool paused;
};

/* One [proxy NAME] section, alive across reloads (matched by name). */
struct front {
	struct proxy_set *set;
	struct front *next;
	char name[CONF_NAME_MAX];
	struct front_shared *sh;	/* shared with this name's fronts in other workers */
	struct front_cfg *cfg;		/* what new connections use */
	struct listener *ls;
	int n_ls;
	size_t active;
	bool retired;			/* gone from the config; freed at active == 0 */
	/* connections in accept order that may still be in their hello
	 * (or terminate= handshake): those past it are dropped lazily
	 * (conn_oldest_hello) */
	struct conn *hello_head, *hello_tail;
	/* pipe pool: empty pipes, sized cfg->px.pipe_size (pipe.c) */
	struct pipe_pair *pool;
	size_t pool_len;
	uint32_t pool_pipe_size;
	struct pipe_pair *grown;	/* pipes grown past pool_pipe_size, held by halves */
	uint64_t spare_since;		/* loop ms: the pool last got more pipes than connections */
	uint64_t pipe_bytes;		/* capacity of every pipe of this front */
	/* counters */
	struct route_ctr *ctrs;		/* [0] is "<unrouted>" */
	int n_ctrs, cap_ctrs;
	uint64_t accepted;
	uint64_t closed[CLOSE__COUNT];
	uint64_t paused_limit;		/* times the listeners paused at max_connections */
	uint64_t pipes_created, pipe_resize_failed, copy_fallback;
	uint64_t pipes_grown, pipe_grow_refused, pipes_shrunk;
	uint64_t splice_bytes, copy_bytes;	/* payload moved each way: which path */
	/* upstream health (health.c): sh->ups and sh->n_ups, mirrored here
	 * (front_share_sync) after every change of the array */
	struct up_state *ups;
	int n_ups;
	uint64_t refuse_warned_at, refused_unlogged;
	struct loop_timer check_timer;	/* active checks (check.c) */
};

struct proxy_set {
	struct loop *loop;
	struct proxy_shared *shared;	/* section state of every worker */
	int worker;			/* index of this loop's worker (0: the first) */
	bool reuseport;			/* listeners share their address with other workers */
	atomic_bool any_paused;		/* a listener is paused: other workers poke on close */
	struct loop_defer start;	/* the handle of workers: start their threads */
	/* eviction request (proxy.c): state and sh under shared->evict_mu;
	 * evict_asking (state != EVICT_NONE) and evict_front are this
	 * worker's own, read without the lock */
	enum evict_state evict_state;
	struct front_shared *evict_sh;	/* the section at its limit; NULL: [global] */
	struct front *evict_front;	/* the front that asked (accepts a grant) */
	bool evict_asking;
	uint64_t evict_unused;		/* slots granted to this worker that no client took */
	uint64_t accepted;		/* connections this worker accepted */
	struct resolver *resolver;	/* started at the first upstream name */
	struct front *fronts;
	struct conn *conns;		/* every live connection */
	size_t active;
	size_t max_total;		/* [global] max_connections, resolved */
	bool stopped;			/* proxy_stop_accepting() */
	bool fd_pressure;		/* EMFILE/ENFILE seen: listeners paused */
	struct loop_timer fd_timer;	/* retry accepting after fd pressure */
	struct loop_timer evict_timer;	/* another worker's eviction request met only newcomers */
	struct loop_timer pipe_timer;	/* shrinks grown pipes gone quiet (pipe.c) */
	uint64_t paused_total, paused_fds;
	/* hello reads land here first, and copied bytes (conn.c, pump):
	 * free again whenever a callback returns */
	uint8_t scratch[SNI_MAX_HELLO];
	struct log_limit ll_evict, ll_full;
	/* Set by proxy.c: a connection of f has closed (fds came back, a
	 * retired front may go). A callback, so that conn.c never calls
	 * into proxy.c: the listener side depends on the connection, not
	 * the other way round. */
	void (*conn_closed)(struct front *f);
};

/* One end-to-end direction: src socket -> pipe (or buffer) -> dst socket. */
struct half {
	struct pipe_pair *pipe;	/* held only while bytes are in flight */
	uint8_t *buf;		/* copy mode: bytes in flight at buf[off..off+inflight):
				 * the set's scratch during a pump, else its own */
	size_t off;
	size_t inflight;
	uint32_t fills;		/* splices in a row that filled half the pipe or more */
	bool copy;		/* splice refused (or a transform): read/write */
	bool bulk;		/* proven bulk: splice (until then read/send, see conn.c) */
	bool inbuf;		/* the bytes in flight are in buf, not in the pipe */
	bool eof;		/* read EOF from src */
	bool shut;		/* EOF passed on: shutdown(dst, SHUT_WR) done */
};

struct conn {
	struct proxy_set *set;
	struct front *front;
	struct front_cfg *cfg;
	struct conn *prev, *next;
	enum conn_state state;
	struct loop_fd ch, uh;		/* client / upstream registrations */
	int cfd, ufd;			/* the fds (a socket may be unregistered) */
	struct loop_timer timer;	/* the one deadline of the current state */
	uint64_t t_start, last_io;	/* loop clock, ms */
	uint64_t xf_deadline;		/* transform handshake due (0: none) */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} peer;
	char *name;			/* SNI / Host, NULL when none */
	const struct conf_route *route;
	int ctr;			/* front->ctrs index */
	uint8_t order[CONF_MAX_UPSTREAMS];	/* upstreams in the order to try them (balance.c) */
	int n_order;
	int up_idx;			/* next entry of order[] to try */
	int up_cur;			/* route upstream being / last tried; -1: none */
	int up_held;			/* front->ups index counted in its active; -1 */
	bool pp_done;			/* accept_proxy: the header has been read */
	bool pp_dst_set;		/* pp_dst is the address the client reached */
	bool client_held;		/* counted in the client table (client_limit.c) */
	struct resolve_wait rwait;	/* waiting for a name's first answer */
	struct connrace *race;		/* CONNECT: the attempts to upstreams[up_cur] */
	struct sockaddr_storage pp_dst;
	int last_err;			/* errno of the last failed upstream attempt */
	enum close_reason refuse_why;
	uint8_t *buf;			/* HELLO: peeked bytes; REPLAY: header + bytes */
	size_t buf_len, buf_off;
	size_t replay_hello;		/* bytes of buf that are the client's */
	bool replay_ready;		/* buf holds the replay (replay_prepare) */
	size_t syn_sent;		/* bytes of the replay the upstream's SYN carried (TFO) */
	struct half up, down;		/* client->upstream, upstream->client */
	uint64_t bytes_up, bytes_down;
	const struct conn_xform_ops *xf;
	void *xf_state;
	/* Edge-triggered (plain routes): both sockets are registered once
	 * with CONN_ET_EVENTS, and what each may do is remembered here: set
	 * by its events, cleared when a read or write finds nothing to do.
	 * A transform (terminate=) runs level-triggered instead (et false),
	 * with its interest set per state. */
	bool et;
	bool c_in, c_out, u_in, u_out;
	bool c_rdhup, u_rdhup;		/* ET: its EOF has arrived (still to be read) */
	struct loop_defer more;		/* ET: the pump stopped for fairness, not for lack of work */
	bool client_rdhup;		/* client half-closed before SPLICE */
	bool client_early;		/* client sent bytes before SPLICE */
	bool u_nodelay;			/* TCP_NODELAY set on the upstream (before its second write) */
	struct conn *hello_prev, *hello_next;	/* front->hello_* list */
	bool in_hello_list;
};

/* front.c (proxy.c and conn.c call these; front.c calls neither) */
/* The shared state of section `name`, with one more reference; NULL: no memory. */
struct front_shared *front_share_get(struct proxy_shared *ps, const char *name);
void front_share_put(struct proxy_shared *ps, struct front_shared *sh);
/* f->ups / f->n_ups := the shared array (after it may have moved). */
void front_share_sync(struct front *f);
/* The index of route counter `name` in f->ctrs, added when new; -ENOMEM. */
int front_ctr(struct front *f, const char *name);
/* A snapshot of px with one reference (the front's); 0 or -errno. */
int front_cfg_new(struct front *f, const struct conf_proxy *px, struct front_cfg **out);
/* Drop one reference to a config snapshot; the last one frees it. */
void front_cfg_put(struct front_cfg *cfg);

/* health.c: the state of upstream addresses (front->ups) */
/* The index of address a (by its text) in f->ups, added (up) when new; -ENOMEM. */
int health_up_index(struct front *f, const struct conf_addr *a);
/* An active check of it passed (ok) or failed (why: the reason, logged
 * when it differs from the last one). */
void health_check_result(struct front *f, int idx, const struct conf_proxy *px, uint64_t now, bool ok,
			 const char *why);
/* One line per upstream of f (state, check, streak, last reason) into
 * buf; returns the length it needed (snprintf style). */
size_t health_status(const struct front *f, uint64_t now, char *buf, size_t len);

/* check.c: active checks of a front's upstreams (check = tcp | tls) */
struct check_cfg;
/* What a snapshot checks: per front->ups index the route whose check
 * applies, and its check_ca files loaded. After cfg->lb is filled; 0,
 * or -errno when a CA cannot be used (logged with the file). */
int check_cfg_new(struct front *f, struct front_cfg *cfg);
void check_cfg_free(struct check_cfg *c);
/* Start, keep or stop them as f->cfg says (after start and reload). */
void check_apply(struct front *f);
/* Stop them and drop probes in flight (front freed or retired). */
void check_stop(struct front *f);
/* May a connection try it now? (up, or down and its backoff is over) */
bool health_usable(const struct up_state *u, uint64_t now);
/* A connect to it failed (err) or succeeded: transitions, logged. */
void health_failed(struct front *f, int idx, const struct conf_proxy *px, uint64_t now, int err);
void health_ok(struct front *f, int idx, uint64_t now);
/* A connection of f starts (connecting) / stops using upstream idx. */
void health_hold(struct front *f, int idx);
void health_unhold(struct front *f, int idx);

/* balance.c: which upstream a connection tries first, and then */
/* Fill order[] with the indexes of r's upstreams in the order to try
 * them for a client at `client`: the route's balance among the usable
 * ones, then those that are down (tried only when the others failed).
 * Returns the count. */
int balance_order(struct front *f, const struct conf_route *r, struct route_lb *lb,
		  const struct sockaddr *client, uint64_t now, uint8_t order[CONF_MAX_UPSTREAMS]);
/* The lb of route r in cfg. */
struct route_lb *front_route_lb(const struct front_cfg *cfg, const struct conf_route *r);

/* client_limit.c: per-client connection count and rate */
struct client_table;
void client_table_free(struct client_table *t);
/* Admit a new connection from `client` under px's limits: 0 (counted:
 * call client_release when it closes), or CLOSE_CLIENT_LIMIT /
 * CLOSE_CLIENT_RATE. Without limits, 0 and nothing counted (*held false). */
int client_admit(struct front *f, const struct conf_proxy *px, const struct sockaddr *client,
		 uint64_t now, bool *held);
void client_release(struct front *f, const struct sockaddr *client);
size_t client_table_size(const struct front *f);
uint64_t client_table_full(const struct front *f);

/* pipe.c: splice pipes, their pool and their growth (conn.c and proxy.c
 * call these; pipe.c calls nothing else in the folder) */
/* An empty pipe of the pool size for h, from the pool or new; NULL when
 * none can be had (EMFILE...): the half copies instead. */
struct pipe_pair *pipe_get(struct front *f);
/* A splice moved n bytes into h's (empty) pipe: an elephant flow, one
 * that keeps filling it, gets a bigger pipe within the budget. */
void pipe_filled(struct front *f, struct half *h, size_t n);
/* h's pipe is empty and h is done for now: a grown pipe stays with h
 * (it is likely to fill again), a small one goes back to the pool. */
void pipe_idle(struct front *f, struct half *h);
/* The connection is over: h's pipe (empty or not) goes back or closes. */
void pipe_release(struct front *f, struct half *h);
/* A connection of f closed: trim the pool, keeping a few spares a while. */
void pipe_conn_closed(struct front *f);
/* Keep at most `keep` idle pipes in f's pool; pipe_pool_trim(f, 0) empties it. */
void pipe_pool_trim(struct front *f, size_t keep);
/* The set's timer for pipe_grown_sweep() (proxy_start). */
void pipe_set_init(struct proxy_set *s);
void pipe_set_stop(struct proxy_set *s);
/* [global] pipe_memory_max: bytes all grown pipes may hold past their
 * pool size, all sections together (0: pipes never grow). */
void pipe_budget_set(uint64_t max);
/* Bytes the grown pipes hold past their pool size now, and at most so far. */
uint64_t pipe_budget_used(void);
uint64_t pipe_budget_peak(void);

/* workers.c: the proxy's event loops in threads (workers >= 2). Each
 * worker runs its own loop and proxy_set; the main thread touches a
 * worker's state only while every worker is parked (blocked in its
 * eventfd callback, between two events of a batch), which makes start,
 * reload, metrics and stop simple stop-the-world steps. */
struct worker {
	struct workers *ws;
	int idx;
	struct loop *loop;
	struct proxy_set *set;
	struct loop_fd eh;		/* eventfd: park, poke, quit */
	pthread_t th;
	bool running;
	atomic_bool poked;		/* another worker freed a connection slot */
};
struct workers {
	int n;
	struct worker *w;
	void (*poked)(struct proxy_set *s);	/* on the worker's thread */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool park, quit;
	int parked;
};
/* n loops with their eventfds; no thread yet. */
int workers_new(int n, void (*poked)(struct proxy_set *s), struct workers **out);
/* Start a thread per worker (signals blocked in them); 0 or -errno. */
int workers_run(struct workers *ws);
/* Block until every running worker is parked / let them go on. */
void workers_park(struct workers *ws);
void workers_release(struct workers *ws);
/* Wake worker idx to call poked() on its own thread. */
void workers_poke(struct workers *ws, int idx);
/* Stop and join the threads (their loops and sets stay for the caller). */
void workers_stop(struct workers *ws);
/* Free the loops and eventfds (after workers_stop and freeing the sets). */
void workers_free(struct workers *ws);

/* conn.c (proxy.c calls these; conn.c calls nothing in proxy.c) */
int conn_new(struct front *f, int fd, const struct sockaddr *peer, socklen_t plen);
void conn_close(struct conn *c, enum close_reason why);
/* The oldest connection of f still in its hello or, on a terminate=
 * route, its TLS handshake; NULL when none. */
struct conn *conn_oldest_hello(struct front *f);

#endif
