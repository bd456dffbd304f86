#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/keeper.sh — `make bench-keeper`: how long a metadata-only domain
# waits for its <hostdev>. From `virsh define` returning to the <hostdev>
# being in the persistent definition (libvirt's file for the domain, read
# from outside the namespace), with vgpu-keeper running; against the same
# define followed by `vgpuctl sync NAME` typed by hand (until it returns),
# in the same run, in alternating blocks of 10. Prints medians, p99 and the
# ratio; rewrites its own section of bench/RESULTS.md (between the
# keeper-bench markers; bench/run.sh keeps that section). Twice: an mdev
# request on a40x2-sriov (an mdev <hostdev>), and a whole-VF request
# (gpu=) on s7150-2vf (a PCI <hostdev> naming a free VF, chosen by the
# keeper's whole-VF pass or by vgpuctl sync's).
#
# Needs what tests/e2e needs (root, /dev/fuse, libvirt, QEMU; KVM or TCG).
# Knobs: BENCH_O=build/bench, BENCH_KEEPER_N=100 (defines per candidate and case),
#        BENCH_RESULTS=bench/RESULTS.md ("" = nowhere).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
BO=${BENCH_O:-build/bench}
N=${BENCH_KEEPER_N:-100}
RESULTS=${BENCH_RESULTS-bench/RESULTS.md}
BLOCK=10

say() { printf '%s\n' "$*" >&2; }
die() { say "bench-keeper: $*"; exit 1; }

say "bench-keeper: release build in $BO"
make -s O="$BO" -j2 all sim > /dev/null || die "build failed (make O=$BO all sim)"
grep -q fsanitize "$BO/.flags" 2>/dev/null && die "$BO is a sanitizer build; use another BENCH_O"
export B=$TOP/$BO
. "$TOP/tests/e2e/libvirt-env.sh"
lv_setup || die "libvirt cannot run here (see the line above)"
KPID=
OUT=$(mktemp -d /tmp/bench-keeper.XXXXXX)
finish() {
    [ -n "$KPID" ] && { kill -CONT "$KPID"; kill -TERM "$KPID"; wait "$KPID"; } 2>/dev/null
    lv_stop > /dev/null 2>&1
    rm -rf "$OUT"
}
trap finish EXIT

now_us() { echo $(($(date +%s%N) / 1000)); }
defined_file() { lv_nsfile "/etc/libvirt/qemu/$1.xml"; }
has_hostdev() { local x; x=$(< "$(defined_file "$1")") 2> /dev/null && [[ $x == *"$MARK"* ]]; }
dxml() { lv_domain_xml "$1" "$(printf 'bbbbbbbb-0000-4000-8000-%012x' "$2")" --no-hostdev "$ATTRS"; }

# bench_case NAME SCENARIO [KEY=VALUE...]: $N defines each way into OUT/NAME.{keeper,hand}.us;
# ATTRS (the request) and MARK (what its hostdev shows) set by the caller
bench_case() {
    local name=$1 scen=$2 i j n
    shift 2
    say "bench-keeper: $name on $scen"
    lv_start "$scen" "$@" > /dev/null || die "libvirtd did not start in the namespace ($scen)"
    (cd / && exec nsenter -m -t "$LV_KEEPER" -- "$LV_B/keeper/vgpu-keeper" -c qemu:///system \
        > "$LV_WORK/vgpu-keeper.log" 2>&1 < /dev/null) &
    KPID=$!
    for _ in $(seq 1 300); do
        grep -q '^connected=true' "$(lv_nsfile /run/vgpu-hook/keeper.status)" 2>/dev/null && break
        sleep 0.05
    done
    : > "$OUT/$name.keeper.us"
    : > "$OUT/$name.hand.us"
    i=0
    while [ $i -lt "$N" ]; do
        for ((j = 0; j < BLOCK && i + j < N; j++)); do
            n=$((i + j))
            dxml "bk$n" "$n" > "$LV_WORK/bk.xml"
            lv_virsh define "$LV_WORK/bk.xml" > /dev/null || die "virsh define bk$n failed"
            t0=$(now_us)
            for _ in $(seq 1 20000); do has_hostdev "bk$n" && break; done
            t1=$(now_us)
            has_hostdev "bk$n" || die "the keeper did not add bk$n's <hostdev>"
            echo $((t1 - t0)) >> "$OUT/$name.keeper.us"
            lv_virsh undefine "bk$n" > /dev/null
        done
        kill -STOP "$KPID"   # by hand: the keeper must not do the work meanwhile
        for ((j = 0; j < BLOCK && i + j < N; j++)); do
            n=$((N + i + j))
            dxml "bh$n" "$n" > "$LV_WORK/bh.xml"
            lv_virsh define "$LV_WORK/bh.xml" > /dev/null || die "virsh define bh$n failed"
            t0=$(now_us)
            lv_vgpuctl sync "bh$n" > /dev/null || die "vgpuctl sync bh$n failed"
            t1=$(now_us)
            has_hostdev "bh$n" || die "vgpuctl sync did not add bh$n's <hostdev>"
            echo $((t1 - t0)) >> "$OUT/$name.hand.us"
            lv_virsh undefine "bh$n" > /dev/null
        done
        kill -CONT "$KPID"
        sleep 0.3            # let it read the events it missed (nothing to do)
        i=$((i + BLOCK))
    done
    sed -n 's/^redefinitions=//p' "$(lv_nsfile /run/vgpu-hook/keeper.status)" > "$OUT/$name.redef"
    kill -TERM "$KPID"; wait "$KPID" 2>/dev/null
    KPID=
    lv_stop > /dev/null 2>&1
}

