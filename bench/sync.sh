#!/usr/bin/env bash
# bench/sync.sh - the sync benchmarks: cio against asyncio, uvloop and Go,
# measured in the same run.
#
#   lock   uncontended lock acquire + release              ns per pair
#          (asyncio/uvloop: `async with asyncio.Lock()`; Go: sync.Mutex)
#   queue  two tasks ping-pong a counter through two        ns per round trip
#          queues (asyncio.Queue; Go: two unbuffered channels)
#
# Every program runs single-threaded and pinned to one CPU (taskset -c
# $SYNC_CPU); Go runs with GOMAXPROCS=1. Rounds are interleaved (round 1 runs
# every implementation once, then round 2...). Each table gives, per
# implementation, the median figure and the median (min-max) of the per-round
# ratios peer / cio: above 1, cio is that many times faster. Figures come as
# wall time and as process CPU time; on a loaded machine the CPU one is the
# steadier. The targets (issue 5) are judged on wall time.
#
# Environment (defaults in brackets):
#   CIO_BENCH_BUILD   build dir holding bench/sync [build]
#   SYNC_CPU          CPU to pin to [1]
#   SYNC_ROUNDS       rounds [5]
# Counts: C and Go do 20M lock pairs and 300k (Go 1M) round trips; Python
# does fewer (it is ~50x slower; figures are per operation), see below.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
bin=$build/bench
cpu=${SYNC_CPU:-1}
rounds=${SYNC_ROUNDS:-5}
python=/usr/bin/python3

LOCK_C=20000000
LOCK_PY=500000
QUEUE_C=300000
QUEUE_GO=1000000
QUEUE_PY=30000

work=$(mktemp -d /tmp/cio-sync-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results=$work/results # lines: round bench impl metric value
log=$work/log

[[ -x $bin/sync ]] || { echo "sync.sh: $bin/sync missing: build first (make bench)"; exit 1; }

# ---- which peers are here ------------------------------------------------------------

have_asyncio=0 have_uvloop=0 have_go=0
if [[ -x $python ]]; then
    have_asyncio=1
    "$python" -c 'import uvloop' 2>/dev/null && have_uvloop=1 ||
        echo "sync.sh: uvloop missing: apt install python3-uvloop"
else
    echo "sync.sh: $python missing: apt install python3 python3-uvloop"
fi
if command -v go >/dev/null; then
    if GOCACHE=/tmp/gocache go build -o "$work/sync_peer_go" "$here/sync_peer.go" 2>"$log"; then
        have_go=1
    else
        echo "sync.sh: building sync_peer.go failed:"; cat "$log"
    fi
else
    echo "sync.sh: go missing: apt install golang-go"
fi

# run ROUND LABEL COMMAND...: run pinned, keep its RESULT lines, say so if it failed.
run() {
    local round=$1 label=$2
    shift 2
    if taskset -c "$cpu" "$@" >"$work/out" 2>"$work/err"; then
        grep '^RESULT ' "$work/out" | while read -r _ bench impl metric value; do
            echo "$round $bench $impl $metric $value"
        done >>"$results"
    else
        echo "  ($label failed: $(tail -n 2 "$work/err" | tr '\n' ' '))"
    fi
    cat "$work/out" "$work/err" >>"$log"
}

py=("$python" "$here/sync_peer.py")
go_peer=(env GOMAXPROCS=1 "$work/sync_peer_go")

: >"$results"
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
    echo "round $round/$rounds (pinned to CPU $cpu)"
    run "$round" "cio lock" "$bin/sync" lock $LOCK_C
    run "$round" "cio queue" "$bin/sync" queue $QUEUE_C
    if ((have_go)); then
        run "$round" "go lock" "${go_peer[@]}" lock $LOCK_C
        run "$round" "go queue" "${go_peer[@]}" queue $QUEUE_GO
    fi
    for impl in asyncio uvloop; do
        [[ $impl == asyncio ]] && ((!have_asyncio)) && continue
        [[ $impl == uvloop ]] && ((!have_uvloop)) && continue
        run "$round" "$impl lock" "${py[@]}" $impl lock $LOCK_PY
        run "$round" "$impl queue" "${py[@]}" $impl queue $QUEUE_PY
    done
done

# ---- tables ------------------------------------------------------------------------------

"$python" - "$results" <<'EOF'
import statistics, sys

value = {}                                  # (bench, metric, impl, round) -> figure
for line in open(sys.argv[1]):
    rnd, bench, impl, metric, figure = line.split()
    value[(bench, metric, impl, int(rnd))] = float(figure)

ORDER = ["cio", "go", "asyncio", "uvloop"]

def table(bench, metric, title):
    impls = sorted({k[2] for k in value if k[:2] == (bench, metric)},
                   key=lambda i: ORDER.index(i) if i in ORDER else 99)
    if not impls:
        return {}
    print(f"\n{title}")
    print("| implementation | ns (median) | x = peer / cio, median (min-max) |")
    print("|---|---|---|")
    medians = {}
    for impl in impls:
        rounds = sorted(r for (b, m, i, r) in value if (b, m, i) == (bench, metric, impl))
        figures = [value[(bench, metric, impl, r)] for r in rounds]
        ratios = [value[(bench, metric, impl, r)] / value[(bench, metric, "cio", r)]
                  for r in rounds if value.get((bench, metric, "cio", r))]
        text = (f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                if ratios else "n/a (no cio figure)")
        print(f"| {impl} | {statistics.median(figures):,.1f} | {text} |")
        if ratios:
            medians[impl] = statistics.median(ratios)
    print(f"({len(rounds)} round(s))")
    return medians

def verdict(text, ok):
    print(f"target: {text}: {'met' if ok else 'MISSED'}")

r = table("sync_lock", "ns_per_op", "uncontended lock acquire + release, wall ns per pair")
if "asyncio" in r: verdict(">= 30x asyncio", r["asyncio"] >= 30)
table("sync_lock", "cpu_ns_per_op", "uncontended lock acquire + release, CPU ns per pair")
r = table("sync_queue", "ns_per_roundtrip", "queue ping-pong between two tasks, wall ns per round trip")
if "asyncio" in r: verdict(">= 30x asyncio", r["asyncio"] >= 30)
if "go" in r: verdict(">= 1x Go unbuffered channel round trip", r["go"] >= 1)
table("sync_queue", "cpu_ns_per_roundtrip", "queue ping-pong between two tasks, CPU ns per round trip")
EOF
echo
echo "sync.sh: $(($(date +%s) - started)) s; Python ran $LOCK_PY lock pairs and $QUEUE_PY round trips," \
     "C $LOCK_C and $QUEUE_C, Go $LOCK_C and $QUEUE_GO; sanity checks passed for every figure above"
