#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Set up (once, cached) what the real-kernel tier boots: Debian's own kernel
# (vmlinux extracted from the image's vmlinuz), its modules with the kernel's
# `mtty` sample built out of tree against the matching headers, and a static
# busybox for the initramfs. Debian packages only, fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into the cache: nothing
# goes into the host's /boot or /lib/modules.
#
#   tests/kernel/setup.sh            prints the ready cache directory on stdout
#
# The cache lives in $VGPU_KERNEL_CACHE (default /var/cache/vgpu-hook-kernel,
# outside the tree: it survives `make clean` and fresh clones) in one
# directory per kernel ABI and package version, e.g. 6.1.0-56-amd64_6.1.192-2;
# a directory counts only once its `.complete` stamp exists, so an interrupted
# set-up is redone. When the apt lists name a newer kernel, a new directory is
# made and the older ones are removed. Without network the newest complete
# directory is used.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

BASE=${VGPU_KERNEL_CACHE:-/var/cache/vgpu-hook-kernel}
T0=$(date +%s%N)
log() { echo "setup: [$(( ($(date +%s%N) - T0) / 1000000 )) ms] $*" >&2; }
die() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, depmod into the cache)"
mkdir -p "$BASE"
exec 9> "$BASE/.lock"
flock -w 600 9 || die "cache lock $BASE/.lock busy for 10 min"

