#!/usr/bin/env bash
# Real Postgres, Redis, NATS (JetStream), ClickHouse, podman's Docker API service and sshd on loopback,
# for development and tests.
#
#   scripts/services.sh check   exit 0 when this machine can run them; otherwise print why (one line), exit 1
#   scripts/services.sh up      install missing Debian packages, start what is not running, wait, print env
#   scripts/services.sh env     print the TELEMETRYFLOW_MCP_* / *_URL lines for running services
#   scripts/services.sh status  one line per service
#   scripts/services.sh down    stop the services this data directory started (by PID), nothing else
#
# Needs Linux, root (Postgres runs as the postgres user; packages come from apt-get) and, for any
# package still missing, apt-get (Debian). Without them `npm test` skips the suites that need the services.
# Data lives in $TFO_SERVICES_DIR (default /tmp/tfo-mcp-services): throwaway, no durability settings.
# Ports default to 55432 (pg) 56379 (redis) 54222/58222 (nats) 58123/59000 (clickhouse) 52222 (sshd);
# override with TFO_PG_PORT, TFO_REDIS_PORT, TFO_NATS_PORT, TFO_NATS_MONITOR_PORT, TFO_CH_HTTP_PORT,
# TFO_CH_TCP_PORT, TFO_SSH_PORT. Podman listens on a unix socket only ($D/podman/podman.sock), with its
# own image store under $D and a busybox image imported from the local busybox-static (no registry).
set -euo pipefail

D=${TFO_SERVICES_DIR:-/tmp/tfo-mcp-services}
PG_PORT=${TFO_PG_PORT:-55432}
REDIS_PORT=${TFO_REDIS_PORT:-56379}
NATS_PORT=${TFO_NATS_PORT:-54222}
NATS_MON=${TFO_NATS_MONITOR_PORT:-58222}
CH_HTTP=${TFO_CH_HTTP_PORT:-58123}
CH_TCP=${TFO_CH_TCP_PORT:-59000}
SSH_PORT=${TFO_SSH_PORT:-52222}
SSH_USER=mcptest
DOCKER_TEST_IMAGE=localhost/mcp-test-busybox:latest
PG_BIN=/usr/lib/postgresql/15/bin

log() { echo "services: $*" >&2; }
# alive PIDFILE [NAME]: the PID runs, is not a zombie, and (a PID can be reused after a reboot or a
# killed session) its command name contains NAME.
alive() {
  local pid; pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:\s*Z' "/proc/$pid/status" 2>/dev/null || return 1
  [ -z "${2:-}" ] || grep -q "$2" "/proc/$pid/comm" 2>/dev/null
}
wait_for() { # name, attempts (x0.1 s), command...
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$name did not become ready; see its log in $D"; return 1
}

missing_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server redis-tools)
  command -v nats-server >/dev/null || missing+=(nats-server)
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server clickhouse-client)
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
  command -v curl >/dev/null || missing+=(curl)
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v catatonit >/dev/null || missing+=(catatonit)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  # Not services of their own: promtool checks the metrics and alert rules, prometheus scrapes replicas, haproxy fronts them.
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v haproxy >/dev/null || missing+=(haproxy)
  echo "${missing[*]}"
}

# Why this machine cannot run the services, or nothing when it can.
cannot_run() {
  local os; os=$(uname -s)
  if [ "$os" != Linux ]; then echo "not Linux ($os): scripts/services.sh runs Debian packages on loopback"; return; fi
  if [ "$(id -u)" -ne 0 ]; then echo "not root (uid $(id -u)): scripts/services.sh installs Debian packages and runs Postgres as the postgres user"; return; fi
  local missing; missing=$(missing_packages)
  if [ -n "$missing" ] && ! command -v apt-get >/dev/null; then echo "no apt-get (not Debian) to install: $missing"; return; fi
  if [ -x "$PG_BIN/postgres" ] && ! id postgres >/dev/null 2>&1; then echo "no postgres user to run Postgres as"; return; fi
}

