#!/usr/bin/env bash
# Memory of our proxy under a long load and under slow clients (see bench/README.md, "Soak").
#
#   bench/soak.sh [--duration 10m] [--warmup 30s] [--sample 10s] [--mode http|tls] [--connections 64] [--new-connections]
#                 [--wrk-threads 2] [--event-loops 1] [--java-opts "..."] [--phases "soak slow"]
#                 [--slow-clients 500] [--slow-duration 60s] [--slow-rate 4096] [--slow-rcvbuf 4096]
#                 [--body-size 1048576] [--results bench/results/soak.md] [--keep]
#
# (a) soak: wrk against the proxy (ACTIVE_ACTIVE over two NGINX stand-ins, as bench/run.sh) for
#     --duration, sampling the proxy's RSS (/proc/PID/status) and JVM memory (/q/metrics) every
#     --sample; start (after the warm-up) and end, min/max, slope. --new-connections: every request on a
#     new connection (wrk -H 'Connection: close'; over TLS a handshake per request, resumed by wrk).
# (b) slow clients: --slow-clients connections each GET a --body-size body and read it at
#     --slow-rate bytes/s through a --slow-rcvbuf receive buffer (bench/tools/SlowClients.java), for
#     --slow-duration; RSS before, during and after, and whether the proxy held whole bodies.
# Writes bench/results/soak.md (figures, the sample series, every configuration) and soak-samples.csv.
# Needs: nginx wrk curl openssl (Debian packages), a JDK 17 (jcmd for the GC points), the jars built.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=soak
RESULTS="${RESULTS:-$ROOT/bench/results/soak.md}"   # the report; the samples go next to it (…-samples.csv)

# ---- parameters (flags override the environment) -------------------------------------------------
DURATION="${DURATION:-10m}"          # the soak's wrk run
WARMUP="${WARMUP:-30s}"              # wrk before the soak (JIT, pools); its memory is not the start figure
SAMPLE="${SAMPLE:-10s}"              # sampling period (the slow-client phase samples every 5 s)
MODE="${MODE:-http}"                 # soak over plain HTTP or TLS termination (slow clients: plain HTTP always)
CONNECTIONS="${CONNECTIONS:-64}"     # wrk -c
WRK_THREADS="${WRK_THREADS:-2}"      # wrk -t
EVENT_LOOPS="${EVENT_LOOPS:-1}"      # dsha.event-loops
JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC -XX:MaxNewSize=48m}"   # our proxy, as in bench/run.sh (the control plane gets -Xmx256m)
PHASES="${PHASES:-soak slow}"
SLOW_CLIENTS="${SLOW_CLIENTS:-500}"
SLOW_DURATION="${SLOW_DURATION:-60s}"
SLOW_RATE="${SLOW_RATE:-4096}"       # bytes per second each slow client reads
SLOW_RCVBUF="${SLOW_RCVBUF:-4096}"   # SO_RCVBUF of each slow client (the kernel doubles it)
BODY_SIZE="${BODY_SIZE:-1048576}"    # the large body NGINX serves at /big
KEEP="${KEEP:-0}"
NEW_CONNECTIONS="${NEW_CONNECTIONS:-0}"   # 1: a new connection per request (Connection: close)

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --sample) SAMPLE="$2"; shift 2 ;;
    --mode) MODE="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --wrk-threads) WRK_THREADS="$2"; shift 2 ;;
    --event-loops) EVENT_LOOPS="$2"; shift 2 ;;
    --java-opts) JAVA_OPTS="$2"; shift 2 ;;
    --phases) PHASES="$2"; shift 2 ;;
    --slow-clients) SLOW_CLIENTS="$2"; shift 2 ;;
    --slow-duration) SLOW_DURATION="$2"; shift 2 ;;
    --slow-rate) SLOW_RATE="$2"; shift 2 ;;
    --slow-rcvbuf) SLOW_RCVBUF="$2"; shift 2 ;;
    --body-size) BODY_SIZE="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --new-connections) NEW_CONNECTIONS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
