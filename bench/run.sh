#!/usr/bin/env bash
# make bench: runs every bench/*.sh driver (one per benchmark), each of which
# measures cio and its references in the same run and prints the ratios.
# Usage: bench/run.sh [build-dir] [name-filter]
set -uo pipefail
build=${1:-build}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
export CIO_BENCH_BUILD=$(cd "$build" && pwd)
printf 'machine: %s cores, kernel %s, %s\n' "$(nproc)" "$(uname -r)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
status=0
for driver in "$here"/*.sh; do
    name=$(basename "$driver" .sh)
    [[ "$name" == run ]] && continue
    [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
    printf '\n### %s\n' "$name"
    bash "$driver" || { echo "($name failed)"; status=1; }
done
exit $status
