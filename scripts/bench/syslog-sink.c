// SPDX-License-Identifier: GPL-2.0-only
/*
 * syslog-sink - TLS syslog collector and subscriber for the benchmark.
 *
 * One epoll thread, OpenSSL. Either a collector (-l: a TLS server on
 * -P consecutive ports, each accepting any number of connections) or a
 * set of subscribers (-C with -n: TLS clients with a client
 * certificate). Each connection parses RFC 5425 octet-counted frames (or
 * LF-terminated lines with -F lf) and reads the fixed-width tail
 * " r=RUN s=SEQ" that syslog-gen writes.
 *
 * Counting is per output: per listening port for the collector (a relay
 * may spread one output over several connections - rsyslog opens one per
 * queue worker thread - and may reconnect), per connection for the
 * subscribers. Each output keeps the current run and a bitmap of the
 * sequence numbers seen in it, so unique and duplicate messages are
 * counted exactly; reordering is counted per connection, or per
 * connection and sender with -S N when N senders number their messages
 * k, k + N, k + 2N, ... (syslog-tcp-gen). A message of a newer run starts
 * a new count; one of an older run is counted as stale.
 *
 * Every 100 ms the counts are written to the stats file (-s; atomically,
 * by rename) as one line per output:
 *   conn ID run R frames F unique U dup D reorder O bad B stale S up N
 * where N is the number of its connections still open.
 * SIGTERM/SIGINT end it after a last write.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS  256
#define MAX_GROUPS 64
#define RBUF       (256 * 1024)
#define MAX_FRAME  65536
#define MAX_STRIDE 64

/* One output: what it received in the current run, over all its connections. */
struct group {
	unsigned run;
	int up;			/* connections open */
	uint64_t frames, unique, dup, reorder, bad, stale;
	uint8_t *seen;		/* bitmap of sequence numbers in `run` */
};

struct conn {
	int id, fd;
	SSL *ssl;
	bool up, handshaken;
	char *buf;		/* unparsed plaintext */
	size_t len;
	struct group *g;
	unsigned run;		/* of `last` */
	uint64_t last[MAX_STRIDE];	/* last sequence number per sender, for reordering */
};

