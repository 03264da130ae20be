#!/usr/bin/env python3
"""Build a large hospital-like capture by replaying small captures of real tools.

  python3 bench/make-capture.py --size-gb 1 --hosts 2000 --out bench/out/hospital-1g.pcap [--seed 1]
  python3 bench/make-capture.py --size-gb 10 --out - | ward analyze --format json -

Seeds (every one made by real clients and servers; see bench/README.md and bench/seeds/*/HOWTO.md):
DCMTK DICOM (C-STORE of a six-slice CT study, C-STORE CT+MR, C-ECHO, MWL C-FIND, a rejected
association), python-hl7 MLLP, mosquitto MQTT, OpenSSL TLS 1.2 and 1.3 HTTPS downloads, dnsmasq DNS
queried by dig, the namespace hospital LAN of tests/pcap/lan (dnsmasq/udhcpc DHCP, DNS, DICOM, MLLP,
MQTT, busybox HTTP, OpenSSL TLS), and suricata-verify's DNS, DHCP, TLS, HTTP and MQTT cases.

Each seed is split into TCP/UDP conversations; TCP streams are reassembled per direction
(retransmissions dropped). A conversation is replayed many times with a fresh 5-tuple between
~2000 clients and ~40 servers: real medical-device and IT OUIs (IEEE registry,
/usr/share/ieee-data/oui.csv) by device class plus random MACs, addresses in per-class 10.x subnets,
ephemeral client ports, random ISNs, a real three-way handshake with options and a FIN teardown,
payload cut at an Ethernet MSS of 1460, a delayed ACK every two segments, correct IPv4, TCP and UDP
checksums. DHCP is rewritten per client (chaddr, addresses, client id, host name, vendor class, xid),
DNS gets fresh transaction ids. Application bytes are otherwise the seeds' own; only L2-L4 is
synthesised. About 500 conversations are in flight at once; each turn one of them emits its next
burst (a handshake step, a message, or up to ten segments with their ACKs), so conversations
interleave. Time advances at --pps packets per second on average (1 GB spans about an hour) and is
monotonic. The output is a classic pcap (Ethernet, microseconds), the same for the same --seed.
"""
import argparse
import gzip
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
SV = os.path.join(SHARED, "peers", "suricata-verify")

# (path, weight of each of its conversations within their category)
SEEDS = [
    (f"{HERE}/seeds/dicom-cstore-ct-study/input.pcap.gz", 1),
    (f"{HERE}/seeds/tls12-https/input.pcap", 1),
    (f"{HERE}/seeds/tls13-https/input.pcap", 1),
    (f"{HERE}/seeds/dns-hospital/input.pcap", 1),
    (f"{SHARED}/captures/dicom_cstore_ct_mr.pcap", 3),
    (f"{SHARED}/captures/dicom_cecho.pcap", 3),
    (f"{SHARED}/captures/dicom_mwl_cfind.pcap", 3),
    (f"{SHARED}/captures/dicom_assoc_rejected.pcap", 0.3),
    (f"{SHARED}/captures/hl7_mllp_oru_adt.pcap", 1),
    (f"{SHARED}/captures/mqtt_vitals_pubsub.pcap", 2),
    (f"{ROOT}/tests/pcap/lan/hospital-lan/input.pcap", 1),
    (f"{SV}/dns/dns-udp-eve-txt/input.pcap", 1),
    (f"{SV}/dns/dns-eve/input.pcap", 1),
    (f"{SV}/dns/dns-udp-eve-log-answer-only/dns-udp-google.com-a-aaaa-mx.pcap", 1),
    (f"{SV}/dns/dns-tcp-www-google-com/dns.pcap", 0.3),
    (f"{SV}/dhcp-eve-extended/input.pcap", 1),
    (f"{SV}/dhcp-eve-extended-option-60/input.pcap", 1),
    (f"{SV}/dhcp-option-52-overload/input.pcap", 0.3),
    (f"{SV}/tls/tls-random/input.pcap", 1),
    (f"{SV}/ja4-tls/input.pcap", 1),
    (f"{SV}/tls/tls-cert-noissuer/tls.pcap", 1),
    (f"{SV}/tls/tls13-draft28/tls13_draft28.pcap", 0.3),
    (f"{SV}/tls/tls-altname-zero/input.pcap", 0.5),
    (f"{SV}/http-chunked/input.pcap", 1),
    (f"{SV}/http-auth-bearer/input.pcap", 1),
    (f"{SV}/http-connect/http-connect-simple/input.pcap", 0.3),
    (f"{SV}/mqtt311-pub-qos1/input.pcap", 1),
    (f"{SV}/mqtt5-pub-mosquittoprops/input.pcap", 1),
    (f"{SV}/mqtt31-pub-userpass/input.pcap", 0.5),
    (f"{SV}/mqtt5-sub-userpass/input.pcap", 0.5),
    (f"{SV}/mqtt-ping/input.pcap", 1),
]
# Category of a conversation by its server port. "dicom-bulk" is DICOM with more than 1 MB,
# "dns-tcp" DNS over TCP.
PORTS = {104: "dicom", 11112: "dicom", 11113: "dicom", 11114: "dicom", 4242: "dicom", 2575: "hl7",
         1883: "mqtt", 8883: "mqtt", 53: "dns", 67: "dhcp", 80: "http", 8080: "http", 443: "tls"}
