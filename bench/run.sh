#!/usr/bin/env bash
# Side-by-side throughput of the datastack-ha proxy and HAProxy 2.6 on loopback (see bench/README.md).
#
#   bench/run.sh [--scenarios "http tls passthrough"] [--duration 10s] [--rounds 3] [--warmup 20s]
#                [--threads 1] [--also-threads 2] [--connections 64] [--wrk-threads 2] [--java-opts "..."]
#                [--transport auto|io_uring|epoll] [--wait-idle 0] [--profile] [--keep]
#
# Starts two NGINX stand-in backends (plain HTTP, and HTTPS for passthrough), the control plane,
# then per scenario HAProxy and our proxy side by side (HAProxy in mode tcp with SNI routing for
# passthrough), warms both, and measures them in turn, --rounds times each (the medians are
# reported, every round too); prints a markdown table and writes it, with every configuration and
# command line used, to bench/results/latest.md (with --profile: latest-profile.md). Everything
# listens on 127.0.0.1; every process started here is stopped on exit.
# Needs: haproxy nginx wrk openssl curl (Debian packages), a JDK 17.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=bench
RESULTS="$ROOT/bench/results/latest.md"

# ---- parameters (flags override the environment) -------------------------------------------------
DURATION="${DURATION:-10s}"          # each measured wrk run
ROUNDS="${ROUNDS:-3}"                # measured runs per subject and scenario, HAProxy's and ours alternating; medians reported
WARMUP="${WARMUP:-20s}"              # wrk run before measuring our proxy (JIT); others get WARMUP_NATIVE
WARMUP_NATIVE="${WARMUP_NATIVE:-2s}" # warm-up of NGINX / HAProxy (connections, TLS sessions, caches)
THREADS="${THREADS:-1}"              # HAProxy nbthread = our dsha.event-loops (the main comparison)
ALSO_THREADS="${ALSO_THREADS-2}"     # further thread counts to report ("" for none)
SCENARIOS="${SCENARIOS:-http tls http-4k tls-4k tls-new passthrough}"   # HTTP, TLS termination (6-byte and 4 KiB bodies; tls-new: a new connection, so a handshake, per request), TLS passthrough by SNI
CONNECTIONS="${CONNECTIONS:-64}"     # wrk -c
WRK_THREADS="${WRK_THREADS:-2}"      # wrk -t
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # for our proxy (the control plane gets -Xmx256m)
TRANSPORT="${TRANSPORT:-auto}"       # our proxy's dsha.transport: auto (io_uring where the kernel allows it), io_uring, epoll
PROFILE="${PROFILE:-0}"              # 1: JFR recording of our proxy (first thread count, HTTP and TLS), summarised in the report
KEEP="${KEEP:-0}"                    # 1: keep the run directory (logs, configs, certificate)
WAIT_IDLE="${WAIT_IDLE:-0}"          # before each measurement, wait up to this many seconds for other processes to go quiet
ACCESS_LOG="${ACCESS_LOG:-off}"      # off: neither logs; text or json: ours logs every request (that format) to a file, HAProxy too (option httplog/tcplog, log stdout format raw, to a file)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --also-threads) ALSO_THREADS="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --wrk-threads) WRK_THREADS="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --transport) TRANSPORT="$2"; shift 2 ;;
    --wait-idle) WAIT_IDLE="$2"; shift 2 ;;
    --access-log) ACCESS_LOG="$2"; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# A profiled run is slower: it does not replace the plain comparison.
[ "$PROFILE" = 1 ] && RESULTS="$ROOT/bench/results/latest-profile.md"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

for d in "$DURATION" "$WARMUP" "$WARMUP_NATIVE"; do check_duration "$d"; done
case "$ACCESS_LOG" in off|text|json) ;; *) die "--access-log is off, text or json; got '$ACCESS_LOG'" ;; esac
[[ "$WAIT_IDLE" =~ ^[0-9]+$ ]] || die "--wait-idle takes seconds; got '$WAIT_IDLE'"
for sc in $SCENARIOS; do
  case "$sc" in http|tls|http-4k|tls-4k|tls-new|passthrough) ;; *) die "a scenario is http, tls, http-4k, tls-4k, tls-new or passthrough; got '$sc'" ;; esac
done
for n in "$THREADS" $ALSO_THREADS "$CONNECTIONS" "$WRK_THREADS" "$ROUNDS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "thread and connection counts are positive integers; got '$n'"
done

# ---- prerequisites: say what is missing, never install ------------------------------------------
needs haproxy:haproxy nginx:nginx wrk:wrk openssl:openssl curl:curl
if [ "$PROFILE" = 1 ]; then
  command -v jcmd >/dev/null 2>&1 && command -v jfr >/dev/null 2>&1 || die "--profile needs jcmd and jfr (a full JDK)"
fi
HAPROXY_VERSION="$(haproxy -v 2>&1 | sed -n "1,1p")"
case "$HAPROXY_VERSION" in *" 2.6."*) ;; *) log "warning: the peers' numbers are for HAProxy 2.6; this is: $HAPROXY_VERSION" ;; esac

if [ ! -f "$CP_JAR" ] || [ ! -f "$PROXY_JAR" ]; then
  log "building the jars (./mvnw -B -q -DskipTests install) ..."
  (cd "$ROOT" && ./mvnw -B -q -DskipTests install) || die "the build failed"
elif [ -n "$(find "$ROOT/api" "$ROOT/proxy-service" "$ROOT/control-plane" -path '*/src/main/*' -newer "$PROXY_JAR" -print -quit 2>/dev/null)" ]; then
  log "warning: sources are newer than $PROXY_JAR; measuring the jar as built (rebuild: ./mvnw -B -q -DskipTests install)"
fi

