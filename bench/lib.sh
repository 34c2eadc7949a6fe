# Helpers shared by the bench scripts (run.sh, propagation.sh, cp-failover.sh, soak.sh, ...; sourced, not run). The same conventions
# as bench/run.sh: everything on 127.0.0.1, free ports picked at run time, every process started is
# recorded in PIDS and stopped by the cleanup trap, nothing is ever installed.
# The sourcing script sets ROOT, KEEP and NAME (used in messages) before sourcing.

CP_JAR="${CP_JAR:-$ROOT/control-plane/target/quarkus-app/quarkus-run.jar}"   # CP_JAR=... measures another build (A/B runs)
PROXY_JAR="$ROOT/proxy-service/target/quarkus-app/quarkus-run.jar"

die() { echo "$NAME: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

seconds() { local d="$1"; case "$d" in *h) echo $(( ${d%h} * 3600 ));; *m) echo $(( ${d%m} * 60 ));; *s) echo "${d%s}";; *) echo "$d";; esac; }
check_duration() { [[ "$1" =~ ^[0-9]+[smh]?$ ]] || die "a duration looks like 10s, 2m or 30 (seconds); got '$1'"; }
check_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "$2 is a positive integer; got '$1'"; }

# common_option "$@": the options every bench script takes (--results FILE, --note TEXT, --keep, -h/--help; usage is
# the script's own); anything else is refused (exit 2). Sets TAKEN to how many arguments it used: the caller shifts.
common_option() {
  case "$1" in
    --results) [ $# -ge 2 ] || die "--results needs a file"; RESULTS="$2"; TAKEN=2 ;;
    --note) [ $# -ge 2 ] || die "--note needs a text"; NOTE="$2"; TAKEN=2 ;;
    --keep) KEEP=1; TAKEN=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
}

# needs "cmd:package ..." — says which Debian packages are missing and how to install them; never installs.
needs() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    {
      echo "$NAME: missing Debian packages: ${missing[*]}"
      echo "       install them with:"
      echo
      echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
      echo
      echo "       (the script never installs anything itself; no system service needs to run, it starts its own instances)"
    } >&2
    exit 3
  fi
  command -v java >/dev/null 2>&1 || die "java (a JDK 17) is not on PATH"
}

# The jars are not built here (a build takes minutes and is not part of a measurement).
need_jars() {
  local build="./mvnw -B -o -DskipTests package -pl api,control-plane,proxy-service -am"
  [ -f "$CP_JAR" ] && [ -f "$PROXY_JAR" ] || die "build the jars first: (cd $ROOT && $build)"
  if [ -n "$(find "$ROOT/api" "$ROOT/proxy-service" "$ROOT/control-plane" -path '*/src/main/*' -newer "$PROXY_JAR" -print -quit 2>/dev/null)" ]; then
    log "warning: sources are newer than $PROXY_JAR; measuring the jar as built (rebuild: $build)"
  fi
}

# ---- process bookkeeping, cleanup ------------------------------------------------------------------------
PIDS=()
EXTRA_DIRS=()   # directories made outside RUN, removed on exit
FROZEN=()       # processes a script stopped (SIGSTOP): resumed first on exit
new_run_dir() {
  RUN="$(mktemp -d "${TMPDIR:-/tmp}/dsha-$NAME.XXXXXX")"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${FROZEN[@]+"${FROZEN[@]}"}"; do kill -CONT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  local d
  for d in "${EXTRA_DIRS[@]+"${EXTRA_DIRS[@]}"}"; do rm -rf "$d"; done
  if [ "$KEEP" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "$NAME: run directory kept: $RUN" >&2
  else
    rm -rf "$RUN"
  fi
  exit "$rc"
}
# SIGTERM, up to 15 s for a graceful stop, then SIGKILL. Only processes this script started.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -CONT "$pid" 2>/dev/null || true   # a stopped process would not act on the TERM
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}
stop_and_forget() { stop_pid "$1"; forget_pid "$1"; }