# Conversations started per category (relative). Tuned so that DICOM carries about three quarters
# of the bytes while DNS, DHCP, MQTT, HL7 and TLS supply most conversations and many small packets.
MIX = {"dns": 400, "dns-tcp": 2, "dhcp": 8, "mqtt": 100, "hl7": 30, "dicom": 6, "dicom-bulk": 0.6, "tls": 6, "http": 6}
# Device classes: share of the clients, (OUI, vendor) from the IEEE registry, first octet-pair
# of their subnet (10.N.x.y), IP TTL.
CLASSES = {
    "modality": (0.06, [(0x444B5D, "GE Healthcare"), (0x001865, "Siemens Healthcare Diagnostics"),
                        (0x00095C, "Philips Medical Systems"), (0x88B436, "FUJIFILM"), (0x001D4A, "Carestream Health")], 30, 64),
    "monitor": (0.24, [(0x0009FB, "Philips Patient Monitoring"), (0x000F14, "Mindray"), (0x00A09A, "Nihon Kohden"),
                       (0x00A0AA, "Spacelabs Medical"), (0x0030E6, "Draeger Medical Systems"), (0xF0E5C3, "Draegerwerk")], 40, 64),
    "pump": (0.20, [(0x5842E4, "Baxter International"), (0x9CC8AE, "Becton, Dickinson"), (0xF8C678, "CareFusion"),
                    (0xB04C05, "Fresenius Medical Care"), (0xE0C2B7, "Masimo"), (0x0014B8, "Hill-Rom")], 50, 64),
    "workstation": (0.35, [(0x00065B, "Dell"), (0x000D56, "Dell"), (0x0001E6, "Hewlett Packard"), (0x9C7BEF, "Hewlett Packard"),
                           (0x10C595, "Lenovo"), (0x0019D1, "Intel")], 60, 128),
    "unknown": (0.15, [], 70, 64),  # random MACs: half globally unique-looking, half locally administered
}
# DHCP vendor class (option 60) of a client by OUI: only strings real clients sent in the seeds
# (the LAN capture and suricata-verify); workstations say "MSFT 5.0", other devices "udhcp 1.36.1".
VENDOR_CLASS = {0x444B5D: b"GE Healthcare Revolution CT", 0x0009FB: b"Philips IntelliVue MX450",
                0x0030E6: b"Draeger Evita V800", 0xF0E5C3: b"Draeger Evita V800", 0x5842E4: b"Baxter Sigma Spectrum"}
CLIENTS_OF = {  # device classes that start conversations of a category (relative); others: all clients
    "dicom-bulk": {"modality": 1},
    "dicom": {"modality": 2, "workstation": 1},
    "hl7": {"monitor": 4, "workstation": 1},
    "mqtt": {"monitor": 2, "pump": 3, "unknown": 0.5},
    "tls": {"workstation": 3, "pump": 1, "unknown": 1, "modality": 0.3},
    "http": {"workstation": 2, "unknown": 1, "pump": 0.5},
}
SERVERS = {"dicom": 4, "hl7": 3, "mqtt": 2, "dns": 2, "dhcp": 1, "tls": 16, "http": 8}
MSS = 1460
SYN_OPTS = bytes.fromhex("020405b4010303070101" "0402")  # MSS 1460, NOP, WS 7, NOP, NOP, SACK permitted


