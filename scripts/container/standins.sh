#!/usr/bin/env bash
# Stand-ins for the registry images the Dockerfile, docker-compose.yml and docker-compose.scale.yml name,
# for machines that reach
# no container registry (these: only Debian's packages and the npm registry). Built from Debian packages
# with mmdebstrap, plus this machine's own Node for the node base.
#
#   ENGINE=podman scripts/container/standins.sh ensure IMAGE...   build each missing IMAGE; leave present ones
#   scripts/container/standins.sh describe IMAGE                   one line: what stands in for IMAGE
#
# Each stand-in is tagged with the real, fully qualified name, so that the Dockerfile and the compose file
# run unmodified. That is only honest in a store nobody else uses: scripts/container-check.sh keeps its
# own (see docs/containers.md). Every stand-in carries the label org.tfo-mcp.stand-in (what it really
# is) and org.tfo-mcp.stand-in.recipe (a hash of the functions of this script that build it, plus standin/
# for the services and the host's Node version for node): a stand-in whose recipe changed is rebuilt,
# and an image without the label (a real one) is never touched.
#
# Recipes, by repository:
#   node                        Debian bookworm (minbase, slimmed like debian:bookworm-slim) + this machine's
#                               node and npm in /usr/local + user node (uid 1000), as node:20-bookworm-slim has
#   postgres, redis, nats,      one shared Debian rootfs (postgresql-15, redis-server, nats-server,
#   clickhouse-server,          clickhouse-server 18.16, haproxy, prometheus, wget), with an entrypoint per
#   haproxy, prometheus         service (standin/*.sh) where one is needed, keeping the part of the official
#                               image's contract the compose files use
# The versions are Debian's (Postgres 15, Redis 7.0, NATS 2.9, ClickHouse 18.16, HAProxy 2.6, Prometheus
# 2.42), whatever the tag says; `describe` says so in the check's log.
#
# Needs root and mmdebstrap (installed with apt-get when missing). Packages come from the Debian mirror
# ($TFO_DEBIAN_MIRROR, default deb.debian.org), reusing any .deb already in /var/cache/apt/archives.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ENGINE=${ENGINE:-podman}
SUITE=bookworm
MIRROR=${TFO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${TFO_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SOURCES=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main")
SERVICES_ROOTFS=localhost/tfo-mcp-standin/services:$SUITE
LABEL=org.tfo-mcp.stand-in
SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "standins: $*" >&2; }
die() { echo "standins: $*" >&2; exit 1; }

recipe() { # the hash a stand-in of this kind is labelled with: what builds it, so that adding a service
  # stand-in leaves the node base (and every image built on it) alone
  {
    echo "$SUITE"; declare -f debian_rootfs
    if [ "$1" = node ]; then declare -f build_node; node --version
    else declare -f build_services_rootfs build_service; cat "$HERE"/standin/*; fi
  } | sha256sum | cut -c1-16
}
kind_of() { # IMAGE -> node | postgres | redis | nats | clickhouse
  local repo=${1%%:*}
  case "${repo##*/}" in
    node) echo node ;; postgres) echo postgres ;; redis) echo redis ;; nats) echo nats ;;
    clickhouse-server) echo clickhouse ;;
    haproxy) echo haproxy ;; prometheus) echo prometheus ;;
    *) return 1 ;;
  esac
}
label_of() { local v; v=$("$ENGINE" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null) && [ "$v" != '<no value>' ] && echo "$v"; }
present() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

describe() { # IMAGE: what its stand-in is (the org.tfo-mcp.stand-in label says the same)
  local kind; kind=$(kind_of "$1") || { echo "no stand-in recipe for $1"; return; }
  case "$kind" in
    node) echo "Debian $SUITE minbase + the host's Node $(node --version) and npm $(npm --version 2>/dev/null), user node (uid 1000)" ;;
    postgres) echo "Debian postgresql-15, entrypoint for POSTGRES_USER/PASSWORD/DB" ;;
    redis) echo "Debian redis-server 7.0, protected mode off like the official image" ;;
    nats) echo "Debian nats-server 2.9 (JetStream), options pass through like the official image, wget" ;;
    clickhouse) echo "Debian clickhouse-server 18.16, entrypoint for CLICKHOUSE_USER/PASSWORD, wget" ;;
    haproxy) echo "Debian haproxy 2.6, config in /usr/local/etc/haproxy, user haproxy, entrypoint like the official image's" ;;
    prometheus) echo "Debian prometheus 2.42, config in /etc/prometheus, data in /prometheus, user nobody" ;;
  esac
}

