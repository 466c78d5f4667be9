#!/usr/bin/env bash
# `npm test`: everything a fresh clone needs, then the whole suite. The last line is always
# "N passed, N failed" (CI reads it); the exit code is non-zero when anything failed.
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

# Install dependencies when missing or older than the lock file. `npm install` rather than `npm ci`:
# the registry mirror on these machines serves only this platform's builds of packages such as
# @swc/core-*, so the lock cannot list the others and `npm ci` refuses it. The lock still pins every
# version installed here.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm install" npm install --no-audit --no-fund || { echo "0 passed, 1 failed"; exit 1; }
fi

step "conformance suite install (test/conformance)" bash scripts/conformance-install.sh
step "build" npm run --silent build
step "typecheck (src + tests)" npm run --silent typecheck
step "layer rules" npm run --silent lint:layers
step "stdout purity (no console.* or stdout writes in src/)" bash scripts/check-stdout.sh

# Real Postgres, Redis, NATS and ClickHouse on loopback; stopped afterwards only if this run started them.
# (Status is read whole first: with pipefail, `status | grep -q` fails whenever grep stops reading
# early, and the services this run started were then left running.)
started_services=0
services_status=$(bash scripts/services.sh status 2>/dev/null || true)
if grep -q down <<<"$services_status"; then started_services=1; fi
services_env=$(bash scripts/services.sh up) || { echo "!! services did not start" >&2; failed_steps=$((failed_steps + 1)); }
eval "$services_env"
[ "$started_services" -eq 1 ] && trap 'bash scripts/services.sh down >/dev/null 2>&1' EXIT

mkdir -p .tmp
rm -f .tmp/jest-results.json
NODE_OPTIONS=--experimental-vm-modules npx jest --ci --json --outputFile=.tmp/jest-results.json "$@"
jest_status=$?

node scripts/print-totals.mjs .tmp/jest-results.json "$failed_steps"
totals_status=$?
if [ "$jest_status" -ne 0 ] || [ "$failed_steps" -ne 0 ] || [ "$totals_status" -ne 0 ]; then exit 1; fi
