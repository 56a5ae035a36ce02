#!/usr/bin/python3
"""bench/core_peer.py - the asyncio and uvloop side of the core benchmarks.

Each benchmark does what its C program (bench/core_<name>.c) does, with the
same sanity checks, and prints the same result lines:

    RESULT <benchmark> <asyncio|uvloop> <metric> <value>

Usage: /usr/bin/python3 core_peer.py asyncio|uvloop yield [yields-per-task]
                                                    spawn [tasks] [batch]
                                                    sleepers [tasks]
                                                    timers [timers]
Run it with Debian's /usr/bin/python3, which sees python3-uvloop.
"""
import asyncio
import os
import sys
import time

from peer_common import check, result


def status_kib(field):
    """A field of /proc/self/status in KiB (VmRSS, VmHWM), as the C side reads it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


# ---- yield: two tasks, await asyncio.sleep(0) ----------------------------------------

class PingPong:
    def __init__(self):
        self.turn = 0
        self.switches = 0
        self.out_of_turn = 0


async def play(game, me, n):
    for _ in range(n):
        if game.turn != me:
            game.out_of_turn += 1
        game.turn = 1 - me
        game.switches += 1
        await asyncio.sleep(0)


async def run_game(n):
    """One game; returns it, its wall ns and its CPU ns."""
    game = PingPong()
    cpu0 = time.process_time_ns()
    start = time.monotonic_ns()
    await asyncio.gather(play(game, 0, n), play(game, 1, n))
    return game, time.monotonic_ns() - start, time.process_time_ns() - cpu0


async def bench_yield(impl, n):
    await run_game(n // 10 + 1)  # warm-up, as the C side
    game, elapsed, cpu = await run_game(n)
    check(game.switches == 2 * n, f"expected {2 * n} yields, counted {game.switches}")
    check(game.out_of_turn == 0, f"tasks ran out of turn {game.out_of_turn} times")
    print(f"core_yield {impl}: {game.switches} yields, strictly alternating, {elapsed / 1e9:.3f} s")
    result("yield", impl, "ns_per_switch", elapsed / game.switches)
    result("yield", impl, "cpu_ns_per_switch", cpu / game.switches)


# ---- spawn: create_task + await, in batches -------------------------------------------

async def short_task(i):
    return i + 1


async def run_all(total, batch):
    loop = asyncio.get_running_loop()
    total_sum = 0
    for first in range(0, total, batch):
        tasks = [loop.create_task(short_task(i)) for i in range(first, min(first + batch, total))]
        for task in tasks:
            total_sum += await task
    return total_sum


async def bench_spawn(impl, total, batch):
    await run_all(batch * 10, batch)
    cpu0 = time.process_time_ns()
    start = time.monotonic_ns()
    total_sum = await run_all(total, batch)
    elapsed = time.monotonic_ns() - start
    cpu = time.process_time_ns() - cpu0
    check(total_sum == total * (total + 1) // 2, f"sum of results {total_sum}")
    print(f"core_spawn {impl}: {total} tasks in batches of {batch}, each ran once, {elapsed / 1e9:.3f} s")
    result("spawn", impl, "ns_per_task", elapsed / total)
    result("spawn", impl, "cpu_ns_per_task", cpu / total)


# ---- sleepers: N tasks in asyncio.sleep ------------------------------------------------

async def bench_sleepers(impl, count):
    parked = 0

    async def sleeper():
        nonlocal parked
        parked += 1
        await asyncio.sleep(3600)

    loop = asyncio.get_running_loop()
    tasks = [None] * count  # allocated before the baseline, as the C side
    rss0 = status_kib("VmRSS")
    start = time.monotonic_ns()
    for i in range(count):
        tasks[i] = loop.create_task(sleeper())
    await asyncio.sleep(0)  # every new task runs to its sleep first
    elapsed = time.monotonic_ns() - start
    check(parked == count, f"{parked} of {count} sleepers parked")
    rss = status_kib("VmRSS")
    print(f"core_sleepers {impl}: {count} tasks parked in {elapsed / 1e9:.3f} s; "
          f"RSS +{rss - rss0} KiB, VmHWM {status_kib('VmHWM')} KiB")
    name = f"sleepers_{count}"
    result(name, impl, "rss_bytes_per_task", (rss - rss0) * 1024 / count)
    result(name, impl, "ns_per_spawn_to_park", elapsed / count)
    # Cancelling a million tasks takes seconds and measures nothing here.
    sys.stdout.flush()
    os._exit(0)


# ---- timers: call_later, cancel half, fire the rest -------------------------------------

MASK64 = (1 << 64) - 1


def timer_delays_ms(count, seed=42):
    """splitmix64, as bench_timer_delays_ms() in bench/core_bench.h: the same timeouts."""
    state, delays = seed, [0] * count
    for i in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        delays[i] = (z ^ (z >> 31)) % 1000 + 1
    return delays


def timers_pass(loop, delays, handles):
    """One pass: start all, cancel the odd ones, run until the rest fired.
    Returns (start_ns, stop_ns, fire_cpu_ns), wall, wall and CPU time."""
    count = len(delays)
    done = loop.create_future()
    state = {"fired": 0, "misfired": 0, "early": 0}
    to_fire = count - count // 2
    started_at = loop.time()

    def on_fire(i):
        if i % 2 == 1:
            state["misfired"] += 1
        # uvloop keeps loop time in whole milliseconds: allow it that much.
        if loop.time() < started_at + delays[i] / 1000 - 0.001:
            state["early"] += 1
        state["fired"] += 1
        if state["fired"] == to_fire:
            done.set_result(None)

    start = time.monotonic_ns()
    for i in range(count):
        handles[i] = loop.call_later(delays[i] / 1000, on_fire, i)
    start_ns = time.monotonic_ns() - start
    start = time.monotonic_ns()
    for i in range(1, count, 2):
        handles[i].cancel()
    stop_ns = time.monotonic_ns() - start
    cpu0 = time.process_time_ns()
    loop.run_until_complete(done)
    fire_cpu_ns = time.process_time_ns() - cpu0
    check(state["fired"] == to_fire, f"{state['fired']} of {to_fire} timers fired")
    check(state["misfired"] == 0, f"{state['misfired']} cancelled timers fired")
    check(state["early"] == 0, f"{state['early']} timers fired before their deadline")
    return start_ns, stop_ns, fire_cpu_ns


def bench_timers(impl, count):
    """As bench/core_timers.c: a pass on fresh memory, then one again."""
    delays = timer_delays_ms(count)
    loop = asyncio.new_event_loop()
    handles = [None] * count
    rss0 = status_kib("VmRSS")
    cold = timers_pass(loop, delays, handles)
    rss_kib = status_kib("VmHWM") - rss0
    warm = timers_pass(loop, delays, handles)
    loop.close()
    to_fire = count - count // 2
    print(f"core_timers {impl}: {count} started in {cold[0] / 1e9:.3f} s (again: {warm[0] / 1e9:.3f} s), "
          f"{count // 2} stopped in {cold[1] / 1e9:.3f} s ({warm[1] / 1e9:.3f} s), {to_fire} fired "
          f"using {cold[2] / 1e9:.3f} s CPU ({warm[2] / 1e9:.3f} s); peak RSS +{rss_kib} KiB")
    for suffix, figures in (("", cold), ("_warm", warm)):
        result("timers", impl, f"start{suffix}_ns", figures[0] / count)
        result("timers", impl, f"stop{suffix}_ns", figures[1] / (count // 2))
        result("timers", impl, f"fire{suffix}_cpu_ns", figures[2] / to_fire)
    result("timers", impl, "rss_bytes_per_timer", rss_kib * 1024 / count)


# ---- main ------------------------------------------------------------------------------

def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("asyncio", "uvloop"):
        sys.exit(__doc__)
    impl, bench, args = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    if impl == "uvloop":
        try:
            import uvloop
        except ImportError:
            sys.exit("uvloop is not installed for this python (Debian: apt install python3-uvloop)")
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    defaults = {"yield": [200000], "spawn": [200000, 1000], "sleepers": [100000], "timers": [1000000]}
    if bench not in defaults:
        sys.exit(__doc__)
    args += defaults[bench][len(args):]
    if bench == "timers":
        bench_timers(impl, *args)
    else:
        asyncio.run(globals()["bench_" + bench](impl, *args))

if __name__ == "__main__":
    main()
