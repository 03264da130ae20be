#!/usr/bin/env python3
"""Seeds for the ledger fuzz targets, from the v1 fixtures and an independent (recursive,
RFC 6962 text) implementation of the proofs over the fuzz harness's fixed 37-leaf tree."""
import hashlib, os, struct

ROOT = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(ROOT, "..", "crates", "ward-ledger", "tests", "fixtures", "v1")

def out(target, name, data):
    d = os.path.join(ROOT, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

log = open(os.path.join(FIX, "ledger", "entries.log"), "rb").read()
off, i = 0, 0
while off < len(log):
    n = struct.unpack(">I", log[off:off + 4])[0]
    out("ledger_entry", f"fixture-v1-{i}.bin", log[off + 4:off + 4 + n])
    off += 12 + n
    i += 1
for j, line in enumerate(open(os.path.join(FIX, "entries.jsonl"), "rb")):
    out("ledger_entry", f"fixture-v1-{j}.json", line.strip())

cps = os.path.join(FIX, "ledger", "checkpoints")
for name in sorted(os.listdir(cps)):
    out("ledger_checkpoint", name, open(os.path.join(cps, name), "rb").read())
out("ledger_checkpoint", "verifier-key.txt", open(os.path.join(FIX, "ledger.pub"), "rb").read().strip())

def H(b): return hashlib.sha256(b).digest()
leaves = [H(b"\0" + bytes([k])) for k in range(37)]
def mth(l):
    if len(l) == 1: return l[0]
    k = 1
    while k * 2 < len(l): k *= 2
    return H(b"\1" + mth(l[:k]) + mth(l[k:]))
def path(m, l):
    if len(l) <= 1: return []
    k = 1
    while k * 2 < len(l): k *= 2
    return path(m, l[:k]) + [mth(l[k:])] if m < k else path(m - k, l[k:]) + [mth(l[:k])]
def subproof(m, l, b):
    if m == len(l): return [] if b else [mth(l)]
    k = 1
    while k * 2 < len(l): k *= 2
    return subproof(m, l[:k], b) + [mth(l[k:])] if m <= k else subproof(m - k, l[k:], False) + [mth(l[:k])]
def enc(kind, a, b, p): return bytes([kind]) + struct.pack(">QQ", a, b) + bytes([len(p)]) + b"".join(p)
for (m, n) in [(0, 1), (0, 8), (5, 8), (36, 37), (17, 37), (31, 32)]:
    out("ledger_proof", f"inclusion-{m}-{n}.bin", enc(1, m, n, path(m, leaves[:n])))
for (m, n) in [(1, 37), (2, 8), (6, 8), (7, 37), (32, 37), (36, 37)]:
    out("ledger_proof", f"consistency-{m}-{n}.bin", enc(2, m, n, subproof(m, leaves[:n], True)))
