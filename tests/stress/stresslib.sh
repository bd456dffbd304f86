# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the reliability tiers (tests/stress/test-*.sh): the real hook
# program against the simulator, many domains at once, and the checks that
# tell "every device belongs to exactly one running domain" from a leak, a
# double pick or a lost device. Builds on tests/hook/hooklib.sh.
#
# STRESS=quick (default, `make check`) or STRESS=full (`make stress`).
# Figures are printed as "# figure: NAME VALUE" lines.

. "$TOP/tests/hook/hooklib.sh"

STRESS=${STRESS:-quick}
full() { [ "$STRESS" = full ]; }

figure() { echo "# figure: $1 $2"; }

# Sanitizer reports of the programs a tier runs go to files, as in
# tests/run-all.sh; when a tier runs alone they land in WORK, and
# stress_sanitizers checks them.
if [ -z "${ASAN_OPTIONS:-}" ]; then
    export ASAN_OPTIONS="log_path=$WORK/asan:detect_leaks=1:abort_on_error=0"
    export UBSAN_OPTIONS="log_path=$WORK/ubsan:print_stacktrace=1:halt_on_error=1"
fi
touch "$WORK/.started"
: > "$WORK/.killed"

# kill_hard PID: SIGKILL from outside, remembered. A kill that lands while
# LeakSanitizer checks for leaks at exit interrupts its stop-the-world, whose
# tracer then logs "Unable to get registers from thread PID." in PID's report
# file: that is our kill, not a finding (stress_sanitizers sets it aside).
# The hook's core runs in a child of the front (hooks/front-watch.c), killed
# with it (PR_SET_PDEATHSIG): its own interrupted report is ours too.
kill_hard() {
    local kids
    kids=$(pgrep -P "$1")
    kill -KILL "$1" 2>/dev/null || return
    printf '%s\n' "$1" $kids >> "$WORK/.killed"
}

