#!/usr/bin/env bash
# Slow and idle clients against our proxy and HAProxy 2.6, side by side (issue 23; see bench/README.md).
#
#   bench/slow-clients.sh [--duration 30s] [--attack-connections 500] [--attack-rate 100] [--attack-interval 2]
#                         [--idle-sockets 200] [--upload-bytes 40960] [--upload-rate 2K] [--normal-rate 100]
#                         [--normal-connections 4] [--baseline 5s] [--warmup 10s] [--subjects "haproxy dsha"]
#                         [--java-opts "..."] [--transport auto] [--wait-idle 0] [--results FILE] [--keep]
#
# Per subject, one after the other over the same two NGINX stand-ins: HAProxy (nbthread 1) with
# `timeout http-request 10s`, `timeout client 60s`, then our proxy (dsha.event-loops=1, plain HTTP, followed by a
# control plane with one real checker); access logs off on both. For --duration: slowhttptest -H (slowloris) and
# -B (slow POST bodies), raw idle sockets, and a slow but legitimate upload (curl --limit-rate), while a normal
# client sends GETs at a fixed modest rate and measures what it sees. Report: bench/results/slow-clients.md and a
# PASS/FAIL line (normal p99 < 100 ms, no backend ejected or DOWN, the slow upload answered 2xx).
# Environment: SLOW_PROXY_OPTS (our proxy's slow-client settings, see the README). Everything on 127.0.0.1;
# every process started here is stopped on exit. Needs: haproxy nginx wrk slowhttptest curl python3 iproute2, JDK 17.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=slow-clients
HS_JAR="$ROOT/health-service/target/quarkus-app/quarkus-run.jar"
HELPER="$ROOT/bench/tools/slowbench.py"

# ---- parameters (flags override the environment) -------------------------------------------------
DURATION="${DURATION:-30s}"                       # the attack, and the normal client's measurement during it
ATTACK_CONNECTIONS="${ATTACK_CONNECTIONS:-500}"   # slowhttptest -c, for -H and for -B each
ATTACK_RATE="${ATTACK_RATE:-100}"                 # slowhttptest -r (connections opened per second)
ATTACK_INTERVAL="${ATTACK_INTERVAL:-2}"           # slowhttptest -i (seconds between two trickles of a connection)
IDLE_SOCKETS="${IDLE_SOCKETS:-200}"               # raw idle connections: half silent from the start, half after one GET
UPLOAD_BYTES="${UPLOAD_BYTES:-40960}"             # the slow legitimate upload (POST /upload) ...
UPLOAD_RATE="${UPLOAD_RATE:-2K}"                  # ... sent at this rate (curl --limit-rate): 40 KiB at 2 KiB/s = 20 s
NORMAL_RATE="${NORMAL_RATE:-100}"                 # the normal client's GETs per second (open loop, fixed rate)
NORMAL_CONNECTIONS="${NORMAL_CONNECTIONS:-4}"     # idle keep-alive connections it keeps at most (half its requests go on a new connection each)
BASELINE="${BASELINE:-5s}"                        # the normal client alone before the attack (0 = none)
WARMUP="${WARMUP:-10s}"                           # wrk -t1 -c4 before the baseline, for both subjects (our JIT)
SUBJECTS="${SUBJECTS:-haproxy dsha}"
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # our proxy, as in run.sh
TRANSPORT="${TRANSPORT:-auto}"
# The settings the fixed proxy has against slow clients; an empty SLOW_PROXY_OPTS runs without them. A build that
# does not know one of them refuses to start (SRCFG00050): the script then starts it without those and says so.
SLOW_PROXY_OPTS="${SLOW_PROXY_OPTS--Ddsha.timeouts.request-header=10s -Ddsha.timeouts.client-idle=60s}"
RESULTS="${RESULTS:-$ROOT/bench/results/slow-clients.md}"
WAIT_IDLE="${WAIT_IDLE:-0}"                       # before each side, wait up to this many seconds while other processes use > 10% of the CPUs
KEEP="${KEEP:-0}"
GOAL_P99_MS=100

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --attack-connections) ATTACK_CONNECTIONS="$2"; shift 2 ;;
    --attack-rate) ATTACK_RATE="$2"; shift 2 ;;
    --attack-interval) ATTACK_INTERVAL="$2"; shift 2 ;;
    --idle-sockets) IDLE_SOCKETS="$2"; shift 2 ;;
    --upload-bytes) UPLOAD_BYTES="$2"; shift 2 ;;
    --upload-rate) UPLOAD_RATE="$2"; shift 2 ;;
    --normal-rate) NORMAL_RATE="$2"; shift 2 ;;
    --normal-connections) NORMAL_CONNECTIONS="$2"; shift 2 ;;
    --baseline) BASELINE="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --subjects) SUBJECTS="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --transport) TRANSPORT="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --wait-idle) WAIT_IDLE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "slow-clients: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

for d in "$DURATION" "$BASELINE" "$WARMUP"; do check_duration "$d"; done
DUR_S="$(seconds "$DURATION")"; BASE_S="$(seconds "$BASELINE")"; WARM_S="$(seconds "$WARMUP")"
[ "$DUR_S" -ge 10 ] && [ "$DUR_S" -le 300 ] || die "--duration is between 10s and 5m; got '$DURATION'"
[ "$BASE_S" -le 60 ] && [ "$WARM_S" -le 120 ] || die "--baseline is at most 60s, --warmup at most 2m"
check_count "$ATTACK_CONNECTIONS" --attack-connections; check_count "$ATTACK_RATE" --attack-rate
check_count "$ATTACK_INTERVAL" --attack-interval; check_count "$UPLOAD_BYTES" --upload-bytes
check_count "$NORMAL_RATE" --normal-rate; check_count "$NORMAL_CONNECTIONS" --normal-connections
[[ "$WAIT_IDLE" =~ ^[0-9]+$ ]] && [ "$WAIT_IDLE" -le 600 ] || die "--wait-idle takes seconds (at most 600); got '$WAIT_IDLE'"
[[ "$IDLE_SOCKETS" =~ ^[0-9]+$ ]] || die "--idle-sockets is a count; got '$IDLE_SOCKETS'"
[ "$ATTACK_CONNECTIONS" -le 4000 ] && [ "$IDLE_SOCKETS" -le 4000 ] || die "at most 4000 attack connections and 4000 idle sockets"
[ "$NORMAL_RATE" -le 2000 ] || die "--normal-rate is a modest fixed rate (at most 2000/s); this is not a throughput test"
[[ "$UPLOAD_RATE" =~ ^[1-9][0-9]*[KkMm]?$ ]] || die "--upload-rate looks like 2K (curl --limit-rate); got '$UPLOAD_RATE'"
for s in $SUBJECTS; do case "$s" in haproxy|dsha) ;; *) die "a subject is haproxy or dsha; got '$s'" ;; esac; done

