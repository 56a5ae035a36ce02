#!/usr/bin/env bash
# bench/core.sh - the core-runtime benchmarks: cio against asyncio, uvloop,
# Go, Tokio (current-thread runtime, bench/tokio) and libuv, measured in the
# same run.
#
#   yield     two tasks yielding to each other        ns per switch
#   spawn     spawn + run + join short tasks          ns per task
#   sleepers  100k (and 1M) tasks parked in a sleep   KiB of RSS per task
#   timers    1M timers, half cancelled, rest fired   ns per start/stop/fire
#
# Every program runs single-threaded and pinned to one CPU (taskset -c
# $CORE_CPU); Go runs with GOMAXPROCS=1. Rounds are interleaved (round 1 runs
# every implementation once, then round 2...), and each table gives per
# implementation the median figure, and the median (min-max) of the per-round
# ratios peer / cio: above 1, cio is that many times faster (or smaller).
#
# Environment (defaults in brackets):
#   CIO_BENCH_BUILD   build dir holding bench/core_* [build]
#   CORE_CPU          CPU to pin to [1]
#   CORE_ROUNDS       rounds [3]
#   CIO_BENCH_QUICK   set: a smoke run, 1 round and every count / 10
#   CORE_SLEEPERS     rounds that run 100k sleepers [1]: RSS per task is the
#                     same every round (spread < 2% over 3 rounds) and each
#                     run faults in ~0.5 GiB, which is slow on the shared VMs
#   CORE_SLEEPERS_1M  rounds that also run 1M sleepers [0]. Off by default:
#                     it faults in ~5 GiB (Go, cio) and takes ~4 minutes on
#                     the shared VMs, whose page faults cost ~40 us each
#                     (~15 s on bare metal). The 100k run says the same per
#                     task; use this to check nothing changes at scale.
#   CORE_ONLY         run only these benchmarks, e.g. "yield spawn" [all four]
#   CORE_LOG          keep every program's own output (sanity lines,
#                     breakdowns) in this file [not kept]
# Counts: the C and Go programs do 1M operations; the Python ones fewer (they
# are ~50x slower; figures are per operation), see the *_PY variables below.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
bin=$build/bench
cpu=${CORE_CPU:-1}
rounds=${CORE_ROUNDS:-3}
sleeper_rounds=${CORE_SLEEPERS:-1}
big_rounds=${CORE_SLEEPERS_1M:-0}
only=${CORE_ONLY:-yield spawn sleepers timers}
python=/usr/bin/python3

YIELD_C=1000000   # yields per task: 2M switches
YIELD_PY=100000
SPAWN_C=1000000
SPAWN_PY=200000
SPAWN_BATCH=1000
TIMERS_C=1000000
TIMERS_PY=100000  # asyncio needs ~12 us per fired timer, two passes of 1M take a minute
SLEEPERS=100000
source "$here/lib.sh"
if bench_quick; then
    rounds=${CORE_ROUNDS:-1}
    YIELD_C=$((YIELD_C / 10)) YIELD_PY=$((YIELD_PY / 10)) SPAWN_C=$((SPAWN_C / 10))
    SPAWN_PY=$((SPAWN_PY / 10)) TIMERS_C=$((TIMERS_C / 10)) TIMERS_PY=$((TIMERS_PY / 10))
    SLEEPERS=$((SLEEPERS / 10))
fi

work=$(mktemp -d /tmp/cio-core-bench.XXXXXX)
trap '[[ -n ${CORE_LOG:-} ]] && cp "$log" "$CORE_LOG"; rm -rf "$work"' EXIT
results=$work/results # lines: round bench impl metric value
log=$work/log

for program in core_yield core_spawn core_sleepers core_timers; do
    [[ -x $bin/$program ]] || { echo "core.sh: $bin/$program missing: build first (make bench)"; exit 1; }
done

# ---- which peers are here ------------------------------------------------------------

name=core
bench_find_peers core_peer.go
bench_find_tokio
have_libuv=0
if [[ -x $bin/core_timers_uv ]]; then have_libuv=1; else echo "core.sh: core_timers_uv not built: apt install libuv1-dev, then rebuild"; fi

# ---- running one measurement ------------------------------------------------------------

py=("$python" "$here/core_peer.py")
go_peer=(env GOMAXPROCS=1 "$work/core_peer_go")

