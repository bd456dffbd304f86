#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ns-keeper.sh LV_WORK SIM_ROOT TOP — the long-lived process that holds the
# test's private mount namespace (started by lv_start under
# `unshare -m --propagation private`). Sets up every mount, writes
# LV_WORK/keeper.ready (or LV_WORK/keeper.failed), then sleeps until killed.
# Nothing here is visible outside the namespace: every change is a mount in
# it, on a tmpfs of its own; nothing is written to the real /etc, /var, /run,
# /dev or /sys.
set -eu
W=$1
SIM=$2
TOP=$3
NS=/run/vgpu-e2e          # on the namespace's own /run tmpfs

phase() { echo "ns-keeper: $(date +%T.%N) $*"; }
fail() { echo "ns-keeper: $*" >&2; : > "$W/keeper.failed"; exit 1; }
trap 'fail "setup failed at line $LINENO"' ERR

# LV_ROOT: the Debian root to run the daemons from becomes this namespace's
# / (pivot_root, so that nsenter -m lands in it), under an overlay whose
# upper layer is a tmpfs: the cached root is never written. The host's
# /proc, /sys and /dev and the paths the tier names (the source tree, the
# work dir, the simulator, the capability cache) stay at their places.
if [ -n "${LV_ROOT:-}" ]; then
    phase "root $LV_ROOT"
    R=$W/root
    mkdir -p "$R" "$W/overlay"
    mount -t tmpfs -o mode=0755 vgpu-e2e-overlay "$W/overlay"
    mkdir "$W/overlay/upper" "$W/overlay/work"
    mount -t overlay -o "lowerdir=$LV_ROOT,upperdir=$W/overlay/upper,workdir=$W/overlay/work" \
        vgpu-e2e-root "$R"
    for d in proc sys dev; do mount --rbind "/$d" "$R/$d"; done
    binds=("$TOP" "$W" "$SIM")
    [ -n "${LV_CACHE_DIR:-}" ] && binds+=("$LV_CACHE_DIR")
    case ${LV_HOOK:-} in "$TOP"/* | '') ;; *) binds+=("$(dirname "$(dirname "$LV_HOOK")")") ;; esac
    for p in "${binds[@]}"; do
        mkdir -p "$R$p"
        mount --bind "$p" "$R$p"
    done
    cd "$R"
    mkdir -p .old-root
    pivot_root . .old-root
    cd /
    umount -l /.old-root
    rmdir /.old-root
fi

# /run: a fresh tmpfs (pidfiles, sockets, the hook's state dir).
mount -t tmpfs -o mode=0755 vgpu-e2e-run /run
mkdir -p /run/lock /run/user "$NS"/dev "$NS"/etc /run/vgpu-hook
chmod 1777 /run/lock
ln -s /dev/shm /run/shm

phase "sysfs"
# /sys: the real sysfs with the simulator's tree at its places.
bash "$TOP/tests/sim/sim-namespace.sh" "$SIM"
# A whole-VF host (a40x2-vfio, mi300x-4) has no mdev bus: its PCI tree shows it.
if [ -d "$SIM/class/mdev_bus" ]; then
    [ -d /sys/bus/mdev/devices ] && [ -d /sys/class/mdev_bus ] || fail "simulator not visible at /sys"
else
    [ -e "/sys/bus/pci/devices/$(ls "$SIM/bus/pci/devices" | head -n 1)/vendor" ] ||
        fail "simulator not visible at /sys"
fi

phase "dev"
# /dev: a tmpfs copy of the real /dev (fresh devpts and shm instances), so
# that /dev/vfio and /dev/log can be added without touching the real devtmpfs.
mount --rbind /dev "$NS"/dev
# Drop the real /dev's submounts first: libvirt moves every mount listed
# below /dev/ into each QEMU's private /dev, and a hidden duplicate makes
# that fail ("Unable to move /dev/pts mount ...: Invalid argument").
findmnt -R -l -n -o TARGET /dev | grep '^/dev/' | sort -r | while read -r m; do umount -l "$m"; done
mount -t tmpfs -o mode=0755 vgpu-e2e-dev /dev
plain=()
for e in "$NS"/dev/* "$NS"/dev/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    if [ -d "$e" ] && [ ! -L "$e" ] && mountpoint -q "$e"; then
        # Fresh instances, not binds: libvirt moves /dev/pts and /dev/shm
        # into each QEMU's private /dev, which fails (EINVAL) on the host's
        # stacked devpts mounts.
        mkdir "/dev/${e##*/}"
        case ${e##*/} in
            pts) mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts ;;
            shm) mount -t tmpfs -o mode=1777 vgpu-e2e-shm /dev/shm ;;
            *) mount --rbind "$e" "/dev/${e##*/}" ;;
        esac
    else
        plain+=("$e")
    fi