# ---- prerequisites: say what is missing, never install ------------------------------------------
needs haproxy:haproxy nginx:nginx wrk:wrk slowhttptest:slowhttptest curl:curl python3:python3 ss:iproute2
HAPROXY_VERSION="$(haproxy -v 2>&1 | sed -n 1p)"
case "$HAPROXY_VERSION" in *" 2.6."*) ;; *) log "warning: the issue compares with HAProxy 2.6; this is: $HAPROXY_VERSION" ;; esac
# Every attack connection is a descriptor in slowhttptest and one or two in the balancer (and the stand-ins).
NEED_FDS=$(( 4 * ATTACK_CONNECTIONS + 2 * IDLE_SOCKETS + 1024 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FDS" ]; then
  ulimit -n "$NEED_FDS" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$NEED_FDS" ] || die "open files limit $(ulimit -n) < $NEED_FDS (ulimit -n)"
fi
if [ ! -f "$CP_JAR" ] || [ ! -f "$HS_JAR" ] || [ ! -f "$PROXY_JAR" ]; then
  log "building the jars (./mvnw -B -q -DskipTests package -pl api,control-plane,health-service,proxy-service -am) ..."
  (cd "$ROOT" && ./mvnw -B -q -DskipTests package -pl api,control-plane,health-service,proxy-service -am) || die "the build failed"
elif [ -n "$(find "$ROOT/api" "$ROOT/proxy-service" "$ROOT/control-plane" "$ROOT/health-service" -path '*/src/main/*' -newer "$PROXY_JAR" -print -quit 2>/dev/null)" ]; then
  log "warning: sources are newer than the jars; measuring the jars as built"
fi

# ---- run directory, ports, tokens (cleanup of every process: bench/lib.sh) ------------------------------
new_run_dir
log "run directory $RUN"
chmod o+x "$RUN"   # NGINX's workers (nobody, when started as root) reach their temp paths through it
free_port P1; free_port P2
make_tokens
head -c "$UPLOAD_BYTES" /dev/urandom > "$RUN/upload.bin"
now_ms() { local f="${EPOCHREALTIME#*.}"; printf '%s%s' "${EPOCHREALTIME%.*}" "${f:0:3}"; }

# ---- two NGINX stand-ins (bench/lib.sh: the peers' configuration) plus /upload ------------------------------
# /upload reads the whole request body before answering, as an application does (NGINX's proxy_request_buffering,
# to its own /uploaded); GET / answers at once without reading a body. Bodies up to 64 KiB stay in memory.
NGINX_HTTP_EXTRA=" client_body_buffer_size 64k;"
upload_locations() {   # upload_locations PORT BODY
  printf '\n    location = /upload { proxy_pass http://127.0.0.1:%s/uploaded; }\n    location = /uploaded { default_type text/plain; return 200 "%s upload\\n"; }' "$1" "$2"
}
log "NGINX stand-ins on 127.0.0.1:$P1 (alpha) and 127.0.0.1:$P2 (bravo)"
start_nginx alpha "$P1" alpha "$(upload_locations "$P1" alpha)"
start_nginx bravo "$P2" bravo "$(upload_locations "$P2" bravo)"
for p in "$P1" "$P2"; do
  out="$(curl -fsS --max-time 5 -H 'Expect:' --data-binary @"$RUN/upload.bin" "http://127.0.0.1:$p/upload")" || die "NGINX on $p does not take an upload"
  case "$out" in *upload*) ;; *) die "NGINX on $p answered '$out' to an upload" ;; esac
done

# ---- control plane (ACTIVE_ACTIVE topology of run.sh) and one real checker ----------------------------
start_control_plane
free_port NOMINAL_LISTENER
write_topology "$RUN/topology.json" "$NOMINAL_LISTENER" "$P1" "$P2"
use_topology "$RUN/topology.json"
CHECKER_PID=""
start_checker() {
  local port
  free_port port
  HS_CMD=(java -Xmx256m -Ddsha.control-plane.url="$CP_URL" -Ddsha.agent-token="$AGENT_TOKEN"
          -Ddsha.checker-id=bench-checker -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -jar "$HS_JAR")
  "${HS_CMD[@]}" > "$RUN/health-service.log" 2>&1 &
  CHECKER_PID=$!
  PIDS+=("$CHECKER_PID")
  wait_http "http://127.0.0.1:$port/q/health/ready" 90 "$CHECKER_PID" "the checker" "$RUN/health-service.log"
}

# ---- helpers ------------------------------------------------------------------------------------------------
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -1; }   # kv FILE KEY: a key=value file's value
strip_ansi() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }
conns() {   # conns FILTER: established TCP connections matching an ss filter
  { ss -Htn state established "$1" 2>/dev/null || true; } | wc -l
}
cp_get() { curl -fsS --max-time 5 -H "Authorization: Bearer $AGENT_TOKEN" "$CP_URL$1"; }
check_body() {   # check_body URL: both backends answer through the balancer
  local seen="" i out
  for i in 1 2 3 4 5 6; do
    out="$(curl -fsS --max-time 5 "$1")" || die "no answer from $1"
    seen+="$out "
  done
  case "$seen" in *alpha*bravo*|*bravo*alpha*) ;; *) die "$1 did not spread over both backends (saw: $seen)" ;; esac
}
rate_bytes() { local r="$1"; case "$r" in *[Kk]) echo $(( ${r%?} * 1024 ));; *[Mm]) echo $(( ${r%?} * 1048576 ));; *) echo "$r";; esac; }
UPLOAD_SECONDS=$(( UPLOAD_BYTES / $(rate_bytes "$UPLOAD_RATE") ))
UPLOAD_MAX_TIME=$(( (UPLOAD_SECONDS > DUR_S ? UPLOAD_SECONDS : DUR_S) + 15 ))   # the upload's own bound (curl --max-time)

