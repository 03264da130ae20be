#!/usr/bin/env python3
"""What a sign-in costs `ward server`, and what a password-guessing flood does to it.

Starts a real `ward server` (release build, self-signed HTTPS, SQLite, a fresh data directory)
pinned to one core, makes the first administrator through the setup link and TOTP enrolment,
then measures from the other core:

1. the server's CPU time per password check: sequential sign-ins of unknown accounts (each an
   Argon2id hash at OWASP parameters, a ledger record, a new TLS connection), minus the CPU time
   of the same requests refused before any hash (a malformed body), so the difference is the
   password check itself;
2. the administrator's requests (GET /healthz, GET /api/v1/assets with her session) while idle;
3. the same requests, and the administrator's own sign-in twice a second (alternately from a
   client holding the device cookie of an earlier good password, and from a new one), during
   floods of wrong passwords at
   C concurrent attackers, each attempt from a new source address (127.a.b.c on loopback: a
   botnet, so the per-source throttle never trips and every attempt reaches the hashing gate),
   for unknown account names (password spraying: no account lockout either).

Everything stays on loopback. Prints a Markdown report on standard output.

    python3 bench/server/signin_flood.py --ward target/release/ward [--seconds 20] [--attackers 32,256]
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TICK = os.sysconf("SC_CLK_TCK")


def totp(secret_b32, digits, period, algorithm, at=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    counter = int((time.time() if at is None else at) // period)
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, algorithm.lower())).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


class Server:
    def __init__(self, ward, core):
        self.data = tempfile.mkdtemp(prefix="ward-signin-bench-")
        cmd = ["taskset", "-c", str(core), ward, "server", "--listen", "127.0.0.1:0", "--data-dir", self.data]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.setup = None
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline and (self.setup is None or self.port is None):
            line = self.proc.stderr.readline()
            if not line:
                break
            m = re.search(r"/setup#(\S+)", line)
            if m:
                self.setup = m.group(1)
            m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
        if self.setup is None or self.port is None:
            self.stop()
            sys.exit("bench: the server did not print its address and setup link")
        # Keep draining the log so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.data, "tls", "cert.pem"))

    def conn(self, source=None):
        c = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=60, source_address=(source, 0) if source else None)
        return c

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def status(self):
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
        return out

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.data, ignore_errors=True)


def request(conn, method, path, body=None, headers=None):
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    return r.status, r.read(), r.getheader("Set-Cookie")


def first_admin(srv, password):
    c = srv.conn()
    st, body, cookie = request(c, "POST", "/api/v1/setup", {"token": srv.setup, "username": "admin", "password": password})
    if st != 200:
        sys.exit(f"bench: setup answered {st}")
    jar = cookie.split(";", 1)[0]
    st, body, _ = request(c, "GET", "/api/v1/login/enrol", headers={"Cookie": jar})
    uri = json.loads(body)["otpauth_uri"]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
    params = (q["secret"][0], int(q.get("digits", ["6"])[0]), int(q.get("period", ["30"])[0]), q.get("algorithm", ["SHA1"])[0])
    st, body, cookie = request(c, "POST", "/api/v1/login/enrol", {"code": totp(*params)}, headers={"Cookie": jar})
    if st != 200:
        sys.exit(f"bench: TOTP enrolment answered {st}")
    if cookie:
        jar = cookie.split(";", 1)[0]
    c.close()
    return jar


def source_address(n):
    # 127.a.b.c with a in 10..209: loopback, one address per attempt.
    return f"127.{10 + (n >> 16) % 200}.{(n >> 8) & 255}.{n & 255}"


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0

    def next(self):
        with self.lock:
            self.n += 1
            return self.n


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def attempt(srv, src, body, headers=None):
    """One sign-in attempt on a new connection from `src`: (status, seconds)."""
    t = time.perf_counter()
    c = srv.conn(src)
    try:
        st, _, _ = request(c, "POST", "/api/v1/login", body, headers)
    except (OSError, http.client.HTTPException):
        st = -1
    finally:
        c.close()
    return st, time.perf_counter() - t


def device_cookie(srv, password):
    """The administrator's device cookie (`__Host-ward_device`), from one good password."""
    c = srv.conn("127.0.0.2")
    c.request("POST", "/api/v1/login", body=json.dumps({"username": "admin", "password": password}).encode(), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    cookies = [v.split(";", 1)[0] for v in r.msg.get_all("Set-Cookie") or []]
    c.close()
    found = [v for v in cookies if v.startswith("__Host-ward_device=")]
    if r.status != 200 or not found:
        sys.exit(f"bench: the administrator's sign-in answered {r.status} without a device cookie")
    return found[0]


def cost(srv, sources, n):
    """Server CPU per request for n sequential password checks and n refused bodies."""
    out = {}
    for name, body in (("refused before hashing (malformed body)", b"{"), ("password check (unknown account)", None)):
        before = srv.cpu_s()
        lat = []
        for _ in range(n):
            b = body if body is not None else {"username": f"nobody{secrets.token_hex(4)}", "password": "Not-the-password-1"}
            st, s = attempt(srv, source_address(sources.next()), b)
            lat.append(s)
        out[name] = ((srv.cpu_s() - before) / n * 1000, statistics.median(lat) * 1000, st)
    return out


def probe_loop(srv, jar, stop, lat):
    c = srv.conn()
    while not stop.is_set():
        for name, path, h in (("healthz", "/healthz", {}), ("assets", "/api/v1/assets?limit=50", {"Cookie": jar})):
            t = time.perf_counter()
            try:
                st, _, _ = request(c, "GET", path, headers=h)
            except (OSError, http.client.HTTPException):
                c.close()
                c = srv.conn()
                st = -1
            lat[name].append((st, time.perf_counter() - t))
        stop.wait(0.2)
    c.close()


def legit_loop(srv, password, device, stop, results):
    """The administrator signs in every second, from a browser that signed in before (its
    device cookie) and, alternately, from one that never did: ("device" | "new", status, s)."""
    known = True
    while not stop.is_set():
        st, s = attempt(srv, "127.0.0.2", {"username": "admin", "password": password}, {"Cookie": device} if known else None)
        results.append(("device" if known else "new", st, s))
        known = not known
        stop.wait(0.5)


def flood(srv, jar, password, device, sources, attackers, seconds):
    stop = threading.Event()
    probes = {"healthz": [], "assets": []}
    legit = []
    attacks = []
    lock = threading.Lock()

    def attacker():
        while not stop.is_set():
            r = attempt(srv, source_address(sources.next()), {"username": f"user{secrets.randbelow(10**6)}", "password": "Summer2026!-guess"})
            with lock:
                attacks.append(r)

    threads = [threading.Thread(target=probe_loop, args=(srv, jar, stop, probes)), threading.Thread(target=legit_loop, args=(srv, password, device, stop, legit))]
    threads += [threading.Thread(target=attacker) for _ in range(attackers)]
    cpu0, t0 = srv.cpu_s(), time.time()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    return {"attacks": attacks, "probes": probes, "legit": legit, "elapsed": elapsed, "cpu": srv.cpu_s() - cpu0, "status": srv.status()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ward", default="target/release/ward")
    ap.add_argument("--server-core", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--attackers", default="32,256")
    ap.add_argument("--cost-runs", type=int, default=60)
    a = ap.parse_args()
    srv = Server(a.ward, a.server_core)
    try:
        password = "bench-" + secrets.token_urlsafe(18)
        jar = first_admin(srv, password)
        device = device_cookie(srv, password)
        sources = Counter()
        costs = cost(srv, sources, a.cost_runs)
        idle = flood(srv, jar, password, device, sources, 0, min(a.seconds, 10))
        floods = [(int(n), flood(srv, jar, password, device, sources, int(n), a.seconds)) for n in a.attackers.split(",")]
        report(a, srv, costs, idle, floods)
    finally:
        srv.stop()


def report(a, srv, costs, idle, floods):
    ms = lambda v: f"{v * 1000:.1f}"
    print(f"- server: `taskset -c {a.server_core} {a.ward} server --listen 127.0.0.1:0 --data-dir (fresh)`: one core, so one password hash at a time and 64 waiting (the hashing gate); SQLite, self-signed HTTPS")
    print("- clients: this script on the other core (Python threads, a new TLS connection per sign-in attempt)")
    print()
    print("### The cost of a sign-in (sequential, server CPU time per request)")
    print()
    print("| request | server CPU per request | client-seen latency (median) | answer |")
    print("|---|---|---|---|")
    for name, (cpu, lat, st) in costs.items():
        print(f"| {name} | {cpu:.1f} ms | {lat:.1f} ms | {st} |")
    names = list(costs)
    print()
    print(f"The password check itself (the difference): **{costs[names[1]][0] - costs[names[0]][0]:.1f} ms of one core** (Argon2id, m=19 MiB, t=2, p=1, plus its audit record).")
    print()
    print("### A password-guessing flood (each attempt from a new loopback address, unknown account names)")
    print()
    print("| attackers | attempts/s answered | wrong password (401) | busy (429) | other | attacker latency p50 / p95 | server CPU | /healthz p50 / p95 / max | /api/v1/assets p50 / p95 / max | probe errors | admin sign-ins with device cookie: ok / 429 / other | admin sign-ins from a new browser: ok / 429 / other | server peak RSS | server threads |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, r in [(0, idle)] + floods:
        att = r["attacks"]
        el = r["elapsed"]
        c401 = sum(1 for s, _ in att if s == 401)
        c429 = sum(1 for s, _ in att if s == 429)
        other = len(att) - c401 - c429
        al = [s for _, s in att]
        pr = {k: [s for st, s in v if st == 200] for k, v in r["probes"].items()}
        perr = sum(1 for v in r["probes"].values() for st, _ in v if st != 200)
        def admin(kind):
            lg = [st for k, st, _ in r["legit"] if k == kind]
            ok = sum(1 for s in lg if s == 200)
            busy = sum(1 for s in lg if s == 429)
            return f"{ok} / {busy} / {len(lg) - ok - busy}"
        st = r["status"]
        row = [
            str(n) if n else "0 (idle)",
            f"{len(att) / el:.0f}" if n else "-",
            f"{c401 / el:.1f}/s" if n else "-",
            f"{c429 / el:.1f}/s" if n else "-",
            str(other) if n else "-",
            f"{ms(pct(al, 50))} / {ms(pct(al, 95))} ms" if n else "-",
            f"{r['cpu'] / el * 100:.0f} %",
            f"{ms(pct(pr['healthz'], 50))} / {ms(pct(pr['healthz'], 95))} / {ms(max(pr['healthz'], default=float('nan')))} ms",
            f"{ms(pct(pr['assets'], 50))} / {ms(pct(pr['assets'], 95))} / {ms(max(pr['assets'], default=float('nan')))} ms",
            str(perr),
            admin("device"),
            admin("new"),
            st.get("VmHWM", "?"),
            st.get("Threads", "?"),
        ]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
