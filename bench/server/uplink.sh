#!/usr/bin/env bash
# The sensor uplink through a real `ward server` over HTTPS (bench/server/uplink.py says what is
# measured): `ingest_bench --emit` writes the simulated hospital's reports as JSON files, then
# 8 sensors upload them at once to a fresh server on loopback. Prints a Markdown table (also
# written to bench/out/server/). Nothing is asserted.
#
#   bash bench/server/uplink.sh                          # 100,000 devices, 8 sensors, 6 steady cycles
#   bash bench/server/uplink.sh --devices 20000 --cycles 3
#   WARD_BIN=... INGEST_BENCH_BIN=... bash bench/server/uplink.sh   # skip the builds
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/server
mkdir -p "$out"
ward=${WARD_BIN:-}
gen=${INGEST_BENCH_BIN:-}
if [[ -z $ward || -z $gen ]]; then
    cargo build --release -p ward -p ward-store --example ingest_bench >&2
    ward=${ward:-${CARGO_TARGET_DIR:-target}/release/ward}
    gen=${gen:-${CARGO_TARGET_DIR:-target}/release/examples/ingest_bench}
fi
args=("$@")
[[ " $* " == *" --cycles "* ]] || args+=(--cycles 6)
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
"$gen" "${args[@]}" --emit "$reports"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
    echo "## ward server uplink, $stamp"
    echo
    echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (with local changes)')"
    echo "- machine: $(nproc --all) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: \`bash bench/server/uplink.sh ${args[*]}\`"
    echo
    python3 bench/server/uplink.py --ward "$ward" --reports "$reports"
} | tee "$out/uplink-$stamp.md"
cp "$out/uplink-$stamp.md" "$out/uplink.md"