install_packages() {
  local missing; read -ra missing <<<"$(missing_packages)"
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Never let package scripts start system-wide instances (they would take the default ports).
  local added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1; fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $added_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

pg_up() {
  local dir=$D/pg
  if [ -f "$dir/data/PG_VERSION" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
  mkdir -p "$dir"; chown postgres:postgres "$dir"; chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    echo mcp > "$dir/pw"; chown postgres "$dir/pw"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U mcp --pwfile="$dir/pw" --auth-host=scram-sha-256 \
      --auth-local=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1
  fi
  rm -f "$dir/data/postmaster.pid"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  PGPASSWORD=mcp psql -h 127.0.0.1 -p "$PG_PORT" -U mcp -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='mcp'" | grep -q 1 \
    || PGPASSWORD=mcp psql -h 127.0.0.1 -p "$PG_PORT" -U mcp -d postgres -qc 'CREATE DATABASE mcp'
}

redis_up() {
  alive "$D/redis.pid" redis && return 0
  mkdir -p "$D"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$D/redis.pid" --logfile "$D/redis.log" --dir "$D" --protected-mode yes
  wait_for redis 50 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
}

nats_up() {
  alive "$D/nats.pid" nats && return 0
  mkdir -p "$D/js"
  cat > "$D/nats.conf" <<EOF
jetstream { store_dir: "$D/js", max_memory_store: 256MB, max_file_store: 1GB }
EOF
  nats-server -c "$D/nats.conf" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON" -l "$D/nats.log" -P "$D/nats.pid" >/dev/null 2>&1 &
  disown || true
  wait_for nats 100 curl -sf "http://127.0.0.1:$NATS_MON/healthz?js-enabled=true"
}

clickhouse_up() {
  alive "$D/clickhouse.pid" clickhouse && return 0
  local dir=$D/clickhouse
  mkdir -p "$dir"/{data,tmp,user_files,format_schemas}
  cat > "$dir/users.xml" <<EOF
<yandex>
  <profiles><default><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
  cat > "$dir/config.xml" <<EOF
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$CH_TCP</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <timezone>UTC</timezone>
</yandex>
EOF
  clickhouse-server --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
  echo $! > "$D/clickhouse.pid"
  disown || true
  wait_for clickhouse 150 curl -sf "http://127.0.0.1:$CH_HTTP/ping"
}

# Podman's Docker-compatible API (INFRA-FACTS §6): runc (crun refuses this machine's hybrid cgroups),
# cgroupfs, equal soft/hard default ulimits (podman 4.3's compat API swaps unequal ones, and nothing may
# exceed the hard nofile limit without CAP_SYS_RESOURCE), a private store under $D.
podman_conf() {
  export CONTAINERS_CONF=$D/podman/containers.conf CONTAINERS_STORAGE_CONF=$D/podman/storage.conf
}
podman_api() { curl -sf --unix-socket "$D/podman/podman.sock" "http://d$1"; }
podman_up() {
  local dir=$D/podman
  podman_conf
  if ! alive "$dir/podman.pid" podman || [ ! -S "$dir/podman.sock" ]; then
    mkdir -p "$dir"/{tmp,storage,run,cni}
    cat > "$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=8192:8192"]
[network]
network_config_dir = "$dir/cni"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$dir/tmp"
EOF
    cat > "$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/run"
EOF
    rm -f "$dir/podman.sock"
    # Started from its own directory: conmon inherits the cwd and drops an `oom` file there when a
    # container hits its memory limit, which must not land in the repository.
    (cd "$dir" && exec podman system service --time=0 "unix://$dir/podman.sock") >"$dir/service.log" 2>&1 &
    echo $! > "$dir/podman.pid"
    disown || true
    wait_for podman 100 podman_api /_ping
  fi
  podman_api "/v1.41/images/$DOCKER_TEST_IMAGE/json" >/dev/null 2>&1 || podman_image "$dir"
}
# The test image, without a registry: the static busybox and a link per applet (about 2 MB).
podman_image() {
  local root=$1/image-root
  rm -rf "$root"; mkdir -p "$root"/{bin,etc,tmp}; chmod 1777 "$root/tmp"   # podman copies it up onto the tmpfs
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
  echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' > "$root/etc/passwd"
  echo 'nogroup:x:65534:' > "$root/etc/group"
  tar -C "$root" -c . | podman import --quiet --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$DOCKER_TEST_IMAGE" >/dev/null
  rm -rf "$root"
}
podman_down() {
  local dir=$D/podman
  [ -d "$dir" ] || return 0
  podman_conf
  if alive "$dir/podman.pid" podman && [ -n "$(podman_api '/v1.41/containers/json?all=true' | tr -d '[] \n')" ]; then
    podman rm --all --force --time 0 >/dev/null 2>&1 || true
  fi
  stop_pid podman "$dir/podman.pid" TERM
  # conmon outlives the service (exec sessions keep one for --exit-delay); only those of this store.
  local pid
  for pid in $(pgrep -x conmon || true); do
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  # containers/storage leaves its overlay (and any container rootfs) mounted under the store.
  local mnt
  for mnt in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$mnt" 2>/dev/null || true; done
  rm -f "$dir/podman.sock"
}

# sshd for the ssh backend's tests (INFRA-FACTS §5): its own host key, a client key for user mcptest,
# keys under $D (hence StrictModes no), loopback only.
sshd_up() {
  local dir=$D/sshd
  alive "$dir/sshd.pid" sshd && return 0
  mkdir -p "$dir/authorized_keys" /run/sshd
  # '*' rather than useradd's locked '!': with UsePAM no, sshd refuses even key logins to a locked account.
  id "$SSH_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash -p '*' "$SSH_USER"
  [ -f "$dir/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C tfo-mcp-test-host -f "$dir/host_ed25519_key"
  [ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C tfo-mcp-test-client -f "$dir/client_key"
  install -m644 "$dir/client_key.pub" "$dir/authorized_keys/$SSH_USER"
  cat > "$dir/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $SSH_USER
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
AcceptEnv LANG LC_* MCP_*
EOF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  wait_for sshd 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT"
}

print_env() {
  cat <<EOF
export TFO_PG_URL=postgres://mcp:mcp@127.0.0.1:$PG_PORT/mcp
export TFO_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export TFO_NATS_URL=nats://127.0.0.1:$NATS_PORT
export TFO_NATS_MONITOR_URL=http://127.0.0.1:$NATS_MON
export TFO_CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP
export TFO_DOCKER_HOST=unix://$D/podman/podman.sock
export TFO_DOCKER_TEST_IMAGE=$DOCKER_TEST_IMAGE
export TFO_SSH_HOST=127.0.0.1
export TFO_SSH_PORT=$SSH_PORT
export TFO_SSH_USER=$SSH_USER
export TFO_SSH_KEY_PATH=$D/sshd/client_key
export TFO_SSH_HOST_KEY_PUB_PATH=$D/sshd/host_ed25519_key.pub
export TFO_SERVICES_DIR=$D
EOF
}

stop_pid() { # name, pidfile, signal
  local pid; pid=$(cat "$2" 2>/dev/null) || return 0
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    kill "-$3" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      [ -d "/proc/$pid" ] || break
      grep -q '^State:\s*Z' "/proc/$pid/status" 2>/dev/null && break   # exited; PID 1 reaps it later
      sleep 0.05
    done
  fi
  rm -f "$2"
  log "$1 stopped"
}

case "${1:-}" in
  check)
    reason=$(cannot_run)
    [ -z "$reason" ] || { echo "$reason"; exit 1; }
    ;;
  up)
    reason=$(cannot_run)
    if [ -n "$reason" ]; then log "cannot start the services here: $reason (npm test skips the suites that need them)"; exit 3; fi
    install_packages
    mkdir -p "$D"
    pg_up; redis_up; nats_up; clickhouse_up; podman_up; sshd_up
    log "all services ready (data in $D)"
    print_env
    ;;
  env) print_env ;;
  status)
    for s in redis nats clickhouse; do if alive "$D/$s.pid" "$s"; then echo "$s up"; else echo "$s down"; fi; done
    if alive "$D/podman/podman.pid" podman; then echo "podman up"; else echo "podman down"; fi
    if alive "$D/sshd/sshd.pid" sshd; then echo "sshd up"; else echo "sshd down"; fi
    if [ -f "$D/pg/data/postmaster.pid" ] && [ -d "/proc/$(head -1 "$D/pg/data/postmaster.pid")" ]; then echo "postgres up"; else echo "postgres down"; fi
    ;;
  down)
    if [ -f "$D/pg/data/postmaster.pid" ]; then
      head -1 "$D/pg/data/postmaster.pid" > "$D/pg.pid"; stop_pid postgres "$D/pg.pid" INT
    fi
    stop_pid redis "$D/redis.pid" TERM
    stop_pid nats "$D/nats.pid" TERM
    stop_pid clickhouse "$D/clickhouse.pid" TERM
    podman_down
    stop_pid sshd "$D/sshd/sshd.pid" TERM
    ;;
  *) echo "usage: $0 check|up|down|env|status" >&2; exit 2 ;;
esac
