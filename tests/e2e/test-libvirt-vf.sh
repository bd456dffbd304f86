#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Whole VFs under the real libvirtd in a private namespace: what the hook
# does (the type written before QEMU would start, cleared after; the plain
# VF recorded and dropped) and what libvirt itself requires of the VF.
#
# Measured on Debian 12's libvirt 9.0: a vendor-specific NVIDIA VF with
# managed='no' is refused before QEMU starts, "Unmanaged PCI device ... must
# be manually detached from the host" (9.0 accepts only a VF bound to
# vfio-pci for managed='no'; the nvidia driver is the VF's VFIO provider
# and must stay bound). This tier asserts that refusal on libvirtd 9.0-9.6, with
# the hook's effects undone; on other versions it says it does not know
# what to expect (a skip, not a pass).
#
# A plain AMD or Intel VF with managed='yes' runs: libvirt finds vfio-pci
# loaded (/sys/bus/pci/drivers/vfio-pci, no modprobe), binds the VF to it
# (driver_override, drivers_probe), QEMU gets /dev/vfio/<group> in its
# namespace (qemu-novfio drops the vfio-pci device), and at the stop
# libvirt clears the override and gives the VF back to its own driver.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF
. "$TOP/tests/e2e/libvirt-env.sh"

lv_tier_begin "libvirt whole-VF tier"

version=
if lv_start a40x2-vfio; then
    # The daemon's version decides, not the client library's.
    version=$(lv_virsh version --daemon 2>/dev/null | sed -n 's/^Running against daemon: \([0-9.]*\).*/\1/p')
    lv_log "libvirtd $version"
    # 9.7.0 accepts a VF on a VFIO variant driver (test-libvirt-trixie.sh).
    if ! [[ $version =~ ^9\.[0-6]\. ]]; then
        t_skip "vendor-specific VF refused by libvirtd $version" \
            "expected only before 9.7.0; test-libvirt-trixie.sh proves the start on 11.3"
    else
        vf_domain vm1 1 'profile="A40-2Q"' 0000:67:00.4 no
        err=$(lv_virsh start vm1 2>&1 >/dev/null)
        t_eq "libvirt 9.0: a VF on the nvidia driver is refused before QEMU starts" \
            "error: Failed to start domain 'vm1'
error: Requested operation is not valid: Unmanaged PCI device 0000:67:00.4 must be manually detached from the host" "$err"
        lv_t_syslog "the hook gave the VF its type at prepare begin" \
            "domain 'vm1': VF 0000:67:00.4 took NVIDIA A40-2Q \\(nvidia-558\\)"
        lv_t_syslog "release end cleared it when libvirt gave up" \
            "domain 'vm1': removed $(u 1) \\(nvidia-558 on 0000:67:00.4\\)"
        t_eq "nothing left: type 0, no ledger" "0:0" \
            "$(cat "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"):$(ls "$(lv_nsfile /run/vgpu-hook)" | grep -c ledger)"
        t_eq "the domain is shut off" "shut off" "$(lv_virsh domstate vm1 2>&1)"
    fi
    lv_stop
else
    t_fail "libvirtd up in the namespace (a40x2-vfio)" "see the log above"
fi

