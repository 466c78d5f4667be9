#!/usr/bin/env bash
# The container image and the compose stacks, for real: build the Dockerfile, run the image and talk to
# it, then bring docker-compose.yml up unmodified and follow one tool call into Postgres, NATS, Redis
# and ClickHouse, then docker-compose.scale.yml (three replicas behind HAProxy, Prometheus) and spread
# a 2025 session and 2026-07-28 calls over the replicas; tear down what it started. docs/containers.md
# explains the choices.
#
#   scripts/container-check.sh [all|image|stack|scale]
#                                                  run the checks (default all: image, stack, scale; stack
#                                                  and scale use the image the last run built); exit 0 =
#                                                  every check passed
#   scripts/container-check.sh check               exit 0 when podman or Docker can run here; else print why
#   scripts/container-check.sh --npm-test          as npm test runs it (scripts/test.sh): honours TFO_CONTAINERS,
#                                                  records a skip for the totals, exit status = checks failed
#
# One line per check ("ok" or "FAIL"), then one summary line: "container-check: passed, N checks …" or
# "container-check: FAILED, N of M checks …". Logs of the run: $TFO_CONTAINER_DIR/logs/.
#
# Engine: podman (rootful, runc; INFRA-FACTS §6) where this runs as root on Linux, installed with
# apt-get when missing; otherwise Docker when `docker info` answers and `docker compose` exists.
# TFO_CONTAINER_ENGINE=podman|docker picks one. With podman the check has its own configuration and image
# store in $TFO_CONTAINER_DIR (default /var/tmp/tfo-mcp-containers), apart from the store of
# scripts/services.sh that the docker-backend tests use: the stand-in images carry real registry names
# there, `services.sh down` removes every container of its store, and the stand-ins must outlive
# /tmp. The store is kept between runs as a cache (stand-ins, build layers, npm cache).
#
# Images: what is present is used. A missing base or service image is pulled when TFO_CONTAINER_PULL=1
# (the default with Docker), else built as a stand-in from Debian packages (scripts/container/standins.sh;
# the default with podman, which never pulls here: these machines reach no container registry).
# The build trusts an extra CA when the host needs one: $TFO_BUILD_CA_FILE, else $NODE_EXTRA_CA_CERTS,
# else npm's cafile, passed as the build secret `ca` (never stored in the image).
# Host ports: free ones on 127.0.0.1, picked per run. Traffic stays on loopback, the build's npm
# registry and the Debian mirror excepted.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DIR=${TFO_CONTAINER_DIR:-/var/tmp/tfo-mcp-containers}
PROJECT=tfo-mcp-check
SCALE_PROJECT=tfo-mcp-check-scale
APP_IMAGE=localhost/tfo-mcp:container-check
MODE=${1:-all}

say() { echo "container-check: $*"; }
loud() { echo "!!!!!!!! container-check: $* !!!!!!!!"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- Can this machine run it? --------------------------------------------------------------------------
ENGINE= COMPOSE=()
podman_reason= docker_reason=
podman_possible() {
  if [ "$(uname -s)" != Linux ]; then podman_reason="not Linux"; return 1; fi
  if [ "$(id -u)" -ne 0 ]; then podman_reason="not root (this check runs podman rootful)"; return 1; fi
  if ! command -v podman >/dev/null && ! command -v apt-get >/dev/null; then podman_reason="no podman and no apt-get to install it"; return 1; fi
  return 0
}
docker_possible() {
  if ! command -v docker >/dev/null; then docker_reason="no docker CLI"; return 1; fi
  if ! timeout 15 docker info >/dev/null 2>&1; then docker_reason="docker info: no Docker engine answers"; return 1; fi
  if ! docker compose version >/dev/null 2>&1; then docker_reason="no docker compose plugin"; return 1; fi
  return 0
}
# Sets ENGINE, or leaves it empty and says why in cannot.
cannot=
pick_engine() {
  local want=${TFO_CONTAINER_ENGINE:-auto}
  case "$want" in
    auto) if podman_possible; then ENGINE=podman; elif docker_possible; then ENGINE=docker;
          else cannot="neither podman ($podman_reason) nor Docker ($docker_reason) can run here"; fi ;;
    podman) if podman_possible; then ENGINE=podman; else cannot="podman: $podman_reason"; fi ;;
    docker) if docker_possible; then ENGINE=docker; else cannot="Docker: $docker_reason"; fi ;;
    *) cannot="TFO_CONTAINER_ENGINE=$want: expected auto, podman or docker" ;;
  esac
}

