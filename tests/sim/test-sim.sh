#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-sim.sh: the sysfs simulator's tree and driver behaviour, checked
# through the mount with plain shell tools.  Run as root:
#   B=build/sim bash tests/sim/test-sim.sh
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-sim-test.XXXXXX)
SIMLOG=$WORK/sim.stderr     # every simulator's stderr: sanitizer reports land here
trap 'sim_stop 2>>"$SIMLOG"; rm -rf "$WORK"' EXIT

if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ]; then
    t_skip "simulator tier" "needs root and /dev/fuse"
    exit 0
fi
[ -x "$B/tests/sim/vgpu-sim" ] || { echo "not ok - build: $B/tests/sim/vgpu-sim missing"; exit 1; }

# --- helpers ---------------------------------------------------------------

start() { sim_start "$1" 2>>"$SIMLOG" || { t_fail "mount $1" "see $SIMLOG"; exit 1; }; }
stop() { sim_stop 2>>"$SIMLOG"; }

# Its own UUID numbering (not lib.sh's u): the number shows in both halves.
u() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }        # test UUID number N
ty() { echo "$SIM_ROOT/class/mdev_bus/$1/mdev_supported_types/$2"; }
avail() { cat "$(ty "$1" "$2")/available_instances"; }
create() { wr "$(ty "$1" "$2")/create" "$3"; }
rm_mdev() { wr "$SIM_ROOT/bus/mdev/devices/$1/remove" "${2:-1}"; }
ctl() { wr "$SIM_ROOT/vgpu-sim/control" "$*"; }
exists() { [ -e "$SIM_ROOT/bus/mdev/devices/$1" ] && echo yes || echo no; }
now_us() { echo "${EPOCHREALTIME/./}"; }
ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }
vf() { ls "$SIM_ROOT/class/mdev_bus" | grep '^0000:e8' | sed -n "${1}p"; }   # Nth VF of GPU 0
# avail_all PARENT TYPE...: the counts, space separated
avail_all() { local p=$1 t r=(); shift; for t in "$@"; do r+=("$(avail "$p" "$t")"); done; echo "${r[*]}"; }

# wait_exit PID: its exit status, waiting at most 60 s (then SIGKILL, 137).
# Not less: the simulator is an ASan build whose exit-time leak check a
# SIGKILL would cut short (a sanitizer report), and a loaded machine was
# seen to need more than 5 s.
wait_exit() {
    local i start=$SIM_START
    [ "$1" = "$SIM_PID" ] || start=$(proc_start "$1")
    for i in $(seq 1 1200); do same_proc "$1" "$start" || break; sleep 0.05; done
    same_proc "$1" "$start" && kill -KILL "$1" 2>/dev/null
    wait "$1"
}
# wait_state UUID STATE: until vgpu-sim/mdevs shows UUID in STATE (the event a
# background write stands for; a fixed sleep was too short when loaded).
wait_state() {
    local i
    for i in $(seq 1 600); do
        grep -q "^$1 .* $2\$" "$SIM_ROOT/vgpu-sim/mdevs" && return 0
        sleep 0.05
    done
    return 1
}

# Writes a scenario file to $WORK/NAME.ini from stdin and prints its path.
scenario() { cat > "$WORK/$1.ini"; echo "$WORK/$1.ini"; }

# --- A40 with SR-IOV: tree ---------------------------------------------------

start a40x2-sriov
S=$SIM_ROOT
PF0=0000:e8:00.0 PF1=0000:67:00.0
V0=0000:e8:00.4 V1=0000:e8:00.5 V2=0000:e8:00.6 V3=0000:e8:00.7
PF0_DIR=$S/devices/pci0000:e0/0000:e0:01.0/$PF0

t_eq "a40: 64 VFs are mdev parents" 64 "$(ls "$S/class/mdev_bus" | wc -l)"
t_eq "a40: class/mdev_bus link is relative into devices/" \
    "../../devices/pci0000:e0/0000:e0:01.0/$V0" "$(readlink "$S/class/mdev_bus/$V0")"
t_eq "a40: realpath of class/mdev_bus/X is the device dir" \
    "$S/devices/pci0000:e0/0000:e0:01.0/$V0" "$(realpath "$S/class/mdev_bus/$V0")"
t_ok "a40: device dir is a directory" test -d "$(realpath "$S/class/mdev_bus/$V0")"
t_eq "a40: VF addresses run 00.4 .. 04.3" "0000:e8:00.4 0000:e8:04.3" \
    "$(ls "$S/class/mdev_bus" | grep '^0000:e8' | sed -n '1p;$p' | paste -sd' ')"
t_eq "a40: 01.0 follows 00.7" yes "$([ -e "$S/class/mdev_bus/0000:e8:01.0" ] && echo yes)"
t_eq "a40: PF is not an mdev parent" "no no" \
    "$([ -e "$S/class/mdev_bus/$PF0" ] && echo yes || echo no) $([ -e "$PF0_DIR/mdev_supported_types" ] && echo yes || echo no)"
t_eq "a40: PF vendor" 0x10de "$(cat "$PF0_DIR/vendor")"
t_eq "a40: PF device" 0x2235 "$(cat "$PF0_DIR/device")"
t_eq "a40: PF sriov_totalvfs" 32 "$(cat "$PF0_DIR/sriov_totalvfs")"
t_eq "a40: PF sriov_numvfs" 32 "$(cat "$PF0_DIR/sriov_numvfs")"
t_eq "a40: sriov_numvfs rewrite of the same count" ok "$(wr "$PF0_DIR/sriov_numvfs" 32)"
t_eq "a40: sriov_numvfs change refused" EBUSY "$(wr "$PF0_DIR/sriov_numvfs" 4)"
t_eq "a40: virtfn0 -> ../VF" "../$V0" "$(readlink "$PF0_DIR/virtfn0")"
t_eq "a40: virtfn31 is 04.3" "../0000:e8:04.3" "$(readlink "$PF0_DIR/virtfn31")"
t_eq "a40: VF physfn -> ../PF" "../$PF0" "$(readlink "$S/class/mdev_bus/$V0/physfn")"
t_eq "a40: physfn resolves to the PF" "$PF0_DIR" "$(realpath "$S/class/mdev_bus/$V0/physfn")"
t_eq "a40: numa_node of GPU 0" 1 "$(cat "$S/bus/pci/devices/$PF0/numa_node")"
t_eq "a40: numa_node of GPU 1 VF" 0 "$(cat "$S/class/mdev_bus/0000:67:00.4/numa_node")"
t_eq "a40: bus/pci/devices link" "../../../devices/pci0000:e0/0000:e0:01.0/$V0" \
    "$(readlink "$S/bus/pci/devices/$V0")"
