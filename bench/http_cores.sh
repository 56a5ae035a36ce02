#!/usr/bin/env bash
# HTTP "Hello, World!" on every core (issue 18): wrk against
#
#   nginx-1 / nginx-2   Debian's nginx, 1 and 2 worker processes (each
#                       worker its own SO_REUSEPORT listener), access log off
#   cio-1 / cio-2       examples/http_hello.c PORT 1 / PORT 2: one loop, and
#                       two loops each with its own SO_REUSEPORT listener
#
# in the same run, interleaved, rotating the order each round. The machine
# has 2 cores and wrk needs CPU too, so nothing is pinned (http_hello pins
# its loops to the CPUs it may use): a 2-worker server competes with wrk.
# Beside req/s, the server's CPU per request: utime+stime of every process
# and thread of it (nginx: the workers; /proc/PID/stat, 10 ms ticks).
#
#   bench/http_cores.sh                      3 rounds of 2 s, -c50 and -c256
#   CIO_BENCH_QUICK=1 bench/http_cores.sh    1 round of 1 s
#   ROUNDS=5 SECONDS_PER_RUN=5 CONNS=256 bench/http_cores.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../build}
source "$here/lib.sh"
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-2}
conns=(${CONNS:-50 256})
if bench_quick; then rounds=${ROUNDS:-1}; seconds=${SECONDS_PER_RUN:-1}; fi
work=$(mktemp -d /tmp/cio-http-cores.XXXXXX)
declare -A pid port
trap 'for p in "${pid[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "http_cores: wrk missing: apt-get install wrk"; exit 0; }
[[ -x $build/http_hello ]] || { echo "http_cores: $build/http_hello missing: build first"; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

names=()
start() { # NAME COMMAND...
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>&1 &
    pid[$name]=$!
    names+=("$name")
}
for loops in 1 2; do
    port[cio-$loops]=$(free_port)
    start "cio-$loops" "$build/http_hello" "${port[cio-$loops]}" "$loops"
done
if [[ -x $nginx_bin ]]; then
    for workers in 1 2; do
        name=nginx-$workers dir=$work/nginx-$workers
        port[$name]=$(free_port)
        mkdir -p "$dir"
        cat >"$dir/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path $dir; proxy_temp_path $dir;
    fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
    server {
        listen 127.0.0.1:${port[$name]} reuseport;
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
        start "$name" "$nginx_bin" -c "$dir/nginx.conf" -p "$dir"
    done
else
    echo "(nginx missing: apt-get install nginx-light)"
fi
for name in "${names[@]}"; do
    wait_port "${port[$name]}" || { echo "$name did not start: $(cat "$work/$name.out")"; exit 1; }
done

# CPU ticks of a server: its own and its children's (nginx's workers) stat.
cpu_ticks() {
    local total=0 p
    for p in "$1" $(pgrep -P "$1"); do
        total=$((total + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

echo "http_cores: $rounds round(s) of ${seconds}s, nothing pinned, wrk -t2; $(nproc) CPUs, $(uname -r)"
results=$work/results
: >"$results"
for ((r = 1; r <= rounds; r++)); do
    echo "round $r $(bench_others_cpu 0.5)"
    for c in "${conns[@]}"; do
        order=("${names[@]:r % ${#names[@]}}" "${names[@]:0:r % ${#names[@]}}")
        for name in "${order[@]}"; do
            before=$(cpu_ticks "${pid[$name]}")
            wrk -t2 -c"$c" -d"${seconds}s" "http://127.0.0.1:${port[$name]}/" >"$work/wrk.out" 2>&1
            after=$(cpu_ticks "${pid[$name]}")
            awk -v r="$r" -v c="$c" -v n="$name" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
                /requests in/ { reqs = $1 } /Requests\/sec/ { rps = $2 }
                END { printf "%s %s %s %.0f %.2f\n", r, c, n, rps, reqs ? ticks / hz * 1e6 / reqs : 0 }
            ' "$work/wrk.out" >>"$results"
        done
    done
done

echo
echo "| conns | server | req/s (median) | x nginx-2 (median of rounds) | CPU us/req (median) |"
echo "|---|---|---|---|---|"
/usr/bin/python3 - "$results" "${names[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
rps, cpu = defaultdict(dict), defaultdict(dict)
for line in open(sys.argv[1]):
    r, c, n, v, u = line.split()
    rps[(int(c), n)][r] = float(v)
    cpu[(int(c), n)][r] = float(u)
for c in sorted({k[0] for k in rps}):
    for n in sys.argv[2:]:
        mine, ref = rps.get((c, n), {}), rps.get((c, "nginx-2"), {})
        x = [mine[r] / ref[r] for r in mine if ref.get(r)]
        xs = f"{statistics.median(x):.2f} ({min(x):.2f}-{max(x):.2f})" if x else "-"
        print(f"| {c} | {n} | {statistics.median(mine.values()):.0f} | {xs} | "
              f"{statistics.median(cpu[(c, n)].values()):.1f} |")
PY
