#!/usr/bin/env bash
# make test-aarch64 (CI's aarch64 step): cross-build cio for aarch64 with
# Debian's gcc-aarch64-linux-gnu and run the core, compose, sync and switch
# suites under qemu-user, FP control registers included (test_switch).
#
#   scripts/aarch64.sh [build-dir]      (default build-aarch64)
#
# What the emulator changes, and how the run allows for it:
# - qemu-user accepts madvise(MADV_GUARD_INSTALL) and does nothing, so stacks
#   would have no guard: CIO_STACK_GUARD=mprotect gives them real ones.
# - A container has no binfmt_misc to run an arm64 file directly: tests that
#   re-execute themselves do it through $CIO_TEST_EMULATOR.
# - Emulation is slow: ctest timeouts are scaled by 4.
# - The gdb helper (tools/cio-gdb.py) runs too, with gdb-multiarch attached to
#   qemu-user's gdbstub (tests/tools/gdb_helper.sh): examples/task_tree is
#   built for it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-aarch64}
scripts/deps.sh aarch64
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake -DCIO_WERROR=ON \
    -DCIO_BUILD_EXAMPLES=ON -DCIO_BUILD_BENCH=OFF -DCIO_TEST_TIMEOUT_SCALE=4 >/dev/null
suites=(tests/core tests/compose tests/sync tests/arch)
programs=()
for dir in "${suites[@]}"; do
    for file in "$dir"/test_*.c; do programs+=("$(basename "$file" .c)"); done
done
cmake --build "$build" -j "$(nproc)" --target "${programs[@]}" task_tree >/dev/null
programs+=(gdb_helper)
pattern="^($(
    IFS='|'
    echo "${programs[*]}"
))\$"
cd "$build"
CIO_STACK_GUARD=mprotect CIO_TEST_EMULATOR=qemu-aarch64 \
    ctest -j "$(nproc)" --output-on-failure --no-tests=error -R "$pattern"
