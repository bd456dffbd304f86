#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash injection: the hook is killed (SIGKILL) at every step of prepare and
# release, through the test-only crash points (VGPU_TEST_STOP_AT, compiled
# only with `make TESTHOOKS=1`) and, for a remove blocked in the driver,
# by an outside `kill -9`. After each kill comes what would follow on a real
# host: the release libvirt runs after a failed start, or libvirt retrying
# the start (another prepare), or nothing at all (libvirtd died too); then
# `vgpuctl gc`. A bystander domain that started before keeps running
# throughout. Checked: zero leaked devices, zero devices lost from a
# running domain, ledgers and sysfs agree, gc removes only what is ours
# and not running. Also: the production build has no crash point.
#
# vgpuctl gc needs libvirt to say which domains run: it gets libvirt's
# in-process test driver (test:///FILE), whose FILE lists the running
# domains, so no daemon is needed.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/stress/stresslib.sh"

PLAIN=${PLAIN:-$TOP/build/plain}
KILLS=0 CASES=0 LEAKED=0 LOST=0 DISAGREE=0 GCRUNS=0
# The host and profile the crash cases run on; test_mig_crashes repeats
# them on two A100s in MIG mode.
CSCEN=a40x2-sriov CPROF=A40-2Q

# gc RUNNING...: vgpuctl gc, libvirt saying exactly the RUNNING domains run
gc() {
    running_node "$@"
    GCRUNS=$((GCRUNS + 1))
    timeout 60 "$VGPUCTL" -c "test://$WORK/libvirt-test.xml" gc > "$WORK/gc.out" 2> "$WORK/gc.err"
    GC_RC=$?
    GC_OUT=$(cat "$WORK/gc.out" "$WORK/gc.err")
}

# expect LABEL RUNNING...: the host holds exactly the RUNNING domains' devices
expect() {
    local label=$1
    shift
    check_host "$@"
    LEAKED=$((LEAKED + V_LEAK)); LOST=$((LOST + V_LOST)); DISAGREE=$((DISAGREE + V_LEDGER + V_DOUBLE))
    t_eq "$label" "0 0 0 0" "$V_LEAK $V_LOST $V_LEDGER $V_DOUBLE${V_WHY:+ ($V_WHY)}"
}

# devices_only LABEL RUNNING...: like expect, without the ledger's states
devices_only() {
    local label=$1
    shift
    check_host "$@"
    LEAKED=$((LEAKED + V_LEAK)); LOST=$((LOST + V_LOST)); DISAGREE=$((DISAGREE + V_DOUBLE))
    t_eq "$label" "0 0 0" "$V_LEAK $V_LOST $V_DOUBLE"
}

one() {   # one NAME OP SUBOP [STEP]: the hook once; RC, ERR
    local n=$1
    # (the braces keep bash's "Killed" notice out of the log)
    { VGPU_TEST_STOP_AT=${4:-} "$HOOK" "$n" "$2" "$3" - < "$WORK/x/$n.xml" > "$WORK/o/$n.out" 2> "$WORK/o/$n.err"; } 2> /dev/null
    RC=$?
    ERR=$(< "$WORK/o/$n.err")
}

# A bystander with two vGPUs, running before any crash and after all of them.
bystander() {
    mkdom keep "profile=\"$CPROF\"" "profile=\"$CPROF\""
    one keep prepare begin
    t_eq "bystander started" "0:" "$RC:$ERR"
}