done
cp -a "${plain[@]}" /dev/
[ -d /dev/pts ] && ln -sf pts/ptmx /dev/ptmx
# In a Debian root the group kvm has its own number (udev there would give
# /dev/kvm to it): QEMU runs in that group.
if [ -n "${LV_ROOT:-}" ] && [ -c /dev/kvm ]; then chgrp kvm /dev/kvm; fi
mkdir -m 0755 /dev/vfio
mknod -m 0666 /dev/vfio/vfio c 10 196
# Group nodes: the simulator numbers groups from 0 and never reuses one.
# /dev/null's numbers: libvirt and the emulator wrapper may open them.
# One python3 (virtinst's dependency) rather than 512 mknod processes.
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 -c '
import os, sys
os.umask(0)
for i in range(int(sys.argv[1])):
    os.mknod("/dev/vfio/%d" % i, 0o20660, os.makedev(1, 3))
' "${LV_VFIO_GROUPS:-512}"
else
    for ((i = 0; i < ${LV_VFIO_GROUPS:-128}; i++)); do mknod -m 0660 /dev/vfio/$i c 1 3; done
fi

phase "etc"
# /etc/libvirt: a tmpfs copy of the real one with our qemu.conf, config,
# hook link and no domain or network definitions (the real default network
# would create a bridge on the host).
mount --bind /etc/libvirt "$NS"/etc
mount -t tmpfs -o mode=0755 vgpu-e2e-etc /etc/libvirt
cp -a "$NS"/etc/. /etc/libvirt/
rm -rf /etc/libvirt/qemu /etc/libvirt/hooks
mkdir -p /etc/libvirt/qemu /etc/libvirt/hooks/qemu.d
cp "$W/qemu.conf" /etc/libvirt/qemu.conf
[ ! -e "$W/libvirtd.conf.extra" ] || cat "$W/libvirtd.conf.extra" >> /etc/libvirt/libvirtd.conf
cp "$W/vgpu-hook.conf" /etc/libvirt/vgpu-hook.conf
[ -n "${LV_HOOK:-}" ] && ln -s "$LV_HOOK" /etc/libvirt/hooks/qemu.d/vgpu-hook

# libvirt's state, logs and caches: nothing persists.
for d in /var/lib/libvirt /var/log/libvirt; do
    mount -t tmpfs -o mode=0755 vgpu-e2e-var "$d"
done
mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu
if [ -n "${LV_CACHE_DIR:-}" ]; then
    mount --bind "$LV_CACHE_DIR" /var/cache/libvirt
else
    mount -t tmpfs -o mode=0755 vgpu-e2e-var /var/cache/libvirt
fi

# /dev/log: the hook logs with syslog(3) and there is no syslog daemon here;
# a tiny listener keeps its lines in LV_WORK/syslog.log (optional).
if [ "${LV_SYSLOG:-1}" = 1 ] && [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "a", buffering=1)
while True:
    out.write(s.recv(65536).decode(errors="replace").rstrip("\n\0") + "\n")
' "$W/syslog.log" < /dev/null > /dev/null 2>> "$W/keeper.log" &
    echo $! > "$W/syslog.pid"
    # Ready only once /dev/log is bound: Python starts slowly on a loaded
    # machine, and a hook line sent before the bind is lost for good.
    for i in $(seq 1 600); do
        [ -S /dev/log ] && break
        kill -0 "$(cat "$W/syslog.pid")" 2>/dev/null || break
        sleep 0.05
    done
fi

trap - ERR
phase "ready"
: > "$W/keeper.ready"
exec sleep infinity