t_eq "a40: bus/pci/devices/VF resolves like class/mdev_bus/VF" \
    "$(realpath "$S/class/mdev_bus/$V0")" "$(realpath "$S/bus/pci/devices/$V0")"
g=$(readlink "$S/bus/pci/devices/$V0/iommu_group")
t_match "a40: PCI iommu_group link depth" '^\.\./\.\./\.\./\.\./kernel/iommu_groups/[0-9]+$' "$g"
t_ok "a40: PCI iommu_group resolves to a group dir" test -d "$S/bus/pci/devices/$V0/iommu_group/devices"
t_eq "a40: iommu group lists the VF" "$(realpath "$S/bus/pci/devices/$V0")" \
    "$(realpath "$S/bus/pci/devices/$V0/iommu_group/devices/$V0")"
t_eq "a40: 22 types per VF" 22 "$(ls "$S/class/mdev_bus/$V0/mdev_supported_types" | wc -l)"
names=$(for i in $(seq 555 576); do cat "$(ty $V0 nvidia-$i)/name"; done | tr '\n' ',')
t_eq "a40: type names in order" "NVIDIA A40-1B,NVIDIA A40-2B,NVIDIA A40-1Q,NVIDIA A40-2Q,NVIDIA A40-3Q,NVIDIA A40-4Q,NVIDIA A40-6Q,NVIDIA A40-8Q,NVIDIA A40-12Q,NVIDIA A40-16Q,NVIDIA A40-24Q,NVIDIA A40-48Q,NVIDIA A40-1A,NVIDIA A40-2A,NVIDIA A40-3A,NVIDIA A40-4A,NVIDIA A40-6A,NVIDIA A40-8A,NVIDIA A40-12A,NVIDIA A40-16A,NVIDIA A40-24A,NVIDIA A40-48A," "$names"
t_eq "a40: 1B description" "num_heads=4, frl_config=45, framebuffer=1024M, max_resolution=5120x2880, max_instance=32" \
    "$(cat "$(ty $V0 nvidia-555)/description")"
t_eq "a40: 2Q description" "num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=7680x4320, max_instance=24" \
    "$(cat "$(ty $V0 nvidia-558)/description")"
t_eq "a40: 4Q max_instance" "max_instance=12" "$(grep -o 'max_instance=.*' "$(ty $V0 nvidia-560)/description")"
t_eq "a40: 48A description" "num_heads=1, frl_config=60, framebuffer=49152M, max_resolution=1280x1024, max_instance=1" \
    "$(cat "$(ty $V0 nvidia-576)/description")"
t_eq "a40: device_api" vfio-pci "$(cat "$(ty $V0 nvidia-558)/device_api")"
t_eq "a40: type devices/ starts empty" "" "$(ls "$(ty $V0 nvidia-558)/devices")"
t_eq "a40: create is write-only 0200" "--w-------" "$(stat -c %A "$(ty $V0 nvidia-558)/create")"
t_eq "a40: reading create is refused" EACCES "$(err_name "$(cat "$(ty $V0 nvidia-558)/create" 2>&1)")"
t_eq "a40: writing a read-only attribute is refused" EACCES "$(wr "$(ty $V0 nvidia-558)/name" x)"
t_eq "a40: attributes report size 4096" 4096 "$(stat -c %s "$(ty $V0 nvidia-558)/available_instances")"
t_eq "a40: empty VF offers each type once" "1 1 1 1" "$(avail_all $V0 nvidia-555 nvidia-558 nvidia-571 nvidia-576)"

# --- create: the core's checks ------------------------------------------------

U1=$(u 1)
t_eq "create: 35 bytes -> EINVAL" EINVAL "$(create $V0 nvidia-558 "${U1:0:35}")"
t_eq "create: 38 bytes -> EINVAL" EINVAL "$(create $V0 nvidia-558 "$U1"$'\n\n')"
t_eq "create: 36 bytes of garbage -> EINVAL" EINVAL "$(create $V0 nvidia-558 "$(printf 'x%.0s' $(seq 36))")"
t_eq "create: misplaced dash -> EINVAL" EINVAL "$(create $V0 nvidia-558 "0000000-00000-4000-8000-000000000001")"
t_eq "create: nothing was created" "" "$(ls "$S/bus/mdev/devices")"
t_eq "create: 36 bytes" ok "$(create $V0 nvidia-558 "$U1")"
t_eq "create: device dir under the parent" yes "$([ -d "$S/class/mdev_bus/$V0/$U1" ] && echo yes)"
U2=$(u 2)
t_eq "create: 37 bytes (echo with newline)" ok "$(create $V1 nvidia-558 "$U2"$'\n')"
U3=ABCDEF01-2345-4678-9ABC-DEF012345678
U3L=abcdef01-2345-4678-9abc-def012345678
t_eq "create: uppercase UUID accepted" ok "$(create $V2 nvidia-558 "$U3")"
t_eq "create: device named lowercase" "yes no" \
    "$([ -d "$S/class/mdev_bus/$V2/$U3L" ] && echo yes || echo no) $([ -e "$S/class/mdev_bus/$V2/$U3" ] && echo yes || echo no)"
