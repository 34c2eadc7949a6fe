#!/usr/bin/env bash
# Records through the proxy's ingest routes (issue 28; see bench/README.md, "Ingest").
#
#   bench/ingest.sh [--duration 20] [--connections 16] [--outage 60] [--instance-journal on|off] [--results FILE]
#                   [--note TEXT] [--keep]
#
# Simulated DataStack instances (each stores a record once per Idempotency-Key; with --instance-journal on, the
# default, it also forces its journal to disk per record; off: memory only, to see the proxy's own cost), a control plane and one proxy (plain HTTP listener, access log off, 2 event loops, 256 MiB heap).
# wrk posts small JSON records, every one with its own Idempotency-Key, --connections keep-alive connections for
# --duration seconds, in three rows measured in one run on the same machine:
#   direct    straight to a third instance, c (what one instance takes);
#   ack ONE   through the proxy: journaled (fsync'd), delivered to a and b, answered once the first accepted;
#   ack ALL   through the proxy: answered once both accepted.
# The proxy is warmed up first with --duration seconds of the same load, not measured.
# Then the replay: instance b is killed, wrk posts through the proxy (ack ONE) for --outage seconds, b is started
# again, and the time until the proxy holds nothing for it gives the replay rate. Writes bench/results/ingest.md.
# Needs: wrk curl (Debian packages), a JDK 17, the jars built (control-plane, proxy-service, datastack-sim).
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=ingest
RESULTS="${RESULTS:-$ROOT/bench/results/ingest.md}"
DURATION="${DURATION:-20}"
CONNECTIONS="${CONNECTIONS:-16}"
OUTAGE="${OUTAGE:-60}"
INSTANCE_JOURNAL="${INSTANCE_JOURNAL:-on}"
WRK_THREADS=2
JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseSerialGC}"
SIM_OPTS="-Xms64m -Xmx256m -XX:+UseSerialGC"
KEEP="${KEEP:-0}"
NOTE="${NOTE:-}"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --outage) OUTAGE="$2"; shift 2 ;;
    --instance-journal) INSTANCE_JOURNAL="$2"; shift 2 ;;
    *) common_option "$@"; shift "$TAKEN" ;;
  esac
done

check_count "$DURATION" "--duration"; check_count "$CONNECTIONS" "--connections"; check_count "$OUTAGE" "--outage"
case "$INSTANCE_JOURNAL" in on|off) ;; *) die "--instance-journal is on or off; got '$INSTANCE_JOURNAL'" ;; esac
needs wrk:wrk curl:curl
need_jars
SIM_JAR="$ROOT/datastack-sim/target/quarkus-app/quarkus-run.jar"
[ -f "$SIM_JAR" ] || die "$SIM_JAR is missing: build it (./mvnw -B -o -DskipTests package -pl datastack-sim -am)"

new_run_dir
log "run directory $RUN"
make_tokens

# start_sim NAME PORT: a simulated instance with its journal, on PORT (0: a free one, put in SIM_PORT_<NAME>)
start_sim() {
  local name="$1" port="$2"
  [ "$port" != 0 ] || free_port port
  # shellcheck disable=SC2086
  local journal=()
  [ "$INSTANCE_JOURNAL" = off ] || journal=(-Dsim.journal-file="$RUN/sim-$name.journal")
  java $SIM_OPTS -Dsim.name="$name" -Dsim.host=127.0.0.1 -Dsim.port="$port" -Dsim.feed-interval=0ms \
    "${journal[@]}" -Dquarkus.log.level=WARN -jar "$SIM_JAR" >> "$RUN/sim-$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "SIM_PID_$name" '%s' "$pid"
  printf -v "SIM_PORT_$name" '%s' "$port"
  wait_http "http://127.0.0.1:$port/health" 60 "$pid" "instance $name" "$RUN/sim-$name.log"
}
start_sim a 0
start_sim b 0
start_sim c 0   # the direct row's instance: a and b only ever get records through the proxy
start_control_plane

# The topology: ACTIVE_PASSIVE, a then b, with ingest routes (ACK set per row).
ingest_topology() {   # ingest_topology ACK
  write_topology "$RUN/topology.json" "$LB_PORT" "$SIM_PORT_a" "$SIM_PORT_b"
  sed -i 's/"mode": "ACTIVE_ACTIVE"/"mode": "ACTIVE_PASSIVE"/' "$RUN/topology.json"
  sed -i "s#^ \"allDown\": \"TRY_ALL\",# \"allDown\": \"TRY_ALL\",\n \"ingest\": {\"routes\": [{\"method\": \"POST\", \"pathPrefix\": \"/api/records\"}], \"ack\": \"$1\", \"journal\": {\"maxBytes\": 1073741824}},#" "$RUN/topology.json"
  curl -sS --fail-with-body -o "$RUN/put-topology.json" -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$RUN/topology.json" "$CP_URL/api/v1/topology" \
    || die "the control plane refused the topology: $(cat "$RUN/put-topology.json" 2>/dev/null)"
  local i
  for i in 1 2; do
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $AGENT_TOKEN" -H 'Content-Type: application/json' \
      --data '{"source":"CHECKER","reporterId":"bench-checker","observations":[{"backendId":"a","status":"UP"},{"backendId":"b","status":"UP"}]}' \
      "$CP_URL/api/v1/reports" || die "the control plane refused a checker report"
  done
}

