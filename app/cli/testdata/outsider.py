#!/usr/bin/env python3
"""An outside client of Enxame protocol version 2, written from the
contract alone (shared/PROTOCOL.md): Python's ssl module, TLS 1.3, ALPN
enxame/2, a certificate made by `openssl req -x509`, and the version 1
framing inside.

usage: outsider.py CERT KEY TRACKER_HOST TRACKER_PORT PEER_HOST PEER_PORT ID SIZE OUT

Registers, lists and searches on the tracker (printing each answer line),
then GETs [0, SIZE) of ID from the peer into OUT."""
import json
import socket
import ssl
import sys


def connect(ctx, host, port):
    s = socket.create_connection((host, int(port)), timeout=10)
    t = ctx.wrap_socket(s)
    assert t.version() == "TLSv1.3", t.version()
    assert t.selected_alpn_protocol() == "enxame/2", t.selected_alpn_protocol()
    return t


def readline(f):
    line = f.readline(1 << 24)
    if not line.endswith(b"\n"):
        raise SystemExit("no complete line: %r" % line[:200])
    return line


def main():
    cert, key, th, tp, ph, pp, cid, size, out = sys.argv[1:]
    size = int(size)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["enxame/2"])
    ctx.load_cert_chain(cert, key)

    t = connect(ctx, th, tp)
    f = t.makefile("rwb")
    for req in (
        {"op": "register", "port": 9, "files": [], "name": "python outsider"},
        {"op": "list"},
        {"op": "search", "q": ""},
    ):
        f.write(json.dumps(req).encode() + b"\n")
        f.flush()
        answer = json.loads(readline(f))
        print(json.dumps({req["op"]: answer}))
    t.close()

    p = connect(ctx, ph, pp)
    f = p.makefile("rwb")
    f.write(b"GET %s 0 %d\n" % (cid.encode(), size))
    f.flush()
    status = readline(f)
    if status != b"OK %d\n" % size:
        raise SystemExit("GET answered %r" % status)
    data = f.read(size)
    if len(data) != size:
        raise SystemExit("GET sent %d of %d bytes" % (len(data), size))
    with open(out, "wb") as o:
        o.write(data)
    p.close()
    print(json.dumps({"get": len(data)}))


if __name__ == "__main__":
    main()