# ---- how much of the machine other processes took (other engineers' builds and tests share it) -----------------
# Ours = this script and its descendants (the balancers, stand-ins, JVMs, attackers, clients; `timeout` gives its
# command a process group of its own, so the tree is walked by parent pid). others = all busy CPU time minus ours,
# as a share of all CPUs.
HZ="$(getconf CLK_TCK)"; NCPU="$(nproc)"
our_ticks() {   # our_ticks [pids]: the CPU ticks of our process tree, or (with "pids") its pids
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root=$$ -v what="${1:-ticks}" '
    { pid = $1; sub(/^.*\) /, ""); pp[pid] = $2; t[pid] = $12 + $13 }
    END { for (p in pp) { q = p; n = 0; while (q != root && (q in pp) && n < 64) { q = pp[q]; n++ }
                          if (q == root) { s += t[p]; if (what == "pids") print p } }
          if (what != "pids") print s + 0 }'
}
cpu_sample() {   # -> "busy_ticks our_ticks epoch_ns"
  local busy
  busy="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat)"
  echo "$busy $(our_ticks) $(date +%s%N)"
}
others_pct() {   # others_pct "SAMPLE_BEFORE" "SAMPLE_AFTER" -> percent of all CPUs used by others
  local b0 o0 t0 b1 o1 t1
  read -r b0 o0 t0 <<< "$1"; read -r b1 o1 t1 <<< "$2"
  awk -v d=$(( (b1 - b0) - (o1 - o0) )) -v ns=$(( t1 - t0 )) -v n="$NCPU" -v hz="$HZ" \
    'BEGIN { v = 100 * d / (ns / 1e9 * n * hz); v = v < 0 ? 0 : v; printf "%.0f", (v > 100 ? 100 : v) }'
}
wait_quiet() {
  local waited=0 now a
  [ "$WAIT_IDLE" -gt 0 ] || return 0
  while :; do
    a="$(cpu_sample)"; sleep 1; now="$(others_pct "$a" "$(cpu_sample)")"
    [ "$now" -le 10 ] && return 0
    [ "$waited" -ge "$WAIT_IDLE" ] && { log "  other processes still use ${now}% of the CPUs; going on"; return 0; }
    [ "$waited" = 0 ] && log "  other processes use ${now}% of the CPUs; waiting up to ${WAIT_IDLE}s for them to go quiet"
    sleep 2; waited=$(( waited + 3 ))
  done
}
busiest_others() {   # a few of the busiest processes outside this run, from one top sample
  local ours
  ours=" $(our_ticks pids | tr '\n' ' ') "
  top -b -n 2 -d 1 -w 200 2>/dev/null | awk -v ours="$ours" '/^top - / { n++ }
    n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 && index(ours, " " $1 " ") == 0 && $12 != "top" { if (k++ < 3) printf "%s%s %s%%", (k > 1 ? ", " : ""), $12, $9 }' || true
}

# ---- HAProxy ---------------------------------------------------------------------------------------------------
HAPROXY_PID=""
start_haproxy() {   # start_haproxy PORT
  HAPROXY_CFG="$RUN/haproxy.cfg"
  cat > "$HAPROXY_CFG" <<CFG
global
  nbthread 1
  maxconn 8192
  stats socket $RUN/haproxy.sock mode 600 level user
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 30s
  timeout http-request 10s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:$1
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  option httpchk GET /health
  server a 127.0.0.1:$P1 check inter 1s fall 2 rise 2
  server b 127.0.0.1:$P2 check inter 1s fall 2 rise 2
CFG
  haproxy -c -q -f "$HAPROXY_CFG" > "$RUN/haproxy.check" 2>&1 || { cat "$RUN/haproxy.check" >&2; die "haproxy -c refused $HAPROXY_CFG"; }
  haproxy -db -f "$HAPROXY_CFG" > "$RUN/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_http "http://127.0.0.1:$1/" 10 "$HAPROXY_PID" haproxy "$RUN/haproxy.log"
  sleep 2.2   # both servers checked (rise 2 at 1 s)
}

# ---- our proxy -----------------------------------------------------------------------------------------------
PROXY_PID=""; PROXY_MGMT=""; PROXY_CMD=(); UNSUPPORTED_OPTS=""; APPLIED_OPTS=""
start_dsha() {   # start_dsha PORT: one event loop, plain HTTP (run.sh's http scenario), access log off, SLOW_PROXY_OPTS
  local port="$1" attempt i ready state="" opts=() o k keep
  # shellcheck disable=SC2206
  opts=($SLOW_PROXY_OPTS)
  free_port PROXY_MGMT
  for attempt in 1 2; do
    proxy_cmd PROXY_CMD dsha "$port" "$PROXY_MGMT" http 1 -Ddsha.transport="$TRANSPORT" ${opts[@]+"${opts[@]}"}
    "${PROXY_CMD[@]}" > "$RUN/dsha.log" 2>&1 &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    ready=0
    for i in $(seq 1 900); do
      kill -0 "$PROXY_PID" 2>/dev/null || break
      if state="$(curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_MGMT/q/health/ready" 2>/dev/null)"; then ready=1; break; fi
      sleep 0.1
    done
    if [ "$ready" = 1 ]; then
      case "$state" in *'"active"'*a,b*|*'"active"'*b,a*) ;; *) die "our proxy is ready but does not route to both backends: $state" ;; esac
      APPLIED_OPTS="${opts[*]+"${opts[*]}"}"
      return 0
    fi
    wait "$PROXY_PID" 2>/dev/null || true
    forget_pid "$PROXY_PID"
    # A build that does not know a setting refuses it: "SRCFG00050: dsha.x in SysPropConfigSource does not map to any root".
    if [ "$attempt" = 1 ] && grep -q 'SRCFG00050' "$RUN/dsha.log"; then
      keep=()
      for o in ${opts[@]+"${opts[@]}"}; do
        k="${o#-D}"; k="${k%%=*}"
        if grep -q "SRCFG00050: $k in" "$RUN/dsha.log"; then UNSUPPORTED_OPTS+="$o "; else keep+=("$o"); fi
      done
      if [ -n "$UNSUPPORTED_OPTS" ]; then
        log "warning: this proxy build does not know ${UNSUPPORTED_OPTS% }; starting it without (SLOW_PROXY_OPTS)"
        cp "$RUN/dsha.log" "$RUN/dsha-refused.log"
        opts=(${keep[@]+"${keep[@]}"})
        continue
      fi
    fi
    tail -40 "$RUN/dsha.log" >&2
    die "our proxy did not start (log above: $RUN/dsha.log)"
  done
}
proxy_counters() {   # proxy_counters FILE: the data path's counters (dsha_proxy_*) and open connections
  curl -fsS --max-time 5 "http://127.0.0.1:$PROXY_MGMT/q/metrics" 2>/dev/null \
    | grep -E '^dsha_proxy_(requests_total|retries_total|ejections_total|connections|active_backend)' > "$1" || true
}

