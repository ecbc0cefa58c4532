#!/usr/bin/env bash
# Desktop app benchmark (docs/BENCHMARKS.md, "Desktop app"): the CPU time
# the app spends while it downloads a big file from 4 local seeders, with
# its Transfers tab and chunk grid on screen, against `enxame get` doing the
# same download, in the same invocation. Also the download rate of each.
#
# The app runs under Xvfb (software OpenGL: llvmpipe renders inside the app
# process, so its drawing cost is counted) and is driven with xdotool:
# Ctrl+F, type the name, Enter. Its CPU is read from /proc before Enter and
# when the file appears (looked for every 5 ms, without forking: a `sleep`
# process every 5 ms would itself take ~18 % of a core from the app's
# download, and from it only); `get` is timed whole (its start-up included).
# Every figure is the median of RUNS runs, get and app alternating.
#
# Usage: scripts/bench-app.sh          (RUNS=3 SIZE_MIB=1024 by default)
set -euo pipefail

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
SEEDERS=4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

for c in xvfb-run xdotool; do
	command -v $c >/dev/null || { echo "bench-app: $c is needed (make screenshots installs it)" >&2; exit 1; }
done
if [ -z "${ENXAME_IN_XVFB:-}" ]; then
	export ENXAME_IN_XVFB=1
	exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

TMP=$(mktemp -d /tmp/enxame-bench-app.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-app: $*" >&2; }
until_ok() {
	local what=$1; shift
	for _ in $(seq 1200); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	log "gave up waiting for $what"; exit 1
}
TICK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
now() { date +%s.%N; }
# nap: wait 5 ms inside bash (read times out on a FIFO nobody writes to).
mkfifo "$TMP/nap"
exec 9<>"$TMP/nap"
nap() { read -r -t 0.005 -u 9 || true; }

log "building"
BIN=$TMP/enxame
(cd "$ROOT" && go build -o "$BIN" .)

NAME=big-$SIZE_MIB.bin
mkdir -p "$TMP/seed0"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$TMP/seed0/$NAME"
touch -d '1 hour ago' "$TMP/seed0/$NAME"
TPORT=$((20000 + RANDOM % 20000))
TRACKER=127.0.0.1:$TPORT
"$BIN" tracker -listen "$TRACKER" 2>/dev/null &
PIDS+=($!)
until_ok "the tracker" bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPORT"
for i in $(seq $SEEDERS); do
	[ -d "$TMP/seed$i" ] || cp -al "$TMP/seed0" "$TMP/seed$i"
	XDG_CACHE_HOME=$TMP/cache$i "$BIN" share -tracker "$TRACKER" -listen 127.0.0.1:0 "$TMP/seed$i" 2>/dev/null &
	PIDS+=($!)
done
holders() {
	# TLS 1.3, as every Enxame connection (protocol version 2).
	python3 "$ROOT/scripts/tracker-ask.py" "127.0.0.1:$TPORT" "{\"op\":\"search\",\"q\":\"$NAME\"}" | grep -o '"addr"' | wc -l
}
log "waiting for $SEEDERS seeders to index $SIZE_MIB MiB and register"
until_ok "the seeders" bash -c "$(declare -f holders); ROOT=$ROOT TPORT=$TPORT NAME=$NAME; [ \$(holders) -ge $SEEDERS ]"

# The app, joined to the same tracker, on the Search tab.
export XDG_CONFIG_HOME=$TMP/config XDG_CACHE_HOME=$TMP/cache-app
mkdir -p "$TMP/app-dl"
GODEBUG=${APP_GODEBUG:-} "$BIN" -tracker "$TRACKER" -downloads "$TMP/app-dl" -listen 127.0.0.1:0 -discovery-interface lo -log-level ${APP_LOG:-warn} ${APP_PROFILE:+-cpuprofile "$APP_PROFILE"} 2>"$TMP/app.log" &
APP=$!
PIDS+=($APP)
WID=$(xdotool search --sync --onlyvisible --name '^Enxame$' | head -n 1)
xdotool windowmove "$WID" 0 0 2>/dev/null || true # at its default size

get_cpu=(); get_wall=(); app_cpu=(); app_wall=()
for r in $(seq "$RUNS"); do
	# enxame get
	mkdir -p "$TMP/get-dl"
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "$BIN" get -tracker "$TRACKER" -o "$TMP/get-dl" -log-level "${APP_LOG:-warn}" "$NAME" >/dev/null 2>>"$TMP/get.log"
	read -r wall user sys <"$TMP/time"
	get_wall+=("$wall"); get_cpu+=("$(echo "$user + $sys" | bc)")
	# Each download starts with no other file being written back to disk.
	rm -rf "$TMP/get-dl"; sync

	# the app: Ctrl+F, type the name, let the search land, Enter.
	rm -rf "$TMP/app-dl"/* "$TMP/app-dl"/.[!.]* 2>/dev/null || true
	xdotool windowfocus --sync "$WID"
	xdotool key ctrl+f key ctrl+a type --delay 10 "$NAME"
	sleep 1 # the search box is debounced (250 ms); the tracker answers in < 1 ms
	c0=$(cpu_s $APP); t0=$(now)
	xdotool key Return
	for _ in $(seq 12000); do [ -f "$TMP/app-dl/$NAME" ] && break; nap; done
	[ -f "$TMP/app-dl/$NAME" ] || { log "the app's download did not finish"; exit 1; }
	t1=$(now); c1=$(cpu_s $APP)
	app_wall+=("$(echo "$t1 - $t0" | bc)"); app_cpu+=("$(echo "$c1 - $c0" | bc)")
	log "run $r: get ${get_wall[-1]} s wall, ${get_cpu[-1]} s CPU; app ${app_wall[-1]} s wall, ${app_cpu[-1]} s CPU"
	# The app now shares its copy; remove it so the next runs fetch from
	# the seeders alone (and nothing is written back during them).
	rm -f "$TMP/app-dl/$NAME"; sync
done

[ -n "${KEEP_LOG:-}" ] && cp "$TMP/app.log" "$KEEP_LOG" && cp "$TMP/get.log" "$KEEP_LOG.get"
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
gw=$(median "${get_wall[@]}"); gc=$(median "${get_cpu[@]}")
aw=$(median "${app_wall[@]}"); ac=$(median "${app_cpu[@]}")
echo
echo "Download of $SIZE_MIB MiB from $SEEDERS local seeders, median of $RUNS runs ($(nproc) cores):"
printf '  %-12s %8s %10s %10s\n' "" "wall s" "MiB/s" "CPU s"
printf '  %-12s %8.2f %10.0f %10.2f\n' "enxame get" "$gw" "$(echo "$SIZE_MIB / $gw" | bc -l)" "$gc"
printf '  %-12s %8.2f %10.0f %10.2f\n' "desktop app" "$aw" "$(echo "$SIZE_MIB / $aw" | bc -l)" "$ac"
printf '  CPU ratio app/get: %.2f   rate ratio app/get: %.2f\n' "$(echo "$ac / $gc" | bc -l)" "$(echo "$gw / $aw" | bc -l)"
