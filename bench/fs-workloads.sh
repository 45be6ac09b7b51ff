#!/usr/bin/env bash
# File-system workloads on the native backing directory and through Altitude FUSE mounts, in one run:
#   native | mount, no filter (passthrough on) | mount, no filter, --no-passthrough | mount, no filter, --no-cache |
#   mount, 3 PassThrough instances | mount, an XOR data filter with SKIP_CACHED_IO (bench/Altitude.XorFilter)
# PassThrough registers every operation, so its mount runs with the kernel caches off (the fast paths follow the
# registrations). The --no-cache mount has the same policy with no filter: the last column is what the three
# instances themselves cost (x3 / no-cache).
# Prints each figure and its ratio to native (throughput: cfg/native; times: native/cfg, so 1.00 = native speed and
# higher is better everywhere). The backing directory is a fresh ext4 on a loop device (bench/lib/ext4-loop.sh): a
# ratio depends on its native baseline. Needs root (mount(2), losetup, drop_caches). Usage: sudo bench/fs-workloads.sh
# No real ~18,000-file source tree is available offline, so the tar workload uses a generated tree of 18,000 files
# (900 directories, 1-24 KiB each, source-like sizes).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v fio >/dev/null || { apt-get install -y -qq fio >/dev/null 2>&1 || { echo "needs fio (apt-get install fio)" >&2; exit 1; }; }
WORK=$(mktemp -d /var/tmp/altitude-bench.XXXXXX)
SEQ_MB=${SEQ_MB:-1024}
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
dotnet build bench/Altitude.XorFilter -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
XOR=$PWD/artifacts/bin/Altitude.XorFilter/release/Altitude.XorFilter.dll
mkdir -p "$WORK/backing" "$WORK/mnt" "$WORK/src"
. bench/lib/ext4-loop.sh
ext4_loop_mount 8G
PID=
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  ext4_loop_release
}
trap cleanup EXIT
cat > "$WORK/xor.json" <<JSON
{ "Name": "Xor", "Assembly": "$XOR", "Class": "Altitude.Bench.XorFilter.XorFilter", "StartType": "Auto",
  "Instances": [ { "Name": "Xor Instance", "Altitude": "141000", "Flags": 0 } ], "Parameters": { "SkipCachedIo": "1" } }
JSON

# The tar source: 18,000 files in 900 directories, made once, outside every configuration.
(cd "$WORK/src" && for d in $(seq 1 900); do mkdir -p "pkg$((d % 30))/mod$d"; for f in $(seq 1 20); do
   head -c $(( (d * 131 + f * 977) % 24576 + 1024 )) /dev/urandom > "pkg$((d % 30))/mod$d/file$f.c"; done; done)
tar -C "$WORK/src" -cf "$WORK/tree.tar" .

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
fio_bw() { fio --name=r --filename="$1" --rw=randread --bs=4k --size=${SEQ_MB}m --runtime=5 --time_based --ioengine=psync $2 --output-format=terse 2>/dev/null | awk -F';' '{print $7/1024}'; }  # MiB/s

suite() {   # $1 = directory to work in; prints "name value unit kind" lines
  local D=$1
  echo "seq-write-1M $(echo "$SEQ_MB / $(t dd if=/dev/zero of=$D/seq bs=1M count=$SEQ_MB conv=fsync)" | bc -l) MiB/s rate"
  drop; echo "seq-read-1M-cold $(echo "$SEQ_MB / $(t dd if=$D/seq of=/dev/null bs=1M)" | bc -l) MiB/s rate"
  echo "seq-read-1M-warm $(echo "$SEQ_MB / $(t dd if=$D/seq of=/dev/null bs=1M)" | bc -l) MiB/s rate"
  echo "rand-read-4k-buffered $(fio_bw $D/seq '') MiB/s rate"
  echo "rand-read-4k-direct $(fio_bw $D/seq '--direct=1') MiB/s rate"
  rm -f $D/seq
  mkdir -p $D/small
  echo "create-10k-4k $(t bash -c "for d in \$(seq 1 100); do mkdir $D/small/d\$d; for f in \$(seq 1 100); do printf '%4096s' > $D/small/d\$d/f\$f; done; done") s time"
  echo "stat-10k $(t bash -c "find $D/small -type f -printf '%s %i %m\n' > /dev/null") s time"
  echo "read-10k $(t bash -c "find $D/small -type f -print0 | xargs -0 cat > /dev/null") s time"
  echo "delete-10k $(t rm -rf $D/small) s time"
  mkdir -p $D/tree
  echo "tar-x-18k $(t tar -C $D/tree -xf $WORK/tree.tar) s time"
  echo "find-18k $(t find $D/tree -printf '%s\n') s time"
  echo "rm-rf-18k $(t rm -rf $D/tree) s time"
}

run_mount() {   # $1 = label, rest = fltmgrd options
  local label=$1; shift
  dotnet $DAEMON --volume "$WORK/backing:$WORK/mnt" "$@" > "$WORK/daemon.log" 2>&1 &
  PID=$!
  wait_for_line "$WORK/daemon.log" serving
  suite "$WORK/mnt" | sed "s/^/$label /" >> "$WORK/results"
  kill -TERM $PID; wait $PID || true; PID=
}

: > "$WORK/results"
suite "$WORK/backing" | sed "s/^/native /" >> "$WORK/results"
run_mount nofilter
run_mount nofilter-nopt --no-passthrough
run_mount nofilter-nocache --no-cache
run_mount passthrough-x3 --filter PassThrough --filter PassThrough --filter PassThrough
run_mount xor-skipcached --filter "$WORK/xor.json"

echo "kernel $(uname -r), $(nproc) CPUs; backing: fresh ext4 on $LOOP; ratios: 1.00 = native, higher is better"
awk '
  { v[$1" "$2]=$3; unit[$2]=$4; kind[$2]=$5; if (!($2 in seen)) { seen[$2]=1; order[n++]=$2 } }
  END {
    printf "%-22s %-7s %10s %16s %16s %16s %16s %16s %12s\n", "workload", "unit", "native", "no-filter", "no-filter,no-pt", "no-filter,no-cache", "PassThrough x3", "XOR skip-cached", "x3/no-cache";
    for (i = 0; i < n; i++) { w = order[i]; nat = v["native " w];
      printf "%-22s %-7s %10.2f", w, unit[w], nat;
      split("nofilter nofilter-nopt nofilter-nocache passthrough-x3 xor-skipcached", cfg, " ");
      for (c = 1; c <= 5; c++) { x = v[cfg[c] " " w]; r = (kind[w] == "rate") ? x / nat : nat / x;
        printf " %9.2f (%4.2fx)", x, r }
      base = v["nofilter-nocache " w]; x3 = v["passthrough-x3 " w];
      printf " %11.2fx\n", (kind[w] == "rate") ? x3 / base : base / x3 } }' "$WORK/results"
