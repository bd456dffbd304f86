#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A vendor-specific NVIDIA VF under the libvirt that vGPU 17+ hosts run:
# Debian 12's 9.0 refuses such a VF (tests/e2e/test-libvirt-vf.sh). Since
# libvirt 9.7.0, managed='no' takes a VF whose driver is not vfio-pci as
# VFIO when the VF's sysfs directory has vfio-dev/
# (virPCIDeviceGetCurrentDriverNameAndType, src/util/virpci.c). What else
# 11.3 reads of a managed='no' VF (virHostdevPreparePCIDevicesImpl,
# src/hypervisor/virhostdev.c): its config space (the header type must be
# an endpoint), its iommu_group (no device of the group may be another
# domain's; the number names /dev/vfio/N, which it stats and makes in
# QEMU's /dev) and /dev/vfio/vfio; it skips the reset for a VFIO driver and
# leaves the driver bound at release.
#
# Two cached debootstrap roots (tests/e2e/libvirt-root.sh): Debian 13 as it
# ships (libvirt 11.3), and Debian 12 with libvirt and QEMU from
# bookworm-backports (the Debian 12 workaround INSTALL.md gives). Each
# root's libvirtd (what Debian enables by default: libvirtd.service and its
# sockets; virtqemud is not even installed) and QEMU run in the private
# namespace of tests/e2e/libvirt-env.sh (LV_ROOT) against the simulator's
# a40x2-vfio host, with the hook of this tree's plain build (built on
# Debian 12: it needs only sonames trixie also has, so the one binary is
# checked under every libvirt; the sanitizer build needs gcc 12's runtime,
# which the roots do not carry).
#
# Proof, per root: the domain reaches `running`; the type is on the VF
# before QEMU starts (the emulator wrapper reads it at exec) and while it
# runs; it is cleared after `virsh destroy` and after QEMU exits on its own;
# a taken VF is refused naming its holder; a missing /dev/vfio group node
# (or /dev/vfio/vfio) is refused by libvirt itself, and the hook gives the
# type back; the PF, on the same nvidia driver but without vfio-dev/, is
# refused as 9.0 refuses the VF. A machine where a root cannot be built fails here,
# saying why.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export TOP
unset VGPU_HOOK_CONF
# The plain build: see above.
B=$TOP/build/plain
. "$TOP/tests/e2e/libvirt-env.sh"

if [ "$(id -u)" -ne 0 ]; then
    t_skip "Debian 13 libvirt tier" "needs root (debootstrap, namespaces)"
    t_done
    exit 0
fi
# Each root is built on first use; one that cannot be is a failed check
# that says why (lv_debian_root).
lv_debian_root trixie; TRIXIE=$LV_DEBIAN_ROOT
lv_debian_root bookworm-backports; BACKPORTS=$LV_DEBIAN_ROOT
if [ -z "$TRIXIE" ]; then
    t_done
    exit 1
fi
export LV_ROOT=$TRIXIE

lv_tier_begin "Debian 13 libvirt tier"

