#!/usr/bin/env bash
# make demo: runs the seed programs, asyncio's introduction written with cio.
set -euo pipefail
build=${1:-build}
run() {
    local name=$1 what=$2
    printf '\n=== %s: %s ===\n' "$name" "$what"
    local start end
    start=$(date +%s.%N)
    "$build/$name"
    end=$(date +%s.%N)
    awk -v n="$name" -v s="$start" -v e="$end" 'BEGIN { printf "--- %s took %.2f s\n", n, e - s }'
}
run seed1_hello_world "a coroutine (Hello, 1 s of sleep, World)"
run seed2_tasks "two tasks at once (about 5 s, not 7: they overlap)"
run seed3_event_loop "the event loop by hand"
