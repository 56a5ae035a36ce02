#!/usr/bin/env bash
# TCP echo benchmark: one load client (bench/echo_load: plain C, epoll, N
# connections, one message in flight on each) drives, in the same run:
#
#   floor       bench/echo_floor: plain epoll C that reads until EAGAIN
#               (read, write, read-EAGAIN: 3 syscalls a message)
#   best-epoll  bench/echo_best_epoll: the strongest plain epoll server,
#               edge-triggered, a short read means drained (2 syscalls a
#               message, as cio makes); the ceiling for a readiness loop
#   cio         examples/echo_server.c
#   cio-protocol  examples/echo_protocol.c (transports and protocols: callbacks)
#   libuv       bench/echo_uv
#   asyncio, uvloop   bench/echo_peer.py (streams: read, write, drain)
#   go          bench/echo_peer.go, net package, GOMAXPROCS=1
#
# Every server is started once, pinned to CPU 0, and stays up for the whole
# run; the client runs on CPU 1. Rounds are interleaved at the cell level:
# for each (connections, size) cell, every server is measured in turn, so the
# figures a ratio compares were taken seconds apart; the order rotates from
# round to round. Each cell reports the median msgs/s, and the median and
# min-max of the per-round ratios to the floor and to best-epoll (and, for
# cio-protocol, to the stream server cio: a table and a target line). Many short
# rounds: a round disturbed by other work on the machine moves one ratio,
# not the median. Before each round the driver sleeps half a second to see
# how busy the machine is without it (bench_others_cpu) and says so.
#
# A memory figure comes first: each server's peak RSS growth per connection
# while 50 connections echo 1 KiB messages (the warm-up), in bytes.
#
#   bench/echo.sh                   10 rounds of 0.3 s cells (~3.5 min)
#   CIO_BENCH_QUICK=1 bench/echo.sh 2 rounds of 0.1 s cells (a smoke test)
#   ROUNDS=5 SECONDS_PER_CELL=1 SIZES="64 102400" CONNS=50 bench/echo.sh
#   SERVERS="floor best-epoll cio" bench/echo.sh      only these servers
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
source "$here/lib.sh"
if bench_quick || [[ -n ${QUICK:-} ]]; then
    rounds=${ROUNDS:-2}; seconds=${SECONDS_PER_CELL:-0.1}
else
    rounds=${ROUNDS:-10}; seconds=${SECONDS_PER_CELL:-0.3}