# ---- run directory (process bookkeeping and cleanup: bench/lib.sh) ---------------------------------
new_run_dir

# ---- certificate, ports, tokens ---------------------------------------------------------------------
log "run directory $RUN"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN/lb.key" -out "$RUN/lb.crt" >/dev/null 2>&1 \
  || die "openssl could not make the self-signed certificate"
cat "$RUN/lb.crt" "$RUN/lb.key" > "$RUN/lb.pem"

free_port P1; free_port P2
make_tokens

# ---- two NGINX stand-ins (the peers' configuration, one worker each) -------------------------------
body4k() {   # body4k NAME: 4096 bytes (the name, dots, a newline), so that a check can still tell the backends apart
  local b="$1"
  while [ ${#b} -lt 4095 ]; do b+="........................................................................"; done
  printf '%s\n' "${b:0:4095}"
}
start_nginx() {   # start_nginx NAME PORT BODY [ssl]
  local name="$1" port="$2" body="$3" listen="$2" scheme=http
  [ "${4:-}" = ssl ] && { listen="$port ssl; ssl_certificate $RUN/lb.crt; ssl_certificate_key $RUN/lb.key"; scheme=https; }
  mkdir -p "$RUN/$name-tmp"
  body4k "$body" > "$RUN/$name.4k"
  # NGINX's worker (nobody, when started as root) must reach the file through the private run directory.
  chmod o+x "$RUN"; chmod o+r "$RUN/$name.4k"
  # The peers' configuration; only the temp paths are added (NGINX refuses to start as a user who
  # cannot write the compiled-in ones; nothing is ever written there for these GETs).
  cat > "$RUN/$name.conf" <<CONF
worker_processes 1; daemon off; pid $RUN/$name.pid; error_log $RUN/$name.err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $RUN/$name-tmp/body; proxy_temp_path $RUN/$name-tmp/proxy;
  fastcgi_temp_path $RUN/$name-tmp/fastcgi; uwsgi_temp_path $RUN/$name-tmp/uwsgi; scgi_temp_path $RUN/$name-tmp/scgi;
  server { listen 127.0.0.1:$listen;
    location / { default_type text/plain; return 200 "$body\n"; }
    location = /4k { default_type text/plain; alias $RUN/$name.4k; }
    location = /health { default_type text/plain; return 200 "ok\n"; } } }
CONF
  nginx -p "$RUN" -e "$RUN/$name.err" -c "$RUN/$name.conf" > "$RUN/$name.out" 2>&1 &
  PIDS+=("$!")
  wait_http "$scheme://127.0.0.1:$port/health" 10 "$!" "nginx $name" "$RUN/$name.err" -k
}
log "starting NGINX stand-ins on 127.0.0.1:$P1 (alpha) and 127.0.0.1:$P2 (bravo)"
start_nginx alpha "$P1" alpha
NGINX_ALPHA_PID="${PIDS[-1]}"
start_nginx bravo "$P2" bravo
case " $SCENARIOS " in *" passthrough "*)
  # Passthrough: the instances hold the certificate (the same self-signed one, for simplicity).
  free_port P3; free_port P4
  log "starting NGINX HTTPS stand-ins on 127.0.0.1:$P3 (alpha) and 127.0.0.1:$P4 (bravo) for passthrough"
  start_nginx alpha-tls "$P3" alpha ssl
  start_nginx bravo-tls "$P4" bravo ssl ;;
esac

# ---- control plane, topology, checker reports --------------------------------------------------------
start_control_plane

free_port NOMINAL_LISTENER
# Passthrough clients ask for this name (curl, through --resolve) or for 127.0.0.1 (wrk sends its URL's
# host as SNI); both proxies route exactly these two names and refuse others.
BENCH_FQDN="ds.bench.test"
cat > "$RUN/topology-passthrough.json" <<JSON
{"listener": {"host": "127.0.0.1", "port": $NOMINAL_LISTENER},
 "fqdn": "$BENCH_FQDN",
 "tlsMode": "PASSTHROUGH",
 "mode": "ACTIVE_ACTIVE",
 "allDown": "TRY_ALL",
 "backends": [
   {"id": "a", "host": "127.0.0.1", "port": ${P3:-1}, "priority": 0, "weight": 1,
    "healthCheck": {"type": "TLS", "intervalMs": 1000, "timeoutMs": 500, "rise": 2, "fall": 2}},
   {"id": "b", "host": "127.0.0.1", "port": ${P4:-2}, "priority": 1, "weight": 1,
    "healthCheck": {"type": "TLS", "intervalMs": 1000, "timeoutMs": 500, "rise": 2, "fall": 2}}]}
JSON
write_topology "$RUN/topology.json" "$NOMINAL_LISTENER" "$P1" "$P2"
use_topology "$RUN/topology.json"

