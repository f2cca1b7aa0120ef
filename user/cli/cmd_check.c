// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_check.c - edgesteer check: validate a configuration and the files
 * it names, then exit.
 *
 * The parser (core/conf.c) checks syntax, values and cross-key rules.
 * Here the files `run` will load are loaded too: certificate chains
 * parse, each key belongs to its certificate, CA bundles hold at least
 * one anchor, and a certificate that expires within 30 days is a warning
 * (an expired one an error). A listener whose port the data plane would
 * not classify as its class is a warning too. Every message points at
 * the line of the key that names the file or the port.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "syslog/spool.h"
#include "tls/tls_check.h"

/*
 * Every spool_dir must belong to the user that runs the daemon and be
 * closed to others (anyone who can write it can replace the spool). This
 * looks at the file system, so it lives here and not in the parser; the
 * daemon applies the same check at start. Returns the number of errors.
 */
static int check_spool_dirs(const char *path, const struct conf *c)
{
	int i, bad = 0;

	for (i = 0; i < c->n_forwards; i++) {
		const struct conf_forward *f = &c->forwards[i];
		char err[CONF_PATH_MAX + 256];
		int e;

		if (!f->spool_dir[0])
			continue;
		e = spool_dir_check(f->spool_dir, geteuid(), err, sizeof(err));
		if (e && e != -ENOENT) {	/* a missing one is created 0700 at start */
			fprintf(stderr, "%s:%d: [forward %s] %s\n", path, f->line, f->name, err);
			bad++;
		}
	}
	return bad;
}

#define EXPIRY_WARN_DAYS 30

struct check {
	const char *path;
	int errors, warnings;
	time_t now;
};

/* Collapse runs of blanks and trim: "[ forward  a ]" and "[forward a]" match. */
static void squeeze(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	bool blank = false;

	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		if (isspace((unsigned char)in[i])) {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < outlen)
			out[o++] = ' ';
		blank = false;
		out[o++] = in[i];
	}
	out[o] = 0;
}

/* The line of `key` in [section] (the conf struct keeps section lines
 * only); 0 when not found. */
static int key_line(const char *path, const char *section, const char *key)
{
	char line[1024], name[256];
	bool in = false;
	int n = 0, found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		n++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '[' && (e = strchr(s, ']'))) {
			squeeze(s + 1, (size_t)(e - s - 1), name, sizeof(name));
			in = !strcmp(name, section);
		} else if (in && (e = strchr(s, '='))) {
			squeeze(s, (size_t)(e - s), name, sizeof(name));
			if (!strcmp(name, key))
				found = n;
		}
	}
	fclose(f);
	return found;
}

