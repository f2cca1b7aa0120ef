/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpfctl_int.h - shared by the files of user/xdp only.
 */
#ifndef EDGESTEER_BPFCTL_INT_H
#define EDGESTEER_BPFCTL_INT_H

#include <stdint.h>

#include "bpfctl.h"

/* Open a pinned map for reading, only if its layout is this binary's
 * (key of 4 bytes, value_size, max_entries; 0 = any size). */
int bpfctl_open_pinned_map(const char *pin_path, const char *name, uint32_t value_size,
			   uint32_t max_entries);
/* Possible CPUs (per-CPU map values). */
int bpfctl_ncpus(void);
/* The es_rules table of generation `gen` (ES_RULE_MAX entries); the hits
 * of rules that were already there (same class, list and prefix) carry
 * over to their new ids, every other id starts at zero. */
int bpfctl_rules_write(const struct bpfctl_maps *m, uint8_t gen, const struct es_rule *tab);

#endif
