#!/usr/bin/env bash
# make setup: installs every prerequisite idempotently on a fresh Debian machine (run as root):
# Debian packages, Node 24 in .tools/ when the host's is older, npm dependencies, the vcsim harness binary,
# and libvirt's local configuration. Daemons are started by scripts/libvirt-up.sh (tests and demo call it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt_packages=(
  qemu-utils qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  ovmf iptables dnsmasq-base libnbd-bin
  golang-go golang-github-vmware-govmomi-dev
  chromium curl ca-certificates xz-utils openssl
  # guest conversion (virt-v2v-in-place needs nbdkit for -i disk; libguestfs needs a kernel under /boot) and the
  # real test guests built by test/harness/guests/build.sh
  virt-v2v libguestfs-tools nbdkit linux-image-amd64 mmdebstrap grub-pc-bin grub-efi-amd64-bin fdisk dosfstools mtools cpio
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node="$("$root/scripts/ensure-node.sh")"
export PATH="$(dirname "$node"):$PATH"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # npm install, not npm ci: with this machine's npm config the lock omits other platforms' optional packages
  # (e.g. @biomejs/cli-darwin-*), which makes `npm ci` refuse it; install still takes the locked versions.
  npm install --no-audit --no-fund --loglevel=error
fi

# Node's compile cache, filled with every module landfall runs: the first server after setup or an upgrade starts
# without the TypeScript stripper (~26 MiB of its RSS otherwise, for its whole life). Keyed by content: cheap to redo.
NODE_OPTIONS="--import $root/scripts/warm-compile-cache.ts" "$root/bin/landfall" --help >/dev/null

"$root/scripts/libvirt-configure.sh"
if [ -x "$root/test/harness/vcsim/build.sh" ]; then "$root/test/harness/vcsim/build.sh"; fi
# The real Debian test guests (~2.5 min the first time, cached under .cache/guests by the script's hash).
if [ -x "$root/test/harness/guests/build.sh" ]; then "$root/test/harness/guests/build.sh" >/dev/null; fi
if [ -f "$root/web/package.json" ] && [ -x "$root/scripts/build-web.sh" ]; then "$root/scripts/build-web.sh"; fi
echo "setup: ok (node $(node --version))"
