#!/usr/bin/env bash
# `make run`: creates the demo database once (init + demo), then serves it.
# Usage: scripts/run-demo.sh DB_URL LISTEN
set -euo pipefail
db=${1:-sqlite:build/demo.db}
listen=${2:-127.0.0.1:8080}
bin=build/partnerd
keys=build/demo-keys.txt

reuse=0
# web: a demo made before the dashboards has no logins: make it again
if [ -f "$keys" ] && grep -qx "db: $db" "$keys" && grep -q "dashboard logins" "$keys"; then
    case "$db" in
        sqlite:*) [ -f "${db#sqlite:}" ] && reuse=1 ;;
        *) reuse=1 ;;
    esac
fi
if [ $reuse = 1 ]; then
    echo "reusing the demo database $db"
    "$bin" migrate --db "$db" # a demo made by an older partnerd gets the newer schema
else
    case "$db" in sqlite:*) rm -f "${db#sqlite:}" "${db#sqlite:}-wal" "${db#sqlite:}-shm" ;; esac
    {
        echo "db: $db"
        "$bin" init --db "$db"
        echo
        "$bin" demo --db "$db"
    } >"$keys"
fi
echo
cat "$keys"
echo
echo "partnerd is serving on http://$listen (Ctrl-C stops it)"
echo "  try: curl -i http://$listen/c/alice"
echo "  dashboards: http://$listen/login (logins above)"
exec "$bin" serve --db "$db" --listen "$listen"