# ---- one side ---------------------------------------------------------------------------------------------------
declare -A R   # R[subject.key] = value, for the table
side() {   # side SUBJECT
  local s="$1" lb pid url k
  free_port lb
  url="http://127.0.0.1:$lb"
  if [ "$s" = haproxy ]; then
    log "HAProxy (nbthread 1) on $url"
    start_haproxy "$lb"; pid="$HAPROXY_PID"
  else
    log "our proxy (dsha.event-loops=1, plain HTTP) on $url"
    start_dsha "$lb"; pid="$PROXY_PID"
  fi
  check_body "$url/"
  k="$(curl -fsS --max-time 10 -H 'Expect:' --data-binary @"$RUN/upload.bin" "$url/upload")" || die "$url/upload refused a fast upload"
  case "$k" in *upload*) ;; *) die "$url/upload answered '$k'" ;; esac

  log "  warm-up: wrk -t1 -c4 -d$WARMUP"
  [ "$WARM_S" -gt 0 ] && { WRK_THREADS=1 CONNECTIONS=4 run_wrk "$url/" "$WARMUP" "$RUN/$s-warmup.txt"; }
  sleep 1
  wait_quiet
  local expect=(--expect alpha --expect bravo)
  if [ "$BASE_S" -gt 0 ]; then
    log "  baseline: the normal client alone for $BASELINE"
    timeout $(( BASE_S + 30 )) python3 "$HELPER" normal --port "$lb" --rate "$NORMAL_RATE" --connections "$NORMAL_CONNECTIONS" \
      --duration "$BASE_S" "${expect[@]}" --out "$RUN/$s-baseline.txt" > "$RUN/$s-baseline.out" 2>&1 &
    k=$!; PIDS+=("$k")
    wait "$k" || { cat "$RUN/$s-baseline.out" >&2; die "the normal client failed (baseline)"; }
    forget_pid "$k"
  fi

  # Before the attack: the verdicts and counters to compare with.
  local t0 log_lines=0
  if [ "$s" = dsha ]; then
    proxy_counters "$RUN/$s-counters-before.txt"
  else
    python3 "$HELPER" haproxy-stat "$RUN/haproxy.sock" > "$RUN/$s-stat-before.txt" 2>&1 || true
    log_lines="$(wc -l < "$RUN/haproxy.log")"
  fi
  cp_get /api/v1/state > "$RUN/$s-state-before.json" || true

  log "  attack for $DURATION: slowhttptest -H and -B (-c $ATTACK_CONNECTIONS -r $ATTACK_RATE -i $ATTACK_INTERVAL each), $IDLE_SOCKETS idle sockets, a ${UPLOAD_BYTES}-byte upload at $UPLOAD_RATE/s; normal GETs at $NORMAL_RATE/s"
  t0="$(now_ms)"
  local pids=() np hp bp ip up
  SHT_H=(slowhttptest -H -c "$ATTACK_CONNECTIONS" -r "$ATTACK_RATE" -i "$ATTACK_INTERVAL" -l "$DUR_S" -p 3 -g -o "$RUN/$s-slowloris" -u "$url/")
  SHT_B=(slowhttptest -B -c "$ATTACK_CONNECTIONS" -r "$ATTACK_RATE" -i "$ATTACK_INTERVAL" -l "$DUR_S" -p 3 -g -o "$RUN/$s-slowbody" -u "$url/upload")
  timeout $(( DUR_S + 30 )) "${SHT_H[@]}" > "$RUN/$s-slowloris.out" 2>&1 & hp=$!; PIDS+=("$hp")
  timeout $(( DUR_S + 30 )) "${SHT_B[@]}" > "$RUN/$s-slowbody.out" 2>&1 & bp=$!; PIDS+=("$bp")
  ip=""
  if [ "$IDLE_SOCKETS" -gt 0 ]; then
    timeout $(( DUR_S + 30 )) python3 "$HELPER" idle --port "$lb" --count "$IDLE_SOCKETS" --duration "$DUR_S" --out "$RUN/$s-idle.txt" > "$RUN/$s-idle.out" 2>&1 & ip=$!; PIDS+=("$ip")
  fi
  timeout $(( DUR_S + 30 )) python3 "$HELPER" normal --port "$lb" --rate "$NORMAL_RATE" --connections "$NORMAL_CONNECTIONS" \
    --duration "$DUR_S" "${expect[@]}" --out "$RUN/$s-normal.txt" --raw "$RUN/$s-normal.csv" > "$RUN/$s-normal.out" 2>&1 & np=$!; PIDS+=("$np")
  sleep_until() {   # in the background and waited for, so that a signal stops the run at once (as lib.sh's run_wrk)
    local d=$(( t0 + $1 * 1000 - $(now_ms) ))
    [ "$d" -le 0 ] || { sleep "$(( d / 1000 )).$(printf '%03d' $(( d % 1000 )))" & wait $!; }
  }
  sleep_until 2   # the legitimate upload starts while the attackers' connections are being opened
  curl -sS -o "$RUN/$s-upload.body" -w '%{http_code} %{time_total} %{size_upload}\n' -H 'Expect:' --limit-rate "$UPLOAD_RATE" \
    --max-time "$UPLOAD_MAX_TIME" --data-binary @"$RUN/upload.bin" "$url/upload" > "$RUN/$s-upload.txt" 2> "$RUN/$s-upload.err" & up=$!; PIDS+=("$up")

  # Half-way and 2 s before the end (times from the attack's start): what the balancer holds (client connections to
  # it, its connections to the stand-ins), and the CPU other processes took in between.
  local ca cb tp
  ca="$(cpu_sample)"
  sleep_until $(( DUR_S / 2 ))
  R[$s.mid_client_conns]="$(conns "( sport = :$lb )")"
  R[$s.mid_backend_conns]="$(conns "( dport = :$P1 or dport = :$P2 )")"
  [ "$s" = dsha ] && proxy_counters "$RUN/$s-counters-mid.txt"
  [ "$s" = haproxy ] && { python3 "$HELPER" haproxy-stat "$RUN/haproxy.sock" > "$RUN/$s-stat-mid.txt" 2>&1 || true; }
  busiest_others > "$RUN/$s-busiest.txt" & tp=$!   # a 1-second top sample, in the background
  sleep_until $(( DUR_S - 2 ))
  cb="$(cpu_sample)"
  R[$s.others]="$(others_pct "$ca" "$cb")"
  R[$s.end_client_conns]="$(conns "( sport = :$lb )")"
  R[$s.end_backend_conns]="$(conns "( dport = :$P1 or dport = :$P2 )")"
  wait "$tp" 2>/dev/null || true
  R[$s.busiest]="$(cat "$RUN/$s-busiest.txt" 2>/dev/null)"

  wait "$np" || log "  warning: the normal client exited with $? (see $RUN/$s-normal.out)"
  forget_pid "$np"
  for p in "$hp" "$bp" $ip "$up"; do wait "$p" 2>/dev/null || true; forget_pid "$p"; done
  local t1; t1="$(now_ms)"
  log "  attack over after $(( (t1 - t0) / 1000 )) s"

  # After: verdicts, events, counters.
  if [ "$s" = dsha ]; then
    proxy_counters "$RUN/$s-counters-after.txt"
    awk 'FNR == 1 { f++ } { v[f, $1] = $2; k[$1] = 1 }
         END { for (n in k) { d = v[2, n] - v[1, n]; if (d != 0 && n !~ /^dsha_proxy_(connections|active_backend)/) printf "%s %+d\n", n, d } }' \
      "$RUN/$s-counters-before.txt" "$RUN/$s-counters-after.txt" | sort > "$RUN/$s-counters-diff.txt" || true
  else
    python3 "$HELPER" haproxy-stat "$RUN/haproxy.sock" > "$RUN/$s-stat-after.txt" 2>&1 || true
    tail -n +"$(( log_lines + 1 ))" "$RUN/haproxy.log" > "$RUN/$s-haproxy-log-window.txt"
  fi
  cp_get /api/v1/state > "$RUN/$s-state-after.json" || true
  cp_get "/api/v1/events?limit=200" > "$RUN/$s-events.json" || true
  python3 "$HELPER" events --since-ms "$t0" "$RUN/$s-events.json" > "$RUN/$s-events.txt" 2>&1 || true
  python3 "$HELPER" state "$RUN/$s-state-after.json" > "$RUN/$s-state-after.txt" 2>&1 || true

  if [ "$s" = haproxy ]; then stop_and_forget "$HAPROXY_PID"; else
    grep -E 'failed on traffic|set aside|eject' "$RUN/dsha.log" | sed -n '1,10p' | cut -c1-220 > "$RUN/dsha-ejections.txt" || true
    grep -E '^[0-9:.]+ (WARN|ERROR) ' "$RUN/dsha.log" | sed -E 's/^[0-9:.]+ //; s/@[0-9a-f]{6,}/@…/g; s/(.{0,170}).*/\1/' \
      | sort | uniq -c | sort -nr | sed -n '1,15p' > "$RUN/dsha-warnings.txt" || true
    stop_and_forget "$PROXY_PID"
  fi
  sleep 2   # the stand-ins let go of the attack's connections before the next side
  summarise_side "$s"
}

