#!/usr/bin/env bash
# make test-ucontext (and CI's ucontext step): build cio with the portable
# context switch (-DCIO_SWITCH=ucontext, src/arch/switch_ucontext.c) and run
# the suite on it: the whole suite, or only the programs of the given test
# directories and the test programs named. CI runs tests/core tests/compose
# tests/sync tests/arch (the switch's users: tasks, compact tasks,
# backtraces, the switch itself) and test_process test_pipe_stream (which
# block signals around their waits: the signal mask across switches); the
# whole suite (about 145 s to build and run on 2 busy cores) is over CI's
# budget.
#
#   scripts/ucontext.sh [build-dir [test-dir|test-program...]]
#                                            (default build-ucontext)
#
# A Debug build: the switch's frame-pointer walks and compact tasks' frame
# copies are checked without the optimiser's inlining hiding a frame.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-ucontext}
shift || true
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -DCIO_SWITCH=ucontext -DCMAKE_BUILD_TYPE=Debug -DCIO_BUILD_BENCH=OFF \
    -DCIO_WERROR=ON ${CMAKE_FLAGS:-} >/dev/null
if (($# == 0)); then
    cmake --build "$build" -j "$jobs" >/dev/null
    cd "$build"
    exec ctest -j "$jobs" ${CTEST_FLAGS:---output-on-failure --no-tests=error}
fi
programs=()
for arg in "$@"; do
    if [[ -d $arg ]]; then
        for file in "$arg"/test_*.c; do programs+=("$(basename "$file" .c)"); done
    else
        programs+=("$arg")
    fi
done
cmake --build "$build" -j "$jobs" --target "${programs[@]}" >/dev/null
pattern="^($(
    IFS='|'
    echo "${programs[*]}"
))\$"
cd "$build"
ctest -j "$jobs" --output-on-failure --no-tests=error -R "$pattern"
