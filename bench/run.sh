#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/run.sh — `make bench`: how much the hook costs, side by side with
# what it is compared against, in one run. Prints a table and rewrites
# bench/RESULTS.md. Exits 0 even when a target is missed (it says MISSED);
# non-zero only when the benchmark itself could not run.
#
# Needs root, /dev/fuse, unshare/nsenter (util-linux), mdevctl, strace
# (the last two only for their rows). About 3-5 minutes on a loaded 2-core machine.
#
# Knobs (environment):
#   BENCH_O=build/bench        release build directory (no sanitizers)
#   BENCH_FAST_ROUNDS=201      rounds of the no-vGPU fast path
#   BENCH_ROUNDS=11            rounds of prepare+release per host
#   BENCH_MDEVCTL_ROUNDS=3     rounds of `mdevctl types` per host (seconds each)
#   BENCH_CONC_ROUNDS=3        rounds of 64 parallel / 64 sequential prepares
#   BENCH_SIZES="1 2 4 8 16"   GPUs per scaling host (8 is the shipped dgx-8x20)
#   BENCH_BUSY=120             also dgx-8x20 with this many mdevs already there
#                              (other VMs running; 0 = skip that host)
#   BENCH_RESULTS=bench/RESULTS.md   where to write the results ("" = nowhere)
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

BO=${BENCH_O:-build/bench}
FAST_ROUNDS=${BENCH_FAST_ROUNDS:-201}
ROUNDS=${BENCH_ROUNDS:-11}
MROUNDS=${BENCH_MDEVCTL_ROUNDS:-3}
CROUNDS=${BENCH_CONC_ROUNDS:-3}
SIZES=${BENCH_SIZES:-1 2 4 8 16}
BUSY=${BENCH_BUSY:-120}
RESULTS=${BENCH_RESULTS-bench/RESULTS.md}
VFS_PER_GPU=20
CONC=64

# Targets, as ratios against baselines measured in the same run.
T_FAST_TRUE=1.20      # vgpu-hook fast path <= 1.2 x /bin/true
T_FAST_SHELL=0.26     # ... and <= 0.26 x the shell-script hook
T_PREP_MDEVCTL=0.25   # prepare on dgx-8x20 <= 0.25 x `mdevctl types`
T_SCALE_OPENS=2       # attribute opens per added VF parent (a VFs x types scan would be >= 22)
# (bench/floor.sh adds its own: <= 20 operations per VF parent, <= 4 besides
# path lookups, <= 0.01 x mdevctl types, with the simulator whole at /sys.)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (FUSE mounts, mount namespaces)"
[ -e /dev/fuse ] || die "needs /dev/fuse"
command -v unshare >/dev/null && command -v nsenter >/dev/null || die "needs unshare and nsenter"
HAVE_MDEVCTL=1
command -v mdevctl >/dev/null || HAVE_MDEVCTL=0
HAVE_STRACE=1
command -v strace >/dev/null || HAVE_STRACE=0

# --- build ------------------------------------------------------------------------
say "bench: release build in $BO"
make -s O="$BO" -j2 all sim >/dev/null || die "build failed (make O=$BO all sim)"
grep -q fsanitize "$BO/.flags" 2>/dev/null && die "$BO is a sanitizer build; use another BENCH_O"
mkdir -p "$BO/bench"
cc -O2 -Wall -Wextra -o "$BO/bench/bench-exec" bench/bench-exec.c || die "cannot build bench-exec"
# shellcheck disable=SC2046
cc -O2 -o "$BO/bench/linked-ref" bench/linked-ref.c \
    $(pkg-config --cflags --libs glib-2.0 libxml-2.0 uuid) || die "cannot build linked-ref"

ABS=$TOP/$BO
BX=$ABS/bench/bench-exec
HOOK=$ABS/hooks/vgpu-hook
SIM=$ABS/tests/sim/vgpu-sim

WORK=$(mktemp -d /tmp/vgpu-bench.XXXXXX)
ERRLOG=$WORK/children.stderr
: > "$ERRLOG"

