#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook through its real entry point: argv + domain XML on stdin, config
# from VGPU_HOOK_CONF pointing at a mounted simulator; every check reads the
# effect back from the simulator's sysfs.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

test_fast_path() {
    fresh a40x2-sriov
    hook vm-plain prepare begin < "$TOP/examples/vm-plain.xml"
    t_eq "no metadata: exit 0" 0 "$RC"
    t_eq "no metadata: prints nothing" "" "$OUT$ERR"
    t_eq "no metadata: no state written" 0 "$(ls "$WORK/state" 2>/dev/null | wc -l)"
    printf '<domain><name>c</name><!-- urn:vgpu-hook:1 --><devices/></domain>' > "$WORK/c.xml"
    hook c prepare begin < "$WORK/c.xml"
    t_eq "namespace only in a comment: exit 0, silent" "0:" "$RC:$OUT$ERR"
    for op in "start begin" "started begin" "stopped end" "migrate begin" "restore begin"; do
        hook vm-a40-2q $op < "$TOP/examples/vm-a40-2q.xml"
        t_eq "$op: exit 0, prints nothing, creates nothing" "0::0" "$RC:$OUT$ERR:$(mdev_count)"
    done
    hook vm-a40-2q frobnicate begin < "$TOP/examples/vm-a40-2q.xml"
    t_eq "unknown operation: exit 0, silent" "0:" "$RC:$OUT$ERR"
    "$HOOK" only-two args > /dev/null 2>&1 < /dev/null
    t_eq "too few arguments: usage, exit 2" 2 "$?"
}

test_single_profile_and_type() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "profile A40-2Q: prepare exit 0, silent" "0:" "$RC:$OUT$ERR"
    t_eq "profile A40-2Q: device exists" "$(u 1)" "$(mdevs)"
    t_eq "profile A40-2Q: type nvidia-558" nvidia-558 "$(mdev_type "$(u 1)")"
    t_eq "profile A40-2Q: parent is a VF" 1 "$([ -e "$SIM_ROOT/class/mdev_bus/$(mdev_parent "$(u 1)")/physfn" ] && echo 1)"
    t_eq "ledger written" 1 "$(ledgers)"
    stop vm1
    t_eq "release: exit 0" 0 "$RC"
    t_eq "release: device gone" "" "$(mdevs)"
    t_eq "release: ledger gone" 0 "$(ledgers)"

    local b
    b=$(sriov_gpus | tail -n 1)
    start vm2 2 "uuid=\"$(u 2)\" type=\"nvidia-560\" parent=\"$b\""
    t_eq "type id + PF parent: exit 0" "0:" "$RC:$ERR"
    t_eq "type id: nvidia-560 created" nvidia-560 "$(mdev_type "$(u 2)")"
    t_eq "PF parent: device on a VF of $b" "$b" "$(mdev_gpu "$(u 2)")"
    stop vm2
    start vm3 3 "uuid=\"$(u 3)\" profile=\"nvidia a40-4q\""
    t_eq "profile matched forgivingly (case, vendor prefix)" "0:nvidia-560" "$RC:$(mdev_type "$(u 3)")"
    stop vm3
    start vm4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\" type=\"nvidia-558\""
    t_eq "profile and type together" "0:nvidia-558" "$RC:$(mdev_type "$(u 4)")"
    stop vm4
    t_eq "all released" "" "$(mdevs)"
}

test_multiple_and_pack_spread() {
    fresh a40x2-sriov
    local a b i
    a=$(sriov_gpus | head -n 1)
    b=$(sriov_gpus | tail -n 1)
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "two vGPUs in one domain: both created" "0:$(u 1) $(u 2)" "$RC:$(mdevs)"
    t_eq "two vGPUs: different VFs" 1 "$([ "$(mdev_parent "$(u 1)")" != "$(mdev_parent "$(u 2)")" ] && echo 1)"
    t_eq "two vGPUs: same GPU (pack)" "$(mdev_gpu "$(u 1)")" "$(mdev_gpu "$(u 2)")"
    stop vm1
    t_eq "two vGPUs released" "" "$(mdevs)"

    for i in $(seq 1 25); do start "p$i" "$i" "uuid=\"$(u "$i")\" profile=\"A40-2Q\""; done
    t_eq "pack: 24 A40-2Q fill $a first" 24 "$(gpu_mdevs "$a")"
    t_eq "pack: the 25th opens $b" 1 "$(gpu_mdevs "$b")"
    start p26 26 "uuid=\"$(u 26)\" profile=\"A40-4Q\""
    t_eq "one profile per GPU: A40-4Q refused on both A40s" 1 "$RC"
    t_match "refusal names each GPU holding another profile" "GPU $a holds A40-2Q vGPUs; GPU $b holds A40-2Q vGPUs" "$ERR"
    t_eq "refusal is one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    start p27 27 "uuid=\"$(u 27)\" profile=\"A40-2Q\" parent=\"$a\""
    t_eq "25th A40-2Q on the full GPU: refused" 1 "$RC"
    t_match "refusal names the full GPU" "all 24 A40-2Q instances in use on $a" "$ERR"
    for i in $(seq 1 25); do stop "p$i"; done
    t_eq "pack: all released" 0 "$(mdev_count)"

    for i in 1 2 3 4; do start "s$i" "$i" "uuid=\"$(u "$i")\" profile=\"A40-1Q\" placement=\"spread\""; done
    t_eq "spread: alternates GPUs (2 on $a)" 2 "$(gpu_mdevs "$a")"
    t_eq "spread: alternates GPUs (2 on $b)" 2 "$(gpu_mdevs "$b")"
    t_eq "spread: 1st and 2nd on different GPUs" 1 "$([ "$(mdev_gpu "$(u 1)")" != "$(mdev_gpu "$(u 2)")" ] && echo 1)"
    for i in 1 2 3 4; do stop "s$i"; done
    conf placement=spread
    for i in 1 2; do start "c$i" "$i" "uuid=\"$(u "$i")\" profile=\"A40-1Q\""; done
    t_eq "spread from the config" 1 "$([ "$(mdev_gpu "$(u 1)")" != "$(mdev_gpu "$(u 2)")" ] && echo 1)"
    for i in 1 2; do stop "c$i"; done
}

test_parent_restriction() {
    fresh a40x2-sriov
    local a b vf
    a=$(sriov_gpus | head -n 1)
    b=$(sriov_gpus | tail -n 1)
    vf=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$b/virtfn5")")
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" parent=\"$vf\""
    t_eq "parent restricted to one VF: on that VF" "0:$vf" "$RC:$(mdev_parent "$(u 1)")"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" parent=\"$vf\""
    t_eq "same VF again: refused" 1 "$RC"
    t_match "same VF again: says why" "A40-2Q" "$ERR"
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\" parent=\"${b#0000:}\""
    t_eq "short PF address: on a VF of that GPU" "0:$b" "$RC:$(mdev_gpu "$(u 3)")"
    conf "deny=$b"
    start vm4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\""
    t_eq "deny list: goes to the other GPU" "0:$a" "$RC:$(mdev_gpu "$(u 4)")"
    conf "allow=$b" "deny=$b"
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\""
    t_eq "allow and deny the only GPU: refused" 1 "$RC"
    t_match "deny named in the refusal" "denied" "$ERR"
    conf
    for n in vm1 vm2 vm3 vm4 vm5; do stop $n; done
    t_eq "all released" 0 "$(mdev_count)"
}

