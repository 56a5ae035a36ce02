#!/usr/bin/env bash
# What the stall detector costs (issue 16: under 2% on ping-pong and echo).
# The same programs run with the watchdog off and on (CIO_WATCHDOG_MS=100,
# read by cio_run), interleaved round by round with the order alternating:
#
#   yield   bench/core_yield: two tasks yielding to each other, CPU ns per
#           switch, pinned to CPU 0; ratio on / off (above 1: slower on)
#   echo    examples/echo_server twice, off and on, both up for the whole
#           run on CPU 0; bench/echo_load on CPU 1, CONNS connections of
#           SIZE bytes; ratio off / on in msgs/s (above 1: slower on)
#
# The median of the per-round ratios is the figure, with its min-max. The
# loop's side of the watchdog (a beat count and an idle flag stored around
# each poll) is paid with or without one, so this measures the watchdog
# thread (a wake-up every 25 ms) and anything that would have crept onto
# the hot path.
#
#   bench/watchdog.sh                    7 rounds (~30 s)
#   CIO_BENCH_QUICK=1 bench/watchdog.sh  2 rounds, shorter cells
#   ROUNDS=9 YIELDS=2000000 CONNS=50 SIZE=64 SECONDS_PER_CELL=1 bench/watchdog.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
source "$here/lib.sh"
if bench_quick; then
    rounds=${ROUNDS:-2} seconds=${SECONDS_PER_CELL:-0.3} yields=${YIELDS:-300000}
else
    rounds=${ROUNDS:-7} seconds=${SECONDS_PER_CELL:-1} yields=${YIELDS:-1000000}
fi
conns=${CONNS:-50} size=${SIZE:-64} watchdog_ms=${WATCHDOG_MS:-100}
python=/usr/bin/python3
work=$(mktemp -d /tmp/cio-watchdog-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

yield=$build/bench/core_yield load=$build/bench/echo_load server=$build/echo_server
for program in "$yield" "$load" "$server"; do
    [[ -x $program ]] || { echo "watchdog: $program missing: build first (make bench)"; exit 1; }
done

# with MODE COMMAND...: become COMMAND with the watchdog off or on (exec: call
# it in a subshell, a pipeline or with &, so $! is the program's pid)
with() {
    local mode=$1
    shift
    if [[ $mode == on ]]; then CIO_WATCHDOG_MS=$watchdog_ms exec "$@"; else exec env -u CIO_WATCHDOG_MS "$@"; fi
}

wait_listening() { # port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

declare -A port pid
base=$((20000 + $$ % 20000))
for mode in off on; do
    base=$((base + 1))
    with "$mode" taskset -c 0 "$server" "$base" >/dev/null 2>"$work/server-$mode.err" &
    port[$mode]=$base pid[$mode]=$!
    wait_listening "$base" || { echo "watchdog: echo_server ($mode) did not start"; exit 1; }
done
# Sanity: the watchdog is a thread of its own, so only the "on" server has one more.
threads() { ls "/proc/$1/task" | wc -l; }
(($(threads "${pid[on]}") == $(threads "${pid[off]}") + 1)) ||
    { echo "watchdog: CIO_WATCHDOG_MS did not start a watchdog in echo_server"; exit 1; }
taskset -c 1 "$load" "${port[off]}" "$conns" "$size" 0.3 >/dev/null 2>&1 # warm-up
taskset -c 1 "$load" "${port[on]}" "$conns" "$size" 0.3 >/dev/null 2>&1

printf 'watchdog: %s round(s); yield: %s yields a task; echo: %s conns x %s B, %s s a cell; CIO_WATCHDOG_MS=%s\n' \
    "$rounds" "$yields" "$conns" "$size" "$seconds" "$watchdog_ms"
: >"$work/results"
for round in $(seq "$rounds"); do
    echo "round $round: others used $(bench_others_cpu 0.3) CPUs"
    order=(off on)
    ((round % 2 == 0)) && order=(on off)
    for mode in "${order[@]}"; do
        # CPU time (the process's: the watchdog thread's included), which
        # leaves out the time spent waiting for a CPU on a shared machine
        ns=$(with "$mode" taskset -c 0 "$yield" "$yields" 2>>"$work/err" |
            awk '$1 == "RESULT" && $4 == "cpu_ns_per_switch" { print $5 }')
        [[ -n $ns ]] && echo "yield $mode $round $ns" >>"$work/results"
        rate=$(taskset -c 1 "$load" "${port[$mode]}" "$conns" "$size" "$seconds" 2>>"$work/err") &&
            echo "echo $mode $round $rate" >>"$work/results"
    done
done
if [[ -s $work/server-on.err ]] && grep -q "watchdog" "$work/server-on.err"; then
    echo "(the watchdog reported stalls in echo_server:)"; head -n 5 "$work/server-on.err"
fi

$python - "$work/results" <<'EOF'
import statistics, sys
from collections import defaultdict
value = defaultdict(dict)  # (bench, mode) -> {round: figure}
for line in open(sys.argv[1]):
    bench, mode, rnd, figure = line.split()
    value[(bench, mode)][int(rnd)] = float(figure)
def ratios(bench, slower_when_bigger):
    on, off = value[(bench, "on")], value[(bench, "off")]
    rounds = sorted(set(on) & set(off))
    return [on[r] / off[r] if slower_when_bigger else off[r] / on[r] for r in rounds]
for bench, unit, bigger_is_slower in (("yield", "CPU ns/switch", True), ("echo", "msgs/s", False)):
    r = ratios(bench, bigger_is_slower)
    if not r:
        print(f"{bench}: no figures"); continue
    off = statistics.median(value[(bench, "off")].values())
    on = statistics.median(value[(bench, "on")].values())
    m = statistics.median(r)
    print(f"{bench}: off {off:,.1f} {unit}, on {on:,.1f} {unit}; cost with the watchdog on "
          f"{(m - 1) * 100:+.1f}% (median of {len(r)} rounds, {(min(r) - 1) * 100:+.1f}% .. {(max(r) - 1) * 100:+.1f}%)")
    print(f"target: watchdog on costs < 2%, {bench}: {'met' if m < 1.02 else 'MISSED'} ({(m - 1) * 100:+.1f}%)")
EOF
