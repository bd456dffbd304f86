#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make fuzz`: the libFuzzer tier for longer (FUZZ_SECONDS, default 600).
# FUZZ_MERGE=1 then merges the inputs that found new coverage into the
# repo corpus (tests/fuzz/corpus/), minimized, for the lead to review.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export TOP FUZZ_SECONDS=${FUZZ_SECONDS:-600}
bash "$TOP/tests/fuzz/test-fuzz.sh"
