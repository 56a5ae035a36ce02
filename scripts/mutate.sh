#!/usr/bin/env bash
# A mutation check of the test suite: plant each bug of scripts/mutants.txt,
# one at a time, in a scratch copy of the tree, build, run ctest, and report
# whether the suite caught it (KILLED) or not (SURVIVED), then the kill rate.
#
# Usage: scripts/mutate.sh [build-dir] [mutant-id-regex]
#   build-dir   where the scratch tree is built, reused between runs
#               (default: /tmp/cio-mutate-build); the source tree is never
#               touched: mutants go into a copy at <build-dir>.src.
#   regex       run only the mutants whose id matches (default: all).
# Environment: MUTATE_TIMEOUT (ctest --timeout, default 20), MUTATE_JOBS
# (default 2), MUTATE_EXCLUDE (ctest -E, default: the install check, which
# no mutant of src/ affects). Exit status: 0 if every mutant was killed.
set -u -o pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:-/tmp/cio-mutate-build}" && cd "${1:-/tmp/cio-mutate-build}" && pwd)
only=${2:-}
timeout=${MUTATE_TIMEOUT:-20}
jobs=${MUTATE_JOBS:-2}
exclude=${MUTATE_EXCLUDE:-^install_consumers$}
list="$src/scripts/mutants.txt"

# Beside the build dir, at a fixed path: CMake's cache remembers its source.
scratch="$build.src"
rm -rf "$scratch" && mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT

# The tree as it is now (tracked and new files, not ignored ones such as
# build directories), so uncommitted tests count too.
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} sh -c 'test -e "$1" && printf "%s\0" "$1"' _ {} |
    tar --null -T - -cf -) | tar -xf - -C "$scratch"

log="$build/mutate.log"
: >"$log"

configure() {
    cmake -S "$scratch" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIO_BUILD_BENCH=OFF \
        -DCIO_WERROR=OFF >>"$log" 2>&1
}
build_tree() { cmake --build "$build" -j "$jobs" >>"$log" 2>&1; }
run_tests() {
    (cd "$build" && ctest --timeout "$timeout" -j "$jobs" -E "$exclude" 2>&1) >"$build/ctest.out"
}
failed_tests() {
    sed -n '/The following tests FAILED/,$p' "$build/ctest.out" | grep -oE '^\s+[0-9]+ - [^ ]+' |
        awk '{print $3}' | tr '\n' ' '
}

# Apply one literal replacement (\n = newline) to file; fails unless the
# original occurs exactly once.
apply() {
    python3 - "$1" "$2" "$3" <<'EOF'
import sys
path, orig, repl = sys.argv[1], sys.argv[2].replace('\\n', '\n'), sys.argv[3].replace('\\n', '\n')
text = open(path).read()
if text.count(orig) != 1:
    sys.exit(1)
open(path, 'w').write(text.replace(orig, repl))
EOF
}

echo "mutate: building the unmutated tree in $build"
configure && build_tree || { echo "mutate: the unmutated tree does not build (see $log)"; exit 2; }
if ! run_tests; then
    echo "mutate: the suite fails without any mutant: $(failed_tests)"
    exit 2
fi

killed=0 survived=0 stale=0 stillborn=0 total=0
survivors=()
while IFS=$'\t' read -r id file orig repl; do
    [[ -z "$id" || "$id" == \#* ]] && continue
    [[ -n "$only" && ! "$id" =~ $only ]] && continue
    total=$((total + 1))
    target="$scratch/$file"
    cp "$target" "$target.orig"
    start=$(date +%s)
    if ! apply "$target" "$orig" "$repl"; then
        result="STALE (snippet not found exactly once in $file)"
        stale=$((stale + 1))
    elif ! build_tree; then
        result="STILLBORN (does not build)"
        stillborn=$((stillborn + 1))
    elif run_tests; then
        result="SURVIVED"
        survived=$((survived + 1))
        survivors+=("$id")
    else
        result="KILLED by $(failed_tests)"
        killed=$((killed + 1))
    fi
    mv "$target.orig" "$target"
    touch "$target" # its object is rebuilt for the next mutant
    printf '%-40s %s (%ss)\n' "$id" "$result" "$(($(date +%s) - start))"
done <"$list"

build_tree || true # leave the build dir unmutated
scored=$((killed + survived))
rate=0
[ "$scored" -gt 0 ] && rate=$((100 * killed / scored))
echo "mutate: $total mutants: $killed killed, $survived survived, $stale stale, $stillborn stillborn;" \
    "kill rate $rate% ($killed/$scored)"
[ "${#survivors[@]}" -gt 0 ] && echo "mutate: survivors: ${survivors[*]}"
[ "$survived" -eq 0 ] && [ "$stale" -eq 0 ]