bench_yield() {
    bench_run "$1" "cio yield" "$bin/core_yield" $YIELD_C
    bench_run "$1" "cio-compact yield" "$bin/core_yield" $YIELD_C 1
    bench_run "$1" "cio-compact-1stack yield" "$bin/core_yield" $YIELD_C 2
    ((have_go)) && bench_run "$1" "go yield" "${go_peer[@]}" yield $YIELD_C
    ((have_tokio)) && bench_run "$1" "tokio yield" "$tokio_peer" yield $YIELD_C
    ((have_asyncio)) && bench_run "$1" "asyncio yield" "${py[@]}" asyncio yield $YIELD_PY
    ((have_uvloop)) && bench_run "$1" "uvloop yield" "${py[@]}" uvloop yield $YIELD_PY
}

# cio-notrim: a diagnostic row. glibc gives the freed task structs of each
# batch back to the kernel (heap trimming) and the next batch faults them in
# again; this row runs cio with trimming off to show what that costs.
bench_spawn() {
    bench_run "$1" "cio spawn" "$bin/core_spawn" $SPAWN_C $SPAWN_BATCH
    as=cio-notrim bench_run "$1" "cio spawn, no malloc trim" \
        env GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295 "$bin/core_spawn" $SPAWN_C $SPAWN_BATCH
    ((have_go)) && bench_run "$1" "go spawn" "${go_peer[@]}" spawn $SPAWN_C $SPAWN_BATCH
    ((have_tokio)) && bench_run "$1" "tokio spawn" "$tokio_peer" spawn $SPAWN_C $SPAWN_BATCH
    ((have_asyncio)) && bench_run "$1" "asyncio spawn" "${py[@]}" asyncio spawn $SPAWN_PY $SPAWN_BATCH
    ((have_uvloop)) && bench_run "$1" "uvloop spawn" "${py[@]}" uvloop spawn $SPAWN_PY $SPAWN_BATCH
}

# Sleepers exit as soon as they have measured (no cleanup: unmapping or
# cancelling a million of anything only costs time).
sleepers() {
    local round=$1 count=$2
    bench_run "$round" "cio sleepers $count" "$bin/core_sleepers" "$count" 0
    bench_run "$round" "cio-compact sleepers $count" "$bin/core_sleepers" "$count" 0 1
    ((have_go)) && bench_run "$round" "go sleepers $count" "${go_peer[@]}" sleepers "$count"
    ((have_tokio)) && bench_run "$round" "tokio sleepers $count" "$tokio_peer" sleepers "$count"
    ((have_asyncio)) && bench_run "$round" "asyncio sleepers $count" "${py[@]}" asyncio sleepers "$count"
    ((have_uvloop)) && bench_run "$round" "uvloop sleepers $count" "${py[@]}" uvloop sleepers "$count"
}

bench_sleepers() {
    (($1 <= sleeper_rounds)) && sleepers "$1" $SLEEPERS
    if (($1 <= big_rounds)); then
        sleepers "$1" 1000000
    elif (($1 == 1)); then
        echo "  (1M sleepers skipped: CORE_SLEEPERS_1M=1 runs them once, ~4 min on the shared VMs)"
    fi
}

bench_timers() {
    bench_run "$1" "cio timers" "$bin/core_timers" $TIMERS_C
    ((have_libuv)) && bench_run "$1" "libuv timers" "$bin/core_timers_uv" $TIMERS_C
    ((have_asyncio)) && bench_run "$1" "asyncio timers" "${py[@]}" asyncio timers $TIMERS_PY
    ((have_uvloop)) && bench_run "$1" "uvloop timers" "${py[@]}" uvloop timers $TIMERS_PY
}

: >"$results"
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
    echo "round $round/$rounds (pinned to CPU $cpu)"
    for bench in $only; do "bench_$bench" "$round"; done
done

# ---- tables ------------------------------------------------------------------------------

table_python=$(command -v python3 || echo "$python")
"$table_python" - "$here" "$results" "$YIELD_C" "$YIELD_PY" "$SPAWN_C" "$SPAWN_PY" "$TIMERS_C" "$TIMERS_PY" <<'EOF'
import statistics, sys

sys.path.insert(0, sys.argv[1])
from tables import load, verdict
import tables

value = load(sys.argv[2])
yield_c, yield_py, spawn_c, spawn_py, timers_c, timers_py = (int(n) for n in sys.argv[3:])
ORDER = ["cio", "cio-compact", "cio-compact-1stack", "cio-notrim", "go", "tokio", "libuv", "asyncio", "uvloop"]
UNITS = {"ns_per_switch": "ns/switch", "ns_per_task": "ns/task", "rss_bytes_per_task": "bytes/task",
         "pte_bytes_per_task": "bytes/task", "start_ns": "ns/start", "stop_ns": "ns/stop",
         "fire_cpu_ns": "CPU ns/fire", "rss_bytes_per_timer": "bytes/timer",
         "ns_per_spawn_to_park": "ns/task",
         "cpu_ns_per_switch": "CPU ns/switch", "cpu_ns_per_task": "CPU ns/task",
         "start_warm_ns": "ns/start", "stop_warm_ns": "ns/stop", "fire_warm_cpu_ns": "CPU ns/fire"}
