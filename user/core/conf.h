/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * conf.h - the configuration, as parsed from one INI file.
 *
 * conf_load() parses and validates the whole file before anything is
 * applied; every error names file, line and key and says what is allowed.
 * All limits below are enforced by the parser with an error, never by
 * silent truncation. Durations are kept in milliseconds, sizes in bytes.
 */
#ifndef EDGESTEER_CONF_H
#define EDGESTEER_CONF_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONF_DEFAULT_PATH   "/etc/edgesteer/edgesteer.conf"
#define CONF_MAX_LISTEN     8	/* listen addresses per list */
#define CONF_MAX_UPSTREAMS  8	/* upstreams per route */
#define CONF_MAX_ROUTES     1024	/* routes per [proxy] */
#define CONF_MAX_PREFIXES   4096	/* entries per allow/deny list */
#define CONF_MAX_PORTS      64	/* ports per class */
#define CONF_MAX_IFACES     16
#define CONF_MAX_SECTIONS   32	/* [proxy]/[forward]/[watchdog] each */
#define CONF_MAX_USB_IDS    16
#define CONF_NAME_MAX       64
#define CONF_WORKERS_MAX    64	/* [global] workers */
#define CONF_PATH_MAX       256
#define CONF_HOST_MAX       256

/* An address with port, as written and as resolved at load time. */
struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[CONF_HOST_MAX + 8];	/* as written, e.g. "[::]:443" */
};

struct conf_prefix {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network byte order */
	uint8_t plen;
};

struct conf_prefix_list {
	struct conf_prefix *v;
	int n;
};

enum conf_xdp_mode { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_GENERIC };
enum conf_steer_kind { STEER_PASS, STEER_CPUS };
enum conf_on_exit { ON_EXIT_KEEP, ON_EXIT_DETACH };
enum conf_proxy_proto { PROTO_TLS, PROTO_HTTP };
enum conf_pp { PP_OFF, PP_V1, PP_V2 };
enum conf_balance { BALANCE_FIRST, BALANCE_ROUNDROBIN, BALANCE_LEASTCONN, BALANCE_HASH };
enum conf_accept_pp { ACCEPT_PP_OFF, ACCEPT_PP_V1, ACCEPT_PP_V2, ACCEPT_PP_BOTH };
enum conf_check { CHECK_OFF, CHECK_TCP, CHECK_TLS };
enum conf_framing { FRAMING_OCTET, FRAMING_LF };
enum conf_slow { SLOW_SKIP, SLOW_DISCONNECT };
enum conf_oversize { OVERSIZE_TRUNCATE, OVERSIZE_DROP };
enum conf_missing_pri { MISSING_PRI_ADD, MISSING_PRI_DROP };
/* [forward] spool_sync: when spooled messages are fdatasync'ed (docs/spool.md) */
enum conf_spool_sync { SPOOL_SYNC_SECOND, SPOOL_SYNC_BATCH, SPOOL_SYNC_NEVER };
enum conf_log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

struct conf_steer {
	enum conf_steer_kind kind;
	uint64_t cpus;		/* bit mask of target CPUs for STEER_CPUS */
};

struct conf_global {
	char control_socket[108];
	char control_group[CONF_NAME_MAX];	/* "" = root only */
	char pin_path[CONF_PATH_MAX];
	bool metrics_on;
	struct conf_addr metrics_listen;
	int log_level;				/* LOG_ERR..LOG_DEBUG */
	uint32_t drain_timeout_ms;		/* SIGTERM grace */
	uint32_t max_connections;		/* all [proxy] together; 0 = from RLIMIT_NOFILE */
	uint32_t workers;			/* proxy event loops; 0 (auto) = one per CPU, at most 4 */
	uint64_t pipe_memory_max;		/* bytes splice pipes may grow by, all [proxy] together */
	enum conf_log_format access_log_format;	/* the proxy's access-log lines */
};

struct conf_xdp {
	char ifaces[CONF_MAX_IFACES][IFNAMSIZ];
	int n_ifaces;
	enum conf_xdp_mode mode;
	/* port p or range p-q: syslog_ports[i] = p, syslog_ports_last[i] = q (= p) */
	uint16_t syslog_ports[CONF_MAX_PORTS];
	int n_syslog_ports;
	uint16_t syslog_ports_last[CONF_MAX_PORTS];
	uint16_t proxy_ports[CONF_MAX_PORTS];
	int n_proxy_ports;
	uint16_t proxy_ports_last[CONF_MAX_PORTS];
	/* TCP ports of the syslog class (tcp_listen, tls_intake senders) */
	uint16_t syslog_tcp_ports[CONF_MAX_PORTS];
	int n_syslog_tcp_ports;
	uint16_t syslog_tcp_ports_last[CONF_MAX_PORTS];
	uint32_t syslog_rate_pps;	/* 0 = no rate limit */
	uint32_t syslog_burst;
	uint32_t syslog_rate_v6_prefix;	/* IPv6 sources share a bucket per /N */
	uint32_t proxy_syn_rate_pps;	/* proxy-class SYNs per second per source; 0 = off */
	uint32_t proxy_syn_burst;
	struct conf_prefix_list allow_syslog, deny_syslog, allow_proxy, deny_proxy;
	struct conf_prefix_list allow_other, deny_other;	/* none: `other` passes untouched */
	struct conf_steer steer_syslog, steer_proxy;
	uint32_t cpumap_qsize;
	enum conf_on_exit on_exit;
	bool rule_hits;			/* count hits per prefix rule */
	bool talkers;			/* count heavy sources per class and verdict */
	uint32_t talkers_sample_shift;	/* ...on 1 frame in 2^shift */
};

