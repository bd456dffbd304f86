#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package, end to end: `make deb`, lintian on it and on the
# source package (dpkg-source -b of the same tree), then into a fresh
# Debian 12 root (tests/fresh/debian-root.sh, run with tests/fresh/in-root.sh)
# with dpkg -i: the installed hook, through its qemu.d link and with the
# shipped config, creates and removes a device on the simulator; vgpuctl
# --version; man -w vgpuctl; the maintainer scripts' daemon reload; purge,
# after which the root holds nothing the package added.
#
# The simulator runs on the host, mounted inside the root's tree at
# /mnt/vgpu-sim before in-root.sh makes its namespace (which inherits the
# mount); inside, it is bind-mounted over /sys, so the installed hook reads
# the default sysfs_root=/sys and its state goes to the default /run/vgpu-hook.
# Nothing of the simulator is copied into the root.
#
# A libvirtd is faked by an init script (status: running when
# /run/fake-libvirtd exists; reload: logged) and a policy-rc.d that allows
# it (/root/t/policy holds its exit code): the root runs no init system, and
# without a policy-rc.d invoke-rc.d then refuses everything; with one,
# postinst's invoke-rc.d goes to the script as on a sysvinit host.
#
# Needs root, dpkg-dev, debhelper, lintian, debootstrap, Debian's mirror
# (the root's dependencies are downloaded once, then kept in $DEB_CACHE).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build/plain}    # for the simulator; build/san under make check
. "$TOP/tests/lib.sh"
DEB_CACHE=${VGPU_DEBTIER_CACHE:-/var/cache/vgpu-hook-debtier}
WORK=$(mktemp -d /tmp/vgpu-debtest.XXXXXX)
R=$WORK/root
IN_ROOT=$TOP/tests/fresh/in-root.sh

