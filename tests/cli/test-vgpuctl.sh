#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpuctl without a libvirt daemon: types, status, check, gc and the
# argument errors, against the simulator, with devices made by the real hook
# program (tests/hook/hooklib.sh) and by hand. Where a libvirt connection is
# needed it is libvirt's in-process test driver (test:///default: one
# running domain "test"), which needs no daemon.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

TEST_URI=test:///default
TEST_DOM_UUID=6695eb01-f6a4-8304-79aa-97f2502e193f   # test:///default's running "test"
NOWHERE_URI="qemu+unix:///system?socket=$WORK/no-such-socket"

# test_def NAME DOMUUID [--no-hostdev] 'DEVICE ATTRS'...: dom's XML as
# libvirt's test driver defines it (no id, memory and os given)
test_def() {
    dom "$@" | sed -e "s/ id='1'//" -e "s/type='kvm'/type='test'/" \
        -e "s|  <devices>|  <memory>65536</memory><os><type>hvm</type></os>\n  <devices>|"
}

# JSON is read with jq (Debian's jq); installed here when missing and root.
if ! command -v jq > /dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq > /dev/null 2>&1
fi
jqv() { jq -r "$1" <<< "$OUT" 2>&1; }
# Parses as JSON: python3's json module when present, else jq.
json_ok() {
    if command -v python3 > /dev/null 2>&1; then python3 -m json.tool > /dev/null <<< "$OUT"
    else jq -e . > /dev/null <<< "$OUT"; fi
}

# One profile's line of the human table: "PROFILE TYPE FB MAX FREE ..."
types_row() { awk -v p="$1" '$1 == p' <<< "$OUT"; }
types_free() { types_row "$1" | awk '{ print $5 }'; }

test_types_a40() {
    fresh a40x2-sriov
    local a b i
    a=$(sriov_gpus | head -n 1)   # 0000:67:00.0
    b=$(sriov_gpus | tail -n 1)   # 0000:e8:00.0

    vc types
    t_eq "types: exit 0, nothing on stderr" "0:" "$RC:$ERR"
    t_match "types: header" "^PROFILE +TYPE +FRAMEBUFFER +MAX/GPU +FREE +FREE ON" "$OUT"
    # A40: 48 GB, 32 VFs. 2Q: 48/2 = 24 per GPU (fewer than the 32 VFs), 2 GPUs.
    t_match "types: A40-2Q is nvidia-558, 2G, 24 per GPU, 48 free on both" \
        "^A40-2Q +nvidia-558 +2G +24 +48 +$a \(24\), $b \(24\)$" "$(types_row A40-2Q)"
    # 1B: 48 would fit by framebuffer, the 32 VFs cap it.
    t_eq "types: A40-1B capped by 32 VFs per GPU" "64" "$(types_free A40-1B)"
    t_eq "types: A40-48Q one per GPU" "2" "$(types_free A40-48Q)"
    t_eq "types: 22 A40 profiles listed" 22 "$(($(printf '%s\n' "$OUT" | wc -l) - 1))"
    t_eq "types: no vendor prefix in profile names" "" "$(grep -E '^(NVIDIA|GRID) ' <<< "$OUT")"

    vc types --json
    t_ok "types --json parses" json_ok
    t_eq "types --json: A40-2Q free 48" 48 "$(jqv '.profiles[] | select(.profile=="A40-2Q") | .free')"
    t_eq "types --json: A40-2Q per GPU: type, max, free" "nvidia-558 24 24 nvidia-558 24 24" \
        "$(jqv '.profiles[] | select(.profile=="A40-2Q") | .gpus[] | "\(.type) \(.max_instance) \(.free)"' | tr '\n' ' ' | sed 's/ $//')"

    # The real hook makes one A40-2Q: pack puts it on the first GPU.
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "hook prepared vm1 on $a" "0:$a" "$RC:$(mdev_gpu "$(u 1)")"
    vc types
    t_eq "after one A40-2Q: 47 free" 47 "$(types_free A40-2Q)"
    t_match "after one A40-2Q: 23 on $a" "$a \(23\), $b \(24\)" "$(types_row A40-2Q)"
    t_eq "after one A40-2Q: A40-4Q only on $b (12)" "12" "$(types_free A40-4Q)"
    t_match "A40-4Q not offered on $a any more" "FREE ON|^A40-4Q +nvidia-560 +4G +12 +12 +$b \(12\)$" "$(types_row A40-4Q)"
    vc types --gpu "$a"
    t_eq "--gpu $a: only A40-2Q has room" "A40-2Q" "$(tail -n +2 <<< "$OUT" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
    vc types --gpu "${a#0000:}" --all
    t_eq "--gpu (short address) --all: every profile, others 0" "0:0:22" \
        "$RC:$(types_free A40-4Q):$(($(printf '%s\n' "$OUT" | wc -l) - 1))"
    vc types --gpu "$(virtfn "$a" 3)" --all --json
    t_eq "--gpu with a VF names its GPU" "$a" "$(jqv '.profiles[0].gpus[0].gpu')"
    t_eq "--json --all: A40-4Q free 0 on $a" "0" "$(jqv '.profiles[] | select(.profile=="A40-4Q") | .free')"

    # 23 of 24 used: 9 VFs still read available_instances=1 each on a real
    # driver's sibling VFs? No: one more fits, not 9. The free count is
    # min(free VFs, max_instance - used).
    for i in $(seq 1 22); do hand_create "$(virtfn "$a" "$i")" nvidia-558 "$(u $((100 + i)))"; done
    vc types --gpu "$a" --json
    t_eq "23 of 24 A40-2Q on $a: 1 free (9 VFs idle, max_instance bounds it)" "1 23" \
        "$(jqv '.profiles[] | select(.profile=="A40-2Q") | .gpus[0] | "\(.free) \(.used)"')"
    hand_create "$(virtfn "$a" 23)" nvidia-558 "$(u 123)"
    vc types
    t_eq "24 of 24: $a full, only $b's 24" "24" "$(types_free A40-2Q)"
    vc types --gpu 0000:99:00.0
    t_eq "--gpu unknown: exit 1, one line" "1:1" "$RC:$(printf '%s\n' "$ERR" | wc -l)"
    t_match "--gpu unknown: says so" "^vgpuctl: types: no GPU or mdev parent '0000:99:00.0'" "$ERR"
    stop vm1
}

# For a shared pool, the free count is the driver's available_instances.
avail() { cat "$SIM_ROOT/class/mdev_bus/$1/mdev_supported_types/$2/available_instances"; }

test_types_other_drivers() {
    local t
    fresh gvtg
    vc types --all
    t_eq "gvtg: exit 0" 0 "$RC"
    t_eq "gvtg: V5_8 7, V5_4 5, V5_2 2, V5_1 1" "7 5 2 1" \
        "$(for t in GVTg_V5_8 GVTg_V5_4 GVTg_V5_2 GVTg_V5_1; do types_free $t; done | tr '\n' ' ' | sed 's/ $//')"
    start g1 1 "uuid=\"$(u 1)\" profile=\"GVTg_V5_4\""
    vc types --all --json
    t_ok "gvtg --json parses" json_ok
    t_eq "gvtg after one V5_4: every type follows the shared pool" \
        "$(for t in 8 4 2 1; do avail 0000:00:02.0 i915-GVTg_V5_$t; done | tr '\n' ' ')" \
        "$(for t in 8 4 2 1; do jqv ".profiles[] | select(.profile==\"GVTg_V5_$t\") | .free"; done | tr '\n' ' ')"
    t_eq "gvtg: model falls back to vendor:device" "8086:3e92" "$(jqv '.profiles[0].gpus[0].model')"
    stop g1

    fresh mtty
    vc types
    t_eq "mtty: Single port serial 24" 24 "$(awk '/^Single port serial/ { print $(NF-2) }' <<< "$OUT" | head -n 1)"
    t_match "mtty: names with spaces, type id, no framebuffer" "^Single port serial +mtty-1 +- +- +24 +mtty \(24\)$" \
        "$(grep '^Single' <<< "$OUT")"
    hand_create mtty mtty-2 "$(u 5)"
    vc types --json
    t_eq "mtty after a Dual port device: 22 and 11" "22 11" \
        "$(jqv '.profiles[] | select(.profile=="Single port serial") | .free') $(jqv '.profiles[] | select(.profile=="Dual port serial") | .free')"

    fresh mixed
    vc types --all --json
    t_ok "mixed --json parses" json_ok
    t_eq "mixed: A40-2Q on 4 VFs in domain 0001: 4 free" "4 0001:41:00.0" \
        "$(jqv '.profiles[] | select(.profile=="A40-2Q") | "\(.free) \(.gpus[0].gpu)"')"
    # The P40 holds a P40-2Q made before us: 12 - 1 left of it, nothing else.
    t_eq "mixed: P40-2Q 11 free beside the existing one" "11 1" \
        "$(jqv '.profiles[] | select(.profile=="P40-2Q") | "\(.free) \(.gpus[0].used)"')"
    t_eq "mixed: P40-1Q 0 free (one type per GPU)" "0" "$(jqv '.profiles[] | select(.profile=="P40-1Q") | .free')"
    t_eq "mixed: gvtg and mtty listed too" "2 2" \
        "$(jqv '[.profiles[] | select(.profile | test("GVTg_V5_[48]"))] | length') $(jqv '[.profiles[] | select(.gpus[0].gpu=="mtty")] | length')"
    vc types
    t_eq "mixed, human: P40-1Q hidden without --all" "" "$(types_row P40-1Q)"
}

