#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-migrate.sh: vGPU domains moving between two libvirt hosts: two real
# libvirtd, A and B, each in its own private mount namespace with its own
# simulator at /sys's places, its own hook state and the emulator wrapper
# that drops the vfio-pci device, migrating over loopback
# (multi-host.md section 2). Distinct host_uuid and migration port ranges;
# qemu.conf refuses 127.0.0.1 as a migration address, so every call names
# --migrateuri tcp://127.0.0.1:PORT --listen-address 127.0.0.1.
# Each case checks both simulators and both ledgers.
#
# The test emulator drops the device, so QEMU here carries no vGPU state:
# these cases prove the hook calls, devices and ledgers on both ends, not a
# device-state migration (which needs libvirt >= 8.6, QEMU >= 8.1, kernel
# >= 5.18 and a driver that migrates).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/e2e/libvirt-env.sh"

MG_VARS="LV_WORK LV_KEEPER LV_TINI SIM_ROOT SIM_PID SIM_START LV_B"
# mg_save X / mg_use X: which of the two hosts the lv_* helpers act on
mg_save() { local v; for v in $MG_VARS; do eval "MG_${1}_$v=\${$v:-}"; done; }
mg_use() { local v; for v in $MG_VARS; do eval "$v=\${MG_${1}_$v:-}"; done; }
mg_finish() {
    local rc=$?
    mg_use B; lv_stop
    mg_use A; lv_stop
    [ -n "${LV_TIER_CACHE:-}" ] && rm -rf "$LV_TIER_CACHE"
    return $rc
}

lv_tier_begin
trap mg_finish EXIT

# mg_host X SCENARIO UUID PORTMIN: start host X
mg_host() {
    LV_LIBVIRTD_CONF_EXTRA="host_uuid = \"$3\"" \
    LV_QEMU_CONF_EXTRA="migration_port_min = $4
migration_port_max = $(($4 + 15))" \
        lv_start "$2" || { t_fail "host $1 up" "lv_start $2 failed"; exit 1; }
    mg_save "$1"
}

# mg_uri X: host X's libvirt URI, for clients anywhere on this machine
mg_uri() { local sock; mg_use "$1"; sock=$(lv_nsfile /run/libvirt/libvirt-sock); echo "qemu+unix:///system?socket=$sock"; }
# mg_check ARGS...: vgpuctl migrate-check on A towards B (MC_OUT, MC_RC).
# Run from outside both namespaces, as from an admin's shell on A: a cached
# Debian root lacks vgpuctl's libraries; A's sysfs is its simulator's mount.
mg_check() {
    local a b
    b=$(mg_uri B); a=$(mg_uri A)
    printf '[vgpu-hook]\nsysfs_root=%s\nstate_dir=%s\n' "$SIM_ROOT" "$(lv_nsfile /run/vgpu-hook)" > "$LV_WORK/mc.conf"
    MC_OUT=$(timeout 60 "$LV_B/cli/vgpuctl" -c "$a" --hook-config "$LV_WORK/mc.conf" \
        migrate-check "$@" --to "$b" 2>&1)
    MC_RC=$?
}
# What migrate-check must say of live moves here: the versions decide
# (libvirt >= 8.6 and QEMU >= 8.1 on both ends), not whether virsh
# migrate "works" with the test emulator, which drops the device.
mg_expect_live() {
    local lib qemu
    read -r lib qemu < <(mg_use A; lv_virsh version 2>/dev/null |
        awk '/Using library: libvirt/ {l=$4} /Running hypervisor: QEMU/ {q=$4} END {print l, q}')
    MG_LIVE_OK=0
    [ "$(printf '%s\n' 8.6.0 "$lib" | sort -V | head -n 1)" = 8.6.0 ] &&
        [ "$(printf '%s\n' 8.1.0 "$qemu" | sort -V | head -n 1)" = 8.1.0 ] && MG_LIVE_OK=1
    MG_VERSIONS="libvirt $lib, QEMU $qemu"
}

