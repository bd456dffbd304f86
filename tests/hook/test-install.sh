#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make install` / `make uninstall` into a DESTDIR: what goes where, that an
# existing qemu hook and config are left alone, the libvirt < 6.5 fallback,
# and that the installed hook, run through its qemu.d link, finds its core
# and works.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"
PLAIN=${BPLAIN:-$TOP/build/plain}
R=$WORK/root

inst() {   # inst TARGET [VAR=VALUE...]: make TARGET into $R, output in $OUT
    OUT=$(make -s -C "$TOP" O="$PLAIN" DESTDIR="$R" PREFIX=/usr SYSCONFDIR=/etc "$@" 2>&1)
}

inst install LIBVIRT_VERSION=9.0.0
t_eq "install: exit 0" 0 "$?"
for f in usr/libexec/vgpu-hook/vgpu-hook usr/libexec/vgpu-hook/vgpu-hook-core.so usr/bin/vgpuctl \
         etc/libvirt/vgpu-hook.conf usr/share/man/man8/vgpu-hook.8 usr/share/man/man5/vgpu-hook.conf.5 \
         usr/share/man/man1/vgpuctl.1 usr/share/bash-completion/completions/vgpuctl \
         usr/sbin/vgpu-keeper usr/share/man/man8/vgpu-keeper.8 usr/lib/systemd/system/vgpu-keeper.service; do
    t_eq "install: $f" yes "$([ -e "$R/$f" ] && echo yes)"
done
t_eq "install: qemu.d link to libexec" /usr/libexec/vgpu-hook/vgpu-hook \
    "$(readlink "$R/etc/libvirt/hooks/qemu.d/vgpu-hook")"
t_eq "install: no monolithic qemu hook on libvirt 9" no "$([ -e "$R/etc/libvirt/hooks/qemu" ] && echo yes || echo no)"
t_match "install: says libvirtd needs a restart when no hook existed" "restart libvirtd" "$OUT"
unit=$R/usr/lib/systemd/system/vgpu-keeper.service
t_eq "install: the keeper's unit runs the installed keeper, after the daemons" \
    "ExecStart=/usr/sbin/vgpu-keeper After=libvirtd.service virtqemud.service" \
    "$(grep '^ExecStart=' "$unit") $(grep '^After=' "$unit")"
inst install LIBVIRT_VERSION=9.0.0 SYSTEMDUNITDIR=/lib/systemd/system
t_eq "install: SYSTEMDUNITDIR places the unit" yes "$([ -e "$R/lib/systemd/system/vgpu-keeper.service" ] && echo yes)"
rm -f "$R/lib/systemd/system/vgpu-keeper.service"

# The installed hook, reached through a link as libvirt reaches it.
fresh a40x2-sriov
ln -s "$R/usr/libexec/vgpu-hook/vgpu-hook" "$WORK/qemu.d-link"
"$WORK/qemu.d-link" vm-a40-2q prepare begin - < "$TOP/examples/vm-a40-2q.xml" 2> "$WORK/err"
t_eq "installed hook through a link: finds its core, creates the device" "0:1" "$?:$(mdev_count)"
"$WORK/qemu.d-link" vm-a40-2q release end - < "$TOP/examples/vm-a40-2q.xml"
t_eq "installed hook: release" "0:0" "$?:$(mdev_count)"

echo "# edited" >> "$R/etc/libvirt/vgpu-hook.conf"
printf '#!/bin/sh\nexit 0\n' > "$R/etc/libvirt/hooks/qemu"
inst install LIBVIRT_VERSION=9.0.0
t_eq "reinstall: existing config kept" "# edited" "$(tail -n 1 "$R/etc/libvirt/vgpu-hook.conf")"
t_match "reinstall: says so" "kept the existing /etc/libvirt/vgpu-hook.conf" "$OUT"
t_eq "reinstall: existing qemu script untouched" "exit 0" "$(tail -n 1 "$R/etc/libvirt/hooks/qemu")"
t_eq "reinstall: no restart notice when a hook existed" "" "$(grep -o 'restart libvirtd' <<< "$OUT")"

inst install LIBVIRT_VERSION=6.0.0
t_match "libvirt 6.0 with a qemu script: left untouched, says so" "has no qemu.d/ and /etc/libvirt/hooks/qemu exists: left untouched" "$OUT"
t_eq "libvirt 6.0 with a qemu script: content unchanged" "exit 0" "$(tail -n 1 "$R/etc/libvirt/hooks/qemu")"
rm "$R/etc/libvirt/hooks/qemu"
inst install LIBVIRT_VERSION=6.0.0
t_eq "libvirt 6.0 without one: qemu -> libexec" /usr/libexec/vgpu-hook/vgpu-hook \
    "$(readlink "$R/etc/libvirt/hooks/qemu")"
t_match "libvirt 6.0 without one: says so" "installed /etc/libvirt/hooks/qemu" "$OUT"

inst uninstall
t_eq "uninstall: binaries gone" no \
    "$([ -e "$R/usr/bin/vgpuctl" ] || [ -e "$R/usr/libexec/vgpu-hook/vgpu-hook" ] ||
       [ -e "$R/usr/sbin/vgpu-keeper" ] || [ -e "$unit" ] && echo yes || echo no)"
t_eq "uninstall: our links gone" no \
    "$([ -L "$R/etc/libvirt/hooks/qemu" ] || [ -L "$R/etc/libvirt/hooks/qemu.d/vgpu-hook" ] && echo yes || echo no)"
t_eq "uninstall: config kept" yes "$([ -e "$R/etc/libvirt/vgpu-hook.conf" ] && echo yes)"
t_done
