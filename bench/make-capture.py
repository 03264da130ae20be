#!/usr/bin/env python3
"""Build a large, hospital-like capture from small captures of real tools.

Seeds (all made by real clients and servers; see bench/README.md): DCMTK DICOM C-STORE, C-ECHO,
C-FIND and a rejected association, python-hl7 MLLP, mosquitto MQTT (../shared/data/captures), the
namespace hospital LAN (tests/pcap/lan: dnsmasq DHCP/DNS, DCMTK, MLLP, mosquitto, busybox HTTP,
OpenSSL TLS), DNS and TLS sessions from suricata-verify. Each seed TCP/UDP conversation is taken
apart into its application payloads, in order and by direction, and replayed many times as new
conversations between ~2000 hosts: fresh addresses, MACs (real medical-device OUIs for clients),
ports and sequence numbers, a real handshake and teardown, payloads cut at an MSS of 1448 with an
ACK every two segments, IPv4 header checksums set, hundreds of conversations interleaved, time
advancing evenly. Application bytes are the seeds' own; only L2-L4 is synthesised.

  python3 bench/make-capture.py --size-gb 1 --out bench/out/hospital-1g.pcap
  python3 bench/make-capture.py --size-gb 10 --out - | ward analyze --format json -
"""
import argparse
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
SEEDS = [
    # (path, weight per conversation of this seed)
    (f"{SHARED}/captures/dicom_cstore_ct_mr.pcap", 6),
    (f"{SHARED}/captures/dicom_cecho.pcap", 4),
    (f"{SHARED}/captures/dicom_mwl_cfind.pcap", 4),
    (f"{SHARED}/captures/dicom_assoc_rejected.pcap", 1),
    (f"{SHARED}/captures/hl7_mllp_oru_adt.pcap", 14),
    (f"{SHARED}/captures/mqtt_vitals_pubsub.pcap", 16),
    (f"{ROOT}/tests/pcap/lan/hospital-lan/input.pcap", 6),
    (f"{SHARED}/peers/suricata-verify/dns/dns-udp-eve-txt/input.pcap", 12),
    (f"{SHARED}/peers/suricata-verify/dns/dns-eve/input.pcap", 12),
    (f"{SHARED}/peers/suricata-verify/dns/dns-tcp-www-google-com/dns.pcap", 2),
    (f"{SHARED}/peers/suricata-verify/tls/tls-random/input.pcap", 5),
    (f"{SHARED}/peers/suricata-verify/ja4-tls/input.pcap", 5),
    (f"{SHARED}/peers/suricata-verify/dhcp-eve-extended/input.pcap", 3),
]
# Real IEEE OUIs of medical device and hospital IT vendors (knowledge/oui/ieee-oui.tsv).
OUIS = [0x444B5D, 0x0009FB, 0x00095C, 0x5842E4, 0x0030E6, 0x00105D, 0x001865, 0x00065B, 0x0001E6, 0x001438]
MSS = 1448


def read_pcap(path):
    data = open(path, "rb").read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(end + "I", data[20:24])[0]
    at = 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[at:at + 16])
        yield link, data[at + 16:at + 16 + caplen]
        at += 16 + caplen


def conversations(path):
    """Seed conversations: (proto, server_port, [(to_server, payload)...]) from Ethernet/IPv4."""
    convs = {}
    order = []
    for link, f in read_pcap(path):
        if link != 1 or len(f) < 34 or f[12:14] != b"\x08\x00":
            continue
        ihl = (f[14] & 15) * 4
        total = struct.unpack("!H", f[16:18])[0]
        proto = f[23]
        ip = f[14:14 + total]
        src, dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:]
        if proto == 6 and len(l4) >= 20:
            sp, dp = struct.unpack("!HH", l4[:4])
            flags = l4[13]
            payload = l4[(l4[12] >> 4) * 4:]
        elif proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack("!HH", l4[:4])
            flags = 0
            payload = l4[8:]
        else:
            continue
        key = (proto,) + tuple(sorted([(src, sp), (dst, dp)]))
        if key not in convs:
            # The SYN sender is the client; otherwise the first sender.
            client = (src, sp) if not (proto == 6 and flags & 0x12 == 0x12) else (dst, dp)
            convs[key] = {"proto": proto, "client": client, "server_port": dp if client == (src, sp) else sp, "events": []}
            order.append(key)
        c = convs[key]
        if payload:
            c["events"].append(((src, sp) == c["client"], bytes(payload)))
    out = []
    for k in order:
        c = convs[k]
        if c["events"]:
            out.append((c["proto"], c["server_port"], c["events"]))
    return out


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


