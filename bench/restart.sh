#!/usr/bin/env bash
# A rolling restart of the proxy under steady keep-alive HTTPS load (see bench/README.md, "Restart under load").
#
#   bench/restart.sh [--rounds 3] [--connections 32] [--every 6] [--migrate 1|0|keep] [--results FILE] [--note TEXT] [--keep]
#
# Two NGINX stand-ins (HTTP for TERMINATE; HTTPS with keepalive_requests 1000, NGINX's default, for PASSTHROUGH),
# a control plane and one proxy on a fixed listener port. wrk keeps --connections keep-alive HTTPS connections
# busy through the proxy for the whole run; every --every seconds a new proxy process is started with the same
# settings (it binds beside the running one: SO_REUSEPORT), waited for until ready, then the old one is sent
# SIGTERM and waited for. --rounds such restarts per TLS mode. Reports wrk's requests, non-2xx answers and
# socket errors (connect, read, write, timeout) per mode, and each round's times. --migrate sets
# net.ipv4.tcp_migrate_req for the run (1: queued connections move to the new listener; 0: they are reset;
# keep: as the machine has it) and puts the old value back. Writes bench/results/restart.md.
# Needs: nginx wrk openssl curl (Debian packages), a JDK 17, the jars built; root for --migrate 0|1.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=restart
RESULTS="${RESULTS:-$ROOT/bench/results/restart.md}"

ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
EVERY="${EVERY:-6}"                  # seconds between restarts
MIGRATE="${MIGRATE:-1}"
WRK_THREADS=2
JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseSerialGC}"
KEEP="${KEEP:-0}"
NOTE="${NOTE:-}"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --every) EVERY="$2"; shift 2 ;;
    --migrate) MIGRATE="$2"; shift 2 ;;
    *) common_option "$@"; shift "$TAKEN" ;;
  esac
done

check_count "$ROUNDS" "--rounds"; check_count "$CONNECTIONS" "--connections"; check_count "$EVERY" "--every"
[ "$ROUNDS" -le 20 ] || die "--rounds is at most 20"
case "$MIGRATE" in 0|1|keep) ;; *) die "--migrate is 1, 0 or keep; got '$MIGRATE'" ;; esac
needs nginx:nginx wrk:wrk openssl:openssl curl:curl
need_jars

KNOB=/proc/sys/net/ipv4/tcp_migrate_req
MIGRATE_BEFORE=""
if [ "$MIGRATE" != keep ]; then
  [ -w "$KNOB" ] || die "$KNOB is missing or not writable (Linux 5.14+ and root); use --migrate keep"
  MIGRATE_BEFORE="$(cat "$KNOB")"
  echo "$MIGRATE" > "$KNOB"
fi
MIGRATE_NOW="$(cat "$KNOB" 2>/dev/null || echo absent)"

new_run_dir
restore_knob() { if [ -n "$MIGRATE_BEFORE" ]; then echo "$MIGRATE_BEFORE" > "$KNOB"; MIGRATE_BEFORE=""; fi; }
trap 'rc=$?; restore_knob; (exit $rc); cleanup' EXIT
log "run directory $RUN (net.ipv4.tcp_migrate_req=$MIGRATE_NOW)"
make_tokens

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$RUN/lb.key" -out "$RUN/lb.crt" >/dev/null 2>&1 \
  || die "openssl could not make the self-signed certificate"

start_stand_ins
free_port T1; free_port T2
# passthrough's stand-ins: HTTPS, closing a keep-alive connection after 1000 requests as NGINX does by default
NGINX_TLS="$RUN/lb.crt:$RUN/lb.key" NGINX_KEEPALIVE_REQUESTS=1000 start_nginx alpha-tls "$T1" alpha-tls
NGINX_TLS="$RUN/lb.crt:$RUN/lb.key" NGINX_KEEPALIVE_REQUESTS=1000 start_nginx bravo-tls "$T2" bravo-tls
start_control_plane
free_port LB_PORT