test_status() {
    fresh a40x2-sriov
    local a hand
    a=$(sriov_gpus | head -n 1)
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    hand=$(virtfn "$a" 9)
    hand_create "$hand" nvidia-558 "$(u 9)"

    vc status --no-libvirt
    t_eq "status --no-libvirt: exit 0, silent stderr" "0:" "$RC:$ERR"
    t_match "status: GPU line with model, NUMA, VFs in use" "^$a +A40 +0 +2/32 +2$" "$OUT"
    t_match "status: the other GPU idle" "^0000:e8:00.0 +A40 +1 +0/32 +0$" "$OUT"
    t_match "status: hook device owned by vm1, state unknown" \
        "^$(u 1) +A40-2Q +nvidia-558 +$(mdev_parent "$(u 1)") +$a +vm1 +vgpu-hook +unknown$" "$OUT"
    t_match "status: hand-made device is not ours" "^$(u 9) +A40-2Q +nvidia-558 +$hand +$a +- +other +-$" "$OUT"

    vc status --no-libvirt --json
    t_ok "status --json parses" json_ok
    t_eq "status --json: owner, creator, state" "vm1 vgpu-hook unknown" \
        "$(jqv ".gpus[] | .mdevs[] | select(.uuid==\"$(u 1)\") | \"\(.domain) \(.created_by) \(.state)\"")"
    t_eq "status --json: hand-made has no domain" "null other" \
        "$(jqv ".gpus[] | .mdevs[] | select(.uuid==\"$(u 9)\") | \"\(.domain) \(.created_by)\"")"
    t_eq "status --json: libvirt skipped" skipped "$(jqv .libvirt)"
    t_eq "status --json: vfs" "32 2" "$(jqv ".gpus[] | select(.address==\"$a\") | \"\(.vfs_total) \(.vfs_in_use)\"")"

    # libvirt unreachable: still the sysfs part, a note, exit 0.
    vc -c "$NOWHERE_URI" status
    t_eq "status, libvirt unreachable: exit 0" 0 "$RC"
    t_match "status, libvirt unreachable: one-line note" "^vgpuctl: note: cannot connect to libvirt.*domain states are unknown$" "$ERR"
    t_eq "status, libvirt unreachable: note is one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    t_match "status, libvirt unreachable: devices listed" "$(u 1) .* vm1 +vgpu-hook +unknown" "$OUT"

    # With libvirt (the test driver): vm1 is not defined there: a leak.
    vc status -c "$TEST_URI"
    t_match "status with libvirt: vm1 undefined -> leaked" "$(u 1) .* vm1 +vgpu-hook +undefined \(leaked\)" "$OUT"
    t_match "status with libvirt: points at gc" "1 vGPU\(s\) belong to domains that are not running: 'vgpuctl gc'" "$OUT"

    # A ledger entry whose device is gone is reported.
    printf 1 > "$SIM_ROOT/bus/mdev/devices/$(u 1)/remove"
    vc status --no-libvirt --json
    t_eq "status: ledger entry without device listed as missing" "$(u 1) vm1" "$(jqv '.missing[0] | "\(.uuid) \(.domain)"')"
    stop vm1

    # JSON escaping: a domain name with quote, backslash and non-ASCII.
    local weird='we"ird\näme'
    dom "$weird" "$(du 7)" "uuid=\"$(u 7)\" profile=\"A40-1Q\"" | sed 's/we"ird/we\&quot;ird/' > "$WORK/weird.xml"
    hook x prepare begin < "$WORK/weird.xml"
    vc status --no-libvirt --json
    t_ok "status --json with an odd domain name parses" json_ok
    t_eq "status --json: the name round-trips" "$weird" "$(jqv ".gpus[] | .mdevs[] | select(.uuid==\"$(u 7)\") | .domain")"
    hook x release end < "$WORK/weird.xml"
}

test_check() {
    fresh a40x2-sriov
    local a b before
    a=$(sriov_gpus | head -n 1)
    b=$(sriov_gpus | tail -n 1)
    dom fit "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$WORK/fit.xml"
    before=$(sim_stat write)
    vc check "$WORK/fit.xml"
    t_eq "check fits: exit 0" 0 "$RC"
    t_match "check fits: says it would start" "^Domain 'fit' would start\.$" "$OUT"
    t_match "check fits: names a parent VF of $a" "$(u 1) +A40-2Q +create +0000:67:00\.[0-9a-f] +$a +A40-2Q \(nvidia-558\)" "$OUT"
    vc check --json "$WORK/fit.xml"
    t_ok "check --json parses" json_ok
    t_eq "check: the two vGPUs get distinct VFs" 2 "$(jqv '.devices[].parent' | sort -u | wc -l)"
    t_eq "check: wrote nothing to sysfs" "0:${before}" "$(mdev_count):$(sim_stat write)"

    # Three A40-48Q: one per GPU; the dry run counts the earlier ones.
    dom big "$(du 2)" "uuid=\"$(u 3)\" profile=\"A40-48Q\"" "uuid=\"$(u 4)\" profile=\"A40-48Q\"" \
        "uuid=\"$(u 5)\" profile=\"A40-48Q\"" > "$WORK/big.xml"
    vc check "$WORK/big.xml"
    t_eq "check does not fit: exit 1" 1 "$RC"
    t_match "check does not fit: says so" "^Domain 'big' would not start\.$" "$OUT"
    t_match "check: 1st and 2nd on different GPUs" "$(u 3) .* create .* $a .*$(u 4) .* create .* $b " "$(tr '\n' ' ' <<< "$OUT")"
    t_match "check: 3rd refused with the hook's reason" \
        "^vGPU device 2: no GPU can take A40-48Q: all 1 A40-48Q instances in use on $a; all 1 A40-48Q instances in use on $b$" "$OUT"

    # Another profile on a GPU that holds one: NVIDIA's one-type rule.
    dom two "$(du 3)" "uuid=\"$(u 6)\" profile=\"A40-2Q\" parent=\"$a\"" "uuid=\"$(u 7)\" profile=\"A40-4Q\" parent=\"$a\"" > "$WORK/two.xml"
    vc check "$WORK/two.xml"
    t_match "check: second profile on the same GPU refused, each GPU with its reason" "vGPU device 1: no GPU can take A40-4Q: $b is not the requested parent $a; GPU $a holds A40-2Q vGPUs" "$OUT"

    dom nohd "$(du 4)" --no-hostdev "uuid=\"$(u 8)\" profile=\"A40-2Q\"" > "$WORK/nohd.xml"
    vc check "$WORK/nohd.xml"
    t_eq "check missing hostdev: exit 1" 1 "$RC"
    t_match "check missing hostdev: the element to add" \
        "has no matching <hostdev>; add to <devices>: <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='$(u 8)'/></source></hostdev> \(or run: vgpuctl sync nohd\)" "$OUT"

    dom nope "$(du 5)" "uuid=\"$(u 9)\" profile=\"Z99-1Q\"" > "$WORK/nope.xml"
    vc check "$WORK/nope.xml"
    t_match "check unknown profile: exit 1, offered list" "^1:.*no type matching profile 'Z99-1Q' on this host \(offered: A40-1A" "$RC:$(tr '\n' ' ' <<< "$OUT")"

    # An existing device with the request's UUID is reused, as the hook does.
    start fit 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    vc check "$WORK/fit.xml"
    t_match "check after prepare: reuse" "^0:.*$(u 1) +A40-2Q +reuse " "$RC:$(tr '\n' ' ' <<< "$OUT")"
    stop fit

    vc check "$TOP/examples/vm-plain.xml"
    t_match "check: a domain without metadata" "^0:Domain 'vm-plain' asks for no vGPU" "$RC:$OUT"
    vc check - < "$WORK/fit.xml"
    t_eq "check -: reads standard input" 0 "$RC"
    printf '<domain><name>x</name><metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1"><vgpu:device profile="A40-2Q" placement="sideways"/></vgpu:vgpu></metadata></domain>' > "$WORK/bad.xml"
    vc check "$WORK/bad.xml"
    t_match "check invalid metadata: one-line error naming the field" "^1:vgpuctl: check: .*placement" "$RC:$ERR"
}

test_gc() {
    fresh a40x2-sriov
    local a hand
    a=$(sriov_gpus | head -n 1)
    start leak 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    dom test "$TEST_DOM_UUID" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$WORK/test.xml"
    hook test prepare begin < "$WORK/test.xml"
    t_eq "the running test domain's vGPU prepared" 0 "$RC"
    hand=$(virtfn "$a" 9)
    hand_create "$hand" nvidia-558 "$(u 9)"

    vc -c "$NOWHERE_URI" gc
    t_eq "gc without libvirt: refuses, exit 1" 1 "$RC"
    t_match "gc without libvirt: says why, one line" "^vgpuctl: gc: cannot connect to libvirt.*refusing to remove anything without knowing which domains run$" "$ERR"
    t_eq "gc without libvirt: nothing removed" "$(u 1) $(u 2) $(u 9)" "$(mdevs)"

    vc -c "$TEST_URI" gc --dry-run
    t_eq "gc --dry-run: exit 0" 0 "$RC"
    t_match "gc --dry-run: lists the leak" "^$(u 1) +nvidia-558 +0000:67:00\.[0-9a-f]+ +leak +undefined +would remove$" "$OUT"
    t_eq "gc --dry-run: only the leak" 2 "$(printf '%s\n' "$OUT" | wc -l)"
    t_eq "gc --dry-run: removes nothing" "$(u 1) $(u 2) $(u 9)" "$(mdevs)"

    vc -c "$TEST_URI" gc --json
    t_ok "gc --json parses" json_ok
    t_eq "gc: removed the leak" "$(u 1) remove true" "$(jqv '.devices[0] | "\(.uuid) \(.action) \(.done)"')"
    t_eq "gc: kept the running domain's and the hand-made device" "$(u 2) $(u 9)" "$(mdevs)"
    t_eq "gc: the leak's ledger is gone, the running one's kept" 1 "$(ledgers)"
    vc -c "$TEST_URI" gc
    t_match "gc again: nothing to do" "^Nothing to collect" "$OUT"

    # A ledger entry whose device someone removed is forgotten.
    start gone 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\""
    printf 1 > "$SIM_ROOT/bus/mdev/devices/$(u 3)/remove"
    vc -c "$TEST_URI" gc
    t_match "gc: a vanished device is forgotten" "^$(u 3) .* gone +undefined +forgot \(gone\)$" "$OUT"
    t_eq "gc: its ledger gone" 1 "$(ledgers)"
    hook test release end < "$WORK/test.xml"
}