# --- npm test mode: decide, run, fold the result into the suite's totals ---------------------------------
if [ "$MODE" = --npm-test ]; then
  # Off with the real services (TFO_SERVICES=off, or a machine that cannot run them), unless asked for.
  mode=${TFO_CONTAINERS:-}
  [ -n "$mode" ] || { [ "${TFO_SERVICES:-}" = off ] && mode=off || mode=auto; }
  [ "${CI:-}" = true ] && [ "$mode" = auto ] && mode=on
  reason=
  case "$mode" in
    off) if [ -n "${TFO_CONTAINERS:-}" ]; then reason="TFO_CONTAINERS=off"
         else reason="the real services are off (${TFO_SERVICES_REASON:-TFO_SERVICES=off}); TFO_CONTAINERS=on runs it anyway"; fi ;;
    auto|on) pick_engine; reason=$cannot ;;
    *) loud "TFO_CONTAINERS=$mode: expected auto, on or off"; exit 1 ;;
  esac
  if [ -n "$reason" ]; then
    loud "CONTAINER CHECK OFF: $reason. The image and the compose stack were not built or run"
    if [ "$mode" = on ]; then echo "!! TFO_CONTAINERS=on${CI:+ (CI=$CI)}: the container check is required" >&2; exit 1; fi
    if [ -n "${TFO_SKIP_LOG:-}" ]; then
      node -e 'process.stdout.write(JSON.stringify({ file: "scripts/container-check.sh", suite: "container image and compose stack", reason: process.argv[1] }) + "\n")' \
        "$reason" >>"$TFO_SKIP_LOG"
    fi
    exit 0
  fi
  rm -f "$DIR/logs/summary"
  bash "$0" all
  status=$?
  # The run's own summary names the count; a crash before it counts as one failure.
  count=$(sed -n 's/^container-check: FAILED, \([0-9]*\) of .*/\1/p' "$DIR/logs/summary" 2>/dev/null)
  [ "$status" -eq 0 ] && exit 0
  exit "$(( ${count:-1} > 100 ? 100 : ${count:-1} ))"
fi

case "$MODE" in all|image|stack|scale|check) ;; *) echo "usage: $0 [all|image|stack|scale|check|--npm-test]" >&2; exit 2 ;; esac
pick_engine
if [ "$MODE" = check ]; then [ -z "$cannot" ] || { echo "$cannot"; exit 1; }; exit 0; fi
if [ -n "$cannot" ]; then loud "SKIPPED: $cannot"; exit 77; fi

# --- Results -----------------------------------------------------------------------------------------------
passed=0 failed=0 failures=()
STARTED=$(now)
mkdir -p "$DIR"
LOG=$DIR/logs
pass() { passed=$((passed + 1)); say "ok    $1${2:+: $2}"; }
fail() { failed=$((failed + 1)); failures+=("$1"); say "FAIL  $1${2:+: $2}"; }
# check NAME COMMAND...: pass when COMMAND succeeds; its last output line (or three, on failure) is the detail.
check() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then pass "$name" "$(tail -1 <<<"$out" | cut -c1-240)"; else fail "$name" "$(tail -3 <<<"$out" | tr '\n' ' ' | cut -c1-600)"; return 1; fi
}
summary() {
  local total=$((passed + failed)) line
  if [ "$failed" -eq 0 ] && [ "$total" -gt 0 ]; then
    line="container-check: passed, $total checks in $(since "$STARTED") s ($ENGINE$engine_version, mode $MODE)"
  else
    line="container-check: FAILED, $failed of $total checks in $(since "$STARTED") s ($ENGINE$engine_version): ${failures[*]:-nothing ran}"
  fi
  echo "$line" | tee "$LOG/summary"
}

# --- The engine --------------------------------------------------------------------------------------------
engine_version=
podman_setup() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v catatonit >/dev/null || missing+=(catatonit)
  command -v podman-compose >/dev/null || missing+=(podman-compose)
  # Containers find each other by service name through CNI's dnsname plugin.
  [ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1; fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOG/apt.log" 2>&1 \
      || { apt-get update -qq >>"$LOG/apt.log" 2>&1 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG/apt.log" 2>&1; }
    local status=$?
    [ $added_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $status -eq 0 ] || { loud "apt-get could not install ${missing[*]} (see $LOG/apt.log)"; return 1; }
  fi
  # INFRA-FACTS §6: runc (crun refuses hybrid cgroups), cgroupfs (no systemd), equal soft and hard
  # ulimits at or below the hard limit (no CAP_SYS_RESOURCE), file events. Exec sessions' conmon waits
  # exit_command_delay before it exits: short, so nothing of the check lingers.
  mkdir -p "$DIR"/{storage,run,tmp,cni}
  cat > "$DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=8192:8192"]
[network]
network_config_dir = "$DIR/cni"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$DIR/tmp"
exit_command_delay = 5
EOF
  cat > "$DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$DIR/run"
EOF
  export CONTAINERS_CONF=$DIR/containers.conf CONTAINERS_STORAGE_CONF=$DIR/storage.conf
  # Build scratch space and buildah's cache mounts (the npm cache) follow TMPDIR: keep them in $DIR too.
  export TMPDIR=$DIR/tmp
  COMPOSE=(podman-compose)
  PULL=${TFO_CONTAINER_PULL:-0}
  engine_version=" $(podman version --format '{{.Client.Version}}' 2>/dev/null), podman-compose $(podman-compose version 2>&1 | sed -n 's/^podman-compose[r]* version *//p' | head -1)"
}
docker_setup() {
  COMPOSE=(docker compose)
  # A Docker engine normally reaches its registry: pull what is missing unless told otherwise.
  PULL=${TFO_CONTAINER_PULL:-1}
  engine_version=" $(docker version --format '{{.Server.Version}}' 2>/dev/null), compose $(docker compose version --short 2>/dev/null)"
}

