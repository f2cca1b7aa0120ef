// SPDX-License-Identifier: GPL-2.0-only
/*
 * conf_keys.c - the configuration's key tables, one per section, the
 * callbacks of the keys that are more than one typed value, and the
 * reference page written from the tables.
 *
 * A new key is one entry here (and its field in conf.h): the parser, the
 * "set twice" check, the error texts, the default and edgesteer.conf(5)
 * all follow from the entry. How the engine reads an entry is explained
 * at the top of conf.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "dn.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The field `f` of section struct `T`: offset and size. */
#define FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
/* A counted list: the array `f` holding `max` entries, counted by `n`. */
#define LIST(T, f, n, most) FIELD(T, f), .count_off = offsetof(T, n), .max = (most)

/* ---- callbacks of the keys that are more than one typed value ---------- */

static void key_control_group(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_global *g = sec;

	if (strlen(val) >= sizeof(g->control_group))
		conf_error(p, k->name, "longer than %zu bytes", sizeof(g->control_group) - 1);
	else if (!getgrnam(val))
		conf_error(p, k->name, "no group named '%s' on this system", val);
	else
		strcpy(g->control_group, val);
}

static void key_metrics_listen(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_global *g = sec;
	char err[CONF_HOST_MAX + 128];

	if (conf_parse_hostport(val, &g->metrics_listen, err, sizeof(err)))
		conf_error(p, k->name, "%s", err);
	else if (!conf_addr_is_loopback(&g->metrics_listen))
		conf_error(p, k->name, "'%s' is not a loopback address: metrics are served on "
			   "127.0.0.0/8 or [::1] only (put a reverse proxy in front to expose them)", val);
	else
		g->metrics_on = true;
}

/* auto | N; auto (and 0) is stored as 0: the proxy takes one per online
 * CPU, at most 4, when it starts */
static void key_workers(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_global *g = sec;
	char *end;
	unsigned long n;

	if (!strcasecmp(val, "auto")) {
		g->workers = 0;
		return;
	}
	errno = 0;
	n = strtoul(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || n > CONF_WORKERS_MAX)
		conf_error(p, k->name, "'%s' is not auto or a whole number from 0 (auto) to %d", val,
			   CONF_WORKERS_MAX);
	else
		g->workers = (uint32_t)n;
}

/* pass | cpu N | cpus LIST */
static void key_steer(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_steer *s = (struct conf_steer *)((char *)sec + k->off);
	char word[16], rest[128];
	long ncpu;

	if (!strcasecmp(val, "pass")) {
		s->kind = STEER_PASS;
		s->cpus = 0;
		return;
	}
	if (sscanf(val, "%15s %127s", word, rest) == 2 &&
	    (!strcasecmp(word, "cpu") || !strcasecmp(word, "cpus")) &&
	    !conf_parse_cpus(rest, &s->cpus)) {
		if (!strcasecmp(word, "cpu") && (s->cpus & (s->cpus - 1))) {
			conf_error(p, k->name, "'cpu' takes one CPU; use 'cpus %s' for a set", rest);
			return;
		}
		/* the bound first: a shift by 64 or more is undefined */
		ncpu = sysconf(_SC_NPROCESSORS_CONF);
		if (ncpu < 64 && s->cpus >> ncpu) {
			conf_error(p, k->name, "'%s' names a CPU this machine does not have (it has %ld)", val, ncpu);
			return;
		}
		s->kind = STEER_CPUS;
		return;
	}
	conf_error(p, k->name, "'%s' is not one of: pass | cpu N | cpus LIST (e.g. 0-3 or 0,2)", val);
}

static const char *const pp_words[] = { "off", "v1", "v2", NULL };
static const char *const balance_words[] = { "first", "roundrobin", "leastconn", "hash", NULL };
static const char *const accept_pp_words[] = { "off", "v1", "v2", "both", NULL };
static const char *const check_words[] = { "off", "tcp", "tls", NULL };

/* check_sni (section key and route option): the name a TLS check sends and verifies */
static void set_check_sni(struct conf_parser *p, const char *key, const char *val, char *dst, size_t len)
{
	const char *what = strcmp(key, "check_sni") ? "check_sni=" : "";
	const char *why;

	if (strlen(val) >= len)
		conf_error(p, key, "%slonger than %zu bytes", what, len - 1);
	else if (conf_check_hostname(val, &why))
		conf_error(p, key, "%s'%s' is not a host name: %s", what, val, why);
	else
		strcpy(dst, val);
}

static void key_check_sni(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	set_check_sni(p, k->name, val, (char *)sec + k->off, k->size);
}

/* terminate=CERT,KEY, proxy_protocol=off|v1|v2, balance=..., alpn=, check=,
 * check_ca= and check_sni= after the upstreams */
static void route_option(struct conf_parser *p, const char *key, char *w, char *eq, struct conf_route *r)
{
	*eq = 0;
	if (!strcmp(w, "check")) {
		int v = conf_set_enum(p, key, eq + 1, check_words);

		if (v >= 0)
			r->check = (enum conf_check)v;
	} else if (!strcmp(w, "check_ca")) {
		conf_set_path(p, key, eq + 1, r->check_ca, sizeof(r->check_ca));
	} else if (!strcmp(w, "check_sni")) {
		set_check_sni(p, key, eq + 1, r->check_sni, sizeof(r->check_sni));
	} else if (!strcmp(w, "proxy_protocol")) {
		int v = conf_set_enum(p, key, eq + 1, pp_words);

		if (v >= 0)
			r->proxy_protocol = (enum conf_pp)v;
	} else if (!strcmp(w, "alpn")) {
		size_t n = strlen(eq + 1);

		if (!n || n >= sizeof(r->alpn))
			conf_error(p, key, "alpn= takes one protocol id of 1 to %zu bytes, e.g. alpn=h2",
				   sizeof(r->alpn) - 1);
		else
			memcpy(r->alpn, eq + 1, n + 1);
	} else if (!strcmp(w, "balance")) {
		int v = conf_set_enum(p, key, eq + 1, balance_words);

		if (v >= 0)
			r->balance = (enum conf_balance)v;
	} else if (!strcmp(w, "terminate")) {
		char *comma = strchr(eq + 1, ',');

		if (!comma) {
			conf_error(p, key, "terminate=CERT,KEY needs both files");
			return;
		}
		*comma = 0;
		conf_set_path(p, key, eq + 1, r->cert, sizeof(r->cert));
		conf_set_path(p, key, comma + 1, r->key, sizeof(r->key));
	} else {
		conf_error(p, key, "unknown route option '%s' (allowed: proxy_protocol=, balance=, alpn=, "
			   "terminate=, check=, check_ca=, check_sni=)", w);
	}
}

