#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ocf:vgpu-hook:vgpu-domain (ocf/vgpu-domain) against a real libvirtd in a
# private namespace (tests/e2e/libvirt-env.sh), wrapping resource-agents'
# own VirtualDomain: its start writes a node-local copy of the shared
# config with the vGPU's <hostdev> (mdev) or a free VF (whole VF), and the
# hook makes the device with the request's UUID; stop removes it;
# ocf-tester passes; a node without room fails start with the reason.
# vgpu-keeper publishes the node's capacity as domains start and stop
# (into a CIB file: CIB_file, as crm_attribute honours it; crm_node is a
# stand-in naming this node, since no cluster runs in this tier).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF
. "$TOP/tests/e2e/libvirt-env.sh"
. "$TOP/tests/e2e/keeper-lib.sh"

AGENT=$TOP/ocf/vgpu-domain
for c in ocf-tester crm_attribute crm_resource; do
    command -v "$c" > /dev/null || { t_fail "$c installed" "not found"; t_done; }
done
[ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ] ||
    { t_fail "VirtualDomain installed (resource-agents)" "not found"; t_done; }

lv_tier_begin "OCF agent tier"

# Set up once the namespace's work dir exists.
ra_setup() {
    mkdir -p "$LV_WORK/shared" "$LV_WORK/rsc" "$LV_WORK/bin"
    printf '#!/bin/sh\n[ "$1" = -n ] && echo node1\n' > "$LV_WORK/bin/crm_node"
    chmod +x "$LV_WORK/bin/crm_node"
    # A live CIB applies each change alone (pacemaker-based); a CIB_file is
    # read, changed and written whole by each tool, so the keeper's publish
    # and the agent's utilization, run at once, could lose one's change.
    # These wrappers serialize them on the file, as the daemon would.
    local tool real
    for tool in crm_attribute crm_resource; do
        real=$(command -v "$tool") || continue
        printf '#!/bin/sh\nexec flock %s %s "$@"\n' "$LV_WORK/cib.lock" "$real" > "$LV_WORK/bin/$tool"
        chmod +x "$LV_WORK/bin/$tool"
    done
    cp "$TOP/tests/cluster/fixtures/two-nodes.xml" "$LV_WORK/cib.xml"
    RA_ENV=(OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$LV_WORK/rsc" PATH="$LV_WORK/bin:$PATH"
            CIB_file="$LV_WORK/cib.xml" OCF_RESKEY_vgpuctl="$LV_B/cli/vgpuctl")
}
# ra NAME ACTION: the agent as Pacemaker runs it (force_stop: these test
# domains boot no guest that would answer an ACPI shutdown), for resource NAME whose
# shared config is LV_WORK/shared/NAME.xml; RC, ERR (its stderr: ocf-exit-reason)
ra() {
    lv_ns env "${RA_ENV[@]}" OCF_RESOURCE_INSTANCE="$1" OCF_RESKEY_config="$LV_WORK/shared/$1.xml" \
        OCF_RESKEY_CRM_meta_timeout=60000 OCF_RESKEY_force_stop=true "$AGENT" "$2" > "$LV_WORK/ra.out" 2> "$LV_WORK/ra.err"
    RC=$?
    ERR=$(cat "$LV_WORK/ra.err")
}
local_copy() { echo "$LV_WORK/rsc/vgpu-domain/$1.xml"; }
util_of() { CIB_file=$LV_WORK/cib.xml "$LV_WORK/bin/crm_attribute" --type nodes --node node1 --utilization --name "$1" --query --quiet 2> /dev/null; }
rsc_util() { CIB_file=$LV_WORK/cib.xml "$LV_WORK/bin/crm_resource" --resource "$1" --utilization --get-parameter "$2" --quiet 2> /dev/null; }
util_is() { [ "$(util_of "$1")" = "$2" ]; }
live_vf() { lv_virsh dumpxml "$1" | hostdev_vf "$2"; }

