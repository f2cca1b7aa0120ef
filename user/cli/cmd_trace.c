// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_trace.c - `edgesteer trace`: frames the XDP program judged, as one
 * summary line each or as a pcapng file.
 *
 *   edgesteer trace [--iface IF] [--class C] [--verdict V] [--src PREFIX]
 *                   [--count N] [--snap BYTES] [--rate N] [--seconds S]
 *                   [--pcap FILE|-] [-c FILE]
 *   edgesteer trace --stop [-c FILE]
 *
 * The filter goes into the pinned es_trace map; the running programs see
 * it at their next frame (no reload). Matching frames come back through
 * the es_trace_rb ring buffer, at most --rate records per second on
 * average (bursts of rate/10), so a flood cannot drown the host or this
 * reader. The trace is switched off when the command ends (count, time,
 * Ctrl-C, SIGTERM); a trace whose reader was killed stays on until
 * `edgesteer trace --stop`.
 *
 * pcapng: one interface block per XDP interface (Ethernet, or raw IP for
 * interfaces without a link header); every packet carries a comment
 * "verdict=... class=... reason=... iface=...", which tcpdump -v and
 * Wireshark (pkt_comment) show.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "cmds.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "xdp/bpfctl.h"
#include "xdp/pcapng.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct trace_run {
	struct bpfctl_counters *cs;	/* interfaces by slot */
	int n_cs;
	int pcap_iface[ES_MAX_IFACES];	/* slot -> pcapng interface, -1: none */
	FILE *pcap;
	bool lines;			/* summaries on stdout */
	uint64_t mono_to_real;		/* ns to add to bpf_ktime_get_ns() */
	uint64_t count, got;
	int err;
};

static const char *slot_name(const struct trace_run *t, uint32_t slot)
{
	for (int i = 0; i < t->n_cs; i++)
		if (t->cs[i].slot == slot)
			return t->cs[i].iface.name;
	return "?";
}

