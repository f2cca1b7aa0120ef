#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds, once, a minimal Debian 12 root that boots under systemd-nspawn,
# and caches it outside the repository; prints its path.
#
#   mkroot.sh CACHE_DIR DEP...
#
# DEP... are the package's run-time dependencies (from the .deb's Depends):
# they are downloaded into the root's apt cache but not installed, so that
# `apt-get install ./edgesteer_*.deb` inside resolves Depends the way it
# does for a user, without the network. The cache is keyed by a hash of
# the package lists and the apt sources, and rebuilt when older than
# MAX_AGE_DAYS (security updates) or when the key changes.
set -euo pipefail

cache=$1; shift
deps=("$@")
MAX_AGE_DAYS=${MAX_AGE_DAYS:-14}
SUITE=bookworm
# systemd and dbus boot it; iproute2 builds the veth pair the XDP check
# uses; apt is in minbase.
INCLUDE=systemd,systemd-sysv,dbus,iproute2

# The mirror the host's apt uses (deb822 or one-line sources).
sources=
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
	if [ -s "$f" ] && grep -q '^[^#]*deb' "$f"; then sources=$f; break; fi
done
[ -n "$sources" ] || { echo "mkroot: no Debian apt sources on this machine" >&2; exit 1; }

key=$(printf '%s\n' "$SUITE" "$INCLUDE" "${deps[@]}" "$(grep -v '^#' "$sources")" \
	"$(sha256sum "$0" | cut -d' ' -f1)" | sha256sum | cut -c1-16)
root=$cache/debian12-$key
mkdir -p "$cache"

exec 9>"$cache/lock"
flock -w 1200 9 || { echo "mkroot: $cache/lock held for 20 minutes" >&2; exit 1; }

if [ -f "$root/.complete" ] && \
   [ -z "$(find "$root/.complete" -mtime +"$MAX_AGE_DAYS" 2>/dev/null)" ]; then
	echo "$root"
	exit 0
fi

# Stale or other keys go: one root of ~300 MB is enough.
for old in "$cache"/debian12-*; do
	[ -e "$old" ] && rm -rf --one-file-system "$old"
done
tmp=$cache/.building-$$
rm -rf "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
echo "mkroot: building a Debian 12 root in $root (once)" >&2
mmdebstrap --quiet --variant=minbase --include="$INCLUDE" \
	--skip=cleanup/apt/lists --skip=cleanup/apt/cache \
	--customize-hook="chroot \"\$1\" apt-get install -y -qq --download-only ${deps[*]}" \
	--customize-hook='echo edgesteer-test > "$1/etc/hostname"' \
	--customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
	"$SUITE" "$tmp" "$sources" >&2
touch "$tmp/.complete"
mv "$tmp" "$root"
trap - EXIT
echo "$root"
