"""bench/http_client/load_aiohttp.py - N GETs of one URL at concurrency C
with aiohttp (one ClientSession), on asyncio or uvloop:
  load_aiohttp.py URL N C [--uvloop]
prints "RESULT http_client aiohttp[_uvloop] req_per_s VALUE"."""
import asyncio
import sys
import time

import aiohttp


async def main(url, n, c):
    left = [n]
    failed = [0]
    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker():
            while left[0] > 0:
                left[0] -= 1
                async with session.get(url) as r:
                    await r.read()
                    if r.status != 200:
                        failed[0] += 1
        await asyncio.gather(*(worker() for _ in range(c)))
    return failed[0]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    url, n, c = args[0], int(args[1]), int(args[2])
    name = "aiohttp"
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
        name = "aiohttp_uvloop"
    start = time.monotonic()
    failed = asyncio.run(main(url, n, c))
    took = time.monotonic() - start
    if failed:
        print(f"{failed} requests failed", file=sys.stderr)
    print(f"RESULT http_client {name} req_per_s {n / took:.0f}")
