"""bench/compose_peer.py - the asyncio side of bench/compose.c.

    python3 compose_peer.py asyncio|uvloop gather|group N [reps] [yield]

Times one whole fan-out per rep (create N tasks, wait for all: asyncio.gather
over coroutines, which wraps each in a task, or asyncio.TaskGroup), and
prints the median rep in ns per task, as bench/compose.c does."""
import asyncio
import statistics
import sys
import time


async def child(i):
    return i


async def child_yield(i):
    await asyncio.sleep(0)
    return i


async def gather_once(n, fn):
    results = await asyncio.gather(*[fn(i) for i in range(n)])
    assert results[-1] == n - 1


async def group_once(n, fn):
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(fn(i))


async def bench(kind, n, reps, fn):
    once = group_once if kind == "group" else gather_once
    times = []
    for rep in range(reps + 1):  # rep 0 warms up
        start = time.perf_counter()
        await once(n, fn)
        if rep:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    loop_kind, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 9
    fn = child_yield if len(sys.argv) > 5 and sys.argv[5] == "yield" else child
    if loop_kind == "uvloop":
        import uvloop
        uvloop.install()
    median = asyncio.run(bench(kind, n, reps, fn))
    print(f"{median / n * 1e9:.1f}")


if __name__ == "__main__":
    main()
