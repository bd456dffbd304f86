# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the shell test tiers. Each check prints "ok - NAME" or
# "not ok - NAME: why"; what cannot run here prints "skip - NAME: why"
# (never an "ok"); tests/run-all.sh counts those lines.
# Usage: . tests/lib.sh ; t_ok NAME CMD... ; t_fail/t_pass/t_skip ; t_done

T_PASS=0
T_FAIL=0
T_SKIP=0
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
B=${B:-$TOP}    # build dir with the binaries (build/san under make check)

t_pass() { T_PASS=$((T_PASS + 1)); echo "ok - $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $1${2:+: $2}"; }
# t_skip NAME WHY: NAME did not run here, and WHY (make check fails on it
# unless VGPU_ALLOW_SKIP=1).
t_skip() { T_SKIP=$((T_SKIP + 1)); echo "skip - $1: $2"; }

# t_ok NAME CMD...: passes when CMD exits 0.
t_ok() {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then t_pass "$name"; else t_fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"; fi
}
# t_no NAME CMD...: passes when CMD exits non-zero.
t_no() {
    local name=$1; shift
    if "$@" >/dev/null 2>&1; then t_fail "$name" "succeeded, expected failure"; else t_pass "$name"; fi
}
# t_eq NAME EXPECTED ACTUAL
t_eq() {
    if [ "$2" == "$3" ]; then t_pass "$1"; else t_fail "$1" "expected '$2', got '$3'"; fi
}
# t_match NAME REGEX TEXT (one-line REGEX: grep -E would take each line of
# a longer one as an alternative, and pass on any)
t_match() {
    case $2 in *$'\n'*) t_fail "$1" "t_match: the pattern has more than one line"; return ;; esac
    if printf '%s' "$3" | grep -Eq -- "$2"; then t_pass "$1"; else t_fail "$1" "'$(printf '%s' "$3" | head -c 300)' does not match /$2/"; fi
}

# hostdev_vf UUID < DOMAIN-XML: "VF MANAGED" of the PCI hostdev aliased
# ua-vgpu-UUID (nothing when there is none)
hostdev_vf() {
    python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
for h in root.iter("hostdev"):
    a = h.find("alias")
    if h.get("type") == "pci" and a is not None and a.get("name") == "ua-vgpu-" + sys.argv[1]:
        x = h.find("source/address")
        print("%04x:%02x:%02x.%x %s" % (tuple(int(x.get(k), 16) for k in ("domain", "bus", "slot", "function")) + (h.get("managed"),)))' "$1"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# proc_start PID: when PID started (/proc/PID/stat field 22); nothing when
# there is no such process. pid_max is 32768 on the CI machines and the team
# forks hundreds of processes a second, so a dead process's PID is reused
# within a minute: "kill -0 PID" may answer for a stranger, and a late
# "kill PID" may hit one. (PID, start) names one process for good.
proc_start() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    set -- $s
    echo "${20}"
}
# same_proc PID START: PID is still the process that started at START
same_proc() { [ -n "$2" ] && [ "$(proc_start "$1")" = "$2" ]; }
# proc_stopped PID: PID is stopped (SIGSTOP, a test pause point: state T)
proc_stopped() { [ "$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)" = T ]; }

