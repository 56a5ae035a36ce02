#!/usr/bin/env bash
# Server-side instructions per echoed message, under callgrind: a measure
# the machine's load does not move (bench/results/echo-protocol.md).
#
# Each server runs under valgrind --tool=callgrind twice per cell, driven by
# bench/echo_load with a fixed message count (N, then 3N): the difference of
# the two runs' totals over 2N is what one more message costs, without the
# start-up, accepting and shutting down both runs share.
#
#   bench/echo_instr.sh                       echo_server and echo_protocol,
#                                             cells 1x64, 50x64, 50x16384
#   SERVERS="echo_protocol" CELLS="50:64" N=4000 bench/echo_instr.sh
#   KEEP=/tmp/cg bench/echo_instr.sh          keep the callgrind outputs
#
# Build first with optimisation (see the results file for the command):
# CIO_BENCH_BUILD names the build dir (default build-rel).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build-rel}
servers=(${SERVERS:-echo_server echo_protocol})
cells=(${CELLS:-1:64 50:64 50:16384})
n=${N:-3000}
work=${KEEP:-$(mktemp -d /tmp/cio-echo-instr.XXXXXX)}
mkdir -p "$work"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
for program in "$build/bench/echo_load" "${servers[@]/#/$build/}"; do
    [[ -x $program ]] || { echo "echo_instr: $program missing: build first"; exit 1; }
done

wait_listening() { # port
    for _ in $(seq 400); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# run SERVER CONNS SIZE MESSAGES OUT: the server's total instructions
port=$((30000 + $$ % 20000))
run() {
    port=$((port + 1))
    valgrind --tool=callgrind --callgrind-out-file="$5" "$build/$1" "$port" >/dev/null 2>&1 &
    local pid=$!
    wait_listening "$port" || { echo "echo_instr: $1 did not start" >&2; kill "$pid"; return 1; }
    "$build/bench/echo_load" "$port" "$2" "$3" 120 "$4" >/dev/null || echo "echo_instr: load failed" >&2
    kill -INT "$pid"
    wait "$pid"
    awk '/^(summary|totals):/ { print $2; exit }' "$5"
}

printf '| server | conns | size | instructions/message |\n|---|---|---|---|\n'
for cell in "${cells[@]}"; do
    conns=${cell%%:*} size=${cell##*:}
    for server in "${servers[@]}"; do
        base="$work/$server.$conns.$size"
        small=$(run "$server" "$conns" "$size" "$n" "$base.n.out") || continue
        large=$(run "$server" "$conns" "$size" $((3 * n)) "$base.3n.out") || continue
        printf '| %s | %s | %s | %.0f |\n' "$server" "$conns" "$size" \
            "$(echo "($large - $small) / (2 * $n)" | bc -l)"
    done
done
