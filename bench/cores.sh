#!/usr/bin/env bash
# Echo on every core (issue 18): one load client (bench/echo_load) drives,
# in the same run, interleaved cell by cell:
#
#   floor-2         bench/echo_floor PORT 2: plain epoll C, two threads, each
#                   its own SO_REUSEPORT listener (the reference)
#   cio-1           examples/echo_cores PORT 1: one loop
#   cio-2-reuseport examples/echo_cores PORT 2: two loops, SO_REUSEPORT
#   cio-2-handoff   examples/echo_cores PORT 2 handoff: loop 0 accepts and
#                   hands the connections to both loops in turn
#
# The machine has 2 cores and the client needs CPU too: nothing is pinned
# (echo_cores pins its loops to the CPUs it may use, the others float), so a
# 2-thread server competes with its own client. msgs/s alone then says
# little; beside it each cell reports the server's CPU per message, from
# its /proc/PID/stat utime+stime (all threads) before and after the cell
# (10 ms ticks: use cells of a second or more).
#
#   bench/cores.sh                    3 rounds of 1 s cells (~1 min)
#   CIO_BENCH_QUICK=1 bench/cores.sh  1 round of 0.5 s cells
#   ROUNDS=5 SECONDS_PER_CELL=2 SIZES="64" CONNS="50" bench/cores.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
source "$here/lib.sh"
if bench_quick; then
    rounds=${ROUNDS:-1}; seconds=${SECONDS_PER_CELL:-0.5}
else
    rounds=${ROUNDS:-3}; seconds=${SECONDS_PER_CELL:-1}
fi
sizes=(${SIZES:-64 16384})
conns=(${CONNS:-50 500})
python=/usr/bin/python3
work=$(mktemp -d /tmp/cio-cores-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

load=$build/bench/echo_load
for program in "$load" "$build/echo_cores" "$build/bench/echo_floor"; do
    [[ -x $program ]] || { echo "cores: $program missing: build first (make bench)"; exit 1; }
done
ulimit -n 4096 2>/dev/null || true

declare -A command pid port
names=()
add() { names+=("$1"); command[$1]=$2; }
add floor-2 "$build/bench/echo_floor PORT 2"
add cio-1 "$build/echo_cores PORT 1"
add cio-2-reuseport "$build/echo_cores PORT 2"
add cio-2-handoff "$build/echo_cores PORT 2 handoff"

wait_listening() { # port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

cpu_ticks() { # pid: utime + stime of every thread, in clock ticks
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

next_port=$((21000 + $$ % 10000)) # below the ephemeral range
up=()
for name in "${names[@]}"; do
    next_port=$((next_port + 1))
    ${command[$name]//PORT/$next_port} >/dev/null 2>&1 &
    pid[$name]=$! port[$name]=$next_port
    if ! wait_listening "$next_port"; then
        echo "($name did not start)"; kill "${pid[$name]}" 2>/dev/null; continue
    fi
    up+=("$name")
    "$load" "$next_port" 50 1024 0.2 >/dev/null 2>&1 # warm-up
done

printf 'cores: %s round(s) x %s s per cell, servers: %s; nothing pinned (2 CPUs shared with the client)\n' \
    "$rounds" "$seconds" "${up[*]}"
: >"$work/results"
: >"$work/others"
for round in $(seq "$rounds"); do
    echo "round $round $(bench_others_cpu 0.5)" >>"$work/others"
    order=("${up[@]:$(((round - 1) % ${#up[@]}))}" "${up[@]:0:$(((round - 1) % ${#up[@]}))}")
    for c in "${conns[@]}"; do
        for s in "${sizes[@]}"; do
            for name in "${order[@]}"; do
                before=$(cpu_ticks "${pid[$name]}")
                rate=$("$load" "${port[$name]}" "$c" "$s" "$seconds" 2>"$work/err") ||
                    { echo "  ($name, $c conns, $s B, round $round failed: $(tail -n 1 "$work/err"))"; continue; }
                after=$(cpu_ticks "${pid[$name]}")
                echo "$name $round $c $s $rate $((after - before))" >>"$work/results"
            done
        done
    done
done

"$python" - "$work/results" "$work/others" "$seconds" "$(getconf CLK_TCK)" "${up[@]}" <<'EOF'
import statistics, sys
from collections import defaultdict
path, others_path, seconds, tck, names = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
rate, cpu = defaultdict(dict), defaultdict(dict)  # (name, conns, size) -> {round: value}
for line in open(path):
    name, rnd, conns, size, value, ticks = line.split()
    key = (name, int(conns), int(size))
    rate[key][int(rnd)] = float(value)
    msgs = float(value) * seconds
    cpu[key][int(rnd)] = int(ticks) * 1e9 / tck / msgs if msgs else 0
sizes = sorted({k[2] for k in rate})
label = lambda s: f"{s // 1024} KiB" if s >= 1024 else f"{s} B"
med = lambda d: statistics.median(d.values()) if d else 0

for conns in sorted({k[1] for k in rate}):
    print(f"\n| {conns} conns: msgs/s (x floor-2), server CPU ns/msg | "
          + " | ".join(label(s) for s in sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    for name in names:
        cells = []
        for size in sizes:
            mine, ref = rate.get((name, conns, size), {}), rate.get(("floor-2", conns, size), {})
            r = [mine[k] / ref[k] for k in mine if ref.get(k)]
            x = f" (x{statistics.median(r):.2f})" if r else ""
            cells.append(f"{med(mine) / 1000:.1f}k{x}, {med(cpu.get((name, conns, size), {})):,.0f} ns")
        print(f"| {name} | " + " | ".join(cells) + " |")
rounds = len({r for v in rate.values() for r in v})
print(f"({rounds} interleaved round(s); CPU: the server process's utime+stime per message, "
      f"{1000 // tck} ms ticks)")
busy = [float(line.split()[2]) for line in open(others_path)]
print(f"others' CPU use before each round: {min(busy):.2f}-{max(busy):.2f} CPUs"
      + ("" if max(busy) < 0.10 else " -- NOT QUIET: figures suspect"))
EOF
