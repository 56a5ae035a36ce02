"""bench/files_peer.py - the Python peer of bench/files.c: asyncio with one
asyncio.to_thread call per file operation (open, read, close), which is what
aiofiles does. Same work and concurrency as the C program.

    files_peer.py DIR SMALL_COUNT BIG_MIB [PASSES]

prints "small S big S first-small S first-big S": the median of PASSES [3]
timed passes after a first one, and that first one, as bench/files.c does.
"""
import asyncio
import os
import statistics
import sys
import time

IN_FLIGHT = 64
CHUNK = 1 << 20
BIG_IN_FLIGHT = 4
SMALL_MAX = 1 << 20


async def small_worker(directory, first, count):
    total = 0
    for i in range(first, count, IN_FLIGHT):
        path = os.path.join(directory, "small-%04d" % i)
        fd = await asyncio.to_thread(os.open, path, os.O_RDONLY | os.O_CLOEXEC)
        while True:
            data = await asyncio.to_thread(os.read, fd, SMALL_MAX)
            if not data:
                break
            total += len(data)
        await asyncio.to_thread(os.close, fd)
    return total


async def big_worker(fd, first, size):
    total = 0
    chunk = first
    while chunk * CHUNK < size:
        data = await asyncio.to_thread(os.pread, fd, CHUNK, chunk * CHUNK)
        total += len(data)
        chunk += BIG_IN_FLIGHT
    return total


async def one_pass(directory, count, big_mib):
    start = time.monotonic()
    await asyncio.gather(*(small_worker(directory, i, count) for i in range(IN_FLIGHT)))
    small = time.monotonic() - start
    start = time.monotonic()
    fd = await asyncio.to_thread(os.open, os.path.join(directory, "big"), os.O_RDONLY)
    await asyncio.gather(*(big_worker(fd, i, big_mib << 20) for i in range(BIG_IN_FLIGHT)))
    await asyncio.to_thread(os.close, fd)
    big = time.monotonic() - start
    return small, big


async def main(directory, count, big_mib, passes):
    first = await one_pass(directory, count, big_mib)
    timed = [await one_pass(directory, count, big_mib) for _ in range(passes)]
    small = statistics.median(t[0] for t in timed)
    big = statistics.median(t[1] for t in timed)
    print("small %.6f big %.6f first-small %.6f first-big %.6f" % (small, big, first[0], first[1]))


if __name__ == "__main__":
    passes = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), passes))