ATTRS='profile="A40-2Q"' MARK='<address uuid=' bench_case mdev a40x2-sriov
ATTRS='gpu="S7150"' MARK="<alias name='ua-vgpu-" bench_case vf s7150-2vf "pci_ids_path=$TOP/tests/sim/pci.ids"

# stats FILE: "median p99 max" in ms (nearest rank)
stats() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]; if (p == "") p = v[NR]
        printf "%.1f %.1f %.1f\n", m / 1000, p / 1000, v[NR] / 1000 }'
}
read -r KM KP KX < <(stats "$OUT/mdev.keeper.us")
read -r HM HP HX < <(stats "$OUT/mdev.hand.us")
read -r VKM VKP VKX < <(stats "$OUT/vf.keeper.us")
read -r VHM VHP VHX < <(stats "$OUT/vf.hand.us")
REDEF=$(cat "$OUT/mdev.redef")
VREDEF=$(cat "$OUT/vf.redef")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SECTION=$OUT/section.md
{
    echo "<!-- keeper-bench begin -->"
    echo "## vgpu-keeper: metadata-only \`virsh define\` to a definition with its \`<hostdev>\`"
    echo
    echo "Generated by \`make bench-keeper\` (bench/keeper.sh) on $(date -u '+%Y-%m-%d %H:%M UTC');" \
         "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) CPUs ($CPU)," \
         "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; libvirtd $(libvirtd --version | awk '{ print $NF }')" \
         "in the tests/e2e namespace, release build."
    echo
    echo "$N defines each, in alternating blocks of $BLOCK. Keeper: from \`virsh define\` returning until"
    echo "libvirt's file for the domain holds the \`<hostdev>\` (polled). By hand: from \`virsh define\` returning"
    echo "until \`vgpuctl sync NAME\` returns (the keeper stopped meanwhile). mdev: \`profile=\"A40-2Q\"\` on"
    echo "a40x2-sriov (an mdev \`<hostdev>\`); whole VF: \`gpu=\"S7150\"\` on s7150-2vf (a PCI \`<hostdev>\` naming a"
    echo "free VF: the keeper's whole-VF pass reads every domain and the host at each event)."
    echo
    echo "| case | candidate | median ms | p99 ms | max ms | x by hand (median) |"
    echo "|---|---|---:|---:|---:|---:|"
    echo "| mdev | vgpu-keeper running | $KM | $KP | $KX | $(ratio "$KM" "$HM") |"
    echo "| mdev | \`vgpuctl sync NAME\` by hand | $HM | $HP | $HX | 1.00 |"
    echo "| whole VF | vgpu-keeper running | $VKM | $VKP | $VKX | $(ratio "$VKM" "$VHM") |"
    echo "| whole VF | \`vgpuctl sync NAME\` by hand | $VHM | $VHP | $VHX | 1.00 |"
    echo
    echo "The keeper counted $REDEF (mdev) and $VREDEF (whole VF) redefinitions over $((2 * N)) domains each"
    echo "($N expected: one for each of its own; those synced by hand were undefined before it woke up again)."
    echo "<!-- keeper-bench end -->"
} > "$SECTION"
cat "$SECTION"
if [ -n "$RESULTS" ]; then
    if grep -q '^<!-- keeper-bench begin -->$' "$RESULTS" 2>/dev/null; then
        awk -v f="$SECTION" '
            /^<!-- keeper-bench begin -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
            /^<!-- keeper-bench end -->$/ { skip = 0; next }
            !skip' "$RESULTS" > "$RESULTS.new" && mv "$RESULTS.new" "$RESULTS"
    else
        { echo; cat "$SECTION"; } >> "$RESULTS"
    fi
    say "bench-keeper: wrote its section of $RESULTS"
fi
