#!/usr/bin/env bash
# The sensor ingest benchmark: sensors upload their reports to a fresh SQLite file and a fresh
# PostgreSQL database through ward-store's `Store::ingest` (what `ward server` runs for each
# POST /api/v1/ingest), several sensors at once; prints observations (asset sightings) per
# second, batches per second and the batch latency as a Markdown table (also written to
# bench/out/server/). Scenarios: cold (every device new), then steady cycles (the same devices
# seen again, as sensors reporting every five minutes do).
#
#   bash bench/server/ingest.sh                       # both backends, 100,000 devices, 8 sensors
#   bash bench/server/ingest.sh --backend sqlite      # one backend (sqlite | postgres | both)
#   bash bench/server/ingest.sh --devices 20000 --sensors 16 --per-report 1000 --cycles 3
#
# PostgreSQL: WARD_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test) names a
# server where the benchmark may drop and create the database `ward_ingest_bench`.
# INGEST_BENCH_BIN=/path/to/ingest_bench skips the build. The process is not pinned: the
# uploaders' tasks (turning reports into rows) and the store's writer run on every core.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/server
mkdir -p "$out"
bin=${INGEST_BENCH_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release -p ward-store --example ingest_bench >&2
    bin=${CARGO_TARGET_DIR:-target}/release/examples/ingest_bench
fi
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
    echo "## ward-store ingest, $stamp"
    echo
    echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates/ward-store || echo ' (with local changes to crates/ward-store)')"
    echo "- machine: $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- disk of the SQLite file: $(df -h --output=source,fstype "${TMPDIR:-/tmp}" | tail -1 | tr -s ' ')"
    echo "- PostgreSQL: $(psql "${WARD_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}" -qAtc 'SHOW server_version' 2>/dev/null || echo 'not reachable')"
    echo "- command: ingest_bench $*"
    echo
    "$bin" "$@"
} | tee "$out/ingest-$stamp.md"
cp "$out/ingest-$stamp.md" "$out/ingest.md"
