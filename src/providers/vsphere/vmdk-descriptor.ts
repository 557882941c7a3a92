// VMDK text descriptors (standalone, or embedded in a hosted sparse file): which extent files hold a
// disk's bytes and which parent a delta names. Pure.

export type ExtentType = "FLAT" | "VMFS" | "ZERO" | "SPARSE" | "VMFSSPARSE" | "SESPARSE" | "VMFSRDM" | "VMFSRAW";

export interface VmdkExtent {
  access: string;
  /** Length in 512-byte sectors. */
  sectors: number;
  type: ExtentType;
  /** File name relative to the descriptor (absent for ZERO extents). */
  file?: string;
  /** Byte offset of the extent's data inside its file. */
  fileOffsetBytes: number;
}

export interface VmdkDescriptor {
  createType: string;
  /** Content ID; a delta's parentCID names its parent's. */
  cid: string;
  /** "ffffffff" for a disk without parent. */
  parentCID: string;
  /** The parent's file name as the delta records it (relative to the delta's directory on ESXi). */
  parentFileNameHint?: string;
  extents: VmdkExtent[];
}

const SECTOR = 512;
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?/;

/** Parses a descriptor; text after the first NUL is padding (qemu-img pads to 512 bytes). */
export function parseVmdkDescriptor(raw: string): VmdkDescriptor {
  const nul = raw.indexOf("\0");
  const body = nul >= 0 ? raw.slice(0, nul) : raw;
  const out: VmdkDescriptor = { createType: "", cid: "", parentCID: "ffffffff", extents: [] };
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const kv = /^(\w+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (kv) {
      if (kv[1] === "createType") out.createType = kv[2];
      if (kv[1] === "CID") out.cid = kv[2].toLowerCase();
      if (kv[1] === "parentCID") out.parentCID = kv[2].toLowerCase();
      if (kv[1] === "parentFileNameHint") out.parentFileNameHint = kv[2];
      continue;
    }
    const ext = EXTENT_LINE.exec(line);
    if (ext) {
      out.extents.push({
        access: ext[1],
        sectors: Number(ext[2]),
        type: ext[3].toUpperCase() as ExtentType,
        file: ext[4],
        fileOffsetBytes: Number(ext[5] ?? 0) * SECTOR,
      });
    }
  }
  return out;
}

export type VmdkFileKind = "descriptor" | "hostedSparse" | "cowd";

/** What a VMDK file's first bytes say it is: a text descriptor, a hosted sparse file ("KDMV") or a vmfsSparse extent ("COWD"). */
export function vmdkFileKind(head: Uint8Array): VmdkFileKind {
  const magic = String.fromCharCode(...head.subarray(0, 4));
  if (magic === "KDMV") return "hostedSparse";
  if (magic === "COWD") return "cowd";
  return "descriptor";
}

/**
 * The descriptor embedded in a hosted sparse (KDMV) header: descriptorOffset and descriptorSize are
 * little-endian sector counts at bytes 28 and 36. Returns undefined when the head does not hold it.
 */
export function embeddedDescriptor(head: Uint8Array): string | undefined {
  if (head.length < 44) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const offset = Number(view.getBigUint64(28, true)) * SECTOR;
  const size = Number(view.getBigUint64(36, true)) * SECTOR;
  if (offset === 0 || size === 0 || offset + size > head.length) return undefined;
  return Buffer.from(head.subarray(offset, offset + size)).toString("latin1");
}

export interface ExtentSlice {
  extent: VmdkExtent;
  /** Byte offset inside the extent's file. */
  fileOffset: number;
  length: number;
}

/** Splits the guest byte range [offset, offset+length) into per-extent reads. Pure. */
export function sliceExtents(extents: VmdkExtent[], offset: number, length: number): ExtentSlice[] {
  const out: ExtentSlice[] = [];
  let start = 0;
  let pos = offset;
  const end = offset + length;
  for (const extent of extents) {
    const size = extent.sectors * SECTOR;
    const extentEnd = start + size;
    if (pos < extentEnd && pos < end) {
      const take = Math.min(extentEnd, end) - pos;
      out.push({ extent, fileOffset: extent.fileOffsetBytes + (pos - start), length: take });
      pos += take;
    }
    start = extentEnd;
    if (pos >= end) break;
  }
  return out;
}

export function descriptorCapacityBytes(descriptor: VmdkDescriptor): number {
  return descriptor.extents.reduce((sum, e) => sum + e.sectors * SECTOR, 0);
}
