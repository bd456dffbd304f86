#!/usr/bin/env bash
# `make demo`: the main job on a simulated host. Mounts the simulator
# (two A40s with 32 SR-IOV VFs each unless DEMO_SCENARIO says otherwise),
# shows what the host offers, then runs the real hook as libvirt would for
# each example domain — prepare, then release — and shows the host after
# each step.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP}
. "$TOP/tests/lib.sh"
SCENARIO=${DEMO_SCENARIO:-a40x2-sriov}

[ "$(id -u)" -eq 0 ] || { echo "make demo mounts a FUSE file system: run it as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vgpu-demo.XXXXXX)
trap 'sim_stop; rm -rf "$WORK"' EXIT
sim_start "$SCENARIO"

cat > "$WORK/vgpu-hook.conf" <<CONF
[vgpu-hook]
sysfs_root=$SIM_ROOT
state_dir=$WORK/state
CONF
export VGPU_HOOK_CONF=$WORK/vgpu-hook.conf
HOOK=$B/hooks/vgpu-hook

show_host() {
    local pf vfs used m
    printf '  %-14s %-5s %-10s %s\n' GPU NUMA "VFs used" "vGPUs (uuid type)"
    for pf in $(ls "$SIM_ROOT/bus/pci/devices"); do
        [ -e "$SIM_ROOT/bus/pci/devices/$pf/sriov_totalvfs" ] ||
            [ -d "$SIM_ROOT/bus/pci/devices/$pf/mdev_supported_types" ] || continue
        [ -e "$SIM_ROOT/bus/pci/devices/$pf/physfn" ] && continue
        vfs=$(cat "$SIM_ROOT/bus/pci/devices/$pf/sriov_numvfs" 2>/dev/null || echo -)
        used=0
        local list=""
        for m in $(ls "$SIM_ROOT/bus/mdev/devices"); do
            local dir parent gpu
            dir=$(readlink -f "$SIM_ROOT/bus/mdev/devices/$m")
            parent=$(basename "$(dirname "$dir")")
            gpu=$parent
            [ -e "$SIM_ROOT/bus/pci/devices/$parent/physfn" ] &&
                gpu=$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$parent/physfn")")
            [ "$gpu" = "$pf" ] || continue
            used=$((used + 1))
            list+=" ${m:0:8}…@${parent##*:}=$(cat "$dir/mdev_type/name")"
        done
        printf '  %-14s %-5s %-10s %s\n' "$pf" "$(cat "$SIM_ROOT/bus/pci/devices/$pf/numa_node")" \
            "$used/$vfs" "${list:- -}"
    done
}

echo "== Simulated host ($SCENARIO), mounted at $SIM_ROOT"
p=$(ls "$SIM_ROOT/class/mdev_bus" | head -n 1)
echo "   $(ls "$SIM_ROOT/class/mdev_bus" | wc -l) mdev parents; types offered by $p:"
for t in "$SIM_ROOT/class/mdev_bus/$p/mdev_supported_types"/*; do
    printf '     %-12s %-16s free %s\n' "$(basename "$t")" "$(cat "$t/name")" "$(cat "$t/available_instances")"
done | head -n 8
echo "     …"
show_host

run() {   # run DOMAIN-XML OP SUBOP
    local name rc
    name=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$1" | head -n 1)
    echo
    echo "\$ vgpu-hook $name $2 $3 - < ${1#$TOP/}"
    set +e
    "$HOOK" "$name" "$2" "$3" - < "$1"
    rc=$?
    set -e
    echo "  exit $rc"
}

for x in "$TOP"/examples/*.xml; do
    run "$x" prepare begin
done
echo
echo "== After prepare"
show_host
for x in "$TOP"/examples/*.xml; do
    run "$x" release end
done
echo
echo "== After release"
show_host
left=$(ls "$SIM_ROOT/bus/mdev/devices" | wc -l)
echo
echo "$left mdev(s) left on the host; ledgers left: $(ls "$WORK/state"/*.ledger 2>/dev/null | wc -l)"
[ "$left" -eq 0 ]
