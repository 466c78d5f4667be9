#!/bin/sh
# Entrypoint of the NATS stand-in (scripts/container/standins.sh): like the official nats image,
# arguments starting with "-" are options for nats-server (docker-compose.yml passes "-js -sd /data -m 8222").
set -eu
case "${1:-nats-server}" in -*) set -- nats-server "$@" ;; esac
[ $# -gt 0 ] || set -- nats-server -m 8222
exec "$@"
