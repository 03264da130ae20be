#!/usr/bin/env python3
"""Sensor uplink through a real `ward server`: reports sent over HTTPS to POST /api/v1/ingest.

Starts `ward server` (release build, self-signed HTTPS, SQLite, a fresh data directory, on
loopback), makes one token per sensor with `ward server token create`, then has every sensor
upload its reports at once, each sensor one report after the other, as `ward sensor` does (one
request in flight per sensor, the next sent when the previous is acknowledged). The reports are
the JSON files `ingest_bench --emit DIR` writes (the benchmark's simulated hospital:
DIR/c<cycle>/<sensor>/<batch>.json), read into memory before the clock starts.

Cycle 0 is the cold start (every device new); the steady cycles follow each other without a
pause. Under such a burst the SQLite writer defers the per-sighting counters and folds them when
the uploads pause (crates/ward-store/src/ingest.rs): the fold is timed too, from the last
acknowledgement until `ingest_journal` is empty (read-only SQLite reads of the server's file),
and added to the cycle it ends. The clients run on the same machine as the server.

    python3 bench/server/uplink.py --ward target/release/ward --reports DIR

Prints a Markdown table on standard output; nothing is asserted.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def journal_rows(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return c.execute("SELECT COUNT(*) FROM ingest_journal").fetchone()[0]
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ward", required=True)
    ap.add_argument("--reports", required=True, help="directory written by ingest_bench --emit")
    a = ap.parse_args()

    cycles = sorted((d for d in os.listdir(a.reports) if re.fullmatch(r"c\d+", d)), key=lambda d: int(d[1:]))
    sensors = sorted(os.listdir(os.path.join(a.reports, cycles[0])))
    work = []
    for c in cycles:
        per = []
        for s in sensors:
            d = os.path.join(a.reports, c, s)
            files = sorted(os.listdir(d), key=lambda f: int(re.search(r"r(\d+)", f).group(1)))
            per.append([(f[:-5], open(os.path.join(d, f), "rb").read()) for f in files])
        work.append(per)

    data = tempfile.mkdtemp(prefix="ward-uplink-bench-")
    tokens = {}
    for s in sensors:
        out = subprocess.run([a.ward, "server", "--data-dir", data, "token", "create", "--sensor", s], check=True, capture_output=True, text=True)
        tokens[s] = out.stdout.strip()
    proc = subprocess.Popen([a.ward, "server", "--listen", "127.0.0.1:0", "--data-dir", data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = None
    deadline = time.time() + 60
    while time.time() < deadline and port is None:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    if port is None:
        proc.kill()
        sys.exit("bench: the server did not print its address")
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    ctx = ssl.create_default_context(cafile=os.path.join(data, "tls", "cert.pem"))
    db = os.path.join(data, "ward.db")

    def upload(sensor, reports, lat, errors):
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=300)
        for batch, body in reports:
            t = time.perf_counter()
            conn.request("POST", "/api/v1/ingest", body=body, headers={"Authorization": f"Bearer {tokens[sensor]}", "Content-Type": "application/json", "Ward-Batch": batch})
            r = conn.getresponse()
            r.read()
            lat.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                errors.append(f"{sensor} {batch}: {r.status}")
        conn.close()

    rows = []
    total = {"obs": 0, "s": 0.0, "cpu": 0.0, "lat": [], "batches": 0}
    for n, per in enumerate(work):
        obs = sum(body.count(b'"device":') for rep in per for _, body in rep)
        lat, errors, threads = [], [], []
        cpu0, t0 = cpu_s(proc.pid), time.perf_counter()
        for s, reports in zip(sensors, per):
            th = threading.Thread(target=upload, args=(s, reports, lat, errors))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        acked = time.perf_counter() - t0
        fold = 0.0
        if n == 0 or n == len(work) - 1:
            t1 = time.perf_counter()
            while journal_rows(db) > 0:
                time.sleep(0.02)
            fold = time.perf_counter() - t1
        secs = acked + fold
        cpu = cpu_s(proc.pid) - cpu0
        if errors:
            print(f"bench: {len(errors)} uploads failed, first: {errors[0]}", file=sys.stderr)
        lat.sort()
        name = "cold, with its fold" if n == 0 else f"steady {n}" + (", with the final fold" if fold else "")
        rows.append((name, obs, len(lat), secs, cpu, lat))
        if n > 0:
            total["obs"] += obs
            total["s"] += secs
            total["cpu"] += cpu
            total["lat"] += lat
            total["batches"] += len(lat)
        print(f"bench: cycle {n}: {obs} observations in {secs:.2f} s ({fold:.2f} s of it the fold), server CPU {cpu:.2f} s", file=sys.stderr)
    peak = rss_mib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    shutil.rmtree(data, ignore_errors=True)

    total["lat"].sort()
    rows.append((f"steady 1-{len(work) - 1}, sustained", total["obs"], total["batches"], total["s"], total["cpu"], total["lat"]))

    def pct(v, p):
        return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")

    print(f"### ward server over HTTPS: {len(sensors)} sensors at once, one request in flight each, reports from `{a.reports}`\n")
    print("| cycle | observations | uploads | seconds | observations/s | server CPU s | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, obs, b, secs, cpu, lat in rows:
        print(f"| {name} | {obs} | {b} | {secs:.2f} | {obs / secs:,.0f} | {cpu:.2f} | {pct(lat, 50):.0f} | {pct(lat, 95):.0f} | {lat[-1] if lat else float('nan'):.0f} |")
    print(f"\nServer peak RSS: {peak:.0f} MiB. Median upload latency over all steady uploads: {statistics.median(total['lat']):.0f} ms.")


if __name__ == "__main__":
    main()
