#!/usr/bin/env python3
"""Rewrite a classic little-endian Ethernet pcap into a variant no Linux capture tool writes.

  swap-endian IN OUT   same packets, global and record headers in big-endian byte order
  raw-ip      IN OUT   link type 101 (RAW): the 14-byte Ethernet header of IPv4/IPv6 frames removed
  null        IN OUT   link type 0 (BSD NULL): Ethernet header replaced by a 4-byte address
                       family in little-endian host order (2 = IPv4, 30 = IPv6 as on macOS)
  vlan        IN OUT   an 802.1Q tag (TPID 0x8100, VLAN 100) inserted after the MAC addresses
  qinq        IN OUT   an 802.1ad S-tag (TPID 0x88a8, VLAN 200) inserted after the MAC addresses,
                       outside the frame's existing 802.1Q tag
Frames that are not IPv4/IPv6 (ARP) are dropped by raw-ip and null. Timestamps are kept."""
import struct
import sys

def records(data):
    magic = data[:4]
    assert magic == b"\xd4\xc3\xb2\xa1", "expects a little-endian microsecond pcap"
    hdr = struct.unpack("<IHHiIII", data[:24])
    at = 24
    while at + 16 <= len(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", data[at:at + 16])
        yield hdr, sec, usec, origlen, data[at + 16:at + 16 + caplen]
        at += 16 + caplen

def main():
    mode, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    hdr = struct.unpack("<IHHiIII", data[:24])
    out = bytearray()
    if mode in ("vlan", "qinq"):
        tag = b"\x81\x00\x00\x64" if mode == "vlan" else b"\x88\xa8\x00\xc8"
        out += data[:24]
        for _, sec, usec, orig, frame in records(data):
            frame = frame[:12] + tag + frame[12:]
            out += struct.pack("<IIII", sec, usec, len(frame), orig + 4) + frame
    elif mode == "swap-endian":
        out += struct.pack(">IHHiIII", *hdr)
        for _, sec, usec, orig, frame in records(data):
            out += struct.pack(">IIII", sec, usec, len(frame), orig) + frame
    else:
        link = 101 if mode == "raw-ip" else 0
        out += struct.pack("<IHHiIII", hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], link)
        for _, sec, usec, orig, frame in records(data):
            etype = frame[12:14]
            if etype not in (b"\x08\x00", b"\x86\xdd"):
                continue
            body = frame[14:]
            if mode == "null":
                body = struct.pack("<I", 2 if etype == b"\x08\x00" else 30) + body
            out += struct.pack("<IIII", sec, usec, len(body), len(body) + (orig - len(frame))) + body
    open(dst, "wb").write(bytes(out))

if __name__ == "__main__":
    main()