struct conf_route {
	char name[CONF_HOST_MAX];	/* lower case, no trailing dot; "*.x" wildcard */
	bool wildcard;
	struct conf_addr upstreams[CONF_MAX_UPSTREAMS];
	int n_upstreams;
	enum conf_pp proxy_protocol;
	enum conf_balance balance;	/* how an upstream is picked */
	char alpn[32];			/* "": any; else only hellos offering it (alpn=) */
	char cert[CONF_PATH_MAX];	/* terminate=CERT,KEY: TLS ends here */
	char key[CONF_PATH_MAX];
	/* active check of its upstreams (check=, check_ca=, check_sni=);
	 * the section's when not given */
	enum conf_check check;
	char check_ca[CONF_PATH_MAX];	/* check=tls: verify against it; "": no verification */
	char check_sni[CONF_HOST_MAX];	/* check=tls: SNI, and the name verified with check_ca */
	int line;
};

struct conf_proxy {
	char name[CONF_NAME_MAX];
	struct conf_addr listen[CONF_MAX_LISTEN];
	int n_listen;
	enum conf_proxy_proto protocol;
	struct conf_route *routes;
	int n_routes;
	struct conf_route default_route;	/* n_upstreams == 0: none */
	struct conf_route no_sni_route;		/* n_upstreams == 0: none */
	enum conf_pp proxy_protocol;		/* default for routes */
	enum conf_balance balance;		/* default for routes */
	uint32_t health_backoff_min_ms;		/* an upstream that failed is skipped this long */
	uint32_t health_backoff_max_ms;		/* ... doubling per failure up to this */
	enum conf_check check;			/* active health checks of upstreams; routes may override */
	char check_ca[CONF_PATH_MAX];		/* check = tls: CA the upstreams' certificates chain to */
	char check_sni[CONF_HOST_MAX];		/* check = tls: SNI and expected name */
	uint32_t check_interval_ms;
	uint32_t check_rise, check_fall;	/* passes to come up, failures to go down */
	enum conf_accept_pp accept_proxy;	/* PROXY header expected from clients */
	struct conf_prefix_list accept_proxy_from;	/* who may send one */
	uint32_t max_conn_per_client;		/* 0 = no limit */
	uint32_t client_rate;			/* new connections per second per client; 0 = off */
	uint32_t client_burst;
	uint32_t resolve_interval_ms;		/* upstream names are re-resolved at least this often */
	uint32_t happy_eyeballs_delay_ms;	/* next address of a name tried after this */
	uint32_t happy_eyeballs_max;		/* attempts of one connection at once */
	uint32_t hello_timeout_ms;
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;
	uint32_t max_connections;
	uint32_t pipe_size;
	bool access_log;			/* one line per connection at info */
	enum conf_log_format access_log_format;	/* [global]'s, copied for the snapshot */
	bool splice;				/* no: read/write (diagnostics, odd kernels) */
	bool upstream_fastopen;			/* TCP Fast Open towards the upstreams */
	int line;
};

struct conf_syslog {
	bool enabled;			/* a [syslog] section exists */
	struct conf_addr listen[CONF_MAX_LISTEN];
	int n_listen;
	uint32_t max_message;
	enum conf_oversize oversize;
	uint64_t ring_size;		/* bytes */
	uint32_t ring_messages;
	uint32_t rcvbuf;		/* UDP SO_RCVBUF(FORCE) */
	struct conf_addr tls_listen[CONF_MAX_LISTEN];
	int n_tls_listen;
	char cert[CONF_PATH_MAX];
	char key[CONF_PATH_MAX];
	char client_ca[CONF_PATH_MAX];
	char client_issuer[CONF_HOST_MAX];
	enum conf_framing framing;
	enum conf_slow slow_subscriber;
	uint32_t handshake_timeout_ms;
	uint32_t max_subscribers;	/* established sessions */
	uint32_t max_handshakes;	/* connections still in their handshake */
	/* TCP intake (intake_tcp.c) */
	struct conf_addr tcp_listen[CONF_MAX_LISTEN];
	int n_tcp_listen;
	uint32_t max_senders;
	uint32_t sender_idle_timeout_ms;
	enum conf_missing_pri missing_pri;	/* RFC 3164 4.3.3 relay behaviour */
	/* TLS intake: cert and key above; handshake_timeout */
	struct conf_addr tls_intake[CONF_MAX_LISTEN];
	int n_tls_intake;
	char intake_client_ca[CONF_PATH_MAX];	/* "" = no client certificate asked */
	char intake_client_issuer[CONF_HOST_MAX];
	uint32_t intake_max_handshakes;		/* pre-authentication budget */
	bool origin;				/* [origin ip=...] on RFC 5424 messages */
};

