#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs the first
# seed program against it twice: with pkg-config, and with find_package(cio).
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name cio.pc)")
libdir=$(pkg-config --variable=libdir cio)
cc "$source/examples/seed/seed1_hello_world.c" $(pkg-config --cflags --libs cio) \
    -Wl,-rpath,"$libdir" -o "$work/hello_pkgconfig"
[[ "$("$work/hello_pkgconfig")" == $'Hello\nWorld' ]]
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
