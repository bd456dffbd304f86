#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hardening of issue 16, at volume: NVIDIA drivers that remove their own
# mdev (the simulator's self_remove_ms; "the VM let go" is busy -> idle),
# creates whose device appears late, damaged and untrusted ledgers among
# good ones, vgpuctl gc with removes blocked in the driver while domains
# start, and cloned definitions started together. Figures say what was
# injected, how often, and what was left.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/stress/stresslib.sh"

CASES=0 SLOWEST=0
N=$(full && echo 32 || echo 8)

# N releases on a driver that removes its own mdevs, N on one that does not.
test_self_remove() {
    local i v gpu wait_ms writes=0 left=0 t0 sum=0
    for gpu in 0000:e8:00.0 0000:67:00.0; do
        [ $gpu = 0000:e8:00.0 ] && wait_ms=5000 || wait_ms=300
        fresh "$(self_remove_scenario 32 200 plain)" release_wait_ms=$wait_ms || return
        host_maps
        writes=0 sum=0
        for i in $(seq 1 "$N"); do
            v="sr-$gpu-$i"; mkdom "$v" "profile=\"A40-2Q\" parent=\"$gpu\""
            timed "$v" prepare begin
            [ "$RC" = 0 ] || { t_fail "self-remove $gpu: prepare $i" "$ERR"; continue; }
            sim_ctl busy "${DEVS[$v]}"; sim_ctl idle "${DEVS[$v]}"
            sim_ctl reset-stats
            timed "$v" release end
            sum=$((sum + MS))
            writes=$((writes + $(sim_stat remove_stores)))
            [ "$RC" = 0 ] || t_fail "self-remove $gpu: release $i" "$ERR"
        done
        check_host
        left=$((V_LEAK + V_LEDGER))
        mkdom "after-$gpu" "profile=\"A40-2Q\" parent=\"$gpu\""
        timed "after-$gpu" prepare begin
        if [ $gpu = 0000:e8:00.0 ]; then
            figure self_removing_driver_releases "$N"
            figure self_removing_driver_remove_writes "$writes"
            figure self_removing_driver_mean_release_ms "$((sum / N))"
            t_eq "self-removing driver: $N releases, nothing written to remove, nothing left" "0 0" "$writes $left"
            t_eq "self-removing driver: the GPU still works after $N stops" "0:" "$RC:$ERR"
        else
            figure plain_driver_releases "$N"
            figure plain_driver_remove_writes "$writes"
            figure plain_driver_mean_release_ms "$((sum / N))"
            t_eq "driver that leaves it: $N releases, one remove each, nothing left" "$N 0" "$writes $left"
            t_eq "driver that leaves it: the GPU still works" "0:" "$RC:$ERR"
        fi
        timed "after-$gpu" release end
    done
    # What the wait prevents: without it, the first stop breaks the GPU.
    fresh "$(self_remove_scenario 32 200 plain)" release_wait_ms=0 || return
    mkdom nowait 'profile="A40-2Q" parent="0000:e8:00.0"'
    timed nowait prepare begin
    sim_ctl busy "${DEVS[nowait]}"; sim_ctl idle "${DEVS[nowait]}"
    timed nowait release end
    mkdom nowait2 'profile="A40-2Q" parent="0000:e8:00.0"'
    timed nowait2 prepare begin
    figure self_removing_driver_broken_without_wait "$([ "$RC" = 1 ] && echo 1 || echo 0)"
    t_eq "control: release_wait_ms=0 breaks a self-removing driver's GPU" 1 "$RC"
}

