#!/usr/bin/env bash
# Folder benchmark (docs/BENCHMARKS.md, "Folders"; issue 14):
#   two folders of random files, fetched whole on loopback by `enxame get
#   FOLDER` from SEEDERS `enxame share` seeders (headless `enxame tracker`),
#   and, in the same run, by aria2c from SEEDERS aria2c seeders of one
#   multi-file torrent of the same folder, through opentracker (256 KiB
#   pieces; DHT, LPD and PEX off):
#     small: SMALL_N files of SMALL_KIB KiB (default 1,000 x 64 KiB) in
#            SMALL_DIRS subfolders (default 10; 1: all in the folder
#            itself), where per-file overheads show;
#     big:   BIG_N files of BIG_MIB MiB (default 10 x 100 MiB).
# Each run is timed from launch until the process exits with every file
# verified on disk (compared with diff -r after each run); CPU and peak RSS
# from /usr/bin/time. Prints medians of RUNS runs and the ratios.
# Loopback only; works in a temporary folder, stops every process it
# started and removes the folder.
#
# Usage: scripts/bench-folder.sh              (RUNS=3 SEEDERS=1)
#        RUNS=1 SMALL_N=200 BIG_N=2 BIG_MIB=32 scripts/bench-folder.sh
set -euo pipefail