# gc right after a domain stopped on a driver that removes its own mdevs
# (the simulator's self_remove_ms): it waits for the driver as release does.
test_gc_self_removing_driver() {
    fresh "$(self_remove_scenario 4 300)" release_wait_ms=5000
    start leak 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    sim_ctl busy "$(u 1)"; sim_ctl idle "$(u 1)"    # it ran, then stopped
    sim_ctl reset-stats
    vc -c "$TEST_URI" gc
    t_eq "gc after a stop on a self-removing driver: exit 0, device and ledger gone" "0:0:0" "$RC:$(mdev_count):$(ledgers)"
    t_eq "... nothing written to remove: the driver did it" 0 "$(sim_stat remove_stores)"
    start next 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "... and the GPU still works" "0:$(u 2)" "$RC:$(mdevs)"
    hook next release end < "$WORK/next.xml"
}

# Cloned definitions: check refuses like the hook; define warns.
test_clones() {
    fresh a40x2-sriov
    start orig 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    dom clone "$(du 2)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/clone.xml"
    vc check "$WORK/clone.xml"
    t_eq "check of a clone while the first holds the device: would not start" 1 "$RC"
    t_match "check: the hook's sentence, naming the first domain" "^vGPU device 0: mdev $(u 1) is held by domain 'orig', for which vgpu-hook made it; this definition names the same mdev UUID" "$OUT"
    hook orig release end < "$WORK/orig.xml"
    vc check "$WORK/clone.xml"
    t_eq "check of the clone once the first let go: would start" 0 "$RC"

    # libvirt's test driver, with a node file holding the original.
    local x
    x=$(test_def orig "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\"")
    printf '<node>\n%s\n</node>\n' "$x" > "$WORK/node.xml"
    test_def clone "$(du 2)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$WORK/clone-def.xml"
    vc -c "test://$WORK/node.xml" define "$WORK/clone-def.xml"
    t_eq "define of a clone: defined (exit 0)" 0 "$RC"
    t_match "define of a clone: warns, naming the other domain" "^Warning: vGPU device 0: mdev UUID $(u 1) is also used by domain 'orig' \\(a cloned definition\\?\\)" "$OUT"
    test_def other "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" profile=\"A40-2Q\"" > "$WORK/other-def.xml"
    vc -c "test://$WORK/node.xml" define "$WORK/other-def.xml"
    t_eq "define of a domain with its own UUIDs: no warning" "0:" "$RC:$(grep Warning <<< "$OUT")"
    # attach: the test driver cannot attach devices; the libvirt tier checks it.
}

# gc never holds the host lock across a remove: one the driver blocks
# (the VM still holds the device) must not stall every start meanwhile.
test_gc_lock() {
    fresh a40x2-sriov lock_timeout_ms=1000 remove_retries=0 remove_timeout_ms=20000
    start leak 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    sim_ctl busy "$(u 1)"
    "$VGPUCTL" -c "$TEST_URI" gc > "$WORK/gc.out" 2> "$WORK/gc.err" &
    local gc=$! i
    # 30 s at most: gc's start alone can take more than 5 s on a loaded machine
    for i in $(seq 1 600); do grep -q "$(u 1) .* removing" "$SIM_ROOT/vgpu-sim/mdevs" && break; sleep 0.05; done
    t_match "gc: its remove is blocked in the driver" "$(u 1) .* removing" "$(cat "$SIM_ROOT/vgpu-sim/mdevs")"
    start other 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "a start meanwhile gets the lock (lock_timeout_ms=1000) and its device" "0:" "$RC:$ERR"
    t_match "the leaked domain's ledger entry is marked removing" "state=removing" "$(cat "$WORK/state/$(du 1).ledger")"
    start leak 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "the leaked domain starting meanwhile: refused" 1 "$RC"
    t_match "... it says gc is removing its device" "mdev $(u 1) is being removed by 'vgpuctl gc'" "$ERR"
    sim_ctl idle "$(u 1)"
    wait "$gc"
    t_eq "gc: exit 0 once the driver let go" "0:" "$?:$(cat "$WORK/gc.err")"
    t_eq "gc: the leak removed, its ledger gone; the other kept" "$(u 2) 1" "$(mdevs) $(ledgers)"
    hook other release end < "$WORK/other.xml"
}

# One damaged ledger stops neither status nor gc; its devices are left alone.
test_damaged_ledgers() {
    fresh a40x2-sriov
    start leak 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    start hurt 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    local bad=$WORK/state/$(du 2).ledger
    printf '[domain]\nuuid=%s\n[device %s]\nparent=../../etc\ntype=nvidia-558\nstate=created\n' \
        "$(du 2)" "$(u 2)" > "$bad"
    vc status --no-libvirt
    t_eq "status with a damaged ledger: exit 0" 0 "$RC"
    t_match "status: the good ledger's device still owned" "^$(u 1) .* leak +vgpu-hook" "$OUT"
    t_match "status: lists the damaged ledger with its path" "^Damaged ledger: ledger $bad is damaged: device $(u 2) has a bad or no parent" "$OUT"
    vc status --no-libvirt --json
    t_ok "status --json with a damaged ledger parses" json_ok
    t_eq "status --json: damaged_ledgers names it" "$bad" "$(jqv '.damaged_ledgers[0].path')"
    vc -c "$TEST_URI" gc
    t_eq "gc with a damaged ledger: exit 0" 0 "$RC"
    t_match "gc: the other leak removed" "^$(u 1) .* leak +undefined +removed$" "$OUT"
    t_match "gc: says it skipped the damaged ledger" "^Skipped ledger $bad is damaged: .*; what it names is left alone" "$OUT"
    t_eq "gc: the damaged ledger's device left alone, the file kept" "$(u 2) 1" "$(mdevs) $(ledgers)"
}

# Every error: exit 1 and exactly one line "vgpuctl: ...".
test_errors() {
    fresh a40x2-sriov
    local args
    printf 'not xml' > "$WORK/junk.xml"
    while IFS= read -r args; do
        [ -n "$args" ] || continue
        eval "vc $args"
        t_eq "error '$args': exit 1, one line" "1:1" "$RC:$(printf '%s\n' "$ERR" | wc -l)"
        t_match "error '$args': starts with vgpuctl:" "^vgpuctl: " "$ERR"
    done <<EOF
frobnicate
--bogus
types extra
types --gpu
status --frob
define
define a b
define $WORK/no-such-file.xml
define $WORK/junk.xml
define $WORK
sync
sync a b
sync --all vm1
attach
attach vm1
attach vm1 'bad/profile'
attach vm1 A40-2Q --count 0
attach vm1 A40-2Q --count 99
attach vm1 nvidia-558 --type --parent zz:00.0
attach vm1 A40-2Q --placement sideways
detach
detach vm1 not-a-uuid
detach vm1 $(u 1) --all
check
check a b
gc extra
--hook-config $WORK/no-such-dir/x.conf types
EOF
    printf '[vgpu-hook]\nsysfs_rot=/sys\n' > "$WORK/typo.conf"
    vc --hook-config "$WORK/typo.conf" types
    t_match "config with a typo: refused, one line" "^1:vgpuctl: .*sysfs_rot" "$RC:$ERR"
    vc -c "$NOWHERE_URI" sync vm1
    t_match "sync without libvirt: one line" "^1:vgpuctl: sync: cannot connect to libvirt" "$RC:$ERR"
    dom bad "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\" colour=\"blue\"" > "$WORK/bad.xml"
    vc -c "$NOWHERE_URI" define "$WORK/bad.xml"
    t_match "define validates before asking libvirt" "^1:vgpuctl: define: .*colour" "$RC:$ERR"
    vc -c "$TEST_URI" attach test Z99-1Q
    t_match "attach an unknown profile: refused before any change" "^1:vgpuctl: attach: no type matching profile 'Z99-1Q'.*--force" "$RC:$ERR"
    # The test driver writes metadata but cannot attach devices: the second
    # step fails and the first is undone by defining the old definition.
    vc -c "$TEST_URI" attach test A40-2Q
    t_eq "attach failing half-way: exit 1, one line" "1:yes" "$RC:$([ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && echo yes)"
    t_match "attach failing half-way: restored" "^vgpuctl: attach: domain 'test': adding the <hostdev> for .*; the definition was restored as it was$" "$ERR"
    vc -c "$TEST_URI" detach nosuchdomain
    t_match "detach an unknown domain" "^1:vgpuctl: detach: no domain 'nosuchdomain'" "$RC:$ERR"

    vc --help
    t_match "--help lists the commands" "types .*status .*attach .*detach .*sync .*define .*check .*gc" "$(tr '\n' ' ' <<< "$OUT")"
    vc attach --help
    t_match "attach --help" "^0:.*--count.*--parent.*--placement.*--type" "$RC:$(tr '\n' ' ' <<< "$OUT")"
    vc --version
    t_match "--version" "^0:vgpuctl [0-9]" "$RC:$OUT"
}