t_eq "create: shell echo works" ok "$( (echo "$(u 4)" > "$(ty $V3 nvidia-558)/create") 2>&1 && echo ok)"
t_eq "create: EEXIST on the same parent" EEXIST "$(create $V0 nvidia-558 "$U1")"
t_eq "create: EEXIST on another GPU and type" EEXIST "$(create 0000:67:00.4 nvidia-555 "$U1")"
t_eq "create: EEXIST is case-insensitive" EEXIST "$(create 0000:67:00.5 nvidia-558 "${U3,,}")"

# --- mdev tree ----------------------------------------------------------------

M=$S/bus/mdev/devices/$U1
t_eq "mdev: bus link" "../../../devices/pci0000:e0/0000:e0:01.0/$V0/$U1" "$(readlink "$M")"
t_eq "mdev: realpath" "$S/devices/pci0000:e0/0000:e0:01.0/$V0/$U1" "$(realpath "$M")"
t_eq "mdev: mdev_type link" "../mdev_supported_types/nvidia-558" "$(readlink "$M/mdev_type")"
t_eq "mdev: mdev_type/device_api" vfio-pci "$(cat "$M/mdev_type/device_api")"
t_eq "mdev: mdev_type/name" "NVIDIA A40-2Q" "$(cat "$M/mdev_type/name")"
t_eq "mdev: type devices/ link" "../../../$U1" "$(readlink "$(ty $V0 nvidia-558)/devices/$U1")"
t_eq "mdev: type devices/ link resolves" "$(realpath "$M")" "$(realpath "$(ty $V0 nvidia-558)/devices/$U1")"
t_match "mdev: iommu_group link" '^\.\./\.\./\.\./\.\./\.\./kernel/iommu_groups/[0-9]+$' "$(readlink "$M/iommu_group")"
t_ok "mdev: iommu_group resolves to an existing group" test -d "$(realpath "$M/iommu_group")"
g1=$(basename "$(readlink "$M/iommu_group")") g2=$(basename "$(readlink "$S/bus/mdev/devices/$U2/iommu_group")")
t_ok "mdev: each mdev has its own new group" test "$g1" != "$g2" -a "$g1" != "$(basename "$g")"
t_eq "mdev: group lists the mdev" "$(realpath "$M")" "$(realpath "$M/iommu_group/devices/$U1")"
t_eq "mdev: remove is 0200" "--w-------" "$(stat -c %A "$M/remove")"
t_ok "mdev: driver link resolves" test -d "$M/driver"
t_eq "control: mdevs lists it" "$U1 $V0 nvidia-558 idle" "$(grep "^$U1" "$S/vgpu-sim/mdevs")"

# --- A40 placement rules ------------------------------------------------------

t_eq "a40: a VF holding a vGPU offers nothing" "0 0 0" "$(avail_all $V0 nvidia-555 nvidia-558 nvidia-560)"
V4=0000:e8:01.0
t_eq "a40: sibling VF offers only the held type" "0 1 0 0" "$(avail_all $V4 nvidia-555 nvidia-558 nvidia-560 nvidia-576)"
t_eq "a40: the other GPU is unaffected" "1 1 1" "$(avail_all 0000:67:00.4 nvidia-555 nvidia-558 nvidia-560)"
t_eq "a40: other type on a GPU holding 2Q -> EIO" EIO "$(create $V4 nvidia-560 "$(u 5)")"
t_eq "a40: second vGPU on one VF -> EIO" EIO "$(create $V0 nvidia-558 "$(u 5)")"
t_eq "a40: failed create left nothing" no "$(exists "$(u 5)")"

# remove: 0 / garbage / 1
t_eq "remove: 0 succeeds" ok "$(rm_mdev "$U1" 0)"
t_eq "remove: 0 keeps the device" yes "$(exists "$U1")"
t_eq "remove: garbage -> EINVAL" EINVAL "$(rm_mdev "$U1" yes)"
t_eq "remove: negative -> EINVAL" EINVAL "$(rm_mdev "$U1" -1)"
t_eq "remove: 1" ok "$(rm_mdev "$U1" 1)"
t_eq "remove: device gone everywhere" "no no no" \
    "$(exists "$U1") $([ -e "$S/class/mdev_bus/$V0/$U1" ] && echo yes || echo no) $([ -e "$(ty $V0 nvidia-558)/devices/$U1" ] && echo yes || echo no)"
t_eq "remove: its iommu group is gone" no "$([ -e "$S/kernel/iommu_groups/$g1" ] && echo yes || echo no)"
t_eq "remove: the VF is free again" "0 1" "$(avail_all $V0 nvidia-555 nvidia-558)"
t_eq "remove: 1 with newline (echo)" ok "$( (echo 1 > "$S/bus/mdev/devices/$U2/remove") 2>&1 && echo ok)"
rm_mdev "$U3L" >/dev/null; rm_mdev "$(u 4)" >/dev/null
t_eq "remove: an empty GPU offers every type again" "1 1 1" "$(avail_all $V4 nvidia-555 nvidia-558 nvidia-560)"
t_eq "remove: a removed device's remove file is gone" ENOENT "$(rm_mdev "$U1")"

# per-GPU max_instance: 12 x 4Q, with VFs left over
r=""
for i in $(seq 1 12); do r+="$(create "$(vf $i)" nvidia-560 "$(u $((100 + i)))") "; done
t_eq "a40: 12 x 4Q fit on one GPU" "$(printf 'ok %.0s' $(seq 12))" "$r"
t_eq "a40: then 4Q reads 0 on free VFs" "0 0" "$(avail_all 0000:e8:04.3 nvidia-560 nvidia-558)"
t_eq "a40: 13th 4Q -> EIO" EIO "$(create 0000:e8:04.3 nvidia-560 "$(u 113)")"
t_eq "a40: the other GPU still offers 4Q" 1 "$(avail 0000:67:00.4 nvidia-560)"
t_eq "a40: 48Q fills GPU 1 at once" ok "$(create 0000:67:00.4 nvidia-566 "$(u 120)")"
t_eq "a40: then nothing on GPU 1" "0 0" "$(avail_all 0000:67:00.5 nvidia-566 nvidia-555)"
t_eq "a40: full GPU -> EIO" EIO "$(create 0000:67:00.5 nvidia-566 "$(u 121)")"
for i in $(seq 101 112) 120; do rm_mdev "$(u $i)" >/dev/null; done
t_eq "a40: all removed" "" "$(cat "$S/vgpu-sim/mdevs")"