cleanup() {
    sim_stop
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
inroot() { "$IN_ROOT" "$R" "$@"; }

for tool in dpkg-buildpackage dh lintian debootstrap; do
    command -v "$tool" > /dev/null ||
        { t_fail "deb: $tool installed" "run tests/ensure-deps.sh"; t_done; exit 1; }
done
[ -x "$B/tests/sim/vgpu-sim" ] || { t_fail "deb: simulator built" "no $B/tests/sim/vgpu-sim"; t_done; exit 1; }

# ---- build and lint
t0=$(now)
make -s -C "$TOP" deb DEB_O="$WORK/deb" > "$WORK/build.log" 2>&1
t_eq "make deb: exit 0" 0 "$?"
t_build=$(secs "$t0")
VERSION=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")
DEB=$WORK/deb/vgpu-hook_${VERSION}_$(dpkg --print-architecture).deb
t_eq "make deb: vgpu-hook_<Makefile's VERSION>_<arch>.deb" yes "$([ -f "$DEB" ] && echo yes)"
[ -f "$DEB" ] || { tail -n 20 "$WORK/build.log" | sed 's/^/# /'; t_done; exit 1; }
t_eq "debian/changelog's version is the Makefile's" "$VERSION" \
    "$(cd "$TOP" && dpkg-parsechangelog -SVersion)"

lintian --fail-on error "$WORK/deb/"*.changes > "$WORK/lintian.log" 2>&1
t_eq "lintian: no errors" 0 "$?"
sed 's/^/# lintian: /' "$WORK/lintian.log"

# The source package a distribution builds from: the copy of the tree that
# `make deb` builds (committed and new files), packed by dpkg-source as
# debian/source/format says, and linted (a licence lintian cannot find is an
# error here, not in the binary package).
SRC=$WORK/dsc/vgpu-hook-$VERSION
mkdir -p "$SRC"
(cd "$TOP" && { git ls-files -z -co --exclude-standard 2>/dev/null ||
    find . -path ./build -prune -o -path ./.git -prune -o -type f -print0; } |
    tar --null --ignore-failed-read -cf - -T -) | tar -xf - -C "$SRC"
(cd "$WORK/dsc" && dpkg-source -b "vgpu-hook-$VERSION") > "$WORK/dpkg-source.log" 2>&1
t_eq "dpkg-source -b: vgpu-hook_<VERSION>.dsc, format $(cat "$TOP/debian/source/format")" "0:yes" \
    "$?:$([ -f "$WORK/dsc/vgpu-hook_$VERSION.dsc" ] && echo yes)"
lintian --fail-on error "$WORK/dsc/vgpu-hook_$VERSION.dsc" > "$WORK/lintian-src.log" 2>&1
t_eq "lintian, source package: no errors" 0 "$?"
sed 's/^/# lintian (source): /' "$WORK/lintian-src.log"

dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort > "$WORK/files"
for f in /usr/libexec/vgpu-hook/vgpu-hook /usr/libexec/vgpu-hook/vgpu-hook-core.so /usr/bin/vgpuctl \
         /etc/libvirt/vgpu-hook.conf /etc/libvirt/hooks/qemu.d/vgpu-hook \
         /usr/share/man/man1/vgpuctl.1.gz /usr/share/man/man5/vgpu-hook.conf.5.gz \
         /usr/share/man/man8/vgpu-hook.8.gz /usr/share/bash-completion/completions/vgpuctl \
         /usr/share/doc/vgpu-hook/copyright; do
    t_eq "package ships $f" yes "$(grep -qx "$f" "$WORK/files" && echo yes)"
done
# Everything `make install` puts in place is in the package (a keeper unit
# too, once there is one), and nothing else but Debian's docs.
# -o the flags stamp: installs what $B holds as it is. Without it the plain
# flags here rebuilt build/san (make check's ASan + test-hooks build) as a
# plain one, and every tier run by hand after a make check then failed its
# crash points and hook-log checks.
make -s -C "$TOP" -o "$B/.flags" O="$B" DESTDIR="$WORK/dest" PREFIX=/usr SYSCONFDIR=/etc \
    LIBVIRT_VERSION=9.0.0 SYSTEMDUNITDIR=/lib/systemd/system install > /dev/null 2>&1
(cd "$WORK/dest" && find . ! -type d) | sed 's|^\.||; s|^\(/usr/share/man/.*\)$|\1.gz|' | sort > "$WORK/installed"
t_eq "package = what make install installs + docs, lintian overrides" "" \
    "$(grep -v '^/usr/share/doc/\|^/usr/share/lintian/' "$WORK/files" | diff "$WORK/installed" - | grep '^[<>]' | tr '\n' ' ')"
t_eq "conffiles: the config" /etc/libvirt/vgpu-hook.conf "$(dpkg-deb -I "$DEB" conffiles 2>&1)"
t_match "Depends: from the linked libraries" 'libvirt0.*libxml2|libxml2.*libvirt0' "$(dpkg-deb -f "$DEB" Depends)"
# libvirt-daemon alone has no libvirtd service on Debian 12.
t_eq "Recommends: libvirt-daemon-system" libvirt-daemon-system "$(dpkg-deb -f "$DEB" Recommends)"
# INSTALL.md lists what the package depends on: the same packages.
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort | tr '\n' ' ')
t_eq "INSTALL.md's Depends list is the package's" "$deps" \
    "$(sed -n 's/^Depends: \([^;]*\);.*/\1/p' "$TOP/INSTALL.md" | grep -o '`[^`]*`' | tr -d '`' | sort | tr '\n' ' ')"
if grep -q '^/lib/systemd/system/.*\.service$' "$WORK/files"; then
    t_match "a shipped unit is enabled the Debian way" deb-systemd-helper "$(dpkg-deb -I "$DEB" postinst)"
fi

# ---- a fresh Debian 12 root with the package's dependencies
t0=$(now)
"$TOP/tests/fresh/debian-root.sh" "$R" > "$WORK/root.log" 2>&1
t_eq "fresh Debian 12 root" 0 "$?"
t_root=$(secs "$t0")
root_state=$(grep -o 'cold\|warm' "$WORK/root.log" | head -n 1)
[ -x "$R/bin/sh" ] || { sed 's/^/# /' "$WORK/root.log"; t_done; exit 1; }

t0=$(now)
mkdir -p "$DEB_CACHE/lists" "$DEB_CACHE/archives"
exec {cache_lock}> "$DEB_CACHE/.lock"    # concurrent runs never copy half a cache
flock -w 600 "$cache_lock" || t_fail "deb: cache lock $DEB_CACHE/.lock" "busy for 10 min"
cp -a "$DEB_CACHE/lists/." "$R/var/lib/apt/lists/"
cp -a "$DEB_CACHE/archives/." "$R/var/cache/apt/archives/"
inroot env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get satisfy -y -qq --no-install-recommends "$1, man-db"' \
    _ "$(dpkg-deb -f "$DEB" Depends)" > "$WORK/apt.log" 2>&1