# A plain VF (AMD, Intel) is a PCI device like any other: libvirt binds it
# to vfio-pci for the domain and gives it back afterwards, which the
# simulator answers as the kernel does (sim-pci.c). Any libvirt version.
# plain_vf_lifecycle SCENARIO GPU VF NATIVE [LABEL]: a domain asking for
# GPU with a managed hostdev on VF runs, holds it, and gives it back to
# NATIVE. LABEL (default SCENARIO) starts each check's name.
plain_vf_lifecycle() {
    local file=$1 gpu=$2 vf=$3 native=$4 scen=${5:-$1} out group qroot
    lv_start "$file" "pci_ids_path=$TOP/tests/sim/pci.ids" ||
        { t_fail "$scen: libvirtd up in the namespace" "see the log above"; lv_stop; return; }
    t_eq "$scen: the VF starts on its native driver ($native)" "$native" "$(driver_of "$vf")"
    vf_domain vm2 2 "gpu=\"$gpu\"" "$vf" yes
    out=$(lv_virsh start vm2 2>&1)
    t_eq "$scen: a domain with the VF (managed='yes') starts" "0:" "$?:$out"
    t_eq "$scen: ... and runs" running "$(lv_virsh domstate vm2 2>&1)"
    # libvirt gives QEMU a /dev of its own with the VF's group node and
    # /dev/vfio/vfio only (the namespace's /dev has every group number).
    group=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$vf/iommu_group")")
    qroot=/proc/$(cat "$(lv_nsfile /run/libvirt/qemu/vm2.pid)" 2>/dev/null)/root
    t_eq "$scen: QEMU's /dev/vfio holds vfio and the VF's group $group, nothing else" \
        "$group vfio" "$(ls "$qroot/dev/vfio" 2>&1 | LC_ALL=C sort | paste -sd' ')"
    t_eq "$scen: libvirt bound the VF to vfio-pci through driver_override and drivers_probe" \
        "vfio-pci vfio-pci yes" \
        "$(driver_of "$vf") $(cat "$SIM_ROOT/bus/pci/devices/$vf/driver_override") $([ -d "$SIM_ROOT/bus/pci/devices/$vf/vfio-dev" ] && echo yes || echo no)"
    lv_t_syslog "$scen: the hook recorded the VF at prepare begin" "domain 'vm2': VF $vf took "
    t_match "$scen: vgpuctl status shows the running domain holding the VF" \
        "^$vf .* vm2 +vgpu-hook +running$" "$(lv_vgpuctl status 2>&1)"
    vf_domain vm3 3 "gpu=\"$gpu\"" "$vf" yes
    t_eq "$scen: a second domain naming the VF is refused by the hook, naming the holder" \
        "error: Failed to start domain 'vm3'
error: Hook script execution failed: internal error: Child process (/etc/libvirt/hooks/qemu.d/vgpu-hook vm3 prepare begin -) unexpected exit status 1: vgpu-hook: domain 'vm3': vGPU device 0: VF $vf is taken by domain 'vm2'; run 'vgpuctl sync vm3' to point 'vm3' at a free VF" \
        "$(lv_virsh start vm3 2>&1 >/dev/null | lv_short)"
    t_eq "$scen: ... and the running domain keeps it" "running vfio-pci 1" \
        "$(lv_virsh domstate vm2 2>&1) $(driver_of "$vf") $(lv_ledgers)"
    out=$(lv_virsh destroy vm2 2>&1)
    t_eq "$scen: virsh destroy" "0:" "$?:$out"
    t_eq "$scen: libvirt gave the VF back: override cleared, native driver, no vfio-dev" \
        "(null) $native no" \
        "$(cat "$SIM_ROOT/bus/pci/devices/$vf/driver_override") $(driver_of "$vf") $([ -d "$SIM_ROOT/bus/pci/devices/$vf/vfio-dev" ] && echo yes || echo no)"
    lv_t_syslog "$scen: the hook dropped its record at release end" \
        "domain 'vm2': removed $(u 2) \\(vf-[0-9a-f]{4}-[0-9a-f]{4} on $vf\\)"
    t_eq "$scen: no ledger left" 0 "$(lv_ledgers)"
    out=$(lv_virsh start vm3 2>&1)
    t_eq "$scen: the other domain takes the VF now" "0: running vfio-pci" \
        "$?:$out $(lv_virsh domstate vm3 2>&1) $(driver_of "$vf")"
    lv_virsh destroy vm3 > /dev/null 2>&1
    t_eq "$scen: and gives it back in turn" "$native 0" "$(driver_of "$vf") $(lv_ledgers)"
    lv_stop
}

plain_vf_lifecycle mi300x-4 MI300X 0000:05:02.0 none

# A VF the administrator bound to vfio-pci beforehand: libvirt finds it on
# its stub driver, uses it as it is and leaves it there (virpci.c gives
# back only what it took).
pf_bound_vf=0000:26:02.0
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    printf vfio-pci > "$SIM_ROOT/bus/pci/devices/$pf_bound_vf/driver_override"
    printf '%s' "$pf_bound_vf" > "$SIM_ROOT/bus/pci/drivers_probe"
    vf_domain vm4 4 'gpu="MI300X"' "$pf_bound_vf" yes
    out=$(lv_virsh start vm4 2>&1)
    t_eq "pre-bound VF: the domain starts on a VF already on vfio-pci" "0: running" \
        "$?:$out $(lv_virsh domstate vm4 2>&1)"
    lv_virsh destroy vm4 > /dev/null 2>&1
    t_eq "pre-bound VF: after the stop it stays on vfio-pci, the record dropped" "vfio-pci vfio-pci 0" \
        "$(driver_of "$pf_bound_vf") $(cat "$SIM_ROOT/bus/pci/devices/$pf_bound_vf/driver_override") $(lv_ledgers)"
    lv_stop
