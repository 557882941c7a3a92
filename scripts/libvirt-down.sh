#!/usr/bin/env bash
# Stops the libvirt daemons listed in FILE ("NAME PID" lines, as scripts/libvirt-up.sh prints for what it
# started; a test that restarts a daemon rewrites its line) — by PID, never by name — and waits for them.
set -uo pipefail
file="${1:?usage: libvirt-down.sh PIDFILE}"
[ -f "$file" ] || exit 0
pids=()
while read -r _name pid; do [ -n "${pid:-}" ] && pids+=("$pid"); done <"$file"
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
done
exit 0
