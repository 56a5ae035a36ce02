#!/usr/bin/env bash
# bench/files.sh - reading 1,000 files of 64 KiB and one big file, in the same
# run: plain blocking read(2), cio on io_uring, cio on its thread pool, and
# Python asyncio with to_thread per operation (aiofiles' way).
#
# Reads are from the page cache (the files are written first and read once
# before timing): this measures the cost of each way of doing file I/O, not
# the disk. Small files: 64 in flight (blocking: one after another); big
# file: 1 MiB preads, 4 in flight. Rounds are interleaved; the table gives
# each way's median time and the median (min-max) of per-round speed-ups of
# cio's io_uring path against each.
#
# Environment: CIO_BENCH_BUILD [build], FILES_ROUNDS [5], FILES_BIG_MIB [256]
# (the issue asks for 1 GiB; 256 MiB keeps the run under two minutes on the
# shared VMs and the ratio the same), FILES_DIR [a temp dir under /tmp].
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
program=$build/bench/files
rounds=${FILES_ROUNDS:-5}
big_mib=${FILES_BIG_MIB:-256}
count=1000
python=/usr/bin/python3

[[ -x $program ]] || { echo "files.sh: $program missing: build first (make bench)"; exit 1; }
dir=${FILES_DIR:-$(mktemp -d /tmp/cio-files-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
results=$(mktemp /tmp/cio-files-results.XXXXXX)
trap 'rm -rf "$dir" "$results"' EXIT

ways="blocking uring pool"
if [[ -x $python ]]; then ways="$ways python"; else echo "(no $python: install python3 to measure asyncio+to_thread)"; fi
if ! "$program" uring "$dir" 0 0 >/dev/null 2>&1; then
    echo "(io_uring refused here: measuring the pool path only)"
    ways=${ways/uring /}
fi

"$program" setup "$dir" $count 64 "$big_mib"
"$program" blocking "$dir" $count "$big_mib" >/dev/null # warm the page cache

run_way() {
    case $1 in
    python) "$python" "$here/files_peer.py" "$dir" $count "$big_mib" ;;
    *) "$program" "$1" "$dir" $count "$big_mib" ;;
    esac
}

for round in $(seq "$rounds"); do
    for way in $ways; do
        read -r _ small _ big < <(run_way "$way") || continue
        echo "$round $way $small $big" >>"$results"
    done
done

"$python" - "$results" "$big_mib" "$ways" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
big_mib, ways = int(sys.argv[2]), sys.argv[3].split()
t = {}  # (round, way) -> (small, big)
for r, way, small, big in rows:
    t[(r, way)] = (float(small), float(big))
rounds = sorted({r for r, _ in t})
names = {"blocking": "blocking read(2)", "uring": "cio io_uring", "pool": "cio thread pool",
         "python": "asyncio + to_thread"}
def ratio_text(way, col):
    if "uring" not in ways or way == "uring":
        return ""
    ratios = [t[(r, way)][col] / t[(r, "uring")][col] for r in rounds if (r, way) in t and (r, "uring") in t]
    return "%.2fx (%.2f-%.2f)" % (statistics.median(ratios), min(ratios), max(ratios))
print("| way | 1,000 x 64 KiB: ms | io_uring speed-up | %d MiB file: ms | io_uring speed-up |" % big_mib)
print("|---|---|---|---|---|")
for way in ways:
    small = statistics.median(t[(r, way)][0] for r in rounds if (r, way) in t)
    big = statistics.median(t[(r, way)][1] for r in rounds if (r, way) in t)
    print("| %s | %.1f | %s | %.1f | %s |" % (names[way], small * 1e3, ratio_text(way, 0), big * 1e3,
                                             ratio_text(way, 1)))
print("(speed-up = that way's time / io_uring's time, per round: median (min-max) of %d rounds)" % len(rounds))
EOF
