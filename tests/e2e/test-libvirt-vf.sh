#!/usr/bin/env bash
# Whole VFs under the real libvirtd in a private namespace: what the hook
# does (the type written before QEMU would start, cleared after; the plain
# VF recorded and dropped) and what libvirt itself requires of the VF.
#
# Measured on Debian 12's libvirt 9.0: a vendor-specific NVIDIA VF with
# managed='no' is refused before QEMU starts, "Unmanaged PCI device ... must
# be manually detached from the host" (9.0 accepts only a VF bound to
# vfio-pci for managed='no'; the nvidia driver is the VF's VFIO provider
# and must stay bound). An AMD VF with managed='yes' makes libvirt load
# the vfio-pci module, which this machine (no kernel modules) cannot. This
# tier asserts those refusals on libvirt 9.x, with the hook's effects
# undone both times; on other versions it says it does not know what to
# expect (a skip, not a pass).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF
. "$TOP/tests/e2e/libvirt-env.sh"

lv_tier_begin "libvirt whole-VF tier"

vf_domain() {   # vf_domain NAME N ATTRS VF MANAGED
    lv_domain_xml "$1" "$(du "$2")" --no-hostdev "uuid=\"$(u "$2")\" $3" |
        sed "s|</devices>|$(vf_hostdev "$(u "$2")" "$4" "$5" | tr -d '\n')</devices>|" > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}
hook_log() { grep -h "vgpu-hook" "$LV_WORK/syslog.log" 2>/dev/null; }

version=
if lv_start a40x2-vfio; then
    version=$(lv_virsh version 2>/dev/null | sed -n 's/^Using library: libvirt \([0-9.]*\).*/\1/p')
    lv_log "libvirt $version"
    if [[ $version != 9.* ]]; then
        echo "ok - vendor-specific VF under libvirt $version # SKIP only libvirt 9.x was measured"
    else
        vf_domain vm1 1 'profile="A40-2Q"' 0000:67:00.4 no
        err=$(lv_virsh start vm1 2>&1 >/dev/null)
        t_eq "libvirt 9.0: a VF on the nvidia driver is refused before QEMU starts" \
            "error: Failed to start domain 'vm1'
error: Requested operation is not valid: Unmanaged PCI device 0000:67:00.4 must be manually detached from the host" "$err"
        t_match "the hook gave the VF its type at prepare begin" \
            "domain 'vm1': VF 0000:67:00.4 took NVIDIA A40-2Q \\(nvidia-558\\)" "$(hook_log)"
        t_match "release end cleared it when libvirt gave up" \
            "domain 'vm1': removed $(u 1) \\(nvidia-558 on 0000:67:00.4\\)" "$(hook_log)"
        t_eq "nothing left: type 0, no ledger" "0:0" \
            "$(cat "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"):$(ls "$(lv_nsfile /run/vgpu-hook)" | grep -c ledger)"
        t_eq "the domain is shut off" "shut off" "$(lv_virsh domstate vm1 2>&1)"
    fi
    lv_stop
else
    t_fail "libvirtd up in the namespace (a40x2-vfio)" "see the log above"
fi

if [[ $version == 9.* ]] && lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    vf_domain vm2 2 'gpu="MI300X"' 0000:05:02.0 yes
    err=$(lv_virsh start vm2 2>&1 >/dev/null)
    t_eq "libvirt 9.0: managed='yes' loads vfio-pci first (not possible here)" \
        "error: Failed to start domain 'vm2'
error: internal error: Failed to load PCI stub module vfio-pci" "$err"
    t_match "the hook recorded the AMD VF at prepare begin" \
        "domain 'vm2': VF 0000:05:02.0 took .*MI300X.* \\(vf-1002-74b5\\)|domain 'vm2': VF 0000:05:02.0 took 1002:74a1 \\(vf-1002-74b5\\)" "$(hook_log)"
    t_match "and dropped the record at release end" "domain 'vm2': removed $(u 2) \\(vf-1002-74b5 on 0000:05:02.0\\)" "$(hook_log)"
    t_eq "no ledger left" 0 "$(ls "$(lv_nsfile /run/vgpu-hook)" | grep -c ledger)"
    lv_stop
fi
t_done
