#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs the first
# seed program against it: with pkg-config (the README's three ways to find
# libcio.so outside the system's library path: rpath, static, LD_LIBRARY_PATH),
# and with find_package(cio).
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name cio.pc)")
hello=$source/examples/seed/seed1_hello_world.c
# The plain line builds a program that cannot find libcio.so (the prefix is
# not in the loader's path): that is what the README's remedies are for.
cc "$hello" $(pkg-config --cflags --libs cio) -o "$work/hello_plain"
if "$work/hello_plain" >/dev/null 2>&1; then
    echo "a program linked without rpath found libcio.so in $prefix: check the test" >&2
    exit 1
fi
[[ "$(LD_LIBRARY_PATH=$(pkg-config --variable=libdir cio) "$work/hello_plain")" == $'Hello\nWorld' ]]
# The README's lines, verbatim.
cc "$hello" $(pkg-config --cflags --libs cio) -Wl,-rpath,$(pkg-config --variable=libdir cio) -o "$work/hello_rpath"
[[ "$("$work/hello_rpath")" == $'Hello\nWorld' ]]
cc "$hello" $(pkg-config --cflags cio) $(pkg-config --static --libs cio | sed 's/-lcio /-l:libcio.a /') -o "$work/hello_static"
[[ "$("$work/hello_static")" == $'Hello\nWorld' ]]
if readelf -d "$work/hello_static" | grep -q 'libcio\.so'; then
    echo "the static line linked libcio.so" >&2
    exit 1
fi
cat > "$work/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(cio REQUIRED)
add_executable(hello $source/examples/seed/seed1_hello_world.c)
target_link_libraries(hello PRIVATE cio::cio)
CMAKE
cmake -S "$work" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/build" >/dev/null
[[ "$("$work/build/hello")" == $'Hello\nWorld' ]]
echo "installed cio works with pkg-config and find_package"
