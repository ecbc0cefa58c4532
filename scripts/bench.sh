#!/usr/bin/env bash
# make bench: every benchmark of docs/BENCHMARKS.md, one after another, each
# with its same-run baseline (opentracker, openssl, nginx, aria2c, enxame get).
# Loopback only, except swarm (network namespaces of its own, as root; it
# skips elsewhere); each script cleans up after itself. RUNS (default 3) sets
# the number of runs each median is taken over; ONLY=tracker,peer,get,app,swarm
# picks some.
set -euo pipefail
cd "$(dirname "$0")"
only=${ONLY:-tracker,peer,get,app,swarm}
for b in tracker peer get app swarm; do
  case ",$only," in *",$b,"*) ;; *) continue ;; esac
  echo "=================== bench-$b ==================="
  bash "./bench-$b.sh"
done
