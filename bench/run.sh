#!/usr/bin/env bash
# Ward's throughput and memory against ndpiReader (nDPI) and tshark (Wireshark) on the same 1 GB
# hospital-like capture, each pinned to one core, best of three runs on a warm page cache; then
# Ward's peak memory on a 1 GB and a 10 GB stream of the same mix. Writes bench/RESULTS.md.
#
#   bash bench/run.sh              # everything (about 8 minutes on 2 cores)
#   bash bench/run.sh --skip-10g   # without the 10 GB memory run
#   bash bench/run.sh --runs 5     # best of 5 instead of 3
#   BENCH_CORE=1 WARD_BIN=path/to/ward bash bench/run.sh   # pick the core; use a prebuilt ward
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_10G=0
RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
    --skip-10g) SKIP_10G=1 ;;
    --runs) RUNS=$2; shift ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 1 ;;
    esac
    shift
done
CORE=${BENCH_CORE:-1}
GEN_CORE=$(((CORE + 1) % $(nproc --all)))
OUT=bench/out
CAP=$OUT/hospital-1g.pcap
GEN=(python3 bench/make-capture.py --size-gb 1 --hosts 2000 --seed 1)
for t in ndpiReader tshark capinfos taskset python3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install libndpi-bin tshark util-linux time)" >&2; exit 1; }
done
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }
# No early-closing pipes below (head, awk exit): a SIGPIPE would end the script under pipefail.

# 1. Ward (a failing build is reported, and the peers are still measured).
WARD=${WARD_BIN:-}
if [ -z "$WARD" ]; then
    if cargo build --release -p ward >&2; then WARD=target/release/ward; else log "cargo build failed: Ward not measured"; fi
fi
if [ -n "$WARD" ] && [ ! -x "$WARD" ]; then log "$WARD not executable: Ward not measured"; WARD=""; fi

# 2. The capture (made once; delete it to make it again).
if [ ! -f "$CAP" ] || [ ! -f "$CAP.stats.json" ]; then
    log "generating $CAP"
    "${GEN[@]}" --out "$CAP" --stats "$CAP.stats.json"
    capinfos "$CAP" >"$CAP.capinfos.txt"
fi
PACKETS=$(capinfos -c -M "$CAP" | awk '/Number of packets/ {print $NF}')
BYTES=$(stat -c %s "$CAP")
stat_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$CAP.stats.json" "$1"; }
IPS=$(stat_of hosts_ip)
MACS=$(stat_of hosts_mac)
CAP_SECONDS=$(stat_of seconds)
MIX=$(python3 - "$CAP.stats.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["mix"]
print("| traffic | conversations | share of packets | share of bytes |\n|---|---|---|---|")
for c, v in sorted(m.items(), key=lambda kv: -kv[1]["bytes_pct"]):
    print(f"| {c} | {v['conversations']} | {v['packets_pct']} % | {v['bytes_pct']} % |")
PY
)
log "capture: $PACKETS packets, $BYTES bytes, $IPS IPs, $MACS MACs"
cat "$CAP" >/dev/null # warm page cache

# 3. Timed runs: every tool pinned to one core, RUNS rounds (tools interleaved), best elapsed.
WARD_CMD=("$WARD" analyze --format json --output /dev/null --no-progress "$CAP")
NDPI_CMD=(ndpiReader -q -i "$CAP")
TSHARK_CMD=(tshark -n -q -r "$CAP" -z conv,ip)
TSHARK_PHS_CMD=(tshark -n -q -r "$CAP" -z io,phs)
declare -A BEST_E BEST_M FAILED ROUND_E
ROUND=0
measure() { # NAME CMD...: one timed run; keeps the best elapsed, the highest peak RSS and this round's elapsed
    local name=$1 e m rc=0
    shift
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" taskset -c "$CORE" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" || rc=$?
    read -r e m < <(tail -n 1 "$OUT/time.txt")
    if [ "$rc" != 0 ]; then FAILED[$name]="exit $rc"; log "$name failed (exit $rc), see $OUT/$name.stderr"; return 0; fi
    log "$name: ${e} s, $((m / 1024)) MiB"
    ROUND_E[$name,$ROUND]=$e
    if [ -z "${BEST_E[$name]:-}" ] || awk "BEGIN{exit !($e < ${BEST_E[$name]})}"; then BEST_E[$name]=$e; fi
    if [ -z "${BEST_M[$name]:-}" ] || [ "$m" -gt "${BEST_M[$name]}" ]; then BEST_M[$name]=$m; fi
}
for r in $(seq "$RUNS"); do
    log "round $r of $RUNS"
    ROUND=$r
    if [ -n "$WARD" ]; then measure ward "${WARD_CMD[@]}"; fi
    measure ndpi "${NDPI_CMD[@]}"
    measure tshark "${TSHARK_CMD[@]}"
    measure tshark-phs "${TSHARK_PHS_CMD[@]}"
