#!/usr/bin/env bash
# bench/compose.sh - fan-out: gather over N tasks and a task group of N
# children, cio against asyncio.gather / asyncio.TaskGroup (and uvloop) in
# the same run. Rounds are interleaved (every implementation once per round);
# each figure is ns per task (the median rep of one process); ratios are the
# median of the per-round ratios, with their min-max. Everything is pinned to
# one CPU (single-threaded on both sides).
#
#   CIO_BENCH_BUILD=build bash bench/compose.sh
# Env: ROUNDS (5), N (10000); CIO_BENCH_QUICK=1: 1 round, 3 reps a case.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
build=${CIO_BENCH_BUILD:-$here/../build}
prog=$build/bench/compose
peer=$here/compose_peer.py
python=/usr/bin/python3
rounds=${ROUNDS:-5}
reps=21
bench_quick && rounds=${ROUNDS:-1} reps=3
n=${N:-10000}
cpu="taskset -c 0"

[[ -x $prog ]] || { echo "build bench/compose first (cmake --build $build)"; exit 1; }
peers=(asyncio)
if $python -c 'import uvloop' 2>/dev/null; then peers+=(uvloop); else
    echo "(uvloop not found: apt install python3-uvloop; measuring asyncio only)"; fi
if ! $python -c 'import asyncio; asyncio.TaskGroup' 2>/dev/null; then
    echo "(asyncio.TaskGroup needs Python 3.11+)"; exit 1; fi

# case: label | mode | tasks | reps | extra
cases=("gather $n tasks|gather|$n|$reps|"
       "TaskGroup, $n children|group|$n|$reps|"
       "gather 1000 tasks that yield once|gather|1000|$reps|yield"
       "gather $n tasks that yield once|gather|$n|1|yield")

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= rounds; round++)); do
    for c in "${cases[@]}"; do
        IFS='|' read -r label mode tasks reps extra <<<"$c"
        printf '%s|cio|%s|%s\n' "$label" "$round" "$($cpu "$prog" "$mode" "$tasks" "$reps" $extra)" >>"$results"
        for p in "${peers[@]}"; do
            printf '%s|%s|%s|%s\n' "$label" "$p" "$round" \
                "$($cpu $python "$peer" "$p" "$mode" "$tasks" "$reps" $extra)" >>"$results"
        done
    done
done

$python - "$results" "${peers[@]}" <<'EOF'
import collections, statistics, sys
path, peers = sys.argv[1], sys.argv[2:]
figures = collections.defaultdict(dict)  # (label, impl) -> {round: ns}
labels = []
for line in open(path):
    label, impl, rnd, ns = line.rstrip("\n").split("|")
    figures[(label, impl)][int(rnd)] = float(ns)
    if label not in labels:
        labels.append(label)
head = "| case | cio ns/task | " + " | ".join(f"{p} ns/task | {p}/cio" for p in peers) + " |"
print(head)
print("|" + "---|" * (2 + 2 * len(peers)))
for label in labels:
    cio = figures[(label, "cio")]
    row = [label, f"{statistics.median(cio.values()):,.0f}"]
    for p in peers:
        peer = figures[(label, p)]
        ratios = [peer[r] / cio[r] for r in cio if r in peer]
        row.append(f"{statistics.median(peer.values()):,.0f}")
        row.append(f"{statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f})")
    print("| " + " | ".join(row) + " |")
print(f"({len({r for v in figures.values() for r in v})} interleaved round(s); ns per task; "
      "x = peer / cio: median (min-max) of the per-round ratios)")

for label in labels[:2]:  # the issue's target: gather / TaskGroup of 10k
    cio, peer = figures[(label, "cio")], figures.get((label, "asyncio"), {})
    ratios = [peer[r] / cio[r] for r in cio if r in peer]
    if ratios:
        m = statistics.median(ratios)
        print(f"target: >= 20x asyncio, {label}: {'met' if m >= 20 else 'MISSED'} ({m:.1f}x)")
EOF
