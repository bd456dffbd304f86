#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/floor.sh: what one call costs in sysfs operations with the simulator
# mounted whole at /sys in a private mount namespace, so that every path
# lookup reaches it as every lookup reaches kernfs on a real host (run.sh's
# namespace puts tmpfs directories between /sys and the simulator, which
# answer most lookups themselves). On dgx-8x20 (8 A40 x 20 VFs x 22 types):
# `vgpu-hook NAME prepare begin -` of one A40-2Q, `vgpuctl check` of the same
# domain, and `mdevctl types`; on dgx-8x20-vfio (vendor-specific VFs, no
# mdev) the keeper's pass (`vgpu-keeper --once --dry-run` over libvirt's
# in-process test driver) for one domain that wants a whole VF. Counts are
# the simulator's (deterministic); times are medians of interleaved runs.
#
# Prints a Markdown section on stdout; with FLOOR_TARGETS=FILE appends its
# target rows ("DESCRIPTION<TAB>VALUE<TAB>LIMIT") there. Exit 0 unless a run
# failed. Knobs: BENCH_O (release build), BENCH_ROUNDS (default 11),
# BENCH_MDEVCTL_ROUNDS (default 3).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
BO=${BENCH_O:-build/bench}
ROUNDS=${BENCH_ROUNDS:-11}
MROUNDS=${BENCH_MDEVCTL_ROUNDS:-3}
TARGETS=${FLOOR_TARGETS:-/dev/null}
# Targets (issue: a prepare near the floor of sysfs reads).
T_OPS_PER_VF=20       # operations per VF parent, all kinds
T_NONLOOKUP_PER_VF=4  # ... of which not path lookups (getattr)
T_X_MDEVCTL=0.01      # time against `mdevctl types` on dgx-8x20, same run
# The same counts at 937b8f5 (ops / VF parent, non-lookup ops / VF parent),
# printed beside: the figures the targets were set against.
BEFORE_PREP="83.12, 14.57"
BEFORE_REL="0.25, 0.04"
BEFORE_CHECK="83.22, 14.55"
BEFORE_MDEVCTL="1904.03, 399.01"
BEFORE_KEEP="190.53, 40.27"

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/floor: $*"; exit 1; }
[ "$(id -u)" = 0 ] && [ -e /dev/fuse ] || die "needs root and /dev/fuse"
command -v unshare >/dev/null && command -v nsenter >/dev/null || die "needs unshare and nsenter"
make -s O="$BO" -j2 all sim >/dev/null || die "build failed (make O=$BO all sim)"
grep -q fsanitize "$BO/.flags" 2>/dev/null && die "$BO is a sanitizer build"
mkdir -p "$BO/bench"
cc -O2 -Wall -Wextra -o "$BO/bench/bench-exec" bench/bench-exec.c || die "cannot build bench-exec"
ABS=$TOP/$BO
BX=$ABS/bench/bench-exec
HOOK=$ABS/hooks/vgpu-hook
VGPUCTL=$ABS/cli/vgpuctl
KEEPER=$ABS/keeper/vgpu-keeper
HAVE_MDEVCTL=1
command -v mdevctl >/dev/null || HAVE_MDEVCTL=0
WORK=$(mktemp -d /tmp/vgpu-benchfloor.XXXXXX)
ERRLOG=$WORK/children.stderr
: > "$ERRLOG"
B=$ABS
. "$TOP/tests/lib.sh"

# The simulator whole at /sys, in a namespace held by a sleeping process.
WHOLE_PID=
whole_start() {
    unshare -m --propagation private bash -c \
        'mount --bind "$1" /sys || exit 97; echo ready; exec sleep infinity' _ "$SIM_ROOT" \
        > "$WORK/ns.log" 2>&1 &
    WHOLE_PID=$!
    local i
    for i in $(seq 1 300); do
        grep -q ready "$WORK/ns.log" 2>/dev/null && return 0
        kill -0 "$WHOLE_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/ns.log" >&2
    return 1
}
whole_stop() {
    [ -n "$WHOLE_PID" ] || return 0
    kill "$WHOLE_PID" 2>/dev/null
    wait "$WHOLE_PID" 2>/dev/null
    WHOLE_PID=
}
in_whole() { nsenter -t "$WHOLE_PID" -m -- "$@"; }
trap 'whole_stop; sim_stop; rm -rf "$WORK"' EXIT

