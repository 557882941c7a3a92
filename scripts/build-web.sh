#!/usr/bin/env bash
# Builds the dashboard into web/dist (served by `landfall serve` at /). Idempotent: installs web/'s own npm
# dependencies when its lock file changed, regenerates the API types from src/api, and skips the Vite build
# when web/dist is newer than every source. Any failure stops `make setup` — a missing dashboard is an error.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
if [ -x "$root/.tools/node/bin/node" ]; then export PATH="$root/.tools/node/bin:$PATH"; fi

if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "build-web: installing dashboard dependencies (web/package-lock.json)"
  # npm install, not npm ci: see scripts/setup.sh (this npm config leaves other platforms out of lock files).
  (cd "$web" && npm install --no-audit --no-fund --loglevel=error)
fi

# Writes web/src/api/generated.ts only when the schemas changed, so an unchanged tree stays "not newer".
node --no-warnings=ExperimentalWarning "$web/scripts/gen-api-types.ts"

stamp="$web/dist/index.html"
if [ -f "$stamp" ]; then
  newer="$(find "$web/src" "$web/index.html" "$web/vite.config.ts" "$web/package-lock.json" "$web/tsconfig.json" -newer "$stamp" -print -quit)"
  if [ -z "$newer" ]; then
    exit 0
  fi
fi
echo "build-web: building the dashboard into web/dist"
(cd "$web" && npx tsc --noEmit -p . && npx vite build --logLevel warn)
test -f "$stamp" || { echo "build-web: vite build finished but $stamp is missing" >&2; exit 1; }