# Mount the simulator: sim_start SCENARIO -> sets SIM_ROOT, SIM_PID.
sim_start() {
    SIM_ROOT=$(mktemp -d /tmp/vgpu-sim.XXXXXX)
    local scen=$1
    [ -f "$scen" ] || scen=$TOP/tests/sim/scenarios/$1.ini
    "$B/tests/sim/vgpu-sim" "$scen" "$SIM_ROOT" &
    SIM_PID=$!
    SIM_START=$(proc_start "$SIM_PID")
    local i
    # 30 s at most (it returns on the event): an ASan build starting on a
    # loaded machine; and stopping one that has not answered the kernel's
    # INIT yet is where libfuse 3.14.0 can leak (libfuse PR #781).
    for i in $(seq 1 600); do
        [ -e "$SIM_ROOT/vgpu-sim/control" ] && return 0
        same_proc "$SIM_PID" "$SIM_START" || { echo "vgpu-sim exited early" >&2; return 1; }
        sleep 0.05
    done
    echo "vgpu-sim did not mount $SIM_ROOT in 30 s" >&2
    return 1
}
# sim_stop waits for the exit itself: under make check vgpu-sim is an ASan
# build whose LeakSanitizer check runs at exit, and a SIGKILL landing in it
# leaves a report ("Unable to get registers from thread N.") that fails the
# run. On a loaded machine that exit took more than the 5 s this used to
# allow; only a simulator that ignored SIGTERM for 60 s is killed, and that
# is a failed check, not a silent cleanup.
sim_stop() {
    [ -n "${SIM_PID:-}" ] || return 0
    # (a caller that started vgpu-sim itself may not have set SIM_START)
    [ -n "${SIM_START:-}" ] || SIM_START=$(proc_start "$SIM_PID")
    local i
    # Directories closed just before are released by the kernel on its own
    # time; a simulator that ends first leaves libfuse's handles for them
    # to LeakSanitizer. (A process still holding one is waited for 30 s.)
    for i in $(seq 1 600); do
        [ "$(awk '$1 == "open_dirs" { print $2 }' "$SIM_ROOT/vgpu-sim/stats" 2>/dev/null)" = 0 ] && break
        same_proc "$SIM_PID" "${SIM_START:-}" || break
        sleep 0.05
    done
    same_proc "$SIM_PID" "${SIM_START:-}" && kill -TERM "$SIM_PID" 2>/dev/null
    for i in $(seq 1 1200); do same_proc "$SIM_PID" "${SIM_START:-}" || break; sleep 0.05; done
    if same_proc "$SIM_PID" "${SIM_START:-}"; then
        t_fail "vgpu-sim stops on SIGTERM" "pid $SIM_PID still there after 60 s; killed"
        kill -KILL "$SIM_PID" 2>/dev/null
    fi
    wait "$SIM_PID" 2>/dev/null
    # Unconditionally: a simulator that died without unmounting leaves an
    # endpoint on which mountpoint(1) fails ("not connected"), not a mount.
    umount -l "$SIM_ROOT" 2>/dev/null
    rmdir "$SIM_ROOT" 2>/dev/null
    SIM_PID= SIM_START=
}

# One private mount namespace with the mounted simulator laid over /sys
# (tests/sim/sim-namespace.sh), held open by a sleeping process, so real
# tools that read only /sys (mdevctl) see it: sim_ns_start after
# sim_start; in_sim_ns CMD... runs CMD inside; sim_ns_stop.
SIM_NS_PID=
sim_ns_start() {
    SIM_NS_LOG=$(mktemp /tmp/vgpu-simns.XXXXXX)
    unshare -m --propagation private bash -c \
        '. "$1/tests/sim/sim-namespace.sh" "$2" || exit 97; echo ready; exec sleep infinity' \
        _ "$TOP" "$SIM_ROOT" > "$SIM_NS_LOG" 2>&1 &
    SIM_NS_PID=$!
    local i
    for i in $(seq 1 300); do
        grep -q ready "$SIM_NS_LOG" 2>/dev/null && return 0
        kill -0 "$SIM_NS_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$SIM_NS_LOG" >&2
    return 1
}
sim_ns_stop() {
    [ -n "$SIM_NS_PID" ] || return 0
    kill "$SIM_NS_PID" 2>/dev/null
    wait "$SIM_NS_PID" 2>/dev/null
    rm -f "$SIM_NS_LOG"
    SIM_NS_PID=
}
in_sim_ns() { nsenter -t "$SIM_NS_PID" -m -- "$@"; }

# --- the simulated host and test domains, as every tier sees them --------

u()  { printf '00000000-0000-4000-8000-%012x' "$1"; }   # device UUID n
du() { printf 'dddddddd-0000-4000-8000-%012x' "$1"; }   # domain UUID n