test_timesliced() {
    fresh p40-timesliced
    local gpus n
    gpus=$(ls "$SIM_ROOT/class/mdev_bus" | wc -l)
    start t1 1 "uuid=\"$(u 1)\" profile=\"P40-1Q\""
    t_eq "P40-1Q on the PF" "0:nvidia-46" "$RC:$(mdev_type "$(u 1)")"
    start t2 2 "uuid=\"$(u 2)\" profile=\"GRID P40-2Q\""
    if [ "$gpus" -ge 2 ]; then
        t_eq "P40-2Q goes to another GPU" 0 "$RC"
        t_eq "P40-2Q not beside P40-1Q" 1 "$([ "$(mdev_parent "$(u 1)")" != "$(mdev_parent "$(u 2)")" ] && echo 1)"
        for n in $(seq 3 $((gpus + 1))); do start "t$n" "$n" "uuid=\"$(u "$n")\" profile=\"P40-3Q\""; done
    fi
    t_eq "another profile on a full set of GPUs: refused" 1 "$RC"
    t_match "one-profile-per-GPU reason" "holds P40-1Q vGPUs" "$ERR"
    for n in $(seq 1 $((gpus + 1))); do stop "t$n"; done
    t_eq "time-sliced: all released" 0 "$(mdev_count)"
}

test_shared_pool() {
    fresh mtty
    local i
    for i in $(seq 1 23); do hand_create mtty mtty-1 "$(u $((100 + i)))"; done
    start m1 1 "uuid=\"$(u 1)\" type=\"mtty-2\""
    t_eq "mtty pool with 1 port left: mtty-2 refused" 1 "$RC"
    t_match "shared pool: the reason is the pool, not one-type-per-GPU" \
        "no room for Dual port serial on mtty: its shared pool is used by 23 vGPU\\(s\\)" "$ERR"
    start m2 2 "uuid=\"$(u 2)\" profile=\"Single port serial\""
    t_eq "mtty: the last port is taken by profile name" "0:mtty-1" "$RC:$(mdev_type "$(u 2)")"
    stop m2
    stop m1
    t_eq "mtty: hand-made devices untouched" 23 "$(mdev_count)"
}

test_all_or_nothing() {
    fresh a40x2-sriov create_attempts=1
    sim_ctl fault create_fail_every 2
    sim_ctl fault create_errno EIO
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "2nd of 2 fails: prepare fails" 1 "$RC"
    t_match "2nd of 2 fails: the driver's error is named" "Input/output error" "$ERR"
    t_eq "2nd of 2 fails: the 1st was removed" "" "$(mdevs)"
    t_eq "2nd of 2 fails: ledger empty" 0 "$(ledgers)"
    stop vm1
    t_eq "release after failed prepare: exit 0" 0 "$RC"
    sim_ctl fault create_fail_every 0

    conf
    sim_ctl fault create_fail_at "$(( $(sim_fault creates) + 1 ))"
    start vm2 2 "uuid=\"$(u 3)\" profile=\"A40-2Q\" parent=\"$(sriov_gpus | head -n 1)\""
    t_eq "create fails on the first candidate: next one used" "0:$(u 3)" "$RC:$(mdevs)"
    t_eq "fallback: not on the first VF" 1 "$([ "$(mdev_parent "$(u 3)")" != "$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$(sriov_gpus | head -n 1)/virtfn0")")" ] && echo 1)"
    stop vm2
    t_eq "fallback device released" 0 "$(mdev_count)"
}

test_release_safety() {
    fresh a40x2-sriov
    local a vf
    a=$(sriov_gpus | head -n 1)
    vf=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$a/virtfn3")")
    dom never 9 "uuid=\"$(u 9)\" profile=\"A40-2Q\"" > "$WORK/never.xml"
    hook never release end < "$WORK/never.xml"
    t_eq "release of a domain that never ran: exit 0, silent" "0:" "$RC:$OUT$ERR"

    hand_create "$vf" nvidia-558 "$(u 7)"
    t_eq "a device made by hand exists" "$(u 7)" "$(mdevs)"
    start vm7 7 "uuid=\"$(u 7)\" profile=\"A40-2Q\""
    t_eq "prepare reuses an existing fitting device" "0:$(u 7)" "$RC:$(mdevs)"
    stop vm7
    t_eq "release leaves a device it did not create" "$(u 7)" "$(mdevs)"
    stop vm7
    t_eq "second release: still there, exit 0" "0:$(u 7)" "$RC:$(mdevs)"
    start vm8 8 "uuid=\"$(u 7)\" profile=\"A40-4Q\""
    t_eq "existing device of another type: refused" 1 "$RC"
    t_match "existing device of another type: says so" "already exists as type nvidia-558" "$ERR"
    t_eq "the foreign device survives" "$(u 7)" "$(mdevs)"

    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    stop vm1
    stop vm1
    t_eq "release twice: exit 0" 0 "$RC"
    t_eq "release twice: foreign device untouched" "$(u 7)" "$(mdevs)"
}

test_missing_hostdev_and_derived_uuid() {
    fresh a40x2-sriov
    dom vm1 "$(du 1)" --no-hostdev "profile=\"A40-2Q\"" > "$WORK/vm1.xml"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_eq "no <hostdev>: refused" 1 "$RC"
    t_match "no <hostdev>: shows the element" "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='[0-9a-f-]{36}'/></source></hostdev>" "$ERR"
    t_match "no <hostdev>: shows the vgpuctl command" "vgpuctl sync vm1" "$ERR"
    t_eq "no <hostdev>: nothing created" 0 "$(mdev_count)"
    local derived
    derived=$(sed -n "s/.*address uuid='\([0-9a-f-]*\)'.*/\1/p" <<< "$ERR")
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_eq "derived UUID is stable" "$derived" "$(sed -n "s/.*address uuid='\([0-9a-f-]*\)'.*/\1/p" <<< "$ERR")"
    sed "s|</devices>|<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$derived'/></source></hostdev></devices>|" \
        "$WORK/vm1.xml" > "$WORK/vm1b.xml"
    hook vm1 prepare begin < "$WORK/vm1b.xml"
    t_eq "with the shown <hostdev>: created under the derived UUID" "0:$derived" "$RC:$(mdevs)"
    hook vm1 release end < "$WORK/vm1b.xml"
    t_eq "derived: released" 0 "$(mdev_count)"
}