# --- busy + block ---------------------------------------------------------------

UB=$(u 200)
create $V0 nvidia-558 "$UB" >/dev/null
t_eq "control: busy" ok "$(ctl busy "$UB")"
t_eq "control: mdevs shows busy" "$UB $V0 nvidia-558 busy" "$(grep "^$UB" "$S/vgpu-sim/mdevs")"
REMOVE_FILE=$S/bus/mdev/devices/$UB/remove
t0=$(now_us)
( r=$(wr "$REMOVE_FILE" 1); echo "$r $(ms_since "$t0")" > "$WORK/block.out" ) &
bg=$!
# Wait for the remove to be in the driver, not a fixed 0.5 s: a subshell
# that had not written yet made "shows removing" fail on a loaded machine.
wait_state "$UB" removing
sleep 0.5   # it stays blocked however long we look
t_ok "block: the remove is still waiting" kill -0 $bg
t_eq "block: mdevs shows removing" "$UB $V0 nvidia-558 removing" "$(grep "^$UB" "$S/vgpu-sim/mdevs")"
t1=$(now_us)
other=$(timeout 2 cat "$(ty $V4 nvidia-558)/available_instances"; timeout 2 ls "$S/class/mdev_bus" | wc -l)
t_eq "block: other operations proceed meanwhile" "1 64" "$(echo $other)"
t_ok "block: ... while the remove still waits" kill -0 $bg
echo "# block: other operations took $(ms_since "$t1") ms"
t_eq "block: create elsewhere proceeds meanwhile" ok "$(timeout 2 bash -c "$(declare -f wr err_name); wr '$(ty $V4 nvidia-558)/create' '$(u 201)'")"
t_eq "block: like the kernel, the bus link is gone while waiting" no "$(exists "$UB")"
t_eq "block: ... but the device dir and its capacity stay" "yes 0" \
    "$([ -d "$S/class/mdev_bus/$V0/$UB" ] && echo yes) $(avail $V0 nvidia-558)"
t_eq "block: the UUID is still taken" EEXIST "$(create $V1 nvidia-558 "$UB")"
# Order, not time: no result while busy, then one once idle.
t_ok "block: no result while the device is busy" test ! -s "$WORK/block.out"
t_eq "control: idle" ok "$(ctl idle "$UB")"
wait $bg
read -r res ms < "$WORK/block.out"
t_eq "block: remove completes once idle ($ms ms)" ok "$res"
t_eq "block: device gone" no "$([ -d "$S/class/mdev_bus/$V0/$UB" ] && echo yes || echo no)"
rm_mdev "$(u 201)" >/dev/null

t_eq "control: busy on an unknown UUID -> ENOENT" ENOENT "$(ctl busy "$(u 999)")"
t_eq "control: unknown command -> EINVAL" EINVAL "$(ctl frobnicate)"
t_eq "control: bad fault key -> EINVAL" EINVAL "$(ctl fault nosuchkey 1)"
t_eq "control: bad errno name -> EINVAL" EINVAL "$(ctl fault create_errno ENOTANERRNO)"

# --- faults -------------------------------------------------------------------

ctl fault create_fail_every 3 >/dev/null
r=""; for i in 1 2 3 4 5 6; do r+="$(create "$(vf $i)" nvidia-558 "$(u $((300 + i)))") "; done
t_eq "faults: every 3rd create fails with EIO" "ok ok EIO ok ok EIO " "$r"
t_eq "faults: failed creates left nothing" "no no" "$(exists "$(u 303)") $(exists "$(u 306)")"
ctl fault create_fail_every 0 >/dev/null
for i in 1 2 4 5; do rm_mdev "$(u $((300 + i)))" >/dev/null; done
ctl fault create_errno EUSERS >/dev/null
ctl fault create_fail_at 2 >/dev/null
r=""; for i in 1 2 3; do r+="$(create "0000:e8:00.$((i + 3))" nvidia-558 "$(u $((310 + i)))") "; done
t_eq "faults: the 2nd create fails with EUSERS" "ok EUSERS ok " "$r"
t_eq "faults: duplicate and malformed UUIDs do not count" "EEXIST EINVAL" \
    "$(create $V3 nvidia-558 "$(u 311)") $(create $V3 nvidia-558 bad)"
ctl fault create_fail_at 0 >/dev/null
ctl fault create_errno ENOSPC >/dev/null
ctl fault create_fail_at 1 >/dev/null
t_eq "faults: errno by name (ENOSPC)" ENOSPC "$(create $V3 nvidia-558 "$(u 319)")"
t_match "faults: the faults file shows the settings" "create_errno ENOSPC" "$(cat "$S/vgpu-sim/faults")"
ctl fault create_fail_at 0 >/dev/null
ctl fault remove_ebusy 2 >/dev/null
t_eq "faults: remove EBUSY twice, then success" "EBUSY EBUSY ok" \
    "$(rm_mdev "$(u 311)") $(rm_mdev "$(u 311)") $(rm_mdev "$(u 311)")"
