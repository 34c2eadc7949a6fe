#!/usr/bin/env bash
# One control plane, a big site (issue 29; see bench/README.md, "Scale").
#
#   bench/scale.sh [--backends 1000] [--checkers 3] [--watchers 500] [--flips 20] [--flip-every-ms 2000]
#                  [--window 30] [--interval-ms 1000] [--whole] [--results FILE] [--keep] [--note TEXT]
#
# Starts one control plane (file store), ONE simulator process serving --backends instances on as many ports
# (datastack-sim, sim.instances), a topology of that many backends (ACTIVE_ACTIVE, HTTP check of /health every
# --interval-ms, timeout 500 ms, rise 2, fall 2), --checkers real health-service JVMs probing all of them, and
# --watchers lightweight long-poll watchers in one JVM (bench/tools/Watchers.java), asking for deltas as the proxy's
# cp-client does (watch?delta=true; --whole: the whole snapshot every time, as clients before deltas). Once every backend is UP and
# every watcher holds the current revision, it measures over --window seconds of steady state: reports and
# observations per second the control plane absorbs (its dsha.reports.received / dsha.observations.received
# counters), its CPU (/proc/PID/stat) per report and per observation, each checker's probes per second and CPU.
# Then it flips --flips backends DOWN, one every --flip-every-ms (the simulator's POST /sim/health {"status":500}
# on that backend's port), and per flip and watcher measures: flip → watcher (the probe interval and the fall
# count included) and verdict → watcher (the VERDICT_CHANGED event's time, stamped by the control plane as it
# applies the checker's report that tips the verdict, to the watcher having read the answer at that revision).
# Last: the control plane's RSS and heap after a full GC (jcmd GC.run), and the size of a watch answer.
# Writes the report to --results (default bench/results/scale-<backends>x<watchers>.md) and appends one line of
# figures to bench/results/scale.tsv. Every run is bounded in time; ports are picked free; everything started
# is stopped on exit. Needs: curl, python3, a JDK 17 (jcmd), the jars built (control-plane, health-service,
# datastack-sim).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=scale

BACKENDS="${BACKENDS:-1000}"
CHECKERS="${CHECKERS:-3}"
WATCHERS="${WATCHERS:-500}"
FLIPS="${FLIPS:-20}"
FLIP_EVERY_MS="${FLIP_EVERY_MS:-2000}"
WINDOW="${WINDOW:-30}"
INTERVAL_MS="${INTERVAL_MS:-1000}"
KEEP="${KEEP:-0}"
NOTE="${NOTE:-}"
RESULTS="${RESULTS:-}"
WHOLE="${WHOLE:-0}"
GOAL_MS=200

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --backends) BACKENDS="$2"; shift 2 ;;
    --checkers) CHECKERS="$2"; shift 2 ;;
    --watchers) WATCHERS="$2"; shift 2 ;;
    --flips) FLIPS="$2"; shift 2 ;;
    --flip-every-ms) FLIP_EVERY_MS="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --interval-ms) INTERVAL_MS="$2"; shift 2 ;;
    --whole) WHOLE=1; shift ;;
    *) common_option "$@"; shift "$TAKEN" ;;
  esac
done
for v in BACKENDS CHECKERS WATCHERS FLIPS FLIP_EVERY_MS WINDOW INTERVAL_MS; do check_count "${!v}" "--$(echo "$v" | tr 'A-Z_' 'a-z-')"; done
[ "$FLIPS" -le "$BACKENDS" ] || die "--flips is at most --backends"
SUFFIX=""; [ "$WHOLE" = 0 ] || SUFFIX=-whole
RESULTS="${RESULTS:-$ROOT/bench/results/scale-${BACKENDS}x${WATCHERS}$SUFFIX.md}"
TSV="$(dirname "$RESULTS")/scale.tsv"
SIM_JAR="$ROOT/datastack-sim/target/quarkus-app/quarkus-run.jar"
HS_JAR="$ROOT/health-service/target/quarkus-app/quarkus-run.jar"
needs curl:curl python3:python3
command -v jcmd >/dev/null 2>&1 || die "jcmd (a full JDK 17) is not on PATH"
[ -f "$CP_JAR" ] && [ -f "$SIM_JAR" ] && [ -f "$HS_JAR" ] \
  || die "build the jars first: (cd $ROOT && ./mvnw -B -o -DskipTests package -pl control-plane,health-service,datastack-sim -am)"

