#!/usr/bin/env bash
# What the JVM images cost an edge host (BENCHMARKS.md, "Container images"): per service image
# (dsha/<service>:TAG, from docker/build-images.sh), its size, the time to ready in a container and the idle RSS
# there, beside the same application bits run as a bare JVM on the host.
#
#   bench/images.sh [--tags "jvm jvm-jdk25"] [--setups "container-256m container bare-256m"] [--runs 3]
#                   [--settle 4] [--out FILE]
#
# --tags: the flavours to measure, dsha/<service>:jvm (JDK 17 + AppCDS, docker/build-images.sh) and
# dsha/<service>:jvm-jdk25 (JDK 25 + AOT cache, docker/build-images.sh --jdk 25); by default jvm, and jvm-jdk25
# when it is built. Per flavour, service and set-up, --runs times: start it, poll GET /q/health/ready every 10 ms
# until it answers 200 (the time from just before `podman run` / `java` is "ready"), wait --settle seconds, read
# VmRSS of the JVM (PID 1 in the container), stop it. The flavours take turns run by run (jvm, jvm-jdk25, jvm, ...),
# so that a change in the machine's load falls on both. Set-ups:
#   container-256m  podman run --memory 256m: the image's JAVA_OPTS size the heap from the limit
#   container       podman run without a limit: the JVM sizes itself from the host's memory
#   bare-256m       the image's /app copied out, run by the host's JVM of the same major version (JDK 17: `java`;
#                   JDK 25: JAVA25, default /usr/lib/jvm/temurin-25-jdk-amd64) with the image's JAVA_OPTS and
#                   -XX:MaxRAM=256m, its start-up cache written by the host's JVM the same way (docker/jvm-cache.sh)
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
TAGS=""
SETUPS="container-256m container bare-256m"
JAVA25_HOME="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
while [ $# -gt 0 ]; do
  case "$1" in
    --tags) TAGS="$2"; shift 2 ;;
    --setups) SETUPS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/images.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  esac
done
# shellcheck source=docker/containers-conf.sh
. docker/containers-conf.sh
SERVICES="control-plane health-service proxy-service"
if [ -z "$TAGS" ]; then
  TAGS=jvm
  podman image exists dsha/control-plane:jvm-jdk25 && TAGS="jvm jvm-jdk25"
fi
for s in $SERVICES datastack-sim; do
  podman image exists "dsha/$s:jvm" || { echo "bench/images.sh: no image dsha/$s:jvm (run docker/build-images.sh)" >&2; exit 2; }
done
for tag in $TAGS; do
  for s in $SERVICES; do
    podman image exists "dsha/$s:$tag" || { echo "bench/images.sh: no image dsha/$s:$tag (docker/build-images.sh, --jdk 25 for jvm-jdk25)" >&2; exit 2; }
  done
done
for setup in $SETUPS; do
  case "$setup" in container-256m|container|bare-256m) ;; *) echo "bench/images.sh: unknown set-up $setup" >&2; exit 64 ;; esac
done
# The host's JVM that runs a flavour's /app bare: the same major version as the image's.
host_java() { case "$1" in *jdk25) echo "$JAVA25_HOME/bin/java" ;; *) command -v java ;; esac; }

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