newest_complete() {
    local d
    d=$(ls -1dt "$BASE"/*/.complete 2>/dev/null | head -n 1) || true
    [ -n "$d" ] && dirname "$d"
}

# Host tools the set-up and the guest need (the guest runs the host's
# userspace read-only): kmod for depmod/modprobe, cpio for the initramfs,
# gcc-12 and make for the out-of-tree module (the headers ask for gcc-12),
# libelf1 for objtool, QEMU, libvirt and tini for the guest.
need=(kmod cpio xz-utils gcc-12 make libelf1 qemu-system-x86 libvirt-daemon-system
      libvirt-clients tini)
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            die "apt-get install ${missing[*]} failed"
    }
fi

# The exact kernel: the ABI the metapackage points at, and its version.
kernel_abi() {
    apt-cache depends linux-headers-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-headers-\([0-9].*-amd64\)$/\1/p' | head -n 1
}
kabi=$(kernel_abi) || true
if [ -z "$kabi" ]; then
    apt-get update -qq > /dev/null 2>&1 || true
    kabi=$(kernel_abi) || true
fi
kver=
[ -n "$kabi" ] && kver=$(apt-cache show --no-all-versions "linux-headers-$kabi" 2>/dev/null |
                         sed -n 's/^Version: //p' | head -n 1)
if [ -z "$kabi" ] || [ -z "$kver" ]; then
    d=$(newest_complete) || true
    [ -n "$d" ] || die "apt-cache names no linux-headers-amd64 (run apt-get update) and no cache exists"
    log "apt lists name no kernel; using cached $(basename "$d")"
    echo "$d"; exit 0
fi

C=$BASE/${kabi}_${kver}
if [ -e "$C/.complete" ]; then echo "$C"; exit 0; fi

log "preparing $kabi ($kver) in $C"
rm -rf "$C" && mkdir -p "$C/debs" "$C/root"
cd "$C/debs"
# Image, headers and kbuild of one version (the source package follows too).
kmaj=$(echo "$kver" | cut -d. -f1,2)
if ! apt-get download -q "linux-image-$kabi=$kver" "linux-headers-$kabi=$kver" \
        "linux-headers-${kabi%-amd64}-common=$kver" "linux-kbuild-$kmaj=$kver" >/dev/null 2>&1; then
    d=$(newest_complete) || true
    cd / && rm -rf "$C"
    [ -n "$d" ] || die "apt-get download of linux-image/headers/kbuild $kver failed"
    log "download failed; using cached $(basename "$d")"
    echo "$d"; exit 0
fi
log "downloaded"
apt-get download -q busybox-static >/dev/null 2>&1 || die "apt-get download busybox-static failed"

# mtty.c from the same version's source tarball, streamed out (about 10 s of
# xz) in the background while the image unpacks.
srcpkg="linux-source-$kmaj"
(
    apt-get download -q "$srcpkg=$kver" >/dev/null 2>&1 || exit 1
    dpkg-deb --fsys-tarfile "$C"/debs/"$srcpkg"_*.deb 2>/dev/null |
        tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
        tar -xJO --occurrence=1 --wildcards '*/samples/vfio-mdev/mtty.c' > "$C/mtty.c.part" \
        2>/dev/null || true
    [ -s "$C/mtty.c.part" ] && mv "$C/mtty.c.part" "$C/mtty.c"
    rm -f "$C"/debs/"$srcpkg"_*.deb
) &
srcpid=$!

# The image without the module trees a VM with no devices never loads (half
# its size: less to write).
dpkg-deb --fsys-tarfile ./linux-image-*.deb |
    tar -x -C "$C/root" --exclude='./usr/share/*' --exclude='./lib/modules/*/kernel/sound' \
        --exclude='./lib/modules/*/kernel/drivers/'{gpu,media,infiniband,iio,staging,net/wireless,net/ethernet}
for d in ./linux-headers-*.deb ./linux-kbuild-*.deb ./busybox-static_*.deb; do
    dpkg-deb -x "$d" "$C/root"
done
rm -f ./linux-image-*.deb ./linux-headers-*.deb ./linux-kbuild-*.deb ./busybox-static_*.deb

log "unpacked"
[ -d "$C/root/lib/modules/$kabi" ] || die "no lib/modules/$kabi in the image package"
mv "$C/root/lib/modules" "$C/modules"
cp "$C/root/bin/busybox" "$C/busybox"

# vmlinux: the XZ stream inside vmlinuz (this machine's KVM cannot run the
# compressed kernel's decompressor; TCG boots vmlinux directly).
vmz=$C/root/boot/vmlinuz-$kabi
off=$(grep -obUaP '\xfd7zXZ\x00' "$vmz" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || die "no XZ stream in $vmz"
tail -c +$((off + 1)) "$vmz" | xz -dc --single-stream > "$C/vmlinux" 2>/dev/null || true
head -c 4 "$C/vmlinux" | grep -q 'ELF' || die "vmlinux extraction from $vmz failed"
cp "$C/root/boot/config-$kabi" "$C/config"

log "vmlinux"
wait "$srcpid" || true
log "mtty.c"
[ -s "$C/mtty.c" ] || die "could not extract samples/vfio-mdev/mtty.c from $srcpkg=$kver"

# Build mtty.ko out of tree. Debian's per-flavour header Makefile includes the
# common one by absolute path: point it into the cache.
H=$C/root/usr/src/linux-headers-$kabi
sed -i "s|^include /usr/src/|include $C/root/usr/src/|" "$H/Makefile"
mkdir -p "$C/mtty-build"
cp "$C/mtty.c" "$C/mtty-build/mtty.c"
echo 'obj-m := mtty.o' > "$C/mtty-build/Kbuild"
make -s -C "$H" M="$C/mtty-build" modules > "$C/mtty-build.log" 2>&1 ||
    { tail -n 20 "$C/mtty-build.log" >&2; die "building mtty.ko failed (log $C/mtty-build.log)"; }
log "built mtty.ko"
mkdir -p "$C/modules/$kabi/extra"
cp "$C/mtty-build/mtty.ko" "$C/modules/$kabi/extra/mtty.ko"
# depmod -b wants BASE/lib/modules/VER
mkdir -p "$C/depmod/lib"
ln -sfn "$C/modules" "$C/depmod/lib/modules"
depmod -b "$C/depmod" "$kabi" || die "depmod failed"

log "depmod"
rm -rf "$C/root" "$C/debs"
printf 'kabi=%s\nkver=%s\n' "$kabi" "$kver" > "$C/info"
touch "$C/.complete"
# Older kernels' caches are stale now.
for d in "$BASE"/*/; do
    [ "${d%/}" = "$C" ] || rm -rf "${d%/}"
done
log "ready"
echo "$C"
