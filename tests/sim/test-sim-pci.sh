#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-sim-pci.sh: the simulator's PCI driver binding (sim-pci.c), rule by
# rule, through the mount, the way libvirt drives it for a managed PCI
# hostdev (driver_override, driver/unbind, drivers_probe). Run as root:
#   B=build/sim bash tests/sim/test-sim-pci.sh
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-simpci-test.XXXXXX)
SIMLOG=$WORK/sim.stderr
trap 'sim_stop 2>>"$SIMLOG"; rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ]; then
    t_skip "PCI driver binding tier" "needs root and /dev/fuse"
    t_done
    exit 0
fi
[ -x "$B/tests/sim/vgpu-sim" ] || { echo "not ok - build: $B/tests/sim/vgpu-sim missing"; exit 1; }

start() { sim_start "$1" 2>>"$SIMLOG" || { t_fail "mount $1" "see $SIMLOG"; exit 1; }; }
stop() { sim_stop 2>>"$SIMLOG"; }
drv() { echo "$SIM_ROOT/bus/pci/drivers/$1"; }
override() { cat "$(pcidev "$1")/driver_override"; }
probe() { wr "$SIM_ROOT/bus/pci/drivers_probe" "$1"; }
has() { [ -e "$1" ] && echo yes || echo no; }
# wr1 FILE TEXT: TEXT in one write() (bash's printf writes line by line)
wr1() {
    local out
    if out=$(printf '%s' "$2" | dd of="$1" bs=64k conv=notrunc status=none 2>&1); then echo ok; else err_name "$out"; fi
}

VF=0000:05:02.0; PF=0000:05:00.0; VF2=0000:26:02.0

# --- the files --------------------------------------------------------------------

start mi300x-4
S=$SIM_ROOT
t_eq "files: vfio-pci is loaded (no modprobe needed), with bind and unbind" "bind unbind" \
    "$(ls "$(drv vfio-pci)" | paste -sd' ')"
t_eq "files: bind, unbind and drivers_probe are write-only" "--w------- --w------- --w-------" \
    "$(stat -c %A "$(drv vfio-pci)/bind" "$(drv gim)/unbind" "$S/bus/pci/drivers_probe" | paste -sd' ')"
t_eq "files: every function has driver_override (0644), reading (null)" "-rw-r--r-- (null) (null)" \
    "$(stat -c %A "$(pcidev $VF)/driver_override") $(override $VF) $(override $PF)"
t_eq "boot: the PF on its native driver, listed by it" "gim yes" \
    "$(driver_of $PF) $(has "$(drv gim)/$PF")"
t_eq "boot: the VF on no driver, no vfio-dev" "none no" "$(driver_of $VF) $(has "$(pcidev $VF)/vfio-dev")"

# --- what libvirt does at start: override, unbind (none here), drivers_probe ---------

t_eq "match: vfio-pci does not claim a device without an override (ENODEV)" ENODEV \
    "$(wr "$(drv vfio-pci)/bind" $VF)"
t_eq "names: an unknown device is ENODEV for bind, unbind and drivers_probe" "ENODEV ENODEV ENODEV" \
    "$(wr "$(drv vfio-pci)/bind" 0000:99:00.0) $(wr "$(drv gim)/unbind" 0000:99:00.0) $(probe 0000:99:00.0)"
t_eq "override: set" "ok vfio-pci" "$(wr "$(pcidev $VF)/driver_override" vfio-pci) $(override $VF)"
t_eq "override: set does not bind by itself" none "$(driver_of $VF)"
t_eq "drivers_probe: binds the override" "ok vfio-pci" "$(probe $VF) $(driver_of $VF)"
t_eq "bound: the driver link resolves to the driver's directory" "$(cd "$(drv vfio-pci)" && pwd -P)" \
    "$(cd "$(pcidev $VF)/driver" && pwd -P)"
t_eq "bound: the driver lists the device, linking back to it" "$(cd "$(pcidev $VF)" && pwd -P)" \
    "$(cd "$(drv vfio-pci)/$VF" && pwd -P)"
t_eq "bound to vfio-pci: vfio-dev/vfio0 with its char device number" "vfio0 511:0" \
    "$(ls "$(pcidev $VF)/vfio-dev") $(cat "$(pcidev $VF)/vfio-dev/vfio0/dev")"
t_eq "bind: a device with a driver is EBUSY" EBUSY "$(wr "$(drv vfio-pci)/bind" $VF)"
t_eq "drivers_probe: a device with a driver is left alone" "ok vfio-pci" "$(probe $VF) $(driver_of $VF)"
t_eq "unbind: another driver's device is ENODEV" ENODEV "$(wr "$(drv gim)/unbind" $VF)"
wr "$(pcidev $VF2)/driver_override" vfio-pci > /dev/null
t_eq "vfio-dev: the next device takes the next free index" "ok vfio1" "$(probe $VF2) $(ls "$(pcidev $VF2)/vfio-dev")"

# --- what libvirt does at release: override "\n", driver/unbind, drivers_probe ------

t_eq "override: a lone newline clears it" "ok (null)" "$(wr "$(pcidev $VF)/driver_override" $'\n') $(override $VF)"
t_eq "unbind through the device's driver link, name with a newline (echo)" ok \
    "$(wr "$(pcidev $VF)/driver/unbind" "$VF"$'\n')"
t_eq "unbound: no driver link, not listed, no vfio-dev" "none no no" \
    "$(driver_of $VF) $(has "$(drv vfio-pci)/$VF") $(has "$(pcidev $VF)/vfio-dev")"
