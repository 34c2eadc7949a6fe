#!/usr/bin/env bash
# Two balancer hosts, one floating address: ours (dsha proxies + keepalived from ./dsha vrrp-config) next to the
# usual setup (HAProxy 2.6 + keepalived with advert_int 1 and a killall -0 check), in the same network namespaces.
#
#   bench/vrrp.sh [--rounds 3] [--setups "dsha usual"] [--faults "kill link freeze"] [--clients 3]
#                 [--freeze-max 10] [--settle 6] [--keep]
#
# Faults, on the host holding the address: kill (kill -9 of its balancer process), link (its eth0 down), freeze
# (SIGSTOP of its balancer; SIGCONT after the address moved, or after --freeze-max seconds when it does not).
# For each setup, round and fault: the time from the fault to the address on the other host and to the clients'
# first answer through the floating address, the longest gap between answers and the failed requests; then the
# failed host recovers and the script notes whether the address moved back. Writes bench/results/vrrp.md.
# Needs root, iproute2, keepalived, haproxy, curl, psmisc (killall), util-linux (unshare, nsenter), a JDK 17, and
# the jars and e2e test classes built (see bench/README.md). Every process and namespace it makes is removed on exit.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=vrrp
OUT="${OUT:-$ROOT/bench/results}"

ROUNDS="${ROUNDS:-3}"
SETUPS="${SETUPS:-dsha usual}"
FAULTS="${FAULTS:-kill link freeze}"
CLIENTS="${CLIENTS:-3}"           # FloatingLoad's keep-alive clients (connect timeout 500 ms, answer timeout 1 s)
FREEZE_MAX="${FREEZE_MAX:-10}"    # seconds a frozen balancer stays frozen when the address does not move
SETTLE="${SETTLE:-6}"             # seconds the address must stay put, both balancers up, before the next fault
KEEP="${KEEP:-0}"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --setups) SETUPS="$2"; shift 2 ;;
    --faults) FAULTS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --freeze-max) FREEZE_MAX="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "vrrp: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

check_count "$ROUNDS" --rounds; check_count "$CLIENTS" --clients
check_count "$FREEZE_MAX" --freeze-max; check_count "$SETTLE" --settle
for f in $FAULTS; do case "$f" in kill|link|freeze) ;; *) die "a fault is kill, link or freeze; got '$f'" ;; esac; done
for s in $SETUPS; do case "$s" in dsha|usual) ;; *) die "a setup is dsha or usual; got '$s'" ;; esac; done

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, keepalived)"
needs ip:iproute2 keepalived:keepalived haproxy:haproxy curl:curl killall:psmisc unshare:util-linux nsenter:util-linux
HS_JAR="$ROOT/health-service/target/quarkus-app/quarkus-run.jar"
SIM_JAR="$ROOT/datastack-sim/target/quarkus-app/quarkus-run.jar"
LAUNCHER_JAR="$ROOT/launcher/target/quarkus-app/quarkus-run.jar"
LOAD_CP="$ROOT/e2e/target/test-classes"
for j in "$CP_JAR" "$PROXY_JAR" "$HS_JAR" "$SIM_JAR" "$LAUNCHER_JAR"; do
  [ -f "$j" ] || die "$j is missing: build the jars first (./mvnw -B -o -q -DskipTests package -pl control-plane,proxy-service,health-service,datastack-sim,launcher -am)"
done
[ -f "$LOAD_CP/io/dsha/e2e/FloatingLoad.class" ] \
  || die "the e2e test classes are missing: ./mvnw -B -o -q test-compile -pl e2e -am"
JAVA="$(command -v java)"

# ---- network: a client, two balancer hosts and a backend host holding the bridge, in namespaces of our own --------
SUBNET=10.78.0
BACKEND=$SUBNET.10; CLIENT_IP=$SUBNET.5; VIP=$SUBNET.100; H1_IP=$SUBNET.21; H2_IP=$SUBNET.22
LB_PORT=8080; CP_PORT=9470
NSP="dshavrrp-$$"
NETNS=()
declare -A INIT=()     # host -> PID of the init (sleep) of its own PID namespace: killall sees that host's processes alone
LOAD_FD_OPEN=0

