#!/usr/bin/env bash
# Benchmark 1 — headless SSE ingest. One load server on 127.0.0.1 serves N
# SSE events (~130 bytes, six types, half of them charge.*) as fast as the
# socket takes them; in the same run, ROUNDS times in turn, we time:
#   raw:      curl -sN URL > /dev/null
#   grep:     curl -sN URL | grep '^event: charge\.' | wc -l > /dev/null
#   evtop:    evtop tail --filter 'type:charge.*' --format ndjson --count N/2 URL > /dev/null
#   pipeline: curl -sN URL | grep '^data:' | cut -c7- | jq -c 'select(.type|startswith("charge."))' > /dev/null
# and print each one's median and evtop's ratio to the others.
# Usage: bench/ingest.sh [N] [ROUNDS]   (defaults 1000000 and 5; needs curl, jq, bc)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-1000000}
ROUNDS=${2:-5}
cargo build --release --quiet --example loadserver --bin evtop
start_loadserver "$N"
trap 'kill $SERVER 2>/dev/null' EXIT
declare -A CMD=(
  [raw]="curl -sN $URL > /dev/null"
  [grep]="curl -sN $URL | grep '^event: charge\.' | wc -l > /dev/null"
  [evtop]="./target/release/evtop tail --filter 'type:charge.*' --format ndjson --count $((N / 2)) $URL > /dev/null 2>/dev/null"
  [pipeline]="curl -sN $URL | grep '^data:' | cut -c7- | jq -c 'select(.type|startswith(\"charge.\"))' > /dev/null"
)
ORDER="raw grep evtop pipeline"
printf 'events: %d, rounds: %d (medians)\n' "$N" "$ROUNDS"
rounds
printf 'evtop vs pipeline (curl|grep|cut|jq): %.1fx faster\n' "$(echo "$M_pipeline / $M_evtop" | bc -l)"
printf 'evtop vs curl|grep: %.2fx the time; vs raw curl: %.2fx the time\n' \
  "$(echo "$M_evtop / $M_grep" | bc -l)" "$(echo "$M_evtop / $M_raw" | bc -l)"
