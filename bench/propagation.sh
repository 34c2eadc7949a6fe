#!/usr/bin/env bash
# How fast a routing change reaches every watching proxy (see bench/README.md, "Propagation").
#
#   bench/propagation.sh [--proxies 3 | --watchers 500] [--goal-ms 50] [--changes 200] [--warmup-changes 100] [--interval-ms 75] [--backend a]
#                        [--java-opts "..."] [--cp-state-parent DIR] [--results FILE] [--keep]
#                        [--store file|etcd] [--replicas 3] [--send-to follower|leader] [--note TEXT]
#
# Starts two NGINX stand-ins, one control plane (--store file, the default) or a 3-member etcd cluster and
# --replicas control planes on it (--store etcd; changes sent to a follower or to the leader, --send-to;
# every proxy gets every replica's URL, the list rotated so the watches are spread) and N proxies (plain HTTP, one event loop each,
# each on its own port through dsha.listener.port), then makes M routing changes on the control
# plane (backend a: DRAIN, ENABLED, DRAIN, ...; one every --interval-ms) and, per change and proxy,
# measures the delay from the moment the change was sent to the control plane to the moment the
# proxy adopted that revision (its "Adopted revision N" log line, microsecond timestamps). Prints
# p50/p99/max and writes them, with every configuration used, to bench/results/propagation.md.
# Needs: nginx curl (Debian packages; --store etcd: etcd-server too), a JDK 17, the jars built.
# --note TEXT adds a sentence to the report's Machine section (what else ran on the machine).
# --watchers N: instead of proxy JVMs, N lightweight long-poll watchers in ONE JVM (bench/tools/Watchers.java, one
# selector thread): the delay is then sent → answer received by the watcher (no routing table swap); --store file only.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=propagation
RESULTS="${RESULTS:-$ROOT/bench/results/propagation.md}"   # the report; the pairs go next to it (…-delays.csv)

# ---- parameters (flags override the environment) -------------------------------------------------
PROXIES="${PROXIES:-3}"              # watching proxies
WATCHERS="${WATCHERS:-0}"            # >0: this many lightweight watchers (bench/tools/Watchers.java) instead of the proxies
CHANGES="${CHANGES:-200}"            # routing changes made
WARMUP_CHANGES="${WARMUP_CHANGES-100}"   # changes made first at the same pace and not measured (JIT of every JVM involved); 0 for a cold start
INTERVAL_MS="${INTERVAL_MS:-75}"     # one change every this many ms (never before the previous answer)
BACKEND="${BACKEND:-a}"              # whose admin state alternates DRAIN / ENABLED
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # each proxy, as in bench/run.sh (the control plane gets -Xmx256m)
KEEP="${KEEP:-0}"                    # 1: keep the run directory (logs, configs, CSVs)
GOAL_MS="${GOAL_MS:-50}"             # the goal: p99 of the delay at most this
CP_STATE_PARENT="${CP_STATE_PARENT:-}"   # where the control plane's state directory (etcd: the members' data directories) is made (default: in the run directory)
STORE="${STORE:-file}"               # file: one control plane, its state in files; etcd: replicas on an etcd cluster
ETCD_MEMBERS=3                       # members of the etcd cluster (--store etcd)
REPLICAS="${REPLICAS:-3}"            # control planes on etcd (--store etcd)
NOTE="${NOTE:-}"                     # a sentence added to the report's Machine section (what else ran meanwhile)
SEND_TO="${SEND_TO:-follower}"       # --store etcd: the driver's changes go to a follower (forwarded to the leader) or to the leader

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --proxies) PROXIES="$2"; shift 2 ;;
    --watchers) WATCHERS="$2"; shift 2 ;;
    --goal-ms) GOAL_MS="$2"; shift 2 ;;
    --changes) CHANGES="$2"; shift 2 ;;
    --warmup-changes) WARMUP_CHANGES="$2"; shift 2 ;;
    --interval-ms) INTERVAL_MS="$2"; shift 2 ;;
    --backend) BACKEND="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --cp-state-parent) CP_STATE_PARENT="$2"; shift 2 ;;
    --store) STORE="$2"; shift 2 ;;
    --replicas) REPLICAS="$2"; shift 2 ;;
    --send-to) SEND_TO="$2"; shift 2 ;;
    *) common_option "$@"; shift "$TAKEN" ;;
  esac
