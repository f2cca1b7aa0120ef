// SPDX-License-Identifier: GPL-2.0-only
/*
 * conf.c - parse and validate the INI configuration (Debian's inih).
 *
 * inih does the lexing; we feed it through our own line reader so that we
 * know the line number of every key (Debian builds inih without
 * INI_HANDLER_LINENO) and can refuse lines longer than inih's 200-byte
 * limit instead of letting it split them silently. Every key goes through
 * a per-section table; errors are collected, not fatal, so one run of
 * `edgesteer check` reports all of them. Nothing is applied by this file.
 *
 * Decisions where the mission's sketch is silent:
 *  - A key that takes one value may appear once per section; `route`,
 *    `listen`, `collector` and the prefix lists accumulate.
 *  - Route options follow the upstreams as KEY=VALUE tokens:
 *    `proxy_protocol=off|v1|v2` and `terminate=CERT,KEY`.
 *  - Host names in upstreams and collectors are resolved once, at load.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "dn.h"

#define LINE_MAX_LEN 199	/* inih's INI_MAX_LINE minus the newline */

enum section_kind { SEC_NONE, SEC_GLOBAL, SEC_XDP, SEC_PROXY, SEC_SYSLOG, SEC_FORWARD, SEC_WATCHDOG, SEC_BAD };

struct parse_ctx {
	struct conf *c;
	const char *file;
	FILE *errf;
	int nerr;
	/* reader state */
	FILE *fp;
	const char *str;
	size_t pos;
	int line;
	int section_line;
	int xdp_line, syslog_line;	/* header lines, for validate() */
	/* current section */
	char section[128];
	enum section_kind kind;
	void *cur;
	unsigned long long seen;	/* scalar keys seen in this section */
	bool dup;			/* the current key was a reported duplicate */
};

static void conf_error(struct parse_ctx *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void conf_error(struct parse_ctx *p, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->errf, "%s:%d: ", p->file, key ? p->line : p->section_line);
	if (p->section[0])
		fprintf(p->errf, "[%s] ", p->section);
	if (key)
		fprintf(p->errf, "%s: ", key);
	va_start(ap, fmt);
	vfprintf(p->errf, fmt, ap);
	va_end(ap);
	fputc('\n', p->errf);
	p->nerr++;
}

/* ---- value parsers ----------------------------------------------------- */

int conf_parse_duration_ms(const char *s, uint32_t *ms)
{
	char *end;
	double v;
	double mult = 1000.0;	/* bare numbers are seconds */

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v >= 0))	/* also NaN, which strtod() accepts */
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s") || !*end)
		mult = 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else
		return -EINVAL;
	v *= mult;
	if (v > (double)UINT32_MAX)
		return -EINVAL;
	*ms = (uint32_t)v;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': mult = 1ull << 10; end++; break;
	case 'M': mult = 1ull << 20; end++; break;
	case 'G': mult = 1ull << 30; end++; break;
	case 'T': mult = 1ull << 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (v && mult > UINT64_MAX / v))
		return -EINVAL;
	*bytes = v * mult;
	return 0;
}

int conf_parse_bool(const char *s, bool *b)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on") || !strcmp(s, "1"))
		*b = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off") || !strcmp(s, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

const char *conf_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(buf, len, "unix:%s", ((const char *)sa) + offsetof(struct sockaddr, sa_data));
	} else {
		snprintf(buf, len, "family-%d", sa->sa_family);
	}
	return buf;
}

int conf_parse_hostport(const char *s, struct conf_addr *a, char *err, size_t errlen)
{
	char host[CONF_HOST_MAX], *colon;
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	uint32_t portnum;
	int rc;

	if (strlen(s) >= sizeof(host)) {
		snprintf(err, errlen, "'%.40s...' is too long", s);
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPv6]:PORT", s);
			return -EINVAL;
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		port = close + 2;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		strcpy(host, s);
		colon = strrchr(host, ':');
		if (!colon || strchr(host, ':') != colon) {
			snprintf(err, errlen, "'%s': expected HOST:PORT (IPv6 as [ADDR]:PORT)", s);
			return -EINVAL;
		}
		*colon = 0;
		port = s + (colon - host) + 1;
	}
	if (parse_u32(port, 1, 65535, &portnum)) {
		snprintf(err, errlen, "'%s': port must be 1-65535", s);
		return -EINVAL;
	}
	if (!host[0]) {
		snprintf(err, errlen, "'%s': missing host", s);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "'%s': cannot resolve '%s': %s", s, host, gai_strerror(rc));
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	snprintf(a->text, sizeof(a->text), "%s", s);
	freeaddrinfo(res);
	return 0;
}

int conf_parse_prefix(const char *s, struct conf_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint32_t plen;
	int i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		plen = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash && parse_u32(slash + 1, 0, plen, &plen))
		return -EINVAL;
	p->plen = (uint8_t)plen;
	/* host bits must be zero: "10.0.0.1/8" is almost always a typo */
	for (i = 0; i < 16; i++) {
		int keep = (int)plen - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		if (p->addr[i] & ~mask)
			return -ERANGE;
	}
	return 0;
}

