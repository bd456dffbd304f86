#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-sim-vf.sh: the simulator's whole-VF hosts (docs/sysfs.md): NVIDIA's
# vendor-specific VFIO framework on a40x2-vfio, AMD MxGPU on mi300x-4 and
# s7150-2vf, Intel xe SR-IOV on intel-xe-sriov.  Run as root:
#   B=build/sim bash tests/sim/test-sim-vf.sh
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-simvf-test.XXXXXX)
SIMLOG=$WORK/sim.stderr
trap 'sim_stop 2>>"$SIMLOG"; rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ]; then
    t_skip "whole-VF simulator tier" "needs root and /dev/fuse"
    t_done
    exit 0
fi
[ -x "$B/tests/sim/vgpu-sim" ] || { echo "not ok - build: $B/tests/sim/vgpu-sim missing"; exit 1; }

start() { sim_start "$1" 2>>"$SIMLOG" || { t_fail "mount $1" "see $SIMLOG"; exit 1; }; }
stop() { sim_stop 2>>"$SIMLOG"; }
ctl() { wr "$SIM_ROOT/vgpu-sim/control" "$*"; }
setty() { wr "$(pcidev "$1")/nvidia/current_vgpu_type" "$2"; }
# creatable VF: the type ids it lists now, space separated
creatable() { tail -n +2 "$(pcidev "$1")/nvidia/creatable_vgpu_types" | awk '{print $1}' | paste -sd' '; }
gpu0_vf() { printf '0000:e8:%02x.%x' $(( (4 + $1) / 8 )) $(( (4 + $1) % 8 )); }   # VF N of gpu0
gpu1_vf() { printf '0000:67:%02x.%x' $(( (4 + $1) / 8 )) $(( (4 + $1) % 8 )); }

# --- a40x2-vfio: the tree -----------------------------------------------------

start a40x2-vfio
S=$SIM_ROOT
V0=$(gpu0_vf 0); V1=$(gpu0_vf 1); V31=$(gpu0_vf 31); W0=$(gpu1_vf 0)
t_eq "vfio: no mdev_bus class" no "$([ -e "$S/class/mdev_bus" ] && echo yes || echo no)"
t_eq "vfio: no mdev bus" no "$([ -e "$S/bus/mdev" ] && echo yes || echo no)"
t_eq "vfio: 2 PFs + 64 VFs on the PCI bus" 66 "$(ls "$S/bus/pci/devices" | wc -l)"
t_eq "vfio: same addresses as a40x2-sriov" "0000:e8:00.4 0000:e8:04.3 0000:67:00.4" "$V0 $V31 $W0"
t_eq "vfio: VF ids" "0x10de 0x2235" "$(cat "$(pcidev "$V0")/vendor") $(cat "$(pcidev "$V0")/device")"
t_eq "vfio: VF on the nvidia driver" nvidia "$(basename "$(readlink "$(pcidev "$V0")/driver")")"
t_eq "vfio: VF listed by the nvidia driver" yes \
    "$([ -L "$S/bus/pci/drivers/nvidia/$V0" ] && echo yes || echo no)"
t_match "vfio: VF has a vfio-dev cdev" '^vfio[0-9]+$' "$(ls "$(pcidev "$V0")/vfio-dev")"
t_match "vfio: VF has an iommu group" 'kernel/iommu_groups/[0-9]+$' "$(readlink "$(pcidev "$V0")/iommu_group")"
t_eq "vfio: physfn" 0000:e8:00.0 "$(basename "$(readlink "$(pcidev "$V0")/physfn")")"
t_eq "vfio: NUMA nodes as on a40x2-sriov" "1 0" "$(cat "$(pcidev "$V0")/numa_node") $(cat "$(pcidev "$W0")/numa_node")"
t_eq "vfio: a 256-byte config space with the ids and class" "256 10de 2235 0302" \
    "$(stat -c %s "$(pcidev "$V0")/config" >/dev/null; wc -c < "$(pcidev "$V0")/config") $(od -An -tx1 -N4 "$(pcidev "$V0")/config" | awk '{print $2$1, $4$3}') $(od -An -tx1 -j10 -N2 "$(pcidev "$V0")/config" | awk '{print $2$1}')"
t_eq "vfio: no mdev_supported_types" no "$([ -e "$(pcidev "$V0")/mdev_supported_types" ] && echo yes || echo no)"
t_eq "vfio: current_vgpu_type starts 0" 0 "$(cur "$V0")"
t_eq "vfio: creatable header" "ID    : vGPU Name" "$(head -1 "$(pcidev "$V0")/nvidia/creatable_vgpu_types")"
t_eq "vfio: all 22 A40 types creatable on an empty GPU" 22 "$(creatable "$V0" | wc -w)"
t_match "vfio: line format '%-5d : name'" '^558   : NVIDIA A40-2Q$' "$(cat "$(pcidev "$V0")/nvidia/creatable_vgpu_types")"
t_eq "vfio: the PF takes no type" no "$([ -e "$(pcidev 0000:e8:00.0)/nvidia" ] && echo yes || echo no)"