done

check_count "$PROXIES" "--proxies"
[[ "$WATCHERS" =~ ^[0-9]+$ ]] || die "--watchers is a count; got '$WATCHERS'"
if [ "$WATCHERS" -gt 0 ]; then
  [ "$STORE" = file ] || die "--watchers is measured with --store file"
  PROXIES="$WATCHERS"; WHO=watcher; WHAT="received"
else
  WHO=proxy; WHAT="adopted"
fi
check_count "$CHANGES" "--changes"
check_count "$INTERVAL_MS" "--interval-ms"
[[ "$WARMUP_CHANGES" =~ ^[0-9]+$ ]] || die "--warmup-changes is a count (0 or more); got '$WARMUP_CHANGES'"
WARMUP_CHANGES=$(( WARMUP_CHANGES + WARMUP_CHANGES % 2 ))   # even, as the driver makes it: the measured changes start with DRAIN
case "$BACKEND" in a|b) ;; *) die "--backend is a or b" ;; esac
case "$STORE" in file|etcd) ;; *) die "--store is file or etcd" ;; esac
check_count "$REPLICAS" "--replicas"
case "$SEND_TO" in follower|leader) ;; *) die "--send-to is follower or leader" ;; esac
[ "$STORE" = file ] || [ "$SEND_TO" = leader ] || [ "$REPLICAS" -ge 2 ] || die "--send-to follower needs --replicas 2 or more"
needs nginx:nginx curl:curl
[ "$STORE" = file ] || needs etcd:etcd-server
need_jars

new_run_dir
log "run directory $RUN"
make_tokens

# ---- backends, control plane, topology -------------------------------------------------------------
start_stand_ins
if [ -n "$CP_STATE_PARENT" ]; then
  # e.g. /dev/shm: the same fsyncs on a file system where they cost nothing, to see the disk's share of the delay
  CP_STATE="$(mktemp -d "$CP_STATE_PARENT/dsha-propagation-cp.XXXXXX")" || die "cannot make a directory in $CP_STATE_PARENT"
  EXTRA_DIRS+=("$CP_STATE")
fi
if [ "$STORE" = etcd ]; then
  CP_STATE="${CP_STATE:-$RUN}"   # the members' data directories are made in it
  start_etcd_cluster "$ETCD_MEMBERS" "$CP_STATE"
  start_cp_replicas "$REPLICAS"
  LEADER_AT_START="$CP_LEADER"
  CP_URL="${CP_URLS_OF[$CP_LEADER]}"   # the setup (topology, checker reports, revision) on the leader
  if [ "$SEND_TO" = leader ]; then
    DRIVER_REPLICA="$CP_LEADER"
  else
    for DRIVER_REPLICA in $(seq 1 "$REPLICAS"); do [ "$DRIVER_REPLICA" != "$CP_LEADER" ] && break; done
  fi
  DRIVER_URL="${CP_URLS_OF[$DRIVER_REPLICA]}"
  STORE_LINE="etcd store ($ETCD_MEMBERS members, $REPLICAS control plane replicas; changes sent to the $SEND_TO cp-$DRIVER_REPLICA)"
  log "changes go to cp-$DRIVER_REPLICA ($SEND_TO, $DRIVER_URL); cp-$CP_LEADER leads"
else
  start_control_plane
  DRIVER_URL="$CP_URL"
  STORE_LINE="file store (one control plane)"
fi
free_port NOMINAL_LISTENER
write_topology "$RUN/topology.json" "$NOMINAL_LISTENER" "$P1" "$P2"
use_topology "$RUN/topology.json"

