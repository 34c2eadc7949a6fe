#!/usr/bin/env bash
# Failover under load: our stack (ACTIVE_PASSIVE, TLS termination) next to HAProxy 2.6 (see bench/README.md).
#
#   bench/failover.sh [--faults "kill freeze"] [--subjects "haproxy dsha"] [--connections 16]
#                     [--client-timeout-ms 5000] [--fault-after 3] [--after-ms 6000] [--warmup 20s] [--repeat 1]
#                     [--interval-ms 500] [--timeout-ms 250] [--rise 2] [--fall 2] [--java-opts "..."] [--keep]
#
# Faults: kill (SIGKILL of the primary NGINX stand-in, master and worker), freeze (SIGSTOP of both, SIGCONT
# after the measurement), freeze-patient (the same freeze, measured with a client that waits 40 s per request
# and a 36 s window: what the proxies do with the requests stuck on the frozen instance).
# For each fault and subject: a fresh proxy (ours: control plane + one checker + proxy), a warm-up with wrk,
# then bench/tools/Timeline.java (N keep-alive HTTPS clients) while the primary fails FAULT_AFTER seconds in.
# Writes bench/results/failover.md and bench/results/failover-<fault>.png. Everything on 127.0.0.1;
# every process started here is stopped on exit.
# Needs: haproxy nginx wrk openssl curl (Debian packages), a JDK 17 (java, javac).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=failover
HS_JAR="$ROOT/health-service/target/quarkus-app/quarkus-run.jar"
OUT="${OUT:-$ROOT/bench/results}"

# ---- parameters (flags override the environment) -------------------------------------------------
FAULTS="${FAULTS:-kill freeze}"
SUBJECTS="${SUBJECTS:-haproxy dsha}"
CONNECTIONS="${CONNECTIONS:-16}"              # Timeline's keep-alive connections (closed loop)
CLIENT_TIMEOUT_MS="${CLIENT_TIMEOUT_MS:-5000}" # a request without an answer after this long is a failure (then reconnect)
PATIENT_TIMEOUT_MS="${PATIENT_TIMEOUT_MS:-40000}" # the client timeout of freeze-patient
FAULT_AFTER="${FAULT_AFTER:-3}"               # seconds of measured load before the fault
BEFORE_MS="${BEFORE_MS:-1000}"                # window of the CSV/chart before the fault
AFTER_MS="${AFTER_MS:-6000}"                  # ... and after it (the measurement ends there)
PATIENT_AFTER_MS="${PATIENT_AFTER_MS:-36000}" # the window after the fault for freeze-patient
WARMUP="${WARMUP:-20s}"                       # wrk against our proxy before measuring (JIT; as in run.sh)
WARMUP_NATIVE="${WARMUP_NATIVE:-2s}"          # wrk against HAProxy before measuring
CHECK_INTERVAL_MS="${CHECK_INTERVAL_MS:-500}" # our topology's health check (HAProxy: inter 500ms fall 2 rise 2)
CHECK_TIMEOUT_MS="${CHECK_TIMEOUT_MS:-250}"
CHECK_RISE="${CHECK_RISE:-2}"
CHECK_FALL="${CHECK_FALL:-2}"
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # our proxy (control plane and checker: -Xmx256m)
REPEAT="${REPEAT:-1}"                         # runs per fault and subject (the charts show the first)
KEEP="${KEEP:-0}"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --faults) FAULTS="$2"; shift 2 ;;
    --subjects) SUBJECTS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --client-timeout-ms) CLIENT_TIMEOUT_MS="$2"; shift 2 ;;
    --fault-after) FAULT_AFTER="$2"; shift 2 ;;
    --after-ms) AFTER_MS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --interval-ms) CHECK_INTERVAL_MS="$2"; shift 2 ;;
    --timeout-ms) CHECK_TIMEOUT_MS="$2"; shift 2 ;;
    --rise) CHECK_RISE="$2"; shift 2 ;;
    --fall) CHECK_FALL="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "failover: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

