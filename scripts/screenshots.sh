#!/usr/bin/env bash
# Takes the README's screenshots of the real app (make screenshots) and
# runs the usability script of docs/USABILITY.md on it: a classroom on
# loopback, under Xvfb, driven with xdotool like first-time users would.
#
#   Profa. Débora     the desktop app: hosts the network "Sala 12" and
#                     shares her lessons folder (tasks 1 and 3)
#   Sala 12 – PC 03   `enxame share` seeders holding the lecture recording
#   Sala 12 – PC 11
#   Sala 12 – PC 07   the desktop app: a student who joins the network
#                     heard nearby (task 2), finds and downloads the
#                     recording (task 4) and finds out who sent a chunk
#                     (task 5); then picks several results at once
#                     (search-pick) and downloads a whole folder
#                     (transfer-folder: one row, expanded, its grid);
#                     the recording is then marked as had (search-have)
#   Sala 12 – PC 05   `enxame share -max-upload`: the class project's
#                     folder, sent slowly enough to be caught half way
#
# Each computer gets its own name (a UTS namespace: the engine registers
# the host name), its own home folder and its own XDG_CONFIG_HOME. The
# script counts the clicks, keys and typed texts of each task and prints
# them at the end; docs/USABILITY.md quotes them. Writes screenshots/*.png.
# Everything runs in a temporary folder; every process started is stopped
# on exit.
#
# The seeders are slowed down while the download runs (paused and resumed
# a few times a second with SIGSTOP/SIGCONT) so that a partly filled chunk
# grid can be photographed; loopback would otherwise finish in a second.
#
# The window speaks SHOT_LANG: en (the default) into screenshots/, any
# other language code, such as pt_BR, into screenshots/<code>/ (make
# screenshots takes both).
#
# Usage: scripts/screenshots.sh         (BIG_MIB=256, SHOT_LANG=en by default)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHOT_LANG=${SHOT_LANG:-en}
OUT=$ROOT/screenshots
APP_LOCALE=en_US.UTF-8
if [ "$SHOT_LANG" != en ]; then OUT=$OUT/$SHOT_LANG APP_LOCALE=$SHOT_LANG.UTF-8; fi
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

