#!/usr/bin/env bash
# make demo / make demo-stop: see scripts/demo.ts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/node/bin:$PATH"
if [ "$(id -u)" -eq 0 ] && [ "${1:-}" != stop ]; then "$root/scripts/libvirt-up.sh" >/dev/null; fi
exec node --no-warnings=ExperimentalWarning "$root/scripts/demo.ts" "$@"
