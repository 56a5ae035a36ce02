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

kill -TERM "$hello_pid"
wait "$hello_pid"
check "http_hello exits 0 on SIGTERM" test $? -eq 0

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
