// A cheap look at a disk's first sectors, before any libguestfs appliance boots: a disk with neither a partition
// table nor a filesystem/volume signature holds no operating system to convert (appliance data disks, raw boot
// sectors), so it is reported as os "unknown" in milliseconds instead of after a minute of inspection.

/** Bytes of the disk's start that holdsOperatingSystemCandidate needs (MBR, GPT header, superblocks). */
export const LAYOUT_PROBE_BYTES = 0x11000; // through the btrfs superblock at 64 KiB

export interface DiskLayout {
  /** mbr | gpt | filesystem:<type> | none */
  kind: string;
}

const SECTOR = 512;

function mbrHasPartitions(head: Uint8Array): boolean {
  if (head.length < SECTOR || head[510] !== 0x55 || head[511] !== 0xaa) return false;
  for (let i = 0; i < 4; i++) {
    const entry = 446 + i * 16;
    const type = head[entry + 4];
    const sectors = head[entry + 12] | (head[entry + 13] << 8) | (head[entry + 14] << 16) | (head[entry + 15] << 24);
    if (type !== 0 && sectors !== 0) return true;
  }
  return false;
}

function ascii(head: Uint8Array, offset: number, length: number): string {
  return Buffer.from(head.subarray(offset, offset + length)).toString("latin1");
}

/** The ext2/3/4 magic plus two sane fields, so 1 in 65536 random disks is not taken for a filesystem. */
function isExtSuperblock(head: Uint8Array): boolean {
  if (head.length < 2048 || head[1080] !== 0x53 || head[1081] !== 0xef) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const logBlockSize = view.getUint32(1024 + 24, true);
  const revLevel = view.getUint32(1024 + 76, true);
  return logBlockSize <= 6 && revLevel <= 1;
}

/** Pure: what the first LAYOUT_PROBE_BYTES of a disk's guest-visible bytes say about it. */
export function diskLayout(head: Uint8Array): DiskLayout {
  if (ascii(head, SECTOR, 8) === "EFI PART") return { kind: "gpt" };
  if (mbrHasPartitions(head)) return { kind: "mbr" };
  // Whole-disk filesystems and volume managers (no partition table): ext2/3/4, XFS, btrfs, LVM2, NTFS.
  if (isExtSuperblock(head)) return { kind: "filesystem:ext" };
  if (ascii(head, 0, 4) === "XFSB") return { kind: "filesystem:xfs" };
  if (ascii(head, 0x10040, 8) === "_BHRfS_M") return { kind: "filesystem:btrfs" };
  if (ascii(head, SECTOR, 8) === "LABELONE") return { kind: "filesystem:lvm2" };
  if (ascii(head, 3, 8) === "NTFS    ") return { kind: "filesystem:ntfs" };
  return { kind: "none" };
}

/** A disk worth inspecting: partitioned, or a whole-disk filesystem. */
export function mayHoldOperatingSystem(layout: DiskLayout): boolean {
  return layout.kind !== "none";
}
