#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-hook-vf.sh: the real hook program on whole-VF requests (issue 13):
# NVIDIA vendor-specific VFs on a40x2-vfio and a mixed host, against the
# simulator. A request is tied to its VF by a <hostdev type='pci'> with
# alias ua-vgpu-<uuid>.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

setty() { printf '%s' "$2" > "$SIM_ROOT/bus/pci/devices/$1/nvidia/current_vgpu_type"; }
vfs_in_use() { cat "$SIM_ROOT/vgpu-sim/vfs"; }
ledger_key() { awk -F= -v k="$1" '$1 == k { print $2 }' "$WORK"/state/*.ledger 2>/dev/null | paste -sd' '; }
V0=0000:e8:00.4; V1=0000:e8:00.5; V2=0000:e8:00.6; W0=0000:67:00.4

test_prepare_release() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "prepare: exit 0, silent" "0:" "$RC:$OUT$ERR"
    t_eq "prepare: the named VF took A40-2Q (558)" 558 "$(cur $V0)"
    t_eq "prepare: no other VF touched" "$V0 nvidia-558 idle" "$(vfs_in_use)"
    t_eq "prepare: ledger records VF, type, kind, state" "$V0 nvidia-558 nvidia-vf created" \
        "$(ledger_key parent) $(ledger_key type) $(ledger_key kind) $(ledger_key state)"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_eq "prepare again (same domain): exit 0, type kept" "0:558" "$RC:$(cur $V0)"
    stop vm1
    t_eq "release: exit 0" "0:" "$RC:$ERR"
    t_eq "release: type cleared" 0 "$(cur $V0)"
    t_eq "release: ledger gone" 0 "$(ledgers)"
    stop vm1
    t_eq "release twice: exit 0, nothing to do" "0:0" "$RC:$(cur $V0)"

    start vm2 2 "uuid=\"$(u 2)\" type=\"560\" @vf=$V1"
    t_eq "type '560' is nvidia-560 on a vendor-specific host" "0:560" "$RC:$(cur $V1)"
    stop vm2
    start vm3 3 "uuid=\"$(u 3)\" type=\"nvidia-560\" @vf=$V1"
    t_eq "type 'nvidia-560' likewise" "0:560" "$RC:$(cur $V1)"
    stop vm3
    start vm4 4 "uuid=\"$(u 4)\" profile=\"nvidia a40-4q\" @vf=$V1"
    t_eq "profile matched forgivingly" "0:560" "$RC:$(cur $V1)"
    stop vm4
    t_eq "all released" "" "$(vfs_in_use)"
}

test_refusals() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "taken: refused" 1 "$RC"
    t_eq "taken: one sentence naming the VF, the holder and the fix" \
        "vgpu-hook: domain 'vm2': vGPU device 0: VF $V0 is taken by domain 'vm1'; run 'vgpuctl sync vm2' to point 'vm2' at a free VF" "$ERR"
    t_eq "taken: the holder's type untouched" 558 "$(cur $V0)"
    t_eq "taken: no ledger for vm2" 1 "$(ledgers)"

    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-4Q\" @vf=$V1"
    t_eq "same-size rule: another size on the same GPU is refused" 1 "$RC"
    t_match "same-size rule: the message says why" "VF $V1 cannot take A40-4Q now \\(its GPU holds vGPUs of another size" "$ERR"
    t_eq "same-size rule: nothing written" 0 "$(cur $V1)"
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-4Q\" @vf=$W0"
    t_eq "same-size rule: the other GPU takes it" "0:560" "$RC:$(cur $W0)"
    stop vm3

    setty $V2 558
    start vm4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\" @vf=$V2"
    t_eq "hand-set type: refused" 1 "$RC"
    t_match "hand-set type: says so and how to fix" "VF $V2 already has vGPU type nvidia-558, which vgpu-hook did not set for this domain" "$ERR"
    stop vm4
    t_eq "hand-set type: release of the refused domain leaves it" 558 "$(cur $V2)"

    # managed='yes' would have libvirt bind the VF to vfio-pci, away from
    # nvidia, its vGPU's driver: refused before anything is written.
    dom vm6 "$(du 6)" --no-hostdev "uuid=\"$(u 6)\" profile=\"A40-2Q\"" |
        sed "s|  </devices>|$(vf_hostdev "$(u 6)" $V1 yes | tr -d '\n')\n  </devices>|" > "$WORK/vm6.xml"
    hook vm6 prepare begin < "$WORK/vm6.xml"
    t_eq "managed='yes' on a vendor-specific VF: refused, nothing written" \
        "1:vgpu-hook: domain 'vm6': vGPU device 0: its hostdev names NVIDIA vendor-specific VF $V1 with managed='yes': libvirt would bind it to vfio-pci and the VF would lose its vGPU; set managed='no' on that hostdev:0" \
        "$RC:$ERR:$(cur $V1)"
    t_match "managed='yes': vgpuctl check says the same" \
        "^vGPU device 0: its hostdev names NVIDIA vendor-specific VF $V1 with managed='yes'" \
        "$("$B/cli/vgpuctl" check "$WORK/vm6.xml")"
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" @vf=0000:e8:00.0"
    t_match "a PF is no VF" "its hostdev names 0000:e8:00.0, which is no VF that takes a vGPU type" "$ERR"
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" numa=\"0\" @vf=$V1"
    t_match "numa: VF on the wrong node refused" "its hostdev names VF $V1, but 0000:e8:00.0 is on NUMA node 1, not 0" "$ERR"
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" parent=\"0000:67:00.0\" @vf=$V1"
    t_match "parent: a VF of another GPU refused" "is not the parent '0000:67:00.0'" "$ERR"
    conf "deny=0000:e8:00.0"
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" @vf=$V1"
    t_match "deny: a VF of a denied GPU refused" "0000:e8:00.0 is denied by config" "$ERR"
    conf
    start vm5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\" @vf=$V1"
    t_eq "the same request on an allowed VF" "0:558" "$RC:$(cur $V1)"
    t_eq "refusals wrote nothing" "$V0 nvidia-558 idle|$V1 nvidia-558 idle|$V2 nvidia-558 idle" "$(vfs_in_use | paste -sd'|')"
    stop vm1; stop vm5
    t_eq "hand-set VF survives every release" "$V2 nvidia-558 idle" "$(vfs_in_use)"
}

test_release_safety() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    # Someone clears it and sets another type by hand: release leaves that.
    setty $V0 0; setty $V0 559
    stop vm1
    t_eq "re-typed by hand: release exits 0" 0 "$RC"
    t_eq "re-typed by hand: left alone" 559 "$(cur $V0)"
    t_eq "re-typed by hand: forgotten" 0 "$(ledgers)"
    setty $V0 0

    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V0"
    sim_ctl busy $V0
    stop vm2
    t_eq "open by QEMU throughout: release fails" 1 "$RC"
    t_match "open by QEMU: the message says what is kept" "kept in the ledger" "$ERR"
    t_eq "open by QEMU: type and ledger kept" "558:1" "$(cur $V0):$(ledgers)"
    sim_ctl idle $V0
    stop vm2
    t_eq "closed: the next release clears it" "0:0:0" "$RC:$(cur $V0):$(ledgers)"

    # Re-typed by hand between two of the release's tries: that type stays.
    conf remove_retries=50 remove_retry_delay_ms=100
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V0"
    sim_ctl busy $V0
    sim_ctl reset-stats
    "$HOOK" vm2 release end - < "$WORK/vm2.xml" > /dev/null 2> "$WORK/bg.err" &
    local pid=$! i
    # once its first try was refused (the VF open), re-typed by hand
    for i in $(seq 1 600); do [ "$(sim_stat write)" -ge 1 ] && break; sleep 0.05; done
    sim_ctl idle $V0; setty $V0 0; setty $V0 559
    wait $pid
    t_eq "re-typed between two tries: release exits 0" "0:" "$?:$(cat "$WORK/bg.err")"
    t_eq "re-typed between two tries: that type is left, the record dropped" "559:0" "$(cur $V0):$(ledgers)"
    setty $V0 0
    conf

    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\" @vf=$V0"
    sim_ctl fault clear_ignored 3
    stop vm3
    t_eq "VF not ready at once: release retries until 0 sticks" "0:0:0" "$RC:$(cur $V0):$(ledgers)"
    t_eq "... it took four writes" 0 "$(sim_fault clear_ignored)"
    conf remove_retries=2
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\" @vf=$V0"
    sim_ctl fault clear_ignored 5
    stop vm3
    t_eq "bounded: remove_retries=2 gives up after 3 tries" "1:558:1" "$RC:$(cur $V0):$(ledgers)"
    t_match "bounded: says so" "VF $V0 still shows vGPU type 558 after 3 tries" "$ERR"
    sim_ctl fault clear_ignored 0
    stop vm3
    t_eq "bounded: the next release finishes" "0:0:0" "$RC:$(cur $V0):$(ledgers)"
}

test_faults_and_crashes() {
    fresh a40x2-vfio
    sim_ctl fault create_errno EIO
    sim_ctl fault create_fail_at 1
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "EIO on the type write: refused" 1 "$RC"
    t_match "EIO: named" "giving VF $V0 type A40-2Q failed: .*Input/output error" "$ERR"
    t_eq "EIO: nothing left" "0:0" "$(cur $V0):$(ledgers)"
    sim_ctl fault create_fail_at 0
    sim_ctl fault set_ignored 1
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "a type write that does not stick: refused after the read-back" 1 "$RC"
    t_match "... named" "giving VF $V0 type A40-2Q failed: VF $V0 took type 558 but shows 0" "$ERR"
    t_eq "... nothing left" "0:0" "$(cur $V0):$(ledgers)"

    local step
    for step in prepare-intent prepare-created prepare-done; do
        VGPU_TEST_STOP_AT=$step start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
        t_eq "killed at $step: SIGKILL" 137 "$RC"
        stop vm1
        t_eq "killed at $step: the next release leaves nothing" "0:0:0" "$RC:$(cur $V0):$(ledgers)"
    done
    VGPU_TEST_STOP_AT=prepare-created start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "killed after the write: the next prepare adopts it" "0:558" "$RC:$(cur $V0)"
    t_eq "... and commits it" created "$(ledger_key state)"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    VGPU_TEST_STOP_AT=release-removing stop vm1
    t_eq "killed before the clear: type and ledger kept" "137:558:1" "$RC:$(cur $V0):$(ledgers)"
    VGPU_TEST_STOP_AT=release-removed stop vm1
    t_eq "killed after the clear: cleared, ledger kept" "137:0:1" "$RC:$(cur $V0):$(ledgers)"
    stop vm1
    t_eq "the next release finishes" "0:0:0" "$RC:$(cur $V0):$(ledgers)"
}

test_mixed_host() {
    fresh mixed-vf
    local m=0000:e8:00.4
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-4Q\" @vf=$W0"
    t_eq "mixed: an mdev and a VF in one domain" "0:" "$RC:$ERR"
    t_eq "mixed: the mdev went to the mdev GPU" 0000:e8:00.0 "$(mdev_gpu "$(u 1)")"
    t_eq "mixed: the VF took its type" 560 "$(cur $W0)"
    stop vm1
    t_eq "mixed: release removes both" "0::0:0" "$RC:$(mdevs):$(cur $W0):$(ledgers)"

    setty 0000:67:00.5 558
    start vm2 2 "uuid=\"$(u 3)\" profile=\"A40-2Q\"" "uuid=\"$(u 4)\" profile=\"A40-2Q\" @vf=$W0" \
        "uuid=\"$(u 5)\" profile=\"A40-2Q\" @vf=0000:67:00.5"
    t_eq "all or nothing: the third refused" 1 "$RC"
    t_eq "all or nothing: the mdev made before is gone" "" "$(mdevs)"
    t_eq "all or nothing: the VF typed before is cleared" 0 "$(cur $W0)"
    t_eq "all or nothing: the hand-set VF kept" 558 "$(cur 0000:67:00.5)"
    t_eq "all or nothing: no ledger" 0 "$(ledgers)"
    start vm3 3 "uuid=\"$(u 6)\" profile=\"A40-2Q\"" "uuid=\"$(u 7)\" profile=\"A40-2Q\" @vf=$m"
    t_match "an mdev-mode VF named by a PCI hostdev is refused" "its hostdev names $m, which is no VF that takes a vGPU type" "$ERR"
    t_eq "... and rolled back" "" "$(mdevs)"
}

# All three kinds on one host, told apart per GPU from sysfs: an mdev, a
# vendor-specific VF and a plain VF in one domain, all or nothing.
test_three_kinds() {
    local P=0000:05:02.0
    printf '[gpu mdev]\nmodel=a40\naddress=0000:e8:00.0\nvfs=4\n[gpu vfio]\nmodel=a40-vfio\naddress=0000:67:00.0\nvfs=4\n[gpu amd]\nmodel=mi300x\naddress=0000:05:00.0\nvfs=1\n' > "$WORK/three.ini"
    fresh "$WORK/three.ini" "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$W0" \
        "uuid=\"$(u 3)\" gpu=\"MI300X\" @vf=$P"
    t_eq "three kinds: one domain, an mdev, a typed VF, a plain VF" "0:" "$RC:$ERR"
    t_eq "three kinds: the mdev on the mdev GPU, the type on the VF" "0000:e8:00.0 558" \
        "$(mdev_gpu "$(u 1)") $(cur $W0)"
    t_eq "three kinds: each recorded with its kind" "nvidia-vf plain-vf" "$(ledger_key kind)"
    start vm2 2 "uuid=\"$(u 4)\" profile=\"A40-2Q\"" "uuid=\"$(u 5)\" profile=\"A40-2Q\" @vf=0000:67:00.5" \
        "uuid=\"$(u 6)\" gpu=\"MI300X\" @vf=$P"
    t_match "three kinds: the plain VF taken: refused naming vm1" "^1:.*VF $P is taken by domain 'vm1'" "$RC:$ERR"
    t_eq "three kinds: ... and nothing of vm2's kept" "1:0:1" "$(mdev_count):$(cur 0000:67:00.5):$(ledgers)"
    stop vm1
    t_eq "three kinds: release removes all three" "0::0:0" "$RC:$(mdevs):$(cur $W0):$(ledgers)"
}

# vgpuctl check's line for the same domain must be the hook's refusal.
check_says_too() {   # check_says_too NAME: after a hook call that refused NAME
    local line
    line=$("$B/cli/vgpuctl" check "$WORK/$1.xml" | grep "^domain '$1' asks")
    t_eq "$2: vgpuctl check says the same" "vgpu-hook: $line" "$ERR"
}

# On a mixed host the kind is chosen per GPU: the placement rules rank
# every GPU that can take a typed request, mdev or VF alike, and the first
# decides; an mdev hostdev stays while an mdev parent can take it.
test_mixed_per_gpu() {
    local M=0000:e8:00.0 W=0000:67:00.0 vfad="asks for 1 whole-VF vGPU\\(s\\)" mdad="asks for 1 vGPU\\(s\\) with no matching <hostdev>.*type='mdev'"
    fresh mixed-vf
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "per GPU: both idle, pack: the first by address is the VF GPU: VF advice" "$vfad.*managed='no'><source><address domain='0x0000' bus='0x67' slot='0x00' function='0x4'/>" "$ERR"
    check_says_too vm1 "per GPU, both idle"
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\" numa=\"1\""
    t_match "per GPU: numa=1 leaves the mdev GPU: mdev advice" "$mdad" "$ERR"
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\" parent=\"$M\""
    t_match "per GPU: parent= the mdev GPU: mdev advice" "$mdad" "$ERR"
    conf "deny=$W"
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "per GPU: the VF GPU denied: mdev advice" "$mdad" "$ERR"
    conf

    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_eq "per GPU: an mdev hostdev stays an mdev while one fits (pack would say the VF GPU)" "0:$M" "$RC:$(mdev_gpu "$(u 2)")"
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_match "per GPU: pack: the GPU holding A40-2Q is the mdev one: mdev advice" "$mdad" "$ERR"
    start vm1 1 --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\" placement=\"spread\""
    t_match "per GPU: spread: the idle VF GPU: VF advice" "$vfad.*bus='0x67'" "$ERR"
    check_says_too vm1 "per GPU, spread"
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-4Q\""
    t_match "per GPU: the mdev GPU holds another size, an mdev hostdev: VF advice for the VF GPU" "$vfad.*bus='0x67' slot='0x00' function='0x4'" "$ERR"
    check_says_too vm3 "per GPU, mdev GPU full for the size"
    t_eq "per GPU: the refusals made nothing" "1:1" "$(mdev_count):$(ledgers)"
    start vm3 3 "uuid=\"$(u 3)\" profile=\"A40-4Q\" @vf=0000:67:00.4"
    t_eq "per GPU: with the advised hostdev it starts" "0:560" "$RC:$(cur 0000:67:00.4)"
    start vm4 4 --no-hostdev "uuid=\"$(u 4)\" profile=\"A40-4Q\""
    t_match "per GPU: pack: the VF GPU now holds A40-4Q: VF advice, the next VF" "$vfad.*bus='0x67' slot='0x00' function='0x5'" "$ERR"
    stop vm3; stop vm2
    t_eq "per GPU: all released" "0::0:0" "$RC:$(mdevs):$(cur 0000:67:00.4):$(ledgers)"
}

test_hostile_xml() {
    fresh a40x2-vfio
    dom vm1 "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" | sed "s|</devices>|    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0xe8' slot='0x00' function='0x4'/></source><alias name='ua-vgpu-../../etc'/></hostdev>\n  </devices>|" > "$WORK/vm1.xml"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_match "alias with no UUID: refused, one line" "^vgpu-hook: domain 'vm1': hostdev alias" "$ERR"
    dom vm1 "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" | sed "s|</devices>|    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='../x' slot='0x00' function='0x4'/></source><alias name='ua-vgpu-$(u 1)'/></hostdev>\n  </devices>|" > "$WORK/vm1.xml"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_match "address not hex: refused" "has no <source><address domain= bus= slot= function=> in hex" "$ERR"
    t_eq "hostile XML wrote nothing" "0:" "$(ledgers):$(vfs_in_use)"
}

IDS=$TOP/tests/sim/pci.ids
A0=0000:05:02.0; A1=0000:26:02.0; A2=0000:85:02.0

test_plain_vf() {
    fresh mi300x-4 "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "plain VF: gpu=MI300X takes the named VF" "0:" "$RC:$ERR"
    t_eq "plain VF: recorded with its kind and the VF's id" "$A0 vf-1002-74b5 plain-vf created" \
        "$(ledger_key parent) $(ledger_key type) $(ledger_key kind) $(ledger_key state)"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "plain VF: taken, refused naming the holder" \
        "vgpu-hook: domain 'vm2': vGPU device 0: VF $A0 is taken by domain 'vm1'; run 'vgpuctl sync vm2' to point 'vm2' at a free VF" "$ERR"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" @vf=$A1" "uuid=\"$(u 9)\" gpu=\"MI300X\" @vf=$A0"
    t_match "plain VF: all or nothing: the second VF taken, refused" "^1:vgpu-hook: domain .vm2.: vGPU device 1: VF $A0 is taken by domain 'vm1'" "$RC:$ERR"
    t_eq "plain VF: all or nothing: the first VF not kept either" "1:0" "$(ledgers):$(grep -c "$A1" "$WORK"/state/*.ledger)"
    hook vm1 prepare begin < "$WORK/vm1.xml"
    t_eq "plain VF: prepare again by its holder" "0:1" "$RC:$(ledgers)"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"instinct mi300x\" @vf=$A1"
    t_eq "plain VF: name matched forgivingly" "0:2" "$RC:$(ledgers)"
    stop vm2
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"1002:74a1\" @vf=$A1"
    t_eq "plain VF: the PF's PCI id" 0 "$RC"
    stop vm2
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"1002:74b5\" @vf=$A1"
    t_eq "plain VF: the VF's PCI id" 0 "$RC"
    stop vm2
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"S7150\" @vf=$A1"
    t_eq "plain VF: another GPU's name refused" \
        "vgpu-hook: domain 'vm2': vGPU device 0: VF $A1 belongs to a Aqua Vanjaram [Instinct MI300X] (1002:74a1), not 'S7150'" "$ERR"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" numa=\"1\" @vf=$A1"
    t_match "plain VF: numa rule" "but 0000:26:00.0 is on NUMA node 0, not 1" "$ERR"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$A1"
    t_match "plain VF: a typed request refused" "VF $A1 is a whole VF with no vGPU type; ask for it with gpu=" "$ERR"
    start vm3 3 --no-hostdev "uuid=\"$(u 3)\" gpu=\"MI300X\" numa=\"1\""
    t_eq "plain VF: no hostdev: the element to add, a free fitting VF filled in" \
        "vgpu-hook: domain 'vm3' asks for 1 whole-VF vGPU(s) with no matching <hostdev> in its definition; add to <devices>: <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x85' slot='0x02' function='0x0'/></source><alias name='ua-vgpu-$(u 3)'/></hostdev> (or run: vgpuctl sync vm3)" "$ERR"
    start vm3 3 "uuid=\"$(u 3)\" gpu=\"MI300X\""
    t_match "plain VF: the advice skips a VF a domain holds" "bus='0x26' slot='0x02'" "$ERR"
    # No uuid= given: the derived one ties the request to its hostdev.
    start vm5 5 --no-hostdev "gpu=\"MI300X\""
    local derived
    derived=$(sed -n "s/.*alias name='ua-vgpu-\([0-9a-f-]*\)'.*/\1/p" <<< "$ERR")
    t_match "plain VF, derived UUID: the advice's alias carries it" "^[0-9a-f]{8}-[0-9a-f]{4}-5" "$derived"
    dom vm5 "$(du 5)" --no-hostdev "gpu=\"MI300X\"" |
        sed "s|  </devices>|$(vf_hostdev "$derived" $A2 yes | tr -d '\n')\n  </devices>|" > "$WORK/vm5.xml"
    hook vm5 prepare begin < "$WORK/vm5.xml"
    t_eq "plain VF, derived UUID: the hostdev aliased with it is taken" "0:1" \
        "$RC:$(grep -c "^\[device $derived\]" "$WORK"/state/$(du 5).ledger)"
    stop vm5
    t_eq "plain VF, derived UUID: released" "0:" "$RC:$(ls "$WORK"/state/$(du 5).ledger 2>/dev/null)"
    stop vm1
    t_eq "plain VF: release drops the record" "0:0" "$RC:$(ledgers)"
    t_eq "plain VF: the VF is still there" 0x74b5 "$(cat "$SIM_ROOT/bus/pci/devices/$A0/device")"

    conf "pci_ids_path=/usr/share/misc/pci.ids"
    start vm4 4 "uuid=\"$(u 4)\" gpu=\"MI300X\" @vf=$A0"
    t_match "Debian 12's database: no MI300X by name" "belongs to a Device 74a1 \(1002:74a1\), not 'MI300X'" "$ERR"
    start vm4 4 "uuid=\"$(u 4)\" gpu=\"Device 74a1\" @vf=$A0"
    t_eq "Debian 12's database: matched as lspci shows it" 0 "$RC"
    stop vm4
    conf "pci_ids_path=/nonexistent/pci.ids"
    start vm4 4 "uuid=\"$(u 4)\" gpu=\"1002:74a1\" @vf=$A0"
    t_eq "no database at all: the PCI id still works" 0 "$RC"
    stop vm4
    # A database libpci cannot parse: one line naming the setting (it was
    # a jump to address 0: libpci's error handler was never set).
    printf '1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t74a1  Aqua Vanjaram [Instinct MI300X]\nnot a pci.ids line\n' > "$WORK/bad.ids"
    conf "pci_ids_path=$WORK/bad.ids"
    start vm4 4 "uuid=\"$(u 4)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "a broken database: refused in one line naming pci_ids_path, nothing kept" \
        "1:vgpu-hook: the PCI ID database cannot be read (pci_ids_path): Parse error at $WORK/bad.ids, line 3:0" \
        "$RC:$ERR:$(ledgers)"
    t_eq "a broken database: vgpuctl types says the same" \
        "1:vgpuctl: the PCI ID database cannot be read (pci_ids_path): Parse error at $WORK/bad.ids, line 3" \
        "$("$B/cli/vgpuctl" types > /dev/null 2> "$WORK/types.err"; echo $?):$(cat "$WORK/types.err")"
    conf "pci_ids_path=$IDS"
}

