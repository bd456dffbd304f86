#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-sim-uevent.sh: every simulated device has the uevent file udev and
# libvirt's node-device driver read (sim-uevent.c), with what the kernel's
# buses write there: pci_uevent()'s keys and DRIVER= while bound; an mdev's
# DRIVER=; an empty one for mtty's class device. The mtty device's is also
# compared with the real kernel's in the real-kernel tier
# (tests/kernel/mtty-sequence.sh). Run as root:
#   B=build/sim bash tests/sim/test-sim-uevent.sh
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-simuevent-test.XXXXXX)
SIMLOG=$WORK/sim.stderr
trap 'sim_stop 2>>"$SIMLOG"; rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ]; then
    t_skip "uevent tier" "needs root and /dev/fuse"
    t_done
    exit 0
fi
[ -x "$B/tests/sim/vgpu-sim" ] || { echo "not ok - build: $B/tests/sim/vgpu-sim missing"; exit 1; }

start() { sim_start "$TOP/tests/sim/scenarios/$1.ini" 2>>"$SIMLOG" || { t_fail "mount $1" "see $SIMLOG"; exit 1; }; }
stop() { sim_stop 2>>"$SIMLOG"; }
dev() { echo "$SIM_ROOT/bus/pci/devices/$1"; }
# ue PATH: the uevent file's lines joined by ';'
ue() { tr '\n' ';' < "$1/uevent"; }
# without_uevent: the device directories (those with vendor or mdev_type) lacking one
without_uevent() {
    find -L "$SIM_ROOT/devices" -maxdepth 6 \( -name vendor -o -name mdev_type \) -printf '%h\n' 2>/dev/null |
        sort -u | while read -r d; do [ -e "$d/uevent" ] || echo "${d#"$SIM_ROOT"/}"; done
}

test_pci_plain_vf() {
    local pf=0000:05:00.0 vf=0000:05:02.0
    start mi300x-4
    t_eq "pci: a bound PF: DRIVER= and pci_uevent()'s keys, class as %04X" \
        "DRIVER=gim;PCI_CLASS=120000;PCI_ID=1002:74A1;PCI_SUBSYS_ID=1002:74A1;PCI_SLOT_NAME=$pf;MODALIAS=pci:v00001002d000074A1sv00001002sd000074A1bc12sc00i00;" \
        "$(ue "$(dev $pf)")"
    t_eq "pci: an unbound VF: no DRIVER= line, its own device id" \
        "PCI_CLASS=120000;PCI_ID=1002:74B5;PCI_SUBSYS_ID=1002:74B5;PCI_SLOT_NAME=$vf;MODALIAS=pci:v00001002d000074B5sv00001002sd000074B5bc12sc00i00;" \
        "$(ue "$(dev $vf)")"
    t_eq "pci: the VF on vfio-pci (override, drivers_probe): DRIVER=vfio-pci first" \
        "ok ok DRIVER=vfio-pci;PCI_CLASS=120000;" \
        "$(wr "$(dev $vf)/driver_override" vfio-pci) $(wr "$SIM_ROOT/bus/pci/drivers_probe" $vf) $(ue "$(dev $vf)" | cut -d';' -f1-2);"
    t_eq "pci: uevent is read-only here (the simulator sends no events)" "-r--r--r--" \
        "$(stat -c %A "$(dev $vf)/uevent")"
    t_eq "pci: every function has one" "" "$(without_uevent)"
    stop
}

test_nvidia_mdev() {
    local uuid=6d7a0000-0000-4000-8000-0000000000e1 vf
    start a40x2-sriov
    vf=$(ls "$SIM_ROOT/class/mdev_bus" | grep '^0000:e8' | head -n 1)
    t_match "nvidia: a VF (an mdev parent) on nvidia, NVIDIA's class 0x030200" \
        "^DRIVER=nvidia;PCI_CLASS=30200;PCI_ID=10DE:2235;.*PCI_SLOT_NAME=$vf;" "$(ue "$(dev "$vf")")"
    t_eq "nvidia: an mdev made through create has DRIVER= of its mdev driver" \
        "ok DRIVER=nvidia-vgpu-vfio;" \
        "$(wr "$SIM_ROOT/class/mdev_bus/$vf/mdev_supported_types/nvidia-558/create" $uuid) $(ue "$SIM_ROOT/bus/mdev/devices/$uuid")"
    t_eq "nvidia: every device, the mdev included, has one" "" "$(without_uevent)"
    t_eq "nvidia: the mdev's goes with it" "ok no" \
        "$(wr "$SIM_ROOT/bus/mdev/devices/$uuid/remove" 1) $([ -e "$SIM_ROOT/devices/${vf}/$uuid/uevent" ] && echo yes || echo no)"
    stop
}

test_mtty() {
    local uuid=6d7a0000-0000-4000-8000-0000000000e2 p
    start mtty
    p=$SIM_ROOT/class/mdev_bus/mtty
    t_eq "mtty: the parent, a class device without a dev_t, has an empty uevent" "0" \
        "$(wc -c < "$p/uevent" 2>&1)"
    t_eq "mtty: the parent's subsystem is class/mtty (libvirt names it mtty_mtty)" "mtty" \
        "$(basename "$(readlink "$p/subsystem")")"
    t_eq "mtty: an mdev: DRIVER=mtty only (Linux 6.1's mdev bus adds no key)" "ok DRIVER=mtty;" \
        "$(wr "$p/mdev_supported_types/mtty-2/create" $uuid) $(ue "$SIM_ROOT/bus/mdev/devices/$uuid")"
    stop
}

for t in \
    test_pci_plain_vf \
    test_nvidia_mdev \
    test_mtty \
    ; do
    "$t"
done

if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SIMLOG"; then
    t_fail "sanitizers: simulator stderr is clean" "$(grep -E 'Sanitizer|runtime error' "$SIMLOG" | head -3 | tr '\n' ' ')"
else
    t_pass "sanitizers: simulator stderr is clean"
fi
t_done