new_run_dir
log "run directory $RUN"
make_tokens
HZ="$(getconf CLK_TCK)"
T_START=$SECONDS
deadline() { [ $(( SECONDS - T_START )) -lt "$1" ] || die "$2 (after $(( SECONDS - T_START )) s)"; }

# ---- the control plane, the simulated site ----------------------------------------------------------------------
start_control_plane
SIM_CMD=(java -Xmx256m -XX:+UseSerialGC -Dsim.instances="$BACKENDS" -Dsim.name=b -Dsim.host=127.0.0.1 -jar "$SIM_JAR")
log "starting one simulator process with $BACKENDS instances"
"${SIM_CMD[@]}" > "$RUN/sim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
for _ in $(seq 1 1200); do
  kill -0 "$SIM_PID" 2>/dev/null || { tail -20 "$RUN/sim.log" >&2; die "the simulator exited"; }
  [ "$(grep -c 'listening on' "$RUN/sim.log" || true)" -ge "$BACKENDS" ] && break
  sleep 0.1
done
sed -nE 's/.*datastack-sim b-([0-9]+) listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1 \2/p' "$RUN/sim.log" | sort -n > "$RUN/ports.txt"
[ "$(wc -l < "$RUN/ports.txt")" = "$BACKENDS" ] || die "the simulator did not bind $BACKENDS ports within 120 s ($RUN/sim.log)"

python3 - "$RUN/ports.txt" "$INTERVAL_MS" > "$RUN/topology.json" <<'PY'
import json, sys
ports = [line.split() for line in open(sys.argv[1])]
interval = int(sys.argv[2])
check = {"type": "HTTP", "path": "/health", "expectStatus": 200, "intervalMs": interval, "timeoutMs": 500, "rise": 2, "fall": 2}
backends = [{"id": "b-" + i, "host": "127.0.0.1", "port": int(p), "priority": 0, "weight": 1, "healthCheck": check} for i, p in ports]
print(json.dumps({"listener": {"host": "127.0.0.1", "port": 443}, "tlsMode": "TERMINATE", "mode": "ACTIVE_ACTIVE",
                  "allDown": "TRY_ALL", "backends": backends}))
PY
curl -sS --fail-with-body -o "$RUN/put-topology.json" -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$RUN/topology.json" "$CP_URL/api/v1/topology" \
  || die "the control plane refused the topology: $(cat "$RUN/put-topology.json" 2>/dev/null)"

# ---- checkers ---------------------------------------------------------------------------------------------------
HS_CMDS=(); HS_PIDS=(); HS_MGMT=()
for i in $(seq 1 "$CHECKERS"); do
  free_port mgmt
  cmd=(java -Xmx256m -Ddsha.control-plane.url="$CP_URL" -Ddsha.agent-token="$AGENT_TOKEN" -Ddsha.checker-id="checker-$i"
       -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$mgmt" -jar "$HS_JAR")
  HS_CMDS+=("checker-$i: $(cmdline "${cmd[@]}")")
  "${cmd[@]}" > "$RUN/checker-$i.log" 2>&1 &
  PIDS+=("$!"); HS_PIDS+=("$!"); HS_MGMT+=("$mgmt")
done
for i in $(seq 1 "$CHECKERS"); do
  wait_http "http://127.0.0.1:${HS_MGMT[$((i - 1))]}/q/health/live" 120 "${HS_PIDS[$((i - 1))]}" "checker-$i" "$RUN/checker-$i.log"
done
state() { curl -fsS --max-time 10 -H "Authorization: Bearer $AGENT_TOKEN" "$CP_URL/api/v1/state"; }
count_up() { state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for v in s["verdicts"] if v["status"] == "UP"))'; }
log "waiting for all $BACKENDS backends to be UP"
while :; do
  up="$(count_up)"
  [ "$up" = "$BACKENDS" ] && break
  deadline 240 "only $up of $BACKENDS backends UP"
  sleep 1