test_plain_vf_other_hosts() {
    fresh s7150-2vf "pci_ids_path=/usr/share/misc/pci.ids"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"FirePro S7150\" @vf=0000:04:02.1"
    t_eq "s7150: by the name Debian 12 knows" "0:" "$RC:$ERR"
    stop vm1
    fresh intel-xe-sriov "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"Arc Pro B60\" @vf=0000:03:00.3"
    t_eq "xe: by name" "0:" "$RC:$ERR"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"8086:e211\" @vf=0000:03:00.0"
    t_match "xe: the PF is no VF" "its hostdev names 0000:03:00.0, which is no VF" "$ERR"
    stop vm1
    t_eq "xe: released" 0 "$(ledgers)"
}

test_vfio_advice() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$W0"
    start vm2 2 --no-hostdev "uuid=\"$(u 2)\" profile=\"A40-2Q\" parent=\"0000:67:00.0\""
    t_eq "vfio: no hostdev: a free VF of the named GPU, managed='no'" \
        "vgpu-hook: domain 'vm2' asks for 1 whole-VF vGPU(s) with no matching <hostdev> in its definition; add to <devices>: <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x67' slot='0x00' function='0x5'/></source><alias name='ua-vgpu-$(u 2)'/></hostdev> (or run: vgpuctl sync vm2)" "$ERR"
    t_eq "vfio: advice wrote nothing" "$W0 nvidia-558 idle" "$(vfs_in_use)"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\""
    t_match "vfio: an mdev hostdev gets the same advice" "asks for 1 whole-VF vGPU\\(s\\) with no matching <hostdev>.*managed='no'" "$ERR"
    # The advice's VF is on the domain's NUMA node, though pack would pick
    # the GPU that already holds vm1's (node 0 in a40x2-vfio).
    DOM_EXTRA="<numatune><memory nodeset='1'/></numatune>" \
        start vm4 4 --no-hostdev "uuid=\"$(u 4)\" profile=\"A40-2Q\""
    t_match "vfio: no hostdev, domain on node 1: the advice names a VF of node 1's GPU" \
        "bus='0xe8' slot='0x00' function='0x4'/>.*ua-vgpu-$(u 4)" "$ERR"
    start vm3 3 "uuid=\"$(u 3)\" gpu=\"A40\" @vf=$V0"
    t_match "vfio: gpu= on a vendor-specific VF refused" "VF $V0 takes a vGPU type; ask for it with profile= or type=" "$ERR"
    stop vm1
}

