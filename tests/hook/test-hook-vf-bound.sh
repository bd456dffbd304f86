#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-hook-vf-bound.sh: a plain VF changes drivers under the hook's feet.
# With managed='yes' libvirt binds the VF to vfio-pci after `prepare begin`
# and gives it back before `release end` (tests/e2e/test-libvirt-vf.sh);
# here the test does what libvirt does, through the simulator's PCI
# binding (driver_override, driver/unbind, drivers_probe), and the real
# hook program and vgpuctl must still see a plain VF of the same GPU.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

IDS=$TOP/tests/sim/pci.ids
A0=0000:05:02.0; A1=0000:26:02.0

# libvirt's virPCIDeviceBindToStub and virPCIDeviceUnbindFromStub (9.0)
libvirt_detach() {
    printf vfio-pci > "$(pcidev "$1")/driver_override" &&
        { [ ! -e "$(pcidev "$1")/driver" ] || printf '%s' "$1" > "$(pcidev "$1")/driver/unbind"; } &&
        printf '%s' "$1" > "$SIM_ROOT/bus/pci/drivers_probe"
}
libvirt_reattach() {
    printf '\n' > "$(pcidev "$1")/driver_override" &&
        { [ ! -e "$(pcidev "$1")/driver" ] || printf '%s' "$1" > "$(pcidev "$1")/driver/unbind"; } &&
        printf '%s' "$1" > "$SIM_ROOT/bus/pci/drivers_probe"
}
xml_vf_addr() {   # xml_vf_addr XML UUID: the address the hostdev aliased ua-vgpu-UUID names
    local v
    v=$(hostdev_vf "$2" <<< "$1")
    echo "${v% *}"
}

test_bound_while_running() {
    fresh mi300x-4 "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "prepare: the unbound VF is taken" "0:none" "$RC:$(driver_of $A0)"
    libvirt_detach $A0
    t_eq "libvirt's detach (as 9.0 does it) put the VF on vfio-pci" vfio-pci "$(driver_of $A0)"

    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "on vfio-pci: still the holder's, another domain refused naming it" \
        "1:vgpu-hook: domain 'vm2': vGPU device 0: VF $A0 is taken by domain 'vm1'; run 'vgpuctl sync vm2' to point 'vm2' at a free VF" \
        "$RC:$ERR"
    start vm2 2 --no-hostdev "uuid=\"$(u 2)\" gpu=\"MI300X\" numa=\"0\""
    t_match "on vfio-pci: the missing-hostdev advice names the other free VF of the node" \
        "bus='0x26' slot='0x02' function='0x0'" "$ERR"
    dom vm3 "$(du 3)" "uuid=\"$(u 3)\" gpu=\"MI300X\" numa=\"0\" @vf=$A0" > "$WORK/vm3.xml"
    hook vm3 migrate begin < "$WORK/vm3.xml"
    t_eq "on vfio-pci: migrate begin re-points a domain naming it to the free VF" "0:$A1" \
        "$RC:$(xml_vf_addr "$OUT" "$(u 3)")"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "on vfio-pci: reconnect of the holder: exit 0, silent, record kept" "0::1" "$RC:$OUT$ERR:$(ledgers)"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_eq "on vfio-pci: prepare again by the holder" "0:1" "$RC:$(ledgers)"

    vc types
    t_match "on vfio-pci: vgpuctl types counts it as the GPU's VF, in use" \
        "^Aqua Vanjaram \\[Instinct MI300X\\] +vf-1002-74b5 .* 3 +" "$OUT"
    vc status --no-libvirt
    t_match "on vfio-pci: vgpuctl status shows the GPU with its VF in use" \
        "^0000:05:00.0 +Aqua Vanjaram \\[Instinct MI300X\\] +0 +1/1 +1$" "$OUT"
    t_match "on vfio-pci: vgpuctl status shows the holder" "^$A0 .* vm1 +vgpu-hook +unknown$" "$OUT"

    libvirt_reattach $A0
    t_eq "libvirt's reattach gave it back (no native driver: unbound)" "none (null)" \
        "$(driver_of $A0) $(cat "$(pcidev $A0)/driver_override")"
    stop vm1
    t_eq "release after the reattach drops the record" "0::0" "$RC:$ERR:$(ledgers)"
}

# A reattach that did not happen (libvirt failed, or an admin bound the VF
# to vfio-pci for good): release must still drop the record, touch no
# binding, and the VF must stay usable.
test_left_on_vfio() {
    fresh mi300x-4 "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=$A1"
    libvirt_detach $A1
    stop vm1
    t_eq "release with the VF still on vfio-pci: record dropped" "0::0" "$RC:$ERR:$(ledgers)"
    t_eq "release leaves the binding alone (the hook writes nothing to PCI)" "vfio-pci vfio-pci" \
        "$(driver_of $A1) $(cat "$(pcidev $A1)/driver_override")"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" @vf=$A1"
    t_eq "a VF left on vfio-pci is taken by the next domain" "0::1" "$RC:$ERR:$(ledgers)"
    stop vm2
}

for t in test_bound_while_running test_left_on_vfio; do
    echo "# $t"
    $t
done
t_done
