#!/usr/bin/env bash
# Run a command inside a root made by tests/fresh/debian-root.sh:
#
#   tests/fresh/in-root.sh ROOT CMD [ARG...]
#
# The mounts (/proc, /sys, a small /dev with /dev/fuse, /dev/pts, /dev/shm,
# /tmp, the host's resolv.conf for the mirror) are made in a private mount
# namespace and a private PID namespace: they vanish with the command, the
# host's mount table never sees them, and every process the command left
# behind dies with it. The environment is a fresh login's, not the caller's.
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
exec chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
INNER
)
exec unshare --mount --propagation private --pid --fork -- bash -c "$inner" in-root "$ROOT" "$@"