MG_PORT=${MG_PORT_BASE:-49310}
# mg_migrate FLAGS... DOMAIN: virsh migrate on A towards B (output in MG_OUT, status MG_RC)
mg_migrate() {
    local b
    b=$(mg_uri B)
    mg_use A
    MG_PORT=$((MG_PORT + 1))
    MG_OUT=$(LV_TIMEOUT=120 lv_virsh migrate "$@" "$b" \
        --migrateuri "tcp://127.0.0.1:$MG_PORT" --listen-address 127.0.0.1 2>&1)
    MG_RC=$?
}

# On host X (mg_use'd): mdevs (uuid:type), ledgers, domain state
mdevs() {
    local d
    for d in "$SIM_ROOT"/bus/mdev/devices/*; do
        [ -e "$d" ] && echo "${d##*/}:$(basename "$(readlink "$d/mdev_type")")"
    done | sort | paste -sd' '
}
n_mdevs() { ls "$SIM_ROOT/bus/mdev/devices" 2>/dev/null | wc -l; }
ledgers() { ls "$(lv_nsfile /run/vgpu-hook)" 2>/dev/null | grep -c '\.ledger$'; }
state() { LV_TIMEOUT=20 lv_virsh domstate "$1" 2>/dev/null | head -n 1 || true; }
on() { mg_use "$1"; shift; "$@"; }

# mtty on both hosts: 24 ports, 12 mtty-2 at most.
mg_host A mtty 11111111-aaaa-4aaa-8aaa-000000000001 "${MG_RANGE_A:-49152}"
mg_host B mtty 22222222-bbbb-4bbb-8bbb-000000000002 "${MG_RANGE_B:-49168}"
T2=$SIM_ROOT/class/mdev_bus/mtty/mdev_supported_types/mtty-2
mg_expect_live

test_nodedev() {
    mg_use B
    t_eq "node devices: libvirt lists the simulated mdev parent" "mtty_mtty" \
        "$(lv_virsh nodedev-list --cap mdev_types | paste -sd' ')"
    t_match "node devices: its types with availableInstances, as in sysfs" \
        "<type id='mtty-2'>.*<availableInstances>$(cat "$T2/available_instances")</availableInstances>" \
        "$(lv_virsh nodedev-dumpxml mtty_mtty | tr -d '\n')"
}

dom_xml() { lv_domain_xml "$1" "$2" "uuid=\"$3\" type=\"mtty-2\""; }

test_live() {
    local du=6d7a0000-0000-4000-8000-0000000000a1 mu=6d7a0000-0000-4000-8000-0000000000a2
    mg_use A
    dom_xml mg1 $du $mu > "$LV_WORK/mg1.xml"
    lv_virsh create "$LV_WORK/mg1.xml" > /dev/null 2>&1
    t_eq "live: runs on A with its mdev, one ledger on A" "running:$mu:mtty-2:1" \
        "$(state mg1):$(mdevs):$(ledgers)"
    mg_check mg1
    if [ "$MG_LIVE_OK" = 1 ]; then
        t_match "migrate-check ($MG_VERSIONS): live, with the virsh line" \
            "^0:mg1: can move live .*virsh migrate --live --persistent --undefinesource mg1 qemu" \
            "$MC_RC:$(tr '\n' ' ' <<< "$MC_OUT")"
    else
        t_match "migrate-check ($MG_VERSIONS): offline only, the versions as the reason, the offline line" \
            "^2:mg1: offline only: live migration cannot carry vGPU state: .*older than .* virsh migrate --offline --persistent --undefinesource mg1 qemu" \
            "$MC_RC:$(tr '\n' ' ' <<< "$MC_OUT")"
    fi
    mg_migrate --live mg1
    t_eq "live: virsh migrate A->B succeeds" "0" "$MG_RC${MG_RC/0/}"
    [ "$MG_RC" = 0 ] || echo "# $MG_OUT"
    t_eq "live: B runs it with the same mdev UUID and type, one ledger on B" "running:$mu:mtty-2:1" \
        "$(on B state mg1):$(on B mdevs):$(on B ledgers)"
    t_eq "live: gone from A: no domain, no mdev, no ledger" ":0:0" \
        "$(on A state mg1):$(on A n_mdevs):$(on A ledgers)"
    on B lv_virsh destroy mg1 > /dev/null 2>&1
    t_eq "live: destroyed on B: its mdev and ledger go there" "0:0" "$(on B n_mdevs):$(on B ledgers)"
}