t_eq "root: the package's Depends and man-db from the mirror" 0 "$?"
tail -n 5 "$WORK/apt.log" | grep -i 'err\|fail' | sed 's/^/# /'
# The cache keeps what the mirror still offers (autoclean drops superseded
# versions), so it never grows past one copy of each package.
inroot apt-get autoclean -qq > /dev/null 2>&1
cp -a "$R/var/lib/apt/lists/." "$DEB_CACHE/lists/"
rm -f "$DEB_CACHE/archives/"*.deb
cp -a "$R/var/cache/apt/archives/"*.deb "$DEB_CACHE/archives/" 2>/dev/null
exec {cache_lock}>&-
t_deps=$(secs "$t0")

# What the root holds before the package: after purge it must hold the same.
snapshot() {
    (cd "$R" && find . -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o \
        -path ./tmp -prune -o -path ./mnt/vgpu-sim -prune -o -path ./root/t -prune -o \
        -path ./var/cache/man -prune -o -path ./var/log -prune -o -print) | sort
}
mkdir -p "$R/root/t" "$R/mnt/vgpu-sim" "$R/etc/init.d"
cat > "$R/etc/init.d/libvirtd" <<'EOF'
#!/bin/sh
# A stand-in for libvirt-daemon-system's init script (test-deb.sh).
case "$1" in
    status) [ -e /run/fake-libvirtd ] ;;
    reload|force-reload) echo "$1" >> /root/t/reloads ;;
    *) exit 0 ;;
esac
EOF
printf '#!/bin/sh\nexit "$(cat /root/t/policy)"\n' > "$R/usr/sbin/policy-rc.d"
echo 0 > "$R/root/t/policy"
chmod +x "$R/etc/init.d/libvirtd" "$R/usr/sbin/policy-rc.d"
touch "$R/run/fake-libvirtd"
: > "$R/root/t/reloads"
cp "$DEB" "$R/root/t/vgpu-hook.deb"
cp "$TOP/examples/vm-a40-2q.xml" "$R/root/t/vm.xml"
snapshot > "$WORK/before"

# ---- install: no qemu hook before, libvirtd running -> one reload
t0=$(now)
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_eq "dpkg -i: exit 0" 0 "$?"
t_install=$(secs "$t0")
t_match "postinst: asks the running libvirtd to reload" "asked libvirtd to reload" "$OUT"
t_eq "postinst: the daemon got one reload" reload "$(cat "$R/root/t/reloads")"
t_eq "installed: qemu.d link to the private hook" /usr/libexec/vgpu-hook/vgpu-hook \
    "$(readlink "$R/etc/libvirt/hooks/qemu.d/vgpu-hook")"
t_eq "installed: the config is a registered conffile" yes \
    "$(grep -qx /etc/libvirt/vgpu-hook.conf "$R/var/lib/dpkg/info/vgpu-hook.conffiles" 2>/dev/null && echo yes)"

for unit in $(grep '^/lib/systemd/system/.*\.service$' "$WORK/files"); do
    t_eq "installed: ${unit##*/} enabled" yes \
        "$([ -n "$(find "$R/etc/systemd/system" -name "${unit##*/}" 2>/dev/null)" ] && echo yes)"
done

t_match "vgpuctl --version" "$VERSION" "$(inroot vgpuctl --version 2>&1)"
t_eq "man -w vgpuctl" /usr/share/man/man1/vgpuctl.1.gz "$(inroot man -w vgpuctl 2>&1)"
t_eq "man -w vgpu-hook.conf" /usr/share/man/man5/vgpu-hook.conf.5.gz "$(inroot man -w 5 vgpu-hook.conf 2>&1)"

# ---- the installed hook, with the shipped config, against the simulator
SIM_ROOT=$R/mnt/vgpu-sim
"$B/tests/sim/vgpu-sim" "$TOP/tests/sim/scenarios/a40x2-sriov.ini" "$SIM_ROOT" > "$WORK/sim.log" 2>&1 &
SIM_PID=$!
SIM_START=$(proc_start "$SIM_PID")
for _ in $(seq 1 200); do
    [ -d "$SIM_ROOT/class/mdev_bus" ] && break
    sleep 0.05