new_run_dir
trap vrrp_cleanup EXIT
vrrp_cleanup() {
  local rc=$? ns p
  [ "$LOAD_FD_OPEN" = 1 ] && exec 8>&-
  for p in "${FROZEN[@]+"${FROZEN[@]}"}"; do kill -CONT "$p" 2>/dev/null || true; done
  # Every process in our namespaces (they are ours alone), then the namespaces themselves.
  for ns in "${NETNS[@]+"${NETNS[@]}"}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.3
  for ns in "${NETNS[@]+"${NETNS[@]}"}"; do ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"; done
  (exit "$rc"); cleanup
}

ns_of() { echo "$NSP-$1"; }
make_network() {
  local role ns i=0
  for role in b c h1 h2; do
    ns="$(ns_of $role)"
    ip netns add "$ns" || die "ip netns add $ns failed"
    NETNS+=("$ns")
    ip -n "$ns" link set lo up
  done
  local b; b="$(ns_of b)"
  ip -n "$b" link add br0 type bridge
  ip -n "$b" link set br0 up
  ip -n "$b" addr add "$BACKEND/24" dev br0
  for role in c:$CLIENT_IP h1:$H1_IP h2:$H2_IP; do
    ns="$(ns_of "${role%%:*}")"
    ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$b"
    ip -n "$b" link set "p$i" master br0
    ip -n "$b" link set "p$i" up
    ip -n "$ns" addr add "${role#*:}/24" dev eth0
    ip -n "$ns" link set eth0 up
    i=$((i + 1))
  done
}

# ---- hosts: each balancer host runs in its network namespace and a PID namespace of its own ---------------------
host_up() {   # host_up H: a fresh PID namespace for host H (its init: sleep); tried 3 times
  local h="$1" pid child i try
  for try in 1 2 3; do
    ip netns exec "$(ns_of "$h")" unshare --pid --fork --mount-proc sleep 100000 >> "$RUN/$h-init.log" 2>&1 &
    pid=$!
    PIDS+=("$pid"); disown "$pid"
    for i in $(seq 1 100); do
      child="$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')"
      if [ -n "$child" ] && [ "$(cat "/proc/$child/comm" 2>/dev/null)" = sleep ]; then
        INIT[$h]="$child"
        hx "$h" true 2>> "$RUN/$h-init.log" && return 0
      fi
      sleep 0.05
    done
    log "the PID namespace of $h did not start (try $try): $(tail -2 "$RUN/$h-init.log" 2>/dev/null)"
    kill -KILL "$pid" 2>/dev/null || true
  done
  die "the PID namespace of $h did not start"
}
host_down() {   # host_down H: kills everything of host H (its PID namespace ends with its init), removes the address
  local h="$1" ns; ns="$(ns_of "$h")"
  kill -KILL "${INIT[$h]}" 2>/dev/null || true
  local p; for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
  sleep 0.2
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr del "$VIP/24" dev eth0 2>/dev/null || true
}
hx() { local h="$1"; shift; nsenter -t "${INIT[$h]}" -n -p -m -- "$@"; }
hbg() {   # hbg H LOG COMMAND...: in the background on host H
  local h="$1" logf="$2"; shift 2
  nsenter -t "${INIT[$h]}" -n -p -m -- "$@" >> "$logf" 2>&1 &
  PIDS+=("$!"); disown "$!"
}
holds() { ip -n "$(ns_of "$1")" -o -4 addr show dev eth0 | grep -q " $VIP/"; }
holder() { if holds h1; then echo h1; elif holds h2; then echo h2; fi; }
other() { [ "$1" = h1 ] && echo h2 || echo h1; }
balancer_pid() {   # the host PID of host H's balancer (haproxy or the proxy's JVM)
  local p; for p in $(ip netns pids "$(ns_of "$1")"); do
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in haproxy|java) echo "$p"; return 0 ;; esac
  done
  return 1
}
ppid_of() { awk '{print $4}' "/proc/$1/stat"; }
host_ip() { [ "$1" = h1 ] && echo "$H1_IP" || echo "$H2_IP"; }
keepalived_bg() {   # keepalived_bg H: keepalived on host H with $RUN/H/keepalived.conf, checked first
  local h="$1" d="$RUN/$1"
  # The usual configuration has no enable_script_security: keepalived -t then fails with this warning alone (and
  # keepalived runs the script as root all the same); anything else it says is a refusal.
  if ! hx "$h" keepalived -t -l -f "$d/keepalived.conf" > "$d/keepalived-t.log" 2>&1 \
      && grep -qv "SECURITY VIOLATION - scripts are being executed but script_security not enabled" "$d/keepalived-t.log"; then
    cat "$d/keepalived-t.log" >&2; die "keepalived -t refused $d/keepalived.conf"
  fi
  hbg "$h" "$d/keepalived.log" keepalived -n -l -D -P -f "$d/keepalived.conf" -p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid"
}

