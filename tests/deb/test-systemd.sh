#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The package under a real systemd: a fresh Debian 12 root
# (tests/fresh/debian-root.sh) with systemd, libvirt-daemon-system and QEMU
# from Debian, the package installed with dpkg -i, booted with
# `systemd-nspawn --boot`. libvirtd and vgpu-keeper run from their units,
# the keeper confined as its unit says. Checked inside: the keeper's
# exposure by `systemd-analyze security` is at most 4; a metadata-only
# `virsh define` gets its <hostdev> from the confined keeper; the installed
# hook, run as libvirtd runs it, creates and removes the device on the
# simulator, and `journalctl VGPU_UUID=…` shows the device's life: the
# keeper's hostdev-added, the hook's created and removed.
#
# The simulator runs on the host, mounted at /mnt/vgpu-sim inside the root
# before the boot (nspawn keeps mounts below its directory); the shipped
# config is pointed at it (sysfs_root), for the hook and the keeper. No VM is
# started (no /dev/kvm is needed): the hook is run as libvirtd runs it,
# with the domain's XML on stdin.
#
# nspawn runs with --keep-unit --register=no: it then needs neither a
# systemd as the host's PID 1 nor a system bus (CI containers have
# neither). Needs root, systemd-container, debootstrap, dpkg-dev,
# debhelper and Debian's mirror (downloads are kept in $SYSTEMD_CACHE).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build/plain}    # for the simulator; build/san under make check
. "$TOP/tests/lib.sh"
SYSTEMD_CACHE=${VGPU_SYSTEMDTIER_CACHE:-/var/cache/vgpu-hook-systemdtier}
WORK=$(mktemp -d /tmp/vgpu-systemdtest.XXXXXX)
R=$WORK/root
IN_ROOT=$TOP/tests/fresh/in-root.sh
MACHINE=vgpu-systemd-$$
NSPAWN_PID= NSPAWN_START= LEADER=

