#!/usr/bin/env bash
# Why warm reads through a FUSE mount's page cache trail ext4's (issue 13, part 3): the folio sizes each page cache
# holds (the kernel tracepoint filemap:mm_filemap_add_to_page_cache, by order: 0 = 4 KiB) after a write and after a
# cold read, natively and through a mount with the XOR SKIP_CACHED_IO filter, then ROUNDS warm reads alternating
# between the two (the first re-read after a cold read activates every folio on the LRU: dearer with 4 KiB ones) and
# the FUSE requests one warm read sends. Fresh ext4 on a loop device; needs root and perf.
# Usage: sudo bench/page-cache.sh [MIB] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "needs perf (Debian: linux-perf)" >&2; exit 1; }
MIB=${1:-512}
ROUNDS=${2:-8}
WORK=$(mktemp -d /var/tmp/altitude-pagecache.XXXXXX)
dotnet build src/fltmgrd -c Release -v q -nologo >/dev/null
dotnet build bench/Altitude.XorFilter -c Release -v q -nologo >/dev/null
DAEMON=artifacts/bin/fltmgrd/release/fltmgrd.dll
FILTER=$PWD/artifacts/bin/Altitude.XorFilter/release/Altitude.XorFilter.dll
mkdir -p "$WORK/backing" "$WORK/mnt"
. bench/lib/ext4-loop.sh
ext4_loop_mount $((MIB * 3))M
PID=
trap bench_cleanup EXIT
orders() {   # the folios a command adds to page caches, by order
  perf record -q -e filemap:mm_filemap_add_to_page_cache -o "$WORK/orders.data" -- "$@" >/dev/null 2>&1
  perf script -i "$WORK/orders.data" 2>/dev/null | grep -o "order=[0-9]*" | sort -t= -k2n | uniq -c | awk '{ printf "%s×%s ", $2, $1 }'
}
mibs() { dd if="$1" of=/dev/null bs=1M 2>&1 | awk -v m="$MIB" '/copied/ { printf "%.0f", m / $8 }'; }

echo "native write: $(orders dd if=/dev/zero of="$WORK/backing/native" bs=1M count="$MIB" conv=fsync)"
drop_caches
echo "native cold read: $(orders dd if="$WORK/backing/native" of=/dev/null bs=1M)"
dotnet $DAEMON --volume "$WORK/backing:$WORK/mnt" --filter "$(xor_manifest "$WORK/xor.json" "$FILTER")" > "$WORK/daemon.log" 2>&1 &
PID=$!
wait_for_line "$WORK/daemon.log" serving
echo "mount read-ahead: $(cat /sys/class/bdi/"$(mountpoint -d "$WORK/mnt")"/read_ahead_kb) KiB; backing device's: $(cat /sys/class/bdi/"$(mountpoint -d "$WORK/backing")"/read_ahead_kb) KiB"
echo "XOR mount write: $(orders dd if=/dev/zero of="$WORK/mnt/seq" bs=1M count="$MIB" conv=fsync)"
drop_caches
echo "XOR mount cold read: $(orders dd if="$WORK/mnt/seq" of=/dev/null bs=1M)"
dd if="$WORK/backing/native" of=/dev/null bs=1M status=none
echo "first warm read (MiB/s): native $(mibs "$WORK/backing/native") XOR mount $(mibs "$WORK/mnt/seq")"
: > "$WORK/native"; : > "$WORK/fuse"
for _ in $(seq 1 "$ROUNDS"); do mibs "$WORK/backing/native" >> "$WORK/native"; echo >> "$WORK/native"; mibs "$WORK/mnt/seq" >> "$WORK/fuse"; echo >> "$WORK/fuse"; done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
n=$(median "$WORK/native"); f=$(median "$WORK/fuse")
echo "later warm reads, median of $ROUNDS (MiB/s): native $n XOR mount $f ($(echo "scale=2; $f / $n" | bc -l)x)"
echo "FUSE requests of one warm read: $(perf stat -x, -e fuse:fuse_request_send -- dd if="$WORK/mnt/seq" of=/dev/null bs=1M 2>&1 | awk -F, '/fuse_request_send/ { print $1 }')"
kill -TERM "$PID"; wait "$PID" || true; PID=
