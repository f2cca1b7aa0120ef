// SPDX-License-Identifier: GPL-2.0-only
/*
 * conf.c - parse and validate the INI configuration (Debian's inih).
 *
 * How it works
 *
 * inih does the lexing; we feed it through our own line reader so that we
 * know the line number of every key (Debian builds inih without
 * INI_HANDLER_LINENO) and can refuse lines longer than inih's 199-byte
 * limit instead of letting it split them silently. Errors are collected,
 * not fatal, so one run of `edgesteer check` reports all of them. Nothing
 * is applied by this file.
 *
 * Every section has one table of keys (conf_keys.c). An entry gives the
 * key's name, its type, where its value lives in the section's struct
 * (offsetof), its limits, whether it may be repeated, its default and one
 * line of documentation. The engine below treats every key the same way:
 * find the entry (an unknown key's error lists the section's keys from the
 * table), refuse a second line of a key that takes one value (naming the
 * line of the first), parse the value by its type into the struct, and
 * report any error at the line of the key. Defaults are the table's
 * default strings put through the same parsers when a section opens, so a
 * default is always a value the parser accepts, written the way a file
 * would write it. The reference page edgesteer.conf(5) is generated from
 * the same tables (conf_keys_man()), so it cannot drift from the parser.
 *
 * Types and units:
 *  - durations are kept in milliseconds and written 500ms, 5s, 2m (2min),
 *    1h; a bare number is seconds and fractions are allowed (1.5s);
 *  - sizes are bytes with binary units: 64K is 65536 (64KiB, 64KB too);
 *  - booleans are yes/no, true/false, on/off or 1/0;
 *  - enums are one word of a fixed list, in any case;
 *  - integers are decimal without sign, within the entry's limits;
 *  - paths are absolute; addresses are HOST:PORT or [IPv6]:PORT, and host
 *    names are resolved once, at load, except a route's upstreams: their
 *    names are only checked here and resolved by the proxy, off the loop.
 *
 * Repeatable keys: a key that takes one value may appear once per
 * section. List keys (interfaces, syslog_ports, proxy_ports, the allow_*
 * and deny_* prefix lists, listen, tls_listen, collector, usb_ids) and
 * route accumulate: every line adds its words, so a list too long for one
 * 199-byte line is written over several lines. The first line of a list
 * that has a default (syslog_ports = 514) replaces the default.
 *
 * Keys whose value is more than one typed word keep a callback in their
 * table entry: route, default and no_sni (a name, upstreams and KEY=VALUE
 * options proxy_protocol=off|v1|v2, balance=, alpn=, terminate=CERT,KEY and
 * check=, check_ca=, check_sni=, resolved against the section after it is read), steer_* (pass | cpu N | cpus
 * LIST), probe, metrics_listen (loopback only), control_group (must
 * exist) and client_issuer (a distinguished name).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"

#define LINE_MAX_LEN 199	/* inih's INI_MAX_LINE minus the newline */

/* The line of `key` in the current section as written, 0 when unknown. */
static int key_line(const struct conf_parser *p, const char *key)
{
	for (int i = p->n_key_lines - 1; i >= 0; i--)
		if (!strcmp(p->key_lines[i].key, key) && !strcmp(p->key_lines[i].section, p->section))
			return p->key_lines[i].line;
	return 0;
}

static void key_line_note(struct conf_parser *p, const char *key)
{
	struct conf_key_line *k;

	if (p->n_key_lines >= CONF_KEY_LINES_MAX || strlen(key) >= sizeof(k->key) ||
	    strlen(p->section) >= sizeof(k->section))
		return;
	k = &p->key_lines[p->n_key_lines++];
	strcpy(k->section, p->section);
	strcpy(k->key, key);
	k->line = p->line;
}