for d in "$DURATION" "$WARMUP" "$SAMPLE" "$SLOW_DURATION"; do check_duration "$d"; done
for n in "$CONNECTIONS" "$WRK_THREADS" "$EVENT_LOOPS" "$SLOW_CLIENTS" "$SLOW_RATE" "$SLOW_RCVBUF" "$BODY_SIZE"; do check_count "$n" "counts, rates and sizes"; done
case "$MODE" in http|tls) ;; *) die "--mode is http or tls; got '$MODE'" ;; esac
for p in $PHASES; do case "$p" in soak|slow) ;; *) die "a phase is soak or slow; got '$p'" ;; esac; done
[ "$(seconds "$SAMPLE")" -ge 1 ] || die "--sample is at least 1s"
needs nginx:nginx wrk:wrk curl:curl openssl:openssl
command -v jcmd >/dev/null 2>&1 || die "jcmd (a full JDK 17) is needed for the after-GC figures"
need_jars

new_run_dir
log "run directory $RUN"
make_tokens
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN/lb.key" -out "$RUN/lb.crt" >/dev/null 2>&1 \
  || die "openssl could not make the self-signed certificate"

# ---- backends: the peers' NGINX plus a location serving a large file (for the slow clients) ----------------
head -c "$BODY_SIZE" /dev/urandom > "$RUN/big.bin"
# Run as root, NGINX's workers run as nobody: they may traverse the run directory and read this one file.
chmod o+x "$RUN"; chmod o+r "$RUN/big.bin"
# Only /big is logged: when each large response ends (completed, or cut), with the body bytes NGINX sent.
NGINX_HTTP_EXTRA="
  log_format big '\$msec \$status \$body_bytes_sent \$request_time';"
BIG_LOCATION="
    location = /big { alias $RUN/big.bin; default_type application/octet-stream; access_log $RUN/NAME-big.log big; }"
free_port P1; free_port P2
log "starting NGINX stand-ins on 127.0.0.1:$P1 (alpha) and 127.0.0.1:$P2 (bravo), /big = $BODY_SIZE bytes"
start_nginx alpha "$P1" alpha "${BIG_LOCATION//NAME/alpha}"
start_nginx bravo "$P2" bravo "${BIG_LOCATION//NAME/bravo}"
curl -fsS -o "$RUN/big.check" "http://127.0.0.1:$P1/big" && cmp -s "$RUN/big.check" "$RUN/big.bin" || die "NGINX does not serve /big"
: > "$RUN/alpha-big.log"; : > "$RUN/bravo-big.log"   # the check above is not counted
start_control_plane
free_port NOMINAL_LISTENER
write_topology "$RUN/topology.json" "$NOMINAL_LISTENER" "$P1" "$P2"
use_topology "$RUN/topology.json"

# ---- our proxy ---------------------------------------------------------------------------------------------
PROXY_PID=""; PROXY_CMDS=()
start_proxy() {   # start_proxy http|tls: sets PROXY_PID, PX (data port), MGMT, SCHEME
  local mode="$1" name="proxy-$1" cmd=()
  free_port PX; free_port MGMT
  proxy_cmd cmd "$name" "$PX" "$MGMT" "$mode" "$EVENT_LOOPS"
  PROXY_CMDS+=("$name: $(cmdline "${cmd[@]}")")
  "${cmd[@]}" > "$RUN/$name.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_http "http://127.0.0.1:$MGMT/q/health/ready" 120 "$PROXY_PID" "our proxy ($name)" "$RUN/$name.log"
  SCHEME=http; [ "$mode" = tls ] && SCHEME=https
  local seen="" _
  for _ in 1 2 3 4; do seen+="$(curl -fsSk --max-time 2 "$SCHEME://127.0.0.1:$PX/")"; done
  case "$seen" in *alpha*bravo*|*bravo*alpha*) ;; *) die "our proxy does not route to both backends: $seen" ;; esac
  log "our proxy ($name) ready: $SCHEME://127.0.0.1:$PX/, management port $MGMT, pid $PROXY_PID"
}

