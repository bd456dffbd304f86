#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real-kernel tier: a real mdev parent (the kernel's `mtty` sample) and
# real VFIO in a nested VM running Debian's own kernel under TCG, with the
# host's libvirtd and QEMU (its / read-only over 9p) and the freshly built
# vgpu-hook installed into /etc/libvirt/hooks/qemu.d/. See tests/kernel/README.md.
#
#   B=build/san bash tests/kernel/test-kernel.sh
#
# Host-side checks: set-up, the guest's clean power-off and pass line; the
# guest's own checks (tests/kernel/guest.sh, reported on the serial console)
# are forwarded as "ok"/"not ok" lines; and tests/kernel/mtty-sequence.sh's
# output against the real driver is diffed with its output against the
# simulator's `mtty` scenario.
#
# Environment: VGPU_KERNEL_CACHE (set-up cache, default /var/cache/vgpu-hook-kernel),
# VGPU_KERNEL_TIMEOUT (the guest's whole run, default 420 s), VGPU_KERNEL_KEEP=1
# (keep the run directory), VGPU_KERNEL_SKIP=1 (skip, saying so).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
export LC_ALL=C
KT=$TOP/tests/kernel
GUEST_TIMEOUT=${VGPU_KERNEL_TIMEOUT:-420}
T0=$(now_ms)

