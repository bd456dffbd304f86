#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-mdevctl.sh: Debian's mdevctl, an independent client that reads only
# the real /sys, against the simulator laid over /sys in a private mount
# namespace (tests/sim/sim-namespace.sh).  Run as root:
#   B=build/sim bash tests/sim/test-mdevctl.sh
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-mdevctl-test.XXXXXX)
SIMLOG=$WORK/sim.stderr
trap 'sim_ns_stop; sim_stop 2>>"$SIMLOG"; rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ] || ! command -v unshare >/dev/null; then
    t_skip "mdevctl tier" "needs root, /dev/fuse and unshare"
    exit 0
fi
if ! command -v mdevctl >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mdevctl >/dev/null 2>&1 ||
        { t_skip "mdevctl tier" "mdevctl is not installed and cannot be installed"; exit 0; }
fi

# What must not change on the host.
host_state() {
    findmnt -R -n -o TARGET,SOURCE,FSTYPE /sys
    ls /sys/class /sys/bus /sys/devices /sys/kernel/iommu_groups 2>&1
    ls -R /etc/mdevctl.d 2>&1
}
BEFORE=$(host_state)
# t_host_same NAME: the host's state is what it was at the start.
t_host_same() {
    local now d
    now=$(host_state)
    if [ "$now" == "$BEFORE" ]; then t_pass "$1"; return; fi
    d=$(diff <(echo "$BEFORE") <(echo "$now") | grep '^[<>]' | head -5 | tr '\n' ' ')
    t_fail "$1" "changed: $d"
}

sim_start mixed 2>>"$SIMLOG" || { t_fail "mount mixed" "see $SIMLOG"; exit 1; }
S=$SIM_ROOT
if sim_ns_start; then t_pass "namespace: set up"; else t_fail "namespace: set up"; t_done; exit 1; fi
PRE=5b0f2c8e-7a51-4c3e-9d2a-6f1e8c4b3a20
A40=0001:41:00.4 P40=0000:3b:00.0 IGD=0000:00:02.0

# --- the namespace itself -------------------------------------------------------

t_no "namespace: refuses to cover the host's /sys" bash "$TOP/tests/sim/sim-namespace.sh" "$S"
t_host_same "namespace: host untouched by the refusal"
t_eq "namespace: class/mdev_bus resolves within /sys" \
    "/sys/devices/pci0001:40/0001:40:01.1/$A40 /sys/devices/virtual/mtty/mtty" \
    "$(in_sim_ns realpath /sys/class/mdev_bus/$A40 /sys/class/mdev_bus/mtty | paste -sd' ')"
t_eq "namespace: bus/mdev/devices/U resolves within /sys" \
    "/sys/devices/pci0000:30/0000:30:01.3/$P40/$PRE" "$(in_sim_ns realpath /sys/bus/mdev/devices/$PRE)"
t_eq "namespace: libvirt's device_api check path" vfio-pci \
    "$(in_sim_ns cat /sys/bus/mdev/devices/$PRE/mdev_type/device_api)"
t_ok "namespace: iommu_group resolves within /sys" \
    in_sim_ns test -d "/sys/bus/mdev/devices/$PRE/iommu_group/devices/$PRE"
t_match "namespace: iommu_group link target" '^/sys/kernel/iommu_groups/[0-9]+$' \
    "$(in_sim_ns realpath /sys/bus/mdev/devices/$PRE/iommu_group)"
t_eq "namespace: simulated GVT-g replaces the host's 0000:00:02.0" 0x8086 \
    "$(in_sim_ns cat /sys/bus/pci/devices/$IGD/vendor)"
real_net=$(ls /sys/class/net | paste -sd' ')
t_eq "namespace: the host's real classes stay visible" "$real_net" "$(in_sim_ns ls /sys/class/net | paste -sd' ')"
lo=$(realpath /sys/class/net/lo)
t_eq "namespace: the host's real device links still resolve" "$lo" "$(in_sim_ns realpath /sys/class/net/lo)"

# --- mdevctl types ----------------------------------------------------------------

types=$(in_sim_ns mdevctl types 2>&1)
t_eq "types: every simulated parent" "$IGD $P40 $A40 0001:41:00.5 0001:41:00.6 0001:41:00.7 mtty" \
    "$(grep -E '^[^ ]' <<<"$types" | sort | paste -sd' ')"
p40_47=$(awk -v p="$P40" '$0==p {inp=1; next} /^[^ ]/ {inp=0} inp' <<<"$types" | grep -A4 '^  nvidia-47$')
t_match "types: P40 type name" "Name: GRID P40-2Q" "$p40_47"
t_match "types: P40 available instances (one pre-existing 2Q)" "Available instances: 11" "$p40_47"
t_match "types: device api" "Device API: vfio-pci" "$p40_47"
t_match "types: description" "Description: num_heads=4, frl_config=60, framebuffer=2048M" "$p40_47"
a40=$(in_sim_ns mdevctl types -p $A40 2>&1)
t_eq "types -p: 22 A40 types" 22 "$(grep -c '^  nvidia-' <<<"$a40")"
t_match "types -p: A40-2Q available" "Available instances: 1" "$(grep -A4 '^  nvidia-558$' <<<"$a40")"
t_match "types -p: A40-2Q name" "Name: NVIDIA A40-2Q" "$(grep -A4 '^  nvidia-558$' <<<"$a40")"
mtty=$(in_sim_ns mdevctl types -p mtty 2>&1)
t_match "types: mtty without description" "Name: Dual port serial" "$(grep -A4 '^  mtty-2$' <<<"$mtty")"
t_match "types: mtty available" "Available instances: 12" "$(grep -A4 '^  mtty-2$' <<<"$mtty")"
t_eq "types: mtty has no Description line" 0 "$(grep -c Description <<<"$mtty")"
t_match "types: GVT-g shared pool counts" "Available instances: 7" "$(grep -A4 'i915-GVTg_V5_8$' <<<"$types")"