# --- Cleanup: only what this run started --------------------------------------------------------------
TMP=$(mktemp -d)
started=()          # containers run by this script
stack_up=0          # the compose stack of STACK_FILE/STACK_PROJECT is (maybe) up
services_job=       # the background build of missing service stand-ins
built=0             # this run built the image
cleanup() {
  set +e
  local c
  [ -z "$services_job" ] || wait "$services_job"
  for c in "${started[@]}"; do "$ENGINE" rm -f -t 0 "$c" >/dev/null 2>&1; done
  if [ "$stack_up" -eq 1 ]; then compose_down -t 10 >>"$LOG/compose-down.log" 2>&1; stack_remains_removed >/dev/null; fi
  if [ "$ENGINE" = podman ]; then
    # conmon outlives a container by exit_command_delay; end those of this store (ours: the lock is held).
    local pid
    for pid in $(pgrep -x conmon); do
      tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/" && kill -TERM "$pid" 2>/dev/null
    done
    # Each new source tree leaves build layers behind; past TFO_CONTAINER_STORE_MB (default 6000) of store,
    # drop the dangling ones older than an hour (the cache of the current build stays).
    local store_mb
    store_mb=$(du -sm "$DIR/storage" 2>/dev/null | cut -f1)
    if [ "${store_mb:-0}" -gt "${TFO_CONTAINER_STORE_MB:-6000}" ]; then
      podman image prune -f --filter until=1h >>"$LOG/prune.log" 2>&1
      say "store was ${store_mb} MB: pruned dangling build layers older than an hour, now $(du -sm "$DIR/storage" | cut -f1) MB"
    fi
    # containers/storage leaves its overlay mounted under the store while nothing runs from it.
    if [ -z "$(podman ps -q 2>/dev/null)" ]; then
      local mnt
      for mnt in $(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$mnt" 2>/dev/null; done
    fi
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$LOG"
find "$LOG" -mindepth 1 -delete 2>/dev/null
exec 3>&1   # for notes from inside a check (whose own output is captured)
# One check at a time per store: the stack's names and the store's cache are shared.
exec 9>"$DIR/.lock"
if ! flock -w 1800 9; then loud "another container check held $DIR/.lock for 30 minutes"; exit 1; fi

if [ "$ENGINE" = podman ]; then podman_setup || { fail engine "podman setup"; summary; exit 1; }; else docker_setup; fi
say "engine: $ENGINE$engine_version; logs in $LOG"

free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); })'; }
wait_http() { # URL SECONDS: until it answers 200
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1")" = 200 ] && return 0
    sleep 0.3
  done
  return 1
}
image_size_mb() { "$ENGINE" image inspect --format '{{.Size}}' "$1" 2>/dev/null | awk '{ printf "%.0f", $1 / 1000000 }'; }
# The images the Dockerfile and the compose files name (the base from the Dockerfile's ARG default).
NODE_IMAGE=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile | head -1)
images_of() { sed -n 's/^ *image: *\([^$ ]*\) *$/\1/p' "$1"; }
STACK_IMAGES=$(images_of docker-compose.yml)
SCALE_IMAGES=$(images_of docker-compose.scale.yml)
SERVICE_IMAGES=$(printf '%s\n' $STACK_IMAGES $SCALE_IMAGES | sort -u)

ensure_images() { # IMAGE...: present, pulled (TFO_CONTAINER_PULL=1) or built as stand-ins
  local image missing=()
  for image in "$@"; do "$ENGINE" image inspect "$image" >/dev/null 2>&1 || missing+=("$image"); done
  if [ "$PULL" = 1 ]; then
    for image in "${missing[@]}"; do "$ENGINE" pull -q "$image" >>"$LOG/pull.log" 2>&1 || return 1; done
  fi
  # Also refreshes stand-ins whose recipe changed.
  ENGINE=$ENGINE TFO_STANDIN_LOG_DIR=$LOG bash scripts/container/standins.sh ensure "$@" 2>>"$LOG/standins.log" || { tail -3 "$LOG/standins.log"; return 1; }
  local sizes=() what
  for image in "$@"; do
    sizes+=("${image##*/} $(image_size_mb "$image") MB")
    what=$("$ENGINE" image inspect --format '{{ index .Config.Labels "org.tfo-mcp.stand-in" }}' "$image" 2>/dev/null)
    case "$what" in ''|'<no value>') ;; *) say "       stand-in: $image = $what" >&3 ;; esac
  done
  echo "${#missing[@]} missing, now present: ${sizes[*]}"
}