# --- the classroom's folders -----------------------------------------------
H=$TMP/home
DEB=$H/debora/Aulas/Redes
mkdir -p "$DEB" "$H/pc03/Aulas/Redes" "$H/pc11/Aulas/Redes" "$H/aluno/Documentos" "$TMP/cfg-debora" "$TMP/cfg-aluno"
REC="Aula 05 - Redes de Computadores (gravação).mp4"
head -c $((BIG_MIB << 20)) /dev/urandom >"$H/pc03/Aulas/Redes/$REC"
cp -l "$H/pc03/Aulas/Redes/$REC" "$H/pc11/Aulas/Redes/$REC"
head -c $((4 << 20)) /dev/urandom >"$DEB/Aula 05 - slides.pdf"
head -c $((2 << 20)) /dev/urandom >"$DEB/Aula 06 - slides.pdf"
head -c $((300 << 10)) /dev/urandom >"$DEB/Lab 3 - exercícios.pdf"
head -c $((52 << 10)) /dev/urandom >"$DEB/notas-da-turma.ods"
head -c $((700 << 10)) /dev/urandom >"$H/aluno/Documentos/trabalho-final-v3.pdf"
touch -d '1 hour ago' "$DEB"/* "$H"/pc*/Aulas/Redes/* "$H"/aluno/Documentos/*

# named NAME CMD...: runs CMD as the computer NAME (its own UTS namespace).
named() {
	local n=$1; shift
	exec unshare --uts python3 -c 'import socket, os, sys; socket.sethostname(sys.argv[1].encode()); os.execvp(sys.argv[2], sys.argv[2:])' "$n" "$@"
}
# The X cookie is filed under the host name; a wildcard one serves every name.
xauth nlist "$DISPLAY" | sed -e 's/^..../ffff/' >"$TMP/xauth-wild"
xauth nmerge "$TMP/xauth-wild"

# --- counting what a person does ------------------------------------------
declare -A CLICKS KEYS TYPED
TASK=
task() { TASK=$1; : "${CLICKS[$TASK]:=0}" "${KEYS[$TASK]:=0}" "${TYPED[$TASK]:=0}"; }
WID=
click() { xdotool mousemove --sync "$1" "$2" click 1; CLICKS[$TASK]=$((CLICKS[$TASK] + 1)); }
typein() {
	xdotool windowfocus --sync "$WID"
	xdotool type --delay 15 "$1"
	TYPED[$TASK]=$((TYPED[$TASK] + 1))
}
key() { xdotool windowfocus --sync "$WID"; xdotool key "$@"; KEYS[$TASK]=$((KEYS[$TASK] + $#)); }

mkdir -p "$OUT"
shot() {
	# Let Fyne draw the last change (it repaints within a frame or two).
	sleep 0.6
	import -window root -crop 1100x720+0+0 +repage "$OUT/$1.png"
	log "wrote ${OUT#"$ROOT"/}/$1.png"
}
# app NAME CONFIG HOME ARGS...: starts the desktop app as computer NAME and
# sets WID to its window.
app() {
	local name=$1 cfg=$2 home=$3; shift 3
	HOME=$home XDG_CONFIG_HOME=$cfg XDG_CACHE_HOME=$cfg/cache named "$name" \
		env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG="$APP_LOCALE" "$BIN" -log-level info -discovery-interface lo "$@" 2>>"$cfg/app.log" &
	PIDS+=($!)
	APP=$!
	# The only visible window: the one before is unmapped or gone.
	until_ok "the window of $name" bash -c "xdotool search --onlyvisible --name '^Enxame\$' | grep -q ."
	WID=$(xdotool search --onlyvisible --name '^Enxame$' | head -n 1)
	xdotool windowmove --sync "$WID" 0 0 2>/dev/null || true
	xdotool windowfocus --sync "$WID"
}

# Positions in the 1100x720 window (see app/ui; the first-run form is a
# 780-wide column centred in the window).
TPORT=$((20000 + RANDOM % 20000))

# --- Profa. Débora hosts "Sala 12" and shares her lessons -------------------
app "Profa. Débora" "$TMP/cfg-debora" "$H/debora" -host-listen "127.0.0.1:$TPORT"
DEBORA=$APP
task share
click 570 218 && typein "$DEB"                                                 # Folder to share
task host
click 354 489 && typein "Sala 12"                                              # Name it
shot first-run
click 354 567                                                                  # Start hosting
until_ok "Débora's tracker" grep -q "Registered with tracker" "$TMP/cfg-debora/app.log"
task none                                                                      # (for the screenshot)
key ctrl+3                                                                     # Network tab
search() { python3 "$ROOT/scripts/tracker-ask.py" "127.0.0.1:$TPORT" "{\"op\":\"search\",\"q\":\"$1\"}"; }
until_ok "Débora's index" bash -c "$(declare -f search); ROOT=$ROOT TPORT=$TPORT; search slides | grep -q 'Aula 06'"

# The two classroom computers with the recording join her network.
XDG_CACHE_HOME=$TMP/cache03 HOME=$H/pc03 named "Sala 12 – PC 03" "$BIN" share -tracker "127.0.0.1:$TPORT" -listen 127.0.0.1:0 "$H/pc03/Aulas" 2>"$TMP/pc03.log" &
SEED1=$!
PIDS+=($SEED1)
XDG_CACHE_HOME=$TMP/cache11 HOME=$H/pc11 named "Sala 12 – PC 11" "$BIN" share -tracker "127.0.0.1:$TPORT" -listen 127.0.0.1:0 "$H/pc11/Aulas" 2>"$TMP/pc11.log" &
SEED2=$!
PIDS+=($SEED2)
two_holders() { search gravação | grep -q '"addr".*"addr"'; }
log "waiting for the seeders to index and register"
until_ok "the seeders" two_holders
sleep 2.5                                                                      # the Network tab lists every 2 s
shot network-hosting
xdotool windowunmap --sync "$WID"                                              # out of the way (no window manager)

# --- a student at Sala 12 – PC 07 -----------------------------------------
app "Sala 12 – PC 07" "$TMP/cfg-aluno" "$H/aluno" -log-level debug           # debug: "Network found"
STUDENT=$APP
until_ok "the network heard nearby" grep -q "Network found" "$TMP/cfg-aluno/app.log"
shot first-run-empty
task join
click 746 510                                                                  # Sala 12 · … under Networks found nearby
until_ok "the student's registration" grep -q "Registered with tracker" "$TMP/cfg-aluno/app.log"

task find
typein "mp4"                                                                   # the box has the focus
key Return
shot search

# Download the recording (the only result), slowed down enough to watch:
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
BIG="$H/aluno/Downloads/Enxame/$REC"
mkdir -p "$TMP/frames"
click 1025 185                                                                 # its Download button
n=0
while [ ! -f "$BIG" ] && [ $n -lt 600 ]; do
	import -window root -crop 1100x720+0+0 +repage "$TMP/frames/$n.png"
	n=$((n + 1))
done
kill "$THROTTLE"; wait "$THROTTLE" 2>/dev/null || true; THROTTLE=
kill -CONT "$SEED1" "$SEED2"
[ -f "$BIG" ] || { log "the download did not finish"; exit 1; }
log "the download took $n frames"
cp "$TMP/frames/$((n / 2)).png" "$OUT/transfer-progress.png"
log "wrote ${OUT#"$ROOT"/}/transfer-progress.png"

task who
click 300 290                                                                  # a chunk of the grid
xdotool mousemove --sync 1090 700                                              # the pointer away: the caption stays
shot transfer-done

task none
key ctrl+3                                                                     # Network tab
sleep 2.5
shot network
key ctrl+4                                                                     # My share tab
shot my-share

# --- several files, and a whole folder (issue 14) -----------------------------
# Sala 12 – PC 05 shares the class project's folder, its sending limited
# (-max-upload) so that the folder's download is photographed half way.
PROJ="$H/pc05/Aulas/Projeto final"
mkdir -p "$PROJ/dados" "$TMP/cfg-pc05"
for i in 1 2 3 4; do head -c $(((1 + i % 2) << 20)) /dev/urandom >"$PROJ/Parte $i - relatório.pdf"; done
head -c $((1 << 20)) /dev/urandom >"$PROJ/dados/medidas.csv"
head -c $((512 << 10)) /dev/urandom >"$PROJ/dados/fotos.zip"
touch -d '1 hour ago' "$PROJ"/* "$PROJ"/dados/*
XDG_CONFIG_HOME=$TMP/cfg-pc05 XDG_CACHE_HOME=$TMP/cache05 HOME=$H/pc05 named "Sala 12 – PC 05" "$BIN" share -tracker "127.0.0.1:$TPORT" -listen 127.0.0.1:0 -max-upload 400KiB/s "$H/pc05/Aulas" 2>"$TMP/pc05.log" &
PIDS+=($!)
project_listed() { local r; r=$(search Projeto) && for f in "Parte 1" "Parte 2" "Parte 3" "Parte 4" fotos medidas; do grep -q "$f" <<<"$r" || return 1; done; }
until_ok "PC 05's folder" bash -c "$(declare -f search project_listed); ROOT=$ROOT TPORT=$TPORT; project_listed"
key ctrl+1                                                                     # Search tab
key ctrl+f
key ctrl+a BackSpace
typein "Projeto"
key Return
sleep 1                                                                        # the results drawn
click 18 224                                                                   # the box of Parte 1 (a bar appears above the list)
click 18 344                                                                   # Parte 3
click 18 464                                                                   # medidas.csv
xdotool mousemove --sync 1090 600                                              # the pointer away
shot search-pick
click 215 180                                                                  # Clear selection
click 1018 140                                                                 # Download folder: Transfers shows it, selected
sleep 1.5                                                                      # (the folder's files are asked of the tracker first)
click 40 62                                                                    # Move up: the folder before the recording
click 22 101                                                                   # ▸ on the folder's row: its files under it
sleep 6                                                                        # about half way
xdotool mousemove --sync 1090 600
shot transfer-folder
done_files() { test "$(find "$H/aluno/Downloads/Enxame/Projeto final" -type f ! -name '*.part' | wc -l)" -eq 6; }
until_ok "the folder's download" done_files
# ... and the app no longer remembers it as unfinished (else the next start
# would fetch its last file again).
none_pending() { ! grep -qs 'Projeto final' "$TMP"/cfg-aluno/fyne/*/preferences.json; }
until_ok "the folder's download remembered as done" none_pending