def csum_add(data):
    """One's-complement sum of 16-bit big-endian words, modulo 65535 (0 stands for 0xFFFF)."""
    if len(data) & 1:
        data += b"\0"
    return int.from_bytes(data, "big") % 65535


def ip_sum(ip):
    return (ip[0] << 8 | ip[1]) + (ip[2] << 8 | ip[3])


# ---------------------------------------------------------------- reading the seeds

def read_pcap(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit(f"make-capture: {path}: not a classic pcap (convert with: editcap -F pcap IN OUT)")
    link = struct.unpack(end + "I", data[20:24])[0]
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[at + 8:at + 12])[0]
        yield link, data[at + 16:at + 16 + caplen]
        at += 16 + caplen


def l3(link, f):
    """(IP version, network bytes) for Ethernet (with 802.1Q), BSD loopback, raw IP, Linux SLL."""
    if link == 1:
        et, off = struct.unpack("!H", f[12:14])[0], 14
        while et in (0x8100, 0x88A8) and len(f) >= off + 4:
            et, off = struct.unpack("!H", f[off + 2:off + 4])[0], off + 4
        return {0x0800: 4, 0x86DD: 6}.get(et), f[off:]
    if link == 0 and len(f) >= 4:
        fam = struct.unpack("<I", f[:4])[0] if f[0] else struct.unpack(">I", f[:4])[0]
        return (4 if fam == 2 else 6 if fam in (10, 24, 28, 30) else None), f[4:]
    if link in (101, 228, 229) and f:
        return f[0] >> 4, f
    if link == 113 and len(f) >= 16:
        return {0x0800: 4, 0x86DD: 6}.get(struct.unpack("!H", f[14:16])[0]), f[16:]
    return None, b""


def packets(path):
    """(proto, src, sport, dst, dport, tcp flags, seq, payload) of each IPv4/IPv6 TCP or UDP packet."""
    for link, f in read_pcap(path):
        v, ip = l3(link, f)
        if v == 4 and len(ip) >= 20:
            ihl, total = (ip[0] & 15) * 4, struct.unpack("!H", ip[2:4])[0]
            if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
                continue  # IP fragments: none in the seeds
            proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:max(total, ihl)]
        elif v == 6 and len(ip) >= 40:
            proto, src, dst, l4 = ip[6], ip[8:24], ip[24:40], ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
        else:
            continue
        if proto == 6 and len(l4) >= 20:
            sp, dp, seq = struct.unpack("!HHI", l4[:8])
            yield 6, src, sp, dst, dp, l4[13], seq, bytes(l4[(l4[12] >> 4) * 4:])
        elif proto == 17 and len(l4) >= 8:
            sp, dp, ulen = struct.unpack("!HHH", l4[:6])
            yield 17, src, sp, dst, dp, 0, 0, bytes(l4[8:max(ulen, 8)])