# ---- N proxies, one topology: each binds its own port (dsha.listener.port overrides the topology's) --------
if [ "$WATCHERS" = 0 ]; then
PROXY_CMDS=()
PX_PORTS=(); PX_MGMT=(); PX_PIDS=()
for i in $(seq 1 "$PROXIES"); do
  free_port port; free_port mgmt
  if [ "$STORE" = etcd ]; then
    # Every replica's URL; proxy i starts with replica (i - 1) mod N + 1 (a proxy watches the first URL that answers).
    PROXY_CP_URLS=""
    for j in $(seq 0 $(( REPLICAS - 1 ))); do PROXY_CP_URLS+="${PROXY_CP_URLS:+,}${CP_URLS_OF[$(( (i - 1 + j) % REPLICAS + 1 ))]}"; done
  fi
  proxy_cmd cmd "proxy-$i" "$port" "$mgmt" http 1 "-Dquarkus.log.console.format=$MICRO_LOG_FORMAT"
  PROXY_CMDS+=("proxy-$i: $(cmdline "${cmd[@]}")")
  "${cmd[@]}" > "$RUN/proxy-$i.log" 2>&1 &
  PIDS+=("$!"); PX_PIDS+=("$!"); PX_PORTS+=("$port"); PX_MGMT+=("$mgmt")
  # Ten at a time: fifty JVMs starting at once on 2 CPUs take minutes to answer at all.
  if [ $(( i % 10 )) = 0 ] && [ "$i" -lt "$PROXIES" ]; then
    for k in $(seq $(( i - 10 )) $(( i - 1 ))); do
      wait_http "http://127.0.0.1:${PX_MGMT[$k]}/q/health/ready" 180 "${PX_PIDS[$k]}" "proxy-$(( k + 1 ))" "$RUN/proxy-$(( k + 1 )).log"
    done
  fi
done
log "started $PROXIES proxies on ports ${PX_PORTS[*]}"
# wait_revision I REV: proxy I's readiness reports revision REV within 30 s
wait_revision() { wait_proxy_revision "${PX_MGMT[$(( $1 - 1 ))]}" "$2" "proxy-$1"; }
for i in $(seq 1 "$PROXIES"); do
  k=$(( i - 1 ))
  wait_http "http://127.0.0.1:${PX_MGMT[$k]}/q/health/ready" 120 "${PX_PIDS[$k]}" "proxy-$i" "$RUN/proxy-$i.log"
  ready="$(curl -fsS "http://127.0.0.1:${PX_MGMT[$k]}/q/health/ready")"
  case "$ready" in *"127.0.0.1:${PX_PORTS[$k]}"*) ;; *) die "proxy-$i listens elsewhere than 127.0.0.1:${PX_PORTS[$k]}: $ready" ;; esac
  # Both backends answer through it.
  seen=""
  for _ in 1 2 3 4; do seen+="$(curl -fsS --max-time 10 "http://127.0.0.1:${PX_PORTS[$k]}/")"; done   # a cold proxy on a loaded machine
  case "$seen" in *alpha*bravo*|*bravo*alpha*) ;; *) die "proxy-$i does not route to both backends: $seen" ;; esac
  # The timestamp format took effect (6 digits after the second).
  grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} .*Adopted revision' "$RUN/proxy-$i.log" \
    || die "proxy-$i does not log 'Adopted revision N' with microsecond timestamps (a jar older than this script?): $RUN/proxy-$i.log"
done
# Proxies joining may move the revision (the control plane records what they report): settle first.
sleep 2
REV0="$(cp_revision)"
for i in $(seq 1 "$PROXIES"); do wait_revision "$i" "$REV0"; done
log "all $PROXIES proxies ready at revision $REV0"
else
  # One JVM, N watchers on one selector thread (bench/tools/Watchers.java).
  PROXY_CMDS=()
  start_watchers "$WATCHERS" "$RUN/watchers" "timeoutMs=20000"
  sleep 2
  REV0="$(cp_revision)"
  wait_watchers "$RUN/watchers" "$REV0" 60
  log "all $WATCHERS watchers at revision $REV0"
fi