test_full() {
    local du=6d7a0000-0000-4000-8000-0000000000b1 mu=6d7a0000-0000-4000-8000-0000000000b2 i
    mg_use B
    for i in $(seq 1 12); do printf '6d7a0000-0000-4000-8000-%012d' $((900 + i)) > "$T2/create"; done
    mg_use A
    dom_xml mg2 $du $mu > "$LV_WORK/mg2.xml"
    lv_virsh create "$LV_WORK/mg2.xml" > /dev/null 2>&1
    mg_check mg2
    t_match "migrate-check, B full: cannot move, B's free count of the type named" \
        "^1:mg2: cannot move now: .* has 0 free mtty-2 instances, the domain needs 1$" \
        "$MC_RC:$(tr '\n' ' ' <<< "$MC_OUT" | sed 's/ $//')"
    mg_check mg2 --json
    t_match "migrate-check --json: verdict none, the type, no command" \
        '"domain" *: *"mg2".*"verdict" *: *"none".*"types" *: *\[ *"mtty-2" *\].*"command" *: *null' \
        "$(tr -d '\n' <<< "$MC_OUT")"
    mg_check --all
    t_match "migrate-check --all: the one vGPU domain running here, exit 1" "^1:mg2: cannot move now" \
        "$MC_RC:$MC_OUT"
    mg_migrate --live mg2
    t_match "full: B refuses at migrate begin, naming the domain, the type and why" \
        "migrate begin.*domain 'mg2' cannot move here: no GPU here can take vGPU device 0 \(mtty-2\) now: .*in use on mtty" \
        "$MG_RC:$MG_OUT"
    t_eq "full: A untouched: running, its mdev, its ledger" "running:$mu:mtty-2:1" \
        "$(on A state mg2):$(on A mdevs):$(on A ledgers)"
    t_eq "full: nothing on B: no domain, only the 12 mdevs made there, no ledger" ":12:0" \
        "$(on B state mg2):$(on B n_mdevs):$(on B ledgers)"
    mg_use B
    for i in $(seq 1 12); do printf 1 > "$SIM_ROOT/bus/mdev/devices/$(printf '6d7a0000-0000-4000-8000-%012d' $((900 + i)))/remove"; done
    on A lv_virsh destroy mg2 > /dev/null 2>&1
}

# A second hook on B that refuses `started begin` while a flag exists: a
# failure after B's QEMU has started.
test_fail_after_start() {
    local du=6d7a0000-0000-4000-8000-0000000000c1 mu=6d7a0000-0000-4000-8000-0000000000c2 f
    mg_use B
    f=$(lv_nsfile /etc/libvirt/hooks/qemu.d/zz-test-refuse-started)
    printf '#!/bin/sh\n[ "$2 $3" = "started begin" ] || exit 0\necho "test: started refused" >&2\nexit 1\n' > "$f"
    chmod 0755 "$f"
    mg_use A
    dom_xml mg3 $du $mu > "$LV_WORK/mg3.xml"
    lv_virsh create "$LV_WORK/mg3.xml" > /dev/null 2>&1
    mg_migrate --live mg3
    rm -f "$f"
    t_match "after B's QEMU started: the migration fails with the refusal" "^[^0].*started refused" \
        "$MG_RC:$MG_OUT"
    t_eq "after B's QEMU started: B released: no domain, no mdev, no ledger" ":0:0" \
        "$(on B state mg3):$(on B n_mdevs):$(on B ledgers)"
    t_eq "after B's QEMU started: A keeps running with its mdev and ledger" "running:$mu:mtty-2:1" \
        "$(on A state mg3):$(on A mdevs):$(on A ledgers)"
    on A lv_virsh destroy mg3 > /dev/null 2>&1
}