def conversations(path):
    """Seed conversations: (proto, server_port, [(to_server, payload), ...]) in capture order.
    TCP payload is reassembled per direction (retransmitted bytes dropped) and consecutive
    payloads of one direction are merged into one message; UDP keeps one datagram per event;
    DHCP is grouped by transaction id (client = BOOTREQUEST sender)."""
    convs, order = {}, []
    for proto, src, sp, dst, dp, flags, seq, payload in packets(path):
        a, b = (src, sp), (dst, dp)
        if proto == 17 and {sp, dp} <= {67, 68}:
            if len(payload) < 240:
                continue
            key = ("dhcp", payload[4:8])
            if key not in convs:
                convs[key] = {"proto": 17, "port": 67, "events": []}
                order.append(key)
            convs[key]["events"].append((payload[0] == 1, payload))
            continue
        key = (proto,) + tuple(sorted([a, b]))
        c = convs.get(key)
        if c is None:
            if proto == 6:
                if flags & 0x12 == 0x02:
                    client = a
                elif flags & 0x12 == 0x12:
                    client = b
                else:  # picked up mid-stream: the client is the side with the ephemeral port
                    client = a if sp > dp else b
            else:
                client = a
            c = convs[key] = {"proto": proto, "client": client, "port": b[1] if client == a else a[1],
                              "events": [], "next": {}}
            order.append(key)
        to_server = a == c["client"]
        if proto == 6:
            nxt = c["next"]
            if flags & 0x02:
                nxt[to_server] = (seq + 1) & 0xFFFFFFFF
                continue
            if not payload:
                continue
            exp = nxt.get(to_server, seq)
            skip = (exp - seq) & 0xFFFFFFFF
            if skip >= 0x80000000:
                skip = 0  # a gap (data missing from the seed): take the segment as it is
            if skip >= len(payload):
                continue  # retransmission
            payload = payload[skip:]
            nxt[to_server] = (seq + skip + len(payload)) & 0xFFFFFFFF
            ev = c["events"]
            if ev and ev[-1][0] == to_server:
                ev[-1] = (to_server, ev[-1][1] + payload)
                continue
        if payload:
            c["events"].append((to_server, payload))
    return [(convs[k]["proto"], convs[k]["port"], convs[k]["events"]) for k in order if convs[k]["events"]]


# ---------------------------------------------------------------- templates

class Tcp:
    """A TCP conversation as packets relative to the ISNs: every field but addresses, ports and
    sequence numbers fixed, with its checksum contribution precomputed."""
    __slots__ = ("pkts", "bytes")

    def __init__(self, events):
        seq = [0, 0]  # relative: the SYN takes 0, data starts at 1
        pkts = []

        def add(d, flags, payload=b"", opts=b"", burst=False):
            off = (20 + len(opts)) // 4
            win = (64240 if d == 0 else 65160) if flags & 0x02 else (502 if d == 0 else 509)
            ack = seq[1 - d] if flags & 0x10 else None
            fixed = csum_add(opts) + csum_add(payload) + (off << 12 | flags) + win + (20 + len(opts) + len(payload))
            pkts.append((d, flags, seq[d], ack, off << 4, win, opts + payload, fixed, burst))
            seq[d] += len(payload) + (1 if flags & 0x03 else 0)

        add(0, 0x02, opts=SYN_OPTS, burst=True)
        add(1, 0x12, opts=SYN_OPTS, burst=True)
        add(0, 0x10, burst=True)
        for i, (to_server, payload) in enumerate(events):
            d = 0 if to_server else 1
            reply_next = i + 1 < len(events) and events[i + 1][0] != to_server  # the reply carries the ACK
            n = 0
            for off in range(0, len(payload), MSS):
                last = off + MSS >= len(payload)
                add(d, 0x18 if last else 0x10, payload[off:off + MSS], burst=n % 10 == 0)
                n += 1
                if n % 2 == 0 and not (last and reply_next):
                    add(1 - d, 0x10)
            if n % 2 and not reply_next:
                add(1 - d, 0x10)
        add(0, 0x11, burst=True)
        add(1, 0x11, burst=True)
        add(0, 0x10)
        self.pkts = pkts
        self.bytes = sum(len(p[6]) for p in pkts)


class Udp:
    __slots__ = ("pkts", "bytes", "dhcp", "dns")

    def __init__(self, port, events):
        self.dhcp = port == 67
        self.dns = port == 53
        self.pkts = [(0 if to_server else 1, p, csum_add(p) + 8 + len(p)) for to_server, p in events]
        self.bytes = sum(len(p) for _, p in events)


class Host:
    __slots__ = ("mac", "ip", "isum", "ttl", "ipid", "name", "vci")

    def __init__(self, mac, ip, ttl=64, name=b"", ipid=0, vci=b""):
        self.mac, self.ip, self.isum, self.ttl, self.name, self.ipid, self.vci = mac, ip, ip_sum(ip), ttl, name, ipid, vci


