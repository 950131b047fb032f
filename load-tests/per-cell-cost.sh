#!/usr/bin/env bash
# CPU per cell: the service process against the compute floor, from one run (issue 10).
#
#   load-tests/per-cell-cost.sh                 # 4 rounds of the demo pack (3,960 cells), as issue 10 measured
#   ROUNDS=8 load-tests/per-cell-cost.sh        # 7,920 cells: the JIT's warm-up weighs less
#   EXTRA_RUN_ARGS="--set inference.maxBatch=1" load-tests/per-cell-cost.sh
#
# 1. a broker in its own process; the simulator pre-loads ROUNDS rounds of the demo pack and exits;
# 2. the service (`hemastream-service.jar run`) starts alone on that broker; from /health/ready until every cell is classified its
#    process CPU time (/proc/PID/stat: user + system, every thread: JIT, GC, Kafka clients included) is
#    divided by the cells classified meanwhile; per thread group from /proc/PID/task, per stage from the
#    service's own `hemastream_stage_cpu_seconds_total{stage}` (thread CPU time around each stage). A short
#    run pays the JIT's warm-up (the compiler threads), which a long-running service does not: the report
#    gives the total with and without them. (Measuring only after a warm-up round would miss the parse cost:
#    the service reads pre-loaded input far ahead of classifying it.)
# 3. the compute floor right after, in the same run: `bench-cells` on the same images, CPU time of decode +
#    preprocess (one thread) and of ONNX Runtime at the service's batch size and intra-op threads.
# CPU time, not wall time: the cores are shared, and CPU per cell is the ratio that holds on a busy machine.
# Prints markdown on stdout; logs under target/per-cell-cost/.
set -uo pipefail
cd "$(dirname "$0")/.."
export ORT_DISABLE_TELEMETRY=1

JAR=${JAR:-target/hemastream.jar}                         # broker, simulate, bench-cells
SERVICE_JAR=${SERVICE_JAR:-target/hemastream-service.jar} # the production artifact
[ -f "$JAR" ] && [ -f "$SERVICE_JAR" ] || ./mvnw -q -B package -DskipTests
ROUNDS=${ROUNDS:-4}
BATCH=${BATCH:-32}
EXTRA_RUN_ARGS=${EXTRA_RUN_ARGS:-}
SERVICE_JAVA_OPTS=${SERVICE_JAVA_OPTS:-}
WORK=${WORK:-target/per-cell-cost}
PORT_BASE=${PORT_BASE:-19600}
BS=127.0.0.1:$PORT_BASE
HTTP=$((PORT_BASE + 10))
PACK_CELLS=990
EXPECTED=$((PACK_CELLS * ROUNDS))
TICK=$(getconf CLK_TCK)
rm -rf "$WORK"; mkdir -p "$WORK"
BROKER_PID=""; SVC_PID=""
cleanup() {
  [ -n "$SVC_PID" ] && kill -9 "$SVC_PID" 2>/dev/null
  [ -n "$BROKER_PID" ] && kill -9 "$BROKER_PID" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

cpu_ms() { # process CPU (user + system) of $1 in ms
  awk -v t="$TICK" '{ sub(/.*\) /, ""); print ($12 + $13) * 1000 / t }' "/proc/$1/stat"
}
threads_ms() { # one line per thread: "<name>\t<cpu ms>", names with digits folded into groups
  for f in /proc/"$1"/task/*/stat; do
    awk -v t="$TICK" '{ n = $0; sub(/^[^(]*\(/, "", n); sub(/\) .*/, "", n); gsub(/[0-9]+/, "#", n);
                        s = $0; sub(/.*\) /, "", s); split(s, a, " "); printf "%s\t%.1f\n", n, (a[12] + a[13]) * 1000 / t }' "$f" 2>/dev/null
  done | awk -F'\t' '{ ms[$1] += $2 } END { for (n in ms) printf "%s\t%.1f\n", n, ms[n] }'
}
metrics() { curl -s "http://127.0.0.1:$HTTP/metrics"; }
classified() { metrics | awk '/^hemastream_cells_classified_total/ { s += $2 } END { print s + 0 }'; }

