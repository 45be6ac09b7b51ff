#!/usr/bin/env bash
# File-system workloads on the native backing directory and through Altitude FUSE mounts, in one run:
#   native | no filter over /dev/fuse | no filter over io_uring | no filter, --no-cache (/dev/fuse) |
#   3 PassThrough instances over /dev/fuse | the same over io_uring | 3 PassThrough instances with StableInformation
#   (io_uring) | an XOR data filter with SKIP_CACHED_IO (bench/Altitude.XorFilter, /dev/fuse)
# PassThrough registers every operation, so its mount runs with the kernel caches off (the fast paths follow the
# registrations). The --no-cache mount has the same policy with no filter: the last column is what the three
# instances themselves cost (x3 / no-cache, both over /dev/fuse). With StableInformation (docs/operations.md 6.3) the
# kernel caches the answers of PassThrough's query rows while every operation still reaches it.
# Prints the median of REPS runs (default 3) of each figure and its ratio to native (throughput: cfg/native; times:
# native/cfg, so 1.00 = native speed and higher is better everywhere). The backing directory is a fresh ext4 on a loop
# device (bench/lib/ext4-loop.sh): a ratio depends on its native baseline. io_uring needs
# /sys/module/fuse/parameters/enable_uring, which the script sets for the run and restores. Needs root (mount(2),
# losetup, drop_caches). Usage: sudo bench/fs-workloads.sh
# No real ~18,000-file source tree is available offline, so the tar workload uses a generated tree of 18,000 files
# (900 directories, 1-24 KiB each, source-like sizes).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v fio >/dev/null || { apt-get install -y -qq fio >/dev/null 2>&1 || { echo "needs fio (apt-get install fio)" >&2; exit 1; }; }
WORK=$(mktemp -d /var/tmp/altitude-bench.XXXXXX)
SEQ_MB=${SEQ_MB:-1024}
REPS=${REPS:-3}
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
dotnet build bench/Altitude.XorFilter -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
XOR=$PWD/artifacts/bin/Altitude.XorFilter/release/Altitude.XorFilter.dll
PASSTHROUGH=$PWD/artifacts/bin/PassThrough/release/PassThrough.dll
mkdir -p "$WORK/backing" "$WORK/mnt" "$WORK/src"
. bench/lib/ext4-loop.sh
ext4_loop_mount 8G
PID=
trap bench_cleanup EXIT
uring_enable
[ -n "$URING_WAS" ] || { echo "this kernel has no FUSE over io_uring ($URING)" >&2; exit 1; }
xor_manifest "$WORK/xor.json" "$XOR" > /dev/null
STABLE=()   # three PassThrough packages at 370030, 370020, 370010 whose query rows declare stable answers
for i in 1 2 3; do
  cat > "$WORK/stable$i.json" <<JSON
{ "Name": "PassThroughStable$i", "Assembly": "$PASSTHROUGH", "Class": "Altitude.Samples.PassThrough.PassThroughFilter",
  "StartType": "Auto", "Instances": [ { "Name": "Stable$i Instance", "Altitude": "3700$((4 - i))0", "Flags": 0 } ],
  "Parameters": { "StableInformation": "1" } }
JSON
  STABLE+=(--filter "$WORK/stable$i.json")
done

# The tar source: 18,000 files in 900 directories, made once, outside every configuration.
(cd "$WORK/src" && for d in $(seq 1 900); do mkdir -p "pkg$((d % 30))/mod$d"; for f in $(seq 1 20); do
   head -c $(( (d * 131 + f * 977) % 24576 + 1024 )) /dev/urandom > "pkg$((d % 30))/mod$d/file$f.c"; done; done)
tar -C "$WORK/src" -cf "$WORK/tree.tar" .

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
fio_bw() { fio --name=r --filename="$1" --rw=randread --bs=4k --size=${SEQ_MB}m --runtime=5 --time_based --ioengine=psync $2 --output-format=terse 2>/dev/null | awk -F';' '{print $7/1024}'; }  # MiB/s

