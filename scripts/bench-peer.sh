#!/usr/bin/env bash
# Peer benchmarks (docs/BENCHMARKS.md, "Peer"):
#   1. indexing throughput of net/share on 1 GiB of files (one big file, and
#      32 files of 32 MiB) against `openssl dgst -sha256` on the same files;
#   2. serving throughput of one pipelined GET stream of a 1 GiB file from a
#      real `enxame share` to a client that discards it, against nginx
#      serving the same file to `curl -o /dev/null`.
# Everything runs in the same invocation on the same (page-cached) files;
# each figure is the median of RUNS runs. Works in a temporary folder,
# cleans up and stops every process it started.
#
# Usage: scripts/bench-peer.sh            (RUNS=3 SIZE_MIB=1024 by default)
#        RUNS=5 SIZE_MIB=256 scripts/bench-peer.sh
set -euo pipefail

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
PART_MIB=32
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

TMP=$(mktemp -d /tmp/enxame-bench-peer.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null || { echo "bench-peer: $1 is needed ($2)" >&2; exit 1; }; }
need openssl "apt-get install -y openssl"
need curl "apt-get install -y curl"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench-peer: nginx is needed (apt-get install -y nginx-light)" >&2; exit 1; }

log() { echo "bench-peer: $*" >&2; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# waitlog FILE PATTERN SECONDS: wait for a log line (bounded).
waitlog() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "bench-peer: no '$2' in $1 after $3 s:" >&2
	cat "$1" >&2
	exit 1
}

# gobench BINARY BENCHMARK: run one benchmark iteration, print MiB/s.
gobench() {
	"$1" -test.run '^$' -test.bench "^$2\$" -test.benchtime 1x |
		awk '/MB\/s/ {for (i = 1; i <= NF; i++) if ($i == "MB/s") printf "%.0f\n", $(i-1) * 1e6 / 1048576}'
}

# mibps SECONDS: SIZE_MIB / seconds.
mibps() { awk -v s="$1" -v m="$SIZE_MIB" 'BEGIN {printf "%.0f\n", m / s}'; }

timeit() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f\n", a / b}'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "building in $TMP"
(cd "$ROOT" && go build -tags nogui -o "$TMP/enxame" . &&
	go test -c -o "$TMP/share.test" ./net/share &&
	go test -c -o "$TMP/peer.test" ./net/peer)

log "writing $SIZE_MIB MiB of random data (one file, and $PART_MIB MiB parts)"
mkdir -p "$TMP/one" "$TMP/many"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/one/big.bin"
(cd "$TMP/many" && split -b "${PART_MIB}M" -d -a 3 "$TMP/one/big.bin" part-)
# Old modification times: the index hashes files at once instead of waiting
# for them to settle.
touch -d '1 hour ago' "$TMP/one/big.bin" "$TMP"/many/part-*
cat "$TMP/one/big.bin" "$TMP"/many/part-* >/dev/null # warm the page cache

declare -A R
for set in one many; do
	files=("$TMP/$set"/*)
	for ((r = 0; r < RUNS; r++)); do
		R[$set.openssl]+="$(mibps "$(timeit openssl dgst -sha256 "${files[@]}")") "
		R[$set.all]+="$(ENXAME_BENCH_DIR="$TMP/$set" gobench "$TMP/share.test" BenchmarkIndexFolder) "
		R[$set.one]+="$(ENXAME_BENCH_DIR="$TMP/$set" ENXAME_BENCH_WORKERS=1 gobench "$TMP/share.test" BenchmarkIndexFolder) "
	done
	log "indexing $set: openssl ${R[$set.openssl]}| enxame all cores ${R[$set.all]}| enxame 1 worker ${R[$set.one]}"
done

log "starting a tracker and enxame share on 127.0.0.1"
"$TMP/enxame" tracker -listen 127.0.0.1:0 2>"$TMP/tracker.log" &
PIDS+=($!)
waitlog "$TMP/tracker.log" "Tracker listening" 10
TRACKER=$(sed -n 's/.*Tracker listening.* addr=\([^ ]*\).*/\1/p' "$TMP/tracker.log" | head -1)
XDG_CACHE_HOME="$TMP/cache" "$TMP/enxame" share -tracker "$TRACKER" -listen 127.0.0.1:0 "$TMP/one" 2>"$TMP/share.log" &
PIDS+=($!)
waitlog "$TMP/share.log" "Index ready" 300

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/one;
	}
}
EOF
"$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$NGINX_PORT/big.bin" && break
	sleep 0.1
done

for ((r = 0; r < RUNS; r++)); do
	R[serve.enxame]+="$(ENXAME_BENCH_TRACKER="$TRACKER" ENXAME_BENCH_NAME=big.bin gobench "$TMP/peer.test" BenchmarkFetch) "
	R[serve.nginx]+="$(curl -s -o /dev/null -w '%{speed_download}\n' "http://127.0.0.1:$NGINX_PORT/big.bin" | awk '{printf "%.0f\n", $1 / 1048576}') "
done
log "serving: enxame ${R[serve.enxame]}| nginx ${R[serve.nginx]}"

med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median; }

echo
echo "Peer benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3), $(openssl version | cut -d' ' -f1-2), nginx $("$NGINX" -v 2>&1 | cut -d/ -f2)"
echo "$SIZE_MIB MiB, page-cached, median of $RUNS runs, MiB/s (runs in brackets); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | enxame | reference | enxame / reference |"
echo "|---|---|---|---|"
for set in one many; do
	name="one ${SIZE_MIB} MiB file"
	[ "$set" = many ] && name="$((SIZE_MIB / PART_MIB)) files of $PART_MIB MiB"
	echo "| index $name, all cores | $(med $set.all) [${R[$set.all]% }] | openssl dgst -sha256: $(med $set.openssl) [${R[$set.openssl]% }] | $(ratio "$(med $set.all)" "$(med $set.openssl)") |"
	echo "| index $name, 1 worker | $(med $set.one) [${R[$set.one]% }] | openssl dgst -sha256: $(med $set.openssl) | $(ratio "$(med $set.one)" "$(med $set.openssl)") |"
done
echo "| serve one GET stream of ${SIZE_MIB} MiB | $(med serve.enxame) [${R[serve.enxame]% }] | nginx → curl -o /dev/null: $(med serve.nginx) [${R[serve.nginx]% }] | $(ratio "$(med serve.enxame)" "$(med serve.nginx)") |"
