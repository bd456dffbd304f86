#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make stress`: the reliability tiers at full size (STRESS=full), built
# like `make check` (ASan+UBSan, test-only crash points in build/san; the
# production build in build/plain for the "no crash point" check). Logs and
# the collected figures go to build/stress-logs/; the last line is
# "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
export TOP B=$TOP/build/san STRESS=${STRESS:-full}
LOGS=$TOP/build/stress-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
MAKE=${MAKE:-make}
echo "== build (ASan+UBSan + TESTHOOKS in build/san, production in build/plain)"
if ! $MAKE -s -j"$(nproc)" O=build/san SANITIZE=1 TESTHOOKS=1 all sim > "$LOGS/build-san.log" 2>&1 ||
   ! $MAKE -s -j"$(nproc)" O=build/plain all sim > "$LOGS/build-plain.log" 2>&1; then
    tail -n 30 "$LOGS"/build-*.log; echo "0 passed, 1 failed"; exit 1
fi
export ASAN_OPTIONS="log_path=$LOGS/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$LOGS/ubsan:print_stacktrace=1:halt_on_error=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly
pass=0 fail=0
for tier in tests/stress/test-*.sh; do
    n=$(basename "$tier" .sh)
    echo "== $tier ($STRESS)"
    t0=$(date +%s)
    bash "$tier" > "$LOGS/$n.log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$LOGS/$n.log"); f=$(grep -c '^not ok ' "$LOGS/$n.log")
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
    grep '^not ok ' "$LOGS/$n.log" | sed "s|^|[$n] |"
    grep '^# figure: ' "$LOGS/$n.log" | sed "s|^# figure: |$n |" >> "$LOGS/figures"
    printf '%-24s %4d passed, %d failed, %d s\n' "$n" "$p" "$f" "$(( $(date +%s) - t0 ))"
done
for f in "$LOGS"/asan.* "$LOGS"/ubsan.*; do
    [ -e "$f" ] || continue
    fail=$((fail + 1)); echo "not ok - sanitizer: report in $f"; head -n 20 "$f"
done
echo "== figures ($LOGS/figures)"
column -t "$LOGS/figures" 2>/dev/null || cat "$LOGS/figures"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