VF=0000:67:00.4
# wait_state NAME STATE: until virsh domstate says STATE (bounded)
wait_state() {
    local i
    for i in $(seq 1 200); do
        [ "$(lv_virsh domstate "$1" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

# prove LABEL: everything below against the daemon of LV_ROOT.
prove() {
    local R=$1 version err group PF
    LV_EMULATOR=$LV_DIR/qemu-novfio
    if ! lv_start a40x2-vfio; then
        t_fail "$R: libvirtd up in the namespace (a40x2-vfio)" "see the log above"
        lv_dump_logs
        lv_stop
        return 1
    fi
    # The daemon's own word (virsh version shows the client library's).
    version=$(sed -n 's/.*: info : libvirt version: \([0-9.]*\),.*/\1/p' "$LV_WORK/libvirtd.log" | head -n 1)
    lv_log "libvirtd $version ($(grep -m1 -o 'package: [^)]*)' "$LV_WORK/libvirtd.log")), $(lv_virsh version 2>/dev/null | grep 'Running hypervisor')"
    t_match "$R: the daemon is libvirt $version, >= 9.7 (the first to take a VFIO variant driver)" \
        '^(9\.([7-9]|[1-9][0-9])|[1-9][0-9]+\.[0-9]+)\.' "$version"

    # The emulator as libvirt runs it, behind a wrapper that records the VF's
    # type at the moment QEMU is exec'd (after every prepare hook, before QEMU
    # could open the VF), then runs the usual test emulator.
    # (libvirt also runs it to probe QEMU's capabilities: no VF there.)
    cat > "$LV_WORK/qemu-sawtype" <<EOF
#!/bin/bash
case "\$*" in
    *'"host":"$VF"'*) cat /sys/bus/pci/devices/$VF/nvidia/current_vgpu_type >> "$LV_WORK/qemu-saw.log" ;;
esac
exec "$LV_EMULATOR" "\$@"
EOF
    chmod 0755 "$LV_WORK/qemu-sawtype"
    install -m 0666 /dev/null "$LV_WORK/qemu-saw.log"    # QEMU runs as libvirt-qemu
    LV_EMULATOR=$LV_WORK/qemu-sawtype

    vf_domain vm1 1 'profile="A40-2Q"' "$VF"
    err=$(lv_virsh start vm1 2>&1 >/dev/null)
    t_eq "$R: a VF on the nvidia driver, managed='no', starts under libvirt $version" "" "$err"
    t_eq "$R: vm1 is running" "running" "$(lv_virsh domstate vm1 2>&1)"
    lv_t_syslog "$R: prepare begin gave the VF its type" \
        "domain 'vm1': VF $VF took NVIDIA A40-2Q \\(nvidia-558\\)"
    t_eq "$R: QEMU was exec'd with the type already on the VF" 558 "$(cat "$LV_WORK/qemu-saw.log" 2>&1)"
    t_eq "$R: the VF holds it while vm1 runs" 558 "$(cur $VF)"
    t_match "$R: libvirt keeps the user alias on the live hostdev" \
        "<alias name='ua-vgpu-$(u 1)'/>" "$(lv_virsh dumpxml vm1 2>&1)"

    # Taken: the hook refuses before libvirt looks at the device.
    vf_domain vm2 2 'profile="A40-2Q"' "$VF"
    err=$(lv_virsh start vm2 2>&1 >/dev/null)
    t_match "$R: a second domain on the taken VF is refused, naming the holder" \
        "VF $VF is taken by domain 'vm1'; run 'vgpuctl sync vm2' to point 'vm2' at a free VF" "$err"
    t_eq "$R: vm2 is shut off, vm1's type untouched" "shut off:558" "$(lv_virsh domstate vm2 2>&1):$(cur $VF)"

    LV_TIMEOUT=30 lv_virsh destroy vm1 > /dev/null 2>&1
    lv_t_syslog "$R: release end cleared the type after virsh destroy" \
        "domain 'vm1': removed $(u 1) \\(nvidia-558 on $VF\\)"
    t_eq "$R: after destroy: type 0, no ledger" "0:0" "$(cur $VF):$(lv_ledgers)"

    # QEMU exiting on its own (the path a guest poweroff takes: libvirt sees
    # the process end, not a destroy): QMP quit.
    : > "$LV_WORK/qemu-saw.log"
    err=$(lv_virsh start vm1 2>&1 >/dev/null)
    t_eq "$R: vm1 starts again on the same VF" "running:558:558" \
        "$(lv_virsh domstate vm1 2>&1):$(cat "$LV_WORK/qemu-saw.log" 2>&1):$(cur $VF)${err:+ ($err)}"
    lv_virsh qemu-monitor-command vm1 '{"execute":"quit"}' > /dev/null 2>&1
    if wait_state vm1 "shut off"; then
        t_pass "$R: vm1 is shut off after QEMU quit on its own"
    else
        t_fail "$R: vm1 is shut off after QEMU quit on its own" "state: $(lv_virsh domstate vm1 2>&1)"
    fi
    t_eq "$R: after QEMU's own exit: type 0, no ledger" "0:0" "$(cur $VF):$(lv_ledgers)"

    # What the namespace must present: without the VF's /dev/vfio group node
    # libvirt itself refuses after the prepare hook, and release end undoes it.
    group=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$VF/iommu_group")")
    rm -f "$(lv_nsfile "/dev/vfio/$group")"
    err=$(lv_virsh start vm1 2>&1 >/dev/null)
    lv_log "without /dev/vfio/$group: $err"
    t_match "$R: libvirt refuses a VF whose /dev/vfio/$group is missing" "/dev/vfio/$group" "$err"
    t_eq "$R: and the hook gave the type back: type 0, no ledger, shut off" "0:0:shut off" \
        "$(cur $VF):$(lv_ledgers):$(lv_virsh domstate vm1 2>&1)"

    # vfio-dev/ is what makes the driver VFIO to libvirt: the PF, on the same
    # nvidia driver but without vfio-dev/, is refused as 9.0 refuses the VF
    # (a domain without our metadata: the hook stays out of it).
    PF=0000:67:00.0
    lv_domain_xml pf1 "$(du 3)" |
        sed "s|</devices>|$(vf_hostdev "$(u 3)" "$PF" no | tr -d '\n')</devices>|" > "$LV_WORK/pf1.xml"
    lv_virsh define "$LV_WORK/pf1.xml" > /dev/null
    err=$(lv_virsh start pf1 2>&1 >/dev/null)
    t_eq "$R: the nvidia-bound PF without vfio-dev/ is refused by libvirt $version" \
        "error: Failed to start domain 'pf1'"$'\n'"error: Requested operation is not valid: Unmanaged PCI device $PF must be manually detached from the host" \
        "$err"

    # Without /dev/vfio/vfio (the VFIO container) libvirt finds no VFIO at all.
    rm -f "$(lv_nsfile /dev/vfio/vfio)"
    err=$(lv_virsh start vm1 2>&1 >/dev/null)
    t_eq "$R: without /dev/vfio/vfio libvirt refuses all PCI passthrough" \
        "error: Failed to start domain 'vm1'"$'\n'"error: unsupported configuration: host doesn't support passthrough of host PCI devices" \
        "$err"
    t_eq "$R: and the hook gave the type back again: type 0, no ledger" "0:0" "$(cur $VF):$(lv_ledgers)"

    lv_stop
    t_eq "$R: nothing left in the namespace" "" "$LV_LEFTOVER"
}

t_ok "Debian 13 enables libvirtd (not the modular virtqemud) by default" \
    test -e "$LV_ROOT/etc/systemd/system/sockets.target.wants/libvirtd.socket" -a \
    ! -e "$LV_ROOT/usr/sbin/virtqemud"

prove "Debian 13"
if [ -n "$BACKPORTS" ]; then
    LV_ROOT=$BACKPORTS
    lv_setup && prove "Debian 12 + bookworm-backports"
fi
t_done
