#!/usr/bin/env bash
# The fault suite: hemastream started as an operator would (java -jar target/hemastream.jar broker|
# simulate|poison|verify-outputs as separate processes; the service itself from the production jar,
# java -jar target/hemastream-service.jar run), real faults (kill -9, SIGTERM, a broker killed
# and restarted on its own data, instances killed and added, a poison storm), and an independent
# verifier (read_committed) that compares every output with a run without faults.
#
#   load-tests/faults/run.sh --short        # CI: baseline + service kill -9 + SIGTERM, 3 specimens, 54 poison records
#   load-tests/faults/run.sh                # full: every scenario below, 8 specimens + 10,000 poison records each,
#                                           # writes load-tests/faults-report.md
#   load-tests/faults/run.sh --scenario kill9-mid --scenario sigterm   # chosen scenarios (after the baseline)
#
# Scenarios: kill9-early kill9-mid kill9-late sigterm broker-kill9-10s broker-kill9-10min three-instances
#            poison-storm   (broker-kill9-10min runs only with --long)
#            cluster-broker-kill9  (only when named: three broker processes, one KRaft cluster; the transaction
#            coordinator is killed with kill -9 mid-stream and never restarted)
#            service-freeze broker-freeze service-freeze-single   (kill -STOP / -CONT: a zombie, a partition)
#
# Environment (hooks for settings that may not exist in every version of the service):
#   EXTRA_RUN_ARGS   added to every `run`, e.g. "--set processing.guarantee=exactly_once"
#   INSTANCE_ARGS    added to instance number N with {i} replaced by N, e.g. "--set kafka.group.instance.id=hemastream-{i}"
#   VERIFY_ARGS      added to every `verify-outputs` with a baseline, e.g. "--allow-duplicates" for at_least_once
#   FAULTS_WORK      working folder (default target/faults); logs of every process stay there
#   FAULTS_PORT_BASE first port to use on 127.0.0.1 (default 19400)
#   FREEZE_S         service-freeze: seconds instance 0 stays stopped (default 52: past the 45 s session timeout, so
#                    the group hands its partitions over, and inside the 60 s transaction timeout, so its open
#                    transaction is still open when it wakes); BROKER_FREEZE_S (default 40), SINGLE_FREEZE_S (60)
set -uo pipefail
cd "$(dirname "$0")/../.."
export ORT_DISABLE_TELEMETRY=1

ORIG_ARGS="$*"
MODE=full
LONG=0
SCENARIOS=()
REPORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --short) MODE=short ;;
    --long) LONG=1 ;;
    --scenario) SCENARIOS+=("$2"); shift ;;
    --report) REPORT="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

JAR=target/hemastream.jar
SERVICE_JAR=target/hemastream-service.jar
[ -f "$JAR" ] && [ -f "$SERVICE_JAR" ] || ./mvnw -q -B package -DskipTests
WORK=${FAULTS_WORK:-target/faults}
PORT_BASE=${FAULTS_PORT_BASE:-19400}
EXTRA_RUN_ARGS=${EXTRA_RUN_ARGS:-}
INSTANCE_ARGS=${INSTANCE_ARGS:-}
VERIFY_ARGS=${VERIFY_ARGS:-}
GROUP=hemastream

