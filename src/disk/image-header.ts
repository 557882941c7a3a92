// What an image's own header says it depends on, read by landfall itself before qemu-img opens anything:
// the format (when a backing file does not record it) and a VMDK's extent files and parent. Pure: callers read
// the bytes. The parsers over-approximate on purpose — a name they find that qemu would ignore is still
// judged, so they can only refuse more than qemu would open, never less.

/** The most a VMDK descriptor may take; qemu reads at most 1 MiB of a descriptor file too. */
export const DESCRIPTOR_MAX_BYTES = 1 << 20;
/** Enough for every magic number sniffFormat knows. */
export const MAGIC_BYTES = 512;

/** The format qemu would probe from the first bytes (only the formats qemu can chain or that carry names). */
export function sniffFormat(head: Buffer): string {
  const ascii = head.subarray(0, 32).toString("latin1");
  if (head.length >= 4 && head.readUInt32BE(0) === 0x514649fb) return "qcow2"; // "QFI\xfb"
  if (ascii.startsWith("KDMV") || ascii.startsWith("COWD") || ascii.startsWith("# Disk DescriptorFile")) return "vmdk";
  if (ascii.startsWith("QED\0")) return "qed";
  if (ascii.startsWith("vhdxfile")) return "vhdx";
  if (ascii.startsWith("conectix")) return "vpc";
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return "vdi";
  return "raw";
}

/** Where a sparse VMDK (KDMV) keeps its embedded descriptor, in bytes; undefined for other layouts. */
export function embeddedDescriptorRange(head: Buffer): { offset: number; length: number } | undefined {
  if (head.subarray(0, 4).toString("latin1") !== "KDMV" || head.length < 44) return undefined;
  const offset = Number(head.readBigUInt64LE(28)) * 512;
  const length = Math.min(Number(head.readBigUInt64LE(36)) * 512, DESCRIPTOR_MAX_BYTES);
  return offset > 0 && length > 0 ? { offset, length } : undefined;
}

export interface VmdkReferences {
  /** Extent file names as written (relative names are relative to the descriptor's directory). */
  extents: string[];
}

// `RW 2048 FLAT "disk-flat.vmdk" 0`, `RDONLY 8 VMFSSPARSE "x-delta.vmdk"` (qemu's sscanf accepts any access word).
const EXTENT_RE = /^\s*[A-Za-z]+\s+\d+\s+[A-Za-z]+\s+"([^"]*)"/;

/**
 * The extent files a VMDK descriptor names (qemu-img info opens them). Its parentFileNameHint is the backing
 * file, which qemu-img info reports without opening, so backing-chain.ts judges it like any backing file.
 */
export function vmdkReferences(descriptor: Buffer): VmdkReferences {
  const out: VmdkReferences = { extents: [] };
  // NUL padding (qemu-img pads descriptors to 512 bytes) is not text; every line is still looked at.
  for (const line of descriptor.toString("latin1").replaceAll("\0", "\n").split(/\r?\n/)) {
    const extent = EXTENT_RE.exec(line);
    if (extent) out.extents.push(extent[1]);
  }
  return out;
}