measure_container() { # TAG SERVICE SETUP RUN [podman args...]
  local tag=$1 s=$2 setup=$3 r=$4; shift 4
  local p; p=$(port_of "$s")
  local envs=()
  while read -r kv; do envs+=(-e "$kv"); done < <(service_env "$s" http://control-plane:9470 /var/lib/dsha /etc/dsha/topology.yaml /etc/dsha/certs)
  local name="$NET-$s-$tag-$setup-$r"
  start=$(now_ms)
  podman run -d --label "dsha-bench=$NET" --name "$name" --network "$NET" -p "127.0.0.1::$p" "$@" "${envs[@]}" \
    -e QUARKUS_HTTP_HOST=0.0.0.0 -v "$ROOT/docker/topology/compose-active-passive.yaml:/etc/dsha/topology.yaml:ro" \
    -v "$WORK/secrets/certs:/etc/dsha/certs:ro" "dsha/$s:$tag" >/dev/null
  local hp; hp=$(podman port "$name" "$p" | sed 's/.*://')
  local ready; ready=$(wait_ready "http://127.0.0.1:$hp/q/health/ready" 120)
  sleep "$SETTLE"
  local rss; rss=$(podman exec "$name" sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/1/status)
  podman rm -f -t 10 "$name" >/dev/null
  printf '%s\t%s\t%s\t%s\t%s\n' "$tag" "$setup" "$s" "$ready" "$((rss / 1024))" >>"$RAW"
  echo "  $tag $setup $s run $r: ready ${ready} ms, idle RSS $((rss / 1024)) MB" >&2
}

# The image's /app copied out, with a start-up cache written by the host's JVM the way the image writes its own.
prepare_bare() { # TAG SERVICE
  local tag=$1 s=$2
  local app="$WORK/bare/$tag/$s" java; java=$(host_java "$tag")
  rm -rf "$app"; mkdir -p "$app"
  local cid; cid=$(podman create "dsha/$s:$tag")
  podman cp "$cid:/app/." "$app/" >/dev/null
  podman rm "$cid" >/dev/null
  rm -f "$app/app-cds.jsa" "$app/app.aot"
  local opts; opts="$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "dsha/$s:$tag" | sed -n 's/^JAVA_OPTS=//p') -XX:MaxRAM=256m"
  echo "$opts" >"$app.opts"
  local envs=()
  mkdir -p "$WORK/state"
  while read -r kv; do envs+=("$kv"); done < <(service_env "$s" "http://127.0.0.1:$CP_PORT" "$WORK/state/$s" "$ROOT/docker/topology/demo-active-passive.yaml" "$WORK/secrets/certs")
  local free; free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$app" && env "${envs[@]}" QUARKUS_HTTP_PORT="$free" JAVA_OPTS="$opts" PATH="$WORK/bin:$(dirname "$java"):$PATH" "$ROOT/docker/jvm-cache.sh" "$free" >/dev/null)
}

measure_bare() { # TAG SERVICE RUN
  local tag=$1 s=$2 r=$3
  local app="$WORK/bare/$tag/$s" java; java=$(host_java "$tag")
  local opts; opts=$(cat "$app.opts")
  local envs=()
  while read -r kv; do envs+=("$kv"); done < <(service_env "$s" "http://127.0.0.1:$CP_PORT" "$WORK/state/$s" "$ROOT/docker/topology/demo-active-passive.yaml" "$WORK/secrets/certs")
  local free; free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  start=$(now_ms)
  # shellcheck disable=SC2086
  (cd "$app" && exec env "${envs[@]}" QUARKUS_HTTP_PORT="$free" "$java" $opts -jar quarkus-run.jar >"$WORK/bare-$tag-$s.log" 2>&1) &
  BARE_PID=$!
  local ready; ready=$(wait_ready "http://127.0.0.1:$free/q/health/ready" 120)
  sleep "$SETTLE"
  local rss; rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BARE_PID/status")
  kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true; BARE_PID=
  printf '%s\t%s\t%s\t%s\t%s\n' "$tag" bare-256m "$s" "$ready" "$((rss / 1024))" >>"$RAW"
  echo "  $tag bare-256m $s run $r: ready ${ready} ms, idle RSS $((rss / 1024)) MB" >&2
}

# jvm-cache.sh calls dsha-probe by that name, as in the images.
mkdir -p "$WORK/bin" && ln -sf "$ROOT/docker/probe.sh" "$WORK/bin/dsha-probe"

for s in $SERVICES; do
  echo "== $s" >&2
  for setup in $SETUPS; do
    if [ "$setup" = bare-256m ]; then
      for tag in $TAGS; do prepare_bare "$tag" "$s"; done
    fi
    for r in $(seq 1 "$RUNS"); do
      for tag in $TAGS; do
        case "$setup" in
          container-256m) measure_container "$tag" "$s" "$setup" "$r" --memory 256m ;;
          container) measure_container "$tag" "$s" "$setup" "$r" ;;
          bare-256m) measure_bare "$tag" "$s" "$r" ;;
        esac
      done
    done
  done
done

{
  echo "Run $STARTED to $(date -u +%T) on $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs per cell, RSS ${SETTLE} s after ready."
  for tag in $TAGS; do
    echo "dsha/*:$tag: image JRE $(podman run --rm --entrypoint java "dsha/control-plane:$tag" -version 2>&1 | head -1); host JVM for bare-256m $("$(host_java "$tag")" -version 2>&1 | head -1)."
  done
  echo
  echo "| image | size |"
  echo "|---|---|"
  size_of() { podman image inspect --format '{{.Size}}' "$1" 2>/dev/null | awk '{printf "%.0f MB", $1/1e6}'; }
  for tag in $TAGS; do
    for s in $SERVICES; do
      echo "| dsha/$s:$tag | $(size_of "dsha/$s:$tag") |"
    done
  done
  echo "| dsha/datastack-sim:jvm | $(size_of dsha/datastack-sim:jvm) |"
  for base in 17-jre 25-jre; do
    podman image exists "localhost/dsha-base:$base" && echo "| base localhost/dsha-base:$base | $(size_of "localhost/dsha-base:$base") |"
  done
  echo
  python3 - "$RAW" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    tag, setup, svc, ready, rss = line.split("\t")
    rows.setdefault((svc, setup, tag), []).append((int(ready), int(rss)))
print("| service | set-up | image | ready (s) | idle RSS (MB) |")
print("|---|---|---|---|---|")
for (svc, setup, tag), v in rows.items():
    r = [x[0] / 1000 for x in v]; m = [x[1] for x in v]
    print(f"| {svc} | {setup} | {tag} | {statistics.median(r):.2f} ({min(r):.2f}-{max(r):.2f}) | {statistics.median(m):.0f} ({min(m)}-{max(m)}) |")
PY
} | tee "$OUT"