vf_addr_in() {   # vf_addr_in XML UUID: the address the hostdev aliased ua-vgpu-UUID names
    python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.argv[1])
for h in root.iter('hostdev'):
    a = h.find('alias')
    if a is not None and a.get('name') == 'ua-vgpu-' + sys.argv[2]:
        x = h.find('source/address')
        print('%04x:%02x:%02x.%x' % tuple(int(x.get(k), 16) for k in ('domain', 'bus', 'slot', 'function')))
PY
}

# The document as a canonical string, without the VF addresses.
xml_sans_addr() {
    python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
for h in root.iter("hostdev"):
    for a in h.iter("address"):
        a.attrib.clear()
print(ET.canonicalize(ET.tostring(root), strip_text=True))'
}

test_migrate_restore() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    dom vm2 "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V1" > "$WORK/vm2.xml"
    hook vm2 migrate begin < "$WORK/vm2.xml"
    t_eq "migrate: a free fitting VF: exit 0, nothing printed" "0::" "$RC:$OUT:$ERR"
    dom vm2 "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V0" "uuid=\"$(u 3)\" profile=\"A40-2Q\" @vf=$V0" > "$WORK/vm2.xml"
    hook vm2 migrate begin < "$WORK/vm2.xml"
    t_eq "migrate: a taken VF: exit 0, the XML printed" "0:" "$RC:$ERR"
    t_eq "migrate: the first request moved to the next free VF" "$V1" "$(vf_addr_in "$OUT" "$(u 2)")"
    t_eq "migrate: the second one to another free VF" "$V2" "$(vf_addr_in "$OUT" "$(u 3)")"
    t_eq "migrate: nothing else changed (addresses aside)" "$(xml_sans_addr < "$WORK/vm2.xml")" \
        "$(xml_sans_addr <<< "$OUT")"
    t_eq "migrate: nothing written or recorded" "$V0 nvidia-558 idle:1" "$(vfs_in_use):$(ledgers)"
    # libvirt takes stdout as the domain XML: relayed whole by the front
    # (hooks/front-watch.c) also when larger than a pipe holds (64 KiB).
    python3 -c 'import sys; s = sys.stdin.read(); print(s.replace("</uuid>", "</uuid>\n  <description>" + "x" * 150000 + "</description>", 1), end="")' \
        < "$WORK/vm2.xml" > "$WORK/vm2-big.xml"
    printf '%s' "$OUT" > "$WORK/vm2-moved.xml"
    hook vm2 migrate begin < "$WORK/vm2-big.xml"
    t_eq "migrate: a 150 KiB domain XML: exit 0, more than 64 KiB printed, re-pointed" \
        "0::1:$V1" "$RC:$ERR:$(( $(wc -c < "$WORK/out") > 65536 )):$(vf_addr_in "$(sed 's|<description>x*</description>||' "$WORK/out")" "$(u 2)")"
    t_eq "migrate: a 150 KiB domain XML: nothing else changed" "$(xml_sans_addr < "$WORK/vm2-big.xml")" \
        "$(xml_sans_addr < "$WORK/out")"
    mv "$WORK/vm2-moved.xml" "$WORK/vm2.xml"
    hook vm2 prepare begin < "$WORK/vm2.xml"
    t_eq "migrate: the re-pointed XML prepares" "0:558:558" "$RC:$(cur $V1):$(cur $V2)"
    hook vm2 release end < "$WORK/vm2.xml"
    # The domain's own hand-written hostdev names V1: the move must not
    # take it too (libvirt refuses one VF in two hostdevs).
    dom vm6 "$(du 6)" "uuid=\"$(u 7)\" profile=\"A40-2Q\" @vf=$V0" |
        sed "s|  </devices>|    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0xe8' slot='0x00' function='0x5'/></source></hostdev>\n  </devices>|" > "$WORK/vm6.xml"
    hook vm6 migrate begin < "$WORK/vm6.xml"
    t_eq "migrate: not to a VF the domain's own hand-written hostdev names" "0:$V2" \
        "$RC:$(vf_addr_in "$OUT" "$(u 7)")"

    dom vm3 "$(du 3)" "uuid=\"$(u 4)\" profile=\"A40-4Q\" @vf=$V1" > "$WORK/vm3.xml"
    hook vm3 restore begin < "$WORK/vm3.xml"
    t_eq "restore: a VF whose GPU holds another size: moved to the other GPU" "0:$W0" "$RC:$(vf_addr_in "$OUT" "$(u 4)")"
    dom vm3 "$(du 3)" "uuid=\"$(u 4)\" profile=\"A40-2Q\" @vf=0000:99:00.4" > "$WORK/vm3.xml"
    hook vm3 restore begin < "$WORK/vm3.xml"
    t_eq "restore: a VF missing on this host: moved (pack: the GPU already holding 2Q)" "0:$V1" "$RC:$(vf_addr_in "$OUT" "$(u 4)")"
    dom vm3 "$(du 3)" "uuid=\"$(u 4)\" profile=\"A40-2Q\" placement=\"spread\" @vf=0000:99:00.4" > "$WORK/vm3.xml"
    hook vm3 restore begin < "$WORK/vm3.xml"
    t_eq "restore: placement=spread: the idle GPU" "0:$W0" "$RC:$(vf_addr_in "$OUT" "$(u 4)")"
    DOM_EXTRA="<numatune><memory nodeset='0'/></numatune>" \
        dom vm3 "$(du 3)" "uuid=\"$(u 4)\" profile=\"A40-2Q\" @vf=0000:99:00.4" > "$WORK/vm3.xml"
    hook vm3 restore begin < "$WORK/vm3.xml"
    t_eq "restore: the domain on node 0: a VF of node 0's GPU (pack alone says node 1's)" \
        "0:$W0" "$RC:$(vf_addr_in "$OUT" "$(u 4)")"
    hook vm1 migrate begin < "$WORK/vm1.xml"
    t_eq "migrate: the holder itself keeps its VF" "0:" "$RC:$OUT"
    dom vm4 "$(du 4)" "uuid=\"$(u 5)\" profile=\"A40-2Q\"" > "$WORK/vm4.xml"
    hook vm4 migrate begin < "$WORK/vm4.xml"
    t_eq "migrate: no whole-VF request: nothing printed" "0:" "$RC:$OUT"
    conf "deny=0000:67:00.0"
    dom vm5 "$(du 5)" "uuid=\"$(u 6)\" profile=\"A40-48Q\" @vf=$V0" > "$WORK/vm5.xml"
    hook vm5 migrate begin < "$WORK/vm5.xml"
    t_eq "migrate: nothing fits here: refused in one sentence" \
        "1:vgpu-hook: domain 'vm5': vGPU device 0: VF $V0 is missing or taken on this host and no free VF here fits A40-48Q" "$RC:$ERR"
    conf
    stop vm1

    fresh mi300x-4 "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=$A0"
    dom vm2 "$(du 2)" "uuid=\"$(u 2)\" gpu=\"MI300X\" numa=\"1\" @vf=$A0" > "$WORK/vm2.xml"
    hook vm2 migrate begin < "$WORK/vm2.xml"
    t_eq "migrate, plain VF: moved to a free VF on the asked NUMA node" "0:$A2" "$RC:$(vf_addr_in "$OUT" "$(u 2)")"
    stop vm1
}

