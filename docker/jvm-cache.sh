#!/bin/bash
# Records the start-up cache that $JAVA_OPTS names, with the image's own JVM (a cache maps only into the JVM build
# that wrote it), by a training run: starts the service with $JAVA_OPTS, waits until /q/health/live on PORT answers
# 200 (every class of start-up is loaded by then), stops it with SIGTERM (a normal exit: the JVM writes the cache at
# exit), and checks the file is there. Which cache, by the option in $JAVA_OPTS:
#   -XX:SharedArchiveFile=FILE  an AppCDS archive (JDK 17 images): recorded with -XX:ArchiveClassesAtExit=FILE
#   -XX:AOTCache=FILE           a JDK 25 AOT cache (JEP 483/514/515: classes loaded and linked, method profiles):
#                               recorded with -XX:AOTCacheOutput=FILE (the JVM assembles it in a child JVM at exit)
# Run by the Dockerfiles, from /app, with docker/probe.sh installed as dsha-probe. Usage: jvm-cache.sh PORT
set -euo pipefail
port=$1
read -r -a opts <<<"${JAVA_OPTS:-}"
record=() run=()
for o in "${opts[@]}"; do
  case "$o" in
    -XX:SharedArchiveFile=*) cache=${o#*=}; record=(-XX:ArchiveClassesAtExit="$cache") ;;
    -XX:AOTCache=*) cache=${o#*=}; record=(-XX:AOTCacheOutput="$cache") ;;
    *) run+=("$o") ;;
  esac
done
[ -n "${cache:-}" ] || { echo "jvm-cache.sh: JAVA_OPTS names no cache (-XX:SharedArchiveFile= or -XX:AOTCache=)" >&2; exit 2; }
rm -f "$cache"
java "${record[@]}" "${run[@]}" -jar quarkus-run.jar >/tmp/jvm-cache.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    cat /tmp/jvm-cache.log >&2; echo "jvm-cache.sh: the service exited before it was live" >&2; exit 1
  fi
  dsha-probe "$port" /q/health/live 2>/dev/null && break
  sleep 0.1
done
dsha-probe "$port" /q/health/live || { cat /tmp/jvm-cache.log >&2; echo "jvm-cache.sh: the service was not live on port $port within 60 s" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid" || true
[ -s "$cache" ] || { cat /tmp/jvm-cache.log >&2; echo "jvm-cache.sh: the JVM wrote no $cache" >&2; exit 1; }
rm -f /tmp/jvm-cache.log "$cache.config"
echo "jvm-cache.sh: $cache $(du -k "$cache" | cut -f1) KB"
