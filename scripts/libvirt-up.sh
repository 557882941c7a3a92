#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they do not answer on their sockets (no systemd here) and waits until
# qemu:///system answers. A daemon counts as running only when its socket accepts a connection — never by
# process name, which a zombie (PID 1 here reaps late) still matches. Prints "NAME PID" for each daemon it
# started, one per line, so callers stop only those (scripts/libvirt-down.sh takes that output as a file).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/libvirt-configure.sh"
log_dir=/var/log/libvirt

# Exit 0 when a Unix socket accepts a connection.
answers() {
  [ -S "$1" ] || return 1
  node -e 'const s=require("node:net").connect(process.argv[1]);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),2000)' "$1"
}

# Runs a daemon in the foreground as our child (so $! is its PID); prints "NAME PID".
start_daemon() {
  local name="$1"
  setsid "$name" >>"$log_dir/$name.landfall.log" 2>&1 </dev/null &
  echo "$name $!"
}

started=()
if ! answers /run/libvirt/virtlogd-sock; then
  rm -f /run/libvirt/virtlogd-sock /run/libvirt/virtlogd-admin-sock
  started+=("$(start_daemon virtlogd)")
  for _ in $(seq 1 100); do answers /run/libvirt/virtlogd-sock && break; sleep 0.1; done
fi
if ! answers /run/libvirt/libvirt-sock; then
  started+=("$(start_daemon libvirtd)")
fi
# The first answer after a fresh install (no capabilities cache) takes ~15 s: libvirt probes QEMU.
for _ in $(seq 1 600); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    for line in "${started[@]}"; do echo "$line"; done
    exit 0
  fi
  sleep 0.1
done
echo "libvirt-up: libvirtd did not answer on qemu:///system within 60 s (see $log_dir/libvirtd.landfall.log)" >&2
exit 1
