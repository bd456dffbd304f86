#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook program (front, dlopen()ed core, forked remove child) under
# valgrind, from the plain build: a full prepare/release of two vGPUs, a
# refusal, hostile input, and the fast path. Effects checked in sysfs too.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"
PLAIN=${BPLAIN:-$TOP/build/plain}
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --child-silent-after-fork=yes)

vhook() {   # vhook NAME OP SUBOP < xml: the plain hook under valgrind
    "${VG[@]}" "$PLAIN/hooks/vgpu-hook" "$1" "$2" "$3" - > "$WORK/out" 2> "$WORK/err"
    RC=$?
    ERR=$(cat "$WORK/err")
}

fresh a40x2-sriov
vhook vm-plain prepare begin < "$TOP/examples/vm-plain.xml"
t_eq "valgrind: fast path clean" "0:" "$RC:$ERR"
vhook vm-two-vgpus prepare begin < "$TOP/examples/vm-two-vgpus.xml"
t_eq "valgrind: prepare of two vGPUs clean" "0:" "$RC:$ERR"
t_eq "valgrind: both devices exist" 2 "$(mdev_count)"
dom big "$(du 9)" "uuid=\"$(u 9)\" profile=\"A40-48Q\"" "uuid=\"$(u 10)\" profile=\"A40-48Q\"" \
    "uuid=\"$(u 11)\" profile=\"A40-48Q\"" > "$WORK/big.xml"
vhook big prepare begin < "$WORK/big.xml"
t_eq "valgrind: refusal with rollback exits 1, no valgrind error" 1 "$RC"
t_match "valgrind: refusal says why" "no GPU can take A40-48Q" "$ERR"
t_eq "valgrind: refusal rolled back" 2 "$(mdev_count)"
dom evil "$(du 8)" "uuid=\"$(u 8)\" type=\"../../x\"" > "$WORK/evil.xml"
vhook evil prepare begin < "$WORK/evil.xml"
t_eq "valgrind: hostile input refused cleanly" 1 "$RC"
vhook vm-two-vgpus release end < "$TOP/examples/vm-two-vgpus.xml"
t_eq "valgrind: release clean" "0:" "$RC:$ERR"
t_eq "valgrind: released" 0 "$(mdev_count)"

# A request by need, placed by the domain's vCPU pinning (NUMA node 1).
DOM_EXTRA="<vcpu cpuset='16-17'>2</vcpu>" dom need "$(du 7)" "uuid=\"$(u 7)\" framebuffer=\"7G\" series=\"Q\"" > "$WORK/need.xml"
vhook need prepare begin < "$WORK/need.xml"
t_eq "valgrind: need + NUMA prepare clean, A40-8Q on node 1's GPU" "0::nvidia-562:0000:e8:00.0" \
    "$RC:$ERR:$(mdev_type "$(u 7)"):$(mdev_gpu "$(u 7)")"
vhook need release end < "$WORK/need.xml"
t_eq "valgrind: need release clean" "0:0" "$RC:$(mdev_count)"

# MIG: a placement and a refusal that reads the GPUs' MIG state.
fresh a100x2-mig
dom mig "$(du 6)" "uuid=\"$(u 6)\" profile=\"A100-3-20C\"" "uuid=\"$(u 5)\" profile=\"A100-3-20C\"" > "$WORK/mig.xml"
vhook mig prepare begin < "$WORK/mig.xml"
t_match "valgrind: MIG refusal clean, names the size" "^1:.*no free 3g.20gb GPU instance" "$RC:$ERR"
t_eq "valgrind: MIG refusal rolled back" 0 "$(mdev_count)"
t_done
