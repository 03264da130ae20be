#!/usr/bin/env python3
"""Cut a capture's TCP payloads into a transcript for the unit tests and seeds for the fuzzer.

transcript (NAME.transcript): for each TCP segment with payload, in capture order:
    1 byte direction (0 = to server, 1 = to client), 4 bytes big-endian length, the payload.
seeds (fuzz/corpus/tls/NAME.client, NAME.server): each direction's bytes concatenated.
Only the first TCP stream is taken; the client is the side that sent the first payload. Uses tshark (-T fields -e tcp.payload).
Usage: extract.py CAPTURE NAME
"""
import os, struct, subprocess, sys

cap, name = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "../../../../../fuzz/corpus/tls")
out = subprocess.run(["tshark", "-r", cap, "-n", "-Y", "tcp.stream == 0 && tcp.len > 0", "-T", "fields",
                      "-e", "tcp.srcport", "-e", "tcp.payload"], capture_output=True, text=True, check=True).stdout
client = None
t, streams = b"", {0: b"", 1: b""}
for line in out.splitlines():
    port, payload = line.split("\t")
    data = bytes.fromhex(payload.replace(":", ""))
    if client is None:
        client = port
    d = 0 if port == client else 1
    t += bytes([d]) + struct.pack(">I", len(data)) + data
    streams[d] += data
open(os.path.join(here, name + ".transcript"), "wb").write(t)
open(os.path.join(corpus, name + ".client"), "wb").write(streams[0])
open(os.path.join(corpus, name + ".server"), "wb").write(streams[1])
print(name, len(t), "bytes,", len(streams[0]), "to server,", len(streams[1]), "to client")