# Power the machine off (nspawn then exits); killed only when it does not
# within 60 s, which is a failed check.
machine_stop() {
    [ -n "$NSPAWN_PID" ] || return 0
    [ -n "$LEADER" ] && inm systemctl poweroff > /dev/null 2>&1
    local i
    for i in $(seq 1 1200); do same_proc "$NSPAWN_PID" "$NSPAWN_START" || break; sleep 0.05; done
    if same_proc "$NSPAWN_PID" "$NSPAWN_START"; then
        t_fail "systemd: the machine powers off" "nspawn $NSPAWN_PID still there after 60 s; killed"
        kill -KILL "$NSPAWN_PID" 2>/dev/null
    fi
    wait "$NSPAWN_PID" 2>/dev/null
    NSPAWN_PID= LEADER=
}
cleanup() {
    machine_stop
    sim_stop
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

inroot() { "$IN_ROOT" "$R" "$@"; }
# inm CMD...: CMD inside the booted machine, as its own root shell runs it
inm() {
    nsenter -t "$LEADER" -a -- /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

[ "$(id -u)" -eq 0 ] || { t_skip "systemd tier" "needs root (debootstrap, nspawn)"; t_done; exit 0; }
for tool in dpkg-buildpackage dh debootstrap systemd-nspawn nsenter; do
    command -v "$tool" > /dev/null ||
        { t_fail "systemd: $tool installed" "run tests/ensure-deps.sh test"; t_done; exit 1; }
done
[ -x "$B/tests/sim/vgpu-sim" ] || { t_fail "systemd: simulator built" "no $B/tests/sim/vgpu-sim"; t_done; exit 1; }

# ---- the package, and a Debian 12 root with systemd, libvirtd and QEMU
make -s -C "$TOP" deb DEB_O="$WORK/deb" > "$WORK/build.log" 2>&1
VERSION=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")
DEB=$WORK/deb/vgpu-hook_${VERSION}_$(dpkg --print-architecture).deb
t_eq "make deb" yes "$([ -f "$DEB" ] && echo yes)"
[ -f "$DEB" ] || { tail -n 20 "$WORK/build.log" | sed 's/^/# /'; t_done; exit 1; }

"$TOP/tests/fresh/debian-root.sh" "$R" > "$WORK/root.log" 2>&1
t_eq "fresh Debian 12 root" 0 "$?"
[ -x "$R/bin/sh" ] || { sed 's/^/# /' "$WORK/root.log"; t_done; exit 1; }
mkdir -p "$SYSTEMD_CACHE/lists" "$SYSTEMD_CACHE/archives"
exec {cache_lock}> "$SYSTEMD_CACHE/.lock"    # concurrent runs never copy half a cache
flock -w 600 "$cache_lock" || t_fail "systemd: cache lock $SYSTEMD_CACHE/.lock" "busy for 10 min"
cp -a "$SYSTEMD_CACHE/lists/." "$R/var/lib/apt/lists/"
cp -a "$SYSTEMD_CACHE/archives/." "$R/var/cache/apt/archives/"
inroot env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get satisfy -y -qq --no-install-recommends "$1"' _ \
    "$(dpkg-deb -f "$DEB" Depends), systemd, systemd-sysv, dbus, libvirt-daemon-system, libvirt-clients, qemu-system-x86" \
    > "$WORK/apt.log" 2>&1
t_eq "root: systemd, libvirt-daemon-system, QEMU and the package's Depends from the mirror" 0 "$?"
tail -n 5 "$WORK/apt.log" | grep -i 'err\|fail' | sed 's/^/# /'
inroot apt-get autoclean -qq > /dev/null 2>&1
cp -a "$R/var/lib/apt/lists/." "$SYSTEMD_CACHE/lists/"
rm -f "$SYSTEMD_CACHE/archives/"*.deb
cp -a "$R/var/cache/apt/archives/"*.deb "$SYSTEMD_CACHE/archives/" 2>/dev/null
exec {cache_lock}>&-
rm -f "$R/var/cache/apt/archives/"*.deb

cp "$DEB" "$R/root/vgpu-hook.deb"
inroot dpkg -i /root/vgpu-hook.deb > "$WORK/dpkg.log" 2>&1
t_eq "dpkg -i the package" 0 "$?"
echo "sysfs_root=/mnt/vgpu-sim" >> "$R/etc/libvirt/vgpu-hook.conf"
t_eq "installed: vgpu-keeper.service enabled" yes \
    "$([ -L "$R/etc/systemd/system/multi-user.target.wants/vgpu-keeper.service" ] && echo yes)"

# ---- the simulator inside the root's tree, then the boot
SIM_ROOT=$R/mnt/vgpu-sim
mkdir -p "$SIM_ROOT"
"$B/tests/sim/vgpu-sim" "$TOP/tests/sim/scenarios/a40x2-sriov.ini" "$SIM_ROOT" > "$WORK/sim.log" 2>&1 &
SIM_PID=$!
SIM_START=$(proc_start "$SIM_PID")
for _ in $(seq 1 600); do [ -e "$SIM_ROOT/vgpu-sim/control" ] && break; sleep 0.05; done
t_eq "simulator mounted in the root" yes "$([ -d "$SIM_ROOT/class/mdev_bus" ] && echo yes)"

systemd-nspawn -q -D "$R" -M "$MACHINE" --boot --keep-unit --register=no --console=passive \
    > "$WORK/boot.log" 2>&1 &
NSPAWN_PID=$!
NSPAWN_START=$(proc_start "$NSPAWN_PID")
# The machine's PID 1: nspawn's first child is a helper that sets the
# container up and is gone once PID 1 runs; entered too early, it shows a
# root where no systemd runs ("offline"). So: the process below nspawn
# that is PID 1 of a namespace of its own.
machine_leader() {
    local p q
    for p in $(pgrep -x systemd); do
        [ "$(awk '/^NSpid:/ { print (NF > 2) ? $NF : "" }' "/proc/$p/status" 2>/dev/null)" = 1 ] ||
            continue
        q=$p
        while [ -n "$q" ] && [ "$q" -gt 1 ]; do
            [ "$q" = "$NSPAWN_PID" ] && { echo "$p"; return 0; }
            q=$(awk '/^PPid:/ { print $2 }' "/proc/$q/status" 2>/dev/null)
        done
    done
    return 1
}
for _ in $(seq 1 1200); do
    LEADER=$(machine_leader)
    [ -n "$LEADER" ] && break
    same_proc "$NSPAWN_PID" "$NSPAWN_START" || break
    sleep 0.05
done
[ -n "$LEADER" ] || { t_fail "systemd-nspawn --boot: a PID 1" "$(tail -n 5 "$WORK/boot.log" | tr '\n' ' ')"; t_done; exit 1; }
# Until the boot is over (up to 5 min on a loaded machine); before its
# D-Bus is up, systemctl cannot ask and says so.
for _ in $(seq 1 1500); do
    state=$(inm systemctl is-system-running --wait 2>&1)
    case $state in *"connect to bus"*) sleep 0.2 ;; *) break ;; esac