test_prepare_crashes() {
    local step next v
    for step in prepare-locked prepare-intent prepare-created prepare-done; do
        fresh "$CSCEN" remove_retry_delay_ms=20 || return
        host_maps
        bystander
        for next in release prepare nothing; do
            v="v-$step-$next"
            mkdom "$v" "profile=\"$CPROF\"" "profile=\"$CPROF\""
            CASES=$((CASES + 1)); KILLS=$((KILLS + 1))
            one "$v" prepare begin "$step"
            t_eq "prepare killed at $step: died by SIGKILL" 137 "$RC"
            case $next in
            release)
                one "$v" release end
                t_eq "$step, then release: exit 0, silent" "0:" "$RC:$ERR"
                expect "$step, then release: only the bystander's devices" keep
                gc keep
                t_eq "$step, release, gc: exit 0" 0 "$GC_RC"
                expect "$step, release, gc: nothing of the bystander removed" keep ;;
            prepare)
                one "$v" prepare begin
                t_eq "$step, then prepare again: exit 0, silent" "0:" "$RC:$ERR"
                devices_only "$step, prepare again: both domains hold their devices, nothing leaked" keep "$v"
                DISAGREE=$((DISAGREE + V_LEDGER))
                t_eq "$step, prepare again: the ledger records every device as created" "0" "$V_LEDGER${V_WHY:+ ($V_WHY)}"
                gc keep "$v"
                t_eq "$step, prepare again, gc: nothing to collect" "0:Nothing to collect" "$GC_RC:$(head -c 18 <<< "$GC_OUT")"
                devices_only "$step, prepare again, gc: no device of a running domain removed" keep "$v"
                one "$v" release end
                expect "$step, prepare again, release: back to the bystander" keep ;;
            nothing)
                # libvirtd died too: no release ever comes. gc cleans up.
                gc keep
                t_eq "$step, no release, gc: exit 0" "0" "$GC_RC"
                expect "$step, no release, gc: the leftovers are gone, the bystander's kept" keep ;;
            esac
        done
        one keep release end
        expect "$step: all released" 
    done
}

test_release_crashes() {
    local step next v
    for step in release-removing release-removed; do
        fresh "$CSCEN" remove_retry_delay_ms=20 || return
        host_maps
        bystander
        for next in release gc prepare; do
            v="r-$step-$next"
            mkdom "$v" "profile=\"$CPROF\"" "profile=\"$CPROF\""
            one "$v" prepare begin
            t_eq "$v started" "0:" "$RC:$ERR"
            CASES=$((CASES + 1)); KILLS=$((KILLS + 1))
            one "$v" release end "$step"
            t_eq "release killed at $step: died by SIGKILL" 137 "$RC"
            case $next in
            release)
                one "$v" release end
                t_eq "$step, then release again: exit 0, silent" "0:" "$RC:$ERR"
                expect "$step, release again: only the bystander's devices" keep ;;
            gc)
                gc keep
                t_eq "$step, then gc: exit 0" 0 "$GC_RC"
                expect "$step, gc: the rest removed, the bystander's kept" keep ;;
            prepare)
                # libvirt starts the domain again before any release.
                one "$v" prepare begin
                t_eq "$step, then prepare again: exit 0, silent" "0:" "$RC:$ERR"
                expect "$step, prepare again: both domains hold their devices" keep "$v"
                one "$v" release end
                expect "$step, prepare again, release: back to the bystander" keep ;;
            esac
        done
        one keep release end
        expect "$step: all released"
    done
}

# kill -9 while the remove write is blocked in the driver (the VM still
# holds the device): the forked writer stays in the kernel, the ledger keeps
# the device; once the VM lets go the device goes, and the next release (or
# gc) forgets it.
test_kill_blocked_remove() {
    local next v pid i st
    for next in release gc; do
        fresh "$CSCEN" remove_retry_delay_ms=20 || return
        host_maps
        bystander
        v="b-$next"
        mkdom "$v" "profile=\"$CPROF\""
        one "$v" prepare begin
        sim_ctl busy "${DEVS[$v]}"
        "$HOOK" "$v" release end - < "$WORK/x/$v.xml" > /dev/null 2>&1 &
        pid=$!
        for i in $(seq 1 100); do
            st=$(awk -v u="${DEVS[$v]}" '$1 == u { print $4 }' "$SIM_ROOT/vgpu-sim/mdevs")
            [ "$st" = removing ] && break
            sleep 0.05
        done
        t_eq "blocked remove reached the driver" removing "$st"
        CASES=$((CASES + 1)); KILLS=$((KILLS + 1))
        kill_hard "$pid"; wait "$pid" 2>/dev/null
        t_eq "$v: the killed release left its ledger" 1 "$(ls "$WORK/state/${DUUID[$v]}.ledger" 2>/dev/null | wc -l)"
        sim_ctl idle "${DEVS[$v]}"
        for i in $(seq 1 100); do grep -q "${DEVS[$v]}" "$SIM_ROOT/vgpu-sim/mdevs" || break; sleep 0.05; done
        if [ $next = release ]; then
            one "$v" release end
            t_eq "killed mid-remove, then release: exit 0, silent" "0:" "$RC:$ERR"
        else
            gc keep
            t_eq "killed mid-remove, then gc: exit 0" 0 "$GC_RC"
        fi
        expect "killed mid-remove, then $next: nothing left, bystander kept" keep
        one keep release end
    done
}

