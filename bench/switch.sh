#!/usr/bin/env bash
# Raw context switch round trip: cio__ctx_jump vs Boost.Context's jump_fcontext
# and glibc swapcontext, interleaved rounds on one pinned CPU.
# CIO_BENCH_ROUNDS: rounds [7; 2 with CIO_BENCH_QUICK=1].
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
build=${CIO_BENCH_BUILD:-build}
program="$build/bench/switch_roundtrip"
[[ -x "$program" ]] || { echo "switch_roundtrip not built"; exit 1; }
rounds=${CIO_BENCH_ROUNDS:-7}
bench_quick && rounds=${CIO_BENCH_ROUNDS:-2}
taskset -c 0 "$program" "$rounds" 2>/dev/null || "$program" "$rounds"
