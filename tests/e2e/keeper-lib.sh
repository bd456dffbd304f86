# SPDX-License-Identifier: LGPL-2.1-or-later
# What the keeper tiers (test-keeper*.sh) share, on top of libvirt-env.sh.
keeper_log() { grep 'vgpu-keeper' "$LV_WORK/syslog.log" 2>/dev/null; }
# t_log NAME REGEX: the keeper logged a line matching REGEX (waited for: the
# syslog listener writes it after the keeper sent it)
t_log() { t_match "$1" "$2" "$(lv_syslog_for "$2" vgpu-keeper)"; }
# wait_for SECONDS CMD...: poll until CMD succeeds; 1 after SECONDS
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}

# keeper_start [ENV=VALUE...] [OPTION...]: vgpu-keeper of $LV_B running in
# the namespace (pid KPID), its stderr in LV_WORK/vgpu-keeper.log;
# keeper_stop ends it; status_key KEY reads its status file. Its reconnect
# backoff is capped at 10 s (VGPU_TEST_BACKOFF, test builds) unless ENV
# says otherwise: the real cap, 5 min, would make a check that waits 30 s
# for a reconnection fail when libvirtd took more than 30 s to come back.
KPID=
keeper_start() {
    local envs=(VGPU_TEST_BACKOFF=250:10000)
    while [ $# -gt 0 ] && [[ $1 == *=* ]]; do envs+=("$1"); shift; done
    (cd / && exec env "${envs[@]}" nsenter -m -t "$LV_KEEPER" -- "$LV_B/keeper/vgpu-keeper" \
        -c qemu:///system --stderr "$@" >> "$LV_WORK/vgpu-keeper.log" 2>&1 < /dev/null) &
    KPID=$!
}
keeper_stop() {
    [ -n "$KPID" ] || return 0
    kill -TERM "$KPID" 2>/dev/null
    lv_wait_gone 10 "$KPID" > /dev/null || kill -KILL "$KPID" 2>/dev/null
    wait "$KPID" 2>/dev/null
    KPID=
}
status_key() { sed -n "s/^$1=//p" "$(lv_nsfile /run/vgpu-hook/keeper.status)" 2>/dev/null; }
# A keeper stopped at its VGPU_TEST_PAUSE_AT point (SIGSTOP: state T).
keeper_paused() { proc_stopped "$KPID"; }
connected() { [ "$(status_key connected)" = true ] && [ "$(status_key pid)" = "$KPID" ]; }
passes_above() { [ "$(status_key passes)" -gt "$1" ] 2>/dev/null; }

# vf_addr NAME UUID: the VF the hostdev aliased ua-vgpu-UUID names in
# NAME's definition; has_vf NAME UUID: there is one
vf_addr() { local v; v=$(vf_of_alias "$1" "$2"); echo "${v% *}"; }
has_vf() { [ -n "$(vf_addr "$1" "$2")" ]; }

# run_test (libvirt-env.sh) also shows a failed test's keeper log
keeper_dump_log() { echo "# --- vgpu-keeper.log"; tail -n 30 "$LV_WORK/vgpu-keeper.log" | sed 's/^/#   /'; }
LV_DUMP_MORE=keeper_dump_log
