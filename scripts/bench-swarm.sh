#!/usr/bin/env bash
# Swarm benchmark (docs/BENCHMARKS.md, "Swarm"; issue 11, the classroom):
#   one seeder and N downloaders that all start together, each on its own
#   host (a network namespace) with its link capped at RATE each way; T(N) =
#   launch until the last downloader has exited with the verified file.
#   enxame (`enxame tracker`, `enxame share`, N × `enxame get`) and, in the
#   same run, aria2c BitTorrent through opentracker (256 KiB pieces; DHT, LPD
#   and PEX off), run after run, for every N in NS.
#
# The LAN: a bridge in a hub namespace, and one namespace per host joined to
# it by a veth pair: host t (10.77.0.1) runs the tracker, host s (10.77.0.2)
# the seeder, hosts d0, d1, … (10.77.0.10+i) the downloaders. Addresses
# exist only inside those namespaces; nothing touches the machine's own
# interfaces. Each veth end gets a tc tbf qdisc at RATE: egress on the
# host's end caps what the host sends, egress on the bridge's end caps what
# it receives. Shaping both ends of the pair gives every host a symmetric
# link with a real queue (TCP sees delay, as on a real link, rather than the
# bare drops of ingress policing) and needs no ifb module.
#
# Per run it records T(N) and every downloader's time, the bytes the seeder
# sent (tx_bytes of its veth: Ethernet frames, so headers and tracker
# traffic included, a few per cent at most), the bytes the downloaders sent, the
# downloaders' CPU seconds (/usr/bin/time, summed) and the seeder's
# (/proc/PID/stat, before and after). Reports medians of RUNS runs.
#
# Needs root, iproute2 (ip, tc), aria2, mktorrent, opentracker, time,
# python3 and Go; without them it says what is missing and exits 0 (skip).
# Every process it starts and every namespace it creates is removed on exit.
#
# Usage: scripts/bench-swarm.sh          (NS="1 2 4 8 16" RUNS=3 SIZE_MIB=100 RATE=100mbit)
#        NS="1 4 8" RUNS=1 scripts/bench-swarm.sh
#        GET_ARGS=-serve=false scripts/bench-swarm.sh   (enxame get serving nothing)
set -euo pipefail

NS=${NS:-1 2 4 8 16}
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-100}
RATE=${RATE:-100mbit}
RUN_TIMEOUT=${RUN_TIMEOUT:-600} # seconds one swarm run may take before it counts as failed
GET_ARGS=${GET_ARGS:-}         # more flags for every enxame get, e.g. -serve=false
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH

