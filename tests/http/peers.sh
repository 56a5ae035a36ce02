#!/usr/bin/env bash
# Foreign peers against cio's HTTP server and WebSockets, on loopback:
# curl, Python's http.client, aiohttp (python3-aiohttp) and Python's
# websockets (python3-websockets). Each peer that is missing is skipped with
# a message. Usage: peers.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=${1:?build dir}
src=${2:?source dir}
py=/usr/bin/python3 # Debian's, which has the python3-* packages
tmp=$(mktemp -d)
pids=()
passed=0 failed=0 skipped=0

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "skip: $*"; skipped=$((skipped + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME ARGS...: run a built example in the background, wait for its port
start() {
    local name=$1; shift
    "$build/$name" "$@" >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    last_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$tmp/$name.out" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "$name did not start: $(cat "$tmp/$name.out")"
    return 1
}

have_py_module() { $py -c "import $1" 2>/dev/null; }

# ---- http_hello ----------------------------------------------------------------------
hello_port=$(free_port)
start http_hello "$hello_port" || exit 1
hello_pid=$last_pid
url=http://127.0.0.1:$hello_port

if command -v curl >/dev/null; then
    check "curl GET" test "$(curl -s "$url/")" = "Hello, World!"
    check "curl HEAD" bash -c "curl -sI '$url/' | grep -q '^Content-Length: 13'"
    check "curl POST upload" test "$(head -c 300000 /dev/urandom | curl -s --data-binary @- "$url/up")" = "Hello, World!"
    check "curl keep-alive (two URLs, one connection)" bash -c \
        "curl -sv '$url/a' '$url/b' 2>&1 | grep -q 'Re-using existing connection'"
    check "curl chunked upload" test "$(head -c 100000 /dev/zero | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- "$url/")" = "Hello, World!"
else
    skip "curl not installed (apt-get install curl)"
fi

cat >"$tmp/client.py" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(3):  # keep-alive: one connection
    c.request("GET", "/x%d" % i)
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"Hello, World!", r.status
c.request("POST", "/p", body=b"x" * 100000, headers={"Expect": "100-continue"})
r = c.getresponse()
assert r.read() == b"Hello, World!"
c.request("HEAD", "/")
r = c.getresponse()
assert r.getheader("Content-Length") == "13" and r.read() == b""
PY
check "python http.client" $py "$tmp/client.py" "$hello_port"

if have_py_module aiohttp; then
    cat >"$tmp/aio.py" <<'PY'
import asyncio, sys, aiohttp
async def main(port):
    async with aiohttp.ClientSession() as s:
        async def one(i):
            async with s.get("http://127.0.0.1:%d/%d" % (port, i)) as r:
                assert r.status == 200 and await r.text() == "Hello, World!"
        await asyncio.gather(*(one(i) for i in range(200)))
        async with s.post("http://127.0.0.1:%d/" % port, data=b"y" * 50000) as r:
            assert await r.text() == "Hello, World!"
asyncio.run(main(int(sys.argv[1])))
PY
    check "aiohttp client (200 concurrent)" $py "$tmp/aio.py" "$hello_port"
else
    skip "aiohttp not installed (apt-get install python3-aiohttp)"
fi

# 10,000 concurrent keep-alive connections, three requests on each (scaled
# down by http_conns to what RLIMIT_NOFILE allows).
if [[ -x $build/bench/http_conns ]]; then
    check "10000 concurrent keep-alive connections ($("$build/bench/http_conns" "$hello_port" 10000 3 | tee "$tmp/conns.out" | cut -d' ' -f3-))" \
        grep -q '^RESULT' "$tmp/conns.out"
    check "every connection answered" bash -c "read -r _ _ n answers _ <'$tmp/conns.out'; test \$answers -eq \$((n * 3))"
else
    skip "bench/http_conns not built (CIO_BUILD_BENCH=OFF)"
fi

kill -TERM "$hello_pid"
wait "$hello_pid"
check "http_hello exits 0 on SIGTERM" test $? -eq 0

# ---- http_files ----------------------------------------------------------------------
mkdir -p "$tmp/www/sub"
head -c 200000 /dev/urandom >"$tmp/www/data.bin"
echo "<p>hi</p>" >"$tmp/www/sub/index.html"
echo secret >"$tmp/secret.txt"
files_port=$(free_port)
start http_files "$tmp/www" "$files_port" || exit 1
files_pid=$last_pid
furl=http://127.0.0.1:$files_port
if command -v curl >/dev/null; then
    check "curl file download" bash -c "curl -s '$furl/data.bin' | cmp - '$tmp/www/data.bin'"
    check "curl range -r 1000-1999" bash -c \
        "curl -s -r 1000-1999 '$furl/data.bin' | cmp - <(tail -c +1001 '$tmp/www/data.bin' | head -c 1000)"
    check "curl range status 206" test "$(curl -s -o /dev/null -w '%{http_code}' -r 0-9 "$furl/data.bin")" = 206
    check "curl unsatisfiable range 416" test "$(curl -s -o /dev/null -w '%{http_code}' -r 999999- "$furl/data.bin")" = 416
    check "curl index.html" test "$(curl -s "$furl/sub/")" = "<p>hi</p>"
    check "curl traversal refused" test "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$furl/../secret.txt")" = 404
    check "curl encoded traversal refused" test "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$furl/%2e%2e/secret.txt")" = 404
    etag=$(curl -sI "$furl/data.bin" | tr -d '\r' | sed -n 's/^ETag: //p')
    check "curl If-None-Match 304" test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$furl/data.bin")" = 304
