#!/usr/bin/env bash
# Checks the container files without Maven or a container engine: every Dockerfile of the repository
# through dockerfilelint (npm: `npm install -g dockerfilelint@1.8.0`), and docker/compose.yaml for both
# flavours (DSHA_FLAVOUR=jvm|native): it parses, and every Dockerfile it names exists. Exit 0 when clean.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dockerfilelint >/dev/null 2>&1; then
  echo "docker/lint.sh: dockerfilelint is not installed (npm install -g dockerfilelint@1.8.0)" >&2
  exit 2
fi

mapfile -t files < <(find . \( -name node_modules -o -name target -o -name .git \) -prune -o \
  -type f \( -name Dockerfile -o -name 'Dockerfile.*' \) -print | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "docker/lint.sh: no Dockerfile found" >&2
  exit 2
fi

failed=0
for f in "${files[@]}"; do
  # dockerfilelint exits with the number of issues it found.
  if out=$(dockerfilelint "$f" 2>&1); then
    echo "ok      $f"
  else
    echo "ISSUES  $f"
    printf '%s\n' "$out"
    failed=1
  fi
done

if python3 -c 'import yaml' 2>/dev/null; then
  python3 - docker/compose.yaml <<'PY' || failed=1
import os, sys, yaml
path = sys.argv[1]
compose = yaml.safe_load(open(path))
bad = []
for flavour in ("jvm", "native"):
    for name, svc in compose["services"].items():
        build = svc.get("build") or {}
        dockerfile = build.get("dockerfile", "").replace("${DSHA_FLAVOUR:-jvm}", flavour)
        context = os.path.join(os.path.dirname(path), build.get("context", "."))
        if dockerfile and not os.path.isfile(os.path.join(context, dockerfile)):
            bad.append(f"{name} ({flavour}): {dockerfile} does not exist")
for b in bad:
    print("ISSUES  " + path + ": " + b)
if bad:
    sys.exit(1)
print(f"ok      {path} (jvm and native: {len(compose['services'])} services)")
PY
else
  echo "skipped docker/compose.yaml (no python3 with PyYAML)"
fi

if [ "$failed" -ne 0 ]; then
  echo "docker/lint.sh: issues found" >&2
  exit 1
fi
echo "docker/lint.sh: ${#files[@]} Dockerfiles clean"
