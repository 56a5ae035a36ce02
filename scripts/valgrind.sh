#!/usr/bin/env bash
# Runs the core test programs and the seed examples under valgrind; any error
# or definite leak fails. Usage: scripts/valgrind.sh [build-dir]
set -euo pipefail
build=${1:-build}
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite)
status=0
for program in "$build"/tests/test_{loop,future,task,timeout,fd,seed}; do
    [[ -x "$program" ]] || continue
    echo "valgrind: $(basename "$program")"
    # Skip the fork+crash test under valgrind: valgrind reports the child's crash.
    CMOCKA_TEST_ABORT=0 "${vg[@]}" "$program" >/dev/null || status=1
done
for seed in seed1_hello_world seed2_tasks seed3_event_loop; do
    echo "valgrind: $seed"
    "${vg[@]}" "$build/$seed" >/dev/null || status=1
done
exit $status