# interrupted_leak_check FILE: FILE is the report of a process we killed and
# says nothing but that the leak check could not stop the killed threads.
interrupted_leak_check() {
    local pid=${1##*.}
    grep -qx "$pid" "$WORK/.killed" &&
        ! grep -qvE '^==[0-9]+==(Unable to get registers from thread [0-9]+\.|Could not attach to thread [0-9]+ \(errno [0-9]+\)\.|LeakSanitizer has encountered a fatal error\.|HINT: .*)$' "$1"
}

stress_sanitizers() {   # reports written since this tier started, under the log_path in force
    local f n=0 cut=0 asan ubsan
    asan=$(sed -n 's/.*log_path=\([^:]*\).*/\1/p' <<< "$ASAN_OPTIONS")
    ubsan=$(sed -n 's/.*log_path=\([^:]*\).*/\1/p' <<< "${UBSAN_OPTIONS:-}")
    for f in "$asan".* "$ubsan".*; do
        [ -s "$f" ] && [ "$f" -nt "$WORK/.started" ] || continue
        if interrupted_leak_check "$f"; then
            # moved out of the log directory, which tests/run-all.sh scans too
            cut=$((cut + 1)); sed 's/^/# killed by the test: /' "$f"; mv "$f" "$WORK/"
            continue
        fi
        n=$((n + 1)); head -n 15 "$f" | sed 's/^/# /'
    done
    figure leak_checks_cut_by_our_kills "$cut"
    figure sanitizer_reports "$n"
    t_eq "no sanitizer report" 0 "$n"
}

# Descriptions -> max_instance per type id, parent -> GPU, parent is a VF.
# Read once per mount (the maps do not change while it is mounted).
# MIG: T_MIG[type id] is the GPU instance a MIG-backed type takes
# ("3g.20gb"), G_MIG["GPU PROFILE"] how many such instances the GPU has.
declare -A P_GPU P_VF T_MAX T_MIG G_MIG
host_maps() {
    P_GPU=(); P_VF=(); T_MAX=(); T_MIG=(); G_MIG=()
    local p d line t f n g
    for p in "$SIM_ROOT"/class/mdev_bus/*; do
        d=${p##*/}
        if [ -e "$p/physfn" ]; then
            P_GPU[$d]=$(basename "$(readlink "$p/physfn")"); P_VF[$d]=1
        else
            P_GPU[$d]=$d; P_VF[$d]=0
        fi
    done
    p=$(ls "$SIM_ROOT/class/mdev_bus" | head -n 1)
    while read -r line; do
        t=${line%%/description:*}; t=${t##*/}
        [[ $line =~ max_instance=([0-9]+) ]] && T_MAX[$t]=${BASH_REMATCH[1]}
    done < <(grep -H . "$SIM_ROOT/class/mdev_bus/$p"/mdev_supported_types/*/description 2>/dev/null)
    for f in "$SIM_ROOT/class/mdev_bus/$p"/mdev_supported_types/*/name; do
        n=$(< "$f")
        [[ $n =~ -([0-9])-([0-9]+)C(ME)?$ ]] || continue
        T_MIG[$(basename "$(dirname "$f")")]="${BASH_REMATCH[1]}g.${BASH_REMATCH[2]}gb${BASH_REMATCH[3]:+"+me"}"
    done
    while read -r line; do
        if [[ $line == 0000:* ]]; then g=${line%% *}; continue; fi
        set -- $line
        G_MIG["$g $3"]=$(( ${G_MIG["$g $3"]:-0} + 1 ))
    done < "$SIM_ROOT/vgpu-sim/mig"
}

# The simulator's device list: "uuid parent type state" lines.
sim_mdevs() { cat "$SIM_ROOT/vgpu-sim/mdevs"; }
# Every ledger record: "domain_uuid device_uuid parent type state" lines.
ledger_records() {
    local f
    for f in "$WORK"/state/*.ledger; do
        [ -e "$f" ] || continue
        awk '/^\[domain\]/ { g = "d"; next }
             /^\[device / { g = "v"; u = $2; sub(/\]$/, "", u); n++; U[n] = u; next }
             g == "d" && /^uuid=/ { d = substr($0, 6) }
             g == "v" && /^parent=/ { P[n] = substr($0, 8) }
             g == "v" && /^type=/ { T[n] = substr($0, 6) }
             g == "v" && /^state=/ { S[n] = substr($0, 7) }
             END { for (i = 1; i <= n; i++) print d, U[i], P[i], T[i], S[i] }' "$f"
    done
}

# ---- domains -----------------------------------------------------------
# A domain is NAME; its XML is WORK/x/NAME.xml, its device UUIDs are in
# DEVS[NAME] (space separated), its domain UUID in DUUID[NAME].
declare -A DEVS DUUID PROF RC1 ERR1
SEQ=0
mkdir -p "$WORK/x" "$WORK/o"
# mkdom NAME 'ATTRS' ['ATTRS'...]: each ATTRS without uuid; a fresh device
# UUID is added to each, a fresh domain UUID to the domain.
# running_node NAME...: $WORK/libvirt-test.xml, a node for libvirt's test
# driver in which exactly these domains (uuids from DUUID) run, for vgpuctl gc.
running_node() {
    local n
    {
        echo "<node>"
        for n in "$@"; do
            echo "  <domain type='test'><name>$n</name><uuid>${DUUID[$n]}</uuid><memory>8192</memory><os><type>hvm</type></os></domain>"
        done
        echo "</node>"
    } > "$WORK/libvirt-test.xml"
}

mkdom() {
    local name=$1 a uuid devs="" body="" hd=""
    shift
    SEQ=$((SEQ + 1))
    DUUID[$name]=$(printf 'dddddddd-%04x-4000-8000-%012x' $((SEQ >> 16 & 0xffff)) "$SEQ")
    for a in "$@"; do
        SEQ=$((SEQ + 1))
        uuid=$(printf '00000000-%04x-4000-8000-%012x' $((SEQ >> 16 & 0xffff)) "$SEQ")
        devs+="${devs:+ }$uuid"
        body+="      <vgpu:device uuid=\"$uuid\" $a/>"$'\n'
        hd+="    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='$uuid'/></source></hostdev>"$'\n'
    done
    DEVS[$name]=$devs
    PROF[$name]=$*
    printf "<domain type='kvm' id='%d'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n  <metadata>\n    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n%s    </vgpu:vgpu>\n  </metadata>\n  <devices>\n%s  </devices>\n</domain>\n" \
        "$SEQ" "$name" "${DUUID[$name]}" "$body" "$hd" > "$WORK/x/$name.xml"
}

# run_batch OP SUBOP NAME...: the hook for every NAME at once (one process
# each, all started before any is waited for); RC1/ERR1 get the results.
# "OP SUBOP" may differ per name when given as NAME=OP:SUBOP.
run_batch() {
    local op=$1 sub=$2 n o s i
    shift 2
    local -a pids=() names=()
    for n in "$@"; do
        o=$op; s=$sub
        if [[ $n == *=* ]]; then o=${n#*=}; s=${o#*:}; o=${o%%:*}; n=${n%%=*}; fi
        "$HOOK" "$n" "$o" "$s" - < "$WORK/x/$n.xml" > "$WORK/o/$n.out" 2> "$WORK/o/$n.err" &
        pids+=($!); names+=("$n")
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}"
        RC1[${names[$i]}]=$?
    done
    for n in "${names[@]}"; do
        ERR1[$n]=$(< "$WORK/o/$n.err")
        [ -s "$WORK/o/$n.out" ] && ERR1[$n]+=" [stdout: $(head -c 200 "$WORK/o/$n.out")]"
    done
    return 0
}

# ---- the invariant -----------------------------------------------------
# check_host NAME...: the NAMEs are the domains that should hold their
# devices now (prepare exited 0, not released). Compares what they asked for
# with the simulator's devices and with the hook's ledgers. Sets
#   V_LEAK    devices in sysfs no running domain asked for
#   V_LOST    devices a running domain asked for that are gone
#   V_DOUBLE  a VF holding two devices, or two ledger records naming one VF
#   V_LEDGER  ledger records that disagree with sysfs (missing device, other
#             parent/type, not "created", record of a domain not running,
#             device with no record)
#   V_CAP     a GPU holding two types, or more of a type than max_instance
#             (MIG-backed types: more than the GPU's instances of their size)
# and V_WHY (the first few problems, one line).
check_host() {
    local n d out
    out=$(
        {
            for n in "$@"; do for d in ${DEVS[$n]}; do echo "E ${DUUID[$n]} $d"; done; done
            sim_mdevs | sed 's/^/S /'
            ledger_records | sed 's/^/L /'
            for n in "${!P_GPU[@]}"; do echo "P $n ${P_GPU[$n]} ${P_VF[$n]}"; done
            for n in "${!T_MAX[@]}"; do echo "M $n ${T_MAX[$n]}"; done
            for n in "${!T_MIG[@]}"; do echo "Q $n ${T_MIG[$n]}"; done
            for n in "${!G_MIG[@]}"; do echo "I $n ${G_MIG[$n]}"; done
        } | awk '
        function why(s) { if (nw++ < 4) W = W (W ? "; " : "") s }
        $1 == "E" { E[$3] = $2; next }
        $1 == "S" { S[$2] = $3; ST[$2] = $4; next }
        $1 == "L" { if (($3) in L) { ledger++; why("device " $3 " in two ledgers") }
                    L[$3] = $2; LP[$3] = $4; LT[$3] = $5; LS[$3] = $6; next }
        $1 == "P" { G[$2] = $3; VF[$2] = $4; next }
        $1 == "M" { MX[$2] = $3; next }
        $1 == "Q" { Q[$2] = $3; next }
        $1 == "I" { I[$2, $3] = $4; next }
        END {
            for (u in S) {
                if (!(u in E)) { leak++; why("leak " u " on " S[u]) }
                if (!(u in L)) { ledger++; why("device " u " has no ledger record") }
                if (VF[S[u]] == 1) { if (S[u] in usedvf) { dbl++; why("VF " S[u] " holds two devices") } usedvf[S[u]] = 1 }
                g = G[S[u]]
                if (ST[u] in Q) {
                    # MIG-backed: sizes mix on a GPU, each takes an instance of its size.
                    if (++mig[g, Q[ST[u]]] == I[g, Q[ST[u]]] + 1) { cap++; why("GPU " g " holds more " ST[u] " than it has " Q[ST[u]] " instances") }
                    continue
                }
                cnt[g, ST[u]]++
                if ((g in gtype) && gtype[g] != ST[u]) { cap++; why("GPU " g " holds " gtype[g] " and " ST[u]) }
                gtype[g] = ST[u]
                if ((ST[u] in MX) && cnt[g, ST[u]] == MX[ST[u]] + 1) { cap++; why("GPU " g " holds more than " MX[ST[u]] " " ST[u]) }
            }
            for (u in E) if (!(u in S)) { lost++; why("lost " u " of domain " E[u]) }
            for (u in L) {
                if (VF[LP[u]] == 1) { if (LP[u] in ledvf) { dbl++; why("two ledger records name VF " LP[u]) } ledvf[LP[u]] = 1 }
                if (!(u in S)) { ledger++; why("ledger names " u ", gone from sysfs") }
                else if (S[u] != LP[u] || ST[u] != LT[u]) { ledger++; why("ledger says " u " is " LT[u] " on " LP[u] ", sysfs " ST[u] " on " S[u]) }
                if (LS[u] != "created") { ledger++; why("ledger state of " u " is " LS[u]) }
                if (!(u in E) || E[u] != L[u]) { ledger++; why("ledger of domain " L[u] " holds " u) }
            }
            printf "%d %d %d %d %d %s\n", leak, lost, dbl, ledger, cap, W
        }')
    read -r V_LEAK V_LOST V_DOUBLE V_LEDGER V_CAP V_WHY <<< "$out"
}

# timed NAME OP SUBOP: the hook once on $WORK/x/NAME.xml; sets RC, ERR and
# MS (wall time), counts CASES and keeps the SLOWEST. TIMED_GUARD (seconds,
# default 120) bounds it: set under a built-in default, a hang or a default
# used instead of the configured bound fails without a stopwatch check.
timed() {
    local t0
    t0=$(now_ms)
    timeout "${TIMED_GUARD:-120}" "$HOOK" "$1" "$2" "$3" - < "$WORK/x/$1.xml" > "$WORK/o/$1.out" 2> "$WORK/o/$1.err"
    RC=$?
    MS=$(( $(now_ms) - t0 ))
    [ "$MS" -gt "${SLOWEST:-0}" ] && SLOWEST=$MS
    ERR=$(< "$WORK/o/$1.err")
    CASES=$((${CASES:-0} + 1))
}
# one_line TEXT: a single line in the hook's own voice
one_line() { [ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && [[ $1 == "vgpu-hook: "* ]]; }