ROWS=()
# one_mode TERMINATE|PASSTHROUGH
one_mode() {
  local tls="$1" p1 p2 url
  if [ "$tls" = TERMINATE ]; then p1=$P1; p2=$P2; else p1=$T1; p2=$T2; fi
  write_topology "$RUN/topology-$tls.json" "$LB_PORT" "$p1" "$p2"
  sed -i "s/\"tlsMode\": \"TERMINATE\"/\"fqdn\": \"ds.example.test\", \"tlsMode\": \"$tls\"/" "$RUN/topology-$tls.json"
  use_topology "$RUN/topology-$tls.json"
  cp "$RUN/topology-$tls.json" "$RUN/topology.json"
  local gen=0 pid mgmt cmd
  start_one() {   # start_one: a proxy on LB_PORT; sets pid, mgmt
    gen=$((gen + 1)); free_port mgmt
    if [ "$tls" = TERMINATE ]; then
      proxy_cmd cmd "proxy-$tls-$gen" "$LB_PORT" "$mgmt" tls 2 -Ddsha.shutdown.grace=30s
    else
      # (proxy_cmd's plain-http setting does not apply to passthrough: the proxy says so and relays the TLS)
      proxy_cmd cmd "proxy-$tls-$gen" "$LB_PORT" "$mgmt" http 2 -Ddsha.shutdown.grace=30s -Ddsha.passthrough.server-names=localhost
    fi
    "${cmd[@]}" > "$RUN/proxy-$tls-$gen.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_http "http://127.0.0.1:$mgmt/q/health/ready" 120 "$pid" "proxy $gen" "$RUN/proxy-$tls-$gen.log"
  }
  start_one
  local old=$pid
  url="https://localhost:$LB_PORT/"
  local duration=$(( (ROUNDS + 1) * EVERY ))
  log "$tls: wrk -c$CONNECTIONS for ${duration}s, a restart every ${EVERY}s"
  timeout "$((duration + 60))" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${duration}s" --latency "$url" > "$RUN/wrk-$tls.txt" 2>&1 &
  local wrk_pid=$!
  PIDS+=("$wrk_pid")
  local r t0 t_ready waiters=()
  for r in $(seq 1 "$ROUNDS"); do
    sleep "$EVERY"
    t0=$(date +%s%N)
    start_one
    t_ready=$(date +%s%N)
    kill -TERM "$old"
    # The old one leaves in the background (passthrough sessions run on until their clients close them): the next
    # round does not wait for it.
    ( while kill -0 "$old" 2>/dev/null; do sleep 0.05; done
      echo "$tls $r $(( (t_ready - t0) / 1000000 )) $(( ($(date +%s%N) - t_ready) / 1000000 )) $(grep -c 'still in flight' "$RUN/proxy-$tls-$((gen - 1)).log" || true)" \
        >> "$RUN/rounds.txt" ) &
    waiters+=("$!")
    log "$tls round $r: new proxy ready in $(( (t_ready - t0) / 1000000 )) ms; the old one sent SIGTERM"
    old=$pid
  done
  wait "$wrk_pid" || { cat "$RUN/wrk-$tls.txt" >&2; die "wrk failed"; }
  forget_pid "$wrk_pid"
  wait "${waiters[@]}"   # the old proxies leave within their 30 s grace
  stop_and_forget "$old"
  local reqs non2xx sockerr
  reqs="$(awk '/requests in/ { print $1 }' "$RUN/wrk-$tls.txt")"
  non2xx="$(awk '/Non-2xx/ { print $NF }' "$RUN/wrk-$tls.txt")"; non2xx="${non2xx:-0}"
  sockerr="$(grep -o 'Socket errors:.*' "$RUN/wrk-$tls.txt" || echo 'Socket errors: none')"
  ROWS+=("| $tls | $ROUNDS | $reqs | $non2xx | $sockerr | $(awk '/Requests\/sec/ { print $2 }' "$RUN/wrk-$tls.txt") |")
  cp "$RUN/wrk-$tls.txt" "$RUN/wrk-$tls.kept"
}

one_mode TERMINATE
one_mode PASSTHROUGH

{
  echo "# Restart under load: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "bench/restart.sh --rounds $ROUNDS --connections $CONNECTIONS --every $EVERY --migrate $MIGRATE"
  echo
  echo "## Machine"
  echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), net.ipv4.tcp_migrate_req=$MIGRATE_NOW. ${NOTE}"
  echo "Everything on this machine at once (wrk, NGINX, the control plane, two proxies during each restart): figures are"
  echo "for comparison between runs here, not capacity. Access logs off on the proxies and NGINX."
  echo
  echo "## wrk through each restart (keep-alive HTTPS, $CONNECTIONS connections, $WRK_THREADS threads)"
  echo
  echo "| TLS mode | restarts | requests | non-2xx | socket errors | requests/s |"
  echo "|---|---:|---:|---:|---|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "## Each restart"
  echo
  echo "| TLS mode | round | new proxy ready (ms from start) | old proxy gone (ms after SIGTERM) | 'still in flight' at exit |"
  echo "|---|---:|---:|---:|---:|"
  sort -k1,1 -k2,2n "$RUN/rounds.txt" | awk '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
} > "$RESULTS"
cat "$RESULTS"