int conf_parse_cpus(const char *s, uint64_t *mask)
{
	char buf[256], *tok, *save = NULL;
	uint64_t m = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t a, b;
		char *dash = strchr(tok, '-');

		if (dash) {
			*dash = 0;
			if (parse_u32(tok, 0, 63, &a) || parse_u32(dash + 1, 0, 63, &b) || b < a)
				return -EINVAL;
		} else {
			if (parse_u32(tok, 0, 63, &a))
				return -EINVAL;
			b = a;
		}
		for (; a <= b; a++)
			m |= 1ull << a;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

void conf_normalize_name(char *s)
{
	size_t n;

	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	n = strlen(s);
	if (n && s[n - 1] == '.')
		s[n - 1] = 0;
}

/* ---- key handlers ------------------------------------------------------ */

/* Split a value into whitespace-separated words, calling fn on each. */
#define FOR_EACH_WORD(val, w, buf) \
	for (char buf[1024], *w##_save = NULL, *w = (snprintf(buf, sizeof(buf), "%s", val), strtok_r(buf, " \t", &w##_save)); \
	     w; w = strtok_r(NULL, " \t", &w##_save))

static void set_path(struct parse_ctx *p, const char *key, const char *val, char *dst, size_t len)
{
	if (strlen(val) >= len) {
		conf_error(p, key, "path is longer than %zu bytes", len - 1);
		return;
	}
	if (val[0] != '/') {
		conf_error(p, key, "'%s' must be an absolute path", val);
		return;
	}
	strcpy(dst, val);
}

static void set_duration(struct parse_ctx *p, const char *key, const char *val, uint32_t *dst,
			 uint32_t min_ms)
{
	uint32_t ms;

	if (conf_parse_duration_ms(val, &ms) || ms < min_ms)
		conf_error(p, key, "'%s' is not a duration of at least %ums (examples: 500ms, 5s, 2m, 1h)",
			   val, min_ms);
	else
		*dst = ms;
}

static void set_u32(struct parse_ctx *p, const char *key, const char *val, uint32_t *dst,
		    uint32_t min, uint32_t max)
{
	if (parse_u32(val, min, max, dst))
		conf_error(p, key, "'%s' is not a whole number from %u to %u", val, min, max);
}

static void set_size(struct parse_ctx *p, const char *key, const char *val, uint64_t *dst,
		     uint64_t min, uint64_t max)
{
	uint64_t v;

	if (conf_parse_size(val, &v) || v < min || v > max)
		conf_error(p, key, "'%s' is not a size from %llu to %llu bytes (suffixes K, M, G)", val,
			   (unsigned long long)min, (unsigned long long)max);
	else
		*dst = v;
}

static void set_bool(struct parse_ctx *p, const char *key, const char *val, bool *dst)
{
	if (conf_parse_bool(val, dst))
		conf_error(p, key, "'%s' is not yes or no", val);
}

/* Pick one of `names` (NULL-terminated); the index is the enum value. */
static void set_enum(struct parse_ctx *p, const char *key, const char *val, int *dst,
		     const char *const *names)
{
	char allowed[256] = "";
	int i;

	for (i = 0; names[i]; i++) {
		if (!strcasecmp(val, names[i])) {
			*dst = i;
			return;
		}
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
			 i ? " | " : "", names[i]);
	}
	conf_error(p, key, "'%s' is not one of: %s", val, allowed);
}

static void add_addrs(struct parse_ctx *p, const char *key, const char *val, struct conf_addr *arr,
		      int *n, int max)
{
	char err[CONF_HOST_MAX + 128];

	FOR_EACH_WORD(val, w, buf) {
		if (*n >= max) {
			conf_error(p, key, "more than %d addresses", max);
			return;
		}
		if (conf_parse_hostport(w, &arr[*n], err, sizeof(err)))
			conf_error(p, key, "%s", err);
		else
			(*n)++;
	}
}

static void add_ports(struct parse_ctx *p, const char *key, const char *val, uint16_t *arr, int *n)
{
	*n = 0;	/* a port list replaces the default */
	FOR_EACH_WORD(val, w, buf) {
		uint32_t port;

		if (*n >= CONF_MAX_PORTS) {
			conf_error(p, key, "more than %d ports", CONF_MAX_PORTS);
			return;
		}
		if (parse_u32(w, 1, 65535, &port))
			conf_error(p, key, "'%s' is not a port 1-65535", w);
		else
			arr[(*n)++] = (uint16_t)port;
	}
}

static void add_prefixes(struct parse_ctx *p, const char *key, const char *val, struct conf_prefix_list *l)
{
	FOR_EACH_WORD(val, w, buf) {
		struct conf_prefix pf;
		int rc = conf_parse_prefix(w, &pf);

		if (rc == -ERANGE) {
			conf_error(p, key, "'%s' has host bits set beyond the prefix length", w);
			continue;
		}
		if (rc) {
			conf_error(p, key, "'%s' is not an IPv4 or IPv6 prefix (ADDR or ADDR/LEN)", w);
			continue;
		}
		if (l->n >= CONF_MAX_PREFIXES) {
			conf_error(p, key, "more than %d prefixes", CONF_MAX_PREFIXES);
			return;
		}
		if (!(l->n & (l->n - 1)) || !l->v) {
			struct conf_prefix *v = realloc(l->v, sizeof(*v) * (size_t)(l->n ? l->n * 2 : 8));

			if (!v) {
				conf_error(p, key, "out of memory");
				return;
			}
			l->v = v;
		}
		l->v[l->n++] = pf;
	}
}

static void set_steer(struct parse_ctx *p, const char *key, const char *val, struct conf_steer *s)
{
	char word[16], rest[128];

	if (!strcasecmp(val, "pass")) {
		s->kind = STEER_PASS;
		s->cpus = 0;
		return;
	}
	if (sscanf(val, "%15s %127s", word, rest) == 2 &&
	    (!strcasecmp(word, "cpu") || !strcasecmp(word, "cpus")) &&
	    !conf_parse_cpus(rest, &s->cpus)) {
		if (!strcasecmp(word, "cpu") && (s->cpus & (s->cpus - 1))) {
			conf_error(p, key, "'cpu' takes one CPU; use 'cpus %s' for a set", rest);
			return;
		}
		/* the bound first: a shift by 64 or more is undefined */
		if (sysconf(_SC_NPROCESSORS_CONF) < 64 && s->cpus >> sysconf(_SC_NPROCESSORS_CONF)) {
			conf_error(p, key, "'%s' names a CPU this machine does not have (it has %ld)", val,
				   sysconf(_SC_NPROCESSORS_CONF));
			return;
		}
		s->kind = STEER_CPUS;
		return;
	}
	conf_error(p, key, "'%s' is not one of: pass | cpu N | cpus LIST (e.g. 0-3 or 0,2)", val);
}

/*
 * route = NAME UPSTREAM... [proxy_protocol=v1|v2|off] [terminate=CERT,KEY]
 * default = UPSTREAM... [options]      no_sni = UPSTREAM... [options]
 */
static void parse_route(struct parse_ctx *p, const char *key, const char *val,
			struct conf_proxy *px, struct conf_route *r, bool named)
{
	static const char *const pp_names[] = { "off", "v1", "v2", NULL };
	char err[CONF_HOST_MAX + 128];
	bool have_name = !named;
	int nerr = p->nerr;

	memset(r, 0, sizeof(*r));
	r->proxy_protocol = px->proxy_protocol;
	r->line = p->line;
	r->proxy_protocol = (enum conf_pp)-1;	/* resolved after the section */
	FOR_EACH_WORD(val, w, buf) {
		char *eq = strchr(w, '=');

		if (!have_name) {
			if (strlen(w) >= sizeof(r->name)) {
				conf_error(p, key, "server name '%.40s...' is too long", w);
				return;
			}
			strcpy(r->name, w);
			conf_normalize_name(r->name);
			if (!strncmp(r->name, "*.", 2)) {
				r->wildcard = true;
				if (!r->name[2] || strchr(r->name + 2, '*')) {
					conf_error(p, key, "'%s': a wildcard is '*.' followed by a name", w);
					return;
				}
			} else if (strchr(r->name, '*')) {
				conf_error(p, key, "'%s': '*' is only allowed as the first label ('*.example.com')", w);
				return;
			}
			have_name = true;
			continue;
		}
		if (eq) {
			*eq = 0;
			if (!strcmp(w, "proxy_protocol")) {
				int v = -1;

				set_enum(p, key, eq + 1, &v, pp_names);
				if (v >= 0)
					r->proxy_protocol = (enum conf_pp)v;
			} else if (!strcmp(w, "terminate")) {
				char *comma = strchr(eq + 1, ',');

				if (!comma) {
					conf_error(p, key, "terminate=CERT,KEY needs both files");
					continue;
				}
				*comma = 0;
				set_path(p, key, eq + 1, r->cert, sizeof(r->cert));
				set_path(p, key, comma + 1, r->key, sizeof(r->key));
			} else {
				conf_error(p, key, "unknown route option '%s' (allowed: proxy_protocol=, terminate=)", w);
			}
			continue;
		}
		if (r->n_upstreams >= CONF_MAX_UPSTREAMS) {
			conf_error(p, key, "more than %d upstreams", CONF_MAX_UPSTREAMS);
			return;
		}
		if (conf_parse_hostport(w, &r->upstreams[r->n_upstreams], err, sizeof(err)))
			conf_error(p, key, "%s", err);
		else
			r->n_upstreams++;
	}
	if (!have_name)
		conf_error(p, key, "expected NAME UPSTREAM [UPSTREAM...]");
	else if (!r->n_upstreams && p->nerr == nerr)	/* not again after a bad one */
		conf_error(p, key, "expected at least one upstream HOST:PORT");
}

/* Scalar keys may be set once per section: bit `bit` of p->seen. */
static bool once(struct parse_ctx *p, const char *key, int bit)
{
	if (p->seen & (1ull << bit)) {
		conf_error(p, key, "set twice in this section");
		p->dup = true;
		return false;
	}
	p->seen |= 1ull << bit;
	return true;
}

/* True (and cleared) when the key just failed once(): already reported. */
static bool take_dup(struct parse_ctx *p)
{
	bool d = p->dup;

	p->dup = false;
	return d;
}

#define KEY(k, bit) (!strcmp(name, k) && once(p, name, bit))
#define LIST_KEY(k) (!strcmp(name, k))

static void unknown_key(struct parse_ctx *p, const char *name, const char *allowed)
{
	conf_error(p, name, "unknown key; allowed here: %s", allowed);
}

static bool addr_is_loopback(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr) >> 24) == 127;
	return a->ss.ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static void key_global(struct parse_ctx *p, const char *name, const char *val)
{
	static const char *const levels[] = { "emerg", "alert", "crit", "err", "warning",
					      "notice", "info", "debug", NULL };
	struct conf_global *g = &p->c->global;
	char err[CONF_HOST_MAX + 128];
	int lvl = -1;

	if (KEY("control_socket", 0)) {
		if (strlen(val) >= sizeof(g->control_socket) || val[0] != '/')
			conf_error(p, name, "'%s' must be an absolute path under %zu bytes", val,
				   sizeof(g->control_socket));
		else
			strcpy(g->control_socket, val);
	} else if (KEY("control_group", 1)) {
		if (!getgrnam(val))
			conf_error(p, name, "no group named '%s' on this system", val);
		else
			snprintf(g->control_group, sizeof(g->control_group), "%s", val);
	} else if (KEY("pin_path", 2)) {
		set_path(p, name, val, g->pin_path, sizeof(g->pin_path));
	} else if (KEY("metrics_listen", 3)) {
		if (conf_parse_hostport(val, &g->metrics_listen, err, sizeof(err)))
			conf_error(p, name, "%s", err);
		else if (!addr_is_loopback(&g->metrics_listen))
			conf_error(p, name, "'%s' is not a loopback address: metrics are served on "
				   "127.0.0.0/8 or [::1] only (put a reverse proxy in front to expose them)", val);
		else
			g->metrics_on = true;
	} else if (KEY("log_level", 4)) {
		set_enum(p, name, val, &lvl, levels);
		if (lvl >= 0)
			g->log_level = lvl;
	} else if (KEY("drain_timeout", 5)) {
		set_duration(p, name, val, &g->drain_timeout_ms, 0);
	} else if (KEY("max_connections", 6)) {
		set_u32(p, name, val, &g->max_connections, 0, 10000000);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "control_socket control_group pin_path metrics_listen log_level drain_timeout max_connections");
	}
}

