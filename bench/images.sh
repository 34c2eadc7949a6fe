#!/usr/bin/env bash
# What the JVM images cost an edge host (BENCHMARKS.md, "Container images"): per service image
# (dsha/<service>:jvm, from docker/build-images.sh), its size, the time to ready in a container and the idle RSS
# there, beside the same application bits run as a bare JVM on the host.
#
#   bench/images.sh [--runs 3] [--settle 4] [--out FILE]
#
# Per service and set-up, --runs times: start it, poll GET /q/health/ready every 10 ms until it answers 200 (the
# time from just before `podman run` / `java` is "ready"), wait --settle seconds, read VmRSS of the JVM (PID 1 in
# the container), stop it. Set-ups:
#   container-256m  podman run --memory 256m: the image's JAVA_OPTS size the heap from the limit (64 MB)
#   container       podman run without a limit: the JVM sizes itself from the host's memory
#   bare-256m       the image's /app copied out, run by the host's JDK 17 with the image's JAVA_OPTS and
#                   -XX:MaxRAM=256m, with an AppCDS archive written by the host's JVM the same way (docker/appcds.sh)
# The health service and the proxy take their topology from a control plane container started once (not
# measured), beside two simulated instances, on a network of the script's own; the proxy terminates TLS with a
# throw-away certificate. Prints a markdown table (median and range) and writes it to --out
# (default target/images/results.md). Needs podman, python3, curl, openssl, and root.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RUNS=3
SETTLE=4
OUT="$ROOT/target/images/results.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/images.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  esac
done
# shellcheck source=docker/containers-conf.sh
. docker/containers-conf.sh
SERVICES="control-plane health-service proxy-service"
for s in $SERVICES datastack-sim; do
  podman image exists "dsha/$s:jvm" || { echo "bench/images.sh: no image dsha/$s:jvm (run docker/build-images.sh)" >&2; exit 2; }
done

STARTED=$(date -u +%FT%TZ)
WORK="$ROOT/target/images"
NET="dsha-bench-$$"
mkdir -p "$WORK"
RAW="$WORK/raw.tsv"
: >"$RAW"
ADMIN=bench-admin-0123456789abcdef
AGENT=bench-agent-0123456789abcdef
cleanup() {
  podman rm -f -t 0 $(podman ps -aq --filter "label=dsha-bench=$NET") >/dev/null 2>&1 || true
  podman network rm -f "$NET" >/dev/null 2>&1 || true
  [ -n "${BARE_PID:-}" ] && kill -9 "$BARE_PID" 2>/dev/null || true
  rm -rf "$WORK/state"
}
trap cleanup EXIT

# The TLS certificate the proxy's topology needs, made the documented way into a directory of the script's own.
mkdir -p "$WORK/secrets"
cp docker/compose-setup.sh "$WORK/secrets/"
(cd "$WORK/secrets" && ./compose-setup.sh --force >/dev/null)
PASSWORD=$(sed -n 's/^DSHA_KEYSTORE_PASSWORD=//p' "$WORK/secrets/.env")
chmod 0755 "$WORK/secrets/certs"

podman network create "$NET" >/dev/null
run_support() { podman run -d --label "dsha-bench=$NET" --network "$NET" "$@" >/dev/null; }
run_support --name "$NET-sim-a" --network-alias sim-a -e SIM_NAME=a -e SIM_HOST=0.0.0.0 -e SIM_PORT=8080 dsha/datastack-sim:jvm
run_support --name "$NET-sim-b" --network-alias sim-b -e SIM_NAME=b -e SIM_HOST=0.0.0.0 -e SIM_PORT=8080 dsha/datastack-sim:jvm
run_support --name "$NET-cp" --network-alias control-plane -p 127.0.0.1::9470 \
  -e DSHA_ADMIN_TOKEN=$ADMIN -e DSHA_AGENT_TOKEN=$AGENT -e DSHA_STATE_DIR=/var/lib/dsha -e QUARKUS_HTTP_HOST=0.0.0.0 \
  -e DSHA_TOPOLOGY_FILE=/etc/dsha/topology.yaml -v "$ROOT/docker/topology/compose-active-passive.yaml:/etc/dsha/topology.yaml:ro" \
  dsha/control-plane:jvm
CP_PORT=$(podman port "$NET-cp" 9470 | sed 's/.*://')
until curl -fsS -o /dev/null "http://127.0.0.1:$CP_PORT/q/health/ready"; do sleep 0.2; done

now_ms() { date +%s%3N; }
wait_ready() { # URL DEADLINE_S -> prints ms since $start
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench/images.sh: $1 not ready in $2 s" >&2; return 1; }
    sleep 0.01
  done
  echo $(( $(now_ms) - start ))
}
port_of() { case "$1" in control-plane) echo 9470 ;; health-service) echo 9490 ;; proxy-service) echo 9480 ;; esac; }
# The environment each service gets (as in docker/compose.yaml), for a container and for the bare JVM.
service_env() { # SERVICE CP_URL STATE
  echo "DSHA_AGENT_TOKEN=$AGENT"
  case "$1" in
    control-plane) echo "DSHA_ADMIN_TOKEN=$ADMIN"; echo "DSHA_STATE_DIR=$3"; echo "DSHA_TOPOLOGY_FILE=$4" ;;
    health-service) echo "DSHA_CONTROL_PLANE_URL=$2"; echo "DSHA_CHECKER_ID=bench" ;;
    proxy-service) echo "DSHA_CONTROL_PLANE_URL=$2"; echo "DSHA_STATE_DIR=$3"
      echo "DSHA_TLS_KEYSTORE_FILE=$5/lb.p12"; echo "DSHA_TLS_KEYSTORE_PASSWORD=$PASSWORD" ;;
  esac
}

