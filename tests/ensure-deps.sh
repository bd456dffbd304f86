#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install (as root) or name (otherwise) the Debian packages one job needs:
#
#   tests/ensure-deps.sh build    the product: hook, core, vgpuctl (`make`, `make install`)
#   tests/ensure-deps.sh demo     build + the FUSE simulator (`make demo`)
#   tests/ensure-deps.sh bench    demo + mdevctl and strace for their rows (`make bench`)
#   tests/ensure-deps.sh test     everything `make check` runs: valgrind, clang for the
#                                 fuzz tier, libvirtd + QEMU for the libvirtd tiers,
#                                 debootstrap for the fresh-machine tier, dpkg-dev,
#                                 debhelper and lintian for the package tier, rpm
#                                 and rpmlint for its RPM (tests/deb/test-rpm.sh),
#                                 systemd-container (systemd-nspawn) for the booted
#                                 Debian root of tests/deb/test-systemd.sh
#                                 crm_simulate, crm_attribute, ocf-tester and
#                                 VirtualDomain for the cluster tiers (tests/cluster)
#
# Several names may be given. Packages only, never recommends: a job that
# needs a recommended package lists it, so the fresh-machine tier (which runs
# `make demo` on a bare Debian root) catches a missing name.
set -eu

build=(gcc libc6-dev make pkg-config libglib2.0-dev libxml2-dev uuid-dev libpci-dev libvirt-dev
       libjson-glib-dev libsmartcols-dev)
demo=("${build[@]}" libfuse3-dev fuse3)
bench=("${demo[@]}" mdevctl strace util-linux)
test=("${demo[@]}" valgrind mdevctl util-linux procps jq bash-completion strace
      clang libclang-rt-14-dev debootstrap tar
      dpkg-dev debhelper lintian rpm rpmlint
      libvirt-daemon-system libvirt-clients qemu-system-x86 tini virtinst
      systemd-container
      pacemaker-cli-utils resource-agents libxml2-utils)

[ $# -ge 1 ] || { echo "usage: $0 build|demo|bench|test..." >&2; exit 2; }
pkgs=()
for set in "$@"; do
    case $set in
        build) pkgs+=("${build[@]}") ;;
        demo)  pkgs+=("${demo[@]}") ;;
        bench) pkgs+=("${bench[@]}") ;;
        test)  pkgs+=("${test[@]}") ;;
        *) echo "ensure-deps: unknown package set '$set' (build, demo, bench, test)" >&2; exit 2 ;;
    esac
done

missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages; as root run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
