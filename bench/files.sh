#!/usr/bin/env bash
# bench/files.sh - reading 1,000 files of 64 KiB and one big file, in the same
# run: plain blocking read(2), cio on io_uring, cio on its thread pool, and
# Python asyncio with to_thread per operation (aiofiles' way); then whole
# files: cio_read_file against open + fstat + malloc + read.
#
# Reads are from the page cache (the files are written first and read once
# before timing): this measures the cost of each way of doing file I/O, not
# the disk. Small files: 64 in flight (blocking: one after another); big
# file: 1 MiB preads, 4 in flight. Each program makes a first pass, then
# FILES_PASSES timed ones and reports their median (the steady state) and
# the first pass. Rounds are interleaved; the tables give each way's median
# time and the median (min-max) of per-round speed-ups of cio's io_uring path
# against each.
#
# Environment: CIO_BENCH_BUILD [build], FILES_ROUNDS [3], FILES_PASSES [3],
# CIO_BENCH_QUICK (set: 1 round, 1 pass, a 64 MiB big file),
# FILES_BIG_MIB [1024] (the issue's 1 GiB: ~50 s for 3 rounds on a quiet VM;
# a file that fits in the CPU caches favours the single-copy read() loop, so
# smaller sizes give lower io_uring ratios), FILES_DIR [a temp dir under
# /tmp].
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
program=$build/bench/files
source "$here/lib.sh"
rounds=${FILES_ROUNDS:-3}
passes=${FILES_PASSES:-3}
big_mib=${FILES_BIG_MIB:-1024}
if bench_quick; then
    rounds=${FILES_ROUNDS:-1} passes=${FILES_PASSES:-1} big_mib=${FILES_BIG_MIB:-64}
fi
count=1000
python=/usr/bin/python3

[[ -x $program ]] || { echo "files.sh: $program missing: build first (make bench)"; exit 1; }
dir=${FILES_DIR:-$(mktemp -d /tmp/cio-files-bench.XXXXXX)}
results=$(mktemp /tmp/cio-files-results.XXXXXX)
trap 'rm -rf "$dir" "$results"' EXIT

ways="blocking blocking4 uring uring1 pool"
whole_ways="whole-blocking whole-uring whole-pool"
if ! "$program" uring "$dir" 0 0 1 >/dev/null 2>&1; then
    echo "(io_uring refused here: measuring the pool path only)"
    ways="blocking blocking4 pool"
    whole_ways="whole-blocking whole-pool"
fi
if [[ -x $python ]]; then ways="$ways python"; else echo "(no $python: install python3 to measure asyncio+to_thread)"; fi

"$program" setup "$dir" $count 64 "$big_mib"
"$program" blocking "$dir" $count "$big_mib" 1 >/dev/null # warm the page cache

run_way() {
    case $1 in
    python) "$python" "$here/files_peer.py" "$dir" $count "$big_mib" "$passes" ;;
    whole-*) "$program" "$1" "$dir" $count "$big_mib" 1 ;; # a fresh big buffer costs ~3.5 s a GiB here
    *) "$program" "$1" "$dir" $count "$big_mib" "$passes" ;;
    esac
}

for round in $(seq "$rounds"); do
    for way in $ways $whole_ways; do
        read -r _ small _ big _ first_small _ first_big < <(run_way "$way") || continue
        echo "$round $way $small $big $first_small $first_big" >>"$results"
    done
done

"$python" - "$results" "$big_mib" "$ways" "$whole_ways" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
big_mib, ways, whole_ways = int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
t = {}  # (round, way) -> (small, big, first small, first big)
for r, way, *times in rows:
    t[(r, way)] = tuple(float(x) for x in times)
rounds = sorted({r for r, _ in t})
names = {"blocking": "blocking read(2)", "blocking4": "blocking read(2), 4 buffers",
         "uring": "cio io_uring", "uring1": "cio io_uring, 1 task 1 buffer",
         "pool": "cio thread pool", "python": "asyncio + to_thread",
         "whole-blocking": "open+fstat+malloc+read", "whole-uring": "cio_read_file io_uring",
         "whole-pool": "cio_read_file pool"}

def median(way, col):
    return statistics.median(t[(r, way)][col] for r in rounds if (r, way) in t)

def ratio(way, base, col):
    ratios = [t[(r, way)][col] / t[(r, base)][col] for r in rounds if (r, way) in t and (r, base) in t]
    if not ratios:
        return ""
    return "%.2fx (%.2f-%.2f)" % (statistics.median(ratios), min(ratios), max(ratios))

def table(ways, base, small_title, big_title, first):
    head = "| way | %s: ms | io_uring speed-up | %s: ms | io_uring speed-up |" % (small_title, big_title)
    cols = (0, 1)
    if first:
        head += " first pass: small ms | speed-up | big ms | speed-up |"
        cols = (0, 1, 2, 3)
    print(head)
    print("|---" * (1 + 2 * len(cols)) + "|")
    for way in ways:
        cells = []
        for col in cols:
            cells.append("%.1f" % (median(way, col) * 1e3))
            cells.append("" if way == base or base not in ways else ratio(way, base, col))
        print("| %s | %s |" % (names[way], " | ".join(cells)))

table(ways, "uring", "1,000 x 64 KiB", "%d MiB file" % big_mib, True)
if "uring1" in ways:
    print("like for like, big file: blocking read(2) / cio io_uring 1 task 1 buffer = %s; "
          "blocking read(2) 4 buffers / cio io_uring = %s"
          % (ratio("blocking", "uring1", 1), ratio("blocking4", "uring", 1)))
print()
table(whole_ways, "whole-uring", "whole file, 1,000 x 64 KiB", "whole %d MiB file" % big_mib, False)
print("(speed-up = that way's time / io_uring's time, per round: median (min-max) of %d rounds)"
      % len(rounds))

def target(text, way, base, col, threshold):
    ratios = [t[(r, way)][col] / t[(r, base)][col] for r in rounds if (r, way) in t and (r, base) in t]
    if ratios:
        m = statistics.median(ratios)
        print("target: %s: %s (%.2fx, %.2f-%.2f)" % (text, "met" if m >= threshold else "MISSED",
                                                     m, min(ratios), max(ratios)))

print()
target("io_uring >= 2x the thread pool, 1,000 x 64 KiB", "pool", "uring", 0, 2)
size = "the issue's 1 GiB" if big_mib == 1024 else "%d MiB (the issue's size is 1 GiB: FILES_BIG_MIB=1024)" % big_mib
target("io_uring >= 1x blocking read(2), one big file, %s" % size, "blocking", "uring", 1, 1)
EOF
