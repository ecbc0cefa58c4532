"""Helpers shared by the download benchmarks (scripts/bench-get.sh,
scripts/bench-swarm.sh): run-and-measure, a swarm of downloaders started
together, enxame tracker queries, a torrent's info hash and an opentracker
scrape. Standard library only.

    python3 benchhelp.py measure OUT_JSON CMD...
    python3 benchhelp.py swarm OUT_JSON TIMEOUT_S N CMD...   ({i} in CMD: 0..N-1)
    python3 benchhelp.py peers HOST:PORT QUERY ID
    python3 benchhelp.py firstid HOST:PORT QUERY
    python3 benchhelp.py infohash FILE.torrent
    python3 benchhelp.py seeds HOST:PORT FILE.torrent
"""
import hashlib, json, os, signal, socket, subprocess, sys, time, urllib.request


def measure(out_json, cmd):
    """Run cmd under /usr/bin/time (a small parent, so the peak RSS is the
    downloader's own); record wall time, first-data time, peak RSS, CPU."""
    t0 = time.monotonic()
    tfile = out_json + ".time"
    with open(out_json + ".stderr", "wb") as err, open(out_json + ".stdout", "wb") as out:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile] + cmd, stdout=out, stderr=err)
        first, child = None, None
        while p.poll() is None:
            if first is None:
                try:
                    if child is None:
                        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                            child = int(f.read().split()[0])
                    with open(f"/proc/{child}/io") as f:
                        for line in f:
                            if line.startswith("wchar:") and int(line.split()[1]) >= 64 << 10:
                                first = time.monotonic() - t0
                except (OSError, IndexError, ValueError):
                    pass
            time.sleep(0.002)
    wall = time.monotonic() - t0
    rss, user, sys_ = open(tfile).read().split()[-3:]
    json.dump({"wall": wall, "first": first, "rss_kib": int(rss), "cpu": float(user) + float(sys_),
               "status": p.returncode}, open(out_json, "w"))


def swarm(out_json, timeout, n, cmd):
    """Start n copies of cmd at once ("{i}" in an argument becomes the
    copy's number), each under /usr/bin/time, and wait for all of them,
    at most timeout seconds (then kill what is left, by process group).
    Records the time from the first launch until each copy exited, the
    exit codes and the copies' CPU seconds in all."""
    procs = []
    t0 = time.monotonic()
    for i in range(n):
        argv = [a.replace("{i}", str(i)) for a in cmd]
        base = f"{out_json}.{i}"
        with open(base + ".stdout", "wb") as out, open(base + ".stderr", "wb") as err:
            p = subprocess.Popen(["/usr/bin/time", "-f", "%U %S", "-o", base + ".time"] + argv,
                                 stdout=out, stderr=err, start_new_session=True)
        procs.append(p)
    ends = [None] * n
    deadline = t0 + timeout
    while None in ends and time.monotonic() < deadline:
        for i, p in enumerate(procs):
            if ends[i] is None and p.poll() is not None:
                ends[i] = time.monotonic() - t0
        time.sleep(0.005)
    timed_out = None in ends
    for i, p in enumerate(procs):
        if ends[i] is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    cpu = 0.0
    for i in range(n):
        try:
            user, sys_ = open(f"{out_json}.{i}.time").read().split()[-2:]
            cpu += float(user) + float(sys_)
        except (OSError, ValueError):
            pass
    json.dump({"wall": max(e for e in ends if e is not None) if any(e is not None for e in ends) else None,
               "each": ends, "cpu": cpu, "status": [p.returncode for p in procs],
               "timed_out": timed_out}, open(out_json, "w"))
    if timed_out or any(p.returncode != 0 for p in procs):
        sys.exit(1)


def search(tracker, q):
    """The tracker's results for q, asked over TLS 1.3 as an outside client
    (scripts/tracker-ask.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import importlib
    return importlib.import_module("tracker-ask").search(tracker, q)


def peers(tracker, q, want_id):
    """Number of holders the tracker lists for want_id."""
    return sum(len(r["peers"]) for r in search(tracker, q) if r["id"] == want_id)


def bdecode(b, i=0):
    c = b[i:i+1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i+1:j]), j + 1
    if c == b"l":
        i += 1; out = []
        while b[i:i+1] != b"e":
            v, i = bdecode(b, i); out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1; out = {}
        while b[i:i+1] != b"e":
            k, i = bdecode(b, i); start = i
            v, i = bdecode(b, i); out[k] = (v, start, i)
        return out, i + 1
    j = b.index(b":", i); n = int(b[i:j])
    return b[j+1:j+1+n], j + 1 + n


def infohash(torrent):
    b = open(torrent, "rb").read()
    d, _ = bdecode(b)
    _, s, e = d[b"info"]
    return hashlib.sha1(b[s:e]).digest()


def seeds(hostport, torrent):
    """Seeders opentracker at hostport reports for the torrent (scrape)."""
    ih = infohash(torrent)
    q = "".join("%%%02X" % x for x in ih)
    body = urllib.request.urlopen(f"http://{hostport}/scrape?info_hash={q}", timeout=5).read()
    d, _ = bdecode(body)
    files = d.get(b"files", ({}, 0, 0))[0]
    for v in files.values():
        return v[0][b"complete"][0]
    return 0


if __name__ == "__main__":
    op = sys.argv[1]
    if op == "measure":
        measure(sys.argv[2], sys.argv[3:])
    elif op == "swarm":
        swarm(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    elif op == "peers":
        print(peers(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif op == "firstid":
        print(search(sys.argv[2], sys.argv[3])[0]["id"])
    elif op == "infohash":
        print(infohash(sys.argv[2]).hex())
    elif op == "seeds":
        print(seeds(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(f"benchhelp: unknown op {op!r}")
