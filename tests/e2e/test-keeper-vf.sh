#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpu-keeper's whole-VF half under the real libvirtd (libvirt-env.sh's
# namespace): stopped domains whose metadata asks for a whole VF get a PCI
# hostdev (alias ua-vgpu-<uuid>) naming a VF that can take them, distinct
# ones while enough are free; one whose VF is taken (a running domain, a
# type written by hand, a hand-written hostdev) is re-pointed; a settled
# host sees 0 redefinitions; a keeper started while libvirtd is down does
# its full pass once it comes up; a keeper SIGKILLed around its
# redefinition damages nothing and the next one finishes the work.
# Alone: make O=build/san SANITIZE=1 TESTHOOKS=1 -j2 all sim &&
#        B=build/san bash tests/e2e/test-keeper-vf.sh
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF
. "$TOP/tests/e2e/libvirt-env.sh"
. "$TOP/tests/e2e/keeper-lib.sh"

S1=0000:04:02.0   # s7150-2vf's two VFs
S2=0000:04:02.1

lv_tier_begin "vgpu-keeper whole-VF tier"
[ -x "$B/keeper/vgpu-keeper" ] || { echo "not ok - vgpu-keeper whole-VF tier: $B/keeper/vgpu-keeper not built"; exit 1; }

vf_is() { [ "$(vf_addr "$1" "$2")" = "$3" ]; }
pci_hostdevs() { inactive "$1" | grep -c "<hostdev mode='subsystem' type='pci'"; }

# gpu_domain NAME N [ATTRS]: a domain whose metadata asks for a whole VF, no hostdev
gpu_domain() {
    lv_domain_xml "$1" "$(du "$2")" --no-hostdev "uuid=\"$(u "$2")\" ${3:-gpu=\"S7150\"}" > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}
# named_domain NAME N VF [ATTRS]: a gpu="MI300X" domain whose hostdev
# (managed='yes') already names VF
named_domain() {
    lv_domain_xml "$1" "$(du "$2")" --no-hostdev "uuid=\"$(u "$2")\" gpu=\"MI300X\" ${4:-}" |
        sed "s|</devices>|$(vf_hostdev "$(u "$2")" "$3" yes | tr -d '\n')</devices>|" > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}
# keeper_once [ENV=VALUE...]: one `vgpu-keeper --once` from an empty log;
# sets rc and out (the log) in the caller's locals
keeper_once() {
    : > "$LV_WORK/vgpu-keeper.log"
    keeper_start "$@" --once
    wait "$KPID"
    rc=$?
    KPID=
    out=$(cat "$LV_WORK/vgpu-keeper.log")
}
# hand_domain NAME N VF: no vGPU metadata, a hand-written hostdev for VF
hand_domain() {
    lv_domain_xml "$1" "$(du "$2")" |
        sed "s|</devices>|<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x${3:0:4}' bus='0x${3:5:2}' slot='0x${3:8:2}' function='0x${3:11:1}'/></source></hostdev></devices>|" \
        > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}

# libvirtd down until libvirtd_up (libvirtd-run waits for the hold file)
libvirtd_down() {
    local old
    old=$(lv_libvirtd_pid)
    : > "$LV_WORK/libvirtd.hold"
    : > "$LV_WORK/libvirtd.restart"
    kill -TERM "$old"
    lv_wait_gone 15 "$old" > /dev/null
}
libvirtd_up() { rm -f "$LV_WORK/libvirtd.hold"; lv_wait_virsh 60; }

finish() { keeper_stop; [ -n "$LV_WORK" ] && rm -f "$LV_WORK/libvirtd.hold"; lv_tier_finish; }
trap finish EXIT

