#!/usr/bin/env bash
# Tracker benchmark (docs/BENCHMARKS.md, "Tracker"). Loopback only; stops by
# itself (every step is bounded). Prints, as medians of $RUNS runs:
#   * heartbeats/s over persistent connections (one in flight, and pipelined)
#   * selective searches/s with $PEERS peers x $FILES files registered
#   * heartbeats/s when every request opens a new connection, p99 latency
#   * the tracker's peak RSS (VmHWM of the real `enxame tracker` process)
#   * search latency over 1,000,000 indexed files (Go benchmark)
#   * the same-run baseline: opentracker's HTTP announce rate under wrk
#     (16 connections, one connection per announce), and the ratios.
#
# Environment: RUNS (3), DURATION (4s), PEERS (10000), FILES (100),
# CONNS (32 persistent connections), CONNECT_CONNS (16), DEPTH (16).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

RUNS=${RUNS:-3}
DURATION=${DURATION:-4s}
PEERS=${PEERS:-10000}
FILES=${FILES:-100}
CONNS=${CONNS:-32}
CONNECT_CONNS=${CONNECT_CONNS:-16}
DEPTH=${DEPTH:-16}

work=$(mktemp -d)
tracker_pid=""
ot_pid=""
cleanup() {
  [ -n "$tracker_pid" ] && kill "$tracker_pid" 2>/dev/null || true
  [ -n "$ot_pid" ] && kill "$ot_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

median() { sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "n/a"}'; }

echo "== building (go build -tags nogui) =="
go build -tags nogui -o "$work/enxame" .
go build -o "$work/trackerload" ./net/tracker/internal/trackerload
echo "host: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== enxame tracker: $PEERS peers x $FILES files, $RUNS runs of $DURATION per measurement =="
"$work/enxame" tracker -listen 127.0.0.1:0 -heartbeat 10m -timeout 30m -max-conns-per-ip 4096 -max-peers-per-ip "$PEERS" \
  2>"$work/tracker.log" &
tracker_pid=$!
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's/.*msg="Tracker listening" addr=\([^ ]*\).*/\1/p' "$work/tracker.log" | head -1)
  [ -n "$addr" ] && break
  sleep 0.1
done
if [ -z "$addr" ]; then echo "tracker did not start:"; cat "$work/tracker.log"; exit 1; fi
echo "tracker pid $tracker_pid at $addr"

timeout 900 "$work/trackerload" -addr "$addr" -pid "$tracker_pid" -peers "$PEERS" -files "$FILES" -conns "$CONNS" \
  -connect-conns "$CONNECT_CONNS" -depth "$DEPTH" -runs "$RUNS" -duration "$DURATION" | tee "$work/load.txt"
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$tracker_pid/status")
kill -TERM "$tracker_pid"
wait "$tracker_pid" || true
tracker_pid=""
indexed=$((PEERS * FILES))

field() { # phase key [file]
  sed -n "s/^median phase=$1 .*$2=\([0-9.]*\).*/\1/p" "${3:-$work/load.txt}"
}
hb_rps=$(field heartbeat rps); hb_p99=$(field heartbeat p99_us); hb_cpu=$(field heartbeat tracker_cpu_us)
hbp_rps=$(field heartbeat-pipelined rps); hbp_p99=$(field heartbeat-pipelined p99_us); hbp_cpu=$(field heartbeat-pipelined tracker_cpu_us)
s_rps=$(field search rps); s_p99=$(field search p99_us); s_cpu=$(field search tracker_cpu_us)
c_rps=$(field connect rps); c_p99=$(field connect p99_us); c_cpu=$(field connect tracker_cpu_us)

echo "== baseline: opentracker + wrk (16 connections, Connection: close) =="
if ! command -v opentracker >/dev/null || ! command -v wrk >/dev/null; then
  echo "installing opentracker and wrk (Debian packages)"
  bash .ci/deps.sh opentracker wrk >/dev/null 2>&1 || true