# ---- the backend host: two simulated instances; for ours also the control plane and a checker ------------------
start_backend() {
  local b; b="$(ns_of b)"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/admin.token"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/agent.token"
  chmod 600 "$RUN/admin.token" "$RUN/agent.token"
  local hc="{type: HTTP, path: /health, expectStatus: 200, intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3}"
  cat > "$RUN/topology.yaml" <<EOF
listener: {host: 0.0.0.0, port: $LB_PORT}
fqdn: datastack.localhost
tlsMode: TERMINATE
mode: ACTIVE_PASSIVE
failback: {policy: AUTO, delayMs: 1000}
allDown: TRY_ALL
backends:
  - {id: a, host: $BACKEND, port: 8081, priority: 0, healthCheck: $hc}
  - {id: b, host: $BACKEND, port: 8082, priority: 1, healthCheck: $hc}
EOF
  local s
  for s in a b; do
    ip netns exec "$b" "$JAVA" -Xms16m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dsim.name=$s -Dsim.host=0.0.0.0 \
      -Dsim.port=$([ $s = a ] && echo 8081 || echo 8082) -Dsim.feed-interval=0ms -Dsim.journal-file="$RUN/sim-$s.journal" \
      -jar "$SIM_JAR" > "$RUN/sim-$s.log" 2>&1 &
    PIDS+=("$!"); disown "$!"
  done
  ip netns exec "$b" "$JAVA" -Xms16m -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Ddsha.admin-token-file="$RUN/admin.token" -Ddsha.agent-token-file="$RUN/agent.token" -Ddsha.state-dir="$RUN/cp" \
    -Ddsha.topology-file="$RUN/topology.yaml" -Dquarkus.http.host=0.0.0.0 -Dquarkus.http.port=$CP_PORT \
    -jar "$CP_JAR" > "$RUN/control-plane.log" 2>&1 &
  PIDS+=("$!"); disown "$!"
  for s in 8081/health 8082/health $CP_PORT/q/health/ready; do
    wait_until 60 "http://$BACKEND:$s" ip netns exec "$b" curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$s"
  done
  ip netns exec "$b" "$JAVA" -Xms16m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Ddsha.control-plane.url=http://127.0.0.1:$CP_PORT -Ddsha.agent-token-file="$RUN/agent.token" -Ddsha.checker-id=checker-1 \
    -Ddsha.report.retry-pause=200ms -Dquarkus.http.port=0 -jar "$HS_JAR" > "$RUN/checker.log" 2>&1 &
  PIDS+=("$!"); disown "$!"
}
wait_until() {   # wait_until SECONDS WHAT COMMAND...: polls every 0.1 s
  local secs="$1" what="$2" i; shift 2
  for i in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what: not within ${secs}s (run directory: $RUN)"
}