# Two domains defined while no keeper runs; the keeper starts while
# libvirtd is down, connects when it comes up and points them at the two
# VFs; a third gets one of them too (none is left), which the log says.
test_start_while_down() {
    gpu_domain va 1
    gpu_domain vb 2
    step "libvirtd down; the keeper starts"
    libvirtd_down
    keeper_start --recheck 0
    t_ok "libvirtd down: the keeper says it cannot connect and retries" \
        wait_for 20 eval 'grep -q "cannot connect to libvirt at qemu:///system.*next attempt in" "$LV_WORK/vgpu-keeper.log"'
    t_ok "the keeper keeps running while libvirtd is down" kill -0 "$KPID"
    step "libvirtd up"
    libvirtd_up
    t_ok "libvirtd up: the keeper connects (status file)" wait_for 30 connected
    t_ok "its full pass gives va a VF" wait_for 30 has_vf va "$(u 1)"
    t_ok "and vb" wait_for 30 has_vf vb "$(u 2)"
    t_eq "va: a managed='yes' PCI hostdev for a VF of the S7150 (pack: the first)" \
        "$S1 yes" "$(vf_of_alias va "$(u 1)")"
    t_eq "vb: the other VF, not va's" "$S2 yes" "$(vf_of_alias vb "$(u 2)")"
    t_log "one log line per domain: what, from where, why" \
        "domain 'va': vGPU $(u 1) \(S7150\) now uses VF $S1: it had no VF \(full pass after connecting\)"
    step "a third domain, no VF left"
    gpu_domain vc 3
    t_ok "vc gets a VF as well" wait_for 30 has_vf vc "$(u 3)"
    t_match "vc: one of the two (both named: none is free)" "^($S1|$S2) yes$" "$(vf_of_alias vc "$(u 3)")"
    t_log "logged with its reason" \
        "domain 'vc': vGPU $(u 3) \(S7150\) now uses VF .*: it had no VF; no VF is free, VF .* is named by a stopped domain too \([^)]*event: domain 'vc' defined[^)]*\)"
    step "two events while the keeper is stopped: one pass, its line names both"
    kill -STOP "$KPID"
    lv_domain_xml vplain2 "$(du 8)" > "$LV_WORK/vplain2.xml"
    lv_virsh define "$LV_WORK/vplain2.xml" > /dev/null
    gpu_domain vd 4
    kill -CONT "$KPID"
    t_ok "vd gets a VF" wait_for 30 has_vf vd "$(u 4)"
    t_log "vd's line ends with both events, in order" \
        "domain 'vd': vGPU $(u 4) \(S7150\) now uses VF .* \(event: domain 'vplain2' defined; event: domain 'vd' defined\)"
    for d in vd vplain2; do lv_virsh undefine "$d" > /dev/null; done
}

# A settled host: a full pass (SIGHUP), --once and the events of a domain
# without metadata change nothing.
test_steady() {
    local r p
    r=$(status_key redefinitions)
    p=$(status_key passes)
    step "SIGHUP: a full pass over a settled host"
    kill -HUP "$KPID"
    t_ok "the pass ran" wait_for 30 passes_above "$p"
    t_eq "0 redefinitions in a steady state (status file)" "$r" "$(status_key redefinitions)"
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once --dry-run > "$LV_WORK/once.out" 2>/dev/null
    t_eq "--once --dry-run: nothing would change" "0:0 redefinition(s), 0 domain(s) failed" \
        "$?:$(grep -v '^vgpu-keeper' "$LV_WORK/once.out")"
    step "a domain without metadata is defined and undefined"
    lv_domain_xml vplain "$(du 9)" > "$LV_WORK/vplain.xml"
    lv_virsh define "$LV_WORK/vplain.xml" > /dev/null
    # A full pass that sees it (a fixed sleep passed before the keeper looked).
    p=$(status_key passes)
    kill -HUP "$KPID"
    t_ok "a pass ran with it defined" wait_for 30 passes_above "$p"
    lv_virsh undefine vplain > /dev/null
    t_eq "still 0 redefinitions" "$r" "$(status_key redefinitions)"
    t_eq "vgpuctl status: the keeper's count" "$r" \
        "$(lv_vgpuctl status 2>&1 | sed -n 's/.*running (pid [0-9]*, connected to [^)]*), \([0-9]*\) redefinition.*/\1/p')"
}

# A VF named by hand in a stopped domain without our metadata is left to
# it while another is free.
test_hand_hostdev_stopped() {
    step "only vhand, a stopped domain whose hand-written hostdev names $S1"
    for d in va vb vc; do lv_virsh undefine "$d" > /dev/null; done
    hand_domain vhand 10 "$S1"
    gpu_domain vd 4
    t_ok "vd gets a VF" wait_for 30 has_vf vd "$(u 4)"
    t_eq "vd: not the VF the hand-written hostdev names" "$S2 yes" "$(vf_of_alias vd "$(u 4)")"
    t_eq "the hand-written hostdev is untouched" \
        "<hostdev mode='subsystem' type='pci' managed='yes'>" \
        "$(inactive vhand | grep -o "<hostdev mode='subsystem' type='pci' managed='yes'>")"
    t_eq "vhand gained no alias" 0 "$(inactive vhand | grep -c 'ua-vgpu')"
    lv_virsh undefine vhand > /dev/null
    lv_virsh undefine vd > /dev/null
}

# killed_at STEP NAME N: a keeper that dies at STEP (VGPU_TEST_STOP_AT)
# once domain NAME (request N) is defined
killed_at() {
    keeper_start VGPU_TEST_STOP_AT="$1" --recheck 0
    gpu_domain "$2" "$3"
    t_ok "the keeper was killed at the step" lv_wait_gone 30 "$KPID"
    wait "$KPID" 2>/dev/null
    KPID=
}

