# Shell helpers shared by the benchmark and soak scripts; source it after
# defining log() and ROOT.

# H runs the Python helpers (scripts/benchhelp.py): run-and-measure,
# tracker queries, torrent info hash, opentracker scrape.
H="python3 $ROOT/scripts/benchhelp.py"

# need CMD HOW: stop with a message saying how to install CMD when missing.
need() { command -v "$1" >/dev/null || { log "$1 is needed ($2)"; exit 1; }; }

# stop PID...: stop processes this script started, by id.
stop() {
	local pid
	for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
	for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# freeport: a TCP port free on loopback right now.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# until_ok SECONDS CMD...: retry CMD every 0.1 s until it succeeds (bounded).
until_ok() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "timed out waiting for: $*"
	exit 1
}

# nscleanup, for an EXIT trap: ends the processes in PIDS, then anything
# still inside the network namespaces in NAMESPACES (started by the
# script), deletes those namespaces and the folder TMP.
nscleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "${NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
	done
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"; done
	rm -rf "$TMP"
}
