#!/usr/bin/python3
"""bench/sync_peer.py - the asyncio and uvloop side of the sync benchmarks.

Each benchmark does what bench/sync.c does, with the same sanity checks, and
prints the same result lines (wall and process CPU time per operation):

    RESULT sync_lock <asyncio|uvloop> ns_per_op|cpu_ns_per_op <value>
    RESULT sync_queue <asyncio|uvloop> ns_per_roundtrip|cpu_ns_per_roundtrip <value>

  lock   one task: `async with lock` on an uncontended asyncio.Lock, n times
  queue  two tasks ping-pong a counter through two unbounded asyncio.Queues

Usage: /usr/bin/python3 sync_peer.py asyncio|uvloop lock|queue [n]
Run it with Debian's /usr/bin/python3, which sees python3-uvloop.
"""
import asyncio
import sys
import time

from peer_common import check, result


def clocks():
    return time.monotonic_ns(), time.process_time_ns()


# ---- lock ------------------------------------------------------------------------------

async def lock_rounds(lock, n):
    counter = 0
    for _ in range(n):
        async with lock:
            counter += 1
    return counter


async def bench_lock(impl, n):
    lock = asyncio.Lock()
    await lock_rounds(lock, n // 10 + 1)  # warm-up
    wall, cpu = clocks()
    counter = await lock_rounds(lock, n)
    wall_end, cpu_end = clocks()
    check(counter == n, f"expected {n} acquisitions, counted {counter}")
    check(not lock.locked(), "lock left held")
    print(f"sync lock {impl}: {n} uncontended acquire/release pairs, {(wall_end - wall) / 1e9:.3f} s")
    result("sync_lock", impl, "ns_per_op", (wall_end - wall) / n)
    result("sync_lock", impl, "cpu_ns_per_op", (cpu_end - cpu) / n)


# ---- queue ping-pong ----------------------------------------------------------------------

async def answer(ping, pong):
    while True:
        value = await ping.get()
        if value is None:
            return
        await pong.put(value + 1)


async def play(ping, pong, n):
    bad = 0
    for i in range(n):
        await ping.put(i)
        if await pong.get() != i + 1:
            bad += 1
    return bad


async def bench_queue(impl, n):
    ping, pong = asyncio.Queue(), asyncio.Queue()
    answering = asyncio.create_task(answer(ping, pong))
    await play(ping, pong, n // 10 + 1)  # warm-up
    wall, cpu = clocks()
    bad = await play(ping, pong, n)
    wall_end, cpu_end = clocks()
    await ping.put(None)  # Queue.shutdown() is 3.13+: stop with a sentinel
    await answering
    check(bad == 0, f"{bad} wrong answers")
    print(f"sync queue {impl}: {n} round trips, every answer right, {(wall_end - wall) / 1e9:.3f} s")
    result("sync_queue", impl, "ns_per_roundtrip", (wall_end - wall) / n)
    result("sync_queue", impl, "cpu_ns_per_roundtrip", (cpu_end - cpu) / n)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("asyncio", "uvloop"):
        sys.exit(__doc__)
    impl, bench = sys.argv[1], sys.argv[2]
    if bench not in ("lock", "queue"):
        sys.exit(__doc__)
    n = int(sys.argv[3]) if len(sys.argv) > 3 else (1000000 if bench == "lock" else 100000)
    check(n > 0, "n must be positive")
    if impl == "uvloop":
        try:
            import uvloop
        except ImportError:
            sys.exit("uvloop is not installed for this python (Debian: apt install python3-uvloop)")
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(globals()["bench_" + bench](impl, n))


if __name__ == "__main__":
    main()