skip() { t_skip "real-kernel tier" "$*"; exit 0; }
[ "${VGPU_KERNEL_SKIP:-0}" = 1 ] && skip "VGPU_KERNEL_SKIP=1"
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get download, 9p export of /)"
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (Debian's amd64 kernel)"
command -v apt-get > /dev/null && command -v dpkg-deb > /dev/null ||
    skip "needs a Debian host (apt-get, dpkg-deb)"

if ! command -v qemu-system-x86_64 > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-system-x86 > /dev/null 2>&1 ||
        skip "qemu-system-x86 is not installed and apt-get cannot install it"
fi

RUN=$(mktemp -d /tmp/vgpu-kernel.XXXXXX)
cleanup() {
    sim_stop 2> /dev/null
    if [ "${VGPU_KERNEL_KEEP:-0}" = 1 ]; then echo "# run directory kept: $RUN"
    else rm -rf "$RUN"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ set-up
t=$(now_ms)
if CACHE=$(timeout 600 bash "$KT/setup.sh" 2> "$RUN/setup.log"); then
    kabi='' kver=''
    # shellcheck disable=SC1091
    . "$CACHE/info"   # kabi=, kver=
    t_pass "set-up: Debian kernel $kabi ($kver), modules, mtty.ko ($(( $(now_ms) - t )) ms, cache $CACHE)"
else
    t_fail "set-up" "$(tail -n 5 "$RUN/setup.log" | tr '\n' ' ')"
    t_done; exit 1
fi
for f in hooks/vgpu-hook hooks/vgpu-hook-core.so; do
    [ -e "$B/$f" ] || { t_fail "binaries" "$B/$f not built"; t_done; exit 1; }
done

# ------------------------------------------------ the sequence on the simulator
if [ -x "$B/tests/sim/vgpu-sim" ] && sim_start mtty 2> "$RUN/sim.err"; then
    if timeout 60 bash "$KT/mtty-sequence.sh" "$SIM_ROOT" > "$RUN/seq-sim" 2>&1; then
        sim_ok=1
    else
        sim_ok=0; t_fail "mtty-sequence.sh on the simulator" "$(tail -n 3 "$RUN/seq-sim" | tr '\n' ' ')"
    fi
    sim_stop
else
    sim_ok=0
    t_fail "simulator mounts the mtty scenario" "$(cat "$RUN/sim.err" 2> /dev/null | tail -n 3 | tr '\n' ' ')"
fi

# ------------------------------------------------------------- the initramfs
# busybox, /init and the modules needed to reach the host's / (virtio-pci,
# 9p over virtio, overlay), in dependency order.
mkdir -p "$RUN/initramfs/bin" "$RUN/initramfs/modules"
cp "$CACHE/busybox" "$RUN/initramfs/bin/busybox"
cp "$KT/initramfs-init" "$RUN/initramfs/init"
chmod 0755 "$RUN/initramfs/init" "$RUN/initramfs/bin/busybox"
: > "$RUN/initramfs/modules.list"
for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$CACHE/depmod" -S "$kabi" --show-depends "$m" 2> /dev/null |
        sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$RUN/initramfs/modules/" && basename "$ko" >> "$RUN/initramfs/modules.list"
done
if (cd "$RUN/initramfs" && find . | cpio -o -H newc --quiet > "$RUN/initramfs.cpio") &&
   grep -q '^9p.ko$' "$RUN/initramfs/modules.list"; then
    :
else
    t_fail "initramfs" "modules: $(tr '\n' ' ' < "$RUN/initramfs/modules.list")"; t_done; exit 1
fi

printf 'TOP=%q\nB=%q\nCACHE=%q\nKABI=%q\nPROFILE=%q\n' "$TOP" "$B" "$CACHE" "$kabi" "${VGPU_KERNEL_PROFILE:-0}" > "$RUN/env"
# libvirt's QEMU capabilities cache, kept between runs (see guest.sh).
mkdir -p "$CACHE/guest-libvirt-cache"

# ------------------------------------------------------------------ the guest
# TCG: this machine kind's /dev/kvm cannot boot a stock kernel. Neither this
# QEMU (run as root) nor the guest's domains (type='qemu', guest.sh) use
# /dev/kvm, so the tier runs alike where it is absent, root-only or usable.
t=$(now_ms)
timeout -k 5 "$GUEST_TIMEOUT" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -m 2G -smp 2 -no-reboot -nodefaults \
    -display none -monitor none -serial "file:$RUN/serial.log" \
    -kernel "$CACHE/vmlinux" -initrd "$RUN/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off ${VGPU_KERNEL_APPEND:-} rdinit=/init vgpu_guest=$KT/guest.sh vgpu_run=$RUN" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$CACHE/guest-libvirt-cache,mount_tag=kcache,security_model=none" \
    > "$RUN/qemu.out" 2>&1
qrc=$?
guest_ms=$(( $(now_ms) - t ))
tr -d '\r' < "$RUN/serial.log" > "$RUN/serial.txt" 2> /dev/null

# Forward the guest's own checks.
while IFS= read -r line; do
    case $line in
        "ok - "*) t_pass "${line#ok - }" ;;
        "not ok - "*) T_FAIL=$((T_FAIL + 1)); echo "$line" ;;   # "NAME: why" as the guest said it
        "SKIP "*) line=${line#SKIP }; t_skip "guest: ${line%%: *}" "${line#*: }" ;;
    esac
done < <(sed -n 's/^.*VGPU-KT: //p' "$RUN/serial.txt")
grep '^VGPU-KT-LOG: ' "$RUN/serial.txt" | sed 's/^VGPU-KT-LOG: /# guest: /' | head -n 120
grep -E '^VGPU-KT: (system up|T [0-9]|END)' "$RUN/serial.txt" | sed 's/^VGPU-KT: /# guest: /'

end=$(grep -o 'VGPU-KT: END [a-z]*' "$RUN/serial.txt" | tail -n 1)
if [ "$end" = "VGPU-KT: END pass" ]; then t_pass "guest: pass line seen"
else t_fail "guest: pass line seen" "${end:-no END line}; serial tail: $(grep -v '^VGPU-KT-SEQ' "$RUN/serial.txt" | tail -n 8 | tr '\n' ' ' | cut -c1-800)"; fi
if [ $qrc -eq 0 ] && grep -q 'reboot: Power down' "$RUN/serial.txt"; then
    t_pass "guest: clean power-off ($guest_ms ms boot to power-off)"
elif [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
    t_fail "guest: clean power-off" "timed out after $GUEST_TIMEOUT s"
else
    t_fail "guest: clean power-off" "qemu exit $qrc: $(tail -n 3 "$RUN/qemu.out" | tr '\n' ' ')"
fi

# ------------------------------------------- simulator vs kernel, step by step
sed -n 's/^VGPU-KT-SEQ: //p' "$RUN/serial.txt" > "$RUN/seq-kernel"
if [ ! -s "$RUN/seq-kernel" ]; then
    t_fail "mtty sequence: simulator matches the kernel" "no sequence output from the guest"
elif [ $sim_ok = 1 ]; then
    if diff -u "$RUN/seq-kernel" "$RUN/seq-sim" > "$RUN/seq.diff"; then
        t_pass "mtty sequence: simulator matches the kernel ($(wc -l < "$RUN/seq-kernel") steps)"
    else
        t_fail "mtty sequence: simulator matches the kernel" "diff (- kernel, + simulator) below"
        sed 's/^/# /' "$RUN/seq.diff"
    fi
fi

echo "# real-kernel tier: $(( $(now_ms) - T0 )) ms in all"
t_done
