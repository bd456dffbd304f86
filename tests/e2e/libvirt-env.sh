# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/e2e/libvirt-env.sh — a real libvirtd + QEMU in a private mount
# namespace, with the simulator's sysfs at /sys's places and the freshly
# built hook installed as /etc/libvirt/hooks/qemu.d/vgpu-hook. Sourced by the
# end-to-end tiers (tests/e2e/test-libvirt.sh, the vgpuctl tier).
#
#   . "$TOP/tests/e2e/libvirt-env.sh"
#   lv_setup || { skip; }                 # packages, FUSE
#   trap lv_stop EXIT
#   lv_start SCENARIO [KEY=VALUE...]      # simulator + namespace + daemons;
#                                         # KVM or TCG; a first domain starts
#   lv_virsh define FILE; lv_virsh start NAME ...
#   lv_restart_libvirtd
#   lv_stop                               # everything down, nothing left
#
# Exposes LV_WORK (logs: libvirtd.log, syslog.log, keeper.log, ...), SIM_ROOT
# (the simulator's mount, seen from outside), LV_VIRT_TYPE (kvm, or qemu where
# QEMU cannot use /dev/kvm: lv_for_host converts domains), LV_EMULATOR (the test-only QEMU
# wrapper), LV_KEEPER (pid holding the namespace); lv_ns CMD... runs CMD in
# the namespace; lv_virsh / lv_vgpuctl run the clients there under a timeout.
# The hook runs inside the namespace and sees the simulator at /sys; its
# config is /etc/libvirt/vgpu-hook.conf there (sysfs_root=/sys,
# state_dir=/run/vgpu-hook on a tmpfs). Nothing is written outside the
# namespace except LV_WORK and the simulator's mount point under /tmp.
#
# LV_ROOT=DIR (set before lv_setup): the daemons, virsh and QEMU come from the
# Debian root DIR (tests/e2e/libvirt-root.sh) instead of the host: it becomes
# the namespace's / under a throw-away overlay, with the host's kernel
# views and this tree at their places (ns-keeper.sh).

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$TOP/tests/lib.sh"

LV_DIR=$TOP/tests/e2e
LV_EMULATOR=$LV_DIR/qemu-novfio
LV_PKGS=(libvirt-daemon-system libvirt-clients qemu-system-x86 tini virtinst)
LV_WORK=
LV_KEEPER=
LV_TINI=
LV_VIRT_TYPE=kvm
LV_ROOT=${LV_ROOT:-}

lv_log() { echo "# $(date +%T) $*"; }
# lv_short: drop the environment libvirt prints before a hook's argv
lv_short() { sed -E 's/\(LC_ALL=C PATH=[^ ]* (HOME=[^ ]* )?/(/g'; }

# lv_setup: install what is missing; returns 1 (after one "skip - ..." line)
# where the tier cannot run on this machine, or one "not ok" line where a
# cached root (LV_ROOT) lacks a piece. KVM or TCG is lv_start's choice
# (lv_kvm_choice), made where QEMU runs.
lv_setup() {
    local need=0 c
    if [ -n "$LV_ROOT" ]; then
        for c in usr/bin/virsh usr/sbin/libvirtd usr/sbin/virtlogd usr/bin/qemu-system-x86_64 \
                 usr/bin/tini usr/bin/python3; do
            # The root was built for this tier: a piece missing is its recipe's fault.
            [ -x "$LV_ROOT/$c" ] || { t_fail "libvirtd tier: $LV_ROOT has /$c" "the root's recipe lost it"; return 1; }
        done
    fi
    [ -n "$LV_ROOT" ] ||
    for c in virsh libvirtd virtlogd qemu-system-x86_64 tini virt-xml; do
        command -v "$c" > /dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$c" > /dev/null 2>&1 || need=1
    done
    if [ $need = 1 ]; then
        if [ "$(id -u)" -ne 0 ]; then
            t_skip "libvirtd tier" "not root and missing packages (apt-get install ${LV_PKGS[*]})"
            return 1
        fi
        lv_log "installing ${LV_PKGS[*]}"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
               DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                   "${LV_PKGS[@]}"; } > /tmp/vgpu-e2e-apt.log 2>&1; then
            t_skip "libvirtd tier" "cannot install ${LV_PKGS[*]}: $(tail -n 1 /tmp/vgpu-e2e-apt.log)"
            return 1
        fi
    fi
    [ "$(id -u)" -eq 0 ] || { t_skip "libvirtd tier" "needs root (mount namespace, libvirtd)"; return 1; }
    [ -c /dev/fuse ] || { t_skip "libvirtd tier" "no /dev/fuse"; return 1; }
    command -v unshare > /dev/null && command -v nsenter > /dev/null ||
        { t_skip "libvirtd tier" "unshare/nsenter missing (util-linux)"; return 1; }
    [ -x "$B/hooks/vgpu-hook" ] || { t_skip "libvirtd tier" "$B/hooks/vgpu-hook not built"; return 1; }
    [ -x "$B/tests/sim/vgpu-sim" ] || { t_skip "libvirtd tier" "$B/tests/sim/vgpu-sim not built"; return 1; }
    return 0
}