/* A route's server name: lower case, no trailing dot, '*.' only in front. */
static int route_name(struct conf_parser *p, const char *key, const char *w, struct conf_route *r)
{
	const char *why;

	if (strlen(w) >= sizeof(r->name)) {
		conf_error(p, key, "server name '%.40s...' is too long", w);
		return -EINVAL;
	}
	strcpy(r->name, w);
	conf_normalize_name(r->name);
	if (!strncmp(r->name, "*.", 2)) {
		r->wildcard = true;
		if (!r->name[2] || strchr(r->name + 2, '*')) {
			conf_error(p, key, "'%s': a wildcard is '*.' followed by a name", w);
			return -EINVAL;
		}
	} else if (strchr(r->name, '*')) {
		conf_error(p, key, "'%s': '*' is only allowed as the first label ('*.example.com')", w);
		return -EINVAL;
	}
	if (conf_check_hostname(r->name + (r->wildcard ? 2 : 0), &why)) {
		conf_error(p, key, "'%s' is not a host name: %s", w, why);
		return -EINVAL;
	}
	return 0;
}

static void key_server_name(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_forward *f = sec;
	const char *why;

	if (strlen(val) >= sizeof(f->server_name))
		conf_error(p, k->name, "longer than %zu bytes", sizeof(f->server_name) - 1);
	else if (conf_check_hostname(val, &why))
		conf_error(p, k->name, "'%s' is not a host name: %s", val, why);
	else
		strcpy(f->server_name, val);
}

/*
 * route = NAME UPSTREAM... [proxy_protocol=v1|v2|off] [balance=...] [alpn=...] [terminate=CERT,KEY]
 *         [check=off|tcp|tls] [check_ca=FILE] [check_sni=NAME]
 * default = UPSTREAM... [options]      no_sni = UPSTREAM... [options]
 */
static void parse_route(struct conf_parser *p, const char *key, const char *val, struct conf_route *r,
			bool named)
{
	char err[CONF_HOST_MAX + 128];
	bool have_name = !named;
	int nerr = p->nerr;

	memset(r, 0, sizeof(*r));
	r->line = p->line;
	r->proxy_protocol = (enum conf_pp)-1;	/* resolved after the section */
	r->balance = (enum conf_balance)-1;
	r->check = (enum conf_check)-1;
	CONF_FOR_EACH_WORD(val, w, buf) {
		char *eq = strchr(w, '=');

		if (!have_name) {
			if (route_name(p, key, w, r))
				return;
			have_name = true;
		} else if (eq) {
			route_option(p, key, w, eq, r);
		} else if (r->n_upstreams >= CONF_MAX_UPSTREAMS) {
			conf_error(p, key, "more than %d upstreams", CONF_MAX_UPSTREAMS);
			return;
		} else if (conf_parse_upstream(w, &r->upstreams[r->n_upstreams], err, sizeof(err))) {
			conf_error(p, key, "%s", err);
		} else {
			r->n_upstreams++;
		}
	}
	if (!have_name)
		conf_error(p, key, "expected NAME UPSTREAM [UPSTREAM...]");
	else if (!r->n_upstreams && p->nerr == nerr)	/* not again after a bad one */
		conf_error(p, key, "expected at least one upstream HOST:PORT");
}

static void key_route(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_proxy *px = sec;
	struct conf_route *r;

	if (px->n_routes >= (int)k->max) {
		conf_error(p, k->name, "more than %d routes", (int)k->max);
		return;
	}
	/* the array doubles at every power of two */
	if (!(px->n_routes & (px->n_routes - 1)) || !px->routes) {
		r = realloc(px->routes, sizeof(*r) * (size_t)(px->n_routes ? px->n_routes * 2 : 4));
		if (!r) {
			conf_error(p, k->name, "out of memory");
			return;
		}
		px->routes = r;
	}
	r = &px->routes[px->n_routes];
	parse_route(p, k->name, val, r, true);
	if (!r->n_upstreams)
		return;
	for (int i = 0; i < px->n_routes; i++)
		if (!strcmp(px->routes[i].name, r->name) && !strcmp(px->routes[i].alpn, r->alpn)) {
			conf_error(p, k->name, "route '%s'%s%s already defined on line %d", r->name,
				   r->alpn[0] ? " alpn=" : "", r->alpn, px->routes[i].line);
			return;
		}
	px->n_routes++;
}

/* default and no_sni: a route without a name */
static void key_fallback_route(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	parse_route(p, k->name, val, (struct conf_route *)((char *)sec + k->off), false);
}

static void key_client_issuer(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_syslog *s = sec;
	char dn[TLS_DN_MAX];

	if (strlen(val) >= sizeof(s->client_issuer))
		conf_error(p, k->name, "longer than %zu bytes", sizeof(s->client_issuer) - 1);
	else if (val[0] && dn_canon(val, dn, sizeof(dn)))
		conf_error(p, k->name, "'%s' is not a distinguished name like "
			   "\"CN=Edge Subscribers CA,O=Example\"", val);
	else
		strcpy(s->client_issuer, val);
}

/* intake_client_issuer: as client_issuer, into the field at k->off */
static void key_issuer_at(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	char *dst = (char *)sec + k->off, dn[TLS_DN_MAX];

	if (strlen(val) >= CONF_HOST_MAX)
		conf_error(p, k->name, "longer than %d bytes", CONF_HOST_MAX - 1);
	else if (val[0] && dn_canon(val, dn, sizeof(dn)))
		conf_error(p, k->name, "'%s' is not a distinguished name like "
			   "\"CN=Edge Senders CA,O=Example\"", val);
	else
		strcpy(dst, val);
}

/* A numeric neighbour address (a probe asks a neighbour, never DNS). */
static int parse_neighbour(const char *s, struct conf_addr *a)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s", s);
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		a->len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		a->len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

/* probe = ADDR | icmp ADDR | arp IPV4 | ndp IPV6 | gateway */
static void key_probe(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	static const struct { const char *word; enum conf_probe_kind kind; int family; } kinds[] = {
		{ "icmp ", CONF_PROBE_ICMP, 0 }, { "arp ", CONF_PROBE_ARP, AF_INET }, { "ndp ", CONF_PROBE_NDP, AF_INET6 },
	};
	struct conf_watchdog *w = sec;
	const char *addr = val;
	int family = 0;

	w->probe_kind = CONF_PROBE_ICMP;
	if (!strcmp(val, "gateway")) {
		w->probe_kind = CONF_PROBE_GATEWAY;
		w->probe_on = true;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strncmp(val, kinds[i].word, strlen(kinds[i].word))) {
			w->probe_kind = kinds[i].kind;
			family = kinds[i].family;
			addr = val + strlen(kinds[i].word);
			addr += strspn(addr, " \t");
		}
	if (parse_neighbour(addr, &w->probe))
		conf_error(p, k->name, "'%s' is not ADDR, icmp ADDR, arp IPV4, ndp IPV6 or gateway (addresses numeric)",
			   val);
	else if (family && w->probe.ss.ss_family != family)
		conf_error(p, k->name, "'%s': %s", val, family == AF_INET ? "arp probes an IPv4 address (ndp for IPv6)"
									  : "ndp probes an IPv6 address (arp for IPv4)");
	else
		w->probe_on = true;
}

/* ---- the tables -------------------------------------------------------- */

/* syslog(3) levels: the index is the LOG_* value */
static const char *const log_format_words[] = { "text", "json", NULL };
static const char *const level_words[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info",
					   "debug", NULL };