# The recording, downloaded before, is marked as had among the results
# (search-have).
key ctrl+1                                                                     # Search tab
key ctrl+f
key ctrl+a BackSpace
typein "Aula"
key Return
sleep 1                                                                        # the results drawn
xdotool mousemove --sync 1090 600                                              # the pointer away
shot search-have

# Leave cleanly: SIGTERM must exit 0.
kill -TERM "$STUDENT"
if wait "$STUDENT"; then log "app exited 0 on SIGTERM"; else log "app exited $? on SIGTERM"; exit 1; fi
PIDS=("${PIDS[@]/$STUDENT}")

# The next start goes straight back in (remembered settings); this time
# with a light desktop theme.
regs=$(grep -c 'Registered with tracker' "$TMP/cfg-aluno/app.log")
FYNE_THEME=light app "Sala 12 – PC 07" "$TMP/cfg-aluno" "$H/aluno" -log-level debug           # debug: "Network found"
STUDENT=$APP
until_ok "the second start to register" test "$(grep -c 'Registered with tracker' "$TMP/cfg-aluno/app.log")" -gt "$regs"
key ctrl+f
typein "slides"
shot search-light
kill -TERM "$STUDENT"
wait "$STUDENT" || { log "second start exited $?"; exit 1; }
PIDS=("${PIDS[@]/$STUDENT}")

# --- what each task took ------------------------------------------------------
{
	echo "task   clicks keys typed"
	for t in host join share find who; do
		printf '%-6s %6d %4d %5d\n' "$t" "${CLICKS[$t]}" "${KEYS[$t]}" "${TYPED[$t]}"
	done
} | tee "$TMP/usability.txt" >&2
# docs/USABILITY.md quotes the English run's.
[ "$SHOT_LANG" != en ] || cp "$TMP/usability.txt" "$OUT/usability-counts.txt"