suite() {   # $1 = directory to work in; prints "name value unit kind" lines
  local D=$1
  echo "seq-write-1M $(echo "$SEQ_MB / $(t dd if=/dev/zero of=$D/seq bs=1M count=$SEQ_MB conv=fsync)" | bc -l) MiB/s rate"
  drop_caches; echo "seq-read-1M-cold $(echo "$SEQ_MB / $(t dd if=$D/seq of=/dev/null bs=1M)" | bc -l) MiB/s rate"
  echo "seq-read-1M-warm $(echo "$SEQ_MB / $(t dd if=$D/seq of=/dev/null bs=1M)" | bc -l) MiB/s rate"
  echo "rand-read-4k-buffered $(fio_bw $D/seq '') MiB/s rate"
  echo "rand-read-4k-direct $(fio_bw $D/seq '--direct=1') MiB/s rate"
  rm -f $D/seq
  mkdir -p $D/small
  echo "create-10k-4k $(t bash -c "for d in \$(seq 1 100); do mkdir $D/small/d\$d; for f in \$(seq 1 100); do printf '%4096s' > $D/small/d\$d/f\$f; done; done") s time"
  echo "stat-10k-first $(t bash -c "find $D/small -type f -printf '%s %i %m\n' > /dev/null") s time"
  echo "stat-10k-warm $(t bash -c "find $D/small -type f -printf '%s %i %m\n' > /dev/null") s time"
  echo "read-10k $(t bash -c "find $D/small -type f -print0 | xargs -0 cat > /dev/null") s time"
  drop_caches; echo "stat-10k-cold $(t bash -c "find $D/small -type f -printf '%s %i %m\n' > /dev/null") s time"
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
  for _ in $(seq 1 "$REPS"); do suite "$WORK/mnt" | sed "s/^/$label /" >> "$WORK/results"; done
  kill -TERM $PID; wait $PID || true; PID=
}

: > "$WORK/results"
for _ in $(seq 1 "$REPS"); do suite "$WORK/backing" | sed "s/^/native /" >> "$WORK/results"; done
X3=(--filter PassThrough --filter PassThrough --filter PassThrough)
run_mount nofilter --transport dev-fuse
run_mount nofilter-uring --transport io_uring
run_mount nofilter-nocache --transport dev-fuse --no-cache
run_mount passthrough-x3 --transport dev-fuse "${X3[@]}"
run_mount passthrough-x3-uring --transport io_uring "${X3[@]}"
run_mount stable-x3-uring --transport io_uring "${STABLE[@]}"
run_mount xor-skipcached --transport dev-fuse --filter "$WORK/xor.json"

echo "kernel $(uname -r), $(nproc) CPUs; backing: fresh ext4 on $LOOP; medians of $REPS; ratios: 1.00 = native, higher is better"
sort -k1,1 -k2,2 -k3,3g "$WORK/results" > "$WORK/sorted"
awk '
  NR == FNR { if (!($2 in seen)) { seen[$2]=1; order[n++]=$2 } next }   # the suite order, from the unsorted results
  { k = $1" "$2; all[k, ++cnt[k]] = $3; unit[$2]=$4; kind[$2]=$5 }
  END {
    for (k in cnt) v[k] = all[k, int((cnt[k] + 1) / 2)];   # the median (sorted numerically above)
    m = split("nofilter nofilter-uring nofilter-nocache passthrough-x3 passthrough-x3-uring stable-x3-uring xor-skipcached", cfg, " ");
    printf "%-22s %-6s %9s", "workload", "unit", "native";
    split("no-filter,dev-fuse no-filter,io_uring no-filter,no-cache x3,dev-fuse x3,io_uring x3-stable,io_uring XOR-skip-cached", head, " ");
    for (c = 1; c <= m; c++) printf " %19s", head[c];
    printf " %12s\n", "x3/no-cache";
    for (i = 0; i < n; i++) { w = order[i]; nat = v["native " w];
      printf "%-22s %-6s %9.3f", w, unit[w], nat;
      for (c = 1; c <= m; c++) { x = v[cfg[c] " " w]; r = (kind[w] == "rate") ? x / nat : nat / x;
        printf " %10.3f (%5.3fx)", x, r }
      base = v["nofilter-nocache " w]; x3 = v["passthrough-x3 " w];
      printf " %11.2fx\n", (kind[w] == "rate") ? x3 / base : base / x3 } }' "$WORK/results" "$WORK/sorted"