# ---- CPU accounting: how much of the machine went to processes that are not part of this run ------------
NCPU="$(nproc)"
HZ="$(getconf CLK_TCK)"
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# CPU ticks of these processes and their children (NGINX workers).
ticks_of() {
  local pids=() p c t=0
  for p in "$@"; do
    pids+=("$p")
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do pids+=("$c"); done
  done
  for p in "${pids[@]}"; do
    c="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$p"/stat 2>/dev/null || echo 0)"
    t=$(( t + ${c:-0} ))
  done
  echo "$t"
}
our_ticks() { ticks_of "${PIDS[@]}"; }   # the processes this script keeps running
# CPU ticks of the children this shell has waited for (wrk, through timeout), from the times builtin;
# run in this shell (not in $(...), whose subshell has its own counters): reaped_ticks VAR
reaped_ticks() {
  times > "$RUN/.times"
  printf -v "$1" '%s' "$(awk -v hz="$HZ" 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s * hz }' "$RUN/.times")"
}
# Percent of all CPUs used by other processes over SECONDS with no load of ours.
others_now() {
  local b0 o0 t0 b1 o1 t1
  t0=$(date +%s%N); b0=$(busy_ticks); o0=$(our_ticks)
  sleep "$1"
  b1=$(busy_ticks); o1=$(our_ticks); t1=$(date +%s%N)
  awk -v d=$(( (b1 - b0) - (o1 - o0) )) -v ns=$(( t1 - t0 )) -v n="$NCPU" -v hz="$HZ" \
    'BEGIN { v = 100 * d / (ns / 1e9 * n * hz); v = v < 0 ? 0 : v; printf "%.0f", (v > 100 ? 100 : v) }'
}
wait_quiet() {
  local waited=0 now
  now="$(others_now 1)"
  while [ "$now" -gt 10 ] && [ "$waited" -lt "$WAIT_IDLE" ]; do
    [ "$waited" = 0 ] && log "  other processes use ${now}% of the CPUs; waiting up to ${WAIT_IDLE}s for them to go quiet"
    sleep 2; waited=$(( waited + 3 ))
    now="$(others_now 1)"
  done
}
# The busiest processes that are not part of this run, from a top sample taken during a measurement.
others_top() {   # others_top TOPFILE
  local ours=" $$ " p c
  for p in "${PIDS[@]}"; do
    ours+="$p "
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do ours+="$c "; done
  done
  awk -v ours="$ours" '/^top - / { n++ } n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 && index(ours, " " $1 " ") == 0 && $12 !~ /^(wrk|top|timeout)$/ {
      printf "%8s %5.0f%%  %s\n", $1, $9, substr(substr($0, index($0, " " $12) + 1), 1, 150) }' "$1" | sed -n '1,6p'
}

# ---- wrk and its parsing -------------------------------------------------------------------------------
to_ms() {   # 3.45ms / 812.00us / 1.02s / 1.5m -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}
# Sets RPS, P50, P99 (ms), ERRORS (socket errors + non-2xx/3xx) from a wrk output file.
parse_wrk() {
  local f="$1"
  RPS="$(awk '/^Requests\/sec:/ {print $2}' "$f")"
  P50="$(to_ms "$(awk '/Latency Distribution/ {d=1} d && $1 == "50%" {print $2; exit}' "$f")")"
  P99="$(to_ms "$(awk '/Latency Distribution/ {d=1} d && $1 == "99%" {print $2; exit}' "$f")")"
  ERRORS="$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } /Non-2xx or 3xx responses:/ { n += $5 } END { print n + 0 }' "$f")"
  [ -n "$RPS" ] || { cat "$f" >&2; die "could not read wrk's output $f"; }
}

ROWS=()        # scenario|threads|rps|p50|p99|errors|cpu_us|others|key
PROFILES=()    # key|from|to
BUSY_TOPS=()
ERROR_NOTES=()
BUSY_NOTES=()
declare -A RPS_OF
warm_up() {   # warm_up KEY URL WARMUP SUBJECT_PID: load that is not measured
  local key="$1" url="$2" warm="$3" subject="$4"
  if [ "$subject" = "${PROXY_PID:-}" ]; then
    # A short run first: its 64 connections close at its end, so the JIT has seen connections open
    # and close before it compiles the code that is measured (otherwise the first close after the
    # warm-up deoptimises the hot path and the measurement runs while C2 recompiles it).
    run_wrk "$url" 3s "$RUN/wrk-$key-warmup-churn.txt"
  fi
  run_wrk "$url" "$warm" "$RUN/wrk-$key-warmup.txt"
}
WINDOWS=()     # scenario|threads|rps|p50|p99|errors|cpu_us|others|key|round: every measured run
window() {   # window KEY ROUND SCENARIO THREADS URL SUBJECT_PID: one measured wrk run of DURATION
  local key="$1" round="$2" scenario="$3" threads="$4" url="$5" subject="$6"
  wait_quiet
  local b0 o0 r0 s0 t0 b1 o1 r1 s1 t1 others cpu_us requests from to
  from="$(date +%H:%M:%S.%3N)"
  b0=$(busy_ticks); o0=$(our_ticks); s0=$(ticks_of "$subject"); reaped_ticks r0; t0=$(date +%s%N)
  ( sleep $(( $(seconds "$DURATION") / 2 )); top -b -c -n 2 -d 1 -w 220 > "$RUN/top-$key-r$round.txt" 2>/dev/null ) &
  local top_pid=$!
  run_wrk "$url" "$DURATION" "$RUN/wrk-$key-r$round.txt"
  wait "$top_pid" 2>/dev/null || true
  b1=$(busy_ticks); o1=$(our_ticks); s1=$(ticks_of "$subject"); reaped_ticks r1; t1=$(date +%s%N)
  to="$(date +%H:%M:%S.%3N)"
  if [ "$PROFILE" = 1 ] && [ "${PROFILED:-0}" = 1 ] && [ "$round" = "$ROUNDS" ]; then
    # The recording runs since the JVM started (starting one mid-run upsets the JIT); keep the measured window.
    if jcmd "$subject" JFR.dump name=bench filename="$RUN/$key.jfr" > "$RUN/jcmd-$key.txt" 2>&1; then
      PROFILES+=("$key|$from|$to")
    else
      log "warning: JFR.dump failed (see $RUN/jcmd-$key.txt)"
    fi
  fi
  others="$(awk -v d=$(( (b1 - b0) - (o1 - o0) - (r1 - r0) )) -v ns=$(( t1 - t0 )) -v n="$NCPU" -v hz="$HZ" \
    'BEGIN { v = 100 * d / (ns / 1e9 * n * hz); v = v < 0 ? 0 : v; printf "%.0f", (v > 100 ? 100 : v) }')"
  parse_wrk "$RUN/wrk-$key-r$round.txt"
  requests="$(awk '/ requests in / { print $1; exit }' "$RUN/wrk-$key-r$round.txt")"
  # CPU time of the process under test (all its threads: event loops, JIT, GC) per request served.
  cpu_us="$(awk -v d=$(( s1 - s0 )) -v hz="$HZ" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "nan" }')"
  WINDOWS+=("$scenario|$threads|$RPS|$P50|$P99|$ERRORS|$cpu_us|$others|$key|$round")
  log "  $scenario, round $round/$ROUNDS -> $(printf '%.0f' "$RPS") req/s, p50 ${P50} ms, p99 ${P99} ms, errors $ERRORS, ${cpu_us} µs CPU/request; other processes took ${others}% of the CPUs"
  if [ "$ERRORS" != 0 ]; then
    ERROR_NOTES+=("$key round $round: $(grep -E 'Socket errors|Non-2xx' "$RUN/wrk-$key-r$round.txt" | sed 's/^ *//' | tr '\n' ' ')")
  fi
  if [ "$others" -gt 10 ]; then
    BUSY_NOTES+=("$key round $round: ${others}%")
    BUSY_TOPS+=("$key round $round (top, mid-measurement):"$'\n'"$(others_top "$RUN/top-$key-r$round.txt")")
  fi
}

# The medians of KEY's windows (each figure on its own), its errors summed, the most others' CPU seen: its row.
summarise() {   # summarise KEY
  local key="$1" w scenario threads rps p50 p99 errors cpu_us others k round all="" name="" thr=""
  for w in "${WINDOWS[@]}"; do
    IFS='|' read -r scenario threads rps p50 p99 errors cpu_us others k round <<< "$w"
    [ "$k" = "$key" ] || continue
    all+="$rps $p50 $p99 $errors $cpu_us $others"$'\n'
    name="$scenario"; thr="$threads"
  done
  local row
  row="$(printf '%s' "$all" | awk '
    function median(col,   n, i, j, t, v) {
      n = 0; for (i = 1; i <= NR; i++) v[++n] = x[i, col]
      for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
    { for (c = 1; c <= 6; c++) x[NR, c] = $c; e += $4; if ($6 > o) o = $6 }
    END { printf "%.0f|%.3f|%.3f|%d|%.1f|%d", median(1), median(2), median(3), e, median(5), o }')"
  IFS='|' read -r rps p50 p99 errors cpu_us others <<< "$row"
  RPS_OF[$key]="$rps"
  ROWS+=("$name|$thr|$rps|$p50|$p99|$errors|$cpu_us|$others|$key")
}
# One subject alone (the direct backend): warm-up, then ROUNDS windows.
measure() {   # measure KEY SCENARIO THREADS URL WARMUP SUBJECT_PID
  local key="$1" scenario="$2" threads="$3" url="$4" warm="$5" subject="$6" r
  log "$scenario (threads $threads): warm-up $warm, then $ROUNDS x $DURATION"
  warm_up "$key" "$url" "$warm" "$subject"
  for r in $(seq 1 "$ROUNDS"); do window "$key" "$r" "$scenario" "$threads" "$url" "$subject"; done
  summarise "$key"
}

check_body() {   # check_body URL [curl options]: both backends must answer through a balancer
  local url="$1" seen="" i out
  shift
  for i in 1 2 3 4 5 6; do
    out="$(curl -fsS --max-time 5 "$@" "$url")" || die "no answer from $url"
    seen+="$out "
  done
  case "$seen" in *alpha*bravo*|*bravo*alpha*) ;; *) die "$url did not spread over both backends (saw: $seen)" ;; esac
}
tls_params() {   # what was negotiated
  openssl s_client -connect "127.0.0.1:$1" -brief < /dev/null 2>&1 | grep -E '^(Protocol version|Ciphersuite)' | tr '\n' ' ' || true
}

