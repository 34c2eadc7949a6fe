#!/bin/bash
# dsha-probe PORT [PATH]: exits 0 when http://127.0.0.1:PORT/PATH (default /q/health/ready) answers 200, else 1.
# bash alone (/dev/tcp and the status line): the native runtime image has no curl or grep. In every image as
# /usr/local/bin/dsha-probe, for compose's health checks (a plain ["CMD", "dsha-probe", "9470"], which Docker
# Compose and podman-compose run alike) and for docker/jvm-cache.sh.
port=${1:?usage: dsha-probe PORT [PATH]}
path=${2:-/q/health/ready}
exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
read -r -t 5 status <&3 || exit 1
[[ $status == *' 200 '* ]]
