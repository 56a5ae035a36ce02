#!/usr/bin/env bash
# make bench: runs every bench/*.sh driver (one per benchmark), each of which
# measures cio and its references in the same run and prints the ratios, and
# writes the whole run, with what it ran on, as a Markdown file:
#
#   bench/RESULTS.md            a full run of every driver (what make bench
#                               does): the published figures
#   BUILD/bench/RESULTS.md      a run with a name filter or CIO_BENCH_QUICK
#                               set (not fit to publish; RESULTS.md is kept)
#   CIO_BENCH_RESULTS=FILE      write there instead
#
# Usage: bench/run.sh [build-dir] [name-filter]
#        CIO_BENCH_QUICK=1 bench/run.sh build     every driver, short (~2 min)
#
# The file starts with the commit, the machine, the peers' versions, the load
# average before and after, and how much CPU others used just before each
# driver (bench_others_cpu in lib.sh): a run on a machine that was not quiet
# says so at the top. Then a table of every "target:" line the drivers
# printed, then each driver's output as it ran.
set -uo pipefail
build=${1:-build}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/lib.sh"
export CIO_BENCH_BUILD=$(cd "$build" && pwd)

if [[ -n ${CIO_BENCH_RESULTS:-} ]]; then out=$CIO_BENCH_RESULTS
elif [[ -z $filter ]] && ! bench_quick; then out=$here/RESULTS.md
else out=$CIO_BENCH_BUILD/bench/RESULTS.md; fi
work=$(mktemp -d /tmp/cio-bench-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

version() { # label command...: "label x.y" or "label missing"
    local label=$1 text
    shift
    text=$("$@" 2>/dev/null | head -n 1) && [[ -n $text ]] && echo "$label $text" || echo "$label missing"
}
deb() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo missing; }

# ---- the run ------------------------------------------------------------------------------

# the tree as it runs (a RESULTS.md left by an earlier run does not count)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null |
    grep -v ' bench/RESULTS.md$' | head -n 5)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
others_before=$(bench_others_cpu 2)
started=$(date +%s)
summary=$work/targets # lines: driver|target text
: >"$summary"
for driver in "$here"/*.sh; do
    name=$(basename "$driver" .sh)
    [[ $name == run || $name == lib ]] && continue
    [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
    {
        printf '\n### %s\n\n' "$name"
        bench_quiet_note "before $name"
        echo '```'
    } | tee -a "$work/body"
    t0=$(date +%s)
    bash "$driver" 2>&1 | tee "$work/$name.out" | tee -a "$work/body"
    rc=${PIPESTATUS[0]}
    ((rc == 0)) || echo "($name failed: exit status $rc)" | tee -a "$work/body"
    printf '```\n%s: %s s\n' "$name" "$(($(date +%s) - t0))" | tee -a "$work/body"
    grep -E '^ *target: ' "$work/$name.out" | sed -E "s/^ *target: /$name|/" >>"$summary"
done
elapsed=$(($(date +%s) - started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
others_after=$(bench_others_cpu 2)

# ---- the file -------------------------------------------------------------------------

commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
subject=$(git -C "$root" log -1 --format=%s 2>/dev/null || true)
quiet() { awk -v o="$1" 'BEGIN { exit !(o < 0.10) }'; }
{
    echo "# Benchmark results"
    echo
    echo "Written by \`make bench\` (bench/run.sh) from one run of the scripts as they are in"
    echo "the commit below; do not edit by hand: rerun it on a quiet machine. Figures from other"
    echo "runs, each with its own command, profiles and analysis, are in bench/results/."
    bench_quick && echo && echo "**A quick run (CIO_BENCH_QUICK=1): fewer, shorter rounds and smaller counts; not fit to publish.**"
    [[ -n $filter ]] && echo && echo "**Only the drivers matching \"$filter\".**"
    echo
    echo "- Commit: \`$commit\` ($subject)"
    if [[ -n $dirty ]]; then
        echo "- **The worktree had uncommitted changes** (the figures are not the commit's):"
        echo "  \`$(echo "$dirty" | tr '\n' ' ')\`"
    fi
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); the whole run took $((elapsed / 60)) min $((elapsed % 60)) s"
    echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"
    echo "  kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "- Build: $(grep -m1 '^CMAKE_BUILD_TYPE' "$CIO_BENCH_BUILD/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo '?') in $build;" \
         "$(version gcc gcc -dumpfullversion)"
    echo "- Peers: Go $(go env GOVERSION 2>/dev/null || echo missing), $(version Python /usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')," \
         "$(version uvloop /usr/bin/python3 -c 'import uvloop; print(uvloop.__version__)'), libuv $(deb libuv1-dev)," \
         "Boost.Context $(deb libboost-context-dev)"
    echo "- Load average (1, 5, 15 min) before: $load_before; after: $load_after (our own drivers keep"
    echo "  it at 1-2, so the after figure says little about others)"
    echo "- CPU used by others, measured while the run slept 2 s: before $others_before CPUs, after $others_after CPUs"
    if quiet "$others_before" && quiet "$others_after" && ! grep -q 'NOT QUIET' "$work/body"; then
        echo "  (quiet: under 0.10 CPUs before, after and before each driver)"
    else
        echo
        echo "**The machine was NOT quiet during this run** (others used 0.10 CPUs or more at some point:"
        echo "see each driver's line): absolute figures are suspect and ratio ranges wide."
    fi
    echo
    echo "Method: each benchmark runs cio and its references in the same run, in interleaved rounds,"
    echo "pinned (single-threaded ones to one CPU; echo: servers on CPU 0, the load client on CPU 1);"
    echo "a ratio is the median of the per-round ratios, with their min-max (each driver's header in"
    echo "bench/*.sh says more). Counts differ between implementations where Python is much slower;"
    echo "every figure is per operation or per item (bytes per task, per timer, per connection)."
    echo
    echo "## Targets at a glance"
    echo
    echo "| benchmark | target | result (this run) |"
    echo "|---|---|---|"
    while IFS='|' read -r driver text; do
        target=${text%%: met*}
        target=${target%%: MISSED*}
        echo "| $driver | $target | ${text#"$target": } |"
    done <"$summary"
    echo
    echo "## The run"
    cat "$work/body"
} >"$work/results.md"
mkdir -p "$(dirname "$out")"
cp "$work/results.md" "$out"
echo
echo "run.sh: $elapsed s; written to $out"
! grep -q 'failed: exit status' "$work/body"
