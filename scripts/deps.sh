#!/usr/bin/env bash
# Installs the Debian packages partnerd needs to build, test and run; only the missing ones.
# Called by `make run` and `make test`; safe to run again.
set -euo pipefail

packages=(
    build-essential cmake pkg-config clang libclang-rt-dev
    libevent-dev libsqlite3-dev libjansson-dev libsodium-dev libpq-dev libssl-dev libcmocka-dev
    libjemalloc-dev
    sqlite3 python3 python3-psycopg2 curl jq ca-certificates procps
    postgresql postgresql-client
    libxml2-utils unzip libhbci4j-core-java
    libcurl4-openssl-dev python3-aiosmtpd
)
# email: libcurl speaks SMTP; the e2e tests run aiosmtpd on loopback and read what arrived.
# libhbci4j-core-java: its jar carries the official pain.001 XSDs that tests/sepa/validate.sh
# extracts at test time; xmllint validates the generated SEPA files against them.
# web: Chromium for the browser tests; Node.js and npm build the dashboards (npm ci) and run those
# tests. Any Node.js >= 18 will do: Debian's packages only when there is no node or npm at all (a
# nodesource nodejs already brings npm, and Debian's npm would conflict with it).
packages+=(chromium)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ -n "${PARTNERD_DEPS_EXTRA:-}" ]; then
    read -r -a extra <<<"$PARTNERD_DEPS_EXTRA"
    packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "deps: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
