#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every Debian package that the build, the tests, the demo and the
# benchmarks need. Idempotent: prints nothing when everything is present.
set -eu

PACKAGES=(
	# build
	make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libbearssl-dev libinih-dev libsystemd-dev pkg-config
	linux-libc-dev
	groff-base man-db      # tests render the man pages (groff -ww, man -l)
	# tests: fuzzing runtime, namespaces, real peers
	libclang-rt-14-dev iproute2 openssl curl nginx-light rsyslog
	rsyslog-openssl rsyslog-gnutls bsdutils socat procps psmisc
	systemd prometheus ethtool python3 iputils-ping
	tcpdump                # tests: the trace's pcapng must open with tcpdump -r
	# benchmarks: the peers we measure against; libssl-dev for the syslog sink
	libssl-dev
	haproxy sniproxy xdp-tools iperf3
	libnginx-mod-stream    # nginx stream + ssl_preread for the proxy bench
	linux-perf             # bench: syscalls per connection, profiles
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
