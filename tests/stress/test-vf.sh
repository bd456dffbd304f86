#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Whole VFs under load and under SIGKILL (issue 13), on a40x2-vfio (NVIDIA
# vendor-specific, 64 VFs), h100x2-vfio-mig (the same with MIG) and
# mi300x-4 (plain VFs): the real hook program.
#   - 72 domains start at once, each naming one VF by its hostdev; eight
#     VFs are named twice. Exactly 64 may start, no VF may hold two vGPUs
#     (in sysfs or in the ledgers), every refusal is one line naming the
#     holder; then all release at once and the host is empty.
#   - SIGKILL at every crash point of prepare and release (test builds),
#     and at random moments of a batch; then the next call leaves nothing
#     leaked (a type or record nobody owns) or lost (a running domain's).
# STRESS=quick: one batch of 72 and the step kills; STRESS=full: 4 batches.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/stress/stresslib.sh"

vfs_of() { local d; for d in "$SIM_ROOT"/bus/pci/devices/*; do [ -e "$d/nvidia/current_vgpu_type" ] && basename "$d"; done; }
typed() { cat "$SIM_ROOT/vgpu-sim/vfs" | wc -l; }
# mkvf NAME VF ATTRS: one whole-VF request tied to VF by alias
mkvf() {
    local name=$1 vf=$2 a=$3 uuid
    SEQ=$((SEQ + 1))
    DUUID[$name]=$(printf 'dddddddd-%04x-4000-8000-%012x' $((SEQ >> 16 & 0xffff)) "$SEQ")
    SEQ=$((SEQ + 1))
    uuid=$(printf '00000000-%04x-4000-8000-%012x' $((SEQ >> 16 & 0xffff)) "$SEQ")
    DEVS[$name]=$uuid
    { printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n  <metadata>\n    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n      <vgpu:device uuid=\"%s\" %s/>\n    </vgpu:vgpu>\n  </metadata>\n  <devices>\n" \
        "$name" "${DUUID[$name]}" "$uuid" "$a"
      vf_hostdev "$uuid" "$vf"
      printf "  </devices>\n</domain>\n"; } > "$WORK/x/$name.xml"
}
# Ledger parents with more than one record, and records per VF.
ledger_parents() { ledger_records | awk '{ print $3 }' | sort; }

test_concurrent_starts() {
    local rounds=1 r i n vf ok refused unclear double
    full && rounds=4
    for r in $(seq 1 "$rounds"); do
        fresh a40x2-vfio || return
        mapfile -t VFS < <(vfs_of | sort)
        t_eq "round $r: 64 VFs" 64 "${#VFS[@]}"
        local -a names=()
        for i in $(seq 0 71); do
            n="v$r-$i"; vf=${VFS[$(( (i * 37 + r) % 64 ))]}
            [ "$i" -ge 64 ] && vf=${VFS[$(( ((i - 64) * 8 * 37 + r) % 64 ))]}
            mkvf "$n" "$vf" 'profile="A40-1Q"'
            names+=("$n")
        done
        run_batch prepare begin "${names[@]}"
        ok=0 refused=0 unclear=0
        for n in "${names[@]}"; do
            if [ "${RC1[$n]}" = 0 ] && [ -z "${ERR1[$n]}" ]; then ok=$((ok + 1))
            elif [ "$(printf '%s\n' "${ERR1[$n]}" | wc -l)" = 1 ] &&
                 [[ ${ERR1[$n]} == "vgpu-hook: domain '$n': vGPU device 0: VF "*" is taken by domain 'v$r-"*"'; run 'vgpuctl sync $n'"* ]]; then
                refused=$((refused + 1))
            else unclear=$((unclear + 1)); echo "# $n: rc ${RC1[$n]}: ${ERR1[$n]}"; fi
        done
        double=$(ledger_parents | uniq -d | wc -l)
        t_eq "round $r: 72 starts on 64 VFs: exactly 64 placed, 8 refused naming the holder" "64 8 0" "$ok $refused $unclear"
        t_eq "round $r: 64 VFs hold a vGPU, each nvidia-557" "64 64" "$(typed) $(grep -c ' nvidia-557 ' "$SIM_ROOT/vgpu-sim/vfs")"
        t_eq "round $r: no VF in two ledgers, 64 records" "0 64" "$double $(ledger_records | wc -l)"
        t_eq "round $r: ledgers and sysfs name the same VFs" "$(ledger_parents | paste -sd' ')" \
            "$(awk '{ print $1 }' "$SIM_ROOT/vgpu-sim/vfs" | sort | paste -sd' ')"
        figure "vf_batch_${r}_placed" "$ok"
        run_batch release end "${names[@]}"
        t_eq "round $r: all released at once: no type, no ledger" "0 0" "$(typed) $(ledgers)"
    done
}

# MIG in the vendor-specific mode (h100x2-vfio-mig: seven 1g.10gb on
# 41:00.0, 3g.40gb + 4g.40gb on c1:00.0): 32 domains at once, one per VF,
# asking for H100-1-10C, -3-40C or -4-40C. No GPU instance may serve two
# vGPUs, each GPU's typed VFs match its GPU instances in use, a size is
# refused only when its GPU has none of it left, every refusal is one line
# naming what the GPU has; then all release and every instance is free.
gi_used() { sed -n "/^$1 /,/^0000/p" "$SIM_ROOT/vgpu-sim/mig" | grep -c " gi [0-9]* $2 0000:"; }
gi_free() { sed -n "/^$1 /,/^0000/p" "$SIM_ROOT/vgpu-sim/mig" | grep -c " gi [0-9]* $2 free"; }
test_mig_concurrent() {
    local rounds=2 r i n vf p ok unclear false
    local -a profs=(H100-1-10C H100-1-10C H100-3-40C H100-4-40C)
    local -A SIZE=([H100-1-10C]=1g.10gb [H100-3-40C]=3g.40gb [H100-4-40C]=4g.40gb)
    full && rounds=8
    for r in $(seq 1 "$rounds"); do
        fresh h100x2-vfio-mig || return
        mapfile -t VFS < <(vfs_of | sort)
        local -a names=()
        local -A PROF=() VFOF=()
        for i in "${!VFS[@]}"; do
            n="m$r-$i"; p=${profs[RANDOM % ${#profs[@]}]}
            mkvf "$n" "${VFS[$i]}" "profile=\"$p\""
            PROF[$n]=$p; VFOF[$n]=${VFS[$i]%:*}; names+=("$n")
        done
        run_batch prepare begin "${names[@]}"
        ok=0 unclear=0 false=0
        for n in "${names[@]}"; do
            local gpu=${VFOF[$n]}:00.0
            if [ "${RC1[$n]}" = 0 ] && [ -z "${ERR1[$n]}" ]; then ok=$((ok + 1))
            elif one_line "${ERR1[$n]}" &&
                 [[ ${ERR1[$n]} == *"cannot take ${PROF[$n]} now: GPU $gpu has no free ${SIZE[${PROF[$n]}]} GPU instance for ${PROF[$n]} ("* ]]; then
                [ "$(gi_free "$gpu" "${SIZE[${PROF[$n]}]}")" = 0 ] || false=$((false + 1))
            else unclear=$((unclear + 1)); echo "# $n: rc ${RC1[$n]}: ${ERR1[$n]}"; fi
        done
        t_eq "mig round $r: every refusal one line naming the size and what the GPU has; none while its GPU had one" \
            "0 0" "$unclear $false"
        t_eq "mig round $r: typed VFs = GPU instances in use = records ($ok started)" "$ok $ok $ok" \
            "$(typed) $(grep -c ' gi [0-9]* [^ ]* 0000:' "$SIM_ROOT/vgpu-sim/mig") $(ledger_records | wc -l)"
        t_eq "mig round $r: no GPU instance serves two VFs" 0 \
            "$(grep -o ' 0000:[0-9a-f:.]*$' "$SIM_ROOT/vgpu-sim/mig" | sort | uniq -d | wc -l)"
        t_eq "mig round $r: each vGPU on an instance of its size" "" \
            "$(while read -r vf ty st; do case $ty in nvidia-1060) z=1g.10gb;; nvidia-1063) z=3g.40gb;; nvidia-1064) z=4g.40gb;; *) z=?;; esac
                 grep -q " gi [0-9]* $z $vf\$" "$SIM_ROOT/vgpu-sim/mig" || echo "$vf $ty"; done < "$SIM_ROOT/vgpu-sim/vfs")"
        figure "vf_mig_batch_${r}_placed" "$ok"
        run_batch release end "${names[@]}"
        t_eq "mig round $r: all released: no type, no ledger, every GPU instance free" "0 0 0" \
            "$(typed) $(ledgers) $(grep -c ' gi [0-9]* [^ ]* 0000:' "$SIM_ROOT/vgpu-sim/mig")"
    done
}

# kill_at STEP SCEN ATTRS VF CHECK: prepare killed at STEP, then the
# domain's release, which must leave CHECK (the VF's state) and no ledger.
test_step_kills() {
    local step scen
    for scen in a40x2-vfio mi300x-4 h100x2-vfio-mig; do
        for step in prepare-locked prepare-intent prepare-created prepare-done; do
            fresh "$scen" "pci_ids_path=$TOP/tests/sim/pci.ids" remove_retry_delay_ms=20 || return
            case $scen in
            a40x2-vfio) mkvf k 0000:e8:00.4 'profile="A40-2Q"' ;;
            h100x2-vfio-mig) mkvf k 0000:c1:00.4 'profile="H100-3-40C"' ;;
            *) mkvf k 0000:05:02.0 'gpu="MI300X"' ;;
            esac
            VGPU_TEST_STOP_AT=$step "$HOOK" k prepare begin - < "$WORK/x/k.xml" > /dev/null 2>&1
            t_eq "$scen: killed at $step" 137 "$?"
            "$HOOK" k release end - < "$WORK/x/k.xml" > /dev/null 2>&1
            t_eq "$scen: after the kill at $step the release leaves nothing" "0 0 0" "$? $(typed) $(ledgers)"
            VGPU_TEST_STOP_AT=$step "$HOOK" k prepare begin - < "$WORK/x/k.xml" > /dev/null 2>&1
            "$HOOK" k prepare begin - < "$WORK/x/k.xml" > /dev/null 2>&1
            t_eq "$scen: after the kill at $step the next prepare holds the VF once" \
                "0 1" "$? $(ledger_records | wc -l)"
            for s2 in release-removing release-removed; do
                VGPU_TEST_STOP_AT=$s2 "$HOOK" k release end - < "$WORK/x/k.xml" > /dev/null 2>&1
            done
            "$HOOK" k release end - < "$WORK/x/k.xml" > /dev/null 2>&1
            t_eq "$scen: killed in release twice, then released: nothing left" "0 0 0" "$? $(typed) $(ledgers)"
            [ "$scen" = h100x2-vfio-mig ] &&
                t_eq "$scen: after the kills at $step the 3g.40gb is free again" 1 "$(gi_free 0000:c1:00.0 3g.40gb)"
        done
    done
}

# Random SIGKILLs while 24 domains start and stop on a40x2-vfio; then
# every killed domain's release runs (as libvirt does after a failed
# start), and the survivors hold exactly their VFs.
test_random_kills() {
    local i n vf killed=0
    local -a names=()
    fresh a40x2-vfio remove_retry_delay_ms=20 || return
    mapfile -t VFS < <(vfs_of | sort)
    for i in $(seq 0 23); do n="r$i"; mkvf "$n" "${VFS[$((i * 2))]}" 'profile="A40-1Q"'; names+=("$n"); done
    local -a pids=() starts=()
    for n in "${names[@]}"; do
        "$HOOK" "$n" prepare begin - < "$WORK/x/$n.xml" > /dev/null 2> "$WORK/o/$n.err" &
        pids+=($!)
        starts+=("$(proc_start $!)")
    done
    sleep 0.0$((RANDOM % 9 + 1))
    # Random victims, never none (the check would then test no kill).
    local victims=0
    for i in "${!pids[@]}"; do
        if [ $((RANDOM % 3)) -eq 0 ] || { [ "$i" -eq 23 ] && [ $victims -eq 0 ]; }; then
            victims=$((victims + 1))
            # only a hook still running: an exited one's PID may be a stranger's now
            same_proc "${pids[$i]}" "${starts[$i]}" && kill_hard "${pids[$i]}" && killed=$((killed + 1))
        fi
    done
    local landed=0
    for i in "${!pids[@]}"; do wait "${pids[$i]}"; RC1[${names[$i]}]=$?; [ "${RC1[${names[$i]}]}" = 137 ] && landed=$((landed + 1)); done
    figure vf_random_kills "$killed"
    figure vf_random_kills_landed "$landed"
    local up=0
    for n in "${names[@]}"; do
        if [ "${RC1[$n]}" = 0 ]; then up=$((up + 1))
        else "$HOOK" "$n" release end - < "$WORK/x/$n.xml" > /dev/null 2>&1; fi
    done
    t_eq "random kills: the domains that started hold exactly their VFs" "$up $up" "$(typed) $(ledger_records | wc -l)"
    run_batch release end "${names[@]}"
    t_eq "random kills: all released: nothing leaked" "0 0" "$(typed) $(ledgers)"
}

# A gc that died after marking a typed VF "removing": while a gc runs the
# start must not take the VF (that gc would clear the type under it); once
# none runs, the start takes the VF back as its own.
test_gc_died_after_marking() {
    fresh a40x2-vfio || return
    local vf holder i
    vf=$(vfs_of | sort | head -1)
    mkvf gcvf "$vf" 'profile="A40-2Q"'
    timed gcvf prepare begin
    sed -i 's/^state=created$/state=removing/' "$WORK/state/${DUUID[gcvf]}.ledger"
    ( exec 9> "$WORK/state/gc.lock"; flock 9; exec sleep 30 ) &
    holder=$!
    # until it holds gc.lock: 30 s at most (1 s can be too short when loaded)
    for i in $(seq 1 600); do flock -n "$WORK/state/gc.lock" true || break; sleep 0.05; done
    timed gcvf prepare begin
    t_eq "VF marked removing while a gc runs: start refused, type kept for gc" "1 nvidia-558" \
        "$RC nvidia-$(cat "$SIM_ROOT/bus/pci/devices/$vf/nvidia/current_vgpu_type")"
    t_ok "... with one clear line" one_line "$ERR"
    t_match "... saying gc is removing it" "nvidia-vf $vf is being removed by 'vgpuctl gc'" "$ERR"
    kill "$holder"; wait "$holder" 2>/dev/null
    timed gcvf prepare begin
    t_eq "the gc died: the start takes the typed VF back as it is" "0: 558 created" \
        "$RC:$ERR $(cat "$SIM_ROOT/bus/pci/devices/$vf/nvidia/current_vgpu_type") $(cat "$WORK"/state/*.ledger | sed -n 's/^state=//p')"
    timed gcvf release end
    t_eq "... released as usual" "0 0" "$RC $(cat "$SIM_ROOT/bus/pci/devices/$vf/nvidia/current_vgpu_type")"
}

# Reproducible choices (profiles, victims, when): the seed is printed.
RANDOM=${STRESS_SEED:-4242}
figure random_seed "${STRESS_SEED:-4242}"
for t in test_concurrent_starts test_mig_concurrent test_step_kills test_random_kills test_gc_died_after_marking; do
    echo "# $t"
    $t
done
stress_sanitizers
t_done