# ---- setup 1: ours --------------------------------------------------------------------------------------------
start_dsha_balancer() {   # on host H
  local h="$1"
  hbg "$h" "$RUN/$h/proxy.log" "$JAVA" -Xms16m -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Ddsha.control-plane.url=http://$BACKEND:$CP_PORT -Ddsha.agent-token-file="$RUN/agent.token" \
    -Ddsha.state-dir="$RUN/$h/proxy-state" -Ddsha.listener.plain-http=true -Ddsha.event-loops=1 -Ddsha.access-log.enabled=false \
    -Ddsha.shutdown.delay=1s -Ddsha.shutdown.grace=2s -Dquarkus.http.host=0.0.0.0 -Dquarkus.http.port=9480 -jar "$PROXY_JAR"
}
dsha_ready() { hx "$1" curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:9480/q/health/ready; }
write_dsha_keepalived() {   # host, priority
  local h="$1" d="$RUN/$1"
  "$JAVA" -Ddsha.root="$ROOT" -jar "$LAUNCHER_JAR" vrrp-config --interface eth0 --vip "$VIP/24" --source "$(host_ip "$h")" \
    --peer "$(host_ip "$(other "$h")")" --priority "$2" --advert 100 --out "$d/keepalived.conf" --script-out "$d/dsha-ready.sh" \
    > "$d/vrrp-config.log" 2>&1 || { cat "$d/vrrp-config.log" >&2; die "./dsha vrrp-config failed"; }
  chmod 755 "$d/dsha-ready.sh"
}

# ---- setup 2: the usual: HAProxy 2.6 + keepalived, advert_int 1, killall -0 haproxy every 2 s -----------------
write_usual() {   # host, state, priority
  local h="$1" d="$RUN/$1"
  cat > "$d/haproxy.cfg" <<EOF
global
    log stdout format raw local0 notice
    nbthread 1
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 50s
    timeout server 50s
frontend fe
    bind 0.0.0.0:$LB_PORT
    default_backend be
backend be
    option httpchk GET /health
    server a $BACKEND:8081 check
    server b $BACKEND:8082 check backup
EOF
  cat > "$d/keepalived.conf" <<EOF
vrrp_script chk_haproxy {
    script "/usr/bin/killall -0 haproxy"
    interval 2
    weight 2
}

vrrp_instance VI_1 {
    state $2
    interface eth0
    virtual_router_id 51
    priority $3
    advert_int 1
    unicast_src_ip $(host_ip "$h")
    unicast_peer {
        $(host_ip "$(other "$h")")
    }
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
    track_script {
        chk_haproxy
    }
}
EOF
  haproxy -c -f "$d/haproxy.cfg" > "$d/haproxy-c.log" 2>&1 || { cat "$d/haproxy-c.log" >&2; die "haproxy -c refused $d/haproxy.cfg"; }
}
start_usual_balancer() { hbg "$1" "$RUN/$1/haproxy.log" haproxy -db -f "$RUN/$1/haproxy.cfg"; }
usual_ready() { hx "$1" curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$LB_PORT/api/info"; }

start_setup() {   # start_setup SETUP: both hosts, h1 takes the address
  local s="$1" h
  for h in h1 h2; do rm -rf "${RUN:?}/$h"; mkdir -p "$RUN/$h"; host_up "$h"; done
  if [ "$s" = dsha ]; then
    for h in h1 h2; do start_dsha_balancer "$h"; done
    for h in h1 h2; do wait_until 90 "$h's proxy ready" dsha_ready "$h"; done
    write_dsha_keepalived h1 150; write_dsha_keepalived h2 100
  else
    write_usual h1 MASTER 101; write_usual h2 BACKUP 100
    for h in h1 h2; do start_usual_balancer "$h"; done
    for h in h1 h2; do wait_until 30 "$h's haproxy answering" usual_ready "$h"; done
  fi
  monitor_addresses
  keepalived_bg h1
  wait_until 20 "h1 holding $VIP" holds h1
  keepalived_bg h2
  wait_until 20 "h2's keepalived in BACKUP" grep -q "Entering BACKUP STATE" "$RUN/h2/keepalived.log"
}
stop_setup() { local h; for h in h1 h2; do host_down "$h"; done; }
balancer_ready() { if [ "$1" = dsha ]; then dsha_ready "$2"; else usual_ready "$2"; fi; }
start_balancer() { if [ "$1" = dsha ]; then start_dsha_balancer "$2"; else start_usual_balancer "$2"; fi; }

# Each host's address changes, time-stamped (ip -ts monitor address), in $RUN/H/addr.log; the monitor is in the host's
# network namespace and ends with it.
monitor_addresses() {
  local h; for h in h1 h2; do
    ip -n "$(ns_of "$h")" -ts monitor address dev eth0 > "$RUN/$h/addr.log" 2>&1 &
    PIDS+=("$!"); disown "$!"
  done
}
address_added() {   # address_added H AFTER_US FALLBACK_US: when the floating address was added on H after AFTER_US
  local h="$1" after="$2" line ts us
  while IFS= read -r line; do
    case "$line" in *Deleted*) continue ;; *" inet $VIP/"*) ;; *) continue ;; esac
    ts="${line#\[}"; ts="${ts%%\]*}"
    us="$(date -d "$ts" +%s%6N 2>/dev/null)" || continue
    [ "$us" -ge "$after" ] && { echo "$us"; return 0; }
  done < "$RUN/$h/addr.log"
  echo "$3"
}

