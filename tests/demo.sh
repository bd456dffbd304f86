#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make demo`: the main job on a simulated host. Mounts the simulator (two
# A40s with 32 SR-IOV VFs each unless DEMO_SCENARIO says otherwise), shows
# what the host offers, then runs the real hook exactly as libvirt would —
# argv and the domain XML on stdin — for the example domains: prepare, a
# refusal, release; and shows the host after each step.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$TOP}
. "$TOP/tests/lib.sh"
SCENARIO=${DEMO_SCENARIO:-a40x2-sriov}

[ "$(id -u)" -eq 0 ] || { echo "make demo mounts a FUSE file system: run it as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/vgpu-demo.XXXXXX)
trap 'rc=$?; set +e; sim_stop; rm -rf "$WORK"; exit $rc' EXIT
sim_start "$SCENARIO"

cat > "$WORK/vgpu-hook.conf" <<CONF
[vgpu-hook]
sysfs_root=$SIM_ROOT
state_dir=$WORK/state
# The simulated A40 driver never removes its own mdevs: do not wait for it.
release_wait_ms=0
CONF
export VGPU_HOOK_CONF=$WORK/vgpu-hook.conf
HOOK=$B/hooks/vgpu-hook
VGPUCTL=$B/cli/vgpuctl

say() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
show() { echo "\$ vgpuctl $*"; "$VGPUCTL" "$@" | sed 's/^/  /'; }
hook() {  # hook XML OP SUBOP: what libvirt runs
    local name rc
    name=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$1" | head -n 1)
    echo "\$ vgpu-hook $name $2 $3 - < ${1#$TOP/}"
    set +e
    "$HOOK" "$name" "$2" "$3" - < "$1" 2>&1 | sed 's/^/  /'
    rc=${PIPESTATUS[0]}
    set -e
    echo "  (exit $rc)"
}

say "A simulated host ($SCENARIO), its sysfs mounted at $SIM_ROOT"
show types
show status --no-libvirt

# vm-type-id takes an A40-4Q on 0000:67:00.0 first; packing then keeps the
# A40-2Q domains together on the other GPU (one profile per A40).
EXAMPLES="vm-type-id vm-a40-2q vm-two-vgpus vm-plain"
say "Starting the example domains: libvirt calls 'prepare begin'"
for x in $EXAMPLES; do hook "$TOP/examples/$x.xml" prepare begin; done
show status --no-libvirt

say "A domain no GPU can take now: A40-8Q (each A40 holds one profile at a time)"
sed -e 's/vm-a40-2q/vm-a40-8q/; s/A40-2Q/A40-8Q/; s/2a01</2a08</' \
    -e 's/4b20d080-1b54-4048-85b3-a6a62d165c01/4b20d080-1b54-4048-85b3-a6a62d165c08/g' \
    "$TOP/examples/vm-a40-2q.xml" > "$WORK/vm-a40-8q.xml"
echo "\$ vgpuctl check vm-a40-8q.xml   # the dry run"
"$VGPUCTL" check "$WORK/vm-a40-8q.xml" 2>&1 | sed 's/^/  /' || true
hook "$WORK/vm-a40-8q.xml" prepare begin
echo "  (libvirt then calls 'release end', which finds nothing of this domain's)"
hook "$WORK/vm-a40-8q.xml" release end

say "Stopping the example domains: libvirt calls 'release end'"
for x in $EXAMPLES; do hook "$TOP/examples/$x.xml" release end; done
show status --no-libvirt

left=$(ls "$SIM_ROOT/bus/mdev/devices" | wc -l)
ledgers=$(ls "$WORK/state"/*.ledger 2>/dev/null | wc -l)
say "$left mdev(s) and $ledgers ledger(s) left on the host"
[ "$left" -eq 0 ] && [ "$ledgers" -eq 0 ]
