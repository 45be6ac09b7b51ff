#!/usr/bin/env bash
# Where the time of one stat and one create goes (issue 13): FILES warm stats (find -printf %s, after one warming pass)
# and FILES creates (bash ': > f', one open(O_CREAT)+close each, no process per file), natively and through a mount
# with no filter and with three PassThrough instances, each over /dev/fuse and over io_uring. For each, per operation:
#   wall     the workload's elapsed time
#   reqs     FUSE requests the kernel sent, by opcode (tracepoint fuse:fuse_request_send)
#   caller   CPU of the program (user + its kernel side: the syscall, the VFS, FUSE queueing the request and waiting)
#   daemon   CPU of fltmgrd, split by where the samples fell (perf record -a, cpu-clock, DOTNET_PerfMapEnabled=1):
#            (W^X is off for the daemon: perf resolves JIT-compiled code through /tmp/perf-PID.map only then)
#            kern = the daemon's kernel side (reading and answering requests, the loopback's syscalls into ext4),
#            fuse = Altitude.Fuse (reader, bridge), engine = Altitude's Filter Manager (dispatch, callbacks, names),
#            loop = Altitude.FileSystem (the loopback's own code), rt = the runtime, BCL and libc
#   idle     what is left of wall x CPUs once both are counted: wake-ups and waits (2 CPUs here)
#   sys      the daemon's syscalls per operation (strace -c -f, a separate pass: counts only, its timing is not used)
# On a fresh ext4 on a loop device. Needs root, perf, strace. Usage: sudo bench/request-profile.sh [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v perf >/dev/null && command -v strace >/dev/null || { echo "needs perf and strace" >&2; exit 1; }
FILES=${1:-5000}
WORK=$(mktemp -d /var/tmp/altitude-profile.XXXXXX)
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
mkdir -p "$WORK/backing" "$WORK/mnt"
. bench/lib/ext4-loop.sh
ext4_loop_mount 2G
PID=
trap bench_cleanup EXIT
uring_enable
HZ=$(getconf CLK_TCK)

# The workload as one script, so that time, perf and strace each run exactly it: op.sh stat|create DIR. Stats are
# measured warm (prepare runs them once first); the files a create made go afterwards (tidy).
cat > "$WORK/op.sh" <<SCRIPT
case "\$1" in
  stat) find "\$2/s" -printf '%s\n' > /dev/null ;;
  create) mkdir "\$2/c"; for i in \$(seq 1 $FILES); do : > "\$2/c/f\$i"; done ;;
esac
SCRIPT
prepare() { [ "$1" = stat ] && bash "$WORK/op.sh" stat "$2"; return 0; }
tidy() { [ "$1" = create ] && rm -rf "$2/c"; return 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime of every thread

# measure LABEL DIR OP: prints "LABEL OP key value" lines
measure() {
  local label=$1 dir=$2 op=$3 n=$FILES
  prepare "$op" "$dir"
  local t0 t1 c0=0 c1=0 times
  [ -n "$PID" ] && c0=$(cpu_ticks "$PID")
  t0=$(date +%s.%N)
  times=$( { /usr/bin/time -f '%U %S' bash "$WORK/op.sh" "$op" "$dir" ; } 2>&1 >/dev/null | tail -1)
  t1=$(date +%s.%N)
  [ -n "$PID" ] && c1=$(cpu_ticks "$PID")
  echo "$label $op wall $(echo "($t1 - $t0) * 1000000 / $n" | bc -l)"
  echo "$label $op caller $(echo "$times" | awk -v n="$n" '{ print ($1 + $2) * 1000000 / n }')"
  [ -n "$PID" ] && echo "$label $op daemon $(echo "($c1 - $c0) * 1000000 / $HZ / $n" | bc -l)"
  tidy "$op" "$dir"
}

# trace LABEL DIR OP: requests by opcode, and the daemon's samples by layer
trace() {
  local label=$1 dir=$2 op=$3
  prepare "$op" "$dir"
  perf record -q -a -F 4999 -e cpu-clock -o "$WORK/cpu.data" -- bash "$WORK/op.sh" "$op" "$dir" >/dev/null 2>&1
  tidy "$op" "$dir"
  perf script -i "$WORK/cpu.data" -F pid,ip,sym,dso 2>/dev/null | awk -v pid="$PID" -v n="$FILES" -v label="$label" -v op="$op" '
    $1 == pid { total++
      if ($0 ~ /kernel\.kallsyms/) k = "kern"; else if ($0 ~ /Altitude\.Fuse/) k = "fuse";
      else if ($0 ~ /Altitude\.FileSystem/) k = "loop"; else if ($0 ~ /Altitude\./) k = "engine"; else k = "rt";
      s[k]++ }
    END { for (k in s) printf "%s %s share-%s %.3f\n", label, op, k, s[k] / total }'
  prepare "$op" "$dir"
  perf record -q -a -e fuse:fuse_request_send -o "$WORK/req.data" -- bash "$WORK/op.sh" "$op" "$dir" >/dev/null 2>&1
  tidy "$op" "$dir"
  perf script -i "$WORK/req.data" -F trace 2>/dev/null | grep -o 'FUSE_[A-Z_]*' | sort | uniq -c |
    awk -v n="$FILES" -v label="$label" -v op="$op" '{ printf "%s %s req-%s %.3f\n", label, op, substr($2, 6), $1 / n }'
  prepare "$op" "$dir"
  strace -c -f -q -p "$PID" -o "$WORK/strace.txt" & local st=$!
  sleep 1   # strace attaches to every thread before the workload starts (counts only: no timing is taken from this pass)
  bash "$WORK/op.sh" "$op" "$dir"
  kill -INT $st; wait $st 2>/dev/null || true
  tidy "$op" "$dir"
  # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
  awk -v n="$FILES" -v label="$label" -v op="$op" '$4 ~ /^[0-9]+$/ && $NF ~ /^[a-z_0-9]+$/ && $NF != "total" {
      printf "%s %s sys-%s %.3f\n", label, op, $NF, $4 / n }' "$WORK/strace.txt"
}