void conf_error(struct conf_parser *p, const char *key, const char *fmt, ...)
{
	int line = key ? p->line : p->section_line;
	va_list ap;

	if (p->validating && key) {
		line = p->at_line ? p->at_line : key_line(p, key);
		if (!line)
			line = p->section_line;
	}
	p->at_line = 0;
	fprintf(p->errf, "%s:%d: ", p->file, line);
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

/* letters, digits, '-', '_' and dots; no empty label */
static bool is_host_name(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 253 || h[0] == '.' || strstr(h, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr("-_.", h[i]))
			return false;
	return true;
}

int conf_parse_upstream(const char *s, struct conf_addr *a, char *err, size_t errlen)
{
	char host[CONF_HOST_MAX];
	const char *colon = strrchr(s, ':');
	struct in_addr v4;

	/* [v6]:port and literal IPv4 go the usual way (numeric, no DNS) */
	if (s[0] == '[' || !colon || strchr(s, ':') != colon || (size_t)(colon - s) >= sizeof(host))
		return conf_parse_hostport(s, a, err, errlen);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	if (!host[0] || inet_pton(AF_INET, host, &v4) == 1)
		return conf_parse_hostport(s, a, err, errlen);
	if (!is_host_name(host)) {
		snprintf(err, errlen, "'%s': '%s' is not a host name or address", s, host);
		return -EINVAL;
	}
	{
		uint32_t portnum;

		if (parse_u32(colon + 1, 1, 65535, &portnum)) {
			snprintf(err, errlen, "'%s': port must be 1-65535", s);
			return -EINVAL;
		}
	}
	memset(a, 0, sizeof(*a));
	a->ss.ss_family = AF_UNSPEC;
	snprintf(a->text, sizeof(a->text), "%s", s);
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

int conf_check_hostname(const char *s, const char **why)
{
	size_t len = strlen(s), label = 0;
	const char *p;

	if (len && s[len - 1] == '.')
		len--;
	*why = NULL;
	if (!len)
		*why = "empty";
	else if (len > 253)
		*why = "longer than 253 bytes";
	for (p = s; !*why && p < s + len; p++) {
		if (*p == '.') {
			if (!label)
				*why = "has an empty label ('..' or a leading '.')";
			else if (p[-1] == '-')
				*why = "has a label ending in '-'";
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '_' || *p == '-') {
			if (*p == '-' && !label)
				*why = "has a label starting with '-'";
			else if (++label > 63)
				*why = "has a label longer than 63 bytes";
		} else {
			*why = "may only hold letters, digits, '-', '_' and dots";
		}
	}
	if (!*why && p[-1] == '-')
		*why = "has a label ending in '-'";
	return *why ? -EINVAL : 0;
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


/* ---- setters, one per type --------------------------------------------- */

/* Integers of every width (enums are ints) through one door. */
static void store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	case 8: *(uint64_t *)dst = v; break;
	default: abort();	/* a table entry with a bad size: a bug, caught by the unit test */
	}
}

void conf_set_path(struct conf_parser *p, const char *key, const char *val, char *dst, size_t len)
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

static void set_text(struct conf_parser *p, const struct conf_key *k, char *dst, const char *val)
{
	if (strlen(val) >= k->size)
		conf_error(p, k->name, "longer than %zu bytes", k->size - 1);
	else
		strcpy(dst, val);
}

static void set_duration(struct conf_parser *p, const struct conf_key *k, void *dst, const char *val)
{
	uint32_t ms;

	if (conf_parse_duration_ms(val, &ms) || ms < k->min)
		conf_error(p, k->name, "'%s' is not a duration of at least %llums (examples: 500ms, 5s, 2m, 1h)",
			   val, (unsigned long long)k->min);
	else
		store_uint(dst, k->size, ms);
}

static void set_int(struct conf_parser *p, const struct conf_key *k, void *dst, const char *val)
{
	uint32_t v;

	if (parse_u32(val, (uint32_t)k->min, (uint32_t)k->max, &v))
		conf_error(p, k->name, "'%s' is not a whole number from %llu to %llu", val,
			   (unsigned long long)k->min, (unsigned long long)k->max);
	else
		store_uint(dst, k->size, v);
}

static void set_size(struct conf_parser *p, const struct conf_key *k, void *dst, const char *val)
{
	uint64_t v;

	if (conf_parse_size(val, &v) || v < k->min || v > k->max)
		conf_error(p, k->name, "'%s' is not a size from %llu to %llu bytes (suffixes K, M, G)", val,
			   (unsigned long long)k->min, (unsigned long long)k->max);
	else
		store_uint(dst, k->size, v);
}

static void set_bool(struct conf_parser *p, const struct conf_key *k, bool *dst, const char *val)
{
	if (conf_parse_bool(val, dst))
		conf_error(p, k->name, "'%s' is not yes or no", val);
}

int conf_set_enum(struct conf_parser *p, const char *key, const char *val, const char *const *words)
{
	char allowed[256] = "";
	int i;

	for (i = 0; words[i]; i++) {
		if (!strcasecmp(val, words[i]))
			return i;
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
			 i ? " | " : "", words[i]);
	}
	conf_error(p, key, "'%s' is not one of: %s", val, allowed);
	return -1;
}

