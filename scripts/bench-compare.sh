#!/usr/bin/env bash
# Same-run regression check of `enxame get` between two revisions
# (docs/BENCHMARKS.md, "Same-run comparisons"): builds the headless binary
# of BASE (default HEAD~1) and of the working tree, shares a SIZE_MIB
# random file on loopback from 1 and from 4 `enxame share` seeders, and
# fetches it RUNS times with each binary, alternating, so that both see the
# same machine load. Prints every run and, per seeder count, the medians of
# wall and CPU seconds and the ratios new/base. Each binary fetches from a
# tracker and seeders of its own revision (so the two may speak different
# protocol versions). Loopback only; stops what it starts and removes its
# temporary folder.
#
# Usage: scripts/bench-compare.sh                 (BASE=HEAD~1 RUNS=5 SIZE_MIB=512)
#        BASE=d714e04 RUNS=7 scripts/bench-compare.sh
set -euo pipefail

BASE=${BASE:-HEAD~1}
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-512}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

log() { echo "bench-compare: $*" >&2; }
[ -x /usr/bin/time ] || { log "/usr/bin/time is needed (apt-get install -y time)"; exit 1; }
command -v python3 >/dev/null || { log "python3 is needed"; exit 1; }

TMP=$(mktemp -d /tmp/enxame-bench-compare.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	git -C "$ROOT" worktree remove --force "$TMP/base" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rev=$(git -C "$ROOT" rev-parse --short "$BASE")
log "building base $BASE ($rev) and the working tree"
git -C "$ROOT" worktree add --detach "$TMP/base" "$rev" >/dev/null 2>&1
(cd "$TMP/base" && CGO_ENABLED=0 go build -tags nogui -o "$TMP/enxame-base" .)
(cd "$ROOT" && CGO_ENABLED=0 go build -tags nogui -o "$TMP/enxame-new" .)
NEW=$TMP/enxame-new OLD=$TMP/enxame-base

head -c $((SIZE_MIB << 20)) /dev/urandom >"$TMP/file.bin"
for i in 1 2 3 4; do
	mkdir -p "$TMP/s$i"
	ln "$TMP/file.bin" "$TMP/s$i/file.bin"
	touch -d '1 hour ago' "$TMP/s$i/file.bin"
done
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TP_OLD=$(freeport)
TP_NEW=$(freeport)
"$OLD" tracker -listen "127.0.0.1:$TP_OLD" -log-level warn 2>"$TMP/tracker-base.log" &
PIDS+=($!)
"$NEW" tracker -listen "127.0.0.1:$TP_NEW" -log-level warn 2>"$TMP/tracker-new.log" &
PIDS+=($!)

# holders BIN PORT N: waits (at most 60 s) until the tracker lists N
# holders of file.bin, asking it through that revision's interactive peer,
# which speaks that revision's protocol.
mkdir -p "$TMP/empty"
holders() {
	local i got
	for i in $(seq 1 120); do
		got=$(printf 'search file.bin\n' | "$1" peer -tracker "127.0.0.1:$2" -share "$TMP/empty" -listen 127.0.0.1:0 -no-cache -log-level error 2>/dev/null |
			awk '$NF == "file.bin" { sub(/\+/, "", $4); print $4 }')
		[ "${got:-0}" -ge "$3" ] 2>/dev/null && return 0
		sleep 0.5
	done
	log "timed out waiting for $3 holders of file.bin at 127.0.0.1:$2"
	exit 1
}

# one BIN PORT LABEL: one get, appending "LABEL wall cpu" to results.
one() {
	rm -rf "$TMP/out" && mkdir "$TMP/out"
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "$1" get -tracker "127.0.0.1:$2" -o "$TMP/out" -log-level error file.bin \
		>/dev/null 2>"$TMP/get.err" || { cat "$TMP/get.err" >&2; exit 1; }
	cmp -s "$TMP/out/file.bin" "$TMP/file.bin" || { log "$3: the file differs"; exit 1; }
	read -r wall user sys <"$TMP/time"
	echo "$3 $wall $(python3 -c "print(round($user+$sys,2))")" | tee -a "$TMP/results"
}

for n in 1 4; do
	seeders=()
	for i in $(seq 1 "$n"); do
		"$OLD" share -tracker "127.0.0.1:$TP_OLD" -listen 127.0.0.1:0 -no-cache -log-level warn "$TMP/s$i" 2>"$TMP/share-base$n-$i.log" &
		seeders+=($!)
		"$NEW" share -tracker "127.0.0.1:$TP_NEW" -listen 127.0.0.1:0 -no-cache -log-level warn "$TMP/s$i" 2>"$TMP/share-new$n-$i.log" &
		seeders+=($!)
	done
	PIDS+=("${seeders[@]}")
	holders "$OLD" "$TP_OLD" "$n"
	holders "$NEW" "$TP_NEW" "$n"
	for r in $(seq 1 "$RUNS"); do
		one "$OLD" "$TP_OLD" "base-$n"
		one "$NEW" "$TP_NEW" "new-$n"
	done
	kill "${seeders[@]}" 2>/dev/null || true
	wait "${seeders[@]}" 2>/dev/null || true
done

python3 - "$TMP/results" "$rev" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"\nmedians of the runs above (base {sys.argv[2]}):")
print(f"{'seeders':>8} {'base wall':>10} {'new wall':>9} {'ratio':>6} {'base CPU':>9} {'new CPU':>8} {'ratio':>6}")
for n in ("1", "4"):
    b = [r for r in rows if r[0] == "base-" + n]
    w = [r for r in rows if r[0] == "new-" + n]
    bw, nw = statistics.median(float(r[1]) for r in b), statistics.median(float(r[1]) for r in w)
    bc, nc = statistics.median(float(r[2]) for r in b), statistics.median(float(r[2]) for r in w)
    print(f"{n:>8} {bw:>9.2f}s {nw:>8.2f}s {nw/bw:>6.2f} {bc:>8.2f}s {nc:>7.2f}s {nc/bc:>6.2f}")
PY
