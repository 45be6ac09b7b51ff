#!/usr/bin/env bash
# Port round trips between two processes next to a raw SOCK_SEQPACKET ping-pong, then the isolation case
# (issue 10: one client's round trips alone and with misbehaving neighbours on the same port) (docs/benchmarks.md).
# Usage: bench/port-bench.sh [seconds per throughput run [latency|raw|port|async|isolation]]
# Runs the whole comparison twice with fixed placements (taskset): both processes on CPU 0 ("same core"), and the
# filter side on CPU 0 with the user-mode side on CPU 1 ("split"). Left to the scheduler, the raw ping-pong flips
# between the two from run to run (p50 about 10 us vs 50 us here), which makes unpinned ratios meaningless.
# In the isolation case the neighbours' processes have the user-mode side's placement too.
# Every dotnet command holds /tmp/altitude-build.lock, so no build shares the CPUs with a measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=/tmp/altitude-build.lock
flock "$LOCK" dotnet build bench/Altitude.PortBench -c Release -v quiet -nologo >/dev/null
BIN=artifacts/bin/Altitude.PortBench/release/Altitude.PortBench.dll
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then exec flock "$LOCK" dotnet "$BIN" "$@"; fi
echo "== same core: filter and user-mode process both on CPU 0"
PORTBENCH_CHILD_CPU=0 flock "$LOCK" taskset -c 0 dotnet "$BIN" "$@"
echo
echo "== split: filter on CPU 0, user-mode process on CPU 1"
PORTBENCH_CHILD_CPU=1 flock "$LOCK" taskset -c 0 dotnet "$BIN" "$@"
