#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook's journal fields, through its real entry point (argv + domain XML
# on stdin, the simulator as sysfs): a create and a remove reach the journal
# with VGPU_CODE, VGPU_UUID, VGPU_DOMAIN... (vgpu-hook(8)), so that
# `journalctl VGPU_UUID=…` finds a device's life; with no journal, the same
# lines reach syslog (/dev/log) instead.
#
# The journal and the syslog daemon are tests/hook/journal-listen.py, bound
# at /run/systemd/journal/socket and /dev/log inside a private mount
# namespace this tier runs in (a tmpfs over /run/systemd, and one over /dev
# holding the few nodes the hook and the simulator use): the host's own
# journal and /dev are never touched.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "${VGPU_JOURNAL_NS:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null; then
        . "$TOP/tests/lib.sh"
        t_skip "journal tier" "needs root and unshare (a private mount namespace)"
        t_done
        exit 0
    fi
    exec env VGPU_JOURNAL_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
. "$TOP/tests/hook/hooklib.sh"
LISTEN=$TOP/tests/hook/journal-listen.py
LISTENER=
JOURNAL=$WORK/journal.jsonl

listener_stop() {
    [ -n "$LISTENER" ] || return 0
    kill "$LISTENER" 2>/dev/null
    wait "$LISTENER" 2>/dev/null
    LISTENER=
}
trap 'listener_stop; hook_cleanup' EXIT

# listen SOCKET OUT: a listener bound at SOCKET, writing to OUT
listen() {
    local i
    rm -f "$1" "$2"
    python3 "$LISTEN" listen "$1" "$2" &
    LISTENER=$!
    for i in $(seq 1 200); do [ -S "$1" ] && return 0; sleep 0.05; done
    t_fail "listener bound at $1" "no socket after 10 s"
    return 1
}
# jget FIELD KEY=VALUE...: what the journal got (see journal-listen.py get)
jget() { python3 "$LISTEN" get "$JOURNAL" "$@" | paste -sd ' '; }

# No journal of the host's (nor a syslog daemon's) gets in: /run/systemd is
# ours from here on.
mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/journal ||
    { t_fail "journal tier: a tmpfs over /run/systemd"; t_done; exit 1; }

test_journal_fields() {
    fresh a40x2-sriov
    listen /run/systemd/journal/socket "$JOURNAL" || return
    start web1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "prepare with a journal: exit 0, silent" "0:" "$RC:$OUT$ERR"
    local parent
    parent=$(mdev_parent "$(u 1)")
    stop web1
    t_eq "release: exit 0, device gone" "0:" "$RC:$(mdevs)"
    # journalctl VGPU_UUID=… : the device's create and remove, in order
    t_eq "VGPU_UUID finds its create and remove" "created removed" \
        "$(jget VGPU_CODE VGPU_UUID="$(u 1)")"
    local c=(VGPU_UUID="$(u 1)" VGPU_CODE=created)
    t_eq "created: domain, its UUID, the hook call" "web1|$(du 1)|prepare begin" \
        "$(jget VGPU_DOMAIN "${c[@]}")|$(jget VGPU_DOMAIN_UUID "${c[@]}")|$(jget VGPU_HOOK_CALL "${c[@]}")"
    t_eq "created: type and parent" "nvidia-558|$parent" \
        "$(jget VGPU_TYPE "${c[@]}")|$(jget VGPU_PARENT "${c[@]}")"
    t_eq "created: priority info, identifier vgpu-hook" "6|vgpu-hook" \
        "$(jget PRIORITY "${c[@]}")|$(jget SYSLOG_IDENTIFIER "${c[@]}")"
    t_eq "created: the message is the syslog line" \
        "domain 'web1': created $(u 1) (NVIDIA A40-2Q, nvidia-558) on $parent" "$(jget MESSAGE "${c[@]}")"
    c=(VGPU_UUID="$(u 1)" VGPU_CODE=removed)
    t_eq "removed: domain, type, parent, hook call" "web1|$(du 1)|nvidia-558|$parent|release end" \
        "$(jget VGPU_DOMAIN "${c[@]}")|$(jget VGPU_DOMAIN_UUID "${c[@]}")|$(jget VGPU_TYPE "${c[@]}")|$(jget VGPU_PARENT "${c[@]}")|$(jget VGPU_HOOK_CALL "${c[@]}")"
    t_eq "VGPU_DOMAIN=web1 finds its release too" "created releasing removed" \
        "$(jget VGPU_CODE VGPU_DOMAIN=web1)"

    # A refusal: the sentence `virsh start` shows, with the domain's fields.
    start web2 2 "uuid=\"$(u 2)\" profile=\"A40-48Q\"" "uuid=\"$(u 3)\" profile=\"A40-48Q\"" \
        "uuid=\"$(u 4)\" profile=\"A40-48Q\""
    t_eq "three A40-48Q on two A40s: refused" 1 "$RC"
    t_eq "refused: code, priority err, domain, hook call" "refused|3|$(du 2)|prepare begin" \
        "$(jget VGPU_CODE VGPU_DOMAIN=web2 PRIORITY=3)|$(jget PRIORITY VGPU_CODE=refused)|$(jget VGPU_DOMAIN_UUID VGPU_CODE=refused)|$(jget VGPU_HOOK_CALL VGPU_CODE=refused)"
    t_eq "refused: the message is what virsh shows" "${ERR#vgpu-hook: }" \
        "$(jget MESSAGE VGPU_CODE=refused)"
    t_eq "refused: the rollback names the devices made" "$(u 2) $(u 3)" \
        "$(jget VGPU_UUID VGPU_DOMAIN=web2 VGPU_CODE=rolled-back)"
    listener_stop
}