done
t_eq "systemd-nspawn --boot: the root's systemd is running" running "$state"
[ "$state" = running ] || inm systemctl --failed --no-legend --plain | sed 's/^/# failed: /'
t_eq "libvirtd and vgpu-keeper active, from their units" "active active" \
    "$(inm systemctl is-active libvirtd.service vgpu-keeper.service | paste -sd ' ')"

# ---- the confinement: measured by systemd, and still working
exposure=$(inm systemd-analyze security --no-pager vgpu-keeper.service 2>&1 |
    sed -n 's/.*Overall exposure level for vgpu-keeper.service: \([0-9.]*\).*/\1/p')
t_eq "systemd-analyze security: vgpu-keeper.service exposure at most 4 (is $exposure)" yes \
    "$(awk -v e="$exposure" 'BEGIN { print (e != "" && e <= 4) ? "yes" : "no" }')"
t_eq "the unit's confinement is in force (ProtectSystem, NoNewPrivileges, families)" \
    "strict|yes|AF_UNIX" \
    "$(inm systemctl show -P ProtectSystem vgpu-keeper)|$(inm systemctl show -P NoNewPrivileges vgpu-keeper)|$(inm systemctl show -P RestrictAddressFamilies vgpu-keeper)"

U=4b20d080-1b54-4048-85b3-a6a62d165c01
cat > "$R/root/web1.xml" <<EOF
<domain type='qemu'>
  <name>web1</name>
  <uuid>6a1d3f39-3e6b-4a8b-9d1e-0b5c3b7b2a01</uuid>
  <metadata>
    <vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1">
      <vgpu:device uuid="$U" profile="A40-2Q"/>
    </vgpu:vgpu>
  </metadata>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><memballoon model='none'/></devices>
</domain>
EOF
out=$(inm virsh -q define /root/web1.xml 2>&1)
t_eq "virsh define of the metadata alone" 0 "$?"
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# virsh: /'
# The keeper answers the define event; up to 60 s on a loaded machine.
for _ in $(seq 1 600); do
    inm virsh dumpxml --inactive web1 2>/dev/null | grep -q "<address uuid='$U'/>" && break
    sleep 0.1
done
t_eq "the confined keeper added its <hostdev>" 1 \
    "$(inm virsh dumpxml --inactive web1 | grep -c "<address uuid='$U'/>")"
t_eq "the keeper wrote its status in the hook's state dir" yes \
    "$(inm test -s /run/vgpu-hook/keeper.status && echo yes)"

# ---- the installed hook, as libvirtd runs it, on the keeper's definition
inm virsh dumpxml --inactive web1 > "$R/root/web1-def.xml"
hook_in_machine() {
    inm sh -c '/etc/libvirt/hooks/qemu.d/vgpu-hook web1 "$1" "$2" - < /root/web1-def.xml' _ "$@" 2>&1
}
out=$(hook_in_machine prepare begin)
t_eq "hook prepare: exit 0, silent, the device on the simulator" "0::$U" \
    "$?:$out:$(ls "$SIM_ROOT/bus/mdev/devices")"
parent=$(basename "$(dirname "$(readlink -f "$SIM_ROOT/bus/mdev/devices/$U")")")
out=$(hook_in_machine release end)
t_eq "hook release: exit 0, the device gone" "0::" "$?:$out:$(ls "$SIM_ROOT/bus/mdev/devices")"

inm journalctl --sync > /dev/null 2>&1
t_eq "journalctl VGPU_UUID=…: the keeper's hostdev-added, the hook's created and removed" \
    "hostdev-added created removed" \
    "$(inm journalctl --no-pager -q VGPU_UUID="$U" -o cat --output-fields=VGPU_CODE | paste -sd ' ')"
t_eq "journalctl VGPU_UUID=… VGPU_CODE=created: domain, type, parent, hook call" \
    "web1 nvidia-558 $parent prepare begin vgpu-hook" \
    "$(inm journalctl --no-pager -q VGPU_UUID="$U" VGPU_CODE=created -o json |
        jq -r '[.VGPU_DOMAIN, .VGPU_TYPE, .VGPU_PARENT, .VGPU_HOOK_CALL, .SYSLOG_IDENTIFIER] | join(" ")')"
t_eq "journalctl VGPU_DOMAIN=web1: the keeper's line has the domain's UUID" \
    6a1d3f39-3e6b-4a8b-9d1e-0b5c3b7b2a01 \
    "$(inm journalctl --no-pager -q VGPU_DOMAIN=web1 VGPU_CODE=hostdev-added -o cat \
        --output-fields=VGPU_DOMAIN_UUID)"
t_eq "vgpu-keeper still active" active "$(inm systemctl is-active vgpu-keeper.service)"

machine_stop
t_done