else
    t_fail "pre-bound VF: libvirtd up in the namespace (mi300x-4)" "see the log above"
    lv_stop
fi
# libvirtd restarts while the domain runs: it keeps the VF, and what
# libvirt saved in the domain's status (it bound vfio-pci itself) still
# gives the VF back at the stop.
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    vf_domain vm2 2 'gpu="MI300X"' 0000:05:02.0 yes
    lv_virsh start vm2 > /dev/null 2>&1
    lv_restart_libvirtd
    t_eq "restart: after a libvirtd restart the domain runs, the VF still on vfio-pci" "running vfio-pci 1" \
        "$(lv_virsh domstate vm2 2>&1) $(driver_of 0000:05:02.0) $(lv_ledgers)"
    lv_t_syslog "restart: the hook's reconnect found the VF on vfio-pci as recorded" \
        "domain 'vm2': reconnect: $(u 2) \\(vf-1002-74b5 on 0000:05:02.0\\) ok"
    lv_virsh destroy vm2 > /dev/null 2>&1
    t_eq "restart: the stop still gives the VF back and drops the record" "none (null) 0" \
        "$(driver_of 0000:05:02.0) $(cat "$SIM_ROOT/bus/pci/devices/0000:05:02.0/driver_override") $(lv_ledgers)"
    lv_stop
else
    t_fail "restart: libvirtd up in the namespace (mi300x-4)" "see the log above"
    lv_stop
fi

# The live metadata removed while the domain runs (virsh metadata --live
# --remove): libvirt hands reconnect and release end an XML without our
# namespace, and the ledger still decides. The VF goes back and the next
# domain naming it starts (it was refused as "taken" when the hook trusted
# the XML).
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    vf=0000:05:02.0
    vf_domain vm2 2 'gpu="MI300X"' $vf yes
    lv_virsh start vm2 > /dev/null 2>&1
    out=$(lv_virsh metadata vm2 --live --uri urn:vgpu-hook:1 --remove 2>&1)
    t_eq "metadata removed: virsh metadata --live --remove on the running domain" "0:" "$?:$out"
    t_eq "metadata removed: the live XML lost it, the VF is still held" "0 running vfio-pci 1" \
        "$(lv_virsh dumpxml vm2 2>&1 | grep -c urn:vgpu-hook) $(lv_virsh domstate vm2 2>&1) $(driver_of $vf) $(lv_ledgers)"
    lv_restart_libvirtd
    lv_t_syslog "metadata removed: reconnect after a libvirtd restart names what the ledger holds" \
        "domain 'vm2': reconnect: ledger holds $(u 2) \\(vf-1002-74b5 on $vf, present\\), which the domain no longer asks for"
    out=$(lv_virsh destroy vm2 2>&1)
    t_eq "metadata removed: virsh destroy" "0:" "$?:$out"
    lv_t_syslog "metadata removed: release end released by the ledger" \
        "domain 'vm2': releasing 1 vGPU.*the live XML asks for none of them"
    t_eq "metadata removed: the VF given back (native driver, override cleared), no ledger" "none (null) 0" \
        "$(driver_of $vf) $(cat "$SIM_ROOT/bus/pci/devices/$vf/driver_override") $(lv_ledgers)"
    vf_domain vm3 3 'gpu="MI300X"' $vf yes
    out=$(lv_virsh start vm3 2>&1)
    t_eq "metadata removed: the next domain naming the VF starts" "0: running" \
        "$?:$out $(lv_virsh domstate vm3 2>&1)"
    lv_virsh destroy vm3 > /dev/null 2>&1
    t_eq "metadata removed: ... and gives it back in turn" "none 0" "$(driver_of $vf) $(lv_ledgers)"
    lv_stop
else
    t_fail "metadata removed: libvirtd up in the namespace (mi300x-4)" "see the log above"
    lv_stop
fi

plain_vf_lifecycle s7150-2vf "FirePro S7150" 0000:04:02.1 none
# Intel xe with the VFs probed by xe on the host (sriov_drivers_autoprobe
# left on): libvirt unbinds xe first and gives the VF back to xe.
xe_probed=$(mktemp /tmp/vgpu-e2e-xe.XXXXXX.ini)
{ cat "$TOP/tests/sim/scenarios/intel-xe-sriov.ini"; echo "vf_driver=xe"; } > "$xe_probed"
plain_vf_lifecycle "$xe_probed" "Arc Pro B60" 0000:03:00.3 xe "intel-xe-sriov, VFs on xe"
rm -f "$xe_probed"
t_done
