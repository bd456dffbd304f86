#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpuctl against the real libvirtd (tests/e2e/libvirt-env.sh: a private
# mount namespace with the simulator at /sys, the freshly built hook
# installed, QEMU through the test-only wrapper): attach/detach/sync/define
# edit the persistent definition, virsh starts the result (the hook creates
# the device), status shows owners and states, gc removes leaks and nothing
# else. Every check reads the effect back from virsh or the simulator.
#   make O=build/e2e -j2 all sim && B=build/e2e bash tests/cli/test-vgpuctl-libvirt.sh
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF   # vgpuctl reads the namespace's /etc/libvirt/vgpu-hook.conf
. "$TOP/tests/e2e/libvirt-env.sh"

lv_tier_begin "vgpuctl libvirt tier"

one_line() { [ "$(printf '%s\n' "$1" | wc -l)" = 1 ] && echo yes || echo no; }

# The UUIDs an attach printed, in order
added_uuids() { sed -n "s/^Added .* vGPU \([0-9a-f-]*\) to domain .*/\1/p" <<< "$OUT" | tr '\n' ' ' | sed 's/ $//'; }
# stopped_within SECONDS PID: until PID is stopped (SIGSTOP); 1 after SECONDS
stopped_within() {
    local end=$((SECONDS + $1))
    until proc_stopped "$2"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}
# The mdev UUIDs of the <hostdev>s in a definition, and of the metadata devices
hostdev_uuids() { grep -o "address uuid='[0-9a-f-]*'" | sed "s/.*uuid='\(.*\)'/\1/" | tr '\n' ' ' | sed 's/ $//'; }
meta_uuids() { grep -o '<vgpu:device uuid="[0-9a-f-]*"' | sed 's/.*uuid="\(.*\)"/\1/' | tr '\n' ' ' | sed 's/ $//'; }
define_plain() {
    lv_domain_xml "$1" "$2" > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}

