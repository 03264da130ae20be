#!/usr/bin/python3
"""A minimal CONNECT proxy (RFC 9110 §9.3.6) requiring Basic proxy credentials, for Ward's
HTTP fixtures: 407 with Proxy-Authenticate without them, else 200 and a byte relay."""
import socket
import sys
import threading


def relay(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def client(c):
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        head += d
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ")
    auth = [l for l in lines if l.lower().startswith(b"proxy-authorization:")]
    if method != b"CONNECT" or not auth:
        c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"ward-proxy\"\r\n"
                  b"Server: WardProxyDemo/0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
        return
    host, port = target.rsplit(b":", 1)
    s = socket.create_connection((host.decode(), int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\nServer: WardProxyDemo/0.1\r\n\r\n")
    t = threading.Thread(target=relay, args=(s, c))
    t.start()
    relay(c, s)
    t.join()
    c.close()
    s.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=client, args=(conn,), daemon=True).start()