# ---- HAProxy (the peers' configuration) ------------------------------------------------------------------
HAPROXY_PID=""
start_haproxy() {   # start_haproxy NBTHREAD tls|http|passthrough PORT
  local nb="$1" mode="$2" port="$3" bind cfg="$RUN/haproxy-$2-t$1.cfg"
  bind="bind 127.0.0.1:$port"
  [ "$mode" = tls ] && bind="$bind ssl crt $RUN/lb.pem alpn http/1.1"
  # --access-log text|json: every request (connection, in passthrough) logged, as HAProxy's operators log: option
  # httplog (tcplog), written by the threads themselves to standard output (a file in the run directory).
  local glog="" dlog=""
  if [ "$ACCESS_LOG" != off ]; then
    glog="  log stdout format raw local0"
    dlog="  log global"$'\n'"  option $([ "$mode" = passthrough ] && echo tcplog || echo httplog)"
  fi
  if [ "$mode" = passthrough ]; then
    cat > "$cfg" <<CFG
global
  nbthread $nb
  maxconn 4096
$glog
defaults
  mode tcp
$dlog
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  $bind
  tcp-request inspect-delay 5s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend be if { req_ssl_sni -i 127.0.0.1 $BENCH_FQDN }
backend be
  balance roundrobin
  server a 127.0.0.1:$P3
  server b 127.0.0.1:$P4
CFG
  else
  cat > "$cfg" <<CFG
global
  nbthread $nb
  maxconn 4096
$glog
defaults
  mode http
$dlog
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend fe
  $bind
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  server a 127.0.0.1:$P1
  server b 127.0.0.1:$P2
CFG
  fi
  haproxy -c -q -f "$cfg" > "$RUN/haproxy-$mode-t$nb.check" 2>&1 || { cat "$RUN/haproxy-$mode-t$nb.check" >&2; die "haproxy -c refused $cfg"; }
  haproxy -db -f "$cfg" > "$RUN/haproxy-$mode-t$nb.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  local scheme=http; [ "$mode" != http ] && scheme=https
  wait_http "$scheme://$BENCH_FQDN:$port/" 10 "$HAPROXY_PID" haproxy "$RUN/haproxy-$mode-t$nb.log" -k --resolve "$BENCH_FQDN:$port:127.0.0.1"
}

