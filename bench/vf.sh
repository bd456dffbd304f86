#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/vf.sh: one whole-VF prepare (+ release) on a DGX-sized vendor-specific
# host (tests/sim/scenarios/dgx-8x20-vfio.ini: 8 GPUs x 20 VFs, no mdev)
# against reading every VF's nvidia/creatable_vgpu_types once (what listing
# the host's types costs, the analogue of `mdevctl types`), in one run, as
# ratios. Also the simulator's operation counts per call. Prints a Markdown
# table; exit 0 unless a run failed.
#   BENCH_ROUNDS=31   BENCH_O=build/bench
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
ROUNDS=${BENCH_ROUNDS:-31}
BO=${BENCH_O:-build/bench}
say() { printf '%s\n' "$*" >&2; }
die() { say "bench/vf: $*"; exit 1; }
[ "$(id -u)" = 0 ] && [ -e /dev/fuse ] || die "needs root and /dev/fuse"
make -s O="$BO" -j2 all sim >/dev/null || die "build failed (make O=$BO all sim)"
grep -q fsanitize "$BO/.flags" 2>/dev/null && die "$BO is a sanitizer build"
mkdir -p "$BO/bench"
cc -O2 -Wall -Wextra -o "$BO/bench/bench-exec" bench/bench-exec.c || die "cannot build bench-exec"
ABS=$TOP/$BO
BX=$ABS/bench/bench-exec
HOOK=$ABS/hooks/vgpu-hook
WORK=$(mktemp -d /tmp/vgpu-benchvf.XXXXXX)
B=$ABS
. "$TOP/tests/lib.sh"
trap 'sim_stop; rm -rf "$WORK"' EXIT
sim_start dgx-8x20-vfio 2>>"$WORK/sim.stderr" || die "vgpu-sim did not mount"

VF=0000:07:00.4
printf '[vgpu-hook]\nsysfs_root=%s\nstate_dir=%s\n' "$SIM_ROOT" "$WORK/state" > "$WORK/hook.conf"
export VGPU_HOOK_CONF=$WORK/hook.conf
{
    printf "<domain type='kvm'>\n  <name>bench-vf</name>\n  <uuid>dddddddd-0000-4000-8000-000000000001</uuid>\n"
    printf "  <metadata>\n    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
    printf "      <vgpu:device uuid=\"00000000-0000-4000-8000-000000000001\" profile=\"A40-2Q\"/>\n"
    printf "    </vgpu:vgpu>\n  </metadata>\n  <devices>\n"
    vf_hostdev 00000000-0000-4000-8000-000000000001 "$VF"
    printf "  </devices>\n</domain>\n"
} > "$WORK/vm.xml"
vfs=$(ls -d "$SIM_ROOT"/bus/pci/devices/*/nvidia | wc -l)
printf '#!/bin/sh\nexec cat %s/bus/pci/devices/*/nvidia/creatable_vgpu_types\n' "$SIM_ROOT" > "$WORK/list-types.sh"
chmod +x "$WORK/list-types.sh"

ops() { awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2 }' "$SIM_ROOT/vgpu-sim/stats"; }
reset() { printf 'reset-stats\n' > "$SIM_ROOT/vgpu-sim/control"; }
reset; "$HOOK" bench-vf prepare begin - < "$WORK/vm.xml" || die "prepare failed"
[ "$(cat "$SIM_ROOT/bus/pci/devices/$VF/nvidia/current_vgpu_type")" = 558 ] || die "prepare wrote no type"
OPS_PREP=$(ops)
reset; "$HOOK" bench-vf release end - < "$WORK/vm.xml" || die "release failed"
[ "$(cat "$SIM_ROOT/bus/pci/devices/$VF/nvidia/current_vgpu_type")" = 0 ] || die "release left the type"
OPS_REL=$(ops)
reset; "$WORK/list-types.sh" > "$WORK/types.out"
OPS_LIST=$(ops)
[ "$(grep -c 'NVIDIA A40' "$WORK/types.out")" = $((vfs * 22)) ] || die "the list is not $vfs x 22 types"

{
    printf 'prepare\t0\t3\t-\t%s\t%s\tbench-vf\tprepare\tbegin\t-\n' "$WORK/vm.xml" "$HOOK"
    printf 'release\t0\t3\t-\t%s\t%s\tbench-vf\trelease\tend\t-\n' "$WORK/vm.xml" "$HOOK"
    printf 'list\t0\t3\t-\t-\t%s\n' "$WORK/list-types.sh"
} > "$WORK/spec"
"$BX" -r "$ROUNDS" -e "$WORK/children.stderr" "$WORK/spec" > "$WORK/out" ||
    die "a timed run failed: $(tail -n 3 "$WORK/children.stderr")"
f() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$WORK/out"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
L=$(f list 3)
echo "### Whole-VF prepare on dgx-8x20-vfio ($vfs vendor-specific VFs, 22 types each), $ROUNDS interleaved rounds"
echo
echo "| candidate | median ms | min ms | x listing every VF's types |"
echo "|---|---:|---:|---:|"
for c in prepare release list; do
    case $c in
    prepare) label="\`vgpu-hook NAME prepare begin -\` (A40-2Q onto $VF)" ;;
    release) label='`vgpu-hook NAME release end -`' ;;
    list) label="\`cat\` of all $vfs \`nvidia/creatable_vgpu_types\`" ;;
    esac
    echo "| $label | $(ms "$(f $c 3)") | $(ms "$(f $c 4)") | $(ratio "$(f $c 3)" "$L") |"
done
echo
echo "Simulator operations per call: prepare: $OPS_PREP; release: $OPS_REL; listing: $OPS_LIST."