fi
sizes=(${SIZES:-64 1024 16384 102400})
conns=(${CONNS:-1 50})
python=/usr/bin/python3
work=$(mktemp -d /tmp/cio-echo-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

load=$build/bench/echo_load
for program in "$load" "$build/echo_server" "$build/bench/echo_floor" "$build/bench/echo_best_epoll"; do
    [[ -x $program ]] || { echo "echo: $program missing: build first (make bench)"; exit 1; }
done

# name -> command (PORT is substituted); missing peers say what to install.
declare -A command pid port
names=()
add() { names+=("$1"); command[$1]=$2; }
add floor "$build/bench/echo_floor PORT"
add best-epoll "$build/bench/echo_best_epoll PORT"
add cio "$build/echo_server PORT"
[[ -x "$build/echo_protocol" ]] && add cio-protocol "$build/echo_protocol PORT"
if [[ -x "$build/bench/echo_uv" ]]; then add libuv "$build/bench/echo_uv PORT"
else echo "(libuv peer missing: apt install libuv1-dev, then rebuild)"; fi
if [[ -x $python ]]; then add asyncio "$python $here/echo_peer.py PORT"
else echo "(asyncio peer missing: apt install python3)"; fi
if [[ -x $python ]] && $python -c 'import uvloop' 2>/dev/null; then
    add uvloop "$python $here/echo_peer.py PORT --uvloop"
else echo "(uvloop peer missing: apt install python3-uvloop)"; fi
if command -v go >/dev/null && GOCACHE=/tmp/gocache go build -o "$work/echo_go" "$here/echo_peer.go" 2>/dev/null
then add go "env GOMAXPROCS=1 $work/echo_go PORT"
else echo "(Go peer missing: apt install golang-go)"; fi

if [[ -n ${SERVERS:-} ]]; then
    kept=()
    for name in "${names[@]}"; do [[ " $SERVERS " == *" $name "* ]] && kept+=("$name"); done
    names=("${kept[@]}")
fi

wait_listening() { # port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

status_kib() { # pid field
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Start every server; the warm-up (50 connections, 1 KiB) also gives the
# memory figure: peak RSS growth over the idle server, per connection.
next_port=$((20000 + $$ % 20000))
up=()
for name in "${names[@]}"; do
    next_port=$((next_port + 1))
    taskset -c 0 ${command[$name]//PORT/$next_port} >/dev/null 2>&1 &
    pid[$name]=$! port[$name]=$next_port
    if ! wait_listening "$next_port"; then
        echo "($name did not start)"; kill "${pid[$name]}" 2>/dev/null; continue
    fi
    up+=("$name")
    rss0=$(status_kib "${pid[$name]}" VmRSS)
    taskset -c 1 "$load" "$next_port" 50 1024 0.3 >/dev/null 2>&1
    echo "$name $(( ($(status_kib "${pid[$name]}" VmHWM) - rss0) * 1024 / 50 ))" >>"$work/memory"
done

printf 'echo: %s round(s) x %s s per cell, servers (all up, CPU 0): %s; client on CPU 1\n' \
    "$rounds" "$seconds" "${up[*]}"
: >"$work/results"
for round in $(seq "$rounds"); do
    echo "round $round $(bench_others_cpu 0.5)" >>"$work/others"
    # rotate the order, so no server always runs right after the same one
    order=("${up[@]:$(((round - 1) % ${#up[@]}))}" "${up[@]:0:$(((round - 1) % ${#up[@]}))}")
    for c in "${conns[@]}"; do
        for s in "${sizes[@]}"; do
            for name in "${order[@]}"; do
                rate=$(taskset -c 1 "$load" "${port[$name]}" "$c" "$s" "$seconds" 2>"$work/err") ||
                    { echo "  ($name, $c conns, $s B, round $round failed: $(tail -n 1 "$work/err"))"; continue; }
                echo "$name $round $c $s $rate" >>"$work/results"
            done
        done
    done
done

$python - "$work/results" "$work/memory" "$work/others" "${up[@]}" <<'EOF'
import statistics, sys
from collections import defaultdict
path, memory_path, others_path, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rate = defaultdict(dict)  # (name, conns, size) -> {round: msgs/s}
for line in open(path):
    name, rnd, conns, size, value = line.split()
    rate[(name, int(conns), int(size))][int(rnd)] = float(value)
sizes = sorted({k[2] for k in rate})
label = lambda s: f"{s // 1024} KiB" if s >= 1024 else f"{s} B"

def ratios(name, base, conns, size):
    mine, ref = rate.get((name, conns, size), {}), rate.get((base, conns, size), {})
    return [mine[r] / ref[r] for r in mine if ref.get(r)]

def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

def cells(name, conns, base):
    out = []
    for size in sizes:
        mine, r = rate.get((name, conns, size)), ratios(name, base, conns, size)
        if not mine or not r:
            out.append("-")
        elif base == "floor":
            out.append(f"{statistics.median(mine.values()) / 1000:.1f}k, {spread(r)}")
        else:
            out.append(spread(r))
    return out

for conns in sorted({k[1] for k in rate}):
    plural = "s" if conns > 1 else ""
    for base, what in (("floor", "msgs/s, x floor median (min-max)"),
                       ("best-epoll", "x best-epoll median (min-max)")):
        if base not in names:
            continue
        print(f"\n| {conns} conn{plural}: {what} | " + " | ".join(label(s) for s in sizes) + " |")
        print("|---" * (len(sizes) + 1) + "|")
        for name in names:
            print(f"| {name} | " + " | ".join(cells(name, conns, base)) + " |")

# The protocol server (callbacks) against the stream server (tasks): the
# same loop and write path, so the ratio is what the transport layer costs.
if "cio-protocol" in names and "cio" in names:
    for conns in sorted({k[1] for k in rate}):
        plural = "s" if conns > 1 else ""
        print(f"\n| {conns} conn{plural}: x cio (stream server) median (min-max) | "
              + " | ".join(label(s) for s in sizes) + " |")
        print("|---" * (len(sizes) + 1) + "|")
        print("| cio-protocol | " + " | ".join(cells("cio-protocol", conns, "cio")) + " |")

rounds = len({r for v in rate.values() for r in v})
print(f"({rounds} interleaved round(s); x = that server's msgs/s / the reference's, same round)")

print("\nPeak RSS growth per connection, 50 connections echoing 1 KiB (bytes/connection)")
print("| server | bytes/connection |\n|---|---|")
for line in open(memory_path):
    name, per_conn = line.split()
    print(f"| {name} | {int(per_conn):,} |")

busy = [float(line.split()[2]) for line in open(others_path)]
quiet = max(busy) < 0.10
print(f"\nothers' CPU use before each round: {min(busy):.2f}-{max(busy):.2f} CPUs"
      + ("" if quiet else " -- NOT QUIET: ranges are wide and figures suspect"))

def judge(text, base, ok, who="cio"):
    """A target line: who's median ratio to base in every cell must pass ok."""
    if base not in names or who not in names:
        return
    medians = [(f"{conns} conn, {label(size)}", statistics.median(r))
               for conns in sorted({k[1] for k in rate}) for size in sizes
               for r in [ratios(who, base, conns, size)] if r]
    if medians:
        worst = min(medians, key=lambda c: c[1])
        print(f"target: {text}: {'met' if all(ok(m) for _, m in medians) else 'MISSED'}"
              f" (lowest cell: {worst[1]:.2f}x, {worst[0]})")

judge(">= 0.95x the floor in every cell", "floor", lambda m: m >= 0.95)
judge(">= 0.95x best-epoll in every cell (the stronger reference)", "best-epoll",
      lambda m: m >= 0.95)
judge("faster than uvloop in every cell", "uvloop", lambda m: m > 1)
judge("faster than Go in every cell", "go", lambda m: m > 1)
judge("cio-protocol >= 0.95x the stream server (cio) in every cell", "cio",
      lambda m: m >= 0.95, "cio-protocol")
judge("cio-protocol >= 0.95x the floor in every cell", "floor", lambda m: m >= 0.95,
      "cio-protocol")
EOF