need_tools() {
  [ "$(id -u)" -eq 0 ] || die "building stand-ins needs root (mmdebstrap --mode=root); or give the engine the real images"
  command -v mmdebstrap >/dev/null && return 0
  command -v apt-get >/dev/null || die "no mmdebstrap and no apt-get to install it (stand-ins are built from Debian packages)"
  log "installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap eatmydata >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap eatmydata >/dev/null; } \
    || die "apt-get could not install mmdebstrap"
}

# A Debian root file system as a tar on stdout: minbase, without docs, man pages and translations (as
# debian:bookworm-slim), merged /usr, packages already in this machine's apt cache linked in rather than
# downloaded again. Extra mmdebstrap options (--include, hooks) come as arguments.
debian_rootfs() {
  local hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
  # eatmydata skips dpkg's fsyncs: a third of the time, for a file system that is thrown away anyway.
  [ -x /usr/bin/eatmydata ] && hooks+=(--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata)
  local slim=()
  for path in '/usr/share/man/*' '/usr/share/doc/*' '/usr/share/locale/*' '/usr/share/info/*' '/usr/share/lintian/*'; do
    slim+=("--dpkgopt=path-exclude=$path")
  done
  slim+=('--dpkgopt=path-include=/usr/share/doc/*/copyright')
  mmdebstrap --variant=minbase --mode=root --quiet "${hooks[@]}" "${slim[@]}" --skip=download/empty \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives" && { cp -al /var/cache/apt/archives/*.deb "$1/var/cache/apt/archives/" 2>/dev/null || true; }' \
    "$@" "$SUITE" - "${SOURCES[@]}"
}

build_node() { # IMAGE
  local image=$1 node_bin npm_dir
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$npm_dir/package.json" ] || die "cannot find npm's own directory next to $(command -v npm)"
  case "$(node -p process.versions.node)" in 20.*) ;; *) log "note: this machine's Node is $(node --version), not 20: the node:20 stand-in runs it anyway" ;; esac
  log "building $image from Debian $SUITE + $node_bin ($(node --version)) + npm from $npm_dir"
  debian_rootfs \
    --customize-hook="copy-in $node_bin /usr/local/bin" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a $npm_dir \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    2>"$LOGDIR/mmdebstrap-node.log" \
  | "$ENGINE" import --quiet \
      --change "ENV PATH=$SERVICE_PATH" --change "ENV NODE_VERSION=$(node -p process.versions.node)" \
      --change 'CMD ["node"]' \
      --change "LABEL $LABEL=\"$(describe "$image")\"" --change "LABEL $LABEL.recipe=$(recipe node)" \
      - "$image" >/dev/null \
  || die "building $image failed; mmdebstrap's log: $LOGDIR/mmdebstrap-node.log"
}

build_services_rootfs() {
  local want; want=$(recipe services)
  if [ "$(label_of "$SERVICES_ROOTFS" "$LABEL.recipe")" = "$want" ]; then return 0; fi
  log "building $SERVICES_ROOTFS (postgresql-15, redis-server, nats-server, clickhouse-server, haproxy, prometheus, wget)"
  # Postgres's JIT (LLVM, about 110 MB) is left out: without it the server simply does not JIT. So are
  # the time zone data of Prometheus's web UI (moment-timezone, 214 MB; the API does not use it) and
  # promtool (46 MB). Debian's own Postgres cluster (created by the package) is removed: the entrypoint
  # makes one where the image expects it.
  local excluded=()
  for path in '/usr/lib/llvm-14/*' '/usr/lib/x86_64-linux-gnu/libLLVM-14.so*' '/usr/lib/postgresql/15/lib/llvmjit*' '/usr/lib/postgresql/15/lib/bitcode/*' \
      '/usr/share/javascript/moment-timezone/*' '/usr/bin/promtool'; do
    excluded+=("--dpkgopt=path-exclude=$path")
  done
  debian_rootfs "${excluded[@]}" \
    --include=postgresql-15,redis-server,nats-server,clickhouse-server,clickhouse-client,haproxy,prometheus,wget \
    --customize-hook='rm -rf "$1/var/lib/postgresql/15" "$1/etc/postgresql/15"' \
    --customize-hook='mkdir -p "$1/prometheus" "$1/usr/local/etc/haproxy" && chown 65534:65534 "$1/prometheus"' \
    2>"$LOGDIR/mmdebstrap-services.log" \
  | "$ENGINE" import --quiet --change "ENV PATH=$SERVICE_PATH" \
      --change "LABEL $LABEL=\"Debian $SUITE service packages\"" --change "LABEL $LABEL.recipe=$want" - "$SERVICES_ROOTFS" >/dev/null \
  || die "building $SERVICES_ROOTFS failed; mmdebstrap's log: $LOGDIR/mmdebstrap-services.log"
}