# A whole VF given a vGPU type: VGPU_VF names it, VGPU_UUID the request.
test_journal_whole_vf() {
    local vf=0000:e8:00.4
    fresh a40x2-vfio
    listen /run/systemd/journal/socket "$JOURNAL" || return
    start web4 4 "uuid=\"$(u 6)\" profile=\"A40-2Q\" @vf=$vf"
    t_eq "whole VF: prepare exit 0" "0:" "$RC:$ERR"
    stop web4
    t_eq "whole VF: release exit 0" "0:" "$RC:$ERR"
    t_eq "whole VF: VGPU_UUID finds its create and remove" "created removed" \
        "$(jget VGPU_CODE VGPU_UUID="$(u 6)")"
    t_eq "whole VF: VGPU_VF and VGPU_TYPE, no VGPU_PARENT" "$vf|$vf|nvidia-558|" \
        "$(jget VGPU_VF VGPU_UUID="$(u 6)" VGPU_CODE=created)|$(jget VGPU_VF VGPU_UUID="$(u 6)" VGPU_CODE=removed)|$(jget VGPU_TYPE VGPU_UUID="$(u 6)" VGPU_CODE=created)|$(jget VGPU_PARENT VGPU_UUID="$(u 6)")"
    listener_stop
}

# No journal socket: the same lines go to syslog, and the hook still works.
test_syslog_fallback() {
    fresh a40x2-sriov
    rm -f /run/systemd/journal/socket
    # /dev as the hook and the simulator need it, plus a log socket of ours
    local d=$WORK/dev n
    mkdir "$d" && mount -t tmpfs -o mode=755 tmpfs "$d" || { t_fail "syslog: a tmpfs /dev"; return; }
    for n in null zero full random urandom tty fuse; do
        [ -e "/dev/$n" ] && cp -a "/dev/$n" "$d/"
    done
    cp -a /dev/fd /dev/stdin /dev/stdout /dev/stderr "$d/"
    mkdir "$d/shm" && mount --bind /dev/shm "$d/shm"
    listen "$d/log" "$WORK/syslog.jsonl" || return
    mount --move "$d" /dev || { t_fail "syslog: the tmpfs over /dev"; return; }
    : > "$VGPU_TEST_LOG"
    start web3 3 "uuid=\"$(u 5)\" profile=\"A40-2Q\""
    t_eq "no journal: prepare exit 0, silent, device made" "0::$(u 5)" "$RC:$OUT$ERR:$(mdevs)"
    stop web3
    t_eq "no journal: release exit 0, device gone" "0:" "$RC:$(mdevs)"
    local got
    got=$(python3 "$LISTEN" get "$WORK/syslog.jsonl" SYSLOG)
    t_match "syslog got the create (daemon.info, vgpu-hook[pid])" \
        "^<30>.* vgpu-hook\[[0-9]+\]: domain 'web3': created $(u 5) " "$got"
    t_match "syslog got the remove" "^<30>.* vgpu-hook\[[0-9]+\]: domain 'web3': removed $(u 5) " "$got"
    t_eq "no journal: every line logged reached syslog" "$(grep -c "'web3'" "$VGPU_TEST_LOG")" \
        "$(printf '%s\n' "$got" | grep -c "'web3'")"
    listener_stop
    umount -l /dev
}

for t in test_journal_fields test_journal_whole_vf test_syslog_fallback; do
    "$t"
done
t_done
