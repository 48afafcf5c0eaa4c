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
