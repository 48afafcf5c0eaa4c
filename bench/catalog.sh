#!/usr/bin/env bash
# Benchmark 8 — the event catalog of a recording. The recording of N events
# is made as in bench/replay.sh (kept in target/bench/), then, in the same
# run, ROUNDS times in turn, we time:
#   cat:    cat REC > /dev/null
#   evtop:  evtop catalog REC > /dev/null   (every event learned: kinds, presence, formats, top values, the AsyncAPI document)
#   jq:     jq -c '{type, paths: [.data | paths | map(tostring) | join("/")]}' REC > /dev/null
#           (only lists each event's field paths: the least a catalog must do)
#   jq-parse: jq -c . REC > /dev/null   (jq reading the file and nothing else)
# and print each one's median and evtop's ratio to jq.
# Usage: bench/catalog.sh [N] [ROUNDS]   (defaults 1000000 and 3; needs jq, bc)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-1000000}
ROUNDS=${2:-3}
cargo build --release --quiet --example loadserver --bin evtop
REC=$(recording "$N")
declare -A CMD=(
  [cat]="cat $REC > /dev/null"
  [evtop]="./target/release/evtop catalog $REC > /dev/null 2>/dev/null"
  [jq]="jq -c '{type, paths: [.data | paths | map(tostring) | join(\"/\")]}' $REC > /dev/null"
  [jq-parse]="jq -c . $REC > /dev/null"
)
ORDER="cat evtop jq jq-parse"
printf 'events: %d in %s (%d MB), rounds: %d (medians)\n' "$N" "$REC" "$(( $(stat -c %s "$REC") / 1000000 ))" "$ROUNDS"
rounds
printf 'evtop catalog vs jq listing paths: %.1fx faster; vs jq only parsing: %.1fx\n' \
  "$(echo "$M_jq / $M_evtop" | bc -l)" "$(echo "$M_jq_parse / $M_evtop" | bc -l)"