# lv_qemu_id user|group: whom libvirt runs QEMU as in the tier: the tier's
# qemu.conf (LV_WORK/qemu.conf) if it says, else the default of the libvirt
# build, which its shipped qemu.conf shows commented out (Debian: #user =
# "libvirt-qemu"), else libvirt's own default, root.
lv_qemu_id() {
    local v
    v=$(sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "${LV_WORK:-/nonexistent}/qemu.conf" 2>/dev/null | tail -n 1)
    [ -n "$v" ] || v=$(sed -n "s/^#$1 = \"\(.*\)\"\$/\1/p" "$LV_ROOT/etc/libvirt/qemu.conf" 2>/dev/null | tail -n 1)
    echo "${v:-root}"
}

# lv_kvm_choice [CMD...]: LV_VIRT_TYPE kvm where QEMU, as the user libvirt
# runs it as, can use /dev/kvm (tests/e2e/kvm-usable.py, run by CMD...: lv_ns
# in the tier's namespace; nothing: on this machine as it is), else qemu
# (TCG); LV_KVM_WHY says why, and so does the log. 1 (after one line on
# stderr) when the check itself could not run.
lv_kvm_choice() {
    local out rc
    out=$("$@" /usr/bin/python3 "$LV_DIR/kvm-usable.py" "$(lv_qemu_id user)" "$(lv_qemu_id group)" 2>&1)
    rc=$?
    LV_KVM_WHY=${out#*: }
    case $rc:$out in
        0:kvm:*)
            LV_VIRT_TYPE=kvm
            lv_log "KVM: domains run as written (type='kvm'): $LV_KVM_WHY" ;;
        1:tcg:*)
            LV_VIRT_TYPE=qemu
            lv_log "no KVM for QEMU ($LV_KVM_WHY): domains written type='kvm' run as type='qemu' (TCG) in this tier; the files in examples/ are not changed" ;;
        *)
            echo "lv_kvm_choice: tests/e2e/kvm-usable.py exited $rc: $(tail -n 1 <<< "$out")" >&2
            return 1 ;;
    esac
}

# lv_for_host < XML > XML: a domain as the user wrote it, as this host can
# run it: type='kvm' becomes type='qemu' (TCG) where there is no KVM.
lv_for_host() {
    if [ "$LV_VIRT_TYPE" = qemu ]; then
        sed "s/<domain type=\([\"']\)kvm\1/<domain type=\1qemu\1/"
    else
        cat
    fi
}