# define with the test driver (in-process: the definition lives for one call)
test_define_test_driver() {
    fresh a40x2-sriov
    test_def vmd "$(du 4)" --no-hostdev "uuid=\"$(u 4)\" profile=\"A40-2Q\"" > "$WORK/vmd.xml"
    vc -c "$TEST_URI" define "$WORK/vmd.xml"
    t_eq "define (test driver): exit 0" "0:" "$RC:$ERR"
    t_match "define: says what it added" "Domain 'vmd' defined from .*Added <hostdev> for A40-2Q vGPU $(u 4)\." "$(tr '\n' ' ' <<< "$OUT")"
}

# A node of libvirt's test driver (test:///FILE, no daemon) on stdout, its
# domains from stdin, "NAME|N|STATE|METADATA|HOSTDEVS|NODESET" a line:
# STATE 1 running, 5 shut off; HOSTDEVS "ADDR" (hand-written) or
# "ADDR@UUID" (ours, alias ua-vgpu-UUID).
test_node() {
    local name n st meta hds nodes h a
    echo "<node>"
    while IFS='|' read -r name n st meta hds nodes; do
        printf "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
        printf "<name>%s</name><uuid>%s</uuid><memory>65536</memory>" "$name" "$(du "$n")"
        [ -n "$nodes" ] && printf "<numatune><memory mode='strict' nodeset='%s'/></numatune>" "$nodes"
        printf "<os><type arch='x86_64'>hvm</type></os>"
        [ -n "$meta" ] && printf '<metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1">%s</vgpu:vgpu></metadata>' "$meta"
        printf "<devices>"
        for h in $hds; do
            a=${h%@*}
            printf "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source>" \
                "${a:0:4}" "${a:5:2}" "${a:8:2}" "${a:11:1}"
            [ "$h" != "$a" ] && printf "<alias name='ua-vgpu-%s'/>" "${h#*@}"
            printf "</hostdev>"
        done
        printf "</devices><test:runstate>%s</test:runstate></domain>\n" "$st"
    done
    echo "</node>"
}

# vgpuctl sync's whole-VF pass (the keeper's, virt/vf-keep.c) over the
# test driver's domains: the VFs other domains name count.
test_vf_sync_test_driver() {
    local node=$WORK/node.xml
    # mixed-vf: va's hostdev names VF 67:00.4 (the vendor-specific GPU, on
    # node 0) though for va, on node 1, the rules rank the mdev GPU first;
    # vb, on node 0, wants a VF: not va's while three are free.
    fresh mixed-vf
    printf '%s\n' \
        "va|1|5|<vgpu:device uuid='$(u 1)' profile='A40-2Q'/>|0000:67:00.4@$(u 1)|1" \
        "vb|2|5|<vgpu:device uuid='$(u 2)' profile='A40-2Q'/>||0" | test_node > "$node"
    vc -c "test://$node" check va
    t_match "check (test driver): va starts on the VF its hostdev names" \
        "^0:.*create +0000:67:00.4 " "$RC:$(tr '\n' ' ' <<< "$OUT")"
    vc -c "test://$node" sync vb
    t_eq "sync (test driver): not the VF a stopped domain's hostdev names while one is free" \
        "0:Domain 'vb': vGPU $(u 2) (A40-2Q) now uses VF 0000:67:00.5." "$RC:$OUT$ERR"
    "$B/keeper/vgpu-keeper" -c "test://$node" --once --dry-run > "$WORK/keeper.out" 2>&1
    RC=$?
    t_eq "vgpu-keeper --once --dry-run (test driver): the same" \
        "0:would re-point: domain 'vb': vGPU $(u 2) (A40-2Q) now uses VF 0000:67:00.5: it had no VF|0 redefinition(s), 0 domain(s) failed" \
        "$RC:$(grep -v '^vgpu-keeper' "$WORK/keeper.out" | tr '\n' '|' | sed 's/|$//')"

    # s7150-2vf: running domains' hand-written hostdevs hold both VFs; the
    # refusal names the holder of the VF vc names, as the keeper's log does.
    fresh s7150-2vf "pci_ids_path=$TOP/tests/sim/pci.ids"
    printf '%s\n' \
        "vr1|3|1||0000:04:02.0|" "vr2|4|1||0000:04:02.1|" \
        "vc|5|5|<vgpu:device uuid='$(u 5)' gpu='S7150'/>|0000:04:02.0@$(u 5)|" | test_node > "$node"
    vc -c "test://$node" sync vc
    t_eq "sync (test driver), no VF free: one line saying why its own does not do" \
        "1:vgpuctl: sync: domain 'vc': vGPU $(u 5) (S7150): no free VF on this host fits it (VF 0000:04:02.0 is held by running domain 'vr1'); it stays on 0000:04:02.0" \
        "$RC:$OUT$ERR"

    # One VF free: vd's two requests cannot both have it, nor vh's request
    # the VF vh's own hand-written hostdev names (libvirt refuses one VF
    # in two hostdevs of a domain: the whole definition was refused).
    printf '%s\n' "vr2|4|1||0000:04:02.1|" \
        "vd|6|5|<vgpu:device uuid='$(u 6)' gpu='S7150'/><vgpu:device uuid='$(u 7)' gpu='S7150'/>||" \
        "vh|8|5|<vgpu:device uuid='$(u 8)' gpu='S7150'/>|0000:04:02.0|" | test_node > "$node"
    "$B/keeper/vgpu-keeper" -c "test://$node" --once > "$WORK/keeper.out" 2>&1
    RC=$?
    t_eq "vgpu-keeper --once (test driver): never one VF twice in a domain" \
        "0:domain 'vd': vGPU $(u 6) (S7150) now uses VF 0000:04:02.0: it had no VF|1 redefinition(s), 0 domain(s) failed" \
        "$RC:$(grep -v '^vgpu-keeper' "$WORK/keeper.out" | tr '\n' '|' | sed 's/|$//')"

    # A PCI ID database libpci cannot parse ends the process that reads it:
    # the pass asks first, so sync says so in one line and the keeper lives.
    printf '1002  Advanced Micro Devices, Inc. [AMD/ATI]\nnot a pci.ids line\n' > "$WORK/bad.ids"
    conf "pci_ids_path=$WORK/bad.ids"
    printf '%s\n' "vr2|4|1||0000:04:02.1|" "ve|9|5|<vgpu:device uuid='$(u 9)' gpu='S7150'/>||" |
        test_node > "$node"
    vc -c "test://$node" sync ve
    t_eq "sync, a broken PCI ID database: one line naming pci_ids_path" \
        "1:vgpuctl: sync: the PCI ID database cannot be read (pci_ids_path): Parse error at $WORK/bad.ids, line 2" \
        "$RC:$OUT$ERR"
    : > "$VGPU_TEST_LOG"
    "$B/keeper/vgpu-keeper" -c "test://$node" --once > "$WORK/keeper.out" 2>&1
    RC=$?
    t_eq "vgpu-keeper --once, a broken PCI ID database: the pass fails, no crash" \
        "1:0 redefinition(s), 1 domain(s) failed" "$RC:$(grep -v '^vgpu-keeper' "$WORK/keeper.out")"
    t_match "... its log says why in one line" \
        "the PCI ID database cannot be read \(pci_ids_path\): Parse error at $WORK/bad.ids, line 2 \(--once\)$" \
        "$(grep 'PCI ID database' "$VGPU_TEST_LOG")"
    conf "pci_ids_path=$TOP/tests/sim/pci.ids"
}

# vgpuctl define gives a whole-VF request its VF as sync does (the test
# driver's domains count): not one a running domain holds, not one a
# stopped domain names while another is free.
test_define_vf_test_driver() {
    local node=$WORK/node.xml
    fresh mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"
    printf '%s\n' "vr|1|1||0000:05:02.0|" \
        "vs|2|5|<vgpu:device uuid='$(u 2)' gpu='MI300X'/>|0000:26:02.0@$(u 2)|" | test_node > "$node"
    test_def vn "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" gpu=\"MI300X\"" > "$WORK/vn.xml"
    vc -c "test://$node" define "$WORK/vn.xml"
    t_eq "define gpu= (test driver): the VF sync would choose, held by none, named by none" \
        "0:Domain 'vn' defined from $WORK/vn.xml.|Domain 'vn': vGPU $(u 3) (MI300X) now uses VF 0000:85:02.0." \
        "$RC:$(tr '\n' '|' <<< "$OUT$ERR" | sed 's/|$//')"

    fresh s7150-2vf "pci_ids_path=$TOP/tests/sim/pci.ids"
    printf '%s\n' "vr1|4|1||0000:04:02.0|" "vr2|5|1||0000:04:02.1|" | test_node > "$node"
    test_def vf "$(du 6)" --no-hostdev "uuid=\"$(u 6)\" gpu=\"S7150\"" > "$WORK/vf.xml"
    vc -c "test://$node" define "$WORK/vf.xml"
    t_eq "define gpu= (test driver), every VF held: defined, one line saying why no VF" \
        "0:Domain 'vf' defined from $WORK/vf.xml.|No VF chosen for its whole-VF vGPU(s): domain 'vf': vGPU $(u 6) (S7150): no free VF on this host fits it; 'vgpuctl sync vf' chooses one when one is free." \
        "$RC:$(tr '\n' '|' <<< "$OUT$ERR" | sed 's/|$//')"
}