NOTES = {"yield": f"per switch; counts differ: C and Go {yield_c:,} yields per task, Python {yield_py:,}",
         "spawn": f"per task; counts differ: C and Go {spawn_c:,} tasks, Python {spawn_py:,}",
         "timers": f"per timer; counts differ: cio and libuv {timers_c:,} timers, Python {timers_py:,}"}

def table(bench, metric, title):
    return tables.table(value, bench, metric, title, UNITS.get(metric, metric), ORDER,
                        NOTES.get(bench, "per task; the same count for all"))

for metric, title in (("ns_per_switch", "wall time"), ("cpu_ns_per_switch", "process CPU time")):
    r = table("yield", metric, f"yield ping-pong, two tasks, {title}")
    if r and metric == "ns_per_switch":  # the targets are judged on wall time
        if "asyncio" in r: verdict("yield ping-pong >= 50x asyncio", r["asyncio"] >= 50, f" ({r['asyncio']:.2f}x)")
        if "go" in r: verdict("yield ping-pong faster than Go", r["go"] > 1, f" ({r['go']:.2f}x)")
        if "cio-compact" in r: verdict("compact tasks' yield ping-pong within 2x of normal tasks' (issue 18)",
                                       r["cio-compact"] <= 2, f" ({r['cio-compact']:.2f}x)")
        if "cio-compact-1stack" in r: verdict("the same, both on one shared stack (every switch copies)",
                                              r["cio-compact-1stack"] <= 2, f" ({r['cio-compact-1stack']:.2f}x)")
for metric, title in (("ns_per_task", "wall time"), ("cpu_ns_per_task", "process CPU time")):
    r = table("spawn", metric, f"spawn + run + join, batches of 1000, {title}")
    if r and metric == "ns_per_task":
        if "asyncio" in r: verdict("spawn + run + join >= 20x asyncio", r["asyncio"] >= 20, f" ({r['asyncio']:.2f}x)")
        if "go" in r: verdict("spawn + run + join faster than Go", r["go"] > 1, f" ({r['go']:.2f}x)")
        if "tokio" in r: verdict("spawn + run + join >= 2x Tokio (issue 18)", r["tokio"] >= 2, f" ({r['tokio']:.2f}x)")
for count in sorted({b.split("_")[1] for (b, _, _, _) in value if b.startswith("sleepers_")}, key=int):
    bench = f"sleepers_{count}"
    if table(bench, "rss_bytes_per_task", f"{int(count):,} sleeping tasks, RSS growth per task") is not None:
        cio = [v for (b, m, i, _), v in value.items() if (b, m, i) == (bench, "rss_bytes_per_task", "cio")]
        if cio: verdict(f"{int(count):,} sleeping tasks < 8 KiB (8,192 bytes) each, default stacks",
                        statistics.median(cio) < 8192, f" ({statistics.median(cio):,.0f} bytes)")
        compact = [v for (b, m, i, _), v in value.items() if (b, m, i) == (bench, "rss_bytes_per_task", "cio-compact")]
        if compact: verdict(f"{int(count):,} sleeping compact tasks < 1 KiB (1,024 bytes) each, RSS (issue 18)",
                            statistics.median(compact) < 1024, f" ({statistics.median(compact):,.0f} bytes)")
        table(bench, "pte_bytes_per_task", f"{int(count):,} sleeping tasks, page tables per task (not in RSS)")
TIMER_TABLES = (("start_ns", "start"), ("stop_ns", "cancel/stop"), ("fire_cpu_ns", "fire (CPU time)"),
                ("start_warm_ns", "start, second pass"), ("stop_warm_ns", "cancel/stop, second pass"),
                ("fire_warm_cpu_ns", "fire (CPU time), second pass"),
                ("rss_bytes_per_timer", "peak RSS growth over the first pass, per timer started"))
for metric, title in TIMER_TABLES:
    r = table("timers", metric, f"timers, half stopped, the rest fired: {title}")
    if r and "libuv" in r and metric != "rss_bytes_per_timer":
        verdict(f"timers >= 1x libuv ({title})", r["libuv"] >= 1, f" ({r['libuv']:.2f}x)")
EOF
echo
echo "core.sh: $(($(date +%s) - started)) s; sanity checks passed for every figure above" \
     "(a failed check drops its figure and is reported in the round)"
