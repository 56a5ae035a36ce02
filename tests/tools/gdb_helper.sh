#!/usr/bin/env bash
# tools/cio-gdb.py in gdb's batch mode against examples/task_tree, stopped
# once every task waits: `info cio-tasks` lists them with their waits, and
# `cio-bt` prints a suspended task's backtrace through the frame that called
# cio_sleep (task_tree_sleeper), then gdb's own registers are back.
#   gdb_helper.sh GDB HELPER TASK_TREE [EMULATOR]
# With EMULATOR (qemu-aarch64: scripts/aarch64.sh, GDB gdb-multiarch) the
# program runs under the emulator's gdbstub and gdb attaches to it remotely.
set -euo pipefail
gdb=$1 helper=$2 program=$3 emulator=${4:-}
commands=(-ex 'break task_tree_ready')
if [[ -n $emulator ]]; then
    port=$((20000 + RANDOM % 20000))
    "$emulator" -g "$port" "$program" 0.1 >/dev/null 2>&1 &
    emulated=$!
    trap 'kill "$emulated" 2>/dev/null || true' EXIT
    # The stub listens before the program's first instruction; wait for it in
    # /proc/net/tcp (a probe connection would take the stub's one client).
    hex=$(printf ':%04X ' "$port")
    for _ in $(seq 200); do
        grep -q "$hex[0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null && break
        sleep 0.05
    done
    commands+=(-ex "target remote :$port" -ex 'continue')
    target=("$program")
else
    commands+=(-ex 'run 0.1')
    target=(--args "$program")
fi
out=$(timeout 50 "$gdb" -batch -nx -x "$helper" "${commands[@]}" -ex 'ptype struct cio_loop' \
    -ex 'info cio-tasks' -ex 'cio-bt 2' -ex 'cio-bt 6' -ex 'cio-bt 1' -ex 'bt 1' \
    "${target[@]}" 2>&1) || true
if grep -q "ptrace: Operation not permitted\|Cannot create process\|not in executable format\|Connection refused" <<<"$out"; then
    echo "gdb cannot run programs here: skipped"; echo "$out" | tail -3; exit 77
fi
# The helper reads cio's structs, which need debug info (-g: the default
# build type is RelWithDebInfo; a plain Release build has none).
if grep -q "No struct type named cio_loop" <<<"$out"; then
    echo "built without debug info (-g): the gdb helper needs it: skipped"; exit 77
fi
fail() { echo "FAIL: $1"; echo "---- gdb said:"; echo "$out"; exit 1; }
grep -Eq '^ +2 +waiting +sleeper +sleep ' <<<"$out" || fail "info cio-tasks: sleeper"
grep -Eq '^ +3 +waiting +locker +lock ' <<<"$out" || fail "info cio-tasks: locker"
grep -Eq '^ +6 +waiting +child-consumer +queue-get ' <<<"$out" || fail "info cio-tasks: consumer"
grep -Eq '^ +1 +running +Task-1 ' <<<"$out" || fail "info cio-tasks: main task"
# task 2's backtrace: the wait, then the frame that called cio_sleep
bt2=$(sed -n "/^task 2 'sleeper':/,/^task 6/p" <<<"$out")
# (cio_sleep itself may be gone: it tail-calls cio__wait under clang)
grep -q 'cio__wait (task=' <<<"$bt2" || fail "cio-bt 2: no cio__wait frame"
grep -q ' in task_tree_sleeper .*task_tree.c:' <<<"$bt2" || fail "cio-bt 2: no caller frame"
grep -q 'in cio_queue_get (' <<<"$out" || fail "cio-bt 6: no cio_queue_get frame"
grep -q 'task 1 is running: only a suspended task' <<<"$out" || fail "cio-bt 1: running task not refused"
# registers restored: gdb's own frame 0 is the breakpoint again
grep -Eq '^#0 +task_tree_ready \(\)' <<<"$(grep -A1 'only a suspended task' <<<"$out")" \
    || fail "registers not restored after cio-bt"
echo "gdb helper: ok${emulator:+ (under $emulator)}"
