#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run a command inside a root made by tests/fresh/debian-root.sh:
#
#   tests/fresh/in-root.sh ROOT CMD [ARG...]
#
# The mounts (/proc, /sys, a small /dev with /dev/fuse, /dev/pts, /dev/shm,
# /tmp, the host's resolv.conf for the mirror) are made in a private mount
# namespace whose root is ROOT (pivot_root) and a private PID namespace:
# they vanish with the command, the host's mount table never sees them, and
# every process the command left behind dies with it. The environment is a fresh login's, not the caller's.
# Exits with the command's status.
set -euo pipefail
die() { echo "in-root: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 ROOT CMD [ARG...]"
ROOT=$(cd "$1" && pwd) || die "no root at $1"
shift
[ -x "$ROOT/bin/sh" ] || die "$ROOT holds no Debian root (no /bin/sh)"
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, mounts, chroot)"

inner=$(cat <<'INNER'
set -eu
R=$1; shift
# The root as a mount of its own: inside, / is then a mount point, as on a
# real machine (`unshare --propagation private` fails on a bare directory);
# --rbind keeps what a caller mounted inside ROOT beforehand.
mount --rbind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t tmpfs -o mode=0755,nosuid dev "$R/dev"
for n in null zero full random urandom tty fuse; do
    [ -e "/dev/$n" ] || continue
    touch "$R/dev/$n" && mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777 tmp "$R/tmp"
if [ -e /etc/resolv.conf ]; then
    rm -f "$R/etc/resolv.conf" && touch "$R/etc/resolv.conf"
    mount --bind -o ro "$(readlink -f /etc/resolv.conf)" "$R/etc/resolv.conf"
fi
# pivot_root, not chroot: the namespace's root becomes the Debian root, so
# a command that enters a mount namespace (nsenter -m, as the tests' own
# namespaces do) lands in it and not on the host's /.
# The old root goes under the fresh /tmp, so the root's own /mnt (where a
# caller may have mounted something, as tests/deb does) stays as it is.
mkdir "$R/tmp/.old-root"
cd "$R"
pivot_root . tmp/.old-root
cd /
umount -l /tmp/.old-root
rmdir /tmp/.old-root
exec /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
INNER
)
exec unshare --mount --propagation private --pid --fork -- bash -c "$inner" in-root "$ROOT" "$@"
