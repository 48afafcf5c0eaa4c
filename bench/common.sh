# Shared by the benchmark scripts: timing a shell command in wall-clock
# seconds, and the median of a list of numbers.
secs() { local s e; s=$(date +%s.%N); sh -c "$1"; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