# The figures of one side, from its files, into R[] (parsing only: a grep that finds nothing is not an error here).
summarise_side() {
  set +e +o pipefail
  local s="$1" f
  f="$RUN/$s-normal.txt"
  for k in requests errors error_kinds p50_ms p99_ms max_ms over_100ms keepalive_p99_ms new_p99_ms first_error_s \
           client_lateness_p99_ms client_lateness_max_ms most_in_flight worst_second stale_keepalive_retries; do R[$s.$k]="$(kv "$f" "$k")"; done
  R[$s.base_p50_ms]="$(kv "$RUN/$s-baseline.txt" p50_ms)"; R[$s.base_p99_ms]="$(kv "$RUN/$s-baseline.txt" p99_ms)"
  R[$s.base_errors]="$(kv "$RUN/$s-baseline.txt" errors)"
  # slowhttptest: its last status block (connections closed by the server, errors, still connected), the probe's verdicts.
  local t
  for t in slowloris slowbody; do
    strip_ansi "$RUN/$s-$t.out" > "$RUN/$s-$t.txt" 2>/dev/null || true
    # Its CSV has a line per second (Seconds,Closed,Pending,Connected,...): the last one is the state at the end of the
    # test (its status block on stdout comes every 5 s only); errors (connections it could not make) are on stdout.
    R[$s.$t.closed]="$(awk -F, 'NR > 1 { v = $2 } END { print v + 0 }' "$RUN/$s-$t.csv" 2>/dev/null || echo '?')"
    R[$s.$t.connected]="$(awk -F, 'NR > 1 { v = $4 } END { print v + 0 }' "$RUN/$s-$t.csv" 2>/dev/null || echo '?')"
    R[$s.$t.maxconnected]="$(awk -F, 'NR > 1 && $4 > m { m = $4 } END { print m + 0 }' "$RUN/$s-$t.csv" 2>/dev/null || echo '?')"
    R[$s.$t.firstclose]="$(awk -F, 'NR > 1 && $2 > 0 { print $1; exit }' "$RUN/$s-$t.csv" 2>/dev/null)"
    R[$s.$t.error]="$(awk '/^error:/ { v = $2 } END { print v + 0 }' "$RUN/$s-$t.txt")"
    R[$s.$t.unavailable]="$(grep -c '^service available: *NO' "$RUN/$s-$t.txt" || true)"
    R[$s.$t.reports]="$(grep -c '^service available:' "$RUN/$s-$t.txt" || true)"
    R[$s.$t.exit]="$(sed -n 's/^Exit status: *//p' "$RUN/$s-$t.txt" | tail -1)"
    R[$s.$t.ended]="$(sed -n 's/^Test ended on \([0-9]*\)[a-z]* second.*/\1/p' "$RUN/$s-$t.txt" | tail -1)"
    # It stops early when the server has closed all its connections; its CSV's last line can lag behind that.
    case "${R[$s.$t.exit]}" in "No open connections left"*)
      R[$s.$t.closed]=$(( ${R[$s.$t.maxconnected]:-0} - ${R[$s.$t.error]:-0} )); R[$s.$t.connected]=0
      R[$s.$t.allclosed]=" — all closed by ${R[$s.$t.ended]} s, when it stopped" ;;
    esac
  done
  f="$RUN/$s-idle.txt"
  if [ -f "$f" ]; then
    R[$s.idle]="$(kv "$f" silent_closed_by_server)/$(kv "$f" silent_opened) silent closed (first at $(kv "$f" silent_first_close_s) s); $(kv "$f" after_request_closed_by_server)/$(kv "$f" after_request_opened) idle after a request closed (first at $(kv "$f" after_request_first_close_s) s); $(kv "$f" failed_to_open) not opened"
  else
    R[$s.idle]="–"
  fi
  local code time size body
  read -r code time size < "$RUN/$s-upload.txt" 2>/dev/null || true
  body="$(cat "$RUN/$s-upload.body" 2>/dev/null || true)"
  R[$s.upload_code]="${code:-000}"
  if [[ "${code:-000}" =~ ^2 ]] && [ "${size%.*}" = "$UPLOAD_BYTES" ] && [[ "$body" == *upload* ]]; then
    R[$s.upload_ok]=1; R[$s.upload]="${code} in ${time} s"
  else
    R[$s.upload_ok]=0; R[$s.upload]="**failed**: status ${code:-000} after ${time:-?} s, ${size:-?} of $UPLOAD_BYTES bytes sent$( [ -s "$RUN/$s-upload.err" ] && echo "; curl: $(tr '\n' ' ' < "$RUN/$s-upload.err" | sed 's/ *$//')")"
  fi
  # Backends ejected or DOWN during the attack.
  local down=0 what=""
  if [ "$s" = dsha ]; then
    local ej
    ej="$(awk '/^dsha_proxy_ejections_total/ { n += $2 } END { print n + 0 }' "$RUN/$s-counters-diff.txt")"
    [ "$ej" -gt 0 ] && { down=1; what+="$ej local ejection(s) ($(sed -nE 's/^dsha_proxy_ejections_total\{.*backend="([^"]*)".*\} \+([0-9]+)$/\1: \2/p' "$RUN/$s-counters-diff.txt" | tr '\n' ',' | sed 's/,$//; s/,/, /g')); "; }
    R[$s.mid_proxy_conns]="$(awk '/^dsha_proxy_connections/ { print $2 + 0; exit }' "$RUN/$s-counters-mid.txt" 2>/dev/null)"
    R[$s.lb_answers]="$(grep '^dsha_proxy_requests_total' "$RUN/$s-counters-diff.txt" | sed -E 's/.*backend="([^"]*)".*status="([^"]*)".* ([+0-9]+)$/\1:\2 \3/; s/.*status="([^"]*)".*backend="([^"]*)".* ([+0-9]+)$/\2:\1 \3/' | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
  else
    local d
    d="$(grep -c 'is DOWN' "$RUN/$s-haproxy-log-window.txt" || true)"
    [ "$d" -gt 0 ] && { down=1; what+="$d server DOWN line(s) in HAProxy's log; "; }
    # The frontend's answers during the attack: show stat after minus before.
    R[$s.lb_answers]="$(awk 'FNR == 1 { f++ } /^fe\/FRONTEND/ { for (i = 2; i <= NF; i++) { split($i, a, "="); v[f, a[1]] = a[2] } }
      END { printf "2xx %+d, 4xx %+d, 5xx %+d; bad or unfinished requests %+d", v[2, "hrsp_2xx"] - v[1, "hrsp_2xx"], v[2, "hrsp_4xx"] - v[1, "hrsp_4xx"],
            v[2, "hrsp_5xx"] - v[1, "hrsp_5xx"], v[2, "ereq"] - v[1, "ereq"] }' "$RUN/$s-stat-before.txt" "$RUN/$s-stat-after.txt" 2>/dev/null)"
  fi
  local v
  v="$(grep -cE ' (VERDICT_CHANGED|FAILOVER|ALL_DOWN|ROUTING_CHANGED) ' "$RUN/$s-events.txt" || true)"
  [ "$v" -gt 0 ] && { down=1; what+="$v control-plane event(s): $(grep -E ' (VERDICT_CHANGED|FAILOVER|ALL_DOWN|ROUTING_CHANGED) ' "$RUN/$s-events.txt" | head -3 | tr '\n' ';' | sed 's/;$//'); "; }
  if ! grep -q '^a status=UP active=yes' "$RUN/$s-state-after.txt" || ! grep -q '^b status=UP active=yes' "$RUN/$s-state-after.txt"; then
    down=1; what+="after the attack: $(tr '\n' ';' < "$RUN/$s-state-after.txt" | sed 's/;$//'); "
  fi
  R[$s.down]="$down"
  R[$s.down_what]="${what%; }"
  [ -n "${R[$s.down_what]}" ] || R[$s.down_what]="none"
  R[$s.p99_ok]="$(awk -v p="${R[$s.p99_ms]:-nan}" -v g="$GOAL_P99_MS" 'BEGIN { print (p != "nan" && p + 0 < g) ? 1 : 0 }')"
  log "  $s: normal p50 ${R[$s.p50_ms]} ms, p99 ${R[$s.p99_ms]} ms, max ${R[$s.max_ms]} ms, errors ${R[$s.errors]}/${R[$s.requests]}; upload ${R[$s.upload]}; backends: ${R[$s.down_what]}; others' CPU ${R[$s.others]}%"
  set -e -o pipefail
}

# ---- the runs -------------------------------------------------------------------------------------------------
start_checker
sleep 2
T0=$(date +%s)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SUBJECTS; do side "$s"; done
ELAPSED=$(( $(date +%s) - T0 ))

# ---- verdicts and the report (parsing and formatting only from here) ------------------------------------------------------------------------------------
set +e +o pipefail
label() { case "$1" in haproxy) echo "HAProxy 2.6 (nbthread 1)" ;; dsha) echo "dsha proxy (1 event loop)" ;; esac; }
verdict() {   # verdict SUBJECT: PASS or FAIL with the reasons
  local s="$1" why=""
  [ "${R[$s.p99_ok]}" = 1 ] || why+="normal p99 ${R[$s.p99_ms]} ms >= $GOAL_P99_MS ms; "
  [ "${R[$s.errors]:-1}" = 0 ] || why+="${R[$s.errors]} normal request(s) failed; "
  [ "${R[$s.down]}" = 0 ] || why+="backend ejected/DOWN: ${R[$s.down_what]}; "
  [ "${R[$s.upload_ok]}" = 1 ] || why+="slow upload ${R[$s.upload]}; "
  if [ -z "$why" ]; then echo "PASS (normal p99 ${R[$s.p99_ms]} ms < $GOAL_P99_MS ms, no errors, no backend ejected or DOWN, slow upload ${R[$s.upload]})"
  else echo "FAIL (${why%; })"; fi
}
row() {   # row TITLE KEY-SUFFIX...: one line of the table, a column per subject
  local title="$1" s line
  shift
  line="| $title |"
  for s in $SUBJECTS; do line+=" $("$@" "$s") |"; done
  echo "$line"
}
col_normal() { echo "${R[$1.p50_ms]} / ${R[$1.p99_ms]} / ${R[$1.max_ms]} ms"; }
col_errors() { echo "${R[$1.errors]} of ${R[$1.requests]}$( [ "${R[$1.errors]}" != 0 ] && echo " (${R[$1.error_kinds]}; first at ${R[$1.first_error_s]} s)")"; }
col_over() { echo "${R[$1.over_100ms]}"; }
col_kinds() { echo "${R[$1.keepalive_p99_ms]} / ${R[$1.new_p99_ms]} ms"; }
col_worst() { echo "${R[$1.worst_second]}"; }
col_client() { echo "${R[$1.client_lateness_p99_ms]} / ${R[$1.client_lateness_max_ms]} ms; ${R[$1.most_in_flight]} in flight at most; ${R[$1.stale_keepalive_retries]} sent again (keep-alive closed as it went out)"; }
col_base() { [ "$BASE_S" -gt 0 ] && echo "${R[$1.base_p50_ms]} / ${R[$1.base_p99_ms]} ms, ${R[$1.base_errors]} errors" || echo "–"; }
col_upload() { echo "${R[$1.upload]}"; }
col_down() { [ "${R[$1.down]}" = 0 ] && echo "none" || echo "**${R[$1.down_what]}**"; }
col_sht() { echo "${R[$1.$2.maxconnected]} connected at most; ${R[$1.$2.closed]} closed by the balancer$( [ -n "${R[$1.$2.firstclose]}" ] && echo " (from ${R[$1.$2.firstclose]} s${R[$1.$2.allclosed]:-})"), ${R[$1.$2.connected]} still open at the end, ${R[$1.$2.error]} errors; its probe: unavailable ${R[$1.$2.unavailable]}/${R[$1.$2.reports]}"; }
col_loris() { col_sht "$1" slowloris; }
col_body() { col_sht "$1" slowbody; }
col_idle() { echo "${R[$1.idle]}"; }
col_mid() { echo "${R[$1.mid_client_conns]} / ${R[$1.mid_backend_conns]}$( [ "$1" = dsha ] && echo " (dsha_proxy_connections ${R[$1.mid_proxy_conns]:-?})")"; }
col_end() { echo "${R[$1.end_client_conns]} / ${R[$1.end_backend_conns]}"; }
col_answers() { echo "${R[$1.lb_answers]:-–}"; }
col_others() { echo "${R[$1.others]}%$( [ "${R[$1.others]:-0}" -gt 10 ] && echo " (**noisy**: ${R[$1.busiest]:-?})")"; }
col_verdict() { local v; v="$(verdict "$1")"; echo "**${v%% *}**"; }