# ---- our proxy -------------------------------------------------------------------------------------------
PROXY_PID=""
PROXY_CMDS=()
start_proxy() {   # start_proxy EVENT_LOOPS tls|http PORT
  local loops="$1" mode="$2" port="$3" mgmt name="dsha-$2-t$1"
  free_port mgmt
  mkdir -p "$RUN/$name-state"
  # shellcheck disable=SC2206
  local cmd=(java $JAVA_OPTS
    -Ddsha.control-plane.url="$CP_URL" -Ddsha.agent-token="$AGENT_TOKEN"
    -Ddsha.state-dir="$RUN/$name-state" -Ddsha.proxy-id="bench-$name"
    -Ddsha.listener.host=127.0.0.1 -Ddsha.listener.port="$port"
    -Ddsha.event-loops="$loops" -Ddsha.transport="$TRANSPORT"
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$mgmt")
  if [ "$ACCESS_LOG" = off ]; then
    cmd+=(-Ddsha.access-log.enabled=false)
  else
    cmd+=(-Ddsha.access-log.format="$ACCESS_LOG" -Ddsha.access-log.file="$RUN/$name-access.log")
  fi
  if [ "$mode" = tls ]; then
    cmd+=(-Ddsha.tls.cert-file="$RUN/lb.crt" -Ddsha.tls.key-file="$RUN/lb.key")
  elif [ "$mode" = passthrough ]; then
    cmd+=(-Ddsha.passthrough.server-names=127.0.0.1)   # besides the topology's fqdn; no certificate at all
  else
    cmd+=(-Ddsha.listener.plain-http=true)
  fi
  if [ "$PROFILE" = 1 ] && [ "${PROFILED:-0}" = 1 ]; then
    cmd+=(-XX:StartFlightRecording=name=bench,settings=profile)
  fi
  cmd+=(-jar "$PROXY_JAR")
  PROXY_CMDS+=("$name: $(cmdline "${cmd[@]}")")
  "${cmd[@]}" > "$RUN/$name.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_http "http://127.0.0.1:$mgmt/q/health/ready" 60 "$PROXY_PID" "our proxy ($name)" "$RUN/$name.log"
  local ready
  ready="$(curl -fsS "http://127.0.0.1:$mgmt/q/health/ready")"
  case "$ready" in *'"active"'*a,b*|*'"active"'*b,a*) ;; *) die "our proxy is ready but does not route to both backends: $ready" ;; esac
  case "$ready" in *"127.0.0.1:$port"*) ;; *) die "our proxy listens elsewhere than 127.0.0.1:$port: $ready" ;; esac
  SOCKETS="$(grep -o 'Sockets run on .*' "$RUN/$name.log" | head -1)"
}
SOCKETS=""

# ---- the runs -----------------------------------------------------------------------------------------------
PRE_OTHERS="$(others_now 2)"
if [ "$PRE_OTHERS" -gt 10 ]; then
  log "warning: other processes use ${PRE_OTHERS}% of the CPUs before the run; the numbers will be noisy (see --wait-idle)"
fi
T0=$(date +%s)
TLS_INFO=()
measure direct "direct backend (NGINX alpha)" "-" "http://127.0.0.1:$P1/" "$WARMUP_NATIVE" "$NGINX_ALPHA_PID"

