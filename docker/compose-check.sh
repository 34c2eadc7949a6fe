#!/usr/bin/env bash
# The container images, run for real: starts docker/compose.yaml with podman-compose from the JVM images that
# docker/build-images.sh built (a project, network and volumes of its own; the host's ports free and on loopback),
# waits until every container's own health check passes, sends a request through the proxy container, kills the
# active instance's container and checks that the control plane fails over and every request still answers, then
# removes everything it started (also on failure). Exit 0 on success. CI (.ci/run) runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in podman podman-compose curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "docker/compose-check.sh: needs $tool" >&2; exit 2; }
done
# shellcheck source=docker/containers-conf.sh
. docker/containers-conf.sh
for service in control-plane health-service proxy-service datastack-sim; do
  podman image exists "dsha/$service:jvm" || { echo "docker/compose-check.sh: no image dsha/$service:jvm (run docker/build-images.sh)" >&2; exit 2; }
done

project="dsha-check-$$"
made_secrets=false
LOGS=$(mktemp /tmp/dsha-compose-check.XXXXXX)
compose() { podman-compose -p "$project" -f docker/compose.yaml "$@"; }
fail() {
  echo "docker/compose-check.sh: FAILED: $*" >&2
  for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
    echo "--- $c ---" >&2; podman logs --tail 30 "$c" >&2 2>&1 || true
  done
  exit 1
}
cleanup() {
  compose down -v >>"$LOGS" 2>&1 || true
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
  if $made_secrets; then rm -rf docker/.env docker/certs; fi
  rm -f "$LOGS"
}
trap cleanup EXIT

# The secrets by the documented command; a user's own (docker/.env already there) are used as they are.
if [ ! -s docker/.env ]; then
  made_secrets=true
  docker/compose-setup.sh >/dev/null
fi
admin_token=$(sed -n 's/^DSHA_ADMIN_TOKEN=//p' docker/.env)

# Free host ports, on loopback only (an empty port: the engine picks one).
export DSHA_LB_BIND=127.0.0.1 DSHA_LB_PORT= DSHA_CP_PORT= DSHA_FLAVOUR=jvm
started=$SECONDS
compose up -d --no-build >>"$LOGS" 2>&1 || { cat "$LOGS" >&2; fail "podman-compose up"; }
containers=$(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}')
[ "$(wc -w <<<"$containers")" -eq 5 ] || fail "expected 5 containers, found: $containers"

# Every container's own health check (compose.yaml's), run here: podman schedules health checks with systemd
# timers, which a machine without systemd does not have.
deadline=$((SECONDS + 180))
for c in $containers; do
  until podman healthcheck run "$c" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$c not healthy within 180 s"
    sleep 1
  done
done
echo "healthy all 5 containers, $((SECONDS - started)) s after podman-compose up"

lb_port=$(podman port "${project}_proxy_1" 8443 | sed 's/.*://')
cp_port=$(podman port "${project}_control-plane_1" 9470 | sed 's/.*://')
ca=docker/certs/lb.crt
url="https://datastack.localhost:$lb_port/api/info"
request() { curl -sS --max-time 5 --cacert "$ca" --resolve "datastack.localhost:$lb_port:127.0.0.1" -o /dev/null \
  -w '%{http_code} %header{x-datastack-instance}' "$url" 2>/dev/null || echo "000 -"; }
active() { curl -sS --max-time 5 -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$cp_port/api/v1/state" |
  python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["routing"]["active"]))' 2>/dev/null || echo "?"; }

answer=$(request)
[ "$answer" = "200 a" ] || fail "through the proxy container: expected 200 from instance a, got '$answer' (active: $(active))"
echo "request through the proxy container (TLS, CA docker/certs/lb.crt): 200 from instance a"

# Failover: the active instance's container dies; requests keep going all along.
podman kill "${project}_sim-a_1" >/dev/null
killed=$SECONDS
total=0 failed=0 from_b=0
while [ $SECONDS -lt $((killed + 60)) ]; do
  answer=$(request)
  total=$((total + 1))
  case "$answer" in
    "200 b") from_b=$((from_b + 1)) ;;
    200*) ;;
    *) failed=$((failed + 1)); echo "  failed request during failover: $answer" ;;
  esac
  if [ "$from_b" -ge 5 ] && [ "$(active)" = b ]; then break; fi
done
[ "$(active)" = b ] || fail "the control plane did not fail over to b within 60 s (active: $(active))"
echo "failover to b $((SECONDS - killed)) s after sim-a was killed; $total requests meanwhile, $failed failed"
[ "$failed" -eq 0 ] || fail "$failed of $total requests failed during the failover"
echo "docker/compose-check.sh: ok"
