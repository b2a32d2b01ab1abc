#!/usr/bin/env bash
# `make bench`: nginx `return 302` and partnerd side by side on loopback; prints a table of figures
# and ratios and appends the run to bench/RESULTS.md. See bench/bench.py for what is measured and
# the BENCH_* settings (BENCH_CLICKS=1000000 BENCH_DURATION=3 BENCH_ROUNDS=1 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
