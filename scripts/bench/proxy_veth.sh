#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# proxy_veth.sh - the connection figures of the proxy benchmark (CPU per
# connection, conn/s, p50/p99 and syscalls at c=32) with the load
# generator and the upstream in network namespaces over veth pairs with
# threaded NAPI, so that the proxy's CPU time holds its own work and not
# its peers' TCP work, as loopback charges it (see BENCH_PROXY_NET in
# proxy.sh, which does the work; the c=32 figures come from its rounds).
# Part of `make bench`; about 2 min.
# Knobs: those of proxy.sh; BENCH_TARGETS defaults to the direct path,
# edgesteer and HAProxy (splice forced, and default).
set -eu
export BENCH_PROXY_NET=veth BENCH_CONCS=${BENCH_CONCS:-32} BENCH_BULK_SECS=0 BENCH_IDLE=0
export BENCH_TARGETS=${BENCH_TARGETS:-"direct edgesteer haproxy haproxy-default"}
export BENCH_PORT_BASE=${BENCH_PORT_BASE:-24100}
exec bash "$(dirname "$0")/proxy.sh" "$@"