free_port LB_PORT; free_port MGMT
ingest_topology ONE
proxy_cmd PROXY_CMD proxy "$LB_PORT" "$MGMT" http 2
"${PROXY_CMD[@]}" > "$RUN/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_http "http://127.0.0.1:$MGMT/q/health/ready" 120 "$PROXY_PID" "the proxy" "$RUN/proxy.log"

# gc_ms: the proxy's GC pauses so far, in ms (the tags hold spaces: the value is the last field)
gc_ms() { curl -fsS "http://127.0.0.1:$MGMT/q/metrics" | awk '$1 ~ /^jvm_gc_pause_seconds_sum/ { s += $NF } END { printf "%.0f", s * 1000 }'; }
metric() { curl -fsS "http://127.0.0.1:$MGMT/q/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
held() { metric dsha_ingest_held_records | awk '{ printf "%d", $1 }'; }
# wait_ingest: the proxy's topology has ingest routes (a record answered with an Idempotency-Key header)
wait_ingest() {
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null -D - -X POST -H 'Content-Type: application/json' --data '{"probe":1}' "http://127.0.0.1:$LB_PORT/api/records" \
      | grep -qi '^idempotency-key:' && return 0
    sleep 0.1
  done
  die "the proxy does not take records on its ingest route"
}
wait_held_zero() {   # wait_held_zero SECONDS: until the proxy holds no record for any instance; prints the ms it took
  local t0 i
  t0=$(date +%s%N)
  for i in $(seq 1 $(( $1 * 20 ))); do
    [ "$(held)" = 0 ] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; }
    sleep 0.05
  done
  die "the proxy still holds $(held) records after $1 s"
}

cat > "$RUN/records.lua" <<'LUA'
-- Every request a record of its own: Idempotency-Key = run-thread-counter.
local threads, n = 0, 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) run = args[1] or "x"; n = 0 end
function request()
  n = n + 1
  local key = run .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/api/records", {["Content-Type"] = "application/json", ["Idempotency-Key"] = key},
    '{"id":"' .. key .. '","source":"bench","value":42,"pad":"0123456789abcdef0123456789abcdef"}')
end
LUA

ROWS=()
# row LABEL URL RUNID: wrk for DURATION seconds; a table row
row() {
  local label="$1" url="$2" run="$3" out="$RUN/wrk-$3.txt"
  log "$label: wrk -c$CONNECTIONS -d${DURATION}s $url"
  timeout $(( DURATION + 60 )) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$RUN/records.lua" "$url" -- "$run" > "$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed"; }
  local rps p50 p99 non2xx
  rps="$(awk '/Requests\/sec/ { print $2 }' "$out")"
  p50="$(awk '$1 == "50%" { print $2 }' "$out")"; p99="$(awk '$1 == "99%" { print $2 }' "$out")"
  non2xx="$(awk '/Non-2xx/ { print $NF }' "$out")"; non2xx="${non2xx:-0}"
  local gc="-" held="-"
  if [ "$run" != direct ]; then
    local now_gc
    now_gc="$(gc_ms)"
    gc="$(( now_gc - GC_BEFORE )) ms"
    GC_BEFORE="$now_gc"
    held="$(held)"
  fi
  ROWS+=("| $label | $rps | $p50 | $p99 | $non2xx | $(grep -o 'Socket errors:.*' "$out" || echo none) | $held | $gc |")
  printf '%s\n' "$rps" > "$RUN/rps-$run"
}

row "direct to one instance" "http://127.0.0.1:$SIM_PORT_c" direct
wait_ingest
# A fresh JVM compiles as it goes: the proxy is warmed up (same load, not measured) before its rows.
log "warm-up: wrk through the proxy (ack ONE) for ${DURATION}s, not measured"
timeout $(( DURATION + 60 )) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$RUN/records.lua" "http://127.0.0.1:$LB_PORT" -- warmup \
  > "$RUN/wrk-warmup.txt" 2>&1 || { cat "$RUN/wrk-warmup.txt" >&2; die "wrk failed"; }
wait_held_zero 120 > /dev/null
GC_BEFORE="$(gc_ms)"
row "proxy, ack ONE (a and b)" "http://127.0.0.1:$LB_PORT" one
wait_held_zero 120 > /dev/null
ingest_topology ALL
sleep 1
wait_ingest
row "proxy, ack ALL (a and b)" "http://127.0.0.1:$LB_PORT" all
wait_held_zero 120 > /dev/null

