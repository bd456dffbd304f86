#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A cached Debian root with a newer libvirt's daemons and QEMU than the
# host's, for tests/e2e/test-libvirt-trixie.sh (the libvirt that
# vendor-specific NVIDIA hosts run; Debian 12's 9.0 refuses their VFs).
#
#   tests/e2e/libvirt-root.sh [trixie|bookworm-backports]
#       prints the root's path on stdout
#
# trixie: Debian 13 as it ships. bookworm-backports: Debian 12 with libvirt
# and QEMU from bookworm-backports (the Debian 12 way to a newer libvirt).
# `debootstrap --variant=minbase SUITE`, then `apt-get install
# --no-install-recommends` of the packages below inside it, runs once;
# the unpacked root is cached as a directory under $VGPU_LIBVIRT_ROOT_CACHE
# (default /var/cache/vgpu-hook-libvirt-root), named by a hash of everything that
# decides its contents, so a changed recipe builds a new one. It is built in
# a temporary directory under the cache and renamed into place under a lock:
# a concurrent caller waits for it or sees it whole, never half. Callers
# must not write to it: the tier lays a tmpfs overlay on it, so every run
# starts from the same root and leaves nothing behind.
# Only Debian's mirror is reached ($VGPU_DEBROOT_MIRROR, default
# deb.debian.org). One line on stderr says cold (built) or warm, and the
# seconds it took.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "libvirt-root: $*" >&2; exit 1; }
. "$HERE/../fresh/root-cache.sh"
FLAVOUR=${1:-trixie}
case $FLAVOUR in
    trixie) SUITE=trixie; TARGET= ;;
    bookworm-backports) SUITE=bookworm; TARGET=bookworm-backports ;;
    *) die "usage: $0 [trixie|bookworm-backports]" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap)"

CACHE=${VGPU_LIBVIRT_ROOT_CACHE:-/var/cache/vgpu-hook-libvirt-root}
VARIANT=minbase
# What Debian users install for KVM guests (without Recommends: no
# networking, storage or firmware helpers); python3 for the namespace's
# /dev/log listener and /dev/vfio nodes (tests/e2e/ns-keeper.sh); tini as
# the daemons' subreaper (tests/e2e/libvirt-env.sh); libpci3, the one
# library of the hook's that trixie's libvirt does not pull in.
INCLUDE=libvirt-daemon-system,libvirt-clients,qemu-system-x86,tini,python3,libpci3
RECIPE=1        # bump when the way the root is made changes
MIRROR=${VGPU_DEBROOT_MIRROR:-http://deb.debian.org/debian}
ARCH=$(dpkg --print-architecture)
key="recipe=$RECIPE suite=$SUITE target=$TARGET variant=$VARIANT arch=$ARCH include=$INCLUDE mirror=$MIRROR"
ROOT=$CACHE/$FLAVOUR-$VARIANT-$ARCH-$(printf '%s' "$key" | sha256sum | cut -c1-16)

# build_root TMP: the root, built in TMP/root and renamed to $ROOT
build_root() {
    local apt
    # Bookworm's debootstrap knows trixie; its keyring checks the
    # Release signature (trixie is signed with bookworm's keys too).
    # Only the base system here: debootstrap's own resolver fails on
    # trixie's systemd; apt inside the root installs the rest (for
    # backports, their libvirt and QEMU and what those need from there).
    if ! debootstrap --variant="$VARIANT" --arch="$ARCH" \
            "$SUITE" "$1/root" "$MIRROR" > "$1/build.log" 2>&1; then
        cp "$1/build.log" "$CACHE/last-failure.log"
        tail -n 20 "$1/build.log" >&2
        die "debootstrap $SUITE from $MIRROR failed (log above, kept in $CACHE/last-failure.log)"
    fi
    # No maintainer script may start a daemon while the root is built.
    printf '#!/bin/sh\nexit 101\n' > "$1/root/usr/sbin/policy-rc.d"
    chmod 0755 "$1/root/usr/sbin/policy-rc.d"
    apt=(apt-get install -y -q --no-install-recommends)
    if [ -n "$TARGET" ]; then
        echo "deb $MIRROR $TARGET main" > "$1/root/etc/apt/sources.list.d/$TARGET.list"
        apt=(sh -c "apt-get update -q && exec \"\$@\"" apt "${apt[@]}" -t "$TARGET")
    fi
    if ! bash "$HERE/../fresh/in-root.sh" "$1/root" env DEBIAN_FRONTEND=noninteractive \
            "${apt[@]}" ${INCLUDE//,/ } >> "$1/build.log" 2>&1; then
        cp "$1/build.log" "$CACHE/last-failure.log"
        tail -n 20 "$1/build.log" >&2
        die "apt-get install in the $SUITE root failed (log above, kept in $CACHE/last-failure.log)"
    fi
    rm -f "$1/root/usr/sbin/policy-rc.d"
    rm -f "$1"/root/var/cache/apt/archives/*.deb
    printf '%s\n' "$key" > "$1/root/.vgpu-libvirt-root"
    rm -rf "$ROOT"              # a half-renamed leftover cannot exist, but be sure
    mv -T "$1/root" "$ROOT"
}
t0=$(date +%s)
root_cache_once "$ROOT/.vgpu-libvirt-root" build_root
echo "libvirt-root: $state ($FLAVOUR $VARIANT + ${INCLUDE//,/ }) in $ROOT, $(( $(date +%s) - t0 )) s" >&2
echo "$ROOT"