# ---- sampling -----------------------------------------------------------------------------------------------
T0=$(date +%s)
SAMPLES="$RUN/samples.csv"
SAMPLES_OUT="${RESULTS%.md}-samples.csv"
echo "t_s,phase,label,rss_mib,heap_used_mib,nonheap_used_mib,live_heap_mib,netty_direct_mib,netty_pinned_mib,threads,fds,upstream_conns,client_sendq_mib,upstream_recvq_mib,kernel_tcp_mib" > "$SAMPLES"
sample() {   # sample PHASE LABEL
  local rss heap nonheap live direct pinned threads fds tcp_pages up sendq recvq
  rss="$(rss_kb "$PROXY_PID")"
  read -r heap nonheap live direct pinned <<< "$(jvm_memory "$MGMT")"
  # The proxy's sockets: to its clients (bytes it has written that the clients have not taken: Send-Q)
  # and to the backends (connections; bytes arrived that the proxy has not read: Recv-Q).
  sendq="$(ss -Htn state established "( sport = :$PX )" 2>/dev/null | awk '{ s += $2 } END { printf "%.0f", s }')"
  read -r up recvq <<< "$(ss -Htn state established "( dport = :$P1 or dport = :$P2 )" 2>/dev/null | awk '{ n++; s += $1 } END { printf "%d %.0f", n, s }')"
  threads="$(awk '/^Threads:/ { print $2 }' "/proc/$PROXY_PID/status" 2>/dev/null || echo 0)"
  fds="$(ls "/proc/$PROXY_PID/fd" 2>/dev/null | wc -l)"
  # Memory of all TCP sockets of the machine, in the kernel (pages): where bytes wait that no process holds.
  tcp_pages="$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)"
  awk -v t=$(( $(date +%s) - T0 )) -v ph="$1" -v l="$2" -v r="$rss" -v h="${heap:-0}" -v n="${nonheap:-0}" -v lv="${live:-0}" -v d="${direct:-0}" -v p="${pinned:-0}" \
      -v th="$threads" -v f="$fds" -v up="${up:-0}" -v sq="${sendq:-0}" -v rq="${recvq:-0}" -v k="${tcp_pages:-0}" -v ps="$(getconf PAGESIZE)" \
    'BEGIN { m = 1048576; printf "%d,%s,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d,%d,%.1f,%.1f,%.1f\n", t, ph, l, r / 1024, h / m, n / m, lv / m, d / m, p / m, th, f, up, sq / m, rq / m, k * ps / m }' >> "$SAMPLES"
}
SAMPLER_PID=""
start_sampler() {   # start_sampler PHASE LABEL PERIOD_S [GC_EVERY] (in the background until stop_sampler)
  # Every GC_EVERY-th sample is taken after a full GC and labelled "LABEL + full GC": the live heap.
  ( i=0; while sleep "$3"; do
      i=$(( i + 1 ))
      if [ -n "${4:-}" ] && [ $(( i % $4 )) = 0 ]; then full_gc; sample "$1" "$2 + full GC"; else sample "$1" "$2"; fi
    done ) &
  SAMPLER_PID=$!
  PIDS+=("$SAMPLER_PID")
}
stop_sampler() { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; forget_pid "$SAMPLER_PID"; SAMPLER_PID=""; }
full_gc() { jcmd "$PROXY_PID" GC.run > /dev/null 2>&1 || log "warning: jcmd GC.run failed"; sleep 1; }
# Columns of the samples of PHASE whose label is LABEL (a regular expression).
col() { awk -F, -v ph="$1" -v l="$2" -v c="$3" 'NR > 1 && $2 == ph && $3 == l { print $c }' "$SAMPLES"; }
first() { col "$@" | sed -n '1p'; }
last() { col "$@" | tail -1; }
minmax() { col "$@" | sort -g | sed -n '1p;$p' | paste -sd' '; }
# Least-squares slope of column C over time, MiB per minute: slope PHASE LABEL C [second-half]
slope() {
  col "$1" "$2" 1 | paste -d, - <(col "$1" "$2" "$3") | awk -F, -v half="${4:-}" '{ t[NR] = $1; v[NR] = $2 }
    END { from = half == "" ? 1 : int(NR / 2) + 1
      for (i = from; i <= NR; i++) { n++; x = t[i] / 60; y = v[i]; sx += x; sy += y; sxx += x * x; sxy += x * y }
      d = n * sxx - sx * sx; if (n < 3 || d == 0) print "n/a"; else printf "%+.2f", (n * sxy - sx * sy) / d }'
}