# B's hook killed (SIGKILL) right after it made the mdev in prepare: libvirt
# fails the migration and calls release, which removes it by the ledger.
test_hook_killed() {
    local du=6d7a0000-0000-4000-8000-0000000000d1 mu=6d7a0000-0000-4000-8000-0000000000d2 f
    mg_use B
    f=$(lv_nsfile /etc/libvirt/hooks/qemu.d/vgpu-hook)
    rm -f "$f"
    printf '#!/bin/sh\n[ "$2 $3" = "prepare begin" ] && export VGPU_TEST_STOP_AT=prepare-created\nexec %s "$@"\n' \
        "$LV_B/hooks/vgpu-hook" > "$f"
    chmod 0755 "$f"
    mg_use A
    dom_xml mg4 $du $mu > "$LV_WORK/mg4.xml"
    lv_virsh create "$LV_WORK/mg4.xml" > /dev/null 2>&1
    mg_migrate --live mg4
    mg_use B
    rm -f "$f"; ln -s "$LV_B/hooks/vgpu-hook" "$f"
    t_match "hook killed mid-prepare on B: the migration fails at B's prepare" \
        "^[^0].*prepare begin" "$MG_RC:$(tr '\n' ' ' <<< "$MG_OUT")"
    echo "# virsh: $(lv_short <<< "$MG_OUT" | tr '\n' ' ' | sed 's/.*prepare begin -) //' | cut -c 1-200)"
    t_eq "hook killed mid-prepare on B: B's release removed what it made: no mdev, no ledger" ":0:0" \
        "$(on B state mg4):$(on B n_mdevs):$(on B ledgers)"
    t_eq "hook killed mid-prepare on B: A keeps running" "running:$mu:mtty-2:1" \
        "$(on A state mg4):$(on A mdevs):$(on A ledgers)"
    on A lv_virsh destroy mg4 > /dev/null 2>&1
}

test_offline() {
    local du=6d7a0000-0000-4000-8000-0000000000e1 mu=6d7a0000-0000-4000-8000-0000000000e2
    mg_use A
    dom_xml mg5 $du $mu > "$LV_WORK/mg5.xml"
    lv_virsh define "$LV_WORK/mg5.xml" > /dev/null 2>&1
    mg_migrate --offline --persistent mg5
    t_eq "offline: virsh migrate --offline --persistent succeeds" "0" "$MG_RC${MG_RC/0/}"
    [ "$MG_RC" = 0 ] || echo "# $MG_OUT"
    t_eq "offline: B has the definition, shut off; nothing made on B" "shut off:0:0" \
        "$(on B state mg5):$(on B n_mdevs):$(on B ledgers)"
    t_eq "offline: it starts on B with its mdev" "running:$mu:mtty-2:1" \
        "$(on B lv_virsh start mg5 > /dev/null 2>&1; on B state mg5):$(on B mdevs):$(on B ledgers)"
    on B lv_virsh destroy mg5 > /dev/null 2>&1
    on B lv_virsh undefine mg5 > /dev/null 2>&1
    on A lv_virsh undefine mg5 > /dev/null 2>&1
}

# MG_TESTS: the cases to run (test-migrate-trixie.sh leaves out the one
# that needs the test build's crash points).
for t in ${MG_TESTS:-\
    test_nodedev \
    test_live \
    test_full \
    test_fail_after_start \
    test_hook_killed \
    test_offline \
    }; do
    echo "# $t"
    "$t"
done
t_done