log "broker"
java -Xmx768m -jar "$JAR" broker --data-dir "$WORK/kafka" --port "$PORT_BASE" --controller-port $((PORT_BASE + 1)) \
  --partitions 3 --message-max-bytes 4000000 >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 1 120); do grep -q '^bootstrap.servers=' "$WORK/broker.out" && break; sleep 0.5; done
log "pre-loading $ROUNDS rounds of the demo pack ($EXPECTED cells)"
java -Xmx512m -jar "$JAR" simulate --bootstrap-servers "$BS" --repeat "$ROUNDS" --rate 0 --seed 42 \
  >"$WORK/simulate.out" 2>"$WORK/simulate.log" || { log "simulate failed, see $WORK/simulate.log"; exit 1; }

log "service"
# shellcheck disable=SC2086
java -Xmx1g ${SERVICE_JAVA_OPTS:-} -jar "$SERVICE_JAR" run --bootstrap-servers "$BS" --set http.port=$HTTP --set http.host=127.0.0.1 \
  --set inference.maxBatch="$BATCH" $EXTRA_RUN_ARGS >"$WORK/service.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/health/ready")" = 200 ] && break
  kill -0 "$SVC_PID" 2>/dev/null || { log "service exited, see $WORK/service.log"; exit 1; }
  sleep 0.25
done
CPU0=$(cpu_ms "$SVC_PID"); N0=$(classified); threads_ms "$SVC_PID" >"$WORK/threads0.tsv"; metrics >"$WORK/metrics0.txt"
T0=$(date +%s%3N)
for _ in $(seq 1 1200); do
  N1=$(classified)
  [ "$N1" -ge "$EXPECTED" ] && break
  sleep 0.25
done
CPU1=$(cpu_ms "$SVC_PID"); T1=$(date +%s%3N); threads_ms "$SVC_PID" >"$WORK/threads1.tsv"; metrics >"$WORK/metrics1.txt"
N1=$(classified)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$SVC_PID"; wait "$SVC_PID" 2>/dev/null; SVC_PID=""
kill -TERM "$BROKER_PID"; sleep 2; kill -9 "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null; BROKER_PID=""
CELLS=$((N1 - N0))
[ "$CELLS" -gt 0 ] || { log "no cells classified between ready and the end; see $WORK/service.log"; exit 1; }

log "compute floor (bench-cells, same images)"
java -jar "$JAR" bench-cells --images src/tools/main/resources/demo-pack/images --cells "$PACK_CELLS" --batches "$BATCH" \
  --threads 1 --seconds 6 >"$WORK/bench.md" 2>"$WORK/bench.log"