static void report(struct check *k, int line, const char *section, const char *key, bool warn,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void report(struct check *k, int line, const char *section, const char *key, bool warn,
		   const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "%s:%d: [%s] %s: %s", k->path, line, section, key, warn ? "warning: " : "");
	else
		fprintf(stderr, "%s: [%s] %s: %s", k->path, section, key, warn ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (warn)
		k->warnings++;
	else
		k->errors++;
}

static void check_dates(struct check *k, int line, const char *sec, const char *key, const char *file,
			const struct tls_cert_facts *f)
{
	char day[32];
	time_t t = (time_t)f->not_after;
	struct tm tm;
	long left = (long)((f->not_after - (int64_t)k->now) / 86400);

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M UTC", &tm);
	if (f->not_after <= (int64_t)k->now)
		report(k, line, sec, key, false, "'%s' expired on %s: renew it (TLS peers refuse it)", file, day);
	else if (left < EXPIRY_WARN_DAYS)
		report(k, line, sec, key, true, "'%s' expires on %s, in %ld day%s: renew it soon", file, day,
		       left, left == 1 ? "" : "s");
	if (f->not_before > (int64_t)k->now) {
		t = (time_t)f->not_before;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d %H:%M UTC", &tm);
		report(k, line, sec, key, false, "'%s' is not valid before %s (is the clock right?)", file, day);
	}
}

/* A certificate chain and its key, as `run` loads them. */
static void check_cred(struct check *k, const char *sec, const char *cert_key, int cert_line,
		       const char *cert, const char *key_key, int key_line_no, const char *key)
{
	struct tls_cert_facts f;
	char err[TLS_CHECK_ERR_MAX];
	int rc;

	rc = tls_check_cred_files(cert, key, &f, err, sizeof(err));
	if (rc) {
		/* a key problem is reported at the key's line */
		report(k, f.bad_key ? key_line_no : cert_line, sec, f.bad_key ? key_key : cert_key, false,
		       "%s", err);
		return;
	}
	check_dates(k, cert_line, sec, cert_key, cert, &f);
}

static void check_anchors_at(struct check *k, int line, const char *sec, const char *key, const char *file)
{
	char err[TLS_CHECK_ERR_MAX];
	size_t n = 0;

	if (tls_check_anchor_file(file, &n, err, sizeof(err)))
		report(k, line, sec, key, false, "%s", err);
	else if (!n)
		report(k, line, sec, key, false, "'%s' holds no CA certificate BearSSL can use: "
		       "nothing could be verified", file);
}

static void check_anchors(struct check *k, const char *sec, const char *key, const char *file)
{
	check_anchors_at(k, key_line(k->path, sec, key), sec, key, file);
}

static void check_files(struct check *k, const struct conf *c)
{
	char sec[CONF_NAME_MAX + 16];
	int i, j;

	for (i = 0; i < c->n_proxies; i++) {
		const struct conf_proxy *px = &c->proxies[i];

		snprintf(sec, sizeof(sec), "proxy %s", px->name);
		for (j = -2; j < px->n_routes; j++) {
			const struct conf_route *r = j == -2 ? &px->default_route :
						     j == -1 ? &px->no_sni_route : &px->routes[j];
			const char *key = j == -2 ? "default" : j == -1 ? "no_sni" : "route";

			if (r->cert[0])
				check_cred(k, sec, key, r->line, r->cert, key, r->line, r->key);
			/* a route's own check_ca= (the section's is checked once, below) */
			if (r->n_upstreams && r->check == CHECK_TLS && r->check_ca[0] &&
			    strcmp(r->check_ca, px->check_ca))
				check_anchors_at(k, r->line, sec, key, r->check_ca);
		}
		if (px->check_ca[0])
			check_anchors(k, sec, "check_ca", px->check_ca);
	}
	if (c->syslog.enabled && c->syslog.n_tls_listen) {
		const struct conf_syslog *s = &c->syslog;

		if (s->cert[0] && s->key[0])
			check_cred(k, "syslog", "cert", key_line(k->path, "syslog", "cert"), s->cert, "key",
				   key_line(k->path, "syslog", "key"), s->key);
		if (s->client_ca[0])
			check_anchors(k, "syslog", "client_ca", s->client_ca);
	}
	for (i = 0; i < c->n_forwards; i++) {
		const struct conf_forward *f = &c->forwards[i];

		snprintf(sec, sizeof(sec), "forward %s", f->name);
		if (f->ca[0])
			check_anchors(k, sec, "ca", f->ca);
		if (f->cert[0] && f->key[0])
			check_cred(k, sec, "cert", key_line(k->path, sec, "cert"), f->cert, "key",
				   key_line(k->path, sec, "key"), f->key);
	}
}

/* The port of a listen address (host order). */
static unsigned addr_port(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

static bool port_in(unsigned port, const uint16_t *first, const uint16_t *last, int n)
{
	for (int i = 0; i < n; i++)
		if (port >= first[i] && port <= last[i])
			return true;
	return false;
}

/* Warn once per port of `key` in [sec] that is missing from [xdp]'s
 * `ports_key` (first/last/n). */
static void check_class_ports(struct check *k, const char *sec, const char *key, const struct conf_addr *a,
			      int n_addr, const char *ports_key, const uint16_t *first, const uint16_t *last,
			      int n_ports, const char *cls)
{
	unsigned warned[CONF_MAX_LISTEN];
	int n_warned = 0;

	for (int i = 0; i < n_addr; i++) {
		unsigned port = addr_port(&a[i]);
		bool seen = false;

		for (int j = 0; j < n_warned; j++)
			seen |= warned[j] == port;
		if (!port || seen || port_in(port, first, last, n_ports))
			continue;
		warned[n_warned++] = port;
		report(k, key_line(k->path, sec, key), sec, key, true,
		       "port %u is not in [xdp] %s: the data plane passes its traffic as class other, "
		       "outside the %s policy (prefix lists, rate limit, steering); add it there",
		       port, ports_key, cls);
	}
}

/*
 * The data plane classifies by destination port, from [xdp]'s port lists
 * only (they are not derived from the listeners: a gateway may listen on
 * ports XDP does not see, or steer ports whose listener is elsewhere).
 * A listener whose port is in no list is almost always a forgotten
 * entry, so it is a warning: its traffic passes as `other`, outside the
 * policy the operator wrote for its class.
 */
static void check_xdp_classes(struct check *k, const struct conf *c)
{
	const struct conf_xdp *x = &c->xdp;
	char sec[CONF_NAME_MAX + 16];

	if (!c->has_xdp)
		return;
	for (int i = 0; i < c->n_proxies; i++) {
		snprintf(sec, sizeof(sec), "proxy %s", c->proxies[i].name);
		check_class_ports(k, sec, "listen", c->proxies[i].listen, c->proxies[i].n_listen, "proxy_ports",
				  x->proxy_ports, x->proxy_ports_last, x->n_proxy_ports, "proxy");
	}
	if (!c->syslog.enabled)
		return;
	check_class_ports(k, "syslog", "listen", c->syslog.listen, c->syslog.n_listen, "syslog_ports",
			  x->syslog_ports, x->syslog_ports_last, x->n_syslog_ports, "syslog");
	check_class_ports(k, "syslog", "tcp_listen", c->syslog.tcp_listen, c->syslog.n_tcp_listen,
			  "syslog_tcp_ports", x->syslog_tcp_ports, x->syslog_tcp_ports_last,
			  x->n_syslog_tcp_ports, "syslog");
	check_class_ports(k, "syslog", "tls_intake", c->syslog.tls_intake, c->syslog.n_tls_intake,
			  "syslog_tcp_ports", x->syslog_tcp_ports, x->syslog_tcp_ports_last,
			  x->n_syslog_tcp_ports, "syslog");
}

static bool nothing_to_do(const struct conf *c)
{
	return !c->has_xdp && !c->n_proxies && !c->syslog.enabled && !c->n_watchdogs;
}

/* edgesteer check [-c FILE] [-q] [--no-files] [--allow-empty] */
int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-files", no_argument, NULL, 'F' },
		{ "allow-empty", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct check k = { .path = CONF_DEFAULT_PATH, .now = time(NULL) };
	bool quiet = false, no_files = false, allow_empty = false;
	struct conf *c = NULL;
	int opt, rc;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': k.path = optarg; break;
		case 'q': quiet = true; break;
		case 'F': no_files = true; break;
		case 'E': allow_empty = true; break;
		case 'h': return cli_help_exit("check");
		default: return cli_bad_option("check", opt, argv);
		}
	}
	rc = cli_no_extra("check", argc, argv, 0);
	if (rc)
		return rc;
	/* the parser only asks whether files are readable; check_files()
	 * loads them, so it also says it at the key's line */
	rc = conf_load_flags(k.path, CONF_NO_FILES, &c, stderr);
	if (rc) {
		fprintf(stderr, "%s: configuration has errors\n", k.path);
		return CLI_EXIT_FAIL;
	}
	if (!no_files)
		check_files(&k, c);
	k.errors += check_spool_dirs(k.path, c);
	check_xdp_classes(&k, c);
	if (k.errors) {
		fprintf(stderr, "%s: configuration has errors\n", k.path);
		rc = CLI_EXIT_FAIL;
	} else if (!allow_empty && nothing_to_do(c)) {
		fprintf(stderr, "%s: nothing to do: no [xdp], [proxy NAME], [syslog] or [watchdog IFACE] "
			"section (the daemon would only serve its control socket)\n", k.path);
		rc = CLI_EXIT_NOTHING;
	} else if (!quiet) {
		printf("%s: configuration OK (%d proxies, syslog %s, %d forwards, %d watchdogs, "
		       "xdp on %d interfaces%s)%s\n", k.path, c->n_proxies, c->syslog.enabled ? "on" : "off",
		       c->n_forwards, c->n_watchdogs, c->has_xdp ? c->xdp.n_ifaces : 0,
		       no_files ? "; files not checked" : "", k.warnings ? ", with warnings" : "");
	}
	conf_free(c);
	return rc;
}