reset() { printf 'reset-stats\n' > "$SIM_ROOT/vgpu-sim/control"; }
# "total lookups other" since the reset: lookups are getattr (the
# simulator's high-level FUSE API answers LOOKUP and GETATTR alike).
ops() {
    awk '{ v[$1] = $2 } END { print v["total"], v["getattr"], v["total"] - v["getattr"] }' \
        "$SIM_ROOT/vgpu-sim/stats"
}
# kinds: "getattr readdir readlink open read write other"
kinds() {
    awk '{ v[$1] = $2 } END { print v["getattr"], v["readdir"], v["readlink"], v["open"],
           v["read"], v["write"], v["other"] }' "$SIM_ROOT/vgpu-sim/stats"
}
field() { awk -F'\t' -v n="$2" -v c="$3" '$1 == n { print $c }' "$1"; }
ms()    { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "n/a" }'; }
per()   { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
target() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$TARGETS"; }

DEV=00000000-0000-4000-8000-000000000001
DOMU=dddddddd-0000-4000-8000-000000000001

# --- dgx-8x20: prepare, check, mdevctl types -------------------------------------------
say "bench/floor: dgx-8x20 with the simulator whole at /sys"
sim_start dgx-8x20 2>>"$WORK/sim.stderr" || die "vgpu-sim did not mount"
whole_start || die "could not mount the simulator at /sys in a namespace"
VFS=$(ls "$SIM_ROOT/class/mdev_bus" | wc -l)
printf '[vgpu-hook]\nsysfs_root=/sys\nstate_dir=%s\nremove_retry_delay_ms=20\nrelease_wait_ms=0\n' \
    "$WORK/state" > "$WORK/hook.conf"
export VGPU_HOOK_CONF=$WORK/hook.conf
awk -v uuid="$DEV" -v duuid="$DOMU" '
    /<name>/ { print "  <name>bench-vm-1</name>"; next }
    /<uuid>/ && !u { print "  <uuid>" duuid "</uuid>"; u = 1; next }
    /<\/metadata>/ {
        print "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">"
        print "      <vgpu:device uuid=\"" uuid "\" profile=\"A40-2Q\"/>"
        print "    </vgpu:vgpu>"
    }
    /<\/devices>/ {
        print "    <hostdev mode=\x27subsystem\x27 type=\x27mdev\x27 model=\x27vfio-pci\x27 display=\x27off\x27>"
        print "      <source>"
        print "        <address uuid=\x27" uuid "\x27/>"
        print "      </source>"
        print "    </hostdev>"
    }
    { print }' bench/domain-plain.xml > "$WORK/vm.xml"

reset
in_whole "$HOOK" bench-vm-1 prepare begin - < "$WORK/vm.xml" >/dev/null 2>>"$ERRLOG" ||
    die "prepare failed: $(tail -n 1 "$ERRLOG")"
OPS_PREP=$(ops) K_PREP=$(kinds)
[ "$(grep -c . "$SIM_ROOT/vgpu-sim/mdevs")" = 1 ] || die "prepare made no device"
reset
in_whole "$HOOK" bench-vm-1 release end - < "$WORK/vm.xml" >/dev/null 2>>"$ERRLOG" ||
    die "release failed"
OPS_REL=$(ops)
[ "$(grep -c . "$SIM_ROOT/vgpu-sim/mdevs")" = 0 ] || die "release left a device"
reset
in_whole "$VGPUCTL" --hook-config "$WORK/hook.conf" check "$WORK/vm.xml" > "$WORK/check.out" 2>>"$ERRLOG" ||
    die "vgpuctl check failed: $(tail -n 2 "$WORK/check.out")"
OPS_CHECK=$(ops) K_CHECK=$(kinds)
grep -q "create  *0000:" "$WORK/check.out" || die "vgpuctl check did not place the device"
OPS_MDEVCTL="- - -" K_MDEVCTL=-
if [ $HAVE_MDEVCTL = 1 ]; then
    reset
    in_whole mdevctl types > "$WORK/types.out" 2>>"$ERRLOG" || die "mdevctl types failed"
    OPS_MDEVCTL=$(ops) K_MDEVCTL=$(kinds)
    [ "$(grep -c '^  nvidia-' "$WORK/types.out")" = $((VFS * 22)) ] ||
        die "mdevctl types did not list $VFS x 22 types"
fi
{
    printf 'prepare\t0\t1\t%s\t%s\t%s\tbench-vm-1\tprepare\tbegin\t-\n' "$WHOLE_PID" "$WORK/vm.xml" "$HOOK"
    printf 'release\t0\t1\t%s\t%s\t%s\tbench-vm-1\trelease\tend\t-\n' "$WHOLE_PID" "$WORK/vm.xml" "$HOOK"
    printf 'check\t0\t1\t%s\t-\t%s\t--hook-config\t%s\tcheck\t%s\n' "$WHOLE_PID" "$VGPUCTL" "$WORK/hook.conf" "$WORK/vm.xml"
    [ $HAVE_MDEVCTL = 1 ] && printf 'mdevctl\t%s\t0\t%s\t-\t%s\ttypes\n' "$MROUNDS" "$WHOLE_PID" "$(command -v mdevctl)"
} > "$WORK/dgx.spec"
"$BX" -r "$ROUNDS" -e "$ERRLOG" "$WORK/dgx.spec" > "$WORK/dgx.out" || die "a timed run failed (see $ERRLOG)"
unset VGPU_HOOK_CONF
whole_stop
sim_stop
T_MDEVCTL=$(field "$WORK/dgx.out" mdevctl 3)

# --- dgx-8x20-vfio: the keeper's pass ------------------------------------------------------
say "bench/floor: dgx-8x20-vfio, the keeper's pass"
sim_start dgx-8x20-vfio 2>>"$WORK/sim.stderr" || die "vgpu-sim did not mount"
whole_start || die "could not mount the simulator at /sys in a namespace"
VFS_VFIO=$(ls -d "$SIM_ROOT"/bus/pci/devices/*/nvidia | wc -l)
printf '[vgpu-hook]\nsysfs_root=/sys\nstate_dir=%s\n' "$WORK/state-vfio" > "$WORK/keeper.conf"
# One domain, shut off, that wants an A40-2Q whole VF and names none: the
# pass picks one for it (--dry-run: says so, changes nothing).
{
    echo "<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
    echo "<name>bench-vf</name><uuid>$DOMU</uuid><memory>65536</memory><os><type arch='x86_64'>hvm</type></os>"
    echo "<metadata><vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'><vgpu:device uuid='$DEV' profile='A40-2Q'/></vgpu:vgpu></metadata>"
    echo "<devices/><test:runstate>5</test:runstate></domain></node>"
} > "$WORK/node.xml"
reset
in_whole "$KEEPER" -c "test://$WORK/node.xml" --config "$WORK/keeper.conf" --once --dry-run \
    > "$WORK/keeper.out" 2>&1 || die "vgpu-keeper --once failed: $(tail -n 2 "$WORK/keeper.out")"
OPS_KEEP=$(ops) K_KEEP=$(kinds)
grep -q "would re-point: domain 'bench-vf'" "$WORK/keeper.out" ||
    die "the keeper's pass chose no VF: $(tr '\n' ' ' < "$WORK/keeper.out")"
printf 'keeper\t0\t1\t%s\t-\t%s\t-c\ttest://%s\t--config\t%s\t--once\t--dry-run\n' \
    "$WHOLE_PID" "$KEEPER" "$WORK/node.xml" "$WORK/keeper.conf" > "$WORK/keeper.spec"
"$BX" -r "$ROUNDS" -e "$ERRLOG" "$WORK/keeper.spec" > "$WORK/keeper.tim" || die "a timed keeper pass failed"
whole_stop
sim_stop

# --- report ---------------------------------------------------------------------------------
echo "### 2b. The simulator whole at /sys: operations per VF parent"
echo
echo "The simulator bind-mounted over /sys in a private mount namespace: every path lookup"
echo "reaches it (as every lookup reaches kernfs on a real host), where section 2's namespace"
echo "answers most of them from its tmpfs. dgx-8x20: $VFS VF parents x 22 types; dgx-8x20-vfio:"
echo "$VFS_VFIO vendor-specific VFs, no mdev. Lookups = the simulator's getattr (its FUSE"
echo "high-level API answers LOOKUP and GETATTR alike); other = readdir, readlink, open, read,"
echo "write and opendir. Times: medians of $ROUNDS interleaved rounds ($MROUNDS of \`mdevctl types\`)."
echo
echo "| call | ops | ops / VF | other ops | other / VF | before: ops / VF, other / VF | ms | x mdevctl types |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
row() {   # row LABEL "TOTAL LOOKUPS OTHER" VFS TIME_US BEFORE
    local label=$1 vfs=$3 t=$4 before=$5
    set -- $2
    echo "| $label | $1 | $(per "$1" "$vfs") | $3 | $(per "$3" "$vfs") | $before | $( [ -n "$t" ] && ms "$t" || echo -) | $( [ -n "$t" ] && [ -n "$T_MDEVCTL" ] && ratio "$t" "$T_MDEVCTL" || echo -) |"
}
row "dgx-8x20: \`vgpu-hook NAME prepare begin -\` (A40-2Q)" "$OPS_PREP" "$VFS" "$(field "$WORK/dgx.out" prepare 3)" "$BEFORE_PREP"
row "dgx-8x20: \`vgpu-hook NAME release end -\`" "$OPS_REL" "$VFS" "$(field "$WORK/dgx.out" release 3)" "$BEFORE_REL"
row "dgx-8x20: \`vgpuctl check FILE\`" "$OPS_CHECK" "$VFS" "$(field "$WORK/dgx.out" check 3)" "$BEFORE_CHECK"
[ $HAVE_MDEVCTL = 1 ] && row "dgx-8x20: \`mdevctl types\`" "$OPS_MDEVCTL" "$VFS" "$T_MDEVCTL" "$BEFORE_MDEVCTL"
row "dgx-8x20-vfio: \`vgpu-keeper --once --dry-run\` (one domain wants a VF)" "$OPS_KEEP" "$VFS_VFIO" "$(field "$WORK/keeper.tim" keeper 3)" "$BEFORE_KEEP"
echo
echo "By kind (\`getattr readdir readlink open read write other\`): prepare \`$K_PREP\`;"
echo "check \`$K_CHECK\`; mdevctl types \`$K_MDEVCTL\`; keeper pass \`$K_KEEP\`."
echo
echo "\"Before\": the same calls at commit 937b8f5, before the scan read relative to resolved"
echo "directories (this script against that build; counts are deterministic)."
echo
for c in prep check keep; do
    case $c in
    prep) what="prepare"; o=$OPS_PREP v=$VFS t=$(field "$WORK/dgx.out" prepare 3) ;;
    check) what="vgpuctl check"; o=$OPS_CHECK v=$VFS t=$(field "$WORK/dgx.out" check 3) ;;
    keep) what="keeper's pass (dgx-8x20-vfio)"; o=$OPS_KEEP v=$VFS_VFIO t=$(field "$WORK/keeper.tim" keeper 3) ;;
    esac
    set -- $o
    target "whole /sys: $what: ops per VF parent" "$(per "$1" "$v")" "$T_OPS_PER_VF"
    target "whole /sys: $what: non-lookup ops per VF parent" "$(per "$3" "$v")" "$T_NONLOOKUP_PER_VF"
    [ -n "$T_MDEVCTL" ] && target "whole /sys: $what: x mdevctl types (dgx-8x20)" "$(ratio "$t" "$T_MDEVCTL")" "$T_X_MDEVCTL"
done
grep -q . "$WORK/sim.stderr" 2>/dev/null && { say "bench/floor: simulator stderr:"; head -n 20 "$WORK/sim.stderr" >&2; }
exit 0