[ "$NEW_CONNECTIONS" = 1 ] && WRK_OPTS=("${NEW_CONNECTION[@]}")
wrk_summary() {   # requests/s, p99, errors from a wrk output
  awk '/Requests\/sec:/ { rps = $2 } /^ +99%/ { p99 = $2 } /requests in/ { n = $1 }
    /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 } /Non-2xx or 3xx/ { e += $NF }
    END { printf "%s requests, %s req/s, p99 %s, %d errors", n, rps, p99, e }' "$1"
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
SOAK_DONE=0; SLOW_DONE=0
ALLOC_RATE=0; GC_MAX_PAUSE="?"
# The whole scrape first: an awk that stopped reading at its match made curl fail on the closed pipe (pipefail).
gc_metric() { local scrape; scrape="$(curl -fsS "http://127.0.0.1:$MGMT/q/metrics")" || return 1
  printf '%s\n' "$scrape" | awk -v re="$1" '!found && $0 ~ re { printf "%.0f", $NF; found = 1 }'; }

# ---- (a) the soak --------------------------------------------------------------------------------------------
if [[ " $PHASES " == *" soak "* ]]; then
  start_proxy "$MODE"
  SOAK_PROXY_PID="$PROXY_PID"
  URL="$SCHEME://127.0.0.1:$PX/"
  sample soak "started (idle)"
  log "soak: warm-up, wrk $WARMUP against $URL"
  run_wrk "$URL" "$WARMUP" "$RUN/wrk-warmup.txt"
  sample soak "after warm-up"
  full_gc; sample soak "after warm-up + full GC"
  log "soak: wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION against $URL, sampling every $SAMPLE"
  S=$(seconds "$SAMPLE"); GC_EVERY=$(( 60 / S )); [ "$GC_EVERY" -ge 1 ] || GC_EVERY=1
  ALLOC0="$(gc_metric '^jvm_gc_memory_allocated_bytes_total')"; ALLOC_T0=$(date +%s)
  start_sampler soak load "$S" "$GC_EVERY"   # a full GC about once a minute: the live heap's trend
  run_wrk "$URL" "$DURATION" "$RUN/wrk-soak.txt"
  stop_sampler
  ALLOC_RATE="$(awk -v a="$ALLOC0" -v b="$(gc_metric '^jvm_gc_memory_allocated_bytes_total')" -v s=$(( $(date +%s) - ALLOC_T0 )) 'BEGIN { printf "%.0f", (b - a) / s / 1048576 }')"
  GC_MAX_PAUSE="$(curl -fsS "http://127.0.0.1:$MGMT/q/metrics" | awk '/^jvm_gc_pause_seconds_(sum|count)\{/ && /end of major GC/ { if ($1 ~ /_sum/) s += $NF; else n += $NF }
    END { if (n > 0) printf "%.2f s on average over %d of them", s / n, n; else printf "?" }')"
  sample soak "load"   # the end of the load
  sleep 5; sample soak "idle after"
  full_gc; sample soak "idle after + full GC"
  SOAK_WRK="$(wrk_summary "$RUN/wrk-soak.txt")"
  log "soak: $SOAK_WRK"
  grep -E '^[0-9:.]+ (WARN|ERROR) ' "$RUN/proxy-$MODE.log" | sed -E 's/^[0-9:.]+ //; s/(.{0,170}).*/\1/' | sort | uniq -c | sort -nr > "$RUN/soak.warnings" || true
  SOAK_DONE=1
fi