static const struct conf_key global_keys[] = {
	{ "control_socket", CONF_PATH, FIELD(struct conf_global, control_socket),
	  .def = "/run/edgesteer/control.sock",
	  .doc = "Unix control socket of status, stats, metrics, reload and the other commands; "
		 "owner-only (0600) unless control_group is set." },
	{ "control_group", CONF_CUSTOM, FIELD(struct conf_global, control_group), .parse = key_control_group,
	  .syntax = "GROUP", .def_note = "none (root only)",
	  .doc = "A group that may use the control socket (mode 0660); it must exist." },
	{ "pin_path", CONF_PATH, FIELD(struct conf_global, pin_path), .def = "/sys/fs/bpf/edgesteer",
	  .doc = "Where the XDP maps are pinned on bpffs; counters survive a restart here." },
	{ "metrics_listen", CONF_CUSTOM, FIELD(struct conf_global, metrics_listen), .parse = key_metrics_listen,
	  .syntax = "HOST:PORT", .def_note = "none (no HTTP listener)",
	  .doc = "Prometheus scrape listener; loopback addresses only (127.0.0.0/8, [::1])." },
	{ "log_level", CONF_ENUM, FIELD(struct conf_global, log_level), .words = level_words, .def = "info",
	  .doc = "Least severe level that is logged." },
	{ "drain_timeout", CONF_DURATION, FIELD(struct conf_global, drain_timeout_ms), .min = 0, .def = "10s",
	  .doc = "On SIGTERM, how long established proxied connections may drain." },
	{ "max_connections", CONF_INT, FIELD(struct conf_global, max_connections), .min = 0, .max = 10000000,
	  .def = "0",
	  .doc = "Proxied connections of all [proxy] sections together; 0: (open-file limit - 64) / 2." },
	{ "workers", CONF_CUSTOM, FIELD(struct conf_global, workers), .parse = key_workers,
	  .syntax = "auto | N", .def = "auto",
	  .doc = "Event loops (threads) that run the [proxy] sections, each with its own listening "
		 "sockets (SO_REUSEPORT); auto (or 0): one per online CPU, at most 4. Per-client limits, "
		 "max_connections and upstream health hold across them; a worker at a limit with nothing "
		 "of its own to evict gets a slot another worker frees for it. 1 runs the proxy on the "
		 "main loop, without threads. Read at start only: a reload keeps the count." },
	{ "pipe_memory_max", CONF_SIZE, FIELD(struct conf_global, pipe_memory_max), .min = 0, .max = 1ull << 40,
	  .def = "16M",
	  .doc = "Splice pipes of flows that keep filling them grow towards 1M; this bounds what all grown "
		 "pipes together hold beyond pipe_size (0: pipes keep pipe_size)." },
	{ "access_log_format", CONF_ENUM, FIELD(struct conf_global, access_log_format),
	  .words = log_format_words, .def = "text",
	  .doc = "The proxy's access-log lines: text, or json (one object per line)." },
};

static const char *const mode_words[] = { "auto", "native", "generic", NULL };
static const char *const on_exit_words[] = { "keep", "detach", NULL };
/* index = log2 of the value: the shift the XDP program uses */
static const char *const talkers_sample_words[] = { "1", "2", "4", "8", "16", "32", "64", "128", "256",
						    NULL };
static const char *const spool_sync_words[] = { "second", "batch", "never", NULL };

static const struct conf_key xdp_keys[] = {
	{ "interfaces", CONF_IFACES, CONF_REPEAT,
	  LIST(struct conf_xdp, ifaces, n_ifaces, CONF_MAX_IFACES),
	  .def_note = "none; required",
	  .doc = "Interfaces to attach the XDP program to: Ethernet, VLAN/QinQ, PPPoE session and "
		 "L3 (tun, ppp) interfaces." },
	{ "mode", CONF_ENUM, FIELD(struct conf_xdp, mode), .words = mode_words, .def = "auto",
	  .doc = "auto: native, falling back to generic with a warning; USB NICs only offer generic." },
	{ "syslog_ports", CONF_PORTS, CONF_REPEAT,
	  LIST(struct conf_xdp, syslog_ports, n_syslog_ports, CONF_MAX_PORTS), .def = "514",
	  .last_off = offsetof(struct conf_xdp, syslog_ports_last),
	  .doc = "UDP destination ports of the syslog class; a range is FIRST-LAST (6000-6010)." },
	{ "syslog_tcp_ports", CONF_PORTS, CONF_REPEAT,
	  LIST(struct conf_xdp, syslog_tcp_ports, n_syslog_tcp_ports, CONF_MAX_PORTS),
	  .last_off = offsetof(struct conf_xdp, syslog_tcp_ports_last), .def_note = "none",
	  .doc = "TCP destination ports of the syslog class (the ports of [syslog] tcp_listen and "
		 "tls_intake): allow_syslog/deny_syslog, rule hits and steer_syslog apply, "
		 "syslog_rate_pps does not (TCP paces itself). Not taken from [syslog]: list them here. "
		 "A port may not also be in proxy_ports." },
	{ "proxy_ports", CONF_PORTS, CONF_REPEAT,
	  LIST(struct conf_xdp, proxy_ports, n_proxy_ports, CONF_MAX_PORTS), .def = "443",
	  .last_off = offsetof(struct conf_xdp, proxy_ports_last),
	  .doc = "TCP destination ports of the proxy class; a range is FIRST-LAST (8000-8099)." },
	{ "syslog_rate_pps", CONF_INT, FIELD(struct conf_xdp, syslog_rate_pps), .min = 0, .max = 100000000,
	  .def = "0", .doc = "Syslog packets per second per source address; 0: no rate limit." },
	{ "syslog_burst", CONF_INT, FIELD(struct conf_xdp, syslog_burst), .min = 1, .max = 100000000,
	  .def_note = "syslog_rate_pps",
	  .doc = "Token bucket depth of the syslog rate limit, in packets." },
	{ "syslog_rate_v6_prefix", CONF_INT, FIELD(struct conf_xdp, syslog_rate_v6_prefix), .min = 32,
	  .max = 128, .def = "64",
	  .doc = "IPv6 sources share one rate-limit bucket per /N (a host owns a whole /64)." },
	{ "proxy_syn_rate_pps", CONF_INT, FIELD(struct conf_xdp, proxy_syn_rate_pps), .min = 0,
	  .max = 100000000, .def = "0",
	  .doc = "Proxy-class TCP SYNs per second per source address (IPv6: per syslog_rate_v6_prefix); "
		 "0: no limit. Dropped SYNs count as drop-ratelimit." },
	{ "proxy_syn_burst", CONF_INT, FIELD(struct conf_xdp, proxy_syn_burst), .min = 1, .max = 100000000,
	  .def_note = "proxy_syn_rate_pps", .doc = "Token bucket depth of the proxy SYN limit, in SYNs." },
	{ "allow_syslog", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, allow_syslog),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Syslog sources allowed; with a list, every source outside it is dropped." },
	{ "deny_syslog", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, deny_syslog),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Syslog sources dropped; the longest matching prefix of both lists decides." },
	{ "allow_proxy", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, allow_proxy),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Proxy clients allowed; with a list, every source outside it is dropped." },
	{ "deny_proxy", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, deny_proxy),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Proxy clients dropped; a prefix in both lists is denied." },
	{ "allow_other", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, allow_other),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Sources allowed to send IP traffic of class other; with a list, every other source "
		 "is dropped. Without either list, other passes untouched." },
	{ "deny_other", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_xdp, deny_other),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Sources whose IP traffic of class other is dropped (non-IP frames and later "
		 "fragments always pass)." },
	{ "steer_syslog", CONF_CUSTOM, FIELD(struct conf_xdp, steer_syslog), .parse = key_steer,
	  .syntax = "pass | cpu N | cpus LIST", .def = "pass",
	  .doc = "pass: to the stack on the CPU the NIC chose; cpu, cpus: cpumap redirect, "
		 "spread by flow hash (LIST like 0-3 or 0,2)." },
	{ "steer_proxy", CONF_CUSTOM, FIELD(struct conf_xdp, steer_proxy), .parse = key_steer,
	  .syntax = "pass | cpu N | cpus LIST", .def = "pass",
	  .doc = "As steer_syslog, for the proxy class." },
	{ "on_exit", CONF_ENUM, FIELD(struct conf_xdp, on_exit), .words = on_exit_words, .def = "keep",
	  .doc = "When the daemon exits: keep the XDP program (filtering and counting go on) or detach it." },
	{ "cpumap_qsize", CONF_INT, FIELD(struct conf_xdp, cpumap_qsize), .min = 8, .max = 16384,
	  .def = "2048", .doc = "cpumap queue size per target CPU, in packets." },
	{ "rule_hits", CONF_BOOL, FIELD(struct conf_xdp, rule_hits), .def = "yes",
	  .doc = "Count frames and bytes per allow/deny prefix (edgesteer stats --rules); "
		 "no: save its per-frame cost." },
	{ "talkers", CONF_BOOL, FIELD(struct conf_xdp, talkers), .def = "yes",
	  .doc = "Count the heaviest sources per class and verdict (edgesteer stats --talkers); "
		 "no: save its per-frame cost." },
	{ "talkers_sample", CONF_ENUM, FIELD(struct conf_xdp, talkers_sample_shift),
	  .words = talkers_sample_words, .def = "16",
	  .doc = "The top talkers see 1 frame in N (a power of two, 1 to 256) and count N for it: "
		 "rates are estimates (a source with f frames in an interval: about sqrt(N/f) "
		 "relative error); 1: every frame, exact." },
};

