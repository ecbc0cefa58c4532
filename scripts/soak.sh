#!/usr/bin/env bash
# Soak (issue 13; docs/BENCHMARKS.md, "Soak"): a tracker and 8 peers, each
# on its own host (a network namespace on one bridge), for DURATION seconds
# of churn, sampling every process's RSS, goroutines, threads and open
# files every SAMPLE seconds; it prints the figures over time and a verdict
# per long-lived process: flat or growing.
#
# Hosts: t (10.78.0.1) runs `enxame tracker`; p0…p7 (10.78.0.10+i) each run
# `enxame peer` sharing a folder of its own, its commands read from a FIFO.
# p0…p3 live the whole run (they and the tracker are judged); p4…p7 churn.
# Every STEP seconds (bounded: DURATION/STEP steps):
#   * a churning peer leaves (`exit`, or SIGTERM every other time) and
#     comes back;
#   * a file is added to one peer's share and the oldest added one removed
#     from another's (the watchers announce both);
#   * a long-lived peer is told to `download` a file another peer shares
#     (into its downloads folder, emptied every step);
#   * an `enxame get` from a churning host is interrupted (SIGINT) after
#     a second, and every 4th step one is cancelled mid-way with SIGKILL.
#
# Goroutines are counted without changing the program: every process runs
# with GODEBUG=schedtrace=SAMPLE*1000,scheddetail=1, so the Go runtime
# itself writes a scheduler dump to stderr every SAMPLE seconds, one line
# per goroutine; the sampler counts the live ones (status other than 6,
# dead) in the last complete dump. RSS is VmRSS, threads Threads
# (/proc/PID/status), open files the entries of /proc/PID/fd.
#
# Verdict, per process judged: the median of the second quarter of the
# samples (the first is warm-up) against the median of the last quarter.
# Growing: RSS up by more than 25 % and 4 MiB, goroutines by more than 25 %
# and 10, open files by more than 25 % and 8. Exit 1 if anything grows.
#
# Needs root, iproute2 and Go; without them it says what is missing and
# exits 0 (skip). Every process it starts and every namespace it creates
# is removed on exit.
#
# Usage: scripts/soak.sh                      (DURATION=600 STEP=5 SAMPLE=10)
#        DURATION=180 scripts/soak.sh
set -euo pipefail

DURATION=${DURATION:-600}
STEP=${STEP:-5}
SAMPLE=${SAMPLE:-10}
FILE_KIB=${FILE_KIB:-4096}
PEERS=8
LONG=4 # p0…p(LONG-1) live the whole run
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

log() { echo "soak: $*" >&2; }
skip() { log "skipped: $*"; exit 0; }
for v in DURATION STEP SAMPLE FILE_KIB; do
	[[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} >= 1)) || { log "$v must be a positive number of seconds (KiB)"; exit 2; }