TABLE="$(
  printf '|  |'; for s in $SUBJECTS; do printf ' %s |' "$(label "$s")"; done; echo
  printf '|---|'; for s in $SUBJECTS; do printf -- '---|'; done; echo
  row "normal GETs: p50 / p99 / max (goal: p99 < $GOAL_P99_MS ms)" col_normal
  row "normal GETs failed" col_errors
  row "normal GETs over 100 ms" col_over
  row "p99 keep-alive / new connection" col_kinds
  row "the worst second (from the attack's start)" col_worst
  row "the client's own lateness p99 / max (a check on the client)" col_client
  row "before the attack ($BASELINE): p50 / p99" col_base
  row "slow legitimate upload (${UPLOAD_BYTES} B at $UPLOAD_RATE/s; goal: 2xx)" col_upload
  row "backends ejected or DOWN (goal: none)" col_down
  row "slowloris (-H): attackers' connections" col_loris
  row "slow bodies (-B): attackers' connections" col_body
  row "idle sockets ($IDLE_SOCKETS)" col_idle
  row "connections to the balancer / to the stand-ins, half-way" col_mid
  row "… 2 s before the end" col_end
  row "the balancer's answers during the attack" col_answers
  row "CPU taken by other processes during the attack (should be ~0)" col_others
  row "goals" col_verdict
)"