# The bash completion, when bash-completion is installed.
test_completion() {
    local bc=/usr/share/bash-completion/bash_completion
    [ -r "$bc" ] || { t_skip "completion tests" "no $bc"; return 0; }
    fresh mtty
    comp() {
        PATH=$B/cli:$PATH bash -c '. "$1"; . "$2"; shift 2
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _vgpuctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$bc" "$TOP/cli/vgpuctl.bash-completion" "$@" |
            tr '\n' ' ' | sed 's/ $//'
    }
    t_eq "completion: commands" "status" "$(comp vgpuctl st)"
    t_eq "completion: after a global option" "attach" "$(comp vgpuctl -c qemu:///system at)"
    t_eq "completion: gc options" "--dry-run" "$(comp vgpuctl gc --dr)"
    t_eq "completion: placement" "pack spread" "$(comp vgpuctl attach vm1 A40-2Q --placement '')"
    t_eq "completion: profiles from vgpuctl types (spaces escaped)" 'Single\ port\ serial' \
        "$(comp vgpuctl attach vm1 Si)"
    t_eq "completion: help COMMAND" "gc" "$(comp vgpuctl help g)"
    t_eq "completion: --hook-config" "--hook-config" "$(comp vgpuctl --hook)"
    t_eq "completion: -o of a command with tables" "--output" "$(comp vgpuctl status --ou)"
    t_eq "completion: after --hook-config FILE, the command" "types" \
        "$(comp vgpuctl --hook-config "$VGPU_HOOK_CONF" ty)"
}

# NVIDIA vendor-specific VFs (vGPU 17+): types and status read them; one
# VF given a type by hand counts as used on its GPU, and its GPU then lists
# only that size.
test_types_vfio() {
    fresh a40x2-vfio
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:e8:00.5/nvidia/current_vgpu_type"
    vc types
    t_eq "vfio types: exit 0, nothing on stderr" "0:" "$RC:$ERR"
    # 32 VFs list A40-2Q on an idle A40, but 48G / 2G = 24 fit: the
    # maximum comes from the framebuffer (the idle GPU lists A40-48Q).
    t_match "vfio types: A40-2Q, 24 per GPU, 23 left on the used one" \
        "^A40-2Q +nvidia-558 +2G +24 +47 +0000:67:00.0 \(24\), 0000:e8:00.0 \(23\)$" "$(types_row A40-2Q)"
    t_match "vfio types: A40-4Q only on the empty GPU (same-size rule), 12 fit" \
        "^A40-4Q +nvidia-560 +4G +12 +12 +0000:67:00.0 \(12\)$" "$(types_row A40-4Q)"
    t_match "vfio types: A40-1B capped by the 32 VFs" "^A40-1B +nvidia-[0-9]+ +1G +32 +32 " "$(types_row A40-1B)"
    vc types --json
    t_eq "vfio types --json: model, maximum, used and free of A40-2Q" "A40 24 1 23" \
        "$(jqv '.profiles[] | select(.profile=="A40-2Q") | .gpus[] | select(.gpu=="0000:e8:00.0") | "\(.model) \(.max_instance) \(.used) \(.free)"')"
    t_eq "vfio types --json: the framebuffer the table shows (2G, 4G), from the name" "2048 4096" \
        "$(jqv '.profiles[] | select(.profile=="A40-2Q" or .profile=="A40-4Q") | .framebuffer_mb' | paste -sd' ')"
    vc status
    t_match "vfio status: the used GPU has 1 of 32 VFs in use" "^0000:e8:00.0 +A40 +1 +1/32" "$OUT"
    t_match "vfio status: the other none" "^0000:67:00.0 +A40 +0 +0/32" "$OUT"
}

# What vgpuctl types says fits on a vendor-specific GPU is what the hook
# places: start domains on its VFs one by one until the hook refuses.
test_types_vfio_capacity() {
    fresh a40x2-vfio
    local g=0000:e8:00.0 i placed=0 free max
    vc types --json
    free=$(jqv ".profiles[] | select(.profile==\"A40-2Q\") | .gpus[] | select(.gpu==\"$g\") | .free")
    max=$(jqv ".profiles[] | select(.profile==\"A40-2Q\") | .gpus[] | select(.gpu==\"$g\") | .max_instance")
    t_eq "vfio capacity: types says 24 A40-2Q fit on an idle A40, at most 24" "24 24" "$free $max"
    for i in $(seq 0 31); do
        start "vm$i" $((i + 1)) "uuid=\"$(u $((i + 1)))\" profile=\"A40-2Q\" @vf=$(virtfn $g "$i")"
        [ "$RC" -eq 0 ] || break
        placed=$((placed + 1))
        if [ "$placed" -eq 10 ]; then
            vc types --json
            t_eq "vfio capacity: after 10, types says 14 more" 14 \
                "$(jqv ".profiles[] | select(.profile==\"A40-2Q\") | .gpus[] | select(.gpu==\"$g\") | .free")"
        fi
    done
    t_eq "vfio capacity: the hook placed as many as types said" "$free" "$placed"
    t_match "vfio capacity: then refused on a VF that is still free" "VF $(virtfn $g 24) cannot take A40-2Q now" "$ERR"
    vc types --all --json
    t_eq "vfio capacity: full: 0 free, still 24 at most" "0 24 24" \
        "$(jqv ".profiles[] | select(.profile==\"A40-2Q\") | .gpus[] | select(.gpu==\"$g\") | \"\\(.free) \\(.max_instance) \\(.used)\"")"
    vc types
    t_match "vfio capacity: the table: 24 per GPU, only the idle one has room" \
        "^A40-2Q +nvidia-558 +2G +24 +24 +0000:67:00.0 \(24\)$" "$(types_row A40-2Q)"

    # Mixed: the vendor-specific A40 holds a 2Q, so its VFs list 2Q alone;
    # the mdev-mode A40 of the same model still says 24, and its 4 VFs cap
    # it at 4 (not unknown).
    fresh mixed-vf
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    vc types
    t_match "mixed capacity: A40-2Q at most 4 (its VFs) and 24, 3 VFs and 4 mdevs free" \
        "^A40-2Q +nvidia-558 +2G +4,24 +7 +0000:67:00.0 \(3\), 0000:e8:00.0 \(4\)$" "$(types_row A40-2Q)"
}

# Whole VFs in status, types and gc: a VF is its own device; its holder
# comes from the ledger (plain VFs show nothing in sysfs).
test_vf_status_gc() {
    fresh mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=0000:05:02.0"
    vc types
    t_match "plain types: the model from the PCI ID database, 3 of 4 VFs free" \
        "^Aqua Vanjaram \\[Instinct MI300X\\] +vf-1002-74b5 .* 3 +0000:26:00.0 \\(1\\), 0000:85:00.0 \\(1\\), 0000:a6:00.0 \\(1\\)$" "$OUT"
    vc types --json
    t_eq "plain types --json: model, VFs free of the 4, per GPU VFs used/max" \
        "Aqua Vanjaram [Instinct MI300X] 3 1/1 0/1 0/1 0/1" \
        "$(jqv '.profiles[0] | "\(.gpus[0].model) \(.free) \([.gpus[] | "\(.used)/\(.max_instance)"] | join(" "))"')"
    vc status --no-libvirt
    t_match "plain status: the GPU's model and its VF in use" "^0000:05:00.0 +Aqua Vanjaram \\[Instinct MI300X\\] +0 +1/1 +1$" "$OUT"
    t_match "plain status: the VF's holder from the ledger" "^0000:05:02.0 .* vm1 +vgpu-hook +unknown$" "$OUT"
    t_match "plain status: the table of devices says DEVICE, not MDEV (a VF is no mdev)" "^DEVICE +PROFILE +TYPE " "$OUT"
    t_eq "plain status: no false 'does not exist' line" 0 "$(grep -c 'does not exist' <<< "$OUT")"
    vc -c "$TEST_URI" gc
    t_match "plain gc: the record of a domain that does not run is dropped" "^$(u 1) +vf-1002-74b5 +0000:05:02.0 +vm1 +undefined +remove" "$OUT"
    t_match "plain gc: its table says DEVICE" "^DEVICE +TYPE +PARENT " "$OUT"
    t_eq "plain gc: ledger gone" 0 "$(ledgers)"

    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=0000:e8:00.4"
    printf 559 > "$SIM_ROOT/bus/pci/devices/0000:67:00.5/nvidia/current_vgpu_type"   # by hand
    vc status --no-libvirt
    # A VF with a type lists nothing: its profile is named as another VF of
    # its model lists it, as for mdevs, not by its id.
    t_match "vfio status: the VF's holder, its profile by name" "^0000:e8:00.4 +A40-2Q +nvidia-558 .* vm1 +vgpu-hook +unknown$" "$OUT"
    t_match "vfio status: a hand-set VF is someone else's" "^0000:67:00.5 +A40-3Q +nvidia-559 .* - +other +-$" "$OUT"
    vc status --no-libvirt --json
    t_eq "vfio status --json: profiles by name" "A40-3Q A40-2Q" "$(jqv '[.gpus[].mdevs[].profile] | join(" ")')"
    vc -c "$TEST_URI" gc --dry-run
    t_match "vfio gc --dry-run: would clear the type this host set" "^$(u 1) +nvidia-558 +0000:e8:00.4 +vm1 +undefined +would remove$" "$OUT"
    t_eq "vfio gc --dry-run: changes nothing" 558 "$(cat "$SIM_ROOT/bus/pci/devices/0000:e8:00.4/nvidia/current_vgpu_type")"
    vc -c "$TEST_URI" gc
    t_eq "vfio gc: cleared ours, left the hand-set one" "0 559 0" \
        "$(cat "$SIM_ROOT/bus/pci/devices/0000:e8:00.4/nvidia/current_vgpu_type") $(cat "$SIM_ROOT/bus/pci/devices/0000:67:00.5/nvidia/current_vgpu_type") $(ledgers)"
}


