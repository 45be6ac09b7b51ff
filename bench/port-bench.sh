#!/usr/bin/env bash
# Port round trips between two processes next to a raw SOCK_SEQPACKET ping-pong (docs/benchmarks.md).
# Usage: bench/port-bench.sh [seconds per throughput run]
# Runs the whole comparison twice with fixed placements (taskset): both processes on CPU 0 ("same core"), and the
# filter side on CPU 0 with the user-mode side on CPU 1 ("split"). Left to the scheduler, the raw ping-pong flips
# between the two from run to run (p50 about 10 us vs 50 us here), which makes unpinned ratios meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Altitude.PortBench -c Release -v quiet -nologo >/dev/null
BIN=artifacts/bin/Altitude.PortBench/release/Altitude.PortBench.dll
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then exec dotnet "$BIN" "$@"; fi
echo "== same core: filter and user-mode process both on CPU 0"
PORTBENCH_CHILD_CPU=0 taskset -c 0 dotnet "$BIN" "$@"
echo
echo "== split: filter on CPU 0, user-mode process on CPU 1"
PORTBENCH_CHILD_CPU=1 taskset -c 0 dotnet "$BIN" "$@"
