#!/usr/bin/env bash
# Streaming load test: the service on the in-JVM broker at rising rates, with the compute floor measured
# in the same run on the same cores. Writes load-tests/streaming-load-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export ORT_DISABLE_TELEMETRY=1
[ -f target/hemastream.jar ] || ./mvnw -q -B package -DskipTests
java -Xmx3g -jar target/hemastream.jar load-test --report load-tests/streaming-load-report.md "$@" 2>load-tests/.streaming-load.log
