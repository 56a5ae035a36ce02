#!/usr/bin/env bash
# bench/cross.sh - work crossing between loops on two threads (issue 18):
# cio against Go in the same run, interleaved rounds.
#
#   submit    cio_loop_submit of an empty function to the other loop, awaited
#   channel   a value sent to the other loop over a cio_channel and back;
#             Go: two goroutines, two unbuffered channels, GOMAXPROCS=2;
#             Tokio: two tasks on a 2-worker multi-thread runtime, two mpsc
#             channels of capacity 1 (its scheduler may keep both tasks on
#             one worker: a wake from a worker goes to that worker's LIFO slot)
#
# Neither program is pinned: each needs both CPUs (one per loop or P). The
# figure that matters on a VM is the wake-up of a sleeping thread, which both
# pay (cio through the target loop's eventfd, Go through its scheduler, which
# spins a while before it parks a thread, so Go often avoids it).
#
# Environment: CIO_BENCH_BUILD [build], CROSS_ROUNDS [3; 1 with CIO_BENCH_QUICK].
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
bin=$build/bench
cpu=0-1
python=/usr/bin/python3
source "$here/lib.sh"
rounds=${CROSS_ROUNDS:-3}
N=200000
if bench_quick; then rounds=${CROSS_ROUNDS:-1}; N=$((N / 10)); fi

work=$(mktemp -d /tmp/cio-cross-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results=$work/results
log=$work/log
[[ -x $bin/cross ]] || { echo "cross.sh: $bin/cross missing: build first (make bench)"; exit 1; }
name=cross
bench_find_peers cross_peer.go
go_peer=(env GOMAXPROCS=2 "$work/cross_peer_go")
bench_find_tokio

: >"$results"
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
    echo "round $round/$rounds (CPUs $cpu)"
    bench_run "$round" "cio submit" "$bin/cross" submit $N
    bench_run "$round" "cio channel" "$bin/cross" channel $N
    ((have_go)) && bench_run "$round" "go channel" "${go_peer[@]}" channel $N
    ((have_tokio)) && bench_run "$round" "tokio channel" "$tokio_peer" cross $N
done

"$python" - "$here" "$results" "$N" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from tables import load
import tables
value = load(sys.argv[2])
note = f"per round trip, {int(sys.argv[3]):,} for each"
for metric, title in (("ns_per_roundtrip", "wall time"), ("cpu_ns_per_roundtrip", "CPU time (both threads)")):
    tables.table(value, "cross_submit", metric, f"cio_loop_submit round trip between two loops, {title}",
                 "ns", ["cio"], note)
    r = tables.table(value, "cross_channel", metric, f"channel ping-pong between two loops / goroutines, {title}",
                     "ns", ["cio", "go", "tokio"], note)
    if r and "go" in r and metric == "ns_per_roundtrip":
        print(f"(not a target yet) cio channel round trip vs Go's: {r['go']:.2f}x")
    if r and "tokio" in r and metric == "ns_per_roundtrip":
        print(f"(not a target yet) cio channel round trip vs Tokio's: {r['tokio']:.2f}x")
PY
echo
echo "cross.sh: $(($(date +%s) - started)) s"