# --- mdevctl list / start / stop --------------------------------------------------

t_eq "list: the pre-existing mdev" "$PRE $P40 nvidia-47 manual" "$(in_sim_ns mdevctl list)"
U1=11111111-2222-4333-8444-555555555555
t_eq "list: a device created through the sim" ok "$(wr "$S/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create" "$U1")"
t_match "list: ... is listed" "^$U1 mtty mtty-2 manual$" "$(in_sim_ns mdevctl list)"
U2=22222222-3333-4444-8555-666666666666
t_ok "start: mdevctl start" in_sim_ns mdevctl start -u $U2 -p $A40 -t nvidia-558
t_ok "start: visible in the sim's tree" test -d "$S/devices/pci0001:40/0001:40:01.1/$A40/$U2"
t_eq "start: visible in vgpu-sim/mdevs" "$U2 $A40 nvidia-558 idle" "$(grep "^$U2" "$S/vgpu-sim/mdevs")"
t_match "start: listed by mdevctl" "^$U2 $A40 nvidia-558 manual$" "$(in_sim_ns mdevctl list)"
t_eq "start: the VF is taken" 0 "$(cat "$S/class/mdev_bus/$A40/mdev_supported_types/nvidia-558/available_instances")"
t_no "start: same UUID again is refused" in_sim_ns mdevctl start -u $U2 -p 0001:41:00.5 -t nvidia-558
t_match "start: full VF refused" "No available instances" \
    "$(in_sim_ns mdevctl start -u 33333333-4444-4555-8666-777777777777 -p $A40 -t nvidia-558 2>&1)"
U3=44444444-5555-4666-8777-888888888888
t_ok "start: on GVT-g" in_sim_ns mdevctl start -u $U3 -p $IGD -t i915-GVTg_V5_4
t_eq "start: GVT-g pool shrinks" 4 "$(cat "$S/class/mdev_bus/$IGD/mdev_supported_types/i915-GVTg_V5_4/available_instances")"
t_ok "stop: mdevctl stop" in_sim_ns mdevctl stop -u $U2
t_eq "stop: gone from the sim" "no" "$([ -e "$S/bus/mdev/devices/$U2" ] && echo yes || echo no)"
t_eq "stop: gone from vgpu-sim/mdevs" "" "$(grep "^$U2" "$S/vgpu-sim/mdevs")"
t_eq "stop: the VF is free" 1 "$(cat "$S/class/mdev_bus/$A40/mdev_supported_types/nvidia-558/available_instances")"
t_eq "stop: busy P40 device (remove=ebusy)" ok "$(wr "$S/vgpu-sim/control" "busy $PRE")"
t_match "stop: mdevctl reports the driver's EBUSY" "busy" "$(in_sim_ns mdevctl stop -u $PRE 2>&1)"
wr "$S/vgpu-sim/control" "idle $PRE" >/dev/null
t_ok "stop: once idle" in_sim_ns mdevctl stop -u $PRE
in_sim_ns mdevctl stop -u $U3 >/dev/null 2>&1
in_sim_ns mdevctl stop -u $U1 >/dev/null 2>&1
t_eq "list: empty at the end" "" "$(in_sim_ns mdevctl list)"

sim_ns_stop
sim_stop 2>>"$SIMLOG"

# --- a vendor-specific host: no mdev parents at all -------------------------------

sim_start a40x2-vfio 2>>"$SIMLOG" && sim_ns_start 2>>"$SIMLOG" ||
    { t_fail "a40x2-vfio: mount and namespace" "see $SIMLOG"; t_done; exit 1; }
t_eq "a40x2-vfio: the VFs are there" 0x2235 "$(in_sim_ns cat /sys/bus/pci/devices/0000:e8:00.4/device)"
t_eq "a40x2-vfio: mdevctl types sees no parents" "" "$(in_sim_ns mdevctl types 2>&1)"
t_eq "a40x2-vfio: mdevctl list sees nothing" "" "$(in_sim_ns mdevctl list 2>&1)"
t_no "a40x2-vfio: mdevctl start fails: the VF is no mdev parent" \
    in_sim_ns mdevctl start -u "$(u 9)" -p 0000:e8:00.4 -t nvidia-558
t_eq "a40x2-vfio: ... and changed nothing" 0 "$(in_sim_ns cat /sys/bus/pci/devices/0000:e8:00.4/nvidia/current_vgpu_type)"
sim_ns_stop
sim_stop 2>>"$SIMLOG"
t_host_same "host: /sys and /etc/mdevctl.d unchanged"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SIMLOG"; then
    t_fail "sanitizers: simulator stderr is clean" "$(head -3 "$SIMLOG" | tr '\n' ' ')"
else
    t_pass "sanitizers: simulator stderr is clean"
fi
t_done