done
mdevs_on_sim() { ls "$SIM_ROOT/bus/mdev/devices" 2>/dev/null | wc -l; }
hook_in_root() {   # OP SUBOP: the installed hook, as libvirt runs it
    inroot sh -c 'mount --bind /mnt/vgpu-sim /sys &&
        /etc/libvirt/hooks/qemu.d/vgpu-hook vm-a40-2q "$1" "$2" - < /root/t/vm.xml' _ "$@" 2>&1
}
OUT=$(hook_in_root prepare begin)
t_eq "installed hook: prepare begin creates the device" "0:1" "$?:$(mdevs_on_sim)"
[ "$(mdevs_on_sim)" = 1 ] || printf '%s\n' "$OUT" | head -n 5 | sed 's/^/# /'
t_eq "installed hook: its state in the default /run/vgpu-hook" yes \
    "$([ -n "$(ls -A "$R/run/vgpu-hook" 2>/dev/null)" ] && echo yes)"
# Removing the package while a domain holds a device: prerm says so.
OUT=$(inroot dpkg -r vgpu-hook 2>&1)
t_match "dpkg -r with a device in use: prerm warns" "1 domain\(s\) hold vGPUs" "$OUT"
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_eq "reinstall after remove: exit 0" 0 "$?"
OUT=$(hook_in_root release end)
t_eq "installed hook: release end removes it" "0:0" "$?:$(mdevs_on_sim)"

# ---- reinstall: the hook existed, so no reload
: > "$R/root/t/reloads"
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_eq "reinstall: exit 0" 0 "$?"
t_eq "reinstall: no reload" "" "$(cat "$R/root/t/reloads")"

# ---- purge: nothing left that the package added
t0=$(now)
OUT=$(inroot dpkg --purge vgpu-hook 2>&1)
t_eq "dpkg --purge: exit 0" 0 "$?"
t_purge=$(secs "$t0")
snapshot > "$WORK/after"
t_eq "purge: the root holds what it held before install" "" \
    "$(diff "$WORK/before" "$WORK/after" | grep '^[<>]' | tr '\n' ' ')"
t_eq "purge: the state directory is gone" no "$([ -e "$R/run/vgpu-hook" ] && echo yes || echo no)"

# ---- a user's own qemu hook: untouched, no reload; and no daemon running
mkdir -p "$R/etc/libvirt/hooks"
printf '#!/bin/sh\nexit 0\n' > "$R/etc/libvirt/hooks/qemu"
chmod +x "$R/etc/libvirt/hooks/qemu"
: > "$R/root/t/reloads"
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_eq "with a user's qemu hook: install exit 0, no reload" "0:" "$?:$(cat "$R/root/t/reloads")"
inroot dpkg --purge vgpu-hook > /dev/null 2>&1
t_eq "with a user's qemu hook: purge leaves it as it was" "exit 0" "$(tail -n 1 "$R/etc/libvirt/hooks/qemu" 2>&1)"
rm -rf "$R/etc/libvirt/hooks"
echo 101 > "$R/root/t/policy"
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_eq "policy-rc.d forbids: install exit 0, no reload" "0:" "$?:$(cat "$R/root/t/reloads")"
inroot dpkg --purge vgpu-hook > /dev/null 2>&1
echo 0 > "$R/root/t/policy"
rm -f "$R/run/fake-libvirtd"
OUT=$(inroot dpkg -i /root/t/vgpu-hook.deb 2>&1)
t_match "no daemon running: postinst says it runs the hook once started" \
    "no libvirtd or virtqemud running" "$OUT"
t_eq "no daemon running: no reload" "" "$(cat "$R/root/t/reloads")"
inroot dpkg --purge vgpu-hook > /dev/null 2>&1

echo "# timings: make deb ${t_build}s, root ${t_root}s ($root_state), dependencies ${t_deps}s," \
     "dpkg -i ${t_install}s, purge ${t_purge}s"
echo "# package files:"
sed 's/^/#   /' "$WORK/files"
t_done
