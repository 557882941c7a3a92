#!/usr/bin/env bash
# One-time local libvirt configuration for a machine without systemd (FACTS.md): directories, the users and
# groups QEMU expects, and QEMU running as root so it can read pools anywhere. Idempotent.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 0
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/images /var/lib/libvirt/qemu
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
conf=/etc/libvirt/qemu.conf
if [ -f "$conf" ] && ! grep -q '^user = "root"' "$conf"; then
  printf '\n# landfall: run QEMU as root on this single-user machine\nuser = "root"\ngroup = "root"\n' >> "$conf"
fi