static const char *const protocol_words[] = { "tls", "http", NULL };

static const struct conf_key proxy_keys[] = {
	{ "listen", CONF_ADDRS, CONF_REPEAT, LIST(struct conf_proxy, listen, n_listen, CONF_MAX_LISTEN),
	  .def_note = "none; required", .doc = "Addresses to accept connections on, IPv4 and IPv6." },
	{ "protocol", CONF_ENUM, FIELD(struct conf_proxy, protocol), .words = protocol_words, .def = "tls",
	  .doc = "tls: route by the ClientHello's server name; http: route by the Host header." },
	{ "route", CONF_CUSTOM, CONF_REPEAT, .max = CONF_MAX_ROUTES, .parse = key_route,
	  .syntax = "NAME UPSTREAM... [proxy_protocol=off|v1|v2] [balance=WORD] [alpn=PROTO] [terminate=CERT,KEY] "
		    "[check=off|tcp|tls] [check_ca=FILE] [check_sni=NAME]",
	  .doc = "Exact names and *.example.org wildcards, case and a trailing dot ignored; the most "
		 "specific match wins; upstreams are picked by balance (a failed connect tries the next); "
		 "alpn= only when the hello offers that protocol (a route of the same name without it "
		 "takes the rest); terminate= ends TLS here; check=, check_ca= and check_sni= override "
		 "the section's check keys for this route's upstreams." },
	{ "default", CONF_CUSTOM, FIELD(struct conf_proxy, default_route), .parse = key_fallback_route,
	  .syntax = "UPSTREAM... [OPTION...]", .def_note = "none (TLS alert unrecognized_name)",
	  .doc = "Where a connection goes when no route matches." },
	{ "no_sni", CONF_CUSTOM, FIELD(struct conf_proxy, no_sni_route), .parse = key_fallback_route,
	  .syntax = "UPSTREAM... [OPTION...]", .def_note = "none",
	  .doc = "Where a ClientHello without a server name goes." },
	{ "proxy_protocol", CONF_ENUM, FIELD(struct conf_proxy, proxy_protocol), .words = pp_words,
	  .def = "off", .doc = "PROXY protocol header towards upstreams; a route's option overrides it." },
	{ "balance", CONF_ENUM, FIELD(struct conf_proxy, balance), .words = balance_words, .def = "first",
	  .doc = "How a route picks its upstream: first (in order), roundrobin, leastconn (fewest open "
		 "connections), hash (of the client address, sticky); a route's balance= overrides it." },
	{ "health_backoff_min", CONF_DURATION, FIELD(struct conf_proxy, health_backoff_min_ms), .min = 10,
	  .def = "1s", .doc = "An upstream whose connect failed or timed out is down (skipped unless all "
			      "are down) this long; each further failure doubles it." },
	{ "health_backoff_max", CONF_DURATION, FIELD(struct conf_proxy, health_backoff_max_ms), .min = 10,
	  .def = "60s", .doc = "Longest time an upstream stays down after a failure." },
	{ "check", CONF_ENUM, FIELD(struct conf_proxy, check), .words = check_words, .def = "off",
	  .doc = "Active health checks of every upstream each check_interval: tcp connects, tls also "
		 "completes a TLS handshake (verified with check_ca); a down upstream then comes back "
		 "only after check_rise passes; a route's check= overrides it." },
	{ "check_ca", CONF_PATH, FIELD(struct conf_proxy, check_ca),
	  .def_note = "none: a tls check does not verify the certificate",
	  .doc = "check = tls: PEM CA bundle the upstreams' certificates must chain to (and carry "
		 "check_sni); a certificate that does not is a failed check. A route's check_ca= overrides it." },
	{ "check_sni", CONF_CUSTOM, FIELD(struct conf_proxy, check_sni), .parse = key_check_sni,
	  .syntax = "NAME", .def_note = "none: no SNI is sent and the name is not checked",
	  .doc = "check = tls: the server name sent in the check's hello; with check_ca the "
		 "certificate must carry it. A route's check_sni= overrides it." },
	{ "check_interval", CONF_DURATION, FIELD(struct conf_proxy, check_interval_ms), .min = 100,
	  .def = "5s", .doc = "Time between two checks of an upstream; a check also times out after "
			      "this or connect_timeout, the shorter." },
	{ "check_rise", CONF_INT, FIELD(struct conf_proxy, check_rise), .min = 1, .max = 100, .def = "2",
	  .doc = "Checks in a row that must pass before a down upstream is up again." },
	{ "check_fall", CONF_INT, FIELD(struct conf_proxy, check_fall), .min = 1, .max = 100, .def = "3",
	  .doc = "Checks in a row that must fail before an up upstream is down." },
	{ "accept_proxy", CONF_ENUM, FIELD(struct conf_proxy, accept_proxy), .words = accept_pp_words,
	  .def = "off", .doc = "Expect a PROXY protocol header (v1, v2 or either) before the hello; its "
			       "client address is logged, limited and passed on. Needs accept_proxy_from." },
	{ "accept_proxy_from", CONF_PREFIXES, CONF_REPEAT, FIELD(struct conf_proxy, accept_proxy_from),
	  .max = CONF_MAX_PREFIXES,
	  .doc = "Sources allowed to send a PROXY header (the load balancers); others are refused." },
	{ "max_conn_per_client", CONF_INT, FIELD(struct conf_proxy, max_conn_per_client), .min = 0,
	  .max = 1000000, .def = "0",
	  .doc = "Open connections per client address (IPv6: per /64); more are refused; 0: no limit." },
	{ "client_rate", CONF_INT, FIELD(struct conf_proxy, client_rate), .min = 0, .max = 1000000,
	  .def = "0", .doc = "New connections per second per client address (IPv6: per /64); 0: no limit." },
	{ "resolve_interval", CONF_DURATION, FIELD(struct conf_proxy, resolve_interval_ms), .min = 1000,
	  .def = "30s", .doc = "Upstreams given as host names are resolved off the event loop and "
			       "re-resolved when their DNS TTL ends (at least 1s), at the latest after "
			       "this; a failed lookup is retried this often." },
	{ "happy_eyeballs_delay", CONF_DURATION, FIELD(struct conf_proxy, happy_eyeballs_delay_ms),
	  .min = 10, .max = 60000, .def = "250ms",
	  .doc = "The addresses of an upstream name race (RFC 8305): the next one is tried this long "
		 "after the last while it is still pending, at once when it fails; the first to connect "
		 "wins." },
	{ "happy_eyeballs_max", CONF_INT, FIELD(struct conf_proxy, happy_eyeballs_max), .min = 1, .max = 8,
	  .def = "3", .doc = "Connection attempts of one client connection in flight at once, each with "
			     "its own connect_timeout; 1 tries the addresses one after the other." },
	{ "client_burst", CONF_INT, FIELD(struct conf_proxy, client_burst), .min = 1, .max = 1000000,
	  .def_note = "client_rate", .doc = "Token bucket depth of client_rate, in connections." },
	{ "hello_timeout", CONF_DURATION, FIELD(struct conf_proxy, hello_timeout_ms), .min = 10, .def = "5s",
	  .doc = "Deadline for the ClientHello or request head (terminate= routes: the whole handshake)." },
	{ "connect_timeout", CONF_DURATION, FIELD(struct conf_proxy, connect_timeout_ms), .min = 10,
	  .def = "3s", .doc = "Deadline for connecting an upstream, per upstream tried." },
	{ "idle_timeout", CONF_DURATION, FIELD(struct conf_proxy, idle_timeout_ms), .min = 10, .def = "300s",
	  .doc = "A connection with no bytes either way for this long is closed." },
	{ "max_connections", CONF_INT, FIELD(struct conf_proxy, max_connections), .min = 1, .max = 1000000,
	  .def = "10000", .doc = "At the limit the listener pauses until a connection closes." },
	{ "pipe_size", CONF_SIZE, FIELD(struct conf_proxy, pipe_size), .min = 4096, .max = 16u << 20,
	  .def = "64K",
	  .doc = "splice(2) pipe size every pipe starts with; bigger pipes cost fewer syscalls per byte and more "
		 "memory in flight. Pipes of bulk flows grow on their own within [global] pipe_memory_max." },
	{ "access_log", CONF_BOOL, FIELD(struct conf_proxy, access_log), .def = "yes",
	  .doc = "One line per connection (client, name, route, upstream, bytes, duration, close reason) at info." },
	{ "splice", CONF_BOOL, FIELD(struct conf_proxy, splice), .def = "yes",
	  .doc = "no: move bytes with read/write instead of splice(2) (diagnostics, odd kernels)." },
	{ "upstream_fastopen", CONF_BOOL, FIELD(struct conf_proxy, upstream_fastopen), .def = "no",
	  .doc = "yes: connect to upstreams with TCP Fast Open, the client's first bytes (and the PROXY "
		 "header) in the SYN once the kernel holds the upstream's cookie; upstreams without TFO "
		 "connect as usual. Data in a SYN may reach the server twice (a duplicated SYN): only for "
		 "upstreams that accept that. Needs net.ipv4.tcp_fastopen's client bit (1, the default)." },
};

