#!/usr/bin/env bash
# bench/eager.sh - eager tasks (cio_task_options.eager_start, asyncio 3.12's
# eager_start) that finish without suspending, against a normal spawn +
# await of the same task, in the same process: bench/core_eager runs the
# three ways in interleaved rounds and reports each one's median (see its
# header). Issue 17's target: eager >= 3x a spawn + await.
#
# Environment: CIO_BENCH_BUILD [build], EAGER_CPU [1], EAGER_ROUNDS [7],
# CIO_BENCH_QUICK (set: 1/10 of the tasks, 3 rounds).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
program=$build/bench/core_eager
source "$here/lib.sh"
tasks=200000 rounds=${EAGER_ROUNDS:-7}
if bench_quick; then tasks=20000 rounds=${EAGER_ROUNDS:-3}; fi
[[ -x $program ]] || { echo "eager.sh: $program missing: build first (make bench)"; exit 1; }

out=$(taskset -c "${EAGER_CPU:-1}" "$program" $tasks "$rounds") || { echo "eager.sh: core_eager failed"; exit 1; }
echo "$out"
python3 - "$out" <<'PY'
import re, sys
cpu = {m[0]: float(m[1]) for m in re.findall(r"RESULT eager (\S+) cpu_ns_per_task (\S+)", sys.argv[1])}
print()
print("| way | CPU ns per task | eager is |")
print("|---|---|---|")
for way in ("spawn_batched", "spawn_one", "eager"):
    print(f"| {way} | {cpu[way]:.1f} | {cpu[way] / cpu['eager']:.2f}x |")
ratio = cpu["spawn_one"] / cpu["eager"]
print()
print(f"target: eager task finishing without suspending >= 3x a spawn + await (issue 17): "
      f"{'met' if ratio >= 3 else 'MISSED'} ({ratio:.2f}x)")
PY
