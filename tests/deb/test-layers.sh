#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The layers the Makefile enforces (docs/architecture.md), as the build sees
# them: in a copy of the tree (committed and new files, as `make deb` takes
# them), one source file gets an include that goes up or sideways and the
# object built from it must fail, naming what it reached; the untouched
# object must build. allocator/policy/ may see only the host model and the
# kind table of allocator/host/, also through another header. Needs the
# build packages (tests/ensure-deps.sh build) and git.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
WORK=$(mktemp -d /tmp/vgpu-layers.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT

( cd "$TOP" && git ls-files -z -co --exclude-standard -- ':!tests/fuzz/corpus' |
    tar --null --ignore-failed-read -cf - -T - ) | tar -xf - -C "$WORK"
T=$WORK

# build FILE: the object of FILE (a path in the tree), in $T/o; its
# compiler and make output on stdout, "rc=N" last.
build() {
    local rc
    make -s -C "$T" O=o "o/${1%.c}.o" 2>&1; rc=$?
    echo "rc=$rc"
}

# with FILE LINE: FILE with LINE added after its first include, built.
with() {
    cp "$T/$1" "$T/$1.orig"
    sed -i "0,/^#include /s||$2\n#include |" "$T/$1"
    build "$1"
    mv "$T/$1.orig" "$T/$1"
}

one_line() { printf '%s' "$1" | tr '\n' ' '; }

allocator_top_files=$(cd "$TOP" && ls allocator/*.c allocator/*.h 2>/dev/null)
t_eq "every allocator/ file is in host/, policy/ or state/" "" "$allocator_top_files"
for d in host policy state; do
    t_ok "allocator/$d/ has sources" test -n "$(ls "$TOP/allocator/$d/"*.c 2>/dev/null)"
done

for f in allocator/policy/placement.c allocator/state/ledger.c allocator/host/sysfs-io.c; do
    t_match "$f builds as it is" 'rc=0$' "$(build "$f")"
done

out=$(with allocator/policy/profile.c '#include "sysfs-io.h"')
t_match "policy/ including a host I/O header (sysfs-io.h) fails the build" \
    'allocator/policy/profile.c: allocator/policy/ is pure and sees only .* not allocator/host/sysfs-io.h' "$out"
t_match "... make fails" 'rc=2$' "$out"
t_ok "... no object" test ! -e "$T/o/allocator/policy/profile.o"

out=$(with allocator/policy/mig.c '#include "plainvf.h"')
t_match "policy/ reaching a host I/O header through another (plainvf.h, pci-name.h) fails" \
    'allocator/policy/mig.c: .* not allocator/host/pci-name.h allocator/host/plainvf.h' "$out"

out=$(with allocator/policy/placement.c '#include "domain-xml.h"')
t_match "policy/ including xml/ fails" 'domain-xml.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with allocator/state/ledger.c '#include "sysfs-path.h"')
t_match "state/ including host/ fails" 'sysfs-path.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with allocator/state/vgpu-config.c '#include "profile.h"')
t_match "state/ including policy/ fails" 'profile.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with allocator/host/mdev.c '#include "domain-xml.h"')
t_match "host/ including xml/ fails" 'domain-xml.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with allocator/host/mdev.c '#include "virt-util.h"')
t_match "host/ including virt/ fails" 'virt-util.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with xml/xml-read.c '#include "ledger.h"')
t_match "xml/ including allocator/ fails" 'ledger.h: No such file.*rc=2$' "$(one_line "$out")"

out=$(with model/vgpu-request.c '#include "domain-xml.h"')
t_match "model/ including xml/ fails" 'domain-xml.h: No such file.*rc=2$' "$(one_line "$out")"

t_done