# ---- the changes ------------------------------------------------------------------------------------------
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
DRIVER_CMD=(java -Xmx64m "$ROOT/bench/tools/RoutingChanges.java" "$DRIVER_URL" "$ADMIN_TOKEN" "$BACKEND" "$CHANGES" "$INTERVAL_MS" "$RUN/changes.csv" "$WARMUP_CHANGES")
log "making $WARMUP_CHANGES warm-up changes, then $CHANGES measured ones, one every $INTERVAL_MS ms (backend $BACKEND: DRAIN / ENABLED)"
( sleep $(( (WARMUP_CHANGES + CHANGES / 2) * INTERVAL_MS / 1000 + 3 )); top -b -n 2 -d 1 -w 200 > "$RUN/top-during.txt" 2>&1 ) &
TOP_PID=$!
PIDS+=("$TOP_PID")
CP_TICKS_BEFORE="$(cpu_ticks "$CP_PID")"; T_BEFORE=$EPOCHREALTIME
"${DRIVER_CMD[@]}" 2> "$RUN/driver.err" || { cat "$RUN/driver.err" >&2; die "the changes were not all accepted"; }
wait "$TOP_PID" 2>/dev/null || true
forget_pid "$TOP_PID"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
CP_CPU=""
if [ "$STORE" = file ]; then
  CP_CPU="$(awk -v a="$CP_TICKS_BEFORE" -v b="$(cpu_ticks "$CP_PID")" -v t0="$T_BEFORE" -v t1="$EPOCHREALTIME" -v hz="$(getconf CLK_TCK)" -v n="$(( WARMUP_CHANGES + CHANGES ))" \
    'BEGIN { s = (b - a) / hz; printf "%.1f s of CPU in %.0f s (%.0f%% of one core), %.1f ms per change", s, t1 - t0, 100 * s / (t1 - t0), 1000 * s / n }')"
fi
LEADER_NOTE=""
if [ "$STORE" = etcd ]; then
  wait_cp_leader 5 || true
  [ "$CP_LEADER" = "$LEADER_AT_START" ] || LEADER_NOTE="**The lead moved during the run: cp-$LEADER_AT_START led at the start, cp-$CP_LEADER at the end.** "
fi
# What one fsync costs on the file system under the control plane's state (each change is appended to its
# journal, which is fsynced before any watcher hears of it): 11 x an 8 KiB write by dd with
# conv=fsync, and 11 without; the difference of the medians is the fsync (dd's own start is in both).
dd_median() {   # dd_median [conv=fsync] -> median ms of 11 runs
  local _ t0 t1
  for _ in $(seq 1 11); do
    t0=$EPOCHREALTIME; dd if=/dev/zero of="$CP_STATE/fsync-probe" bs=8k count=1 "$@" 2>/dev/null; t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
  done | sort -g | sed -n 6p
}
DD_SYNC="$(dd_median conv=fsync)"; DD_PLAIN="$(dd_median)"
FSYNC_MS="$(awk -v a="$DD_SYNC" -v b="$DD_PLAIN" 'BEGIN { printf "about %.1f ms (median of 11 dd runs with conv=fsync %.1f ms, without %.1f ms)", a - b, a, b }')"
rm -f "$CP_STATE/fsync-probe"
LAST_REV="$(tail -1 "$RUN/changes.csv" | cut -d, -f4)"

if [ "$WATCHERS" = 0 ]; then
# Every proxy reaches the last revision (readiness says where it stands).
for i in $(seq 1 "$PROXIES"); do wait_revision "$i" "$LAST_REV"; done

# ---- the delays -------------------------------------------------------------------------------------------
# Per proxy: "revision tod_us" of each adoption. Per change r and proxy: the first adoption of a
# revision >= r (a proxy that skipped r, having received a later snapshot first, adopted r then).
for i in $(seq 1 "$PROXIES"); do adoptions "$RUN/proxy-$i.log" > "$RUN/adopted-$i.txt"; done
awk -F, -v n="$PROXIES" -v run="$RUN" '
  BEGIN {
    day = 86400000000
    for (p = 1; p <= n; p++) {
      f = run "/adopted-" p ".txt"; m = 0
      while ((getline line < f) > 0) { split(line, a, " "); m++; rev[p, m] = a[1]; tod[p, m] = a[2] }
      cnt[p] = m
    }
    print "i,proxy,revision,adopted_revision,sent_to_adopted_ms,accepted_to_adopted_ms,sent_to_accepted_ms"
  }
  NR > 1 {
    r = $4 + 0
    for (p = 1; p <= n; p++) {
      at = -1; ar = -1
      for (m = 1; m <= cnt[p]; m++) if (rev[p, m] >= r) { at = tod[p, m]; ar = rev[p, m]; break }
      if (at < 0) { printf "%d,%d,%d,,,,\n", $1, p, r; continue }
      ds = at - $7; da = at - $8
      if (ds < -day / 2) { ds += day; da += day }   # midnight between the two
      printf "%d,%d,%d,%d,%.3f,%.3f,%.3f\n", $1, p, r, ar, ds / 1000, da / 1000, ($6 - $5) / 1000
    }
  }' "$RUN/changes.csv" > "$RUN/delays.csv"
