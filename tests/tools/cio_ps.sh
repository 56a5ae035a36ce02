#!/usr/bin/env bash
# cio-ps and cio-pstree against a live examples/task_tree (which calls
# cio_loop_serve_introspection on its own socket path and
# cio_loop_dump_on_signal(SIGUSR1)): the table names its tasks and waits,
# the tree puts the gather's children under it, SIGUSR1 dumps to stderr,
# and the socket is gone once the program ends (after 4 s: the queries
# take milliseconds).
#   cio_ps.sh TASK_TREE CIO_PS CIO_PSTREE
set -euo pipefail
program=$1 ps=$2 pstree=$3
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export TASK_TREE_SOCKET=$work/tree.sock
"$program" 4 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q '^ready' "$work/out" && break; sleep 0.1; done
grep -q '^ready' "$work/out" || { echo "task_tree did not start"; cat "$work/err"; exit 1; }
fail() { echo "FAIL: $1"; echo "---- output:"; cat "$work/$2"; exit 1; }

"$ps" -S "$TASK_TREE_SOCKET" "$pid" >"$work/ps"
grep -q "^pid $pid\$" "$work/ps" || fail "cio-ps: no pid line" ps
grep -Eq '^ +3 +waiting +locker +lock 0x' "$work/ps" || fail "cio-ps: locker" ps
grep -Eq '^ +6 +waiting +child-consumer +queue-get 0x[0-9a-f]+ +gatherer #4 ' "$work/ps" \
    || fail "cio-ps: consumer awaited by gatherer" ps
grep -Eq '^ +2 +waiting +sleeper +sleep until ' "$work/ps" || fail "cio-ps: sleeper" ps

"$pstree" -S "$TASK_TREE_SOCKET" "$pid" >"$work/tree"
grep -q '^\* gatherer #4 (waiting: tasks 0x' "$work/tree" || fail "cio-pstree: root" tree
grep -q '^  + child-sleeper #5 (waiting: sleep until' "$work/tree" || fail "cio-pstree: child" tree

"$ps" -s -S "$TASK_TREE_SOCKET" "$pid" >"$work/stacks"
grep -q '^Stack for task sleeper #2 (waiting' "$work/stacks" || fail "cio-ps -s: stacks" stacks
grep -q '^  #1 0x' "$work/stacks" || fail "cio-ps -s: frames" stacks

kill -USR1 "$pid"
for _ in $(seq 50); do grep -q 'child-consumer' "$work/err" && break; sleep 0.1; done
grep -q 'unfinished tasks at loop time' "$work/err" || fail "SIGUSR1: no dump" err

# nobody serving: a clear error, exit 1
if "$ps" -S "$work/none.sock" "$pid" 2>"$work/noserve"; then fail "no server: exit 0" noserve; fi
grep -q 'cannot connect' "$work/noserve" || fail "no server: message" noserve
"$ps" 2>/dev/null && fail "no pid: exit 0" ps || [[ $? -eq 2 ]] || fail "no pid: not a usage error" ps

# it ends by itself after 4 s (a background job ignores SIGINT), closing its loop
wait "$pid" || fail "task_tree failed" err
pid=
[[ ! -e $TASK_TREE_SOCKET ]] || { echo "FAIL: socket left behind"; exit 1; }
echo "cio-ps: ok"
