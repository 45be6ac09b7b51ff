#!/usr/bin/env bash
# Port round trips between two processes next to a raw SOCK_SEQPACKET ping-pong (docs/benchmarks.md).
# Usage: bench/port-bench.sh [seconds per throughput run]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Altitude.PortBench -c Release -v quiet -nologo >/dev/null
exec dotnet artifacts/bin/Altitude.PortBench/release/Altitude.PortBench.dll "$@"
