#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Put a fresh minimal Debian 12 root into DEST, as a new user's machine
# would start: `debootstrap --variant=minbase bookworm` plus make and git.
#
#   tests/fresh/debian-root.sh DEST      DEST must be empty or absent
#
# debootstrap runs once; its result is cached as a tarball in
# $VGPU_DEBROOT_CACHE (default /var/cache/vgpu-hook-debroot), named by a hash
# of everything that decides its contents (suite, variant, architecture,
# packages, mirror, recipe version), so a changed recipe builds a new one.
# The tarball is built in a temporary directory under the cache and renamed
# into place under a lock: a concurrent caller waits for it or sees it whole,
# never half. Every call unpacks a new copy, so callers never share a root.
# Only Debian's mirror is reached ($VGPU_DEBROOT_MIRROR, default the host's).
# Prints one line: cold (built) or warm (cached), and the seconds it took.
set -euo pipefail
export LC_ALL=C

die() { echo "debian-root: $*" >&2; exit 1; }
. "$(dirname "$0")/root-cache.sh"
[ $# -eq 1 ] || die "usage: $0 DEST"
DEST=$1
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot ownership)"
if [ -e "$DEST" ]; then
    [ -d "$DEST" ] || die "$DEST exists and is not a directory"
    [ -z "$(ls -A "$DEST")" ] || die "$DEST is not empty"
fi

CACHE=${VGPU_DEBROOT_CACHE:-/var/cache/vgpu-hook-debroot}
SUITE=bookworm
VARIANT=minbase
INCLUDE=make,git
RECIPE=1        # bump when the way the root is made changes
MIRROR=${VGPU_DEBROOT_MIRROR:-http://deb.debian.org/debian}
ARCH=$(dpkg --print-architecture)
key="recipe=$RECIPE suite=$SUITE variant=$VARIANT arch=$ARCH include=$INCLUDE mirror=$MIRROR"
TARBALL=$CACHE/$SUITE-$VARIANT-$ARCH-$(printf '%s' "$key" | sha256sum | cut -c1-16).tar

# build_root TMP: the tarball, from debootstrap in TMP/root
build_root() {
    if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" --arch="$ARCH" \
            "$SUITE" "$1/root" "$MIRROR" > "$1/debootstrap.log" 2>&1; then
        tail -n 20 "$1/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    fi
    rm -f "$1"/root/var/cache/apt/archives/*.deb
    printf '%s\n' "$key" > "$1/root/.vgpu-debroot"
    tar -C "$1/root" --numeric-owner -cf "$1/root.tar" .
    mv -T "$1/root.tar" "$TARBALL"
}
t0=$(date +%s)
root_cache_once "$TARBALL" build_root

mkdir -p "$DEST"
tar -C "$DEST" --numeric-owner -xpf "$TARBALL" || die "unpacking $TARBALL into $DEST failed"
echo "debian-root: $state ($SUITE $VARIANT + ${INCLUDE//,/ }) in $DEST, $(( $(date +%s) - t0 )) s"
