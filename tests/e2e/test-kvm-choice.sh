#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# KVM or TCG for the libvirtd tiers (tests/e2e/libvirt-env.sh,
# lv_kvm_choice in lv_start): KVM only where QEMU, as the user libvirt runs
# it as (libvirt-qemu on Debian), can open /dev/kvm read-write; root passing
# `test -r -w` is not enough. The choice and the log line saying it, in
# three cases:
#
#   as-is: this machine as it is. The choice must be what opening
#       /dev/kvm as that user (setpriv, with libvirt's groups) gives; the
#       "KVM usable" outcome is only observable on a machine where QEMU can
#       use KVM (the log says which this one is).
#   absent: tests/e2e/without-kvm.sh --absent, no /dev/kvm: TCG.
#   root-only: tests/e2e/without-kvm.sh --root-only, /dev/kvm crw-------
#       root:root as on a machine without udev: TCG, "Permission denied".
#       This case runs lv_start, whose first domain must start; then, in
#       the same daemon, the choice the tiers made before (KVM, as root may
#       open the node): that domain cannot start, and the tier must stop
#       there with one "not ok" rather than fail every check slowly.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export TOP
unset VGPU_HOOK_CONF
B=${B:-$TOP/build/san}
export B
. "$TOP/tests/e2e/libvirt-env.sh"
OLD_MARK="# --- the old choice"

case ${1:-} in
    --choice)       # the choice here, as lv_start makes it in its namespace
        lv_kvm_choice || exit 1
        echo "choice: $LV_VIRT_TYPE: $LV_KVM_WHY"
        exit 0 ;;
    --root-only)
        lv_tier_begin "KVM choice (root-only)"
        lv_start a40-1vf || { t_fail "root-only: libvirtd up in the namespace" "see the log above"; t_done; exit 1; }
        # Only reached once lv_start's first domain started.
        t_pass "root-only: a plain type='$LV_VIRT_TYPE' domain started"
        t_eq "root-only: TCG" qemu "$LV_VIRT_TYPE"
        t_match "root-only: why: QEMU's user may not open the root-only node" \
            "^QEMU as libvirt-qemu \(uid [0-9]+, groups [0-9,]+\) cannot use /dev/kvm \(crw------- root:root\): Permission denied$" \
            "$LV_KVM_WHY"
        echo "$OLD_MARK"
        LV_VIRT_TYPE=kvm
        lv_probe_domain         # stops the tier
        t_pass "old choice: went on past a domain that could not start"
        t_done
        exit ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    t_skip "KVM choice tier" "needs root (namespaces, libvirtd)"
    t_done
    exit 0
fi
lv_setup || { t_done; exit 0; }     # it said why, as a "skip" line

# as-is. Independently of kvm-usable.py: libvirt's uid, gid and groups (the
# user's own, then the group: virGetGroupList); no O_CREAT where the node
# is absent.
u=$(lv_qemu_id user) g=$(lv_qemu_id group)
groups=$(id -G "$u" | tr ' ' ','),$(getent group "$g" | cut -d: -f3)
if open=$(setpriv --reuid="$u" --regid="$g" --groups="$groups" \
        bash -c '[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 1; }; exec 3<>/dev/kvm' 2>&1); then
    want=kvm
    lv_log "this machine: QEMU as $u opens /dev/kvm: the KVM case"
else
    want=qemu
    lv_log "this machine: QEMU as $u cannot use /dev/kvm (${open##*: }); the 'KVM usable' case is only observable on a machine where it can"
fi
out=$(bash "$0" --choice 2>&1)
printf '%s\n' "$out"
t_match "as-is: the choice is what opening /dev/kvm as $u gives" "^choice: $want: " "$out"
if [ $want = kvm ]; then
    t_match "as-is: the log says KVM, and why" "# [0-9:]+ KVM: domains run as written \(type='kvm'\): QEMU as $u .* opens /dev/kvm" "$out"
else
    t_match "as-is: the log says TCG, and why" "# [0-9:]+ no KVM for QEMU \(.+\): domains written type='kvm' run as type='qemu' \(TCG\)" "$out"
fi

out=$("$LV_DIR/without-kvm.sh" --absent bash "$0" --choice 2>&1)
printf '%s\n' "$out"
t_match "absent: TCG, and the log says why" \
    "# [0-9:]+ no KVM for QEMU \(no /dev/kvm\): domains written type='kvm' run as type='qemu' \(TCG\)" "$out"
t_match "absent: the choice" "^choice: qemu: no /dev/kvm$" "$out"

# root-only: its own checks as they are, then the old choice's lines as
# comments (its one failure is the expected outcome).
out=$("$LV_DIR/without-kvm.sh" --root-only bash "$0" --root-only 2>&1)
rc=$?
sed "/^$OLD_MARK/,\$d" <<< "$out"
old=$(sed -n "/^$OLD_MARK/,\$p" <<< "$out")
sed 's/^/#   /' <<< "$old"
t_match "root-only: the log says TCG, and why" \
    "# [0-9:]+ no KVM for QEMU \(QEMU as libvirt-qemu .* cannot use /dev/kvm \(crw------- root:root\): Permission denied\): domains written type='kvm' run as type='qemu' \(TCG\)" "$out"
t_eq "old choice (KVM, as root may open the node) on a root-only /dev/kvm: the tier fails" 1 "$rc"
t_eq "old choice: it stops at its first domain, with one \"not ok\" and no check after it" \
    "not ok - a plain type='kvm' domain starts under the tier's libvirtd (the tier stops here)" \
    "$(grep -E '^(ok|not ok|skip) ' <<< "$old" | sed 's/: .*//')"
t_done