B=$ABS
. "$TOP/tests/lib.sh"
sim_up() { sim_start "$1" 2>>"$WORK/sim.stderr" || die "vgpu-sim did not mount $1 (see $WORK/sim.stderr)"; }
ns_up() { sim_ns_start || die "could not lay the simulator over /sys in a namespace"; }
cleanup() { sim_ns_stop; sim_stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

stats_reset() { printf 'reset-stats\n' > "$SIM_ROOT/vgpu-sim/control"; }
# "total getattr readdir readlink open read write other" since the reset
stats_line() {
    awk '{v[$1]=$2} END {print v["total"], v["getattr"], v["readdir"], v["readlink"],
         v["open"], v["read"], v["write"], v["other"]}' "$SIM_ROOT/vgpu-sim/stats"
}
mdev_lines() { grep -c . "$SIM_ROOT/vgpu-sim/mdevs"; }

# hook config: sysfs_root and a fresh state dir
write_conf() {   # write_conf FILE SYSFS_ROOT STATE_DIR
    # release_wait_ms=0: the simulated drivers never remove their own mdevs,
    # so the NVIDIA wait would only add its full bound to every release.
    printf '[vgpu-hook]\nsysfs_root=%s\nstate_dir=%s\nremove_retry_delay_ms=20\nrelease_wait_ms=0\n' "$2" "$3" > "$1"
}

# vgpu_domain NAME DOMUUID DEVUUID PROFILE: the 7.7 KB domain with our
# metadata and the matching <hostdev> added (what vgpuctl writes).
vgpu_domain() {
    awk -v name="$1" -v duuid="$2" -v uuid="$3" -v prof="$4" '
        /<name>/ { print "  <name>" name "</name>"; next }
        /<uuid>/ && !u { print "  <uuid>" duuid "</uuid>"; u = 1; next }
        /<\/metadata>/ {
            print "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">"
            print "      <vgpu:device uuid=\"" uuid "\" profile=\"" prof "\"/>"
            print "    </vgpu:vgpu>"
        }
        /<\/devices>/ {
            print "    <hostdev mode=\x27subsystem\x27 type=\x27mdev\x27 model=\x27vfio-pci\x27 display=\x27off\x27>"
            print "      <source>"
            print "        <address uuid=\x27" uuid "\x27/>"
            print "      </source>"
            print "    </hostdev>"
        }
        { print }' "$TOP/bench/domain-plain.xml"
}

# gen_scenario N: N A40-model GPUs x VFS_PER_GPU VFs, distinct addresses
# (8 buses per PCI domain, then the next domain), four NUMA nodes.
gen_scenario() {
    local n=$1 i
    echo "# generated by bench/run.sh: $n A40 x $VFS_PER_GPU VFs"
    for ((i = 0; i < n; i++)); do
        printf '\n[gpu gpu%d]\nmodel=a40\naddress=%04x:%02x:00.0\nnuma_node=%d\nvfs=%d\n' \
            "$i" $((i / 8)) $((0x10 + (i % 8) * 0x10)) $((i % 4)) "$VFS_PER_GPU"
    done
}

