#!/usr/bin/env python3
"""Rewrite a classic pcap file in the other byte order: pcap-swap-endian.py IN OUT

No capture tool on Linux writes a big-endian pcap on a little-endian machine, but pcap files
from big-endian machines (SPARC, POWER, MIPS routers) are real. This keeps every packet and
rewrites only the headers: the 24-octet global header (magic, version, thiszone, sigfigs,
snaplen, link type) and each 16-octet record header (seconds, micro- or nanoseconds, captured
length, original length) are read in the input's byte order and written in the other one. Packet
bytes are copied untouched. Works for microsecond (a1b2c3d4) and nanosecond (a1b23c4d) files."""
import struct
import sys

MAGICS = (0xA1B2C3D4, 0xA1B23C4D)


def main():
    src, dst = sys.argv[1:3]
    data = open(src, "rb").read()
    if struct.unpack("<I", data[:4])[0] in MAGICS:
        inp, out = "<", ">"
    elif struct.unpack(">I", data[:4])[0] in MAGICS:
        inp, out = ">", "<"
    else:
        sys.exit(f"{src}: not a classic pcap file")
    res = bytearray(struct.pack(out + "IHHiIII", *struct.unpack(inp + "IHHiIII", data[:24])))
    at = 24
    while at < len(data):
        if at + 16 > len(data):
            sys.exit(f"{src}: truncated record header at offset {at}")
        sec, frac, caplen, origlen = struct.unpack(inp + "IIII", data[at:at + 16])
        if at + 16 + caplen > len(data):
            sys.exit(f"{src}: truncated packet at offset {at}")
        res += struct.pack(out + "IIII", sec, frac, caplen, origlen)
        res += data[at + 16:at + 16 + caplen]
        at += 16 + caplen
    open(dst, "wb").write(bytes(res))


if __name__ == "__main__":
    main()
