#!/usr/bin/env bash
# Takes the README's screenshots of the real app (make screenshots):
# builds enxame, starts a headless tracker and two `enxame share` seeders on
# loopback, runs the desktop app under Xvfb with a fresh configuration and
# drives it with xdotool like a new user would: first-run screen, join,
# search, click Download, watch the chunk grid fill, then the Network and
# My share tabs. Writes screenshots/*.png. Everything runs in a temporary
# folder; every process started is stopped on exit.
#
# The seeders are slowed down while the download runs (paused and resumed
# a few times a second with SIGSTOP/SIGCONT) so that a partly filled chunk
# grid can be photographed; loopback would otherwise finish in a second.
#
# Usage: scripts/screenshots.sh         (BIG_MIB=256 by default)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/screenshots
BIG_MIB=${BIG_MIB:-256}
SCREEN_W=1280
SCREEN_H=800
export PATH=/usr/local/go/bin:$PATH

# --- system packages ------------------------------------------------------
missing=()
command -v xvfb-run >/dev/null || missing+=(xvfb)
command -v xdotool >/dev/null || missing+=(xdotool)
command -v import >/dev/null || missing+=(imagemagick)
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || missing+=(libgl1-mesa-dri)
if ((${#missing[@]})); then
	echo "screenshots: installing ${missing[*]}" >&2
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Re-run ourselves inside a virtual X server (no window manager).
if [ -z "${ENXAME_IN_XVFB:-}" ]; then
	export ENXAME_IN_XVFB=1
	exec xvfb-run -a -s "-screen 0 ${SCREEN_W}x${SCREEN_H}x24" "$0" "$@"
fi

TMP=$(mktemp -d /tmp/enxame-shots.XXXXXX)
PIDS=()
THROTTLE=
cleanup() {
	[ -n "$THROTTLE" ] && kill "$THROTTLE" 2>/dev/null
	for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "screenshots: $*" >&2; }

# until CMD...: retries CMD every 0.1 s for at most 60 s.
until_ok() {
	local what=$1; shift
	for _ in $(seq 600); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "gave up waiting for $what"
	exit 1
}

# --- build ----------------------------------------------------------------
log "building"
BIN=$TMP/enxame
(cd "$ROOT" && go build -o "$BIN" .)

# --- a network on loopback ------------------------------------------------
mkdir -p "$TMP/seed1/course" "$TMP/seed1/photos" "$TMP/downloads" "$TMP/myshare" "$TMP/config" "$TMP/cache1" "$TMP/cache2"
head -c $((BIG_MIB << 20)) /dev/urandom >"$TMP/seed1/course/Lecture 05 - Computer Networks (recording).mp4"
head -c $((4 << 20)) /dev/urandom >"$TMP/seed1/course/Lecture 05 - slides.pdf"
head -c $((300 << 10)) /dev/urandom >"$TMP/seed1/course/Lab 3 - exercises.pdf"
head -c $((80 << 20)) /dev/urandom >"$TMP/seed1/photos/field trip 2026.zip"
head -c $((52 << 10)) /dev/urandom >"$TMP/seed1/budget-2026.ods"
cp -al "$TMP/seed1" "$TMP/seed2"
head -c $((2 << 20)) /dev/urandom >"$TMP/seed2/course/Lecture 06 - slides.pdf"
touch -d '1 hour ago' "$TMP"/seed1/*/* "$TMP"/seed1/* "$TMP"/seed2/*/* "$TMP"/seed2/*
head -c $((700 << 10)) /dev/urandom >"$TMP/myshare/thesis-draft-v3.pdf"
head -c $((12 << 20)) /dev/urandom >"$TMP/myshare/interview-audio.m4a"
touch -d '1 hour ago' "$TMP"/myshare/*

TPORT=$((20000 + RANDOM % 20000))
TRACKER=127.0.0.1:$TPORT
"$BIN" tracker -listen "$TRACKER" 2>"$TMP/tracker.log" &
PIDS+=($!)
until_ok "the tracker" bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPORT"
XDG_CACHE_HOME=$TMP/cache1 "$BIN" share -tracker "$TRACKER" -listen 127.0.0.1:0 "$TMP/seed1" 2>"$TMP/seed1.log" &
SEED1=$!
PIDS+=($SEED1)
XDG_CACHE_HOME=$TMP/cache2 "$BIN" share -tracker "$TRACKER" -listen 127.0.0.1:0 "$TMP/seed2" 2>"$TMP/seed2.log" &
SEED2=$!
PIDS+=($SEED2)

# The tracker knows both seeders' files when the big one has 2 holders.
search() {
	# TLS 1.3, as every Enxame connection (protocol version 2).
	python3 "$ROOT/scripts/tracker-ask.py" "127.0.0.1:$TPORT" "{\"op\":\"search\",\"q\":\"$1\"}"
}
two_holders() { search recording | grep -q '"addr".*"addr"'; }
log "waiting for the seeders to index and register"
until_ok "the seeders" two_holders
until_ok "the sixth file" bash -c "$(declare -f search); ROOT=$ROOT TPORT=$TPORT; search 'Lecture 06' | grep -q 'Lecture 06'"

# --- the app ----------------------------------------------------------------
export XDG_CONFIG_HOME=$TMP/config XDG_CACHE_HOME=$TMP/cache-app
# Hosting (later) uses the usual port unless something here holds it.
HOST_LISTEN=:7077
if (exec 3<>/dev/tcp/127.0.0.1/7077) 2>/dev/null; then HOST_LISTEN=:$((40000 + RANDOM % 20000)); fi
"$BIN" -log-level info -host-listen "$HOST_LISTEN" -discovery-interface lo 2>"$TMP/app.log" &
APP=$!
PIDS+=($APP)
WID=$(xdotool search --sync --onlyvisible --name '^Enxame$' | head -n 1)
xdotool windowmove "$WID" 0 0 windowsize --sync "$WID" $SCREEN_W $SCREEN_H 2>/dev/null || true
xdotool windowfocus --sync "$WID"

mkdir -p "$OUT"
shot() {
	# Let Fyne draw the last change (it repaints within a frame or two).
	sleep 0.6
	import -window root "$OUT/$1.png"
	log "wrote screenshots/$1.png"
}
click() { xdotool mousemove --sync "$1" "$2" click 1; }
typein() {
	xdotool windowfocus --sync "$WID"
	xdotool type --delay 15 "$1"
}
key() { xdotool windowfocus --sync "$WID"; xdotool key "$@"; }

# Positions in the 1280x800 window (see app/ui; the first-run form is a
# 780-wide column centred in the window).
shot first-run-empty
click 640 218 && key ctrl+a && typein "$TMP/myshare"                    # Folder to share
click 640 281 && key ctrl+a && typein "$TMP/downloads"                  # Save downloads in
click 835 559 && key ctrl+a && typein "$TRACKER"                         # tracker address
shot first-run
key Return                                                               # Join

# Main window: the opening search lists everything; type to narrow it.
until_ok "the main window" grep -q "Registered with tracker" "$TMP/app.log"
typein "lecture"
shot search

# Download the recording (the first result), slowed down enough to watch:
# photograph the window all along and keep the frame from the middle of the
# download, when the grid is about half full.
(
	while :; do
		kill -STOP "$SEED1" "$SEED2" 2>/dev/null || exit 0
		sleep 0.2
		kill -CONT "$SEED1" "$SEED2" 2>/dev/null || exit 0
		sleep 0.01
	done
) &
THROTTLE=$!
BIG="$TMP/downloads/Lecture 05 - Computer Networks (recording).mp4"
mkdir -p "$TMP/frames"
click 1190 184                                                           # its Download button
n=0
while [ ! -f "$BIG" ] && [ $n -lt 600 ]; do
	import -window root "$TMP/frames/$n.png"
	n=$((n + 1))
done
kill "$THROTTLE"; wait "$THROTTLE" 2>/dev/null || true; THROTTLE=
kill -CONT "$SEED1" "$SEED2"
[ -f "$BIG" ] || { log "the download did not finish"; exit 1; }
log "the download took $n frames"
cp "$TMP/frames/$((n / 2)).png" "$OUT/transfer-progress.png"
log "wrote screenshots/transfer-progress.png"
xdotool mousemove --sync 420 340                                         # point at a chunk
shot transfer-done

click 255 21                                                             # Network tab
shot network
click 25 116                                                              # Host the network
until_ok "hosting" grep -q "Tracker listening\|Peer joined" "$TMP/app.log"
shot network-hosting
click 362 21                                                             # My share tab
shot my-share

# Stop hosting again: back to the seeders' network.
click 255 21
regs=$(grep -c 'Registered with tracker' "$TMP/app.log")
click 25 116
until_ok "rejoining the seeders' tracker" test "$(grep -c 'Registered with tracker' "$TMP/app.log")" -gt "$regs"

# Leave cleanly: SIGTERM must exit 0.
kill -TERM "$APP"
if wait "$APP"; then log "app exited 0 on SIGTERM"; else log "app exited $? on SIGTERM"; exit 1; fi
PIDS=("${PIDS[@]/$APP}")

# The next start goes straight back in (remembered settings); this time
# with a light desktop theme.
regs=$(grep -c 'Registered with tracker' "$TMP/app.log")
FYNE_THEME=light "$BIN" -log-level info -discovery-interface lo 2>>"$TMP/app.log" &
APP=$!
PIDS+=($APP)
WID=$(xdotool search --sync --onlyvisible --name '^Enxame$' | head -n 1)
xdotool windowmove "$WID" 0 0 windowsize --sync "$WID" $SCREEN_W $SCREEN_H 2>/dev/null || true
until_ok "the second start to register" test "$(grep -c 'Registered with tracker' "$TMP/app.log")" -gt "$regs"
key ctrl+f
typein "slides"
shot search-light
kill -TERM "$APP"
wait "$APP" || { log "second start exited $?"; exit 1; }
PIDS=("${PIDS[@]/$APP}")