rm_mdev "$(u 313)" >/dev/null
ctl fault latency_ms 1000 >/dev/null
t0=$(now_us)
( create $V0 nvidia-558 "$(u 320)" > "$WORK/lat.out" ) &
bg=$!
sleep 0.1
t1=$(now_us)
cat "$(ty $V1 nvidia-558)/available_instances" >/dev/null
ms=$(ms_since "$t1")
# Order, not time: the read finished while the slow create had not.
t_ok "faults: latency does not hold up other operations ($ms ms)" test ! -s "$WORK/lat.out"
wait $bg
ms=$(ms_since "$t0")
t_eq "faults: create with latency succeeds" ok "$(cat "$WORK/lat.out")"
t_ok "faults: create took >= 1000 ms ($ms)" test "$ms" -ge 990
ctl fault latency_ms 300 >/dev/null
t0=$(now_us); rm_mdev "$(u 320)" >/dev/null; ms=$(ms_since "$t0")
t_ok "faults: remove took >= 300 ms ($ms)" test "$ms" -ge 290
ctl fault latency_ms 0 >/dev/null
ctl fault read_latency_ms 500 >/dev/null
t0=$(now_us); avail $V0 nvidia-558 >/dev/null; ms=$(ms_since "$t0")
t_ok "faults: read latency ($ms ms)" test "$ms" -ge 490
ctl fault read_latency_ms 0 >/dev/null
t0=$(now_us); avail $V0 nvidia-558 >/dev/null; ms=$(ms_since "$t0")
echo "# faults: without latency a read took $ms ms"

# --- stats --------------------------------------------------------------------

t_eq "stats: reset-stats" ok "$(ctl reset-stats)"
t_eq "stats: zero after reset (reading stats is not counted)" "0 0" \
    "$(awk '$1=="total"{print $2}' "$S/vgpu-sim/stats") $(awk '$1=="total"{print $2}' "$S/vgpu-sim/stats")"
cat "$(ty $V0 nvidia-558)/available_instances" >/dev/null
st=$(cat "$S/vgpu-sim/stats")
t_eq "stats: one cat = 1 open" 1 "$(awk '$1=="open"{print $2}' <<<"$st")"
t_ok "stats: one cat reads and looks up" test "$(awk '$1=="read"{print $2}' <<<"$st")" -ge 1 -a \
    "$(awk '$1=="getattr"{print $2}' <<<"$st")" -ge 1
t_eq "stats: total is the sum of the FUSE operations" "$(awk '$1!="total" && $1 !~ /_stores$/ && $1 != "open_dirs" {s+=$2} END{print s}' <<<"$st")" \
    "$(awk '$1=="total"{print $2}' <<<"$st")"
t_eq "stats: has every field" "getattr readdir readlink open read write other total create_stores remove_stores open_dirs" \
    "$(awk '{print $1}' <<<"$st" | paste -sd' ')"
ctl reset-stats >/dev/null; cat "$(ty $V0 nvidia-558)/available_instances" >/dev/null
# (open_dirs is a level, not a count of this access)
t_eq "stats: the same access costs the same" "$(grep -v '^open_dirs ' <<<"$st")" \
    "$(grep -v '^open_dirs ' "$S/vgpu-sim/stats")"
stop

# --- bounded block, and SIGTERM while a remove is blocked ---------------------

SC=$(scenario bounded <<'EOF'
[gpu g]
model=a40
address=0000:e8:00.0
vfs=2
remove=block
remove_block_ms=800
EOF
)
start "$SC"
S=$SIM_ROOT
create $V0 nvidia-558 "$UB" >/dev/null; ctl busy "$UB" >/dev/null
t0=$(now_us); r=$(rm_mdev "$UB"); ms=$(ms_since "$t0")
t_eq "block: bounded by remove_block_ms, then completes" "ok no" "$r $(exists "$UB")"
t_ok "block: waited at least 800 ms ($ms)" test "$ms" -ge 750
create $V0 nvidia-558 "$UB" >/dev/null; ctl busy "$UB" >/dev/null
( rm_mdev "$UB" >/dev/null ) &
# TERM once the remove is in the driver (a fixed 0.2 s could come before
# it); not a check: remove_block_ms ends the block after 800 ms anyway.
wait_state "$UB" removing
t0=$(now_us)
kill -TERM "$SIM_PID"
wait_exit "$SIM_PID"; rc=$?
ms=$(ms_since "$t0")
t_eq "sigterm: exit status 0 with a remove blocked" 0 "$rc"
echo "# sigterm: exited in $ms ms (wait_exit kills it after 60 s, failing the check above)"
t_no "sigterm: mountpoint unmounted" mountpoint -q "$S"
mountpoint -q "$S" && umount -l "$S"
wait
SIM_PID=
rmdir "$S" 2>/dev/null

# --- a driver that removes its own mdev; a create whose device shows late -----

SC=$(scenario selfremove <<'EOF'
[gpu g]
model=a40
address=0000:e8:00.0
vfs=4
self_remove_ms=1500
EOF
)
start "$SC"
S=$SIM_ROOT
V1=$(vf 1); V2=$(vf 2)
create "$V1" nvidia-558 "$(u 1)" >/dev/null; ctl busy "$(u 1)" >/dev/null
ctl reset-stats >/dev/null
# 1.5 s, not 0.3: the checks just after an idle must run before the driver
# acts, and a loaded machine can take 0.3 s for the few forks in between.
ctl idle "$(u 1)" >/dev/null
t_eq "self_remove: still there just after the VM let go" yes "$(exists "$(u 1)")"
for i in $(seq 1 600); do [ "$(exists "$(u 1)")" = no ] && break; sleep 0.05; done
t_eq "self_remove: the driver removed it, nobody wrote remove" "no 0" \
    "$(exists "$(u 1)") $(awk '$1=="remove_stores"{print $2}' "$S/vgpu-sim/stats")"