THREAD_COUNTS="$THREADS"
for t in $ALSO_THREADS; do case " $THREAD_COUNTS " in *" $t "*) ;; *) THREAD_COUNTS+=" $t" ;; esac; done
FIRST=1
for T in $THREAD_COUNTS; do
  for sc in $SCENARIOS; do
    # http-4k / tls-4k: the same proxies and configurations as http / tls, asked for NGINX's 4 KiB body.
    # tls-new: the tls proxies, every request on a new connection (wrk reconnects after each response), so each
    # request costs a handshake: the rate of new TLS connections. wrk resumes its TLS session on the reconnects
    # (HAProxy's stats report 100% reuse): a returning client's handshake, not a first visit's.
    mode="${sc%-4k}"; upath=/; size=""; WRK_OPTS=()
    [ "$mode" != "$sc" ] && { upath=/4k; size=", 4 KiB body"; }
    [ "$sc" = tls-new ] && { mode=tls; size=", a new connection per request (resumed)"; WRK_OPTS=("${NEW_CONNECTION[@]}"); }
    scheme=http; [ "$mode" != http ] && scheme=https
    case "$mode" in http) label="HTTP$size" ;; tls) label="TLS termination$size" ;; passthrough) label="TLS passthrough by SNI" ;; esac
    hlabel="$label"; [ "$mode" = passthrough ] && hlabel="$label (mode tcp)"
    # curl sends no SNI for an IP address: ask for the FQDN, resolved to loopback.

    # Both side by side (the one not measured sits idle), warmed, then measured in turn: a slow spell of the
    # machine (they come and go, for every process alike) falls on both rather than on whichever ran then.
    free_port LB
    start_haproxy "$T" "$mode" "$LB"
    check_body "$scheme://$BENCH_FQDN:$LB$upath" -k --resolve "$BENCH_FQDN:$LB:127.0.0.1"
    [ "$sc" = tls ] && TLS_INFO+=("HAProxy, $T thread(s): $(tls_params "$LB")")

    free_port PX
    PROFILED="$FIRST"
    if [ "$mode" = passthrough ]; then use_topology "$RUN/topology-passthrough.json"; else use_topology "$RUN/topology.json"; fi
    start_proxy "$T" "$mode" "$PX"
    check_body "$scheme://$BENCH_FQDN:$PX$upath" -k --resolve "$BENCH_FQDN:$PX:127.0.0.1"
    [ "$sc" = tls ] && TLS_INFO+=("dsha proxy, $T event loop(s): $(tls_params "$PX")")

    hkey="haproxy-$sc-t$T"; dkey="dsha-$sc-t$T"
    hurl="$scheme://127.0.0.1:$LB$upath"; durl="$scheme://127.0.0.1:$PX$upath"
    log "$label (threads $T): warm-up HAProxy $WARMUP_NATIVE, ours 3s + $WARMUP; then $ROUNDS rounds of $DURATION each, alternating"
    warm_up "$hkey" "$hurl" "$WARMUP_NATIVE" "$HAPROXY_PID"
    warm_up "$dkey" "$durl" "$WARMUP" "$PROXY_PID"
    subjects=("$hkey|HAProxy 2.6, $hlabel|$hurl|$HAPROXY_PID" "$dkey|dsha proxy, $label|$durl|$PROXY_PID")
    for r in $(seq 1 "$ROUNDS"); do
      # Who goes first alternates too: HAProxy in odd rounds, ours in even ones.
      for i in $(( (r + 1) % 2 )) $(( r % 2 )); do
        IFS='|' read -r key name url pid <<< "${subjects[$i]}"
        window "$key" "$r" "$name" "$T" "$url" "$pid"
      done
    done
    summarise "$hkey"
    summarise "$dkey"
    # Distinct warnings and errors logged while serving (before the stop), with counts.
    grep -E '^[0-9:.]+ (WARN|ERROR) ' "$RUN/dsha-$mode-t$T.log" \
      | sed -E 's/^[0-9:.]+ //; s/@[0-9a-f]{6,}/@…/g; s/(.{0,170}).*/\1/' | sort | uniq -c | sort -nr \
      | sed "s/^/dsha-$sc-t$T: /" > "$RUN/dsha-$sc-t$T.warnings" || true
    stop_and_forget "$PROXY_PID"
    stop_and_forget "$HAPROXY_PID"
  done
  FIRST=0
done
ELAPSED=$(( $(date +%s) - T0 ))

# ---- the table -----------------------------------------------------------------------------------------------
fmt_int() { printf '%.0f' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }
table() {
  echo "| scenario | threads | req/s | p50 | p99 | vs HAProxy (req/s) | errors | CPU µs/req | others' CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local row scenario threads rps p50 p99 errors cpu_us others key ref ratio mode
  for row in "${ROWS[@]}"; do
    IFS='|' read -r scenario threads rps p50 p99 errors cpu_us others key <<< "$row"
    case "$key" in
      direct) ref="${RPS_OF[haproxy-http-t$THREADS]:-}"; ;;
      *) mode="${key#*-}"; ref="${RPS_OF[haproxy-$mode]:-}" ;;
    esac
    if [ -n "$ref" ]; then
      ratio="$(awk -v a="$rps" -v b="$ref" 'BEGIN { printf "%.2f×", a / b }')"
      [ "$key" = direct ] && ratio="$ratio (vs HTTP, $THREADS thr)"
    else
      ratio="–"
    fi
    printf '| %s | %s | %s | %.2f ms | %.2f ms | %s | %s | %s | %s%% |\n' "$scenario" "$threads" "$(fmt_int "$rps")" "$p50" "$p99" "$ratio" "$errors" "$cpu_us" "$others"
  done
}
TABLE="$(table)"
# Every round, HAProxy's and ours side by side.
rounds_table() {
  echo "| scenario | threads | round | HAProxy req/s | dsha req/s | ratio | p99 HAProxy / dsha | CPU µs/req HAProxy / dsha |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  local w h scenario threads rps p50 p99 errors cpu_us others key round hs ht hr h50 h99 he hc ho hk hround
  for w in "${WINDOWS[@]}"; do
    IFS='|' read -r scenario threads rps p50 p99 errors cpu_us others key round <<< "$w"
    case "$key" in dsha-*) ;; *) continue ;; esac
    for h in "${WINDOWS[@]}"; do
      IFS='|' read -r hs ht hr h50 h99 he hc ho hk hround <<< "$h"
      [ "$hk" = "haproxy-${key#dsha-}" ] && [ "$hround" = "$round" ] || continue
      printf '| %s | %s | %s | %s | %s | %s | %.2f / %.2f ms | %s / %s |\n' "${scenario#dsha proxy, }" "$threads" "$round" \
        "$(fmt_int "$hr")" "$(fmt_int "$rps")" "$(awk -v a="$rps" -v b="$hr" 'BEGIN { printf "%.2f×", a / b }')" "$h99" "$p99" "$hc" "$cpu_us"
    done
  done
}
ROUNDS_TABLE="$(rounds_table)"

