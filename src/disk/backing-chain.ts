// The whole backing chain of an image landfall reads, defines, clones or grows must lie in the sandbox (the
// storage roots): a qcow2 in the pool whose backing file is /dev/sda or /etc/shadow would otherwise hand those
// bytes to a guest, a checksum or a copy. Every file the chain names is judged — symlinks followed — before
// anything opens it:
//
// - one level at a time: `qemu-img info -U` without --backing-chain names a level's backing file and data file
//   without opening them (BDRV_O_NO_BACKING); each name is judged before the next level is inspected. Letting
//   `qemu-img info --backing-chain` walk the chain would open every backing file first and judge afterwards.
// - a VMDK's extents are opened by `qemu-img info` itself (they are the image, not a backing file), so the
//   descriptor is parsed here and its extents judged before qemu-img sees the file (image-header.ts).
// - a level whose backing format is not recorded is sniffed from its magic by landfall (image-header.ts), never
//   probed by qemu, which would open VMDK extents while probing.
// - names qemu would treat as protocols (nbd:, json:{…}, https://) are refused: only files are judged.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { type Confinement, resolveConfined, type StorageRoots } from "./confinement.ts";
import { imageInfo } from "./convert.ts";
import { DESCRIPTOR_MAX_BYTES, embeddedDescriptorRange, MAGIC_BYTES, sniffFormat, vmdkReferences } from "./image-header.ts";

/** Deeper chains than this are refused (qemu's own limit is higher; no landfall image needs more). */
export const MAX_CHAIN_DEPTH = 16;

/** A file name qemu would open through a protocol driver instead of as a local file. */
export function isProtocolName(name: string): boolean {
  return name.startsWith("json:") || /^[A-Za-z0-9+.-]+:/.test(name.split("/")[0] ?? "");
}

export interface ChainVerdict extends Confinement {
  /** Every file of the chain, resolved, top image first (on refusal: those judged so far). */
  files: string[];
  /** The top image's format as its magic says (landfall's sniff, never qemu's probe); absent when it does not exist. */
  sniffedFormat?: string;
}

/**
 * Judges `written` (the path a user or a domain gave, in `format`) and every file its chain names. A file that
 * does not exist yet passes when its path is confined (nothing reads it). `field` names what was written.
 */
export async function confineImageChain(field: string, written: string, format: string | undefined, storage: StorageRoots): Promise<ChainVerdict> {
  const top = await resolveConfined(field, written, storage);
  if (!top.ok) return { ...top, files: [] };
  const files: string[] = [];
  let current = top.resolved;
  let currentFormat = format;
  let sniffedFormat: string | undefined;
  for (let depth = 0; ; depth++) {
    const head = await readBytes(current, 0, MAGIC_BYTES);
    if (head === undefined) return depth === 0 ? { ...top, files } : refuse(top, files, `${field} "${written}": backing file "${current}" does not exist`);
    files.push(current);
    if (depth >= MAX_CHAIN_DEPTH) return refuse(top, files, `${field} "${written}": backing chain is deeper than ${MAX_CHAIN_DEPTH} levels`);
    if (depth === 0) sniffedFormat = sniffFormat(head);
    const level = currentFormat ?? sniffFormat(head);
    const of = depth === 0 ? `${field} "${written}"` : `${field} "${written}" (chain level "${current}")`;
    // Names the image itself holds, judged before qemu-img opens it (VMDK extents are opened by info).
    if (level === "vmdk") {
      const refs = await vmdkDescriptorReferences(current, head);
      for (const extent of refs.extents) {
        const v = await judgeName(`${of} extent`, extent, current, storage);
        if (!v.ok) return refuse(top, files, v.message as string);
      }
    }
    const info = await imageInfo(current, { format: level });
    if (info.dataFile) {
      const v = await judgeName(`${of} data file`, info.dataFile, current, storage);
      if (!v.ok) return refuse(top, files, v.message as string);
    }
    if (!info.backingFile) return { ...top, files, ...(sniffedFormat ? { sniffedFormat } : {}) };
    const backing = await judgeName(`${of} backing file`, info.backingFile, current, storage);
    if (!backing.ok) return refuse(top, files, backing.message as string);
    if (files.includes(backing.resolved)) return refuse(top, files, `${of}: backing chain loops back to "${backing.resolved}"`);
    current = backing.resolved;
    currentFormat = info.backingFormat;
  }
}

function refuse(top: Confinement, files: string[], message: string): ChainVerdict {
  return { ok: false, resolved: top.resolved, message, files };
}

/** Judges a name an image holds; relative names are relative to that image's directory, as qemu reads them. */
async function judgeName(what: string, name: string, image: string, storage: StorageRoots): Promise<Confinement> {
  if (isProtocolName(name)) {
    return { ok: false, resolved: name, message: `${what} "${name}" is not a local file; landfall only uses images whose whole chain lies in storage pool "${storage.pool}" (${storage.roots.join(", ")})` };
  }
  const absolute = path.resolve(path.dirname(image), name);
  return resolveConfined(what, absolute, storage);
}

async function vmdkDescriptorReferences(file: string, head: Buffer) {
  const embedded = embeddedDescriptorRange(head);
  if (embedded) return vmdkReferences((await readBytes(file, embedded.offset, embedded.length)) ?? Buffer.alloc(0));
  if (head.subarray(0, 4).toString("latin1") === "COWD") return { extents: [] };
  return vmdkReferences((await readBytes(file, 0, DESCRIPTOR_MAX_BYTES)) ?? Buffer.alloc(0));
}

/** Up to `length` bytes at `offset`; undefined when the file does not exist. Opened O_NOFOLLOW: the path is already resolved. */
async function readBytes(file: string, offset: number, length: number): Promise<Buffer | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
