#!/usr/bin/python3
"""Send raw HTTP/1.1 bytes and read until the server closes (or a quiet second): used for
pipelined requests (all written at once, RFC 9112 §9.3.2) and the WebSocket upgrade."""
import socket
import sys
import time

port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(1.0)
if mode == "pipeline":
    ims = sys.argv[3]
    reqs = (b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: ward-pipeline/1\r\n\r\n" % port
            + b"HEAD /index.html HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: ward-pipeline/1\r\n\r\n" % port
            + b"GET /index.html?visit=1&mrn=MRN-0042-LEAK HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: ward-pipeline/1\r\n"
              b"If-Modified-Since: %s\r\n\r\n" % (port, ims.encode())
            + b"GET /missing HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: ward-pipeline/1\r\n\r\n" % port)
    s.sendall(reqs)
elif mode == "websocket":
    s.sendall(b"GET /vitals/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: ward-ws/1\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % port)
    time.sleep(0.2)
    s.sendall(b"\x81\x82\x01\x02\x03\x04" + bytes(a ^ b for a, b in zip(b"hi", b"\x01\x02\x03\x04")))
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d:
        break
s.close()