class Host:
    __slots__ = ("mac", "ip")

    def __init__(self, mac, ip):
        self.mac = mac
        self.ip = ip


def frame(src, dst, proto, l4):
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src.ip, dst.ip)
    iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
    return dst.mac + src.mac + b"\x08\x00" + iph + l4


def tcp_conv(client, server, sport, dport, events, rng):
    seq = [rng.getrandbits(32), rng.getrandbits(32)]
    ends = [(client, server), (server, client)]

    def seg(d, flags, payload=b""):
        a, b = ends[d]
        hdr = struct.pack("!HHIIBBHHH", sport if d == 0 else dport, dport if d == 0 else sport, seq[d], seq[1 - d], 0x50, flags, 64240, 0, 0)
        seq[d] = (seq[d] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        return frame(a, b, 6, hdr + payload)

    yield seg(0, 0x02)
    yield seg(1, 0x12)
    yield seg(0, 0x10)
    for to_server, payload in events:
        d = 0 if to_server else 1
        n = 0
        for off in range(0, len(payload), MSS):
            yield seg(d, 0x18, payload[off:off + MSS])
            n += 1
            if n % 2 == 0:
                yield seg(1 - d, 0x10)
        if n % 2:
            yield seg(1 - d, 0x10)
    yield seg(0, 0x11)
    yield seg(1, 0x11)
    yield seg(0, 0x10)


def udp_conv(client, server, sport, dport, events):
    for to_server, payload in events:
        a, b = (client, server) if to_server else (server, client)
        sp, dp = (sport, dport) if to_server else (dport, sport)
        if dport == 67 and len(payload) > 34:  # DHCP: the client's own hardware address in chaddr
            payload = payload[:28] + client.mac + payload[34:]
            b = Host(b"\xff" * 6, b"\xff\xff\xff\xff") if to_server else b
        yield frame(a, b, 17, struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-gb", type=float, default=1.0)
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--servers", type=int, default=60)
    ap.add_argument("--in-flight", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    seeds = []
    for path, weight in SEEDS:
        for proto, port, events in conversations(path):
            seeds.append((weight, proto, port, events))
    weights = [s[0] for s in seeds]
    clients = []
    for i in range(a.hosts):
        oui = rng.choice(OUIS) if i % 4 else rng.getrandbits(24) & 0xFCFFFF
        mac = struct.pack("!I", oui)[1:] + struct.pack("!I", i)[1:]
        clients.append(Host(mac, bytes([10, 20 + i // 62500, (i // 250) % 250, 1 + i % 250])))
    servers = [Host(struct.pack("!I", 0x00065B)[1:] + struct.pack("!I", 0xA00000 + i)[1:], bytes([10, 1, 0, 1 + i])) for i in range(a.servers)]
    by_port = {}

    def server_for(port):
        if port not in by_port:
            by_port[port] = rng.sample(servers, 3)
        return rng.choice(by_port[port])

    target = int(a.size_gb * 1e9)
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    written = 24
    t0 = 1_767_225_600 * 1_000_000  # 2026-01-01T00:00:00Z, microseconds
    t = t0
    active = []
    buf = []
    packets = 0

    def new_conv():
        _, proto, port, events = rng.choices(seeds, weights)[0]
        c = rng.choice(clients)
        s = server_for(port)
        sport = rng.randrange(32768, 61000) if port not in (67, 68) else 68
        if proto == 6:
            return tcp_conv(c, s, sport, port, events, rng)
        return udp_conv(c, s, sport, port, events)

    while written < target:
        while len(active) < a.in_flight:
            active.append(new_conv())
        i = rng.randrange(len(active))
        pkt = next(active[i], None)
        if pkt is None:
            active[i] = active[-1]
            active.pop()
            continue
        t += rng.randrange(1, 1860)  # about 1000 packets/s: a 1 GB capture spans an hour
        buf.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(pkt), len(pkt)))
        buf.append(pkt)
        written += 16 + len(pkt)
        packets += 1
        if len(buf) > 20000:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    out.flush()
    print(f"make-capture: {packets} packets, {written} bytes, {len(seeds)} seed conversations", file=sys.stderr)


if __name__ == "__main__":
    main()
