#!/bin/sh
# Entrypoint of the Redis stand-in (scripts/container/standins.sh), as the official redis image
# behaves for docker-compose.yml: redis-server runs as the redis user in /data, and without a
# --protected-mode of its own it gets "--protected-mode no", since the server has no config file and
# the other containers reach it over the compose network. Arguments starting with "-" are options
# for redis-server.
set -eu
case "${1:-redis-server}" in -*) set -- redis-server "$@" ;; esac
[ $# -gt 0 ] || set -- redis-server
[ "$1" = redis-server ] || exec "$@"
case " $* " in *" --protected-mode "*) ;; *) set -- "$@" --protected-mode no ;; esac
mkdir -p /data
chown redis:redis /data
cd /data
exec setpriv --reuid=redis --regid=redis --init-groups "$@"
