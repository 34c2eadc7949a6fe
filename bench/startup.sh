#!/usr/bin/env bash
# Time to ready and idle memory of the three services in JVM mode, per JVM set-up (see BENCHMARKS.md,
# "Startup and memory").
#
#   bench/startup.sh [--build] [--runs 5] [--settle 5] [--setups "NAME ..."] [--out FILE]
#
# Run it on a quiet machine (nothing else busy: the numbers are wall-clock times on shared cores).
# --build   first builds the packagings the set-ups need, each copied to target/startup/<packaging>/<service>/
#           (under nice): `jar` (the ordinary fast-jar, JDK 17), `appcds` (with Quarkus's AppCDS archive,
#           quarkus.package.jar.appcds.enabled, made by JDK 17), `aot` (Quarkus's aot-jar with a JDK 25 AOT
#           cache, quarkus.package.jar.aot.enabled, JEP 483/514, made by JDK 25 with the small-VM flags).
# Then, per set-up and service, --runs times: start `java FLAGS -jar quarkus-run.jar` (from the packaging's
# directory, as AppCDS/AOT need), poll GET /q/health/ready every 5 ms until it answers 200 (the time from
# just before the process is started is "ready"), wait --settle seconds, read VmRSS from /proc (the "idle
# RSS"), stop the process. The health service and the proxy get a control plane (started once, not measured)
# to take their topology from, as in production; the proxy listens on a free port in plain HTTP.
# The small-VM set-ups run with -XX:MaxRAM=256m, as the JVM would size itself on a 256 MB VM.
# Prints a markdown table (median and range per cell) and writes it, with the commands, to --out
# (default target/startup/results.md). Needs python3, JDK 17 (the default java) and, for the aot set-ups,
# a JDK 25 (JAVA25, default /usr/lib/jvm/temurin-25-jdk-amd64).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

RUNS=5
SETTLE=5
BUILD=false
OUT="$ROOT/target/startup/results.md"
JAVA17="${JAVA17:-$(command -v java)}"
JAVA25_HOME="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# The small-VM JVM flags: a 64 MB heap with the serial collector (no GC threads, smallest footprint),
# C1 only (less compiler memory and time at start), 256 KB thread stacks, no perf-data file.
SMALL="-XX:+UseSerialGC -Xmx64m -Xss256k -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
# Run as on a 256 MB VM: the JVM sizes what it is not told (the initial heap, 4 MB) from this.
VM="-XX:MaxRAM=256m"
SETUPS="jdk17-default jdk17-launcher jdk17-launcher-xms16m jdk17-small jdk17-small-appcds jdk17-small-appcds-arena2 jdk25-small jdk25-small-aot"

while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=true; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --setups) SETUPS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/startup.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  esac
done

SERVICES="control-plane health-service proxy-service"
WORK="$ROOT/target/startup"
mkdir -p "$WORK"

# Builds one packaging with the given JDK and Maven flags, and keeps a copy of each service's quarkus-app.
package() {
  local name="$1" java_home="$2"; shift 2
  echo "== building packaging '$name' (JAVA_HOME=$java_home $*)" >&2
  JAVA_HOME="$java_home" nice -n 19 ./mvnw -B -q package -DskipTests -Ddsha.native-sources.skip=true \
    -pl control-plane,health-service,proxy-service -am "$@" >&2
  for s in $SERVICES; do
    rm -rf "${WORK:?}/$name/$s"
    mkdir -p "$WORK/$name/$s"
    cp -a "$s/target/quarkus-app/." "$WORK/$name/$s/"
  done
}

if $BUILD; then
  JAVA17_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA17")")")"
  package jar "$JAVA17_HOME"
  package appcds "$JAVA17_HOME" -Dquarkus.package.jar.appcds.enabled=true -Dquarkus.package.jar.appcds.use-container=false
  # The AOT cache holds what the recording run loaded and compiled: record it with the flags it will run with.
  # type=AOT: left to itself (auto) Quarkus makes an AppCDS archive, for the jar targets Java 17.
  package aot "$JAVA25_HOME" -Dquarkus.package.jar.aot.enabled=true -Dquarkus.package.jar.aot.type=AOT \
    -Dquarkus.package.jar.aot.phase=build \
    "-Dquarkus.package.jar.aot.additional-recording-args=${SMALL// /,}"
  # Leave the ordinary jars in place for everything else.
  package jar "$JAVA17_HOME"
fi

[ "$RUNS" -gt 0 ] || exit 0   # --build --runs 0: only build

for s in $SERVICES; do
  [ -f "$WORK/jar/$s/quarkus-run.jar" ] || { echo "bench/startup.sh: $WORK/jar/$s is missing: run with --build" >&2; exit 2; }
done

export ROOT WORK RUNS SETTLE SETUPS OUT SMALL VM JAVA17 JAVA25="$JAVA25_HOME/bin/java"
exec python3 - <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time, urllib.request

root, work = os.environ["ROOT"], os.environ["WORK"]
runs, settle = int(os.environ["RUNS"]), float(os.environ["SETTLE"])
small = os.environ["VM"].split() + os.environ["SMALL"].split()
java17, java25 = os.environ["JAVA17"], os.environ["JAVA25"]
ADMIN, AGENT = "bench-admin-token-0123456789", "bench-agent-token-0123456789"
TOPOLOGY = os.path.join(root, "docker/topology/demo-active-passive.yaml")

