#!/usr/bin/python3
"""A WebSocket endpoint (RFC 6455 §4.2.2 handshake) for Ward's HTTP fixtures: answers 101,
sends one text frame, closes."""
import base64
import hashlib
import socket
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen()
while True:
    c, _ = srv.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(4096)
        if not d:
            break
        head += d
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")]
    acc = base64.b64encode(hashlib.sha1(key[0] + GUID).digest()) if key else b""
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
    c.sendall(b"\x81\x05hello")
    c.recv(4096)  # the client's masked frame
    c.sendall(b"\x88\x02\x03\xe8")
    c.close()