log() { echo "bench-swarm: $*" >&2; }
skip() { log "skipped: $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and tc)"
need() { command -v "$1" >/dev/null || skip "$1 is needed ($2)"; }
need ip "apt-get install -y iproute2"
need tc "apt-get install -y iproute2"
need python3 "apt-get install -y python3"
need aria2c "apt-get install -y aria2"
need mktorrent "apt-get install -y mktorrent"
need opentracker "apt-get install -y opentracker"
need go "https://go.dev/dl"
[ -x /usr/bin/time ] || skip "/usr/bin/time is needed (apt-get install -y time)"
MAXN=0
for n in $NS; do
	[[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 64)) || { log "NS: $n is not a number from 1 to 64"; exit 2; }
	((n > MAXN)) && MAXN=$n
done

# H (the Python helpers), until_ok and nscleanup.
. "$ROOT/scripts/benchlib.sh"

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n') # names unique per run
TMP=$(mktemp -d /tmp/enxame-bench-swarm.XXXXXX)
PIDS=()
NAMESPACES=()
trap nscleanup EXIT
trap 'exit 130' INT TERM


# ---- the LAN ----
HUB=enxsw-$ID-hub
nsof() { echo "enxsw-$ID-$1"; }   # host name (t, s, d0…) -> namespace
ifof() { echo "sw$ID$1"; }        # host name -> its interface (≤ 15 bytes)
# in_ns HOST CMD...: run CMD on HOST. Processes left running are started
# with `ip netns exec` itself, which execs CMD: $! is then CMD's own id.
in_ns() { local h=$1; shift; ip netns exec "$(nsof "$h")" "$@"; }
addns() {
	ip netns add "$1" 2>/dev/null || skip "cannot create a network namespace here"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}
# shape NS DEV: a token bucket at RATE on DEV's egress.
shape() { tc -n "$1" qdisc add dev "$2" root tbf rate "$RATE" burst 64kb latency 50ms; }
addhost() { # NAME ADDRESS
	local ns if port
	ns=$(nsof "$1") if=$(ifof "$1") port=p$1
	addns "$ns"
	ip link add "$if" netns "$ns" type veth peer name "$port" netns "$HUB"
	ip -n "$HUB" link set "$port" master br0 up
	ip -n "$ns" addr add "$2/24" dev "$if"
	ip -n "$ns" link set "$if" up
	shape "$ns" "$if"     # what the host sends
	shape "$HUB" "$port" # what the host receives
}
log "building the LAN: tracker, seeder and $MAXN downloader hosts, links at $RATE each way"
addns "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
addhost t 10.77.0.1
addhost s 10.77.0.2
for ((i = 0; i < MAXN; i++)); do addhost "d$i" "10.77.0.$((10 + i))"; done
# linkup HOST: its interface is up (carrier: the bridge's end is up too).
linkup() { [ "$(in_ns "$1" cat "/sys/class/net/$(ifof "$1")/operstate")" = up ]; }
for h in t s $(seq -f 'd%g' 0 $((MAXN - 1))); do until_ok 10 linkup "$h"; done

# txbytes HOST: bytes HOST has sent on its LAN link.
txbytes() { in_ns "$1" cat "/sys/class/net/$(ifof "$1")/statistics/tx_bytes"; }
# dltx N: bytes downloaders d0…d(N-1) have sent, in all.
dltx() { local i s=0; for ((i = 0; i < $1; i++)); do s=$((s + $(txbytes "d$i"))); done; echo $s; }
# cpusecs PID: user + system CPU seconds of a running process.
TCK=$(getconf CLK_TCK)
cpusecs() { awk -v t="$TCK" '{printf "%.2f\n", ($14 + $15) / t}' "/proc/$1/stat"; }

# ---- the file ----
log "building enxame (CGO_ENABLED=0 -tags nogui)"
(cd "$ROOT" && CGO_ENABLED=0 go build -tags nogui -o "$TMP/enxame" .)
ENXAME=$TMP/enxame
log "writing ${SIZE_MIB} MiB of random data"
mkdir -p "$TMP/src" "$TMP/res"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$TMP/src/file.bin"
cat "$TMP/src/file.bin" >/dev/null # page-cached for both seeders alike

# swarmrun TOOL N R SEEDPID CMD...: one run of N downloaders ({i} in CMD is
# the downloader's number, each writing into $TMP/out/{i}); records the
# seeder's and downloaders' sent bytes and the seeder's CPU around it, and
# checks every downloaded file.
swarmrun() {
	local tool=$1 n=$2 r=$3 seedpid=$4 i res
	shift 4
	res=$TMP/res/$tool-$n-$r
	rm -rf "$TMP/out"
	for ((i = 0; i < n; i++)); do mkdir -p "$TMP/out/$i"; done
	sync
	local s0 d0 c0
	s0=$(txbytes s) d0=$(dltx "$n") c0=$(cpusecs "$seedpid")
	if ! $H swarm "$res.json" "$RUN_TIMEOUT" "$n" "$@"; then
		log "$tool N=$n run $r failed: $(cat "$res.json")"
		for ((i = 0; i < n; i++)); do tail -3 "$res.json.$i.stderr" >&2 || true; done
		exit 1
	fi
	echo $(($(txbytes s) - s0)) >"$res.seedtx"
	echo $(($(dltx "$n") - d0)) >"$res.dltx"
	awk -v a="$c0" -v b="$(cpusecs "$seedpid")" 'BEGIN {printf "%.2f\n", b - a}' >"$res.seedcpu"
	uptime >"$res.load"
	for ((i = 0; i < n; i++)); do
		if ! cmp -s "$TMP/out/$i/file.bin" "$TMP/src/file.bin"; then
			log "$tool N=$n run $r: downloader $i's file differs or is missing"
			exit 1
		fi
	done
	rm -rf "$TMP/out"
	log "$tool N=$n run $r: T=$(python3 -c 'import json,sys; print("%.2f s" % json.load(open(sys.argv[1]))["wall"])' "$res.json"), seeder sent $(($(cat "$res.seedtx") >> 20)) MiB; $(cut -d, -f3- "$res.load" | sed 's/^ *//')"
}

# ---- enxame: tracker on t, seeder on s ----
ip netns exec "$(nsof t)" "$ENXAME" tracker -listen 10.77.0.1:7077 -log-level warn 2>"$TMP/tracker.log" &
PIDS+=($!)
ip netns exec "$(nsof s)" "$ENXAME" share -tracker 10.77.0.1:7077 -no-cache "$TMP/src" 2>"$TMP/share.log" &
ESEED=$!
PIDS+=($ESEED)
until_ok 120 grep -q "Index ready" "$TMP/share.log"
until_ok 30 in_ns s $H firstid 10.77.0.1:7077 file.bin
FID=$(in_ns s $H firstid 10.77.0.1:7077 file.bin)

# ---- aria2c: opentracker on t, seeder on s ----
mkdir -p "$TMP/ot" "$TMP/aseed"
mktorrent -a "http://10.77.0.1:6969/announce" -l 18 -o "$TMP/file.torrent" "$TMP/src/file.bin" >/dev/null
$H infohash "$TMP/file.torrent" >"$TMP/ot/whitelist"
(cd "$TMP/ot" && exec ip netns exec "$(nsof t)" opentracker -i 10.77.0.1 -p 6969 -P 6969 -d "$TMP/ot" -w whitelist) >"$TMP/ot.log" 2>&1 &
PIDS+=($!)
ARIA=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
	--console-log-level=warn --summary-interval=0 --file-allocation=falloc --listen-port=6881)
