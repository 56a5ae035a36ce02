"""The echo benchmark's Python peers: an asyncio streams echo server.

    /usr/bin/python3 echo_peer.py PORT [--uvloop]

Serves on 127.0.0.1:PORT until killed; with --uvloop, on uvloop's loop.
The handler is the asyncio docs' echo loop: read, write, drain."""
import asyncio
import signal
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