t_eq "self_remove: its VF is free again" 1 "$(avail "$V1" nvidia-558)"
create "$V1" nvidia-558 "$(u 2)" >/dev/null
t_eq "self_remove: an idle device is not removed by itself" yes "$(sleep 2; exists "$(u 2)")"
ctl busy "$(u 2)" >/dev/null; ctl idle "$(u 2)" >/dev/null
t_eq "self_remove: remove written before the driver's own: accepted" ok "$(rm_mdev "$(u 2)")"
t_eq "self_remove: ... and counted" 1 "$(awk '$1=="remove_stores"{print $2}' "$S/vgpu-sim/stats")"
t_eq "self_remove: ... but the GPU is broken until a reboot" EIO "$(create "$V2" nvidia-558 "$(u 3)")"
stop
start a40-1vf
S=$SIM_ROOT
V1=$(ls "$S/class/mdev_bus" | head -n 1)
ctl fault create_appear_ms 1500 >/dev/null   # long enough for the check just after
t_eq "create_appear_ms: the create succeeds" ok "$(create "$V1" nvidia-558 "$(u 4)")"
t_eq "create_appear_ms: but the device is not there yet" no "$(exists "$(u 4)")"
for i in $(seq 1 600); do [ "$(exists "$(u 4)")" = yes ] && break; sleep 0.05; done
t_eq "create_appear_ms: it shows up later, counted once" "yes 1" \
    "$(exists "$(u 4)") $(awk '$1=="create_stores"{print $2}' "$S/vgpu-sim/stats")"
stop

# --- remove=ebusy, on time-sliced P40 ------------------------------------------

start p40-timesliced
S=$SIM_ROOT
P=0000:3b:00.0 P2=0000:d8:00.0
t_eq "p40: parents are the PFs" "$P $P2" "$(ls "$S/class/mdev_bus" | paste -sd' ')"
t_eq "p40: link through a root port" "../../devices/pci0000:30/0000:30:01.3/$P" "$(readlink "$S/class/mdev_bus/$P")"
t_eq "p40: vendor/device" "0x10de 0x1b38" "$(cat "$S/bus/pci/devices/$P/vendor") $(cat "$S/bus/pci/devices/$P/device")"
t_eq "p40: no SR-IOV" no "$([ -e "$S/bus/pci/devices/$P/sriov_totalvfs" ] && echo yes || echo no)"
t_eq "p40: numa nodes" "0 1" "$(cat "$S/bus/pci/devices/$P/numa_node") $(cat "$S/bus/pci/devices/$P2/numa_node")"
t_eq "p40: 18 types" 18 "$(ls "$S/class/mdev_bus/$P/mdev_supported_types" | wc -l)"
t_eq "p40: nvidia-46 description (seed)" \
    "num_heads=4, frl_config=60, framebuffer=1024M, max_resolution=5120x2880, max_instance=24" \
    "$(cat "$(ty $P nvidia-46)/description")"
names=$(for i in $(seq 46 63); do cat "$(ty $P nvidia-$i)/name"; done | tr '\n' ',')
t_eq "p40: names" "GRID P40-1Q,GRID P40-2Q,GRID P40-3Q,GRID P40-4Q,GRID P40-6Q,GRID P40-8Q,GRID P40-12Q,GRID P40-24Q,GRID P40-1B,GRID P40-2B,GRID P40-1A,GRID P40-2A,GRID P40-3A,GRID P40-4A,GRID P40-6A,GRID P40-8A,GRID P40-12A,GRID P40-24A," "$names"
t_eq "p40: empty GPU offers max_instance of each" "24 12 8 1 2 1" "$(avail_all $P nvidia-46 nvidia-47 nvidia-48 nvidia-53 nvidia-62 nvidia-63)"
t_eq "p40: create 1Q" ok "$(create $P nvidia-46 "$(u 1)")"
t_eq "p40: then 1Q reads 23, others 0" "23 0 0" "$(avail_all $P nvidia-46 nvidia-47 nvidia-54)"
t_eq "p40: other type -> EIO" EIO "$(create $P nvidia-47 "$(u 2)")"
t_eq "p40: the other P40 is unaffected" 12 "$(avail $P2 nvidia-47)"
t_eq "p40: 24Q fills a GPU" ok "$(create $P2 nvidia-53 "$(u 3)")"
t_eq "p40: full -> EIO" "0 EIO" "$(avail $P2 nvidia-53) $(create $P2 nvidia-53 "$(u 4)")"
ctl busy "$(u 1)" >/dev/null
t_eq "ebusy: remove of a busy mdev -> EBUSY" EBUSY "$(rm_mdev "$(u 1)")"
t_eq "ebusy: the device stays, untouched" "yes yes" \
    "$(exists "$(u 1)") $([ -e "$S/bus/mdev/devices/$(u 1)/mdev_type" ] && echo yes)"
ctl idle "$(u 1)" >/dev/null
t_eq "ebusy: remove once idle" "ok no" "$(rm_mdev "$(u 1)") $(exists "$(u 1)")"
t_eq "p40: empty again" "24 12" "$(avail_all $P nvidia-46 nvidia-47)"
stop

# --- GVT-g --------------------------------------------------------------------

start gvtg
S=$SIM_ROOT
G=0000:00:02.0
V8=i915-GVTg_V5_8 V4T=i915-GVTg_V5_4 V2T=i915-GVTg_V5_2 V1T=i915-GVTg_V5_1
t_eq "gvtg: parent on the root bus" "../../devices/pci0000:00/$G" "$(readlink "$S/class/mdev_bus/$G")"
t_eq "gvtg: vendor, numa -1" "0x8086 -1" "$(cat "$S/bus/pci/devices/$G/vendor") $(cat "$S/bus/pci/devices/$G/numa_node")"
t_eq "gvtg: four types" "$V1T $V2T $V4T $V8" "$(ls "$S/class/mdev_bus/$G/mdev_supported_types" | sort | paste -sd' ')"
t_eq "gvtg: name" GVTg_V5_4 "$(cat "$(ty $G $V4T)/name")"
t_eq "gvtg: multi-line description" "$(printf 'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4')" \
    "$(cat "$(ty $G $V4T)/description")"
t_eq "gvtg: V5_8 description" "$(printf 'low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\nweight: 2')" \
    "$(cat "$(ty $G $V8)/description")"