struct conf_forward {
	char name[CONF_NAME_MAX];
	struct conf_addr collectors[CONF_MAX_UPSTREAMS];
	int n_collectors;
	char ca[CONF_PATH_MAX];
	char server_name[CONF_HOST_MAX];
	char cert[CONF_PATH_MAX];	/* optional client certificate */
	char key[CONF_PATH_MAX];
	char spool_dir[CONF_PATH_MAX];	/* "" = no spool */
	uint64_t spool_max;
	enum conf_spool_sync spool_sync;
	uint32_t connect_timeout_ms;
	uint32_t handshake_timeout_ms;
	uint32_t write_timeout_ms;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t resolve_interval_ms;	/* collector names: re-resolved at least this often */
	int line;
};

/* [watchdog] probe = ...: how the neighbour is asked */
enum conf_probe_kind {
	CONF_PROBE_ICMP,	/* "ADDR" or "icmp ADDR": echo request */
	CONF_PROBE_ARP,		/* "arp ADDR": ARP request (IPv4) */
	CONF_PROBE_NDP,		/* "ndp ADDR": neighbour solicitation (IPv6) */
	CONF_PROBE_GATEWAY,	/* "gateway": ARP/NDP to the default route's gateway */
};

struct conf_watchdog {
	char iface[IFNAMSIZ];		/* "*" = every USB NIC with a listed id */
	uint32_t usb_ids[CONF_MAX_USB_IDS];	/* vendor << 16 | product */
	int n_usb_ids;
	uint32_t interval_ms;
	uint32_t stall_after_ms;
	bool probe_on;
	enum conf_probe_kind probe_kind;
	struct conf_addr probe;		/* port unused; none for "gateway" */
	uint32_t min_reset_interval_ms;
	uint32_t max_resets_per_hour;
	bool dry_run;
	bool link_bounce;		/* ladder step 1 */
	char reset_command[CONF_PATH_MAX];
	uint32_t backoff;		/* min_reset_interval factor per recent reset */
	uint32_t recover_wait_ms;	/* per ladder step: time for packets to return */
	uint32_t recover_samples;	/* rx rule: consecutive samples proving a recovery */
	uint32_t flap_window_ms;	/* a stall this soon after a recovery climbs on */
	char sysfs_root[CONF_PATH_MAX];	/* "/sys"; tests point it elsewhere */
	char dev_root[CONF_PATH_MAX];	/* "/dev" */
	int line;
};

struct conf {
	char path[CONF_PATH_MAX];
	struct conf_global global;
	bool has_xdp;
	struct conf_xdp xdp;
	struct conf_proxy proxies[CONF_MAX_SECTIONS];
	int n_proxies;
	struct conf_syslog syslog;
	struct conf_forward forwards[CONF_MAX_SECTIONS];
	int n_forwards;
	struct conf_watchdog watchdogs[CONF_MAX_SECTIONS];
	int n_watchdogs;
};

/*
 * Parse and validate `path`. On success *out is a new config (conf_free
 * it). On failure every error has been written to `errf` (stderr when
 * NULL) as "FILE:LINE: [SECTION] KEY: message" and the return is -EINVAL
 * (or -errno when the file cannot be read).
 */
int conf_load(const char *path, struct conf **out, void *errf);
/* conf_load_flags(): do not check that certificate, key and CA files are
 * readable (`edgesteer check --no-files`, or a caller that checks them
 * itself). */
#define CONF_NO_FILES 0x1u
int conf_load_flags(const char *path, unsigned flags, struct conf **out, void *errf);
/* Parse from a string (tests); `name` stands in for the file name. */
int conf_load_string(const char *name, const char *text, struct conf **out, void *errf);
void conf_free(struct conf *c);

