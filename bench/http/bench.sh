#!/usr/bin/env bash
# HTTP plaintext benchmark: wrk against three servers answering
# "Hello, World!" to every request, each pinned to CPU 0, wrk to CPU 1:
#
#   floor   bench/http_floor: hand-written epoll C (2 syscalls a request)
#   nginx   Debian's nginx-light, 1 worker, `return 200 "Hello, World!"`,
#           access log off, generated config in a temp dir, started and
#           stopped by PID
#   cio     examples/http_hello.c (cio_http_serve)
#
# Rounds are interleaved: each round runs every server once per connection
# count, in a rotating order. For each run: req/s and latency percentiles
# (wrk --latency), and the server's CPU time per request from
# /proc/PID/stat (utime + stime) over the run. Reported: medians over the
# rounds, and the per-round ratios cio/nginx (req/s) and cio/floor (CPU per
# request), median and range. The machine is shared: figures are only
# comparable within one run.
#
#   bench/http/bench.sh                       5 rounds of 5 s at -c50 and -c256
#   ROUNDS=3 SECONDS_PER_RUN=2 bench/http/bench.sh
#   CONNS="50" bench/http/bench.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${CIO_BENCH_BUILD:-$here/../../build}
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_RUN:-5}
conns=(${CONNS:-50 256})
if [[ -n ${CIO_BENCH_QUICK:-} ]]; then rounds=${ROUNDS:-2}; seconds=${SECONDS_PER_RUN:-1}; fi
work=$(mktemp -d /tmp/cio-http-bench.XXXXXX)
declare -A pid port
trap 'for p in "${pid[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "http bench: wrk missing: apt-get install wrk"; exit 1; }
for program in "$build/http_hello" "$build/bench/http_floor"; do
    [[ -x $program ]] || { echo "http bench: $program missing: build first"; exit 1; }
done

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

start() { # NAME COMMAND...: pinned to CPU 0
    local name=$1
    shift
    taskset -c 0 "$@" >"$work/$name.out" 2>&1 &
    pid[$name]=$!
}

names=(floor cio)
port[floor]=$(free_port)
start floor "$build/bench/http_floor" "${port[floor]}"
port[cio]=$(free_port)
start cio "$build/http_hello" "${port[cio]}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x $nginx_bin ]]; then
    port[nginx]=$(free_port)
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
    server {
        listen 127.0.0.1:${port[nginx]};
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
    start nginx "$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx"
    names+=(nginx)
else
    echo "(nginx missing: apt-get install nginx-light)"
fi
for name in "${names[@]}"; do
    wait_port "${port[$name]}" || { echo "$name did not start: $(cat "$work/$name.out")"; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run: prints "reqs rps cpu_us_per_req p50_ms p99_ms"
run_one() {
    local name=$1 c=$2 before after
    before=$(cpu_ticks "${pid[$name]}")
    taskset -c 1 wrk -t1 -c"$c" -d"${seconds}s" --latency "http://127.0.0.1:${port[$name]}/" >"$work/wrk.out" 2>&1
    after=$(cpu_ticks "${pid[$name]}")
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        /requests in/ { reqs = $1 }
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        END { printf "%d %.0f %.2f %.3f %.3f\n", reqs, rps, reqs ? ticks / hz * 1e6 / reqs : 0, ms(p50), ms(p99) }
    ' "$work/wrk.out"
}

echo "http bench: $rounds rounds of ${seconds}s, servers on CPU 0, wrk -t1 on CPU 1; $(nproc) CPUs, $(uname -r)"
echo "wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2), nginx $($nginx_bin -v 2>&1 | cut -d/ -f2)"
results=$work/results
: >"$results"
for ((r = 1; r <= rounds; r++)); do
    load=$(awk '{print $1}' /proc/loadavg)
    echo "round $r (load average $load)"
    for c in "${conns[@]}"; do
        order=("${names[@]:r % ${#names[@]}}" "${names[@]:0:r % ${#names[@]}}")
        for name in "${order[@]}"; do
            line=$(run_one "$name" "$c")
            echo "  -c$c $name: $line"
            echo "$r $c $name $line" >>"$results"
        done
    done
done

echo
echo "| conns | server | req/s (median) | CPU us/req | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
for c in "${conns[@]}"; do
    for name in "${names[@]}"; do
        awk -v c="$c" -v n="$name" '$2 == c && $3 == n { print $5, $6, $7, $8 }' "$results" | sort -n |
            awk -v c="$c" -v n="$name" '{ rps[NR] = $1; line[NR] = $0 }
                END { m = int((NR + 1) / 2); split(line[m], f, " ");
                      printf "| %s | %s | %.0f | %.2f | %.3f | %.3f |\n", c, n, f[1], f[2], f[3], f[4] }'
    done
done
echo
echo "Per-round ratios (median [min - max]):"
for c in "${conns[@]}"; do
    for pair in "cio nginx 5 rps" "cio floor 6 cpu"; do
        read -r a b col what <<<"$pair"
        [[ " ${names[*]} " == *" $b "* ]] || continue
        awk -v c="$c" -v a="$a" -v b="$b" -v col="$col" '
            $2 == c && $3 == a { x[$1] = $col } $2 == c && $3 == b { y[$1] = $col }
            END { n = 0; for (r in x) if (y[r] > 0) v[++n] = x[r] / y[r];
                  if (!n) exit;
                  for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
                  printf "  -c%s %s/%s %s: %.3f [%.3f - %.3f]\n", c, a, b, col == 5 ? "req/s" : "CPU per request", v[int((n + 1) / 2)], v[1], v[n] }' "$results"
    done
done