# Access log lines in each file at the end (HAProxy's file holds the last scenario of its mode; ours, every scenario of its mode).
access_counts() {
  local f out=""
  for f in "$RUN"/dsha-*-access.log; do [ -f "$f" ] && out="$out$(basename "$f" -access.log) $(wc -l < "$f"), "; done
  for f in "$RUN"/haproxy-*-t*.log; do [ -f "$f" ] && out="$out$(basename "$f" .log) $(grep -c ' fe~\? ' "$f" || true), "; done
  echo "${out%, }"
}
JAVA_VERSION="$(java -version 2>&1 | sed -n 2p)"
JAVA_FLAGS="$(java $JAVA_OPTS -XX:+PrintCommandLineFlags -version 2>&1 | sed -n "1,1p")"
{
  echo "# dsha proxy vs HAProxy — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "\`wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency\`, keep-alive, everything on 127.0.0.1; a 6-byte body (\`GET /\`), and in the \"4 KiB body\" rows NGINX's 4096-byte one (\`GET /4k\`)."
  echo "Per scenario HAProxy and our proxy run side by side and are measured in turn, $ROUNDS rounds each (who goes first alternates); the table gives the medians of the rounds (each figure on its own; errors summed), \"Every round\" below gives them all."
  echo "Warm-up before the rounds: 3s then $WARMUP for our proxy (JIT; the connections of the first run close before the second, so the compiled code has seen a close), $WARMUP_NATIVE for NGINX/HAProxy."
  echo "\"threads\" = HAProxy \`nbthread\` = our \`dsha.event-loops\`. Ratios compare with HAProxy in the same mode and thread count, in this run."
  if [ "$ACCESS_LOG" = off ]; then
    echo "Access logs: off on both (\`dsha.access-log.enabled=false\`; no \`log\` line in haproxy.cfg)."
  else
    echo "**Access logs: on for both**, every request (passthrough: every connection) logged to a file in the run directory: ours \`dsha.access-log.format=$ACCESS_LOG\` with \`dsha.access-log.file\`; HAProxy \`option httplog\` (\`tcplog\`) with \`log stdout format raw local0\`, its standard output going to a file. Lines written: $(access_counts)."
  fi
  [ "$PROFILE" = 1 ] && echo "**JFR (settings=profile) was recording in our proxy for the first thread count: those rows are somewhat pessimistic.**"
  echo
  echo "$TABLE"
  echo
  echo "### Every round"
  echo
  echo "$ROUNDS_TABLE"
  echo
  if [ ${#ERROR_NOTES[@]} -gt 0 ]; then
    echo "wrk's errors: $(printf '%s; ' "${ERROR_NOTES[@]}")(wrk counts a request as a timeout after 2 s)"
    echo
  fi
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr); run took ${ELAPSED}s."
  echo "Load generator and proxies share these CPUs: compare ratios within one run, not absolute numbers across machines."
  echo "\"CPU µs/req\" = CPU time of the process under test (NGINX alpha, HAProxy, or our whole JVM: event loops, JIT, GC) per request; it depends much less than req/s on how the CPUs were shared."
  echo "\"others' CPU\" = share of all CPUs used during the measurement by processes that are not part of this run (should be ~0)."
  echo "Before the run, other processes used ${PRE_OTHERS}% of the CPUs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  if [ ${#BUSY_NOTES[@]} -gt 0 ]; then
    echo
    echo "**The machine was not quiet: other processes took CPU during** ${BUSY_NOTES[*]}. The busiest of them:"
    echo '```'; for t in "${BUSY_TOPS[@]}"; do echo "$t"; done; echo '```'
  fi
  echo
  echo "## Versions"
  echo "- $HAPROXY_VERSION"
  echo "- $(nginx -v 2>&1)"
  echo "- $(wrk -v 2>&1 | sed -n "1,1p" | sed 's/ Copyright.*//')"
  echo "- $(openssl version)"
  echo "- $JAVA_VERSION; our proxy's JVM flags: \`$JAVA_OPTS\` (effective: \`$JAVA_FLAGS\`)"
  echo "- our proxy's sockets: ${SOCKETS:-?} (\`TRANSPORT\`, the proxy's \`dsha.transport\`)"
  echo "- proxy jar: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') $(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane proxy-service 2>/dev/null)" ] && echo '(with local changes)')"
  if [ ${#TLS_INFO[@]} -gt 0 ]; then
    echo
    echo "## TLS negotiated with openssl s_client"
    for t in "${TLS_INFO[@]}"; do echo "- $t"; done
    echo "- certificate: self-signed RSA 2048 (\`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1\`); wrk keeps its $CONNECTIONS connections, so handshakes are not what is measured, but in the \"new connection per request\" rows (\`-H 'Connection: close'\`: one handshake per request, a resumed one: wrk offers the session of its previous connection)."
  fi
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`."
  echo
  echo "### NGINX stand-ins"
  for n in alpha bravo alpha-tls bravo-tls; do [ -f "$RUN/$n.conf" ] && { echo '```nginx'; cat "$RUN/$n.conf"; echo '```'; }; done
  for cfg in "$RUN"/haproxy-*.cfg; do
    echo; echo "### $(basename "$cfg")"; echo '```'; cat "$cfg"; echo '```'
  done
  echo
  echo "### Topologies (PUT /api/v1/topology before each proxy starts; then two CHECKER reports marking a and b UP)"
  echo '```json'; cat "$RUN/topology.json"; echo '```'
  case " $SCENARIOS " in *" passthrough "*) echo '```json'; cat "$RUN/topology-passthrough.json"; echo '```' ;; esac
  echo
  echo "### Java command lines (tokens are random per run)"
  echo '```'
  echo "control-plane: $(cmdline "${CP_CMD[@]}")"
  for c in "${PROXY_CMDS[@]}"; do echo "$c"; done
  echo '```'
  warn="$(cat "$RUN"/dsha-*.warnings 2>/dev/null || true)"
  if [ -n "$warn" ]; then
    echo; echo "### Warnings and errors logged by our proxy while serving (count, message)"; echo '```'; echo "$warn"; echo '```'
  fi
} > "$RUN/latest.md"