static void key_xdp(struct parse_ctx *p, const char *name, const char *val)
{
	static const char *const modes[] = { "auto", "native", "generic", NULL };
	static const char *const on_exit[] = { "keep", "detach", NULL };
	struct conf_xdp *x = &p->c->xdp;
	int v = -1;

	if (KEY("interfaces", 0)) {
		FOR_EACH_WORD(val, w, buf) {
			if (x->n_ifaces >= CONF_MAX_IFACES)
				conf_error(p, name, "more than %d interfaces", CONF_MAX_IFACES);
			else if (strlen(w) >= IFNAMSIZ || strchr(w, '/'))
				conf_error(p, name, "'%s' is not an interface name (at most %d bytes)", w, IFNAMSIZ - 1);
			else
				strcpy(x->ifaces[x->n_ifaces++], w);
		}
	} else if (KEY("mode", 1)) {
		set_enum(p, name, val, &v, modes);
		if (v >= 0)
			x->mode = (enum conf_xdp_mode)v;
	} else if (KEY("syslog_ports", 2)) {
		add_ports(p, name, val, x->syslog_ports, &x->n_syslog_ports);
	} else if (KEY("proxy_ports", 3)) {
		add_ports(p, name, val, x->proxy_ports, &x->n_proxy_ports);
	} else if (KEY("syslog_rate_pps", 4)) {
		set_u32(p, name, val, &x->syslog_rate_pps, 0, 100000000);
	} else if (KEY("syslog_burst", 5)) {
		set_u32(p, name, val, &x->syslog_burst, 1, 100000000);
	} else if (LIST_KEY("allow_syslog")) {
		add_prefixes(p, name, val, &x->allow_syslog);
	} else if (LIST_KEY("deny_syslog")) {
		add_prefixes(p, name, val, &x->deny_syslog);
	} else if (LIST_KEY("allow_proxy")) {
		add_prefixes(p, name, val, &x->allow_proxy);
	} else if (LIST_KEY("deny_proxy")) {
		add_prefixes(p, name, val, &x->deny_proxy);
	} else if (KEY("steer_syslog", 6)) {
		set_steer(p, name, val, &x->steer_syslog);
	} else if (KEY("steer_proxy", 7)) {
		set_steer(p, name, val, &x->steer_proxy);
	} else if (KEY("on_exit", 8)) {
		set_enum(p, name, val, &v, on_exit);
		if (v >= 0)
			x->on_exit = (enum conf_on_exit)v;
	} else if (KEY("cpumap_qsize", 9)) {
		set_u32(p, name, val, &x->cpumap_qsize, 8, 16384);
	} else if (KEY("syslog_rate_v6_prefix", 10)) {
		set_u32(p, name, val, &x->syslog_rate_v6_prefix, 32, 128);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "interfaces mode syslog_ports proxy_ports syslog_rate_pps syslog_burst "
			    "syslog_rate_v6_prefix allow_syslog deny_syslog allow_proxy deny_proxy steer_syslog "
			    "steer_proxy on_exit cpumap_qsize");
	}
}