if [ "$MODE" = short ]; then
  SPECIMENS=DEMO-AML-92,DEMO-NORMAL-03
  CELLS=232
  POISON=54
  RATE=60
  [ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(kill9-mid sigterm)
  REPORT=${REPORT:-$WORK/faults-short-report.md}
else
  SPECIMENS=""
  CELLS=990
  POISON=10000
  RATE=80
  if [ ${#SCENARIOS[@]} -eq 0 ]; then
    SCENARIOS=(kill9-early kill9-mid kill9-late sigterm broker-kill9-10s broker-kill9-10min three-instances poison-storm)
    SCENARIOS+=(service-freeze broker-freeze service-freeze-single)
  fi
  REPORT=${REPORT:-load-tests/faults-report.md}
fi
# The analyzer line keeps trying however long the broker is away: inputs must all arrive, whatever the fault.
PRODUCER_ARGS=(--producer-property max.block.ms=1800000 --producer-property delivery.timeout.ms=1800000)
SIM_ARGS=(--rate "$RATE" --parallel 3 --seed 42 "${PRODUCER_ARGS[@]}")
[ -n "$SPECIMENS" ] && SIM_ARGS+=(--specimen "$SPECIMENS")

rm -rf "$WORK"; mkdir -p "$WORK"
BROKER_PORT=$PORT_BASE
CONTROLLER_PORT=$((PORT_BASE + 1))
BS=127.0.0.1:$BROKER_PORT
declare -A SVC_PID=()
BROKER_PID=""
SIM_PID=""
POISON_PID=""

now_ms() { date +%s%3N; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

cleanup_all() {
  for i in "${!SVC_PID[@]}"; do kill -9 "${SVC_PID[$i]}" 2>/dev/null; done
  for p in "$SIM_PID" "$POISON_PID" "$BROKER_PID" "${CLUSTER_PID[@]}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  SVC_PID=(); BROKER_PID=""; SIM_PID=""; POISON_PID=""
}
trap cleanup_all EXIT

start_broker() { # $1 = scenario dir; restarts on the data when it exists
  local dir=$1
  : > "$dir/broker.out"
  java -Xmx768m -jar "$JAR" broker --data-dir "$dir/kafka" --port "$BROKER_PORT" --controller-port "$CONTROLLER_PORT" \
    --partitions 3 --message-max-bytes 4000000 >>"$dir/broker.out" 2>>"$dir/broker.log" &
  BROKER_PID=$!
  for _ in $(seq 1 120); do
    grep -q '^bootstrap.servers=' "$dir/broker.out" && return 0
    kill -0 "$BROKER_PID" 2>/dev/null || { log "broker exited; see $dir/broker.log"; return 1; }
    sleep 0.5
  done
  log "broker did not start in 60 s"; return 1
}

# A three-node cluster: one `broker --node-id N --quorum ... --cluster-id ...` process per node, PLAINTEXT on
# PORT_BASE+41..43, CONTROLLER on PORT_BASE+51..53; clients (service, inputs, verifier) bootstrap from all three.
declare -A CLUSTER_PID=()
start_cluster() { # $1 = scenario dir
  local dir=$1 i quorum="" cid
  cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  for i in 1 2 3; do quorum+="${quorum:+,}$i@127.0.0.1:$((PORT_BASE + 50 + i))"; done
  for i in 1 2 3; do
    : > "$dir/broker-$i.out"
    java -Xmx768m -jar "$JAR" broker --node-id "$i" --quorum "$quorum" --cluster-id "$cid" --data-dir "$dir/kafka-$i" \
      --port $((PORT_BASE + 40 + i)) --partitions 3 --message-max-bytes 4000000 \
      >>"$dir/broker-$i.out" 2>>"$dir/broker-$i.log" &
    CLUSTER_PID[$i]=$!
  done
  BS=127.0.0.1:$((PORT_BASE + 41)),127.0.0.1:$((PORT_BASE + 42)),127.0.0.1:$((PORT_BASE + 43))
  for _ in $(seq 1 180); do
    [ "$(cat "$dir"/broker-?.out | grep -c '^bootstrap.servers=')" = 3 ] && return 0
    for i in 1 2 3; do kill -0 "${CLUSTER_PID[$i]}" 2>/dev/null || { log "broker node $i exited; see $dir/broker-$i.log"; return 1; }; done
    sleep 0.5
  done
  log "cluster did not start in 90 s"; return 1
}

stop_cluster() { # SIGTERM every node at once (one by one, the last would wait for a quorum that is gone)
  [ ${#CLUSTER_PID[@]} -eq 0 ] && return
  for i in "${!CLUSTER_PID[@]}"; do kill -TERM "${CLUSTER_PID[$i]}" 2>/dev/null; done
  sleep 5
  for i in "${!CLUSTER_PID[@]}"; do kill -9 "${CLUSTER_PID[$i]}" 2>/dev/null; done
  wait 2>/dev/null
  CLUSTER_PID=()
  BS=127.0.0.1:$BROKER_PORT
}

kill_cluster_victim() { # $1 = scenario dir: kill -9 the transaction coordinator (see ClusterVictim.java), never restarted
  local dir=$1 victim
  java -cp "$JAR" load-tests/faults/ClusterVictim.java "$BS" >"$dir/victim.out" 2>"$dir/victim.log"
  victim=$(sed -n 's/^victim=//p' "$dir/victim.out")
  [ -n "$victim" ] && [ -n "${CLUSTER_PID[$victim]:-}" ] || { log "no victim found; see $dir/victim.log"; victim=1; }
  log "kill -9 broker node $victim: $(grep "^node=$victim " "$dir/victim.out")"
  kill -9 "${CLUSTER_PID[$victim]}"; wait "${CLUSTER_PID[$victim]}" 2>/dev/null; unset "CLUSTER_PID[$victim]"
  VICTIM_NOTE="3-node cluster; kill -9 node $victim ($(grep "^node=$victim " "$dir/victim.out" | cut -d' ' -f2-), transaction coordinator), not restarted"
}

start_service() { # $1 = scenario dir, $2 = instance number
  local dir=$1 i=$2 port args
  port=$((PORT_BASE + 10 + i))
  args=${INSTANCE_ARGS//\{i\}/$i}
  # shellcheck disable=SC2086
  java -Xmx1g -jar "$SERVICE_JAR" run --bootstrap-servers "$BS" --set http.port=$port --set http.host=127.0.0.1 \
    $EXTRA_RUN_ARGS $args >>"$dir/service-$i.log" 2>&1 &
  SVC_PID[$i]=$!
}

await_ready() { # $1 = instance number, $2 = seconds
  local port=$((PORT_BASE + 10 + $1))
  for _ in $(seq 1 $(($2 * 2))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ] && return 0
    kill -0 "${SVC_PID[$1]}" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

start_inputs() { # $1 = scenario dir: simulator and poison, interleaved, in the background
  local dir=$1
  java -Xmx512m -jar "$JAR" simulate --bootstrap-servers "$BS" "${SIM_ARGS[@]}" >"$dir/simulate.out" 2>"$dir/simulate.log" &
  SIM_PID=$!
  java -Xmx512m -jar "$JAR" poison --bootstrap-servers "$BS" --count "$POISON" --seed 7 "${PRODUCER_ARGS[@]}" \
    >"$dir/poison.out" 2>"$dir/poison.log" &
  POISON_PID=$!
  INPUT_STARTED=$(now_ms)
}

await_inputs() {
  wait "$SIM_PID" || { log "simulate failed (rc $?); see its log"; INPUT_FAILED=1; }
  wait "$POISON_PID" || { log "poison failed (rc $?); see its log"; INPUT_FAILED=1; }
  SIM_PID=""; POISON_PID=""
}

classified_total() { # cells all running instances have classified
  local i n=0
  for i in "${!SVC_PID[@]}"; do n=$((n + $(classified "$i"))); done
  echo "$n"
}

await_classified_total() { # $1 = cells, over all instances; gives up after 120 s
  for _ in $(seq 1 240); do
    [ "$(classified_total)" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.5
  done
  log "the instances did not classify $1 cells in 120 s"
}

# kill -STOP / kill -CONT faults (dynamic scope: sets run_scenario's restart_ms and fault_note). The process keeps
# its sockets and its state and wakes with the clocks moved on, as after a long GC pause, a frozen VM or a
# partition that heals: its peers time it out while it cannot notice.
freeze_fault() { # $1 = scenario
  local pid seconds what
  await_classified_total $((CELLS / 2))
  case "$1" in
    service-freeze) pid=${SVC_PID[0]}; seconds=${FREEZE_S:-52}; what="instance 0 of 2" ;;
    service-freeze-single) pid=${SVC_PID[0]}; seconds=${SINGLE_FREEZE_S:-60}; what="the only instance" ;;
    broker-freeze) pid=$BROKER_PID; seconds=${BROKER_FREEZE_S:-40}; what="the broker" ;;
  esac
  log "kill -STOP $what (pid $pid) for $seconds s"
  kill -STOP "$pid"
  echo "stop_ms=$(now_ms)" >>"$dir/freeze.times"
  sleep "$seconds"
  restart_ms=$(now_ms)
  kill -CONT "$pid"
  echo "cont_ms=$restart_ms" >>"$dir/freeze.times"
  log "kill -CONT $what"
  fault_note="kill -STOP $what for $seconds s, then -CONT (recovery: first output after the -CONT)"
}

classified() { # cells the instance has classified, from its /metrics
  curl -s "http://127.0.0.1:$((PORT_BASE + 10 + $1))/metrics" | awk '/^hemastream_cells_classified_total/ {s+=$2} END {print s+0}'
}

await_classified() { # $1 = instance, $2 = cells; gives up after 120 s
  for _ in $(seq 1 240); do
    [ "$(classified "$1")" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.5
  done
  log "instance $1 did not classify $2 cells in 120 s"
}

sleep_until_input_plus() { # seconds after the inputs started
  local target=$((INPUT_STARTED + $1 * 1000)) left
  left=$((target - $(now_ms)))
  [ $left -gt 0 ] && sleep "$(awk "BEGIN{print $left/1000}")"
}

verify() { # $1 = scenario dir, then extra verifier args
  local dir=$1; shift
  # shellcheck disable=SC2086
  java -Xmx1g -jar "$JAR" verify-outputs --bootstrap-servers "$BS" --await-quiet-s 6 --await-timeout-s 900 --await-stuck-s 90 \
    --group "$GROUP" "$@" >"$dir/verify.out" 2>"$dir/verify.log"
  local rc=$?
  cat "$dir/verify.out" >&2
  return $rc
}

stop_scenario() {
  for i in "${!SVC_PID[@]}"; do kill -TERM "${SVC_PID[$i]}" 2>/dev/null; done
  for i in "${!SVC_PID[@]}"; do
    for _ in $(seq 1 40); do kill -0 "${SVC_PID[$i]}" 2>/dev/null || break; sleep 0.5; done
    kill -9 "${SVC_PID[$i]}" 2>/dev/null
  done
  SVC_PID=()
  [ -n "$BROKER_PID" ] && { kill -TERM "$BROKER_PID" 2>/dev/null; sleep 3; kill -9 "$BROKER_PID" 2>/dev/null; }
  stop_cluster
  wait 2>/dev/null
  BROKER_PID=""
}

identifiers_in_logs() { # $1 = scenario dir: patient-like values the poison carries, found in service logs
  cat "$1"/service-*.log 2>/dev/null | grep -c -e 'DOE JANE' -e 'MRN-00123456' || true
}

ROWS=()
FAILED=0
BASELINE=$WORK/baseline.json.gz

run_scenario() {
  local name=$1 dir=$WORK/$1 restart_ms="" fault_note=""
  mkdir -p "$dir"
  log "scenario $name"
  local started; started=$(now_ms)
  INPUT_FAILED=0
  if [ "$name" = cluster-broker-kill9 ]; then
    start_cluster "$dir" || { ROWS+=("| $name | cluster failed to start | | | | | | | |"); FAILED=1; stop_scenario; return; }
  else
    start_broker "$dir" || { ROWS+=("| $name | broker failed to start | | | | | | | |"); FAILED=1; stop_scenario; return; }
  fi
  start_service "$dir" 0
  if [ "$name" = three-instances ]; then start_service "$dir" 1; start_service "$dir" 2; fi
  [ "$name" = service-freeze ] && start_service "$dir" 1
  await_ready 0 90 || log "instance 0 not ready after 90 s (continuing)"
  [ "$name" = service-freeze ] && { await_ready 1 90 || log "instance 1 not ready after 90 s (continuing)"; }
  start_inputs "$dir"
  case "$name" in
    baseline|poison-storm) ;;
    kill9-early|kill9-mid|kill9-late)
      case "$name" in
        kill9-early) await_classified 0 1 ;;
        kill9-mid) await_classified 0 $((CELLS / 2)) ;;
        kill9-late) await_inputs; sleep 1 ;;
      esac
      log "kill -9 the service"; kill -9 "${SVC_PID[0]}"; wait "${SVC_PID[0]}" 2>/dev/null
      sleep 2; restart_ms=$(now_ms); start_service "$dir" 0; fault_note="service kill -9, restarted after 2 s" ;;
    sigterm)
      await_classified 0 $((CELLS / 2))
      log "SIGTERM the service"; kill -TERM "${SVC_PID[0]}"; wait "${SVC_PID[0]}" 2>/dev/null
      restart_ms=$(now_ms); start_service "$dir" 0; fault_note="SIGTERM, restarted when it exited" ;;
    broker-kill9-10s|broker-kill9-10min)
      local outage=10; [ "$name" = broker-kill9-10min ] && outage=600
      await_classified 0 $((CELLS / 2))
      log "kill -9 the broker for $outage s"; kill -9 "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null
      sleep "$outage"; restart_ms=$(now_ms)
      start_broker "$dir" || log "broker restart failed"
      fault_note="broker kill -9, restarted on its data after $outage s" ;;
    three-instances)
      sleep_until_input_plus 10
      log "kill -9 instance 1, add instance 3"; kill -9 "${SVC_PID[1]}"; wait "${SVC_PID[1]}" 2>/dev/null; unset 'SVC_PID[1]'
      restart_ms=$(now_ms); start_service "$dir" 3; fault_note="3 instances; one kill -9, one added (recovery: first output of any instance after the kill)" ;;
    cluster-broker-kill9)
      await_classified 0 $((CELLS / 2))
      kill_cluster_victim "$dir"; restart_ms=$(now_ms)
      fault_note="$VICTIM_NOTE (recovery: first output after the kill)" ;;
    service-freeze|service-freeze-single|broker-freeze) freeze_fault "$name" ;;
  esac
  [ -n "$SIM_PID" ] && await_inputs
  local verify_args=()
  if [ "$name" = baseline ]; then
    verify_args=(--write-baseline "$BASELINE")
  else
    verify_args=(--baseline "$BASELINE")
    # shellcheck disable=SC2206
    verify_args+=($VERIFY_ARGS)
  fi
  [ -n "$restart_ms" ] && verify_args+=(--first-output-after "$restart_ms")
  verify "$dir" "${verify_args[@]}"; local rc=$?
  local ids; ids=$(identifiers_in_logs "$dir")
  stop_scenario
  local line recovery wall
  line=$(grep '^verdict=' "$dir/verify.out" || echo "verdict=ERROR")
  if [ "$INPUT_FAILED" = 1 ]; then line=${line/verdict=PASS/verdict=INVALID}; line=${line/verdict=FAIL/verdict=INVALID}; rc=1; fi
  recovery=$(sed -n 's/^first_output_after_ms=//p' "$dir/verify.out"); recovery=${recovery:--}
  wall=$((($(now_ms) - started) / 1000))
  field() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  ROWS+=("| $name | ${fault_note:-none} | $(field verdict) | $(field lost) | $(field duplicated) | $(field same_id_different_content) | $(field differs_from_baseline) | $(field extra) | $(field incomplete_specimens) | $recovery | $ids | ${wall} s |")
  if [ $rc -ne 0 ]; then
    FAILED=1
    [ "$name" = baseline ] && { log "the baseline run is not clean (see $dir/verify.out): nothing to compare with"; write_report; exit 1; }
  fi
}