# A free loopback port outside the ephemeral range (so load generators' own connections cannot take it).
USED_PORTS=" "
free_port() {   # free_port VAR
  local p i
  for i in $(seq 1 500); do
    p=$(( 20000 + RANDOM % 12000 ))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED_PORTS+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

wait_http() {   # wait_http URL SECONDS PID NAME LOG [curl options]
  local url="$1" secs="$2" pid="$3" name="$4" logf="$5" i
  shift 5
  for i in $(seq 1 $(( secs * 10 ))); do
    kill -0 "$pid" 2>/dev/null || { tail -40 "$logf" >&2; die "$name exited during start-up (log above: $logf)"; }
    if curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  tail -40 "$logf" >&2
  die "$name did not answer $url within ${secs}s"
}

# ---- wrk ------------------------------------------------------------------------------------------------
# run_wrk URL DURATION OUTFILE: wrk -t$WRK_THREADS -c$CONNECTIONS --latency plus the options in WRK_OPTS, in the
# background and waited for (a signal stops the run at once; the cleanup stops wrk too), bounded by its duration
# plus 30 s (a warm-up may be longer than a measurement).
WRK_OPTS=()
NEW_CONNECTION=(-H "Connection: close")   # in WRK_OPTS: every request on a new connection (the server closes after each answer)
WRK_PID=""
run_wrk() {
  timeout "$(( $(seconds "$2") + 30 ))" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2" --latency ${WRK_OPTS[@]+"${WRK_OPTS[@]}"} "$1" > "$3" 2>&1 &
  WRK_PID=$!
  PIDS+=("$WRK_PID")
  wait "$WRK_PID" || { cat "$3" >&2; die "wrk failed against $1"; }
  forget_pid "$WRK_PID"; WRK_PID=""
}

cmdline() { local a out=""; for a in "$@"; do out+="$(printf '%q' "$a") "; done; echo "${out% }"; }

make_tokens() {
  ADMIN_TOKEN="bench-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  AGENT_TOKEN="bench-agent-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# ---- NGINX stand-ins: the peers' configuration (/work/shared/peers/README.md), one worker each ----------
# start_nginx NAME PORT BODY [EXTRA]: EXTRA is added inside the server block (e.g. a large-body location).
# NGINX_TLS=CERT:KEY serves HTTPS with that certificate; NGINX_KEEPALIVE_REQUESTS (default 1000000) is the
# number of requests after which NGINX closes a keep-alive connection (its own default is 1000).
start_nginx() {
  local name="$1" port="$2" body="$3" extra="${4:-}" tls="" scheme=http check=()
  if [ -n "${NGINX_TLS:-}" ]; then
    tls=" ssl; ssl_certificate ${NGINX_TLS%%:*}; ssl_certificate_key ${NGINX_TLS#*:}"
    scheme=https; check=(--cacert "${NGINX_TLS%%:*}")
  fi
  mkdir -p "$RUN/$name-tmp"
  # Only the temp paths are added to the peers' configuration (NGINX refuses to start as a user who
  # cannot write the compiled-in ones; nothing is written there for these GETs).
  cat > "$RUN/$name.conf" <<CONF
worker_processes 1; daemon off; pid $RUN/$name.pid; error_log $RUN/$name.err;
events { worker_connections 1024; }
http { access_log off; keepalive_requests ${NGINX_KEEPALIVE_REQUESTS:-1000000};
  client_body_temp_path $RUN/$name-tmp/body; proxy_temp_path $RUN/$name-tmp/proxy;
  fastcgi_temp_path $RUN/$name-tmp/fastcgi; uwsgi_temp_path $RUN/$name-tmp/uwsgi; scgi_temp_path $RUN/$name-tmp/scgi;${NGINX_HTTP_EXTRA:-}
  server { listen 127.0.0.1:$port$tls;
    location / { default_type text/plain; return 200 "$body\n"; }
    location = /health { default_type text/plain; return 200 "ok\n"; }${extra} } }
CONF
  nginx -p "$RUN" -e "$RUN/$name.err" -c "$RUN/$name.conf" > "$RUN/$name.out" 2>&1 &
  PIDS+=("$!")
  wait_http "$scheme://127.0.0.1:$port/health" 10 "$!" "nginx $name" "$RUN/$name.err" ${check[@]+"${check[@]}"}
}

# start_stand_ins: the two NGINX stand-ins, alpha on P1 and bravo on P2 (free ports picked here).
start_stand_ins() {
  free_port P1; free_port P2
  log "starting NGINX stand-ins on 127.0.0.1:$P1 (alpha) and 127.0.0.1:$P2 (bravo)"
  start_nginx alpha "$P1" alpha
  start_nginx bravo "$P2" bravo
}

# ---- control plane, topology, checker reports -------------------------------------------------------------
# cp_cmd ARRAY PORT [-D... of the store]: a control plane's command line.
# CP_JAVA_OPTS: extra JVM options of the control plane (e.g. a profiler's -agentpath)
cp_cmd() {
  local -n _cp="$1"
  local port="$2"
  shift 2
  # shellcheck disable=SC2206
  _cp=(java -Xmx256m ${CP_JAVA_OPTS:-} -Ddsha.admin-token="$ADMIN_TOKEN" -Ddsha.agent-token="$AGENT_TOKEN"
       "$@" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -jar "$CP_JAR")
}
# start_control_plane: the single control plane on its file store (dsha.store=file, state in CP_STATE).
start_control_plane() {
  free_port CP_PORT
  CP_STATE="${CP_STATE:-$RUN/control-plane}"
  mkdir -p "$CP_STATE"
  cp_cmd CP_CMD "$CP_PORT" -Ddsha.state-dir="$CP_STATE"
  log "starting the control plane on 127.0.0.1:$CP_PORT"
  "${CP_CMD[@]}" > "$RUN/control-plane.log" 2>&1 &
  CP_PID=$!
  PIDS+=("$CP_PID")
  CP_URL="http://127.0.0.1:$CP_PORT"
  wait_http "$CP_URL/q/health/ready" 90 "$CP_PID" "the control plane" "$RUN/control-plane.log"
}

# ---- etcd and replicated control planes (dsha.store=etcd) ---------------------------------------------------
# start_etcd_cluster N [PARENT]: N etcd members on loopback (member I's data in PARENT/etcd-mI, default the run
# directory; log in RUN/etcd-mI.log), waited for until each answers /health with "true". Sets ETCD_ENDPOINTS
# (client URLs, comma-separated), ETCD_PIDS and ETCD_CMDS (command lines, for reports).
start_etcd_cluster() {
  local n="$1" parent="${2:-$RUN}" i client_port peer_port initial="" token   # (not p: free_port's own local)
  token="bench-$(basename "$RUN")"
  local -a clients=() peers=()
  ETCD_PIDS=(); ETCD_CMDS=()
  for i in $(seq 0 $(( n - 1 ))); do
    free_port client_port; free_port peer_port
    clients+=("http://127.0.0.1:$client_port"); peers+=("http://127.0.0.1:$peer_port")
    initial+="${initial:+,}m$i=http://127.0.0.1:$peer_port"
  done
  ETCD_ENDPOINTS="$(IFS=,; echo "${clients[*]}")"
  log "starting $n etcd members (clients $ETCD_ENDPOINTS)"
  for i in $(seq 0 $(( n - 1 ))); do
    local -a cmd=(etcd --name "m$i" --data-dir "$parent/etcd-m$i"
      --listen-client-urls "${clients[$i]}" --advertise-client-urls "${clients[$i]}"
      --listen-peer-urls "${peers[$i]}" --initial-advertise-peer-urls "${peers[$i]}"
      --initial-cluster "$initial" --initial-cluster-token "$token" --initial-cluster-state new
      --logger zap --log-outputs stderr)
    ETCD_CMDS+=("etcd m$i: $(cmdline "${cmd[@]}")")
    "${cmd[@]}" > "$RUN/etcd-m$i.log" 2>&1 &
    PIDS+=("$!"); ETCD_PIDS+=("$!")
  done
  # A member answers /health "true" once the cluster has a leader (all members started: a quorum).
  for i in $(seq 0 $(( n - 1 ))); do
    local k ok=0
    for k in $(seq 1 300); do
      kill -0 "${ETCD_PIDS[$i]}" 2>/dev/null || { tail -20 "$RUN/etcd-m$i.log" >&2; die "etcd m$i exited during start-up"; }
      case "$(curl -sS --max-time 1 "${clients[$i]}/health" 2>/dev/null)" in *'"health":"true"'*) ok=1; break ;; esac
      sleep 0.1
    done
    [ "$ok" = 1 ] || { tail -20 "$RUN/etcd-m$i.log" >&2; die "etcd m$i was not healthy within 30 s"; }
  done
}

# start_cp_replica I: (re)starts control plane replica cp-I (I from 1) on the etcd cluster, on its port CP_PORTS[I]
# (picked free the first time; a restart reuses it), replica id cp-I, advertised at its URL. CP_ETCD_OPTS: extra
# -D options of every replica (e.g. -Ddsha.etcd.lease-ttl=2s). Sets CP_PIDS[I], CP_URLS_OF[I], CP_CMDLINES[I];
# appends to RUN/cp-I.log. Does not wait.
CP_PORTS=(); CP_PIDS=(); CP_URLS_OF=(); CP_CMDLINES=()
start_cp_replica() {
  local i="$1" cp_port
  [ -n "${CP_PORTS[$i]:-}" ] || { free_port cp_port; CP_PORTS[$i]="$cp_port"; }
  local port="${CP_PORTS[$i]}"
  local -a cmd
  # shellcheck disable=SC2206
  cp_cmd cmd "$port" -Ddsha.store=etcd -Ddsha.etcd.endpoints="$ETCD_ENDPOINTS" -Ddsha.etcd.prefix=/dsha/ \
    -Ddsha.replica-id="cp-$i" -Ddsha.advertise-url="http://127.0.0.1:$port" ${CP_ETCD_OPTS:-}
  CP_CMDLINES[$i]="cp-$i: $(cmdline "${cmd[@]}")"
  CP_URLS_OF[$i]="http://127.0.0.1:$port"
  "${cmd[@]}" >> "$RUN/cp-$i.log" 2>&1 &
  CP_PIDS[$i]=$!
  PIDS+=("$!")
}
# cp_role URL: LEADER, FOLLOWER or CANDIDATE from the replica's readiness (empty when it does not answer).
cp_role() {
  curl -sS --max-time 1 "$1/q/health/ready" 2>/dev/null | grep -o '"role" *: *"[A-Z]*"' | grep -o '[A-Z]*"$' | tr -d '"' || true
}
# start_cp_replicas N: N replicas on the etcd cluster (start_etcd_cluster first), waited for until each answers
# readiness and one of them leads (within 90 s). Sets CP_URLS (all URLs, comma-separated) and CP_LEADER (its index).
start_cp_replicas() {
  local n="$1" i
  log "starting $n control plane replicas on etcd"
  for i in $(seq 1 "$n"); do start_cp_replica "$i"; done
  for i in $(seq 1 "$n"); do wait_http "${CP_URLS_OF[$i]}/q/health/ready" 90 "${CP_PIDS[$i]}" "cp-$i" "$RUN/cp-$i.log"; done
  CP_URLS="$(IFS=,; echo "${CP_URLS_OF[*]}")"
  wait_cp_leader 30 || die "no control plane replica leads after 30 s"
  log "cp-$CP_LEADER leads (${CP_URLS_OF[$CP_LEADER]})"
}
# wait_cp_leader SECONDS: until exactly one replica reports LEADER and every other one FOLLOWER; sets CP_LEADER.
wait_cp_leader() {
  local k i role leaders followers
  for k in $(seq 1 $(( $1 * 10 ))); do
    leaders=0; followers=0
    for i in "${!CP_URLS_OF[@]}"; do
      role="$(cp_role "${CP_URLS_OF[$i]}")"
      case "$role" in LEADER) leaders=$(( leaders + 1 )); CP_LEADER="$i" ;; FOLLOWER) followers=$(( followers + 1 )) ;; esac
    done
    [ "$leaders" = 1 ] && [ $(( leaders + followers )) = "${#CP_URLS_OF[@]}" ] && return 0
    sleep 0.1
  done
  return 1
}