t_eq "gvtg: empty pool" "7 5 2 1" "$(avail_all $G $V8 $V4T $V2T $V1T)"
t_eq "gvtg: create V5_1" ok "$(create $G $V1T "$(u 1)")"
t_eq "gvtg: every type drops (shared pool)" "1 1 0 0" "$(avail_all $G $V8 $V4T $V2T $V1T)"
t_eq "gvtg: create V5_4" ok "$(create $G $V4T "$(u 2)")"
t_eq "gvtg: pool exhausted" "0 0 0 0" "$(avail_all $G $V8 $V4T $V2T $V1T)"
t_eq "gvtg: pool exhausted -> ENOSPC" ENOSPC "$(create $G $V8 "$(u 3)")"
rm_mdev "$(u 1)" >/dev/null; rm_mdev "$(u 2)" >/dev/null
t_eq "gvtg: pool back" "7 5 2 1" "$(avail_all $G $V8 $V4T $V2T $V1T)"
r=""; for i in $(seq 1 7); do r+="$(create $G $V8 "$(u $((10 + i)))") "; done
t_eq "gvtg: 7 x V5_8" "$(printf 'ok %.0s' $(seq 7))" "$r"
t_eq "gvtg: 8th -> ENOSPC" "0 ENOSPC" "$(avail $G $V8) $(create $G $V8 "$(u 18)")"
stop

SC=$(scenario gvtg-big <<'EOF'
[gpu igd]
model=gvtg
address=0000:00:02.0
aperture_mb=2048
ggtt_mb=8192
fences=64
EOF
)
start "$SC"
S=$SIM_ROOT
r=""; for i in $(seq 1 7); do r+="$(create $G $V8 "$(u $((10 + i)))") "; done
t_eq "gvtg: big pool takes 7" "$(printf 'ok %.0s' $(seq 7))" "$r"
t_eq "gvtg: at most 7 vGPUs even while the pool has room" "8 ENOSPC" "$(avail $G $V8) $(create $G $V8 "$(u 18)")"
stop

# --- mtty ---------------------------------------------------------------------

start mtty
S=$SIM_ROOT
t_eq "mtty: class link" "../../devices/virtual/mtty/mtty" "$(readlink "$S/class/mdev_bus/mtty")"
t_eq "mtty: realpath" "$S/devices/virtual/mtty/mtty" "$(realpath "$S/class/mdev_bus/mtty")"
t_eq "mtty: names" "Single port serial,Dual port serial" \
    "$(cat "$(ty mtty mtty-1)/name"),$(cat "$(ty mtty mtty-2)/name")"
t_eq "mtty: no description file" "no no" \
    "$([ -e "$(ty mtty mtty-1)/description" ] && echo yes || echo no) $([ -e "$(ty mtty mtty-2)/description" ] && echo yes || echo no)"
t_eq "mtty: device_api" vfio-pci "$(cat "$(ty mtty mtty-2)/device_api")"
t_eq "mtty: 24 ports" "24 12" "$(avail_all mtty mtty-1 mtty-2)"
t_eq "mtty: create mtty-2" ok "$(create mtty mtty-2 "$(u 1)")"
t_eq "mtty: 22 and 11 (as real 6.1)" "22 11" "$(avail_all mtty mtty-1 mtty-2)"
t_eq "mtty: duplicate (other type) -> EEXIST" EEXIST "$(create mtty mtty-1 "$(u 1)")"
t_eq "mtty: not a UUID -> EINVAL" EINVAL "$(create mtty mtty-1 "not-a-uuid-not-a-uuid-not-a-uuid-xx")"
t_eq "mtty: remove 0 succeeds" ok "$(rm_mdev "$(u 1)" 0)"
t_eq "mtty: ... the device stays" yes "$(exists "$(u 1)")"
t_eq "mtty: mdev has no PCI numa_node, but an iommu group" "yes" \
    "$([ -d "$S/bus/mdev/devices/$(u 1)/iommu_group" ] && echo yes)"
r=""; for i in $(seq 2 12); do r+="$(create mtty mtty-2 "$(u "$i")") "; done
t_eq "mtty: 11 more mtty-2" "$(printf 'ok %.0s' $(seq 11))" "$r"
t_eq "mtty: full" "0 0" "$(avail_all mtty mtty-1 mtty-2)"
t_eq "mtty: full -> ENOSPC" ENOSPC "$(create mtty mtty-1 "$(u 13)")"
rm_mdev "$(u 5)" >/dev/null
t_eq "mtty: a removal frees 2 ports" "2 1" "$(avail_all mtty mtty-1 mtty-2)"
if command -v setpriv >/dev/null; then
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
    t_eq "perms: others can read attributes" "Dual port serial" "$(as_nobody cat "$(ty mtty mtty-2)/name")"
    t_eq "perms: others cannot create" EACCES \
        "$(as_nobody bash -c "$(declare -f wr err_name); wr '$(ty mtty mtty-1)/create' '$(u 20)'")"
fi
kill -INT "$SIM_PID"; wait_exit "$SIM_PID"; rc=$?
t_eq "sigint: exit status 0" 0 "$rc"
t_no "sigint: unmounted" mountpoint -q "$SIM_ROOT"
mountpoint -q "$SIM_ROOT" && umount -l "$SIM_ROOT"
rmdir "$SIM_ROOT"; SIM_PID=

# --- mixed: domains, pre-existing devices -------------------------------------

start mixed
S=$SIM_ROOT
PRE=5b0f2c8e-7a51-4c3e-9d2a-6f1e8c4b3a20
t_eq "mixed: parents of every driver" "0000:00:02.0 0000:3b:00.0 0001:41:00.4 0001:41:00.5 0001:41:00.6 0001:41:00.7 mtty" \
    "$(ls "$S/class/mdev_bus" | sort | paste -sd' ')"
t_eq "mixed: PCI domain 0001 under pci0001:40" "$S/devices/pci0001:40/0001:40:01.1/0001:41:00.4" \
    "$(realpath "$S/class/mdev_bus/0001:41:00.4")"
t_eq "mixed: domain 0001 PF in bus/pci/devices" 0x10de "$(cat "$S/bus/pci/devices/0001:41:00.0/vendor")"
t_eq "mixed: 4 VFs enabled of 32" "32 4" \
    "$(cat "$S/bus/pci/devices/0001:41:00.0/sriov_totalvfs") $(cat "$S/bus/pci/devices/0001:41:00.0/sriov_numvfs")"