test_refusals() {
    fresh a40-1vf
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-3Z\""
    t_eq "unknown profile: refused" 1 "$RC"
    t_match "unknown profile: says so and lists what exists" "A40-3Z.*A40-2Q" "$ERR"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "one VF: first domain starts" 0 "$RC"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "one VF: second domain refused" 1 "$RC"
    t_match "one VF: message names domain and request" "domain 'vm2'.*A40-2Q" "$ERR"
    t_eq "one VF: nothing leaked" "$(u 1)" "$(mdevs)"
    stop vm2
    t_eq "refused domain's release leaves the other's device" "$(u 1)" "$(mdevs)"
    stop vm1
    t_eq "one VF: released" 0 "$(mdev_count)"
}

test_hostile_xml() {
    fresh a40x2-sriov
    local before name
    before=$(sim_stat write)
    bad() {   # bad NAME FILE PATTERN
        hook evil prepare begin < "$2"
        t_eq "hostile: $1: refused" 1 "$RC"
        t_match "hostile: $1: says why" "$3" "$ERR"
        t_eq "hostile: $1: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    }
    dom evil "$(du 1)" "uuid=\"$(u 1)\" type=\"../../../../etc\"" > "$WORK/e1.xml"; bad "../ in type" "$WORK/e1.xml" "type"
    dom evil "$(du 1)" "uuid=\"$(u 1)\" type=\"/etc/passwd\"" > "$WORK/e2.xml"; bad "absolute type" "$WORK/e2.xml" "type"
    dom evil "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\" parent=\"../0000:e8:00.4\"" > "$WORK/e3.xml"; bad "../ in parent" "$WORK/e3.xml" "parent"
    dom evil "$(du 1)" "uuid=\"not-a-uuid\" profile=\"A40-2Q\"" > "$WORK/e4.xml"; bad "bad uuid" "$WORK/e4.xml" "uuid"
    dom evil "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/e5.xml"; bad "duplicate uuids" "$WORK/e5.xml" "uuid"
    dom evil "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\" placement=\"everywhere\"" > "$WORK/e6.xml"; bad "bad placement" "$WORK/e6.xml" "placement"
    cat > "$WORK/e7.xml" <<'X'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<domain><name>evil</name><metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1"><vgpu:device profile="&lol2;"/></vgpu:vgpu></metadata></domain>
X
    bad "entity expansion" "$WORK/e7.xml" "DOCTYPE|entit"
    cat > "$WORK/e8.xml" <<'X'
<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<domain><name>evil</name><metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1"><vgpu:device profile="&x;"/></vgpu:vgpu></metadata></domain>
X
    bad "external entity" "$WORK/e8.xml" "DOCTYPE|entit"
    { dom evil "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" | sed '$d'; head -c 6000000 /dev/zero | tr '\0' ' '; echo "</domain>"; } > "$WORK/e9.xml"
    bad "6 MB document" "$WORK/e9.xml" "large|size|limit|MiB|bytes"
    t_eq "hostile: no sysfs write at all" "$before" "$(sim_stat write)"
    t_eq "hostile: no device" 0 "$(mdev_count)"
}

# guarded SECONDS NAME OP SUBOP < XML: the hook under a hang guard (SIGKILL,
# exit 137). A bound is checked by order, never by a stopwatch (a loaded
# machine makes any upper limit flaky): the hook returned while what it waits
# for still blocks, within a guard under the built-in default, so a hang or
# a default used instead of the configured value fails; and not before the
# configured time (a lower limit load cannot break).
guarded() {
    local secs=$1; shift
    timeout -s KILL "$secs" "$HOOK" "$1" "$2" "$3" - > "$WORK/out" 2> "$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

test_lock_and_config() {
    fresh a40x2-sriov lock_timeout_ms=300
    mkdir -p "$WORK/state"
    exec 8> "$WORK/state/lock"
    flock 8
    local t0 ms
    dom vm1 "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/vm1.xml"
    t0=$(date +%s%N)
    guarded 20 vm1 prepare begin < "$WORK/vm1.xml"   # default lock_timeout_ms: 30 s
    ms=$(ms_since "$t0")
    exec 8>&-
    t_eq "lock held elsewhere: refused" 1 "$RC"
    t_match "lock held elsewhere: says so" "lock" "$ERR"
    t_eq "lock wait bounded: given up after lock_timeout_ms ($ms ms), the lock still held" 1 "$(( ms >= 250 ))"
    t_eq "lock held elsewhere: nothing created" 0 "$(mdev_count)"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "lock free again: starts" 0 "$RC"
    stop vm1

    conf placement=packed
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "bad config: refused" 1 "$RC"
    t_match "bad config: names file and key" "vgpu-hook.conf.*placement" "$ERR"
    conf release_wait_ms=600001
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "out-of-range config value: one line naming file, key and range" \
        "^1:vgpu-hook: $VGPU_HOOK_CONF: key release_wait_ms: '600001' is not a number from 0 to 600000$" "$RC:$ERR"
    conf "state_dir=$WORK/../etc"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "a state_dir with '..': refused" "key state_dir: .* has a '\\.\\.' component" "$ERR"
    conf colour=blue
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "unknown config key: named" "colour" "$ERR"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect with a bad config still exits 0" 0 "$RC"
    conf
}

test_remove_busy_and_blocking() {
    fresh a40x2-sriov remove_retries=5 remove_timeout_ms=500
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    sim_ctl fault remove_ebusy 3
    stop vm1
    t_eq "remove EBUSY 3 times: retried, exit 0" 0 "$RC"
    t_eq "remove EBUSY 3 times: gone" 0 "$(mdev_count)"
    sim_ctl fault remove_ebusy 0

    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    sim_ctl fault remove_ebusy 100
    stop vm2
    t_eq "remove EBUSY for ever: bounded failure" 1 "$RC"
    t_match "remove EBUSY for ever: says so" "could not remove" "$ERR"
    t_eq "remove EBUSY for ever: kept in the ledger" 1 "$(ledgers)"
    sim_ctl fault remove_ebusy 0
    stop vm2
    t_eq "next release removes it" "0:0:0" "$RC:$(mdev_count):$(ledgers)"

    fresh a40x2-sriov remove_retries=1 remove_timeout_ms=400
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\""
    sim_ctl busy "$(u 3)"
    local t0 ms i
    t0=$(date +%s%N)
    guarded 10 vm3 release end < "$WORK/vm3.xml"   # default remove_timeout_ms: 15 s
    ms=$(ms_since "$t0")
    t_eq "blocking remove: abandoned, exit 1" 1 "$RC"
    t_eq "blocking remove: bounded: given up after remove_timeout_ms ($ms ms), the VM still holding it" \
        1 "$(( ms >= 350 ))"
    t_match "blocking remove: says the driver kept it" "did not release" "$ERR"
    sim_ctl idle "$(u 3)"
    # The abandoned remove write completes once idle: wait for that, not 0.3 s.
    for i in $(seq 1 600); do grep -q "^$(u 3) .* removing$" "$SIM_ROOT/vgpu-sim/mdevs" || break; sleep 0.05; done
    stop vm3
    t_eq "after the VM lets go: removed, ledger empty" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
}

test_hook_timeout() {
    fresh a40x2-sriov hook_timeout_ms=1000
    # A read the driver answers only after 12 s; the guard (10 s) kills a
    # hook still waiting for it, so exit 1 with the sentence shows the hook
    # gave up inside the read, not once it returned.
    sim_ctl fault read_latency_ms 12000
    local t0 ms
    dom vm1 "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/vm1.xml"
    t0=$(date +%s%N)
    guarded 10 vm1 prepare begin < "$WORK/vm1.xml"   # default hook_timeout_ms: 120 s
    ms=$(ms_since "$t0")
    sim_ctl fault read_latency_ms 0
    t_eq "a driver that does not answer a read: the hook gives up inside it" 1 "$RC"
    t_eq "hook_timeout_ms: says so, in one line" \
        "vgpu-hook: gave up: the call took longer than hook_timeout_ms (a driver not answering?)" "$ERR"
    t_eq "hook_timeout_ms: not before hook_timeout_ms ($ms ms)" 1 "$(( ms >= 950 ))"
    # The core's process left in the read goes once the driver answers.
    local i
    for i in $(seq 1 600); do [ "$(sim_stat open_dirs)" = 0 ] && break; sleep 0.05; done
    t_eq "hook_timeout_ms: the process left in the driver is gone once it answered" 0 "$(sim_stat open_dirs)"
    stop vm1
    t_eq "hook_timeout_ms: nothing left" "0:0" "$(mdev_count):$(ledgers)"
}

test_bounded_through_a_pipe() {
    # libvirt reads the hook's stdout and stderr until EOF: a writer child
    # stuck in the driver must not keep them open past the hook's bound.
    fresh a40x2-sriov create_timeout_ms=500
    sim_ctl fault latency_ms 4000
    dom vm1 "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/vm1.xml"
    local out stores
    out=$(timeout -s KILL 60 "$HOOK" vm1 prepare begin - < "$WORK/vm1.xml" 2>&1)
    # Order, not a stopwatch: at EOF the stuck create had not completed (the
    # simulator counts a create store after its injected 4 s latency).
    stores=$(sim_stat create_stores)
    t_match "create timeout seen through a pipe: says so" "did not answer a create on .* within 500 ms" "$out"
    t_eq "create timeout seen through a pipe: EOF while the create is still stuck in the driver" 0 "$stores"
    hook vm1 release end < "$WORK/vm1.xml"
    local i
    for i in $(seq 1 300); do [ "$(mdev_count)" -eq 0 ] && break; sleep 0.2; done
    sim_ctl fault latency_ms 0
    t_eq "create timeout: the late device undone, nothing left" "0:0" "$(mdev_count):$(ledgers)"
}

test_created_but_not_appeared() {
    fresh a40x2-sriov
    # 2 s, not 0.4: the hook looks right after its write, and a loaded
    # machine can stall it that long between the two.
    sim_ctl fault create_appear_ms 2000
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "created but did not appear: prepare fails" 1 "$RC"
    t_match "created but did not appear: says so, one line" "accepted a create of $(u 1) on .* but the device did not appear" "$ERR"
    t_eq "created but did not appear: the intent is kept, one create only" "1 1" "$(ledgers) $(sim_stat create_stores)"
    local i
    for i in $(seq 1 300); do [ "$(mdev_count)" -eq 1 ] && break; sleep 0.1; done
    sim_ctl fault create_appear_ms 0
    t_eq "the device shows up late" "$(u 1)" "$(mdevs)"
    stop vm1
    t_eq "the release that follows removes it" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
}

test_release_without_metadata() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    # virsh metadata --live --remove while it runs: the live XML keeps the
    # <hostdev> but loses our namespace.
    sed '/vgpu:/d' "$WORK/vm1.xml" > "$WORK/vm1-nometa.xml"
    hook vm1 release end < "$WORK/vm1-nometa.xml"
    t_eq "release after the live metadata was removed: still removes our device" "0:0:0" \
        "$RC:$(mdev_count):$(ledgers)"
    mkdir -p "$WORK/nocore" && cp "$HOOK" "$WORK/nocore/vgpu-hook"
    "$WORK/nocore/vgpu-hook" vm1 reconnect begin - < "$WORK/vm1.xml" > /dev/null 2>&1
    t_eq "reconnect exits 0 even when the core cannot be loaded" 0 "$?"
    "$WORK/nocore/vgpu-hook" vm1 prepare begin - < "$WORK/vm1.xml" > /dev/null 2> "$WORK/err"
    t_eq "prepare without its core: refused" 1 "$?"
    t_match "prepare without its core: says so" "cannot be loaded" "$(cat "$WORK/err")"
}

test_reconnect() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect: exit 0, silent, device kept" "0::$(u 1)" "$RC:$OUT$ERR:$(mdevs)"
    printf '1' > "$SIM_ROOT/bus/mdev/devices/$(u 1)/remove"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect with the device gone: still exit 0" 0 "$RC"
    stop vm1
    t_eq "release after the device vanished: exit 0, ledger cleared" "0:0" "$RC:$(ledgers)"
}