done
# What Ward found (one more run, writing the report, not timed): proof it read the whole capture.
WARD_SEEN=""
if [ -n "$WARD" ] && [ -z "${FAILED[ward]:-}" ]; then
    taskset -c "$CORE" "$WARD" analyze --format json --output "$OUT/ward.json" --no-progress "$CAP"
    WARD_SEEN=$(python3 - "$OUT/ward.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"Ward's report on it: {d['capture']['packets']} packets, {len(d['assets'])} assets, "
      f"{len(d['conversations'])} conversations, services: {', '.join(p['service'] for p in d['protocols'])}.")
PY
    )
fi

row() { # LABEL NAME
    local label=$1 name=$2
    if [ -n "${FAILED[$name]:-}" ]; then echo "| $label | failed (${FAILED[$name]}) | | | | |"; return 0; fi
    if [ -z "${BEST_E[$name]:-}" ]; then echo "| $label | not run | | | | |"; return 0; fi
    awk -v l="$label" -v e="${BEST_E[$name]}" -v m="${BEST_M[$name]}" -v p="$PACKETS" -v b="$BYTES" -v we="${BEST_E[ward]:-}" -v n="$name" \
        'BEGIN{ r = (we == "") ? "" : (n == "ward" ? "1.0x" : sprintf("%.1fx", e / we));
                printf "| %s | %.2f s | %.3f M | %.3f | %.0f MiB | %s |\n", l, e, p / e / 1e6, b * 8 / e / 1e9, m / 1024, r }'
}
NDPI_V=$(ndpiReader -h 2>&1 | awk '/Welcome to nDPI/ && !v {v = $NF} END {print v}')
TSHARK_V=$(tshark -v 2>/dev/null | sed -n '1s/\.$//p')
TABLE=$(
    echo "| tool (command) | time | packets/s | Gbit/s | peak RSS | Ward is faster by |"
    echo "|---|---|---|---|---|---|"
    row "ward analyze --format json --output /dev/null" ward
    row "ndpiReader -q -i (nDPI $NDPI_V)" ndpi
    row "tshark -n -q -z conv,ip" tshark
    row "tshark -n -q -z io,phs (builds the full protocol tree)" tshark-phs
)
VERDICT=""
if [ -n "${BEST_E[ward]:-}" ] && [ -n "${BEST_E[ndpi]:-}" ] && [ -n "${BEST_E[tshark]:-}" ]; then
    VERDICT=$(awk -v w="${BEST_E[ward]}" -v n="${BEST_E[ndpi]}" -v t="${BEST_E[tshark]}" -v tp="${BEST_E[tshark-phs]:-0}" 'BEGIN{
        printf "Targets, one core: Ward >= 3x ndpiReader: %.1fx, %s. Ward >= 20x tshark: %.1fx against `-z conv,ip`, %s",
            n / w, (n / w >= 3 ? "met" : "NOT met"), t / w, (t / w >= 20 ? "met" : "NOT met");
        if (tp > 0) printf " (%.1fx against `-z io,phs`)", tp / w; printf ".\n" }')