t_eq "mixed: pre-existing mdev" "$PRE 0000:3b:00.0 nvidia-47 idle" "$(cat "$S/vgpu-sim/mdevs")"
t_eq "mixed: pre-existing mdev in bus/mdev" "GRID P40-2Q" "$(cat "$S/bus/mdev/devices/$PRE/mdev_type/name")"
t_eq "mixed: the P40 holds its type" "11 0" "$(avail_all 0000:3b:00.0 nvidia-47 nvidia-46)"
t_eq "mixed: EEXIST across drivers" EEXIST "$(create mtty mtty-1 "$PRE")"
t_eq "mixed: create in domain 0001" ok "$(create 0001:41:00.4 nvidia-558 "$(u 1)")"
t_eq "mixed: domain 0001 mdev path" "$S/devices/pci0001:40/0001:40:01.1/0001:41:00.4/$(u 1)" \
    "$(realpath "$S/bus/mdev/devices/$(u 1)")"
t_eq "mixed: numa nodes" "1 0 -1" \
    "$(cat "$S/bus/pci/devices/0001:41:00.4/numa_node") $(cat "$S/bus/pci/devices/0000:3b:00.0/numa_node") $(cat "$S/bus/pci/devices/0000:00:02.0/numa_node")"
stop

# --- a40-1vf and dgx-8x20 -----------------------------------------------------

start a40-1vf
S=$SIM_ROOT
t_eq "a40-1vf: one parent" "$V0" "$(ls "$S/class/mdev_bus")"
t_eq "a40-1vf: first vGPU" ok "$(create $V0 nvidia-558 "$(u 1)")"
t_eq "a40-1vf: second -> EIO" "0 EIO" "$(avail $V0 nvidia-558) $(create $V0 nvidia-558 "$(u 2)")"
stop

t0=$(now_us)
start dgx-8x20
ms=$(ms_since "$t0")
S=$SIM_ROOT
t_eq "dgx: 160 parents" 160 "$(ls "$S/class/mdev_bus" | wc -l)"
t_eq "dgx: 8 PFs with 20 VFs" "8 20" \
    "$(ls "$S/bus/pci/devices" | grep -c '00\.0$') $(cat "$S/bus/pci/devices/0000:bd:00.0/sriov_numvfs")"
# Figures, not checks: how fast is bench/'s business, and a loaded
# machine would fail a bound here without anything being wrong.
echo "# dgx: mounted in $ms ms"
t0=$(now_us)
reads=$(for p in $(ls "$S/class/mdev_bus"); do
            cat "$S/class/mdev_bus/$p/mdev_supported_types/nvidia-558/available_instances"
        done | grep -c '^[0-9][0-9]*$')
echo "# dgx: 160 available_instances reads in $(ms_since "$t0") ms"
t_eq "dgx: 160 available_instances reads give a number each" 160 "$reads"
stop

# --- scenario errors ----------------------------------------------------------

bad() {
    local name=$1 want=$2 out rc
    out=$("$B/tests/sim/vgpu-sim" "$(scenario "$name")" "$WORK" 2>&1); rc=$?
    t_eq "scenario: $name rejected" "2" "$rc"
    t_match "scenario: $name message" "$want" "$out"
}
bad bad-model 'model=' <<'EOF'
[gpu g]
model=h100
address=0000:01:00.0
EOF
bad bad-key "unknown key 'vfz'" <<'EOF'
[gpu g]
model=a40
address=0000:01:00.0
vfz=3
EOF
bad bad-address 'address=' <<'EOF'
[gpu g]
model=p40
address=01:00.0
EOF
bad bad-mdev 'driver refuses' <<'EOF'
[gpu g]
model=a40
address=0000:01:00.0
vfs=1
[mdev 00000000-0000-4000-8000-000000000001]
parent=0000:01:00.4
type=nvidia-558
[mdev 00000000-0000-4000-8000-000000000002]
parent=0000:01:00.4
type=nvidia-558
EOF
bad bad-fault 'unknown errno' <<'EOF'
[faults]
create_errno=EWHATEVER
[gpu g]
model=mtty
EOF
SC=$(scenario fault-file <<'EOF'
[faults]
create_errno=EEXIST
create_fail_at=1
[gpu g]
model=mtty
EOF
)
start "$SC"
t_eq "scenario: [faults] applies from mount" "EEXIST ok" \
    "$(create mtty mtty-1 "$(u 1)") $(create mtty mtty-1 "$(u 1)")"
stop

# --- open directories ------------------------------------------------------------
# libfuse frees a directory's handle when the kernel releases it, after
# close() and on its own time; the simulator counts them so that sim_stop
# can wait for 0 (else LeakSanitizer reports the handles at its exit).

start a40x2-sriov
dirs() { awk '$1 == "open_dirs" { print $2 }' "$SIM_ROOT/vgpu-sim/stats"; }
t_eq "open directories: none at mount" 0 "$(dirs)"
exec 7< "$SIM_ROOT/bus/pci/devices"
exec 6< "$SIM_ROOT/class/mdev_bus"
t_eq "open directories: two held" 2 "$(dirs)"
exec 7<&- 6<&-
for i in $(seq 1 600); do [ "$(dirs)" = 0 ] && break; sleep 0.05; done
t_eq "open directories: 0 once the kernel released them" 0 "$(dirs)"
# a listing just before the stop: sim_stop waits for its releases
ls -R "$SIM_ROOT/bus" > /dev/null
stop

# --- sanitizers -----------------------------------------------------------------

t_match "sanitizers: the simulator's stderr was captured" "unknown fault key" "$(cat "$SIMLOG")"

if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|ERROR: ' "$SIMLOG"; then
    t_fail "sanitizers: simulator stderr is clean" "$(grep -E 'Sanitizer|runtime error|ERROR' "$SIMLOG" | head -3 | tr '\n' ' ')"
else
    t_pass "sanitizers: simulator stderr is clean"
fi
t_done
