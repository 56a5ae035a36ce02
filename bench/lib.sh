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

# bench_find_tokio: build bench/tokio (Tokio from Debian's librust-tokio-dev,
# offline) into $build/tokio-target, kept between runs; set have_tokio and
# tokio_peer (the program). A missing toolchain or crate is said and left out.
bench_find_tokio() {
    have_tokio=0
    local target
    target=$(cd "$build" && pwd)/tokio-target
    tokio_peer=$target/release/core_peer_tokio
    if ! command -v cargo >/dev/null || ! compgen -G "/usr/share/cargo/registry/tokio-1.*" >/dev/null; then
        echo "$name.sh: Tokio peer skipped: needs cargo and Debian's librust-tokio-dev (scripts/deps.sh bench)"
    elif (cd "$here/tokio" && CARGO_TARGET_DIR=$target cargo build --release --offline --quiet) 2>"$log"; then
        have_tokio=1
    else
        echo "$name.sh: building bench/tokio failed:"; cat "$log"
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

# bench_quick: true when CIO_BENCH_QUICK is set (a short smoke run: fewer and
# shorter rounds, figures not fit to publish).
bench_quick() { [[ -n ${CIO_BENCH_QUICK:-} ]]; }

# bench_others_cpu [SECONDS]: how busy the machine is without us. Sleeps
# SECONDS [1] and prints the CPUs' busy time over it (from /proc/stat, in
# CPUs: 1.00 = one core fully used), which, since we only sleep, is other
# people's work. The load average cannot say this once we run: our own
# benchmarks keep it at 1-2 on these 2-core machines.
bench_others_cpu() {
    local a b
    read -r -a a < <(head -1 /proc/stat)
    sleep "${1:-1}"
    read -r -a b < <(head -1 /proc/stat)
    # fields: cpu user nice system idle iowait irq softirq steal
    local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7]) - (a[1] + a[2] + a[3] + a[6] + a[7])))
    local hz
    hz=$(getconf CLK_TCK)
    awk -v j="$busy" -v hz="$hz" -v s="${1:-1}" 'BEGIN { printf "%.2f\n", j / hz / s }'
}

# bench_quiet_note LABEL: one line saying how busy others kept the machine
# just now, and whether that is quiet enough to publish (under 0.10 CPUs).
bench_quiet_note() {
    local others
    others=$(bench_others_cpu 1)
    if awk -v o="$others" 'BEGIN { exit !(o < 0.10) }'; then
        echo "$1: others used $others CPUs (quiet)"
    else
        echo "$1: others used $others CPUs: NOT QUIET, figures are suspect"
    fi
}