static const char *const oversize_words[] = { "truncate", "drop", NULL };
static const char *const framing_words[] = { "octet", "lf", NULL };
static const char *const slow_words[] = { "skip", "disconnect", NULL };
static const char *const missing_pri_words[] = { "add", "drop", NULL };

static const struct conf_key syslog_keys[] = {
	{ "listen", CONF_ADDRS, CONF_REPEAT, LIST(struct conf_syslog, listen, n_listen, CONF_MAX_LISTEN),
	  .doc = "UDP intake addresses, IPv4 and IPv6." },
	{ "max_message", CONF_INT, FIELD(struct conf_syslog, max_message), .min = 64, .max = 65535,
	  .def = "8192", .doc = "Longest datagram kept whole, in bytes; longer ones are handled by oversize." },
	{ "oversize", CONF_ENUM, FIELD(struct conf_syslog, oversize), .words = oversize_words,
	  .def = "truncate", .doc = "What happens to a datagram longer than max_message; always counted." },
	{ "ring_size", CONF_SIZE, FIELD(struct conf_syslog, ring_size), .min = 64u << 10, .max = 4ull << 30,
	  .def = "64M", .doc = "Bytes of the shared ring every message is stored in once." },
	{ "ring_messages", CONF_INT, FIELD(struct conf_syslog, ring_messages), .min = 16, .max = 64u << 20,
	  .def = "1048576", .doc = "Messages the ring holds at most." },
	{ "rcvbuf", CONF_SIZE, FIELD(struct conf_syslog, rcvbuf), .min = 4096, .max = 1u << 30, .def = "32M",
	  .doc = "UDP receive buffer (SO_RCVBUFFORCE); 32M holds about 25000 small datagrams." },
	{ "tls_listen", CONF_ADDRS, CONF_REPEAT,
	  LIST(struct conf_syslog, tls_listen, n_tls_listen, CONF_MAX_LISTEN),
	  .doc = "Addresses for TLS subscribers (mutual TLS: needs cert, key and client_ca)." },
	{ "cert", CONF_PATH, FIELD(struct conf_syslog, cert), .doc = "PEM certificate chain shown to subscribers." },
	{ "key", CONF_PATH, FIELD(struct conf_syslog, key), .doc = "PEM private key of cert." },
	{ "client_ca", CONF_PATH, FIELD(struct conf_syslog, client_ca),
	  .doc = "PEM CA bundle that subscriber certificates must chain to." },
	{ "client_issuer", CONF_CUSTOM, CONF_EMPTY_OK, FIELD(struct conf_syslog, client_issuer),
	  .parse = key_client_issuer, .syntax = "DN", .def_note = "empty (any issuer in client_ca)",
	  .doc = "Exact issuer DN a subscriber certificate must carry, e.g. CN=Edge Subscribers CA,O=Example." },
	{ "framing", CONF_ENUM, FIELD(struct conf_syslog, framing), .words = framing_words, .def = "octet",
	  .doc = "octet: RFC 5425 octet counting; lf: one message per line." },
	{ "slow_subscriber", CONF_ENUM, FIELD(struct conf_syslog, slow_subscriber), .words = slow_words,
	  .def = "skip", .doc = "A subscriber that falls behind the ring skips ahead (counted) or is disconnected." },
	{ "handshake_timeout", CONF_DURATION, FIELD(struct conf_syslog, handshake_timeout_ms), .min = 10,
	  .def = "10s", .doc = "Deadline for a subscriber's TLS handshake." },
	{ "max_subscribers", CONF_INT, FIELD(struct conf_syslog, max_subscribers), .min = 1, .max = 10000,
	  .def = "64", .doc = "Subscribers connected at once; more are refused." },
	{ "max_handshakes", CONF_INT, FIELD(struct conf_syslog, max_handshakes), .min = 1, .max = 100000,
	  .def = "256", .doc = "Subscriber connections still in their TLS handshake at most; never counted as "
				"subscribers; when full, the oldest handshake is closed to admit a new one." },
	{ "tcp_listen", CONF_ADDRS, CONF_REPEAT,
	  LIST(struct conf_syslog, tcp_listen, n_tcp_listen, CONF_MAX_LISTEN),
	  .doc = "Plain TCP intake addresses (RFC 6587: octet counting or LF framing, detected per "
		 "connection)." },
	{ "max_senders", CONF_INT, FIELD(struct conf_syslog, max_senders), .min = 1, .max = 100000,
	  .def = "1000", .doc = "TCP senders connected at once; at the limit the listener pauses." },
	{ "sender_idle_timeout", CONF_DURATION, FIELD(struct conf_syslog, sender_idle_timeout_ms),
	  .min = 10, .def = "600s", .doc = "A TCP sender that sends nothing for this long is closed." },
	{ "missing_pri", CONF_ENUM, FIELD(struct conf_syslog, missing_pri), .words = missing_pri_words,
	  .def = "add", .doc = "A message without <PRI> (every input): add PRI 13, and TIMESTAMP and "
			      "HOSTNAME when missing (RFC 3164 4.3.3), or drop it; counted either way." },
	{ "tls_intake", CONF_ADDRS, CONF_REPEAT,
	  LIST(struct conf_syslog, tls_intake, n_tls_intake, CONF_MAX_LISTEN),
	  .doc = "TLS intake addresses (RFC 5425; framing detected as for tcp_listen); shows cert and key." },
	{ "intake_client_ca", CONF_PATH, FIELD(struct conf_syslog, intake_client_ca),
	  .def_note = "none (senders need no certificate)",
	  .doc = "PEM CA bundle: TLS senders must show a certificate that chains to it (mutual TLS)." },
	{ "intake_client_issuer", CONF_CUSTOM, CONF_EMPTY_OK, FIELD(struct conf_syslog, intake_client_issuer),
	  .parse = key_issuer_at, .syntax = "DN", .def_note = "empty (any issuer in intake_client_ca)",
	  .doc = "Exact issuer DN a TLS sender's certificate must carry." },
	{ "intake_max_handshakes", CONF_INT, FIELD(struct conf_syslog, intake_max_handshakes), .min = 1,
	  .max = 100000, .def = "64",
	  .doc = "TLS senders in their handshake at once (pre-authentication budget); more are closed, counted." },
	{ "origin", CONF_BOOL, FIELD(struct conf_syslog, origin), .def = "no",
	  .doc = "yes: add the sender's address to RFC 5424 messages as structured data [origin ip=\"ADDR\"]." },
};

