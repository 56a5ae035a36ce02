#!/usr/bin/env bash
# bench/sendfile.sh - a 16 KiB and a 100 MiB file sent over TCP loopback
# with cio_stream_sendfile: sendfile(2) against the read/write copy (pread
# 64 KiB + send, the fallback, forced with opts.copy). A blocking thread
# receives. The 16 KiB file is sent 20,000 times and the 100 MiB one 8 times
# over one connection (~1.6 GB / ~0.8 GB). Rounds are interleaved; the table
# gives each way's median throughput and the median (min-max) per-round
# speed-up of sendfile(2) over the copy, and a "target:" line per file for
# make bench's summary (bench/run.sh).
#
# Environment: CIO_BENCH_BUILD [build], SENDFILE_ROUNDS [5],
# CIO_BENCH_QUICK (set: 1 round, a tenth of the repetitions).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
program=$build/bench/sendfile
source "$here/lib.sh"
rounds=${SENDFILE_ROUNDS:-5}
small_reps=20000 big_reps=8
if bench_quick; then rounds=${SENDFILE_ROUNDS:-1} small_reps=2000 big_reps=1; fi

[[ -x $program ]] || { echo "sendfile.sh: $program missing: build first (make bench)"; exit 1; }
dir=$(mktemp -d /tmp/cio-sendfile-bench.XXXXXX)
results=$(mktemp /tmp/cio-sendfile-results.XXXXXX)
trap 'rm -rf "$dir" "$results"' EXIT
head -c 16384 /dev/urandom >"$dir/small"
head -c $((100 << 20)) /dev/urandom >"$dir/big"

for round in $(seq "$rounds"); do
    for size in small big; do
        reps=$small_reps
        [[ $size == big ]] && reps=$big_reps
        for mode in native copy; do
            read -r seconds mibs < <("$program" $mode "$dir/$size" $reps) || continue
            echo "$round $size $mode $seconds $mibs" >>"$results"
        done
    done
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
speed = {}  # (size, mode) -> [MiB/s per round]
by_round = {}
for r, size, mode, seconds, mibs in rows:
    speed.setdefault((size, mode), []).append(float(mibs))
    by_round[(r, size, mode)] = float(mibs)
medians = {}
print("| file | sendfile(2) MiB/s | read/write copy MiB/s | speed-up, median (min-max) |")
print("|---|---|---|---|")
for size, label in (("small", "16 KiB"), ("big", "100 MiB")):
    ups = [by_round[(r, size, "native")] / by_round[(r, size, "copy")]
           for r, s, m in by_round if s == size and m == "native" and (r, size, "copy") in by_round]
    if not ups:
        continue
    print(f"| {label} | {statistics.median(speed[(size, 'native')]):.0f} | "
          f"{statistics.median(speed[(size, 'copy')]):.0f} | "
          f"{statistics.median(ups):.2f}x ({min(ups):.2f}-{max(ups):.2f}) |")
    medians[label] = statistics.median(ups)
# For make bench's table at a glance (run.sh collects "target:" lines).
for label, m in medians.items():
    print(f"target: sendfile(2) >= 0.95x the read/write copy, {label} file: "
          f"{'met' if m >= 0.95 else 'MISSED'} ({m:.2f}x)")
EOF
bench_quiet_note sendfile
