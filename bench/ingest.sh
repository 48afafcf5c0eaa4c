#!/usr/bin/env bash
# Benchmark 1 — headless ingest. One load server on 127.0.0.1 serves N SSE
# events (~130 bytes, six types, half of them charge.*) as fast as the
# socket takes them; in the same run we time:
#   raw transport:  curl -sN URL > /dev/null
#   evtop:          evtop tail --filter 'type:charge.*' --format ndjson --count N/2 URL > /dev/null
#   pipeline:       curl -sN URL | grep '^data:' | cut -c7- | jq -c 'select(.type|startswith("charge."))' > /dev/null
# Usage: bench/ingest.sh [N]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
cargo build --release --quiet --example loadserver --bin evtop
PORTFILE=$(mktemp)
./target/release/examples/loadserver "$N" > "$PORTFILE" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$PORTFILE"' EXIT
for _ in $(seq 100); do [ -s "$PORTFILE" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$PORTFILE")/"
secs() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
raw=$(secs sh -c "curl -sN $URL > /dev/null")
evtop=$(secs sh -c "./target/release/evtop tail --filter 'type:charge.*' --format ndjson --count $((N / 2)) $URL > /dev/null 2>/dev/null")
pipe=$(secs sh -c "curl -sN $URL | grep '^data:' | cut -c7- | jq -c 'select(.type|startswith(\"charge.\"))' > /dev/null")
printf 'events: %d\n' "$N"
printf '%-10s %8.3f s  %12.0f events/s\n' raw "$raw" "$(echo "$N / $raw" | bc -l)"
printf '%-10s %8.3f s  %12.0f events/s\n' evtop "$evtop" "$(echo "$N / $evtop" | bc -l)"
printf '%-10s %8.3f s  %12.0f events/s\n' pipeline "$pipe" "$(echo "$N / $pipe" | bc -l)"
printf 'evtop vs pipeline: %.1fx faster; evtop vs raw transport: %.1fx slower\n' \
  "$(echo "$pipe / $evtop" | bc -l)" "$(echo "$evtop / $raw" | bc -l)"
