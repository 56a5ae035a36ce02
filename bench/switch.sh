#!/usr/bin/env bash
# Raw context switch round trip: cio__ctx_jump vs Boost.Context's jump_fcontext
# and glibc swapcontext, interleaved rounds on one pinned CPU.
set -uo pipefail
build=${CIO_BENCH_BUILD:-build}
program="$build/bench/switch_roundtrip"
[[ -x "$program" ]] || { echo "switch_roundtrip not built"; exit 1; }
taskset -c 0 "$program" "${CIO_BENCH_ROUNDS:-7}" 2>/dev/null || "$program" "${CIO_BENCH_ROUNDS:-7}"