# ---- client load: FloatingLoad (e2e test classes) in the client's namespace, one line per request ---------------
start_load() {   # start_load FILE: runs until fd 8 closes
  rm -f "$RUN/load.in"; mkfifo "$RUN/load.in"
  ip netns exec "$(ns_of c)" "$JAVA" -Xmx64m -XX:+UseSerialGC -Dfloating.epoch-micros=true -Dfloating.max-seconds=1800 \
    -cp "$LOAD_CP" io.dsha.e2e.FloatingLoad "http://$VIP:$LB_PORT/api/info" "$CLIENTS" < "$RUN/load.in" > "$1" 2>> "$RUN/load.err" &
  LOAD_PID=$!; PIDS+=("$LOAD_PID"); disown "$LOAD_PID"
  exec 8> "$RUN/load.in"; LOAD_FD_OPEN=1
}
stop_load() { exec 8>&-; LOAD_FD_OPEN=0; stop_and_forget "$LOAD_PID"; }
now_us() { echo "${EPOCHREALTIME/./}"; }
successes_since() { awk -v t="$2" '$1 >= t && $3 >= 200 && $3 < 300 { n++ } END { print n + 0 }' "$1"; }
await_successes() {   # FILE SINCE_US N SECONDS
  local deadline=$(( $(now_us) + $4 * 1000000 ))
  while [ "$(now_us)" -lt "$deadline" ]; do [ "$(successes_since "$1" "$2")" -ge "$3" ] && return 0; sleep 0.05; done
  return 1
}
# window FILE FROM_US T0_US UNTIL_US: "first_answer_ms longest_gap_ms failed total" over the requests in the window
window() {
  awk -v from="$2" -v t0="$3" -v until="$4" '
    $2 >= from && $1 <= until {
      total++
      if ($3 >= 200 && $3 < 300) { ends[n++] = $2; if ($1 >= t0 && (first == "" || $2 < first)) first = $2 }
      else failed++
    }
    END {
      # the ends in order (insertion sort: a few thousand at most)
      for (i = 1; i < n; i++) { v = ends[i]; j = i - 1; while (j >= 0 && ends[j] > v) { ends[j + 1] = ends[j]; j-- } ends[j + 1] = v }
      gap = 0; for (i = 1; i < n; i++) if (ends[i] - ends[i - 1] > gap) gap = ends[i] - ends[i - 1]
      printf "%s %d %d %d\n", (first == "" ? "-" : int((first - t0) / 1000)), int(gap / 1000), failed, total
    }' "$1"
}

