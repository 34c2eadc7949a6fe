#!/bin/bash
# Writes /app/app-cds.jsa, the AppCDS archive of a Quarkus service, with the image's own JVM (an archive maps
# only into the JVM build that wrote it): starts the service with -XX:ArchiveClassesAtExit and $JAVA_OPTS (less
# the archive it is making), waits until /q/health/live on PORT answers 200 (every class of start-up is loaded by
# then), stops it with SIGTERM (a normal exit: the JVM writes the archive), and checks the archive is there.
# Run by the Dockerfiles, from /app, with docker/probe.sh installed as dsha-probe. Usage: appcds.sh PORT
set -euo pipefail
port=$1
opts=${JAVA_OPTS//-XX:SharedArchiveFile=app-cds.jsa/}
# shellcheck disable=SC2086
java -XX:ArchiveClassesAtExit=app-cds.jsa $opts -jar quarkus-run.jar >/tmp/appcds.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    cat /tmp/appcds.log >&2; echo "appcds.sh: the service exited before it was live" >&2; exit 1
  fi
  dsha-probe "$port" /q/health/live && break
  sleep 0.1
done
dsha-probe "$port" /q/health/live || { cat /tmp/appcds.log >&2; echo "appcds.sh: the service was not live on port $port within 60 s" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid" || true
[ -s app-cds.jsa ] || { cat /tmp/appcds.log >&2; echo "appcds.sh: the JVM wrote no archive" >&2; exit 1; }
rm -f /tmp/appcds.log
echo "appcds.sh: app-cds.jsa $(du -k app-cds.jsa | cut -f1) KB"