# kill -9 of the hook while its core (a child of the front, hooks/
# front-watch.c) waits for sysfs reads the driver answers slowly: the core
# goes with the front and does nothing more once its read returns, and a
# leak check of the core's cut short by that kill is set aside as ours.
test_kill_front_mid_read() {
    local v=r-front pid core i
    fresh "$CSCEN" remove_retry_delay_ms=20 || return
    mkdom "$v" "profile=\"$CPROF\""
    sim_ctl fault read_latency_ms 1000
    "$HOOK" "$v" prepare begin - < "$WORK/x/$v.xml" > /dev/null 2>&1 &
    pid=$!
    for i in $(seq 1 100); do core=$(pgrep -P "$pid") && break; sleep 0.05; done
    sleep 0.3   # into the reads (their latency, not this, makes the kill land there)
    CASES=$((CASES + 1)); KILLS=$((KILLS + 1))
    kill_hard "$pid"; wait "$pid" 2>/dev/null
    t_eq "kill -9 mid-read: the hook died by SIGKILL" 137 $?
    sim_ctl fault read_latency_ms 0
    for i in $(seq 1 100); do kill -0 "$core" 2>/dev/null || break; sleep 0.05; done
    t_eq "kill -9 mid-read: its core went too, once the read returned" 1 "$(kill -0 "$core" 2>/dev/null || echo 1)"
    t_eq "kill -9 mid-read: its core created nothing afterwards" 0 "$(sim_mdevs | wc -l)"
    one "$v" release end
    expect "kill -9 mid-read, then release: nothing left"
    echo "==$((core + 27))==Unable to get registers from thread $core." > "$WORK/fake.$core"
    interrupted_leak_check "$WORK/fake.$core"
    t_eq "kill -9 mid-read: the core's interrupted leak check is set aside too" 0 $?
    rm -f "$WORK/fake.$core"
}

# Random kills: 16 prepares and releases at once, SIGKILLed from outside at
# random moments, then the releases libvirt would run, then gc.
test_random_kills() {
    local r n i pids victims rounds=2
    full && rounds=8
    fresh "$CSCEN" remove_retry_delay_ms=20 || return
    host_maps
    bystander
    for r in $(seq 1 $rounds); do
        local -a names=() pids=() starts=()
        for i in $(seq 1 16); do
            n="k$r-$i"; mkdom "$n" "profile=\"$CPROF\"" "profile=\"$CPROF\""; names+=("$n")
        done
        for n in "${names[@]}"; do
            "$HOOK" "$n" prepare begin - < "$WORK/x/$n.xml" > /dev/null 2>&1 & pids+=($!)
            starts+=("$(proc_start $!)")
        done
        sleep "0.$((RANDOM % 9 + 1))"
        # Random victims, never none (the round would test nothing): the
        # last one started is the likeliest to be still running.
        victims=0
        for i in "${!pids[@]}"; do
            if [ $((RANDOM % 2)) -eq 0 ] || { [ "$i" -eq 15 ] && [ $victims -eq 0 ]; }; then
                victims=$((victims + 1))
                # only a hook still running: an exited one's PID may be a stranger's now
                same_proc "${pids[$i]}" "${starts[$i]}" && kill_hard "${pids[$i]}" && KILLS=$((KILLS + 1))
            fi
        done
        wait "${pids[@]}" 2>/dev/null
        CASES=$((CASES + 1))
        run_batch release end "${names[@]}"
        expect "random kills round $r: after the releases only the bystander's devices" keep
    done
    gc keep
    expect "random kills: gc keeps the bystander's devices" keep
    one keep release end
}

