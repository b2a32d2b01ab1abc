#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: a temporary directory, 127.0.0.1 on a free port,
# trust authentication, no fsync (PARTNERD_PG_DURABLE=1: fsync, full_page_writes and
# synchronous_commit on, as `make bench` measures it). Nothing outside the temporary directory is
# touched.
#
#   scripts/pg-test.sh start STATE     starts a cluster, writes its URL (line 1) and directory
#                                      (line 2) to the file STATE, prints the URL
#   scripts/pg-test.sh run STATE CMD…  runs CMD with PARTNERD_TEST_PG_URL set from STATE
#   scripts/pg-test.sh stop STATE      stops the cluster, removes its directory and STATE
#
# The ctest fixtures (tests named pg/start and pg/stop) call start and stop; the tests that need
# the database run through `run`. By hand:
#   scripts/pg-test.sh start /tmp/pd-pg && scripts/pg-test.sh run /tmp/pd-pg build/test_store
#
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

usage() {
    echo "usage: $0 start STATE | stop STATE | run STATE CMD [ARGS…]" >&2
    exit 2
}

bindir() {
    local d
    if d=$(pg_config --bindir 2>/dev/null) && [ -x "$d/initdb" ]; then
        echo "$d"
        return
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ]; then
            echo "$d"
            return
        fi
    done
    echo "pg-test: initdb not found (install the postgresql package: scripts/deps.sh)" >&2
    exit 1
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd_stop() {
    local state=$1 dir
    [ -f "$state" ] || return 0
    dir=$(sed -n 2p "$state")
    if [ -n "$dir" ] && [ -d "$dir/data" ]; then
        as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    # Only ever a directory this script created.
    case "$dir" in
    */partnerd-pg.*) rm -rf -- "$dir" ;;
    esac
    rm -f -- "$state"
}

cmd_start() {
    local state=$1 bin dir port url durable="-c fsync=off -c full_page_writes=off"
    if [ "${PARTNERD_PG_DURABLE:-0}" = 1 ]; then
        durable="-c fsync=on -c full_page_writes=on"
    fi
    cmd_stop "$state" # a cluster left over from an interrupted run
    bin=$(bindir)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/partnerd-pg.XXXXXX")
    chmod 755 "$dir"
    mkdir "$dir/data" "$dir/run"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir/data" "$dir/run"
    fi
    if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf -- "$dir"
        exit 1
    fi
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/run/server.log" -w -t 30 start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/run $durable \
                -c synchronous_commit=on -c max_connections=300 \
                -c shared_buffers=32MB -c log_min_messages=warning" >/dev/null 2>&1; then
            url="postgresql://postgres@127.0.0.1:$port/postgres"
            printf '%s\n%s\n' "$url" "$dir" >"$state"
            echo "$url"
            return 0
        fi
        echo "pg-test: start on port $port failed (attempt $attempt)" >&2
    done
    cat "$dir/run/server.log" >&2 || true
    rm -rf -- "$dir"
    exit 1
}

cmd_run() {
    local state=$1
    shift
    [ $# -gt 0 ] || usage
    if [ ! -f "$state" ]; then
        echo "pg-test: no cluster: $state is missing (did the pg/start fixture fail?)" >&2
        exit 1
    fi
    PARTNERD_TEST_PG_URL=$(sed -n 1p "$state")
    export PARTNERD_TEST_PG_URL
    exec "$@"
}

[ $# -ge 2 ] || usage
action=$1
state=$2
shift 2
case "$action" in
start) cmd_start "$state" ;;
stop) cmd_stop "$state" ;;
run) cmd_run "$state" "$@" ;;
*) usage ;;
esac
