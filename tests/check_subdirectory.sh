#!/usr/bin/env bash
# cio as a dependency: a project that pulls it in with add_subdirectory on a
# machine without pkg-config (so without cmocka) configures, builds only the
# library (no tests, examples or benchmarks), and runs the first seed program
# linked against cio::cio (cio_static is only generated: building it too
# would double the test's time for little).
set -euo pipefail
source=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
include(CTest) # the parent's BUILD_TESTING=ON must not switch cio's tests on
add_subdirectory("$source" cio)
add_executable(hello "$source/examples/seed/seed1_hello_world.c")
target_link_libraries(hello PRIVATE cio::cio)
add_executable(hello_static "$source/examples/seed/seed1_hello_world.c")
target_link_libraries(hello_static PRIVATE cio_static)
CMAKE
cmake -S "$work" -B "$work/build" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log"; exit 1; }
if grep -q 'tests are OFF' "$work/configure.log"; then
    echo "cio configured its tests as a subproject" >&2
    exit 1
fi
for dir in tests bench; do
    if [[ -e "$work/build/cio/$dir" ]]; then
        echo "cio configured $dir/ as a subproject" >&2
        exit 1
    fi
done
cmake --build "$work/build" --target hello -j 2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
[[ "$("$work/build/hello")" == $'Hello\nWorld' ]]
echo "cio works as a subdirectory"
