#!/usr/bin/env bash
# How long the replicated control plane takes to get over its leader's death (see bench/README.md, "Control plane failover").
#
#   bench/cp-failover.sh [--rounds 5] [--lease-ttl 2s] [--java-opts "..."] [--results FILE] [--note TEXT] [--keep]
#
# Starts 3 etcd members, 3 control planes on them (dsha.store=etcd, cp-1..3), two NGINX stand-ins and one
# proxy given all three URLs. Then, per round: finds the leader (readiness "role"), kill -9s it and measures
# from the kill to (a) a surviving replica reporting role LEADER (readiness polled every 20 ms), (b) the first
# change accepted (PUT /api/v1/backends/a/admin-state DRAIN / ENABLED to a survivor, retried every 20 ms until
# 200) and (c) the proxy adopting that change (its "Adopted revision N" log line). Then restarts the killed
# replica and waits until it is FOLLOWER. Writes every round and min/median/max to bench/results/cp-failover.md.
# Needs: etcd (etcd-server), nginx, curl (Debian packages), a JDK 17, the jars built.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=cp-failover
RESULTS="${RESULTS:-$ROOT/bench/results/cp-failover.md}"

ROUNDS="${ROUNDS:-5}"                # leader kills
LEASE_TTL="${LEASE_TTL:-2s}"         # dsha.etcd.lease-ttl of every replica
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # the proxy, as in bench/run.sh
KEEP="${KEEP:-0}"
NOTE="${NOTE:-}"                     # a sentence added to the report's Machine section (what else ran meanwhile)
GOAL_MS="${GOAL_MS:-5000}"           # the goal: kill → first change accepted at most this
POLL_S=0.02                          # readiness polls and PUT retries: one every 20 ms
BOUND_S=30                           # each wait of a round gives up after this long
REPLICAS=3
ETCD_MEMBERS=3
BACKEND=a

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --lease-ttl) LEASE_TTL="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    *) common_option "$@"; shift "$TAKEN" ;;
  esac
done

check_count "$ROUNDS" "--rounds"
[ "$ROUNDS" -le 50 ] || die "--rounds is at most 50 (each round restarts a control plane)"
[[ "$LEASE_TTL" =~ ^[1-9][0-9]*s$ ]] || die "--lease-ttl is whole seconds, e.g. 2s; got '$LEASE_TTL'"
needs nginx:nginx curl:curl etcd:etcd-server
need_jars

new_run_dir
log "run directory $RUN"
make_tokens
start_stand_ins
start_etcd_cluster "$ETCD_MEMBERS"
CP_ETCD_OPTS="-Ddsha.etcd.lease-ttl=$LEASE_TTL"
start_cp_replicas "$REPLICAS"
CP_URL="${CP_URLS_OF[$CP_LEADER]}"
free_port NOMINAL_LISTENER
write_topology "$RUN/topology.json" "$NOMINAL_LISTENER" "$P1" "$P2"
use_topology "$RUN/topology.json"

# ---- one proxy, every replica's URL (in the order cp-1, cp-2, cp-3: it watches the first that answers) -----
free_port PX_PORT; free_port PX_MGMT
PROXY_CP_URLS="$CP_URLS"
proxy_cmd PROXY_CMD proxy "$PX_PORT" "$PX_MGMT" http 1 "-Dquarkus.log.console.format=$MICRO_LOG_FORMAT"
"${PROXY_CMD[@]}" > "$RUN/proxy.log" 2>&1 &
PX_PID=$!
PIDS+=("$PX_PID")
wait_http "http://127.0.0.1:$PX_MGMT/q/health/ready" 120 "$PX_PID" proxy "$RUN/proxy.log"
seen=""
for _ in 1 2 3 4; do seen+="$(curl -fsS --max-time 2 "http://127.0.0.1:$PX_PORT/")"; done
case "$seen" in *alpha*bravo*|*bravo*alpha*) ;; *) die "the proxy does not route to both backends: $seen" ;; esac
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} .*Adopted revision' "$RUN/proxy.log" \
  || die "the proxy does not log 'Adopted revision N' with microsecond timestamps: $RUN/proxy.log"
sleep 2

