#!/usr/bin/env python3
"""Turn a raw-IP pcap into a BSD loopback (link type 0, NULL) pcap: pcap-rawip-to-null.py IN OUT

Linux has no link type NULL (its loopback captures as Ethernet), so no Linux tool can make one;
BSD and macOS write it for lo0 and for tunnels. Each packet of a raw-IP capture (link type 101,
or the DLT_RAW values 12 and 14) gets the 4-octet header the BSDs write: the address family in
the byte order of the file (the capturing host's), 2 (AF_INET) for IPv4 and 30 (macOS's
AF_INET6; NetBSD/OpenBSD use 24, FreeBSD 28) for IPv6. Timestamps and packet bytes are kept;
captured and original lengths grow by 4; the link type becomes 0."""
import struct
import sys

AF_INET, AF_INET6_DARWIN = 2, 30


def main():
    src, dst = sys.argv[1:3]
    data = open(src, "rb").read()
    bo = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic, vmaj, vmin, zone, sigfigs, snaplen, link = struct.unpack(bo + "IHHiIII", data[:24])
    if link not in (101, 12, 14):
        sys.exit(f"{src}: link type {link}, expected raw IP (101)")
    res = bytearray(struct.pack(bo + "IHHiIII", magic, vmaj, vmin, zone, sigfigs, snaplen + 4, 0))
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(bo + "IIII", data[at:at + 16])
        pkt = data[at + 16:at + 16 + caplen]
        version = pkt[0] >> 4 if pkt else 0
        if version not in (4, 6):
            sys.exit(f"{src}: packet at offset {at} is not IPv4 or IPv6")
        af = AF_INET if version == 4 else AF_INET6_DARWIN
        res += struct.pack(bo + "IIII", sec, frac, caplen + 4, origlen + 4) + struct.pack(bo + "I", af) + pkt
        at += 16 + caplen
    open(dst, "wb").write(bytes(res))


if __name__ == "__main__":
    main()
