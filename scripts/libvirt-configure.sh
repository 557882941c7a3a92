#!/usr/bin/env bash
# One-time local libvirt configuration for a machine without systemd (FACTS.md): the directories and the users
# and groups QEMU expects. QEMU keeps libvirt's default unprivileged user (libvirt-qemu): libvirt hands it each
# disk and console file by ownership relabelling, so pools work without running guests as root. Idempotent.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 0
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/images /var/lib/libvirt/qemu
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