# ---- the rounds ------------------------------------------------------------------------------------------------
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
tod_us() { date -d "@$1" '+%H %M %S %N' | awk '{ printf "%.0f", (($1 * 60 + $2) * 60 + $3) * 1000000 + int($4 / 1000) }'; }
# put_change URL STATE: one PUT; prints "status revision"
put_change() {
  local hdr="$RUN/put.headers" code
  code="$(curl -sS -o "$RUN/put.body" -D "$hdr" -w '%{http_code}' --max-time 2 -X PUT -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -H 'X-Dsha-Actor: bench-cp-failover' --data "{\"adminState\":\"$2\"}" \
    "$1/api/v1/backends/$BACKEND/admin-state" 2>/dev/null)" || code="${code:-000}"
  printf '%s %s\n' "${code:-000}" "$(tr -d '\r' < "$hdr" 2>/dev/null | awk -F': ' 'tolower($1) == "x-dsha-revision" { print $2 }')"
}
ROWS=()
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  wait_cp_leader 30 || die "round $r: no single leader with every other replica following"
  old="$CP_LEADER"
  CP_URL="${CP_URLS_OF[$old]}"   # cp_revision asks it
  survivors=(); for i in $(seq 1 "$REPLICAS"); do [ "$i" = "$old" ] || survivors+=("$i"); done
  target="${survivors[0]}"   # the change goes to a survivor (it forwards to whoever leads)
  state=$([ $(( r % 2 )) = 1 ] && echo DRAIN || echo ENABLED)
  REV0="$(cp_revision)"
  wait_proxy_revision "$PX_MGMT" "$REV0" proxy
  log "round $r: cp-$old leads at revision $REV0; kill -9, then $state to cp-$target"

  rm -f "$RUN/leader-seen"
  T0=$EPOCHREALTIME
  kill -KILL "${CP_PIDS[$old]}"
  # (a) in the background: the survivors' readiness, every 20 ms, until one says LEADER
  (
    end=$(( SECONDS + BOUND_S ))
    while [ "$SECONDS" -lt "$end" ]; do
      for i in "${survivors[@]}"; do
        if [ "$(cp_role "${CP_URLS_OF[$i]}")" = LEADER ]; then echo "$EPOCHREALTIME $i" > "$RUN/leader-seen"; exit 0; fi
      done
      sleep "$POLL_S"
    done
  ) &
  POLLER=$!
  PIDS+=("$POLLER")
  # (b) the change, retried every 20 ms until accepted
  tries=0; codes=""; end=$(( SECONDS + BOUND_S ))
  while :; do
    read -r code rev <<< "$(put_change "${CP_URLS_OF[$target]}" "$state")"
    T_PUT=$EPOCHREALTIME
    tries=$(( tries + 1 ))
    [ "$code" = 200 ] && break
    codes+="$code "
    [ "$SECONDS" -lt "$end" ] || die "round $r: no change accepted within $BOUND_S s (answers: $(tr ' ' '\n' <<< "$codes" | sort | uniq -c | tr -s ' \n' ' '))"
    sleep "$POLL_S"
  done
  wait "$POLLER" 2>/dev/null || true
  forget_pid "$POLLER"
  [ -s "$RUN/leader-seen" ] || die "round $r: no survivor reported LEADER within $BOUND_S s"
  read -r T_LEADER new < "$RUN/leader-seen"
  { wait "${CP_PIDS[$old]}"; } 2>/dev/null || true   # (bash's "Killed" notice not shown)
  forget_pid "${CP_PIDS[$old]}"
  # (c) the proxy's adoption of that revision (or a later one)
  adopted=""
  for _ in $(seq 1 $(( BOUND_S * 10 ))); do
    adopted="$(adoptions "$RUN/proxy.log" | awk -v r="$rev" '$1 >= r { print $2; exit }')"
    [ -n "$adopted" ] && break
    sleep 0.1
  done
  [ -n "$adopted" ] || die "round $r: the proxy did not adopt revision $rev within $BOUND_S s"
  t0_tod="$(tod_us "$T0")"
  ADOPT_MS="$(awk -v a="$adopted" -v b="$t0_tod" 'BEGIN { d = a - b; if (d < -43200000000) d += 86400000000; printf "%.0f", d / 1000 }')"
  LEADER_MS="$(ms_between "$T0" "$T_LEADER")"; PUT_MS="$(ms_between "$T0" "$T_PUT")"
  refused="$(tr ' ' '\n' <<< "$codes" | grep -v '^$' | sort | uniq -c | awk '{ printf "%s%s×%s", (n++ ? ", " : ""), $2, $1 }')"
  log "round $r: cp-$new leads after $LEADER_MS ms; change accepted (revision $rev) after $PUT_MS ms ($tries tries); adopted by the proxy after $ADOPT_MS ms"

  # the killed replica back, as a follower
  T_RESTART=$EPOCHREALTIME
  start_cp_replica "$old"
  ok=0
  for _ in $(seq 1 900); do
    kill -0 "${CP_PIDS[$old]}" 2>/dev/null || { tail -20 "$RUN/cp-$old.log" >&2; die "round $r: cp-$old exited on restart"; }
    [ "$(cp_role "${CP_URLS_OF[$old]}")" = FOLLOWER ] && { ok=1; break; }
    sleep 0.1
  done
  [ "$ok" = 1 ] || die "round $r: cp-$old was not FOLLOWER within 90 s of its restart"
  BACK_S="$(awk -v a="$T_RESTART" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
  ROWS+=("$r|$old|$new|$target|$LEADER_MS|$PUT_MS|$ADOPT_MS|$rev|$tries|${refused:-none}|$BACK_S")
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the report ---------------------------------------------------------------------------------------------------
# summary FIELD: min median max over the rounds (median: the middle one, or the mean of the two middle ones)
summary() {
  printf '%s\n' "${ROWS[@]}" | cut -d'|' -f"$1" | sort -g | awk '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d|%.0f|%d\n", v[1], m, v[NR] }'
}
IFS='|' read -r _ PUT_MED PUT_MAX <<< "$(summary 6)"
CADENCE="$(printf '%s\n' "${ROWS[@]}" | awk -F'|' '{ ms += $6; n += $9 } END { printf "%.0f", ms / n }')"
VERDICT="$(awk -v p="$PUT_MAX" -v g="$GOAL_MS" 'BEGIN { print (p <= g) ? "met in every round" : "NOT met in every round" }')"
TABLE="$({
  echo "| round | killed leader | new leader | change sent to | kill → LEADER reported (ms) | kill → change accepted (ms) | kill → adopted by the proxy (ms) | revision | PUTs | answers before the 200 | killed replica FOLLOWER again after (s) |"
  echo "|---:|---|---|---|---:|---:|---:|---:|---:|---|---:|"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r rr o n t a b c rv tr rf bk <<< "$row"
    echo "| $rr | cp-$o | cp-$n | cp-$t | $a | $b | $c | $rv | $tr | $rf | $bk |"
  done
})"
SUMMARY="$({
  echo "| from the kill (ms) | min | median | max |"
  echo "|---|---:|---:|---:|"
  IFS='|' read -r a b c <<< "$(summary 5)"; echo "| (a) → a replica reports role LEADER | $a | $b | $c |"
  IFS='|' read -r a b c <<< "$(summary 6)"; echo "| (b) → the first change accepted (200) | $a | $b | $c |"
  IFS='|' read -r a b c <<< "$(summary 7)"; echo "| (c) → that change adopted by the proxy | $a | $b | $c |"
})"
{
  echo "# Control plane failover: leader killed (kill -9) — etcd store — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$ETCD_MEMBERS etcd members, $REPLICAS control plane replicas (\`dsha.store=etcd\`, lease TTL \`dsha.etcd.lease-ttl=$LEASE_TTL\`),"
  echo "2 NGINX stand-ins, 1 proxy given the three replicas' URLs (cp-1, cp-2, cp-3: it watches the first that answers)."
  echo "$ROUNDS rounds. In each: the leader (the replica whose readiness says \`\"role\": \"LEADER\"\`) is killed with SIGKILL; from that moment"
  echo "(a) the survivors' readiness is polled every 20 ms until one says LEADER, (b) \`PUT /api/v1/backends/$BACKEND/admin-state\`"
  echo "(DRAIN in odd rounds, ENABLED in even ones: each changes the routing decision) is sent to a survivor (which forwards it to the"
  echo "leader, or answers 503 while none leads) with curl, again 20 ms after each refusal, until it is answered 200, and (c) the proxy's"
  echo "\`Adopted revision N\` log line (microsecond timestamps) for that change's revision or a later one. Then the killed replica"
  echo "is started again (same port, same etcd) and the next round waits until it is FOLLOWER and one replica leads."
  echo "Times are taken by the script around curl (each poll or PUT a new curl process): a few ms of resolution, and the PUTs came"
  echo "every $CADENCE ms on average (kill → accepted / PUTs), not every 20 ms — curl's own start and answer on this busy machine add to"
  echo "the pause. So (c) can come out below (b): the proxy adopted the change before the script had noted curl's 200."
  echo
  echo "**Goal kill → first change accepted ≤ $GOAL_MS ms: $VERDICT** (median $PUT_MED ms, max $PUT_MAX ms)."
  echo "For scale: Kubernetes' leader election (lease 15 s, renewed every 10 s) and Patroni (TTL 30 s) replace a dead leader"
  echo "only after their lease or TTL runs out; here the lease is $LEASE_TTL."
  echo
  echo "$SUMMARY"
  echo
  echo "$TABLE"
  echo
  echo "## Machine"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), $(java -version 2>&1 | sed -n 2p), $(etcd --version | head -1)."
  echo "Load average before the rounds: $LOAD_BEFORE; after: $LOAD_AFTER. Three etcd members, three control planes, the proxy and"
  echo "the NGINX stand-ins share these CPUs: **a shared 2-core machine** — a slow start or a busy CPU moves every figure."
  [ -z "$NOTE" ] || echo "$NOTE"
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`. Jars: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane proxy-service etcd-client 2>/dev/null)" ] && echo ' (with local changes)')."
  echo
  report_topology
  echo
  echo "### Command lines (tokens are random per run)"
  echo '```'
  for c in "${ETCD_CMDS[@]}"; do echo "$c"; done
  for i in $(seq 1 "$REPLICAS"); do echo "${CP_CMDLINES[$i]}"; done
  echo "proxy: $(cmdline "${PROXY_CMD[@]}")"
  echo "nginx: nginx -p RUN -c RUN/alpha.conf, RUN/bravo.conf (as bench/propagation.sh)"
  echo '```'
} > "$RUN/cp-failover.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/cp-failover.md" "$RESULTS"
echo
echo "$SUMMARY"
echo
echo "$NAME: goal kill → change accepted ≤ $GOAL_MS ms: $VERDICT. Report: $RESULTS"