# --- a40x2-vfio: the driver's rules ---------------------------------------------

t_eq "write: a type" ok "$(setty "$V0" 558)"
t_eq "write: reads back" 558 "$(cur "$V0")"
t_eq "write: shown in vgpu-sim/vfs" "$V0 nvidia-558 idle" "$(cat "$S/vgpu-sim/vfs")"
t_eq "write: the VF with a type lists nothing" "" "$(creatable "$V0")"
t_eq "same-size: the GPU's other VFs list only 558" 558 "$(creatable "$V1")"
t_eq "same-size: the other GPU is untouched" 22 "$(creatable "$W0" | wc -w)"
t_eq "same-size: another size is EINVAL" EINVAL "$(setty "$V1" 559)"
t_eq "write: a type onto a VF with one is EPERM" EPERM "$(setty "$V0" 558)"
t_eq "write: an unknown id is EINVAL" EINVAL "$(setty "$V1" 9999)"
t_eq "write: not a number is EINVAL" EINVAL "$(setty "$V1" nvidia-558)"
t_eq "write: 0 onto a VF without a type is EPERM" EPERM "$(setty "$V1" 0)"
# A40-24Q: at most 2 per GPU; the list shrinks to nothing at capacity.
t_eq "capacity: 24Q on gpu1 VF0" ok "$(setty "$W0" 565)"
t_eq "capacity: 24Q on gpu1 VF1" ok "$(setty "$(gpu1_vf 1)" 565)"
t_eq "capacity: the list is empty when the GPU is full" "" "$(creatable "$(gpu1_vf 2)")"
t_eq "capacity: a third 24Q is ENOSPC" ENOSPC "$(setty "$(gpu1_vf 2)" 565)"
t_eq "busy: QEMU cannot open a VF without a type" ENODEV "$(ctl busy "$V1")"
t_eq "busy: QEMU opens the VF" ok "$(ctl busy "$V0")"
t_eq "busy: shown in vgpu-sim/vfs" "$V0 nvidia-558 busy" "$(grep "^$V0" "$S/vgpu-sim/vfs")"
t_eq "busy: 0 while open is EBUSY" EBUSY "$(setty "$V0" 0)"
t_eq "busy: the type stays" 558 "$(cur "$V0")"
ctl idle "$V0" >/dev/null
t_eq "release: 0 once closed" ok "$(setty "$V0" 0)"
t_eq "release: reads 0" 0 "$(cur "$V0")"
t_eq "release: the GPU takes any size again" 22 "$(creatable "$V1" | wc -w)"

# --- a40x2-vfio: faults ------------------------------------------------------------

ctl fault create_errno EIO >/dev/null
ctl fault create_fail_at 1 >/dev/null
t_eq "fault: a type write fails with EIO" EIO "$(setty "$V0" 558)"
t_eq "fault: ... and leaves no type" 0 "$(cur "$V0")"
t_eq "fault: the next write works" ok "$(setty "$V0" 558)"
ctl fault create_fail_at 0 >/dev/null
ctl fault remove_ebusy 1 >/dev/null
t_eq "fault: a clear fails with EBUSY" EBUSY "$(setty "$V0" 0)"
ctl fault clear_ignored 2 >/dev/null
t_eq "fault: a clear that does not stick succeeds" ok "$(setty "$V0" 0)"
t_eq "fault: ... but the type is still there" 558 "$(cur "$V0")"
setty "$V0" 0 >/dev/null
t_eq "fault: still there after a second try" 558 "$(cur "$V0")"
t_eq "fault: the third try sticks" "ok 0" "$(setty "$V0" 0) $(cur "$V0")"
t_match "fault: listed in vgpu-sim/faults" "clear_ignored 0" "$(cat "$S/vgpu-sim/faults")"
ctl fault set_ignored 1 >/dev/null
t_eq "fault: a type write that does not stick succeeds, no type" "ok 0" "$(setty "$V0" 558) $(cur "$V0")"
t_eq "fault: the next type write sticks" "ok 558" "$(setty "$V0" 558) $(cur "$V0")"
setty "$V0" 0 >/dev/null
stop

SC=$WORK/vfio-mdev.ini
printf '[gpu g]\nmodel=a40-vfio\naddress=0000:e8:00.0\nvfs=2\n[mdev %s]\nparent=0000:e8:00.4\ntype=nvidia-558\n' \
    "$(u 1)" > "$SC"
t_match "scenario: an mdev on a vendor-specific VF is refused" "names no mdev parent" \
    "$("$B/tests/sim/vgpu-sim" "$SC" "$WORK" 2>&1)"

