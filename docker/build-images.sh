#!/usr/bin/env bash
# Builds the JVM images of the services (docker/<service>/Dockerfile.jvm) with podman, from the repository's sources.
# Usage: docker/build-images.sh [--jdk 17|25] [--registry-bases]
#
# --jdk 17 (the default): the four images (control plane, checker, proxy, simulated instance) on a JRE 17, each
#   service with an AppCDS archive; tagged dsha/<service>:jvm.
# --jdk 25: the three services on a JRE 25, each with a JDK 25 AOT cache (Quarkus's aot-jar packaging, the cache
#   recorded in the image by its own JVM); tagged dsha/<service>:jvm-jdk25. The code is the same: compiled for
#   Java 17 by the same JDK 17 build stage. The simulated instance is not rebuilt (the demo uses dsha/datastack-sim:jvm).
#
# Bases. By default the images build on local bases, so that no image registry is needed: localhost/dsha-base:17-jre
# (debootstrap --variant=minbase bookworm + openjdk-17-jre-headless) and localhost/dsha-base:17-jdk (the same +
# openjdk-17-jdk-headless, the build stage of both flavours), and for --jdk 25 localhost/dsha-base:25-jre (the same
# minbase + a JRE linked by jlink from a JDK 25 on this host, JAVA25, default /usr/lib/jvm/temurin-25-jdk-amd64, into
# /opt/java/openjdk). Each is made once, when missing (about a minute; needs root, debootstrap and a Debian mirror,
# DSHA_DEBIAN_MIRROR, default http://deb.debian.org/debian). --registry-bases builds on Docker Hub's eclipse-temurin
# images instead: 17-jdk for the build stage, and 17-jre or 25-jre to run.
#
# Engine settings. podman runs here with the runc runtime and explicit limits (a container may not raise
# RLIMIT_NOFILE above the caller's hard limit, which podman's default does): unless CONTAINERS_CONF is set, this
# script writes one (docker/containers-conf.sh) and uses it. The host's Maven repository (~/.m2) is mounted into the
# build stage when present, so that Maven does not download what the host already has.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=localhost/dsha-base
JRE_BASE=$BASE:17-jre
JDK_BASE=$BASE:17-jdk
JRE25_BASE=$BASE:25-jre
JAVA25_HOME=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}

registry_bases=false
jdk=17
while [ $# -gt 0 ]; do
  case "$1" in
    --registry-bases) registry_bases=true; shift ;;
    --jdk) jdk=${2:-}; shift 2 || { echo "docker/build-images.sh: --jdk needs 17 or 25" >&2; exit 2; } ;;
    --jdk=*) jdk=${1#*=}; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker/build-images.sh: unknown option $1 (--jdk 17|25, --registry-bases)" >&2; exit 2 ;;
  esac
done
case "$jdk" in
  17) services=(control-plane health-service proxy-service datastack-sim); tag=jvm ;;
  25) services=(control-plane health-service proxy-service); tag=jvm-jdk25 ;;
  *) echo "docker/build-images.sh: --jdk $jdk: 17 or 25" >&2; exit 2 ;;
esac

command -v podman >/dev/null 2>&1 || { echo "docker/build-images.sh: needs podman (apt-get install podman runc)" >&2; exit 2; }
# shellcheck source=docker/containers-conf.sh
. docker/containers-conf.sh