lv_ns() { nsenter -m -t "$LV_KEEPER" -- "$@"; }
lv_virsh() { lv_ns timeout "${LV_TIMEOUT:-60}" virsh -q -c qemu:///system "$@"; }
lv_vgpuctl() { lv_ns timeout "${LV_TIMEOUT:-60}" "$LV_B/cli/vgpuctl" -c qemu:///system "$@"; }

# A file inside the namespace, read from outside.
lv_nsfile() { printf '/proc/%s/root%s' "$LV_KEEPER" "$1"; }
lv_libvirtd_pid() { cat "$(lv_nsfile /run/libvirtd.pid)" 2>/dev/null; }

# --- what the tiers on this libvirtd ask of it ------------------------------
step() { lv_log "step: $*"; }
state() { lv_virsh domstate "$1" 2>&1 | head -n 1; }
inactive() { lv_virsh dumpxml --inactive "$1" 2>/dev/null; }
# lv_ledgers: how many ledgers the hook holds in the namespace
lv_ledgers() { ls "$(lv_nsfile /run/vgpu-hook)" 2>/dev/null | grep -c '\.ledger$'; }
# vf_of_alias NAME UUID: "VF MANAGED" of the PCI hostdev aliased ua-vgpu-UUID
# in NAME's definition (nothing when there is none)
vf_of_alias() { inactive "$1" | hostdev_vf "$2" 2>/dev/null; }
# lvc ARGS...: vgpuctl in the namespace; sets RC, OUT, ERR
lvc() {
    lv_vgpuctl "$@" > "$LV_WORK/vc.out" 2> "$LV_WORK/vc.err"
    RC=$?
    OUT=$(cat "$LV_WORK/vc.out")
    ERR=$(cat "$LV_WORK/vc.err")
}
# vf_domain NAME N ATTRS VF [MANAGED]: define NAME (domain UUID du N) with
# one whole-VF request (uuid u N, ATTRS) whose PCI hostdev names VF
# (managed= MANAGED, default no)
vf_domain() {
    lv_domain_xml "$1" "$(du "$2")" --no-hostdev "uuid=\"$(u "$2")\" $3" |
        sed "s|</devices>|$(vf_hostdev "$(u "$2")" "$4" "${5:-no}" | tr -d '\n')</devices>|" > "$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" > /dev/null
}
# run_test FN: one test function; when it failed, the logs to read
# (lv_dump_logs, then LV_DUMP_MORE: a command a tier adds, if any)
LV_DUMP_MORE=
run_test() {
    local before=$T_FAIL
    lv_log "=== $1"
    "$1"
    if [ "$T_FAIL" -gt "$before" ]; then
        lv_dump_logs
        [ -z "$LV_DUMP_MORE" ] || $LV_DUMP_MORE
    fi
    return 0
}

# lv_write_conf [KEY=VALUE...]: the hook's config (inside: /etc/libvirt/vgpu-hook.conf)
lv_write_conf() {
    {
        echo "[vgpu-hook]"
        echo "sysfs_root=/sys"
        echo "state_dir=/run/vgpu-hook"
        echo "remove_retry_delay_ms=20"
        # No simulated driver here removes its own mdevs (hook tier tests that).
        echo "release_wait_ms=0"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } > "$LV_WORK/vgpu-hook.conf"
    # Once the namespace exists, update the copy the hook reads.
    if [ -n "$LV_KEEPER" ] && kill -0 "$LV_KEEPER" 2>/dev/null; then
        cp "$LV_WORK/vgpu-hook.conf" "$(lv_nsfile /etc/libvirt/vgpu-hook.conf)"
    fi
}

# lv_wait_virsh SECONDS: until the daemon answers
lv_wait_virsh() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do
        LV_TIMEOUT=5 lv_virsh version > /dev/null 2>&1 && return 0
        kill -0 "$LV_TINI" 2>/dev/null || { echo "libvirtd supervisor died" >&2; return 1; }
        sleep 0.2
    done
    echo "libvirtd did not answer in $1 s" >&2
    return 1
}

# lv_start SCENARIO [KEY=VALUE...]
lv_start() {
    local scen=$1 i
    shift
    LV_B=$(cd "$B" && pwd)
    LV_WORK=$(mktemp -d /tmp/vgpu-e2e.XXXXXX)
    chmod 0755 "$LV_WORK"
    lv_log "lv_start $scen (work dir $LV_WORK)"
    sim_start "$scen" || { echo "lv_start: simulator failed" >&2; return 1; }
    # No cgroups (none are delegated here). security_driver "none": where
    # AppArmor is active its libvirt-qemu profile would not let the emulator
    # wrapper (in the source tree) run; LV_SECURITY_DRIVER=default keeps
    # libvirt's default (on this machine kind the same: no AppArmor/SELinux).
    {
        echo "# vgpu-hook end-to-end tier (tests/e2e/libvirt-env.sh)"
        echo "cgroup_controllers = [ ]"
        [ "${LV_SECURITY_DRIVER:-none}" = default ] || echo "security_driver = \"${LV_SECURITY_DRIVER:-none}\""
        # More lines for this daemon (two daemons migrating: their port ranges).
        [ -z "${LV_QEMU_CONF_EXTRA:-}" ] || printf '%s\n' "$LV_QEMU_CONF_EXTRA"
    } > "$LV_WORK/qemu.conf"
    # Lines ns-keeper.sh adds to the namespace's libvirtd.conf (host_uuid).
    [ -z "${LV_LIBVIRTD_CONF_EXTRA:-}" ] || printf '%s\n' "$LV_LIBVIRTD_CONF_EXTRA" > "$LV_WORK/libvirtd.conf.extra"
    LV_KEEPER=
    lv_write_conf "$@"
    (cd / && LV_HOOK="$LV_B/hooks/vgpu-hook" LV_CACHE_DIR="${LV_CACHE_DIR:-}" LV_ROOT="$LV_ROOT" \
        exec unshare -m --propagation private bash "$LV_DIR/ns-keeper.sh" "$LV_WORK" "$SIM_ROOT" "$TOP" \
        > "$LV_WORK/keeper.log" 2>&1 < /dev/null) &
    LV_KEEPER=$!
    # 60 s at most (it returns on the event): the namespace's setup is a few
    # seconds of mounts and copies, and a loaded machine can triple that.
    for i in $(seq 1 1200); do
        [ -e "$LV_WORK/keeper.ready" ] && break
        if [ -e "$LV_WORK/keeper.failed" ] || ! kill -0 "$LV_KEEPER" 2>/dev/null; then
            cat "$LV_WORK/keeper.log" >&2
            echo "lv_start: the namespace keeper failed" >&2
            return 1
        fi
        sleep 0.05
    done
    [ -e "$LV_WORK/keeper.ready" ] || { echo "lv_start: keeper not ready in 60 s" >&2; return 1; }
    lv_kvm_choice lv_ns || return 1
    (cd / && exec nsenter -m -t "$LV_KEEPER" -- setsid tini -s -- "$LV_DIR/libvirtd-run" "$LV_WORK" \
        > "$LV_WORK/daemons.log" 2>&1 < /dev/null) &
    LV_TINI=$!
    lv_wait_virsh 60 || { lv_dump_logs; return 1; }
    lv_log "libvirtd up (pid $(lv_libvirtd_pid)) after ${SECONDS}s of the tier"
    lv_probe_domain
}

# lv_probe_domain: a plain domain like the tier's own (LV_EMULATOR,
# LV_VIRT_TYPE) starts and is destroyed, once per tier and root; if it
# cannot start, the tier stops here with one "not ok" giving libvirt's
# error: where QEMU cannot run at all (KVM it may not open, an emulator
# that dies at once) every later check would fail, each after its own
# bounded wait, for tens of minutes in all.
LV_PROBED=
lv_probe_domain() {
    local key="${LV_ROOT:-/}:$LV_VIRT_TYPE:$LV_EMULATOR" out
    [ "$LV_PROBED" = "$key" ] && return 0
    lv_domain_xml vgpu-e2e-probe 6a2e0000-0000-4000-8000-00000000e2e0 > "$LV_WORK/vgpu-e2e-probe.xml"
    if out=$(lv_virsh create "$LV_WORK/vgpu-e2e-probe.xml" 2>&1); then
        LV_TIMEOUT=20 lv_virsh destroy vgpu-e2e-probe > /dev/null 2>&1
        LV_PROBED=$key
        lv_log "a plain type='$LV_VIRT_TYPE' domain starts here"
        return 0
    fi
    t_fail "a plain type='$LV_VIRT_TYPE' domain starts under the tier's libvirtd (the tier stops here)" \
        "$(grep -v '^$' <<< "$out" | tail -n 3 | tr '\n' ' ')"
    lv_dump_logs
    t_done
    exit 1
}

lv_restart_libvirtd() {
    local old i st
    old=$(lv_libvirtd_pid)
    [ -n "$old" ] || { echo "lv_restart_libvirtd: no libvirtd pid" >&2; return 1; }
    st=$(proc_start "$old")   # not kill -0: its PID may be a stranger's soon after
    : > "$LV_WORK/libvirtd.restart"
    kill -TERM "$old"
    for i in $(seq 1 300); do same_proc "$old" "$st" || break; sleep 0.05; done
    if same_proc "$old" "$st"; then
        echo "lv_restart_libvirtd: libvirtd $old did not stop in 15 s" >&2
        return 1
    fi
    lv_wait_virsh 60 || return 1
    lv_log "libvirtd restarted: pid $old -> $(lv_libvirtd_pid)"
}

# Every process below PID $1 (for the final sweep).
lv_descendants() {
    local c
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$c"
        lv_descendants "$c"
    done
}

# wait_gone SECONDS PID...: until none of the PIDs exists. A PID counts as
# gone once it names another process (same_proc): PIDs are reused within a
# minute here, and the callers SIGKILL what this says is still there.
lv_wait_gone() {
    local end=$((SECONDS + $1)) p alive
    local -A st=()
    shift
    for p in "$@"; do [ -n "$p" ] && st[$p]=$(proc_start "$p"); done
    while :; do
        alive=
        for p in "${!st[@]}"; do same_proc "$p" "${st[$p]}" && alive="$alive $p"; done
        [ -z "$alive" ] && return 0
        [ $SECONDS -ge $end ] && { echo "$alive"; return 1; }
        sleep 0.05
    done
}

# Processes whose mount namespace is $1 ("pid:comm" list)
lv_ns_procs() {
    local p
    [ -n "$1" ] || return 0
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}:$(cat "$p/comm" 2>/dev/null)"
    done | tr '\n' ' ' | sed 's/ $//'
}

