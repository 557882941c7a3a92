#!/usr/bin/env bash
# Stops the libvirt daemons scripts/libvirt-up.sh started, by the PIDs it printed (arguments), and waits for them.
set -uo pipefail
for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "$@"; do
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
done
exit 0