test_release_reason() {
    fresh a40x2-sriov
    : > "$VGPU_TEST_LOG"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    hook vm1 release end destroyed < "$WORK/vm1.xml"
    t_eq "release end with a shutoff reason (libvirt >= 10.5): removed" "0:0" "$RC:$(mdev_count)"
    t_match "the shutoff reason is logged with the release" "vm1': releasing 1 vGPU.*shutoff reason: destroyed" "$(hook_log)"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    stop vm1
    t_match "release end - (libvirt < 10.5): logged as not given" "shutoff reason: not given" "$(hook_log)"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    hook vm1 release end 'crash%ed
x' < "$WORK/vm1.xml"
    t_eq "an odd reason: still released" "0:0" "$RC:$(mdev_count)"
    t_match "an odd reason is not copied into the log" "shutoff reason: \\(unrecognised\\)" "$(hook_log)"
}

test_state_trust() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "the state directory is created 0700, the ledger 0600" "700 600" \
        "$(stat -c %a "$WORK/state") $(stat -c %a "$WORK/state/$(du 1).ledger")"
    local led=$WORK/state/$(du 1).ledger
    chown nobody "$led"
    stop vm1
    t_eq "ledger owned by another user: release refused, device kept" "1:1" "$RC:$(mdev_count)"
    t_match "ledger owned by another user: one line naming it" "ledger $led is owned by uid [0-9]+, not root; refusing" "$ERR"
    t_eq "refusal is one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    chown root "$led"; chmod 0666 "$led"
    stop vm1
    t_match "ledger writable by others: refused" "mode 0666" "$RC:$ERR"
    t_eq "ledger writable by others: device kept" 1 "$(mdev_count)"
    chmod 0600 "$led"
    chmod 0777 "$WORK/state"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "state directory writable by others: prepare refused, nothing created" "1:1" "$RC:$(mdev_count)"
    t_match "state directory writable by others: says so" "state directory $WORK/state is writable by group or others \\(mode 0777\\)" "$ERR"
    chmod 0700 "$WORK/state"; chown nobody "$WORK/state"
    stop vm1
    t_match "state directory owned by another user: release refused" "^1:.*state directory .* is owned by uid" "$RC:$ERR"
    chown root "$WORK/state"
    stop vm1
    t_eq "trusted again: release removes it" "0:0:0" "$RC:$(mdev_count):$(ledgers)"

    # A ledger planted for a domain that never created anything.
    local vf
    vf=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$(sriov_gpus | head -n 1)/virtfn3")")
    hand_create "$vf" nvidia-558 "$(u 5)"
    printf '[domain]\nuuid=%s\n\n[device %s]\nparent=%s\ntype=nvidia-558\nstate=created\n' \
        "$(du 5)" "$(u 5)" "$vf" > "$WORK/state/$(du 5).ledger"
    chown nobody "$WORK/state/$(du 5).ledger"
    dom vm5 "$(du 5)" "uuid=\"$(u 5)\" profile=\"A40-2Q\"" > "$WORK/vm5.xml"
    hook vm5 release end < "$WORK/vm5.xml"
    t_eq "a planted ledger removes nothing" "1:$(u 5)" "$RC:$(mdevs)"
}

