#!/bin/sh
# Ledger benchmark: durable appends/s (directory and SQLite, group commit with many concurrent
# appenders), proof generation and verification at 10 million entries, and end-to-end
# verification of a 10-million-entry log. Results go to stdout; bench/ledger/RESULTS.md records
# a run. Needs ~2 GB of free disk in $WORK for the 10M-entry log.
set -eu
cd "$(dirname "$0")/../.."
TARGET=${CARGO_TARGET_DIR:-target}
WORK=${WORK:-/tmp/ward-ledger-bench}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BIG=${BIG:-10000000}
cargo build --release -q -p ward-ledger --example ledger_bench
B="$TARGET/release/examples/ledger_bench"
rm -rf "$WORK" && mkdir -p "$WORK"
for n in 1 16 256 1024 4096; do
    "$B" append "$WORK/dir-$n" "$n" "$SECONDS_PER_RUN"
done
for n in 1 256 4096; do
    "$B" append "sqlite:$WORK/sqlite-$n.db" "$n" "$SECONDS_PER_RUN"
done
"$B" fill "$WORK/big" "$BIG"
du -sh "$WORK/big"
"$B" proofs "$WORK/big" 20000
"$B" verify "$WORK/big"
# The same walk through the CLI, as an operator runs it.
cargo build --release -q -p ward
/usr/bin/time -f "ward ledger verify: %e s, %M KiB max RSS" "$TARGET/release/ward" ledger verify --dir "$WORK/big" --key "$WORK/big/ledger.pub"