# write_topology FILE NOMINAL_PORT P1 P2: the ACTIVE_ACTIVE topology of bench/run.sh (TLS terminated;
# proxies started with dsha.listener.plain-http=true serve plain HTTP on it instead).
write_topology() {
  cat > "$1" <<JSON
{"listener": {"host": "127.0.0.1", "port": $2},
 "tlsMode": "TERMINATE",
 "mode": "ACTIVE_ACTIVE",
 "allDown": "TRY_ALL",
 "backends": [
   {"id": "a", "host": "127.0.0.1", "port": $3, "priority": 0, "weight": 1,
    "healthCheck": {"type": "HTTP", "path": "/health", "expectStatus": 200, "intervalMs": 1000, "timeoutMs": 500, "rise": 2, "fall": 2}},
   {"id": "b", "host": "127.0.0.1", "port": $4, "priority": 1, "weight": 1,
    "healthCheck": {"type": "HTTP", "path": "/health", "expectStatus": 200, "intervalMs": 1000, "timeoutMs": 500, "rise": 2, "fall": 2}}]}
JSON
}

use_topology() {   # use_topology FILE: PUT it, then a checker's observations (rise 2): both backends UP
  curl -sS --fail-with-body -o "$RUN/put-topology.json" -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$1" "$CP_URL/api/v1/topology" \
    || die "the control plane refused the topology: $(cat "$RUN/put-topology.json" 2>/dev/null)"
  local i state active
  for i in 1 2; do
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $AGENT_TOKEN" -H 'Content-Type: application/json' \
      --data '{"source":"CHECKER","reporterId":"bench-checker","observations":[{"backendId":"a","status":"UP"},{"backendId":"b","status":"UP"}]}' \
      "$CP_URL/api/v1/reports" || die "the control plane refused a checker report"
  done
  state="$(curl -fsS -H "Authorization: Bearer $AGENT_TOKEN" "$CP_URL/api/v1/state")"
  active="$(printf '%s' "$state" | grep -o '"active" *: *\[[^]]*\]' | sed -n "1,1p")"
  case "$active" in *'"a"'*'"b"'*|*'"b"'*'"a"'*) log "routing ($(basename "$1")): $active" ;; *) die "both backends should be active; the state is: $state" ;; esac
}
# report_topology: the report's section on the topology used (write_topology, use_topology).
report_topology() {
  echo "### Topology (PUT /api/v1/topology, then two CHECKER reports marking a and b UP)"
  echo '```json'; cat "$RUN/topology.json"; echo '```'
}
cp_revision() { curl -fsS -o /dev/null -D - -H "Authorization: Bearer $AGENT_TOKEN" "$CP_URL/api/v1/state" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-dsha-revision" { print $2 }'; }

# ---- our proxy ---------------------------------------------------------------------------------------------
# proxy_cmd ARRAY NAME PORT MGMT tls|http EVENT_LOOPS [extra -D...]: the command line of bench/run.sh's start_proxy.
# Its control plane: PROXY_CP_URLS when set (several replicas' URLs, comma-separated), else CP_URL.
proxy_cmd() {
  local -n _cmd="$1"
  local name="$2" port="$3" mgmt="$4" mode="$5" loops="$6"
  shift 6
  mkdir -p "$RUN/$name-state"
  # shellcheck disable=SC2206
  _cmd=(java $JAVA_OPTS
    -Ddsha.control-plane.url="${PROXY_CP_URLS:-$CP_URL}" -Ddsha.agent-token="$AGENT_TOKEN"
    -Ddsha.state-dir="$RUN/$name-state" -Ddsha.proxy-id="bench-$name"
    -Ddsha.listener.host=127.0.0.1 -Ddsha.listener.port="$port"
    -Ddsha.event-loops="$loops" -Ddsha.access-log.enabled=false
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$mgmt")
  if [ "$mode" = tls ]; then
    _cmd+=(-Ddsha.tls.cert-file="$RUN/lb.crt" -Ddsha.tls.key-file="$RUN/lb.key")
  else
    _cmd+=(-Ddsha.listener.plain-http=true)
  fi
  _cmd+=("$@" -jar "$PROXY_JAR")
}

# Microsecond log timestamps (the default format has milliseconds; the rest of the default format kept), for
# proxies whose "Adopted revision N" lines are timed (propagation.sh, cp-failover.sh).
MICRO_LOG_FORMAT='%d{HH:mm:ss.SSSSSS} %-5p [%c{2.}] %s%e%n'
# adoptions LOG: "revision tod_us" per "Adopted revision N" line of a proxy logging with MICRO_LOG_FORMAT
# (tod_us: microseconds since local midnight).
adoptions() {
  sed -nE 's/^([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6}) .*Adopted revision ([0-9]+) .*/\5 \1 \2 \3 \4/p' "$1" \
    | awk '{ printf "%d %.0f\n", $1, (($2 * 60 + $3) * 60 + $4) * 1000000 + $5 }'
}
revision_of() { printf '%s' "$1" | grep -o '"revision" *: *[0-9]*' | grep -o '[0-9]*$' || true; }
# wait_proxy_revision MGMT_PORT REV NAME: the proxy's readiness reports revision REV within 30 s
wait_proxy_revision() {
  local _
  for _ in $(seq 1 300); do
    [ "$(revision_of "$(curl -fsS "http://127.0.0.1:$1/q/health/ready")")" = "$2" ] && return 0
    sleep 0.1
  done
  die "$3 did not reach revision $2 within 30 s: $(curl -sS "http://127.0.0.1:$1/q/health/ready")"
}

# ---- memory of a process -------------------------------------------------------------------------------------
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# From the management port's Prometheus metrics, in bytes: heap used, non-heap used, live heap
# (jvm_gc_live_data_size_bytes: the old generation after the last full/mixed collection), Netty's pooled
# direct memory (arenas allocated) and the part of it in buffers in use (pinned).
jvm_memory() {   # jvm_memory MGMT_PORT -> "heap nonheap live netty_direct netty_pinned"
  curl -fsS --max-time 3 "http://127.0.0.1:$1/q/metrics" 2>/dev/null | awk '
    /^jvm_memory_used_bytes\{/ { if ($0 ~ /area="heap"/) h += $NF; else if ($0 ~ /area="nonheap"/) n += $NF }
    /^jvm_gc_live_data_size_bytes/ { l = $NF }
    /^netty_allocator_memory_used\{/ && /memory_type="direct"/ { d += $NF }
    /^netty_allocator_memory_pinned\{/ && /memory_type="direct"/ { p += $NF }
    END { printf "%.0f %.0f %.0f %.0f %.0f\n", h, n, l, d, p }'
}

# ---- lightweight watchers (bench/tools/Watchers.java: N long-polls in one JVM, one selector thread) -----------------
# start_watchers N DIR [QUERY]: N watchers of CP_URL (agent token), their files in DIR; sets WATCHERS_PID, WATCHERS_CMD.
start_watchers() {
  mkdir -p "$2"
  WATCHERS_CMD=(java -Xmx256m -XX:+UseSerialGC "$ROOT/bench/tools/Watchers.java" "$CP_URL" "$AGENT_TOKEN" "$1" "$2" ${3:+"$3"})
  log "starting $1 lightweight watchers (one JVM)"
  "${WATCHERS_CMD[@]}" > "$2.log" 2>&1 &
  WATCHERS_PID=$!
  WATCHERS_DIR="$2"
  PIDS+=("$WATCHERS_PID")
}
# wait_watchers DIR REV SECONDS: until every watcher holds revision REV or later (DIR/progress), none failed.
wait_watchers() {
  local dir="$1" rev="$2" k line min errors
  for k in $(seq 1 $(( $3 * 10 ))); do
    kill -0 "$WATCHERS_PID" 2>/dev/null || { tail -20 "$dir.log" >&2; die "the watchers exited (log: $dir.log)"; }
    line="$(cat "$dir/progress" 2>/dev/null || true)"
    min="$(printf '%s' "$line" | sed -nE 's/.* min=(-?[0-9]+).*/\1/p')"
    errors="$(printf '%s' "$line" | sed -nE 's/.* errors=([0-9]+).*/\1/p')"
    [ -z "$errors" ] || [ "$errors" = 0 ] || { tail -20 "$dir.log" >&2; die "watchers failed: $line"; }
    [ -n "$min" ] && [ "$min" -ge "$rev" ] && return 0
    sleep 0.1
  done
  die "the watchers did not all reach revision $rev within $3 s: $line"
}
# stop_watchers: SIGTERM (they write DIR/received.csv: watcher,revision,status,received_epoch_us,body_bytes), waited for.
stop_watchers() {
  stop_and_forget "$WATCHERS_PID"
  [ -s "$WATCHERS_DIR/received.csv" ] || die "the watchers wrote no $WATCHERS_DIR/received.csv (log: $WATCHERS_DIR.log)"
}
# watcher_delays CHANGES_CSV RECEIVED_CSV: propagation.sh's delays.csv for watchers: per change (RoutingChanges.java's
# CSV: revision $4, sent/accepted epoch µs $5/$6) and watcher, the first 200 answer with a revision >= the change's.
watcher_delays() {
  echo "i,proxy,revision,adopted_revision,sent_to_adopted_ms,accepted_to_adopted_ms,sent_to_accepted_ms"
  awk -F, 'NR > 1 && $3 == 200' "$2" | sort -t, -k1,1n -k2,2n | awk -F, -v changes="$1" '
    BEGIN {
      while ((getline line < changes) > 0) {
        split(line, c, ",")
        if (c[1] == "i") continue
        n++; ci[n] = c[1]; cr[n] = c[4] + 0; cs[n] = c[5]; ca[n] = c[6]
      }
    }
    $1 != cur { cur = $1; k = 1 }
    { while (k <= n && cr[k] <= $2 + 0) {
        printf "%d,%d,%d,%d,%.3f,%.3f,%.3f\n", ci[k], $1, cr[k], $2, ($4 - cs[k]) / 1000, ($4 - ca[k]) / 1000, (ca[k] - cs[k]) / 1000
        k++ } }'
}
# cpu_ticks PID: user + system clock ticks the process used so far (/proc/PID/stat; ticks of 1/getconf CLK_TCK s).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