done
((DURATION >= 4 * SAMPLE)) || { log "DURATION must cover at least 4 samples"; exit 2; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "ip is needed (apt-get install -y iproute2)"
command -v go >/dev/null || skip "go is needed (https://go.dev/dl)"

# until_ok and nscleanup.
. "$ROOT/scripts/benchlib.sh"

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n') # names unique per run
TMP=$(mktemp -d /tmp/enxame-soak.XXXXXX)
PIDS=()
NAMESPACES=()
trap nscleanup EXIT
trap 'exit 130' INT TERM


# ---- the LAN ----
HUB=enxsk-$ID-hub
nsof() { echo "enxsk-$ID-$1"; }
ifof() { echo "sk$ID$1"; }
addns() {
	ip netns add "$1" 2>/dev/null || skip "cannot create a network namespace here"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}
addhost() { # NAME ADDRESS
	local ns if port
	ns=$(nsof "$1") if=$(ifof "$1") port=q$1
	addns "$ns"
	ip link add "$if" netns "$ns" type veth peer name "$port" netns "$HUB"
	ip -n "$HUB" link set "$port" master br0 up
	ip -n "$ns" addr add "$2/24" dev "$if"
	ip -n "$ns" link set "$if" up
}
log "building the LAN: a tracker host and $PEERS peer hosts"
addns "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
addhost t 10.78.0.1
for ((i = 0; i < PEERS; i++)); do addhost "p$i" "10.78.0.$((10 + i))"; done

log "building enxame (CGO_ENABLED=0 -tags nogui)"
(cd "$ROOT" && CGO_ENABLED=0 go build -tags nogui -o "$TMP/enxame" .)
ENXAME=$TMP/enxame
TRACKER=10.78.0.1:7077
export GODEBUG=schedtrace=$((SAMPLE * 1000)),scheddetail=1

# ---- processes ----
declare -A PID      # host -> pid of its current enxame process
ip netns exec "$(nsof t)" "$ENXAME" tracker -listen "$TRACKER" -log-level warn 2>"$TMP/t.err" &
PID[t]=$!
PIDS+=($!)
until_ok 30 ip netns exec "$(nsof p0)" bash -c "exec 3<>/dev/tcp/${TRACKER%:*}/${TRACKER#*:}"

NEXTFILE=0
addfile() { # HOST: a new file of FILE_KIB random KiB in HOST's share
	head -c $((FILE_KIB << 10)) /dev/urandom >"$TMP/share/$1/f$NEXTFILE.bin"
	NEXTFILE=$((NEXTFILE + 1))
}
startpeer() { # HOST
	local h=$1
	ip netns exec "$(nsof "$h")" "$ENXAME" peer -tracker "$TRACKER" -share "$TMP/share/$h" \
		-downloads "$TMP/dl/$h" -no-cache -log-level warn <>"$TMP/in/$h" >>"$TMP/$h.out" 2>>"$TMP/$h.err" &
	PID[$h]=$!
	PIDS+=($!)
}
mkdir -p "$TMP/in"
for ((i = 0; i < PEERS; i++)); do
	h=p$i
	mkdir -p "$TMP/share/$h" "$TMP/dl/$h"
	addfile "$h"
	addfile "$h"
	mkfifo "$TMP/in/$h" # opened read-write by the peer: it never reads end of input
	startpeer "$h"
done

# ---- sampling ----
# goroutines FILE: live goroutines in the last complete scheduler dump.
goroutines() {
	awk '/^SCHED/ { if (n) last = live; n = 1; live = 0; next }
	     /^  G[0-9]+: status=/ { st = $2; sub(/^status=/, "", st); if (st + 0 != 6) live++ }
	     END { print (last == "" ? "-" : last) }' "$1"
}
status() { awk -v k="$2:" '$1 == k {print $2; exit}' "/proc/$1/status" 2>/dev/null || echo -; }
SAMPLES=$TMP/samples.tsv
printf 't\thost\tpid\trss_kib\tgoroutines\tthreads\tfds\n' >"$SAMPLES"
sample() {
	local now=$1 h pid fds
	for h in t $(seq -f 'p%g' 0 $((PEERS - 1))); do
		pid=${PID[$h]}
		[ -d "/proc/$pid" ] || continue
		fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$h" "$pid" "$(status "$pid" VmRSS)" \
			"$(goroutines "$TMP/$h.err")" "$(status "$pid" Threads)" "$fds" >>"$SAMPLES"
	done
}

# ---- churn ----
cmd() { timeout 2 bash -c 'echo "$1" >"$2"' _ "$2" "$TMP/in/$1" || true; } # PEER LINE
files() { ls "$TMP/share/$1" 2>/dev/null | grep '^f[0-9]*\.bin$' || true; }
STEPS=$((DURATION / STEP))
RESTARTS=0 ADDED=0 REMOVED=0 ASKED=0 GETS=0
START=$(date +%s)
NEXTSAMPLE=$START
log "soaking for ${DURATION}s: $STEPS steps of ${STEP}s, a sample every ${SAMPLE}s"
for ((s = 0; s < STEPS; s++)); do
	now=$(date +%s)
	if ((now >= NEXTSAMPLE)); then
		sample $((now - START))
		NEXTSAMPLE=$((NEXTSAMPLE + SAMPLE))
	fi
	# A churning peer leaves and comes back.
	c=p$((LONG + s % (PEERS - LONG)))
	if ((s % 2 == 0)); then cmd "$c" exit; else kill -TERM "${PID[$c]}" 2>/dev/null || true; fi
	for ((w = 0; w < 100; w++)); do
		kill -0 "${PID[$c]}" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "${PID[$c]}" 2>/dev/null || true
	wait "${PID[$c]}" 2>/dev/null || true
	startpeer "$c"
	RESTARTS=$((RESTARTS + 1))
	# Files added to one share, removed from another.
	addfile "p$((s % PEERS))"
	ADDED=$((ADDED + 1))
	old=$(files "p$(((s + 3) % PEERS))" | sort -V | head -1)
	if [ -n "$old" ] && [ "$(files "p$(((s + 3) % PEERS))" | wc -l)" -gt 2 ]; then
		rm -f "$TMP/share/p$(((s + 3) % PEERS))/$old"
		REMOVED=$((REMOVED + 1))
	fi
	# A long-lived peer downloads a file another peer shares.
	d=p$((s % LONG))
	src=p$(((s + 1) % PEERS))
	want=$(files "$src" | sort -V | tail -1)
	if [ -n "$want" ]; then
		cmd "$d" "download $want"
		ASKED=$((ASKED + 1))
	fi
	find "$TMP/dl" -maxdepth 2 -type f -name 'f*.bin' -mmin +0.1 -delete 2>/dev/null || true
	# A get from a churning host, interrupted (or killed) mid-way.
	g=p$((LONG + (s + 1) % (PEERS - LONG)))
	mkdir -p "$TMP/get/$s"
	sig=INT
	((s % 4 == 3)) && sig=KILL
	GETS=$((GETS + 1))
	timeout -s "$sig" 1 ip netns exec "$(nsof "$g")" "$ENXAME" get -tracker "$TRACKER" -o "$TMP/get/$s" \
		-log-level error "$want" >/dev/null 2>>"$TMP/get.err" || true
	rm -rf "$TMP/get/$s"
	# The rest of the step.
	left=$((START + (s + 1) * STEP - $(date +%s)))
	((left > 0)) && sleep "$left"
done
sample $(($(date +%s) - START))

for h in t $(seq -f 'p%g' 0 $((LONG - 1))); do
	kill -0 "${PID[$h]}" 2>/dev/null || { log "$h died during the soak: $(tail -3 "$TMP/$h.err" | grep -v '^ \|^SCHED')"; exit 1; }
done

# ---- report ----
DONE=$(cat "$TMP"/p*.out 2>/dev/null | grep -c '^downloaded\|saved\|done' || true)
log "churn: $RESTARTS peer restarts, $ADDED files added, $REMOVED removed, $ASKED peer downloads asked ($DONE downloaded), $GETS gets interrupted or killed"
python3 - "$SAMPLES" "$LONG" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
long = int(sys.argv[2])
judged = ["t"] + ["p%d" % i for i in range(long)]
hosts = judged + sorted({r["host"] for r in rows} - set(judged))
times = sorted({int(r["t"]) for r in rows})
by = {(int(r["t"]), r["host"]): r for r in rows}
def num(v):
    try: return float(v)
    except ValueError: return None
print("RSS MiB / goroutines / open files, per process over time (p4-p7 restart every few steps)")
print("%6s  " % "t(s)" + "  ".join("%-14s" % h for h in hosts))
stride = max(1, len(times) // 20)
for t in times[::stride] + ([times[-1]] if (len(times) - 1) % stride else []):
    cells = []
    for h in hosts:
        r = by.get((t, h))
        cells.append("%-14s" % ("%.1f/%s/%s" % (num(r["rss_kib"]) / 1024, r["goroutines"], r["fds"]) if r and num(r["rss_kib"]) else "-"))
    print("%6d  " % t + "  ".join(cells))
print()
grow = False
limits = {"rss_kib": (1.25, 4096), "goroutines": (1.25, 10), "fds": (1.25, 8)}
print("%-4s %-22s %-22s %-22s %s" % ("proc", "RSS MiB (q2 -> q4)", "goroutines", "open files", "verdict"))
for h in judged:
    series = [by[(t, h)] for t in times if (t, h) in by]
    if len(series) < 4:
        print("%-4s too few samples" % h); grow = True; continue
    q = len(series) // 4
    out, verdict = [], "flat"
    for k, (ratio, floor) in limits.items():
        a = [num(r[k]) for r in series[q:2 * q] if num(r[k]) is not None]
        b = [num(r[k]) for r in series[-q:] if num(r[k]) is not None]
        if not a or not b:
            out.append("%-22s" % "-"); continue
        ma, mb = statistics.median(a), statistics.median(b)
        scale = 1024 if k == "rss_kib" else 1
        out.append("%-22s" % ("%.1f -> %.1f" % (ma / scale, mb / scale)))
        if mb > ma * ratio and mb - ma > floor:
            verdict = "GROWING (%s)" % k
            grow = True
    print("%-4s %s %s" % (h, " ".join(out), verdict))
print()
print("verdict:", "GROWING" if grow else "flat")
sys.exit(1 if grow else 0)
EOF