test_reconnect() {
    fresh mixed-vf
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\"" "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$W0"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect: exit 0, silent, both kept" "0::1:558" "$RC:$OUT$ERR:$(mdev_count):$(cur $W0)"
    t_match "reconnect: logs the VF as the ledger has it" "domain 'vm1': reconnect: $(u 2) \\(nvidia-558 on $W0\\) ok" "$(hook_log)"
    setty $W0 0; setty $W0 559
    : > "$VGPU_TEST_LOG"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect with the VF re-typed by hand: exit 0, nothing changed" "0::559" "$RC:$OUT$ERR:$(cur $W0)"
    t_match "... the difference logged" "domain 'vm1': reconnect: $(u 2) is nvidia-559 on $W0, ledger says nvidia-558 on $W0" "$(hook_log)"
    setty $W0 0
    : > "$VGPU_TEST_LOG"
    hook vm1 reconnect begin < "$WORK/vm1.xml"
    t_eq "reconnect with the VF cleared by hand: still exit 0, nothing changed" "0::0:1" "$RC:$OUT$ERR:$(cur $W0):$(ledgers)"
    t_match "... logged as missing though the ledger records it" "domain 'vm1': reconnect: vGPU $(u 2) is missing from sysfs although the ledger records it" "$(hook_log)"
    stop vm1
    t_eq "release after that: exit 0, all gone" "0::0:0" "$RC:$(mdevs):$(cur $W0):$(ledgers)"
}