else
  wait_watchers "$RUN/watchers" "$LAST_REV" 30
  stop_watchers
  watcher_delays "$RUN/changes.csv" "$RUN/watchers/received.csv" > "$RUN/delays.csv"
  [ "$(( $(wc -l < "$RUN/delays.csv") - 1 ))" = "$(( CHANGES * WATCHERS ))" ] || die "not every (change, watcher) pair has an answer ($RUN/delays.csv)"
fi
MISSING="$(awk -F, 'NR > 1 && $5 == "" ' "$RUN/delays.csv" | wc -l)"
[ "$MISSING" = 0 ] || die "$MISSING (change, proxy) pairs have no adoption in the logs ($RUN/delays.csv)"
SKIPPED="$(awk -F, 'NR > 1 && $4 != $3' "$RUN/delays.csv" | wc -l)"

# stats COLUMN [FILTER_PROXY]: n p50 p90 p99 max mean (nearest rank)
stats() {
  awk -F, -v c="$1" -v p="${2:-}" 'NR > 1 && (p == "" || $2 == p) { print $c }' "$RUN/delays.csv" | sort -g | awk '
    { v[NR] = $1; s += $1 }
    END {
      n = NR
      r50 = int(0.50 * n + 0.999999); r90 = int(0.90 * n + 0.999999); r99 = int(0.99 * n + 0.999999)
      printf "%d %.1f %.1f %.1f %.1f %.1f\n", n, v[r50], v[r90], v[r99], v[n], s / n
    }'
}
# The control plane's own answer time, once per change (not per proxy).
accept_stats() {
  awk -F, 'NR > 1 && $2 == 1 { print $7 }' "$RUN/delays.csv" | sort -g | awk '
    { v[NR] = $1 } END { n = NR; printf "%d %.1f %.1f %.1f %.1f\n", n, v[int(0.5 * n + 0.999999)], v[int(0.9 * n + 0.999999)], v[int(0.99 * n + 0.999999)], v[n] }'
}
row() { read -r n p50 p90 p99 max mean <<< "$2"; printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$n" "$p50" "$p90" "$p99" "$max" "$mean"; }
TABLE="$({
  echo "| delay (ms) | pairs | p50 | p90 | p99 | max | mean |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row "**sent → $WHAT, all ${WHO}s**" "$(stats 5)"
  if [ "$WATCHERS" = 0 ]; then
    for i in $(seq 1 "$PROXIES"); do row "sent → adopted, proxy-$i" "$(stats 5 "$i")"; done
  else
    for i in 1 $(( (WATCHERS + 1) / 2 )) "$WATCHERS"; do row "sent → received, watcher-$i" "$(stats 5 "$i")"; done
  fi
  row "accepted (answer received) → $WHAT, all ${WHO}s" "$(stats 6)"
  read -r n p50 p90 p99 max <<< "$(accept_stats)"
  printf '| sent → accepted (control plane answer; per change) | %s | %s | %s | %s | %s | |\n' "$n" "$p50" "$p90" "$p99" "$max"
})"
read -r _ _ _ P99 MAX _ <<< "$(stats 5)"
VERDICT="$(awk -v p="$P99" -v g="$GOAL_MS" 'BEGIN { print (p <= g) ? "met" : "NOT met" }')"
HIST="$(awk -F, 'NR > 1 { d = $5; b = d <= 5 ? "≤ 5 ms" : d <= 10 ? "5–10 ms" : d <= 20 ? "10–20 ms" : d <= 50 ? "20–50 ms" : d <= 100 ? "50–100 ms" : "> 100 ms"; h[b]++; n++ }
  END { split("≤ 5 ms|5–10 ms|10–20 ms|20–50 ms|50–100 ms|> 100 ms", o, "|"); for (i = 1; i <= 6; i++) printf "| %s | %d | %.1f%% |\n", o[i], h[o[i]], 100 * h[o[i]] / n }' "$RUN/delays.csv")"
