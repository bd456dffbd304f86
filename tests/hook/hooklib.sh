# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the tiers that drive the real hook program (argv + XML on
# stdin) against a mounted simulator and check the effect in its sysfs.
. "$TOP/tests/lib.sh"

WORK=$(mktemp -d /tmp/vgpu-hooktest.XXXXXX)
export VGPU_HOOK_CONF=$WORK/vgpu-hook.conf
# What the hook sends to syslog, copied here by test builds (TESTHOOKS=1).
export VGPU_TEST_LOG=$WORK/hook.log
HOOK=$B/hooks/vgpu-hook
VGPUCTL=$B/cli/vgpuctl

hook_cleanup() { sim_stop; rm -rf "$WORK"; }
trap hook_cleanup EXIT

# conf [KEY=VALUE...]: a config pointing at the simulator and a fresh state dir
conf() {
    {
        echo "[vgpu-hook]"
        echo "sysfs_root=$SIM_ROOT"
        echo "state_dir=$WORK/state"
        echo "remove_retry_delay_ms=20"
        # The simulator's NVIDIA drivers remove nothing themselves unless a
        # scenario says self_remove_ms; test_driver_self_remove sets this.
        echo "release_wait_ms=0"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } > "$VGPU_HOOK_CONF"
}

# fresh SCENARIO [KEY=VALUE...]: remount the simulator, new state, config
fresh() {
    local scen=$1; shift
    sim_stop
    rm -rf "$WORK/state"
    # Counted here: callers' "fresh ... || return" must not let a tier
    # whose simulator never came up end with nothing but passes.
    sim_start "$scen" || { t_fail "simulator up on $scen" "vgpu-sim did not start"; return 1; }
    conf "$@"
}

# hook NAME OP SUBOP [EXTRA] < xml: sets RC, OUT, ERR
hook() {
    "$HOOK" "$1" "$2" "$3" "${4:--}" > "$WORK/out" 2> "$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

# dom NAME DOMUUID [--no-hostdev] 'DEVICE ATTRS'...: a domain XML (DOM_EXTRA:
# more elements after <uuid>)
dom() {
    local name=$1 duuid=$2 hostdevs=1 d
    shift 2
    [ "${1:-}" = --no-hostdev ] && { hostdevs=0; shift; }
    printf "<domain type='kvm' id='1'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n" "$name" "$duuid"
    printf '%s' "${DOM_EXTRA:-}"   # e.g. <numatune>, <vcpu>, <cputune>
    printf "  <metadata>\n    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
    for d in "$@"; do printf "      <vgpu:device %s/>\n" "$(vgpu_attrs "$d")"; done
    printf "    </vgpu:vgpu>\n  </metadata>\n  <devices>\n"
    [ $hostdevs = 1 ] && vgpu_hostdevs "$@"
    printf "  </devices>\n</domain>\n"
}

# start NAME N 'DEVICE ATTRS'...: prepare a domain with domain UUID du N
start() {
    local name=$1 n=$2
    shift 2
    dom "$name" "$(du "$n")" "$@" > "$WORK/$name.xml"
    hook "$name" prepare begin < "$WORK/$name.xml"
}
stop() {   # stop NAME: release with the XML start used
    hook "$1" release end < "$WORK/$1.xml"
}
# vc ARGS...: run vgpuctl; sets RC, OUT, ERR
vc() {
    "$VGPUCTL" "$@" > "$WORK/vc.out" 2> "$WORK/vc.err"
    RC=$?
    OUT=$(cat "$WORK/vc.out")
    ERR=$(cat "$WORK/vc.err")
}

# PFs that have VFs, sorted
sriov_gpus()  {
    local d
    for d in "$SIM_ROOT"/bus/pci/devices/*; do
        [ -e "$d/sriov_totalvfs" ] && basename "$d"
    done | sort
}
# count of mdevs on physical GPU $1
gpu_mdevs() {
    local m n=0
    for m in $(mdevs); do [ "$(mdev_gpu "$m")" = "$1" ] && n=$((n + 1)); done
    echo $n
}
ledgers()     { ls "$WORK/state"/*.ledger 2>/dev/null | wc -l; }
sim_ctl()     { printf '%s\n' "$*" > "$SIM_ROOT/vgpu-sim/control"; }
sim_stat()    { awk -v k="$1" '$1 == k { print $2 }' "$SIM_ROOT/vgpu-sim/stats"; }
# create by hand, as an administrator would
hand_create() { printf '%s\n' "$3" > "$SIM_ROOT/class/mdev_bus/$1/mdev_supported_types/$2/create"; }
hook_log()    { cat "$VGPU_TEST_LOG" 2>/dev/null; }
sim_fault()   { awk -v k="$1" '$1 == k { print $2 }' "$SIM_ROOT/vgpu-sim/faults"; }

# self_remove_scenario VFS MS [plain]: a scenario with one A40 (0000:e8:00.0,
# VFS VFs) whose driver removes an mdev itself MS ms after the VM lets go
# ("idle" in the simulator, which cannot see QEMU) and, with "plain", one
# (0000:67:00.0) whose driver never does. Prints the file's path.
self_remove_scenario() {
    {
        printf '[gpu self]\nmodel=a40\naddress=0000:e8:00.0\nvfs=%s\nself_remove_ms=%s\n' "$1" "$2"
        [ "${3:-}" != plain ] ||
            printf '\n[gpu plain]\nmodel=a40\naddress=0000:67:00.0\nvfs=%s\n' "$1"
    } > "$WORK/selfremove.ini"
    echo "$WORK/selfremove.ini"
}

# metadata_removed NAME [--unplugged]: what libvirt hands the hook once
# `virsh metadata NAME --live --uri urn:vgpu-hook:1 --remove` ran on the
# domain in $WORK/NAME.xml, written by libvirt itself (its test driver, in
# one virsh session) to $WORK/NAME-nometa.xml. --unplugged also drops its
# <hostdev>s, as `virsh detach-device --live` would (the test driver of
# libvirt 9.0 cannot detach; libvirt writes one element per line).
metadata_removed() {
    local name=$1 out=$WORK/$1-nometa.xml
    # The test driver wants an <os> and a <memory>; the hook reads neither.
    sed "s|^  <devices>|  <memory>1048576</memory>\n  <os><type>hvm</type></os>\n  <devices>|" \
        "$WORK/$name.xml" > "$WORK/$name-def.xml"
    if ! virsh -q -c test:///default "define $WORK/$name-def.xml; start $name; metadata $name --live --uri urn:vgpu-hook:1 --remove; dumpxml $name" \
            > "$out" 2> "$WORK/virsh.err" || [ -s "$WORK/virsh.err" ] ||
       ! grep -q "<uuid>" "$out" || grep -q "urn:vgpu-hook" "$out"; then
        t_fail "$name: libvirt's test driver removes the live metadata" "$(head -n 2 "$WORK/virsh.err")"
        return 1
    fi
    [ "${2:-}" != --unplugged ] || sed -i '/^ *<hostdev /,/^ *<\/hostdev>/d' "$out"
}
