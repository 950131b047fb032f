#!/usr/bin/env bash
# Cell-classifier throughput on this machine: decode + preprocess µs per cell, and ONNX Runtime cells/s for
# batch 1, 8, 32, 64, 128 x intra-op threads 1 and 2 (warm-up first, direct buffers reused). Prints markdown.
#
#   load-tests/cell-throughput.sh                       # 256 PBC images, the model in the jar
#   load-tests/cell-throughput.sh --images DIR --model target/cell-model/cell-classifier.onnx --seconds 5
#
# Extra arguments go to `hemastream bench-cells` (see `java -jar target/hemastream.jar bench-cells --help`).
# Numbers compare only within one run on one machine; stop other CPU-heavy work first.
set -euo pipefail
cd "$(dirname "$0")/.."

# ONNX Runtime 1.29+ starts Microsoft telemetry on Linux unless this is set; harmless for 1.28.
export ORT_DISABLE_TELEMETRY=1

JAR=target/hemastream.jar
if [[ ! -f "$JAR" ]]; then
  ./mvnw -q -o package -DskipTests || ./mvnw -q package -DskipTests
fi

DATASETS="${DATASETS:-../shared/datasets}"
if [[ " $* " != *" --images "* && " $* " != *" --manifest "* ]]; then
  set -- --manifest "$DATASETS/pbc_wbcatt/manifest.csv" "$@"
fi
exec java -jar "$JAR" bench-cells "$@"