# the service's decode path; a jar from before issue 10 only has decode + fit + normalise ("total"); a jar with the
# TurboJPEG decoder has a JPEG-decoder column and prints the decoder in force by default last
FLOOR_PREP=$(awk -F'|' '/^\| (decode straight into the tensor|total) / { v = $4 }
  /^\| (imageio|turbojpeg) \| (decode straight into the tensor|total) / { v = $5 } END { gsub(/ /, "", v); print v / 1000 }' "$WORK/bench.md")
FLOOR_ORT=$(awk -F'|' -v b="$BATCH" '$2 ~ /^ *1 *$/ && $3 ~ "^ *" b " *$" { gsub(/ /, "", $6); print $6 }' "$WORK/bench.md")

mean_batch() { # cells per inference batch over the measurement
  awk '/^hemastream_batch_size_(sum|count) / { v[FILENAME, $1] = $2 }
       END { f0 = ARGV[1]; f1 = ARGV[2]; n = v[f1, "hemastream_batch_size_count"] - v[f0, "hemastream_batch_size_count"];
             printf "%.1f", (n > 0 ? (v[f1, "hemastream_batch_size_sum"] - v[f0, "hemastream_batch_size_sum"]) / n : 0) }' \
    "$WORK/metrics0.txt" "$WORK/metrics1.txt"
}
jit_ms() { # CPU of the JIT compiler threads over the measurement
  awk -F'\t' 'NR == FNR { b[$1] = $2; next } $1 ~ /CompilerThre/ { d += $2 - b[$1] } END { print d + 0 }' "$WORK/threads0.tsv" "$WORK/threads1.tsv"
}
stage() { # $1 = stage: CPU seconds spent in it between the two scrapes
  awk -v s="$1" -v f="$WORK/metrics0.txt" 'BEGIN { while ((getline l < f) > 0) if (l ~ "^hemastream_stage_cpu_seconds_total\\{stage=\"" s "\"") { split(l, a, " "); b = a[2] } }
       $0 ~ "^hemastream_stage_cpu_seconds_total\\{stage=\"" s "\"" { print ($2 - b) * 1000 }' "$WORK/metrics1.txt"
}
awk -v cpu0="$CPU0" -v cpu1="$CPU1" -v cells="$CELLS" -v prep="$FLOOR_PREP" -v ort="$FLOOR_ORT" -v wall=$((T1 - T0)) \
    -v rounds="$ROUNDS" -v jit="$(jit_ms)" -v mean_batch="$(mean_batch)" -v batch="$BATCH" -v load="$LOAD" -v args="$EXTRA_RUN_ARGS" \
    -v parse="$(stage parse)" -v decode="$(stage decode)" -v infer="$(stage inference)" -v publish="$(stage publish)" 'BEGIN {
  svc = (cpu1 - cpu0) / cells; floor = prep + ort
  printf "## CPU per cell: service against the compute floor (%d rounds, maxBatch %d%s)\n\n", rounds, batch, args == "" ? "" : ", " args
  printf "Cells classified from /health/ready to the last cell: %d in %.1f s wall (%.0f cells/s), %s cells per batch on average; load average at the end %s.\n\n", cells, wall / 1000, cells / (wall / 1000), mean_batch, load
  printf "| | CPU ms per cell |\n|---|---:|\n"
  printf "| service process (every thread) | **%.3f** |\n", svc
  printf "| service process without the JIT compiler threads (warm-up) | **%.3f** |\n", svc - jit / cells
  if (parse != "") {
    printf "| — parse (event loop: JSON, schema, base64) | %.3f |\n", parse / cells
    printf "| — decode + preprocess (decode workers) | %.3f |\n", decode / cells
    printf "| — inference (ONNX Runtime) | %.3f |\n", infer / cells
    printf "| — publish (results, alerts, state: encode + send) | %.3f |\n", publish / cells
    printf "| — everything else but the JIT (Kafka clients, fetch, GC, bookkeeping) | %.3f |\n", svc - (jit + parse + decode + infer + publish) / cells
  }
  printf "| compute floor: decode + preprocess into the tensor (bench-cells, one thread) | %.3f |\n", prep
  printf "| compute floor: ONNX Runtime, batch %d, 1 intra-op thread | %.3f |\n", batch, ort
  printf "| compute floor: total | **%.3f** |\n\n", floor
  printf "**service / floor = %.2f** (efficiency %.2f); without the JIT warm-up **%.2f**\n", svc / floor, floor / svc, (svc - jit / cells) / floor
}'
echo
echo "Service threads, CPU ms over the measured cells (digits in names folded to #):"
echo
echo '| thread | CPU ms | per cell |'
echo '|---|---:|---:|'
awk -F'\t' -v cells="$CELLS" 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d >= 5) printf "| %s | %.0f | %.3f |\n", $1, d, d / cells }' \
  "$WORK/threads0.tsv" "$WORK/threads1.tsv" | sort -t'|' -k3 -nr