# ---- one fault ---------------------------------------------------------------------------------------------------
# measure SETUP FAULT ROUND LOADFILE: appends a row to $RUN/rows.tsv
measure() {
  local s="$1" f="$2" r="$3" lf="$4" from to pid t0 moved="" i end_us rec_us
  from="$(holder)"; [ -n "$from" ] || die "$s: nobody holds $VIP before the fault"
  to="$(other "$from")"
  await_successes "$lf" "$(now_us)" 100 20 || die "$s: the clients are not answered before the fault"
  pid="$(balancer_pid "$from")" || die "$s: no balancer process on $from"
  case "$f" in
    kill) kill -KILL "$pid" ;;
    freeze) FROZEN+=("$pid" "$(ppid_of "$pid")"); kill -STOP "$pid" ;;
    link) ip -n "$(ns_of "$from")" link set eth0 down ;;
  esac
  # The fault's moment: once the signal is sent or the link is down (a request sent just before it may still succeed).
  t0="$(now_us)"
  local bound=20; [ "$f" = freeze ] && bound="$FREEZE_MAX"
  local deadline=$((t0 + bound * 1000000))
  while [ "$(now_us)" -lt "$deadline" ]; do
    holds "$to" && { moved="$(now_us)"; break; }
    sleep 0.01
  done
  if [ -n "$moved" ]; then
    # The polling above is coarse (an ip command per turn on a busy machine): the kernel's own time stamp of the
    # address added on the new holder (ip -ts monitor) is the moment it moved.
    moved="$(address_added "$to" "$t0" "$moved")"
    await_successes "$lf" "$moved" 100 20 || log "$s $f: few answers after the move"
  fi
  end_us="$(now_us)"
  [ -n "$moved" ] || log "$s $f round $r: the address did not move within ${bound}s"
  # Recovery: the balancer started again, thawed, the link up; then the address must stay put for SETTLE s.
  rec_us="$(now_us)"
  case "$f" in
    kill) start_balancer "$s" "$from" ;;
    # nsenter, the balancer's parent, stops itself when its child stops and stays stopped (not reaping the child
    # once it is killed: a zombie that killall -0 still finds); both go on.
    freeze) kill -CONT "${FROZEN[@]}"; FROZEN=() ;;
    link) ip -n "$(ns_of "$from")" link set eth0 up ;;
  esac
  if [ -z "$moved" ]; then
    await_successes "$lf" "$rec_us" 100 20 || log "$s $f: few answers after the thaw"
    end_us="$(now_us)"
  fi
  wait_until 90 "$s: $from's balancer back" balancer_ready "$s" "$from"
  # Settled: the same single holder for SETTLE s (bounded: 30 × SETTLE s).
  local last since now give_up=$(( $(now_us) + SETTLE * 30 * 1000000 ))
  last="$(holder)"; since="$(now_us)"
  while :; do
    sleep 0.1
    now="$(holder)"
    if [ -z "$now" ] || [ "$now" != "$last" ] || { holds h1 && holds h2; }; then last="$now"; since="$(now_us)"; fi
    [ -n "$last" ] && [ $(( $(now_us) - since )) -ge $((SETTLE * 1000000)) ] && break
    [ "$(now_us)" -lt "$give_up" ] || die "$s: the address did not settle after the $f of round $r"
  done
  # Moved back: the address had moved away and the recovered host took it again.
  local back=no; [ -z "$moved" ] && back="-"; [ -n "$moved" ] && [ "$last" = "$from" ] && back=yes
  local settled; settled="$(now_us)"
  local fig rec
  fig="$(window "$lf" $((t0 - 1000000)) "$t0" "$end_us")"
  rec="$(window "$lf" "$end_us" "$end_us" "$settled")"
  local moved_ms="-"; [ -n "$moved" ] && moved_ms=$(( (moved - t0) / 1000 ))
  # setup fault round from moved_ms first_ms gap_ms failed total back back_gap back_failed
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$f" "$r" "$from" "$moved_ms" \
    $fig "$back" "$(echo "$rec" | awk '{print $2}')" "$(echo "$rec" | awk '{print $3}')" >> "$RUN/rows.tsv"
  log "$s $f round $r ($from): moved ${moved_ms} ms; first answer, gap, failed, total: $fig; moved back: $back, then: $rec"
}