static const struct conf_key forward_keys[] = {
	{ "collector", CONF_ADDRS, CONF_REPEAT | CONF_NAMES_LATER,
	  LIST(struct conf_forward, collectors, n_collectors, CONF_MAX_UPSTREAMS),
	  .def_note = "none; required",
	  .doc = "Collectors (RFC 5425 over TLS), tried in order; a host name is resolved off the event "
		 "loop (resolve_interval), its addresses race as in [proxy] (happy eyeballs, 250ms)." },
	{ "ca", CONF_PATH, FIELD(struct conf_forward, ca), .def_note = "none; required",
	  .doc = "PEM CA bundle the collector's certificate is verified against." },
	{ "server_name", CONF_CUSTOM, FIELD(struct conf_forward, server_name), .parse = key_server_name,
	  .syntax = "NAME",
	  .def_note = "none: no SNI is sent and the certificate's name is not checked",
	  .doc = "Name sent as SNI, which the collector's certificate must carry." },
	{ "cert", CONF_PATH, FIELD(struct conf_forward, cert),
	  .doc = "Optional PEM client certificate, for collectors that require one (with key)." },
	{ "key", CONF_PATH, FIELD(struct conf_forward, key), .doc = "PEM private key of cert." },
	{ "spool_dir", CONF_PATH, FIELD(struct conf_forward, spool_dir), .def_note = "none (no spool)",
	  .doc = "While the collector is down messages wait in the ring, then here." },
	{ "spool_max", CONF_SIZE, FIELD(struct conf_forward, spool_max), .min = 1u << 20, .max = 1ull << 40,
	  .def = "1G", .doc = "Most bytes the spool holds." },
	{ "spool_sync", CONF_ENUM, FIELD(struct conf_forward, spool_sync), .words = spool_sync_words,
	  .def = "second", .doc = "When spooled messages are fdatasync'ed: second (at most a second is lost "
				  "to a power cut), batch (after every batch written), never (the kernel decides)." },
	{ "connect_timeout", CONF_DURATION, FIELD(struct conf_forward, connect_timeout_ms), .min = 10,
	  .def = "5s", .doc = "Deadline for connecting the collector." },
	{ "handshake_timeout", CONF_DURATION, FIELD(struct conf_forward, handshake_timeout_ms), .min = 10,
	  .def = "10s", .doc = "Deadline for the TLS handshake with the collector." },
	{ "write_timeout", CONF_DURATION, FIELD(struct conf_forward, write_timeout_ms), .min = 10,
	  .def = "10s", .doc = "A collector that takes no bytes for this long is reconnected." },
	{ "backoff_min", CONF_DURATION, FIELD(struct conf_forward, backoff_min_ms), .min = 10, .def = "500ms",
	  .doc = "First reconnect delay; it doubles up to backoff_max." },
	{ "backoff_max", CONF_DURATION, FIELD(struct conf_forward, backoff_max_ms), .min = 10, .def = "60s",
	  .doc = "Longest reconnect delay." },
	{ "resolve_interval", CONF_DURATION, FIELD(struct conf_forward, resolve_interval_ms), .min = 1000,
	  .def = "30s", .doc = "Collectors given as host names are resolved off the event loop, again "
			       "at a connect once their DNS TTL (at least 1s) or at the latest this has "
			       "passed; a failed lookup is retried this often." },
};