ln -f "$TMP/src/file.bin" "$TMP/aseed/file.bin"
ip netns exec "$(nsof s)" aria2c "${ARIA[@]}" --seed-ratio=0.0 --bt-seed-unverified=true -d "$TMP/aseed" "$TMP/file.torrent" >"$TMP/aseed.log" 2>&1 &
ASEED=$!
PIDS+=($ASEED)
until_ok 30 bash -c "[ \"\$(ip netns exec $(nsof s) $H seeds 10.77.0.1:6969 $TMP/file.torrent)\" -ge 1 ]"
for p in "$ESEED:enxame" "$ASEED:aria2c"; do # the ids whose CPU is read are the seeders'
	[ "$(cat "/proc/${p%%:*}/comm" 2>/dev/null)" = "${p#*:}" ] || { log "process ${p%%:*} is not ${p#*:}"; exit 1; }
done
log "enxame and aria2c seeders ready; load: $(uptime | sed 's/.*load average: //')"
uptime >"$TMP/res/load.start"

# ---- the runs: enxame, then aria2c, run after run ----
for n in $NS; do
	for ((r = 1; r <= RUNS; r++)); do
		# Only the seeder holds the file: the last run's downloaders have left.
		until_ok 30 bash -c "[ \"\$(ip netns exec $(nsof s) $H peers 10.77.0.1:7077 $FID $FID)\" -eq 1 ]"
		swarmrun enxame "$n" "$r" "$ESEED" ip netns exec "enxsw-$ID-d{i}" "$ENXAME" get \
			-tracker 10.77.0.1:7077 -o "$TMP/out/{i}" $GET_ARGS file.bin
		swarmrun aria2c "$n" "$r" "$ASEED" ip netns exec "enxsw-$ID-d{i}" aria2c "${ARIA[@]}" \
			--seed-time=0 -d "$TMP/out/{i}" "$TMP/file.torrent"
	done
done
uptime >"$TMP/res/load.end"

# ---- report ----
python3 - "$TMP/res" "$SIZE_MIB" "$RUNS" "$RATE" "$NS" <<'EOF'
import json, os, re, statistics, sys
res, size_mib, runs, rate, ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], [int(n) for n in sys.argv[5].split()]
size = size_mib << 20
def load(name):
    return open(os.path.join(res, name)).read().split("load average:")[-1].strip()
def get(tool, n, key):
    out = []
    for r in range(1, runs + 1):
        base = os.path.join(res, f"{tool}-{n}-{r}")
        if key in ("seedtx", "dltx", "seedcpu"):
            out.append(float(open(base + "." + key).read()))
        else:
            out.append(json.load(open(base + ".json"))[key])
    return out
med = statistics.median
m = re.fullmatch(r"([0-9.]+)([kmg]?)bit", rate)
bps = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)] if m else float("nan")
ideal = size * 8 / bps
print(f"{size_mib} MiB, links at {rate} each way (payload alone: {ideal:.1f} s per copy), median of {runs} run(s)")
print(f"load average at start {load('load.start')}, at end {load('load.end')}")
print()
print("| N | enxame T(N) s | T(N)/T(1) | aria2c T(N) s | T(N)/T(1) | enxame T / aria2c T | seeder sent, enxame | seeder sent, aria2c | downloaders sent, enxame / aria2c | CPU s enxame (get + share) | CPU s aria2c (downloaders + seeder) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
t1 = {}
for n in ns:
    row = [str(n)]
    for tool in ("enxame", "aria2c"):
        walls = get(tool, n, "wall")
        t = med(walls)
        t1.setdefault(tool, t)
        row += [f"{t:.1f} [{' '.join(f'{w:.1f}' for w in walls)}]", f"{t / t1[tool]:.2f}"]
    row.append(f"{med(get('enxame', n, 'wall')) / med(get('aria2c', n, 'wall')):.2f}")
    for tool in ("enxame", "aria2c"):
        s = med(get(tool, n, "seedtx"))
        row.append(f"{s / 1e6:.0f} MB = {s / size:.2f}× file")
    row.append(f"{med(get('enxame', n, 'dltx')) / 1e6:.0f} / {med(get('aria2c', n, 'dltx')) / 1e6:.0f} MB")
    for tool in ("enxame", "aria2c"):
        row.append(f"{med(get(tool, n, 'cpu')):.1f} + {med(get(tool, n, 'seedcpu')):.1f}")
    print("| " + " | ".join(row) + " |")
print()
print("Each downloader's time, last run of each N (s):")
for n in ns:
    for tool in ("enxame", "aria2c"):
        each = sorted(json.load(open(os.path.join(res, f"{tool}-{n}-{runs}.json")))["each"])
        print(f"  N={n:<2} {tool}: {' '.join(f'{e:.1f}' for e in each)}")
EOF
