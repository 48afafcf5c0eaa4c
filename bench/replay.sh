#!/usr/bin/env bash
# Benchmark 7 — filtering a recording. A recording of N events is made
# once with `evtop tail --format ndjson` from the load server (kept in
# target/bench/), then, in the same run, ROUNDS times in turn, we time:
#   cat:   cat REC > /dev/null
#   grep:  grep '"type":"charge\.' REC | wc -l > /dev/null  (a pipe: GNU grep stops at the first match when its output is /dev/null)
#   evtop: evtop replay --tail --speed 0 --filter 'type:charge.*' --format ndjson REC > /dev/null
#   jq:    jq -c 'select(.type|startswith("charge."))' REC > /dev/null
#   lnav:  lnav -n -c ':filter-in "type":"charge\.' REC > /dev/null
# and print each one's median and evtop's ratio to the others.
# Usage: bench/replay.sh [N] [ROUNDS]   (defaults 1000000 and 3; needs jq, lnav, bc)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-1000000}
ROUNDS=${2:-3}
cargo build --release --quiet --example loadserver --bin evtop
REC=$(recording "$N")
declare -A CMD=(
  [cat]="cat $REC > /dev/null"
  [grep]="grep '\"type\":\"charge\\.' $REC | wc -l > /dev/null"
  [evtop]="./target/release/evtop replay --tail --speed 0 --filter 'type:charge.*' --format ndjson $REC > /dev/null 2>/dev/null"
  [jq]="jq -c 'select(.type|startswith(\"charge.\"))' $REC > /dev/null"
  [lnav]="lnav -n -c ':filter-in \"type\":\"charge\\.' $REC > /dev/null"
)
ORDER="cat grep evtop jq lnav"
command -v lnav >/dev/null || ORDER="cat grep evtop jq"
printf 'events: %d in %s (%d MB), rounds: %d (medians)\n' "$N" "$REC" "$(( $(stat -c %s "$REC") / 1000000 ))" "$ROUNDS"
rounds
printf 'evtop vs jq: %.1fx faster\n' "$(echo "$M_jq / $M_evtop" | bc -l)"
[ -n "${M_lnav:-}" ] && printf 'evtop vs lnav: %.1fx faster\n' "$(echo "$M_lnav / $M_evtop" | bc -l)"
printf 'evtop vs grep: %.2fx the time; vs cat: %.2fx the time\n' \
  "$(echo "$M_evtop / $M_grep" | bc -l)" "$(echo "$M_evtop / $M_cat" | bc -l)"
