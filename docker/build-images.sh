#!/usr/bin/env bash
# Builds the JVM images of the four services (docker/<service>/Dockerfile.jvm) with podman, tagged
# dsha/<service>:jvm, from the repository's sources. Usage: docker/build-images.sh [--registry-bases]
#
# Bases. By default the images build on two local bases made from Debian packages, so that no image registry is
# needed: localhost/dsha-base:17-jre (debootstrap --variant=minbase bookworm + openjdk-17-jre-headless) and
# localhost/dsha-base:17-jdk (the same + openjdk-17-jdk-headless), made once, when missing (about a minute; needs
# root, debootstrap and a Debian mirror, DSHA_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# --registry-bases builds on the Dockerfiles' defaults instead (eclipse-temurin:17-jdk / 17-jre from Docker Hub).
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
services=(control-plane health-service proxy-service datastack-sim)

registry_bases=false
case "${1:-}" in
  --registry-bases) registry_bases=true ;;
  "") ;;
  -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "docker/build-images.sh: unknown option $1 (--registry-bases or nothing)" >&2; exit 2 ;;
esac

command -v podman >/dev/null 2>&1 || { echo "docker/build-images.sh: needs podman (apt-get install podman runc)" >&2; exit 2; }
# shellcheck source=docker/containers-conf.sh
. docker/containers-conf.sh

make_bases() {
  command -v debootstrap >/dev/null 2>&1 || { echo "docker/build-images.sh: needs debootstrap to make the local bases (apt-get install debootstrap), or --registry-bases" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || { echo "docker/build-images.sh: making the local bases (debootstrap) needs root; or use --registry-bases" >&2; exit 2; }
  local root
  root=$(mktemp -d /tmp/dsha-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "docker/build-images.sh: making $JRE_BASE and $JDK_BASE from Debian packages (debootstrap, about a minute)"
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$root" \
    "${DSHA_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 \
    || { echo "docker/build-images.sh: debootstrap failed; its log: $root.log" >&2; exit 1; }
  rm -f "$root.log"
  # What a runtime image does not need: the package lists and cache, documentation, manual pages, translations.
  # Files only: the directories stay, as later packages' scripts expect them (update-alternatives' man links).
  slim() { rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    find "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale \
      ! -type d -delete; }
  slim
  tar -C "$root" --numeric-owner -c . | podman import -q --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$JRE_BASE" >/dev/null
  # The JDK base for the build stage: the same system, plus the compiler (installed in the same root).
  chroot "$root" apt-get update -qq >/dev/null 2>&1
  chroot "$root" apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >"$root.log" 2>&1 \
    || { cat "$root.log" >&2; echo "docker/build-images.sh: installing the JDK into the build base failed" >&2; exit 1; }
  rm -f "$root.log"
  slim
  tar -C "$root" --numeric-owner -c . | podman import -q --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$JDK_BASE" >/dev/null
}

build_args=()
if ! $registry_bases; then
  if ! podman image exists "$JRE_BASE" || ! podman image exists "$JDK_BASE"; then
    make_bases
  fi
  build_args+=(--build-arg "JDK_IMAGE=$BASE" --build-arg JDK_TAG=17-jdk --build-arg "JRE_IMAGE=$BASE" --build-arg JRE_TAG=17-jre)
fi
if [ -d "$HOME/.m2" ]; then
  build_args+=(--volume "$HOME/.m2:/root/.m2")
fi

# Every Dockerfile.jvm has the same build stage (it packages the four services at once), so the first image
# builds it and the other three take it from podman's layer cache.
for service in "${services[@]}"; do
  started=$(date +%s)
  podman build --layers "${build_args[@]}" -f "docker/$service/Dockerfile.jvm" -t "dsha/$service:jvm" . \
    >"/tmp/dsha-build-$service.log" 2>&1 \
    || { tail -40 "/tmp/dsha-build-$service.log" >&2; echo "docker/build-images.sh: dsha/$service:jvm failed to build (log: /tmp/dsha-build-$service.log)" >&2; exit 1; }
  echo "built   dsha/$service:jvm in $(( $(date +%s) - started )) s"
done
podman images --filter reference='dsha/*' --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