{
  echo "# Slow and idle clients: dsha vs HAProxy 2.6 — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "\`bench/slow-clients.sh\` (issue 23): per balancer, one after the other over the same two NGINX stand-ins, for $DURATION:"
  echo "\`slowhttptest -H\` (slowloris: headers never finished) and \`slowhttptest -B\` (POST bodies trickled to \`/upload\`), each"
  echo "\`-c $ATTACK_CONNECTIONS -r $ATTACK_RATE -i $ATTACK_INTERVAL\`; $IDLE_SOCKETS raw sockets left idle (half silent from the start, half after one GET);"
  echo "a slow legitimate upload (\`curl --limit-rate $UPLOAD_RATE\`, $UPLOAD_BYTES bytes to \`/upload\`, started 2 s in, about ${UPLOAD_SECONDS} s);"
  echo "meanwhile a normal client sends \`GET /\` at a fixed $NORMAL_RATE/s, open loop (each request at its time whatever the others are doing;"
  echo "half of them on a new connection each, half on an idle keep-alive one, at most $NORMAL_CONNECTIONS kept): latency from its send to the end of"
  echo "its answer; a failure is a connection error, no answer within 5 s, or a non-2xx, and counts in the percentiles with the time it took."
  echo "Same core budget: HAProxy \`nbthread 1\`, our proxy \`dsha.event-loops=1\` (plus the JVM's JIT and GC threads); plain HTTP"
  echo "on both (our proxy's TERMINATE listener with \`dsha.listener.plain-http=true\`, as run.sh's \`http\` scenario); access logs off on"
  echo "both (\`dsha.access-log.enabled=false\`; no \`log\` line in haproxy.cfg). Warm-up \`wrk -t1 -c4 -d$WARMUP\` on both, then $BASELINE of the normal client alone."
  echo
  echo "$TABLE"
  echo
  for s in $SUBJECTS; do echo "- $(label "$s"): $(verdict "$s")"; done
  echo
  echo "Goals (issue 23): normal clients' p99 < $GOAL_P99_MS ms, no backend ejected or marked DOWN, the slow legitimate upload answered 2xx."
  echo "HAProxy is the reference. *Backends ejected or DOWN*: ours — the proxy's \`dsha_proxy_ejections_total\`, the control plane's"
  echo "VERDICT_CHANGED / FAILOVER / ALL_DOWN / ROUTING_CHANGED events during the attack, and both backends UP and active after it;"
  echo "HAProxy — \`Server be/x is DOWN\` in its log (its own checks, \`inter 1s fall 2 rise 2\`, like the topology's). Our stack's verdicts come from a"
  echo "real checker (health-service) probing the stand-ins directly. *Attackers' connections*: slowhttptest's last status (\`closed\` = closed by"
  echo "the server); its probe (a normal request each second, 3 s timeout) said \"unavailable\" in that many of its status reports."
  if [ -n "$UNSUPPORTED_OPTS" ]; then
    echo
    echo "**This proxy build does not know \`${UNSUPPORTED_OPTS% }\`** (SRCFG00050 at start): it ran without them, as today's code does."
  elif [ -n "$APPLIED_OPTS" ]; then
    echo
    echo "Our proxy ran with \`$APPLIED_OPTS\`."
  fi
  echo
  echo "## Per side"
  for s in $SUBJECTS; do
    echo
    echo "### $(label "$s")"
    echo
    echo "Control-plane events during the attack (listener events are the checker's view of the topology's nominal listener, not a backend):"
    echo '```'; if [ -s "$RUN/$s-events.txt" ]; then cat "$RUN/$s-events.txt"; else echo "(none)"; fi; echo '```'
    echo "Verdicts after the attack:"; echo '```'; cat "$RUN/$s-state-after.txt" 2>/dev/null; echo '```'
    if [ "$s" = dsha ]; then
      echo "The proxy's counters, during the attack (after minus before):"; echo '```'; cat "$RUN/$s-counters-diff.txt" 2>/dev/null; echo '```'
      if [ -s "$RUN/dsha-ejections.txt" ]; then echo "The proxy's log on its local ejections (first 10):"; echo '```'; cat "$RUN/dsha-ejections.txt"; echo '```'; fi
      if [ -s "$RUN/dsha-warnings.txt" ]; then echo "Warnings and errors the proxy logged (count, message):"; echo '```'; cat "$RUN/dsha-warnings.txt"; echo '```'; fi
    else
      echo "HAProxy's \`show stat\` after the attack (since its start):"; echo '```'; cat "$RUN/$s-stat-after.txt" 2>/dev/null; echo '```'
      echo "HAProxy's log during the attack:"; echo '```'; sed -n '1,20p' "$RUN/$s-haproxy-log-window.txt" 2>/dev/null; [ -s "$RUN/$s-haproxy-log-window.txt" ] || echo "(nothing)"; echo '```'
    fi
    echo "slowhttptest's last status, slowloris and slow bodies:"
    echo '```'
    for t in slowloris slowbody; do
      echo "$t: $(grep -E '^(closed|error|connected|pending):' "$RUN/$s-$t.txt" | tail -4 | tr -s ' ' | tr '\n' ' ')exit: ${R[$s.$t.exit]}"
    done
    echo '```'
  done
  echo
  echo "## Machine and caveats"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg); the two sides took ${ELAPSED} s."
  echo "A shared 2-core VM, everything on loopback: the attackers (two slowhttptest, the idle sockets), the normal client (Python), the"
  echo "balancer, the stand-ins, the control plane and the checker share these CPUs (and so does whatever else runs: the \"CPU taken by"
  echo "other processes\" row); one run per side. The normal client is Python (asyncio): its own delays are in its figures for both"
  echo "sides alike, and its lateness row says how late it was itself in sending (a busy machine delays it too)."
  echo "HAProxy closes idle keep-alive connections after \`timeout http-request\` too (10 s here: \`timeout http-keep-alive\` is not set)."
  echo
  echo "- $HAPROXY_VERSION; $(nginx -v 2>&1); $(slowhttptest -h 2>&1 | grep -o 'version [0-9.]*' | head -1 | sed 's/^/slowhttptest /'); $(java -version 2>&1 | sed -n 2p)"
  echo "- dsha jars: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane health-service proxy-service 2>/dev/null)" ] && echo ' (with local changes)')"
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`."
  echo
  echo "### HAProxy"
  echo '```'; cat "$RUN/haproxy.cfg" 2>/dev/null || echo "(not run)"; echo '```'
  echo
  echo "### NGINX stand-ins (the peers' configuration, plus \`/upload\`)"
  echo '```nginx'; cat "$RUN/alpha.conf"; echo '```'
  echo
  echo "### Our stack"
  echo '```'
  echo "topology: $(tr -s ' \n' ' ' < "$RUN/topology.json")"
  echo "control-plane: $(cmdline "${CP_CMD[@]}")"
  echo "health-service: $(cmdline "${HS_CMD[@]}")"
  [ ${#PROXY_CMD[@]} -gt 0 ] && echo "proxy-service: $(cmdline "${PROXY_CMD[@]}")"
  echo '```'
  echo
  echo "### Load (per side; URL and paths per run)"
  echo '```'
  echo "$(cmdline "${SHT_H[@]}")"
  echo "$(cmdline "${SHT_B[@]}")"
  echo "python3 bench/tools/slowbench.py idle --count $IDLE_SOCKETS --duration $DUR_S ..."
  echo "python3 bench/tools/slowbench.py normal --rate $NORMAL_RATE --connections $NORMAL_CONNECTIONS --duration $DUR_S ..."
  echo "curl -H 'Expect:' --limit-rate $UPLOAD_RATE --max-time $UPLOAD_MAX_TIME --data-binary @upload.bin (${UPLOAD_BYTES} random bytes) .../upload"
  echo '```'
} | sed -e "s/$ADMIN_TOKEN/<admin-token>/g" -e "s/$AGENT_TOKEN/<agent-token>/g" > "$RUN/slow-clients.md"   # the run's tokens, gone with it
mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/slow-clients.md" "$RESULTS"
echo
echo "$TABLE"
echo
for s in $SUBJECTS; do echo "slow-clients: $(label "$s"): $(verdict "$s")"; done
echo "slow-clients: report $RESULTS (the sides took ${ELAPSED} s)"
