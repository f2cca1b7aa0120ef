// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: arbitrary frames through the XDP program with
 * BPF_PROG_TEST_RUN (the kernel runs the JIT'ed program; the fuzzer
 * mutates what it sees). The first input byte picks the variant (bit 0:
 * IP-first interface), the rest is the frame. What the program promises,
 * checked on every frame:
 *   - every frame is counted exactly once: rx +1 packet, +len bytes, and
 *     exactly one (class, verdict) counter +1 packet, +len bytes;
 *   - the XDP action is the verdict's: pass -> XDP_PASS, steer ->
 *     XDP_REDIRECT, any drop -> XDP_DROP; never XDP_ABORTED;
 *   - class other is never dropped except as malformed, and never steered.
 * Needs root (BPF); without it the target says so once and checks nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp/bpfctl.h"
#include "core/conf.h"
#include "steer.skel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct steer *inst[2];
static int stats_fd = -1;
static int ready = -1;	/* -1 not tried, 0 unavailable, 1 ready */

static const char conf_text[] =
	"[xdp]\ninterfaces = lo\n"
	"syslog_ports = 514 601\nproxy_ports = 443 8443\nsyslog_tcp_ports = 514 6514\n"
	"allow_syslog = 192.0.2.0/24 10.0.0.0/8 2001:db8::/32\n"
	"deny_syslog = 192.0.2.128/25 2001:db8:bad::/48\n"
	"deny_proxy = 198.51.100.0/24 2001:db8:dead::/48 2001:db8:beef::1/128\n"
	"syslog_rate_pps = 1000\nsyslog_burst = 50\nproxy_syn_rate_pps = 1000\n"
	"steer_proxy = cpu 0\n";

static void setup(void)
{
	static const char *const names[] = {
		ES_CONFIG_SEC, "es_stats", "es_ifaces", "es_lpm4", "es_lpm6", "es_cpumap", ES_TABLES_SEC,
		"es_rules", "es_rule_hits", ES_TRACE_SEC, "es_trace_rb", "es_talkers",
	};
	struct bpfctl_maps m;
	struct conf *c = NULL;
	size_t i;
	int v;

	ready = 0;
	bpfctl_quiet_libbpf();
	for (v = 0; v < 2; v++) {
		inst[v] = steer__open();
		if (!inst[v])
			goto fail;
		inst[v]->rodata->es_slot = (uint32_t)v;
		inst[v]->rodata->es_l3 = (uint32_t)v;
		for (i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
			if (bpf_map__reuse_fd(bpf_object__find_map_by_name(inst[v]->obj, names[i]),
					      bpf_map__fd(bpf_object__find_map_by_name(inst[0]->obj, names[i]))))
				goto fail;
		if (steer__load(inst[v]))
			goto fail;
	}
	m = (struct bpfctl_maps){
		.config = bpf_map__fd(inst[0]->maps.data_es_config), .stats = bpf_map__fd(inst[0]->maps.es_stats),
		.ifaces = bpf_map__fd(inst[0]->maps.es_ifaces), .lpm4 = bpf_map__fd(inst[0]->maps.es_lpm4),
		.lpm6 = bpf_map__fd(inst[0]->maps.es_lpm6), .cpumap = bpf_map__fd(inst[0]->maps.es_cpumap),
		.tables = bpf_map__fd(inst[0]->maps.bss),
		.rules = bpf_map__fd(inst[0]->maps.es_rules),
		.rule_hits = bpf_map__fd(inst[0]->maps.es_rule_hits),
		.trace = bpf_map__fd(inst[0]->maps.data_es_trace),
		.trace_rb = bpf_map__fd(inst[0]->maps.es_trace_rb),
		.talkers = bpf_map__fd(inst[0]->maps.es_talkers),
	};
	if (conf_load_string("fuzz.conf", conf_text, &c, NULL) || bpfctl_write_config(&m, &c->xdp))
		goto fail;
	conf_free(c);
	stats_fd = m.stats;
	ready = 1;
	return;
fail:
	fprintf(stderr, "xdp_frame: cannot load the XDP program (%s); this target needs root "
		"and checks nothing without it\n", bpfctl_libbpf_last());
	conf_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_iface_stats before, after;
	uint32_t slot, retval;
	int c, v, moved = 0, mc = -1, mv = -1;
	size_t len;

	if (ready < 0)
		setup();
	if (!ready || size < 1 + 14 || size > 1 + 1500)
		return 0;
	slot = data[0] & 1;
	len = size - 1;
	if (bpfctl_read_slot(stats_fd, slot, &before))
		abort();
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data + 1, .data_size_in = (uint32_t)len, .repeat = 1);

		if (bpf_prog_test_run_opts(bpf_program__fd(inst[slot]->progs.es_steer), &o))
			abort();
		retval = o.retval;
	}
	if (bpfctl_read_slot(stats_fd, slot, &after))
		abort();
	if (after.rx.packets != before.rx.packets + 1 || after.rx.bytes != before.rx.bytes + len)
		abort();
	for (c = 0; c < ES_CLASS_MAX; c++)
		for (v = 0; v < ES_VERDICT_MAX; v++) {
			uint64_t dp = after.cls[c][v].packets - before.cls[c][v].packets;
			uint64_t db = after.cls[c][v].bytes - before.cls[c][v].bytes;

			if (!dp && !db)
				continue;
			if (dp != 1 || db != len)
				abort();
			moved++;
			mc = c;
			mv = v;
		}
	if (moved != 1)
		abort();
	if (retval != (mv == ES_V_PASS ? XDP_PASS : mv == ES_V_STEER ? XDP_REDIRECT : XDP_DROP))
		abort();
	if (mc == ES_CLASS_OTHER && mv != ES_V_PASS && mv != ES_V_DROP_MALFORMED)
		abort();
	return 0;
}