# --- h100x2-vfio-mig: MIG in the vendor-specific mode (sim-mig.c) ---------------

start h100x2-vfio-mig
S=$SIM_ROOT
H0=0000:41:00.4; H1=0000:41:00.5; G0=0000:c1:00.4; G1=0000:c1:00.5; G2=0000:c1:00.6
names() { tail -n +2 "$(pcidev "$1")/nvidia/creatable_vgpu_types" | sed 's/.*: NVIDIA //' | paste -sd' '; }
t_eq "h100: no mdev_bus class; VFs on nvidia with vfio-dev" "no nvidia yes" \
    "$([ -e "$S/class/mdev_bus" ] && echo yes || echo no) $(basename "$(readlink "$(pcidev "$H0")/driver")") $([ -d "$(pcidev "$H0")/vfio-dev" ] && echo yes || echo no)"
t_eq "h100: H100 PCIe ids, NUMA 0 and 1" "0x10de 0x2331 0 1" \
    "$(cat "$(pcidev "$H0")/vendor") $(cat "$(pcidev "$H0")/device") $(cat "$(pcidev "$H0")/numa_node") $(cat "$(pcidev "$G0")/numa_node")"
t_eq "h100: 16 VFs each" "16 16" "$(cat "$(pcidev 0000:41:00.0)/sriov_numvfs") $(ls -d "$(pcidev 0000:c1:00.0)"/virtfn* | wc -l)"
t_eq "h100: the layout: seven 1g.10gb on 41:00.0, 3g.40gb + 4g.40gb on c1:00.0" \
    "0000:41:00.0 mig=on|7 1g.10gb|0000:c1:00.0 mig=on|3g.40gb 4g.40gb" \
    "$(head -1 "$S/vgpu-sim/mig")|$(sed -n '2,8p' "$S/vgpu-sim/mig" | awk '{print $3}' | uniq -c | awk '{print $1, $2}')|$(sed -n 9p "$S/vgpu-sim/mig")|$(sed -n '10,11p' "$S/vgpu-sim/mig" | awk '{print $3}' | paste -sd' ')"
t_eq "h100: a free VF lists the MIG-backed types with a free GPU instance, no time-sliced one" \
    "H100-1-10C|H100-3-40C H100-4-40C" "$(names "$H0")|$(names "$G0")"
t_eq "h100: a time-sliced type while MIG is on: EINVAL" EINVAL "$(setty "$H0" 1040)"
t_eq "h100: a MIG-backed type with no free instance of its size: EIO" EIO "$(setty "$H0" 1063)"
t_eq "h100: H100-3-40C on c1:00.4 takes the 3g.40gb" "ok 1063" "$(setty "$G0" 1063) $(cur "$G0")"
t_match "h100: vgpu-sim/mig shows who holds it" " gi 1 3g.40gb $G0" "$(cat "$S/vgpu-sim/mig")"
t_eq "h100: the VF with a type lists nothing; its neighbour only 4-40C" "|H100-4-40C" "$(names "$G0")|$(names "$G1")"
t_eq "h100: a second H100-3-40C: EIO" EIO "$(setty "$G1" 1063)"
t_eq "h100: sizes mix on one GPU: H100-4-40C beside it" ok "$(setty "$G1" 1064)"
t_eq "h100: the GPU full: a free VF lists nothing" "" "$(names "$G2")"
t_eq "h100: destroying a GPU instance in use: EBUSY" EBUSY "$(ctl dgi 0000:c1:00.0 1)"
t_eq "h100: MIG off while GPU instances exist: EBUSY" EBUSY "$(ctl mig 0000:41:00.0 off)"
t_eq "h100: -dgi three 1g.10gb, -cgi 3g.40gb on 41:00.0" "ok ok ok ok" \
    "$(ctl dgi 0000:41:00.0 7) $(ctl dgi 0000:41:00.0 6) $(ctl dgi 0000:41:00.0 5) $(ctl cgi 0000:41:00.0 3g.40gb)"
t_eq "h100: an 8th slice does not fit: ENOSPC" ENOSPC "$(ctl cgi 0000:41:00.0 1g.10gb)"
t_eq "h100: now 41:00.4 lists both sizes" "H100-1-10C H100-3-40C" "$(names "$H0")"
t_eq "h100: release gives the 3g.40gb back" "ok H100-3-40C" "$(setty "$G0" 0) $(names "$G2")"
t_eq "h100: MIG off on an emptied GPU: the 8 time-sliced types only" "ok ok ok ok 8 H100-4C" \
    "$(setty "$G1" 0) $(ctl dgi 0000:c1:00.0 1) $(ctl dgi 0000:c1:00.0 2) $(ctl mig 0000:c1:00.0 off) $(names "$G1" | wc -w) $(names "$G1" | cut -d' ' -f1)"