test_meta() {
    lv_ns env OCF_ROOT=/usr/lib/ocf "$AGENT" meta-data > "$LV_WORK/meta.xml"
    t_eq "meta-data: exit 0" 0 $?
    grep -v '^<!DOCTYPE' "$LV_WORK/meta.xml" |
        xmllint --noout --nonet --dtdvalid /usr/share/resource-agents/ra-api-1.dtd - > "$LV_WORK/lint" 2>&1
    t_eq "meta-data: valid against ra-api-1.dtd" "0:" "$?:$(cat "$LV_WORK/lint")"
    ra nosuch validate-all
    t_eq "validate-all, config missing: OCF_ERR_INSTALLED (5), says which file" \
        "5:ocf-exit-reason:config $LV_WORK/shared/nosuch.xml does not exist or is not readable" "$RC:$(grep exit-reason <<< "$ERR")"
}

test_mdev_start_stop() {
    lv_domain_xml vm1 "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$LV_WORK/shared/vm1.xml"
    cp "$LV_WORK/shared/vm1.xml" "$LV_WORK/vm1.orig"
    keeper_start PATH="$LV_WORK/bin:$PATH" CIB_file="$LV_WORK/cib.xml" --vgpuctl "$LV_B/cli/vgpuctl"
    wait_for 120 util_is vgpu-A40-48Q 2
    t_eq "keeper: published the empty host (A40-2Q 48, A40-48Q 2)" "48 2" "$(util_of vgpu-A40-2Q) $(util_of vgpu-A40-48Q)"
    ra vm1 monitor
    t_eq "monitor before start: not running (7)" 7 "$RC"
    ra vm1 start
    t_eq "start: exit 0" 0 "$RC"
    t_eq "start: the domain runs (transient)" "running:no" "$(state vm1):$(lv_virsh dominfo vm1 | awk '/^Persistent/ { print $2 }')"
    t_eq "start: its mdev, with the request's UUID" "$(u 1)" "$(mdevs)"
    t_eq "start: the shared config is untouched" "" "$(cmp "$LV_WORK/shared/vm1.xml" "$LV_WORK/vm1.orig" 2>&1)"
    t_eq "start: the node-local copy has the mdev hostdev" 1 "$(grep -Ec "type=['\"]mdev['\"]" "$(local_copy vm1)" 2>/dev/null)"
    t_eq "start: the resource's utilization set (A40-2Q=1)" 1 "$(rsc_util vm1 vgpu-A40-2Q)"
    wait_for 120 util_is vgpu-A40-48Q 1
    t_eq "keeper after the start: A40-48Q 1 (one GPU holds 2Q now); A40-2Q 48 (Pacemaker counts its own)" \
        "1 48" "$(util_of vgpu-A40-48Q) $(util_of vgpu-A40-2Q)"
    ra vm1 monitor
    t_eq "monitor: running (0)" 0 "$RC"
    ra vm1 start
    t_eq "start again: 0, the same mdev" "0:$(u 1)" "$RC:$(mdevs)"
    ra vm1 stop
    t_eq "stop: exit 0, domain gone, mdev gone, local copy gone" "0:::no" \
        "$RC:$(lv_virsh list --all --name | grep -x vm1):$(mdevs):$([ -e "$(local_copy vm1)" ] && echo yes || echo no)"
    wait_for 120 util_is vgpu-A40-48Q 2
    t_eq "keeper after the stop: A40-48Q 2 again" 2 "$(util_of vgpu-A40-48Q)"
    ra vm1 stop
    t_eq "stop again: 0" 0 "$RC"
    ra vm1 monitor
    t_eq "monitor after stop: 7" 7 "$RC"
    # A domain outside the cluster (persistent) takes room the cluster
    # cannot count on: the published A40-2Q drops.
    lv_domain_xml vm9 "$(du 9)" "uuid=\"$(u 9)\" profile=\"A40-2Q\"" > "$LV_WORK/vm9.xml"
    lv_virsh define "$LV_WORK/vm9.xml" > /dev/null && lv_virsh start vm9 > /dev/null
    wait_for 120 util_is vgpu-A40-2Q 47
    t_eq "keeper: a persistent domain's start lowers A40-2Q to 47" 47 "$(util_of vgpu-A40-2Q)"
    lv_virsh destroy vm9 > /dev/null; lv_virsh undefine vm9 > /dev/null
    wait_for 120 util_is vgpu-A40-2Q 48
    t_eq "keeper: its stop gives it back" 48 "$(util_of vgpu-A40-2Q)"
    keeper_stop
}