/* The list keys: `max` entries in the array at k->off, counted by the int
 * at k->count_off. Each line appends. */
static int *list_count(const struct conf_key *k, void *sec)
{
	return (int *)((char *)sec + k->count_off);
}

static void add_addrs(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_addr *arr = (struct conf_addr *)((char *)sec + k->off);
	int *n = list_count(k, sec);
	char err[CONF_HOST_MAX + 128];

	CONF_FOR_EACH_WORD(val, w, buf) {
		if (*n >= (int)k->max) {
			conf_error(p, k->name, "more than %d addresses", (int)k->max);
			return;
		}
		if ((k->flags & CONF_NAMES_LATER ? conf_parse_upstream : conf_parse_hostport)(w, &arr[*n], err,
											   sizeof(err)))
			conf_error(p, k->name, "%s", err);
		else
			(*n)++;
	}
}

static void add_ports(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	uint16_t *arr = (uint16_t *)((char *)sec + k->off);
	int *n = list_count(k, sec);

	uint16_t *last = k->last_off ? (uint16_t *)((char *)sec + k->last_off) : NULL;

	CONF_FOR_EACH_WORD(val, w, buf) {
		uint32_t port, end;
		char *dash = last ? strchr(w, '-') : NULL;

		if (*n >= (int)k->max) {
			conf_error(p, k->name, "more than %d ports or ranges", (int)k->max);
			return;
		}
		if (dash)
			*dash = 0;
		if (parse_u32(w, 1, 65535, &port)) {
			conf_error(p, k->name, "'%s' is not a port 1-65535", w);
			continue;
		}
		end = port;
		if (dash && (parse_u32(dash + 1, 1, 65535, &end) || end < port)) {
			conf_error(p, k->name, "'%s-%s' is not a port range FIRST-LAST (1-65535, FIRST <= LAST)",
				   w, dash + 1);
			continue;
		}
		if (last)
			last[*n] = (uint16_t)end;
		arr[(*n)++] = (uint16_t)port;
	}
}

static void add_ifaces(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	char (*arr)[IFNAMSIZ] = (char (*)[IFNAMSIZ])((char *)sec + k->off);
	int *n = list_count(k, sec);

	CONF_FOR_EACH_WORD(val, w, buf) {
		if (*n >= (int)k->max)
			conf_error(p, k->name, "more than %d interfaces", (int)k->max);
		else if (strlen(w) >= IFNAMSIZ || strchr(w, '/'))
			conf_error(p, k->name, "'%s' is not an interface name (at most %d bytes)", w, IFNAMSIZ - 1);
		else
			strcpy(arr[(*n)++], w);
	}
}

static void add_usb_ids(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	uint32_t *arr = (uint32_t *)((char *)sec + k->off);
	int *n = list_count(k, sec);

	CONF_FOR_EACH_WORD(val, id, buf) {
		unsigned vid, pid;
		int used = 0;

		if (*n >= (int)k->max)
			conf_error(p, k->name, "more than %d ids", (int)k->max);
		else if (sscanf(id, "%4x:%4x%n", &vid, &pid, &used) != 2 || id[used] || strlen(id) != 9)
			conf_error(p, k->name, "'%s' is not a USB id VVVV:PPPP in hex (e.g. 0b95:1790)", id);
		else
			arr[(*n)++] = vid << 16 | pid;
	}
}