fi
ot_rps="n/a"; ot_p99="n/a"; otl_rps="n/a"; otl_p99="n/a"; otl_cpu="n/a"; ot_cpu="n/a"
if command -v opentracker >/dev/null && command -v wrk >/dev/null; then
  port=$("$work/trackerload" -free-port)
  mkdir -p "$work/ot"
  # Debian's opentracker is built in whitelist mode: list the one hash we announce.
  echo "0123456789abcdef0123456789abcdef01234567" >"$work/ot/whitelist"
  opentracker -i 127.0.0.1 -p "$port" -P "$port" -d "$work/ot" -w whitelist >"$work/ot.log" 2>&1 &
  ot_pid=$!
  url="http://127.0.0.1:$port/announce?info_hash=%01%23Eg%89%AB%CD%EF%01%23Eg%89%AB%CD%EF%01%23Eg&peer_id=ABCDEFGHIJKLMNOPQRST&port=6881&left=0&compact=1&uploaded=0&downloaded=0"
  ready=""
  for _ in $(seq 100); do # the whitelist loads in the background
    if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      printf 'GET /announce?%s HTTP/1.0\r\n\r\n' "${url#*\?}" >&3
      reply=$(timeout 2 cat <&3 || true)
      exec 3<&-
      if [[ "$reply" == *"8:intervali"* ]]; then ready=1; break; fi
    fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "opentracker did not answer announces:"; cat "$work/ot.log"
  else
    : >"$work/wrk.txt"
    for i in $(seq "$RUNS"); do
      c0=$(awk '{print $14 + $15}' "/proc/$ot_pid/stat")
      out=$(timeout 120 wrk -t2 -c16 -d"$DURATION" --latency -H 'Connection: close' "$url")
      c1=$(awk '{print $14 + $15}' "/proc/$ot_pid/stat")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      n=$(awk '/requests in/ {print $1}' <<<"$out")
      cpu=$(awk -v t=$((c1 - c0)) -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", t * 10000 / n; else print "n/a" }')
      p99=$(awk '$1 == "99%" {v=$2; if (v ~ /ms$/) {sub(/ms$/, "", v); v*=1000} else if (v ~ /us$/) {sub(/us$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000000}; print v}' <<<"$out")
      echo "run opentracker rps=$rps p99_us=$p99 tracker_cpu_us=$cpu"
      echo "$rps $p99 $cpu" >>"$work/wrk.txt"
    done
    ot_rps=$(awk '{print $1}' "$work/wrk.txt" | median)
    ot_p99=$(awk '{print $2}' "$work/wrk.txt" | median)
    ot_cpu=$(awk '{print $3}' "$work/wrk.txt" | median)
    # The same announce driven by our own load generator, so that both
    # trackers also face the same client.
    timeout 300 "$work/trackerload" -addr "127.0.0.1:$port" -pid "$ot_pid" -phases connect-http -http-announce "/${url#*/*/*/}" \
      -connect-conns "$CONNECT_CONNS" -runs "$RUNS" -duration "$DURATION" | tee "$work/ot-load.txt"
    otl_rps=$(field connect-http rps "$work/ot-load.txt")
    otl_p99=$(field connect-http p99_us "$work/ot-load.txt")
    otl_cpu=$(field connect-http tracker_cpu_us "$work/ot-load.txt")
  fi
  kill "$ot_pid" 2>/dev/null || true
  wait "$ot_pid" 2>/dev/null || true
  ot_pid=""
else
  echo "opentracker or wrk is not installed (apt-get install -y opentracker wrk); no baseline"
fi

echo "== search over 1,000,000 indexed files (go test -bench BenchmarkSearch1M, $RUNS runs) =="
timeout 900 go test -run '^$' -bench 'BenchmarkSearch1M' -benchtime 2000x -count "$RUNS" ./net/tracker |
  tee "$work/gobench.txt" | grep -E '^(indexed|BenchmarkSearch1M)'

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "n/a" || b == 0 || a == "") print "n/a"; else printf "%.2fx", a / b }'; }

echo
echo "== summary (medians of $RUNS runs) =="
echo "(server CPU: the tracker process's own CPU time per answered request)"
printf '%-58s %10s %9s %11s %11s %11s\n' "measurement" "req/s" "p99 (us)" "vs ot (wrk)" "vs ot (same)" "server CPU"
row() { printf '%-58s %10s %9s %11s %11s %11s\n' "$1" "$2" "$3" "$(ratio "$2" "$ot_rps")" "$(ratio "$2" "$otl_rps")" "${4:+$4 us}"; }
row "enxame: heartbeat, $CONNS persistent conns, 1 in flight" "$hb_rps" "$hb_p99" "$hb_cpu"
row "enxame: heartbeat, $CONNS persistent conns, $DEPTH pipelined" "$hbp_rps" "$hbp_p99" "$hbp_cpu"
row "enxame: search (1 result), $CONNS persistent conns" "$s_rps" "$s_p99" "$s_cpu"
row "enxame: heartbeat, new connection each, $CONNECT_CONNS workers" "$c_rps" "$c_p99" "$c_cpu"
row "opentracker: announce, wrk -t2 -c16, Connection: close" "$ot_rps" "$ot_p99" "$ot_cpu"
row "opentracker: announce, new connection each, trackerload" "$otl_rps" "$otl_p99" "$otl_cpu"
printf 'tracker peak RSS (VmHWM): %d MiB for %d indexed files = %d bytes per file\n' \
  $((hwm_kb / 1024)) "$indexed" $((hwm_kb * 1024 / indexed))
echo "search over 1M indexed files, in-process (median ns/op):"
for b in $(awk '/^BenchmarkSearch1M\// {sub(/-[0-9]+$/, "", $1); print $1}' "$work/gobench.txt" | sort -u); do
  ns=$(awk -v b="$b" '{n=$1; sub(/-[0-9]+$/, "", n)} n == b {print $3}' "$work/gobench.txt" | median)
  printf '  %-45s %12s ns\n' "${b#BenchmarkSearch1M/}" "$ns"
done
