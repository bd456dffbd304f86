#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placement by vGPU capacity without any daemon: vgpuctl cluster publish
# sets a node's utilization and GPU-model attributes in a CIB file
# (CIB_file, as crm_attribute honours it) from a simulated host whose
# vGPUs the real hook made, vgpuctl cluster need gives the resource's, and
# crm_simulate (Pacemaker's own scheduler) places by them: a node without
# room is never chosen, even the preferred one; a full cluster leaves the
# resource stopped and says why; a location rule on the GPU model holds.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

VGPUCTL=$B/cli/vgpuctl
# test:///default: libvirt's in-process driver (no daemon); it runs no
# transient domain, so every vGPU the hook made counts as taken.
URI=test:///default
CIB=$WORK/cib.xml

for c in crm_simulate crm_attribute crm_resource cibadmin; do
    command -v "$c" > /dev/null || { t_fail "$c installed (pacemaker-cli-utils)" "not found"; t_done; }
done

publish() {   # publish NODE: as the keeper runs it on that node
    CIB_file=$CIB "$VGPUCTL" -c "$URI" cluster publish --node "$1" > "$WORK/pub.out" 2> "$WORK/pub.err"
    RC=$?
    OUT=$(cat "$WORK/pub.out")
    ERR=$(cat "$WORK/pub.err")
}
util_of() {   # util_of NODE NAME: the node's utilization as the CIB holds it
    CIB_file=$CIB crm_attribute --type nodes --node "$1" --utilization --name "$2" --query \
        --quiet 2> /dev/null
}
attr_of() { CIB_file=$CIB crm_attribute --type nodes --node "$1" --name "$2" --query --quiet 2> /dev/null; }
need() {      # need RSC FILE: set the resource's utilization as the agent does at start
    local line
    "$VGPUCTL" cluster need "$2" > "$WORK/need.out" 2> "$WORK/need.err" || return 1
    while IFS='=' read -r name value; do
        CIB_file=$CIB crm_resource --resource "$1" --utilization --set-parameter "$name" \
            --parameter-value "$value" > /dev/null || return 1
    done < "$WORK/need.out"
}
simulate() {  # simulate: LOG = what the scheduler printed, with its reasons
    crm_simulate --simulate --xml-file "$CIB" --show-utilization --show-scores -VVVVV > "$WORK/sim.out" 2>&1
    RC=$?
    LOG=$(cat "$WORK/sim.out")
}
# after RSC: its state once the transition ran (the last status line)
after() { grep -E "^[ *]*$1"$'\t' "$WORK/sim.out" | tail -n 1 | tr -s '\t ' ' '; }
fill_a40s() { # both A40s of a40x2-sriov full: an A40-48Q on each
    start full1 11 "uuid=\"$(u 11)\" profile=\"A40-48Q\"" &&
        start full2 12 "uuid=\"$(u 12)\" profile=\"A40-48Q\""
}

test_publish_and_place() {
    cp "$TOP/tests/cluster/fixtures/two-nodes.xml" "$CIB"
    fresh a40x2-sriov || return
    fill_a40s
    t_eq "node1: the hook filled both A40s" "0:2" "$RC:$(mdevs | wc -w)"
    publish node1
    t_eq "publish node1: exit 0, nothing on stderr" "0:" "$RC:$ERR"
    t_match "publish node1: prints what it set" "^utilization vgpu-A40-2Q=0$" "$OUT"
    t_eq "node1 in the CIB: no A40-2Q left, 2 A40s" "0 2" "$(util_of node1 vgpu-A40-2Q) $(attr_of node1 vgpu-model-A40)"
    stop full1; stop full2
    publish node2
    t_eq "node2 (same host, emptied) in the CIB: 48 A40-2Q, 2 A40-48Q" "0:48 2" \
        "$RC:$(util_of node2 vgpu-A40-2Q) $(util_of node2 vgpu-A40-48Q)"

    dom vm1 "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/vm1.xml"
    "$VGPUCTL" cluster need "$WORK/vm1.xml" > "$WORK/need.out" 2>&1
    t_eq "need: one A40-2Q" "0:vgpu-A40-2Q=1" "$?:$(cat "$WORK/need.out")"
    need vm1 "$WORK/vm1.xml"
    simulate
    t_eq "simulate: exit 0" 0 "$RC"
    t_match "vm1 started on node2, though it prefers node1" "Started node2$" "$(after vm1)"
    t_match "the scheduler says node1 has no room for vm1" "node1 does not have enough capacity for vm1" "$LOG"

    # node2 fills up (a domain outside the cluster took its room): the
    # next publish says so, and vm1 stays stopped.
    fill_a40s
    publish node2
    t_eq "node2 full, published: 0" "0:0" "$RC:$(util_of node2 vgpu-A40-2Q)"
    simulate
    t_match "full cluster: vm1 stays stopped" "Stopped$" "$(after vm1)"
    t_match "full cluster: why, per node" "Remaining capacity for vgpu-A40-2Q on node2 \(0\) is insufficient for resource vm1 usage \(1\)" "$LOG"
    t_match "full cluster: the scheduler says vm1 cannot run anywhere" "Resource vm1 cannot run anywhere" "$LOG"
    stop full1; stop full2
}

# A node whose GPUs change (here: a P40 host) drops the A40 figures it had
# published; the location rule on the GPU model keeps vm2 off it.
test_model_rule() {
    fresh a40x2-sriov || return
    publish node2
    fresh p40-timesliced || return
    publish node1
    t_eq "publish on a P40 host: exit 0" "0:" "$RC:$ERR"
    t_match "it deletes the A40 figures node1 had" "utilization vgpu-A40-2Q deleted" "$OUT"
    t_eq "node1 keeps no vgpu-model-A40, has vgpu-model-P40 (2 GPUs)" ":2" "$(attr_of node1 vgpu-model-A40):$(attr_of node1 vgpu-model-P40)"
    simulate
    t_match "vm2 (rule: an A40) on node2" "Started node2$" "$(after vm2)"
    t_match "vm1 (A40-2Q) on node2 too" "Started node2$" "$(after vm1)"
    t_match "the rule bans vm2 from node1" "vm2 allocation score on node1: -INFINITY" "$LOG"
}

# Where no Pacemaker runs (as in the keeper on a lone host) publish
# --if-cluster does nothing and says nothing.
test_if_cluster() {
    fresh a40x2-sriov || return
    PATH=/usr/bin:/bin "$VGPUCTL" -c "$URI" cluster publish --if-cluster > "$WORK/o" 2>&1
    t_eq "--if-cluster without crm_node: exit 0, silent" "0:" "$?:$(cat "$WORK/o")"
    PATH=/usr/bin:/bin "$VGPUCTL" -c "$URI" cluster publish > "$WORK/o" 2>&1
    t_eq "without --if-cluster: one line why" "1:vgpuctl: cluster publish: crm_node not found: is Pacemaker installed?" "$?:$(cat "$WORK/o")"
}

test_publish_and_place
test_model_rule
test_if_cluster
t_done