static void key_proxy(struct parse_ctx *p, const char *name, const char *val)
{
	static const char *const protos[] = { "tls", "http", NULL };
	static const char *const pps[] = { "off", "v1", "v2", NULL };
	struct conf_proxy *px = p->cur;
	int v = -1;

	if (LIST_KEY("listen")) {
		add_addrs(p, name, val, px->listen, &px->n_listen, CONF_MAX_LISTEN);
	} else if (KEY("protocol", 0)) {
		set_enum(p, name, val, &v, protos);
		if (v >= 0)
			px->protocol = (enum conf_proxy_proto)v;
	} else if (LIST_KEY("route")) {
		if (px->n_routes >= CONF_MAX_ROUTES) {
			conf_error(p, name, "more than %d routes", CONF_MAX_ROUTES);
			return;
		}
		if (!(px->n_routes & (px->n_routes - 1)) || !px->routes) {
			struct conf_route *r = realloc(px->routes, sizeof(*r) * (size_t)(px->n_routes ? px->n_routes * 2 : 4));

			if (!r) {
				conf_error(p, name, "out of memory");
				return;
			}
			px->routes = r;
		}
		parse_route(p, name, val, px, &px->routes[px->n_routes], true);
		if (px->routes[px->n_routes].n_upstreams) {
			for (int i = 0; i < px->n_routes; i++)
				if (!strcmp(px->routes[i].name, px->routes[px->n_routes].name)) {
					conf_error(p, name, "route '%s' already defined on line %d",
						   px->routes[i].name, px->routes[i].line);
					return;
				}
			px->n_routes++;
		}
	} else if (KEY("default", 1)) {
		parse_route(p, name, val, px, &px->default_route, false);
	} else if (KEY("no_sni", 2)) {
		parse_route(p, name, val, px, &px->no_sni_route, false);
	} else if (KEY("proxy_protocol", 3)) {
		set_enum(p, name, val, &v, pps);
		if (v >= 0)
			px->proxy_protocol = (enum conf_pp)v;
	} else if (KEY("hello_timeout", 4)) {
		set_duration(p, name, val, &px->hello_timeout_ms, 10);
	} else if (KEY("connect_timeout", 5)) {
		set_duration(p, name, val, &px->connect_timeout_ms, 10);
	} else if (KEY("idle_timeout", 6)) {
		set_duration(p, name, val, &px->idle_timeout_ms, 10);
	} else if (KEY("max_connections", 7)) {
		set_u32(p, name, val, &px->max_connections, 1, 1000000);
	} else if (KEY("pipe_size", 8)) {
		uint64_t sz = 0;

		set_size(p, name, val, &sz, 4096, 16u << 20);
		if (sz)
			px->pipe_size = (uint32_t)sz;
	} else if (KEY("access_log", 9)) {
		set_bool(p, name, val, &px->access_log);
	} else if (KEY("splice", 10)) {
		set_bool(p, name, val, &px->splice);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "listen protocol route default no_sni proxy_protocol hello_timeout "
			    "connect_timeout idle_timeout max_connections pipe_size access_log splice");
	}
}

