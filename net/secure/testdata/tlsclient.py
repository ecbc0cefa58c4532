"""An outside client of protocol version 2, for interop_test.go.

Python's ssl module and a certificate made by `openssl req -x509`; no
Enxame code. Usage: tlsclient.py HOST PORT CERT KEY MAX_TLS LINE

Connects with TLS (at most MAX_TLS: "1.3" or "1.2") and ALPN enxame/2,
sends LINE and a newline, prints the TLS version and ALPN it got, then
everything the server sends until it closes; or "SSLERROR <reason>".
"""
import socket
import ssl
import sys

host, port, cert, key, max_tls, line = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # self-signed: trust is not a CA's
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.maximum_version = {"1.3": ssl.TLSVersion.TLSv1_3, "1.2": ssl.TLSVersion.TLSv1_2}[max_tls]
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["enxame/2"])

with socket.create_connection((host, int(port)), timeout=10) as raw:
    try:
        with ctx.wrap_socket(raw) as s:
            s.sendall(line.encode() + b"\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            print("VERSION", s.version())
            print("ALPN", s.selected_alpn_protocol())
            sys.stdout.write(data.decode())
    except ssl.SSLError as e:
        print("SSLERROR", e.reason)
