#!/usr/bin/env bash
# examples/pg/pg_fanout against a throwaway cluster: N queries of 0.2 s each
# take about 0.2 s at once and about N x 0.2 s one after another.
set -euo pipefail
program=$1 source=$2
dir=$(mktemp -d /tmp/cio-pg-fanout-XXXXXX)
trap '"$source/scripts/pg.sh" stop "$dir"' EXIT
status=0
dsn=$("$source/scripts/pg.sh" start "$dir" | head -1) || status=$?
if [[ $status -eq 77 ]]; then echo "no PostgreSQL server: skipped"; exit 77; fi
out=$("$program" "$dsn" 5)
echo "$out"
[[ $(grep -c '^query [0-4]: [0-9]*0 in 0\.[23][0-9] s$' <<<"$out") -eq 5 ]]
awk '/queries at once/ { split($0, f, /[:;] /); at = f[2] + 0; serial = f[4] + 0
                         exit !(at < 0.6 && serial > 0.9) }' <<<"$out"
