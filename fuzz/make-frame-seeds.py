#!/usr/bin/env python3
"""Write seeds for the `frame` fuzz target: real frames from captures, prefixed with the
link-type selector byte the target expects (0 = Ethernet, 1 = SLL, 2 = SLL2, 5 = raw IP).
Usage: python3 fuzz/make-frame-seeds.py OUTDIR CAPTURE.pcap...  (classic pcap only)"""
import struct
import sys

SELECTOR = {1: 0, 113: 1, 276: 2, 101: 5, 228: 6, 229: 7, 0: 3}

def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[at + 8:at + 12])[0]
        yield link, data[at + 16:at + 16 + caplen]
        at += 16 + caplen

def main():
    out = sys.argv[1]
    seen = set()
    for path in sys.argv[2:]:
        for i, (link, frame) in enumerate(frames(path)):
            if link not in SELECTOR or i > 12:
                continue
            key = frame[:64]
            if key in seen:
                continue
            seen.add(key)
            name = f"{out}/{path.rsplit('/', 1)[-1].split('.')[0]}-{i}.bin"
            with open(name, "wb") as f:
                f.write(bytes([SELECTOR[link]]) + frame)

if __name__ == "__main__":
    main()
