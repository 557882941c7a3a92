#!/usr/bin/env bash
# Builds the real test guests: a minimal Debian bookworm installed the way a VMware guest is (root on a SATA/SCSI
# disk, an initramfs WITHOUT virtio drivers, open-vm-tools, a NIC config for VMware's ens192), as two raw disks:
#   debian-bios.raw  MBR, GRUB for BIOS, one ext4 root partition
#   debian-uefi.raw  GPT, an EFI system partition with GRUB at the removable path, one ext4 root partition
# From Debian packages only (mmdebstrap), without loop devices or mounts (mkfs.ext4 -d, mtools, grub-mkimage).
# Cached under .cache/guests/<key>/, key = sha256 of this script, so a second run is a no-op; prints that dir.
# Usage: build.sh [OUT_ROOT]   (default: <repo>/.cache/guests)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out_root="${1:-$root/.cache/guests}"
key="$(sha256sum "$here/build.sh" | cut -c1-16)"
out="$out_root/$key"
mkdir -p "$out_root"
exec 9>"$out_root/.lock"
flock 9
if [ -f "$out/build.json" ]; then echo "$out"; exit 0; fi

for tool in mmdebstrap mkfs.ext4 mkfs.vfat mcopy sfdisk grub-mkimage; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (run make setup)" >&2; exit 1; }
done
[ -d /usr/lib/grub/i386-pc ] && [ -d /usr/lib/grub/x86_64-efi ] ||
  { echo "build.sh: /usr/lib/grub/{i386-pc,x86_64-efi} missing (grub-pc-bin, grub-efi-amd64-bin; run make setup)" >&2; exit 1; }

started=$(date +%s)
work="$(mktemp -d "$out_root/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

HOSTNAME_=landfall-guest
# The negative control (no virtio in the initramfs) must fail on the console in seconds, not initramfs-tools'
# default 180 s: rootdelay bounds how long the initramfs waits for the root device. no_timer_check: under TCG
# on a loaded host the kernel's IO-APIC timer check can fail and panic (libguestfs sets it for its appliance too).
CMDLINE="console=tty0 console=ttyS0,115200 rootdelay=20 no_timer_check"
ROOT_UUID_BIOS=6c0a3f1e-7d52-4b8e-9f41-1a2b3c4d5e01
ROOT_UUID_UEFI=6c0a3f1e-7d52-4b8e-9f41-1a2b3c4d5e02
ESP_ID=4C46ABCD   # FAT volume id; fstab shows it as 4C46-ABCD
DISK_MIB=1536
ESP_MIB=64

# Written before the kernel is installed, so the kernel's own initramfs is already the VMware-style one: only
# the storage drivers a VMware VM boots from (SATA AHCI, LSI/PVSCSI, IDE), no virtio.
essential_hook() {
  cat <<'HOOK'
set -e
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$1/etc/initramfs-tools/conf.d/vmware-guest.conf"
printf '%s\n' ahci libata ata_piix ata_generic sd_mod sr_mod scsi_mod mptspi mptsas vmw_pvscsi ext4 crc32c_generic \
  >"$1/usr/share/initramfs-tools/modules.d/vmware-guest"
HOOK
}