static void key_syslog(struct parse_ctx *p, const char *name, const char *val)
{
	static const char *const framings[] = { "octet", "lf", NULL };
	static const char *const slows[] = { "skip", "disconnect", NULL };
	static const char *const oversizes[] = { "truncate", "drop", NULL };
	struct conf_syslog *s = &p->c->syslog;
	uint64_t sz = 0;
	int v = -1;

	if (LIST_KEY("listen")) {
		add_addrs(p, name, val, s->listen, &s->n_listen, CONF_MAX_LISTEN);
	} else if (KEY("max_message", 0)) {
		set_u32(p, name, val, &s->max_message, 64, 65535);
	} else if (KEY("oversize", 1)) {
		set_enum(p, name, val, &v, oversizes);
		if (v >= 0)
			s->oversize = (enum conf_oversize)v;
	} else if (KEY("ring_size", 2)) {
		set_size(p, name, val, &s->ring_size, 64u << 10, 4ull << 30);
	} else if (KEY("ring_messages", 3)) {
		set_u32(p, name, val, &s->ring_messages, 16, 64u << 20);
	} else if (KEY("rcvbuf", 4)) {
		set_size(p, name, val, &sz, 4096, 1u << 30);
		if (sz)
			s->rcvbuf = (uint32_t)sz;
	} else if (LIST_KEY("tls_listen")) {
		add_addrs(p, name, val, s->tls_listen, &s->n_tls_listen, CONF_MAX_LISTEN);
	} else if (KEY("cert", 5)) {
		set_path(p, name, val, s->cert, sizeof(s->cert));
	} else if (KEY("key", 6)) {
		set_path(p, name, val, s->key, sizeof(s->key));
	} else if (KEY("client_ca", 7)) {
		set_path(p, name, val, s->client_ca, sizeof(s->client_ca));
	} else if (KEY("client_issuer", 8)) {
		char dn[TLS_DN_MAX];

		if (strlen(val) >= sizeof(s->client_issuer))
			conf_error(p, name, "longer than %zu bytes", sizeof(s->client_issuer) - 1);
		else if (val[0] && dn_canon(val, dn, sizeof(dn)))
			conf_error(p, name, "'%s' is not a distinguished name like "
				   "\"CN=Edge Subscribers CA,O=Example\"", val);
		else
			strcpy(s->client_issuer, val);
	} else if (KEY("framing", 9)) {
		set_enum(p, name, val, &v, framings);
		if (v >= 0)
			s->framing = (enum conf_framing)v;
	} else if (KEY("slow_subscriber", 10)) {
		set_enum(p, name, val, &v, slows);
		if (v >= 0)
			s->slow_subscriber = (enum conf_slow)v;
	} else if (KEY("handshake_timeout", 11)) {
		set_duration(p, name, val, &s->handshake_timeout_ms, 10);
	} else if (KEY("max_subscribers", 12)) {
		set_u32(p, name, val, &s->max_subscribers, 1, 10000);
	} else if (KEY("max_handshakes", 13)) {
		set_u32(p, name, val, &s->max_handshakes, 1, 100000);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "listen max_message oversize ring_size ring_messages rcvbuf tls_listen "
			    "cert key client_ca client_issuer framing slow_subscriber handshake_timeout max_subscribers "
			    "max_handshakes");
	}
}

static void key_forward(struct parse_ctx *p, const char *name, const char *val)
{
	struct conf_forward *f = p->cur;

	if (LIST_KEY("collector")) {
		add_addrs(p, name, val, f->collectors, &f->n_collectors, CONF_MAX_UPSTREAMS);
	} else if (KEY("ca", 0)) {
		set_path(p, name, val, f->ca, sizeof(f->ca));
	} else if (KEY("server_name", 1)) {
		if (strlen(val) >= sizeof(f->server_name))
			conf_error(p, name, "longer than %zu bytes", sizeof(f->server_name) - 1);
		else
			strcpy(f->server_name, val);
	} else if (KEY("cert", 2)) {
		set_path(p, name, val, f->cert, sizeof(f->cert));
	} else if (KEY("key", 3)) {
		set_path(p, name, val, f->key, sizeof(f->key));
	} else if (KEY("spool_dir", 4)) {
		set_path(p, name, val, f->spool_dir, sizeof(f->spool_dir));
	} else if (KEY("spool_max", 5)) {
		set_size(p, name, val, &f->spool_max, 1u << 20, 1ull << 40);
	} else if (KEY("connect_timeout", 6)) {
		set_duration(p, name, val, &f->connect_timeout_ms, 10);
	} else if (KEY("handshake_timeout", 7)) {
		set_duration(p, name, val, &f->handshake_timeout_ms, 10);
	} else if (KEY("write_timeout", 8)) {
		set_duration(p, name, val, &f->write_timeout_ms, 10);
	} else if (KEY("backoff_min", 9)) {
		set_duration(p, name, val, &f->backoff_min_ms, 10);
	} else if (KEY("backoff_max", 10)) {
		set_duration(p, name, val, &f->backoff_max_ms, 10);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "collector ca server_name cert key spool_dir spool_max connect_timeout "
			    "handshake_timeout write_timeout backoff_min backoff_max");
	}
}

static void key_watchdog(struct parse_ctx *p, const char *name, const char *val)
{
	struct conf_watchdog *w = p->cur;
	char err[CONF_HOST_MAX + 128];

	if (KEY("usb_ids", 0)) {
		w->n_usb_ids = 0;
		FOR_EACH_WORD(val, id, buf) {
			unsigned vid, pid;
			int used = 0;

			if (w->n_usb_ids >= CONF_MAX_USB_IDS)
				conf_error(p, name, "more than %d ids", CONF_MAX_USB_IDS);
			else if (sscanf(id, "%4x:%4x%n", &vid, &pid, &used) != 2 || id[used] || strlen(id) != 9)
				conf_error(p, name, "'%s' is not a USB id VVVV:PPPP in hex (e.g. 0b95:1790)", id);
			else
				w->usb_ids[w->n_usb_ids++] = vid << 16 | pid;
		}
	} else if (KEY("interval", 1)) {
		set_duration(p, name, val, &w->interval_ms, 10);
	} else if (KEY("stall_after", 2)) {
		set_duration(p, name, val, &w->stall_after_ms, 10);
	} else if (KEY("probe", 3)) {
		char tmp[CONF_HOST_MAX + 8];

		/* a neighbour address; the port is irrelevant for ARP/ICMP */
		snprintf(tmp, sizeof(tmp), strchr(val, ':') ? "[%s]:1" : "%s:1", val);
		if (conf_parse_hostport(tmp, &w->probe, err, sizeof(err)))
			conf_error(p, name, "'%s' is not an IPv4 or IPv6 address", val);
		else
			w->probe_on = true;
	} else if (KEY("min_reset_interval", 4)) {
		set_duration(p, name, val, &w->min_reset_interval_ms, 0);
	} else if (KEY("max_resets_per_hour", 5)) {
		set_u32(p, name, val, &w->max_resets_per_hour, 0, 3600);
	} else if (KEY("dry_run", 6)) {
		set_bool(p, name, val, &w->dry_run);
	} else if (KEY("link_bounce", 7)) {
		set_bool(p, name, val, &w->link_bounce);
	} else if (KEY("reset_command", 8)) {
		if (strlen(val) >= sizeof(w->reset_command))
			conf_error(p, name, "longer than %zu bytes", sizeof(w->reset_command) - 1);
		else
			strcpy(w->reset_command, val);
	} else if (KEY("sysfs_root", 9)) {
		set_path(p, name, val, w->sysfs_root, sizeof(w->sysfs_root));
	} else if (KEY("dev_root", 10)) {
		set_path(p, name, val, w->dev_root, sizeof(w->dev_root));
	} else if (KEY("backoff", 11)) {
		set_u32(p, name, val, &w->backoff, 1, 16);
	} else if (KEY("recover_wait", 12)) {
		set_duration(p, name, val, &w->recover_wait_ms, 10);
	} else if (!take_dup(p)) {
		unknown_key(p, name, "usb_ids interval stall_after probe min_reset_interval max_resets_per_hour "
			    "dry_run link_bounce reset_command sysfs_root dev_root backoff recover_wait");
	}
}

