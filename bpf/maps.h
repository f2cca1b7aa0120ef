/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps.h - the maps of steer.bpf.c. Layouts come from edgesteer_abi.h;
 * user space pins and reuses them (see user/bpfctl.c), so every map here
 * carries BTF for its key and value.
 */
#ifndef EDGESTEER_BPF_MAPS_H
#define EDGESTEER_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "edgesteer_abi.h"

/* The configuration record is a global variable in a section of its own
 * (libbpf makes it a one-element array map, pinned as es_config, written
 * by user space as before): read with plain loads at a constant address,
 * no lookup and no pointer to keep in a register across the frame. */
struct es_config es_config SEC(ES_CONFIG_SEC);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ES_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct es_iface_stats);
} es_stats SEC(".maps");

/* Never read by the program; defined here so that it is created and
 * pinned with the others and bpftool can show slot -> interface. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ES_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct es_iface);
} es_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ES_LPM_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct es_lpm4_key);
	__type(value, struct es_policy);
} es_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ES_LPM_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct es_lpm6_key);
	__type(value, struct es_policy);
} es_lpm6 SEC(".maps");

/* The direct policy tables and the token buckets: a global variable, so
 * the program reads them with plain loads at a constant address (libbpf
 * makes the .bss section a one-element array map; user space pins it as
 * es_tables and writes the tables through mmap). See struct es_tables. */
struct es_tables es_tables;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, ES_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} es_cpumap SEC(".maps");

/* Rule ids of both generations (user space only: labels for the hits). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * ES_RULE_MAX);
	__type(key, __u32);
	__type(value, struct es_rule);
} es_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * ES_RULE_MAX);
	__type(key, __u32);
	__type(value, struct es_ctr);
} es_rule_hits SEC(".maps");

/* The trace filter is a global variable in a section of its own: libbpf
 * makes the section a one-element array map (named ES_TRACE_SEC), which
 * user space shares between the instances and pins as es_trace like the
 * maps here, and the program reads it with a plain load. While no trace
 * runs a frame pays one load and a test, no map lookup (a lookup is a
 * call to the compiler, and the registers it clobbers cost spills). */
struct es_trace_cfg es_trace SEC(ES_TRACE_SEC);

/* Slot -> that interface's es_steer_traced (set by user space when it
 * loads the instance): where es_steer jumps while a trace runs. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, ES_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} es_traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ES_TRACE_RB_SIZE);
} es_trace_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ES_TALK_SLOTS);
	__type(key, __u32);
	__type(value, struct es_talker);
} es_talkers SEC(".maps");

#endif
