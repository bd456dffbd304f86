#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-hook-floor.sh: what a prepare reads of sysfs, counted by the
# simulator, with the simulator mounted whole at /sys in a private mount
# namespace, so that every path lookup reaches it as every lookup reaches
# kernfs on a real host. On dgx-8x20 (8 GPUs x 20 VFs x 22 types) a prepare
# of one A40-2Q and `vgpuctl check` of it stay near the floor: each GPU's
# type list once, one link per VF, one available_instances per candidate,
# each opened below a directory already resolved (bench/floor.sh measures
# the same; these are its targets, as bounds). The counts are deterministic.
# The device is still made, on the first VF, after the fresh check.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

VGPUCTL=$B/cli/vgpuctl
NS_PID=
ns_stop() { [ -n "$NS_PID" ] && { kill "$NS_PID" 2>/dev/null; wait "$NS_PID" 2>/dev/null; }; NS_PID=; }
trap 'ns_stop; hook_cleanup' EXIT
# The simulator whole at /sys in a namespace held by a sleeping process.
ns_start() {
    unshare -m --propagation private bash -c \
        'mount --bind "$1" /sys || exit 97; echo ready; exec sleep infinity' _ "$SIM_ROOT" \
        > "$WORK/ns.log" 2>&1 &
    NS_PID=$!
    local i
    for i in $(seq 1 300); do
        grep -q ready "$WORK/ns.log" 2>/dev/null && return 0
        kill -0 "$NS_PID" 2>/dev/null || break
        sleep 0.05
    done
    return 1
}
reset() { printf 'reset-stats\n' > "$SIM_ROOT/vgpu-sim/control"; }
# "TOTAL OTHER": all operations, and those that are not lookups (getattr)
ops() { awk '{ v[$1] = $2 } END { print v["total"], v["total"] - v["getattr"] }' "$SIM_ROOT/vgpu-sim/stats"; }
# within OPS VFS MAX_PER_VF MAX_OTHER_PER_VF: both bounds hold
within() {
    local total other
    read -r total other <<< "$1"
    awk -v t="$total" -v o="$other" -v n="$2" -v a="$3" -v b="$4" \
        'BEGIN { exit !(t > 0 && t / n <= a && o / n <= b) }'
}

test_prepare_floor() {
    local vfs
    fresh dgx-8x20 || return
    conf "sysfs_root=/sys"
    ns_start || { t_fail "simulator whole at /sys" "$(cat "$WORK/ns.log")"; return; }
    vfs=$(ls "$SIM_ROOT/class/mdev_bus" | wc -l)
    dom vm1 "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/vm1.xml"

    reset
    nsenter -t "$NS_PID" -m -- "$VGPUCTL" --hook-config "$VGPU_HOOK_CONF" check "$WORK/vm1.xml" \
        > "$WORK/check.out" 2>&1
    RC=$?
    local check_ops
    check_ops=$(ops)
    t_match "check: would make it on the first VF" "^0:.*create +0000:07:00.4 " \
        "$RC:$(tr '\n' ' ' < "$WORK/check.out")"
    t_ok "check: at most 20 operations per VF parent, 4 besides lookups ($check_ops for $vfs)" \
        within "$check_ops" "$vfs" 20 4

    reset
    nsenter -t "$NS_PID" -m -- "$HOOK" vm1 prepare begin - < "$WORK/vm1.xml" > "$WORK/out" 2> "$WORK/err"
    RC=$?
    local prep_ops
    prep_ops=$(ops)
    t_eq "prepare: exit 0, the device on the first VF" "0:0000:07:00.4" "$RC:$(mdev_parent "$(u 1)")"
    t_ok "prepare: at most 20 operations per VF parent, 4 besides lookups ($prep_ops for $vfs)" \
        within "$prep_ops" "$vfs" 20 4
    nsenter -t "$NS_PID" -m -- "$HOOK" vm1 release end - < "$WORK/vm1.xml" > "$WORK/out" 2> "$WORK/err"
    t_eq "release: the device gone" "0:0" "$?:$(mdev_count)"
    ns_stop
}

test_prepare_floor
t_done
