#!/usr/bin/env bash
# mini_redis against redis-server, and the cio Redis client against
# redis-benchmark, on loopback. Servers on CPU 0, load generators on CPU 1.
#
#   bench/redis.sh [BUILD_DIR] [ROUNDS] [REQUESTS]
#
# Part 1: redis-benchmark (50 clients, PING/SET/GET, with and without -P 16)
#   against redis-server and mini_redis, interleaved round by round so both
#   see the same machine; the ratio mini_redis / redis-server per test and
#   round, then the median.
# Part 2: against redis-server, redis-benchmark's own GET/SET figures beside
#   bench/redis_client's (the cio client, same shape: 50 connections, -P 1
#   and 16).
# Figures are requests per second; on a shared machine, read the ratios.
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
requests=${3:-100000}
command -v redis-server >/dev/null || { echo "needs redis-server and redis-tools" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.02; done; exit 1; }

rport=$(free_port); mport=$(free_port)
taskset -c 0 redis-server --port "$rport" --save '' --appendonly no --bind 127.0.0.1 >/dev/null & rpid=$!
taskset -c 0 "$build/mini_redis" "$mport" & mpid=$!
trap 'kill $rpid $mpid 2>/dev/null || true' EXIT
wait_ping "$rport"; wait_ping "$mport"

# "PING_INLINE: 123.45 requests per second, p50=..." -> "PING_INLINE 123.45"
bench() { taskset -c 1 redis-benchmark -p "$1" -c 50 -n "$requests" -t ping,set,get -q $2 2>/dev/null |
          tr '\r' '\n' | sed -n 's/^\([A-Z_]*\): \([0-9.]*\) requests per second.*/\1 \2/p'; }

echo "# redis-benchmark -c 50 -n $requests: mini_redis / redis-server (rounds: $rounds)"
for pipe in "" "-P 16"; do
    declare -A ratios=()
    for round in $(seq "$rounds"); do
        declare -A base=()
        while read -r test rps; do base[$test]=$rps; done < <(bench "$rport" "$pipe")
        while read -r test rps; do
            ratio=$(python3 -c "print(f'{$rps / ${base[$test]}:.2f}')")
            ratios[$test]+="$ratio "
            printf '%-12s %-6s round %d: redis-server %10.0f  mini_redis %10.0f  ratio %s\n' \
                "$test" "${pipe:-P1}" "$round" "${base[$test]}" "$rps" "$ratio"
        done < <(bench "$mport" "$pipe")
    done
    for test in "${!ratios[@]}"; do
        median=$(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" ${ratios[$test]})
        echo "median ratio $test ${pipe:-P1}: $median"
    done
    unset ratios
done

echo "# against redis-server: redis-benchmark vs the cio client (50 connections)"
for p in 1 16; do
    for op in get set; do
        rb=$(taskset -c 1 redis-benchmark -p "$rport" -c 50 -n "$requests" -t "$op" -P "$p" -q 2>/dev/null |
             tr '\r' '\n' | sed -n 's/^[A-Z]*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
        cio=$(taskset -c 1 "$build/bench/redis_client" "$rport" 50 "$requests" "$p" "$op" | awk '{print $2}')
        ratio=$(python3 -c "print(f'{$cio / $rb:.2f}')")
        printf '%s -P %-2d redis-benchmark %10.0f  cio client %10.0f  ratio %s\n' "$op" "$p" "$rb" "$cio" "$ratio"
    done
done
