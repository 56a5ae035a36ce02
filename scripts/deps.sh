#!/usr/bin/env bash
# Installs the Debian packages cio's build, tests and demo need, if missing.
# As root it calls apt-get; otherwise it prints the command to run.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh bench      also the benchmark peers (libuv, Boost, Go, uvloop,
#                              Tokio from Debian's Rust packages, built offline)
#   scripts/deps.sh aarch64    also the aarch64 cross build (scripts/aarch64.sh):
#                              the cross compiler, qemu-user, and (multiarch,
#                              dpkg --add-architecture arm64) cmocka for arm64,
#                              gdb-multiarch (the gdb helper under qemu's gdbstub)
set -euo pipefail

# libfuzzer-14-dev and libhttp-parser-dev: make fuzz (libFuzzer, and the
# differential oracle of fuzz/fuzz_http_differential.c). libpq-dev and
# postgresql: cio_pg and the PostgreSQL server its tests start.
# libcurl4-openssl-dev: the HTTP client; nginx-light and python3: its tests.
# redis-server and redis-tools: the Redis client's and mini_redis's tests.
# curl, python3-aiohttp, python3-websockets: tests/http/peers.sh (foreign HTTP
# and WebSocket peers against the HTTP server); zlib1g-dev: WebSocket
# permessage-deflate. gdb: the gdb helper's test (tools/cio-gdb.py).
packages=(build-essential cmake pkg-config libcmocka-dev valgrind clang libssl-dev liburing-dev
    libfuzzer-14-dev libhttp-parser-dev libpq-dev postgresql libcurl4-openssl-dev nginx-light python3
    redis-server redis-tools curl python3-aiohttp python3-websockets zlib1g-dev gdb)
if [[ "${1:-}" == "bench" ]]; then
    packages+=(libuv1-dev libboost-context-dev golang-go python3-uvloop wrk cargo librust-tokio-dev
        librust-num-cpus-dev librust-libc-dev)
fi
if [[ "${1:-}" == "aarch64" ]]; then
    packages+=(gcc-aarch64-linux-gnu qemu-user libcmocka-dev:arm64 gdb-multiarch)
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        if [[ $(id -u) -ne 0 ]]; then
            echo "the aarch64 build needs arm64 packages: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
            exit 1
        fi
        dpkg --add-architecture arm64
        apt-get update -q >/dev/null
    fi
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "cio needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
fi
