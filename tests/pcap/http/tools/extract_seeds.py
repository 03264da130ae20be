#!/usr/bin/python3
"""Write each TCP stream of a capture as two seed files (client->server, server->client bytes,
as tshark's `follow,tcp,raw` reassembles them): <out>/<prefix>-s<N>-c2s.bin and -s2c.bin."""
import subprocess
import sys

pcap, prefix, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream"], capture_output=True, text=True)
        .stdout.split()[-1]) + 1
for s in range(n):
    text = subprocess.run(["tshark", "-r", pcap, "-q", "-z", f"follow,tcp,raw,{s}"], capture_output=True, text=True).stdout
    body = text.split("=" * 67)[1].splitlines()[5:] if "=" * 67 in text else []
    c2s, s2c = bytearray(), bytearray()
    for line in body:
        if not line.strip() or line.startswith("="):
            continue
        (s2c if line.startswith("\t") else c2s).extend(bytes.fromhex(line.strip()))
    for name, data in (("c2s", c2s), ("s2c", s2c)):
        if data:
            open(f"{out}/{prefix}-s{s}-{name}.bin", "wb").write(data)