static const struct conf_key watchdog_keys[] = {
	{ "usb_ids", CONF_USB_IDS, CONF_REPEAT,
	  LIST(struct conf_watchdog, usb_ids, n_usb_ids, CONF_MAX_USB_IDS), .def = "0b95:1790",
	  .doc = "USB ids (vendor:product, hex) [watchdog *] looks for; 0b95:1790 is the ASIX AX88179." },
	{ "interval", CONF_DURATION, FIELD(struct conf_watchdog, interval_ms), .min = 10, .def = "1s",
	  .doc = "Sampling interval of the interface's counters." },
	{ "stall_after", CONF_DURATION, FIELD(struct conf_watchdog, stall_after_ms), .min = 10, .def = "30s",
	  .doc = "How long RX may stand still while TX advances before the NIC counts as stalled." },
	{ "probe", CONF_CUSTOM, FIELD(struct conf_watchdog, probe), .parse = key_probe,
	  .syntax = "ADDR | icmp ADDR | arp IPV4 | ndp IPV6 | gateway", .def_note = "none",
	  .doc = "Neighbour asked every interval (ICMP echo, ARP request, neighbour solicitation, or ARP/NDP to "
		 "the default route's gateway); when set, its answers alone decide stall and recovery." },
	{ "min_reset_interval", CONF_DURATION, FIELD(struct conf_watchdog, min_reset_interval_ms), .min = 0,
	  .def = "60s", .doc = "Least time between two resets of one NIC." },
	{ "max_resets_per_hour", CONF_INT, FIELD(struct conf_watchdog, max_resets_per_hour), .min = 0,
	  .max = 3600, .def = "4", .doc = "Resets of one NIC within an hour at most." },
	{ "dry_run", CONF_BOOL, FIELD(struct conf_watchdog, dry_run), .def = "no",
	  .doc = "Report stalls only, never act." },
	{ "link_bounce", CONF_BOOL, FIELD(struct conf_watchdog, link_bounce), .def = "yes",
	  .doc = "Ladder step 1: take the link down and up before the USB reset." },
	{ "reset_command", CONF_STRING, FIELD(struct conf_watchdog, reset_command), .syntax = "COMMAND",
	  .def_note = "none",
	  .doc = "Ladder step 3, after the USB reset: run with sh -c, EDGESTEER_IFACE, EDGESTEER_USB_PORT "
		 "and EDGESTEER_USB_NODE in its environment." },
	{ "sysfs_root", CONF_PATH, FIELD(struct conf_watchdog, sysfs_root), .def = "/sys",
	  .doc = "Root of sysfs (tests point it at a fake tree)." },
	{ "dev_root", CONF_PATH, FIELD(struct conf_watchdog, dev_root), .def = "/dev",
	  .doc = "Root of the device nodes (tests point it at a fake tree)." },
	{ "backoff", CONF_INT, FIELD(struct conf_watchdog, backoff), .min = 1, .max = 16, .def = "2",
	  .doc = "The k-th reset within an hour waits min_reset_interval * backoff^(k-1)." },
	{ "recover_wait", CONF_DURATION, FIELD(struct conf_watchdog, recover_wait_ms), .min = 10,
	  .def = "10s", .doc = "After each ladder step, how long packets have to come back." },
	{ "recover_samples", CONF_INT, FIELD(struct conf_watchdog, recover_samples), .min = 1, .max = 1000,
	  .def = "5", .doc = "Without a probe: consecutive samples with RX advancing that prove a recovery." },
	{ "flap_window", CONF_DURATION, FIELD(struct conf_watchdog, flap_window_ms), .min = 0, .def = "5m",
	  .doc = "A stall this soon after a credited recovery continues the ladder at the next step (0: off)." },
};

/* one bit per key in the parser's "given already" mask */
_Static_assert(ARRAY_SIZE(global_keys) <= CONF_MAX_KEYS, "too many keys");
_Static_assert(ARRAY_SIZE(xdp_keys) <= CONF_MAX_KEYS, "too many keys");
_Static_assert(ARRAY_SIZE(proxy_keys) <= CONF_MAX_KEYS, "too many keys");
_Static_assert(ARRAY_SIZE(syslog_keys) <= CONF_MAX_KEYS, "too many keys");
_Static_assert(ARRAY_SIZE(forward_keys) <= CONF_MAX_KEYS, "too many keys");
_Static_assert(ARRAY_SIZE(watchdog_keys) <= CONF_MAX_KEYS, "too many keys");

#define SECTION(id, nm, argname, table, text) \
	[id] = { .name = nm, .arg = argname, .keys = table, .n_keys = (int)ARRAY_SIZE(table), .doc = text }

const struct conf_section_def conf_sections[] = {
	SECTION(CONF_SEC_GLOBAL, "global", NULL, global_keys,
		"The daemon itself: control socket, pins, metrics, logging, shutdown."),
	SECTION(CONF_SEC_XDP, "xdp", NULL, xdp_keys,
		"The XDP program: where it is attached, which ports make the syslog and proxy classes, "
		"per-class allow and deny prefix lists, the syslog rate limit and CPU steering."),
	SECTION(CONF_SEC_PROXY, "proxy", "NAME", proxy_keys,
		"One TCP proxy: listeners, routes by TLS server name or HTTP Host, upstreams, deadlines "
		"and limits. A file may have several, each with its own name."),
	SECTION(CONF_SEC_SYSLOG, "syslog", NULL, syslog_keys,
		"The syslog relay: UDP intake into a shared ring, and TLS subscribers that each read the "
		"ring at their own pace."),
	SECTION(CONF_SEC_FORWARD, "forward", "NAME", forward_keys,
		"A forwarder of the syslog ring to a collector over TLS (RFC 5425), with a spool for "
		"outages. Needs a [syslog] section."),
	SECTION(CONF_SEC_WATCHDOG, "watchdog", "IFACE", watchdog_keys,
		"The NIC watchdog for one interface, or [watchdog *] for every USB NIC with one of the "
		"usb_ids (a named section wins for its NIC): stall detection and the reset ladder."),
};
const int conf_n_sections = (int)ARRAY_SIZE(conf_sections);

_Static_assert(ARRAY_SIZE(conf_sections) == CONF_SEC_COUNT, "a section without a table");

/* ---- the reference page ------------------------------------------------ */

/*
 * What each type accepts, for the VALUES part of edgesteer.conf(5); the
 * parsers are in conf.c.
 */