# A hostdev naming a VF off the domain's NUMA node: libvirt fixed the
# address, so the hook can only log it, or refuse with numa_fallback=false.
test_named_vf_numa() {
    fresh a40x2-vfio
    local node other
    node=$(cat "$SIM_ROOT/bus/pci/devices/$V0/numa_node")
    other=$((1 - node))
    : > "$VGPU_TEST_LOG"
    DOM_EXTRA="<numatune><memory nodeset='$other'/></numatune>" \
        start n1 31 "uuid=\"$(u 31)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "VF off the domain's node: taken (fallback allowed by default)" "0:558" "$RC:$(cur $V0)"
    t_match "... with a log line naming both nodes and the fix" \
        "its hostdev names VF $V0 on NUMA node $node, not on node\\(s\\) $other where the domain runs \\('vgpuctl sync n1'" "$(hook_log)"
    stop n1
    DOM_EXTRA="<numatune><memory nodeset='$node'/></numatune>" \
        start n2 32 "uuid=\"$(u 32)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "VF on the domain's node: taken, no such line" "0:558:0" \
        "$RC:$(cur $V0):$(hook_log | grep -c "domain 'n2'.*not on node")"
    stop n2
    conf numa_fallback=false
    DOM_EXTRA="<numatune><memory nodeset='$other'/></numatune>" \
        start n3 33 "uuid=\"$(u 33)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "numa_fallback=false: a VF off the domain's node is refused, untouched" "1:0" "$RC:$(cur $V0)"
    t_match "... naming the VF and the nodes" "its hostdev names VF $V0, but .*numa_fallback=false" "$ERR"
    conf
}