static void add_prefixes(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	struct conf_prefix_list *l = (struct conf_prefix_list *)((char *)sec + k->off);

	CONF_FOR_EACH_WORD(val, w, buf) {
		struct conf_prefix pf;
		int rc = conf_parse_prefix(w, &pf);

		if (rc == -ERANGE) {
			conf_error(p, k->name, "'%s' has host bits set beyond the prefix length", w);
			continue;
		}
		if (rc) {
			conf_error(p, k->name, "'%s' is not an IPv4 or IPv6 prefix (ADDR or ADDR/LEN)", w);
			continue;
		}
		if (l->n >= (int)k->max) {
			conf_error(p, k->name, "more than %d prefixes", (int)k->max);
			return;
		}
		if (!(l->n & (l->n - 1)) || !l->v) {
			struct conf_prefix *v = realloc(l->v, sizeof(*v) * (size_t)(l->n ? l->n * 2 : 8));

			if (!v) {
				conf_error(p, k->name, "out of memory");
				return;
			}
			l->v = v;
		}
		l->v[l->n++] = pf;
	}
}

bool conf_addr_is_loopback(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr) >> 24) == 127;
	return a->ss.ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

/* Parse `val` as key k of the section whose struct is `sec`. */
static void set_value(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val)
{
	void *dst = (char *)sec + k->off;
	int v;

	switch (k->type) {
	case CONF_STRING: set_text(p, k, dst, val); break;
	case CONF_PATH: conf_set_path(p, k->name, val, dst, k->size); break;
	case CONF_BOOL: set_bool(p, k, dst, val); break;
	case CONF_INT: set_int(p, k, dst, val); break;
	case CONF_SIZE: set_size(p, k, dst, val); break;
	case CONF_DURATION: set_duration(p, k, dst, val); break;
	case CONF_ENUM:
		v = conf_set_enum(p, k->name, val, k->words);
		if (v >= 0)
			store_uint(dst, k->size, (uint64_t)v);
		break;
	case CONF_ADDRS: add_addrs(p, k, sec, val); break;
	case CONF_PREFIXES: add_prefixes(p, k, sec, val); break;
	case CONF_PORTS: add_ports(p, k, sec, val); break;
	case CONF_IFACES: add_ifaces(p, k, sec, val); break;
	case CONF_USB_IDS: add_usb_ids(p, k, sec, val); break;
	case CONF_CUSTOM: k->parse(p, k, sec, val); break;
	}
}

static bool is_counted_list(const struct conf_key *k)
{
	return k->type == CONF_ADDRS || k->type == CONF_PORTS || k->type == CONF_IFACES ||
	       k->type == CONF_USB_IDS;
}

static void apply_defaults(struct conf_parser *p, const struct conf_section_def *s, void *sec)
{
	for (int i = 0; i < s->n_keys; i++)
		if (s->keys[i].def)
			set_value(p, &s->keys[i], sec, s->keys[i].def);
}

const struct conf_key *conf_key_find(const struct conf_section_def *s, const char *name)
{
	for (int i = 0; i < s->n_keys; i++)
		if (!strcmp(s->keys[i].name, name))
			return &s->keys[i];
	return NULL;
}

/* Edit distance of two short words, capped: enough to spot a typo. */
static int distance(const char *a, const char *b)
{
	int prev[CONF_NAME_MAX + 1], cur[CONF_NAME_MAX + 1];
	int la = (int)strlen(a), lb = (int)strlen(b);

	if (la > CONF_NAME_MAX || lb > CONF_NAME_MAX)
		return INT_MAX;
	for (int j = 0; j <= lb; j++)
		prev[j] = j;
	for (int i = 1; i <= la; i++) {
		cur[0] = i;
		for (int j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
	}
	return prev[lb];
}

/*
 * The table's keys, and a hint: the key of another section (syslog_ports
 * under [syslog]) or this section's key one or two typos away.
 */
static void unknown_key(struct conf_parser *p, const char *name)
{
	char allowed[1024] = "", hint[128] = "";
	size_t len = 0;
	int best = 3;

	for (int i = 0; i < p->sec->n_keys && len < sizeof(allowed); i++) {
		int d = distance(name, p->sec->keys[i].name);

		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s", i ? " " : "",
					p->sec->keys[i].name);
		if (d < best) {
			best = d;
			snprintf(hint, sizeof(hint), " (did you mean '%s'?)", p->sec->keys[i].name);
		}
	}
	for (int s = 0; s < conf_n_sections && !hint[0]; s++)
		if (&conf_sections[s] != p->sec && conf_key_find(&conf_sections[s], name))
			snprintf(hint, sizeof(hint), " ('%s' is a key of [%s%s%s])", name, conf_sections[s].name,
				 conf_sections[s].arg ? " " : "", conf_sections[s].arg ? conf_sections[s].arg : "");
	conf_error(p, name, "unknown key; allowed here: %s%s", allowed, hint);
}

