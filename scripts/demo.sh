#!/usr/bin/env bash
# make demo / make demo-stop: see scripts/demo.ts. The libvirt daemons the demo starts (when none answered) are
# recorded by PID in .cache/demo-libvirt.pids, and `make demo-stop` stops exactly those.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/node/bin:$PATH"
pids="$root/.cache/demo-libvirt.pids"
if [ "${1:-}" = stop ]; then
  node --no-warnings=ExperimentalWarning "$root/scripts/demo.ts" stop
  "$root/scripts/libvirt-down.sh" "$pids"
  rm -f "$pids"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$(dirname "$pids")"
  started="$("$root/scripts/libvirt-up.sh")"
  if [ -n "$started" ]; then echo "$started" >>"$pids"; fi
fi
exec node --no-warnings=ExperimentalWarning "$root/scripts/demo.ts" "$@"
