#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libFuzzer over the domain XML reader, the <hostdev> rewrite and request
# validation (tests/fuzz/fuzz-xml.c), with ASan and UBSan. Seeds: the
# corpus kept in the repo (tests/fuzz/corpus/), the reader's unit corpus
# (tests/unit/xml-corpus/) and the hostile corpus (tests/stress/hostile/).
# New inputs go to a scratch copy, never into the repo.
#
# FUZZ_SECONDS (default 30 in `make check`; `make fuzz` passes 600).
# Figures: executions, corpus size, coverage, crashes, sanitizer reports.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"

SECONDS_BUDGET=${FUZZ_SECONDS:-30}
FUZZ_O=${FUZZ_O:-$TOP/build/fuzz}
BIN=$FUZZ_O/fuzz-xml
WORK=$(mktemp -d /tmp/vgpu-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
figure() { echo "# figure: $1 $2"; }

if ! out=$(make -s -C "$TOP" FUZZ_O="$FUZZ_O" fuzz-build 2>&1); then
    if ! command -v clang > /dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a > /dev/null 2>&1; then
        t_fail "build the libFuzzer target" "needs clang and libclang-rt-14-dev (apt-get install -y clang libclang-rt-14-dev)"
    else
        t_fail "build the libFuzzer target" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"
    fi
    t_done; exit
fi
t_pass "build the libFuzzer target (clang, -fsanitize=fuzzer,address,undefined)"

mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$TOP"/tests/fuzz/corpus/* "$TOP"/tests/unit/xml-corpus/* "$WORK/corpus/" 2>/dev/null
cp "$TOP"/tests/stress/hostile/*.xml "$WORK/corpus/" 2>/dev/null
seeds=$(ls "$WORK/corpus" | wc -l)

# The repo corpus alone first, each input once: a regression check.
"$BIN" -runs=0 -detect_leaks=1 "$TOP"/tests/fuzz/corpus > "$WORK/replay.log" 2>&1
t_eq "every input of tests/fuzz/corpus runs clean" 0 "$?"

# Then a bounded run. -rss_limit_mb and -timeout catch runaway inputs.
"$BIN" -max_total_time="$SECONDS_BUDGET" -print_final_stats=1 -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -detect_leaks=1 -dict="$TOP/tests/fuzz/xml.dict" \
    -artifact_prefix="$WORK/artifacts/" "$WORK/corpus" > "$WORK/fuzz.log" 2>&1
rc=$?
execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$WORK/fuzz.log")
cov=$(grep -Eo 'cov: [0-9]+' "$WORK/fuzz.log" | tail -n 1 | awk '{ print $2 }')
crashes=$(ls "$WORK/artifacts" | wc -l)
reports=$(grep -Ec 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|contract broken' "$WORK/fuzz.log")
figure fuzz_seconds "$SECONDS_BUDGET"
figure fuzz_seed_inputs "$seeds"
figure fuzz_executions "${execs:-0}"
figure fuzz_corpus_size "$(ls "$WORK/corpus" | wc -l)"
figure fuzz_coverage_edges "${cov:-0}"
figure fuzz_crashes "$crashes"
figure fuzz_sanitizer_reports "$reports"
if [ "$crashes" -gt 0 ] || [ "$reports" -gt 0 ] || [ $rc -ne 0 ]; then
    grep -E -A 12 'ERROR|runtime error|contract broken' "$WORK/fuzz.log" | head -n 40 | sed 's/^/# /'
    mkdir -p "$FUZZ_O/artifacts" && cp "$WORK"/artifacts/* "$FUZZ_O/artifacts/" 2>/dev/null
    echo "# reproduce: $BIN $FUZZ_O/artifacts/<file>"
fi
if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$crashes" -eq 0 ]; then
    before=$(ls "$TOP/tests/fuzz/corpus" | wc -l)
    "$BIN" -merge=1 -max_len=8192 "$TOP/tests/fuzz/corpus" "$WORK/corpus" > "$WORK/merge.log" 2>&1
    echo "# merged into tests/fuzz/corpus: $before -> $(ls "$TOP/tests/fuzz/corpus" | wc -l) inputs"
fi
t_eq "fuzz ${SECONDS_BUDGET} s: exit 0" 0 "$rc"
t_eq "fuzz: zero crashes" 0 "$crashes"
t_eq "fuzz: zero sanitizer reports or broken contracts" 0 "$reports"
t_eq "fuzz: it ran (over 1,000 executions)" 1 "$(( ${execs:-0} > 1000 ))"
t_done
