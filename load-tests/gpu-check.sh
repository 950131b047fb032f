#!/usr/bin/env bash
# For a session lent a GPU machine (the `device` tool): one prepared script that builds the -Pgpu jar
# (ONNX Runtime's CUDA artifact), checks that the CUDA execution provider really loads, and measures
# cells/s per batch size on CPU and CUDA in the same run. Nothing in the build or tests needs a GPU.
#
#   load-tests/gpu-check.sh            # writes $OUT/gpu-check.md when $OUT is set, else target/gpu-check.md
set -euo pipefail
cd "$(dirname "$0")/.."
export ORT_DISABLE_TELEMETRY=1
OUT_DIR="${OUT:-target}"
mkdir -p "$OUT_DIR"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
./mvnw -q -B -Pgpu package -DskipTests
IMAGES=src/service/test/resources/parity/images
{
  echo "# GPU check ($(date -u +%FT%TZ))"; echo; cat "$OUT_DIR/gpu.txt"; echo
  echo "## CUDA"; java -jar target/hemastream.jar bench-cells --images "$IMAGES" --execution-provider cuda \
      --batches 1,8,32,64,128 --threads 1 --seconds 5
  echo "## CPU, same machine"; java -jar target/hemastream.jar bench-cells --images "$IMAGES" --execution-provider cpu \
      --batches 1,32,128 --threads 1,2 --seconds 5
} 2>"$OUT_DIR/gpu-check.log" | tee "$OUT_DIR/gpu-check.md"
