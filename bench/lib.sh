# bench/lib.sh - what the single-thread benchmark drivers (core.sh, sync.sh)
# share: finding the peers, and running one measurement pinned to a CPU.
# Source it after setting: name (the driver's name), here, work, python, cpu,
# results (the RESULT lines collected: "round bench impl metric value") and
# log.

# bench_find_peers GO_SOURCE: set have_asyncio, have_uvloop and have_go, and
# build GO_SOURCE (with peer_common.go) into $work/${name}_peer_go. A missing
# peer is said, with what to install, and left out.
bench_find_peers() {
    have_asyncio=0 have_uvloop=0 have_go=0
    if [[ -x $python ]]; then
        have_asyncio=1
        "$python" -c 'import uvloop' 2>/dev/null && have_uvloop=1 ||
            echo "$name.sh: uvloop missing: apt install python3-uvloop"
    else
        echo "$name.sh: $python missing: apt install python3 python3-uvloop"
    fi
    if ! command -v go >/dev/null; then
        echo "$name.sh: go missing: apt install golang-go"
    elif GOCACHE=/tmp/gocache go build -o "$work/${name}_peer_go" "$here/$1" "$here/peer_common.go" 2>"$log"; then
        have_go=1
    else
        echo "$name.sh: building $1 failed:"; cat "$log"
    fi
}

# bench_run ROUND LABEL COMMAND...: run pinned, keep its RESULT lines, say so
# if it failed. With $as set, the figures are filed under that implementation.
bench_run() {
    local round=$1 label=$2
    shift 2
    if taskset -c "$cpu" "$@" >"$work/out" 2>"$work/err"; then
        grep '^RESULT ' "$work/out" | while read -r _ bench impl metric value; do
            echo "$round $bench ${as:-$impl} $metric $value"
        done >>"$results"
    else
        echo "  ($label failed: $(tail -n 2 "$work/err" | tr '\n' ' '))"
    fi
    cat "$work/out" "$work/err" >>"$log"
}