mdevs()       { ls "$SIM_ROOT/bus/mdev/devices" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
mdev_count()  { ls "$SIM_ROOT/bus/mdev/devices" 2>/dev/null | wc -l; }
mdev_parent() { basename "$(dirname "$(readlink -f "$SIM_ROOT/bus/mdev/devices/$1")")"; }
mdev_type()   { basename "$(readlink "$SIM_ROOT/bus/mdev/devices/$1/mdev_type")"; }
# gpu_of PARENT: the physical GPU (the PF of a VF, else the parent itself)
gpu_of() {
    if [ -e "$SIM_ROOT/class/mdev_bus/$1/physfn" ]; then
        basename "$(readlink "$SIM_ROOT/class/mdev_bus/$1/physfn")"
    else
        echo "$1"
    fi
}
mdev_gpu()    { gpu_of "$(mdev_parent "$1")"; }
# pcidev ADDR: the simulated PCI device's directory
pcidev()      { echo "$SIM_ROOT/bus/pci/devices/$1"; }
# virtfn PF N: the address of VF N of PF
virtfn()      { basename "$(readlink "$(pcidev "$1")/virtfn$2")"; }
# cur VF: the vGPU type id a vendor-specific VF holds (0: none)
cur()         { cat "$(pcidev "$1")/nvidia/current_vgpu_type"; }
# driver_of ADDR: the driver the device is bound to, or "none"
driver_of()   { [ -L "$(pcidev "$1")/driver" ] && basename "$(readlink "$(pcidev "$1")/driver")" || echo none; }

# vgpu_hostdevs 'DEVICE ATTRS'...: the <hostdev type='mdev'> a domain needs
# for each device that names a uuid.
# A device given as '... @vf=DDDD:BB:SS.F' gets a PCI hostdev for that VF
# with alias ua-vgpu-<uuid> instead (whole-VF requests); vgpu_attrs drops
# the @vf word from what goes into <vgpu:device>.
vgpu_attrs() { sed 's/ *@vf=[^ ]*//' <<< "$1"; }
vf_hostdev() {   # vf_hostdev UUID DDDD:BB:SS.F [MANAGED]
    local a=$2
    printf "    <hostdev mode='subsystem' type='pci' managed='%s'>\n      <source>\n        <address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/>\n      </source>\n      <alias name='ua-vgpu-%s'/>\n    </hostdev>\n" \
        "${3:-no}" "${a:0:4}" "${a:5:2}" "${a:8:2}" "${a:11:1}" "$1"
}
vgpu_hostdevs() {
    local d uuid vf
    for d in "$@"; do
        uuid=$(sed -n 's/.*uuid="\([^"]*\)".*/\1/p' <<< "$d")
        vf=$(sed -n 's/.*@vf=\([^ ]*\).*/\1/p' <<< "$d")
        if [ -n "$uuid" ] && [ -n "$vf" ]; then vf_hostdev "$uuid" "$vf"; continue; fi
        [ -n "$uuid" ] && printf "    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'>\n      <source>\n        <address uuid='%s'/>\n      </source>\n    </hostdev>\n" "$uuid"
    done
    return 0
}

# err_name MESSAGE: the errno name behind a shell's error message.
err_name() {
    case "$1" in
    *"Input/output error"*) echo EIO ;;
    *"No space left on device"*) echo ENOSPC ;;
    *"File exists"*) echo EEXIST ;;
    *"Invalid argument"*) echo EINVAL ;;
    *"Device or resource busy"*) echo EBUSY ;;
    *"Too many users"*) echo EUSERS ;;
    *"Operation not permitted"*) echo EPERM ;;
    *"Permission denied"*) echo EACCES ;;
    *"No such file or directory"*) echo ENOENT ;;
    *"No such device"*) echo ENODEV ;;
    *"Resource temporarily unavailable"*) echo EAGAIN ;;
    *) echo "unexpected: $1" ;;
    esac
}

# wr FILE DATA: one write() of exactly DATA; prints "ok" or the errno name.
wr() {
    local out
    if out=$( (printf '%s' "$2" > "$1") 2>&1 ); then echo ok; else err_name "$out"; fi
}

t_done() {
    echo "# $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
    [ "$T_FAIL" -eq 0 ]
}
