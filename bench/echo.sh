#!/usr/bin/env bash
# TCP echo benchmark: one load client (bench/echo_load: plain C, epoll, N
# connections, one message in flight on each) drives, in the same run, cio's
# echo server (examples/echo_server.c), the floor (bench/echo_floor: plain
# single-threaded epoll C), libuv (bench/echo_uv), Python asyncio streams and
# uvloop (bench/echo_peer.py) and Go's net package (bench/echo_peer.go,
# GOMAXPROCS=1). Servers on CPU 0, the client on CPU 1.
#
# Rounds are interleaved (every server once per round, in turn); each cell
# reports the median msgs/s and the median of the per-round ratios to the
# floor, with their min-max.
#
#   bench/echo.sh                full matrix: 64 B, 1 KiB, 16 KiB, 100 KiB x
#                                1 and 50 connections, 3 rounds of 1 s cells
#   QUICK=1 bench/echo.sh        one round of 0.3 s cells
#   ROUNDS=5 SECONDS_PER_CELL=2 SIZES="64 102400" CONNS=50 bench/echo.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
if [[ -n "${QUICK:-}" ]]; then
    rounds=${ROUNDS:-1}; seconds=${SECONDS_PER_CELL:-0.3}
else
    rounds=${ROUNDS:-3}; seconds=${SECONDS_PER_CELL:-1}
fi
sizes=(${SIZES:-64 1024 16384 102400})
conns=(${CONNS:-1 50})
python=/usr/bin/python3
work=$(mktemp -d /tmp/cio-echo-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

load=$build/bench/echo_load
[[ -x "$load" && -x "$build/echo_server" && -x "$build/bench/echo_floor" ]] ||
    { echo "echo: build first (cmake --build $build)"; exit 1; }

# name -> command (PORT is substituted); missing peers say what to install.
declare -A command
names=()
add() { names+=("$1"); command[$1]=$2; }
add floor "$build/bench/echo_floor PORT"
add cio "$build/echo_server PORT"
if [[ -x "$build/bench/echo_uv" ]]; then add libuv "$build/bench/echo_uv PORT"
else echo "(libuv peer missing: apt install libuv1-dev, then rebuild)"; fi
add asyncio "$python $here/echo_peer.py PORT"
if $python -c 'import uvloop' 2>/dev/null; then add uvloop "$python $here/echo_peer.py PORT --uvloop"
else echo "(uvloop peer missing: apt install python3-uvloop)"; fi
if command -v go >/dev/null && GOCACHE=/tmp/gocache go build -o "$work/echo_go" "$here/echo_peer.go" 2>/dev/null
then add go "env GOMAXPROCS=1 $work/echo_go PORT"
else echo "(Go peer missing: apt install golang-go)"; fi

port=$((20000 + $$ % 20000))

wait_listening() { # port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# run_server NAME ROUND: start it on CPU 0, measure every cell, stop it.
run_server() {
    local name=$1 round=$2
    port=$((port + 1))
    taskset -c 0 ${command[$name]//PORT/$port} >/dev/null 2>&1 &
    local pid=$!
    if ! wait_listening $port; then
        echo "($name did not start)"; kill $pid 2>/dev/null; return
    fi
    for c in "${conns[@]}"; do
        for s in "${sizes[@]}"; do
            local rate
            rate=$(taskset -c 1 "$load" $port "$c" "$s" "$seconds" 2>/dev/null) || rate=0
            echo "$name $round $c $s $rate" >>"$work/results"
        done
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
}

printf 'echo: %s round(s) x %s s per cell, servers: %s\n' "$rounds" "$seconds" "${names[*]}"
for round in $(seq "$rounds"); do
    for name in "${names[@]}"; do run_server "$name" "$round"; done
done

# Table: per connection count, a row per server, a column per size.
$python - "$work/results" "${names[@]}" <<'EOF'
import statistics, sys
from collections import defaultdict
path, names = sys.argv[1], sys.argv[2:]
rate = defaultdict(dict)  # (name, conns, size) -> {round: msgs/s}
for line in open(path):
    name, rnd, conns, size, value = line.split()
    rate[(name, int(conns), int(size))][int(rnd)] = float(value)
sizes = sorted({k[2] for k in rate})
label = lambda s: f"{s // 1024} KiB" if s >= 1024 else f"{s} B"
for conns in sorted({k[1] for k in rate}):
    print(f"\n| {conns} conn{'s' if conns > 1 else ''}: msgs/s (ratio to floor, min-max) | "
          + " | ".join(label(s) for s in sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    for name in names:
        cells = []
        for size in sizes:
            mine, floor = rate.get((name, conns, size), {}), rate.get(("floor", conns, size), {})
            ratios = [mine[r] / floor[r] for r in mine if floor.get(r)]
            if not mine or not ratios:
                cells.append("-"); continue
            median = statistics.median(mine.values())
            cells.append(f"{median / 1000:.1f}k ({statistics.median(ratios):.2f}, "
                         f"{min(ratios):.2f}-{max(ratios):.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
EOF
