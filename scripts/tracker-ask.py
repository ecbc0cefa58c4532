#!/usr/bin/env python3
"""Ask an Enxame tracker one request, as an outside client of protocol
version 2 would (shared/PROTOCOL.md §4): TLS 1.3, ALPN enxame/2, a
throwaway self-signed certificate made with openssl. Open networks only.

usage: tracker-ask.py HOST:PORT 'JSON REQUEST'   prints the answer line

As a module: search(addr, q) returns the results of a search."""
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile

_ctx = None


def context():
    global _ctx
    if _ctx is None:
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=enxame script"],
                           check=True, capture_output=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["enxame/2"])
            ctx.load_cert_chain(cert, key)
            _ctx = ctx
    return _ctx


def ask(addr, line, timeout=5):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        with context().wrap_socket(s) as t:
            t.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
    return data.decode()


def search(addr, q):
    return json.loads(ask(addr, json.dumps({"op": "search", "q": q}))).get("results", [])


if __name__ == "__main__":
    sys.stdout.write(ask(sys.argv[1], sys.argv[2]))