test_production_build_has_no_crash_points() {
    local hook=$PLAIN/hooks/vgpu-hook core=$PLAIN/hooks/vgpu-hook-core.so
    if [ ! -x "$hook" ]; then
        make -s -C "$TOP" O="$PLAIN" all > "$WORK/plain-build.log" 2>&1 ||
            { t_fail "production build" "$(tail -n 3 "$WORK/plain-build.log")"; return; }
    fi
    t_eq "production build: not built with TESTHOOKS" "" "$(grep -o VGPU_TEST_HOOKS "$PLAIN/.flags" 2>/dev/null)"
    t_eq "production build: no VGPU_TEST_STOP_AT string" 0 "$(strings "$hook" "$core" | grep -c VGPU_TEST_STOP_AT)"
    t_eq "production build: no hook_test_point symbol" 0 "$( { nm -D "$core"; nm "$core"; } 2>/dev/null | grep -c test_point)"
    fresh a40x2-sriov || return
    mkdom prod 'profile="A40-2Q"'
    VGPU_TEST_STOP_AT=prepare-created "$hook" prod prepare begin - < "$WORK/x/prod.xml" > /dev/null 2> "$WORK/o/prod.err"
    t_eq "production build: VGPU_TEST_STOP_AT=prepare-created does nothing" "0:1" "$?:$(sim_mdevs | wc -l)"
    VGPU_TEST_STOP_AT=release-removing "$hook" prod release end - < "$WORK/x/prod.xml" > /dev/null 2>&1
    t_eq "production build: VGPU_TEST_STOP_AT=release-removing does nothing" "0:0" "$?:$(sim_mdevs | wc -l)"
}

# The same crashes where a vGPU holds a MIG GPU instance: A100-1-5C on
# a100x2-mig (seven 1g.5gb instances on one GPU); afterwards every
# instance the hook's devices held is free again.
test_mig_crashes() {
    CSCEN=a100x2-mig CPROF=A100-1-5C
    test_prepare_crashes
    test_release_crashes
    test_random_kills
    t_eq "a100x2-mig: every GPU instance free once all is released" 0 \
        "$(grep -c ' gi .* 0000:[0-9a-f:.]*$' "$SIM_ROOT/vgpu-sim/mig")"
    CSCEN=a40x2-sriov CPROF=A40-2Q
}

# The reports stress_sanitizers sets aside: only an interrupted leak check,
# and only in a process this tier killed.
test_interrupted_leak_check_filter() {
    local f=$WORK/fake
    sleep 60 & local pid=$!
    kill_hard "$pid"; wait "$pid" 2>/dev/null
    echo "==$((pid + 27))==Unable to get registers from thread $pid." > "$f.$pid"
    interrupted_leak_check "$f.$pid"
    t_eq "a killed process's interrupted leak check is set aside" 0 $?
    echo "==$pid==Unable to get registers from thread $pid." > "$f.$((pid + 1))"
    interrupted_leak_check "$f.$((pid + 1))"
    t_eq "... not in a process this tier did not kill" 1 $?
    printf '==%s==Unable to get registers from thread %s.\n==%s==ERROR: LeakSanitizer: detected memory leaks\n' \
        "$pid" "$pid" "$pid" > "$f.$pid"
    interrupted_leak_check "$f.$pid"
    t_eq "... nor when the report says more (a leak)" 1 $?
    rm -f "$f".*
}

# Reproducible choices (which hooks, when): the seed is printed.
RANDOM=${STRESS_SEED:-4242}
figure random_seed "${STRESS_SEED:-4242}"
T0=$(now_ms)
for t in test_interrupted_leak_check_filter test_prepare_crashes test_release_crashes test_kill_blocked_remove test_kill_front_mid_read \
         test_random_kills \
         test_mig_crashes test_production_build_has_no_crash_points; do
    echo "# $t"
    $t
done
figure crash_cases "$CASES"
figure kills_injected "$KILLS"
figure gc_runs "$GCRUNS"
figure devices_leaked "$LEAKED"
figure devices_lost "$LOST"
figure ledger_disagreements "$DISAGREE"
figure wall_time_s "$(( ($(now_ms) - T0) / 1000 ))"
stress_sanitizers
t_done
