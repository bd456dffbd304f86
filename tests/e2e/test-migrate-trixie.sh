#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-migrate.sh's two hosts with Debian 13's libvirt 11.3 and QEMU 10.0
# (the cached root of tests/e2e/libvirt-root.sh, as the other trixie
# tiers use it): the versions that can carry vGPU device state, where
# migrate-check says "live", and libvirt passes the shutoff reason
# ("migrated") to the source's release. The hook is this tree's plain
# build (built on Debian 12, it needs only sonames trixie also has; the
# sanitizer build needs gcc 12's runtime, which the root does not carry),
# so the SIGKILL mid-prepare case, which needs the test build's crash
# points, runs in test-migrate.sh only. Its own ports: the two tiers may
# run at once.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export TOP
unset VGPU_HOOK_CONF
B=$TOP/build/plain
. "$TOP/tests/e2e/libvirt-env.sh"
if [ "$(id -u)" -ne 0 ]; then
    t_skip "Debian 13 migration tier" "needs root (debootstrap, namespaces)"
    t_done
    exit 0
fi
lv_debian_root trixie || { t_done; exit 1; }
LV_ROOT=$LV_DEBIAN_ROOT B=$B MG_PORT_BASE=49410 MG_RANGE_A=49184 MG_RANGE_B=49200 \
    MG_TESTS="test_nodedev test_live test_full test_fail_after_start test_offline" \
    exec bash "$TOP/tests/e2e/test-migrate.sh"
