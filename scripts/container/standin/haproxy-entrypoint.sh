#!/bin/sh
# Entrypoint of the HAProxy stand-in (scripts/container/standins.sh), as the official haproxy image
# behaves: arguments starting with "-" are options for haproxy, and haproxy runs in master-worker mode
# in the foreground (-W -db), logging to stderr, so that the container lives as long as it does.
set -eu
case "${1:-haproxy}" in -*) set -- haproxy "$@" ;; esac
[ $# -gt 0 ] || set -- haproxy -f /usr/local/etc/haproxy/haproxy.cfg
if [ "$1" = haproxy ]; then shift; set -- haproxy -W -db "$@"; fi
exec "$@"