SLOWEST="$(awk -F, 'NR > 1' "$RUN/delays.csv" | sort -t, -k5,5gr | sed -n '1,8p' | awk -F, '{ printf "change %s (revision %s), '"$WHO"'-%s: %s ms (accepted → '"$WHAT"' %s ms, control plane answered in %s ms)\n", $1, $3, $2, $5, $6, $7 }')"
# The second frame of top (the first one's CPU shares are not over an interval); ours marked.
OTHERS="$(awk -v ours=" ${PIDS[*]} " '/^top - / { f++ } f == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 {
    printf "%8s %5.0f%%  %s%s\n", $1, $9, $12, index(ours, " " $1 " ") ? "  (this run)" : "" }' "$RUN/top-during.txt" 2>/dev/null | sed -n '1,10p')"

{
  echo "# Propagation of a routing change to $PROXIES watching ${WHO}s — $STORE store — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Store: $STORE_LINE."
  if [ "$STORE" = etcd ]; then
    echo "${LEADER_NOTE}cp-$CP_LEADER led. The proxies got every replica's URL, proxy i's list starting with replica (i − 1) mod $REPLICAS + 1,"
    echo "so about a third of the watches were on each replica (a proxy watches the first URL that answers). Lease TTL: the default (\`dsha.etcd.lease-ttl\` 2s)."
  fi
  echo
  echo "$CHANGES changes (backend \`$BACKEND\` alternately DRAIN and ENABLED: each one changes the routing decision), one every $INTERVAL_MS ms,"
  echo "after $WARMUP_CHANGES warm-up changes made the same way and not counted (0: every JVM measured from cold; see --warmup-changes),"
  if [ "$WATCHERS" = 0 ]; then
  echo "$PROXIES proxies long-polling \`/api/v1/watch\`. Delay = from the moment the change was **sent** to the control plane"
  echo "(\`Instant.now()\` just before the request is written to the driver's keep-alive socket) to the proxy's \`Adopted revision N\` log line (logged right after the"
  echo "routing table swap; microsecond timestamps). A proxy that received a later snapshot first counts as having adopted the"
  echo "change then ($SKIPPED of $(( CHANGES * PROXIES )) pairs)."
  else
  echo "$WATCHERS lightweight watchers long-polling \`/api/v1/watch?since=N&timeoutMs=20000\`, all in ONE JVM on one selector thread"
  echo "(bench/tools/Watchers.java: a keep-alive connection each, the next watch sent as soon as an answer is read, as the proxy's cp-client"
  echo "does). Delay = from the moment the change was **sent** to the control plane (\`Instant.now()\` just before the request is written"
  echo "to the driver's keep-alive socket) to the moment the watcher had read the whole answer carrying that revision or a later one"
  echo "(\`Instant.now()\`, microseconds; no JSON parsing, no routing table: the control plane's side and the wire). A watcher that received"
  echo "a later revision first counts as having received the change then ($SKIPPED of $(( CHANGES * PROXIES )) pairs)."
  fi
  echo
  echo "**Goal p99 ≤ $GOAL_MS ms: $VERDICT** (p99 $P99 ms, max $MAX ms over $(( CHANGES * PROXIES )) (change, $WHO) pairs)."
  echo
  echo "$TABLE"
  echo
  echo "| sent → adopted | pairs | share |"
  echo "|---|---:|---:|"
  echo "$HIST"
  echo
  echo "Slowest pairs:"
  echo '```'; echo "$SLOWEST"; echo '```'
  echo
  if [ "$STORE" = etcd ]; then
    echo "The delay includes$([ "$SEND_TO" = follower ] && echo " the follower forwarding the PUT to the leader (one more HTTP hop),") the leader's work (validation,"
    echo "the new state written to etcd in one transaction: the etcd leader appends it to its WAL and replicates it, and it is committed once"
    echo "a quorum of members has fsynced it), then each replica hearing of it through its etcd watch and completing its waiting watches,"
    echo "the HTTP answer and JSON parsing in each proxy, and the routing table swap. \"accepted → adopted\" is what comes after the"
    echo "driver had the PUT's answer (negative: the proxy had adopted the change before)."
    echo "One fsync of an 8 KiB write on the file system of the members' data directories, measured after the changes: $FSYNC_MS;"
    echo "every member fsyncs each change (3 members on this one disk)."
    echo "The members' data directories: under \`$CP_STATE\` ($(df -T "$CP_STATE" 2>/dev/null | awk 'NR == 2 { print $2 }'))."
  else
    echo "The delay includes the control plane's work before the watch answers (validation, the change appended to its journal and fsynced,"
    echo "then every waiting watch completed), the HTTP answer and JSON parsing in each proxy, and the routing table swap."
    echo "The watches are completed before the control plane answers the PUT, so \"accepted → adopted\" is often negative: it shows"
    echo "what the proxies add after the control plane is done. One fsync of an 8 KiB write where the control plane keeps its state,"
    echo "measured after the changes: $FSYNC_MS; each change costs one of them (state.journal; before the journal, each change"
    echo "rewrote state.json with two: the file, its directory)."
    echo "The control plane's state directory: \`$CP_STATE\` ($(df -T "$CP_STATE" 2>/dev/null | awk 'NR == 2 { print $2 }'))."
  fi
  echo
  echo "## Machine"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), $(java -version 2>&1 | sed -n 2p)."
  [ -z "$CP_CPU" ] || echo "The control plane used $CP_CPU (/proc/PID/stat over the warm-up and measured changes, the watches' answers included)."
  if [ "$WATCHERS" = 0 ]; then
  echo "Load average before the changes: $LOAD_BEFORE; after: $LOAD_AFTER. The control plane, $PROXIES proxies (one event loop each,"
  else
  echo "Load average before the changes: $LOAD_BEFORE; after: $LOAD_AFTER. The control plane, the watchers' JVM (one selector thread,"
  fi
  echo "plus their JIT/GC threads), the driver JVM and the NGINX stand-ins share these CPUs with whatever else runs on the machine:"
  echo "**a shared 2-core machine; other builds may have been running** — the tail (p99, max) is what suffers from it."
  [ -z "$NOTE" ] || echo "$NOTE"
  if [ -n "$OTHERS" ]; then
    echo "Processes using ≥ 5% of a CPU midway through the changes (top, 1 s; 100% = one CPU):"
    echo '```'; echo "$OTHERS"; echo '```'
  fi
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`. Proxy jar: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane proxy-service 2>/dev/null)" ] && echo ' (with local changes)')."
  echo
  echo "### NGINX stand-ins"
  for n in alpha bravo; do echo '```nginx'; cat "$RUN/$n.conf"; echo '```'; done
  echo
  report_topology
  echo "Each change: \`PUT /api/v1/backends/$BACKEND/admin-state\` with \`{\"adminState\":\"DRAIN\"}\` or \`{\"adminState\":\"ENABLED\"}\` (admin token, no If-Match), one HTTP/1.1 keep-alive connection to $DRIVER_URL$([ "$STORE" = etcd ] && echo " (cp-$DRIVER_REPLICA, the $SEND_TO)")."
  echo
  echo "### Command lines (tokens are random per run)"
  echo '```'
  if [ "$STORE" = etcd ]; then
    for c in "${ETCD_CMDS[@]}"; do echo "$c"; done
    for i in $(seq 1 "$REPLICAS"); do echo "${CP_CMDLINES[$i]}"; done
  else
    echo "control-plane: $(cmdline "${CP_CMD[@]}")"
  fi
  for c in "${PROXY_CMDS[@]+"${PROXY_CMDS[@]}"}"; do echo "$c"; done
  [ "$WATCHERS" = 0 ] || echo "watchers: $(cmdline "${WATCHERS_CMD[@]}")"
  echo "driver: $(cmdline "${DRIVER_CMD[@]}")"
  echo '```'
} > "$RUN/propagation.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/propagation.md" "$RESULTS"
cp "$RUN/delays.csv" "${RESULTS%.md}-delays.csv"
echo
echo "$TABLE"
echo
echo "$NAME: goal p99 ≤ $GOAL_MS ms: $VERDICT. Report with configurations: $RESULTS (per pair: ${RESULTS%.md}-delays.csv)"
