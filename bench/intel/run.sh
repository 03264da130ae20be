#!/usr/bin/env bash
# ward-intel matching benchmark: 100,000 devices against 5,000 advisories generated from the 139
# real CISA medical advisories (bench/intel/make-data.py), on one core (taskset), wall time and
# peak RSS by /usr/bin/time -f '%e %M'. Each run loads and indexes the advisories, reads the CSV,
# matches, scores and writes the full JSON document (the work of `ward vulns --format json`).
#
#   bash bench/intel/run.sh            # 3 runs on core 1
#   BENCH_CORE=0 RUNS=5 bash bench/intel/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CORE=${BENCH_CORE:-1}
RUNS=${RUNS:-3}
OUT=bench/intel/out
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[ -f $OUT/devices.csv ] && [ -d $OUT/advisories ] || python3 bench/intel/make-data.py --out $OUT
cargo build --release -q -p ward-intel --example bench_match
BIN=$CARGO_TARGET_DIR/release/examples/bench_match
for i in $(seq "$RUNS"); do
    taskset -c "$CORE" /usr/bin/time -f 'time_s=%e peak_rss_kb=%M' "$BIN" $OUT/advisories $OUT/devices.csv $OUT/result.json 2>&1 | sed "s/^/run $i: /"
done