# ---- (b) slow clients ------------------------------------------------------------------------------------------
if [[ " $PHASES " == *" slow "* ]]; then
  if [ -z "$PROXY_PID" ] || [ "$SCHEME" != http ]; then
    [ -n "$PROXY_PID" ] && { stop_pid "$PROXY_PID"; forget_pid "$PROXY_PID"; }
    start_proxy http
    run_wrk "http://127.0.0.1:$PX/" "$WARMUP" "$RUN/wrk-warmup-slow.txt"   # the same JIT state as after a soak
  fi
  SLOW_LOG_FROM=$(( $(wc -l < "$RUN/proxy-http.log") + 1 ))
  SLOW_SECS="$(seconds "$SLOW_DURATION")"
  RAMP=5
  sleep 3
  sample slow before; full_gc; sample slow "before + full GC"
  SLOW_CMD=(java -Xmx64m "$ROOT/bench/tools/SlowClients.java" 127.0.0.1 "$PX" /big "$SLOW_CLIENTS" "$SLOW_SECS" "$SLOW_RATE" "$SLOW_RCVBUF" "$RAMP")
  log "slow clients: $SLOW_CLIENTS connections reading /big ($BODY_SIZE bytes) at $SLOW_RATE B/s each for ${SLOW_SECS}s"
  start_sampler slow during 5 2
  "${SLOW_CMD[@]}" > "$RUN/slow-clients.txt" 2> "$RUN/slow-clients.err" &
  SLOW_PID=$!
  PIDS+=("$SLOW_PID")
  # A normal client meanwhile: does the proxy still answer quickly?
  sleep $(( RAMP + 5 ))
  PROBE="$(curl -sS -o /dev/null -w '%{http_code} in %{time_total}s' --max-time 5 "http://127.0.0.1:$PX/" 2>&1 || true)"
  wait "$SLOW_PID" || { cat "$RUN/slow-clients.err" >&2; die "SlowClients failed"; }
  forget_pid "$SLOW_PID"
  stop_sampler
  sample slow "end of slow clients"
  start_sampler slow after 5
  sleep 20
  stop_sampler
  full_gc; sample slow "after + full GC"
  # NGINX logs each /big response when it ends; the proxy should have cut the upstream ones with the clients.
  sleep 2
  NGINX_BIG="$(cat "$RUN/alpha-big.log" "$RUN/bravo-big.log" | awk '{ n++; b += $3; if ($3 >= size) full++ } END { printf "%d %.0f %d\n", n, b, full }' size="$BODY_SIZE")"
  read -r NGINX_N NGINX_BYTES NGINX_FULL <<< "$NGINX_BIG"
  CLIENT_TOTAL="$(grep '^total' "$RUN/slow-clients.txt" || true)"
  CLIENT_BYTES="$(sed -nE 's/.*bytes ([0-9]+).*/\1/p' <<< "$CLIENT_TOTAL")"
  CLIENT_BEGUN="$(sed -nE 's/.*responses begun ([0-9]+).*/\1/p' <<< "$CLIENT_TOTAL")"
  PROBE_AFTER="$(curl -sS -o /dev/null -w '%{http_code} in %{time_total}s' --max-time 5 "http://127.0.0.1:$PX/" 2>&1 || true)"
  tail -n +"$SLOW_LOG_FROM" "$RUN/proxy-http.log" | grep -E '^[0-9:.]+ (WARN|ERROR) ' | sed -E 's/^[0-9:.]+ //; s/(.{0,170}).*/\1/' | sort | uniq -c | sort -nr > "$RUN/slow.warnings" || true
  SLOW_DONE=1
fi
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$(( $(date +%s) - T0 ))