BCAST = Host(b"\xff" * 6, b"\xff\xff\xff\xff")
ETH_IP_TCP = struct.Struct("!6s6sHBBHHHBBH4s4sHHIIBBHHH")
ETH_IP_UDP = struct.Struct("!6s6sHBBHHHBBH4s4sHHHH")


def ip_fields(src, proto, length, frag=0x4000):
    """IPv4 id and the header checksum's contribution of everything but the addresses."""
    src.ipid = (src.ipid + 1) & 0xFFFF
    return src.ipid, 0x4500 + length + src.ipid + frag + (src.ttl << 8 | proto)


def tcp_replay(t, cli, srv, sport, dport, rng):
    """Yield bursts (lists of Ethernet frames) of one replay of template t."""
    isn = (rng.getrandbits(32), rng.getrandbits(32))
    ends = ((cli, srv, sport, dport), (srv, cli, dport, sport))
    ports = sport + dport
    burst = []
    for d, flags, rseq, rack, off, win, tail, fixed, new in t.pkts:
        if new and burst:
            yield burst
            burst = []
        a, b, sp, dp = ends[d]
        seq = (isn[d] + rseq) & 0xFFFFFFFF
        ack = 0 if rack is None else (isn[1 - d] + rack) & 0xFFFFFFFF
        c = (fixed + a.isum + b.isum + 6 + ports + (seq >> 16) + (seq & 0xFFFF) + (ack >> 16) + (ack & 0xFFFF)) % 65535
        tlen = 40 + len(tail)
        ipid, h = ip_fields(a, 6, tlen)
        h = (h + a.isum + b.isum) % 65535
        burst.append(ETH_IP_TCP.pack(b.mac, a.mac, 0x0800, 0x45, 0, tlen, ipid, 0x4000, a.ttl, 6,
                                     0xFFFF - h if h else 0, a.ip, b.ip, sp, dp, seq, ack, off, flags, win,
                                     0xFFFF - c if c else 0, 0) + tail)
    yield burst


def dhcp_rewrite(p, cli, srv, xid, dns_servers):
    """The seed's DHCP message as this client's: xid, chaddr, addresses, client id, host name, vendor class."""
    p = bytearray(p)
    p[4:8] = xid
    p[28:44] = cli.mac + b"\0" * 10
    for off, host in ((12, cli), (16, cli), (20, srv)):
        if p[off:off + 4] != b"\0\0\0\0":
            p[off:off + 4] = host.ip
    if p[236:240] != b"\x63\x82\x53\x63":
        return bytes(p)
    out, i = bytearray(p[:240]), 240
    while i < len(p):
        code = p[i]
        if code in (0, 255) or i + 1 >= len(p) or i + 2 + p[i + 1] > len(p):
            out += p[i:]
            break
        val = p[i + 2:i + 2 + p[i + 1]]
        if code == 50 and len(val) == 4:
            val = cli.ip
        elif code in (54, 3) and len(val) == 4:
            val = srv.ip
        elif code == 6 and val and len(val) % 4 == 0:
            val = b"".join(h.ip for h in dns_servers)[:len(val)]
        elif code == 61 and len(val) == 7 and val[0] == 1:
            val = b"\x01" + cli.mac
        elif code == 12:
            val = cli.name
        elif code == 60:
            val = cli.vci
        out += bytes([code, len(val)]) + val
        i += 2 + p[i + 1]
    return bytes(out)


