#!/usr/bin/env bash
# `make check`: build with ASan+UBSan (and the test-only crash points), run
# every tier, count. The last line is "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export TOP
export B=$TOP/build/san
LOGS=$TOP/build/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
MAKE=${MAKE:-make}
JOBS=$(nproc)

pass=0 fail=0
declare -a failures=()

count() {   # count TIER FILE: tally "ok"/"not ok" lines of a tier's output
    local p f
    p=$(grep -c '^ok ' "$2" || true)
    f=$(grep -c '^not ok ' "$2" || true)
    pass=$((pass + p)); fail=$((fail + f))
    grep '^not ok ' "$2" | sed "s|^|[$1] |" >> "$LOGS/failures"
    printf '%-28s %4d passed, %d failed\n' "$1" "$p" "$f"
}
broken() {  # a tier that died without saying why counts as one failure
    fail=$((fail + 1)); echo "not ok - $1: $2" | tee -a "$LOGS/failures"
}

echo "== build (ASan+UBSan, -Werror=${WERROR:-0})"
if ! $MAKE -s -j"$JOBS" O=build/san SANITIZE=1 TESTHOOKS=1 WERROR="${WERROR:-0}" tests \
        > "$LOGS/build-san.log" 2>&1 ||
   ! $MAKE -s -j"$JOBS" O=build/plain WERROR="${WERROR:-0}" tests > "$LOGS/build-plain.log" 2>&1; then
    cat "$LOGS"/build-*.log | tail -n 40
    echo "0 passed, 1 failed"
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
    if ! "$t" --tap > "$LOGS/$n.log" 2>&1; then
        grep -q '^not ok' "$LOGS/$n.log" || broken "$n" "exited $? (see build/test-logs/$n.log)"
    fi
    count "$n" "$LOGS/$n.log"
done

echo "== valgrind (unit tests, plain build)"
for t in build/plain/tests/unit/test-*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$t" > "$LOGS/vg-$n.log" 2>&1; then
        echo "ok - valgrind $n" > "$LOGS/vg-$n.tap"
    else
        echo "not ok - valgrind $n: see build/test-logs/vg-$n.log" > "$LOGS/vg-$n.tap"
    fi
    count "valgrind $n" "$LOGS/vg-$n.tap"
done

for tier in tests/sim/test-*.sh tests/hook/test-*.sh tests/cli/test-*.sh tests/e2e/test-*.sh \
            tests/kernel/test-*.sh tests/stress/test-*.sh tests/fuzz/test-*.sh tests/deb/test-*.sh; do
    [ -f "$tier" ] || continue
    n=$(basename "$tier" .sh)
    echo "== $tier"
    bash "$tier" > "$LOGS/$n.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && ! grep -q '^not ok' "$LOGS/$n.log" && broken "$n" "exited $rc (see build/test-logs/$n.log)"
    count "$n" "$LOGS/$n.log"
done

for f in "$LOGS"/asan.* "$LOGS"/ubsan.*; do
    [ -e "$f" ] || continue
    broken "sanitizer" "report in $f"
    head -n 20 "$f"
done

if [ -s "$LOGS/failures" ]; then
    echo "== failures"
    cat "$LOGS/failures"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