# busy_mdevs SCENARIO COUNT: COUNT pre-existing A40-2Q mdevs ("someone
# else's", e.g. running VMs), spread evenly over the scenario's GPUs, on
# their first VFs (A40 VFs: PF function 4 onwards, stride 1).
busy_mdevs() {
    local scen=$1 count=$2 pfs i pf bus dom k devfn
    mapfile -t pfs < <(awk -F= '$1 == "address" { print $2 }' "$scen")
    for ((i = 0; i < count; i++)); do
        pf=${pfs[i % ${#pfs[@]}]}
        k=$((i / ${#pfs[@]}))
        dom=${pf%:*}           # 0000:07
        devfn=$((4 + k))
        printf '\n[mdev eeeeeeee-0000-4000-8000-%012x]\nparent=%s:%02x.%x\ntype=nvidia-558\n' \
            "$i" "$dom" $((devfn / 8)) $((devfn % 8))
    done
}

# field FILE NAME COL: a column of bench-exec's line for NAME
field() { awk -F'\t' -v n="$2" -v c="$3" '$1 == n { print $c }' "$1"; }
ms()    { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
le()    { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
verdict() { if le "$1" "$2"; then echo met; else echo MISSED; fi; }

TABLE=$WORK/table.md
: > "$TABLE"
VERDICTS=$WORK/verdicts
: > "$VERDICTS"
out() { printf '%s\n' "$*" >> "$TABLE"; }
target() {   # target DESCRIPTION VALUE LIMIT
    local v
    v=$(verdict "$2" "$3")
    printf '| %s | %s | <= %s | %s |\n' "$1" "$2" "$3" "$v" >> "$VERDICTS"
    [ "$v" = met ] || MISSED=1
}
MISSED=0

# --- 1. the no-vGPU fast path ------------------------------------------------------
say "bench: fast path, $FAST_ROUNDS interleaved rounds"
PLAIN=$TOP/bench/domain-plain.xml
PLAIN_KB=$(awk -v b="$(wc -c < "$PLAIN")" 'BEGIN { printf "%.1f", b / 1024 }')
grep -q 'urn:vgpu-hook:1' "$PLAIN" && die "bench/domain-plain.xml must not carry vGPU metadata"
# Release and reconnect read the config and look for the domain's ledger
# (hooks/front-ledger.c): timed against the shipped config, its state_dir
# an existing directory without that ledger, as on a host where other
# domains have vGPUs.
FAST_CONF=$WORK/fast.conf
FAST_STATE=$WORK/state-fast
FAST_LEDGER=$FAST_STATE/$(sed -n 's|^ *<uuid>\(.*\)</uuid>.*|\1|p' "$PLAIN" | head -n 1).ledger
mkdir -m 0700 "$FAST_STATE"
sed "s|^#state_dir=.*|state_dir=$FAST_STATE|" "$TOP/examples/vgpu-hook.conf" > "$FAST_CONF"
grep -q "^state_dir=$FAST_STATE\$" "$FAST_CONF" || die "examples/vgpu-hook.conf has no #state_dir= line to set"
if [ $HAVE_STRACE = 1 ]; then
    # The path timed must be the one with the ledger check, and no more.
    VGPU_HOOK_CONF=$FAST_CONF strace -f -qq -e trace=%file,%process -o "$WORK/fast.trace" \
        "$HOOK" web-frontend-03 release end - < "$PLAIN" > /dev/null 2>>"$ERRLOG" ||
        die "fast path: release end failed"
    grep -F "\"$FAST_LEDGER\"" "$WORK/fast.trace" | grep -q stat ||
        die "fast path: release end did not look for $FAST_LEDGER"
    grep -qE 'vgpu-hook-core\.so|^[0-9]+ +(clone3?|v?fork)\(' "$WORK/fast.trace" &&
        die "fast path: release end of a domain without metadata or ledger loaded the core"
fi
{
    printf 'true\t0\t5\t-\t%s\t/bin/true\n' "$PLAIN"
    printf 'prepare\t0\t5\t-\t%s\t%s\tweb-frontend-03\tprepare\tbegin\t-\n' "$PLAIN" "$HOOK"
    printf 'release\t0\t5\t-\t%s\t%s\tweb-frontend-03\trelease\tend\t-\n' "$PLAIN" "$HOOK"
    printf 'reconnect\t0\t5\t-\t%s\t%s\tweb-frontend-03\treconnect\tbegin\t-\n' "$PLAIN" "$HOOK"
    printf 'linked\t0\t5\t-\t%s\t%s\n' "$PLAIN" "$ABS/bench/linked-ref"
    printf 'shell\t0\t5\t-\t%s\t%s\tweb-frontend-03\tprepare\tbegin\t-\n' "$PLAIN" "$TOP/bench/shell-hook.sh"
} > "$WORK/fast.spec"
VGPU_HOOK_CONF=$FAST_CONF "$BX" -R -r "$FAST_ROUNDS" -e "$ERRLOG" "$WORK/fast.spec" > "$WORK/fast.out" ||
    die "fast path: a run failed (see $ERRLOG)"
[ -e "$FAST_LEDGER" ] && die "fast path: $FAST_LEDGER appeared"
F=$WORK/fast.out
T_TRUE=$(field "$F" true 3)
T_SHELL=$(field "$F" shell 3)
out "### 1. No-vGPU fast path: \`NAME OP SUBOP -\`, ${PLAIN_KB} KB domain without metadata on stdin"
out ""
out "Whole process (fork, exec, exit, wait), $FAST_ROUNDS rounds interleaved (order rotated each round), 5 warm-up runs each."
out "Release and reconnect also read the config (the shipped one, $(wc -c < "$FAST_CONF") bytes) and \`lstat\` where the"
out "domain's ledger would be (an existing state directory without it)$([ $HAVE_STRACE = 1 ] && echo "; checked with strace: that lstat, no core, no child")."
out ""
out "| candidate | median ms | min ms | x /bin/true | x shell hook |"
out "|---|---:|---:|---:|---:|"
for c in true prepare release reconnect linked shell; do
    case $c in
    true) label='`/bin/true` (a process start)' ;;
    prepare) label='`vgpu-hook NAME prepare begin -`' ;;
    release) label='`vgpu-hook NAME release end -` (config read, ledger lstat)' ;;
    reconnect) label='`vgpu-hook NAME reconnect begin -` (config read, ledger lstat)' ;;
    linked) label='reference: libc-only logic linked to glib+libxml2+libuuid' ;;
    shell) label='bash hook: `case` on argv + `grep -q` (bench/shell-hook.sh)' ;;
    esac
    med=$(field "$F" $c 3)
    out "| $label | $(ms "$med") | $(ms "$(field "$F" $c 4)") | $(ratio "$med" "$T_TRUE") | $(ratio "$med" "$T_SHELL") |"
done
out ""
out "The lower bound for \"x shell hook\" is \`/bin/true\`'s own: $(ratio "$T_TRUE" "$T_SHELL") in this run."
out ""
T_PREP_FAST=$(field "$F" prepare 3)
T_REL_FAST=$(field "$F" release 3)
target "fast path prepare: x /bin/true" "$(ratio "$T_PREP_FAST" "$T_TRUE")" "$T_FAST_TRUE"
target "fast path prepare: x shell hook" "$(ratio "$T_PREP_FAST" "$T_SHELL")" "$T_FAST_SHELL"
target "fast path release (ledger check): x /bin/true" "$(ratio "$T_REL_FAST" "$T_TRUE")" "$T_FAST_TRUE"
target "fast path reconnect (ledger check): x /bin/true" \
    "$(ratio "$(field "$F" reconnect 3)" "$T_TRUE")" "$T_FAST_TRUE"

# --- 2. one vGPU on hosts of 1..16 GPUs (dgx-8x20 at 8), against mdevctl types ----------
# The hook runs inside the namespace with sysfs_root=/sys, the path
# mdevctl reads: same tree, same path walk.
STRACE_OUT=
lock_profile() {   # lock_profile LABEL CONF XML NAME OP SUBOP: one traced run -> "total_ms prelock_ms held_ms"
    local t=$WORK/strace.$RANDOM
    # strace needs a program, not the in_sim_ns shell function.
    VGPU_HOOK_CONF=$2 strace -o "$t" -f --seccomp-bpf -ttt -e trace=execve,flock,close,exit_group \
        nsenter -t "$SIM_NS_PID" -m -- "$HOOK" "$4" "$5" "$6" - < "$3" >/dev/null 2>>"$ERRLOG" || return 1
    awk -v hook="$HOOK" '
        index($0, "execve(\"" hook "\"") && / = 0$/ { t0 = $2 }
        /flock\(/ && / = 0$/ && !tl { s = $0; sub(/.*flock\(/, "", s); sub(/,.*/, "", s); fd = s; tl = $2 }
        tl && !tu && index($0, "close(" fd ")") && $2 > tl { tu = $2 }
        /exit_group/ && t0 && !te { te = $2 }
        END { if (t0 && tl && tu && te) printf "%.2f %.2f %.2f\n", (te - t0) * 1000, (tl - t0) * 1000, (tu - tl) * 1000 }' "$t"
    rm -f "$t"
}

HOSTS=$WORK/hosts.tsv
: > "$HOSTS"
PREP_XML=$WORK/one.xml
vgpu_domain bench-vm-1 dddddddd-0000-4000-8000-000000000001 00000000-0000-4000-8000-000000000001 \
    A40-2Q > "$PREP_XML"
HOSTS_SCALE=$WORK/hosts-scale.tsv
: > "$HOSTS_SCALE"
HOSTLIST=$SIZES
[ "${BUSY:-0}" -gt 0 ] && HOSTLIST="$HOSTLIST busy"
for n in $HOSTLIST; do
    base=0
    if [ "$n" = busy ]; then
        scen=$WORK/dgx-busy.ini label="dgx-8x20 + $BUSY mdevs"
        { cat "$TOP/tests/sim/scenarios/dgx-8x20.ini"; busy_mdevs "$TOP/tests/sim/scenarios/dgx-8x20.ini" "$BUSY"; } > "$scen"
        base=$BUSY
    elif [ "$n" = 8 ]; then
        scen=$TOP/tests/sim/scenarios/dgx-8x20.ini label=dgx-8x20
    else
        scen=$WORK/a40-$n.ini label="a40 ${n}x$VFS_PER_GPU"
        gen_scenario "$n" > "$scen"
    fi
    say "bench: host $label: prepare+release x $ROUNDS, mdevctl types x $MROUNDS"
    sim_up "$scen"
    ns_up
    parents=$(ls "$SIM_ROOT/class/mdev_bus" | wc -l)
    types=$(ls "$SIM_ROOT/class/mdev_bus/$(ls "$SIM_ROOT/class/mdev_bus" | head -1)/mdev_supported_types" | wc -l)
    conf=$WORK/hook-$n.conf
    write_conf "$conf" /sys "$WORK/state-$n"
    export VGPU_HOOK_CONF=$conf

    # Operation counts (deterministic), which also warm everything up.
    stats_reset
    in_sim_ns "$HOOK" bench-vm-1 prepare begin - < "$PREP_XML" >/dev/null 2>>"$ERRLOG" ||
        die "$label: prepare failed: $(tail -n 1 "$ERRLOG")"
    ops_prep=$(stats_line)
    [ "$(mdev_lines)" = $((base + 1)) ] || die "$label: prepare made no device"
    stats_reset
    in_sim_ns "$HOOK" bench-vm-1 release end - < "$PREP_XML" >/dev/null 2>>"$ERRLOG" ||
        die "$label: release failed: $(tail -n 1 "$ERRLOG")"
    ops_rel=$(stats_line)
    [ "$(mdev_lines)" = $base ] || die "$label: release left a device"
    ops_mdevctl="- - - - - - - -"
    if [ $HAVE_MDEVCTL = 1 ]; then
        stats_reset
        in_sim_ns mdevctl types > "$WORK/types.out" 2>>"$ERRLOG" ||
            die "$label: mdevctl types failed"
        ops_mdevctl=$(stats_line)
        [ "$(grep -c '^  nvidia-' "$WORK/types.out")" = $((parents * types)) ] ||
            die "$label: mdevctl types did not list $parents x $types types"
    fi

    {
        printf 'prepare\t0\t0\t%s\t%s\t%s\tbench-vm-1\tprepare\tbegin\t-\n' "$SIM_NS_PID" "$PREP_XML" "$HOOK"
        printf 'release\t0\t0\t%s\t%s\t%s\tbench-vm-1\trelease\tend\t-\n' "$SIM_NS_PID" "$PREP_XML" "$HOOK"
        # mdevctl reads the same files with or without mdevs: once is enough there.
        [ $HAVE_MDEVCTL = 1 ] && printf 'mdevctl\t%s\t0\t%s\t-\t%s\ttypes\n' \
            "$([ "$n" = busy ] && echo 1 || echo "$MROUNDS")" "$SIM_NS_PID" \
            "$(command -v mdevctl)"
    } > "$WORK/host.spec"
    "$BX" -r "$ROUNDS" -e "$ERRLOG" "$WORK/host.spec" > "$WORK/host.out" ||
        die "$label: a timed run failed (see $ERRLOG)"
    [ "$(mdev_lines)" = $base ] || die "$label: devices left after the timed runs"

    lock="- - -"
    if [ $HAVE_STRACE = 1 ]; then
        # Median of 5 traced prepares (each followed by an untraced release).
        for i in 1 2 3 4 5; do
            lock_profile "$label" "$conf" "$PREP_XML" bench-vm-1 prepare begin
            in_sim_ns "$HOOK" bench-vm-1 release end - < "$PREP_XML" >/dev/null 2>>"$ERRLOG"
        done > "$WORK/lock.txt"
        [ -s "$WORK/lock.txt" ] &&
            lock=$(sort -n -k3 "$WORK/lock.txt" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
    fi
    unset VGPU_HOOK_CONF
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$(ls "$SIM_ROOT/bus/pci/devices" | wc -l | awk -v p="$parents" '{ print $1 - p }')" "$parents" "$types" \
        "$(field "$WORK/host.out" prepare 3)" "$(field "$WORK/host.out" release 3)" \
        "$(tm=$(field "$WORK/host.out" mdevctl 3); echo "${tm:--}")" "$ops_prep" "$ops_rel" "$ops_mdevctl" "$lock" >> "$HOSTS"
    [ "$n" = busy ] || tail -n 1 "$HOSTS" >> "$HOSTS_SCALE"
    sim_ns_stop
    sim_stop
done

out "### 2. One vGPU (\`A40-2Q\`): \`prepare begin\` + \`release end\` vs \`mdevctl types\`, by host size"
out ""
out "Inside a mount namespace where /sys shows the simulator (hook: \`sysfs_root=/sys\`)."
out "Medians: $ROUNDS rounds of prepare/release, $MROUNDS of \`mdevctl types\` (1 on the host with mdevs), interleaved."
out "Ops = FUSE operations the simulator counted for one call (deterministic)."
out ""
out "| host | GPUs | VF parents x types | prepare ms | release ms | mdevctl types ms | prepare x mdevctl | prepare ops | ops / VF | release ops | mdevctl ops |"
out "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while IFS=$'\t' read -r label n parents types tp tr tm op orl om lock; do
    set -- $op
    op_total=$1
    set -- $orl
    rel_total=$1
    set -- $om
    m_total=$1
    out "| $label | $n | $parents x $types | $(ms "$tp") | $(ms "$tr") | $( [ "$tm" != - ] && ms "$tm" || echo -) | $( [ "$tm" != - ] && ratio "$tp" "$tm" || echo -) | $op_total | $(awk -v a="$op_total" -v b="$parents" 'BEGIN { printf "%.1f", a / b }') | $rel_total | $m_total |"
done < "$HOSTS"
out ""
out "Prepare's operations by kind (\`total getattr readdir readlink open read write other\`):"
out ""
out '```'
while IFS=$'\t' read -r label n parents types tp tr tm op orl om lock; do
    out "$(printf '%-12s prepare %s\n' "$label" "$op")"
    out "$(printf '%-12s release %s\n' "" "$orl")"
    out "$(printf '%-12s mdevctl %s\n' "" "$om")"
done < "$HOSTS"
out '```'
out ""
if [ $HAVE_STRACE = 1 ]; then
    out "Host lock per prepare (one traced run, median of 5; \`strace --seccomp-bpf -e flock,close\`, so slightly inflated):"
    out ""
    out "| host | prepare ms (traced) | before the lock ms | lock held ms | held / prepare |"
    out "|---|---:|---:|---:|---:|"
    while IFS=$'\t' read -r label n parents types tp tr tm op orl om lock; do
        set -- $lock
        out "| $label | $1 | $2 | $3 | $(ratio "${3:-0}" "${1:-0}") |"
    done < "$HOSTS"
    out ""
fi

dgx=$(awk -F'\t' '$1 == "dgx-8x20"' "$HOSTS")
busy=$(awk -F'\t' '$1 ~ /mdevs$/' "$HOSTS")
if [ -n "$dgx" ] && [ -n "$busy" ]; then
    IFS=$'\t' read -r _ _ _ _ _ _ _ o1 _ <<< "$dgx"
    IFS=$'\t' read -r _ _ _ _ _ _ _ o2 _ <<< "$busy"
    set -- $o1; o1=$1
    set -- $o2; o2=$1
    out "Existing mdevs: with $BUSY of them on dgx-8x20 a prepare costs $o2 operations instead of $o1,"
    out "$(awk -v a="$o2" -v b="$o1" -v n="$BUSY" 'BEGIN { printf "%.1f", (a - b) / n }') per existing mdev."
    out ""
fi
if [ -n "$dgx" ] && [ $HAVE_MDEVCTL = 1 ]; then
    IFS=$'\t' read -r _ _ _ _ tp _ tm _ <<< "$dgx"
    target "dgx-8x20 prepare: x mdevctl types" "$(ratio "$tp" "$tm")" "$T_PREP_MDEVCTL"
fi
# Scaling: from the smallest to the largest host, each added VF parent must
# cost a bounded number of attribute opens (its needed type; a scan of
# VFs x types would open >= 22 per VF), and the operations must grow no
# faster than the parents.
first=$(head -n 1 "$HOSTS_SCALE") last=$(tail -n 1 "$HOSTS_SCALE")
if [ "$first" != "$last" ]; then
    IFS=$'\t' read -r _ _ p1 _ _ _ _ o1 _ <<< "$first"
    IFS=$'\t' read -r _ _ p2 _ _ _ _ o2 _ <<< "$last"
    set -- $o1; o1=$1 opens1=$5
    set -- $o2; o2=$1 opens2=$5
    growth=$(ratio "$o2" "$o1")
    marg_ops=$(awk -v a="$o2" -v b="$o1" -v p="$p2" -v q="$p1" 'BEGIN { printf "%.1f", (a - b) / (p - q) }')
    marg_opens=$(awk -v a="$opens2" -v b="$opens1" -v p="$p2" -v q="$p1" 'BEGIN { printf "%.2f", (a - b) / (p - q) }')
    out "Scaling: from $p1 to $p2 VF parents ($(ratio "$p2" "$p1")x) prepare's operations grew ${growth}x;"
    out "each added VF parent costs $marg_ops operations, of which $marg_opens attribute opens."
    out ""
    target "scaling: attribute opens per added VF parent" "$marg_opens" "$T_SCALE_OPENS"
    # ops ratio against the parents ratio; 1.0 = exactly linear in VFs
    target "scaling: prepare ops growth / VF parent growth" \
        "$(awk -v g="$growth" -v a="$p2" -v b="$p1" 'BEGIN { printf "%.2f", g / (a / b) }')" 1.10
fi

# --- 2b. the simulator whole at /sys: operations per VF parent (bench/floor.sh) ------------
say "bench: the simulator whole at /sys (bench/floor.sh)"
FLOOR_TARGETS=$WORK/floor.targets BENCH_O=$BO BENCH_ROUNDS=$ROUNDS BENCH_MDEVCTL_ROUNDS=$MROUNDS \
    "$TOP/bench/floor.sh" > "$WORK/floor.md" 2>>"$WORK/floor.stderr" ||
    die "bench/floor.sh failed: $(tail -n 3 "$WORK/floor.stderr")"
cat "$WORK/floor.md" >> "$TABLE"
out ""
while IFS=$'\t' read -r what value limit; do
    target "$what" "$value" "$limit"
done < "$WORK/floor.targets"

# --- 3. concurrency: 64 prepares at once on a 64-VF host vs one after another ---------
say "bench: concurrency, $CONC domains on a40x2-sriov, $CROUNDS rounds"
sim_up "$TOP/tests/sim/scenarios/a40x2-sriov.ini"
CSTATE=$WORK/state-conc
CONF=$WORK/hook-conc.conf
write_conf "$CONF" "$SIM_ROOT" "$CSTATE"
export VGPU_HOOK_CONF=$CONF
: > "$WORK/prep64.spec"
: > "$WORK/rel64.spec"
for ((i = 1; i <= CONC; i++)); do
    x=$WORK/conc-$i.xml
    vgpu_domain "bench-vm-$i" "$(printf 'dddddddd-0000-4000-8000-%012x' "$i")" \
        "$(printf '00000000-0000-4000-8000-%012x' "$i")" A40-1Q > "$x"
    printf 'vm%d\t1\t0\t-\t%s\t%s\tbench-vm-%d\tprepare\tbegin\t-\n' "$i" "$x" "$HOOK" "$i" >> "$WORK/prep64.spec"
    printf 'vm%d\t1\t0\t-\t%s\t%s\tbench-vm-%d\trelease\tend\t-\n' "$i" "$x" "$HOOK" "$i" >> "$WORK/rel64.spec"
done
conc_check() {   # conc_check WHAT: all 64 placed on distinct VFs, all recorded
    local n p l
    n=$(mdev_lines)
    p=$(awk '{ print $2 }' "$SIM_ROOT/vgpu-sim/mdevs" | sort -u | wc -l)
    l=$(ls "$CSTATE"/*.ledger 2>/dev/null | wc -l)
    [ "$n" = $CONC ] && [ "$p" = $CONC ] && [ "$l" = $CONC ] ||
        die "concurrency ($1): $n devices on $p parents, $l ledgers; expected $CONC each (see $ERRLOG)"
}
conc_release() {
    "$BX" -S -e "$ERRLOG" "$WORK/rel64.spec" > /dev/null || die "concurrency: a release failed"
    [ "$(mdev_lines)" = 0 ] || die "concurrency: release left $(mdev_lines) devices"
    [ "$(ls "$CSTATE"/*.ledger 2>/dev/null | wc -l)" = 0 ] || die "concurrency: ledgers left after release"
}
# One sequential prepare for the operation count at 64 parents.
stats_reset
"$HOOK" bench-vm-1 prepare begin - < "$WORK/conc-1.xml" >/dev/null 2>>"$ERRLOG" || die "concurrency: prepare failed"
ops_c1=$(stats_line)
"$HOOK" bench-vm-1 release end - < "$WORK/conc-1.xml" >/dev/null 2>>"$ERRLOG"
: > "$WORK/par.out"
: > "$WORK/seq.out"
for ((r = 1; r <= CROUNDS; r++)); do
    "$BX" -P -e "$ERRLOG" "$WORK/prep64.spec" >> "$WORK/par.out" || die "concurrency: a parallel prepare failed (see $ERRLOG)"
    conc_check parallel
    conc_release
    stats_reset
    "$BX" -S -e "$ERRLOG" "$WORK/prep64.spec" >> "$WORK/seq.out" || die "concurrency: a sequential prepare failed"
    ops_c64=$(stats_line)
    conc_check sequential
    conc_release
done
unset VGPU_HOOK_CONF
sim_stop
med_col() { sort -n -k"$2" -t$'\t' "$1" | awk -F'\t' -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'; }
PW=$(med_col "$WORK/par.out" 3) SW=$(med_col "$WORK/seq.out" 3)
out "### 3. Concurrency: $CONC domains (\`A40-1Q\` each) on a40x2-sriov (2 x 32 VFs)"
out ""
out "Hook against the simulator's mount (\`sysfs_root=\` the mount). Medians of $CROUNDS rounds; every round"
out "checked: $CONC devices on $CONC distinct VFs, $CONC ledgers; after release none of either."
out ""
out "| mode | wall ms | median latency ms | max latency ms |"
out "|---|---:|---:|---:|"
out "| $CONC at once | $(ms "$PW") | $(ms "$(med_col "$WORK/par.out" 4)") | $(ms "$(med_col "$WORK/par.out" 5)") |"
out "| $CONC one after another | $(ms "$SW") | $(ms "$(med_col "$WORK/seq.out" 4)") | $(ms "$(med_col "$WORK/seq.out" 5)") |"
out ""
out "At once / sequential: **$(ratio "$PW" "$SW")** (2 cores: 0.5 would be perfect overlap; 1.0 = fully serialised)."
out ""
out "Ops: the first prepare on the empty host \`$ops_c1\`; all $CONC sequential prepares \`$ops_c64\`"
out "(\`total getattr readdir readlink open read write other\`)."
out ""
printf '| concurrency: %d at once / %d sequential (informational) | %s | - | - |\n' \
    "$CONC" "$CONC" "$(ratio "$PW" "$SW")" >> "$VERDICTS"

# --- report -----------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
REPORT=$WORK/report.md
{
    echo "# vgpu-hook benchmark results"
    echo
    echo "Generated by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD -- hooks allocator xml util 2>/dev/null || echo ' plus uncommitted changes')."
    echo
    echo "Machine: $MACHINE. Shared and noisy: compare the ratios and the operation counts,"
    echo "which are measured in the same run, not the absolute times."
    echo
    echo "Release build (\`make O=$BO all\`, \`-O2 -g\`, no sanitizers); simulated sysfs (tests/sim/vgpu-sim, FUSE);"
    echo "mdevctl $(mdevctl --version 2>/dev/null | awk '{ print $NF }' || echo '?') from Debian; timing by bench/bench-exec.c (fork+exec, CLOCK_MONOTONIC, no shell in the path)."
    echo
    echo "## Targets"
    echo
    echo "| target | measured | limit | verdict |"
    echo "|---|---:|---:|---|"
    cat "$VERDICTS"
    echo
    if [ $MISSED = 1 ]; then echo "**Some targets were MISSED** (see above)."; else echo "All targets met."; fi
    echo
    echo "## Figures"
    echo
    cat "$TABLE"
    echo "## Reproduce"
    echo
    echo '```sh'
    echo "make bench                                  # as root; about 3-5 minutes"
    echo "BENCH_ROUNDS=21 BENCH_MDEVCTL_ROUNDS=5 make bench   # more rounds"
    echo "BENCH_SIZES='1 8' BENCH_RESULTS= make bench          # quick, leaves RESULTS.md alone"
    echo '```'
} > "$REPORT"
cat "$REPORT"
if [ -n "$RESULTS" ]; then
    # bench/keeper.sh's section is its own: keep it.
    [ -f "$RESULTS" ] && sed -n '/^<!-- keeper-bench begin -->$/,/^<!-- keeper-bench end -->$/p' \
        "$RESULTS" | sed '1s/^/\n/' >> "$REPORT"
    cp "$REPORT" "$RESULTS"
    say "bench: wrote $RESULTS"
fi
[ $MISSED = 1 ] && say "bench: MISSED: at least one target (see the Targets table)"
grep -q . "$WORK/sim.stderr" 2>/dev/null && { say "bench: simulator stderr:"; head -n 20 "$WORK/sim.stderr" >&2; }
exit 0
