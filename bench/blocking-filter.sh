#!/usr/bin/env bash
# Filters that wait, measured through a real mount on a fresh ext4 (loop device), in one run:
#  1. 16 processes create files in parallel (each in its own directory: the kernel serializes creates in one directory)
#     with no filter, then with a filter that blocks 10 ms in every pre-create (bench/Altitude.SlowCreate). The ideal
#     with the filter is 16 opens per 10 ms (1600/s); the figure shows how close the readers get to one per caller.
#     Alongside, an unrelated stat loop on another file; its p50/p99 per stat, in the same run without the filter, is
#     the baseline. --cache-timeout 0 makes every stat a FUSE round trip.
#  2. Memory: the daemon's RSS idle, with 1,000 creates pended at once (ALTITUDE_SLOW_MODE=pend), and after they finish.
# Needs root (mount(2), losetup). Usage: sudo bench/blocking-filter.sh [FILES_PER_PROCESS]   (ONLY=memory: part 2 only)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 (the stat loop)" >&2; exit 1; }
PER=${1:-400}
PROCS=16
WORK=$(mktemp -d /var/tmp/altitude-blocking.XXXXXX)
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
dotnet build bench/Altitude.SlowCreate -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
FILTER=$PWD/artifacts/bin/Altitude.SlowCreate/release/Altitude.SlowCreate.dll
mkdir -p "$WORK/backing" "$WORK/mnt"
. bench/lib/ext4-loop.sh
ext4_loop_mount 2G
PID=
trap bench_cleanup EXIT

start() {   # fltmgrd options...
  dotnet $DAEMON --volume "$WORK/backing:$WORK/mnt" --cache-timeout 0 "$@" > "$WORK/daemon.log" 2>&1 &
  PID=$!
  wait_for_line "$WORK/daemon.log" serving
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=; }
rss() { awk '/VmRSS/ {print $2/1024}' /proc/$PID/status; }
vsz() { awk '/VmSize/ {print $2/1024}' /proc/$PID/status; }

# The stat loop: stats $1 until $2 exists, then prints p50 and p99 in microseconds.
STATLOOP='
import os, sys, time
path, stop, lat = sys.argv[1], sys.argv[2], []
open(stop + ".ready", "w").close()
while not os.path.exists(stop) or not lat:
    t = time.perf_counter_ns(); os.stat(path); lat.append(time.perf_counter_ns() - t)
lat.sort()
print("%d %.1f %.1f" % (len(lat), lat[len(lat) // 2] / 1000, lat[int(len(lat) * 0.99)] / 1000))'

workload() {   # $1 = label
  local label=$1 base="$WORK/mnt/run-$1"
  for p in $(seq 1 $PROCS); do mkdir -p "$base/p$p"; done
  echo x > "$WORK/mnt/unrelated-$label"
  rm -f "$WORK/stop"
  python3 -c "$STATLOOP" "$WORK/mnt/unrelated-$label" "$WORK/stop" > "$WORK/stat-$label" &
  local sl=$!
  while [ ! -e "$WORK/stop.ready" ]; do sleep 0.01; done
  rm -f "$WORK/stop.ready"
  local s e
  local pids=()
  s=$(date +%s.%N)
  for p in $(seq 1 $PROCS); do
    ( for f in $(seq 1 $PER); do : > "$base/p$p/f$f"; done ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  e=$(date +%s.%N)
  touch "$WORK/stop"; wait $sl
  local opens=$((PROCS * PER))
  read -r n p50 p99 < "$WORK/stat-$label"
  printf "%-14s %6d opens in %6.2f s = %8.0f opens/s | unrelated stat: %6d stats, p50 %7.1f us, p99 %8.1f us\n" \
    "$label" "$opens" "$(echo "$e - $s" | bc -l)" "$(echo "$opens / ($e - $s)" | bc -l)" "$n" "$p50" "$p99"
  echo "$label $(echo "$opens / ($e - $s)" | bc -l) $p99" >> "$WORK/summary"
}

echo "kernel $(uname -r), $(nproc) CPUs; backing: fresh ext4 on $LOOP; $PROCS processes x $PER creates"
if [ "${ONLY:-}" != memory ]; then   # ONLY=memory: just part 2
start
workload no-filter
stop
ALTITUDE_SLOW_MS=10 start --filter "$FILTER"
workload block-10ms
stop
awk 'NR==1 {b=$2; bp=$3} NR==2 {printf "blocked 10 ms: %.0f opens/s = %.2fx no filter, %.2fx the ideal 1600/s; unrelated stat p99 %.2fx no filter\n", $2, $2/b, $2/1600, $3/bp}' "$WORK/summary"

fi

# Memory with 1,000 creates pended at once.
ALTITUDE_SLOW_MODE=pend ALTITUDE_SLOW_MS=30000 ALTITUDE_SLOW_PREFIX=pend ALTITUDE_SLOW_STATUS="$WORK/pended" start --filter "$FILTER"
idle=$(rss); idlev=$(vsz)
for i in $(seq 1 1000); do mkdir -p "$WORK/mnt/m/d$i"; done
creators=()
for i in $(seq 1 1000); do ( : > "$WORK/mnt/m/d$i/pend$i" ) & creators+=($!); done
for _ in $(seq 1 600); do [ "$(cat "$WORK/pended" 2>/dev/null)" = 1000 ] && break; sleep 0.1; done
pended=$(cat "$WORK/pended")
during=$(rss); duringv=$(vsz)
wait "${creators[@]}"
for _ in $(seq 1 100); do [ "$(cat "$WORK/pended")" = 0 ] && break; sleep 0.1; done
sleep 12   # extra readers and idle buffers retire after their idle timeouts (10 s)
after=$(rss); afterv=$(vsz)
printf "daemon RSS: idle %.1f MiB; %s creates pended at once %.1f MiB (%.1f KiB per pended request); after they finished %.1f MiB\n" \
  "$idle" "$pended" "$during" "$(echo "($during - $idle) * 1024 / $pended" | bc -l)" "$after"
printf "daemon address space (VmSize): idle %.0f MiB; pended %.0f MiB (%.1f KiB per pended request); after %.0f MiB\n" \
  "$idlev" "$duringv" "$(echo "($duringv - $idlev) * 1024 / $pended" | bc -l)" "$afterv"
stop
