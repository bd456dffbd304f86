#!/usr/bin/env bash
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

t0=$(date +%s)
state=warm
if [ ! -f "$TARBALL" ]; then
    mkdir -p "$CACHE"
    exec 9> "$CACHE/.lock"
    flock -w 1800 9 || die "cache lock $CACHE/.lock busy for 30 min"
    if [ ! -f "$TARBALL" ]; then    # nobody built it while we waited
        state=cold
        rm -rf "$CACHE"/.build.*    # left by a caller that was killed; we hold the lock
        if ! command -v debootstrap > /dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
                --no-install-recommends debootstrap > /dev/null ||
                die "could not install debootstrap (apt-get update first?)"
        fi
        tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" --arch="$ARCH" \
                "$SUITE" "$tmp/root" "$MIRROR" > "$tmp/debootstrap.log" 2>&1; then
            tail -n 20 "$tmp/debootstrap.log" >&2
            die "debootstrap failed (log above)"
        fi
        rm -f "$tmp"/root/var/cache/apt/archives/*.deb
        printf '%s\n' "$key" > "$tmp/root/.vgpu-debroot"
        tar -C "$tmp/root" --numeric-owner -cf "$tmp/root.tar" .
        mv -T "$tmp/root.tar" "$TARBALL"
        rm -rf "$tmp"
        trap - EXIT
    fi
    exec 9>&-
fi

mkdir -p "$DEST"
tar -C "$DEST" --numeric-owner -xpf "$TARBALL" || die "unpacking $TARBALL into $DEST failed"
echo "debian-root: $state ($SUITE $VARIANT + ${INCLUDE//,/ }) in $DEST, $(( $(date +%s) - t0 )) s"
