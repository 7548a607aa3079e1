#!/usr/bin/env bash
# The README's two commands go through here on a fresh machine:
#   bash scripts/run.sh start   — the whole system on embedded defaults (npm start)
#   bash scripts/run.sh test    — the test suite (npm test)
# It provides Node >= 22.12 (wrangler needs it) from the npm registry when the system Node is
# older, installs the locked dependencies when they are missing or stale, then runs npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-node.sh

stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "▸ installing dependencies"
  # npm ci refuses this lockfile: the registry reachable here serves only this platform's builds
  # of workerd/esbuild/biome/dbmate, so their other-platform entries cannot be locked
  # (npm/cli#4828); npm install keeps to the locked versions.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

case "${1:-}" in
  start) shift; exec npm start -- "$@" ;;
  test) shift; exec npm test -- "$@" ;;
  *) echo "usage: bash scripts/run.sh <start|test>" >&2; exit 2 ;;
esac
