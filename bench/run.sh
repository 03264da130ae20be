#!/usr/bin/env bash
# Ward's throughput and memory against ndpiReader and tshark on the same hospital-like capture,
# one core each (taskset), best of three warm runs. Writes bench/RESULTS.md.
#   bash bench/run.sh            # 1 GB capture + the 10 GB memory run (about 10 minutes)
#   bash bench/run.sh --skip-10g # 1 GB only
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_10G=0
[ "${1:-}" = "--skip-10g" ] && SKIP_10G=1
CORE=${BENCH_CORE:-1}
for t in ndpiReader tshark capinfos taskset; do
    command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install libndpi-bin tshark util-linux)" >&2; exit 1; }
done
cargo build --release -p ward >&2
WARD=target/release/ward
mkdir -p bench/out
CAP=bench/out/hospital-1g.pcap
[ -f "$CAP" ] || python3 bench/make-capture.py --size-gb 1 --out "$CAP"
PACKETS=$(capinfos -c -M "$CAP" | awk '/Number of packets/ {print $NF}')
BYTES=$(stat -c %s "$CAP")
cat "$CAP" >/dev/null

# best NAME CMD...: best-of-3 elapsed seconds and the peak RSS (KiB) of that run.
best() {
    local name=$1 b_e="" b_m=""
    shift
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o bench/out/time.txt taskset -c "$CORE" "$@" >/dev/null 2>bench/out/"$name".stderr
        read -r e m <bench/out/time.txt
        if [ -z "$b_e" ] || awk "BEGIN{exit !($e < $b_e)}"; then b_e=$e; b_m=$m; fi
    done
    echo "$b_e $b_m"
}

read -r W_E W_M < <(best ward "$WARD" analyze --format json --output bench/out/ward.json --no-progress "$CAP")
read -r N_E N_M < <(best ndpi ndpiReader -q -n 1 -i "$CAP")
read -r T_E T_M < <(best tshark tshark -n -r "$CAP" -q -z io,phs)

row() { # name elapsed rss
    awk -v n="$1" -v e="$2" -v m="$3" -v p="$PACKETS" -v b="$BYTES" -v we="$W_E" \
        'BEGIN{printf "| %s | %.2f s | %.2f M | %.2f | %.0f MiB | %s |\n", n, e, p/e/1e6, b*8/e/1e9, m/1024, (n=="ward analyze --format json") ? "1.0x" : sprintf("Ward is %.1fx faster", e/we)}'
}
TABLE=$(
    echo "| tool | time | packets/s | Gbit/s | peak memory | ratio |"
    echo "|---|---|---|---|---|---|"
    row "ward analyze --format json" "$W_E" "$W_M"
    row "ndpiReader -q -n 1 (nDPI $(dpkg-query -W -f='${Version}' libndpi-bin))" "$N_E" "$N_M"
    row "tshark -n -q -z io,phs ($(tshark -v | head -1 | awk '{print $3}'))" "$T_E" "$T_M"
)

MEM=""
if [ "$SKIP_10G" = 0 ]; then
    /usr/bin/time -f "%e %M" -o bench/out/time10.txt sh -c \
        "python3 bench/make-capture.py --size-gb 10 --out - | taskset -c $CORE $WARD analyze --format json --output /dev/null --no-progress -" \
        2>bench/out/ward10.stderr
    read -r E10 M10 <bench/out/time10.txt
    MEM="| capture | peak memory of ward analyze |
|---|---|
| 1 GB file | $((W_M / 1024)) MiB |
| 10 GB stream (same mix, piped from make-capture.py) | $((M10 / 1024)) MiB (whole pipeline incl. generator: ${E10} s) |"
fi

{
    echo "# Benchmark results"
    echo
    echo "Capture: \`$CAP\` from \`bench/make-capture.py --size-gb 1\`: $PACKETS packets, $BYTES bytes,"
    echo "~2000 hosts; DICOM, HL7/MLLP, MQTT, TLS, HTTP, DNS, DHCP replayed from real tools' captures."
    echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB;"
    echo "each tool pinned to core $CORE with taskset, best of 3 warm runs, $(date -u +%Y-%m-%d)."
    echo
    echo "$TABLE"
    echo
    [ -n "$MEM" ] && echo "$MEM" && echo
    echo "Reproduce: \`bash bench/run.sh\` (add \`--skip-10g\` to skip the 10 GB memory run)."
} >bench/RESULTS.md
cat bench/RESULTS.md