# lv_stop: every daemon down, the namespace gone, the simulator unmounted.
# Sets LV_LEFTOVER to the processes that were still in the namespace after
# the orderly stop (then killed): empty when all went well.
lv_stop() {
    local d pid ns= nsfd=
    LV_LEFTOVER=
    # An open descriptor pins the namespace: once its last process is gone
    # the kernel may give its inode number to a new namespace (another
    # run's), whose processes the sweep below must never take for ours.
    if [ -n "$LV_KEEPER" ] && ns=$(readlink "/proc/$LV_KEEPER/ns/mnt" 2>/dev/null); then
        exec {nsfd}< "/proc/$LV_KEEPER/ns/mnt" || ns=
    fi
    if [ -n "$LV_KEEPER" ] && kill -0 "$LV_KEEPER" 2>/dev/null; then
        if [ -n "$(lv_libvirtd_pid)" ]; then
            for d in $(LV_TIMEOUT=10 lv_virsh list --all --name 2>/dev/null); do
                LV_TIMEOUT=20 lv_virsh destroy "$d" > /dev/null 2>&1
                LV_TIMEOUT=10 lv_virsh undefine "$d" > /dev/null 2>&1
            done
            pid=$(lv_libvirtd_pid)
            rm -f "$LV_WORK/libvirtd.restart"
            kill -TERM "$pid" 2>/dev/null
            lv_wait_gone 15 "$pid" > /dev/null || kill -KILL "$pid" 2>/dev/null
        fi
        # Anything QEMU left behind (a libvirtd that died early)
        for pid in $(cat "$(lv_nsfile /run/libvirt/qemu)"/*.pid 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    fi
    if [ -n "$LV_TINI" ]; then
        if ! lv_wait_gone 10 "$LV_TINI" > /dev/null; then
            for pid in $(lv_descendants "$LV_TINI") "$LV_TINI"; do kill -KILL "$pid" 2>/dev/null; done
        fi
        wait "$LV_TINI" 2>/dev/null
        LV_TINI=
    fi
    if [ -n "$LV_KEEPER" ]; then
        [ -n "$LV_WORK" ] && [ -s "$LV_WORK/syslog.pid" ] && kill -TERM "$(cat "$LV_WORK/syslog.pid")" 2>/dev/null
        kill -TERM "$LV_KEEPER" 2>/dev/null
        lv_wait_gone 5 "$LV_KEEPER" > /dev/null || kill -KILL "$LV_KEEPER" 2>/dev/null
        wait "$LV_KEEPER" 2>/dev/null
        LV_KEEPER=
    fi
    if [ -n "$ns" ]; then
        LV_LEFTOVER=$(lv_ns_procs "$ns")
        for d in $LV_LEFTOVER; do kill -KILL "${d%%:*}" 2>/dev/null; done
        [ -n "$LV_LEFTOVER" ] && echo "# lv_stop: killed what was left in the namespace: $LV_LEFTOVER"
    fi
    [ -n "$nsfd" ] && exec {nsfd}<&-
    sim_stop
    if [ -n "$LV_WORK" ] && [ -d "$LV_WORK" ]; then
        if [ "${LV_KEEP:-0}" = 1 ]; then
            lv_log "kept $LV_WORK"
        else
            rm -rf "$LV_WORK"
        fi
    fi
    LV_WORK=
}

# lv_syslog [IDENT]: the syslog lines of IDENT (default vgpu-hook) so far
lv_syslog() { grep -h "${1:-vgpu-hook}" "$LV_WORK/syslog.log" 2>/dev/null; }
# lv_syslog_for REGEX [IDENT]: those lines once one matches REGEX, or as
# they are after 30 s: the listener writes a line after its writer (the hook,
# which libvirt has already waited for) is gone, and on a loaded machine
# that was seen to take more than 5 s. A match returns at once.
lv_syslog_for() {
    local i
    for i in $(seq 1 300); do
        lv_syslog "${2:-}" | grep -Eq -- "$1" && break
        sleep 0.1
    done
    lv_syslog "${2:-}"
}
# lv_t_syslog NAME REGEX: a check that the hook logged a line matching REGEX
lv_t_syslog() { t_match "$1" "$2" "$(lv_syslog_for "$2")"; }
# lv_syslog_settle: wait until every syslog line sent so far is in
# LV_WORK/syslog.log (a marker sent now is written after them: one datagram
# socket, one reader). 1 when the marker is not there within 30 s (no
# listener): a check that a line is absent then fails, not passes on an
# empty log. 30 s as lv_syslog_for: the listener was seen to take more than
# 5 s on a loaded machine, and the marker returns at once when it is there.
lv_syslog_settle() {
    local mark="vgpu-e2e-settle $$.$RANDOM.$SECONDS" i
    lv_ns logger -d -u /dev/log -t vgpu-e2e -- "$mark" 2>/dev/null || return 1
    for i in $(seq 1 300); do
        grep -qF -- "$mark" "$LV_WORK/syslog.log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# lv_dump_logs: what to read when a step failed (CI log)
lv_dump_logs() {
    [ -n "$LV_WORK" ] || return 0
    local f
    for f in keeper.log daemons.log libvirtd.out; do
        [ -s "$LV_WORK/$f" ] && { echo "# --- $f"; tail -n 20 "$LV_WORK/$f" | sed 's/^/#   /'; }
    done
    if [ -s "$LV_WORK/libvirtd.log" ]; then
        # Debug lines (util.command) only for the hook's calls, without the env.
        echo "# --- libvirtd.log: last hook calls"
        grep 'About to run .*/hooks/qemu.d/' "$LV_WORK/libvirtd.log" | tail -n 12 |
            sed 's/^\([^ ]* [^ ]*\):.*About to run .* \(\/etc\/libvirt\/hooks\/\)/#   \1 \2/'
        echo "# --- libvirtd.log: last warnings and errors"
        grep -v ': debug : ' "$LV_WORK/libvirtd.log" | grep -v -e dnsmasqCaps -e virGDBus -e 'DBus not' \
            -e udevGetDMIData -e dmidecode -e '^$' -e "^'" -e 'virCgroupDetectControllers' |
            tail -n 25 | lv_short | cut -c 1-600 | sed 's/^/#   /'
    fi
    if [ -s "$LV_WORK/syslog.log" ]; then
        echo "# --- hook syslog (last 30 lines)"
        tail -n 30 "$LV_WORK/syslog.log" | sed 's/^/#   /'
    fi
}

# lv_domain_xml NAME UUID [--no-hostdev] ['DEVICE ATTRS'...]: a test domain
# (KVM, 64 MiB, memlock-limited, no disk, no graphics) running on
# LV_EMULATOR, with vGPU metadata and a matching mdev <hostdev> for each
# device that names a uuid (like tests/hook/hooklib.sh's dom). Without device
# attributes: a plain domain without our metadata. TCG where KVM is absent.
lv_domain_xml() { lv_domain_xml_kvm "$@" | lv_for_host; }
lv_domain_xml_kvm() {
    local name=$1 duuid=$2 hostdevs=1 d
    shift 2
    [ "${1:-}" = --no-hostdev ] && { hostdevs=0; shift; }
    printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n" "$name" "$duuid"
    if [ $# -gt 0 ]; then
        printf "  <metadata>\n    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">\n"
        for d in "$@"; do printf "      <vgpu:device %s/>\n" "$d"; done
        printf "    </vgpu:vgpu>\n  </metadata>\n"
    fi
    cat <<EOF
  <memory unit='KiB'>65536</memory>
  <memtune>
    <hard_limit unit='KiB'>8192</hard_limit>
  </memtune>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$LV_EMULATOR</emulator>
    <memballoon model='none'/>
EOF
    [ $hostdevs = 1 ] && vgpu_hostdevs "$@"
    printf "  </devices>\n</domain>\n"
}

# lv_tier_begin NAME: how a tier on the real libvirtd starts: everything is
# stopped on exit (also on failure or a signal), the tier is skipped with
# one line where libvirt cannot run here, and QEMU's capability cache is
# kept across the tier's daemons.
lv_tier_begin() {
    LV_TIER_CACHE=
    trap lv_tier_finish EXIT
    trap 'exit 130' INT TERM
    lv_setup || exit 0      # it said why, as a "skip" line
    LV_TIER_CACHE=$(mktemp -d /tmp/vgpu-e2e-cache.XXXXXX)
    export LV_CACHE_DIR=$LV_TIER_CACHE
}
lv_tier_finish() {
    local rc=$?
    lv_stop
    [ -n "$LV_TIER_CACHE" ] && rm -rf "$LV_TIER_CACHE"
    return $rc
}

# lv_debian_root FLAVOUR: sets LV_DEBIAN_ROOT to the cached Debian root of
# tests/e2e/libvirt-root.sh FLAVOUR (built on first use), its log as
# comments; 1 after one "not ok" line saying why where it cannot be built.
lv_debian_root() {
    local log
    LV_DEBIAN_ROOT=
    log=$(mktemp /tmp/vgpu-libvirt-root.XXXXXX)
    if LV_DEBIAN_ROOT=$(bash "$TOP/tests/e2e/libvirt-root.sh" "$1" 2> "$log"); then
        sed 's/^/# /' "$log"
        rm -f "$log"
        return 0
    fi
    sed 's/^/# /' "$log"
    t_fail "a $1 root with libvirt and QEMU (tests/e2e/libvirt-root.sh $1)" "$(tail -n 1 "$log")"
    rm -f "$log"
    LV_DEBIAN_ROOT=
    return 1
}

