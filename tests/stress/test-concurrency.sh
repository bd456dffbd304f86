#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Many domains prepared at once against one simulated host, round after
# round: the real hook program, 32 processes at a time, on two A40s, on a
# DGX-class host (8 GPUs x 20 VFs), on a host with one VF for 32 domains
# and on two A100s in MIG mode (a100x2-mig). After every batch: every device belongs to exactly one domain
# whose prepare exited 0, no VF holds two devices (in sysfs or in the
# ledgers), no GPU mixes profiles or exceeds max_instance, ledgers and sysfs
# agree, every refusal is one clear line, and no refusal happened while the
# host still had room. Then all release at once (some rounds release while
# the next round prepares) and the host must be empty again.
#
# STRESS=quick: 6 rounds (192 starts); STRESS=full: 1,024 starts.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/stress/stresslib.sh"

CONC=${STRESS_CONCURRENCY:-32}
T_STARTS=0 T_OK=0 T_REFUSED=0 T_ROUNDS=0 T_DOUBLE=0 T_LEAK=0 T_LOST=0 T_LEDGER=0 T_CAP=0
T_UNCLEAR=0 T_FALSE=0 T_RELFAIL=0 T_MAXBATCH=0
declare -A REASONS

# A refusal must be one line naming the domain, and say why in words we
# know; anything else (a crash, a lock timeout, a sysfs error) is unclear.
CLEAR_RE="^vgpu-hook: domain '[^']+': vGPU device [0-9]+: .*(in use|holds|no free|full|no VF|instances|cannot fit|no parent|not offered|free)"

