#!/usr/bin/env bash
# One-time local libvirt configuration for a machine without systemd (FACTS.md): the directories and the users
# and groups QEMU expects. QEMU keeps libvirt's default unprivileged user (libvirt-qemu): libvirt hands it each
# disk and console file by ownership relabelling, so pools work without running guests as root. /dev/kvm, where
# it exists, gets what Debian's udev rule gives it (group kvm, mode 0660): without udev its mode differs between
# machines (seen 0600 root:root), and QEMU as libvirt-qemu could not open it. Idempotent.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 0
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/images /var/lib/libvirt/qemu
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
id -nG libvirt-qemu | tr ' ' '\n' | grep -qx kvm || usermod -aG kvm libvirt-qemu
if [ -c /dev/kvm ]; then
  chgrp kvm /dev/kvm
  chmod 0660 /dev/kvm
fi
