#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, on loopback only.
#
#   scripts/pg.sh start DIR    make a cluster in DIR (new or empty), start it, print two
#                              libpq connection strings: the Unix socket's, then TCP's
#   scripts/pg.sh restart DIR  stop it (fast) and start it again on the same port
#   scripts/pg.sh stop DIR     stop it by the PID it started, and remove DIR
#
# PostgreSQL refuses to run as root: as root the cluster runs as the
# 'postgres' user (made by Debian's postgresql package). Durability is off
# (fsync, synchronous_commit): test data is thrown away.
set -euo pipefail
cmd=${1:?usage: pg.sh start|restart|stop DIR}
dir=${2:?usage: pg.sh start|restart|stop DIR}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bindir/initdb" ]] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 77; }

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_start() {
    local port
    port=$(cat "$dir/port")
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
}

server_stop() {
    local pidfile="$dir/data/postmaster.pid" pid
    [[ -f "$pidfile" ]] || return 0
    pid=$(head -1 "$pidfile")
    kill -INT "$pid" 2>/dev/null || return 0   # fast shutdown: roll back, disconnect
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

case $cmd in
start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    free_port >"$dir/port"
    server_start
    port=$(cat "$dir/port")
    echo "host=$dir port=$port user=postgres dbname=postgres"
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
restart)
    server_stop
    server_start
    ;;
stop)
    server_stop
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg.sh start|restart|stop DIR" >&2
    exit 2
    ;;
esac
