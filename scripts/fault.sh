#!/usr/bin/env bash
# Fault injection over test programs (issue 11): for each program, count the
# syscalls and allocations cio makes (tests/fault/fault.c), then run it once
# per chosen k failing call #k, under ASan, and classify each run:
#   pass      the error was handled and the test still passed
#   fail      a test asserting success saw the error (expected, fine)
#   CRASH     a signal, an ASan/UBSan report, or cmocka catching a signal
#   HANG      no exit within the timeout
#   LEAK      the test passed but LeakSanitizer found a leak
# CRASH, HANG and LEAK are bugs: they are listed at the end with the failed
# call's site and the report's first frame in cio, and the script fails.
#
#   scripts/fault.sh [-b BUILD] [-n MAX_RUNS] [-t SECONDS] [-c CALLS] [program...]
# BUILD defaults to build-fault (made by `make fault`), MAX_RUNS (runs per
# program, k spread evenly over the count) to 60, SECONDS to 20, CALLS (for
# CIO_FAULT_CALLS) to all; programs default to FAULT_PROGRAMS below.
set -uo pipefail
build=build-fault max_runs=60 seconds=20 calls=""
while getopts "b:n:t:c:" opt; do
    case $opt in
    b) build=$OPTARG ;; n) max_runs=$OPTARG ;; t) seconds=$OPTARG ;; c) calls=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
# Programs whose tests do not fork on purpose to crash (those would read as
# crashes) and that finish in seconds under ASan.
FAULT_PROGRAMS=(test_loop test_future test_task test_timeout test_fd test_sched test_gather
    test_wait test_wait_for test_group test_as_completed test_lock test_event test_condition
    test_semaphore test_barrier test_queue test_sock test_udp test_stream test_pipe_stream
    test_dns test_file test_thread test_poller)
programs=("$@")
((${#programs[@]})) || programs=("${FAULT_PROGRAMS[@]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CIO_FAULT_CALLS=$calls
export ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=0:handle_abort=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export CIO_TEST_SCALE=${CIO_TEST_SCALE:-0.1} # stress counts down: each run is one pass of the program
bugs=()
# A failed cmocka assertion inside a task longjmps off the task's stack and
# leaves its loop half-run: what crashes after that is the test's wreck, not
# a bug the injected fault found. True when a test failed before the crash.
after_test_failure() {
    local failed crashed
    failed=$(grep -n -m1 -F '[  ERROR   ]' "$work/out" | cut -d: -f1)
    crashed=$(grep -n -m1 -E 'ERROR: AddressSanitizer|runtime error:|Test failed with exception|DEADLYSIGNAL' "$work/out" | cut -d: -f1)
    [[ -n "$failed" && (-z "$crashed" || "$failed" -lt "$crashed") ]]
}
declare -A tally
for name in "${programs[@]}"; do
    program=$build/tests/$name
    if [[ ! -x "$program" ]]; then
        echo "fault: $program missing (build with make fault)" >&2
        exit 1
    fi
    began=$SECONDS
    if ! CIO_FAULT_REPORT=$work/count timeout $((seconds * 6)) "$program" >"$work/out" 2>&1; then
        echo "fault: $name fails without any injected fault; fix that first" >&2
        tail -20 "$work/out" >&2
        exit 1
    fi
    # A run may take a few times the clean one before it counts as a hang.
    limit=$(((SECONDS - began) * 3 > seconds ? (SECONDS - began) * 3 : seconds))
    total=$(awk '$1 == "total" { print $2 }' "$work/count")
    runs=$((total < max_runs ? total : max_runs))
    declare -A kinds=()
    for ((i = 0; i < runs; i++)); do
        k=$((1 + i * total / runs))
        CIO_FAULT_NTH=$k timeout -k 5 "$limit" "$program" >"$work/out" 2>&1
        rc=$?
        if ((rc == 124 || rc == 137)); then
            kind=HANG
        elif grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Test failed with exception' "$work/out"; then
            if grep -q 'ERROR: LeakSanitizer' "$work/out" && ! grep -qE 'ERROR: AddressSanitizer|runtime error:|exception' "$work/out"; then
                # A failed test leaves its own loop and tasks behind: only a
                # leak after a passing run is cio's.
                if grep -q '\[  FAILED  \]' "$work/out"; then kind=fail; else kind=LEAK; fi
            elif after_test_failure; then
                kind=fail
            else
                kind=CRASH
            fi
        elif ((rc > 128)) && after_test_failure; then
            kind=fail
        elif ((rc > 128)); then
            kind=CRASH
        elif ((rc == 0)); then
            kind=pass
        else
            kind=fail
        fi
        kinds[$kind]=$((${kinds[$kind]:-0} + 1))
        tally[$kind]=$((${tally[$kind]:-0} + 1))
        if [[ $kind == CRASH || $kind == HANG || $kind == LEAK ]]; then
            site=$(grep -m1 -o 'cio-fault: failing call .*' "$work/out" | sed 's/cio-fault: failing call //')
            where=""
            if [[ $site =~ at\ (.*)\+(0x[0-9a-f]+)$ ]]; then
                where=$(addr2line -e "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" 2>/dev/null | sed "s|$PWD/||")
            fi
            frame=$(grep -m1 -oE '#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]*src/[^ ]+' "$work/out" | sed -E "s|.* in ([^ ]+) .*(src/[^ ]+)|\1 \2|")
            bugs+=("$kind $name k=$k: failed ${site%% at *} at ${where:-?}; report: ${frame:-none} (rerun: CIO_FAULT_NTH=$k $program)")
            cp "$work/out" "$work/../cio-fault-$name-$k.log" 2>/dev/null || true
        fi
    done
    summary=""
    for kind in pass fail CRASH HANG LEAK; do summary+=" $kind=${kinds[$kind]:-0}"; done
    echo "fault: $name: $total calls, $runs runs:$summary"
    unset kinds
done
summary=""
for kind in pass fail CRASH HANG LEAK; do summary+=" $kind=${tally[$kind]:-0}"; done
echo "fault: all:$summary"
if ((${#bugs[@]})); then
    printf 'fault: BUG %s\n' "${bugs[@]}"
    echo "fault: logs in ${TMPDIR:-/tmp}/cio-fault-*.log"
    exit 1
fi
