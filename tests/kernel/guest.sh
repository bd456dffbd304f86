#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the nested VM as PID 1's child (under tini), on the host's /
# (read-only 9p, tmpfs overlay): Debian's kernel with VFIO and the real `mtty`
# sample driver, the host's libvirtd and QEMU, and the freshly built vgpu-hook
# installed into /etc/libvirt/hooks/qemu.d/. Every check is driven through
# virsh only and reported on the serial console as
#   VGPU-KT: ok - NAME            VGPU-KT: not ok - NAME: why
# plus VGPU-KT-SEQ: lines (tests/kernel/mtty-sequence.sh against /sys) and
# VGPU-KT-LOG: lines (diagnostics), ending with "VGPU-KT: END pass|fail" and a
# power-off. The host side (test-kernel.sh) turns them into its own results.
#   guest.sh RUNDIR      (RUNDIR/env names TOP, B, CACHE, KABI)
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
RUN=${1:?}
# shellcheck disable=SC1091
. "$RUN/env"

FAILS=0
say()  { printf 'VGPU-KT: %s\n' "$*"; }
ok()   { say "ok - $1"; }
nok()  { FAILS=$((FAILS + 1)); say "not ok - $1: $(printf '%s' "${2:-}" | tr '\n' ' ' | cut -c1-600)"; }
diag() { sed 's/^/VGPU-KT-LOG: /'; }
# Time without a process (bash 5's EPOCHREALTIME): under TCG each exec costs.
now()  { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
t_start=$(now)
ms()   { echo $(( $(now) - t_start )); }

poweroff() {
    sync
    echo o > /proc/sysrq-trigger
    sleep 30
}
finish() {
    trap - EXIT
    say "END $([ "$FAILS" -eq 0 ] && echo pass || echo fail) ($FAILS failed, $(ms) ms in the guest)"
    poweroff
}
trap 'nok "guest script" "exited early at line $LINENO"; finish' EXIT

# ---------------------------------------------------------------- the system
# (/proc, /sys, /run, /dev/pts, /dev/shm, cgroup2: mounted by the initramfs)
bb=$CACHE/busybox   # static: far cheaper to exec under TCG than the host's tools
# The host's libvirt state and configuration stay out: a clean daemon.
for d in /etc/libvirt /var/lib/libvirt /var/log; do
    $bb mkdir -p "$d" && $bb mount -t tmpfs -o mode=0755 tmpfs "$d"
done
$bb mkdir -p /var/log/libvirt/qemu /etc/libvirt/hooks/qemu.d /run/vgpu-kt /var/cache/libvirt \
    "/lib/modules/$KABI"
# libvirt's QEMU capabilities cache persists on the host (a writable 9p share
# in the set-up cache): probing QEMU under TCG takes tens of seconds, and
# libvirt itself notices a stale entry (QEMU, libvirt or kernel changed).
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 kcache /var/cache/libvirt ||
    $bb mount -t tmpfs -o mode=0755 tmpfs /var/cache/libvirt
$bb mount -o bind "$CACHE/modules/$KABI" "/lib/modules/$KABI"
$bb hostname vgpu-kt
ulimit -l unlimited
# The project's binaries may be ASan builds: reports to files, read at the end.
# (libvirt clears the hook's environment: a hook's own reports land on its
# stderr, i.e. in virsh's error or libvirtd's log, also read at the end.)
export ASAN_OPTIONS="log_path=/run/vgpu-kt/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=/run/vgpu-kt/ubsan:print_stacktrace=1:halt_on_error=1"
mark() { say "T $(ms) ms: $*"; }
say "system up at $(ms) ms (uptime $(cut -d' ' -f1 /proc/uptime) s)"
$bb syslogd -O /var/log/messages 2>/dev/null

if modprobe -a vfio vfio_iommu_type1 mdev && modprobe mtty &&
   [ -e /dev/vfio/vfio ] && [ -d /sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2 ]; then
    ok "guest: vfio, mdev and mtty loaded ($(uname -r))"
else
    nok "guest: vfio, mdev and mtty loaded" "$(lsmod 2>&1 | head -n 20; dmesg | tail -n 10)"
    finish
fi
T=/sys/class/mdev_bus/mtty/mdev_supported_types
D=/sys/bus/mdev/devices

# libvirtd starts in the background (its first QEMU probe takes seconds
# under TCG) while the sequence runs against the bare driver.
# The hook, installed the way `make install` does (a symlink in qemu.d/; the
# front dlopen()s vgpu-hook-core.so beside its real path), default config.
ln -s "$B/hooks/vgpu-hook" /etc/libvirt/hooks/qemu.d/vgpu-hook
cp "$TOP/examples/vgpu-hook.conf" /etc/libvirt/vgpu-hook.conf
virtlogd -d
if [ "${PROFILE:-0}" = 1 ]; then
    LIBVIRT_LOG_FILTERS="1:qemu.qemu_process 1:util.hook 1:qemu.qemu_monitor 3:*" \
    LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log 1:file:/var/log/libvirt/debug.log" \
        libvirtd -d
else
    LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d
fi

# ---------------------------------------------- the sequence the simulator mirrors
if timeout 60 bash "$TOP/tests/kernel/mtty-sequence.sh" /sys > /run/vgpu-kt/seq 2>&1; then
    ok "guest: mtty-sequence.sh ran against /sys"
else
    nok "guest: mtty-sequence.sh ran against /sys" "exit $?: $(tail -n 3 /run/vgpu-kt/seq)"
fi
sed 's/^/VGPU-KT-SEQ: /' /run/vgpu-kt/seq
mark "sequence done"

# ---------------------------------------------------------------- helpers
# Every virsh call under a timeout. One virsh process costs about a second
# under TCG, so related commands share one ("cmd1; cmd2": virsh runs all of
# them and exits with the last one's status).
V() {
    local t rc
    t=$(now)
    timeout "${VT:-60}" virsh -q -c qemu:///system "$@"; rc=$?
    echo "$(( $(now) - t )) ms: virsh $*" >> /run/vgpu-kt/vtimes
    return $rc
}
avail() { local a b; read -r a < $T/mtty-1/available_instances; read -r b < $T/mtty-2/available_instances
          echo "mtty-1=$a mtty-2=$b"; }
mdevs() { ls "$D" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
mtype() { local t; for t in mtty-1 mtty-2; do [ "$D/$1/mdev_type" -ef "$T/$t" ] && echo $t; done; }
expect() {  # expect NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}
# The nested VMs' firmware: 64 KiB whose reset vector is "cli; hlt". SeaBIOS
# would run its POST under TCG inside TCG for seconds of CPU per start, which
# the checks do not need: QEMU, VFIO and the VM's PCI bus (info pci) are the
# same, and a halted vCPU costs nothing.
{ head -c 65520 /dev/zero; printf '\xfa\xf4\xeb\xfd'; head -c 12 /dev/zero; } > /run/vgpu-kt/halt.rom

# dom NAME DOMUUID 'DEVICE ATTRS'... (attrs with uuid="..."; hostdevs follow)
dom() {
    local name=$1 duuid=$2 d uuid
    shift 2
    echo "<domain type='qemu'>"
    echo "  <name>$name</name>"
    echo "  <uuid>$duuid</uuid>"
    echo "  <metadata>"
    echo "    <vgpu:vgpu xmlns:vgpu=\"urn:vgpu-hook:1\">"
    for d in "$@"; do echo "      <vgpu:device $d/>"; done
    echo "    </vgpu:vgpu>"
    echo "  </metadata>"
    echo "  <memory unit='MiB'>128</memory>"
    echo "  <vcpu>1</vcpu>"
    echo "  <os><type arch='x86_64' machine='pc'>hvm</type>"
    echo "    <loader readonly='yes' type='rom'>/run/vgpu-kt/halt.rom</loader></os>"
    echo "  <devices>"
    echo "    <memballoon model='none'/>"
    for d in "$@"; do
        uuid=$(sed -n 's/.*uuid="\([^"]*\)".*/\1/p' <<< "$d")
        echo "    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'>"
        echo "      <source><address uuid='$uuid'/></source>"
        echo "    </hostdev>"
    done
    echo "  </devices>"
    echo "</domain>"
}
# launch NAME DOMUUID DEVICES...: write, define and start in one virsh;
# sets START_RC (start's status) and START_ERR.
launch() {
    dom "$@" > "/run/vgpu-kt/$1.xml"
    V "define /run/vgpu-kt/$1.xml; start $1" > /dev/null 2> /run/vgpu-kt/start.err
    START_RC=$?
    START_ERR=$(cat /run/vgpu-kt/start.err)
}
# restart NAME: start a defined domain; START_RC, START_ERR
restart() {
    V start "$1" > /dev/null 2> /run/vgpu-kt/start.err
    START_RC=$?
    START_ERR=$(cat /run/vgpu-kt/start.err)
}
# probe NAME: "STATE N", N = mtty functions on the VM's PCI bus as QEMU's HMP
# shows them ("Serial port: PCI device 4348:3253"), in one virsh.
probe() {
    local out st n
    out=$(V "domstate $1; qemu-monitor-command $1 --hmp 'info pci'" 2>/dev/null)
    st=$(head -n 1 <<< "$out")
    n=$(grep -c 'PCI device 4348:3253' <<< "$out")
    echo "$st $n"
}
# stop NAME: destroy, then "STATE" after it, in one virsh
stop() { V "destroy $1; domstate $1" 2>/dev/null | grep -v '^Domain .* destroyed' | grep . | tail -n 1; }
# wait_gone UUID: libvirt runs the release hook before destroy returns; allow a
# little slack anyway for the kernel's blocking remove.
wait_gone() {
    local i
    for i in $(seq 1 50); do [ -e "$D/$1" ] || return 0; sleep 0.1; done
    return 1
}

# vgpuctl_agrees LABEL [UUID DOMAIN STATE]: `vgpuctl status --json` lists
# exactly the mdevs sysfs has (uuid, type, parent), and, when given, says that
# UUID belongs to DOMAIN (created by vgpu-hook) in STATE; all others "other".
VGPUCTL=$B/cli/vgpuctl
vgpuctl_agrees() {
    local label="vgpuctl status agrees with sysfs ($1)" out rc want got d p
    if [ ! -x "$VGPUCTL" ]; then say "SKIP $label: $VGPUCTL not built"; return; fi
    if ! command -v jq > /dev/null; then say "SKIP $label: no jq"; return; fi
    out=$(timeout 60 "$VGPUCTL" status --json 2> /run/vgpu-kt/vgpuctl.err); rc=$?
    if [ $rc -ne 0 ]; then nok "$label" "exit $rc: $(cat /run/vgpu-kt/vgpuctl.err)"; return; fi
    want=$(for d in "$D"/*; do
               [ -L "$d" ] || continue
               p=$(readlink -f "$d/.."); echo "${d##*/} $(mtype "${d##*/}") ${p##*/}"
           done | sort)
    got=$(jq -r '.gpus[].mdevs[] | "\(.uuid) \(.type) \(.parent)"' <<< "$out" 2>&1 | sort)
    if [ "$want" != "$got" ]; then
        nok "$label" "sysfs: [$(echo $want)] vgpuctl: [$(echo $got)]"; return
    fi
    want=$(for d in "$D"/*; do
               [ -L "$d" ] || continue
               if [ "${d##*/}" = "${2:-}" ]; then echo "${d##*/} $3 vgpu-hook $4"
               else echo "${d##*/} null other null"; fi
           done | sort)
    got=$(jq -r '.gpus[].mdevs[] | "\(.uuid) \(.domain) \(.created_by) \(.state)"' <<< "$out" | sort)
    if [ "$want" = "$got" ]; then ok "$label"
    else nok "$label" "expected [$(echo $want)] got [$(echo $got)]"; fi
}

U1=4d7a0001-0000-4000-8000-000000000001
U2=4d7a0001-0000-4000-8000-000000000002
U3=4d7a0001-0000-4000-8000-000000000003
U4=4d7a0001-0000-4000-8000-000000000004
U5=4d7a0001-0000-4000-8000-000000000005
U6=4d7a0001-0000-4000-8000-000000000006
DU1=dd7a0001-0000-4000-8000-000000000001
DU2=dd7a0001-0000-4000-8000-000000000002
DU3=dd7a0001-0000-4000-8000-000000000003
DU4=dd7a0001-0000-4000-8000-000000000004
DU5=dd7a0001-0000-4000-8000-000000000005
DU6=dd7a0001-0000-4000-8000-000000000006

# ---------------------------------------------------------------- the daemon
up=0
for i in $(seq 1 600); do
    if timeout 10 virsh -c qemu:///system version > /dev/null 2>&1; then up=1; break; fi
    sleep 0.1
done
if [ $up = 1 ]; then ok "guest: libvirtd answers ($(ms) ms)"
else nok "guest: libvirtd answers" "$(tail -n 5 /var/log/libvirt/libvirtd.log)"; finish; fi

if [ "${PROFILE:-0}" = 1 ]; then
    TIMEFORMAT='%R s real %U s user'
    { echo "virsh version:"; time virsh -c qemu:///system version >/dev/null
      echo "qemu -version:"; time qemu-system-x86_64 -version > /dev/null
      echo "qemu -version again:"; time qemu-system-x86_64 -version > /dev/null
      echo "hook, no metadata:"; time "$B/hooks/vgpu-hook" x prepare begin - <<< "<domain><name>x</name></domain>"
      echo "hook, release with metadata:"; time "$B/hooks/vgpu-hook" x release end - < <(dom kt-x dd000000-0000-4000-8000-000000000009 "uuid=\"$U5\" type=\"mtty-2\"")
      echo "hook, release again:"; time "$B/hooks/vgpu-hook" x release end - < <(dom kt-x dd000000-0000-4000-8000-000000000009 "uuid=\"$U5\" type=\"mtty-2\"")
      echo "bash -c true:"; time bash -c true
      echo "busybox true:"; time $bb true
    } 2>&1 | diag
fi
expect "guest: pool full at the start" "mtty-1=24 mtty-2=12" "$(avail)"

# ---------------------------------------------- 1. start / destroy / start, by type id
mark "1. start / destroy / start, by type id"
launch kt-type "$DU1" "uuid=\"$U1\" type=\"mtty-2\""
if [ $START_RC -eq 0 ]; then ok "start by type id (mtty-2)"; else nok "start by type id (mtty-2)" "$START_ERR"; fi
expect "by type id: hook created the mdev" "mtty-2" "$(mtype $U1)"
expect "by type id: available_instances dropped" "mtty-1=22 mtty-2=11" "$(avail)"
expect "by type id: running, device on the VM's PCI bus (info pci)" "running 1" "$(probe kt-type)"
g=$(readlink "$D/$U1/iommu_group")
expect "by type id: the mdev's IOMMU group has its /dev/vfio node" "yes" \
    "$([ -n "$g" ] && [ -c "/dev/vfio/${g##*/}" ] && echo yes || echo no)"

# vgpuctl status (in the guest, through the libvirt API) agrees with sysfs
vgpuctl_agrees "kt-type running" "$U1" kt-type running

expect "destroy: domain shut off" "shut off" "$(stop kt-type)"
wait_gone $U1 && ok "destroy: mdev removed" || nok "destroy: mdev removed" "$D/$U1 still there"
expect "destroy: available_instances restored" "mtty-1=24 mtty-2=12" "$(avail)"

restart kt-type
if [ $START_RC -eq 0 ]; then ok "start again"; else nok "start again" "$START_ERR"; fi
expect "start again: the mdev is back" "mtty-2" "$(mtype $U1)"
expect "start again: running, device on the VM's PCI bus" "running 1" "$(probe kt-type)"

# ---------------------------------------------- 2. a clone of a running domain
mark "2. a clone of a running domain"
# A second domain naming the same mdev UUID (a cloned definition): the
# hook refuses it, naming kt-type, before libvirt would (in use by
# kt-type). The release that follows the failed start must leave kt-type's
# device alone.
launch kt-dup "$DU5" "uuid=\"$U1\" type=\"mtty-2\""
echo "kt-dup start: $START_ERR" | diag
if [ $START_RC -ne 0 ]; then ok "second domain on the same UUID refused"
else nok "second domain on the same UUID refused" "it started"; V destroy kt-dup > /dev/null 2>&1; fi
if grep -q "is held by domain 'kt-type'" <<< "$START_ERR"; then ok "refused by the hook as a clone, naming kt-type"
else nok "refused by the hook as a clone, naming kt-type" "$START_ERR"; fi
expect "after the refusal: the first domain's mdev is untouched" "mtty-2" "$(mtype $U1)"
expect "after the refusal: first VM running, device on its PCI bus" "running 1" "$(probe kt-type)"
expect "after the refusal: counts unchanged" "mtty-1=22 mtty-2=11" "$(avail)"
expect "destroy again: domain shut off" "shut off" "$(stop kt-type)"
wait_gone $U1 && ok "destroy again: mdev removed" || nok "destroy again: mdev removed" "$D/$U1 still there"

# ---------------------------------------------- 3. by profile name
mark "3. by profile name"
launch kt-profile "$DU2" "uuid=\"$U2\" profile=\"Single port serial\""
if [ $START_RC -eq 0 ]; then ok "start by profile name (\"Single port serial\")"
else nok "start by profile name (\"Single port serial\")" "$START_ERR"; fi
expect "by profile: an mtty-1 mdev" "mtty-1" "$(mtype $U2)"
expect "by profile: available_instances" "mtty-1=23 mtty-2=11" "$(avail)"
expect "by profile: running, device on the VM's PCI bus" "running 1" "$(probe kt-profile)"
expect "by profile: destroy" "shut off" "$(stop kt-profile)"
wait_gone $U2 && ok "by profile: destroy removes it" || nok "by profile: destroy removes it" "still there"

# ---------------------------------------------- 4. two vGPUs in one domain
mark "4. two vGPUs in one domain"
launch kt-two "$DU3" "uuid=\"$U3\" type=\"mtty-2\"" "uuid=\"$U4\" profile=\"single port serial\""
if [ $START_RC -eq 0 ]; then ok "two vGPUs: start"; else nok "two vGPUs: start" "$START_ERR"; fi
expect "two vGPUs: both mdevs, right types" "mtty-2 mtty-1" "$(mtype $U3) $(mtype $U4)"
expect "two vGPUs: available_instances" "mtty-1=21 mtty-2=10" "$(avail)"
expect "two vGPUs: running, both on the VM's PCI bus" "running 2" "$(probe kt-two)"
expect "two vGPUs: destroy" "shut off" "$(stop kt-two)"
wait_gone $U3 && wait_gone $U4 && ok "two vGPUs: destroy removes both" ||
    nok "two vGPUs: destroy removes both" "left: $(mdevs)"
expect "two vGPUs: available_instances restored" "mtty-1=24 mtty-2=12" "$(avail)"

# ---------------------------------------------- 5. a start that exhausts the pool
mark "5. a start that exhausts the pool"
# Someone else's mdevs hold 22 of the 24 ports (11 x mtty-2): the domain asks
# for two mtty-2, the first fits, the second cannot. The start fails with our
# message, our first device is rolled back, theirs are untouched.
others=()
for i in $(seq 1 11); do
    printf -v u '0e7a0000-0000-4000-8000-%012d' "$i"
    echo "$u" > $T/mtty-2/create && others+=("$u")
done
expect "exhaust: 11 foreign mdevs made by hand" "mtty-1=2 mtty-2=1" "$(avail)"
launch kt-full "$DU4" "uuid=\"$U5\" type=\"mtty-2\"" "uuid=\"$U2\" type=\"mtty-2\""
echo "kt-full start: $START_ERR" | diag
if [ $START_RC -ne 0 ]; then ok "exhaust: start fails"; else nok "exhaust: start fails" "it started"; V destroy kt-full > /dev/null 2>&1; fi
if grep -q "vgpu-hook: domain 'kt-full': vGPU device" <<< "$START_ERR"; then
    ok "exhaust: the error is the hook's sentence"
else
    nok "exhaust: the error is the hook's sentence" "$START_ERR"
fi
expect "exhaust: nothing of ours left behind" "no no" \
    "$([ -e $D/$U5 ] && echo yes || echo no) $([ -e $D/$U2 ] && echo yes || echo no)"
n=0; for u in "${others[@]}"; do [ -e "$D/$u" ] && n=$((n + 1)); done
expect "exhaust: the foreign mdevs untouched" "11 mtty-1=2 mtty-2=1" "$n $(avail)"
vgpuctl_agrees "11 foreign mdevs"
for u in "${others[@]}"; do echo 1 > "$D/$u/remove"; done

# The same with the shared port pool spent by the other type: 23 foreign
# mtty-1 leave one port, so no mtty-2 fits although none exists.
others=()
for i in $(seq 1 23); do
    printf -v u '0e7a0000-0000-4000-8000-%012d' "$i"
    echo "$u" > $T/mtty-1/create && others+=("$u")
done
expect "exhaust by the other type: 23 foreign mtty-1" "mtty-1=1 mtty-2=0" "$(avail)"
launch kt-mixed "$DU6" "uuid=\"$U6\" type=\"mtty-2\""
echo "kt-mixed start: $START_ERR" | diag
if [ $START_RC -ne 0 ] && grep -q "vgpu-hook: domain 'kt-mixed': vGPU device" <<< "$START_ERR"; then
    ok "exhaust by the other type: start fails with the hook's sentence"
else
    nok "exhaust by the other type: start fails with the hook's sentence" "rc=$START_RC: $START_ERR"
fi
n=0; for u in "${others[@]}"; do [ -e "$D/$u" ] && n=$((n + 1)); done
expect "exhaust by the other type: nothing of ours, foreign untouched" "no 23 mtty-1=1 mtty-2=0" \
    "$([ -e $D/$U6 ] && echo yes || echo no) $n $(avail)"
for u in "${others[@]}"; do echo 1 > "$D/$u/remove"; done

# ---------------------------------------------- the end state
mark "checks done"
expect "end: no mdev left" "" "$(mdevs)"
expect "end: pool full again" "mtty-1=24 mtty-2=12" "$(avail)"
expect "end: all test domains shut off" "" \
    "$(V list --name 2>/dev/null | grep . | tr '\n' ' ')"
diag < /run/vgpu-kt/vtimes

# Sanitizer reports: from processes we ran (files), and from the hook under
# libvirtd (its stderr lands in libvirtd's log).
san=$(cat /run/vgpu-kt/asan.* /run/vgpu-kt/ubsan.* 2>/dev/null | head -n 40)
hsan=$(grep -E 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
       /var/log/libvirt/libvirtd.log 2>/dev/null | head -n 20)
if [ -z "$san$hsan" ]; then ok "guest: no sanitizer report"
else nok "guest: no sanitizer report" "see VGPU-KT-LOG lines"; printf '%s\n%s\n' "$san" "$hsan" | diag; fi

if [ "${PROFILE:-0}" = 1 ]; then
    echo "--- syslog"; cat /var/log/messages
    cp /var/log/libvirt/debug.log /var/log/messages /var/cache/libvirt/ 2>/dev/null
fi 2>&1 | diag
if [ "$FAILS" -gt 0 ]; then
    echo "--- libvirtd.log (tail)"; tail -n 30 /var/log/libvirt/libvirtd.log
    echo "--- syslog (vgpu-hook)"; grep -a vgpu-hook /var/log/messages 2>/dev/null | tail -n 40
    echo "--- dmesg (tail)"; dmesg | tail -n 20
fi 2>&1 | diag
finish
