#!/usr/bin/env bash
# Starts libvirtd and virtlogd when they are not running (no systemd here) and waits until qemu:///system
# answers. Prints "started" when it started libvirtd itself, so callers can stop only what they started.
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/libvirt-configure.sh"
if virsh -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d
for _ in $(seq 1 100); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then echo started; exit 0; fi
  sleep 0.1
done
echo "libvirt-up: libvirtd did not answer on qemu:///system within 10 s" >&2
exit 1