done
log "all $BACKENDS backends UP after $(( SECONDS - T_START )) s"

# ---- watchers --------------------------------------------------------------------------------------------------
WATCH_QUERY="timeoutMs=20000"; [ "$WHOLE" = 1 ] || WATCH_QUERY+="&delta=true"
start_watchers "$WATCHERS" "$RUN/watchers" "$WATCH_QUERY"
sleep 2
wait_watchers "$RUN/watchers" "$(cp_revision)" 120
log "$WATCHERS watchers at revision $(cp_revision)"

# ---- steady state: reports absorbed, CPU -------------------------------------------------------------------------
metric() {   # metric PORT NAME_PREFIX: the sum of the samples whose name starts with NAME_PREFIX
  curl -fsS --max-time 5 "http://127.0.0.1:$1/q/metrics" | awk -v m="$2" 'index($1, m) == 1 { s += $NF } END { printf "%.0f\n", s }'
}
CP_PORT_NUM="${CP_URL##*:}"
sleep 5   # the watchers' JVM and the checkers settle after the start
r0="$(metric "$CP_PORT_NUM" dsha_reports_received_total)"; o0="$(metric "$CP_PORT_NUM" dsha_observations_received_total)"
c0="$(cpu_ticks "$CP_PID")"; s0="$(cpu_ticks "$SIM_PID")"; w0="$(cpu_ticks "$WATCHERS_PID")"
declare -a h0 p0
for i in $(seq 0 $(( CHECKERS - 1 ))); do h0[$i]="$(cpu_ticks "${HS_PIDS[$i]}")"; p0[$i]="$(metric "${HS_MGMT[$i]}" dsha_health_probes_total)"; done
rev0="$(cp_revision)"; t0=$EPOCHREALTIME
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
sleep "$WINDOW"
t1=$EPOCHREALTIME
r1="$(metric "$CP_PORT_NUM" dsha_reports_received_total)"; o1="$(metric "$CP_PORT_NUM" dsha_observations_received_total)"
c1="$(cpu_ticks "$CP_PID")"; s1="$(cpu_ticks "$SIM_PID")"; w1="$(cpu_ticks "$WATCHERS_PID")"; rev1="$(cp_revision)"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
top -b -n 2 -d 1 -w 200 > "$RUN/top-steady.txt" 2>&1 || true
secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
STEADY="$(awk -v r="$(( r1 - r0 ))" -v o="$(( o1 - o0 ))" -v c="$(( c1 - c0 ))" -v s="$secs" -v hz="$HZ" 'BEGIN {
  printf "%.1f %.0f %.1f %.3f %.1f", r / s, o / s, 100 * c / hz / s, r ? 1000 * c / hz / r : 0, o ? 1000000 * c / hz / o : 0 }')"
read -r REPORTS_S OBS_S CP_CPU_PCT CPU_PER_REPORT_MS CPU_PER_OBS_US <<< "$STEADY"
SIM_CPU_PCT="$(awk -v c="$(( s1 - s0 ))" -v s="$secs" -v hz="$HZ" 'BEGIN { printf "%.0f", 100 * c / hz / s }')"
W_CPU_PCT="$(awk -v c="$(( w1 - w0 ))" -v s="$secs" -v hz="$HZ" 'BEGIN { printf "%.0f", 100 * c / hz / s }')"
CHECKER_LINES=""
for i in $(seq 0 $(( CHECKERS - 1 ))); do
  h1="$(cpu_ticks "${HS_PIDS[$i]}")"; p1="$(metric "${HS_MGMT[$i]}" dsha_health_probes_total)"
  pend="$(metric "${HS_MGMT[$i]}" dsha_health_pending_observations)"; dropped="$(metric "${HS_MGMT[$i]}" dsha_health_observations_dropped_total)"
  CHECKER_LINES+="$(awk -v n="checker-$((i + 1))" -v p="$(( p1 - ${p0[$i]} ))" -v c="$(( h1 - ${h0[$i]} ))" -v s="$secs" -v hz="$HZ" -v b="$BACKENDS" -v iv="$INTERVAL_MS" -v pend="$pend" -v dr="$dropped" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.0f%% | %.0f | %.0f | %s |\n", n, p / s, b * 1000 / iv, 100 * c / hz / s, pend, dr, (p / s >= 0.9 * b * 1000 / iv) ? "yes" : "**no**" }')"$'\n'
