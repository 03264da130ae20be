#!/usr/bin/env bash
# What a sign-in costs `ward server` and what a password-guessing flood does to it: a real
# server (release build, HTTPS, SQLite) pinned to one core, the clients on the other, all on
# loopback (bench/server/signin_flood.py says what is measured). Writes
# bench/server/RESULTS-signin.md.
#
#   bash bench/server/signin.sh                          # floods of 32 and 256 attackers, 20 s each
#   bash bench/server/signin.sh --attackers 64 --seconds 30
#   WARD_BIN=target/release/ward bash bench/server/signin.sh   # skip the build
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${WARD_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release -p ward >&2
    bin=${CARGO_TARGET_DIR:-target}/release/ward
fi
out=bench/server/RESULTS-signin.md
tmp=$(mktemp)
{
    echo "# ward server: sign-in cost and a password-guessing flood"
    echo
    echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo ' (with local changes)')"
    echo "- machine: $(nproc --all) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr), load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- command: \`bash bench/server/signin.sh $*\`"
    taskset -c 0 python3 bench/server/signin_flood.py --ward "$bin" --server-core 1 "$@"
} >"$tmp"
mv "$tmp" "$out"
cat "$out"
