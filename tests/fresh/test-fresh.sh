#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fresh-machine tier: the README's promise, kept on a machine that has
# nothing yet. A minimal Debian 12 root (tests/fresh/debian-root.sh: debootstrap
# minbase + make + git, cached), the committed tree copied in with
# `git archive HEAD` (so an uncommitted file cannot hide a missing step), then
# inside it (tests/fresh/in-root.sh: private namespaces, nothing leaks):
#   1. `make demo`, which must succeed the first time (it installs what it needs);
#   2. the unit tests, built and run there;
#   3. with libfuse3-dev removed: `make` and `make install DESTDIR=...` (the
#      product builds without the simulator's packages).
# Downloaded .debs are kept in the root cache's apt-archives/ and put back into
# the next root's apt cache, only to spare the mirror: apt still resolves and
# installs every package. Prints the cold/warm timings as comments.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
F=$TOP/tests/fresh
CACHE=${VGPU_DEBROOT_CACHE:-/var/cache/vgpu-hook-debroot}
now() { date +%s; }
T0=$(now)

[ "$(id -u)" -eq 0 ] || { t_skip "fresh-machine tier" "needs root (debootstrap, chroot, namespaces)"; t_done; exit 0; }
[ -e /dev/fuse ] || { t_skip "fresh-machine tier" "no /dev/fuse (make demo mounts the simulator)"; t_done; exit 0; }
head=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null) ||
    { t_skip "fresh-machine tier" "$TOP is not a git checkout (the tier copies the committed tree)"; t_done; exit 0; }

WORK=$(mktemp -d /tmp/vgpu-fresh.XXXXXX)
trap '[ "${VGPU_FRESH_KEEP:-0}" = 1 ] && echo "# kept $WORK" || rm -rf "$WORK"' EXIT
R=$WORK/root
SRC=/root/vgpu-hook

# ---------------------------------------------------------------- 1. the root
t=$(now)
if out=$(bash "$F/debian-root.sh" "$R" 2>&1); then
    t_pass "fresh root: $out"
else
    t_fail "fresh root" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"; t_done; exit 1
fi
git -C "$TOP" status --porcelain --untracked-files=no | grep -q . &&
    echo "# the worktree has uncommitted changes; this tier tests the commit $head only"
mkdir -p "$R$SRC"
if ! git -C "$TOP" archive --format=tar HEAD | tar -C "$R$SRC" -xf -; then
    t_fail "git archive HEAD into the root"; t_done; exit 1
fi
t_eq "the root has no build packages yet (gcc, libglib2.0-dev, libfuse3-dev)" "" \
    "$(chroot "$R" dpkg-query -W -f='${Package} ${Status}\n' gcc libglib2.0-dev libfuse3-dev 2>/dev/null | grep ' installed$')"
mkdir -p "$CACHE/apt-archives"
cp -l "$CACHE"/apt-archives/*.deb "$R/var/cache/apt/archives/" 2>/dev/null ||
    cp "$CACHE"/apt-archives/*.deb "$R/var/cache/apt/archives/" 2>/dev/null
root_s=$(( $(now) - t ))

inroot() { bash "$F/in-root.sh" "$R" bash -c "cd $SRC && $1" > "$WORK/$2.log" 2>&1; }
tailof() { tail -n "${2:-5}" "$WORK/$1.log" | tr '\n' ' ' | cut -c1-600; }

# ---------------------------------------------------------------- 2. make demo
t=$(now)
if inroot "make demo" demo; then
    t_pass "make demo on a fresh Debian 12 root succeeds the first time ($(( $(now) - t )) s)"
else
    t_fail "make demo on a fresh Debian 12 root succeeds the first time" "$(tailof demo 8)"
fi
demo_s=$(( $(now) - t ))
t_match "make demo: ends with nothing left on the host" "0 mdev\\(s\\) and 0 ledger\\(s\\) left" "$(tail -n 3 "$WORK/demo.log")"
t_eq "make demo installed only the demo's packages (no QEMU, libvirt daemon, clang, valgrind)" "" \
    "$(chroot "$R" dpkg-query -W -f='${Package} ${Status}\n' qemu-system-x86 libvirt-daemon clang valgrind 2>/dev/null | grep ' installed$')"
# Keep what was downloaded for the next root (under a lock: other runs share
# it), minus versions the mirror no longer offers (autoclean), so the cache
# holds one copy of each package the tier needs.
chroot "$R" apt-get autoclean -qq > /dev/null 2>&1
( flock -w 120 9 && rm -f "$CACHE"/apt-archives/*.deb &&
  cp "$R"/var/cache/apt/archives/*.deb "$CACHE/apt-archives/" 2>/dev/null ) 9> "$CACHE/.apt-lock"

# ---------------------------------------------------------------- 3. unit tests
t=$(now)
if inroot "make -s -j2 O=build/fresh tests" unit-build; then
    t_pass "unit tests build in the fresh root"
    for u in "$R$SRC"/build/fresh/tests/unit/test-*; do
        [ -x "$u" ] || continue
        n=${u##*/}
        inroot "build/fresh/tests/unit/$n --tap" "unit-$n"
        rc=$?
        total=$(grep -c '^/' <(chroot "$R" "$SRC/build/fresh/tests/unit/$n" -l 2>/dev/null))
        okc=$(grep -c '^ok ' "$WORK/unit-$n.log")
        if [ $rc -eq 0 ] && [ "$okc" -eq "$total" ] && [ "$total" -gt 0 ]; then
            t_pass "fresh root: $n: $okc of $total passed"
        else
            t_fail "fresh root: $n" "exit $rc, $okc of $total passed; $(grep '^not ok' "$WORK/unit-$n.log" | head -n 3 | tr '\n' ' ')"
        fi
    done
else
    t_fail "unit tests build in the fresh root" "$(tailof unit-build)"
fi
unit_s=$(( $(now) - t ))

# ---------------------------------------------------------------- 4. product without libfuse3-dev
t=$(now)
if inroot "apt-get remove -y -qq libfuse3-dev && ! pkg-config --exists fuse3" nofuse; then
    t_pass "libfuse3-dev removed from the root"
    if inroot "make clean > /dev/null && make -j2 && make install DESTDIR=/tmp/dest" product; then
        t_pass "make && make install DESTDIR=... without libfuse3-dev"
    else
        t_fail "make && make install DESTDIR=... without libfuse3-dev" "$(tailof product 8)"
    fi
    t_eq "make builds no simulator" "" "$(ls "$R$SRC/tests/sim/vgpu-sim" 2>/dev/null)"
    # in-root.sh's /tmp is private: install again to where the host can look.
    inroot "make -s install DESTDIR=$SRC/dest" product-dest
    for f in usr/local/libexec/vgpu-hook/vgpu-hook usr/local/libexec/vgpu-hook/vgpu-hook-core.so \
             usr/local/bin/vgpuctl etc/libvirt/vgpu-hook.conf; do
        t_ok "make install put /$f" test -e "$R$SRC/dest/$f"
    done
else
    t_fail "libfuse3-dev removed from the root" "$(tailof nofuse)"
fi
product_s=$(( $(now) - t ))

echo "# fresh-machine tier ($head): root $root_s s (${out#debian-root: }), make demo $demo_s s, unit tests $unit_s s, product without libfuse3-dev $product_s s; total $(( $(now) - T0 )) s"
t_done