done
log "steady state over $secs s: $REPORTS_S reports/s, $OBS_S observations/s, control plane $CP_CPU_PCT% of a core, revisions $rev0 -> $rev1"

# ---- flips: backend DOWN -> every watcher -----------------------------------------------------------------------
python3 - "$RUN/ports.txt" "$FLIPS" > "$RUN/flip-targets.txt" <<'PY'
import sys
ports = [line.split() for line in open(sys.argv[1])]
n = int(sys.argv[2])
step = max(1, len(ports) // n)
for k in range(n):
    i, p = ports[(k * step + step // 2) % len(ports)]
    print("b-" + i, p)
PY
log "flipping $FLIPS backends DOWN, one every $FLIP_EVERY_MS ms"
echo "backend,flip_epoch_us" > "$RUN/flips.csv"
c2="$(cpu_ticks "$CP_PID")"; t2=$EPOCHREALTIME
while read -r id port; do
  t=$EPOCHREALTIME
  curl -fsS -o /dev/null --max-time 5 -X POST -H 'Content-Type: application/json' --data '{"status":500}' "http://127.0.0.1:$port/sim/health" \
    || die "the simulator refused to flip $id"
  echo "$id,${t/./}" >> "$RUN/flips.csv"
  sleep "$(awk -v m="$FLIP_EVERY_MS" 'BEGIN { printf "%.3f", m / 1000 }')"
done < "$RUN/flip-targets.txt"
# Every flipped backend DOWN, then every watcher at that revision.
while :; do
  down="$(state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for v in s["verdicts"] if v["status"] == "DOWN"))')"
  [ "$down" -ge "$FLIPS" ] && break
  deadline $(( $(seconds "$WINDOW") + 600 )) "only $down of $FLIPS flipped backends DOWN"
  sleep 0.5
done
c3="$(cpu_ticks "$CP_PID")"; t3=$EPOCHREALTIME
FLIP_CPU_PCT="$(awk -v c="$(( c3 - c2 ))" -v a="$t2" -v b="$t3" -v hz="$HZ" 'BEGIN { printf "%.0f", 100 * c / hz / (b - a) }')"
REV_END="$(cp_revision)"
wait_watchers "$RUN/watchers" "$REV_END" 60
curl -fsS -H "Authorization: Bearer $AGENT_TOKEN" "$CP_URL/api/v1/events?limit=500" > "$RUN/events.json"

# ---- memory ------------------------------------------------------------------------------------------------------
CP_RSS_KB="$(rss_kb "$CP_PID")"
jcmd "$CP_PID" GC.run > /dev/null 2>&1 || log "jcmd GC.run failed"
sleep 1
CP_HEAP_AFTER_GC="$(curl -fsS "$CP_URL/q/metrics" | awk '/^jvm_memory_used_bytes\{/ && /area="heap"/ { h += $NF } END { printf "%.1f", h / 1048576 }')"
SIM_RSS_KB="$(rss_kb "$SIM_PID")"
HS_RSS=""; for pid in "${HS_PIDS[@]}"; do HS_RSS+="$(( $(rss_kb "$pid") / 1024 )) "; done
stop_watchers

# ---- latencies ----------------------------------------------------------------------------------------------------
python3 - "$RUN" "$WATCHERS" > "$RUN/latency.txt" <<'PY'
import csv, json, sys, datetime, bisect
run, nw = sys.argv[1], int(sys.argv[2])
flips = {r["backend"]: int(r["flip_epoch_us"]) for r in csv.DictReader(open(run + "/flips.csv"))}
events = json.load(open(run + "/events.json"))
def us(s):
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00")[:26] + "+00:00" if "." in s else s.replace("Z", "+00:00"))
    return int(d.timestamp() * 1_000_000)
down = {}
for e in events:   # the first verdict DOWN after each flip (an earlier one, from the start-up, is not the flip's)
    b = e.get("backendId")
    if e["type"] == "VERDICT_CHANGED" and e.get("to") == "DOWN" and b in flips and us(e["at"]) >= flips[b]:
        if b not in down or us(e["at"]) < down[b][1]:
            down[b] = (e["revision"], us(e["at"]))
per = {}
sizes = []
for r in csv.DictReader(open(run + "/watchers/received.csv")):
    if r["status"] != "200":
        continue
    per.setdefault(int(r["watcher"]), []).append((int(r["revision"]), int(r["received_epoch_us"])))
    sizes.append(int(r["body_bytes"]))
for w in per.values():
    w.sort()
flip_ms, verdict_ms = [], []
missing = 0
for b, t_flip in flips.items():
    if b not in down:
        missing += 1
        continue
    rev, t_verdict = down[b]
    for w in per.values():
        k = bisect.bisect_left(w, (rev, -1))
        if k == len(w):
            missing += 1
            continue
        flip_ms.append((w[k][1] - t_flip) / 1000)
        verdict_ms.append((w[k][1] - t_verdict) / 1000)
def pct(v, q):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(q * len(v) + 0.999999) - 1))] if v else float("nan")
def line(v):
    return "%d %.1f %.1f %.1f %.1f" % (len(v), pct(v, .5), pct(v, .9), pct(v, .99), max(v) if v else float("nan"))