# ---- report ---------------------------------------------------------------------------------------------------
# Sample columns: 1 t, 2 phase, 3 label, 4 RSS, 5 heap used, 6 non-heap used, 7 live heap, 8 Netty direct,
# 9 Netty pinned, 10 threads, 11 fds, 12 upstream connections, 13 client Send-Q, 14 upstream Recv-Q, 15 kernel TCP.
mib() { awk -v v="$1" 'BEGIN { if (v == "") print "–"; else printf "%.0f MiB", v }'; }
row() {   # row TITLE PHASE LABEL [first]: one line of the tables from the last (or first) sample with that label
  local pick=last; [ "${4:-}" = first ] && pick=first
  printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s |\n' "$1" "$(mib "$($pick "$2" "$3" 4)")" "$(mib "$($pick "$2" "$3" 5)")" \
    "$(mib "$($pick "$2" "$3" 7)")" "$(mib "$($pick "$2" "$3" 6)")" "$(mib "$($pick "$2" "$3" 8)")" "$(mib "$($pick "$2" "$3" 9)")" \
    "$($pick "$2" "$3" 11)" "$($pick "$2" "$3" 12)" "$(mib "$($pick "$2" "$3" 13)")" "$(mib "$($pick "$2" "$3" 14)")" "$(mib "$($pick "$2" "$3" 15)")"
}
range() {   # range PHASE LABEL... : "min / max" of each column 4..15 over the samples with those labels
  local ph="$1"; shift
  local labels; labels="$(printf '%s\n' "$@")"
  awk -F, -v ph="$ph" -v labels="$labels" 'BEGIN { n = split(labels, L, "\n"); for (i = 1; i <= n; i++) want[L[i]] = 1 }
    NR > 1 && $2 == ph && ($3 in want) { for (c = 4; c <= 15; c++) { if (!(c in lo) || $c + 0 < lo[c]) lo[c] = $c + 0; if (!(c in hi) || $c + 0 > hi[c]) hi[c] = $c + 0 } }
    END { for (c = 4; c <= 15; c++) printf "%s %s ", lo[c], hi[c]; print "" }' "$SAMPLES"
}
range_row() {   # range_row TITLE PHASE LABEL...
  local t="$1"; shift
  local v; read -r -a v <<< "$(range "$@")"
  [ ${#v[@]} -ge 24 ] || return 0
  mm() { printf '%.0f–%.0f MiB' "$1" "$2"; }
  printf '| %s | %s | %s | %s | %s | %s / %s | %s–%s | %s–%s | %s | %s | %s |\n' "$t" "$(mm "${v[0]}" "${v[1]}")" "$(mm "${v[2]}" "${v[3]}")" \
    "$(mm "${v[6]}" "${v[7]}")" "$(mm "${v[4]}" "${v[5]}")" "$(mm "${v[8]}" "${v[9]}")" "$(mm "${v[10]}" "${v[11]}")" \
    "${v[14]}" "${v[15]}" "${v[16]}" "${v[17]}" "$(mm "${v[18]}" "${v[19]}")" "$(mm "${v[20]}" "${v[21]}")" "$(mm "${v[22]}" "${v[23]}")"
}
THEAD="| | RSS | heap used | live heap | non-heap | Netty direct / in use | fds | backend conns | proxy→client Send-Q | backend→proxy Recv-Q | kernel TCP (all) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
series() { col "$@" | awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 }'; }
{
  echo "# Proxy memory: soak and slow clients — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Our proxy with \`$JAVA_OPTS\` (bench/run.sh's JVM flags for our proxy), \`dsha.event-loops=$EVENT_LOOPS\`, access log off,"
  echo "ACTIVE_ACTIVE over two NGINX stand-ins (the peers' configuration plus \`/big\`, a $BODY_SIZE-byte file)."
  echo
  echo "Columns: RSS = \`VmRSS\` (\`/proc/PID/status\`); heap used / non-heap = \`jvm_memory_used_bytes\`; live heap ="
  echo "\`jvm_gc_live_data_size_bytes\` (old generation after the last full or mixed collection; the script runs \`jcmd PID GC.run\`"
  echo "about once a minute in the soak and every 10 s with the slow clients); Netty direct / in use = \`netty_allocator_memory_used\` /"
  echo "\`netty_allocator_memory_pinned\` for direct memory (pooled arenas allocated / bytes in buffers in use) — all from \`/q/metrics\`."
  echo "The socket columns come from \`ss\`: the proxy's established connections to the backends, the sum of Send-Q of its client"
  echo "connections (written by the proxy, not yet taken by the clients: kernel memory) and of Recv-Q of its backend connections"
  echo "(arrived, not yet read by the proxy); kernel TCP = all TCP sockets of the machine (\`/proc/net/sockstat\`)."
  if [ "$SOAK_DONE" = 1 ]; then
    echo
    echo "## (a) Soak: \`wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency$([ "$NEW_CONNECTIONS" = 1 ] && echo " -H 'Connection: close'") $URL\` after a $WARMUP warm-up"
    echo
    echo "wrk: $SOAK_WRK (wrk counts a request as a timeout after 2 s; the full GCs the script triggers pause the proxy:"
    echo "$GC_MAX_PAUSE)."
    echo
    echo "$THEAD"
    row "after warm-up" soak "after warm-up"
    row "after warm-up + full GC" soak "after warm-up + full GC"
    row "**start** (first sample under load)" soak load first
    row "**end** (last sample under load)" soak load
    range_row "min–max under load" soak load "load + full GC"
    row "idle, 5 s after" soak "idle after"
    row "idle, after a full GC" soak "idle after + full GC"
    echo
    read -r RS RE <<< "$(col soak load 4 | sed -n '1p;$p' | paste -sd' ')"
    echo "RSS under load: $(mib "$RS") at the start, $(mib "$RE") at the end; least-squares slope $(slope soak load 4) MiB/min over"
    echo "all $(col soak load 4 | wc -l) samples, $(slope soak load 4 half) MiB/min over the second half. Non-heap: $(slope soak load 6) MiB/min."
    echo "Live heap after each full GC (MiB): $(last soak "after warm-up + full GC" 7) before the load; under load $(series soak "load + full GC" 7 | grep . || echo "none (shorter than a minute)");"
    echo "$(last soak "idle after + full GC" 7) after. Heap used itself is the collector's saw-tooth between collections (~$(awk -v a="$ALLOC_RATE" 'BEGIN { printf "%.0f", a }') MiB/s allocated under this load)."
    if [ -s "$RUN/soak.warnings" ]; then
      echo; echo "Warnings and errors our proxy logged (count, message):"; echo '```'; cat "$RUN/soak.warnings"; echo '```'
    fi
  fi
  if [ "$SLOW_DONE" = 1 ]; then
    echo
    echo "## (b) Slow clients: $SLOW_CLIENTS connections, each GET /big ($BODY_SIZE bytes) read at $SLOW_RATE B/s, SO_RCVBUF $SLOW_RCVBUF, for ${SLOW_SECS}s"
    echo
    echo "\`$(cmdline "${SLOW_CMD[@]}")\` (the connections open over ${RAMP}s; one thread, non-blocking reads on a 100 ms tick)."
    echo
    echo "$THEAD"
    row "before" slow before
    row "before, after a full GC" slow "before + full GC"
    range_row "**during** (min–max)" slow during "during + full GC"
    row "end of the slow clients" slow "end of slow clients"
    row "20 s after" slow after
    row "after, after a full GC" slow "after + full GC"
    echo
    echo "SlowClients: \`$CLIENT_TOTAL\`."
    echo
    read -r -a V <<< "$(range slow during "during + full GC")"
    awk -v before="$(last slow before 4)" -v max="${V[1]}" -v livebefore="$(last slow "before + full GC" 7)" -v livemax="${V[7]}" -v pinmax="${V[11]}" \
        -v upmax="${V[17]}" -v sqmax="${V[19]}" -v rqmax="${V[21]}" -v n="$SLOW_CLIENTS" -v size="$BODY_SIZE" -v cb="${CLIENT_BYTES:-0}" \
        -v nb="$NGINX_BYTES" -v nn="$NGINX_N" -v nf="$NGINX_FULL" -v begun="${CLIENT_BEGUN:-0}" 'BEGIN {
      m = 1048576; whole = n * size / m; grew = max - before
      printf "- **Proxy process**: RSS grew by at most %.0f MiB, the live heap went from %.0f to at most %.0f MiB, and at most %.1f MiB of Netty direct buffers were in use, while %d clients each had up to %.0f KiB pending (%.0f MiB in all).\n", grew, livebefore, livemax, pinmax, n, size / 1024, whole
      printf "- **Where the bytes waited**: in the kernel. Sum of the proxy'"'"'s Send-Q towards its clients up to %.0f MiB (%.0f KiB per client); Recv-Q of its backend connections up to %.1f MiB; at most %d backend connections.\n", sqmax, sqmax * 1024 / n, rqmax, upmax
      printf "- The clients read %.1f MiB (%.0f KiB each); NGINX logged %d /big responses as ended, %d of them complete (%.1f MiB sent).\n", cb / m, cb / 1024 / n, nn, nf, nb / m
      if (upmax < begun && nf >= begun) printf "- All %d responses began although the proxy had at most %d backend connections: backend connections were freed and reused, i.e. the proxy read whole bodies from the backends and handed them to the kernel, whose send buffers (autotuned up to `tcp_wmem` max) took them.\n", begun, upmax
      verdict = (grew < 0.25 * whole && livemax - livebefore < 0.25 * whole && pinmax < 0.25 * whole)
      printf "- Proxy memory bounded: %s.\n", verdict ? "**yes** — RSS, live heap and Netty buffers stayed far below the bodies pending" : "**NO** — the proxy'"'"'s memory grew like the bodies pending"
    }'
    echo "- A normal GET through the proxy $(( RAMP + 5 )) s into the slow clients: $PROBE; after them: $PROBE_AFTER."
    echo "- Kernel settings: \`net.ipv4.tcp_wmem\` = $(tr '\t' ' ' < /proc/sys/net/ipv4/tcp_wmem), \`tcp_rmem\` = $(tr '\t' ' ' < /proc/sys/net/ipv4/tcp_rmem), \`tcp_mem\` (pages) = $(tr '\t' ' ' < /proc/sys/net/ipv4/tcp_mem)."
    if [ -s "$RUN/slow.warnings" ]; then
      echo; echo "Warnings and errors our proxy logged during and after the slow clients (count, message):"; echo '```'; cat "$RUN/slow.warnings"; echo '```'
    fi
    echo
    echo "SlowClients' progress:"; echo '```'; cat "$RUN/slow-clients.txt"; echo '```'
  fi
  echo
  echo "## Machine"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), $(java -version 2>&1 | sed -n 2p); run took ${ELAPSED}s."
  echo "Load average at the start: $LOAD_START; at the end: $LOAD_END. wrk, the proxy, the NGINX stand-ins, the control plane and"
  echo "SlowClients share these 2 CPUs with whatever else runs: **a shared 2-core machine, other builds may have been running**."
  echo "Memory figures depend much less on that than throughput does; wrk's req/s is given only to show the load was real."
  echo "With \`-Xms512m\` the RSS includes every heap page G1 has touched: after the warm-up that is the whole 512 MiB heap, so RSS"
  echo "then moves only with memory outside the heap (Netty's direct arenas, code cache, metaspace, thread stacks)."
  echo
  echo "## Samples"
  echo
  echo "Seconds since the start of the run; MiB. Also in \`bench/results/$(basename "$SAMPLES_OUT")\`."
  echo
  echo "| t (s) | phase | label | RSS | heap used | non-heap | live heap | Netty direct | in use | threads | fds | backend conns | client Send-Q | backend Recv-Q | kernel TCP |"
  echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 { printf "|"; for (i = 1; i <= 15; i++) printf " %s |", $i; printf "\n" }' "$SAMPLES"
  echo
  echo "## Configurations used"
  echo
  echo "Ports were picked free for this run; RUN was \`$RUN\`. Proxy jar: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain -- api control-plane proxy-service 2>/dev/null)" ] && echo ' (with local changes)')."
  echo "Effective JVM flags: \`$(java $JAVA_OPTS -XX:+PrintCommandLineFlags -version 2>&1 | sed -n 1p)\`."
  echo
  echo "### NGINX stand-ins"
  for n in alpha bravo; do echo '```nginx'; cat "$RUN/$n.conf"; echo '```'; done
  echo
  echo "### Topology (PUT /api/v1/topology, then two CHECKER reports marking a and b UP)"
  echo '```json'; cat "$RUN/topology.json"; echo '```'
  echo
  echo "### Command lines (tokens are random per run)"
  echo '```'
  echo "control-plane: $(cmdline "${CP_CMD[@]}")"
  for c in "${PROXY_CMDS[@]}"; do echo "$c"; done
  [ "$SOAK_DONE" = 1 ] && echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d$WARMUP --latency$([ "$NEW_CONNECTIONS" = 1 ] && echo " -H 'Connection: close'") <proxy URL>   # warm-up; then -d$DURATION"
  [ "$SLOW_DONE" = 1 ] && echo "$(cmdline "${SLOW_CMD[@]}")"
  echo '```'
} > "$RUN/soak.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$RUN/soak.md" "$RESULTS"
cp "$SAMPLES" "$SAMPLES_OUT"
echo
sed -n '/^## (a)/,/^## Machine/p' "$RESULTS" | sed '$d'
echo "$NAME: report with configurations and samples: $RESULTS (run took ${ELAPSED}s)"
