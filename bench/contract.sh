#!/usr/bin/env bash
# Contract validation cost in `tail` (SPEC 10). The ingest benchmark's load
# server (bench/ingest.sh) serves N SSE events; bench/load-contract.json is a
# contract every one of them satisfies (patterns, enums, bounds, a $ref,
# additionalProperties: false). ROUNDS times in turn, medians of:
#   plain:     evtop tail --format ndjson --count N URL
#   contract:  the same with --contract bench/load-contract.json
#   charges:   evtop tail --filter 'type:charge.*' --count N/2 URL
#   charges+c: the same with --contract (the printer validates only what the filter keeps)
# Usage: bench/contract.sh [N] [ROUNDS]   (defaults 1000000 and 5; needs bc)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-1000000}
ROUNDS=${2:-5}
cargo build --release --quiet --example loadserver --bin evtop
start_loadserver "$N"
trap 'kill $SERVER 2>/dev/null' EXIT
E=./target/release/evtop
C=bench/load-contract.json
# Every event passes the contract: prove it before timing anything.
drifted=$($E tail --format ndjson --count "$N" --contract $C "$URL" 2>/dev/null | grep -c '"drift":' || true)
[ "$drifted" = 0 ] || { echo "the load events drift against $C ($drifted)"; exit 1; }
declare -A CMD=(
  [plain]="$E tail --format ndjson --count $N $URL > /dev/null 2>/dev/null"
  [contract]="$E tail --format ndjson --count $N --contract $C $URL > /dev/null 2>/dev/null"
  [charges]="$E tail --filter 'type:charge.*' --format ndjson --count $((N / 2)) $URL > /dev/null 2>/dev/null"
  [charges+c]="$E tail --filter 'type:charge.*' --format ndjson --count $((N / 2)) --contract $C $URL > /dev/null 2>/dev/null"
)
ORDER="plain contract charges charges+c"
printf 'events: %d, rounds: %d (medians)\n' "$N" "$ROUNDS"
rounds
printf 'contract vs plain: %.2fx the time; charges+c vs charges: %.2fx the time\n' \
  "$(echo "$M_contract / $M_plain" | bc -l)" "$(echo "$M_charges_c / $M_charges" | bc -l)"
