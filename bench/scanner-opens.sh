#!/usr/bin/env bash
# The Scanner sample's cost per open, in one run on a fresh ext4 (loop device): 10,000 open+read+close of small .txt
# files through the mount with Scanner loaded and scanuser connected (every open is one scan round trip: filter I/O read
# of the first 1024 bytes, FltSendMessage, scanuser's reply), then the same opens with the filter unloaded (same daemon,
# same mount, `fltmc unload Scanner`). The opener is one python3 process (os.open/os.read/os.close in a loop, ~1 us of
# its own per open), so the figures are the mount's, not process start-up's. Prints both rates, the ratio, and
# (time with - time without) / opens, the added latency of one scan round trip.
# Needs root (mount(2), losetup). Usage: sudo bench/scanner-opens.sh [OPENS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 (the opener)" >&2; exit 1; }
OPENS=${1:-10000}
FILES=1000
LOCK=/tmp/altitude-build.lock
WORK=$(mktemp -d /var/tmp/altitude-scanner.XXXXXX)
for p in src/fltmgrd src/fltmc samples/Scanner samples/Scanner/User; do flock "$LOCK" dotnet build "$p" -c Release -v q -nologo >/dev/null; done
BIN=$PWD/artifacts/bin
mkdir -p "$WORK/backing" "$WORK/mnt" "$WORK/run"
. bench/lib/ext4-loop.sh
ext4_loop_mount 1G
PID=
SCANPID=
cleanup() {
  [ -n "$SCANPID" ] && kill -TERM "$SCANPID" 2>/dev/null || true
  bench_cleanup
}
trap cleanup EXIT

for i in $(seq -w 0 $((FILES - 1))); do echo "a clean file number $i" > "$WORK/backing/f$i.txt"; done

dotnet "$BIN/fltmgrd/release/fltmgrd.dll" --runtime-directory "$WORK/run" --volume "$WORK/backing:$WORK/mnt" \
  --filter "$BIN/Scanner/release/Scanner.filter.json" > "$WORK/daemon.log" 2>&1 &
PID=$!
wait_for_line "$WORK/daemon.log" serving
ALTITUDE_PORT_DIRECTORY="$WORK/run/ports" dotnet "$BIN/scanuser/release/scanuser.dll" > "$WORK/scanuser.log" 2>&1 &
SCANPID=$!
wait_for_line "$WORK/scanuser.log" 'Scanner: Port ='

OPENER='
import os, sys, time
d, n, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = [os.path.join(d, "f%0*d.txt" % (len(str(files - 1)), i)) for i in range(files)]
for p in names[:50]:                      # warm-up: lookups cached, JIT of the daemon warm
    fd = os.open(p, os.O_RDONLY); os.read(fd, 64); os.close(fd)
t = time.perf_counter()
for i in range(n):
    fd = os.open(names[i % files], os.O_RDONLY); os.read(fd, 64); os.close(fd)
print("%.6f" % (time.perf_counter() - t))'

run() { python3 -c "$OPENER" "$WORK/mnt" "$OPENS" "$FILES"; }

WITH=$(run)
RECEIVED=$(grep -c '^Received message' "$WORK/scanuser.log" || true)
dotnet "$BIN/fltmc/release/fltmc.dll" --control "$WORK/run/control" unload Scanner >/dev/null
wait "$SCANPID" || true   # scanuser: port disconnected, All done
SCANPID=
WITHOUT=$(run)

python3 - "$OPENS" "$WITH" "$WITHOUT" "$RECEIVED" <<'PY'
import sys
n, w, wo, rec = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print("%-28s %6d opens in %7.3f s = %8.0f opens/s (%.1f us/open)" % ("Scanner + scanuser (5x2)", n, w, n / w, w / n * 1e6))
print("%-28s %6d opens in %7.3f s = %8.0f opens/s (%.1f us/open)" % ("filter unloaded", n, wo, n / wo, wo / n * 1e6))
print("ratio (with / without time): %.2fx; added per open (one scan round trip): %.1f us" % (w / wo, (w - wo) / n * 1e6))
print("scanuser received %d messages (the %d timed opens plus 50 warm-up)" % (rec, n))
PY