# vgpuctl check on whole-VF requests: the hook's answer, dry.
test_vf_check() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=0000:e8:00.4"
    dom vm2 "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=0000:e8:00.4" > "$WORK/vm2.xml"
    vc check "$WORK/vm2.xml"
    t_eq "vf check: a taken VF: exit 1" 1 "$RC"
    t_match "vf check: in the hook's words" "^vGPU device 0: VF 0000:e8:00.4 is taken by domain 'vm1'; run 'vgpuctl sync vm2'" "$OUT"
    dom vm3 "$(du 3)" "uuid=\"$(u 3)\" profile=\"A40-2Q\" @vf=0000:e8:00.5" > "$WORK/vm3.xml"
    vc check "$WORK/vm3.xml"
    t_match "vf check: a free VF: would take A40-2Q there" "^0:.*create +0000:e8:00.5 +0000:e8:00.0 +A40-2Q \\(nvidia-558\\)" "$RC:$(tr '\n' ' ' <<< "$OUT")"
    dom vm4 "$(du 4)" "uuid=\"$(u 4)\" profile=\"A40-4Q\" @vf=0000:e8:00.5" > "$WORK/vm4.xml"
    vc check "$WORK/vm4.xml"
    t_match "vf check: the same-size rule" "^1:.*VF 0000:e8:00.5 cannot take A40-4Q now" "$RC:$(tr '\n' ' ' <<< "$OUT")"
    vc check "$WORK/vm1.xml"
    t_match "vf check: the holder itself: reuse" "^0:.*reuse +0000:e8:00.4" "$RC:$(tr '\n' ' ' <<< "$OUT")"
    t_eq "vf check: wrote nothing" "0000:e8:00.4 nvidia-558 idle" "$(cat "$SIM_ROOT/vgpu-sim/vfs")"

    # No hostdev: the hook's refusal, the same sentence, a free fitting VF
    # filled in for each (two requests, two VFs), managed='no'.
    dom vm5 "$(du 5)" --no-hostdev "uuid=\"$(u 5)\" profile=\"A40-2Q\"" "uuid=\"$(u 6)\" profile=\"A40-2Q\"" > "$WORK/vm5.xml"
    vc check "$WORK/vm5.xml"
    t_eq "vf check, no hostdev: exit 1" 1 "$RC"
    t_match "vf check, no hostdev: the VF hostdev element, alias and managed='no', pack: next to vm1's" \
        "^domain 'vm5' asks for 2 whole-VF vGPU\\(s\\) with no matching <hostdev> in its definition; add to <devices>: <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0xe8' slot='0x00' function='0x5'/></source><alias name='ua-vgpu-$(u 5)'/></hostdev> <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0xe8' slot='0x00' function='0x6'/></source><alias name='ua-vgpu-$(u 6)'/></hostdev> \\(or run: vgpuctl sync vm5\\)$" "$OUT"
    t_eq "vf check, no hostdev: no mdev advice" 0 "$(grep -c "type='mdev'" <<< "$OUT")"
    local line
    line=$(grep "^domain 'vm5' asks" <<< "$OUT")
    hook vm5 prepare begin < "$WORK/vm5.xml"
    t_eq "vf check, no hostdev: word for word the hook's refusal" "1:vgpu-hook: $line" "$RC:$ERR"
    vc check --json "$WORK/vm5.xml"
    t_eq "vf check --json: both refused, the advice a problem" "refused refused 1" \
        "$(jqv '[.devices[].action, (.problems | length)] | join(" ")')"
    dom vm6 "$(du 6)" --no-hostdev "uuid=\"$(u 7)\" profile=\"A40-48Q\" parent=\"0000:e8:00.0\"" > "$WORK/vm6.xml"
    vc check "$WORK/vm6.xml"
    line=$(grep "^domain 'vm6' asks" <<< "$OUT")
    t_match "vf check, nothing fits: says so" "function='0x0'/></source><alias name='ua-vgpu-$(u 7)'/></hostdev> with the address of a free VF \\(none fits now\\)" "$line"
    hook vm6 prepare begin < "$WORK/vm6.xml"
    t_eq "vf check, nothing fits: the hook's words too" "1:vgpu-hook: $line" "$RC:$ERR"
    fresh mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"
    dom vm7 "$(du 7)" --no-hostdev "uuid=\"$(u 8)\" gpu=\"MI300X\" numa=\"1\"" > "$WORK/vm7.xml"
    vc check "$WORK/vm7.xml"
    t_match "vf check, plain VF: managed='yes' on the asked NUMA node" "add to <devices>: <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x85' slot='0x02' function='0x0'/>" "$OUT"
    # vm8's hand-written hostdev names the first MI300X VF: the advice is
    # another (libvirt refuses one VF in two hostdevs of a domain).
    dom vm8 "$(du 8)" --no-hostdev "uuid=\"$(u 9)\" gpu=\"MI300X\"" |
        sed "s|  </devices>|    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x05' slot='0x02' function='0x0'/></source></hostdev>\n  </devices>|" > "$WORK/vm8.xml"
    vc check "$WORK/vm8.xml"
    line=$(grep "^domain 'vm8' asks" <<< "$OUT")
    t_match "vf check: not the VF the domain's own hand-written hostdev names" \
        "add to <devices>: <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x(0[6-9a-f]|[1-9a-f][0-9a-f])' slot='0x02'" "$line"
    hook vm8 prepare begin < "$WORK/vm8.xml"
    t_eq "vf check: the hook's words too" "1:vgpu-hook: $line" "$RC:$ERR"
}

# lv_check_xml FILE 'VIRSH COMMAND'...: into FILE, domain vm1 (an mdev
# <hostdev> for u 1 and u 2, a description naming our namespace, DOCTYPE
# text in another application's CDATA and in a comment unless LV_PLAIN=1)
# as libvirt's test driver serializes it after the commands.
lv_check_xml() {
    local file=$1 cmds c text='<![CDATA[<!DOCTYPE html>]]><!-- <!DOCTYPE x [<!ENTITY y "z">]> -->'
    shift
    [ "${LV_PLAIN:-0}" = 1 ] && text=notes
    printf '%s\n' "<domain type='test'><name>vm1</name><uuid>$(du 1)</uuid>" \
        '<description>vGPU by vgpu-hook (urn:vgpu-hook:1) later</description><memory>65536</memory><os><type>hvm</type></os>' \
        "<metadata><app:page xmlns:app=\"urn:example:portal:1\">$text</app:page></metadata>" \
        "<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$(u 1)'/></source></hostdev>" \
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$(u 2)'/></source></hostdev></devices></domain>" \
        > "$WORK/lv-def.xml"
    cmds="define $WORK/lv-def.xml"
    for c in "$@"; do cmds="$cmds; $c"; done
    virsh -q -c "$TEST_URI" "$cmds; dumpxml vm1" 2> "$WORK/lv-err" | sed '/^$/d' > "$file"
    [ -s "$WORK/lv-err" ] && t_fail "virsh (test driver)" "$(head -n 1 "$WORK/lv-err")"
}

# vgpuctl check reads the metadata as the hook does: DOCTYPE text is text,
# a lone <vgpu:device> is a request, a misspelled element is named.
test_check_doctype_text_and_forms() {
    fresh a40x2-sriov
    command -v virsh > /dev/null || { t_fail "virsh is needed" "apt-get install -y libvirt-clients"; return; }
    local set="metadata vm1 --uri urn:vgpu-hook:1 --key vgpu --set"
    lv_check_xml "$WORK/none.xml"
    vc check "$WORK/none.xml"
    t_eq "check: asks for nothing, DOCTYPE text in CDATA: not refused" "0:Domain 'vm1' asks for no vGPU: vgpu-hook leaves it alone.:" "$RC:$OUT:$ERR"
    lv_check_xml "$WORK/lone-text.xml" "$set '<device uuid=\"$(u 1)\" profile=\"A40-2Q\"/>'"
    vc check "$WORK/lone-text.xml"
    t_match "check: asks, DOCTYPE text in CDATA: not refused" "^0:Domain 'vm1' would start\." "$RC:$OUT"
    local LV_PLAIN=1
    lv_check_xml "$WORK/lone.xml" "$set '<device uuid=\"$(u 1)\" profile=\"A40-2Q\"/>'"
    vc check "$WORK/lone.xml"
    t_match "check: a lone <vgpu:device> is a request" "^0:Domain 'vm1' would start\..*$(u 1) +A40-2Q +create " "$RC:$(tr '\n' ' ' <<< "$OUT")"
    lv_check_xml "$WORK/several.xml" "$set '<vgpu><device uuid=\"$(u 1)\" profile=\"A40-2Q\"/><device uuid=\"$(u 2)\" profile=\"A40-2Q\"/></vgpu>'"
    vc check "$WORK/several.xml"
    t_match "check: <vgpu:vgpu> with two devices" "^0:.*$(u 1) +A40-2Q +create .*$(u 2) +A40-2Q +create " "$RC:$(tr '\n' ' ' <<< "$OUT")"
    lv_check_xml "$WORK/typo.xml" "$set '<vgpus><device uuid=\"$(u 1)\" profile=\"A40-2Q\"/></vgpus>'"
    vc check "$WORK/typo.xml"
    t_eq "check: misspelled <vgpu:vgpus> refused naming it and the two forms" \
        "1:vgpuctl: check: domain 'vm1': unexpected element <vgpu:vgpus> in namespace urn:vgpu-hook:1 under <metadata> (known: <vgpu> holding <device> elements, or one lone <device>)" "$RC:$ERR"
    { echo '<!DOCTYPE domain [<!ENTITY p "A40-2Q">]>'; sed 's|profile="A40-2Q"|profile="\&p;"|' "$WORK/lone.xml"; } > "$WORK/dtd.xml"
    vc check "$WORK/dtd.xml"
    t_eq "check: a real DOCTYPE with an entity is refused" "1:vgpuctl: check: domain XML: a DOCTYPE or entity declaration is not allowed" "$RC:$ERR"
}