/* ---- sections ---------------------------------------------------------- */

/*
 * Take the next slot of a named-section array (proxies, forwards,
 * watchdogs): refuses a repeated name and a full array with an error;
 * sets name and line. Evaluates to the slot or NULL.
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
	}									\
	slot_;									\
})

static void unknown_section(struct conf_parser *p)
{
	char allowed[256] = "";
	size_t len = 0;

	for (int i = 0; i < conf_n_sections && len < sizeof(allowed); i++)
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s[%s%s%s]", i ? " " : "",
					conf_sections[i].name, conf_sections[i].arg ? " " : "",
					conf_sections[i].arg ? conf_sections[i].arg : "");
	conf_error(p, NULL, "unknown section; allowed: %s", allowed);
}

/* The struct a single unnamed section fills: refuses a second [xdp] or
 * [syslog] ([global] may be split, as it always could). */
static void *open_single(struct conf_parser *p, enum conf_section_id id)
{
	struct conf *c = p->c;

	switch (id) {
	case CONF_SEC_XDP:
		if (c->has_xdp)
			break;
		c->has_xdp = true;
		p->xdp_line = p->section_line;
		return &c->xdp;
	case CONF_SEC_SYSLOG:
		if (c->syslog.enabled)
			break;
		c->syslog.enabled = true;
		p->syslog_line = p->section_line;
		return &c->syslog;
	default:
		return &c->global;
	}
	conf_error(p, NULL, "[%s] appears twice", conf_sections[id].name);
	return NULL;
}

/* A new [proxy NAME], [forward NAME] or [watchdog IFACE], with its defaults. */
static void *open_named(struct conf_parser *p, enum conf_section_id id, const char *name)
{
	struct conf *c = p->c;
	void *slot = NULL;

	if (strlen(name) >= (id == CONF_SEC_WATCHDOG ? IFNAMSIZ : CONF_NAME_MAX)) {
		conf_error(p, NULL, "name '%s' is too long", name);
		return NULL;
	}
	if (id == CONF_SEC_PROXY)
		slot = NAMED_SLOT(p, c->proxies, c->n_proxies, name, "proxy", name);
	else if (id == CONF_SEC_FORWARD)
		slot = NAMED_SLOT(p, c->forwards, c->n_forwards, name, "forward", name);
	else
		slot = NAMED_SLOT(p, c->watchdogs, c->n_watchdogs, iface, "watchdog", name);
	if (slot)
		apply_defaults(p, &conf_sections[id], slot);
	return slot;
}

/* Split "proxy web" into kind and name and make it the current section. */
static void open_section(struct conf_parser *p, const char *section)
{
	char kind[32] = "", name[128] = "", extra[8] = "";
	const struct conf_section_def *def = NULL;
	int n = sscanf(section, "%31s %127s %7s", kind, name, extra);
	void *cur;

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->in_section = true;
	p->seen = 0;
	p->sec = NULL;
	p->cur = NULL;
	if (n == 3) {
		conf_error(p, NULL, "section name has more than two words");
		return;
	}
	for (int i = 0; i < conf_n_sections; i++)
		if (!strcmp(kind, conf_sections[i].name))
			def = &conf_sections[i];
	if (!def) {
		unknown_section(p);
		return;
	}
	if (!def->arg && n != 1) {
		conf_error(p, NULL, "[%s] takes no name", kind);
		return;
	}
	if (def->arg && n != 2) {
		conf_error(p, NULL, "[%s] needs a name: [%s %s]", kind, kind, def->arg);
		return;
	}
	if (def->arg)
		cur = open_named(p, (enum conf_section_id)(def - conf_sections), name);
	else
		cur = open_single(p, (enum conf_section_id)(def - conf_sections));
	if (cur) {
		p->sec = def;
		p->cur = cur;
	}
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parser *p = user;
	const struct conf_key *k;
	int i;

	if (strcmp(section, p->section))
		open_section(p, section);
	if (!p->in_section) {
		conf_error(p, name, "key outside any section; start with [global], [xdp], ...");
		return 1;
	}
	if (!p->sec)
		return 1;	/* a bad section, already reported at its header */
	k = conf_key_find(p->sec, name);
	if (!k) {
		unknown_key(p, name);
		return 1;
	}
	if (!*value && !(k->flags & CONF_EMPTY_OK)) {
		conf_error(p, name, "empty value");
		return 1;
	}
	i = (int)(k - p->sec->keys);
	if (p->seen & (1ull << i)) {
		if (!(k->flags & CONF_REPEAT)) {
			conf_error(p, name, "set twice in this section (first on line %d)", p->seen_line[i]);
			return 1;
		}
	} else {
		p->seen |= 1ull << i;
		p->seen_line[i] = p->line;
		key_line_note(p, name);
		/* the first line of a list replaces its default, later ones add */
		if (k->def && is_counted_list(k))
			*list_count(k, p->cur) = 0;
	}
	set_value(p, k, p->cur, value);
	return 1;	/* keep going: report every error */
}