fi
cat >"$tmp/files.py" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
want = open(sys.argv[2], "rb").read()
c.request("GET", "/data.bin", headers={"Range": "bytes=-100"})
r = c.getresponse()
assert r.status == 206 and r.read() == want[-100:]
c.request("GET", "/data.bin")
assert c.getresponse().read() == want
PY
check "python http.client against http_files" $py "$tmp/files.py" "$files_port" "$tmp/www/data.bin"
if have_py_module aiohttp; then
    cat >"$tmp/aiofiles.py" <<'PY'
import asyncio, sys, aiohttp
async def main(port, path):
    want = open(path, "rb").read()
    async with aiohttp.ClientSession() as s:
        async def one(i):
            async with s.get("http://127.0.0.1:%d/data.bin" % port) as r:
                assert r.status == 200 and await r.read() == want
        await asyncio.gather(*(one(i) for i in range(20)))
asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
PY
    check "aiohttp against http_files (20 concurrent)" $py "$tmp/aiofiles.py" "$files_port" "$tmp/www/data.bin"
fi
kill -TERM "$files_pid"
wait "$files_pid"
check "http_files exits 0 on SIGTERM" test $? -eq 0

# ---- WebSockets: python websockets against ws_chat, and as the server of ws_client -----
if have_py_module websockets; then
    chat_port=$(free_port)
    start ws_chat "$chat_port" || exit 1
    chat_pid=$last_pid
    check "curl: ws_chat page" bash -c "curl -s 'http://127.0.0.1:$chat_port/' | grep -q 'new WebSocket'"
    cat >"$tmp/chat.py" <<'PY'
import asyncio, sys, websockets
async def main(port):
    url = "ws://127.0.0.1:%d/ws" % port
    async with websockets.connect(url) as a, websockets.connect(url) as b, websockets.connect(url) as c:
        await a.send("hello from a")
        assert await asyncio.wait_for(b.recv(), 5) == "hello from a"
        assert await asyncio.wait_for(c.recv(), 5) == "hello from a"
        await b.send("é" * 50000)  # 100 KB of UTF-8, fragmented by nobody
        assert await asyncio.wait_for(a.recv(), 5) == "é" * 50000
        assert await asyncio.wait_for(c.recv(), 5) == "é" * 50000
        await asyncio.wait_for(await a.ping(b"x"), 5)
        # permessage-deflate was offered by the client (the default) and taken
        assert a.extensions and a.extensions[0].name == "permessage-deflate", a.extensions
    # close codes: ours is echoed
    ws = await websockets.connect(url)
    await ws.close(4005, "leaving")
    assert ws.close_code == 4005, ws.close_code
    # an oversized message (over 1 MiB): the server closes with 1009
    ws = await websockets.connect(url, max_size=None)
    await ws.send("y" * (1024 * 1024 + 1))
    try:
        await asyncio.wait_for(ws.recv(), 5)
        raise SystemExit("no close")
    except websockets.ConnectionClosed as e:
        assert e.rcvd is not None and e.rcvd.code == 1009, e
asyncio.run(main(int(sys.argv[1])))
PY
    check "python websockets clients against ws_chat" $py "$tmp/chat.py" "$chat_port"
    kill -TERM "$chat_pid"
    wait "$chat_pid"
    check "ws_chat exits 0 on SIGTERM" test $? -eq 0

    ws_port=$(free_port)
    cat >"$tmp/echo_server.py" <<'PY'
import asyncio, sys, websockets
async def echo(ws, path=None):
    async for m in ws:
        if m == "ext?":
            await ws.send(",".join(e.name for e in ws.extensions) or "none")
            continue
        if m == "close-me":
            await ws.close(4002, "asked to")
            return
        await ws.send(m)
async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=200000):
        print("listening", flush=True)
        await asyncio.sleep(60)
asyncio.run(main(int(sys.argv[1])))
PY
    $py "$tmp/echo_server.py" "$ws_port" >"$tmp/pyws.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q listening "$tmp/pyws.out" && break; sleep 0.05; done
    wurl=ws://127.0.0.1:$ws_port/echo
    check "ws_client against python websockets: echo, fragments, close 1000" test \
        "$("$build/ws_client" "$wurl" hello frag:fragmented big:100000 | tr '\n' '|')" = \
        "got: hello|got: fragmented|got 100000 bytes|closed 1000 |"
    check "ws_client: permessage-deflate negotiated with python websockets" test \
        "$("$build/ws_client" "$wurl" "ext?" | head -1)" = "got: permessage-deflate"
    check "ws_client: the server's close code 4002" test \
        "$("$build/ws_client" "$wurl" hi close-me | tr '\n' '|')" = "got: hi|closed 4002 asked to|"
    check "ws_client: oversized message refused by the server (1009)" test \
        "$(WS_NO_DEFLATE=1 "$build/ws_client" "$wurl" big:300000 | tr '\n' '|')" = "closed 1009 |"
    check "ws_client without permessage-deflate" test \
        "$(WS_NO_DEFLATE=1 "$build/ws_client" "$wurl" hello big:100000 | tr '\n' '|')" = \
        "got: hello|got 100000 bytes|closed 1000 |"
else
    skip "python3-websockets not installed (apt-get install python3-websockets)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