static struct conn conns[MAX_CONNS];
static int n_conns;
static struct group groups[MAX_GROUPS];
static int n_groups;
static uint64_t max_seq = 1ull << 24;
static bool lf_framing;
static unsigned stride = 1;	/* senders interleaving their sequence numbers */
static volatile sig_atomic_t stop;
static const char *stats_path;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void ssl_die(const char *what)
{
	fprintf(stderr, "syslog-sink: %s: ", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static uint64_t digits(const char *p, int n, bool *ok)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			*ok = false;
			return 0;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v;
}

/* One message: find " r=RRRR s=SSSSSSSSSS" at its end (after LF/NUL). */
static void message(struct conn *c, const char *m, size_t n)
{
	bool ok = true;

	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r' || m[n - 1] == 0 || m[n - 1] == ' '))
		n--;
	struct group *g = c->g;

	g->frames++;
	if (n < 20 || memcmp(m + n - 20, " r=", 3) || memcmp(m + n - 13, " s=", 3)) {
		g->bad++;
		return;
	}
	unsigned run = (unsigned)digits(m + n - 17, 4, &ok);
	uint64_t seq = digits(m + n - 10, 10, &ok);
	if (!ok || seq >= max_seq) {
		g->bad++;
		return;
	}
	if (run < g->run) {
		g->stale++;
		return;
	}
	if (run > g->run) {
		g->run = run;
		g->unique = g->dup = g->reorder = g->bad = g->stale = 0;
		g->frames = 1;
		memset(g->seen, 0, max_seq / 8 + 1);
	}
	if (run != c->run) {
		c->run = run;
		memset(c->last, 0xff, sizeof(c->last));
	}
	uint64_t *last = &c->last[seq % stride];

	if (*last != UINT64_MAX && seq < *last)
		g->reorder++;
	*last = seq;
	if (g->seen[seq >> 3] & (1u << (seq & 7))) {
		g->dup++;
		return;
	}
	g->seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
	g->unique++;
}

/* Parse whole frames out of c->buf; keep the partial rest. */
static int parse(struct conn *c)
{
	size_t off = 0;

	while (off < c->len) {
		char *p = c->buf + off;
		size_t avail = c->len - off;

		if (lf_framing) {
			char *nl = memchr(p, '\n', avail);
			if (!nl)
				break;
			message(c, p, (size_t)(nl - p));
			off += (size_t)(nl - p) + 1;
			continue;
		}
		size_t len = 0, i = 0;
		while (i < avail && i < 7 && p[i] >= '0' && p[i] <= '9')
			len = len * 10 + (size_t)(p[i++] - '0');
		if (i == avail)
			break;
		if (i == 0 || p[i] != ' ' || len > MAX_FRAME) {
			fprintf(stderr, "syslog-sink: conn %d: bad octet-counted frame header\n", c->id);
			return -1;
		}
		if (avail < i + 1 + len)
			break;
		message(c, p + i + 1, len);
		off += i + 1 + len;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return 0;
}

static void conn_close(int ep, struct conn *c, const char *why)
{
	fprintf(stderr, "syslog-sink: conn %d closed: %s\n", c->id, why);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->up = false;
	c->g->up--;
}

static void conn_io(int ep, struct conn *c)
{
	if (!c->handshaken) {
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				struct epoll_event ev = { .events = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT,
							  .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			ERR_print_errors_fp(stderr);
			conn_close(ep, c, "handshake failed");
			return;
		}
		c->handshaken = true;
		fprintf(stderr, "syslog-sink: conn %d up (%s %s)\n", c->id, SSL_get_version(c->ssl),
			SSL_get_cipher_name(c->ssl));
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	for (int rounds = 0; rounds < 64; rounds++) {
		if (c->len >= RBUF) {
			conn_close(ep, c, "frame larger than the buffer");
			return;
		}
		int r = SSL_read(c->ssl, c->buf + c->len, (int)(RBUF - c->len));
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				return;
			if (e == SSL_ERROR_WANT_WRITE) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			conn_close(ep, c, e == SSL_ERROR_ZERO_RETURN ? "close_notify" : "read error or EOF");
			return;
		}
		c->len += (size_t)r;
		if (parse(c)) {
			conn_close(ep, c, "framing error");
			return;
		}
	}
}

static struct group *group_new(void)
{
	struct group *g = &groups[n_groups++];

	g->seen = calloc(1, max_seq / 8 + 1);
	if (!g->seen)
		ssl_die("out of memory");
	return g;
}

static struct conn *conn_new(int fd, SSL_CTX *ctx, bool server, struct group *g)
{
	if (n_conns >= MAX_CONNS) {
		close(fd);
		return NULL;
	}
	struct conn *c = &conns[n_conns];
	c->id = n_conns++;
	c->fd = fd;
	c->g = g;
	g->up++;
	c->buf = malloc(RBUF);
	c->ssl = SSL_new(ctx);
	if (!c->buf || !c->ssl)
		ssl_die("out of memory");
	SSL_set_fd(c->ssl, fd);
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	c->up = true;
	memset(c->last, 0xff, sizeof(c->last));
	return c;
}

static void write_stats(void)
{
	char tmp[4096];
	FILE *f;

	if (!stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (int i = 0; i < n_groups; i++) {
		struct group *g = &groups[i];
		fprintf(f, "conn %d run %u frames %llu unique %llu dup %llu reorder %llu bad %llu stale %llu up %d\n",
			i, g->run, (unsigned long long)g->frames, (unsigned long long)g->unique,
			(unsigned long long)g->dup, (unsigned long long)g->reorder, (unsigned long long)g->bad,
			(unsigned long long)g->stale, g->up);
	}
	fclose(f);
	rename(tmp, stats_path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *listen_at = NULL, *connect_to = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	int n_clients = 1, n_ports = 1, opt, ep;
	int lfds[MAX_GROUPS];
	struct sockaddr_in sa;

	while ((opt = getopt(argc, argv, "l:P:C:n:c:k:a:s:m:F:S:")) != -1) {
		switch (opt) {
		case 'l': listen_at = optarg; break;
		case 'P': n_ports = atoi(optarg); break;
		case 'C': connect_to = optarg; break;
		case 'n': n_clients = atoi(optarg); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'a': ca = optarg; break;
		case 's': stats_path = optarg; break;
		case 'm': max_seq = strtoull(optarg, NULL, 0); break;
		case 'F': lf_framing = !strcmp(optarg, "lf"); break;
		case 'S': stride = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!!listen_at == !!connect_to || n_clients < 1 || n_clients > MAX_GROUPS || n_ports < 1 ||
	    n_ports > MAX_GROUPS || !max_seq || !stride || stride > MAX_STRIDE ||
	    parse_addr(listen_at ? listen_at : connect_to, &sa) || (listen_at && (!cert || !key)))
		goto usage;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	SSL_CTX *ctx = SSL_CTX_new(listen_at ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		ssl_die("SSL_CTX_new");
	SSL_CTX_set_read_ahead(ctx, 1);
	if (cert && SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		ssl_die(cert);
	if (key && SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		ssl_die(key);
	if (ca) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			ssl_die(ca);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (listen_at) {
		uint16_t port0 = ntohs(sa.sin_port);

		for (int i = 0; i < n_ports; i++) {
			int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			group_new();
			sa.sin_port = htons((uint16_t)(port0 + i));
			setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64)) {
				fprintf(stderr, "syslog-sink: listen %s (+%d): %s\n", listen_at, i, strerror(errno));
				return 1;
			}
			lfds[i] = lfd;
			/* a listener carries its index + 1, a connection its pointer */
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i + 1 };
			epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
		}
	} else {
		for (int i = 0; i < n_clients; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
				fprintf(stderr, "syslog-sink: connect %s: %s\n", connect_to, strerror(errno));
				return 1;
			}
			fcntl(fd, F_SETFL, O_NONBLOCK);
			struct conn *c = conn_new(fd, ctx, false, group_new());
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		}
	}

	double next_stats = 0;
	while (!stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 100);

		for (int i = 0; i < n; i++) {
			struct conn *c;
			if (evs[i].data.u64 <= (uint64_t)n_ports && listen_at) {
				int k = (int)evs[i].data.u64 - 1;
				int fd = accept4(lfds[k], NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				c = conn_new(fd, ctx, true, &groups[k]);
				if (!c)
					continue;
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			} else {
				c = evs[i].data.ptr;
			}
			if (c->up)
				conn_io(ep, c);
		}
		double t = now_s();
		if (t >= next_stats) {
			write_stats();
			next_stats = t + 0.1;
		}
	}
	write_stats();
	return 0;
usage:
	fprintf(stderr, "usage: syslog-sink (-l IPV4:PORT [-P PORTS] -c CERT -k KEY | -C IPV4:PORT [-n N] [-c CERT -k KEY])\n"
			"                   [-a CA] [-s STATS] [-m MAX_SEQ] [-F octet|lf] [-S SENDERS]\n");
	return 2;
}