sizes.sort()
print("flip", line(flip_ms))
print("verdict", line(verdict_ms))
print("missing", missing)
print("size", sizes[len(sizes) // 2] if sizes else 0, sizes[-1] if sizes else 0, len(sizes), sum(sizes))
PY
read -r _ N_FLIP F50 F90 F99 FMAX <<< "$(sed -n 1p "$RUN/latency.txt")"
read -r _ N_VER V50 V90 V99 VMAX <<< "$(sed -n 2p "$RUN/latency.txt")"
read -r _ MISSING <<< "$(sed -n 3p "$RUN/latency.txt")"
read -r _ SIZE_MED SIZE_MAX N_ANSWERS BYTES_ALL <<< "$(sed -n 4p "$RUN/latency.txt")"
VERDICT="$(awk -v p="$V99" -v g="$GOAL_MS" -v c="$CP_CPU_PCT" 'BEGIN { print (p + 0 < g && c + 0 < 100) ? "met" : "NOT met" }')"

{
  echo "# One control plane, a big site: $BACKENDS backends × $CHECKERS checkers × $WATCHERS watchers — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "File store, one control plane. $BACKENDS simulated instances in ONE simulator JVM (\`sim.instances\`), each on its own port."
  echo "$CHECKERS health-service JVMs probe every backend (HTTP GET /health every $INTERVAL_MS ms, ±10 % jitter, timeout 500 ms, rise 2, fall 2)."
  echo "$WATCHERS lightweight long-poll watchers in one JVM (bench/tools/Watchers.java), \`watch?$WATCH_QUERY\`. Goal (issue 29): verdict → watcher p99 < $GOAL_MS ms"
  echo "and the control plane under one core: **$VERDICT**."
  echo
  echo "## Steady state ($secs s, every backend UP, no verdict changing; revisions $rev0 → $rev1)"
  echo
  echo "| figure | value |"
  echo "|---|---:|"
  echo "| reports/s absorbed (all checkers) | $REPORTS_S |"
  echo "| observations/s absorbed | $OBS_S |"
  echo "| control plane CPU (100 % = one core) | $CP_CPU_PCT % |"
  echo "| CPU per report | $CPU_PER_REPORT_MS ms |"
  echo "| CPU per observation | $CPU_PER_OBS_US µs |"
  echo "| simulator CPU ($BACKENDS instances) | $SIM_CPU_PCT % |"
  echo "| watchers' JVM CPU | $W_CPU_PCT % |"
  echo
  echo "| checker | probes/s | due/s | CPU | pending observations (end) | dropped | keeps up |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  printf '%s' "$CHECKER_LINES"
  echo
  echo "## Verdict changes reaching the watchers ($FLIPS backends flipped DOWN, one every $FLIP_EVERY_MS ms)"
  echo
  echo "| delay (ms), per (flip, watcher) | pairs | p50 | p90 | p99 | max |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| **verdict → watcher** (the control plane's VERDICT_CHANGED time → the watcher read the answer) | $N_VER | $V50 | $V90 | $V99 | $VMAX |"
  echo "| flip → watcher (the probe interval and fall 2 included) | $N_FLIP | $F50 | $F90 | $F99 | $FMAX |"
  echo
  echo "Pairs with no answer at or after the verdict's revision: $MISSING. The control plane used $FLIP_CPU_PCT % of a core while the"
  echo "flips were made and judged. \"verdict → watcher\" starts when the control plane applies the report that tips the verdict"
  echo "(the event's \`at\`), so it holds the journal write and its fsync, the watches' answers and the wire; it leaves out the report's"
  echo "own HTTP exchange before that (a few ms) and the probe cadence."
  echo
  echo "## Memory, watch answers"
  echo
  echo "| figure | value |"
  echo "|---|---:|"
  echo "| control plane RSS | $(( CP_RSS_KB / 1024 )) MiB |"
  echo "| control plane heap after a full GC (jcmd GC.run) | $CP_HEAP_AFTER_GC MiB |"
  echo "| a watch answer (200), median / max | $SIZE_MED / $SIZE_MAX bytes |"
  echo "| watch answers (200) received, bytes | $N_ANSWERS, $BYTES_ALL |"
  echo "| simulator RSS; checkers' RSS | $(( SIM_RSS_KB / 1024 )) MiB; ${HS_RSS% } MiB |"
  echo
  echo "## Machine"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), $(java -version 2>&1 | sed -n 2p)."
  echo "Load average before the steady window: $LOAD_BEFORE; after: $LOAD_AFTER. Everything (control plane, simulator, $CHECKERS checkers,"
  echo "the watchers' JVM) shares these 2 CPUs with whatever else ran: **a shared 2-core machine**."
  [ -z "$NOTE" ] || echo "$NOTE"
  echo "Processes using ≥ 5% of a CPU just after the steady window (top, 1 s; 100% = one CPU):"
  echo '```'
  awk '/^top - / { f++ } f == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 { printf "%8s %5.0f%%  %s\n", $1, $9, $12 }' "$RUN/top-steady.txt" 2>/dev/null | sed -n '1,10p'
  echo '```'
  echo
  echo "## Command lines (tokens are random per run; jars at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo '```'
  echo "control-plane: $(cmdline "${CP_CMD[@]}")"
  echo "simulator: $(cmdline "${SIM_CMD[@]}")"
  for c in "${HS_CMDS[@]}"; do echo "$c"; done
  echo "watchers: $(cmdline "${WATCHERS_CMD[@]}")"
  echo '```'
} > "$RUN/scale.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/scale.md" "$RESULTS"
[ -f "$TSV" ] || printf 'date\tanswers\tbackends\tcheckers\twatchers\treports_s\tobservations_s\tcp_cpu_pct\tcpu_per_report_ms\tcpu_per_obs_us\tcp_rss_mib\tcp_heap_after_gc_mib\tanswer_bytes\tverdict_p50_ms\tverdict_p99_ms\tflip_p50_ms\tflip_p99_ms\tflip_cpu_pct\n' > "$TSV"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%H:%MZ)" "$([ "$WHOLE" = 1 ] && echo whole || echo delta)" "$BACKENDS" "$CHECKERS" "$WATCHERS" \
  "$REPORTS_S" "$OBS_S" "$CP_CPU_PCT" "$CPU_PER_REPORT_MS" "$CPU_PER_OBS_US" "$(( CP_RSS_KB / 1024 ))" "$CP_HEAP_AFTER_GC" "$SIZE_MED" \
  "$V50" "$V99" "$F50" "$F99" "$FLIP_CPU_PCT" >> "$TSV"
cat "$RESULTS" | sed -n '1,40p'
echo
echo "$NAME: goal (verdict → watcher p99 < $GOAL_MS ms, control plane < 1 core): $VERDICT. Report: $RESULTS; figures: $TSV"
