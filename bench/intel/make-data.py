#!/usr/bin/env python3
"""Generate the ward-intel benchmark data from the 139 real CISA medical advisories.

5,000 advisories: each a copy of a real one (round robin) with a new tracking id, product names
given a series number (so products are distinct, as in a real corpus), a quarter of the vendor
names varied ("<vendor> Systems N"), and the numbers inside version ranges shifted; the messy
forms (vers:all/*, <= U61 |<= L81, prose) stay as they are.
100,000 devices (CSV, the CMMS shape): 60 % name a generated product with a version picked
near its range (inside or just outside), written with case and punctuation varied; 40 % decoys
(known vendor and unknown model, or unknown vendor).
Deterministic for a given --seed.
"""
import argparse, copy, csv, json, os, random, re, sys

p = argparse.ArgumentParser()
p.add_argument("--real", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/advisories/cisa-icsma-csaf"))
p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
p.add_argument("--advisories", type=int, default=5000)
p.add_argument("--devices", type=int, default=100000)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rnd = random.Random(a.seed)
real = []
for f in sorted(os.listdir(a.real)):
    if f.endswith(".json"):
        with open(os.path.join(a.real, f)) as fh:
            real.append(json.load(fh))
adv_dir = os.path.join(a.out, "advisories")
os.makedirs(adv_dir, exist_ok=True)
for f in os.listdir(adv_dir):
    os.remove(os.path.join(adv_dir, f))

def shift(text, k):
    return re.sub(r"\d+", lambda m: str(int(m.group()) + k) if len(m.group()) < 9 else m.group(), text)

products = []  # (vendor, product, version text)
for i in range(a.advisories):
    d = copy.deepcopy(real[i % len(real)])
    series = i // len(real)
    d["document"]["tracking"]["id"] = f"BENCH-{i:05d}"
    k = series % 5
    def walk(branches, vendor, name):
        for b in branches:
            if b["category"] == "vendor":
                if i % 4 == 3:
                    b["name"] = f"{b['name']} Systems {series % 25}"
                vendor = b["name"]
            elif b["category"] == "product_name":
                b["name"] = f"{b['name']} {series}"
                name = b["name"]
            elif b["category"] in ("product_version", "product_version_range"):
                if k and not b["name"].startswith("vers:"):
                    b["name"] = shift(b["name"], k)
                products.append((vendor, name, b["name"]))
            walk(b.get("branches", []), vendor, name)
    walk(d["product_tree"].get("branches", []), None, None)
    with open(os.path.join(adv_dir, f"bench-{i:05d}.json"), "w") as fh:
        json.dump(d, fh)

def device_version(vtext):
    nums = re.findall(r"\d+(?:\.\d+)*", vtext)
    if not nums or rnd.random() < 0.1:
        return f"{rnd.randint(1, 20)}.{rnd.randint(0, 9)}"
    v = rnd.choice(nums)
    parts = v.split(".")
    if rnd.random() < 0.5:
        parts[-1] = str(max(0, int(parts[-1]) + rnd.choice([-1, 1])))
    return ".".join(parts)

def vary(name):
    r = rnd.random()
    if r < 0.3:
        return name.upper()
    if r < 0.5:
        return name.replace(",", "").replace(".", "")
    return name

vendors = sorted({v for v, _, _ in products if v})
with open(os.path.join(a.out, "devices.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["asset", "manufacturer", "model", "version", "location"])
    for n in range(a.devices):
        if rnd.random() < 0.6:
            v, name, vt = rnd.choice(products)
            w.writerow([f"DEV-{n:06d}", vary(v or ""), vary(name or ""), device_version(vt), f"Ward {n % 40}"])
        elif rnd.random() < 0.5:
            w.writerow([f"DEV-{n:06d}", rnd.choice(vendors), f"Unlisted Model {rnd.randint(1, 5000)}", f"{rnd.randint(1, 9)}.{rnd.randint(0, 9)}", "Store"])
        else:
            w.writerow([f"DEV-{n:06d}", f"Vendor {rnd.randint(1, 3000)} Ltd", f"Model {rnd.randint(1, 900)}", "1.0", "Store"])
print(f"{a.advisories} advisories, {len(products)} product entries, {len(vendors)} vendor names, {a.devices} devices in {a.out}", file=sys.stderr)