t_eq "h100: H100-4C goes on; its neighbours keep only that size" "ok H100-4C" "$(setty "$G0" 1040) $(names "$G1")"
t_eq "h100: with MIG off, a MIG-backed type: EINVAL" EINVAL "$(setty "$G2" 1060)"
stop

# --- AMD and Intel: plain VFs ----------------------------------------------------

start mi300x-4
S=$SIM_ROOT
pfs=$(for d in "$S"/bus/pci/devices/*; do [ -L "$d/physfn" ] || basename "$d"; done | paste -sd' ')
vfs=$(for d in "$S"/bus/pci/devices/*; do [ -L "$d/physfn" ] && basename "$d"; done | paste -sd' ')
t_eq "mi300x: four PFs" "0000:05:00.0 0000:26:00.0 0000:85:00.0 0000:a6:00.0" "$pfs"
t_eq "mi300x: one VF each" "0000:05:02.0 0000:26:02.0 0000:85:02.0 0000:a6:02.0" "$vfs"
t_eq "mi300x: PF ids" "0x1002 0x74a1" "$(cat "$(pcidev 0000:05:00.0)/vendor") $(cat "$(pcidev 0000:05:00.0)/device")"
t_eq "mi300x: VF ids" "0x1002 0x74b5" "$(cat "$(pcidev 0000:05:02.0)/vendor") $(cat "$(pcidev 0000:05:02.0)/device")"
t_eq "mi300x: PF on GIM" gim "$(basename "$(readlink "$(pcidev 0000:05:00.0)/driver")")"
t_eq "mi300x: VF on no driver" no "$([ -e "$(pcidev 0000:05:02.0)/driver" ] && echo yes || echo no)"
t_eq "mi300x: NUMA 0 0 1 1" "0 0 1 1" "$(for v in $vfs; do cat "$(pcidev "$v")/numa_node"; done | paste -sd' ')"
t_eq "mi300x: sriov_totalvfs / numvfs" "1 1" "$(cat "$(pcidev 0000:05:00.0)/sriov_totalvfs") $(cat "$(pcidev 0000:05:00.0)/sriov_numvfs")"
t_eq "mi300x: no type files" no "$([ -e "$(pcidev 0000:05:02.0)/nvidia" ] && echo yes || echo no)"
t_eq "mi300x: no mdev_bus class" no "$([ -e "$S/class/mdev_bus" ] && echo yes || echo no)"
t_match "mi300x: VF has an iommu group" 'kernel/iommu_groups/[0-9]+$' "$(readlink "$(pcidev 0000:05:02.0)/iommu_group")"
stop

start s7150-2vf
S=$SIM_ROOT
t_eq "s7150: PF and two VFs" "0000:04:00.0 0000:04:02.0 0000:04:02.1" "$(ls "$S/bus/pci/devices" | paste -sd' ')"
t_eq "s7150: PF ids" "0x1002 0x6929" "$(cat "$(pcidev 0000:04:00.0)/vendor") $(cat "$(pcidev 0000:04:00.0)/device")"
t_eq "s7150: VF ids" "0x1002 0x692f" "$(cat "$(pcidev 0000:04:02.1)/vendor") $(cat "$(pcidev 0000:04:02.1)/device")"
t_eq "s7150: vf_num=2" 2 "$(cat "$(pcidev 0000:04:00.0)/sriov_numvfs")"
t_eq "s7150: virtfn links" "0000:04:02.0 0000:04:02.1" \
    "$(basename -a "$(readlink "$(pcidev 0000:04:00.0)/virtfn0")" "$(readlink "$(pcidev 0000:04:00.0)/virtfn1")" | paste -sd' ')"
stop

start intel-xe-sriov
S=$SIM_ROOT
t_eq "xe: PF and four VFs" "0000:03:00.0 0000:03:00.1 0000:03:00.2 0000:03:00.3 0000:03:00.4" \
    "$(ls "$S/bus/pci/devices" | paste -sd' ')"
t_eq "xe: PF on xe" xe "$(basename "$(readlink "$(pcidev 0000:03:00.0)/driver")")"
t_eq "xe: VFs keep the PF's device id" "0x8086 0xe211" "$(cat "$(pcidev 0000:03:00.3)/vendor") $(cat "$(pcidev 0000:03:00.3)/device")"
t_eq "xe: sriov_numvfs" 4 "$(cat "$(pcidev 0000:03:00.0)/sriov_numvfs")"
stop

if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SIMLOG"; then
    t_fail "sanitizers: simulator stderr is clean" "$(grep -E 'Sanitizer|runtime error' "$SIMLOG" | head -3 | tr '\n' ' ')"
else
    t_pass "sanitizers: simulator stderr is clean"
fi
t_done