customize_hook() {
  cat <<HOOK
set -e
echo $HOSTNAME_ >"\$1/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 $HOSTNAME_\n' >"\$1/etc/hosts"
# The NIC as VMware names it (vmxnet3 in PCI slot 192): what a guest installed on ESXi carries.
mkdir -p "\$1/etc/systemd/network"
printf '[Match]\nName=ens192\n\n[Network]\nDHCP=yes\n' >"\$1/etc/systemd/network/10-ens192.network"
ln -sf /lib/systemd/system/systemd-networkd.service "\$1/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
cat >"\$1/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="$CMDLINE"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB
# Shrink: drivers no VM uses (graphics, sound, wireless, media, InfiniBand, staging) and firmware blobs.
for m in "\$1"/lib/modules/*; do
  k="\$m/kernel"
  rm -rf "\$k/sound" "\$k/drivers/gpu" "\$k/drivers/media" "\$k/drivers/net/wireless" "\$k/drivers/infiniband" \
    "\$k/drivers/staging" "\$k/drivers/bluetooth" "\$k/net/wireless" "\$k/net/mac80211" "\$k/net/bluetooth" \
    "\$k/drivers/iio" "\$k/drivers/isdn" "\$k/drivers/net/ethernet/mellanox" "\$k/drivers/net/ethernet/intel/ice" \
    "\$k/drivers/net/ethernet/broadcom" "\$k/drivers/net/ethernet/chelsio" "\$k/drivers/net/ethernet/qlogic"
  chroot "\$1" depmod "\$(basename "\$m")"
done
rm -rf "\$1/usr/lib/firmware"
chroot "\$1" update-initramfs -u -k all
chroot "\$1" passwd -l root >/dev/null
rm -f "\$1/etc/machine-id"; touch "\$1/etc/machine-id"
rm -rf "\$1/var/cache/apt/archives/"*.deb "\$1/var/lib/apt/lists/"*
HOOK
}

mmdebstrap --quiet --variant=minbase --mode=root \
  --include=linux-image-amd64,systemd-sysv,udev,dbus,kmod,initramfs-tools,grub-pc-bin,grub-efi-amd64-bin,grub2-common,qemu-guest-agent,open-vm-tools,e2fsprogs \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --essential-hook="$(essential_hook)" --customize-hook="$(customize_hook)" \
  bookworm "$rootfs" http://deb.debian.org/debian

kernel="$(cd "$rootfs/boot" && ls vmlinuz-* | head -1)"
version="${kernel#vmlinuz-}"
[ -f "$rootfs/boot/initrd.img-$version" ] || { echo "build.sh: no initrd for $version" >&2; exit 1; }
if zcat "$rootfs/boot/initrd.img-$version" | cpio -it 2>/dev/null | grep -q 'virtio_blk'; then
  echo "build.sh: the initramfs contains virtio_blk; the guest would not be VMware-style" >&2; exit 1
fi
mkdir -p "$rootfs/boot/grub"
cp -r /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi "$rootfs/boot/grub/"

# grub.cfg as grub-mkconfig writes it for this guest (grub-mkconfig itself needs the mounted device).
write_grub_cfg() { # root_uuid
  cat >"$rootfs/boot/grub/grub.cfg" <<CFG
serial --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
insmod part_msdos
insmod part_gpt
insmod ext2
search --no-floppy --fs-uuid --set=root $1
menuentry 'Debian GNU/Linux' {
  linux /boot/vmlinuz-$version root=UUID=$1 ro $CMDLINE
  initrd /boot/initrd.img-$version
}
CFG
}

# ext4 root filesystem image of the given size from the root directory (no mount, no loop device).
make_rootfs() { # image size_mib uuid
  truncate -s "$2M" "$1"
  mkfs.ext4 -q -F -L root -U "$3" -d "$rootfs" "$1"
}

# --- BIOS: MBR, root at 1 MiB, GRUB core.img in the gap after the MBR
printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$ROOT_UUID_BIOS" >"$rootfs/etc/fstab"
write_grub_cfg "$ROOT_UUID_BIOS"
bios="$work/debian-bios.raw"
truncate -s "${DISK_MIB}M" "$bios"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$bios"
make_rootfs "$work/root-bios.ext4" $((DISK_MIB - 1)) "$ROOT_UUID_BIOS"
dd if="$work/root-bios.ext4" of="$bios" bs=1M seek=1 conv=notrunc,sparse status=none
rm "$work/root-bios.ext4"
printf 'search.fs_uuid %s root\nset prefix=($root)/boot/grub\n' "$ROOT_UUID_BIOS" >"$work/early-bios.cfg"
grub-mkimage -O i386-pc -o "$work/core.img" -c "$work/early-bios.cfg" -p /boot/grub \
  biosdisk part_msdos ext2 search_fs_uuid
dd if=/usr/lib/grub/i386-pc/boot.img of="$bios" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$bios" bs=512 seek=1 conv=notrunc status=none

# --- UEFI: GPT, EFI system partition (FAT32, GRUB at the removable path), root after it
esp_fstab_id="${ESP_ID:0:4}-${ESP_ID:4:4}"
printf 'UUID=%s / ext4 errors=remount-ro 0 1\nUUID=%s /boot/efi vfat umask=0077 0 1\n' \
  "$ROOT_UUID_UEFI" "$esp_fstab_id" >"$rootfs/etc/fstab"
mkdir -p "$rootfs/boot/efi"
write_grub_cfg "$ROOT_UUID_UEFI"
uefi="$work/debian-uefi.raw"
truncate -s "${DISK_MIB}M" "$uefi"
root_start_mib=$((1 + ESP_MIB))
printf 'label: gpt\nstart=2048, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=%d, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n' \
  $((ESP_MIB * 2048)) $((root_start_mib * 2048)) | sfdisk -q "$uefi"
printf 'search.fs_uuid %s root\nset prefix=($root)/boot/grub\n' "$ROOT_UUID_UEFI" >"$work/early-uefi.cfg"
grub-mkimage -O x86_64-efi -o "$work/BOOTX64.EFI" -c "$work/early-uefi.cfg" -p /boot/grub \
  part_gpt part_msdos ext2 fat search_fs_uuid
truncate -s "${ESP_MIB}M" "$work/esp.vfat"
mkfs.vfat -F 32 -n EFI -i "$ESP_ID" "$work/esp.vfat" >/dev/null
mmd -i "$work/esp.vfat" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$work/esp.vfat" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.vfat" "$work/BOOTX64.EFI" ::/EFI/debian/grubx64.efi
dd if="$work/esp.vfat" of="$uefi" bs=1M seek=1 conv=notrunc,sparse status=none
make_rootfs "$work/root-uefi.ext4" $((DISK_MIB - root_start_mib - 1)) "$ROOT_UUID_UEFI"
dd if="$work/root-uefi.ext4" of="$uefi" bs=1M seek="$root_start_mib" conv=notrunc,sparse status=none
rm "$work/root-uefi.ext4"

seconds=$(($(date +%s) - started))
used_bios=$(du -B1 "$bios" | cut -f1)
cat >"$work/build.json" <<JSON
{"key": "$key", "kernel": "$version", "hostname": "$HOSTNAME_", "buildSeconds": $seconds,
 "sizeBytes": $((DISK_MIB * 1024 * 1024)), "allocatedBytes": $used_bios,
 "bios": {"file": "debian-bios.raw", "rootUUID": "$ROOT_UUID_BIOS"},
 "uefi": {"file": "debian-uefi.raw", "rootUUID": "$ROOT_UUID_UEFI"}}
JSON
rm -rf "$rootfs"
mkdir -p "$out"
mv "$work/debian-bios.raw" "$work/debian-uefi.raw" "$out/"
mv "$work/build.json" "$out/build.json"
echo "build.sh: built $out in ${seconds}s" >&2
echo "$out"