for f in $FAULTS; do case "$f" in kill|freeze|freeze-patient) ;; *) die "a fault is kill, freeze or freeze-patient; got '$f'" ;; esac; done
for s in $SUBJECTS; do case "$s" in haproxy|dsha) ;; *) die "a subject is haproxy or dsha; got '$s'" ;; esac; done
for n in "$REPEAT" "$CONNECTIONS" "$CLIENT_TIMEOUT_MS" "$FAULT_AFTER" "$AFTER_MS" "$CHECK_INTERVAL_MS" "$CHECK_TIMEOUT_MS" "$CHECK_RISE" "$CHECK_FALL"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "counts and times are positive integers; got '$n'"
done
for d in "$WARMUP" "$WARMUP_NATIVE"; do [[ "$d" =~ ^[0-9]+[smh]?$ ]] || die "a duration looks like 15s; got '$d'"; done

# ---- prerequisites: say what is missing, never install ------------------------------------------
needs haproxy:haproxy nginx:nginx wrk:wrk openssl:openssl curl:curl
command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || die "java and javac (a JDK 17) are not on PATH"
HAPROXY_VERSION="$(haproxy -v 2>&1 | sed -n 1p)"
case "$HAPROXY_VERSION" in *" 2.6."*) ;; *) log "warning: the peers' figures are for HAProxy 2.6; this is: $HAPROXY_VERSION" ;; esac
if [ ! -f "$CP_JAR" ] || [ ! -f "$HS_JAR" ] || [ ! -f "$PROXY_JAR" ]; then
  log "building the jars (./mvnw -B -q package -DskipTests -pl api,control-plane,health-service,proxy-service -am) ..."
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests -pl api,control-plane,health-service,proxy-service -am) || die "the build failed"
elif [ -n "$(find "$ROOT/api" "$ROOT/proxy-service" "$ROOT/control-plane" "$ROOT/health-service" -path '*/src/main/*' -newer "$PROXY_JAR" -print -quit 2>/dev/null)" ]; then
  log "warning: sources are newer than the jars; measuring the jars as built"
fi

# ---- run directory (process bookkeeping and cleanup, FROZEN included: bench/lib.sh) --------------------
new_run_dir
to_ms() { local f="${1#*.}"; printf '%s%s' "${1%.*}" "${f:0:3}"; }   # EPOCHREALTIME (seconds.micros) to epoch ms
now_ms() { to_ms "$EPOCHREALTIME"; }
# Prefixes each line with the wall clock in epoch ms (HAProxy's server state changes have no time of their own).
stamp_lines() { local l; while IFS= read -r l; do printf '%s %s\n' "$(now_ms)" "$l"; done; }

# ---- certificate, ports, tokens, tools ---------------------------------------------------------------
log "run directory $RUN"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN/lb.key" -out "$RUN/lb.crt" >/dev/null 2>&1 \
  || die "openssl could not make the self-signed certificate"
cat "$RUN/lb.crt" "$RUN/lb.key" > "$RUN/lb.pem"
free_port P1; free_port P2
make_tokens
# Timeline and Charts are single-file programs (java bench/tools/Timeline.java ... works too); compiled
# once here so that each measurement does not start with a compilation.
mkdir -p "$RUN/tools"
javac -nowarn -encoding UTF-8 -d "$RUN/tools" "$ROOT/bench/tools/Timeline.java" "$ROOT/bench/tools/Charts.java" || die "bench/tools do not compile"

# ---- two NGINX stand-ins (the peers' configuration, one worker each) -------------------------------
start_nginx() {   # start_nginx NAME PORT BODY: sets NGINX_PID
  local name="$1" port="$2" body="$3"
  mkdir -p "$RUN/$name-tmp"
  cat > "$RUN/$name.conf" <<CONF
worker_processes 1; daemon off; pid $RUN/$name.pid; error_log $RUN/$name.err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $RUN/$name-tmp/body; proxy_temp_path $RUN/$name-tmp/proxy;
  fastcgi_temp_path $RUN/$name-tmp/fastcgi; uwsgi_temp_path $RUN/$name-tmp/uwsgi; scgi_temp_path $RUN/$name-tmp/scgi;
  server { listen 127.0.0.1:$port;
    location / { default_type text/plain; return 200 "$body\n"; }
    location = /health { default_type text/plain; return 200 "ok\n"; } } }
CONF
  nginx -p "$RUN" -e "$RUN/$name.err" -c "$RUN/$name.conf" >> "$RUN/$name.out" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$port/health" 10 "$NGINX_PID" "nginx $name" "$RUN/$name.err"
}
ALPHA_PID=""
restart_alpha() {   # a fresh primary (after a kill, or after a freeze and SIGCONT)
  if [ -n "$ALPHA_PID" ]; then stop_and_forget "$ALPHA_PID"; fi
  start_nginx alpha "$P1" alpha
  ALPHA_PID="$NGINX_PID"
}
log "NGINX stand-ins: 127.0.0.1:$P1 (alpha, the primary) and 127.0.0.1:$P2 (bravo, the secondary)"
restart_alpha
start_nginx bravo "$P2" bravo