test_ocf_tester() {
    lv_ns env HA_RSCTMP="$LV_WORK/rsc" PATH="$LV_WORK/bin:$PATH" CIB_file="$LV_WORK/cib.xml" \
        ocf-tester -n vm1 -o config="$LV_WORK/shared/vm1.xml" -o vgpuctl="$LV_B/cli/vgpuctl" -o force_stop=true \
        "$AGENT" > "$LV_WORK/ocf-tester.log" 2>&1
    t_eq "ocf-tester passes" "0:$AGENT passed all tests" "$?:$(tail -n 1 "$LV_WORK/ocf-tester.log")"
    [ $? = 0 ] || sed 's/^/# /' "$LV_WORK/ocf-tester.log"
    t_eq "ocf-tester: nothing left behind" ":" "$(lv_virsh list --all --name | grep -x vm1):$(mdevs)"
}

# Plain VFs (mi300x-4: four MI300X, one VF each; libvirt 9.0 runs a
# managed='yes' plain VF, not an NVIDIA vendor-specific one).
vf_domain() {   # vf_domain FILE NAME N VF: a gpu=MI300X domain naming VF
    lv_domain_xml "$2" "$(du "$3")" --no-hostdev "uuid=\"$(u "$3")\" gpu=\"MI300X\"" |
        sed "s|</devices>|$(vf_hostdev "$(u "$3")" "$4" yes | tr -d '\n')</devices>|" > "$1"
}
run_other() {   # run_other NAME N VF: a domain outside the cluster holds VF
    vf_domain "$LV_WORK/$1.xml" "$1" "$2" "$3"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null && lv_virsh start "$1" > /dev/null
}
test_whole_vf() {
    local vf
    # The shared file names 05:02.0, which a domain outside the cluster
    # runs on here: start points the copy at another free VF.
    run_other vm4 4 0000:05:02.0
    t_eq "whole VF: another domain runs on 05:02.0" running "$(state vm4)"
    vf_domain "$LV_WORK/shared/vm2.xml" vm2 2 0000:05:02.0
    ra vm2 start
    vf=$(live_vf vm2 "$(u 2)")
    t_eq "whole VF taken here: start 0, runs on another VF" "0:running:0000:26:02.0 yes" "$RC:$(state vm2):$vf"
    t_eq "whole VF: the shared file still names 05:02.0" "0000:05:02.0 yes" "$(hostdev_vf "$(u 2)" < "$LV_WORK/shared/vm2.xml")"
    t_eq "whole VF: the other domain keeps its VF" running "$(state vm4)"

    # No room: every VF held (vm2 by the cluster, the others not).
    run_other vm5 5 0000:85:02.0
    run_other vm6 6 0000:a6:02.0
    vf_domain "$LV_WORK/shared/vm3.xml" vm3 3 0000:85:02.0
    ra vm3 start
    t_eq "no room: start fails (1, generic: Pacemaker tries another node) with the reason" \
        "1:ocf-exit-reason:vgpuctl: cluster config: domain 'vm3': vGPU device 0 (MI300X): VF 0000:85:02.0 is missing or taken on this node and no free VF here can take it" \
        "$RC:$(grep exit-reason <<< "$ERR")"
    t_eq "no room: nothing started, no local copy" ":no" \
        "$(lv_virsh list --all --name | grep -x vm3):$([ -e "$(local_copy vm3)" ] && echo yes || echo no)"
    ra vm2 stop
    t_eq "whole VF: stop 0, the domain gone" "0:" "$RC:$(lv_virsh list --all --name | grep -x vm2)"
    ra vm3 start
    t_eq "room again: vm3 starts on the VF vm2 left" "0:0000:26:02.0 yes" "$RC:$(live_vf vm3 "$(u 3)")"
    ra vm3 stop
    for d in vm4 vm5 vm6; do lv_virsh destroy "$d" > /dev/null; lv_virsh undefine "$d" > /dev/null; done
}

if lv_start a40x2-sriov; then
    ra_setup
    run_test test_meta
    run_test test_mdev_start_stop
    run_test test_ocf_tester
else
    t_fail "libvirtd up in the namespace (a40x2-sriov)" "see the log above"
fi
lv_stop
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    ra_setup
    run_test test_whole_vf
else
    t_fail "libvirtd up in the namespace (mi300x-4)" "see the log above"
fi
lv_stop
t_done