# set-up name -> (java, packaging, extra flags)
SETUPS = {
    "jdk17-default": (java17, "jar", []),
    # what the launcher (./dsha demo, the e2e tests) gives every service today
    "jdk17-launcher": (java17, "jar", ["-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]),
    # the same with the heap starting small (otherwise it starts at its maximum on this 24 GB machine)
    "jdk17-launcher-xms16m": (java17, "jar", ["-Xms16m", "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]),
    "jdk17-small": (java17, "jar", small),
    "jdk17-small-appcds": (java17, "appcds", small + ["-XX:SharedArchiveFile=app-cds.jsa"]),
    # glibc's malloc arenas capped at 2 (MALLOC_ARENA_MAX, an environment variable, not a JVM flag)
    "jdk17-small-appcds-arena2": (java17, "appcds", small + ["-XX:SharedArchiveFile=app-cds.jsa"], {"MALLOC_ARENA_MAX": "2"}),
    "jdk25-small": (java25, "jar", small),
    "jdk25-small-aot": (java25, "aot", small + ["-XX:AOTCache=app.aot"]),
}
wanted = os.environ["SETUPS"].split()
for w in wanted:
    if w not in SETUPS:
        sys.exit(f"bench/startup.sh: unknown set-up {w!r} (known: {' '.join(SETUPS)})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/health/ready", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start(java, app_dir, flags, props, log, env=None):
    cmd = [java, *flags, *[f"-D{k}={v}" for k, v in props.items()], "-jar", "quarkus-run.jar"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=app_dir, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    return p, t0, cmd


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def settings(service, cp_port, port):
    common = {"quarkus.http.port": str(port), "dsha.agent-token": AGENT}
    if service == "control-plane":
        return {**common, "dsha.admin-token": ADMIN, "dsha.state-dir": tempfile.mkdtemp(prefix="dsha-bench-cp-"),
                "dsha.topology-file": TOPOLOGY}
    url = f"http://127.0.0.1:{cp_port}"
    if service == "health-service":
        return {**common, "dsha.control-plane.url": url, "dsha.checker-id": "bench"}
    return {**common, "dsha.control-plane.url": url, "dsha.state-dir": tempfile.mkdtemp(prefix="dsha-bench-proxy-"),
            "dsha.listener.plain-http": "true", "dsha.listener.host": "127.0.0.1", "dsha.listener.port": "0"}


logdir = tempfile.mkdtemp(prefix="dsha-bench-logs-")
# The control plane the checker and the proxy follow: JDK 17, the ordinary jar, never measured.
cp_port = free_port()
cp_log = open(os.path.join(logdir, "helper-control-plane.log"), "w")
helper, _, _ = start(java17, os.path.join(work, "jar", "control-plane"), small,
                     settings("control-plane", None, cp_port), cp_log)
deadline = time.monotonic() + 120
while not ready(cp_port):
    if helper.poll() is not None or time.monotonic() > deadline:
        sys.exit(f"the helper control plane did not become ready; see {cp_log.name}")
    time.sleep(0.05)

results = {}   # (setup, service) -> [(ready_s, rss_mb)]
commands = {}
try:
    for setup in wanted:
        java, packaging, flags, *env = SETUPS[setup]
        env = env[0] if env else {}
        for service in ("control-plane", "health-service", "proxy-service"):
            app_dir = os.path.join(work, packaging, service)
            for i in range(runs):
                port = free_port()
                log = open(os.path.join(logdir, f"{setup}-{service}-{i}.log"), "w")
                p, t0, cmd = start(java, app_dir, flags, settings(service, cp_port, port), log, env)
                commands[(setup, service)] = " ".join([f"{k}={v}" for k, v in env.items()] + cmd)
                while not ready(port):
                    if p.poll() is not None or time.monotonic() - t0 > 120:
                        stop(p)
                        sys.exit(f"{setup} {service}: not ready (exit {p.returncode}); see {log.name}")
                    time.sleep(0.005)
                t_ready = time.monotonic() - t0
                time.sleep(settle)
                rss = rss_mb(p.pid)
                stop(p)
                results.setdefault((setup, service), []).append((t_ready, rss))
                print(f"{setup:20} {service:15} run {i + 1}: ready {t_ready:.3f} s, idle RSS {rss:.1f} MB", file=sys.stderr)
finally:
    stop(helper)


def cell(values, fmt):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


lines = [f"Median (min-max) of {runs} runs; idle RSS read {settle:g} s after ready.", "",
         "| set-up | service | ready (s) | idle RSS (MB) |", "|---|---|---|---|"]
for setup in wanted:
    for service in ("control-plane", "health-service", "proxy-service"):
        r = results[(setup, service)]
        lines.append(f"| {setup} | {service} | {cell([x[0] for x in r], '{:.2f}')} | {cell([x[1] for x in r], '{:.0f}')} |")
lines += ["", "Commands (run from target/startup/<packaging>/<service>/):", ""]
for setup in wanted:
    lines.append(f"- {setup}: `{commands[(setup, 'proxy-service')]}`")
table = "\n".join(lines) + "\n"
print(table)
os.makedirs(os.path.dirname(os.environ["OUT"]), exist_ok=True)
with open(os.environ["OUT"], "w") as f:
    f.write(table)
print(f"written to {os.environ['OUT']}; process logs in {logdir}", file=sys.stderr)
PY
