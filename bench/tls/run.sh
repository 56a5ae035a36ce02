#!/usr/bin/env bash
# bench/tls/run.sh [BUILD_DIR] - TLS echo: cio's server against a plain
# OpenSSL epoll server (tls_echo_epoll.c), both loaded by the same cio
# client (tls_load.c): 50 connections, 64 B and 16 KiB messages. Server on
# CPU 0, client on CPU 1; short rounds, the two servers interleaved, so a
# noisy machine hits both alike. Prints each round and the median ratio
# cio / epoll. ROUNDS (5) and SECONDS (2) from the environment.
set -euo pipefail
build=${1:-build}
bin=$build/bench
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null

run_one() { # server size -> round trips per second
  local port=$((20000 + RANDOM % 20000))
  taskset -c 0 "$bin/$1" "$port" "$dir/cert.pem" "$dir/key.pem" > "$dir/out" &
  local pid=$!
  for _ in $(seq 50); do grep -q ready "$dir/out" 2>/dev/null && break; sleep 0.1; done
  taskset -c 1 "$bin/tls_load" "$port" "$dir/cert.pem" 50 "$2" "$seconds"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for size in 64 16384; do
  ratios=()
  for r in $(seq "$rounds"); do
    c=$(run_one tls_echo_cio "$size"); e=$(run_one tls_echo_epoll "$size")
    ratio=$(python3 -c "print(f'{$c/$e:.3f}')")
    ratios+=("$ratio")
    echo "size $size round $r: cio $c/s epoll $e/s ratio $ratio"
  done
  python3 -c "import statistics,sys; print(f'size $size: median ratio cio/epoll {statistics.median(map(float, sys.argv[1:])):.3f}')" "${ratios[@]}"
done