# ---- the fault ----------------------------------------------------------------------------------------
alpha_pids() {   # the primary's master and its worker(s)
  local c out="$ALPHA_PID"
  for c in $(cat /proc/"$ALPHA_PID"/task/*/children 2>/dev/null); do out+=" $c"; done
  echo "$out"
}
# run_timeline KEY URL FAULT: Timeline against URL; FAULT_AFTER s after it is ready the primary fails.
run_timeline() {
  local key="$1" url="$2" fault="$3" timeout_ms="$CLIENT_TIMEOUT_MS" after_ms="$AFTER_MS" bin=10 i pids t mark tl
  if [ "$fault" = freeze-patient ]; then timeout_ms="$PATIENT_TIMEOUT_MS"; after_ms="$PATIENT_AFTER_MS"; bin=100; fi
  rm -f "$RUN/$key.mark" "$RUN/$key.ready"
  local cmd=(java -Xmx256m -cp "$RUN/tools" Timeline --url "$url" --cacert "$RUN/lb.crt" --connections "$CONNECTIONS"
             --timeout-ms "$timeout_ms" --mark-file "$RUN/$key.mark" --ready-file "$RUN/$key.ready"
             --before-ms "$BEFORE_MS" --after-ms "$after_ms" --bin-ms "$bin" --max-duration-s $(( FAULT_AFTER + after_ms / 1000 + 90 ))
             --primary alpha --secondary bravo
             --csv "$RUN/$key.csv" --summary "$RUN/$key.summary" --raw "$RUN/$key.raw.csv")
  TIMELINE_CMD="$(cmdline "${cmd[@]}")"
  "${cmd[@]}" > "$RUN/$key.timeline.out" 2>&1 &
  tl=$!
  PIDS+=("$tl")
  for i in $(seq 1 600); do
    [ -s "$RUN/$key.ready" ] && break
    kill -0 "$tl" 2>/dev/null || { cat "$RUN/$key.timeline.out" >&2; die "Timeline exited before it was ready"; }
    sleep 0.1
  done
  [ -s "$RUN/$key.ready" ] || die "Timeline was not ready within 60 s"
  sleep "$FAULT_AFTER"
  pids="$(alpha_pids)"
  local sig=KILL t0 t1
  [ "$fault" = kill ] || { sig=STOP; FROZEN=($pids); }
  # The wall clock just before the signal, read and sent by builtins: no fork between the two.
  t0="$EPOCHREALTIME"; kill -"$sig" $pids || true; t1="$EPOCHREALTIME"
  t="$(to_ms "$t0")"
  echo "$t" > "$RUN/$key.mark"
  log "  $fault of the primary (SIG$sig to pids $pids) at $t (the kill builtin returned $(( $(to_ms "$t1") - t )) ms later); measuring $(( after_ms / 1000 )) s more"
  wait "$tl" || { cat "$RUN/$key.timeline.out" >&2; die "Timeline failed"; }
  forget_pid "$tl"
  if [ ${#FROZEN[@]} -gt 0 ]; then kill -CONT "${FROZEN[@]}" 2>/dev/null || true; FROZEN=(); fi
  MARK="$t"
}

# "key=value" of a Timeline summary
val() { sed -n "s/^$2=//p" "$RUN/$1.summary"; }

warmup() {   # warmup URL DURATION KEY
  timeout 120 wrk -t2 -c"$CONNECTIONS" -d"$2" "$1" > "$RUN/$3.warmup.txt" 2>&1 || die "the warm-up failed: $(cat "$RUN/$3.warmup.txt")"
}

check_alpha() {   # check_alpha URL [SECONDS]: the primary answers through the balancer (waits for it: a checker
  local out="" i          # probe that timed out on a busy machine may have failed over, and failback waits 30 s)
  for i in $(seq 1 $(( ${2:-1} * 2 ))); do
    out="$(curl -fsS --max-time 5 --cacert "$RUN/lb.crt" "$1" 2>&1)" || true
    [ "$out" = alpha ] && return 0
    [ "$i" = 1 ] && [ "${2:-1}" -gt 1 ] && log "  $1 answered '$out', not the primary's alpha; waiting up to ${2}s for it"
    sleep 0.5
  done
  die "$1 answered '$out', not the primary's alpha"
}

# ---- HAProxy: the peers' active/passive configuration, TLS termination --------------------------------
HAPROXY_CFG="$RUN/haproxy-failover.cfg"
run_haproxy() {   # run_haproxy FAULT KEY
  local fault="$1" key="$2" lb pid
  free_port lb
  cat > "$HAPROXY_CFG" <<CFG
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
  option httpchk GET /health
frontend fe
  bind 127.0.0.1:$lb ssl crt $RUN/lb.pem alpn http/1.1
  default_backend be
backend be
  server a 127.0.0.1:$P1 check inter 500ms fall 2 rise 2
  server b 127.0.0.1:$P2 check inter 500ms fall 2 rise 2 backup
CFG
  haproxy -c -q -f "$HAPROXY_CFG" > "$RUN/$key.check" 2>&1 || { cat "$RUN/$key.check" >&2; die "haproxy -c refused $HAPROXY_CFG"; }
  haproxy -db -f "$HAPROXY_CFG" > >(stamp_lines > "$RUN/$key.log") 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_http "https://127.0.0.1:$lb/" 10 "$pid" haproxy "$RUN/$key.log" --cacert "$RUN/lb.crt"
  sleep 1.2   # both servers checked UP (rise 2 at 500 ms)
  check_alpha "https://127.0.0.1:$lb/"
  log "HAProxy on 127.0.0.1:$lb: warm-up $WARMUP_NATIVE, then $fault"
  warmup "https://127.0.0.1:$lb/" "$WARMUP_NATIVE" "$key"
  run_timeline "$key" "https://127.0.0.1:$lb/" "$fault"
  stop_and_forget "$pid"
  # Server state changes as HAProxy printed them, relative to the fault.
  awk -v m="$MARK" '/Server be\// { t = $1; $1 = ""; printf "%+.0f ms:%s\n", t - m, $0 }' "$RUN/$key.log" > "$RUN/$key.events" || true
}

# ---- our stack: control plane + one checker + proxy, ACTIVE_PASSIVE, TLS termination ----------------------
TOPOLOGY="$RUN/topology.json"
DSHA_CMDS=()
run_dsha() {   # run_dsha FAULT KEY
  local fault="$1" key="$2" cp_port hs_port px px_mgmt lb cp_pid hs_pid px_pid cp_url state i
  local dir="$RUN/$key"
  mkdir -p "$dir/control-plane" "$dir/proxy"
  free_port cp_port; free_port hs_port; free_port lb; free_port px_mgmt
  cp_url="http://127.0.0.1:$cp_port"
  cat > "$TOPOLOGY" <<JSON
{"listener": {"host": "127.0.0.1", "port": $lb},
 "tlsMode": "TERMINATE",
 "mode": "ACTIVE_PASSIVE",
 "allDown": "TRY_ALL",
 "backends": [
   {"id": "a", "host": "127.0.0.1", "port": $P1, "priority": 0,
    "healthCheck": {"type": "HTTP", "path": "/health", "expectStatus": 200, "intervalMs": $CHECK_INTERVAL_MS, "timeoutMs": $CHECK_TIMEOUT_MS, "rise": $CHECK_RISE, "fall": $CHECK_FALL}},
   {"id": "b", "host": "127.0.0.1", "port": $P2, "priority": 1,
    "healthCheck": {"type": "HTTP", "path": "/health", "expectStatus": 200, "intervalMs": $CHECK_INTERVAL_MS, "timeoutMs": $CHECK_TIMEOUT_MS, "rise": $CHECK_RISE, "fall": $CHECK_FALL}}]}
JSON
  local cp_cmd=(java -Xmx256m -Ddsha.admin-token="$ADMIN_TOKEN" -Ddsha.agent-token="$AGENT_TOKEN"
                -Ddsha.state-dir="$dir/control-plane" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$cp_port"
                -jar "$CP_JAR")
  local hs_cmd=(java -Xmx256m -Ddsha.control-plane.url="$cp_url" -Ddsha.agent-token="$AGENT_TOKEN"
                -Ddsha.checker-id=bench-checker -Ddsha.trust-store-file="$RUN/lb.crt"
                -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$hs_port"
                -jar "$HS_JAR")
  # shellcheck disable=SC2206
  local px_cmd=(java $JAVA_OPTS -Ddsha.control-plane.url="$cp_url" -Ddsha.agent-token="$AGENT_TOKEN"
                -Ddsha.state-dir="$dir/proxy" -Ddsha.proxy-id=bench-proxy
                -Ddsha.tls.cert-file="$RUN/lb.crt" -Ddsha.tls.key-file="$RUN/lb.key" -Ddsha.access-log.enabled=false
                -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$px_mgmt"
                -jar "$PROXY_JAR")
  DSHA_CMDS=("control-plane: $(cmdline "${cp_cmd[@]}")" "health-service: $(cmdline "${hs_cmd[@]}")" "proxy-service: $(cmdline "${px_cmd[@]}")")

  "${cp_cmd[@]}" > "$dir/control-plane.log" 2>&1 &
  cp_pid=$!; PIDS+=("$cp_pid")
  wait_http "$cp_url/q/health/ready" 90 "$cp_pid" "the control plane" "$dir/control-plane.log"
  curl -sS --fail-with-body -o "$dir/put-topology.json" -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$TOPOLOGY" "$cp_url/api/v1/topology" \
    || die "the control plane refused the topology: $(cat "$dir/put-topology.json" 2>/dev/null)"
  "${hs_cmd[@]}" > "$dir/health-service.log" 2>&1 &
  hs_pid=$!; PIDS+=("$hs_pid")
  wait_http "http://127.0.0.1:$hs_port/q/health/ready" 90 "$hs_pid" "the checker" "$dir/health-service.log"
  for i in $(seq 1 300); do
    state="$(curl -fsS -H "Authorization: Bearer $AGENT_TOKEN" "$cp_url/api/v1/state" | tr -d ' \n')"
    case "$state" in *'"active":["a"]'*) [ "$(grep -o '"status":"UP"' <<< "$state" | wc -l)" -ge 2 ] && break ;; esac
    sleep 0.1
  done
  case "$state" in *'"active":["a"]'*) ;; *) die "a is not active after 30 s: $state" ;; esac
  "${px_cmd[@]}" > "$dir/proxy.log" 2>&1 &
  px_pid=$!; PIDS+=("$px_pid")
  wait_http "http://127.0.0.1:$px_mgmt/q/health/ready" 90 "$px_pid" "the proxy" "$dir/proxy.log"
  check_alpha "https://127.0.0.1:$lb/" 75
  log "our stack (proxy on 127.0.0.1:$lb): warm-up $WARMUP, then $fault"
  warmup "https://127.0.0.1:$lb/" "$WARMUP" "$key"
  curl -fsS "http://127.0.0.1:$px_mgmt/q/metrics" > "$dir/metrics-before.txt" 2>/dev/null || true
  run_timeline "$key" "https://127.0.0.1:$lb/" "$fault"
  curl -fsS "http://127.0.0.1:$px_mgmt/q/metrics" > "$dir/metrics-after.txt" 2>/dev/null || true
  curl -fsS -H "Authorization: Bearer $AGENT_TOKEN" "$cp_url/api/v1/events?limit=100" > "$dir/events.json" || true
  curl -fsS -H "Authorization: Bearer $AGENT_TOKEN" "$cp_url/api/v1/state" > "$dir/state.json" || true
  stop_and_forget "$px_pid"; stop_and_forget "$hs_pid"; stop_and_forget "$cp_pid"
  # The control plane's events after the warm-up, relative to the fault (flat JSON objects: split on '{').
  tr '{' '\n' < "$dir/events.json" | awk -v m="$MARK" '
    /"type"/ {
      at = $0; sub(/.*"at":"/, "", at); sub(/".*/, "", at)
      ty = $0; sub(/.*"type":"/, "", ty); sub(/".*/, "", ty)
      b = ""; if ($0 ~ /"backendId":"/) { b = $0; sub(/.*"backendId":"/, "", b); sub(/".*/, "", b) }
      fr = ""; if ($0 ~ /"from":"/) { fr = $0; sub(/.*"from":"/, "", fr); sub(/".*/, "", fr) }
      to = ""; if ($0 ~ /"to":"/) { to = $0; sub(/.*"to":"/, "", to); sub(/".*/, "", to) }
      print at "\t" ty "\t" b "\t" fr "\t" to }' | while IFS=$'\t' read -r at ty b fr to; do
        ms="$(date -d "$at" +%s%3N 2>/dev/null || echo "")"
        [ -n "$ms" ] && [ "$ms" -ge $(( MARK - 2000 )) ] && printf '%d %s %s %s -> %s\n' $(( ms - MARK )) "$ty" "$b" "$fr" "$to"
      done | sort -n -k1,1 | awk '{ t = $1; $1 = ""; printf "%+d ms:%s\n", t, $0 }' > "$RUN/$key.events" || true
  # The last failure the proxy reported per backend (passive detection), as the control plane holds it.
  grep -o '"backendId":"[^"]*"\|"lastPassiveFailure":{[^}]*}' "$dir/state.json" 2>/dev/null \
    | awk '/^"backendId"/ { b = $0; next } { print b " " $0 }' > "$RUN/$key.passive" || true
  # The proxy's counters from its start to the end of the warm-up (ejections there bear on the measurement).
  grep -E '^dsha_proxy_(requests_total|retries_total|ejections_total)' "$dir/metrics-before.txt" 2>/dev/null | sed 's/\.0$//' > "$RUN/$key.warmup-metrics" || true
  # What the proxy did during the measurement (its counters after minus before).
  awk 'FNR == 1 { f++ } /^dsha_proxy_(requests_total|retries_total|ejections_total)/ { v[f, $1] = $2; k[$1] = 1 }
       END { for (n in k) if (v[2, n] - v[1, n] > 0) printf "%s %d\n", n, v[2, n] - v[1, n] }' \
       "$dir/metrics-before.txt" "$dir/metrics-after.txt" 2>/dev/null | sort > "$RUN/$key.metrics" || true
}

# ---- the runs ------------------------------------------------------------------------------------------------
T0=$(date +%s)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
ROWS=()
for fault in $FAULTS; do
  for r in $(seq 1 "$REPEAT"); do
   for subject in $SUBJECTS; do
    key="$subject-$fault"; [ "$r" = 1 ] || key="$key-run$r"
    restart_alpha
    case "$subject" in haproxy) run_haproxy "$fault" "$key" ;; dsha) run_dsha "$fault" "$key" ;; esac
    ROWS+=("$subject|$fault|$r|$key")
    log "  $key: $(val "$key" requests) requests, $(val "$key" failed) failed, longest gap $(val "$key" longest_gap_ms) ms, all on the secondary after $(val "$key" all_on_secondary_after_ms) ms"
    echo "$TIMELINE_CMD" > "$RUN/$key.cmd"
   done
  done
