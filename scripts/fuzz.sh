#!/usr/bin/env bash
# Builds every fuzz/fuzz_<name>.c with clang (libFuzzer + ASan + UBSan) in
# build-fuzz/, then runs each for FUZZ_SECONDS (default 60) on a scratch copy
# of its seed corpus fuzz/corpus/<name>/ (the committed corpus is never
# written). Exits non-zero if any target crashes; the crashing input of the
# last run is kept in build-fuzz/fuzz/artifacts/<name>/ and the log in
# build-fuzz/fuzz/<name>.log.
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh http_request    just these (names without fuzz_)
# Reproduce a crash: build-fuzz/fuzz/fuzz_<name> build-fuzz/fuzz/artifacts/<name>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
jobs=${JOBS:-2}

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (scripts/deps.sh)" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCIO_BUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_TESTING=OFF -DCIO_BUILD_EXAMPLES=OFF -DCIO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target cio_fuzz >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for src in fuzz/fuzz_*.c; do
        name=${src#fuzz/fuzz_}
        targets+=("${name%.c}")
    done
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One target: its line of output, and a mark in $scratch/failed if it failed.
# Each libFuzzer run is one thread: JOBS of them run at once.
fuzz_one() {
    local name=$1 bin=$build/fuzz/fuzz_$1 corpus=$scratch/$1 artifacts=$build/fuzz/artifacts/$1
    local log=$build/fuzz/$1.log
    if [[ ! -x $bin ]]; then
        echo "fuzz.sh: $bin was not built (see the cmake warnings)" >&2
        echo "$name" >>"$scratch/failed"
        return
    fi
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    if [[ -d fuzz/corpus/$name ]]; then cp -R "fuzz/corpus/$name/." "$corpus/"; fi
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
        echo "fuzz_$name: ${seconds}s ... ok, $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs"
    else
        { echo "fuzz_$name: ${seconds}s ... FAILED (log: $log)"; grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5; } >&2 || true
        echo "$name" >>"$scratch/failed"
    fi
}
for name in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
    fuzz_one "$name" &
done
wait
failed=()
[[ -f $scratch/failed ]] && mapfile -t failed <"$scratch/failed"
if [[ ${#failed[@]} -ne 0 ]]; then
    echo "fuzz.sh: failed: ${failed[*]}" >&2
    exit 1
fi
