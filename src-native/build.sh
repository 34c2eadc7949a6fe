#!/usr/bin/env bash
# Builds the three native executables (control-plane, health-service, proxy-service) with the Maven
# `native` profile, using the first way that is there:
#   1. a local GraalVM or Mandrel: GRAALVM_HOME/bin/native-image, or native-image on the PATH;
#   2. Quarkus's container build (-Dquarkus.native.container-build=true) where a Docker or Podman
#      engine answers.
# With neither it stops with a message naming what is missing, and exits 2.
#
#   src-native/build.sh            # the executables: <service>/target/<service>-<version>-runner
#   src-native/build.sh --verify   # also runs the tests, the *IT ones against the executables
#   src-native/build.sh --which    # only says which way it would build, and exits (0, or 2 as above)
#   src-native/build.sh -- ARGS    # ARGS go to Maven, e.g. -Dquarkus.native.native-image-xmx=6g
#
# The builder needs about 4-6 GB of memory per executable; JDK 17 for Maven itself (the wrapper).
set -euo pipefail
cd "$(dirname "$0")/.."

goal=(package -DskipTests)
which_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --verify) goal=(verify); shift ;;
    --which) which_only=true; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "src-native/build.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
  esac
done

missing=()
way=""
if [ -n "${GRAALVM_HOME:-}" ]; then
  if [ -x "$GRAALVM_HOME/bin/native-image" ]; then
    way="local"
  else
    missing+=("GRAALVM_HOME is '$GRAALVM_HOME' but $GRAALVM_HOME/bin/native-image is not there (a GraalVM or Mandrel for JDK 21+ has it)")
  fi
elif command -v native-image >/dev/null 2>&1; then
  way="local"
else
  missing+=("no GraalVM/Mandrel: GRAALVM_HOME is not set and native-image is not on the PATH")
fi

runtime=""
if [ -z "$way" ]; then
  for engine in docker podman; do
    if ! command -v "$engine" >/dev/null 2>&1; then
      missing+=("no $engine command")
      continue
    fi
    if out=$("$engine" info 2>&1 >/dev/null); then
      way="container"
      runtime="$engine"
      break
    fi
    missing+=("'$engine' is only a client here: '$engine info' fails ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160))")
  done
fi

if [ -z "$way" ]; then
  {
    echo "src-native/build.sh: cannot build the native executables here:"
    for m in "${missing[@]}"; do echo "  - $m"; done
    echo "Install GraalVM or Mandrel (JDK 21+) and set GRAALVM_HOME, or run where a Docker/Podman engine answers"
    echo "(the container build pulls quay.io/quarkus/ubi9-quarkus-mandrel-builder-image), or build an image with"
    echo "docker/<service>/Dockerfile.native."
  } >&2
  exit 2
fi

mvn_args=(-B -Pnative -pl control-plane,health-service,proxy-service -am)
if [ "$way" = "local" ]; then
  echo "src-native/build.sh: building with the local native-image ($(command -v native-image 2>/dev/null || echo "$GRAALVM_HOME/bin/native-image"))"
else
  echo "src-native/build.sh: building in a container ($runtime; Quarkus's builder image)"
  mvn_args+=(-Dquarkus.native.container-build=true "-Dquarkus.native.container-runtime=$runtime")
fi
if $which_only; then
  exit 0
fi

./mvnw "${mvn_args[@]}" "${goal[@]}" "$@"

echo "src-native/build.sh: native executables:"
ls -l control-plane/target/*-runner health-service/target/*-runner proxy-service/target/*-runner