measure_container() { # SERVICE SETUP [podman args...]
  local s=$1 setup=$2; shift 2
  local p; p=$(port_of "$s")
  local envs=()
  while read -r kv; do envs+=(-e "$kv"); done < <(service_env "$s" http://control-plane:9470 /var/lib/dsha /etc/dsha/topology.yaml /etc/dsha/certs)
  for r in $(seq 1 "$RUNS"); do
    local name="$NET-$s-$setup-$r"
    start=$(now_ms)
    podman run -d --label "dsha-bench=$NET" --name "$name" --network "$NET" -p "127.0.0.1::$p" "$@" "${envs[@]}" \
      -e QUARKUS_HTTP_HOST=0.0.0.0 -v "$ROOT/docker/topology/compose-active-passive.yaml:/etc/dsha/topology.yaml:ro" \
      -v "$WORK/secrets/certs:/etc/dsha/certs:ro" "dsha/$s:jvm" >/dev/null
    local hp; hp=$(podman port "$name" "$p" | sed 's/.*://')
    local ready; ready=$(wait_ready "http://127.0.0.1:$hp/q/health/ready" 120)
    sleep "$SETTLE"
    local rss; rss=$(podman exec "$name" sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/1/status)
    podman rm -f -t 10 "$name" >/dev/null
    printf '%s\t%s\t%s\t%s\n' "$setup" "$s" "$ready" "$((rss / 1024))" >>"$RAW"
    echo "  $setup $s run $r: ready ${ready} ms, idle RSS $((rss / 1024)) MB" >&2
  done
}

measure_bare() { # SERVICE
  local s=$1 p; p=$(port_of "$s")
  local app="$WORK/bare/$s"
  rm -rf "$app"; mkdir -p "$app"
  local cid; cid=$(podman create "dsha/$s:jvm")
  podman cp "$cid:/app/." "$app/" >/dev/null
  podman rm "$cid" >/dev/null
  rm -f "$app/app-cds.jsa"
  local opts; opts="$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "dsha/$s:jvm" | sed -n 's/^JAVA_OPTS=//p') -XX:MaxRAM=256m"
  local envs=()
  mkdir -p "$WORK/state"
  while read -r kv; do envs+=("$kv"); done < <(service_env "$s" "http://127.0.0.1:$CP_PORT" "$WORK/state/$s" "$ROOT/docker/topology/demo-active-passive.yaml" "$WORK/secrets/certs")
  # The archive by the host's JVM, the way the image makes its own; the ops port a free one.
  local free; free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$app" && env "${envs[@]}" QUARKUS_HTTP_PORT="$free" JAVA_OPTS="$opts" PATH="$WORK/bin:$PATH" "$ROOT/docker/appcds.sh" "$free" >/dev/null)
  for r in $(seq 1 "$RUNS"); do
    free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start=$(now_ms)
    # shellcheck disable=SC2086
    (cd "$app" && exec env "${envs[@]}" QUARKUS_HTTP_PORT="$free" java $opts -jar quarkus-run.jar >"$WORK/bare-$s.log" 2>&1) &
    BARE_PID=$!
    local ready; ready=$(wait_ready "http://127.0.0.1:$free/q/health/ready" 120)
    sleep "$SETTLE"
    local rss; rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BARE_PID/status")
    kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true; BARE_PID=
    printf '%s\t%s\t%s\t%s\n' bare-256m "$s" "$ready" "$((rss / 1024))" >>"$RAW"
    echo "  bare-256m $s run $r: ready ${ready} ms, idle RSS $((rss / 1024)) MB" >&2
  done
}

# appcds.sh calls dsha-probe by that name, as in the images.
mkdir -p "$WORK/bin" && ln -sf "$ROOT/docker/probe.sh" "$WORK/bin/dsha-probe"

for s in $SERVICES; do
  echo "== $s" >&2
  measure_container "$s" container-256m --memory 256m
  measure_container "$s" container
  measure_bare "$s"
done

{
  echo "Run $STARTED to $(date -u +%T) on $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs per cell, RSS ${SETTLE} s after ready."
  echo "Host JDK: $(java -version 2>&1 | head -1); image JRE: $(podman run --rm --entrypoint java dsha/control-plane:jvm -version 2>&1 | head -1)."
  echo
  echo "| image | size |"
  echo "|---|---|"
  for s in $SERVICES datastack-sim; do
    echo "| dsha/$s:jvm | $(podman image inspect --format '{{.Size}}' "dsha/$s:jvm" | awk '{printf "%.0f MB", $1/1e6}') |"
  done
  echo "| base localhost/dsha-base:17-jre | $(podman image inspect --format '{{.Size}}' localhost/dsha-base:17-jre 2>/dev/null | awk '{printf "%.0f MB", $1/1e6}') |"
  echo
  python3 - "$RAW" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    setup, svc, ready, rss = line.split("\t")
    rows.setdefault((setup, svc), []).append((int(ready), int(rss)))
print("| set-up | service | ready (s) | idle RSS (MB) |")
print("|---|---|---|---|")
for (setup, svc), v in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    r = [x[0] / 1000 for x in v]; m = [x[1] for x in v]
    print(f"| {setup} | {svc} | {statistics.median(r):.2f} ({min(r):.2f}-{max(r):.2f}) | {statistics.median(m):.0f} ({min(m)}-{max(m)}) |")
PY
} | tee "$OUT"