# ==== The image ============================================================================================
image_checks() {
  local t ca build=(build -t "$APP_IMAGE")
  t=$(now)
  check "base image ($NODE_IMAGE)" ensure_images "$NODE_IMAGE" || return 1
  say "       ($(since "$t") s)"
  # After the base, so that only one of them installs mmdebstrap when it is missing.
  [ "$MODE" != all ] || start_services_build

  ca=${TFO_BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
  if [ -z "$ca" ]; then ca=$(npm config get cafile 2>/dev/null); case "$ca" in null|undefined) ca= ;; esac; fi
  if [ -n "$ca" ] && [ -r "$ca" ]; then build+=(--secret "id=ca,src=$ca"); else ca=; fi
  # podman: Docker's image format keeps HEALTHCHECK; never pull (the base is local or the build fails).
  [ "$ENGINE" = podman ] && build+=(--format docker --pull=never)
  t=$(now)
  if "$ENGINE" "${build[@]}" . >"$LOG/build.log" 2>&1; then
    built=1
    local size base
    size=$(image_size_mb "$APP_IMAGE"); base=$(image_size_mb "$NODE_IMAGE")
    pass "build" "$(since "$t") s, $size MB = base $base MB + tfo-mcp $((size - base)) MB${ca:+; CA from $ca as a build secret}"
    grep -h -E '^(registry-check|runtime tree|externals|node_modules|  )' "$LOG/build.log" | sed 's/^/container-check:        /'
  else
    fail "build" "$(since "$t") s; last lines of $LOG/build.log:"; tail -15 "$LOG/build.log" | sed 's/^/    /'
    return 1
  fi

  check "CA not in the image" bash -c '
    env=$("$1" image inspect --format "{{json .Config.Env}}" "$2") || exit 1
    if grep -q NODE_EXTRA_CA_CERTS <<<"$env"; then echo "NODE_EXTRA_CA_CERTS in the image environment"; exit 1; fi
    "$1" run --rm --no-healthcheck --entrypoint sh "$2" -c "test ! -s /run/secrets/ca" 2>/dev/null || { echo "/run/secrets/ca in the image"; exit 1; }
    echo "no NODE_EXTRA_CA_CERTS, no /run/secrets/ca"' _ "$ENGINE" "$APP_IMAGE"
  check "healthcheck in the image" bash -c '
    hc=$("$1" image inspect --format "{{json .Config.Healthcheck}}" "$2" 2>/dev/null || "$1" image inspect --format "{{json .HealthCheck}}" "$2")
    grep -q /health <<<"$hc" && echo "HEALTHCHECK kept" || { echo "no HEALTHCHECK in the image config: $hc"; exit 1; }' _ "$ENGINE" "$APP_IMAGE"
  check "runtime holds only what runs" "$ENGINE" run --rm --no-healthcheck --entrypoint sh "$APP_IMAGE" -c '
    cd /app && test -f dist/main.js && test ! -e dist/modules && test ! -e src && ! ls dist/*.map dist/chunks/*.map >/dev/null 2>&1 || { echo "unexpected files in /app"; ls -R /app | head; exit 1; }
    echo "/app $(du -sh /app | cut -f1): dist $(du -sh dist | cut -f1), node_modules $(du -sh node_modules | cut -f1) ($(ls node_modules | tr "\n" " "))"'
  check "ssh2 loads in the image" "$ENGINE" run --rm --no-healthcheck --entrypoint node "$APP_IMAGE" --input-type=module -e \
    "const { Client } = await import('ssh2'); new Client().end(); console.log('ssh2 ' + JSON.parse((await import('node:fs')).readFileSync('node_modules/ssh2/package.json', 'utf8')).version + ' (pure JavaScript crypto)')"
  check "config validate" "$ENGINE" run --rm --no-healthcheck "$APP_IMAGE" config validate

  # --- HTTP, as uid 1000 with a read-write workspace that uid 1000 owns ---
  local port ws name=tfo-mcp-check-http-$$
  port=$(free_port)
  ws=$TMP/workspace; mkdir -p "$ws"; echo hello > "$ws/hello.txt"; chown -R 1000:1000 "$ws"
  t=$(now)
  started+=("$name")
  if ! "$ENGINE" run -d --name "$name" -p "127.0.0.1:$port:8080" -v "$ws:/workspace" \
      -e TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOWED_HOSTS="127.0.0.1:$port,127.0.0.1:8080" "$APP_IMAGE" >"$LOG/run.log" 2>&1; then
    fail "run (HTTP)" "$(tail -2 "$LOG/run.log" | tr '\n' ' ')"; return 1
  fi
  if wait_http "http://127.0.0.1:$port/health" 30; then pass "/health" "200 after $(since "$t") s"; else fail "/health" "no 200 within 30 s"; "$ENGINE" logs "$name" 2>&1 | tail -5; return 1; fi
  check "/ready" bash -c 'body=$(curl -s -w " HTTP %{http_code}" "$1"); grep -q "HTTP 200$" <<<"$body" || { echo "$body" | tail -c 300; exit 1; }; echo "200"' _ "http://127.0.0.1:$port/ready"
  check "MCP initialize + tool calls (HTTP)" node scripts/container/mcp-probe.mjs http "http://127.0.0.1:$port/mcp" --list /workspace --write /workspace/written.txt
  check "write_file as uid 1000" bash -c '[ "$(stat -c %u "$1")" = 1000 ] && echo "$1 written, owner uid 1000" || { ls -ln "$(dirname "$1")"; exit 1; }' _ "$ws/written.txt"
  check "runs as uid 1000" bash -c 'u=$("$1" exec "$2" id -u) && [ "$u" = 1000 ] && echo "id -u: $u" || { echo "id -u: $u"; exit 1; }' _ "$ENGINE" "$name"
  check "Host check: other names refused" bash -c 'c=$(curl -s -o /dev/null -w "%{http_code}" -H "Host: evil.example" "$1"); [ "$c" = 403 ] && echo "Host evil.example: 403" || { echo "Host evil.example: $c"; exit 1; }' _ "http://127.0.0.1:$port/health"
  if [ "$ENGINE" = podman ]; then
    check "healthcheck run" bash -c 'podman healthcheck run "$1" 2>&1 | grep -v systemd; exit ${PIPESTATUS[0]}' _ "$name"
  else
    check "healthcheck" bash -c 'for _ in $(seq 40); do s=$(docker inspect --format "{{.State.Health.Status}}" "$1"); [ "$s" = healthy ] && { echo healthy; exit 0; }; sleep 1; done; echo "$s"; exit 1' _ "$name"
  fi
  t=$(now)
  "$ENGINE" stop -t 10 "$name" >/dev/null 2>&1
  local took code
  took=$(since "$t"); code=$("$ENGINE" inspect --format '{{.State.ExitCode}}' "$name" 2>/dev/null)
  if [ "$code" = 0 ] && awk -v s="$took" 'BEGIN { exit !(s < 5) }'; then pass "clean stop (SIGTERM)" "exit 0 in $took s"; else fail "clean stop (SIGTERM)" "exit $code in $took s"; fi
  "$ENGINE" logs "$name" >"$LOG/http-container.log" 2>&1
  "$ENGINE" rm -f "$name" >/dev/null 2>&1

  # --- stdio ---
  t=$(now)
  local stdio=("$ENGINE" run -i --rm --no-healthcheck -v "$ws:/workspace:ro" "$APP_IMAGE" --transport stdio)
  [ "$ENGINE" = podman ] && stdio=("$ENGINE" run -i --rm --no-healthcheck --log-driver none -v "$ws:/workspace:ro" "$APP_IMAGE" --transport stdio)
  check "stdio: initialize + tool call, exit 0 at end of input" node scripts/container/mcp-probe.mjs stdio --list /workspace -- "${stdio[@]}"

  ssh_check "$ws"
}

# The ssh execution backend from inside the image, against scripts/services.sh's sshd (npm test starts it):
# a real key login and a command, which is what needs ssh2 at run time.
ssh_check() {
  local ws=$1
  if [ -z "${TFO_SSH_HOST:-}" ] || [ ! -r "${TFO_SSH_KEY_PATH:-}" ] || [ "$ENGINE" != podman ]; then
    say "note  ssh backend run: not run (no sshd from scripts/services.sh in the environment, or not podman); ssh2 loading was checked"
    return 0
  fi
  # The ssh backend runs commands in the same directory on the host: the workspace sits at one path on both.
  local keys=$TMP/keys shared=$TMP/shared-workspace
  mkdir -p "$keys" "$shared"; chmod 755 "$TMP"
  install -m 600 -o 1000 "$TFO_SSH_KEY_PATH" "$keys/client_key"
  cat > "$keys/ssh.yaml" <<EOF
execution:
  backend: ssh
  ssh:
    hosts:
      - host: $TFO_SSH_HOST
        port: $TFO_SSH_PORT
        user: $TFO_SSH_USER
        private_key_path: /keys/client_key
        host_key: "$(cut -d' ' -f1,2 "$TFO_SSH_HOST_KEY_PUB_PATH")"
EOF
  chmod 644 "$keys/ssh.yaml"; chmod 755 "$keys" "$shared"
  check "ssh backend from the image (ssh2, key login, a command)" bash -c '
    out=$(node scripts/container/mcp-probe.mjs stdio --exec whoami -- \
      podman run -i --rm --no-healthcheck --log-driver none --network host -v "$1:/keys:ro" -v "$2:$2:ro" \
      -e TELEMETRYFLOW_MCP_MCP__ROOTS="$2" "$3" --transport stdio --config /keys/ssh.yaml) || { echo "$out"; exit 1; }
    grep -q "\"stdout\":\"$4\\\\n\"" <<<"$out" && echo "execute_command whoami over ssh: $4 (in the container it would be node)" || { echo "$out" | tail -c 400; exit 1; }' \
    _ "$keys" "$shared" "$APP_IMAGE" "$TFO_SSH_USER"
}

# ==== The compose stacks =====================================================================================
# The stack being checked: docker-compose.yml as $PROJECT, then docker-compose.scale.yml as $SCALE_PROJECT.
STACK_FILE=docker-compose.yml STACK_PROJECT=$PROJECT STACK_PORT= PROMETHEUS_PORT=
compose() {
  TFO_MCP_PORT=$STACK_PORT TFO_PROMETHEUS_PORT=$PROMETHEUS_PORT TFO_MCP_IMAGE=$APP_IMAGE \
    "${COMPOSE[@]}" -p "$STACK_PROJECT" -f "$STACK_FILE" "$@"
}
containers_of() { "$ENGINE" ps -q --filter "label=com.docker.compose.project=$STACK_PROJECT" --filter "label=com.docker.compose.service=$1"; }
container_of() { containers_of "$1" | head -1; }
# Anonymous volumes (an image's VOLUME that the compose file mounts nothing on: redis's /data,
# prometheus's /prometheus) carry no project label, and podman-compose 1.0.3's `down -v` leaves them:
# their names are taken from the project's containers before every down, and removed after it.
remember_volumes() {
  local c
  for c in $("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT"); do
    "$ENGINE" inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\n"}}{{end}}{{end}}' "$c" 2>/dev/null
  done | sed '/^$/d' >>"$TMP/volumes"
}
compose_down() { remember_volumes; compose down -v "$@"; }
stack_remains_removed() {
  "$ENGINE" network rm "${STACK_PROJECT}_default" >/dev/null 2>&1
  local v left
  for v in $(sort -u "$TMP/volumes" 2>/dev/null); do "$ENGINE" volume rm -f "$v" >/dev/null 2>&1; done
  left=$("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT"
         "$ENGINE" volume ls -q --filter "label=com.docker.compose.project=$STACK_PROJECT"
         "$ENGINE" network ls -q --filter "name=^${STACK_PROJECT}_default\$"
         for v in $(sort -u "$TMP/volumes" 2>/dev/null); do "$ENGINE" volume inspect --format '{{.Name}}' "$v" 2>/dev/null; done)
  [ -z "$left" ] || { echo "left: $(echo $left)"; return 1; }
}
# until SECONDS COMMAND...: retry until it succeeds
until_ok() { local deadline=$(( $(date +%s) + $1 )) out; shift; while :; do out=$("$@" 2>&1) && { echo "$out"; return 0; }; [ "$(date +%s)" -lt "$deadline" ] || { echo "$out"; return 1; }; sleep 0.5; done; }

pg_tool_call() { # the tool call and its published outbox event
  local c; c=$(container_of postgres)
  local row
  row=$("$ENGINE" exec "$c" psql -U tfo -d tfo_mcp -tAc \
    "SELECT (SELECT count(*) FROM tool_executions WHERE tool = 'list_directory' AND outcome IS NOT NULL),
            (SELECT count(*) FROM outbox WHERE type = 'tool.executed' AND published_at IS NOT NULL),
            (SELECT count(*) FROM outbox WHERE published_at IS NOT NULL), (SELECT count(*) FROM outbox)") || return 1
  local calls executed published total
  IFS='|' read -r calls executed published total <<<"$row"
  [ "${calls:-0}" -ge 1 ] && [ "${executed:-0}" -ge 1 ] && [ "$published" = "$total" ] \
    || { echo "tool_executions $calls, tool.executed published $executed, outbox published $published of $total"; return 1; }
  echo "tool_executions: $calls list_directory; outbox: tool.executed published, $published of $total rows published"
}
nats_stream() { # every event the outbox marked published (after JetStream's ack) is in the stream
  local c json published; c=$(container_of nats)
  published=$("$ENGINE" exec "$(container_of postgres)" psql -U tfo -d tfo_mcp -tAc "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") || return 1
  json=$("$ENGINE" exec "$c" wget -qO- 'http://127.0.0.1:8222/jsz?streams=true') || return 1
  node -e '
    const jsz = JSON.parse(process.argv[1]);
    const streams = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
    const s = streams.find((x) => x.name === "TFO_MCP_EVENTS");
    if (!s || !(s.state.messages > 0)) { console.log("stream TFO_MCP_EVENTS: " + (s ? s.state.messages + " messages" : "missing")); process.exit(1); }
    const published = Number(process.argv[2]);
    if (s.state.messages < published) { console.log("stream TFO_MCP_EVENTS: " + s.state.messages + " messages, fewer than the " + published + " the outbox marked published"); process.exit(1); }
    console.log("stream TFO_MCP_EVENTS: " + s.state.messages + " messages (the outbox published " + published + ", tool.executed among them)");' "$json" "$published"
}
redis_cache() {
  local c keys; c=$(container_of redis)
  keys=$("$ENGINE" exec "$c" redis-cli --scan --pattern 'tfo-mcp:*') || return 1
  [ -n "$keys" ] || { echo "no tfo-mcp:* keys"; return 1; }
  echo "$(wc -l <<<"$keys") tfo-mcp:* keys, e.g. $(head -1 <<<"$keys" | cut -c1-60)"
}
clickhouse_rows() {
  local c n; c=$(container_of clickhouse)
  n=$("$ENGINE" exec "$c" clickhouse-client --user tfo --password tfo -q \
    "SELECT count() FROM tfo_mcp.tool_executions FINAL WHERE tool = 'list_directory'") || return 1
  [ "${n:-0}" -ge 1 ] || { echo "tfo_mcp.tool_executions: $n list_directory rows"; return 1; }
  echo "tfo_mcp.tool_executions: $n list_directory row(s), events: $("$ENGINE" exec "$c" clickhouse-client --user tfo --password tfo -q 'SELECT count() FROM tfo_mcp.events')"
}
stack_health() {
  local svc c bad=()
  for svc in postgres redis nats clickhouse tfo-mcp; do
    c=$(container_of "$svc")
    if [ "$ENGINE" = podman ]; then podman healthcheck run "$c" >/dev/null 2>&1 || bad+=("$svc")
    else [ "$(docker inspect --format '{{.State.Health.Status}}' "$c")" = healthy ] || bad+=("$svc"); fi
  done
  [ ${#bad[@]} -eq 0 ] || { echo "unhealthy: ${bad[*]}"; return 1; }
  echo "postgres redis nats clickhouse tfo-mcp healthy"
}

# A cold run builds the missing service stand-ins while the image builds (they need no image of ours).
start_services_build() {
  local image
  for image in $SERVICE_IMAGES; do
    if ! "$ENGINE" image inspect "$image" >/dev/null 2>&1; then
      # shellcheck disable=SC2086
      ENGINE=$ENGINE TFO_STANDIN_LOG_DIR=$LOG bash scripts/container/standins.sh ensure $SERVICE_IMAGES >"$LOG/standins-background.log" 2>&1 &
      services_job=$!
      say "       (building the missing service stand-ins in the background meanwhile)"
      return
    fi
  done
}

# The opening of a stack stage: the app image must exist (built by this run in mode all), the stand-in
# build started in the background must have finished, and the stack's service images must be there.
#   stack_images "<stage name>" "<check label>" IMAGE…
stack_images() {
  local stage=$1 label=$2; shift 2
  if [ "$MODE" = all ] && [ "$built" -ne 1 ]; then
    [ -z "$services_job" ] || { wait "$services_job"; services_job=; }
    fail "$stage" "not run: the image did not build"; return 1
  fi
  "$ENGINE" image inspect "$APP_IMAGE" >/dev/null 2>&1 || { fail "$stage" "no $APP_IMAGE: run the image checks first (mode all)"; return 1; }
  [ -z "$services_job" ] || { wait "$services_job"; services_job=; }
  check "$label" ensure_images "$@"
}

stack_checks() {
  local t
  STACK_PORT=$(free_port)
  t=$(now)
  # shellcheck disable=SC2086
  stack_images "compose stack" "service images" $STACK_IMAGES || return 1
  say "       ($(since "$t") s)"
  # Leftovers of an interrupted run of this project (this store is the check's own).
  compose_down -t 0 >"$LOG/compose-predown.log" 2>&1; stack_remains_removed >/dev/null
  t=$(now)
  stack_up=1
  if ! compose up -d --no-build >"$LOG/compose-up.log" 2>&1; then fail "compose up" "see $LOG/compose-up.log"; tail -5 "$LOG/compose-up.log"; return 1; fi
  if wait_http "http://127.0.0.1:$STACK_PORT/ready" 120; then
    pass "compose up, /ready on the published port" "200 after $(since "$t") s (TFO_MCP_PORT=$STACK_PORT)"
  else
    fail "compose up, /ready on the published port" "no 200 within 120 s on 127.0.0.1:$STACK_PORT"
    curl -s "http://127.0.0.1:$STACK_PORT/ready" | tail -c 400; echo
    "$ENGINE" logs "$(container_of tfo-mcp)" 2>&1 | tail -8
    return 1
  fi
  check "MCP tool call through the stack" node scripts/container/mcp-probe.mjs http "http://127.0.0.1:$STACK_PORT/mcp" --list /workspace/src
  check "Postgres: tool_executions + outbox published" until_ok 20 pg_tool_call
  check "NATS: the event stream" until_ok 20 nats_stream
  check "Redis: the cached tool result" until_ok 10 redis_cache
  check "ClickHouse: the projected tool call" until_ok 20 clickhouse_rows
  # Docker runs health checks on its own schedule (tfo-mcp's first after 15 s); podman here runs them on demand.
  check "health checks of every service" until_ok 45 stack_health
  "$ENGINE" logs "$(container_of tfo-mcp)" >"$LOG/stack-tfo-mcp.log" 2>&1
  stack_down "compose down" compose-down
}

# stack_down NAME LOGNAME: down -v, then nothing of the project may remain (a check of its own)
stack_down() {
  local t left; t=$(now)
  if compose_down -t 10 >"$LOG/$2.log" 2>&1 && left=$(stack_remains_removed); then
    stack_up=0
    pass "$1" "$(since "$t") s; no container, volume or network of $STACK_PROJECT left"
  else
    fail "$1" "${left:-} see $LOG/$2.log"
  fi
}

# ==== The scale stack: three replicas behind HAProxy, Prometheus ==============================================
# The replicas' addresses as the network's DNS gives them to the proxy, and as the engine assigned them.
scale_dns() {
  local c dns assigned n
  n=$(containers_of tfo-mcp | wc -l)
  [ "$n" -eq 3 ] || { echo "$n tfo-mcp containers running, not 3"; return 1; }
  dns=$("$ENGINE" exec "$(container_of proxy)" getent ahostsv4 tfo-mcp | awk '{ print $1 }' | sort -u | tr '\n' ' ') || return 1
  assigned=$(for c in $(containers_of tfo-mcp); do "$ENGINE" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"; done | sort -u | tr '\n' ' ')
  [ "$dns" = "$assigned" ] || { echo "tfo-mcp resolves to ${dns:-nothing}in the proxy, the replicas have ${assigned}"; return 1; }
  echo "3 replicas; tfo-mcp resolves to ${dns}in the proxy's container, one A record each"
}
# Every replica answers /ready, and the proxy's last word on each of its three servers is UP (HAProxy
# logs every state change; the first comes when DNS fills the slot).
scale_replicas_up() {
  local c ready=0 states
  for c in $(containers_of tfo-mcp); do
    "$ENGINE" exec "$c" node -e "fetch('http://127.0.0.1:8080/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && ready=$((ready + 1))
  done
  states=$("$ENGINE" logs "$(container_of proxy)" 2>&1 | awk '
    match($0, /Server replicas\/tfo-mcp[0-9]+/) {
      s = substr($0, RSTART + 16, RLENGTH - 16)
      if ($0 ~ / is UP/) state[s] = "UP"; else if ($0 ~ / is DOWN|going DOWN|MAINT/) state[s] = "DOWN"
    }
    END { for (s in state) { printf "%s%s:%s", sep, s, state[s]; sep = " " } }')
  [ "$ready" -eq 3 ] && [ "$(grep -o ':UP' <<<"$states" | wc -l)" -eq 3 ] || { echo "$ready of 3 replicas ready; proxy: ${states:-no server state logged}"; return 1; }
  echo "3 replicas ready; proxy: $states"
}
# Each replica's own count of tools/call (its metrics port, from inside its container): all three served
# calls, and the one 2025 session's calls were served by more than one replica.
scale_spread() {
  local c n=0 served=0 legacy_on=0 per=() counts legacy modern
  for c in $(containers_of tfo-mcp); do
    n=$((n + 1))
    counts=$("$ENGINE" exec "$c" node -e "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))" \
      | awk '/^tfo_mcp_requests_total\{/ && /method="tools\/call"/ { if (/era="legacy"/) l += $NF; else if (/era="modern"/) m += $NF } END { printf "%d %d", l, m }') || return 1
    read -r legacy modern <<<"$counts"
    per+=("#$("$ENGINE" inspect --format '{{ index .Config.Labels "com.docker.compose.container-number" }}' "$c") ${legacy}+${modern}")
    [ $((legacy + modern)) -gt 0 ] && served=$((served + 1))
    [ "$legacy" -gt 0 ] && legacy_on=$((legacy_on + 1))
  done
  local line="tools/call per replica, 2025 session + 2026-07-28: ${per[*]}"
  [ "$n" -eq 3 ] && [ "$served" -eq 3 ] && [ "$legacy_on" -ge 2 ] || { echo "$line (want all 3 serving, the session on 2 or more)"; return 1; }
  echo "$line"
}
scale_prometheus() { # the tfo-mcp job's targets: the three replicas, every one up
  local json; json=$(curl -s --max-time 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active") || { echo "no answer on 127.0.0.1:$PROMETHEUS_PORT"; return 1; }
  node -e '
    const targets = JSON.parse(process.argv[1]).data.activeTargets.filter((t) => t.labels.job === "tfo-mcp");
    const up = targets.filter((t) => t.health === "up");
    const line = `job tfo-mcp: ${up.length} of ${targets.length} targets up (${targets.map((t) => `${t.labels.instance} ${t.health}`).join(", ")})`;
    console.log(line);
    process.exit(targets.length === 3 && up.length === 3 ? 0 : 1);' "$json"
}

scale_checks() {
  local t stage; stage=$(now)
  # The stack stage's project goes first if it is still there (it stopped half-way).
  [ "$stack_up" -eq 0 ] || stack_down "compose down (before the scale stack)" compose-down
  STACK_FILE=docker-compose.scale.yml STACK_PROJECT=$SCALE_PROJECT
  STACK_PORT=$(free_port) PROMETHEUS_PORT=$(free_port)
  # shellcheck disable=SC2086
  stack_images "scale stack" "scale: service images (+ haproxy, prometheus)" $SCALE_IMAGES || return 1
  compose_down -t 0 >"$LOG/scale-predown.log" 2>&1; stack_remains_removed >/dev/null
  t=$(now)
  stack_up=1
  if ! compose up -d --no-build >"$LOG/scale-up.log" 2>&1; then fail "scale: compose up" "see $LOG/scale-up.log"; tail -5 "$LOG/scale-up.log"; return 1; fi
  local up_took; up_took=$(since "$t")
  if wait_http "http://127.0.0.1:$STACK_PORT/ready" 90; then
    pass "scale: compose up, /ready through the proxy" "200 after $(since "$t") s (up returned after $up_took s; TFO_MCP_PORT=$STACK_PORT)"
  else
    fail "scale: compose up, /ready through the proxy" "no 200 within 90 s on 127.0.0.1:$STACK_PORT"
    "$ENGINE" logs "$(container_of proxy)" 2>&1 | tail -8
    return 1
  fi
  check "scale: three replicas under one DNS name" until_ok 20 scale_dns
  check "scale: the proxy has the three up" until_ok 45 scale_replicas_up
  check "scale: a 2025 session through the proxy (3 calls)" node scripts/container/mcp-probe.mjs http "http://127.0.0.1:$STACK_PORT/mcp" --list /workspace/src --repeat 3
  check "scale: 2026-07-28 stateless calls through the proxy (3)" node scripts/container/mcp-probe.mjs stateless "http://127.0.0.1:$STACK_PORT/mcp" --list /workspace/src --repeat 3
  check "scale: round robin reached every replica" scale_spread
  # Prometheus scrapes every 15 s (deploy/prometheus/prometheus.yml): a replica that was still restarting
  # at its first scrape is up at the second.
  check "scale: Prometheus scrapes the three replicas" until_ok 45 scale_prometheus
  local c
  for c in proxy prometheus; do "$ENGINE" logs "$(container_of "$c")" >"$LOG/scale-$c.log" 2>&1; done
  "$ENGINE" logs "$(container_of tfo-mcp)" >"$LOG/scale-tfo-mcp.log" 2>&1
  stack_down "scale: compose down" scale-down
  say "       (scale stage: $(since "$stage") s)"
}

case "$MODE" in
  all) image_checks; stack_checks; scale_checks ;;
  image) image_checks ;;
  stack) stack_checks ;;
  scale) scale_checks ;;
esac
summary
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