test_attach_start_detach() {
    local x u1 u2 u3 a b
    define_plain vm1 "$(du 1)"
    lvc attach vm1 A40-2Q
    t_eq "attach: exit 0, silent stderr" "0:" "$RC:$ERR"
    u1=$(added_uuids)
    t_match "attach: prints the new UUID" "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" "$u1"
    x=$(inactive vm1)
    t_match "attach: metadata in our namespace" "<vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">" "$x"
    t_eq "attach: metadata device" "$u1" "$(meta_uuids <<< "$x")"
    t_match "attach: metadata profile" "<vgpu:device uuid=\"$u1\" profile=\"A40-2Q\"/>" "$x"
    t_eq "attach: the matching <hostdev>" "$u1" "$(hostdev_uuids <<< "$x")"
    t_match "attach: hostdev is an mdev vfio-pci" "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>" "$x"
    t_match "virsh metadata --uri finds it" "profile=\"A40-2Q\"" "$(lv_virsh metadata vm1 --uri urn:vgpu-hook:1 2>&1)"

    lvc check vm1
    t_eq "check before start: would start" "0" "$RC"
    t_eq "virsh start after attach" "" "$(lv_virsh start vm1 2>&1 >/dev/null)"
    t_eq "started: running, the hook made the device" "running:$u1:nvidia-558" "$(state vm1):$(mdevs):$(mdev_type "$u1")"

    lvc status
    t_match "status: owner vm1, created by vgpu-hook, running" "^$u1 +A40-2Q +nvidia-558 +[0-9a-f:.]+ +[0-9a-f:.]+ +vm1 +vgpu-hook +running$" "$OUT"

    lvc attach vm1 A40-2Q --count 2 --placement spread
    t_eq "attach to a running domain: exit 0" 0 "$RC"
    t_match "attach to a running domain: applies at next start" "Domain 'vm1' is running: the change applies at its next start\." "$OUT"
    read -r u2 u3 <<< "$(added_uuids)"
    x=$(inactive vm1)
    t_eq "attach --count 2: three devices in the definition" "$u1 $u2 $u3" "$(meta_uuids <<< "$x")"
    t_eq "attach --count 2: three hostdevs" "$u1 $u2 $u3" "$(hostdev_uuids <<< "$x")"
    t_match "attach --placement: written" "<vgpu:device uuid=\"$u2\" profile=\"A40-2Q\" placement=\"spread\"/>" "$x"
    t_eq "running domain untouched: live XML still one hostdev" "$u1" "$(lv_virsh dumpxml vm1 | hostdev_uuids)"
    t_eq "running domain untouched: one device" "$u1" "$(mdevs)"

    lvc detach vm1
    t_eq "detach without UUID on 3 vGPUs: refused" "1:yes" "$RC:$(one_line "$ERR")"
    t_match "detach without UUID: says why" "^vgpuctl: detach: domain 'vm1' has 3 vGPUs: name one UUID or give --all$" "$ERR"
    lvc detach vm1 "$u2"
    t_eq "detach UUID: exit 0" 0 "$RC"
    x=$(inactive vm1)
    t_eq "detach UUID: metadata without it" "$u1 $u3" "$(meta_uuids <<< "$x")"
    t_eq "detach UUID: hostdev without it" "$u1 $u3" "$(hostdev_uuids <<< "$x")"

    lv_virsh destroy vm1 > /dev/null
    t_eq "destroy: the hook removed the device" "" "$(mdevs)"
    t_eq "restart with two vGPUs" "" "$(lv_virsh start vm1 2>&1 >/dev/null)"
    t_eq "restart: both devices exist" "$(printf '%s\n' "$u1" "$u3" | sort | tr '\n' ' ' | sed 's/ $//')" "$(mdevs)"
    lv_virsh destroy vm1 > /dev/null

    lvc detach vm1 --all
    t_eq "detach --all: exit 0" 0 "$RC"
    x=$(inactive vm1)
    t_eq "detach --all: no metadata element left" "" "$(grep -o 'urn:vgpu-hook:1' <<< "$x")"
    t_eq "detach --all: no mdev hostdev left" "" "$(hostdev_uuids <<< "$x")"
    t_eq "detach --all: plain start works, makes nothing" "::" "$(lv_virsh start vm1 2>&1 >/dev/null):$(mdevs):"
    lv_virsh destroy vm1 > /dev/null

    # Type id, parent, and the host check.
    b=$(ls "$SIM_ROOT/bus/pci/devices" | while read -r a; do
        [ -e "$SIM_ROOT/bus/pci/devices/$a/sriov_totalvfs" ] && echo "$a"; done | sort | tail -n 1)
    lvc attach vm1 -t nvidia-560 --parent "${b#0000:}"
    t_eq "attach --type --parent (short): exit 0" 0 "$RC"
    u1=$(added_uuids)
    t_match "attach --type --parent: written normalized" "<vgpu:device uuid=\"$u1\" type=\"nvidia-560\" parent=\"$b\"/>" "$(inactive vm1)"
    t_eq "start: nvidia-560 on a VF of $b" "nvidia-560:$b" "$(lv_virsh start vm1 > /dev/null 2>&1; mdev_type "$u1"):$(mdev_gpu "$u1")"
    lv_virsh destroy vm1 > /dev/null

    x=$(inactive vm1)
    lvc attach vm1 Z99-1Q
    t_match "attach of a profile this host lacks: refused" "^1:vgpuctl: attach: no type matching profile 'Z99-1Q' on this host" "$RC:$ERR"
    t_eq "refused attach: definition unchanged" "$x" "$(inactive vm1)"
    lvc attach vm1 Z99-1Q --force
    t_eq "attach --force: accepted" 0 "$RC"
    u2=$(added_uuids)
    lvc check vm1
    t_match "check then says why it would not start" "^1:.*no type matching profile 'Z99-1Q'" "$RC:$(tr '\n' ' ' <<< "$OUT")"
    lvc detach vm1 "$u2"
    t_eq "detach the forced one" "0:$u1" "$RC:$(inactive vm1 | meta_uuids)"
    lvc detach vm1 "$(u 77)"
    t_match "detach a UUID the domain lacks" "^1:vgpuctl: detach: domain 'vm1' has no vGPU $(u 77) in its metadata$" "$RC:$ERR"
    lv_virsh undefine vm1 > /dev/null
}