/* ---- sections ---------------------------------------------------------- */

static void defaults_global(struct conf_global *g)
{
	strcpy(g->control_socket, "/run/edgesteer/control.sock");
	strcpy(g->pin_path, "/sys/fs/bpf/edgesteer");
	g->log_level = LOG_INFO;
	g->drain_timeout_ms = 10000;
}

static void defaults_xdp(struct conf_xdp *x)
{
	x->mode = XDP_MODE_AUTO;
	x->syslog_ports[0] = 514;
	x->n_syslog_ports = 1;
	x->proxy_ports[0] = 443;
	x->n_proxy_ports = 1;
	x->on_exit = ON_EXIT_KEEP;
	x->cpumap_qsize = 2048;
	x->syslog_rate_v6_prefix = 64;
}

static void defaults_proxy(struct conf_proxy *px)
{
	px->protocol = PROTO_TLS;
	px->hello_timeout_ms = 5000;
	px->connect_timeout_ms = 3000;
	px->idle_timeout_ms = 300000;
	px->max_connections = 10000;
	px->pipe_size = 1u << 16;
	px->access_log = true;
	px->splice = true;
}

static void defaults_syslog(struct conf_syslog *s)
{
	s->max_message = 8192;
	s->oversize = OVERSIZE_TRUNCATE;
	s->ring_size = 64u << 20;
	s->ring_messages = 1u << 20;
	s->rcvbuf = 32u << 20;	/* ~25k small datagrams (skb truesize ~1.2 KB each) */
	s->framing = FRAMING_OCTET;
	s->slow_subscriber = SLOW_SKIP;
	s->handshake_timeout_ms = 10000;
	s->max_subscribers = 64;
	s->max_handshakes = 256;
}

static void defaults_forward(struct conf_forward *f)
{
	f->spool_max = 1ull << 30;
	f->connect_timeout_ms = 5000;
	f->handshake_timeout_ms = 10000;
	f->write_timeout_ms = 10000;
	f->backoff_min_ms = 500;
	f->backoff_max_ms = 60000;
}

static void defaults_watchdog(struct conf_watchdog *w)
{
	w->usb_ids[0] = 0x0b951790;
	w->n_usb_ids = 1;
	w->interval_ms = 1000;
	w->stall_after_ms = 30000;
	w->min_reset_interval_ms = 60000;
	w->max_resets_per_hour = 4;
	w->link_bounce = true;
	w->backoff = 2;
	w->recover_wait_ms = 10000;
	strcpy(w->sysfs_root, "/sys");
	strcpy(w->dev_root, "/dev");
}

/*
 * Take the next slot of a named-section array (proxies, forwards,
 * watchdogs): refuses a repeated name and a full array with an error;
 * sets name, line and p->cur. Evaluates to the slot or NULL.
 */
#define NAMED_SLOT(p, arr, n, namefield, kindname, name) ({			\
	__typeof__(&(arr)[0]) slot_ = NULL;					\
	int i_;									\
	for (i_ = 0; i_ < (n); i_++)						\
		if (!strcmp((arr)[i_].namefield, (name)))			\
			break;							\
	if (i_ < (n))								\
		conf_error((p), NULL, "[%s %s] appears twice (first on line %d)", \
			   (kindname), (name), (arr)[i_].line);			\
	else if ((n) >= CONF_MAX_SECTIONS)					\
		conf_error((p), NULL, "more than %d [%s] sections",		\
			   CONF_MAX_SECTIONS, (kindname));			\
	else {									\
		slot_ = &(arr)[(n)++];						\
		snprintf(slot_->namefield, sizeof(slot_->namefield), "%s", (name)); \
		slot_->line = (p)->section_line;				\
		(p)->cur = slot_;						\
	}									\
	slot_;									\
})

/* Split "proxy web" into kind and name. */
static void open_section(struct parse_ctx *p, const char *section)
{
	char kind[32] = "", name[128] = "", extra[8] = "";
	struct conf *c = p->c;
	int n = sscanf(section, "%31s %127s %7s", kind, name, extra);

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->seen = 0;
	p->cur = NULL;
	p->kind = SEC_BAD;
	if (n == 3) {
		conf_error(p, NULL, "section name has more than two words");
		return;
	}
	if (!strcmp(kind, "global") || !strcmp(kind, "xdp") || !strcmp(kind, "syslog")) {
		if (n != 1) {
			conf_error(p, NULL, "[%s] takes no name", kind);
			return;
		}
		bool *seen = kind[0] == 'g' ? NULL : kind[0] == 'x' ? &c->has_xdp : &c->syslog.enabled;
		if (seen && *seen) {
			conf_error(p, NULL, "[%s] appears twice", kind);
			return;
		}
		if (seen)
			*seen = true;
		if (kind[0] == 'x')
			p->xdp_line = p->section_line;
		else if (kind[0] == 's')
			p->syslog_line = p->section_line;
		p->kind = kind[0] == 'g' ? SEC_GLOBAL : kind[0] == 'x' ? SEC_XDP : SEC_SYSLOG;
		return;
	}
	if (strcmp(kind, "proxy") && strcmp(kind, "forward") && strcmp(kind, "watchdog")) {
		conf_error(p, NULL, "unknown section; allowed: [global] [xdp] [proxy NAME] [syslog] "
			   "[forward NAME] [watchdog IFACE]");
		return;
	}
	if (n != 2) {
		conf_error(p, NULL, "[%s] needs a name: [%s NAME]", kind, kind);
		return;
	}
	if (strlen(name) >= (kind[0] == 'w' ? IFNAMSIZ : CONF_NAME_MAX)) {
		conf_error(p, NULL, "name '%s' is too long", name);
		return;
	}
	/* the three named kinds share one slot allocator */
	if (kind[0] == 'p') {
		struct conf_proxy *px = NAMED_SLOT(p, c->proxies, c->n_proxies, name, "proxy", name);

		if (px) {
			defaults_proxy(px);
			p->kind = SEC_PROXY;
		}
	} else if (kind[0] == 'f') {
		struct conf_forward *f = NAMED_SLOT(p, c->forwards, c->n_forwards, name, "forward", name);

		if (f) {
			defaults_forward(f);
			p->kind = SEC_FORWARD;
		}
	} else {
		struct conf_watchdog *w = NAMED_SLOT(p, c->watchdogs, c->n_watchdogs, iface, "watchdog", name);

		if (w) {
			defaults_watchdog(w);
			p->kind = SEC_WATCHDOG;
		}
	}
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;

	if (strcmp(section, p->section))
		open_section(p, section);
	if (!*value && strcmp(name, "client_issuer")) {
		conf_error(p, name, "empty value");
		return 1;
	}
	switch (p->kind) {
	case SEC_NONE:
		conf_error(p, name, "key outside any section; start with [global], [xdp], ...");
		break;
	case SEC_GLOBAL: key_global(p, name, value); break;
	case SEC_XDP: key_xdp(p, name, value); break;
	case SEC_PROXY: key_proxy(p, name, value); break;
	case SEC_SYSLOG: key_syslog(p, name, value); break;
	case SEC_FORWARD: key_forward(p, name, value); break;
	case SEC_WATCHDOG: key_watchdog(p, name, value); break;
	case SEC_BAD: break;	/* already reported at the section */
	}
	return 1;	/* keep going: report every error */
}

