#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpu-keeper with NVIDIA vendor-specific VF domains that really run: under
# Debian 13's libvirt 11.3 (the root of tests/e2e/test-libvirt-trixie.sh;
# Debian 12's 9.0 refuses such a VF, so tests/e2e/test-keeper-vf.sh proves
# the NVIDIA same-size rule only with types written by hand). The keeper
# of this tree's plain build (built on Debian 12) runs in the root, as the
# hook does, against the simulator's a40x2-vfio host (two A40s, 32 VFs
# each: one GPU can hold A40-4Q while the other takes the A40-2Q ones).
#
# Proof, per root (Debian 13, then Debian 12 + bookworm-backports, both
# libvirt 11.3): metadata-only `virsh define` of two A40-2Q requests gets
# each a distinct VF hostdev within a bounded wait; an A40-4Q domain started
# on the GPU they name (virsh create, then made persistent while it runs)
# makes the keeper re-point both to the other GPU (its STARTED event), where
# they start with the type on their VFs; when the A40-4Q domain stops and
# is undefined nothing flips back (0 redefinitions, the keeper's status
# counter); the running domains' definitions are never touched; a stopped
# A40-4Q domain earlier in UUID order keeps the VF it names and moves them
# back; `virsh metadata --config --set` alone gets a VF. Figures printed:
# define to hostdev, redefinitions, the events libvirt raised.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export TOP
unset VGPU_HOOK_CONF
# The plain build: the roots lack gcc 12's sanitizer runtime.
B=$TOP/build/plain
. "$TOP/tests/e2e/libvirt-env.sh"
. "$TOP/tests/e2e/keeper-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    t_skip "keeper under Debian 13's libvirt" "needs root (debootstrap, namespaces)"
    t_done
    exit 0
fi
lv_debian_root trixie || { t_done; exit 1; }
export LV_ROOT=$LV_DEBIAN_ROOT

lv_tier_begin "keeper under Debian 13's libvirt"
[ -x "$B/keeper/vgpu-keeper" ] || { t_fail "keeper trixie tier" "$B/keeper/vgpu-keeper not built"; t_done; exit 1; }
EVPID=
trap '[ -n "$EVPID" ] && kill -TERM "$EVPID" 2>/dev/null; keeper_stop; lv_tier_finish' EXIT