# Creates the driver accepts but whose device shows up 300 ms later.
test_late_devices() {
    fresh a40x2-sriov || return
    host_maps
    local i v after=0 before=0 half=$((N / 2))
    sim_ctl fault create_appear_ms 300
    for i in $(seq 1 "$N"); do
        v="late-$i"; mkdom "$v" 'profile="A40-2Q"'
        timed "$v" prepare begin
        [ "$RC" = 1 ] && [[ $ERR == *"did not appear"* ]] ||
            t_fail "late device $i: prepare fails saying so" "$RC $ERR"
        if [ "$i" -le "$half" ]; then
            # the usual order: the device is there by the time of the release
            local k
            # (30 s at most: a release before it appears would be the other case)
            for k in $(seq 1 600); do grep -q "^${DEVS[$v]} " "$SIM_ROOT/vgpu-sim/mdevs" && break; sleep 0.05; done
        fi
        timed "$v" release end
    done
    sleep 0.5   # every late device has appeared now (only the "before" figure depends on it)
    for i in $(seq 1 "$N"); do
        grep -q "^${DEVS[late-$i]} " "$SIM_ROOT/vgpu-sim/mdevs" || continue
        if [ "$i" -le "$half" ]; then after=$((after + 1)); else before=$((before + 1)); fi
    done
    figure late_devices_injected "$N"
    figure late_devices_left_release_after_appearance "$after"
    figure late_devices_left_release_before_appearance "$before"
    t_eq "late devices: none left when the release comes after they appear ($half)" 0 "$after"
    t_eq "late devices: the ledgers are empty" 0 "$(ledgers)"
    sim_ctl fault create_appear_ms 0
}

# N good domains among damaged and untrusted ledgers naming devices.
test_damaged_among_good() {
    fresh a40x2-sriov || return
    host_maps
    local i v bad=0 ok=0 vf kinds
    local -a names=()
    for i in $(seq 1 "$N"); do
        v="good-$i"; mkdom "$v" 'profile="A40-2Q"'; names+=("$v")
    done
    run_batch prepare begin "${names[@]}"
    kinds=("garbage [" "parent=../../etc" "type=/abs" "wrong-domain" "state=gone" "owner" "mode")
    for i in "${!kinds[@]}"; do
        local d u f
        # Each names a device made by hand on its own VF, which must survive.
        vf=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/0000:e8:00.0/virtfn$((31 - i))")")
        d=$(printf 'eeeeeeee-0000-4000-8000-%012x' "$i"); u=$(printf 'ffffffff-0000-4000-8000-%012x' "$i")
        hand_create "$vf" nvidia-558 "$u"
        f="$WORK/state/$d.ledger"
        printf '[domain]\nuuid=%s\n\n[device %s]\nparent=%s\ntype=nvidia-558\nstate=created\n' "$d" "$u" "$vf" > "$f"
        case ${kinds[$i]} in
        "garbage [") printf 'garbage [' > "$f" ;;
        parent=*) sed -i "s|^parent=.*|${kinds[$i]}|" "$f" ;;
        type=*) sed -i "s|^type=.*|${kinds[$i]}|" "$f" ;;
        wrong-domain) sed -i "s|^uuid=.*|uuid=$(du 77)|" "$f" ;;
        state=*) sed -i "s|^state=.*|${kinds[$i]}|" "$f" ;;
        owner) chown nobody "$f" ;;
        mode) chmod 0666 "$f" ;;
        esac
        bad=$((bad + 1))
    done
    local before_hand
    before_hand=$(grep -c '^ffffffff' "$SIM_ROOT/vgpu-sim/mdevs")
    # Release by name: the live XML unreadable.
    for v in "${names[@]}"; do
        printf "<domain><name>%s</name><metadata><vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'><vgpu:device" "$v" > "$WORK/x/$v.xml"
    done
    run_batch release end "${names[@]}"
    for v in "${names[@]}"; do [ "${RC1[$v]}" = 0 ] && ok=$((ok + 1)); done
    figure damaged_or_untrusted_ledgers "$bad"
    figure releases_by_name_among_them "$N"
    figure releases_by_name_ok "$ok"
    t_eq "release by name with $bad bad ledgers about: all $N done" "$N" "$ok"
    t_eq "... their devices gone, the bad ledgers' devices untouched" "$before_hand" "$(sim_mdevs | wc -l)"
    running_node
    timeout 60 "$VGPUCTL" -c "test://$WORK/libvirt-test.xml" gc > "$WORK/gc.out" 2>&1
    t_eq "gc among them: exit 0, nothing a bad ledger names removed" "0 $before_hand" "$? $(sim_mdevs | wc -l)"
    figure gc_skipped_bad_ledgers "$(grep -c '^Skipped ledger' "$WORK/gc.out")"
    timeout 60 "$VGPUCTL" status --no-libvirt > "$WORK/status.out" 2>&1
    t_eq "status lists every bad ledger" "$bad" "$(grep -c '^Damaged ledger' "$WORK/status.out")"
}