mkdir -p "$WORK/backing/s"
(cd "$WORK/backing/s" && for i in $(seq 1 "$FILES"); do : > "f$i"; done)
: > "$WORK/results"
for op in stat create; do measure native "$WORK/backing" $op >> "$WORK/results"; done

run_mount() {   # $1 = label, rest = fltmgrd options
  local label=$1; shift
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet $DAEMON --volume "$WORK/backing:$WORK/mnt" "$@" > "$WORK/daemon.log" 2>&1 &
  PID=$!
  wait_for_line "$WORK/daemon.log" serving
  for op in stat create; do measure "$label" "$WORK/mnt" $op >> "$WORK/results"; trace "$label" "$WORK/mnt" $op >> "$WORK/results"; done
  kill -TERM $PID; wait $PID || true; PID=
}
X3=(--filter PassThrough --filter PassThrough --filter PassThrough)
run_mount nofilter-devfuse --transport dev-fuse
[ -n "$URING_WAS" ] && run_mount nofilter-uring --transport io_uring
run_mount x3-devfuse --transport dev-fuse "${X3[@]}"
[ -n "$URING_WAS" ] && run_mount x3-uring --transport io_uring "${X3[@]}"

echo "kernel $(uname -r), $(nproc) CPUs; fresh ext4 on $LOOP; $FILES operations each; µs and counts per operation"
for op in stat create; do
  echo "== $op"
  awk -v op="$op" -v cpus="$(nproc)" '$2 == op { v[$1, $3] = $4; if (!($1 in seen)) { seen[$1] = 1; cfg[n++] = $1 } }
    END {
      printf "%-18s %8s %8s %8s  %-36s  %-40s %s\n", "config", "wall", "caller", "daemon", "daemon by layer (kern/fuse/engine/loop/rt)", "requests per op", "daemon syscalls per op";
      for (i = 0; i < n; i++) { c = cfg[i]; d = v[c, "daemon"];
        layers = "";
        if (d != "") layers = sprintf("%.1f/%.1f/%.1f/%.1f/%.1f", d * v[c, "share-kern"], d * v[c, "share-fuse"], d * v[c, "share-engine"], d * v[c, "share-loop"], d * v[c, "share-rt"]);
        reqs = ""; sys = "";
        for (k in v) { split(k, p, SUBSEP); if (p[1] != c) continue;
          if (p[2] ~ /^req-/ && v[k] >= 0.01) reqs = reqs sprintf("%s %.2f ", substr(p[2], 5), v[k]);
          if (p[2] ~ /^sys-/ && v[k] >= 0.05) sys = sys sprintf("%s %.2f ", substr(p[2], 5), v[k]) }
        printf "%-18s %8.1f %8.1f %8s  %-36s  %-40s %s\n", c, v[c, "wall"], v[c, "caller"], d == "" ? "-" : sprintf("%.1f", d), layers, reqs, sys } }' "$WORK/results"
done