# A whole VF is given back by its ledger whatever the live XML says: after
# virsh metadata --live --remove (the PCI hostdev stays) and after the
# hostdev was unplugged too; the next domain naming the VF then gets it.
test_release_by_ledger() {
    fresh a40x2-vfio
    start vm1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\" @vf=$V0"
    metadata_removed vm1 || return
    : > "$VGPU_TEST_LOG"
    hook vm1 reconnect begin < "$WORK/vm1-nometa.xml"
    t_eq "NVIDIA VF, metadata removed: reconnect exit 0, silent, type kept" "0::558:1" \
        "$RC:$OUT$ERR:$(cur $V0):$(ledgers)"
    t_match "NVIDIA VF, metadata removed: reconnect logs what the ledger still holds" \
        "domain 'vm1': reconnect: ledger holds $(u 1) \\(nvidia-558 on $V0, present\\), which the domain no longer asks for" \
        "$(hook_log)"
    hook vm1 release end < "$WORK/vm1-nometa.xml"
    t_eq "NVIDIA VF, metadata removed: release clears the type, drops the ledger" "0::0:0" \
        "$RC:$ERR:$(cur $V0):$(ledgers)"
    start vm2 2 "uuid=\"$(u 2)\" profile=\"A40-2Q\" @vf=$V0"
    t_eq "NVIDIA VF: the next domain naming it is not refused as taken" "0::558" "$RC:$ERR:$(cur $V0)"
    metadata_removed vm2 --unplugged || return
    hook vm2 release end < "$WORK/vm2-nometa.xml"
    t_eq "NVIDIA VF, metadata and hostdev removed: cleared, ledger gone" "0::0:0:" \
        "$RC:$ERR:$(cur $V0):$(ledgers):$(vfs_in_use)"

    fresh mi300x-4 "pci_ids_path=$IDS"
    start vm1 1 "uuid=\"$(u 1)\" gpu=\"MI300X\" @vf=$A0"
    metadata_removed vm1 || return
    hook vm1 release end < "$WORK/vm1-nometa.xml"
    t_eq "AMD VF, metadata removed: its record dropped" "0::0" "$RC:$ERR:$(ledgers)"
    start vm2 2 "uuid=\"$(u 2)\" gpu=\"MI300X\" @vf=$A0"
    t_eq "AMD VF: the next domain naming it is not refused as taken" "0::1" "$RC:$ERR:$(ledgers)"
    metadata_removed vm2 --unplugged || return
    hook vm2 release end < "$WORK/vm2-nometa.xml"
    t_eq "AMD VF, metadata and hostdev removed: record dropped" "0::0" "$RC:$ERR:$(ledgers)"
}