/* Value parsers, shared with the CLI; each returns 0 or -EINVAL. */
int conf_parse_duration_ms(const char *s, uint32_t *ms);
int conf_parse_size(const char *s, uint64_t *bytes);
int conf_parse_bool(const char *s, bool *b);
/* "host:port", "[v6]:port", "v4:port"; names resolved (AI_ADDRCONFIG off). */
int conf_parse_hostport(const char *s, struct conf_addr *a, char *err, size_t errlen);
/* The same for a proxy upstream, except that a host name is only checked,
 * not resolved: a->ss.ss_family is AF_UNSPEC and a->text "name:port"; the
 * proxy resolves it off the loop (so a dead resolver never stalls a load). */
int conf_parse_upstream(const char *s, struct conf_addr *a, char *err, size_t errlen);
int conf_parse_prefix(const char *s, struct conf_prefix *p);
/* "1", "0-3", "0,2-3" into a mask */
int conf_parse_cpus(const char *s, uint64_t *mask);
/* A host name as DNS and SNI carry it: labels of 1..63 letters, digits,
 * '-' or '_', not starting or ending with '-', at most 253 bytes; one
 * trailing dot allowed. 0, or -EINVAL with the reason in `why`. */
int conf_check_hostname(const char *s, const char **why);
/* Normalise a server name for routing: lower case, trailing dot removed. */
void conf_normalize_name(char *s);

/* Printable address "1.2.3.4:5" / "[::1]:5" of a sockaddr. */
const char *conf_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/*
 * The key tables: one per section, each entry a key with its type,
 * place in the section's struct, limits, default and one line of
 * documentation. They drive parsing, the once-per-section check, the
 * error texts, the defaults and the reference page edgesteer.conf(5);
 * see the essay at the top of conf.c.
 */
enum conf_type {
	CONF_STRING,	/* text, at most size - 1 bytes */
	CONF_PATH,	/* absolute path, at most size - 1 bytes */
	CONF_BOOL,	/* yes|no, true|false, on|off, 1|0 */
	CONF_INT,	/* whole number from min to max */
	CONF_SIZE,	/* bytes: 4096, 64K, 64M, 1G, 1T (binary units) */
	CONF_DURATION,	/* milliseconds: 500ms, 5s, 2m, 1h; a bare number is seconds */
	CONF_ENUM,	/* one of words[]; the index is stored */
	CONF_ADDRS,	/* list of HOST:PORT, [IPv6]:PORT */
	CONF_PREFIXES,	/* list of ADDR[/LEN], IPv4 and IPv6 */
	CONF_PORTS,	/* list of ports 1-65535 */
	CONF_IFACES,	/* list of interface names */
	CONF_USB_IDS,	/* list of VVVV:PPPP (hex) */
	CONF_CUSTOM,	/* parsed by the entry's callback */
};

#define CONF_REPEAT	0x1	/* lines accumulate (lists, routes) */
#define CONF_EMPTY_OK	0x2	/* "key =" is a value, not an error */
#define CONF_NAMES_LATER 0x4	/* CONF_ADDRS: host names are checked, not resolved
				 * (ss_family AF_UNSPEC; the user resolves them
				 * off the loop, core/resolve.h) */

struct conf_parser;
struct conf_key;
typedef void conf_key_fn(struct conf_parser *p, const struct conf_key *k, void *sec, const char *val);

struct conf_key {
	const char *name;
	enum conf_type type;
	unsigned flags;			/* CONF_REPEAT, CONF_EMPTY_OK, CONF_NAMES_LATER */
	size_t off;			/* the field in the section's struct */
	size_t size;			/* its size (integers: 1, 2, 4, 8; text: the buffer) */
	size_t count_off;		/* lists: the int that counts the entries */
	size_t last_off;		/* PORTS: the array of range ends; 0: no ranges */
	uint64_t min, max;		/* INT, SIZE, DURATION (ms) limits; lists: most entries */
	const char *const *words;	/* ENUM: NULL-terminated */
	const char *def;		/* default as a file would write it; NULL: none */
	const char *def_note;		/* a default that is not a value ("syslog_rate_pps") */
	const char *syntax;		/* the value's form, e.g. "NAME UPSTREAM... [OPTION...]" */
	const char *doc;		/* one line */
	conf_key_fn *parse;		/* CUSTOM only */
};

struct conf_section_def {
	const char *name;		/* "proxy" */
	const char *arg;		/* "NAME", "IFACE"; NULL: one unnamed section */
	const char *doc;		/* a paragraph for the reference */
	const struct conf_key *keys;
	int n_keys;
};

/* Every section, in the order the reference lists them. */
extern const struct conf_section_def conf_sections[];
extern const int conf_n_sections;

/* The section's key `name`, or NULL. */
const struct conf_key *conf_key_find(const struct conf_section_def *s, const char *name);

/*
 * Write the key reference, every section and key with its type, limits,
 * default and doc line, as man(7) source (the body of edgesteer.conf(5)
 * between the hand-written parts). Returns 0 or -EIO.
 */
int conf_keys_man(FILE *out);

#endif
