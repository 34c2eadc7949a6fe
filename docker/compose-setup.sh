#!/usr/bin/env bash
# Prepares docker/compose.yaml's secrets, once: the load balancer's certificate and the two tokens.
#   docker/certs/lb.p12   the proxy's key and self-signed certificate (EC P-256, CN and SAN datastack.localhost,
#                         SAN localhost and 127.0.0.1), a PKCS#12 file locked with a random password
#   docker/certs/lb.crt   the same certificate alone: what a client trusts (curl --cacert docker/certs/lb.crt)
#   docker/.env           DSHA_ADMIN_TOKEN, DSHA_AGENT_TOKEN and DSHA_KEYSTORE_PASSWORD, mode 0600; Docker
#                         Compose and podman-compose both read it from the compose file's directory
# Keeps what already exists (--force makes everything anew). Needs openssl. A self-signed certificate is for trying
# it only: devices built on systems-on-chip refuse it; put your own lb.p12 (and its password in .env) there instead.
set -euo pipefail
cd "$(dirname "$0")"
force=false
case "${1:-}" in
  --force) force=true ;;
  "") ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "docker/compose-setup.sh: unknown option $1 (--force or nothing)" >&2; exit 2 ;;
esac
command -v openssl >/dev/null 2>&1 || { echo "docker/compose-setup.sh: needs openssl (apt-get install openssl)" >&2; exit 2; }
umask 077

if $force || [ ! -s .env ]; then
  {
    echo "# Made by docker/compose-setup.sh on $(date -u +%FT%TZ). Secrets: keep this file 0600."
    echo "DSHA_ADMIN_TOKEN=$(openssl rand -hex 24)"
    echo "DSHA_AGENT_TOKEN=$(openssl rand -hex 24)"
    echo "DSHA_KEYSTORE_PASSWORD=$(openssl rand -hex 16)"
  } >.env.new
  mv .env.new .env
  rm -f certs/lb.p12   # its password was in the old file
  echo "wrote   docker/.env (0600): the admin and agent tokens, the keystore's password"
fi
password=$(sed -n 's/^DSHA_KEYSTORE_PASSWORD=//p' .env)
[ -n "$password" ] || { echo "docker/compose-setup.sh: docker/.env has no DSHA_KEYSTORE_PASSWORD (--force makes it anew)" >&2; exit 1; }

if $force || [ ! -s certs/lb.p12 ]; then
  mkdir -p certs && chmod 0755 certs
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj /CN=datastack.localhost -addext subjectAltName=DNS:datastack.localhost,DNS:localhost,IP:127.0.0.1 \
    -keyout "$work/lb.key" -out "$work/lb.crt" 2>/dev/null
  openssl pkcs12 -export -name lb -in "$work/lb.crt" -inkey "$work/lb.key" -out "$work/lb.p12" -passout "pass:$password"
  # The containers' user (uid 1001) reads the keystore through a bind mount: it is readable, its password is not.
  chmod 0644 "$work/lb.p12" "$work/lb.crt"
  mv "$work/lb.p12" "$work/lb.crt" certs/
  echo "wrote   docker/certs/lb.p12 and docker/certs/lb.crt (self-signed, for datastack.localhost, localhost, 127.0.0.1)"
fi

cat <<TXT
Next, from the repository root:
  docker compose -f docker/compose.yaml up -d                  (or: podman-compose -f docker/compose.yaml up -d)
  curl --cacert docker/certs/lb.crt https://localhost:8443/health
The tokens are in docker/.env (the status page, http://127.0.0.1:9470/, asks for DSHA_ADMIN_TOKEN).
TXT
