#!/usr/bin/env bash
# Data filters and the page cache (issue 13, part 3): sequential reads and writes of one file, on a fresh ext4 on a
# loop device, natively and through a mount with no filter, with an XOR data filter that sets SKIP_CACHED_IO (the
# page cache is kept: it holds plaintext, the filter sees paging reads and non-cached writes), and with the same
# filter without it (every open reads through the filter), and with the swapBuffers sample: copying only (the WDK
# sample: it sees every read, so the cache is dropped at each open) and encrypting with AES-256-CTR on paging I/O
# (Encryption=1: SKIP_CACHED_IO, the page cache holds plaintext). Each figure is also printed as a ratio to native
# (1.00 = native speed). Each figure is the median of REPS runs (default 3). Needs root (mount, losetup, drop_caches).
# Usage: sudo bench/cached-io.sh [MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
MIB=${1:-1024}
REPS=${REPS:-3}
WORK=$(mktemp -d /var/tmp/altitude-cachedio.XXXXXX)
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
dotnet build bench/Altitude.XorFilter -c Release -v q -nologo >/dev/null
dotnet build samples/SwapBuffers -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
FILTER=$PWD/artifacts/bin/Altitude.XorFilter/release/Altitude.XorFilter.dll
SWAP=$PWD/artifacts/bin/SwapBuffers/release/SwapBuffers.dll
mkdir -p "$WORK/backing" "$WORK/mnt"
. bench/lib/ext4-loop.sh
ext4_loop_mount $((MIB * 3))M
PID=
trap bench_cleanup EXIT

swapbuffers() {   # $1 = Encryption value: a package for the swapBuffers sample (with a fresh key file)
  head -c 32 /dev/urandom > "$WORK/key"; chmod 600 "$WORK/key"
  cat > "$WORK/swap-$1.json" <<JSON
{ "Name": "SwapBuffers", "Assembly": "$SWAP", "Class": "Altitude.Samples.SwapBuffers.SwapBuffersFilter", "StartType": "Auto",
  "Instances": [ { "Name": "SwapBuffers Instance", "Altitude": "141000", "Flags": 0 } ],
  "Parameters": { "Encryption": "$1", "KeyFile": "$WORK/key" } }
JSON
  echo "$WORK/swap-$1.json"
}
mibs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$MIB / ($e - $s)" | bc -l; }

suite() {   # $1 = label, $2 = directory: write, cold read, warm read (MiB/s)
  local f="$2/seq"
  echo "$1 write $(mibs dd if=/dev/zero of="$f" bs=1M count="$MIB" conv=fsync)"
  drop_caches
  echo "$1 read-cold $(mibs dd if="$f" of=/dev/null bs=1M)"
  echo "$1 read-warm $(mibs dd if="$f" of=/dev/null bs=1M)"
  case "$1" in xor-*|swap-aes) ! cmp -s <(head -c 4096 "$WORK/backing/seq") <(head -c 4096 /dev/zero) || echo "$1: the backing file holds plaintext" >&2;; esac
  [ "$1" = native ] || cmp -s <(head -c 1048576 "$f") <(head -c 1048576 /dev/zero) || echo "$1 DATA MISMATCH through the mount" >&2
  rm -f "$f"
}

run_mount() {   # $1 = label, rest = fltmgrd options
  local label=$1; shift
  dotnet $DAEMON --volume "$WORK/backing:$WORK/mnt" "$@" > "$WORK/daemon.log" 2>&1 &
  PID=$!
  wait_for_line "$WORK/daemon.log" serving
  for _ in $(seq 1 "$REPS"); do suite "$label" "$WORK/mnt" >> "$WORK/results"; done
  kill -TERM "$PID"; wait "$PID" || true; PID=
}

: > "$WORK/results"
for _ in $(seq 1 "$REPS"); do suite native "$WORK/backing" >> "$WORK/results"; done
run_mount no-filter
run_mount xor-skip-cached --filter "$(xor_manifest "$WORK/xor-1.json" "$FILTER" 1)"
run_mount xor-every-read --filter "$(xor_manifest "$WORK/xor-0.json" "$FILTER" 0)"
run_mount swap-copy --filter "$(swapbuffers 0)"
run_mount swap-aes --filter "$(swapbuffers 1)"

echo "kernel $(uname -r), $(nproc) CPUs; backing: fresh ext4 on $LOOP; one ${MIB} MiB file, dd bs=1M; MiB/s (ratio to native)"
sort -k1,1 -k2,2 -k3,3g "$WORK/results" | awk -v reps="$REPS" '
  { k = $1" "$2; all[k, ++cnt[k]] = $3; if (!($1 in s)) { s[$1] = 1; order[$1] = NR } }
  END { for (k in cnt) v[k] = all[k, int((cnt[k] + 1) / 2)];   # the median (sorted numerically above)
    n = split("native no-filter xor-skip-cached xor-every-read swap-copy swap-aes", cfg, " ");
    printf "%-16s %18s %18s %18s\n", "configuration", "write", "read-cold", "read-warm";
    for (i = 1; i <= n; i++) { c = cfg[i]; printf "%-16s", c;
      split("write read-cold read-warm", w, " ");
      for (j = 1; j <= 3; j++) printf " %10.0f (%4.2fx)", v[c" "w[j]], v[c" "w[j]] / v["native "w[j]];
      printf "\n" } }'