G2Q=558     # nvidia-558 is A40-2Q, nvidia-560 A40-4Q (tests/sim/README.md)
G4Q=560
redefs() { status_key redefinitions; }
# full_pass: SIGHUP, until the keeper's pass count moves (events raised
# before are then handled: one event loop, in order)
full_pass() {
    local p
    p=$(status_key passes)
    kill -HUP "$KPID"
    wait_for 30 passes_above "$p"
}
on_gpu() { [[ $(vf_addr "$1" "$2") == "$3".* ]]; }
step_defs() { for d in v2q1 v2q2 v4q; do inactive "$d" | md5sum; done | tr -d ' \n-'; }
# redefined_ms NAME: from libvirt's "Defined Added" event of NAME to the
# next "Defined Updated" (the keeper's redefinition), by libvirt's clock
redefined_ms() {
    awk -v d="for domain '$1': " '
        function ms(t, a) { split(t, a, /[:+]/); return (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }
        index($0, d "Defined Added") { t0 = ms($2) }
        index($0, d "Defined Updated") && t0 != "" { printf "%d", ms($2) - t0; exit }' "$LV_WORK/events.log"
}
start_ok() {
    local err
    err=$(lv_virsh start "$1" 2>&1 >/dev/null)
    t_eq "$R: $1 starts" "running" "$(state "$1")${err:+ ($err)}"
}

# prove LABEL: everything below against the daemon of LV_ROOT.
prove() {
    local R=$1 version r0 r1 r2 r3 VP n t0 a1 a2 b1 b2 VX err live4 def4 before out
    lv_log "$R root: $LV_ROOT"
    if ! lv_start a40x2-vfio; then
        t_fail "$R: libvirtd up in the namespace (a40x2-vfio)" "see the log above"
        lv_dump_logs
        lv_stop
        return 1
    fi
    version=$(sed -n 's/.*: info : libvirt version: \([0-9.]*\),.*/\1/p' "$LV_WORK/libvirtd.log" | head -n 1)
    t_match "$R: the daemon is libvirt $version, >= 9.7 (it runs vendor-specific VFs)" \
        '^(9\.([7-9]|[1-9][0-9])|[1-9][0-9]+\.[0-9]+)\.' "$version"
    t_eq "$R: the bookworm-built vgpu-keeper finds every library it links in the root" "" \
        "$(lv_ns ldd "$LV_B/keeper/vgpu-keeper" 2>&1 | grep -e 'not found' -e 'version .* not found')"
    lv_log "libvirtd $version; the keeper links $(lv_ns ldd "$LV_B/keeper/vgpu-keeper" | grep -o 'libvirt.so.0 => [^ ]*') ($(lv_ns dpkg-query -W -f '${Package} ${Version}' libvirt0))"

    keeper_start --recheck 0
    t_ok "$R: the keeper connects to libvirtd $version" wait_for 30 connected
    # What libvirt raises meanwhile, as any client sees it (for the figures).
    (cd / && exec nsenter -m -t "$LV_KEEPER" -- virsh -q -c qemu:///system event --all --loop --timestamp \
        > "$LV_WORK/events.log" 2>&1 < /dev/null) &
    EVPID=$!
    # Once a domain without our metadata comes and goes the recorder listens.
    lv_domain_xml vplain "$(du 9)" > "$LV_WORK/vplain.xml"
    lv_virsh define "$LV_WORK/vplain.xml" > /dev/null
    lv_virsh undefine vplain > /dev/null
    t_ok "$R: the event recorder listens" wait_for 30 grep -q "domain 'vplain': Undefined" "$LV_WORK/events.log"
    r0=$(redefs)

    # Two stopped domains wanting A40-2Q, metadata only.
    GPU_A=0000:67:00   # pack: the first GPU the host lists
    GPU_B=0000:e8:00
    for n in 1 2; do
        lv_domain_xml "v2q$n" "$(du $n)" --no-hostdev "uuid=\"$(u $n)\" profile=\"A40-2Q\"" > "$LV_WORK/v2q$n.xml"
        lv_virsh define "$LV_WORK/v2q$n.xml" > /dev/null
        t0=$(now_ms)
        if wait_for 10 has_vf "v2q$n" "$(u $n)"; then
            t_pass "$R: v2q$n: the keeper adds its VF hostdev within 10 s of virsh define"
            lv_log "figure: v2q$n define -> hostdev in the definition: $(( $(now_ms) - t0 )) ms (50 ms polls, each a virsh dumpxml)"
        else
            t_fail "$R: v2q$n: the keeper adds its VF hostdev within 10 s of virsh define" "$(inactive "v2q$n" | grep -c hostdev) hostdevs"
        fi
    done
    a1=$(vf_addr v2q1 "$(u 1)")
    a2=$(vf_addr v2q2 "$(u 2)")
    t_match "$R: v2q1: managed='no', on the first GPU (pack)" "^$GPU_A\.[0-9a-f] no$" "$(vf_of_alias v2q1 "$(u 1)")"
    t_match "$R: v2q2: the same GPU (pack), a distinct VF" "^$GPU_A\.[0-9a-f] no$" "$(vf_of_alias v2q2 "$(u 2)")"
    t_no "$R: the two stopped domains name distinct VFs" test "$a1" = "$a2"
    t_eq "$R: one redefinition each" 2 "$(( $(redefs) - r0 ))"

    # An A40-4Q domain on a third VF of that GPU, started as transient (the
    # user's own hostdev with our alias): the hook types the VF at prepare.
    VX=$GPU_A.6
    [ "$VX" = "$a1" ] || [ "$VX" = "$a2" ] && VX=$GPU_A.7
    lv_domain_xml v4q "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" profile=\"A40-4Q\"" |
        sed "s|</devices>|$(vf_hostdev "$(u 3)" "$VX" no | tr -d '\n')</devices>|" > "$LV_WORK/v4q.xml"
    r1=$(redefs)
    err=$(lv_virsh create "$LV_WORK/v4q.xml" 2>&1 >/dev/null)
    t_eq "$R: v4q (A40-4Q on $VX) runs, the type on its VF" "running:$G4Q" "$(state v4q):$(cur "$VX")${err:+ ($err)}"
    t_ok "$R: v2q1 leaves the GPU that now holds A40-4Q" wait_for 30 on_gpu v2q1 "$(u 1)" "$GPU_B"
    t_ok "$R: v2q2 too" wait_for 30 on_gpu v2q2 "$(u 2)" "$GPU_B"
    b1=$(vf_addr v2q1 "$(u 1)")
    b2=$(vf_addr v2q2 "$(u 2)")
    t_no "$R: on distinct VFs of the other GPU" test "$b1" = "$b2"
    t_eq "$R: two redefinitions for it" 2 "$(( $(redefs) - r1 ))"
    t_log "$R: logged with the same-size reason and the event" \
        "domain 'v2q1': vGPU $(u 1) \(A40-2Q\) now uses VF $b1, not $a1: VF $a1 cannot take A40-2Q now \(its GPU holds vGPUs of another size, or is full\) \([^)]*event: domain 'v4q' started[^)]*\)"
    live4=$(lv_virsh dumpxml v4q 2>/dev/null | md5sum)

    # The running domain made persistent (its DEFINED event arrives while it runs).
    lv_virsh define "$LV_WORK/v4q.xml" > /dev/null
    def4=$(inactive v4q | md5sum)
    t_ok "$R: a full pass (SIGHUP) ran" full_pass
    t_eq "$R: v4q is persistent now and still names $VX" "yes:$VX" \
        "$(lv_virsh dominfo v4q | sed -n 's/^Persistent: *//p'):$(vf_addr v4q "$(u 3)")"

    r2=$(redefs)
    before=$(step_defs)
    start_ok v2q1
    start_ok v2q2
    t_eq "$R: their types are on their VFs; v4q's is untouched" "$G2Q:$G2Q:$G4Q" "$(cur "$b1"):$(cur "$b2"):$(cur "$VX")"
    t_ok "$R: a full pass with all three running" full_pass
    t_eq "$R: the running domains' definitions are untouched" "$before" "$(step_defs)"
    t_eq "$R: v4q's live XML is untouched" "$live4" "$(lv_virsh dumpxml v4q 2>/dev/null | md5sum)"
    t_eq "$R: v4q's definition is the one defined" "$def4" "$(inactive v4q | md5sum)"

    # v2q1 and v2q2 stop, then v4q: its GPU takes A40-2Q again, but nothing
    # needs to move, so nothing does.
    for d in v2q1 v2q2 v4q; do LV_TIMEOUT=30 lv_virsh destroy "$d" > /dev/null 2>&1; done
    t_eq "$R: all three stopped; the types cleared" "shut off:shut off:shut off:0:0:0" \
        "$(state v2q1):$(state v2q2):$(state v4q):$(cur "$b1"):$(cur "$b2"):$(cur "$VX")"
    sleep 1
    t_ok "$R: a full pass after the stops" full_pass
    t_eq "$R: 0 redefinitions since they started (status counter)" 0 "$(( $(redefs) - r2 ))"
    t_eq "$R: v2q1, v2q2, v4q name what they named" "$b1 $b2 $VX" \
        "$(vf_addr v2q1 "$(u 1)") $(vf_addr v2q2 "$(u 2)") $(vf_addr v4q "$(u 3)")"
    lv_virsh undefine v4q > /dev/null
    sleep 1
    t_ok "$R: a full pass with v4q gone (its GPU empty)" full_pass
    t_eq "$R: still 0 redefinitions: nothing flips back" 0 "$(( $(redefs) - r2 ))"
    t_eq "$R: v2q1 and v2q2 stay on the other GPU" "$b1 $b2" "$(vf_addr v2q1 "$(u 1)") $(vf_addr v2q2 "$(u 2)")"
    out=$(lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once --dry-run 2>/dev/null)
    t_eq "$R: --once --dry-run: nothing would change" "0:0 redefinition(s), 0 domain(s) failed" "$?:$out"
    start_ok v2q1
    t_eq "$R: v2q1 runs on $b1 with its type" "$G2Q" "$(cur "$b1")"
    LV_TIMEOUT=30 lv_virsh destroy v2q1 > /dev/null 2>&1

    # A stopped A40-4Q domain earlier in UUID order whose own hostdev names
    # a VF of the GPU they sit on keeps it (the same-size rule among
    # stopped domains): they move back to the first GPU, and all three run.
    VP=$GPU_B.6
    lv_domain_xml v4p "$(du 0)" --no-hostdev "uuid=\"$(u 10)\" profile=\"A40-4Q\"" |
        sed "s|</devices>|$(vf_hostdev "$(u 10)" "$VP" no | tr -d '\n')</devices>|" > "$LV_WORK/v4p.xml"
    r3=$(redefs)
    lv_virsh define "$LV_WORK/v4p.xml" > /dev/null
    t_ok "$R: a stopped A40-4Q domain on their GPU: v2q1 moves to the first GPU" wait_for 30 on_gpu v2q1 "$(u 1)" "$GPU_A"
    t_ok "$R: v2q2 too" wait_for 30 on_gpu v2q2 "$(u 2)" "$GPU_A"
    t_eq "$R: v4p keeps the VF it names; two redefinitions" "$VP:2" "$(vf_addr v4p "$(u 10)"):$(( $(redefs) - r3 ))"
    start_ok v4p
    start_ok v2q1
    start_ok v2q2
    t_eq "$R: A40-4Q on $VP, A40-2Q on the v2q VFs" "$G4Q:$G2Q:$G2Q" \
        "$(cur "$VP"):$(cur "$(vf_addr v2q1 "$(u 1)")"):$(cur "$(vf_addr v2q2 "$(u 2)")")"
    for d in v2q1 v2q2 v4p; do LV_TIMEOUT=30 lv_virsh destroy "$d" > /dev/null 2>&1; done
    sleep 1
    t_ok "$R: a full pass after they stop" full_pass
    t_eq "$R: 0 redefinitions since v4p was defined and kept" 2 "$(( $(redefs) - r3 ))"

    # Metadata set on an existing stopped domain (virsh metadata --config).
    lv_domain_xml vmeta "$(du 4)" > "$LV_WORK/vmeta.xml"
    lv_virsh define "$LV_WORK/vmeta.xml" > /dev/null
    # Its DEFINED event handled first: the metadata change alone must do it.
    t_ok "$R: a full pass over vmeta without metadata" full_pass
    lv_virsh metadata vmeta --config --uri urn:vgpu-hook:1 --key vgpu \
        --set "<vgpu><device uuid=\"$(u 4)\" profile=\"A40-2Q\"/></vgpu>" > /dev/null
    t_ok "$R: virsh metadata --config --set: the keeper adds a VF hostdev" wait_for 10 has_vf vmeta "$(u 4)"
    start_ok vmeta
    LV_TIMEOUT=30 lv_virsh destroy vmeta > /dev/null 2>&1
    lv_virsh undefine vmeta > /dev/null

    lv_log "figure: $(( $(redefs) - r0 )) redefinitions in all (2 + 1 to add, 2 + 2 to re-point), $(status_key passes) full passes"
    lv_syslog_settle
    lv_log "what the keeper logged (the events it acted on):"
    keeper_log | sed 's/^/#   /'
    # syslog priorities: LOG_DAEMON (24) + 0..4, emergency to warning
    t_eq "$R: the keeper logged no error or warning" "" "$(keeper_log | grep -E '^<2[4-8]>')"
    kill -TERM "$EVPID" 2>/dev/null
    wait "$EVPID" 2>/dev/null
    lv_log "the events libvirtd $version raised (virsh event --all):"
    sed 's/^/#   /' "$LV_WORK/events.log"
    lv_log "figure: libvirt $version, virsh define to the keeper's redefinition (event timestamps): v2q1 $(redefined_ms v2q1) ms, v2q2 $(redefined_ms v2q2) ms"
    keeper_stop
    lv_stop
    t_eq "$R: nothing left in the namespace" "" "$LV_LEFTOVER"
}

prove "Debian 13"
# Debian 12 with libvirt from bookworm-backports (INSTALL.md's way to a
# libvirt that runs these VFs on Debian 12).
if lv_debian_root bookworm-backports; then
    LV_ROOT=$LV_DEBIAN_ROOT
    lv_setup && prove "Debian 12 + bookworm-backports"
fi
t_done