t_eq "drivers_probe: no override and no native driver: stays unbound, no error" "ok none" \
    "$(probe $VF) $(driver_of $VF)"
wr "$(pcidev $VF)/driver_override" vfio-pci > /dev/null
t_eq "vfio-dev: a freed index is taken again (lowest free)" "ok vfio0" "$(probe $VF) $(ls "$(pcidev $VF)/vfio-dev")"

# --- the other rules ------------------------------------------------------------------

t_eq "override: up to the first newline" "ok gim" "$(wr1 "$(pcidev $VF2)/driver_override" $'gim\nrest') $(override $VF2)"
wr "$(drv vfio-pci)/unbind" $VF2 > /dev/null
t_eq "override: a driver that names another driver cannot bind (ENODEV)" ENODEV \
    "$(wr "$(drv vfio-pci)/bind" $VF2)"
t_eq "probe: a driver given a device it does not know fails (ENODEV)" ENODEV "$(wr "$(drv gim)/bind" $VF2)"
t_eq "drivers_probe: a failing probe is not reported, the device stays unbound" "ok none" \
    "$(probe $VF2) $(driver_of $VF2)"
t_eq "override: a driver that is not loaded: drivers_probe binds nothing" "ok ok none" \
    "$(wr "$(pcidev $VF2)/driver_override" xe) $(probe $VF2) $(driver_of $VF2)"
t_eq "override: a page or more is EINVAL, the old value kept" "EINVAL xe" \
    "$(wr "$(pcidev $VF2)/driver_override" "$(head -c 4095 /dev/zero | tr '\0' x)") $(override $VF2)"
t_eq "PF: unbind from its native driver" "ok none no" \
    "$(wr "$(drv gim)/unbind" $PF) $(driver_of $PF) $(has "$(drv gim)/$PF")"
wr "$(pcidev $PF)/driver_override" vfio-pci > /dev/null
t_eq "PF: vfio-pci refuses a PF with VFs enabled (EBUSY)" EBUSY "$(wr "$(drv vfio-pci)/bind" $PF)"
t_eq "PF: drivers_probe back to the native driver once the override is cleared" "ok ok gim" \
    "$(wr "$(pcidev $PF)/driver_override" $'\n') $(probe $PF) $(driver_of $PF)"
t_eq "bind: a matching driver binds directly" "ok ok ok gim" \
    "$(wr "$(drv gim)/unbind" $PF) $(wr "$(pcidev $PF)/driver_override" gim) $(wr "$(drv gim)/bind" $PF) $(driver_of $PF)"
stop

# --- a native driver that is a VFIO provider: NVIDIA vendor-specific VFs ------------

start a40x2-vfio
N=0000:e8:00.4
t_eq "nvidia VF: on nvidia with vfio-dev and nvidia/ after boot" "nvidia yes yes" \
    "$(driver_of $N) $(has "$(pcidev $N)/vfio-dev") $(has "$(pcidev $N)/nvidia/current_vgpu_type")"
t_eq "nvidia VF: unbound, vfio-dev and nvidia/ go with the driver" "ok none no no" \
    "$(wr "$(drv nvidia)/unbind" $N) $(driver_of $N) $(has "$(pcidev $N)/vfio-dev") $(has "$(pcidev $N)/nvidia")"
t_eq "nvidia VF: drivers_probe gives it back to its native driver" "ok nvidia yes 0" \
    "$(probe $N) $(driver_of $N) $(has "$(pcidev $N)/vfio-dev") $(cat "$(pcidev $N)/nvidia/current_vgpu_type")"
t_eq "nvidia VF: the type files work again" "ok 558" \
    "$(wr "$(pcidev $N)/nvidia/current_vgpu_type" 558) $(cat "$(pcidev $N)/nvidia/current_vgpu_type")"
stop

# --- plain VFs a host driver probed (vf_driver=): back to it at the end ------------

SC=$WORK/xe-probed.ini
printf '[gpu b60]\nmodel=xe\naddress=0000:03:00.0\nvfs=2\nvf_driver=xe\n' > "$SC"
start "$SC"
X=0000:03:00.1
t_eq "vf_driver=xe: the VFs are on xe after boot" "xe xe" "$(driver_of $X) $(driver_of 0000:03:00.2)"
t_eq "libvirt's detach: override, unbind from xe, drivers_probe: on vfio-pci" "ok ok ok vfio-pci" \
    "$(wr "$(pcidev $X)/driver_override" vfio-pci) $(wr "$(pcidev $X)/driver/unbind" $X) $(probe $X) $(driver_of $X)"
t_eq "libvirt's reattach: override cleared, unbind, drivers_probe: back on xe" "ok ok ok xe no" \
    "$(wr "$(pcidev $X)/driver_override" $'\n') $(wr "$(pcidev $X)/driver/unbind" $X) $(probe $X) $(driver_of $X) $(has "$(pcidev $X)/vfio-dev")"
stop
printf '[gpu g]\nmodel=a40\naddress=0000:e8:00.0\nvf_driver=xe\n' > "$SC"
t_match "vf_driver= on a vGPU model is refused" "vf_driver= needs a plain-VF model" \
    "$("$B/tests/sim/vgpu-sim" "$SC" "$WORK" 2>&1)"

if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SIMLOG"; then
    t_fail "sanitizers: simulator stderr is clean" "$(grep -E 'Sanitizer|runtime error' "$SIMLOG" | head -3 | tr '\n' ' ')"
else
    t_pass "sanitizers: simulator stderr is clean"
fi
t_done