static void addr_port(char *buf, size_t len, int family, const uint8_t *a, uint16_t port_be)
{
	char s[INET6_ADDRSTRLEN] = "-";

	if (family)
		inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	if (family == 6)
		snprintf(buf, len, "[%s]:%u", s, ntohs(port_be));
	else
		snprintf(buf, len, "%s:%u", s, ntohs(port_be));
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace_run *t = ctx;
	const struct es_trace_rec *r = data;
	char comment[160], src[64], dst[64];
	uint64_t ts;

	if (size < sizeof(*r) || t->err || (t->count && t->got >= t->count))
		return 0;
	ts = r->ts_ns + t->mono_to_real;
	snprintf(comment, sizeof(comment), "verdict=%s class=%s reason=%s iface=%s",
		 bpfctl_verdict_name(r->verdict), bpfctl_class_name(r->cls),
		 bpfctl_reason_name(r->reason), slot_name(t, r->slot));
	if (t->lines) {
		time_t sec = (time_t)(ts / 1000000000u);
		struct tm tm;
		char hms[16];

		localtime_r(&sec, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		addr_port(src, sizeof(src), r->family, r->saddr, r->sport);
		addr_port(dst, sizeof(dst), r->family, r->daddr, r->dport);
		printf("%s.%06llu %-8s %-6s %-14s %s > %s %s len %u%s%s\n", hms,
		       (unsigned long long)(ts % 1000000000u / 1000), slot_name(t, r->slot),
		       bpfctl_class_name(r->cls), bpfctl_verdict_name(r->verdict), src, dst,
		       r->l4proto == IPPROTO_UDP ? "udp" : r->l4proto == IPPROTO_TCP ? "tcp" : "ip", r->len,
		       r->reason ? " reason " : "", r->reason ? bpfctl_reason_name(r->reason) : "");
	}
	if (t->pcap && r->slot < ES_MAX_IFACES && t->pcap_iface[r->slot] >= 0) {
		uint32_t cap = r->caplen <= ES_TRACE_SNAP_MAX && sizeof(*r) + r->caplen <= size ? r->caplen : 0;

		t->err = pcapng_packet(t->pcap, (uint32_t)t->pcap_iface[r->slot], ts, r + 1, cap, r->len,
				       comment);
	}
	t->got++;
	return 0;
}

static int parse_list(const char *arg, const char *(*name)(int), int max, uint32_t *mask,
		      const char *what)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < max; i++)
			if (!strcmp(tok, name(i)))
				break;
		if (i == max) {
			fprintf(stderr, "edgesteer trace: unknown %s '%s' (one of:", what, tok);
			for (i = 0; i < max; i++)
				fprintf(stderr, " %s", name(i));
			fprintf(stderr, ")\n");
			return -EINVAL;
		}
		*mask |= 1u << i;
	}
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_pcap_ifaces(struct trace_run *t, uint32_t snap)
{
	int i, n = 0, err = pcapng_begin(t->pcap);

	for (i = 0; i < ES_MAX_IFACES; i++)
		t->pcap_iface[i] = -1;
	for (i = 0; i < t->n_cs && !err; i++) {
		err = pcapng_iface(t->pcap, t->cs[i].iface.name,
				   t->cs[i].iface.flags & ES_IF_L3 ? PCAPNG_LINKTYPE_RAW :
				   PCAPNG_LINKTYPE_ETHERNET, snap ? snap : 1);
		t->pcap_iface[t->cs[i].slot] = n++;
	}
	return err;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "class", required_argument, NULL, 'C' },
		{ "verdict", required_argument, NULL, 'V' }, { "src", required_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'n' }, { "snap", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'w' }, { "stop", no_argument, NULL, 'x' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct bpfctl_trace_filter flt = { .snap = 128, .rate = 100 };
	struct trace_run t = { .lines = true };
	const char *conf = CONF_DEFAULT_PATH, *pcap_path = NULL, *ifs[ES_MAX_IFACES];
	char pin[CONF_PATH_MAX];
	struct ring_buffer *rb = NULL;
	struct es_trace_cfg cur;
	struct sigaction sa;
	uint64_t deadline = 0;
	long seconds = 0;
	int opt, n_ifs = 0, trace_fd = -1, rb_fd = -1, err, i, j, rc = 1;
	bool stop_only = false, on = false;

	CLI_GETOPT_INIT();
	while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (n_ifs == ES_MAX_IFACES)
				return cli_usage_error("trace", "at most %d --iface", ES_MAX_IFACES);
			ifs[n_ifs++] = optarg;
			break;
		case 'C':
			if (parse_list(optarg, bpfctl_class_name, ES_CLASS_MAX, &flt.cls_mask, "class"))
				return 2;
			break;
		case 'V':
			if (parse_list(optarg, bpfctl_verdict_name, ES_VERDICT_MAX, &flt.verdict_mask, "verdict"))
				return 2;
			break;
		case 'S':
			if (conf_parse_prefix(optarg, &flt.src)) {
				fprintf(stderr, "edgesteer trace: --src %s: not a prefix (192.0.2.0/24, 2001:db8::/32 "
					"or an address)\n", optarg);
				return 2;
			}
			flt.has_src = true;
			break;
		case 'n': t.count = strtoull(optarg, NULL, 10); break;
		case 'l':
			flt.snap = (uint32_t)strtoul(optarg, NULL, 10);
			if (flt.snap > ES_TRACE_SNAP_MAX) {
				fprintf(stderr, "edgesteer trace: --snap %s: at most %d bytes per frame\n", optarg,
					ES_TRACE_SNAP_MAX);
				return 2;
			}
			break;
		case 'r':
			flt.rate = (uint32_t)strtoul(optarg, NULL, 10);
			if (!flt.rate || flt.rate > 1000000) {
				fprintf(stderr, "edgesteer trace: --rate %s: 1 to 1000000 records per second\n", optarg);
				return 2;
			}
			break;
		case 't': seconds = strtol(optarg, NULL, 10); break;
		case 'w': pcap_path = optarg; break;
		case 'x': stop_only = true; break;
		case 'c': conf = optarg; break;
		case 'h': return cli_help_exit("trace");
		default: return cli_bad_option("trace", opt, argv);
		}
	}
	rc = cli_no_extra("trace", argc, argv, 0);
	if (rc)
		return rc;
	rc = 1;
	ctl_global_key(conf, "pin_path", "/sys/fs/bpf/edgesteer", pin, sizeof(pin));
	bpfctl_quiet_libbpf();
	err = bpfctl_trace_open(pin, &trace_fd, &rb_fd);
	if (err) {
		fprintf(stderr, "edgesteer trace: %s/%s: %s (is the XDP program attached? "
			"'edgesteer attach' or 'edgesteer run')\n", pin, ES_PIN_TRACE, strerror(-err));
		return 1;
	}
	if (stop_only) {
		err = bpfctl_trace_clear(trace_fd, NULL);
		if (err)
			fprintf(stderr, "edgesteer trace --stop: %s/%s: %s\n", pin, ES_PIN_TRACE, strerror(-err));
		rc = err ? 1 : 0;
		goto out;
	}
	if (!bpfctl_trace_get(trace_fd, &cur) && cur.on) {
		fprintf(stderr, "edgesteer trace: another trace is running on %s (or its reader was killed); "
			"'edgesteer trace --stop' ends it\n", pin);
		goto out;
	}
	t.cs = calloc(ES_MAX_IFACES, sizeof(*t.cs));
	if (!t.cs)
		goto out;
	err = bpfctl_read_counters(pin, t.cs, ES_MAX_IFACES, &t.n_cs);
	if (err) {
		fprintf(stderr, "edgesteer trace: reading interfaces under %s: %s\n", pin, strerror(-err));
		goto out;
	}
	for (i = 0; i < n_ifs; i++) {
		for (j = 0; j < t.n_cs; j++)
			if (!strcmp(ifs[i], t.cs[j].iface.name))
				break;
		if (j == t.n_cs) {
			fprintf(stderr, "edgesteer trace: --iface %s: no XDP program of %s on it\n", ifs[i], pin);
			goto out;
		}
		flt.slot_mask |= 1ull << t.cs[j].slot;
	}
	if (pcap_path) {
		t.pcap = strcmp(pcap_path, "-") ? fopen(pcap_path, "wb") : stdout;
		if (!t.pcap) {
			fprintf(stderr, "edgesteer trace: --pcap %s: %s\n", pcap_path, strerror(errno));
			goto out;
		}
		t.lines = t.pcap != stdout;
		if (write_pcap_ifaces(&t, flt.snap) || fflush(t.pcap)) {
			fprintf(stderr, "edgesteer trace: --pcap %s: write failed\n", pcap_path);
			goto out;
		}
	}
	rb = ring_buffer__new(rb_fd, on_record, &t, NULL);
	if (!rb) {
		fprintf(stderr, "edgesteer trace: %s/%s: %s\n", pin, ES_PIN_TRACE_RB, strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* stale records of an earlier trace are not ours */
	ring_buffer__consume(rb);
	t.got = 0;
	t.mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	err = bpfctl_trace_set(trace_fd, &flt);
	if (err) {
		fprintf(stderr, "edgesteer trace: %s/%s: %s\n", pin, ES_PIN_TRACE, strerror(-err));
		goto out;
	}
	on = true;
	if (seconds > 0)
		deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)seconds * 1000000000u;
	fprintf(stderr, "edgesteer trace: tracing (at most %u records/s, %u bytes each); Ctrl-C stops\n",
		flt.rate, flt.snap);
	while (!stop_flag && !t.err && (!t.count || t.got < t.count) &&
	       (!deadline || clock_ns(CLOCK_MONOTONIC) < deadline)) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "edgesteer trace: reading the ring buffer: %s\n", strerror(-err));
			goto out;
		}
		if (t.lines)
			fflush(stdout);
	}
	/* switch off first, then take what is still in the ring */
	bpfctl_trace_clear(trace_fd, &cur);
	on = false;
	ring_buffer__consume(rb);
	if (t.err) {
		fprintf(stderr, "edgesteer trace: --pcap %s: write failed\n", pcap_path);
		goto out;
	}
	fprintf(stderr, "edgesteer trace: %llu frames recorded; %llu matched, %llu left out by the rate cap, "
		"%llu lost (ring full)\n", (unsigned long long)t.got, (unsigned long long)cur.matched,
		(unsigned long long)cur.sampled_out, (unsigned long long)cur.lost);
	rc = 0;
out:
	if (on)
		bpfctl_trace_clear(trace_fd, NULL);
	ring_buffer__free(rb);
	if (t.pcap && t.pcap != stdout && fclose(t.pcap) && !rc) {
		fprintf(stderr, "edgesteer trace: --pcap %s: %s\n", pcap_path, strerror(errno));
		rc = 1;
	} else if (t.pcap == stdout) {
		fflush(stdout);
	}
	free(t.cs);
	if (trace_fd >= 0)
		close(trace_fd);
	if (rb_fd >= 0)
		close(rb_fd);
	return rc;
}
