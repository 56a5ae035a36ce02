#!/usr/bin/env bash
# PostgreSQL select-only throughput: cio against pgbench, same run.
#
#   bench/pg/pg.sh BUILD_DIR
#
# A throwaway cluster (scripts/pg.sh) pinned to CPU 0, pgbench -i at scale
# PG_SCALE (10), then PG_ROUNDS (5) interleaved rounds of PG_SECONDS (5) each:
# pgbench -S -M prepared with PG_CLIENTS (16) connections, cio's pg_select
# with one statement in flight per connection, and pg_select in pipeline mode
# with 16 in flight; every client pinned to CPU 1. Prints each round's tps
# and the median of the per-round ratios to pgbench.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
scale=${PG_SCALE:-10} clients=${PG_CLIENTS:-16} seconds=${PG_SECONDS:-5} rounds=${PG_ROUNDS:-5}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bindir/pgbench" ]] || { echo "pg.sh: no pgbench (apt-get install postgresql)"; exit 0; }
[[ -x "$build/bench/pg_select" ]] || { echo "pg.sh: $build/bench/pg_select not built (libpq-dev?)"; exit 0; }

dir=$(mktemp -d /tmp/cio-pg-bench-XXXXXX)
trap '"$source_dir/scripts/pg.sh" stop "$dir"' EXIT
dsn=$("$source_dir/scripts/pg.sh" start "$dir" | head -1)
taskset -pac 0 "$(head -1 "$dir/data/postmaster.pid")" >/dev/null  # children inherit CPU 0
port=$(cat "$dir/port")
"$bindir/pgbench" -i -q -s "$scale" -h "$dir" -p "$port" -U postgres postgres >/dev/null 2>&1

pgbench_tps() {
    taskset -c 1 "$bindir/pgbench" -S -M prepared -n -c "$clients" -j 1 -T "$seconds" \
        -h "$dir" -p "$port" -U postgres postgres 2>/dev/null |
        awk '/^tps/ { print int($3) }'
}
cio_tps() { taskset -c 1 "$build/bench/pg_select" "$dsn" "$clients" "$seconds" "$scale" "$1" | awk '{ print $2 }'; }

printf '%-6s %12s %12s %12s\n' round pgbench cio cio-pipeline
ratios_one=() ratios_pipe=()
for round in $(seq "$rounds"); do
    a=$(pgbench_tps); b=$(cio_tps 1); c=$(cio_tps 16)
    printf '%-6s %12s %12s %12s\n' "$round" "$a" "$b" "$c"
    ratios_one+=("$(awk -v x="$b" -v y="$a" 'BEGIN { printf "%.3f", x / y }')")
    ratios_pipe+=("$(awk -v x="$c" -v y="$a" 'BEGIN { printf "%.3f", x / y }')")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] " (" v[1] "-" v[NR] ")" }'; }
echo "cio / pgbench, one in flight: $(median "${ratios_one[@]}")   target: >= 1.0x"
echo "cio pipeline(16) / pgbench:   $(median "${ratios_pipe[@]}")   target: >= 2.2x"