def udp_replay(t, cli, srv, sport, dport, rng, dns_servers):
    xid = rng.getrandbits(32).to_bytes(4, "big")
    dns_id = rng.getrandbits(16)
    for d, p, fixed in t.pkts:
        frag = 0x4000
        if t.dhcp:
            p = dhcp_rewrite(p, cli, srv, xid, dns_servers)
            fixed = csum_add(p) + 8 + len(p)
            frag = 0
            bcast, bound = p[10] & 0x80, p[12:16] != b"\0\0\0\0"  # broadcast flag, ciaddr set
            if d == 0:  # an unbound client sends from 0.0.0.0 to the broadcast address
                a = cli if bound else Host(cli.mac, b"\0\0\0\0", cli.ttl, ipid=cli.ipid)
                b, sp, dp = (srv if bound and not bcast else BCAST), 68, 67
            else:
                a, b, sp, dp = srv, (BCAST if bcast else cli), 67, 68
        else:
            a, b, sp, dp = (cli, srv, sport, dport) if d == 0 else (srv, cli, dport, sport)
            if t.dns and len(p) >= 12:  # a fresh transaction id, distinct ids kept distinct
                old = p[0] << 8 | p[1]
                p = (old ^ dns_id).to_bytes(2, "big") + p[2:]
                fixed = fixed - old + (old ^ dns_id)
        ulen = 8 + len(p)
        c = (fixed + a.isum + b.isum + 17 + sp + dp + ulen) % 65535
        ipid, h = ip_fields(a, 17, 20 + ulen, frag)
        h = (h + a.isum + b.isum) % 65535
        yield [ETH_IP_UDP.pack(b.mac, a.mac, 0x0800, 0x45, 0, 20 + ulen, ipid, frag, a.ttl, 17,
                               0xFFFF - h if h else 0, a.ip, b.ip, sp, dp, ulen, 0xFFFF - c if c else 0xFFFF) + p]


# ---------------------------------------------------------------- the network

