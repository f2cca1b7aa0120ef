#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every Debian package that the build, the tests, the demo and the
# benchmarks need. Idempotent: prints nothing when everything is present.
#   scripts/deps.sh          the native build, tests, demo, benchmarks
#   scripts/deps.sh --arm64  also the arm64 cross build (multiarch libraries,
#                            cross compiler, qemu for its unit tests)
set -eu

PACKAGES=(
	# build
	make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libbearssl-dev libinih-dev pkg-config
	nettle-dev             # P-256/X25519/ECDSA under BearSSL (libhogweed, libgmp)
	linux-libc-dev
	groff-base man-db      # tests render the man pages (groff -ww, man -l)
	# tests: fuzzing runtime, namespaces, real peers
	libclang-rt-14-dev iproute2 openssl curl nginx-light rsyslog
	rsyslog-openssl rsyslog-gnutls bsdutils socat procps psmisc
	systemd prometheus ethtool python3 iputils-ping
	nftables               # watchdog e2e: neighbours that go deaf or stop answering ARP
	# tests: `top` in a terminal, edgesteer(8) rendered by man, bash completion
	tmux man-db groff-base bsdextrautils bash
	tcpdump                # tests: the trace's pcapng must open with tcpdump -r
	# benchmarks: the peers we measure against; libssl-dev for the syslog sink
	libssl-dev
	haproxy sniproxy xdp-tools iperf3
	libnginx-mod-stream    # nginx stream + ssl_preread for the proxy bench
	linux-perf             # bench: syscalls per connection, profiles
	liburing-dev           # bench: the io_uring yardstick relay
	# make deb, and the systemd test that boots the package
	debhelper dpkg-dev lintian mmdebstrap systemd-container
)

if [ "${1:-}" = --arm64 ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] || { echo "deps.sh: run as root to add the arm64 architecture" >&2; exit 1; }
		dpkg --add-architecture arm64
		apt-get update -qq
	fi
	PACKAGES+=(crossbuild-essential-arm64 qemu-user-static
		   libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libbearssl-dev:arm64
		   nettle-dev:arm64 libinih-dev:arm64 libc6-dev:arm64 linux-libc-dev:arm64)
fi

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