build_service() { # IMAGE KIND
  local image=$1 kind=$2 ctx
  build_services_rootfs
  ctx=$(mktemp -d)
  {
    echo "FROM $SERVICES_ROOTFS"
    if [ -f "$HERE/standin/$kind-entrypoint.sh" ]; then
      cp "$HERE/standin/$kind-entrypoint.sh" "$ctx/entrypoint.sh"
      echo 'COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh'
      echo 'ENTRYPOINT ["docker-entrypoint.sh"]'
    fi
    case "$kind" in
      postgres) echo "ENV PATH=/usr/lib/postgresql/15/bin:$SERVICE_PATH PGDATA=/var/lib/postgresql/data"
                echo 'VOLUME /var/lib/postgresql/data'; echo 'EXPOSE 5432'
                echo 'STOPSIGNAL SIGINT'   # fast shutdown, as the official image: TERM waits for clients to leave
                echo 'CMD ["postgres"]' ;;
      redis) echo 'VOLUME /data'; echo 'WORKDIR /data'; echo 'EXPOSE 6379'; echo 'CMD ["redis-server"]' ;;
      nats) echo 'EXPOSE 4222 6222 8222'; echo 'CMD ["nats-server", "-m", "8222"]' ;;
      clickhouse) echo 'VOLUME /var/lib/clickhouse'; echo 'EXPOSE 8123 9000'; echo 'CMD ["clickhouse-server"]' ;;
      # As haproxy:2.8: master-worker in the foreground (the entrypoint adds -W -db), soft stop on SIGUSR1.
      haproxy) echo 'USER haproxy'; echo 'WORKDIR /var/lib/haproxy'; echo 'STOPSIGNAL SIGUSR1'
               echo 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' ;;
      # As prom/prometheus: the binary is the entrypoint, the flags the command.
      prometheus) echo 'USER nobody'; echo 'WORKDIR /prometheus'; echo 'VOLUME /prometheus'; echo 'EXPOSE 9090'
                  echo 'ENTRYPOINT ["/usr/bin/prometheus"]'
                  echo 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' ;;
    esac
    echo "LABEL $LABEL=\"$(describe "$image")\""
    echo "LABEL $LABEL.recipe=$(recipe "$kind")"
  } > "$ctx/Containerfile"
  log "building $image"
  local format=()
  [ "$ENGINE" = podman ] && format=(--format docker --pull=never)
  "$ENGINE" build --quiet "${format[@]}" -t "$image" -f "$ctx/Containerfile" "$ctx" >"$LOGDIR/build-$kind.log" 2>&1 \
    || { rm -rf "$ctx"; die "building $image failed: $LOGDIR/build-$kind.log"; }
  rm -rf "$ctx"
}

ensure() { # IMAGE
  local image=$1 kind have
  kind=$(kind_of "$image") || die "$image: not present, and there is no stand-in recipe for it"
  if present "$image"; then
    have=$(label_of "$image" "$LABEL.recipe") || have=
    if [ -z "$have" ]; then log "$image: present (a real image), used as it is"; return 0; fi
    [ "$have" = "$(recipe "$kind")" ] && return 0
    log "$image: stand-in recipe changed, rebuilding"
  fi
  need_tools
  case "$kind" in node) build_node "$image" ;; *) build_service "$image" "$kind" ;; esac
}

LOGDIR=${TFO_STANDIN_LOG_DIR:-$(mktemp -d)}
mkdir -p "$LOGDIR"
case "${1:-}" in
  ensure) shift; for image in "$@"; do ensure "$image"; done ;;
  describe) shift; for image in "$@"; do describe "$image"; done ;;
  *) echo "usage: ENGINE=podman|docker $0 ensure|describe IMAGE..." >&2; exit 2 ;;
esac