done
ELAPSED=$(( $(date +%s) - T0 ))

# ---- charts -------------------------------------------------------------------------------------------------
mkdir -p "$OUT"
label() { case "$1" in haproxy) echo "HAProxy 2.6" ;; dsha) echo "dsha" ;; esac; }
for fault in $FAULTS; do
  series=()
  for subject in $SUBJECTS; do series+=("$(label "$subject")=$RUN/$subject-$fault.csv"); done
  case "$fault" in
    kill) title="Primary killed (SIGKILL), $CONNECTIONS keep-alive HTTPS clients: successful responses per 10 ms" ;;
    freeze) title="Primary frozen (SIGSTOP), $CONNECTIONS HTTPS clients, ${CLIENT_TIMEOUT_MS} ms client timeout: successes per 10 ms" ;;
    freeze-patient) title="Primary frozen (SIGSTOP), $CONNECTIONS HTTPS clients waiting up to $(( PATIENT_TIMEOUT_MS / 1000 )) s: successes per 100 ms" ;;
  esac
  java -cp "$RUN/tools" Charts timeline --out "$OUT/failover-$fault.png" --title "$title" "${series[@]}" >&2
done

# ---- the report -------------------------------------------------------------------------------------------------
goal() {   # goal KEY FAULT
  local key="$1" fault="$2" failed gap steady
  if [ "$(val "$key" secondary_answers_last_s_before_mark)" != 0 ] || [ "$(val "$key" primary_answers_last_s_before_mark)" = 0 ]; then
    echo "**invalid**: the secondary served before the fault"; return 0
  fi
  case "$key" in haproxy-*) echo "(reference)"; return 0 ;; esac
  failed="$(val "$key" failed)"; gap="$(val "$key" longest_gap_ms)"; steady="$(val "$key" all_on_secondary_after_ms)"
  case "$fault" in
    kill) awk -v f="$failed" -v g="$gap" 'BEGIN { print (f == 0 && g < 100) ? "met" : "**not met**" }' ;;
    freeze*) awk -v s="$steady" 'BEGIN { print (s != "NaN" && s <= 1500) ? "met" : "**not met**" }' ;;
  esac
}
{
  echo "# Failover under load: dsha vs HAProxy 2.6 — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "\`bench/failover.sh\`: $CONNECTIONS keep-alive HTTPS clients in a closed loop (bench/tools/Timeline.java: a GET after each"
  echo "answer, HTTP/1.1, TLS terminated at the balancer) against two NGINX stand-ins, active/passive. ${FAULT_AFTER} s after the"
  echo "clients are up the primary (alpha) fails: **kill** = SIGKILL of its NGINX master and worker; **freeze** = SIGSTOP of"
  echo "both (SIGCONT after the measurement). A request is a failure when it gets a status >= 500, a connection error, or no"
  echo "answer within the client timeout (${CLIENT_TIMEOUT_MS} ms; **freeze-patient**: ${PATIENT_TIMEOUT_MS} ms); the client then reconnects."
  echo "Times are relative to the fault (the wall clock read just before the signal)."
  echo
  echo "| subject | fault | run | requests | failed | gap at the failover | longest gap (from) | first answer by the secondary | all traffic on the secondary after | goal |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r subject fault r key <<< "$row"
    printf '| %s | %s | %s | %s | %s | %s ms | %s ms (at %s ms) | %s ms | %s ms | %s |\n' "$(label "$subject")" "$fault" "$r" "$(val "$key" requests)" \
      "$(val "$key" failed)" "$(val "$key" failover_gap_ms)" "$(val "$key" longest_gap_ms)" "$(val "$key" longest_gap_from_ms)" \
      "$(val "$key" first_secondary_after_mark_ms)" "$(val "$key" all_on_secondary_after_ms)" "$(goal "$key" "$fault")"
  done
  echo
  echo "- *gap at the failover*: the longest time between two successive successful answers (any connection) that began"
  echo "  within the first second after the fault; *longest gap*: the same over the whole run, and when it began."
  echo "- *all traffic on the secondary after*: the first answer by bravo after which every answer, failures included, was bravo's."
  echo "- Goals (the project's): primary killed → zero failed requests and longest gap < 100 ms; primary frozen → all"
  echo "  traffic on the secondary within 1.5 s. Only dsha is held to them; HAProxy is the reference. A run is **invalid**"
  echo "  when the secondary answered in the second before the fault (the balancer had already left the primary)."
  echo
  echo "![primary killed](failover-kill.png)"
  for fault in $FAULTS; do [ "$fault" = kill ] || echo "![$fault](failover-$fault.png)"; done
  echo
  echo "## Per run"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r subject fault r key <<< "$row"
    echo
    echo "### $key"
    echo
    echo "Before the fault: $(val "$key" rate_before_mark_per_s) successful answers/s, p50 $(val "$key" p50_before_mark_ms) ms, p99 $(val "$key" p99_before_mark_ms) ms;"
    echo "in the second before it, $(val "$key" primary_answers_last_s_before_mark) answers by the primary and $(val "$key" secondary_answers_last_s_before_mark) by the secondary."
    echo "Failures: $(val "$key" outcome_5xx) with status >= 500, $(val "$key" outcome_error) connection errors, $(val "$key" outcome_timeout) client timeouts; other statuses: $(val "$key" outcome_non-2xx)."
    echo "Last answer by the primary $(val "$key" last_primary_after_mark_ms) ms after the fault; the longest any request in flight at the fault took: $(val "$key" max_latency_of_requests_in_flight_at_mark_ms) ms."
    if [ -s "$RUN/$key.events" ]; then
      case "$key" in
        haproxy-*) echo; echo "HAProxy's server state changes (stderr, time of the line as the script read it):" ;;
        dsha-*) echo; echo "The control plane's events (their own time stamps):" ;;
      esac
      echo '```'; cat "$RUN/$key.events"; echo '```'
    fi
    if [ -s "$RUN/$key.warmup-metrics" ]; then
      echo; echo "The proxy's counters from its start to the end of the warm-up:"; echo '```'; cat "$RUN/$key.warmup-metrics"; echo '```'
    fi
    if [ -s "$RUN/$key.passive" ]; then
      echo; echo "The last failure the proxy reported (passive detection), per backend, as the control plane held it at the end:"
      echo '```'; cat "$RUN/$key.passive"; echo '```'
    fi
    if [ -s "$RUN/$key.metrics" ]; then
      echo; echo "The proxy's counters during the measurement:"; echo '```'; cat "$RUN/$key.metrics"; echo '```'
    fi
    echo
    echo "Requests that failed or were slow (Timeline's list: start and end relative to the fault, latency, connection, outcome):"
    echo '```'
    sed -n 's/^# //p' "$RUN/$key.summary" | sed -n '1,45p'
    echo '```'
  done
  echo
  echo "## Machine and caveats"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg); the runs took ${ELAPSED}s."
  echo "The clients (one JVM, $CONNECTIONS threads), the proxy under test, its control plane and checker, and both NGINX"
  echo "instances share these CPUs, and so does whatever else runs on the machine: absolute rates are low and noisy."
  echo "Failover *times* depend mostly on the health-check settings and on timeouts, which do not scale with CPU;"
  echo "gaps of a few tens of ms can be scheduling. $REPEAT run(s) per cell (\`--repeat\`): repeat before reading small differences."
  echo "This run's niceness: $(nice) (every process it started inherits it, the proxies and NGINX included)."
  echo
  echo "- $HAPROXY_VERSION"
  echo "- $(nginx -v 2>&1)"
  echo "- $(java -version 2>&1 | sed -n 2p)"
  echo "- dsha jars: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') $(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane health-service proxy-service 2>/dev/null)" ] && echo '(with local changes)')"
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`. The certificate is self-signed (RSA 2048, SAN IP:127.0.0.1); the clients trust it (\`--cacert\`)."
  echo
  echo "### NGINX stand-ins (the peers' configuration, temp paths added)"
  for n in alpha bravo; do echo '```nginx'; cat "$RUN/$n.conf"; echo '```'; done
  echo
  echo "### HAProxy (the peers' tuned active/passive configuration; frontend as in the throughput bench)"
  echo
  echo "No \`global\` section: \`nbthread\` defaults to the CPUs (2). No \`timeout check\`: a check may take up to \`inter\`."
  echo '```'; cat "$HAPROXY_CFG" 2>/dev/null || echo "(not run)"; echo '```'
  echo
  echo "### dsha topology (PUT /api/v1/topology; one checker)"
  echo
  echo "Health checks tuned comparably to HAProxy's: intervalMs $CHECK_INTERVAL_MS, timeoutMs $CHECK_TIMEOUT_MS, rise $CHECK_RISE, fall $CHECK_FALL."
  echo "Left at their defaults: fastIntervalMs (a quarter of intervalMs, at least 100: $(( CHECK_INTERVAL_MS / 4 < 100 ? 100 : CHECK_INTERVAL_MS / 4 )) ms, used while a change builds up —"
  echo "HAProxy's \`fastinter\` defaults to \`inter\`), downIntervalMs (twice intervalMs), failback AUTO after 30 s, probe jitter ±10 %."
  echo '```json'; cat "$TOPOLOGY" 2>/dev/null || echo "(not run)"; echo '```'
  echo
  echo "### dsha services (product defaults but for addresses, tokens, certificate, \`dsha.access-log=false\` as in the throughput bench)"
  echo
  echo "So: \`dsha.timeouts.connect\` 2s, \`dsha.timeouts.first-byte\` 30s, \`dsha.balance.max-attempts\` 3,"
  echo "\`dsha.balance.retry-on-timeout\` true, \`dsha.ejection.base\` 1s / \`max\` 30s, \`dsha.event-loops\` 0 (one per core)."
  echo '```'
  for c in "${DSHA_CMDS[@]+"${DSHA_CMDS[@]}"}"; do echo "$c"; done
  echo '```'
  echo
  echo "### Load"
  echo
  echo "Warm-up: \`wrk -t2 -c$CONNECTIONS -d$WARMUP\` (dsha, JIT) or \`-d$WARMUP_NATIVE\` (HAProxy) against the balancer, then (last run's line; tokens and paths per run):"
  echo '```'; cat "$RUN/${ROWS[-1]##*|}.cmd"; echo '```'
} > "$RUN/failover.md"
cp "$RUN/failover.md" "$OUT/failover.md"
echo
sed -n '/^| subject/,/^$/p' "$RUN/failover.md"
echo "failover: report $OUT/failover.md, charts $OUT/failover-*.png (runs took ${ELAPSED}s)"
