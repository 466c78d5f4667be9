#!/usr/bin/env bash
# stdout carries only protocol frames in stdio mode. The transport writes to the stream main.ts
# hands it; nothing in src/ may print to stdout directly.
set -u
cd "$(dirname "$0")/.."
hits=$(grep -rnE '\bconsole\.[a-z]+\(|process\.stdout\.write\(' src || true)
if [ -n "$hits" ]; then
  echo "stdout writes found in src/:" >&2
  echo "$hits" >&2
  exit 1
fi
