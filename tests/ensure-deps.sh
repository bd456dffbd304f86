#!/usr/bin/env bash
# Install (as root) or name (otherwise) the Debian packages the build, the
# demo and the tests need. Called by `make check`, `make demo`, `make bench`.
set -eu

pkgs=(gcc make pkg-config libglib2.0-dev libxml2-dev uuid-dev libvirt-dev
      libfuse3-dev fuse3 valgrind mdevctl util-linux procps
      jq bash-completion clang libclang-rt-14-dev strace
      dpkg-dev debhelper lintian debootstrap)    # tests/deb, tests/fresh
# The end-to-end tier drives a real libvirtd and QEMU.
[ "${VGPU_DEPS_E2E:-1}" = 1 ] &&
    pkgs+=(libvirt-daemon-system libvirt-clients qemu-system-x86 tini virtinst)

missing=()
for p in "${pkgs[@]}"; do
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
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