def make_hosts(n, rng):
    names = {"modality": "ct", "monitor": "mon", "pump": "pump", "workstation": "ws", "unknown": "dev"}
    counts = {c: int(round(n * v[0])) for c, v in CLASSES.items()}
    counts["workstation"] += n - sum(counts.values())
    classes, hosts = {}, []
    for cls, (_, ouis, net, ttl) in CLASSES.items():
        members = []
        for i in range(counts[cls]):
            if ouis:
                oui = rng.choice(ouis)[0]
            else:
                oui = rng.getrandbits(24) & 0xFCFFFF | (0x020000 if i % 2 else 0)
            mac = oui.to_bytes(3, "big") + rng.getrandbits(24).to_bytes(3, "big")
            ip = bytes([10, net + i // 62500, (i // 250) % 250, 1 + i % 250])
            vci = VENDOR_CLASS.get(oui, b"MSFT 5.0" if cls == "workstation" else b"udhcp 1.36.1")
            members.append(Host(mac, ip, ttl, f"{names[cls]}-{i + 1:04d}".encode(), rng.getrandbits(16), vci))
        classes[cls] = members
        hosts += members
    return hosts, classes


def make_servers(rng):
    srv, k = {}, 0
    ouis = [0x00065B, 0x0001E6, 0x001438, 0x000D56]  # Dell, Hewlett Packard, HPE, Dell
    for cat, n in SERVERS.items():
        srv[cat] = []
        for _ in range(n):
            k += 1
            mac = rng.choice(ouis).to_bytes(3, "big") + rng.getrandbits(24).to_bytes(3, "big")
            srv[cat].append(Host(mac, bytes([10, 1, k // 250, 1 + k % 250]), 64, f"srv-{cat}-{k}".encode(), rng.getrandbits(16)))
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-gb", type=float, default=1.0, help="stop after this many GB (10^9 bytes) of pcap")
    ap.add_argument("--hosts", type=int, default=2000, help="client hosts (about 40 servers come on top)")
    ap.add_argument("--in-flight", type=int, default=500, help="conversations active at once")
    ap.add_argument("--pps", type=float, default=550, help="mean packets per second of capture time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", help="also write the capture's statistics (JSON) to this file")
    ap.add_argument("--out", required=True, help="output pcap, or - for standard output")
    a = ap.parse_args()
    rng = random.Random(a.seed)

    cats = {}
    for path, weight in SEEDS:
        if not os.path.exists(path):
            sys.exit(f"make-capture: seed missing: {path}")
        for proto, port, events in conversations(path):
            cat = PORTS.get(port)
            if cat is None:
                continue
            t = Tcp(events) if proto == 6 else Udp(port, events)
            if cat == "dicom" and t.bytes > 1_000_000:
                cat = "dicom-bulk"
            elif cat == "dns" and proto == 6:
                cat = "dns-tcp"
            cats.setdefault(cat, []).append((weight, proto, port, t))
    cat_names = [c for c in MIX if c in cats]
    cat_weights = [MIX[c] for c in cat_names]
    cat_convs = {c: (cats[c], [s[0] for s in cats[c]]) for c in cat_names}

    clients, classes = make_hosts(a.hosts, rng)
    servers = make_servers(rng)
    share = {c: len(m) for c, m in classes.items()}
    pick_cls = {}
    for cat in cat_names:
        w = CLIENTS_OF.get(cat, share)
        pick_cls[cat] = ([c for c in w if classes.get(c)], [w[c] for c in w if classes.get(c)])
    by_port = {}

    def server_for(cat, port):
        key = (cat, port)
        if key not in by_port:
            pool = servers[cat.split("-")[0]]
            by_port[key] = rng.sample(pool, min(len(pool), 3))
        return rng.choice(by_port[key])

    stats = {c: [0, 0, 0] for c in cat_names}  # conversations started, packets, frame bytes
    used = set()

    def new_conv():
        cat = rng.choices(cat_names, cat_weights)[0]
        _, proto, port, t = rng.choices(*cat_convs[cat])[0]
        c = rng.choice(classes[rng.choices(*pick_cls[cat])[0]])
        s = server_for(cat, port)
        used.add(c.ip)
        used.add(s.ip)
        stats[cat][0] += 1
        if c.ttl == 128:  # Windows' ephemeral ports, else Linux'
            sport = rng.randrange(49152, 65536)
        else:
            sport = rng.randrange(32768, 61000)
        if proto == 6:
            return cat, tcp_replay(t, c, s, sport, port, rng)
        return cat, udp_replay(t, c, s, sport, port, rng, servers["dns"])

    target = int(a.size_gb * 1e9)
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    rec = struct.Struct("<IIII")
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    buf = [head]
    written, packets = len(head), 0
    t0 = t = 1_767_254_400 * 1_000_000  # 2026-01-01T08:00:00Z in microseconds
    mean_gap = 1e6 / a.pps
    active = []
    rnd = rng.random
    try:
        while written < target:
            while len(active) < a.in_flight:
                active.append(new_conv())
            i = int(rnd() * len(active))
            cat, gen = active[i]
            burst = next(gen, None)
            if burst is None:
                active[i] = active[-1]
                active.pop()
                continue
            st = stats[cat]
            n = len(burst)
            t += int(rnd() * 2 * n * mean_gap)  # the pause before a burst: n/pps on average
            for f in burst:
                ln = len(f)
                buf.append(rec.pack(t // 1_000_000, t % 1_000_000, ln, ln))
                buf.append(f)
                written += 16 + ln
                st[2] += ln
                t += 3 + int(rnd() * 30)  # back-to-back frames within a burst
            st[1] += n
            packets += n
            if len(buf) > 40000:
                out.write(b"".join(buf))
                buf.clear()
        out.write(b"".join(buf))
        out.flush()
    except BrokenPipeError:  # the reader stopped early: its exit status tells
        sys.stderr.close()
        return
    if out is not sys.stdout.buffer:
        out.close()

    macs = {h.mac for h in clients if h.ip in used} | {h.mac for v in servers.values() for h in v if h.ip in used}
    frame_bytes = max(written - 24 - 16 * packets, 1)
    summary = {
        "packets": packets, "bytes": written, "hosts_ip": len(used), "hosts_mac": len(macs),
        "seconds": round((t - t0) / 1e6), "seed": a.seed,
        "seed_conversations": {c: len(v) for c, v in cats.items()},
        "mix": {c: {"conversations": v[0], "packets": v[1], "frame_bytes": v[2],
                    "packets_pct": round(100 * v[1] / max(packets, 1), 1),
                    "bytes_pct": round(100 * v[2] / frame_bytes, 1)} for c, v in stats.items()},
    }
    lines = [f"make-capture: {packets} packets, {written} bytes, {len(used)} IPs, {len(macs)} MACs, "
             f"{summary['seconds']} s of capture time"]
    for c, v in summary["mix"].items():
        lines.append(f"  {c:11} {v['conversations']:8} conversations {v['packets_pct']:5}% of packets {v['bytes_pct']:5}% of bytes")
    print("\n".join(lines), file=sys.stderr)
    if a.stats:
        with open(a.stats, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
