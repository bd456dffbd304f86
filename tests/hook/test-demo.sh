#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make demo` must keep working: run it on the build under test and check
# that it places the examples, explains the refusal and leaves nothing.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
out=$(B=$B bash "$TOP/tests/demo.sh" 2>&1)
rc=$?
t_eq "demo: exit 0" 0 "$rc"
t_eq "demo: every example prepared" 4 "$(grep -A1 'prepare begin - < examples/' <<< "$out" | grep -c '(exit 0)')"
t_match "demo: the refusal explains itself" \
    "no GPU can take A40-8Q: GPU 0000:67:00.0 holds A40-4Q vGPUs; GPU 0000:e8:00.0 holds A40-2Q vGPUs" "$out"
t_match "demo: vm-type-id got an A40-4Q on 0000:67:00.0" "A40-4Q +nvidia-560 +0000:67:00\.[0-9a-f] +0000:67:00\.0 +vm-type-id" "$out"
t_match "demo: nothing left" "0 mdev\(s\) and 0 ledger\(s\) left" "$out"
t_done
