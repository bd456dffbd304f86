#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# install-hook.sh ROOT HOOKDIR LIBEXECDIR LIBVIRT_VERSION
# Put vgpu-hook where libvirt runs qemu hooks, under ROOT (DESTDIR). Called
# by `make install`; says what it did.
#   libvirt >= 6.5 (or unknown): HOOKDIR/qemu.d/vgpu-hook -> LIBEXECDIR/vgpu-hook.
#     An existing HOOKDIR/qemu is never touched: libvirt runs it, then qemu.d/.
#   libvirt < 6.5 has no qemu.d/: HOOKDIR/qemu -> LIBEXECDIR/vgpu-hook, but
#     only where no such file exists.
set -eu
root=$1 hookdir=$2 libexec=$3 version=${4:-}

older_than_6_5() {
    [ -n "$version" ] &&
        [ "$(printf '%s\n6.5.0\n' "$version" | sort -V | head -n 1)" != 6.5.0 ]
}

had_hook=no
if [ -e "$root$hookdir/qemu" ] || [ -L "$root$hookdir/qemu" ] ||
    [ -n "$(ls -A "$root$hookdir/qemu.d" 2>/dev/null | grep -vx vgpu-hook || true)" ]; then
    had_hook=yes
fi

if older_than_6_5; then
    if [ -e "$root$hookdir/qemu" ] || [ -L "$root$hookdir/qemu" ]; then
        echo "libvirt $version has no qemu.d/ and $hookdir/qemu exists: left untouched;" \
             "call $libexec/vgpu-hook from it with the same arguments and stdin"
    else
        install -d "$root$hookdir"
        ln -s "$libexec/vgpu-hook" "$root$hookdir/qemu"
        echo "libvirt $version has no qemu.d/: installed $hookdir/qemu -> $libexec/vgpu-hook"
    fi
else
    install -d "$root$hookdir/qemu.d"
    ln -sfn "$libexec/vgpu-hook" "$root$hookdir/qemu.d/vgpu-hook"
    echo "installed $hookdir/qemu.d/vgpu-hook -> $libexec/vgpu-hook"
fi

if [ "$had_hook" = no ]; then
    echo "no qemu hook existed before: restart libvirtd (or virtqemud), or send it SIGHUP," \
         "so that it runs hooks"
fi
