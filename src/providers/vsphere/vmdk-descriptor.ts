// VMDK text descriptors: which extent files hold a disk's bytes. Pure.
// Only raw extents (FLAT, VMFS, ZERO) can be read byte-for-byte over the datastore file API; sparse formats
// need a VMDK decoder or an NFC export and are refused with NotSupported.
import { SourceProviderError } from "./errors.ts";

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
  parentCID: string;
  extents: VmdkExtent[];
}

const SECTOR = 512;
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?/;

/** Parses a descriptor; text after the first NUL is padding (qemu-img pads to 512 bytes). */
export function parseVmdkDescriptor(raw: string): VmdkDescriptor {
  const nul = raw.indexOf("\0");
  const body = nul >= 0 ? raw.slice(0, nul) : raw;
  const out: VmdkDescriptor = { createType: "", parentCID: "ffffffff", extents: [] };
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const kv = /^(\w+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (kv) {
      if (kv[1] === "createType") out.createType = kv[2];
      if (kv[1] === "parentCID") out.parentCID = kv[2].toLowerCase();
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

/** True when the data looks like a text descriptor rather than a binary sparse header ("KDMV" / "COWD"). */
export function looksLikeDescriptor(head: Uint8Array): boolean {
  const magic = String.fromCharCode(...head.subarray(0, 4));
  return magic !== "KDMV" && magic !== "COWD";
}

/** Checks that every extent can be read as raw bytes and that the disk has no parent; throws NotSupported naming the file. */
export function assertRawReadable(descriptor: VmdkDescriptor, fileName: string): void {
  if (descriptor.parentCID !== "ffffffff") {
    throw new SourceProviderError(
      "NotSupported",
      `disk ${fileName} is a delta disk (parentCID ${descriptor.parentCID}); read the base disk or a snapshot's backing instead`,
    );
  }
  if (descriptor.extents.length === 0) {
    throw new SourceProviderError("NotSupported", `disk ${fileName}: descriptor lists no extents (createType "${descriptor.createType}")`);
  }
  for (const e of descriptor.extents) {
    if (e.type !== "FLAT" && e.type !== "VMFS" && e.type !== "ZERO") {
      throw new SourceProviderError(
        "NotSupported",
        `disk ${fileName} has a ${e.type} extent${e.file ? ` "${e.file}"` : ""} (createType "${descriptor.createType}"): ` +
          "only flat VMDKs can be read over the datastore file API; a sparse disk needs an NFC export",
      );
    }
  }
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