# ---- run -------------------------------------------------------------------------------------------------------
log "run directory $RUN; namespaces $NSP-{b,c,h1,h2}"
make_network
start_backend
: > "$RUN/rows.tsv"
declare -A CONF_SHOWN=()
for s in $SETUPS; do
  log "setup $s: starting"
  start_setup "$s"
  for h in h1 h2; do cp "$RUN/$h/keepalived.conf" "$RUN/$s-$h-keepalived.conf"; done
  [ "$s" = usual ] && cp "$RUN/h1/haproxy.cfg" "$RUN/usual-haproxy.cfg"
  [ "$s" = dsha ] && cp "$RUN/h1/dsha-ready.sh" "$RUN/dsha-ready.sh"
  start_load "$RUN/$s-load.txt"
  await_successes "$RUN/$s-load.txt" 0 200 60 || die "$s: the clients get no answers through $VIP"
  # A warm-up: the JVMs' JIT (ours) and the clients' own.
  sleep 5
  for r in $(seq 1 "$ROUNDS"); do
    for f in $FAULTS; do measure "$s" "$f" "$r" "$RUN/$s-load.txt"; done
  done
  stop_load
  stop_setup
done

# ---- report ----------------------------------------------------------------------------------------------------
mkdir -p "$OUT"
REPORT="$OUT/vrrp.md"
stats() {   # stats SETUP FAULT COLUMN: "min / median / max" of the numeric values, with the count of "-"
  awk -F'\t' -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { if ($c == "-") dash++; else v[n++] = $c + 0 }
    END {
      for (i = 1; i < n; i++) { x = v[i]; j = i - 1; while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
      out = n == 0 ? "—" : (n == 1 ? v[0] : v[0] " / " v[int((n - 1) / 2)] " / " v[n - 1])
      if (dash > 0) out = out " (" dash " of " dash + n " none)"
      print out
    }' "$RUN/rows.tsv"
}
backs() { awk -F'\t' -v s="$1" -v f="$2" '$1 == s && $2 == f && $10 != "-" { n++; if ($10 == "yes") y++ } END { printf (n ? "%d of %d" : "—"), y, n }' "$RUN/rows.tsv"; }
setup_name() { [ "$1" = dsha ] && echo "ours (dsha + vrrp-config)" || echo "usual (HAProxy 2.6 + keepalived)"; }
fault_name() { case "$1" in kill) echo "kill -9 of the balancer" ;; link) echo "its link down" ;; freeze) echo "SIGSTOP of the balancer" ;; esac; }
{
  echo "# Two balancer hosts, one floating address: ours next to HAProxy 2.6 + keepalived"
  echo
  echo "\`bench/vrrp.sh --rounds $ROUNDS --setups \"$SETUPS\" --faults \"$FAULTS\" --clients $CLIENTS --freeze-max $FREEZE_MAX --settle $SETTLE\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; RAM $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "- $(java -version 2>&1 | head -1); $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3); $(keepalived -v 2>&1 | head -1)"
  echo
  echo "## What runs"
  echo
  echo "Network namespaces made by the script: a client ($CLIENT_IP), two balancer hosts h1 ($H1_IP) and h2 ($H2_IP), a"
  echo "backend host ($BACKEND) holding the bridge; the floating address $VIP/24. Each balancer host also has a PID namespace"
  echo "of its own (so \`killall -0 haproxy\` sees that host's HAProxy alone, as on separate machines). On the backend host: two"
  echo "simulated instances (datastack-sim, ports 8081 and 8082: the first the primary, the second the backup), and for ours"
  echo "the control plane and one checker. Plain HTTP on both sides. Both setups run, one after the other, in the same"
  echo "namespaces, against the same backends, with the same client load: \`FloatingLoad\` (e2e test classes), $CLIENTS keep-alive"
  echo "HTTP/1.1 clients sending \`GET /api/info\` to $VIP:$LB_PORT one after another (10 ms pause), connect timeout 500 ms,"
  echo "answer timeout 1 s, a new connection after a reset or a timeout."
  echo
  echo "- **ours**: two dsha proxies (\`dsha.event-loops=1\`, \`dsha.shutdown.delay=1s\`), keepalived with \`./dsha vrrp-config\`'s"
  echo "  output (VRRPv3, unicast, \`advert_int 0.1\`, both BACKUP with \`nopreempt\`, priorities 150/100, the readiness track"
  echo "  script every 200 ms, fall 2, \`curl --max-time 0.5\`)."
  echo "- **usual**: two HAProxy 2.6 (\`nbthread 1\`, \`mode http\`, \`option httpchk GET /health\`, default \`check\` timers)"
  echo "  and keepalived with the configuration operators usually copy: VRRPv2 (keepalived's default), unicast peers,"
  echo "  \`advert_int 1\`, MASTER 101 / BACKUP 100, preemption on (no \`nopreempt\`), \`vrrp_script chk_haproxy\` ="
  echo "  \`killall -0 haproxy\`, \`interval 2\`, \`weight 2\` (fall and rise keepalived's default, 1)."
  echo
  echo "Faults on the host holding the address: \`kill\` = kill -9 of its balancer process (HAProxy, or the proxy's JVM);"
  echo "\`link\` = its eth0 down; \`freeze\` = SIGSTOP of its balancer, SIGCONT once the address moved, or after $FREEZE_MAX s if"
  echo "it does not. Then the failed host recovers (balancer started again, link up, SIGCONT) and the address must stay"
  echo "put for $SETTLE s before the next fault."
  echo
  echo "## Results (min / median / max over $ROUNDS rounds)"
  echo
  echo "Times from the fault, in ms. *Longest gap*: the longest time between two answers, from 1 s before the fault until 100"
  echo "answers after the move. *Failed*: requests without a 2xx answer (refused, reset, timed out) in that window."
  echo "*On recovery*: whether the address moved back to the recovered host, and the longest gap and failed requests then."
  echo
  echo "| setup | fault | address moved | first answer | longest gap | failed | on recovery: moved back | gap | failed |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for s in $SETUPS; do for f in $FAULTS; do
    echo "| $(setup_name "$s") | $(fault_name "$f") | $(stats "$s" "$f" 5) | $(stats "$s" "$f" 6) | $(stats "$s" "$f" 7) | $(stats "$s" "$f" 8) | $(backs "$s" "$f") | $(stats "$s" "$f" 11) | $(stats "$s" "$f" 12) |"
  done; done
  echo
  echo "## Every round"
  echo
  echo "| setup | fault | round | from | moved ms | first answer ms | gap ms | failed | requests | moved back | gap after | failed after |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s |", $1; for (i = 2; i <= NF; i++) printf " %s |", $i; print "" }' "$RUN/rows.tsv"
  echo
  echo "## The configurations"
  for s in $SETUPS; do
    echo
    echo "### $(setup_name "$s"): h1's keepalived.conf (h2's differs in priority, state and addresses)"
    echo
    echo '```'; cat "$RUN/$s-h1-keepalived.conf"; echo '```'
    if [ "$s" = usual ]; then echo; echo "HAProxy (both hosts):"; echo; echo '```'; cat "$RUN/usual-haproxy.cfg"; echo '```'; fi
    if [ "$s" = dsha ]; then echo; echo "The track script (\`dsha-ready.sh\`):"; echo; echo '```sh'; cat "$RUN/dsha-ready.sh"; echo '```'; fi
  done
} > "$REPORT"
log "wrote $REPORT"
cat "$REPORT" | sed -n '/## Results/,/## Every round/p'
