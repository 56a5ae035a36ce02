#!/usr/bin/env bash
# HTTP client benchmark: 20,000 GETs over keep-alive at concurrency 50
# against nginx (1 worker, no master, pinned to CPU 0), bodies of 13 B
# ("Hello, World!") and 16 KiB; clients pinned to CPU 1, interleaved rounds:
#   cio (load_cio), libcurl's own curl_multi_poll loop (load_curl: the
#   reference, ratio 1.00), aiohttp on asyncio and on uvloop, Go if installed.
# Reports per size the median req/s and the median (min-max) of the per-round
# ratios to curl_multi_poll.
#   bench/http_client/run.sh                 5 rounds
#   ROUNDS=3 REQUESTS=20000 CONC=50 bench/http_client/run.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../../build}
rounds=${ROUNDS:-5} requests=${REQUESTS:-20000} conc=${CONC:-50}
python=/usr/bin/python3
[[ -x $build/bench/http_client_load_cio && -x $build/bench/http_client_load_curl ]] ||
    { echo "http_client: build first (needs libcurl4-openssl-dev)"; exit 1; }
[[ -x /usr/sbin/nginx ]] || { echo "http_client: apt install nginx-light"; exit 1; }
work=$(mktemp -d /tmp/cio-http-bench.XXXXXX)
nginx_pid=
trap '[[ -n $nginx_pid ]] && kill $nginx_pid; rm -rf "$work"' EXIT

port=$((20000 + $$ % 20000))
mkdir -p "$work/www" "$work/tmp"
printf 'Hello, World!' >"$work/www/hello"
head -c 16384 /dev/zero | tr '\0' 'x' >"$work/www/16k"
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; default_type text/plain;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$port; root $work/www; } }
CONF
taskset -c 0 /usr/sbin/nginx -e "$work/error.log" -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

names=(curl_multi_poll cio)
declare -A cmd=([curl_multi_poll]="$build/bench/http_client_load_curl" [cio]="$build/bench/http_client_load_cio")
if $python -c 'import aiohttp' 2>/dev/null; then
    names+=(aiohttp); cmd[aiohttp]="$python $here/load_aiohttp.py"
    if $python -c 'import uvloop' 2>/dev/null; then
        names+=(aiohttp_uvloop); cmd[aiohttp_uvloop]="$python $here/load_aiohttp.py --uvloop"
    fi
else echo "(aiohttp peer missing: apt install python3-aiohttp)"; fi
if command -v go >/dev/null && GOCACHE=/tmp/gocache go build -o "$work/load_go" "$here/load_go.go" 2>/dev/null
then names+=(go); cmd[go]="env GOMAXPROCS=1 $work/load_go"
else echo "(Go peer missing: apt install golang-go)"; fi

results=$work/results
for size in hello 16k; do
    url=http://127.0.0.1:$port/$size
    for round in $(seq "$rounds"); do
        for name in "${names[@]}"; do
            n=$requests
            [[ $name == aiohttp* ]] && n=$((requests / 4)) # slower: fewer, same rate
            line=$(taskset -c 1 ${cmd[$name]} "$url" "$n" "$conc" 2>"$work/err" | grep '^RESULT')
            [[ -n $line ]] || { echo "  ($name failed: $(tail -n1 "$work/err"))"; continue; }
            echo "$size $round $name ${line##* }" >>"$results"
        done
    done
done

$python - "$results" "${names[@]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = sys.argv[2:]
print(f"{'client':18} {'size':6} {'req/s (median)':>15} {'ratio to curl_multi_poll':>28}")
for size in ("hello", "16k"):
    ref = {r[1]: float(r[3]) for r in rows if r[0] == size and r[2] == "curl_multi_poll"}
    for name in names:
        got = {r[1]: float(r[3]) for r in rows if r[0] == size and r[2] == name}
        if not got: continue
        ratios = [got[k] / ref[k] for k in got if k in ref]
        rs = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else "-"
        print(f"{name:18} {size:6} {statistics.median(got.values()):15.0f} {rs:>28}")
PY