write_report() {
  mkdir -p "$(dirname "$REPORT")"
  {
    echo "# Fault suite ($MODE)"
    echo
    echo "Command: \`load-tests/faults/run.sh $ORIG_ARGS\` · $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores"
    echo "· EXTRA_RUN_ARGS='${EXTRA_RUN_ARGS}' · INSTANCE_ARGS='${INSTANCE_ARGS}' · VERIFY_ARGS='${VERIFY_ARGS}'"
    echo
    echo "Input per scenario: ${SPECIMENS:-all 8 demo-pack specimens} at $RATE cells/s, interleaved with $POISON poison records"
    echo "of 27 kinds (\`poison --seed 7\`). Each scenario: a fresh broker (\`broker --data-dir\`), the service (\`run\`), the"
    echo "inputs, the fault, quiet (outputs still for 6 s and the group caught up, or still for 90 s), then \`verify-outputs\` (read_committed)"
    echo "against the baseline run without faults. Counts are IDs, except duplicated (extra identical copies)."
    echo "Faults hit at a measured point: kill9-early after the first cell is classified, kill9-mid / sigterm / broker"
    echo "kills after half the cells (the service's own /metrics), kill9-late right after the inputs were all sent."
    echo "Recovery: ms from the restart (or the kill, for instances) to the first output record stamped after it."
    echo "IDs in logs: service log lines with the patient-like values some poison records carry."
    echo
    echo "| scenario | fault | verdict | lost | duplicated | same-ID-different-content | differs-from-baseline | extra | incomplete specimens | recovery ms | IDs in logs | wall |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    for s in baseline "${SCENARIOS[@]}"; do
      [ -f "$WORK/$s/verify.out" ] || continue
      echo "<details><summary>$s: verifier output</summary>"
      echo
      sed -n '/^| output/,/^specimens incomplete/p' "$WORK/$s/verify.out"
      if grep -q '^examples' "$WORK/$s/verify.out"; then
        echo; echo '```'; sed -n '/^examples/,/^verdict=/p' "$WORK/$s/verify.out" | grep -v '^verdict=' | head -40; echo '```'
      fi
      echo; echo "</details>"; echo
    done
  } >"$REPORT"
  log "report: $REPORT"
}

run_scenario baseline
for s in "${SCENARIOS[@]}"; do
  if [ "$s" = broker-kill9-10min ] && [ $LONG -eq 0 ]; then
    ROWS+=("| broker-kill9-10min | broker kill -9 for 10 min | not yet run (needs --long, ~13 min) | | | | | | | | | |")
    continue
  fi
  run_scenario "$s"
done
write_report
cat "$REPORT"
exit $FAILED