# Execution samples of a JFR recording between FROM and TO (HH:MM:SS.mmm, as jfr print shows them):
# by thread, by area, top frames (self) and the project's and libraries' frames (inclusive).
jfr_summary() {   # jfr_summary FILE FROM TO
  local samples="$RUN/jfr-samples.txt"
  jfr print --events jdk.ExecutionSample --stack-depth 64 "$1" | awk -v from="$2" -v to="$3" '
    /^jdk.ExecutionSample/ { inwin = 0; thread = "" }
    /startTime = / { t = $3; inwin = (t >= from && t <= to) }
    /sampledThread = / { split($0, q, "\""); thread = q[2] }
    /stackTrace = \[/ { if (!inwin) next; want = 1; depth = 0; delete seen; stack = ""; total++; th[thread]++; next }
    want && /line:/ {
      f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f)
      if (depth == 0) self[f]++
      if (!(f in seen)) { incl[f]++; seen[f] = 1 }
      stack = stack " " f
      depth++; next }
    want && /^[ \t]*\]/ {
      want = 0
      if (stack ~ /(io\.micrometer|io\.quarkus\.micrometer)/) area["Micrometer (Quarkus Vert.x HTTP binder + dsha metrics)"]++
      if (stack ~ /(sun\.security\.ssl|com\.sun\.crypto|javax\.crypto|io\.netty\.handler\.ssl)/) area["TLS (JDK SSLEngine, Netty SslHandler)"]++
      if (stack ~ /io\.netty\.handler\.codec\.http\./) area["HTTP/1.1 codec (Netty)"]++
      if (stack ~ /io\.dsha\.proxy\.http\.Headers\./) area["dsha header copying (Headers.upstream/downstream)"]++
      if (stack ~ /io\.dsha\./) area["any io.dsha frame"]++
      if (stack ~ /(sun\.nio\.ch|NioSocketChannel|AbstractNioByteChannel.*doWrite)/) area["socket I/O glue (NIO, in Java)"]++
      if (stack ~ /io\.vertx\.core\.net\.impl\.pool\./) area["Vert.x client connection pool"]++
    }
    END {
      print "T\t" total
      for (f in th) printf "H\t%d\t%s\n", th[f], f
      for (f in area) printf "A\t%d\t%s\n", area[f], f
      for (f in self) printf "S\t%d\t%s\n", self[f], f
      for (f in incl) printf "I\t%d\t%s\n", incl[f], f
    }' > "$samples"
  local total
  total="$(awk -F'\t' '$1 == "T" {print $2}' "$samples")"
  [ "${total:-0}" -gt 0 ] || { echo "no execution samples between $2 and $3"; return 0; }
  pct() { sort -t$'\t' -k2,2nr | sed -n "1,${1}p" | awk -F'\t' -v t="$total" '{ printf "%6.1f%%  %s\n", 100 * $2 / t, $3 }'; }
  echo "$total execution samples of Java code between $2 and $3 (threads in native code, e.g. epoll/read/write, are not sampled)"
  echo
  echo "by thread:"; awk -F'\t' '$1 == "H"' "$samples" | pct 8
  echo
  echo "by area (a sample counts in every area on its stack):"; awk -F'\t' '$1 == "A"' "$samples" | pct 10
  echo
  echo "self (top frame):"; awk -F'\t' '$1 == "S"' "$samples" | pct 20
  echo
  echo "inclusive, io.dsha / io.micrometer / io.quarkus frames:"
  awk -F'\t' '$1 == "I" && $3 ~ /^(io\.dsha|io\.micrometer|io\.quarkus)/' "$samples" | pct 25
}

mkdir -p "$(dirname "$RESULTS")"
if [ "$PROFILE" = 1 ]; then
  for p in "${PROFILES[@]+"${PROFILES[@]}"}"; do
    IFS='|' read -r key from to <<< "$p"
    {
      echo
      echo "## JFR execution samples of \`$key\` during the measurement"
      echo '```'
      jfr_summary "$RUN/$key.jfr" "$from" "$to"
      echo '```'
    } >> "$RUN/latest.md"
    cp "$RUN/$key.jfr" "$ROOT/bench/results/$key.jfr" 2>/dev/null || true
  done
fi

# ---- the charts: req/s and p99 per scenario (bench/tools/Charts.java, JDK only) --------------------------------
{
  printf 'scenario\tsubject\tthreads\trps\tp50_ms\tp99_ms\n'
  for row in "${ROWS[@]}"; do
    IFS='|' read -r scenario threads rps p50 p99 errors cpu_us others key <<< "$row"
    case "$key" in
      direct) printf 'direct\tNGINX alone\t-\t%s\t%s\t%s\n' "$rps" "$p50" "$p99" ;;
      *) sc="${key#*-}"; sc="${sc%-t*}"
         subject="dsha proxy"; [ "${key%%-*}" = haproxy ] && subject="HAProxy 2.6"
         printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$sc" "$subject" "$threads" "$rps" "$p50" "$p99" ;;
    esac
  done
} > "$RUN/throughput.tsv"
CHARTS=""
if [ "$PROFILE" != 1 ]; then
  base="$(dirname "$RESULTS")/throughput"
  if java "$ROOT/bench/tools/Charts.java" bars --tsv "$RUN/throughput.tsv" --out-rps "$base-rps.png" --out-p99 "$base-p99.png" \
      --title "wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, keep-alive except tls-new, loopback, $(nproc) CPUs shared" > "$RUN/charts.log" 2>&1; then
    cp "$RUN/throughput.tsv" "$base.tsv"
    CHARTS="charts: $base-rps.png, $base-p99.png (data: $base.tsv)"
    printf '\n## Charts\n\n![req/s per scenario](throughput-rps.png)\n\n![p99 per scenario](throughput-p99.png)\n' >> "$RUN/latest.md"
  else
    log "warning: the charts could not be drawn (see $RUN/charts.log)"
  fi
fi

mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/latest.md" "$RESULTS"
echo
echo "$TABLE"
[ -z "$CHARTS" ] || echo "bench: $CHARTS"
echo
echo "bench: full report with configurations: $RESULTS (run took ${ELAPSED}s)"