test_driver_self_remove() {
    fresh "$(self_remove_scenario 4 300 plain)" release_wait_ms=5000
    : > "$VGPU_TEST_LOG"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" parent=\"0000:e8:00.0\""
    sim_ctl busy "$(u 1)"       # the VM runs
    sim_ctl reset-stats
    # QEMU lets go once the release is under way: the driver removes the
    # device 300 ms later. Letting go before the release started made the
    # check depend on the release starting within 300 ms (it did not on a
    # loaded machine: the driver had already removed it, "already gone").
    ( stop vm1; echo "$RC" > "$WORK/rc" ) &
    local i
    for i in $(seq 1 200); do
        grep -q "releasing 1 vGPU" "$VGPU_TEST_LOG" 2>/dev/null && break
        sleep 0.05
    done
    sim_ctl idle "$(u 1)"
    wait $!
    RC=$(cat "$WORK/rc")
    t_eq "self-removing driver: release exit 0, device gone, ledger gone" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
    t_eq "self-removing driver: nothing written to remove" 0 "$(sim_stat remove_stores)"
    t_match "self-removing driver: the release says the driver did it" "NVIDIA driver removed its 1 vGPU\\(s\\) itself" "$(hook_log)"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" parent=\"0000:e8:00.0\""
    t_eq "self-removing driver: the GPU still works afterwards" "0:1" "$RC:$(mdev_count)"
    stop vm2

    # The other kind: waited for release_wait_ms, then removed by us.
    fresh "$(self_remove_scenario 4 300 plain)" release_wait_ms=300
    : > "$VGPU_TEST_LOG"
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\" parent=\"0000:67:00.0\""
    sim_ctl busy "$(u 3)"; sim_ctl idle "$(u 3)"
    sim_ctl reset-stats
    stop vm3
    t_eq "driver that leaves it: release exit 0, device gone" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
    t_eq "driver that leaves it: removed through remove, once" 1 "$(sim_stat remove_stores)"
    t_match "driver that leaves it: waited release_wait_ms first" "still present after waiting release_wait_ms \\(300 ms\\)" "$(hook_log)"

    # Why the wait matters: without it the remove races the driver's own
    # (a driver slow enough that ours always comes first, however loaded
    # the machine is).
    fresh "$(self_remove_scenario 4 60000 plain)" release_wait_ms=0
    start vm4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\" parent=\"0000:e8:00.0\""
    sim_ctl busy "$(u 4)"; sim_ctl idle "$(u 4)"
    stop vm4
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" parent=\"0000:e8:00.0\""
    t_eq "release_wait_ms=0 on a self-removing driver: the GPU breaks (the hazard)" 1 "$RC"

    # Not NVIDIA: never waited for.
    fresh mtty release_wait_ms=600000
    : > "$VGPU_TEST_LOG"
    start vm6 6 "uuid=\"$(u 6)\" type=\"mtty-1\""
    stop vm6
    t_eq "mtty: released" "0:0" "$RC:$(mdev_count)"
    t_no "mtty: no wait for a driver that never removes its own" grep -q "release_wait_ms\\|driver removed" "$VGPU_TEST_LOG"
}

test_damaged_ledger() {
    fresh a40x2-sriov
    : > "$VGPU_TEST_LOG"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    local bad=$WORK/state/$(du 2).ledger
    printf '[domain\nthis is not a ledger\n' > "$bad"
    # An unreadable live XML: release finds the ledger by the domain's name.
    local broken="<domain type='kvm'><name>vm1</name><metadata><vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'><vgpu:device"
    hook vm1 release end <<< "$broken"
    t_eq "release by name with another domain's ledger damaged: removes its own" "0:$(u 2)" "$RC:$(mdevs)"
    t_match "the damaged ledger is logged with its path, and skipped" "ledger $bad is damaged: .*; skipped" "$(hook_log)"
    stop vm2
    t_eq "the damaged domain's own release: refused, its device kept" "1:$(u 2)" "$RC:$(mdevs)"
    t_match "the damaged domain's own release: says why, one line" "^vgpu-hook: domain 'vm2': ledger $bad is damaged: .*; removing none of its vGPUs" "$ERR"
    t_eq "... one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    hook vm3 release end <<< "${broken/vm1/vm3}"
    t_eq "release by name of a domain no readable ledger names: refused" 1 "$RC"
    t_match "... it says the damaged ledger may be its own" "vm3': its XML gives no UUID and no readable ledger names it; 1 damaged ledger\\(s\\) \\($bad\\) may be its own, so nothing is removed" "$ERR"
    t_eq "nothing else removed" "$(u 2)" "$(mdevs)"
}