# The replay after an outage of b.
ingest_topology ONE
sleep 1
wait_ingest
wait_held_zero 60 > /dev/null
log "replay: b killed, wrk through the proxy (ack ONE) for ${OUTAGE}s"
kill -9 "$SIM_PID_b"; wait "$SIM_PID_b" 2>/dev/null || true
timeout $(( OUTAGE + 60 )) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${OUTAGE}s" --latency -s "$RUN/records.lua" "http://127.0.0.1:$LB_PORT" -- outage \
  > "$RUN/wrk-outage.txt" 2>&1 || { cat "$RUN/wrk-outage.txt" >&2; die "wrk failed"; }
BACKLOG="$(held)"
BACKLOG_BYTES="$(metric 'dsha_ingest_backlog_bytes{backend="b"}' | awk '{ printf "%d", $1 }')"
OUTAGE_RPS="$(awk '/Requests/ && /sec/ { print $2 }' "$RUN/wrk-outage.txt")"
log "b has a backlog of $BACKLOG records ($BACKLOG_BYTES bytes); starting b again"
t0=$(date +%s%N)
start_sim b "$SIM_PORT_b"
t_up=$(( ($(date +%s%N) - t0) / 1000000 ))
REPLAY_MS="$(wait_held_zero 600)"
REPLAY_MS=$(( REPLAY_MS + t_up ))
COUNT_A="$(curl -fsS "http://127.0.0.1:$SIM_PORT_a/api/records" | grep -o '"count":[0-9]*' | grep -o '[0-9]*$')"
COUNT_B="$(curl -fsS "http://127.0.0.1:$SIM_PORT_b/api/records" | grep -o '"count":[0-9]*' | grep -o '[0-9]*$')"
SUM_A="$(curl -fsS "http://127.0.0.1:$SIM_PORT_a/api/records" | grep -o '"checksum":"[0-9a-f]*"')"
SUM_B="$(curl -fsS "http://127.0.0.1:$SIM_PORT_b/api/records" | grep -o '"checksum":"[0-9a-f]*"')"
[ "$SUM_A" = "$SUM_B" ] || [ "$INSTANCE_JOURNAL" = off ] || log "warning: a and b differ after the replay (a $COUNT_A, b $COUNT_B records)"
RPS_DIRECT="$(cat "$RUN/rps-direct")"; RPS_ONE="$(cat "$RUN/rps-one")"; RPS_ALL="$(cat "$RUN/rps-all")"

{
  echo "# Ingest: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "bench/ingest.sh --duration $DURATION --connections $CONNECTIONS --outage $OUTAGE --instance-journal $INSTANCE_JOURNAL"
  echo
  echo "## Machine"
  echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r). ${NOTE}"
  echo "Everything on this machine at once (wrk with $WRK_THREADS threads, two instances, the control plane, the proxy with 2 event"
  echo "loops): figures compare rows of this run, not capacity. Access logs off on the proxy; the instances log nothing per record."
  if [ "$INSTANCE_JOURNAL" = on ]; then
    echo "Each instance forces its journal to disk per record; the proxy forces its own journal per batch (group commit): three"
    echo "processes fsync the same disk."
  else
    echo "The instances keep records in memory only (--instance-journal off); the proxy forces its journal per batch (group commit)."
  fi
  echo
  echo "## Throughput ($CONNECTIONS keep-alive connections, ${DURATION} s per row, small JSON records, each its own Idempotency-Key)"
  echo
  echo "| path | records/s | p50 | p99 | non-2xx | socket errors | held by the proxy at the end | proxy GC pauses |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "ack ONE / direct = $(awk -v a="$RPS_ONE" -v b="$RPS_DIRECT" 'BEGIN { printf "%.2f", a / b }'),"\
       "ack ALL / direct = $(awk -v a="$RPS_ALL" -v b="$RPS_DIRECT" 'BEGIN { printf "%.2f", a / b }')"\
       "(the direct row stores each record once, on instance c; the proxy rows store it on a and b)."
  echo
  echo "## Replay after an outage of b"
  echo
  echo "| outage | records sent meanwhile (ack ONE) | backlog for b | replayed in | replay rate | a and b afterwards |"
  echo "|---:|---:|---:|---:|---:|---|"
  echo "| ${OUTAGE} s | ${OUTAGE_RPS}/s | $BACKLOG records, $BACKLOG_BYTES bytes | $REPLAY_MS ms (b's start included: $t_up ms) |"\
       "$(awk -v n="$BACKLOG" -v ms="$REPLAY_MS" 'BEGIN { printf "%.0f records/s", n * 1000 / ms }') |"\
       "$(if [ "$INSTANCE_JOURNAL" = off ]; then
            [ "$COUNT_B" = "$BACKLOG" ] && echo "b started empty (memory only) and holds exactly the $COUNT_B records replayed" \
              || echo "b started empty (memory only): $COUNT_B records, the backlog was $BACKLOG"
          elif [ "$SUM_A" = "$SUM_B" ]; then echo "same $COUNT_A records (checksums equal)"; else echo "DIFFER: a $COUNT_A, b $COUNT_B"; fi) |"
} > "$RESULTS"
cat "$RESULTS"