# ---- tables (-o), help and short options, gc as it goes, an unprivileged user ----

# -o/--output picks columns by heading; a table with none of them is left out.
test_output_columns() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    vc types -o profile,FREE
    t_eq "types -o profile,FREE: those two columns, any case" "0:PROFILE  FREE|A40-2Q   47" \
        "$RC:$(sed -n '1p' <<< "$OUT")|$(types_row A40-2Q)"
    vc status --no-libvirt --output 'device,created-by,State'
    t_eq "status -o: only the device table, 'created-by' names CREATED BY" \
        "0:DEVICE                                CREATED BY  STATE|$(u 1)  vgpu-hook   unknown" \
        "$RC:$(paste -sd'|' <<< "$OUT" | sed 's/|vgpu-keeper:.*//')"
    vc types -o profile,bogus
    t_eq "-o with an unknown column: one line naming it and the valid ones" \
        "1:vgpuctl: types: unknown column 'bogus' for --output (columns: PROFILE, TYPE, FRAMEBUFFER, MAX/GPU, FREE, FREE-ON, GPU, MODEL, NODE, MIG, FREE-GPU-INSTANCES, MIG-PROFILES-THAT-FIT-NOW)" \
        "$RC:$ERR$OUT"
    vc status --no-libvirt -o free
    t_match "status -o: the valid columns are status's" "^1:vgpuctl: status: unknown column 'free' for --output \(columns: GPU, MODEL, NUMA, VFS-IN-USE, MDEVS, DEVICE, PROFILE, TYPE, PARENT, DOMAIN, CREATED-BY, STATE\)$" "$RC:$ERR$OUT"
    vc types -o free --json
    t_eq "-o with --json: refused in one line" "1:vgpuctl: types: --output chooses table columns; --json prints every field" "$RC:$ERR$OUT"
    dom fit "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$WORK/fit.xml"
    vc check -o action,uuid "$WORK/fit.xml"
    t_eq "check -o: its table, indented, those columns" "0:  ACTION  UUID|  create  $(u 2)" \
        "$RC:$(grep -E '^  (ACTION|create) ' <<< "$OUT" | paste -sd'|')"
    vc -c "$TEST_URI" gc --dry-run -o action,device
    t_match "gc -o: the row in that order" "^would remove +$(u 1)$" "$(tail -n 1 <<< "$OUT")"
    # Not a terminal: nothing cut, whatever COLUMNS says; a terminal of 50
    # columns: FREE ON wraps after its commas.
    COLUMNS=50 vc types
    t_match "types to a pipe, COLUMNS=50: whole lines" "^A40-2Q +nvidia-558 +2G +24 +47 +0000:67:00.0 \(23\), 0000:e8:00.0 \(24\)$" "$(types_row A40-2Q)"
    OUT=$(script -qec "stty cols 50; '$VGPUCTL' types" /dev/null | tr -d '\r')
    t_match "types on a terminal of 50 columns: FREE ON wrapped after a comma" \
        "^A40-2Q +nvidia-558 +2G +24 +47 +0000:67:00.0 \(23\),$" "$(types_row A40-2Q)"
    t_match "... its next item on the next line, in its column" "^ {40,}0000:e8:00.0 \(24\)$" \
        "$(grep -A1 '^A40-2Q ' <<< "$OUT" | tail -n 1)"
    stop vm1
}

# help COMMAND, ASCII help in the C locale, one meaning per short option.
# migrate-check's arguments: one line naming what is wrong, nothing done
# (its answers are checked against two real libvirtd: tests/e2e/test-migrate.sh).
test_migrate_check_args() {
    vc migrate-check vm1
    t_match "migrate-check without --to: one line, exit 1" "^1:vgpuctl: migrate-check: expected DOMAIN --to URI, or --all --to URI" "$RC:$ERR"
    vc migrate-check --to test:///default
    t_eq "migrate-check --to without DOMAIN or --all: exit 1, one line" "1:1" "$RC:$(wc -l <<< "$ERR")"
    vc migrate-check --help
    t_match "migrate-check --help: the verdicts and exit codes" "Exit 0 when every domain can move live, 2 when some only offline" "$RC:$(tr '\n' ' ' <<< "$OUT")"
}

test_help_options() {
    fresh a40x2-sriov
    local c pairs=
    vc --help; local top=$OUT
    vc help
    t_eq "help: the same as --help" "0:$top" "$RC:$OUT"
    for c in types status attach detach sync define check gc; do
        vc "$c" --help; local want=$OUT
        vc help "$c"
        t_eq "help $c: the same as $c --help" "0:$want" "$RC:$OUT"
        OUT=$(LC_ALL=C "$VGPUCTL" help "$c")
        t_eq "help $c in the C locale: no '?' for an ellipsis" "" "$(grep -F -e '?' -e '…' <<< "$OUT")"
        t_match "help $c: usage 'vgpuctl $c [OPTION...]'" "^  vgpuctl $c \[OPTION\.\.\.\]" "$(sed -n 2p <<< "$OUT")"
        pairs+=$(sed -n 's/^  -\(.\), --\([a-z-]*\).*/\1 \2/p' <<< "$OUT")$'\n'
    done
    t_eq "one short option, one long name across every command" "" \
        "$(sort -u <<< "$pairs" | awk 'NF { n[$1]++ } END { for (k in n) if (n[k] > 1) print k }')"
    t_eq "-n is --dry-run (gc), -t --type and -g --gpu take values" "g gpu=ADDR|g gpu=GPU|n dry-run|t type=TYPE" \
        "$(for c in types attach gc; do "$VGPUCTL" help "$c"; done |
           sed -n 's/^  -\([ngt]\), --\([a-z=A-Z-]*\).*/\1 \2/p' | sort -u | paste -sd'|')"
    OUT=$(LC_ALL=C "$VGPUCTL" --help)
    t_eq "--help in the C locale: plain ASCII usage" "  vgpuctl [GLOBAL OPTION...] COMMAND [OPTION...] [ARG...]" "$(sed -n 2p <<< "$OUT")"
    vc help frob
    t_eq "help of an unknown command: one line" "1:vgpuctl: help: unknown command 'frob' (see 'vgpuctl help')" "$RC:$ERR"
    vc --config "$VGPU_HOOK_CONF" types
    t_eq "--config (virsh's persistent definition) is refused, naming --hook-config" \
        "1:vgpuctl: --config is now --hook-config FILE (vgpu-hook's configuration); vgpuctl always changes the persistent definition, which virsh calls --config (see 'vgpuctl help')" \
        "$RC:$ERR$OUT"
    vc types --config="$VGPU_HOOK_CONF"
    t_match "--config=FILE after the command too" "^1:vgpuctl: types: --config is now --hook-config FILE" "$RC:$ERR"
    vc --hook-config "$VGPU_HOOK_CONF" types -o free
    t_eq "--hook-config FILE reads it" "0:FREE" "$RC:$(head -n 1 <<< "$OUT")"
    vc attach vm1 -t
    t_match "attach -t takes a type" "^1:vgpuctl: attach: Missing argument for -t" "$RC:$ERR"
    vc attach vm1 A40-2Q --type nvidia-558
    t_eq "attach: a PROFILE and --type exclude each other" "1:vgpuctl: attach: a PROFILE and --type or --gpu exclude each other" "$RC:$ERR"
}

# gc prints each row when that device is done: one the driver blocks does
# not hide the ones before it (read while the remove is blocked).
test_gc_as_it_goes() {
    fresh a40x2-sriov remove_retries=0 remove_timeout_ms=20000
    local n gc i
    for n in 1 2 3; do start "leak$n" "$n" "uuid=\"$(u $n)\" profile=\"A40-2Q\""; done
    sim_ctl busy "$(u 2)"
    "$VGPUCTL" -c "$TEST_URI" gc > "$WORK/gc.out" 2> "$WORK/gc.err" &
    gc=$!
    for i in $(seq 1 600); do grep -q "$(u 2) .* removing" "$SIM_ROOT/vgpu-sim/mdevs" && break; sleep 0.05; done
    t_match "gc: the second remove is blocked in the driver" "$(u 2) .* removing" "$(cat "$SIM_ROOT/vgpu-sim/mdevs")"
    t_eq "gc, while it is blocked: the header and the first device's row are out" \
        "DEVICE TYPE|$(u 1) nvidia-558 leak1 removed" \
        "$(awk '{ print $1, $2, $4, $NF }' "$WORK/gc.out" | sed 's/ TYPE.*/ TYPE/' | paste -sd'|')"
    t_ok "... and gc still runs" kill -0 "$gc"
    sim_ctl idle "$(u 2)"
    wait "$gc"
    t_eq "gc: exit 0, the three rows in order, one header" "0:DEVICE|$(u 1)|$(u 2)|$(u 3)" \
        "$?:$(awk '{ print $1 }' "$WORK/gc.out" | paste -sd'|')"
    t_eq "gc: the rows printed one by one line up" 1 \
        "$(awk 'NR > 1 { print index($0, "removed") }' "$WORK/gc.out" | sort -u | wc -l)"
}

