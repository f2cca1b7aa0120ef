#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs the package into a copy of the cached Debian 12 root the way a
# user would (apt-get install ./edgesteer_*.deb), boots it under
# systemd-nspawn with checks.sh as a oneshot unit, and leaves the checks'
# results in WORK/results/out.
#
#   boot.sh ROOT DEB WORK
#
# The copy lives in WORK (named after the test's PID by the caller) and is
# removed by the caller; the cached ROOT is never written. The container
# gets its own network namespace (--private-network; checks.sh builds a
# veth pair in it) and its own bpffs instance bound on /sys/fs/bpf, so
# its pins cannot meet the host's.
set -euo pipefail
cache_root=$1 deb=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
NSPAWN=(systemd-nspawn -q --register=no --keep-unit)

mkdir -p "$work/results" "$work/bpffs"
cp -a --reflink=auto "$cache_root" "$work/root"
root=$work/root

# 1. Install as a user would; Depends come from the root's apt cache.
cp "$deb" "$root/root/"
"${NSPAWN[@]}" -D "$root" --pipe -E DEBIAN_FRONTEND=noninteractive -- \
	apt-get install -y -q "/root/$(basename "$deb")" > "$work/install.log" 2>&1 ||
	{ cat "$work/install.log" >&2; echo "boot: apt-get install failed" >&2; exit 1; }

# 2. The checks run once edgesteer.service is up, then power off.
install -m 0755 "$here/checks.sh" "$root/usr/local/sbin/es-checks"
cat > "$root/etc/systemd/system/es-checks.service" <<'UNIT'
[Unit]
Description=edgesteer checks under systemd
After=edgesteer.service network.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/es-checks
TimeoutStartSec=200
FailureAction=poweroff
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/es-checks.service \
	"$root/etc/systemd/system/multi-user.target.wants/es-checks.service"

# 3. Boot. A private bpffs, so pins never meet the host's; nspawn's own
# seccomp filter refuses bpf() even with --capability=all, so allow it.
mount -t bpf bpf "$work/bpffs"
rc=0
timeout --kill-after=10 "$BOOT_TIMEOUT" "${NSPAWN[@]}" -D "$root" --capability=all \
	--private-network --system-call-filter="bpf perf_event_open" \
	--bind="$work/bpffs:/sys/fs/bpf" --bind="$work/results:/results" \
	--console=pipe -b < /dev/null > "$work/console.log" 2>&1 || rc=$?
umount "$work/bpffs" 2>/dev/null || true
if [ ! -s "$work/results/out" ]; then
	tail -n 60 "$work/console.log" >&2
	echo "boot: the container (rc $rc) wrote no results" >&2
	exit 1
fi
exit 0