/* fgets-alike that counts lines and refuses ones inih would split. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse_ctx *p = stream;
	int n = 0, ch, too_long = 0;

	for (;;) {
		if (p->fp) {
			ch = fgetc(p->fp);
		} else {
			ch = p->str[p->pos] ? (unsigned char)p->str[p->pos] : EOF;
			if (ch != EOF)
				p->pos++;
		}
		if (ch == EOF) {
			if (!n && !too_long)
				return NULL;
			break;
		}
		if (ch == '\n')
			break;
		if (n < LINE_MAX_LEN && n < size - 2)
			buf[n++] = (char)ch;
		else
			too_long = 1;
	}
	p->line++;
	buf[n] = 0;
	if (too_long) {
		fprintf(p->errf, "%s:%d: line longer than %d bytes; split the value over several keys\n",
			p->file, p->line, LINE_MAX_LEN);
		p->nerr++;
		strcpy(buf, "#\n");
		return buf;
	}
	{
		const char *q = buf;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[') {
			p->section_line = p->line;
			/* a section with no keys still has to be opened */
			if (!strchr(q, ']')) {
				fprintf(p->errf, "%s:%d: section header without ']'\n", p->file, p->line);
				p->nerr++;
				strcpy(buf, "#\n");
				return buf;
			}
			char sec[128];
			size_t len = (size_t)(strchr(q, ']') - q - 1);

			if (len < sizeof(sec)) {
				memcpy(sec, q + 1, len);
				sec[len] = 0;
				/* strip like inih does */
				char *s = sec, *e = sec + strlen(sec);
				while (*s == ' ' || *s == '\t')
					s++;
				while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
					*--e = 0;
				open_section(p, s);
			}
		}
	}
	buf[n++] = '\n';
	buf[n] = 0;
	return buf;
}