# gpu= with the system's PCI ID database (Debian 12's, older than the
# MI300X: lspci shows "Device 74a1"): a name no GPU here has is said to be
# that, with what the GPUs are called and the id that works with any
# database, not taken for a lack of room (all four VFs are free).
debian_name() { awk -v d="$2" '/^1002 /{v=1; next} /^[0-9a-f]/{v=0} v && $1 == d' "$1"; }
test_gpu_name_unknown() {
    fresh mi300x-4 "pci_ids_path=/usr/share/misc/pci.ids"
    t_eq "the system database has no name for 1002:74a1" "" "$(debian_name /usr/share/misc/pci.ids 74a1)"
    local want="no GPU on this host is called 'MI300X': the GPUs with whole VFs here are Device 74a1 (1002:74a1, 4 GPUs), as the PCI ID database (pci_ids_path) names them; gpu=\"1002:74a1\" works with any database"
    start g1 1 --no-hostdev "uuid=\"$(u 1)\" gpu=\"MI300X\""
    t_eq "no hostdev, four free VFs: the name no GPU has, not 'none fits now'" \
        "1:vgpu-hook: domain 'g1': vGPU device 0: $want" "$RC:$ERR"
    start g2 2 --no-hostdev "uuid=\"$(u 2)\" gpu=\"1002:74a1\""
    t_match "gpu=\"1002:74a1\" with the same database: a free VF advised" \
        "^1:vgpu-hook: domain 'g2' asks for 1 whole-VF vGPU\(s\) .*<address domain='0x0000' bus='0x05' slot='0x02' function='0x0'/>.*\(or run: vgpuctl sync g2\)$" "$RC:$ERR"
    start g3 3 "uuid=\"$(u 3)\" gpu=\"1002:74a1\" @vf=$A1"
    t_eq "gpu=\"1002:74a1\" on the VF its hostdev names: taken" "0:" "$RC:$ERR"
    stop g3
    dom g4 "$(du 4)" "uuid=\"$(u 4)\" gpu=\"MI300X\" @vf=$A1" > "$WORK/g4.xml"
    hook g4 migrate begin < "$WORK/g4.xml"
    t_eq "migrate begin: the name no GPU has, not 'missing or taken'" \
        "1::vgpu-hook: domain 'g4': vGPU device 0: $want" "$RC:$OUT:$ERR"
    hook g4 restore begin < "$WORK/g4.xml"
    t_eq "restore begin: the same" "1::vgpu-hook: domain 'g4': vGPU device 0: $want" "$RC:$OUT:$ERR"
    hook g4 prepare begin < "$WORK/g4.xml"
    t_eq "prepare begin, the hostdev names a VF: its GPU, and the id that works with any database" \
        "1:vgpu-hook: domain 'g4': vGPU device 0: VF $A1 belongs to a Device 74a1 (1002:74a1), not 'MI300X': the PCI ID database (pci_ids_path) has no name for 1002:74a1; gpu=\"1002:74a1\" works with any database" \
        "$RC:$ERR"
    t_eq "refusals recorded nothing" 0 "$(ledgers)"
    fresh a40x2-vfio "pci_ids_path=$IDS"
    start g5 5 --no-hostdev "uuid=\"$(u 5)\" gpu=\"A40\""
    t_eq "gpu= naming a GPU that gives vGPU types: says so, and what to ask with" \
        "1:vgpu-hook: domain 'g5': vGPU device 0: 'A40' here is GA102GL [A40] (10de:2235, 2 GPUs), which gives vGPUs of a type, not whole VFs: ask for one with profile= or type=, not gpu=" \
        "$RC:$ERR"
    start g6 6 --no-hostdev "uuid=\"$(u 6)\" gpu=\"MI300X\""
    t_eq "gpu= on a host with no plain VF: says so" \
        "1:vgpu-hook: domain 'g6': vGPU device 0: no GPU on this host is called 'MI300X', and none here gives whole VFs for gpu= to take" \
        "$RC:$ERR"
}

for t in test_named_vf_numa test_migrate_restore test_reconnect test_plain_vf test_plain_vf_other_hosts test_vfio_advice \
         test_prepare_release test_refusals test_release_safety test_faults_and_crashes \
         test_mixed_host test_three_kinds test_mixed_per_gpu test_hostile_xml test_release_by_ledger \
         test_gpu_name_unknown; do
    echo "# $t"
    $t
done
t_done
