# Sourced by the benchmarks that measure file-system ratios: a fresh ext4 on a loop device (a ratio depends on its
# native baseline, and the root file system is not a fresh one), mounted at $WORK/backing, and the teardown that
# leaves nothing mounted or attached. Also the wait for a line in a log (a daemon's "serving", a client's ready line), the
# io_uring switch (uring_enable), the EXIT trap every benchmark sets (bench_cleanup), dropping the page cache
# (drop_caches) and the XOR data filter's package (xor_manifest).

# ext4_loop_mount SIZE: a SIZE (truncate(1) units) image in $WORK, formatted and mounted at $WORK/backing; sets LOOP.
ext4_loop_mount() {
  truncate -s "$1" "$WORK/ext4.img"
  # No lazy init: ext4lazyinit zeroing inode tables in the background would slow whichever configuration runs first.
  mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/ext4.img"
  LOOP=$(losetup --find --show "$WORK/ext4.img")
  mount "$LOOP" "$WORK/backing"
}

# ext4_loop_release: unmounts $WORK/mnt and $WORK/backing, detaches $LOOP and removes $WORK (for an EXIT trap: never fails).
ext4_loop_release() {
  umount "$WORK/mnt" 2>/dev/null || true
  umount "$WORK/backing" 2>/dev/null || true
  [ -n "${LOOP:-}" ] && losetup -d "$LOOP" 2>/dev/null || true
  rm -rf "$WORK"
}

# wait_for_line FILE PATTERN: until grep finds PATTERN in FILE (up to 20 s); otherwise prints FILE and fails.
wait_for_line() {
  for _ in $(seq 1 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  cat "$1"
  return 1
}

# uring_enable: turns FUSE over io_uring on for the run (root), remembering the old value for bench_cleanup; sets
# URING_WAS, empty when this kernel has no FUSE over io_uring.
URING=/sys/module/fuse/parameters/enable_uring
URING_WAS=
uring_enable() {
  URING_WAS=$(cat "$URING" 2>/dev/null || echo)
  [ -n "$URING_WAS" ] && echo 1 > "$URING"
  return 0
}

# bench_cleanup: the EXIT trap of the benchmarks: stops the daemon in $PID (SIGTERM: a background job has SIGINT
# ignored), releases the loop device and $WORK, and puts enable_uring back.
bench_cleanup() {
  [ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  ext4_loop_release
  [ -n "$URING_WAS" ] && echo "$URING_WAS" > "$URING" 2>/dev/null || true
}

# drop_caches: writes back and drops every page cache (the next read of a file is cold, natively and through a mount).
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# xor_manifest FILE ASSEMBLY [SKIP_CACHED_IO]: writes the package of bench/Altitude.XorFilter (ASSEMBLY: its built dll)
# at 141000 to FILE, with its SkipCachedIo parameter (default 1: the page cache is kept) and prints FILE.
xor_manifest() {
  cat > "$1" <<JSON
{ "Name": "Xor", "Assembly": "$2", "Class": "Altitude.Bench.XorFilter.XorFilter", "StartType": "Auto",
  "Instances": [ { "Name": "Xor Instance", "Altitude": "141000", "Flags": 0 } ], "Parameters": { "SkipCachedIo": "${3:-1}" } }
JSON
  echo "$1"
}