# free_for PROFILE_TYPE: how many more of type id T sysfs says fit now
# (a MIG-backed type reads its GPU's free instances on every free VF: the
# most any VF of a GPU reads, summed over GPUs)
free_for() {
    local p
    if [ -n "${T_MIG[$1]:-}" ]; then
        for p in "${!P_GPU[@]}"; do
            echo "${P_GPU[$p]} $(cat "$SIM_ROOT/class/mdev_bus/$p/mdev_supported_types/$1/available_instances" 2>/dev/null)"
        done | awk '$2 > m[$1] { m[$1] = $2 } END { for (g in m) s += m[g]; print s + 0 }'
        return
    fi
    cat "$SIM_ROOT"/class/mdev_bus/*/mdev_supported_types/"$1"/available_instances 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
# type id of a profile on this host
declare -A PTYPE
profile_types() {
    local p f n
    PTYPE=()
    p=$(ls "$SIM_ROOT/class/mdev_bus" | head -n 1)
    for f in "$SIM_ROOT/class/mdev_bus/$p"/mdev_supported_types/*/name; do
        n=$(< "$f"); n=${n#NVIDIA }
        PTYPE[$n]=$(basename "$(dirname "$f")")
    done
}

# round SCEN R PROFILES...: CONC domains; each picks a profile from
# PROFILES, one in ten asks for two vGPUs, one in four asks for spread.
declare -a PREV=()
round() {
    local scen=$1 r=$2 i n p a pl k t0 t1 ms
    shift 2
    local -a profs=("$@") names=() batch=() okn=() refused=()
    for i in $(seq 1 "$CONC"); do
        n="c$r-$i"
        p=${profs[RANDOM % ${#profs[@]}]}
        pl=""; [ $((RANDOM % 4)) -eq 0 ] && pl=' placement="spread"'
        a="profile=\"$p\"$pl"
        if [ $((RANDOM % 10)) -eq 0 ]; then mkdom "$n" "$a" "$a"; else mkdom "$n" "$a"; fi
        names+=("$n")
    done
    # Pipelined rounds: the previous round's releases run together with
    # this round's prepares.
    batch=("${names[@]}")
    if [ "${PIPE:-0}" = 1 ] && [ ${#PREV[@]} -gt 0 ]; then
        for n in "${PREV[@]}"; do batch+=("$n=release:end"); done
    fi
    t0=$(now_ms)
    run_batch prepare begin "${batch[@]}"
    t1=$(now_ms); ms=$((t1 - t0))
    [ $ms -gt $T_MAXBATCH ] && T_MAXBATCH=$ms
    if [ "${PIPE:-0}" = 1 ] && [ ${#PREV[@]} -gt 0 ]; then
        for n in "${PREV[@]}"; do
            [ "${RC1[$n]}" = 0 ] && [ -z "${ERR1[$n]}" ] || { T_RELFAIL=$((T_RELFAIL + 1)); echo "# release $n: rc ${RC1[$n]}: ${ERR1[$n]}"; }
        done
    fi
    for n in "${names[@]}"; do
        T_STARTS=$((T_STARTS + 1))
        if [ "${RC1[$n]}" = 0 ]; then
            okn+=("$n"); T_OK=$((T_OK + 1))
            [ -z "${ERR1[$n]}" ] || { T_UNCLEAR=$((T_UNCLEAR + 1)); echo "# $n: exit 0 but said: ${ERR1[$n]}"; }
        else
            refused+=("$n"); T_REFUSED=$((T_REFUSED + 1))
            if [ "$(printf '%s\n' "${ERR1[$n]}" | wc -l)" -ne 1 ] || ! grep -Eq "$CLEAR_RE" <<< "${ERR1[$n]}" ||
               [[ ${ERR1[$n]} != *"'$n'"* ]]; then
                T_UNCLEAR=$((T_UNCLEAR + 1)); echo "# $n: rc ${RC1[$n]}: unclear refusal: ${ERR1[$n]}"
            else
                k=$(sed -E "s/^vgpu-hook: domain '[^']+': vGPU device [0-9]+: //; s/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]/ADDR/g; s/[0-9]+/N/g" <<< "${ERR1[$n]}" | cut -c1-90)
                REASONS[$k]=$(( ${REASONS[$k]:-0} + 1 ))
            fi
        fi
    done
    check_host "${okn[@]}"
    T_LEAK=$((T_LEAK + V_LEAK)); T_LOST=$((T_LOST + V_LOST)); T_DOUBLE=$((T_DOUBLE + V_DOUBLE))
    T_LEDGER=$((T_LEDGER + V_LEDGER)); T_CAP=$((T_CAP + V_CAP))
    [ "$V_LEAK$V_LOST$V_DOUBLE$V_LEDGER$V_CAP" = 00000 ] || echo "# $scen round $r: $V_WHY"
    # A refusal is false when the host still has room for what was asked
    # (only prepares ran in this batch, so the room was there all along).
    if [ "${PIPE:-0}" != 1 ] || [ ${#PREV[@]} -eq 0 ]; then
        for n in "${refused[@]}"; do
            p=${PROF[$n]#profile=\"}; p=${p%%\"*}
            [[ ${ERR1[$n]} == *"in use"* || ${ERR1[$n]} == *holds* || ${ERR1[$n]} == *instance* ]] || continue
            k=$(free_for "${PTYPE[$p]}")
            if [ "$k" -ge "$(wc -w <<< "${DEVS[$n]}")" ]; then
                T_FALSE=$((T_FALSE + 1)); echo "# $n refused ($p) while $k more fit: ${ERR1[$n]}"
            fi
        done
    fi
    T_ROUNDS=$((T_ROUNDS + 1))
    echo "# $scen round $r: $CONC prepares in ${ms} ms: ${#okn[@]} ok, ${#refused[@]} refused; $(sim_mdevs | wc -l) devices"
    if [ "${PIPE:-0}" = 1 ]; then
        PREV=("${names[@]}")
    else
        release_all "${names[@]}"
        PREV=()
    fi
}

release_all() {
    local n
    [ $# -gt 0 ] || return 0
    run_batch release end "$@"
    for n in "$@"; do
        [ "${RC1[$n]}" = 0 ] && [ -z "${ERR1[$n]}" ] || { T_RELFAIL=$((T_RELFAIL + 1)); echo "# release $n: rc ${RC1[$n]}: ${ERR1[$n]}"; }
    done
    check_host
    T_LEAK=$((T_LEAK + V_LEAK)); T_LEDGER=$((T_LEDGER + V_LEDGER))
    [ "$V_LEAK$V_LEDGER" = 00 ] || echo "# after release: $V_WHY"
}

# scenario SCEN ROUNDS PIPELINED PROFILES...
scenario() {
    local scen=$1 rounds=$2 pipe=$3 r s0=$T_STARTS f0=$((T_LEAK + T_LOST + T_DOUBLE + T_LEDGER + T_CAP + T_UNCLEAR + T_FALSE + T_RELFAIL))
    shift 3
    fresh "$scen" lock_timeout_ms=300000 remove_retry_delay_ms=20 || return
    host_maps; profile_types
    PIPE=$pipe PREV=()
    for r in $(seq 1 "$rounds"); do round "$scen" "$r" "$@"; done
    [ ${#PREV[@]} -gt 0 ] && release_all "${PREV[@]}"
    PREV=()
    t_eq "$scen: $((T_STARTS - s0)) starts at $CONC-way: invariants hold" "$f0" \
        "$((T_LEAK + T_LOST + T_DOUBLE + T_LEDGER + T_CAP + T_UNCLEAR + T_FALSE + T_RELFAIL))"
    t_eq "$scen: host empty at the end (devices, ledgers)" "0 0" "$(sim_mdevs | wc -l) $(ledgers)"
}

RANDOM=${STRESS_SEED:-4242}
T0=$(now_ms)
if full; then
    scenario a40x2-sriov 12 0 A40-1Q A40-2Q A40-4Q A40-8Q
    scenario a40x2-sriov 4 1 A40-2Q A40-4Q
    scenario dgx-8x20 12 1 A40-1Q A40-2Q A40-4Q A40-8Q A40-16Q
    scenario a40-1vf 4 0 A40-2Q
    scenario a100x2-mig 8 1 A100-1-5C A100-2-10C A100-3-20C A100-4-20C
else
    scenario a40x2-sriov 2 1 A40-2Q A40-4Q A40-8Q
    scenario dgx-8x20 1 0 A40-2Q A40-4Q A40-8Q
    scenario a40-1vf 1 0 A40-2Q
    scenario a100x2-mig 2 1 A100-1-5C A100-3-20C A100-4-20C
fi
T1=$(now_ms)

for k in "${!REASONS[@]}"; do echo "# refusal x${REASONS[$k]}: $k"; done | sort
figure concurrency "$CONC"
figure rounds "$T_ROUNDS"
figure starts_attempted "$T_STARTS"
figure starts_succeeded "$T_OK"
figure starts_refused "$T_REFUSED"
figure refusals_unclear "$T_UNCLEAR"
figure refusals_false "$T_FALSE"
figure double_allocations "$T_DOUBLE"
figure devices_leaked "$T_LEAK"
figure devices_lost "$T_LOST"
figure ledger_disagreements "$T_LEDGER"
figure capacity_violations "$T_CAP"
figure release_failures "$T_RELFAIL"
figure slowest_batch_ms "$T_MAXBATCH"
figure wall_time_s "$(( (T1 - T0) / 1000 ))"
t_eq "zero double allocations" 0 "$T_DOUBLE"
t_eq "zero leaked devices" 0 "$T_LEAK"
t_eq "zero devices lost from a running domain" 0 "$T_LOST"
t_eq "ledgers and sysfs agree" 0 "$T_LEDGER"
t_eq "every refusal is one clear line" 0 "$T_UNCLEAR"
t_eq "no refusal while the host had room" 0 "$T_FALSE"
t_eq "every release exits 0, silent" 0 "$T_RELFAIL"
t_eq "some starts refused (contention was real)" 1 "$(( T_REFUSED > 0 ))"
stress_sanitizers
t_done
