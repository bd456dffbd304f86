#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run a command on this machine as if it had no usable KVM: in a private
# mount namespace whose /dev is a tmpfs copy of the real one (the real
# devtmpfs is shared with the host, so the node cannot just be changed).
# Everything the command starts (libvirtd, QEMU, the tiers' own namespaces)
# inherits that /dev; nothing outside changes.
#
#   --absent (the default): no /dev/kvm at all.
#   --root-only: /dev/kvm is a node 10:232 mode 0600 root:root, as on a
#       machine without udev: root may open it, libvirt's QEMU user may not.
#       Where the kernel has KVM it is the real device; where it has none
#       the node leads nowhere (ENXIO even for root).
#
#   tests/e2e/without-kvm.sh bash tests/e2e/test-libvirt.sh
#   tests/e2e/without-kvm.sh --root-only make check WERROR=1
set -euo pipefail
mode=absent
case ${1:-} in
    --absent) shift ;;
    --root-only) mode=root-only; shift ;;
    -*) echo "without-kvm: unknown option $1 (--absent or --root-only)" >&2; exit 2 ;;
esac
[ $# -ge 1 ] || { echo "usage: $0 [--absent|--root-only] CMD [ARG...]" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "without-kvm: needs root (mount namespace)" >&2; exit 2; }

inner=$(cat <<'INNER'
set -eu
mode=$1
shift
old=$(mktemp -d /tmp/vgpu-nokvm.XXXXXX)
mount --rbind /dev "$old"
# Detach the real /dev and its submounts here rather than hide them below
# ours: a /dev whose mount list reads like a normal machine's.
umount -l /dev
mount -t tmpfs -o mode=0755 vgpu-nokvm-dev /dev
for e in "$old"/* "$old"/.[!.]*; do
    n=${e##*/}
    [ -e "$e" ] || [ -L "$e" ] || continue
    [ "$n" = kvm ] && continue
    if [ -d "$e" ] && [ ! -L "$e" ] && mountpoint -q "$e"; then
        mkdir "/dev/$n" && mount --rbind "$e" "/dev/$n"
    else
        cp -a "$e" /dev/
    fi
done
umount -l "$old" && rmdir "$old"
[ ! -e /dev/kvm ] || { echo "without-kvm: /dev/kvm still there" >&2; exit 2; }
if [ "$mode" = root-only ]; then
    mknod -m 0600 /dev/kvm c 10 232
    chown root:root /dev/kvm
    echo "# without-kvm: /dev/kvm is $(stat -c '%A %U:%G %Hr:%Lr' /dev/kvm) in this mount namespace" >&2
else
    echo "# without-kvm: /dev/kvm hidden in this mount namespace" >&2
fi
exec "$@"
INNER
)
# A PID namespace too: inside, the command's ancestors end at its own PID 1,
# as on a machine without the wrapper, so sim-namespace.sh's "am I in a
# namespace of my own?" walk does not take the wrapper's for one.
exec unshare --mount --propagation private --pid --fork --mount-proc -- \
    bash -c "$inner" without-kvm "$mode" "$@"