test_sync_define() {
    local x before
    lv_domain_xml vm2 "$(du 2)" --no-hostdev "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$LV_WORK/vm2.xml"
    lv_virsh define "$LV_WORK/vm2.xml" > /dev/null
    x=$(lv_virsh start vm2 2>&1)
    t_match "hand-written metadata without hostdev: start refused, names the command" "vgpuctl sync vm2" "$x"
    lvc sync vm2
    t_eq "sync: exit 0" 0 "$RC"
    t_eq "sync: says what it added" "Domain 'vm2': added <hostdev> for A40-2Q vGPU $(u 2)." "$OUT"
    before=$(inactive vm2)
    t_eq "sync: hostdev in the definition" "$(u 2)" "$(hostdev_uuids <<< "$before")"
    lvc sync vm2
    t_match "sync again: nothing to add" "^0:Domain 'vm2': nothing to add" "$RC:$OUT"
    t_eq "sync again: definition unchanged" "$before" "$(inactive vm2)"
    t_eq "start after sync" "" "$(lv_virsh start vm2 2>&1 >/dev/null)"
    t_eq "start after sync: device made" "$(u 2)" "$(mdevs)"
    lv_virsh destroy vm2 > /dev/null

    # Devices without uuid: derived from the domain UUID and the position.
    lv_domain_xml vm3 "$(du 3)" --no-hostdev "profile=\"A40-1Q\"" "profile=\"A40-1Q\"" > "$LV_WORK/vm3.xml"
    lv_virsh define "$LV_WORK/vm3.xml" > /dev/null
    lvc sync vm3
    local d0 d1
    read -r d0 d1 <<< "$(sed -n 's/.*A40-1Q vGPU \([0-9a-f-]*\)\.$/\1/p' <<< "$OUT" | tr '\n' ' ')"
    t_eq "sync, derived UUIDs: hostdevs name them" "$d0 $d1" "$(inactive vm3 | hostdev_uuids)"
    t_eq "sync, derived UUIDs: start creates them" "$(printf '%s\n' "$d0" "$d1" | sort | tr '\n' ' ' | sed 's/ $//')" \
        "$(lv_virsh start vm3 > /dev/null 2>&1; mdevs)"
    lv_virsh destroy vm3 > /dev/null
    lvc detach vm3 "$d0"
    t_eq "detach the first derived vGPU" 0 "$RC"
    t_match "the second moved up: its UUID is now written out" "<vgpu:device uuid=\"$d1\" profile=\"A40-1Q\"/>" "$(inactive vm3)"
    t_eq "the second keeps its UUID and hostdev" "$d1" "$(inactive vm3 | hostdev_uuids)"
    lvc check vm3
    t_eq "check after the shift: would start" 0 "$RC"

    # sync --all: only the domain that lacks one changes.
    lv_domain_xml vm4 "$(du 4)" --no-hostdev "uuid=\"$(u 4)\" profile=\"A40-2Q\"" > "$LV_WORK/vm4.xml"
    lv_virsh define "$LV_WORK/vm4.xml" > /dev/null
    lvc sync --all
    t_eq "sync --all: exit 0" 0 "$RC"
    t_match "sync --all: added vm4's" "Domain 'vm4': added <hostdev> for A40-2Q vGPU $(u 4)\." "$OUT"
    t_eq "sync --all: nothing added elsewhere" 1 "$(grep -c 'added' <<< "$OUT")"

    # sync --all with a listed domain undefined before its turn (held at
    # the test point right after the list): no error, the others synced.
    local vpid rc
    for x in vm11 vm12; do
        lv_domain_xml "$x" "$(du "${x#vm}")" --no-hostdev "uuid=\"$(u "${x#vm}")\" profile=\"A40-2Q\"" > "$LV_WORK/$x.xml"
        lv_virsh define "$LV_WORK/$x.xml" > /dev/null
    done
    (cd / && exec env VGPU_TEST_PAUSE_AT=sync-all-listed nsenter -m -t "$LV_KEEPER" -- \
        "$LV_B/cli/vgpuctl" -c qemu:///system sync --all > "$LV_WORK/vc.out" 2> "$LV_WORK/vc.err" < /dev/null) &
    vpid=$!
    t_ok "sync --all stopped with the domains listed" stopped_within 30 "$vpid"
    lv_virsh undefine vm11 > /dev/null
    kill -CONT "$vpid"
    wait "$vpid"
    rc=$?
    t_eq "sync --all, vm11 undefined meanwhile: exit 0, silent stderr" "0:" "$rc:$(cat "$LV_WORK/vc.err")"
    t_match "sync --all: says vm11 went" "Domain 'vm11': undefined meanwhile, nothing to sync\." "$(cat "$LV_WORK/vc.out")"
    t_eq "sync --all: vm12 still synced" "$(u 12)" "$(inactive vm12 | hostdev_uuids)"
    lv_virsh undefine vm12 > /dev/null

    # define FILE
    lv_domain_xml vm5 "$(du 5)" --no-hostdev "uuid=\"$(u 5)\" profile=\"A40-2Q\"" "uuid=\"$(u 6)\" profile=\"A40-2Q\"" > "$LV_WORK/vm5.xml"
    lvc define "$LV_WORK/vm5.xml"
    t_eq "define FILE: exit 0" "0:" "$RC:$ERR"
    t_match "define FILE: reports the two hostdevs" "defined from .*Added <hostdev> for A40-2Q vGPU $(u 5)\..*$(u 6)\." "$(tr '\n' ' ' <<< "$OUT")"
    t_eq "define FILE: hostdevs in the definition" "$(u 5) $(u 6)" "$(inactive vm5 | hostdev_uuids)"
    t_eq "define FILE: starts" "running" "$(lv_virsh start vm5 > /dev/null 2>&1; state vm5)"
    lv_virsh destroy vm5 > /dev/null
    lvc define "$LV_WORK/vm5.xml"
    t_match "define FILE again (already has them): defined, nothing added" "^0:Domain 'vm5' defined" "$RC:$OUT"
    for x in vm2 vm3 vm4 vm5; do lv_virsh undefine "$x" > /dev/null; done
    t_eq "all stopped: no device left" "" "$(mdevs)"
}

# A cloned definition (virsh define of a copy that keeps the vGPU UUID):
# its start is refused while the original runs; attach warns about it.
test_clone() {
    lv_domain_xml vm8 "$(du 8)" "uuid=\"$(u 8)\" profile=\"A40-2Q\"" > "$LV_WORK/vm8.xml"
    lv_domain_xml vm9 "$(du 9)" "uuid=\"$(u 8)\" profile=\"A40-2Q\"" > "$LV_WORK/vm9.xml"
    lv_virsh define "$LV_WORK/vm8.xml" > /dev/null
    lv_virsh define "$LV_WORK/vm9.xml" > /dev/null
    t_eq "original starts" running "$(lv_virsh start vm8 > /dev/null 2>&1; state vm8)"
    local x
    x=$(lv_virsh start vm9 2>&1)
    t_eq "the clone's start: refused" "shut off" "$(state vm9)"
    t_match "the clone's start: virsh shows the hook's sentence naming the original" "mdev $(u 8) is held by domain 'vm8'.*\\(a clone\\?\\)" "$x"
    t_eq "the original's device untouched" "$(u 8)" "$(mdevs)"
    lvc attach vm9 A40-1Q
    t_eq "attach to the clone: exit 0" 0 "$RC"
    t_match "attach to the clone: warns about the UUID it shares" "^Warning: vGPU device 0: mdev UUID $(u 8) is also used by domain 'vm8' \\(a cloned definition\\?\\)" "$OUT"
    lvc attach vm8 A40-1Q
    t_match "attach to the original warns too" "mdev UUID $(u 8) is also used by domain 'vm9'" "$OUT"
    lv_virsh destroy vm8 > /dev/null
    lv_virsh undefine vm8 > /dev/null; lv_virsh undefine vm9 > /dev/null
    t_eq "clone test: no device left" "" "$(mdevs)"
}

test_status_gc() {
    local hand vf
    # vm6 runs; vm7 is defined but stopped and its device leaked (its
    # prepare ran, its release never did); a domain that was never defined
    # leaked one too; one device was made by hand.
    lv_domain_xml vm6 "$(du 6)" "uuid=\"$(u 6)\" profile=\"A40-2Q\"" > "$LV_WORK/vm6.xml"
    lv_domain_xml vm7 "$(du 7)" "uuid=\"$(u 7)\" profile=\"A40-2Q\"" > "$LV_WORK/vm7.xml"
    lv_domain_xml ghost "$(du 8)" "uuid=\"$(u 8)\" profile=\"A40-2Q\"" > "$LV_WORK/ghost.xml"
    lv_virsh define "$LV_WORK/vm6.xml" > /dev/null
    lv_virsh define "$LV_WORK/vm7.xml" > /dev/null
    lv_virsh start vm6 > /dev/null
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm7 prepare begin - < '$LV_WORK/vm7.xml'"
    t_eq "leak simulated: the hook prepared vm7 outside a start" 0 "$?"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' ghost prepare begin - < '$LV_WORK/ghost.xml'"
    vf=$(mdev_parent "$(u 6)")
    hand=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$(mdev_gpu "$(u 6)")/virtfn20")")
    printf '%s\n' "$(u 9)" > "$SIM_ROOT/class/mdev_bus/$hand/mdev_supported_types/nvidia-558/create"
    t_eq "four devices" "$(u 6) $(u 7) $(u 8) $(u 9)" "$(mdevs)"
    t_eq "vm7 is shut off" "shut off" "$(state vm7)"

    lvc status
    t_eq "status: exit 0, silent" "0:" "$RC:$ERR"
    t_match "status: vm6 running" "^$(u 6) .* vm6 +vgpu-hook +running$" "$OUT"
    t_match "status: vm7 shut off, leaked" "^$(u 7) .* vm7 +vgpu-hook +shut off \(leaked\)$" "$OUT"
    t_match "status: ghost undefined, leaked" "^$(u 8) .* ghost +vgpu-hook +undefined \(leaked\)$" "$OUT"
    t_match "status: hand-made is other" "^$(u 9) +A40-2Q +nvidia-558 +$hand .* - +other +-$" "$OUT"
    t_match "status: GPU line counts VFs" "^$(mdev_gpu "$(u 6)") +A40 +[0-9-]+ +4/32 +4$" "$OUT"
    lvc status --json
    t_eq "status --json: libvirt connected, vm7 leaked" "connected true" \
        "$(jq -r ".libvirt, (.gpus[].mdevs[] | select(.uuid==\"$(u 7)\") | .leaked)" <<< "$OUT" | tr '\n' ' ' | sed 's/ $//')"

    # The hand-made device named by a stopped domain's hostdev: libvirt says whose.
    lv_domain_xml byhand "$(du 9)" > "$LV_WORK/byhand.xml"
    sed -i "s|<memballoon model='none'/>|<memballoon model='none'/><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$(u 9)'/></source></hostdev>|" "$LV_WORK/byhand.xml"
    lv_virsh define "$LV_WORK/byhand.xml" > /dev/null
    lvc status
    t_match "status: a hand-made device's user from libvirt, still other" "^$(u 9) .* byhand +other +shut off$" "$OUT"

    lvc gc --dry-run
    t_eq "gc --dry-run: exit 0" 0 "$RC"
    t_match "gc --dry-run: vm7's" "^$(u 7) .* vm7 +shut off +would remove$" "$OUT"
    t_match "gc --dry-run: ghost's" "^$(u 8) .* ghost +undefined +would remove$" "$OUT"
    t_eq "gc --dry-run: nothing else listed" 3 "$(printf '%s\n' "$OUT" | wc -l)"
    t_eq "gc --dry-run: nothing removed" "$(u 6) $(u 7) $(u 8) $(u 9)" "$(mdevs)"

    lvc gc
    t_eq "gc: exit 0" "0:" "$RC:$ERR"
    t_eq "gc: leaks removed; running and hand-made kept" "$(u 6) $(u 9)" "$(mdevs)"
    t_eq "gc: vm6 still running" running "$(state vm6)"
    lvc gc
    t_match "gc again: nothing" "^Nothing to collect" "$OUT"
    t_eq "vm7 starts after gc" "$(u 6) $(u 7) $(u 9)" "$(lv_virsh start vm7 > /dev/null 2>&1; mdevs)"
    lv_virsh destroy vm7 > /dev/null
    lv_virsh destroy vm6 > /dev/null
    t_eq "stops release their own only" "$(u 9)" "$(mdevs)"
    printf 1 > "$SIM_ROOT/bus/mdev/devices/$(u 9)/remove"
    for d in vm6 vm7 byhand; do lv_virsh undefine "$d" > /dev/null; done

    # A domain starting while gc looks: its prepare hook waits for the host
    # lock while libvirt holds the domain's own lock, so libvirt cannot say
    # whether it runs. gc must not wait for ever, nor call its device a leak.
    lv_domain_xml vm8 "$(du 8)" "uuid=\"$(u 8)\" profile=\"A40-2Q\"" > "$LV_WORK/vm8.xml"
    lv_virsh define "$LV_WORK/vm8.xml" > /dev/null
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm8 prepare begin - < '$LV_WORK/vm8.xml'"
    # Events, not sleeps (a fixed 0.5 s, 1 s and a 6 s hold raced on a loaded
    # machine): the holder keeps the lock until vm8.go exists, gc runs once
    # libvirtd has started the prepare hook that waits for it.
    local i go=$LV_WORK/vm8.go lock
    lock=$(lv_nsfile /run/vgpu-hook/lock)
    lv_ns flock /run/vgpu-hook/lock sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done' _ "$go" &
    local holder=$!
    for i in $(seq 1 600); do flock -n "$lock" true || break; sleep 0.05; done
    lv_virsh start vm8 > "$LV_WORK/vm8.start" 2>&1 &
    local starter=$!
    for i in $(seq 1 600); do
        pgrep -f 'qemu.d/vgpu-hook vm8 prepare begin' > /dev/null && break
        sleep 0.05
    done
    lvc gc --dry-run
    # Bounded by order, not a stopwatch: gc answered while the start still
    # waited for the lock it cannot get (a gc that waited for it would be
    # cut by lv_vgpuctl's timeout instead).
    t_eq "gc during a start: answers within its bound, the start still waiting" "answered waiting" \
        "$([ "$RC" -ne 124 ] && echo answered) $(kill -0 "$starter" 2>/dev/null && echo waiting)"
    : > "$go"
    t_match "gc during a start: the starting domain is skipped, not collected" \
        "^Skipped domain 'vm8': libvirt did not say within [0-9]+ ms whether it runs" "$(grep -v '^Nothing' <<< "$OUT")"
    t_eq "gc during a start: nothing listed for removal" "" "$(grep 'would remove' <<< "$OUT")"
    wait "$holder"
    wait "$starter"
    t_eq "the start then completes with its device" "running:$(u 8)" "$(state vm8):$(mdevs)"
    lv_virsh destroy vm8 > /dev/null
    lv_virsh undefine vm8 > /dev/null
    t_eq "stopped: nothing left" "" "$(mdevs)"
}

if lv_start a40x2-sriov; then
    for t in test_attach_start_detach test_sync_define test_clone test_status_gc; do
        lv_log "=== $t"
        before=$T_FAIL
        $t
        [ "$T_FAIL" -gt "$before" ] && lv_dump_logs
    done
else
    t_fail "libvirtd up in the namespace (a40x2-sriov)" "see the log above"
    lv_dump_logs
fi
lv_stop
t_done
