# Shell helpers shared by the benchmark scripts; source it after defining
# log() and ROOT.

# H runs the Python helpers (scripts/benchhelp.py): run-and-measure,
# tracker queries, torrent info hash, opentracker scrape.
H="python3 $ROOT/scripts/benchhelp.py"

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