/* fgets-alike that counts lines and refuses ones inih would split. */
static char *read_line(char *buf, int size, void *stream)
{
	struct conf_parser *p = stream;
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
static void warn_key_mode(struct conf_parser *p, const char *key, const char *path)
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
static void validate_tls_trust(struct conf_parser *p)
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

/* ---- active health checks ---------------------------------------------- */

static const char *const check_name[] = { "off", "tcp", "tls" };

struct check_ref {
	const char *text;		/* an upstream as written */
	const struct conf_route *r;	/* a route that checks it */
	const char *key;		/* "route", "default", "no_sni" */
};

static int check_ref_cmp(const void *a, const void *b)
{
	const struct check_ref *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c ? c : x->r->line - y->r->line;
}

static bool check_same(const struct conf_route *a, const struct conf_route *b)
{
	return a->check == b->check && !strcmp(a->check_ca, b->check_ca) && !strcmp(a->check_sni, b->check_sni);
}

/* One route's check keys: its own, else the section's; check_ca= and
 * check_sni= only mean something to a tls check. */
static void check_inherit(struct conf_parser *p, const struct conf_proxy *px, struct conf_route *r,
			  const char *key, bool fallback_unset)
{
	if ((int)r->check == -1 || fallback_unset)
		r->check = px->check;
	if (r->check != CHECK_TLS && (r->check_ca[0] || r->check_sni[0])) {
		p->at_line = r->line;
		conf_error(p, key, "check_ca= and check_sni= only apply to check=tls; this route's check is %s",
			   check_name[r->check]);
		return;
	}
	if (r->check != CHECK_TLS)
		return;
	if (!r->check_ca[0])
		memcpy(r->check_ca, px->check_ca, sizeof(r->check_ca));
	if (!r->check_sni[0])
		memcpy(r->check_sni, px->check_sni, sizeof(r->check_sni));
	/* the section's own file is checked once, at its key */
	if (strcmp(r->check_ca, px->check_ca) && !p->no_files && access(r->check_ca, R_OK)) {
		p->at_line = r->line;
		conf_error(p, key, "check_ca: cannot read '%s': %s", r->check_ca, strerror(errno));
	}
}

/*
 * Routes inherit the section's check keys. An upstream has one health
 * state however many routes name it, so the routes that check it must
 * check it the same way (a route with check=off just does not ask for
 * one); the later route's line is the error.
 */
static void validate_checks(struct conf_parser *p, struct conf_proxy *px)
{
	struct check_ref *v;
	bool any_tls = false;
	int n = 0, j, k;

	for (j = -2; j < px->n_routes; j++) {
		struct conf_route *r = j == -2 ? &px->default_route : j == -1 ? &px->no_sni_route : &px->routes[j];

		check_inherit(p, px, r, j == -2 ? "default" : j == -1 ? "no_sni" : "route",
			      !r->n_upstreams && j < 0);
		any_tls |= r->n_upstreams && r->check == CHECK_TLS;
	}
	if (px->check_ca[0] && !p->no_files && access(px->check_ca, R_OK))
		conf_error(p, "check_ca", "cannot read '%s': %s", px->check_ca, strerror(errno));
	if ((px->check_ca[0] || px->check_sni[0]) && !any_tls)
		conf_error(p, px->check_ca[0] ? "check_ca" : "check_sni",
			   "only a tls check uses it, and no route has check = tls");
	v = calloc((size_t)(px->n_routes + 2) * CONF_MAX_UPSTREAMS, sizeof(*v));
	if (!v) {
		conf_error(p, NULL, "out of memory");
		return;
	}
	for (j = -2; j < px->n_routes; j++) {
		const struct conf_route *r = j == -2 ? &px->default_route : j == -1 ? &px->no_sni_route :
					     &px->routes[j];

		for (k = 0; r->check != CHECK_OFF && k < r->n_upstreams; k++)
			v[n++] = (struct check_ref){ r->upstreams[k].text, r,
						     j == -2 ? "default" : j == -1 ? "no_sni" : "route" };
	}
	qsort(v, (size_t)n, sizeof(*v), check_ref_cmp);
	for (k = 1; k < n; k++) {
		const struct conf_route *a = v[k - 1].r, *b = v[k].r;

		if (strcmp(v[k - 1].text, v[k].text) || check_same(a, b))
			continue;
		p->at_line = b->line;
		conf_error(p, v[k].key, "upstream %s is checked here with check=%s%s%s%s%s but with "
			   "check=%s%s%s%s%s on line %d; it has one health state, so check it the same way",
			   v[k].text, check_name[b->check], b->check_ca[0] ? " check_ca=" : "", b->check_ca,
			   b->check_sni[0] ? " check_sni=" : "", b->check_sni, check_name[a->check],
			   a->check_ca[0] ? " check_ca=" : "", a->check_ca, a->check_sni[0] ? " check_sni=" : "",
			   a->check_sni, a->line);
	}
	free(v);
}

/* Cross-key checks once the whole file is read. */
/* A TCP port is either proxy or syslog: one class per port, or the
 * counters and the policy a frame meets would depend on a check order. */
static void validate_tcp_port_sets(struct conf_parser *p, const struct conf_xdp *x)
{
	for (int i = 0; i < x->n_syslog_tcp_ports; i++)
		for (int j = 0; j < x->n_proxy_ports; j++)
			if (x->syslog_tcp_ports[i] <= x->proxy_ports_last[j] &&
			    x->proxy_ports[j] <= x->syslog_tcp_ports_last[i]) {
				conf_error(p, "syslog_tcp_ports", "port %u is also in proxy_ports; a TCP port "
					   "belongs to one class: remove it from one of the two",
					   x->syslog_tcp_ports[i] > x->proxy_ports[j] ? x->syslog_tcp_ports[i] :
					   x->proxy_ports[j]);
				return;
			}
}

static void validate(struct conf_parser *p)
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
		if (x->proxy_syn_rate_pps && !x->proxy_syn_burst)
			x->proxy_syn_burst = x->proxy_syn_rate_pps;
		validate_tcp_port_sets(p, x);
	}
	for (i = 0; i < c->n_proxies; i++) {
		struct conf_proxy *px = &c->proxies[i];

		snprintf(p->section, sizeof(p->section), "proxy %s", px->name);
		p->section_line = px->line;
		px->access_log_format = c->global.access_log_format;
		if (!px->n_listen)
			conf_error(p, NULL, "no 'listen' address");
		if (!px->n_routes && !px->default_route.n_upstreams && !px->no_sni_route.n_upstreams)
			conf_error(p, NULL, "no 'route', 'default' or 'no_sni': nothing to proxy to");
		if (px->accept_proxy != ACCEPT_PP_OFF && !px->accept_proxy_from.n)
			conf_error(p, "accept_proxy", "needs accept_proxy_from: the prefixes of the load "
				   "balancers that may send a PROXY header (anyone else could forge a client address)");
		if (px->health_backoff_max_ms < px->health_backoff_min_ms)
			conf_error(p, NULL, "health_backoff_max is shorter than health_backoff_min");
		if (px->client_rate && !px->client_burst)
			px->client_burst = px->client_rate;
		/* routes inherit the section's proxy_protocol unless they set one */
		for (j = -2; j < px->n_routes; j++) {
			struct conf_route *r = j == -2 ? &px->default_route :
					       j == -1 ? &px->no_sni_route : &px->routes[j];

			if ((int)r->proxy_protocol == -1 || (!r->n_upstreams && j < 0))
				r->proxy_protocol = px->proxy_protocol;
			if ((int)r->balance == -1 || (!r->n_upstreams && j < 0))
				r->balance = px->balance;
			if (r->alpn[0] && (j < 0 || px->protocol != PROTO_TLS)) {
				p->at_line = r->line;
				conf_error(p, "route", "alpn=%s: only named routes of a protocol = tls section "
					   "can match on ALPN", r->alpn);
			}
			if (r->cert[0] && !p->no_files && (access(r->cert, R_OK) || access(r->key, R_OK))) {
				p->at_line = r->line;
				conf_error(p, "route", "terminate: cannot read '%s' or '%s'", r->cert, r->key);
			}
		}
		validate_checks(p, px);
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
		if (s->n_tls_intake) {
			if (!s->cert[0] || !s->key[0])
				conf_error(p, "tls_intake", "needs cert and key");
			if (s->intake_client_ca[0] && !p->no_files && access(s->intake_client_ca, R_OK))
				conf_error(p, "intake_client_ca", "cannot read '%s': %s", s->intake_client_ca,
					   strerror(errno));
			if (!s->n_tls_listen && s->cert[0] && !p->no_files && access(s->cert, R_OK))
				conf_error(p, "cert", "cannot read '%s': %s", s->cert, strerror(errno));
			if (!s->n_tls_listen && s->key[0] && !p->no_files && access(s->key, R_OK))
				conf_error(p, "key", "cannot read '%s': %s", s->key, strerror(errno));
		}
		if (!s->n_listen && !s->n_tls_listen && !s->n_tcp_listen && !s->n_tls_intake)
			conf_error(p, "listen", "[syslog] needs 'listen' (UDP), 'tcp_listen' or 'tls_intake' addresses");
		if (s->n_tls_listen) {
			if (!s->cert[0] || !s->key[0] || !s->client_ca[0])
				conf_error(p, "tls_listen", "needs cert, key and client_ca (subscribers use mutual TLS)");
			if (s->cert[0] && !p->no_files && access(s->cert, R_OK))
				conf_error(p, "cert", "cannot read '%s': %s", s->cert, strerror(errno));
			if (s->key[0] && !p->no_files && access(s->key, R_OK))
				conf_error(p, "key", "cannot read '%s': %s", s->key, strerror(errno));
			if (s->client_ca[0] && !p->no_files && access(s->client_ca, R_OK))
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
		else if (!p->no_files && access(f->ca, R_OK))
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

static int conf_parse(struct conf_parser *p, struct conf **out)
{
	struct conf *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	p->c = c;
	snprintf(c->path, sizeof(c->path), "%s", p->file);
	/* the unnamed sections have their defaults whether they appear or not */
	apply_defaults(p, &conf_sections[CONF_SEC_GLOBAL], &c->global);
	apply_defaults(p, &conf_sections[CONF_SEC_XDP], &c->xdp);
	apply_defaults(p, &conf_sections[CONF_SEC_SYSLOG], &c->syslog);
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
	p->validating = true;
	validate(p);
	p->validating = false;
	if (p->nerr) {
		conf_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int conf_load(const char *path, struct conf **out, void *errf)
{
	return conf_load_flags(path, 0, out, errf);
}

int conf_load_flags(const char *path, unsigned flags, struct conf **out, void *errf)
{
	struct conf_parser p = { .file = path, .errf = errf ? errf : stderr, .no_files = flags & CONF_NO_FILES };
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
	struct conf_parser p = { .file = name, .errf = errf ? errf : stderr, .str = text };

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
	free(c->xdp.allow_other.v);
	free(c->xdp.deny_other.v);
	for (i = 0; i < c->n_proxies; i++) {
		free(c->proxies[i].routes);
		free(c->proxies[i].accept_proxy_from.v);
	}
	free(c);
}