# Two definitions naming the same explicit mdev UUID (a cloned domain).
test_clones() {
    fresh a40x2-sriov
    start orig 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    start clone 2 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "clone while the first holds the device: refused" 1 "$RC"
    t_match "clone: one sentence naming the first domain" "^vgpu-hook: domain 'clone': vGPU device 0: mdev $(u 1) is held by domain 'orig', for which vgpu-hook made it; this definition names the same mdev UUID \\(a clone\\?\\)" "$ERR"
    t_eq "clone: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    stop clone
    t_eq "clone: the release after its failed start leaves the first's device" "0:$(u 1):1" "$RC:$(mdevs):$(ledgers)"
    printf 1 > "$SIM_ROOT/bus/mdev/devices/$(u 1)/remove"
    start clone 2 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "clone: still refused while the first's ledger holds the UUID (its device gone)" "1:0" "$RC:$(mdev_count)"
    stop clone
    stop orig
    start clone 2 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "clone: starts once the first let go" "0:$(u 1)" "$RC:$(mdevs)"
    stop clone
}

test_crash_points() {
    local step
    # SIGKILL at each step of prepare, then the release libvirt runs next.
    for step in prepare-locked prepare-intent prepare-created prepare-done; do
        fresh a40x2-sriov
        VGPU_TEST_STOP_AT=$step start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\""
        t_eq "killed at $step: the hook died" 137 "$RC"
        stop vm1
        t_eq "killed at $step: release leaves no device, no ledger" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
    done
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    VGPU_TEST_STOP_AT=release-removed stop vm1
    t_eq "killed mid-release: one device left" 1 "$(mdev_count)"
    stop vm1
    t_eq "killed mid-release: next release finishes" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
}

# On a vendor-specific host the VF comes from the domain's <hostdev>: the
# hook must never pick one itself and write a type onto it.
test_vendor_specific_never_placed() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "vfio: an mdev-style request is refused" 1 "$([ "$RC" -ne 0 ] && echo 1)"
    t_eq "vfio: one line on stderr" 1 "$(wc -l <<< "$ERR")"
    t_eq "vfio: no VF took a type" "" "$(cat "$SIM_ROOT/vgpu-sim/vfs")"
    t_eq "vfio: no ledger" 0 "$(ledgers)"
}

# lv_xml FILE NAME N 'VIRSH COMMAND'...: into FILE, domain NAME (UUID du N,
# an mdev <hostdev> for u 1 to u 3, a description naming our namespace,
# another application's metadata with DOCTYPE text in CDATA and a comment,
# unless LV_PLAIN=1) defined in libvirt's test driver (no daemon), the
# commands run on it, then dumped: the XML exactly as libvirt serializes it.
lv_xml() {
    local file=$1 name=$2 n=$3 i cmds c
    shift 3
    {
        printf "<domain type='test'><name>%s</name><uuid>%s</uuid>\n" "$name" "$(du "$n")"
        printf '<description>vGPU by vgpu-hook (metadata namespace urn:vgpu-hook:1) later</description>\n'
        printf '<memory>65536</memory><os><type>hvm</type></os>\n<metadata><app:page xmlns:app="urn:example:portal:1">'
        [ "${LV_PLAIN:-0}" = 1 ] ||
            printf '<![CDATA[<!DOCTYPE html><p>VM notes</p>]]><!-- <!DOCTYPE x [<!ENTITY y "z">]> -->'
        printf '</app:page></metadata>\n<devices>\n'
        for i in 1 2 3; do
            printf "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='%s'/></source></hostdev>\n" "$(u "$i")"
        done
        printf '</devices></domain>\n'
    } > "$WORK/lv-def.xml"
    cmds="define $WORK/lv-def.xml"
    for c in "$@"; do cmds="$cmds; $c"; done
    virsh -q -c test:///default "$cmds; dumpxml $name" 2> "$WORK/lv-err" | sed '/^$/d' > "$file"
    [ -s "$WORK/lv-err" ] && t_fail "virsh (test driver) for $name" "$(head -n 1 "$WORK/lv-err")"
}

# DOCTYPE text in CDATA or a comment is text; a domain that asks for
# nothing is never refused, at any call.
test_doctype_text() {
    fresh a40x2-sriov
    command -v virsh > /dev/null || { t_fail "virsh is needed" "apt-get install -y libvirt-clients"; return; }
    local op
    lv_xml "$WORK/none.xml" vm1 1
    t_match "libvirt keeps the CDATA and the comment verbatim" '<!\[CDATA\[<!DOCTYPE html>.*<!-- <!DOCTYPE x' "$(cat "$WORK/none.xml")"
    for op in "prepare begin" "migrate begin" "restore begin" "release end" "reconnect begin"; do
        hook vm1 $op < "$WORK/none.xml"
        t_eq "asks for nothing, DOCTYPE text in CDATA: $op exits 0, silent, makes nothing" \
            "0::0:0" "$RC:$OUT$ERR:$(mdev_count):$(ledgers)"
    done
    # libvirt keeps another application's entity references, without the DTD.
    printf '%s\n' '<!DOCTYPE domain [<!ENTITY site "rack 4">]>' "<domain type='test'><name>vm2</name>" \
        '<description>urn:vgpu-hook:1</description><memory>65536</memory><os><type>hvm</type></os>' \
        '<metadata><app:page xmlns:app="urn:example:portal:1">&site;</app:page></metadata></domain>' > "$WORK/ent-def.xml"
    virsh -q -c test:///default "define $WORK/ent-def.xml; dumpxml vm2" > "$WORK/ent.xml" 2> /dev/null
    t_match "libvirt keeps an entity reference without its DTD" '<app:page [^>]*>&site;</app:page>' "$(cat "$WORK/ent.xml")"
    for op in "prepare begin" "migrate begin" "restore begin"; do
        hook vm2 $op < "$WORK/ent.xml"
        t_eq "asks for nothing, an entity reference in another's metadata: $op exits 0" "0::0" "$RC:$OUT$ERR:$(mdev_count)"
    done
    lv_xml "$WORK/asks.xml" vm1 1 "metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set '<device uuid=\"$(u 1)\" profile=\"A40-2Q\"/>'"
    hook vm1 prepare begin < "$WORK/asks.xml"
    t_eq "asks, DOCTYPE text in CDATA: the device is made" "0:$(u 1)" "$RC:$(mdevs)"
    hook vm1 release end < "$WORK/asks.xml"
    t_eq "asks, DOCTYPE text in CDATA: released" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
    sed "s|<name>vm1</name>|<name>vm1</name><title>\&site;</title>|" "$WORK/asks.xml" > "$WORK/asks-ent.xml"
    hook vm1 prepare begin < "$WORK/asks-ent.xml"
    t_eq "asks, an entity reference: refused, one line, nothing made" \
        "1:vgpu-hook: domain XML: an entity reference (&site;) is not allowed (only &amp; &lt; &gt; &quot; &apos; and character references are):0" \
        "$RC:$ERR:$(mdev_count)"
}