/* ---- TLS trust checks -------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" written as an IP address? */
static bool host_is_ip(const char *text)
{
	char host[CONF_HOST_MAX];
	const char *end;
	uint8_t buf[16];
	size_t n;

	if (text[0] == '[')
		return true;
	end = strrchr(text, ':');
	n = end ? (size_t)(end - text) : strlen(text);
	if (n >= sizeof(host))
		return false;
	memcpy(host, text, n);
	host[n] = 0;
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Like sshd's "UNPROTECTED PRIVATE KEY FILE": a warning, not an error. */
static void warn_key_mode(struct parse_ctx *p, const char *key, const char *path)
{
	struct stat st;

	if (!path[0] || stat(path, &st) < 0 || !(st.st_mode & 077))
		return;
	fprintf(p->errf, "%s:%d: [%s] %s: warning: UNPROTECTED PRIVATE KEY FILE: '%s' is mode %04o, "
		"readable by %s; chmod 600 it\n", p->file, p->line, p->section, key, path,
		(unsigned)(st.st_mode & 07777), (st.st_mode & 044) == 044 ? "group and others" :
		(st.st_mode & 040) ? "its group" : "others");
}

/*
 * The collector's name is always verified: server_name, else the host of
 * each collector as written. An IP address carries no name to verify,
 * so it needs an explicit server_name. Private keys must not be readable
 * by others.
 */
static void validate_tls_trust(struct parse_ctx *p)
{
	struct conf *c = p->c;
	int i, j;

	for (i = 0; i < c->n_forwards; i++) {
		struct conf_forward *f = &c->forwards[i];

		snprintf(p->section, sizeof(p->section), "forward %s", f->name);
		p->line = p->section_line = f->line;
		for (j = 0; j < f->n_collectors && !f->server_name[0]; j++)
			if (host_is_ip(f->collectors[j].text))
				conf_error(p, "collector", "'%s' is an IP address and there is no server_name: "
					   "set server_name to the name the collector's certificate carries",
					   f->collectors[j].text);
		warn_key_mode(p, "key", f->key);
	}
	if (c->syslog.enabled && c->syslog.n_tls_listen) {
		snprintf(p->section, sizeof(p->section), "syslog");
		p->line = p->section_line = p->syslog_line;
		warn_key_mode(p, "key", c->syslog.key);
	}
	for (i = 0; i < c->n_proxies; i++) {
		struct conf_proxy *px = &c->proxies[i];

		snprintf(p->section, sizeof(p->section), "proxy %s", px->name);
		for (j = -2; j < px->n_routes; j++) {
			const struct conf_route *r = j == -2 ? &px->default_route :
						     j == -1 ? &px->no_sni_route : &px->routes[j];

			p->line = p->section_line = r->line ? r->line : px->line;
			warn_key_mode(p, "route", r->key);
		}
	}
	p->section[0] = 0;
}

/* Cross-key checks once the whole file is read. */
static void validate(struct parse_ctx *p)
{
	struct conf *c = p->c;
	int i, j;

	p->section[0] = 0;
	if (c->has_xdp) {
		struct conf_xdp *x = &c->xdp;

		p->line = p->section_line = p->xdp_line;
		snprintf(p->section, sizeof(p->section), "xdp");
		if (!x->n_ifaces)
			conf_error(p, "interfaces", "required in [xdp]: the interfaces to attach to");
		if (x->syslog_rate_pps && !x->syslog_burst)
			x->syslog_burst = x->syslog_rate_pps;
	}
	for (i = 0; i < c->n_proxies; i++) {
		struct conf_proxy *px = &c->proxies[i];

		snprintf(p->section, sizeof(p->section), "proxy %s", px->name);
		p->section_line = px->line;
		if (!px->n_listen)
			conf_error(p, NULL, "no 'listen' address");
		if (!px->n_routes && !px->default_route.n_upstreams && !px->no_sni_route.n_upstreams)
			conf_error(p, NULL, "no 'route', 'default' or 'no_sni': nothing to proxy to");
		/* routes inherit the section's proxy_protocol unless they set one */
		for (j = -2; j < px->n_routes; j++) {
			struct conf_route *r = j == -2 ? &px->default_route :
					       j == -1 ? &px->no_sni_route : &px->routes[j];

			if ((int)r->proxy_protocol == -1 || (!r->n_upstreams && j < 0))
				r->proxy_protocol = px->proxy_protocol;
			if (r->cert[0] && (access(r->cert, R_OK) || access(r->key, R_OK))) {
				p->line = r->line;
				conf_error(p, "route", "terminate: cannot read '%s' or '%s'", r->cert, r->key);
			}
		}
		for (j = 0; j < i; j++)
			for (int a = 0; a < px->n_listen; a++)
				for (int b = 0; b < c->proxies[j].n_listen; b++)
					if (!strcmp(px->listen[a].text, c->proxies[j].listen[b].text))
						conf_error(p, NULL, "listen %s is also used by [proxy %s]",
							   px->listen[a].text, c->proxies[j].name);
	}
	if (c->syslog.enabled) {
		struct conf_syslog *s = &c->syslog;

		snprintf(p->section, sizeof(p->section), "syslog");
		p->line = p->section_line = p->syslog_line;
		if (!s->n_listen && !s->n_tls_listen)
			conf_error(p, "listen", "[syslog] needs 'listen' (UDP) addresses");
		if (s->n_tls_listen) {
			if (!s->cert[0] || !s->key[0] || !s->client_ca[0])
				conf_error(p, "tls_listen", "needs cert, key and client_ca (subscribers use mutual TLS)");
			if (s->cert[0] && access(s->cert, R_OK))
				conf_error(p, "cert", "cannot read '%s': %s", s->cert, strerror(errno));
			if (s->key[0] && access(s->key, R_OK))
				conf_error(p, "key", "cannot read '%s': %s", s->key, strerror(errno));
			if (s->client_ca[0] && access(s->client_ca, R_OK))
				conf_error(p, "client_ca", "cannot read '%s': %s", s->client_ca, strerror(errno));
		}
		if (s->ring_size < (uint64_t)s->max_message * 4)
			conf_error(p, "ring_size", "must hold at least 4 messages of max_message bytes");
	}
	for (i = 0; i < c->n_forwards; i++) {
		struct conf_forward *f = &c->forwards[i];

		snprintf(p->section, sizeof(p->section), "forward %s", f->name);
		p->section_line = f->line;
		if (!f->n_collectors)
			conf_error(p, NULL, "no 'collector' HOST:PORT");
		if (!f->ca[0])
			conf_error(p, NULL, "no 'ca': the collector's certificate must be verified");
		else if (access(f->ca, R_OK))
			conf_error(p, NULL, "ca: cannot read '%s': %s", f->ca, strerror(errno));
		if (!!f->cert[0] != !!f->key[0])
			conf_error(p, NULL, "cert and key go together");
		if (f->backoff_max_ms < f->backoff_min_ms)
			conf_error(p, NULL, "backoff_max is shorter than backoff_min");
		if (!c->syslog.enabled)
			conf_error(p, NULL, "[forward] needs a [syslog] section to forward from");
	}
	validate_tls_trust(p);
	for (i = 0; i < c->n_watchdogs; i++) {
		struct conf_watchdog *w = &c->watchdogs[i];

		snprintf(p->section, sizeof(p->section), "watchdog %s", w->iface);
		p->section_line = w->line;
		if (w->stall_after_ms < w->interval_ms)
			conf_error(p, NULL, "stall_after must be at least one interval");
		if (w->recover_wait_ms < w->interval_ms)
			conf_error(p, NULL, "recover_wait must be at least one interval");
	}
}

static int conf_parse(struct parse_ctx *p, struct conf **out)
{
	struct conf *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	p->c = c;
	snprintf(c->path, sizeof(c->path), "%s", p->file);
	defaults_global(&c->global);
	defaults_xdp(&c->xdp);
	defaults_syslog(&c->syslog);
	rc = ini_parse_stream(read_line, p, on_key, p);
	if (rc > 0) {
		/* inih's own syntax error (a line without '='); rc is its line */
		fprintf(p->errf, "%s:%d: expected 'key = value', '[section]' or a comment\n", p->file, rc);
		p->nerr++;
	}
	if (rc < 0) {
		conf_free(c);
		return -ENOMEM;
	}
	validate(p);
	if (p->nerr) {
		conf_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int conf_load(const char *path, struct conf **out, void *errf)
{
	struct parse_ctx p = { .file = path, .errf = errf ? errf : stderr };
	int rc;

	p.fp = fopen(path, "re");
	if (!p.fp) {
		rc = -errno;
		fprintf(p.errf, "%s: cannot open: %s\n", path, strerror(errno));
		return rc;
	}
	rc = conf_parse(&p, out);
	fclose(p.fp);
	return rc;
}

int conf_load_string(const char *name, const char *text, struct conf **out, void *errf)
{
	struct parse_ctx p = { .file = name, .errf = errf ? errf : stderr, .str = text };

	return conf_parse(&p, out);
}

void conf_free(struct conf *c)
{
	int i;

	if (!c)
		return;
	free(c->xdp.allow_syslog.v);
	free(c->xdp.deny_syslog.v);
	free(c->xdp.allow_proxy.v);
	free(c->xdp.deny_proxy.v);
	for (i = 0; i < c->n_proxies; i++)
		free(c->proxies[i].routes);
	free(c);
}