# gc with its removes blocked in the driver while domains start.
test_gc_blocked() {
    fresh a40x2-sriov lock_timeout_ms=2000 remove_retries=0 remove_timeout_ms=60000 || return
    host_maps
    local i v k=$(( N / 4 )) ok=0 gcpid
    local -a leaks=() starts=()
    for i in $(seq 1 "$k"); do v="leak-$i"; mkdom "$v" 'profile="A40-2Q"'; leaks+=("$v"); done
    run_batch prepare begin "${leaks[@]}"
    for v in "${leaks[@]}"; do sim_ctl busy "${DEVS[$v]}"; done
    running_node
    timeout 120 "$VGPUCTL" -c "test://$WORK/libvirt-test.xml" gc > "$WORK/gc.out" 2>&1 &
    gcpid=$!
    # until gc's remove blocks (30 s at most: its start can take more than 5 s when loaded)
    for i in $(seq 1 600); do grep -q ' removing$' "$SIM_ROOT/vgpu-sim/mdevs" && break; sleep 0.05; done
    for i in $(seq 1 "$N"); do v="start-$i"; mkdom "$v" 'profile="A40-2Q"'; starts+=("$v"); done
    run_batch prepare begin "${starts[@]}"
    for v in "${starts[@]}"; do [ "${RC1[$v]}" = 0 ] && ok=$((ok + 1)); done
    local blocked
    blocked=$(grep -c ' removing$' "$SIM_ROOT/vgpu-sim/mdevs")
    for v in "${leaks[@]}"; do sim_ctl idle "${DEVS[$v]}"; done
    wait "$gcpid"
    local gcrc=$?
    figure gc_blocked_removes "$k"
    figure starts_while_gc_blocked "$N"
    figure starts_while_gc_blocked_ok "$ok"
    t_eq "gc blocked in the driver: all $N starts meanwhile got the lock and a device" "$N 1" "$ok $blocked"
    check_host "${starts[@]}"
    t_eq "gc then finished: leaks gone, the starts' devices kept, ledgers agree" "0 0 0 0 0" "$gcrc $V_LEAK $V_LOST $V_LEDGER $V_DOUBLE${V_WHY:+ ($V_WHY)}"
    run_batch release end "${starts[@]}"
}

# Cloned definitions started together with their originals running.
test_clones() {
    fresh a40x2-sriov || return
    host_maps
    local i v refused=0
    local -a origs=() clones=()
    for i in $(seq 1 "$N"); do
        v="orig-$i"; mkdom "$v" 'profile="A40-2Q"'; origs+=("$v")
    done
    run_batch prepare begin "${origs[@]}"
    for i in $(seq 1 "$N"); do
        v="clone-$i"
        sed -e "s|<name>orig-$i</name>|<name>$v</name>|" \
            -e "s|<uuid>${DUUID[orig-$i]}</uuid>|<uuid>$(printf 'cccccccc-0000-4000-8000-%012x' "$i")</uuid>|" \
            "$WORK/x/orig-$i.xml" > "$WORK/x/$v.xml"
        clones+=("$v")
    done
    run_batch prepare begin "${clones[@]}"
    for v in "${clones[@]}"; do
        [ "${RC1[$v]}" = 1 ] && [[ ${ERR1[$v]} == *"is held by domain 'orig-"* ]] && refused=$((refused + 1))
    done
    run_batch release end "${clones[@]}"
    figure clone_starts "$N"
    figure clone_starts_refused_naming_the_original "$refused"
    t_eq "clones started together: each refused, naming its original" "$N" "$refused"
    check_host "${origs[@]}"
    t_eq "... and the releases after their failed starts left the originals' devices" "0 0 0 0" "$V_LEAK $V_LOST $V_LEDGER $V_DOUBLE${V_WHY:+ ($V_WHY)}"
    run_batch release end "${origs[@]}"
}

T0=$(now_ms)
for t in test_self_remove test_late_devices test_damaged_among_good test_gc_blocked test_clones; do
    echo "# $t"
    $t
done
figure hardening_hook_calls "$CASES"
figure wall_time_s "$(( ($(now_ms) - T0) / 1000 ))"
stress_sanitizers
t_done