RUNS=${RUNS:-3}
SEEDERS=${SEEDERS:-1}
SMALL_N=${SMALL_N:-1000}
SMALL_KIB=${SMALL_KIB:-64}
SMALL_DIRS=${SMALL_DIRS:-10}
BIG_N=${BIG_N:-10}
BIG_MIB=${BIG_MIB:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

TMP=$(mktemp -d /tmp/enxame-bench-folder.XXXXXX)
PIDS=()
cleanup() {
	stop "${PIDS[@]}" # benchlib.sh
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench-folder: $*" >&2; }
# H, need, stop, freeport, until_ok.
. "$ROOT/scripts/benchlib.sh"
need python3 "apt-get install -y python3"
[ -x /usr/bin/time ] || { log "/usr/bin/time is needed (apt-get install -y time)"; exit 1; }
need aria2c "apt-get install -y aria2"
need mktorrent "apt-get install -y mktorrent"
need opentracker "apt-get install -y opentracker"

log "building enxame (-tags nogui)"
(cd "$ROOT" && go build -tags nogui -o "$TMP/enxame" .)
ENXAME=$TMP/enxame

log "writing small: $SMALL_N x $SMALL_KIB KiB in $SMALL_DIRS folder(s), big: $BIG_N x $BIG_MIB MiB"
mkdir -p "$TMP/src/small" "$TMP/src/big"
python3 - "$TMP/src/small" "$SMALL_N" "$SMALL_KIB" "$SMALL_DIRS" <<'EOF'
import os, sys
d, n, kib, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    sub = os.path.join(d, f"part-{i % dirs}") if dirs > 1 else d
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f-{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(kib * 1024))
EOF
for ((i = 0; i < BIG_N; i++)); do head -c $((BIG_MIB << 20)) /dev/urandom >"$TMP/src/big/file-$i.bin"; done
cat "$TMP"/src/big/* >/dev/null # page-cached for every contender alike
sync
LAST_SMALL=$(printf 'f-%05d.bin' $((SMALL_N - 1)))
LAST_BIG="file-$((BIG_N - 1)).bin"

# bench NAME FOLDER CMD...: RUNS runs into $TMP/res/NAME.N.json; $TMP/out is
# emptied before each run and compared with the source folder after it.
mkdir -p "$TMP/res"
bench() {
	local name=$1 folder=$2 r
	shift 2
	for ((r = 1; r <= RUNS; r++)); do
		rm -rf "$TMP/out"
		mkdir "$TMP/out"
		sync
		$H measure "$TMP/res/$name.$r.json" "$@"
		if ! diff -rq "$TMP/src/$folder" "$TMP/out/$folder" >/dev/null; then
			log "$name run $r: the downloaded folder differs"
			diff -rq "$TMP/src/$folder" "$TMP/out/$folder" | head -5 >&2 || true
			cat "$TMP/res/$name.$r.json.stderr" >&2
			exit 1
		fi
		log "$name run $r: $(cat "$TMP/res/$name.$r.json")"
	done
	rm -rf "$TMP/out"
}

# ---- enxame ----
TP=$(freeport)
"$ENXAME" tracker -listen "127.0.0.1:$TP" -log-level warn 2>"$TMP/tracker.log" &
PIDS+=($!)
until_ok 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TP"
SEEDS=()
for ((i = 0; i < SEEDERS; i++)); do
	"$ENXAME" share -tracker "127.0.0.1:$TP" -listen 127.0.0.1:0 -no-cache "$TMP/src" 2>"$TMP/share$i.log" &
	SEEDS+=($!)
	PIDS+=($!)
done
for ((i = 0; i < SEEDERS; i++)); do until_ok 600 grep -q "Index ready" "$TMP/share$i.log"; done
for last in "$LAST_SMALL" "$LAST_BIG"; do
	until_ok 60 $H firstid "127.0.0.1:$TP" "$last"
	ID=$($H firstid "127.0.0.1:$TP" "$last")
	until_ok 60 bash -c "[ \"\$($H peers 127.0.0.1:$TP $last $ID)\" -ge $SEEDERS ]"
done
log "enxame: $SEEDERS seeder(s) registered"
for f in small big; do
	bench "enxame-$f" "$f" "$ENXAME" get -tracker "127.0.0.1:$TP" -o "$TMP/out" -log-level warn "$f"
done
stop "${SEEDS[@]}"

# ---- aria2c + opentracker: one multi-file torrent per folder ----
OP=$(freeport)
mkdir -p "$TMP/ot"
: >"$TMP/ot/whitelist"
for f in small big; do
	mktorrent -a "http://127.0.0.1:$OP/announce" -l 18 -o "$TMP/$f.torrent" "$TMP/src/$f" >/dev/null
	$H infohash "$TMP/$f.torrent" >>"$TMP/ot/whitelist"
done
(cd "$TMP/ot" && exec opentracker -i 127.0.0.1 -p "$OP" -P "$OP" -d "$TMP/ot" -w whitelist) >"$TMP/ot.log" 2>&1 &
PIDS+=($!)
until_ok 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$OP"
ARIA=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
	--console-log-level=warn --summary-interval=0 --file-allocation=falloc)
for f in small big; do
	SEEDS=()
	for ((i = 0; i < SEEDERS; i++)); do
		mkdir -p "$TMP/aseed$i"
		cp -al "$TMP/src/$f" "$TMP/aseed$i/$f"
		aria2c "${ARIA[@]}" --seed-ratio=0.0 --bt-seed-unverified=true -d "$TMP/aseed$i" \
			--listen-port="$(freeport)" "$TMP/$f.torrent" >"$TMP/aseed$i-$f.log" 2>&1 &
		SEEDS+=($!)
		PIDS+=($!)
	done
	until_ok 120 bash -c "[ \"\$($H seeds 127.0.0.1:$OP $TMP/$f.torrent)\" -ge $SEEDERS ]"
	log "aria2c: $SEEDERS seeder(s) of $f announced"
	bench "aria2c-$f" "$f" aria2c "${ARIA[@]}" --seed-time=0 -d "$TMP/out" --listen-port="$(freeport)" "$TMP/$f.torrent"
	stop "${SEEDS[@]}"
	rm -rf "$TMP"/aseed*
done

# ---- report ----
python3 - "$TMP/res" "$RUNS" "$SEEDERS" "$SMALL_N" "$SMALL_KIB" "$BIG_N" "$BIG_MIB" "$SMALL_DIRS" <<'EOF'
import json, os, statistics, sys
res, runs, seeders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
small_n, small_kib, big_n, big_mib, small_dirs = map(int, sys.argv[4:9])
mib = {"small": small_n * small_kib / 1024, "big": big_n * big_mib}
desc = {"small": f"{small_n} x {small_kib} KiB" + (" flat" if small_dirs == 1 else ""), "big": f"{big_n} x {big_mib} MiB"}
def runs_of(name, key):
    return [json.load(open(os.path.join(res, f"{name}.{r}.json")))[key] for r in range(1, runs + 1)]
def med(name, key):
    vals = [v for v in runs_of(name, key) if v is not None]
    return statistics.median(vals) if vals else float("nan")
print(f"folders on loopback from {seeders} seeder(s), median of {runs} runs")
print(f"{'folder':<20} {'downloader':<8} {'launch->done s':>14} {'MiB/s':>7} {'peak RSS MiB':>12} {'CPU s':>6}  runs")
for f in ("small", "big"):
    for tool in ("enxame", "aria2c"):
        n = f"{tool}-{f}"
        w = med(n, "wall")
        print(f"{desc[f]:<20} {tool:<8} {w:>14.2f} {mib[f] / w:>7.0f} {med(n, 'rss_kib') / 1024:>12.1f} {med(n, 'cpu'):>6.2f}  "
              + " ".join(f"{v:.2f}" for v in runs_of(n, "wall")))
for f in ("small", "big"):
    e, a = med(f"enxame-{f}", "wall"), med(f"aria2c-{f}", "wall")
    ec, ac = med(f"enxame-{f}", "cpu"), med(f"aria2c-{f}", "cpu")
    print(f"{desc[f]}: enxame is {a / e:.2f}x aria2c's speed, CPU {ec / ac:.2f}x aria2c's (target: speed >= 2x)")
EOF