static const struct {
	enum conf_type type;
	const char *name;
	const char *doc;
} type_docs[] = {
	{ CONF_DURATION, "DURATION", "A number with a unit: ms, s, m (or min), h; a bare number is seconds and "
				     "fractions are allowed (1.5s). Kept in milliseconds, at most 1193h." },
	{ CONF_SIZE, "SIZE", "Bytes, with a binary unit K, M, G or T (64K is 65536; 64KiB and 64KB mean the "
			     "same)." },
	{ CONF_BOOL, "yes|no", "yes, true, on or 1; no, false, off or 0." },
	{ CONF_INT, "N", "A whole decimal number without sign, within the key's limits." },
	{ CONF_ENUM, "WORD", "One of the words the key lists, in any case." },
	{ CONF_PATH, "PATH", "An absolute path." },
	{ CONF_STRING, "TEXT", "The rest of the line, without an inline comment." },
	{ CONF_ADDRS, "HOST:PORT", "An IPv4 address, a host name or [IPv6] with a port; names are resolved "
				   "when the file is loaded, except where the key says otherwise." },
	{ CONF_PREFIXES, "PREFIX", "ADDR or ADDR/LEN, IPv4 or IPv6; the bits after LEN must be zero "
				   "(10.0.0.1/8 is refused as a likely typo)." },
	{ CONF_PORTS, "PORT", "A port number from 1 to 65535, or (syslog_ports, syslog_tcp_ports, proxy_ports) a range "
			      "FIRST-LAST such as 6000-6010." },
	{ CONF_IFACES, "IFACE", "An interface name of at most 15 bytes." },
	{ CONF_USB_IDS, "VVVV:PPPP", "A USB vendor and product id, four hex digits each." },
};

/* man(7) text: no escape reaches troff, no line starts a request. */
static void man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* 65536 -> "64K" when it divides evenly, else the plain number */
static void fmt_size(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		uint64_t u = 1ull << (10 * (4 - i));

		if (v && !(v % u)) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / u), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void fmt_words(char *buf, size_t len, const char *const *words, const char *sep)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; words[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? sep : "", words[i]);
}

/* The value's form in the key's tag line. */
static void key_syntax(const struct conf_key *k, char *buf, size_t len)
{
	const char *s = k->syntax;

	if (!s && k->type == CONF_ENUM) {
		fmt_words(buf, len, k->words, "|");
		return;
	}
	for (size_t i = 0; !s && i < ARRAY_SIZE(type_docs); i++)
		if (type_docs[i].type == k->type)
			s = type_docs[i].name;
	snprintf(buf, len, "%s%s", s ? s : "VALUE",
		 k->type >= CONF_ADDRS && k->type <= CONF_USB_IDS ? " ..." : "");
}

/* Type and limits as one sentence, or "" when the tag line says it all. */
static void key_limits(const struct conf_key *k, char *buf, size_t len)
{
	char a[32], b[32];

	buf[0] = 0;
	switch (k->type) {
	case CONF_STRING: snprintf(buf, len, "Text of at most %zu bytes.", k->size - 1); break;
	case CONF_PATH: snprintf(buf, len, "Absolute path of at most %zu bytes.", k->size - 1); break;
	case CONF_INT:
		snprintf(buf, len, "Whole number from %llu to %llu.", (unsigned long long)k->min,
			 (unsigned long long)k->max);
		break;
	case CONF_SIZE:
		fmt_size(a, sizeof(a), k->min);
		fmt_size(b, sizeof(b), k->max);
		snprintf(buf, len, "Size from %s to %s.", a, b);
		break;
	case CONF_DURATION:
		snprintf(buf, len, "Duration of at least %llums.", (unsigned long long)k->min);
		if (!k->min)
			buf[0] = 0;
		break;
	case CONF_ADDRS: snprintf(buf, len, "Addresses, at most %llu.", (unsigned long long)k->max); break;
	case CONF_PREFIXES: snprintf(buf, len, "Prefixes, at most %llu.", (unsigned long long)k->max); break;
	case CONF_PORTS:
		snprintf(buf, len, k->last_off ? "Ports or ranges FIRST-LAST, at most %llu." :
			 "Ports, at most %llu.", (unsigned long long)k->max);
		break;
	case CONF_IFACES: snprintf(buf, len, "Interfaces, at most %llu.", (unsigned long long)k->max); break;
	case CONF_USB_IDS: snprintf(buf, len, "USB ids, at most %llu.", (unsigned long long)k->max); break;
	case CONF_BOOL:
	case CONF_ENUM:		/* the tag line lists the words */
	case CONF_CUSTOM:
		if (k->max)
			snprintf(buf, len, "At most %llu lines.", (unsigned long long)k->max);
		break;
	}
}

static void man_key(FILE *out, const struct conf_key *k)
{
	char syntax[128], limits[128];

	key_syntax(k, syntax, sizeof(syntax));
	key_limits(k, limits, sizeof(limits));
	fprintf(out, ".TP\n\\fB");
	man_text(out, k->name);
	fputs("\\fR = \\fI\\%", out);	/* \% : never hyphenate the form */
	man_text(out, syntax);
	fputs("\\fR\n", out);
	man_text(out, k->doc);
	fputc('\n', out);
	if (limits[0]) {
		fputs(".br\n", out);
		man_text(out, limits);
		fputc('\n', out);
	}
	fputs(".br\nDefault: ", out);
	if (k->def) {
		fputs("\\fB", out);
		man_text(out, k->def);
		fputs("\\fR", out);
	} else {
		man_text(out, k->def_note ? k->def_note : "none");
	}
	fputs(".\n", out);
	if (k->flags & CONF_REPEAT) {
		fputs(".br\nRepeatable: every line adds", out);
		fputs(k->def ? "; the first line replaces the default.\n" : ".\n", out);
	}
}

static void man_repeatable(FILE *out)
{
	fputs(".PP\nA key that takes one value may appear once in a section; a second line is an error "
	      "that names the first. These keys accumulate instead: every line adds to the list, so a "
	      "list too long for one 199\\-byte line is written over several lines. The first line of "
	      "a list that has a default replaces the default.\n", out);
	for (int s = 0; s < conf_n_sections; s++) {
		const struct conf_section_def *d = &conf_sections[s];
		int n = 0;

		for (int i = 0; i < d->n_keys; i++) {
			if (!(d->keys[i].flags & CONF_REPEAT))
				continue;
			if (!n++)
				fprintf(out, ".TP\n[%s]\n", d->name);
			else
				fputs(",\n", out);
			fputs("\\fB", out);
			man_text(out, d->keys[i].name);
			fputs("\\fR", out);
		}
		if (n)
			fputc('\n', out);
	}
}

int conf_keys_man(FILE *out)
{
	fputs(".SH VALUES\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(type_docs); i++) {
		fprintf(out, ".TP\n\\fI");
		man_text(out, type_docs[i].name);
		fputs("\\fR\n", out);
		man_text(out, type_docs[i].doc);
		fputc('\n', out);
	}
	man_repeatable(out);
	fputs(".SH SECTIONS AND KEYS\n", out);
	for (int s = 0; s < conf_n_sections; s++) {
		const struct conf_section_def *d = &conf_sections[s];

		fprintf(out, ".SS \"[%s%s%s]\"\n", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		man_text(out, d->doc);
		fputc('\n', out);
		for (int i = 0; i < d->n_keys; i++)
			man_key(out, &d->keys[i]);
	}
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