# The metadata as `virsh metadata --key vgpu --set` writes it: a lone
# <vgpu:device>, or a <vgpu:vgpu> holding several; any other element of
# ours is refused naming it and the two forms.
test_metadata_forms() {
    local LV_PLAIN=1
    fresh a40x2-sriov
    command -v virsh > /dev/null || { t_fail "virsh is needed" "apt-get install -y libvirt-clients"; return; }
    lv_xml "$WORK/lone.xml" vm1 1 "metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set '<device uuid=\"$(u 1)\" profile=\"A40-2Q\"/>'"
    t_match "libvirt stores a lone <vgpu:device>" "^ *<vgpu:device xmlns:vgpu=\"urn:vgpu-hook:1\" uuid=\"$(u 1)\" profile=\"A40-2Q\"/>$" "$(cat "$WORK/lone.xml")"
    hook vm1 prepare begin < "$WORK/lone.xml"
    t_eq "lone <vgpu:device>: prepare makes it" "0::$(u 1):nvidia-558" "$RC:$ERR:$(mdevs):$(mdev_type "$(u 1)")"
    hook vm1 release end < "$WORK/lone.xml"
    t_eq "lone <vgpu:device>: release removes it" "0:0:0" "$RC:$(mdev_count):$(ledgers)"

    lv_xml "$WORK/lone-derived.xml" vm1 1 "metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set '<device profile=\"A40-2Q\"/>'"
    hook vm1 prepare begin < "$WORK/lone-derived.xml"
    t_match "lone <vgpu:device> without uuid: asks for its <hostdev>" "^1:vgpu-hook: .*<hostdev mode='subsystem' type='mdev'.* \(or run: vgpuctl sync vm1\)" "$RC:$ERR"

    lv_xml "$WORK/several.xml" vm1 1 "metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set '<vgpu><device uuid=\"$(u 2)\" profile=\"A40-2Q\"/><device uuid=\"$(u 3)\" profile=\"A40-2Q\"/></vgpu>'"
    t_eq "libvirt stores several in one <vgpu:vgpu>" 2 "$(grep -c '^ *<vgpu:device profile=\|^ *<vgpu:device uuid=' "$WORK/several.xml")"
    hook vm1 prepare begin < "$WORK/several.xml"
    t_eq "<vgpu:vgpu> with two devices: both made" "0:$(u 2) $(u 3)" "$RC:$(mdevs)"
    hook vm1 release end < "$WORK/several.xml"
    t_eq "<vgpu:vgpu> with two devices: both removed" "0:0" "$RC:$(mdev_count)"

    lv_xml "$WORK/typo.xml" vm1 1 "metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set '<vgpus><device uuid=\"$(u 1)\" profile=\"A40-2Q\"/></vgpus>'"
    hook vm1 prepare begin < "$WORK/typo.xml"
    t_eq "misspelled <vgpu:vgpus>: refused naming it and the two forms, nothing made" \
        "1:vgpu-hook: domain 'vm1': unexpected element <vgpu:vgpus> in namespace urn:vgpu-hook:1 under <metadata> (known: <vgpu> holding <device> elements, or one lone <device>):0" \
        "$RC:$ERR:$(mdev_count)"
    # Hand-written: libvirt would keep only the first of the two.
    sed "s|</metadata>|<v:device xmlns:v='urn:vgpu-hook:1' uuid='$(u 2)' profile='A40-2Q'/></metadata>|" "$WORK/lone.xml" > "$WORK/both.xml"
    hook vm1 prepare begin < "$WORK/both.xml"
    t_match "two elements of ours: refused, nothing made" "^1:vgpu-hook: domain 'vm1': more than one element in namespace urn:vgpu-hook:1 under <metadata> \(<vgpu:device>, then <v:device>; libvirt keeps only the first\): use one.*:0$" \
        "$RC:$ERR:$(mdev_count)"
}

# migrate begin on the destination: an mdev request whose type no parent
# here can take now is refused at once, in one sentence (no release
# follows a refusal there, so nothing may be made); one that fits prints
# nothing and makes nothing; one by need is refused: the source's type
# cannot be known here.
test_migrate_mdev_early() {
    local t i
    fresh mtty
    t=$SIM_ROOT/class/mdev_bus/mtty/mdev_supported_types/mtty-2
    dom mig1 "$(u 90)" "uuid=\"$(u 91)\" type=\"mtty-2\"" > "$WORK/mig1.xml"
    hook mig1 migrate begin < "$WORK/mig1.xml"
    t_eq "migrate begin, room here: exit 0, prints nothing, makes and records nothing" "0::0:0" \
        "$RC:$OUT$ERR:$(mdev_count):$(ledgers)"
    for i in $(seq 1 12); do printf '%s' "$(u $((100 + i)))" > "$t/create"; done
    hook mig1 migrate begin < "$WORK/mig1.xml"
    t_match "migrate begin, no room: refused in one sentence naming the domain, the type and why" \
        "^1:vgpu-hook: domain 'mig1' cannot move here: no GPU here can take vGPU device 0 \(mtty-2\) now: .+$" \
        "$RC:$ERR"
    t_eq "migrate begin, no room: one line, nothing printed on stdout" "1:" "$(wc -l <<< "$ERR"):$OUT"
    t_eq "migrate begin, no room: nothing made, nothing recorded" "12:0" "$(mdev_count):$(ledgers)"
    printf 1 > "$SIM_ROOT/bus/mdev/devices/$(u 101)/remove"
    hook mig1 migrate begin < "$WORK/mig1.xml"
    t_eq "migrate begin, room again: accepted, nothing made" "0::11" "$RC:$OUT$ERR:$(mdev_count)"
    hook mig1 restore begin < "$WORK/mig1.xml"
    t_eq "restore begin is not a migration: not checked here" "0:" "$RC:$ERR"
    fresh a40x2-sriov
    dom mig2 "$(u 92)" "uuid=\"$(u 93)\" framebuffer=\"2G\" series=\"Q\"" > "$WORK/mig2.xml"
    hook mig2 migrate begin < "$WORK/mig2.xml"
    t_match "migrate begin, a request by need: refused, the source's type cannot be known here" \
        "^1:vgpu-hook: domain 'mig2': vGPU device 0 asks for a Q profile with at least 2G, and the type the source runs cannot be known here" \
        "$RC:$ERR"
    t_eq "migrate begin, by need: nothing made" "0:0" "$(mdev_count):$(ledgers)"
}

all_tests="test_vendor_specific_never_placed test_fast_path test_single_profile_and_type test_multiple_and_pack_spread \
         test_parent_restriction test_timesliced test_shared_pool test_all_or_nothing test_release_safety \
         test_missing_hostdev_and_derived_uuid test_refusals test_hostile_xml \
         test_lock_and_config test_remove_busy_and_blocking test_hook_timeout test_bounded_through_a_pipe test_created_but_not_appeared test_release_without_metadata test_reconnect test_release_reason test_state_trust test_driver_self_remove test_damaged_ledger test_clones test_crash_points"
