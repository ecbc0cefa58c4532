#!/usr/bin/env bash
# Download benchmark (docs/BENCHMARKS.md, "Downloads"):
#   a SIZE_MIB random file fetched on loopback by `enxame get` from 1 and from
#   4 `enxame share` seeders (headless `enxame tracker`), and, in the same run,
#   the same file fetched by aria2c from 1 and from 4 aria2c seeders through
#   opentracker (256 KiB pieces; DHT, LPD and PEX off).
# For every run it measures launch -> verified file on disk (the process
# exits), the time until the downloader has written its first 64 KiB of
# data (wchar of /proc/PID/io, polled every 2 ms: the same yardstick for
# both tools; enxame writes only verified 256-512 KiB chunks, aria2c writes
# 16 KiB blocks as they arrive), peak RSS and CPU seconds (/usr/bin/time). Prints medians of RUNS runs and the ratios to aria2c.
# Loopback only; works in a temporary folder, stops every process it started
# and removes the folder.
#
# Usage: scripts/bench-get.sh                (RUNS=3 SIZE_MIB=1024)
#        RUNS=5 SIZE_MIB=256 scripts/bench-get.sh
set -euo pipefail

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

TMP=$(mktemp -d /tmp/enxame-bench-get.XXXXXX)
PIDS=()
cleanup() {
	stop "${PIDS[@]}" # benchlib.sh
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench-get: $*" >&2; }
# H, need, stop, freeport, until_ok.
. "$ROOT/scripts/benchlib.sh"
need python3 "apt-get install -y python3"
need openssl "apt-get install -y openssl"
[ -x /usr/bin/time ] || { log "/usr/bin/time is needed (apt-get install -y time)"; exit 1; }
need aria2c "apt-get install -y aria2"
need mktorrent "apt-get install -y mktorrent"
need opentracker "apt-get install -y opentracker"

log "building enxame (-tags nogui)"
(cd "$ROOT" && go build -tags nogui -o "$TMP/enxame" .)
ENXAME=$TMP/enxame

log "writing ${SIZE_MIB} MiB of random data"
mkdir -p "$TMP/src"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$TMP/src/file.bin"
cat "$TMP/src/file.bin" >/dev/null # page-cached for every contender alike
sync

# bench NAME CMD...: RUNS measured runs into $TMP/res/NAME.N.json; the
# output folder $TMP/out is emptied before each run and compared after it.
mkdir -p "$TMP/res"
bench() {
	local name=$1 r
	shift
	for ((r = 1; r <= RUNS; r++)); do
		rm -rf "$TMP/out"
		mkdir "$TMP/out"
		sync
		$H measure "$TMP/res/$name.$r.json" "$@"
		if ! cmp -s "$TMP/out/file.bin" "$TMP/src/file.bin"; then
			log "$name run $r: downloaded file differs or is missing"
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
SEEDERS=()
for n in 1 4; do
	while ((${#SEEDERS[@]} < n)); do
		i=${#SEEDERS[@]}
		"$ENXAME" share -tracker "127.0.0.1:$TP" -listen 127.0.0.1:0 -no-cache "$TMP/src" 2>"$TMP/share$i.log" &
		SEEDERS+=($!)
		PIDS+=($!)
	done
	for ((i = 0; i < n; i++)); do until_ok 120 grep -q "Index ready" "$TMP/share$i.log"; done
	until_ok 30 $H firstid "127.0.0.1:$TP" file.bin
	ID=$($H firstid "127.0.0.1:$TP" file.bin)
	until_ok 30 bash -c "[ \"\$($H peers 127.0.0.1:$TP $ID $ID)\" -ge $n ]"
	log "enxame: $n seeder(s) registered"
	bench "enxame-$n" "$ENXAME" get -tracker "127.0.0.1:$TP" -o "$TMP/out" -log-level info file.bin
done
stop "${SEEDERS[@]}"
# ---- aria2c + opentracker ----
OP=$(freeport)
mkdir -p "$TMP/ot"
mktorrent -a "http://127.0.0.1:$OP/announce" -l 18 -o "$TMP/file.torrent" "$TMP/src/file.bin" >/dev/null
$H infohash "$TMP/file.torrent" >"$TMP/ot/whitelist"
(cd "$TMP/ot" && exec opentracker -i 127.0.0.1 -p "$OP" -P "$OP" -d "$TMP/ot" -w whitelist) >"$TMP/ot.log" 2>&1 &
PIDS+=($!)
until_ok 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$OP"
ARIA=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
	--console-log-level=warn --summary-interval=0 --file-allocation=falloc)
SEEDERS=()
for n in 1 4; do
	while ((${#SEEDERS[@]} < n)); do
		i=${#SEEDERS[@]}
		mkdir -p "$TMP/aseed$i"
		ln -f "$TMP/src/file.bin" "$TMP/aseed$i/file.bin"
		aria2c "${ARIA[@]}" --seed-ratio=0.0 --bt-seed-unverified=true -d "$TMP/aseed$i" \
			--listen-port="$(freeport)" "$TMP/file.torrent" >"$TMP/aseed$i.log" 2>&1 &
		SEEDERS+=($!)
		PIDS+=($!)
	done
	until_ok 30 bash -c "[ \"\$($H seeds 127.0.0.1:$OP $TMP/file.torrent)\" -ge $n ]"
	log "aria2c: $n seeder(s) announced"
	bench "aria2c-$n" aria2c "${ARIA[@]}" --seed-time=0 -d "$TMP/out" --listen-port="$(freeport)" "$TMP/file.torrent"
done
stop "${SEEDERS[@]}"

# ---- report ----
python3 - "$TMP/res" "$SIZE_MIB" "$RUNS" <<'EOF'
import json, os, statistics, sys
res, size_mib, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def med(name, key):
    vals = [json.load(open(os.path.join(res, f"{name}.{r}.json")))[key] for r in range(1, runs + 1)]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else float("nan")
print(f"{size_mib} MiB on loopback, median of {runs} runs; first data = launch until 64 KiB written")
print(f"{'downloader':<10} {'seeders':>7} {'launch->done s':>14} {'MiB/s':>7} {'first data ms':>13} {'peak RSS MiB':>12} {'CPU s':>6} {'CPU s/GiB':>9}")
rows = {}
for tool in ("enxame", "aria2c"):
    for n in (1, 4):
        name = f"{tool}-{n}"
        w, f, rss, cpu = med(name, "wall"), med(name, "first"), med(name, "rss_kib"), med(name, "cpu")
        rows[name] = (w, cpu)
        print(f"{tool:<10} {n:>7} {w:>14.2f} {size_mib / w:>7.0f} {f * 1000:>13.0f} {rss / 1024:>12.1f} {cpu:>6.2f} {cpu * 1024 / size_mib:>9.2f}")
for n in (1, 4):
    e, a = rows[f"enxame-{n}"], rows[f"aria2c-{n}"]
    print(f"{n} seeder(s): enxame is {a[0] / e[0]:.2f}x aria2c's speed, CPU {e[1] / a[1]:.2f}x aria2c's")
EOF