# An unprivileged user can look: types, status and check work against a
# 0700 state directory of root's and say in one line what they could not
# read; what writes still fails, in one line.
test_unprivileged() {
    fresh a40x2-sriov
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    chmod 0711 "$WORK"          # the config is in it; the state is not readable
    t_eq "the state directory is root's, 0700" "root 700" "$(stat -c '%U %a' "$WORK/state")"
    local logs=$WORK/nobody-logs
    mkdir -p "$logs" && chmod 1777 "$logs"
    nobody() {
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$logs/asan" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$logs/ubsan" \
            setpriv --reuid=nobody --regid=nogroup --clear-groups "$VGPUCTL" "$@" \
            > "$WORK/vc.out" 2> "$WORK/vc.err"
        RC=$?
        OUT=$(cat "$WORK/vc.out")
        ERR=$(cat "$WORK/vc.err")
    }
    nobody types
    t_eq "types as nobody: exit 0, one note naming the state directory" \
        "0:vgpuctl: note: types: cannot read the ledgers in $WORK/state (Permission denied; root can): a whole VF (gpu=) given to a domain may count as free" \
        "$RC:$ERR"
    t_match "types as nobody: the table" "^A40-2Q +nvidia-558 +2G +24 +47 " "$(types_row A40-2Q)"
    nobody status --no-libvirt
    t_eq "status as nobody: exit 0, one note" \
        "0:vgpuctl: note: status: cannot read the ledgers in $WORK/state (Permission denied; root can): who created each device and for which domain is not shown" \
        "$RC:$ERR"
    t_match "status as nobody: the device, its creator unknown" "^$(u 1) +A40-2Q +nvidia-558 +0000:67:00\.[0-9a-f]+ +0000:67:00.0 +- +\? +-$" "$OUT"
    nobody status --no-libvirt --json
    t_ok "status --json as nobody parses" json_ok
    t_eq "status --json as nobody: owners hidden, created_by null" "true null" \
        "$(jqv "\"\(.owners_hidden) \(.gpus[].mdevs[] | select(.uuid==\"$(u 1)\") | .created_by)\"")"
    vc status --no-libvirt --json
    t_eq "status --json as root: owners shown" "false vgpu-hook" \
        "$(jqv "\"\(.owners_hidden) \(.gpus[].mdevs[] | select(.uuid==\"$(u 1)\") | .created_by)\"")"
    dom fit "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$WORK/fit.xml"
    chmod 0644 "$WORK/fit.xml"
    nobody check "$WORK/fit.xml"
    t_match "check FILE as nobody: works" "^0:Domain 'fit' would start\." "$RC:$OUT"
    nobody -c "$TEST_URI" gc
    t_match "gc as nobody: refused in one line saying why" "^1:vgpuctl: gc: .*Permission denied \(gc removes devices and writes the ledgers: root's work\)$" "$RC:$ERR"
    t_eq "gc as nobody: one line, nothing removed" "1 $(u 1)" "$(printf '%s\n' "$ERR" | wc -l) $(mdevs)"
    # Sanitizer reports of these runs join the others.
    [ -n "${LOGS:-}" ] && for f in "$logs"/*; do [ -e "$f" ] && cp "$f" "$LOGS/"; done
    chmod 0700 "$WORK"
    stop vm1
}
# ---- end tables, help, gc, unprivileged ----

# vgpuctl check on gpu= with the system's PCI ID database (Debian 12's,
# which has no name for the MI300X): the name no GPU here has, per device,
# as the hook says it, not the hostdev advice with "none fits now".
test_check_gpu_name_unknown() {
    fresh mi300x-4 "pci_ids_path=/usr/share/misc/pci.ids"
    local want="no GPU on this host is called 'MI300X': the GPUs with whole VFs here are Device 74a1 (1002:74a1, 4 GPUs), as the PCI ID database (pci_ids_path) names them; gpu=\"1002:74a1\" works with any database"
    dom gn "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" gpu=\"MI300X\"" "uuid=\"$(u 2)\" gpu=\"1002:74a1\"" > "$WORK/gn.xml"
    vc check "$WORK/gn.xml"
    t_eq "check, unknown gpu= name: exit 1" 1 "$RC"
    t_eq "check, unknown gpu= name: the device's reason says so" "vGPU device 0: $want" \
        "$(grep "^vGPU device 0:" "$WORK/vc.out")"
    t_no "check, unknown gpu= name: no 'none fits now'" grep -q "none fits now" "$WORK/vc.out"
    t_match "check: gpu=\"1002:74a1\" beside it gets a free VF in the advice" \
        "^domain 'gn' asks for 1 whole-VF vGPU\(s\) .*<address domain='0x0000' bus='0x05' slot='0x02' function='0x0'/></source><alias name='ua-vgpu-$(u 2)'/></hostdev> \(or run: vgpuctl sync gn\)$" \
        "$(grep "^domain 'gn' asks" "$WORK/vc.out")"
    vc check --json "$WORK/gn.xml"
    t_eq "check --json: both refused, the name as the first one's reason" "refused refused 1:$want" \
        "$(jqv '[.devices[].action, (.problems | length)] | join(" ")'):$(jqv '.devices[0].reason')"
    dom gh "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" gpu=\"MI300X\"" > "$WORK/gh.xml"
    vc check "$WORK/gh.xml"
    hook gh prepare begin < "$WORK/gh.xml"
    t_eq "check: the hook refuses in the same words" \
        "1:vgpu-hook: domain 'gh': vGPU device 0: $(sed -n 's/^vGPU device 0: //p' "$WORK/vc.out")" "$RC:$ERR"
}

# sync, define and the keeper (the shared whole-VF pass, test driver) on a
# gpu= name no GPU here has: the name is what is wrong, as check and the
# hook say it, not a lack of room; the vendor:device id still gets a VF.
test_vf_gpu_name_unknown_test_driver() {
    local node=$WORK/node.xml
    local want="no GPU on this host is called 'MI300X': the GPUs with whole VFs here are Device 74a1 (1002:74a1, 4 GPUs), as the PCI ID database (pci_ids_path) names them; gpu=\"1002:74a1\" works with any database"
    fresh mi300x-4 "pci_ids_path=/usr/share/misc/pci.ids"
    printf '%s\n' "vu|1|5|<vgpu:device uuid='$(u 1)' gpu='MI300X'/>||" \
        "vk|2|5|<vgpu:device uuid='$(u 2)' gpu='1002:74a1'/>||" | test_node > "$node"
    vc -c "test://$node" sync vu
    t_eq "sync (test driver), unknown gpu= name: one line naming it, not a lack of room" \
        "1:vgpuctl: sync: domain 'vu': vGPU $(u 1) (MI300X): $want" "$RC:$OUT$ERR"
    vc -c "test://$node" sync vk
    t_eq "sync (test driver), gpu=\"1002:74a1\": a VF" \
        "0:Domain 'vk': vGPU $(u 2) (1002:74a1) now uses VF 0000:05:02.0." "$RC:$OUT$ERR"
    : > "$VGPU_TEST_LOG"
    "$B/keeper/vgpu-keeper" -c "test://$node" --once --dry-run > "$WORK/keeper.out" 2>&1
    RC=$?
    t_eq "vgpu-keeper --once --dry-run (test driver), unknown gpu= name: its log line names it" \
        "0:1:domain 'vu': vGPU $(u 1) (MI300X): $want (--once --dry-run)" \
        "$RC:$(grep -c "'vu'" "$VGPU_TEST_LOG"):$(grep -o "domain 'vu'.*" "$VGPU_TEST_LOG")"

    test_def vn "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" gpu=\"MI300X\"" > "$WORK/vn.xml"
    printf '' | test_node > "$node"
    vc -c "test://$node" define "$WORK/vn.xml"
    t_eq "define gpu= (test driver), unknown name: defined, the name said as what is wrong" \
        "0:Domain 'vn' defined from $WORK/vn.xml.|No VF chosen for its whole-VF vGPU(s): domain 'vn': vGPU $(u 3) (MI300X): $want; 'vgpuctl sync vn' chooses one when one is free." \
        "$RC:$(tr '\n' '|' <<< "$OUT$ERR" | sed 's/|$//')"
    test_def vm "$(du 4)" --no-hostdev "uuid=\"$(u 4)\" gpu=\"1002:74a1\"" > "$WORK/vm.xml"
    vc -c "test://$node" define "$WORK/vm.xml"
    t_eq "define gpu=\"1002:74a1\" (test driver): a VF" \
        "0:Domain 'vm' defined from $WORK/vm.xml.|Domain 'vm': vGPU $(u 4) (1002:74a1) now uses VF 0000:05:02.0." \
        "$RC:$(tr '\n' '|' <<< "$OUT$ERR" | sed 's/|$//')"
}

test_types_a40
test_types_vfio
test_types_vfio_capacity
test_vf_status_gc
test_vf_check
test_vf_sync_test_driver
test_types_other_drivers
test_status
test_check
test_gc
test_gc_self_removing_driver
test_clones
test_gc_lock
test_damaged_ledgers
test_errors
test_define_test_driver
test_define_vf_test_driver
test_vf_gpu_name_unknown_test_driver
test_completion
test_check_doctype_text_and_forms
test_output_columns
test_help_options
test_gc_as_it_goes
test_unprivileged
test_check_gpu_name_unknown
test_migrate_check_args
t_done