fi
# The same ratio round by round (Ward and ndpiReader run back to back in each round), so that a
# slow moment of a shared machine shows as a spread instead of hiding in a best-of.
PER_ROUND=""
if [ -n "${BEST_E[ward]:-}" ] && [ -n "${BEST_E[ndpi]:-}" ]; then
    RATIOS=()
    for r in $(seq "$RUNS"); do
        if [ -n "${ROUND_E[ward,$r]:-}" ] && [ -n "${ROUND_E[ndpi,$r]:-}" ]; then RATIOS+=("$(awk -v w="${ROUND_E[ward,$r]}" -v n="${ROUND_E[ndpi,$r]}" 'BEGIN{printf "%.2f", n / w}')"); fi
    done
    if [ ${#RATIOS[@]} -gt 0 ]; then
        MEDIAN=$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
        PER_ROUND="ndpiReader's time over Ward's, round by round: ${RATIOS[*]} (median ${MEDIAN}x)."
    fi
fi

# 4. Memory: the same mix as a 1 GB and a 10 GB stream on standard input (the generator on the
# other core), next to the 1 GB file.
stream() { # SIZE_GB NAME: ward reading the generator's stream; prints "elapsed rss packets"
    local gb=$1 name=$2 rc=0 e m
    taskset -c "$GEN_CORE" python3 bench/make-capture.py --size-gb "$gb" --hosts 2000 --seed 1 --out - 2>/dev/null |
        /usr/bin/time -f "%e %M" -o "$OUT/time-$name.txt" taskset -c "$CORE" "$WARD" analyze --format json \
            --output "$OUT/ward-$name.json" --no-progress - 2>"$OUT/ward-$name.stderr" || rc=$?
    if [ "$rc" != 0 ]; then log "ward on the $gb GB stream failed (exit $rc)"; echo "failed failed failed"; return 0; fi
    read -r e m < <(tail -n 1 "$OUT/time-$name.txt")
    echo "$e $(((m + 512) / 1024)) $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['capture']['packets'])" "$OUT/ward-$name.json")"
}
MEM=""
if [ -n "$WARD" ] && [ -z "${FAILED[ward]:-}" ]; then
    log "memory: 1 GB stream"
    read -r E1 M1 P1 < <(stream 1 1g-stream)
    MEM="| Ward's input | packets | peak RSS | elapsed |
|---|---|---|---|
| 1 GB file | $PACKETS | $(((BEST_M[ward] + 512) / 1024)) MiB | ${BEST_E[ward]} s |
| 1 GB stream on stdin | $P1 | $M1 MiB | $E1 s (paced by the generator) |"
    if [ "$SKIP_10G" = 0 ]; then
        log "memory: 10 GB stream (the generator needs about 2 minutes)"
        read -r E10 M10 P10 < <(stream 10 10g-stream)
        MEM="$MEM
| 10 GB stream on stdin | $P10 | $M10 MiB | $E10 s (paced by the generator) |"
    fi
fi

# 5. The report.
DIRTY=""
git diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || DIRTY=" with uncommitted changes"
{
    echo "# Benchmark results"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Ward at commit $(git rev-parse --short HEAD)$DIRTY$([ -n "$WARD" ] && echo " ($("$WARD" --version 2>/dev/null | sed -n 1p))")."
    echo "Machine: $(nproc --all) cores, $(awk -F': ' '/model name/ && !m {m = $2} END {print m}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, Linux $(uname -r)."
    echo "Peers: nDPI $NDPI_V (Debian libndpi-bin $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null)), $TSHARK_V."
    echo "Every tool pinned to core $CORE (\`taskset -c $CORE\`), best of $RUNS runs on a warm page cache, output discarded;"
    echo "peak RSS is the highest of the runs (\`/usr/bin/time -f '%e %M'\`). Gbit/s counts the file's bytes."
    echo
    echo "Capture: \`$CAP\` made by \`${GEN[*]} --out $CAP\`: $PACKETS packets, $BYTES bytes,"
    echo "$IPS IP addresses and $MACS MAC addresses, $CAP_SECONDS s of capture time, conversations of real tools replayed (bench/README.md):"
    echo
    echo "$MIX"
    echo
    echo "## Throughput, one core"
    echo
    echo "$TABLE"
    echo
    if [ -n "$VERDICT" ]; then echo "$VERDICT"; echo; fi
    if [ -n "$PER_ROUND" ]; then echo "$PER_ROUND"; echo; fi
    if [ -n "$WARD_SEEN" ]; then echo "$WARD_SEEN"; echo; fi
    if [ -n "$MEM" ]; then
        echo "## Memory: bounded by configuration, not by the capture"
        echo
        echo "$MEM"
        echo
        echo "Streams: \`taskset -c $GEN_CORE python3 bench/make-capture.py --size-gb N --hosts 2000 --seed 1 --out - | taskset -c $CORE ward analyze --format json --output FILE --no-progress -\`"
        echo "(the same mix at the same rate: the 10 GB stream covers ten times the capture time)."
        echo
    fi
    echo "Reproduce: \`bash bench/run.sh\` (\`--skip-10g\` skips the 10 GB memory run). Commands timed:"
    echo
    echo '```'
    if [ -n "$WARD" ]; then echo "taskset -c $CORE ${WARD_CMD[*]}"; fi
    echo "taskset -c $CORE ${NDPI_CMD[*]}"
    echo "taskset -c $CORE ${TSHARK_CMD[*]}"
    echo "taskset -c $CORE ${TSHARK_PHS_CMD[*]}"
    echo '```'
} >bench/RESULTS.md
cat bench/RESULTS.md
