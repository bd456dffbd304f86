#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make check`: build with ASan+UBSan (and the test-only crash points), run
# every tier, count. The last line is "N passed, N failed, N skipped". Exits
# non-zero when anything failed, and when anything skipped unless
# VGPU_ALLOW_SKIP=1 (a skip is a check that did not run, never a pass).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export TOP
export B=$TOP/build/san
LOGS=$TOP/build/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
MAKE=${MAKE:-make}
JOBS=$(nproc)

pass=0 fail=0 skip=0
: > "$LOGS/failures"
: > "$LOGS/skips"

# count TIER FILE [EXPECTED]: tally a tier's "ok" / "not ok" / "skip" lines
# (TAP's "ok ... # SKIP" is a skip too). With EXPECTED (a unit binary's test
# count), the tests it never reported (it crashed) count as failed.
count() {
    local p f s missing
    p=$(grep '^ok ' "$2" | grep -vc '# SKIP' || true)
    f=$(grep -c '^not ok ' "$2" || true)
    s=$(grep -E -c '^skip |^ok .*# SKIP' "$2" || true)
    if [ -n "${3:-}" ] && [ $((p + f + s)) -lt "$3" ]; then
        missing=$(($3 - p - f - s))
        echo "not ok - $1: $missing of its $3 tests never ran" >> "$2"
        f=$((f + missing))
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    grep '^not ok ' "$2" | sed "s|^|[$1] |" >> "$LOGS/failures"
    grep -E '^skip |^ok .*# SKIP' "$2" | sed "s|^|[$1] |" >> "$LOGS/skips"
    printf '%-28s %4d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
    grep -E '^skip |^ok .*# SKIP' "$2" | sed 's/^/    /'
}
broken() {  # a tier that died without saying why counts as one failure
    echo "not ok - $1: $2" >> "$3"
}

echo "== build (ASan+UBSan, -Werror=${WERROR:-0})"
if ! $MAKE -s -j"$JOBS" O=build/san SANITIZE=1 TESTHOOKS=1 WERROR="${WERROR:-0}" tests \
        > "$LOGS/build-san.log" 2>&1 ||
   ! $MAKE -s -j"$JOBS" O=build/plain WERROR="${WERROR:-0}" tests > "$LOGS/build-plain.log" 2>&1; then
    cat "$LOGS"/build-*.log | tail -n 40
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

# Sanitizer reports go to files, not to the hook's stderr (which tests read).
export ASAN_OPTIONS="log_path=$LOGS/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$LOGS/ubsan:print_stacktrace=1:halt_on_error=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly

echo "== unit tests"
for t in "$B"/tests/unit/test-*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    expected=$("$t" -l 2>/dev/null | grep -c '^/')
    "$t" --tap > "$LOGS/$n.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && ! grep -q '^not ok' "$LOGS/$n.log" &&
        broken "$n" "exited $rc (see build/test-logs/$n.log)" "$LOGS/$n.log"
    count "$n" "$LOGS/$n.log" "$expected"
done

echo "== valgrind (unit tests, plain build)"
for t in build/plain/tests/unit/test-*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        "$t" > "$LOGS/vg-$n.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok - valgrind $n" > "$LOGS/vg-$n.tap"
    else
        echo "not ok - valgrind $n: exited $rc (99: valgrind errors); see build/test-logs/vg-$n.log" > "$LOGS/vg-$n.tap"
    fi
    count "valgrind $n" "$LOGS/vg-$n.tap"
done

for tier in tests/sim/test-*.sh tests/hook/test-*.sh tests/cli/test-*.sh tests/e2e/test-*.sh \
            tests/kernel/test-*.sh tests/stress/test-*.sh tests/fuzz/test-*.sh \
            tests/deb/test-*.sh tests/fresh/test-*.sh \
            tests/cluster/test-*.sh; do
    [ -f "$tier" ] || continue
    n=$(basename "$tier" .sh)
    echo "== $tier"
    bash "$tier" > "$LOGS/$n.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && ! grep -q '^not ok' "$LOGS/$n.log" &&
        broken "$n" "exited $rc (see build/test-logs/$n.log)" "$LOGS/$n.log"
    grep -Eq '^(ok|not ok|skip) ' "$LOGS/$n.log" ||
        broken "$n" "reported no check at all (see build/test-logs/$n.log)" "$LOGS/$n.log"
    count "$n" "$LOGS/$n.log"
done

: > "$LOGS/sanitizers.tap"
for f in "$LOGS"/asan.* "$LOGS"/ubsan.*; do
    [ -e "$f" ] || continue
    broken "sanitizer" "report in $f" "$LOGS/sanitizers.tap"
    head -n 20 "$f"
done
[ -s "$LOGS/sanitizers.tap" ] && count "sanitizers" "$LOGS/sanitizers.tap"

if [ -s "$LOGS/failures" ]; then
    echo "== failures"
    cat "$LOGS/failures"
fi
if [ -s "$LOGS/skips" ]; then
    echo "== skipped (checks that did not run here)"
    cat "$LOGS/skips"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
if [ "$skip" -gt 0 ]; then
    if [ "${VGPU_ALLOW_SKIP:-0}" = 1 ]; then
        echo "VGPU_ALLOW_SKIP=1: $skip skipped checks accepted"
    else
        echo "make check fails: $skip checks skipped (VGPU_ALLOW_SKIP=1 accepts that, knowingly)"
        exit 1
    fi
fi
exit 0