# SIGKILL between the compare and the define, and right after the define:
# the definition is the old or the new one, whole; the next keeper
# finishes the work and redefines nothing twice.
test_kill_mid_write() {
    local r
    keeper_stop
    step "keeper dies before its define"
    killed_at vfkeep-before-define vk 5
    t_eq "vk: its definition as defined (no hostdev), readable" "0:$(u 5)" \
        "$(pci_hostdevs vk):$(inactive vk | sed -n 's/.*uuid="\([^"]*\)".*gpu=.*/\1/p')"
    keeper_start --recheck 0
    t_ok "the next keeper gives vk its VF" wait_for 30 has_vf vk "$(u 5)"
    t_eq "one PCI hostdev" 1 "$(pci_hostdevs vk)"
    keeper_stop
    step "keeper dies right after its define"
    killed_at vfkeep-after-define vl 6
    t_eq "vl: the new definition, whole: one PCI hostdev for its request" "1:$S2 yes" \
        "$(pci_hostdevs vl):$(vf_of_alias vl "$(u 6)")"
    keeper_start --recheck 0
    t_ok "the next keeper connects" wait_for 30 connected
    r=$(status_key redefinitions)
    t_eq "and has nothing left to do (0 redefinitions)" "0" "$r"
    lv_virsh undefine vk > /dev/null
    lv_virsh undefine vl > /dev/null
}

# An edit saved while the keeper has built its change but not compared:
# the keeper starts over and the edit stays.
test_concurrent_edit() {
    keeper_stop
    keeper_start VGPU_TEST_PAUSE_AT=vfkeep-before-compare --recheck 0
    t_ok "keeper connected" wait_for 30 connected
    gpu_domain ve 12
    t_ok "the keeper stopped before its compare" \
        wait_for 30 keeper_paused
    step "an edit saved meanwhile (a <description>)"
    sed "s|<name>ve</name>|<name>ve</name><description>edited meanwhile</description>|" \
        "$LV_WORK/ve.xml" > "$LV_WORK/ve-edit.xml"
    lv_virsh define "$LV_WORK/ve-edit.xml" > /dev/null
    kill -CONT "$KPID"
    t_ok "ve gets its VF" wait_for 30 has_vf ve "$(u 12)"
    t_eq "the edit is kept" 1 "$(inactive ve | grep -c '<description>edited meanwhile</description>')"
    t_log "the log says the pass started over" \
        "domain 've': vGPU $(u 12) \(S7150\) now uses VF .*; the pass started over: a definition changed meanwhile"
    lv_virsh undefine ve > /dev/null
    keeper_stop
}

# libvirt refuses the keeper's definition (the domain was replaced by
# another of its name after the compare): the log line gives libvirt's
# reason, and the new domain is left as it was defined.
test_define_refused() {
    local rc
    keeper_stop
    gpu_domain vx 13
    keeper_start VGPU_TEST_PAUSE_AT=vfkeep-before-define --once
    t_ok "the keeper stopped between its compare and its define" \
        wait_for 30 keeper_paused
    step "vx undefined and defined again with another UUID"
    lv_virsh undefine vx > /dev/null
    gpu_domain vx 14
    kill -CONT "$KPID"
    wait "$KPID"
    rc=$?
    KPID=
    t_eq "--once: exit 1" 1 "$rc"
    t_match "the error says why libvirt refused it" \
        "vgpu-keeper: domain 'vx': defining it with its whole-VF hostdevs re-pointed: .*already exists" \
        "$(cat "$LV_WORK/vgpu-keeper.log")"
    t_eq "the new vx is as it was defined" "$(du 14):0" \
        "$(lv_virsh domuuid vx | head -n 1):$(pci_hostdevs vx)"
    lv_virsh undefine vx > /dev/null
}

# libvirt fails to read a definition again before the keeper's compare
# (once; VGPU_TEST_FAIL_AT): that is no concurrent edit. The log gives
# libvirt's own reason and the domain; that domain is left as it is, the
# pass does not start over, and the other domain is written.
test_compare_read_fails() {
    local rc out
    keeper_stop
    gpu_domain vf1 41
    gpu_domain vf2 42
    keeper_once VGPU_TEST_FAIL_AT=vfkeep-compare-read
    t_eq "--once: exit 1; vf2 written, vf1 failed" \
        "1:domain 'vf2': vGPU $(u 42) (S7150) now uses VF $S2: it had no VF|1 redefinition(s), 1 domain(s) failed" \
        "$rc:$(grep -v '^vgpu-keeper' <<< "$out" | tr '\n' '|' | sed 's/|$//')"
    t_match "the log names the domain, what was attempted and libvirt's reason" \
        "vgpu-keeper: domain 'vf1': reading its definition again before re-pointing its whole VFs: unsupported flags \(0x40000000\) in function [a-zA-Z]*GetXMLDesc; left as it is \(--once\)" \
        "$out"
    t_eq "said once" 1 "$(grep -c "domain 'vf1': reading its definition again" <<< "$out")"
    t_eq "not taken for a concurrent edit: the pass did not start over" 0 \
        "$(grep -c 'started over\|changed while' <<< "$out")"
    t_eq "vf1 is left as it was defined (no hostdev)" 0 "$(pci_hostdevs vf1)"
    t_eq "vf2 gets the VF it was chosen (vf1's choice stays unused)" "$S2 yes" "$(vf_of_alias vf2 "$(u 42)")"
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once > /dev/null 2>&1
    t_eq "the next pass gives vf1 its VF" "$S1 yes" "$(vf_of_alias vf1 "$(u 41)")"
    for d in vf1 vf2; do lv_virsh undefine "$d" > /dev/null; done
}

# libvirt fails to give a running domain's live XML (once): its hand-written
# hostdev may hold a VF, so the pass points no stopped domain anywhere,
# says so (the domain, libvirt's reason), and the next pass decides.
test_read_fails() {
    local p
    keeper_stop
    hand_domain vh 43 "$S1"
    start_ok vh
    gpu_domain vg 44
    : > "$LV_WORK/vgpu-keeper.log"
    keeper_start VGPU_TEST_FAIL_AT=vfkeep-read-live --recheck 0
    t_ok "the keeper's first full pass ran" wait_for 30 eval 'connected && passes_above 0'
    t_log "the log names the running domain and libvirt's reason" \
        "whole VFs: nothing re-pointed this pass, a domain could not be read: running domain 'vh': reading its live XML: unsupported flags \(0x40000000\) in function [a-zA-Z]*GetXMLDesc \(full pass after connecting\)"
    t_eq "vg is not pointed at the VF vh holds, nor anywhere" 0 "$(pci_hostdevs vg)"
    p=$(status_key passes)
    kill -HUP "$KPID"
    t_ok "the next pass (SIGHUP) ran" wait_for 30 passes_above "$p"
    t_eq "it points vg at the free VF, not the one vh holds" "$S2 yes" "$(vf_of_alias vg "$(u 44)")"
    keeper_stop
    lv_virsh destroy vh > /dev/null
    for d in vg vh; do lv_virsh undefine "$d" > /dev/null; done
}

# Domains gone between the pass's list and its reads (a transient domain
# that held a VF destroyed, a stopped one undefined) are no error: the pass
# decides without them, and the VF the transient one held is free again.
test_gone_meanwhile() {
    local rc
    keeper_stop
    lv_domain_xml vt "$(du 45)" |
        sed "s|</devices>|<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x${S1:0:4}' bus='0x${S1:5:2}' slot='0x${S1:8:2}' function='0x${S1:11:1}'/></source></hostdev></devices>|" \
        > "$LV_WORK/vt.xml"
    lv_virsh create "$LV_WORK/vt.xml" > /dev/null
    t_eq "vt runs, transient, on $S1" running "$(state vt)"
    gpu_domain vu 46
    gpu_domain vq 47
    : > "$LV_WORK/vgpu-keeper.log"
    keeper_start VGPU_TEST_PAUSE_AT=vfkeep-domains-listed --once
    t_ok "the keeper stopped with the domains listed, none read" \
        wait_for 30 keeper_paused
    step "vt destroyed (gone), vu undefined meanwhile"
    lv_virsh destroy vt > /dev/null
    lv_virsh undefine vu > /dev/null
    kill -CONT "$KPID"
    wait "$KPID"
    rc=$?
    KPID=
    t_eq "--once: exit 0, vq written, no domain failed" \
        "0:domain 'vq': vGPU $(u 47) (S7150) now uses VF $S1: it had no VF|1 redefinition(s), 0 domain(s) failed" \
        "$rc:$(grep -v '^vgpu-keeper' "$LV_WORK/vgpu-keeper.log" | tr '\n' '|' | sed 's/|$//')"
    t_eq "no error line" 0 "$(grep -c 'could not be read\|left as it is' "$LV_WORK/vgpu-keeper.log")"
    lv_virsh undefine vq > /dev/null
}

# A domain whose write fails keeps the VF it names: no other domain is
# pointed at that VF in the same pass (mi300x-4: one VF per GPU, two on
# node 0, two on node 1; mc and md keep M1 and M3). ma names M2 (node 1)
# but asks for node 0: it moves to M0; mb, no VF yet, asks for node 1: it
# can only have M2. libvirt fails ma's write (once): mb must not be
# pointed at M2, which ma still names; the next pass does both. Twice: mb
# after ma in the pass's (UUID) order, then before it.
test_failed_write_keeps_vf() {
    local rc out M0=0000:05:02.0 M1=0000:26:02.0 M2=0000:85:02.0 M3=0000:a6:02.0 n v
    local b=$1
    keeper_stop
    for v in "mc 61 $M1 " "md 62 $M3 " "ma 63 $M2 numa=\"0\""; do
        named_domain $v
    done
    gpu_domain mb "$b" 'gpu="MI300X" numa="1"'
    keeper_once VGPU_TEST_FAIL_AT=vfkeep-compare-read
    t_eq "mb $b: --once: exit 1" 1 "$rc"
    t_eq "mb $b: ma's write failed: it still names M2" "$M2" "$(vf_addr ma "$(u 63)")"
    t_eq "mb $b: mb is not pointed at M2, which ma still names" "" "$(vf_addr mb "$(u "$b")")"
    t_match "mb $b: one line says why mb was left as it is" \
        "vgpu-keeper: domain 'mb': not re-pointed at VF $M2, which domain 'ma' still names \(it was not re-pointed either\); left as it is \(--once\)" \
        "$out"
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once > /dev/null 2>&1
    t_eq "mb $b: the next pass: ma on M0, mb on M2, mc and md kept" "$M0 $M2 $M1 $M3" \
        "$(vf_addr ma "$(u 63)") $(vf_addr mb "$(u "$b")") $(vf_addr mc "$(u 61)") $(vf_addr md "$(u 62)")"
    for n in ma mb mc md; do lv_virsh undefine "$n" > /dev/null; done
}

# The same along a chain: ma (node 0) gives M2 up for M0, mb (node 1)
# gives M1 up for M2, me (no VF yet) takes M1. ma's write fails: mb is not
# written (M2), so neither is me (M1, which mb then still names).
test_failed_write_chain() {
    local rc out M0=0000:05:02.0 M1=0000:26:02.0 M2=0000:85:02.0 M3=0000:a6:02.0 n v
    keeper_stop
    for v in "md 62 $M3 " "ma 63 $M2 numa=\"0\"" "mb 65 $M1 numa=\"1\""; do
        named_domain $v
    done
    gpu_domain me 66 'gpu="MI300X"'
    keeper_once VGPU_TEST_FAIL_AT=vfkeep-compare-read
    t_eq "chain: --once exits 1; ma, mb, me, md as they were" "1:$M2 $M1  $M3" \
        "$rc:$(vf_addr ma "$(u 63)") $(vf_addr mb "$(u 65)") $(vf_addr me "$(u 66)") $(vf_addr md "$(u 62)")"
    t_match "chain: mb's line" \
        "vgpu-keeper: domain 'mb': not re-pointed at VF $M2, which domain 'ma' still names \(it was not re-pointed either\); left as it is \(--once\)" \
        "$out"
    t_match "chain: me's line" \
        "vgpu-keeper: domain 'me': not re-pointed at VF $M1, which domain 'mb' still names \(it was not re-pointed either\); left as it is \(--once\)" \
        "$out"
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once > /dev/null 2>&1
    t_eq "chain: the next pass: ma on M0, mb on M2, me on M1, md kept" "$M0 $M2 $M1 $M3" \
        "$(vf_addr ma "$(u 63)") $(vf_addr mb "$(u 65)") $(vf_addr me "$(u 66)") $(vf_addr md "$(u 62)")"
    for n in ma mb me md; do lv_virsh undefine "$n" > /dev/null; done
}

# The most constrained request is decided first (mi300x-4: mc and md keep
# M1 and M3, so M0 is the only free VF on node 0). mb (no NUMA rule) and ma
# (node 0) have no VF yet; mb comes first in UUID order, but ma has one VF
# on its node where mb has two: ma gets M0, mb M2. In UUID order mb took
# M0, and ma then shared it (numa="0": no other VF takes it) or got M2 on
# node 1 (a numatune on node 0, numa_fallback=true). The next pass writes
# nothing.
test_constrained_first() {
    local rc out M0=0000:05:02.0 M1=0000:26:02.0 M2=0000:85:02.0 M3=0000:a6:02.0 n v
    local how=$1
    keeper_stop
    for v in "mc 61 $M1" "md 62 $M3"; do
        named_domain $v
    done
    gpu_domain mb 70 'gpu="MI300X"'
    if [ "$how" = numa ]; then
        gpu_domain ma 71 'gpu="MI300X" numa="0"'
    else
        lv_domain_xml ma "$(du 71)" --no-hostdev "uuid=\"$(u 71)\" gpu=\"MI300X\"" |
            sed "s|</memtune>|</memtune><numatune><memory mode='strict' nodeset='0'/></numatune>|" \
            > "$LV_WORK/ma.xml"
        lv_virsh define "$LV_WORK/ma.xml" > /dev/null
    fi
    keeper_once
    t_eq "constrained first ($how): --once exit 0; ma (node 0) on M0, mb on M2, mc and md kept" \
        "0:$M0 $M2 $M1 $M3" \
        "$rc:$(vf_addr ma "$(u 71)") $(vf_addr mb "$(u 70)") $(vf_addr mc "$(u 61)") $(vf_addr md "$(u 62)")"
    out=$(lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once 2>&1)
    t_eq "constrained first ($how): settled, the next pass writes nothing" \
        "0:0 redefinition(s), 0 domain(s) failed" "$?:$(grep -v '^vgpu-keeper' <<< "$out")"
    for n in ma mb mc md; do lv_virsh undefine "$n" > /dev/null; done
}
test_constrained_numa() { test_constrained_first numa; }
test_constrained_numatune() { test_constrained_first numatune; }

test_failed_write_mb_after() { test_failed_write_keeps_vf 64; }
test_failed_write_mb_before() { test_failed_write_keeps_vf 60; }

# Three domains wanting one VF each, two VFs: distinct while they can; two
# start; the third is re-pointed when one of them stops, and starts; a VF
# taken by hand (a domain without our metadata whose hand-written hostdev
# names it starts) gets the stopped domain that named it re-pointed.
start_ok() {
    local out
    out=$(lv_virsh start "$1" 2>&1)
    t_eq "$1 starts" "0:running" "$?:$(state "$1")"
    [ "$(state "$1")" = running ] || echo "# $out"
}
stuck_lines() { keeper_log | grep -c "domain '$1': vGPU $2 (S7150): no VF on this host can take it now"; }
test_running() {
    local a b p
    keeper_start --recheck 0
    t_ok "keeper connected" wait_for 30 connected
    gpu_domain ra 21
    wait_for 30 has_vf ra "$(u 21)"
    gpu_domain rb 22
    wait_for 30 has_vf rb "$(u 22)"
    gpu_domain rc 23
    wait_for 30 has_vf rc "$(u 23)"
    a=$(vf_addr ra "$(u 21)")
    b=$(vf_addr rb "$(u 22)")
    t_eq "ra and rb name the two VFs" "$S1 $S2" "$a $b"
    t_eq "rc names ra's (none is free; pack: the first)" "$S1" "$(vf_addr rc "$(u 23)")"
    # rb first: rc keeps sharing ra's VF (ra keeps it: the earlier UUID),
    # nothing is free; then ra takes it.
    step "rb, then ra start"
    start_ok rb
    start_ok ra
    t_ok "rc: no VF can take it now: one warning line naming the holder" \
        wait_for 30 eval '[ "$(stuck_lines rc "$(u 23)")" -ge 1 ]'
    t_log "the warning" \
        "domain 'rc': vGPU $(u 23) \(S7150\): no VF on this host can take it now \(VF $S1 is held by running domain 'ra'\); it stays on $S1"
    t_eq "rc left as it is" "$S1" "$(vf_addr rc "$(u 23)")"
    t_eq "the running domains' definitions untouched" "$S1 $S2" "$(vf_addr ra "$(u 21)") $(vf_addr rb "$(u 22)")"
    step "rb stops"
    lv_virsh destroy rb > /dev/null
    t_ok "rc is re-pointed at rb's VF (free now)" wait_for 30 vf_is rc "$(u 23)" "$S2"
    t_log "logged with its reason" \
        "domain 'rc': vGPU $(u 23) \(S7150\) now uses VF $S2, not $S1: VF $S1 is held by running domain 'ra'; no VF is free, VF $S2 is named by a stopped domain too \([^)]*event: domain 'rb' stopped[^)]*\)"
    t_ok "syslog has every line sent so far" lv_syslog_settle
    t_eq "the warning was said once, not at every event" 1 "$(stuck_lines rc "$(u 23)")"
    step "rc starts"
    start_ok rc
    step "ra stops: rb (its VF held by rc) gets ra's"
    lv_virsh destroy ra > /dev/null
    t_ok "rb is re-pointed at $S1" wait_for 30 vf_is rb "$(u 22)" "$S1"
    start_ok rb
    lv_virsh destroy rb > /dev/null
    lv_virsh destroy rc > /dev/null
    for d in ra rb rc; do lv_virsh undefine "$d" > /dev/null; done

    step "a VF taken by hand: a domain without metadata whose hostdev names rd's VF starts"
    gpu_domain rd 24
    wait_for 30 has_vf rd "$(u 24)"
    t_eq "rd names $S1" "$S1" "$(vf_addr rd "$(u 24)")"
    hand_domain rh 25 "$S1"
    # A full pass that sees rh (a fixed sleep passed before the keeper looked).
    p=$(status_key passes)
    kill -HUP "$KPID"
    t_ok "a pass ran with rh defined" wait_for 30 passes_above "$p"
    # Two stopped domains naming one VF while another is free: rd moves.
    t_eq "a stopped hand-written hostdev naming rd's VF, $S2 free: rd moves there" "$S2" "$(vf_addr rd "$(u 24)")"
    t_log "logged: the other stopped domain names it" \
        "domain 'rd': vGPU $(u 24) \(S7150\) now uses VF $S2, not $S1: stopped domain 'rh' names VF $S1 in a hostdev of its own"
    start_ok rh
    t_eq "rh starts on $S1; rd stays on $S2" "$S2" "$(vf_addr rd "$(u 24)")"
    t_eq "rh untouched: no alias added" 0 "$(inactive rh | grep -c 'ua-vgpu')"
    step "rh's live metadata made invalid (virsh metadata --live): its VF stays held"
    lv_virsh metadata rh --uri urn:vgpu-hook:1 --key vgpu --live \
        --set '<vgpu><device uuid="bad" profile="../x"/></vgpu>' > /dev/null
    gpu_domain rf 26
    t_ok "rf gets a VF" wait_for 30 has_vf rf "$(u 26)"
    t_eq "rf: rd's VF (shared), not the one running rh holds" "$S2" "$(vf_addr rf "$(u 26)")"
    lv_virsh undefine rf > /dev/null
    start_ok rd
    lv_virsh destroy rd > /dev/null
    lv_virsh destroy rh > /dev/null
    for d in rd rh; do lv_virsh undefine "$d" > /dev/null; done
    keeper_stop
}

# --once points a domain's request at a VF and exits; valgrind-clean.
test_once() {
    local out plain=${BPLAIN:-$TOP/build/plain}/keeper/vgpu-keeper
    keeper_stop
    gpu_domain vw 11
    if command -v valgrind > /dev/null && [ -x "$plain" ]; then
        out=$(lv_ns timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$plain" -c qemu:///system --once 2>&1)
        t_eq "valgrind: a --once pass with a whole-VF request (plain build) is clean" 0 "$?"
    else
        out=$(lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once 2>&1)
        t_eq "--once: exit 0 (no valgrind here)" 0 "$?"
    fi
    t_eq "--once: says what it changed" \
        "domain 'vw': vGPU $(u 11) (S7150) now uses VF $S1: it had no VF|1 redefinition(s), 0 domain(s) failed" \
        "$(tr '\n' '|' <<< "$out" | sed 's/|$//')"
    t_eq "--once: the definition has it" "$S1 yes" "$(vf_of_alias vw "$(u 11)")"
    out=$(lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once 2>&1)
    t_eq "--once again: nothing to change" "0:0 redefinition(s), 0 domain(s) failed" "$?:$out"
    lv_virsh undefine vw > /dev/null
}

# vendor-specific VFs (a40x2-vfio): a type written into a VF by hand
# raises no event; the periodic check re-points the stopped domain.
test_hand_type() {
    keeper_start --recheck 1
    t_ok "keeper connected" wait_for 30 connected
    gpu_domain vn 7 'profile="A40-2Q"'
    t_ok "vn gets a VF" wait_for 30 has_vf vn "$(u 7)"
    t_eq "vn: a managed='no' hostdev for the first VF (pack)" "0000:67:00.4 no" "$(vf_of_alias vn "$(u 7)")"
    gpu_domain vo 8 'profile="A40-2Q"'
    t_ok "vo gets a VF" wait_for 30 has_vf vo "$(u 8)"
    t_eq "vo: another VF of the same GPU" "0000:67:00.5 no" "$(vf_of_alias vo "$(u 8)")"
    step "a type written by hand into vn's VF"
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    t_ok "vn is re-pointed by the periodic check" wait_for 30 eval '! vf_is vn "$(u 7)" 0000:67:00.4'
    t_eq "vn: the next free VF of that GPU, not vo's" "0000:67:00.6 no" "$(vf_of_alias vn "$(u 7)")"
    # Our own redefinition of vo raises one more event, whose pass may see
    # the type first; the periodic check catches it otherwise. A scan that
    # meets the write half-way (no creatable type left, no type yet: seen
    # once on a loaded machine) says the VF cannot take it now instead.
    t_log "logged with its reason" \
        "domain 'vn': vGPU $(u 7) \(A40-2Q\) now uses VF 0000:67:00.6, not 0000:67:00.4: VF 0000:67:00.4 (has vGPU type nvidia-558, set outside vgpu-hook|cannot take A40-2Q now \(its GPU holds vGPUs of another size, or is full\)) \([^)]*(periodic check|event: domain 'vo' defined)[^)]*\)"
    step "a type of another size on vo's GPU: vo moves to the other GPU"
    printf 0 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    printf 560 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    t_ok "vo and vn leave the GPU that now holds another size" \
        wait_for 30 eval '[[ $(vf_addr vo "$(u 8)") == 0000:e8:* && $(vf_addr vn "$(u 7)") == 0000:e8:* ]]'
    t_ok "on distinct VFs" test "$(vf_addr vo "$(u 8)")" != "$(vf_addr vn "$(u 7)")"
    t_log "found by the periodic check (no event)" \
        "domain 'vo': vGPU $(u 8) \(A40-2Q\) now uses VF 0000:e8:00\.[0-9a-f], not 0000:67:00.5: VF 0000:67:00.5 cannot take A40-2Q now .*\(periodic check\)"
    keeper_stop
}

# A release that runs while the keeper reads the host (the hook program
# run by hand: libvirt 9.0 starts no NVIDIA VF domain): the type it clears
# and the record it drops are read consistently, and the stopped domain
# keeps its VF.
test_release_while_read() {
    local rc v
    keeper_stop
    gpu_domain vy 15 'profile="A40-2Q"'
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once > /dev/null 2>&1
    v=$(vf_addr vy "$(u 15)")
    t_match "vy gets a VF" "^0000:(67|e8):" "$v"
    inactive vy > "$LV_WORK/vy.now.xml"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vy prepare begin - < '$LV_WORK/vy.now.xml'" > /dev/null 2>&1
    t_eq "the hook's prepare set its type" 558 \
        "$(tr -dc 0-9 < "$SIM_ROOT/bus/pci/devices/$v/nvidia/current_vgpu_type")"
    keeper_start VGPU_TEST_PAUSE_AT=vfkeep-host-read --once
    t_ok "the keeper stopped after reading the host" \
        wait_for 30 keeper_paused
    step "the hook's release meanwhile"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vy release end - < '$LV_WORK/vy.now.xml'" > /dev/null 2>&1
    t_eq "the release cleared the type" 0 \
        "$(tr -dc 0-9 < "$SIM_ROOT/bus/pci/devices/$v/nvidia/current_vgpu_type")"
    : > "$LV_WORK/vgpu-keeper.log"
    kill -CONT "$KPID"
    wait "$KPID"
    rc=$?
    KPID=
    t_eq "--once: nothing changed" "0:0 redefinition(s), 0 domain(s) failed" \
        "$rc:$(grep -v '^vgpu-keeper' "$LV_WORK/vgpu-keeper.log")"
    t_eq "vy keeps its VF" "$v" "$(vf_addr vy "$(u 15)")"
    lv_virsh undefine vy > /dev/null
}

# Twenty domains asking for A40-2Q on a vendor-specific host: one
# redefinition each, each its own VF, then none on a full pass.
test_many() {
    local r p vfs
    keeper_start --recheck 0
    t_ok "keeper connected" wait_for 30 connected
    r=$(status_key redefinitions)
    for i in $(seq 20 39); do gpu_domain "vm$i" "$i" 'profile="A40-2Q"'; done
    # return, not exit: t_ok runs wait_for in a subshell, which an exit
    # would end at the first look, before the keeper had written them all.
    all_twenty() { local i; for i in $(seq 20 39); do has_vf "vm$i" "$(u "$i")" || return 1; done; }
    t_ok "all twenty get a VF" wait_for 60 all_twenty
    # The events of the last definitions handled (a fixed sleep did not wait for them).
    p=$(status_key passes)
    kill -HUP "$KPID"
    t_ok "a full pass ran after them" wait_for 30 passes_above "$p"
    t_eq "one redefinition each" 20 "$(($(status_key redefinitions) - r))"
    vfs=$(for i in $(seq 20 39); do vf_addr "vm$i" "$(u "$i")"; done | sort -u | wc -l)
    t_eq "twenty distinct VFs" 20 "$vfs"
    r=$(status_key redefinitions)
    p=$(status_key passes)
    kill -HUP "$KPID"
    t_ok "a full pass ran" wait_for 30 passes_above "$p"
    t_eq "0 redefinitions once settled" "$r" "$(status_key redefinitions)"
    for i in $(seq 20 39); do lv_virsh undefine "vm$i" > /dev/null; done
    keeper_stop
}

if lv_start s7150-2vf "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    run_test test_start_while_down
    run_test test_steady
    run_test test_hand_hostdev_stopped
    run_test test_kill_mid_write
    run_test test_once
    run_test test_concurrent_edit
    run_test test_define_refused
    run_test test_compare_read_fails
    run_test test_read_fails
    run_test test_gone_meanwhile
    run_test test_running
    keeper_stop
    lv_stop
else
    t_fail "libvirtd up in the namespace (s7150-2vf)" "see the log above"
fi
if lv_start a40x2-vfio; then
    run_test test_hand_type
    run_test test_many
    run_test test_release_while_read
    lv_stop
else
    t_fail "libvirtd up in the namespace (a40x2-vfio)" "see the log above"
fi
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    run_test test_failed_write_mb_after
    run_test test_failed_write_mb_before
    run_test test_failed_write_chain
    run_test test_constrained_numa
    run_test test_constrained_numatune
    lv_stop
else
    t_fail "libvirtd up in the namespace (mi300x-4)" "see the log above"
fi
t_done