# debootstrap ROOT PACKAGES: a Debian minbase system with PACKAGES in ROOT, less what a runtime image does not need.
debian_root() {
  command -v debootstrap >/dev/null 2>&1 || { echo "docker/build-images.sh: needs debootstrap to make the local bases (apt-get install debootstrap), or --registry-bases" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || { echo "docker/build-images.sh: making the local bases (debootstrap) needs root; or use --registry-bases" >&2; exit 2; }
  debootstrap --variant=minbase --include="$2" bookworm "$1" \
    "${DSHA_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$1.log" 2>&1 \
    || { echo "docker/build-images.sh: debootstrap failed; its log: $1.log" >&2; exit 1; }
  rm -f "$1.log"
  slim "$1"
}
# What a runtime image does not need: the package lists and cache, documentation, manual pages, translations.
# Files only: the directories stay, as later packages' scripts expect them (update-alternatives' man links).
slim() { rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
  find "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/info "$1"/usr/share/locale ! -type d -delete; }

make_bases() {
  local root
  root=$(mktemp -d /tmp/dsha-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "docker/build-images.sh: making $JRE_BASE and $JDK_BASE from Debian packages (debootstrap, about a minute)"
  debian_root "$root" openjdk-17-jre-headless,ca-certificates
  tar -C "$root" --numeric-owner -c . | podman import -q --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$JRE_BASE" >/dev/null
  # The JDK base for the build stage: the same system, plus the compiler (installed in the same root).
  chroot "$root" apt-get update -qq >/dev/null 2>&1
  chroot "$root" apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >"$root.log" 2>&1 \
    || { cat "$root.log" >&2; echo "docker/build-images.sh: installing the JDK into the build base failed" >&2; exit 1; }
  rm -f "$root.log"
  slim "$root"
  tar -C "$root" --numeric-owner -c . | podman import -q --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$JDK_BASE" >/dev/null
}

# The JRE 25 base: Debian has no JDK 25 package, so the runtime is linked by jlink from the host's JDK 25 (a linkable
# run-time image, JEP 493: Temurin 25 ships no jmods), laid out as in eclipse-temurin:25-jre (/opt/java/openjdk).
# The modules: those of a JRE (java.se and the jdk.* run-time modules: crypto, charsets, locale data, JFR, jcmd, DNS,
# management), not the development tools (compiler, javadoc, jshell, jlink, jdeps, debugger agents, Graal);
# debug symbols, manual pages and headers stripped; the JDK's default CDS archives regenerated for this runtime.
make_base_25() {
  [ -x "$JAVA25_HOME/bin/jlink" ] || { echo "docker/build-images.sh: --jdk 25 needs a JDK 25 with jlink to make $JRE25_BASE (JAVA25=$JAVA25_HOME), or --registry-bases" >&2; exit 2; }
  "$JAVA25_HOME/bin/java" -version 2>&1 | grep -q 'version "25' || { echo "docker/build-images.sh: $JAVA25_HOME is not a JDK 25" >&2; exit 2; }
  local root modules
  root=$(mktemp -d /tmp/dsha-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "docker/build-images.sh: making $JRE25_BASE from Debian packages and $JAVA25_HOME (debootstrap and jlink, about a minute)"
  debian_root "$root" ca-certificates
  modules=$("$JAVA25_HOME/bin/java" --list-modules | sed 's/@.*//' | grep -v -x -E \
    'jdk\.(compiler|editpad|graal\.compiler|graal\.compiler\.management|hotspot\.agent|internal\.(ed|le|md|opt|vm\.ci)|jartool|javadoc|jconsole|jdeps|jdi|jdwp\.agent|jlink|jpackage|jshell|jstatd|accessibility|unsupported\.desktop|jsobject|incubator\.vector)' | paste -sd, -)
  mkdir -p "$root/opt/java"
  "$JAVA25_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --generate-cds-archive --output "$root/opt/java/openjdk" >"$root.log" 2>&1 \
    || { cat "$root.log" >&2; echo "docker/build-images.sh: jlink failed" >&2; exit 1; }
  rm -f "$root.log"
  tar -C "$root" --numeric-owner -c . | podman import -q --change 'ENV LANG=C.UTF-8' --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$JRE25_BASE" >/dev/null
}

build_args=()
if ! $registry_bases; then
  if ! podman image exists "$JRE_BASE" || ! podman image exists "$JDK_BASE"; then
    make_bases
  fi
  if [ "$jdk" = 25 ] && ! podman image exists "$JRE25_BASE"; then
    make_base_25
  fi
  build_args+=(--build-arg "JDK_IMAGE=$BASE" --build-arg JDK_TAG=17-jdk --build-arg "JRE_IMAGE=$BASE" --build-arg "JRE_TAG=$jdk-jre")
fi
if [ "$jdk" = 25 ]; then
  # Both bases' defaults stay: the build stage is JDK 17's (the code is compiled for Java 17 either way).
  $registry_bases && build_args+=(--build-arg JRE_TAG=25-jre)
  build_args+=(--build-arg JAR_TYPE=aot-jar --build-arg STARTUP_CACHE=-XX:AOTCache=app.aot)
fi
if [ -d "$HOME/.m2" ]; then
  build_args+=(--volume "$HOME/.m2:/root/.m2")
fi

# Every Dockerfile.jvm has the same build stage (it packages the four services at once), so the first image
# builds it and the other three take it from podman's layer cache.
for service in "${services[@]}"; do
  started=$(date +%s)
  log=/tmp/dsha-build-$service-$tag.log
  podman build --layers "${build_args[@]}" -f "docker/$service/Dockerfile.jvm" -t "dsha/$service:$tag" . \
    >"$log" 2>&1 \
    || { tail -40 "$log" >&2; echo "docker/build-images.sh: dsha/$service:$tag failed to build (log: $log)" >&2; exit 1; }
  echo "built   dsha/$service:$tag in $(( $(date +%s) - started )) s"
done
podman images --filter reference="dsha/*:$tag" --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
