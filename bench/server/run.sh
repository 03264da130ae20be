#!/usr/bin/env bash
# The server store's list-query benchmark: fills a fresh SQLite file and a fresh PostgreSQL
# database with 100,000 assets and 1,000,000 findings, times the list queries through
# ward-store's public API, and prints a Markdown table (also written to bench/out/server/).
#
#   bash bench/server/run.sh                      # both backends, 200 runs per shape
#   bash bench/server/run.sh --backend sqlite     # one backend (sqlite | postgres | both)
#   bash bench/server/run.sh --runs 500 --seed 2  # any option of examples/store_bench.rs
#
# PostgreSQL: WARD_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test) names a
# server where the benchmark may drop and create the database `ward_bench`.
# STORE_BENCH_BIN=/path/to/store_bench skips the build. BENCH_CPU (default 1) is the core the
# benchmark process is pinned to; the PostgreSQL server itself is not pinned.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/server
mkdir -p "$out"
bin=${STORE_BENCH_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release -p ward-store --example store_bench >&2
    bin=${CARGO_TARGET_DIR:-target}/release/examples/store_bench
fi
pin=()
if command -v taskset >/dev/null && [[ $(nproc) -gt 1 ]]; then
    pin=(taskset -c "${BENCH_CPU:-1}")
fi
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
    echo "## ward-store list queries, $stamp"
    echo
    echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates/ward-store || echo ' (with local changes to crates/ward-store)')"
    echo "- machine: $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)"
    echo "- PostgreSQL: $(psql "${WARD_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}" -qAtc 'SHOW server_version' 2>/dev/null || echo 'not reachable')"
    echo "- command: ${pin[*]} store_bench $*"
    echo
    "${pin[@]}" "$bin" "$@"
} | tee "$out/results-$stamp.md"
cp "$out/results-$stamp.md" "$out/results.md"