all_tests="$all_tests test_doctype_text test_metadata_forms"
all_tests="$all_tests test_migrate_mdev_early"
# Release is the ledger's business, not the XML's: with the live metadata
# removed (virsh metadata --live --remove) and the hostdev unplugged,
# release end still gives back what the ledger holds, and reconnect says so.
test_release_by_ledger() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    metadata_removed vm1 --unplugged || return
    t_eq "by ledger: libvirt's live XML has neither our namespace nor a hostdev" "0:0:1" \
        "$(grep -c urn:vgpu-hook "$WORK/vm1-nometa.xml"):$(grep -c '<hostdev' "$WORK/vm1-nometa.xml"):$(mdev_count)"
    : > "$VGPU_TEST_LOG"
    hook vm1 reconnect begin < "$WORK/vm1-nometa.xml"
    t_eq "by ledger: reconnect: exit 0, silent, device kept" "0::1:1" "$RC:$OUT$ERR:$(mdev_count):$(ledgers)"
    t_match "by ledger: reconnect logs the device the domain no longer asks for" \
        "domain 'vm1': reconnect: ledger holds $(u 1) \\(nvidia-558 on [0-9a-f:.]+, present\\), which the domain no longer asks for" "$(hook_log)"
    hook vm1 release end < "$WORK/vm1-nometa.xml"
    t_eq "by ledger: metadata and hostdev gone: release removes the mdev and the ledger" "0::0:0" \
        "$RC:$ERR:$(mdev_count):$(ledgers)"
    t_match "by ledger: ... and logs why" "vm1': releasing 1 vGPU.*the live XML asks for none of them" "$(hook_log)"

    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    metadata_removed vm2 || return
    hook vm2 release end < "$WORK/vm2-nometa.xml"
    t_eq "by ledger: metadata gone, hostdev kept: released" "0:0:0" "$RC:$(mdev_count):$(ledgers)"

    # A stale ledger (its release killed) of a domain that now asks for
    # nothing: prepare neither fails nor touches it; the next release does.
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\""
    VGPU_TEST_STOP_AT=release-removing stop vm3
    metadata_removed vm3 --unplugged || return
    hook vm3 prepare begin < "$WORK/vm3-nometa.xml"
    t_eq "stale ledger, no request: prepare exit 0, silent, device and ledger kept" "0::1:1" \
        "$RC:$OUT$ERR:$(mdev_count):$(ledgers)"
    sed 's|^  <metadata/>|  <metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1"/></metadata>|' \
        "$WORK/vm3-nometa.xml" > "$WORK/vm3-empty.xml"
    hook vm3 prepare begin < "$WORK/vm3-empty.xml"
    t_eq "stale ledger, our namespace with no request: prepare exit 0, silent, kept" "0::1:1" \
        "$RC:$OUT$ERR:$(mdev_count):$(ledgers)"
    hook vm3 release end < "$WORK/vm3-nometa.xml"
    t_eq "stale ledger: the release after it gives the device back" "0:0:0" "$RC:$(mdev_count):$(ledgers)"

    # The front reads state_dir as GKeyFile does (forms 1, 2: it looks for
    # the ledger there itself, before any child), or leaves an escape to the
    # core (form 3); either way the ledger is found.
    local kv i=0 dir led
    for kv in "state_dir = %s \r\n# state_dir=/nowhere\r\n" "state_dir=/nowhere\n  state_dir\t=\t%s\n" \
              "state_dir=%s\\\\s\n"; do
        i=$((i + 1)) dir=$WORK/state-conf$i
        # shellcheck disable=SC2059
        printf "# odd but valid\r\n  [vgpu-hook]  \r\nsysfs_root=$SIM_ROOT\nrelease_wait_ms=0\n$kv" "$dir" > "$VGPU_HOOK_CONF"
        start vm4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\""
        metadata_removed vm4 --unplugged || return
        led="$dir/$(du 4).ledger"
        t_eq "config form $i: the prepare wrote its ledger in $(basename "$dir")" 1 "$(ls "$led" 2>/dev/null | wc -l)"
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=%file,%process \
            -o "$WORK/conf.trace" "$HOOK" vm4 release end - < "$WORK/vm4-nometa.xml" > /dev/null 2>&1
        t_eq "config form $i: released by that ledger" "0:0:0" "$?:$(mdev_count):$(ls "$dir" | grep -c 'ledger$')"
        t_eq "config form $i: the front $([ $i = 3 ] && echo "leaves it to the core" || echo "looks there itself")" \
            "$([ $i = 3 ] && echo 0 || echo 1)" \
            "$(awk -v p="\"$led\"" '/^[0-9]+ +(clone3?|v?fork)\(/ { exit } index($0, p) { n++ } END { print n + 0 }' "$WORK/conf.trace")"
    done
    conf
}

# A domain with neither our namespace nor a ledger costs the front alone:
# no core loaded, no child, and for release and reconnect one lstat of
# where its ledger would be.
test_fast_path_traced() {
    fresh a40x2-sriov
    command -v strace > /dev/null || { t_fail "fast path traced: strace is needed" "apt-get install strace"; return; }
    local op trace=$WORK/fast.trace led
    sed 's|^  <uuid>.*|  <uuid>'"$(du 9)"'</uuid>|' "$TOP/examples/vm-plain.xml" > "$WORK/plain.xml"
    led="$WORK/state/$(du 9).ledger"
    for op in "prepare begin" "release end" "reconnect begin"; do
        # LeakSanitizer cannot run under ptrace.
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=%file,%process -o "$trace" \
            "$HOOK" plain $op - < "$WORK/plain.xml" > /dev/null 2>&1
        t_eq "fast path ($op): exit 0, no core loaded, no child" "0:0:0" \
            "$?:$(grep -c 'vgpu-hook-core\.so' "$trace"):$(grep -cE '^[0-9]+ +(clone3?|v?fork)\(' "$trace")"
        t_eq "fast path ($op): the ledger looked for $([ "$op" = "prepare begin" ] && echo never || echo once)" \
            "$([ "$op" = "prepare begin" ] && echo 0 || echo 1)" "$(grep -c "\"$led\"" "$trace")"
    done
    # The same domain with a ledger: the core is loaded.
    mkdir -p "$WORK/state" && chmod 0700 "$WORK/state"
    printf '[domain]\nuuid=%s\n' "$(du 9)" > "$led" && chmod 0600 "$led"
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=%file,%process -o "$trace" \
        "$HOOK" plain release end - < "$WORK/plain.xml" > /dev/null 2>&1
    t_eq "with a ledger: release end loads the core" "0:1" \
        "$?:$(grep -cE 'open.*vgpu-hook-core\.so.* = [0-9]+$' "$trace")"
}
all_tests="$all_tests test_release_by_ledger test_fast_path_traced"

# Arguments name the tests to run (all when none).
for t in ${*:-$all_tests}; do
    echo "# $t"
    $t
done
t_done
