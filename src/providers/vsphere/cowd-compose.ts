// Composing a chain of vmfsSparse (COWD) deltas over a flat base without qemu-img: the deltas' grain tables say
// which guest sectors each holds; the topmost delta holding a sector wins, sectors no delta holds come from the
// base. Only the grains the deltas hold are read, so opening a snapshot whose deltas are small costs what they
// hold, not a pass over the whole disk (qemu-img convert + map walk every sector of the disk). The result has
// the shape of the qemu-img composition (chain-disk-reader.ts): a local raw file and per-range sources.
//
// COWD extent layout (little-endian u32s): "COWD", version, flags, numSectors @12, grainSize (sectors) @16,
// gdOffset (sector) @20, numGDEntries @24; the grain directory lists grain-table sectors (0: none), each grain
// table 4096 grain sectors (0: read the parent).
import { type FileHandle, open } from "node:fs/promises";
import { SourceProviderError } from "./errors.ts";

const SECTOR = 512;
const GT_ENTRIES = 4096;

/** Guest bytes [start, end) stored in the extent file from `fileOffset` on. */
export interface Run {
  start: number;
  end: number;
  fileOffset: number;
}

/** Coalesced runs from a grain map: grain i of `grainBytes` at file sector sectors[i] (0: not held). Pure. */
export function runsFromGrains(grains: ArrayLike<number>, firstGrain: number, grainBytes: number, into: Run[] = []): Run[] {
  for (let i = 0; i < grains.length; i++) {
    if (grains[i] === 0) continue;
    const start = (firstGrain + i) * grainBytes;
    const fileOffset = grains[i] * SECTOR;
    const last = into.at(-1);
    if (last && last.end === start && last.fileOffset + (last.end - last.start) === fileOffset) last.end += grainBytes;
    else into.push({ start, end: start + grainBytes, fileOffset });
  }
  return into;
}

async function readU32s(fh: FileHandle, position: number, count: number): Promise<Uint32Array> {
  const buf = Buffer.alloc(count * 4);
  const { bytesRead } = await fh.read(buf, 0, buf.length, position);
  if (bytesRead !== buf.length) throw new SourceProviderError("SourceError", `COWD table at ${position} is truncated (${bytesRead} of ${buf.length} bytes)`);
  const values = new Uint32Array(count);
  for (let i = 0; i < count; i++) values[i] = buf.readUInt32LE(i * 4);
  return values;
}

/** The runs one COWD extent holds, sorted and coalesced. */
export async function cowdRuns(path: string): Promise<Run[]> {
  const fh = await open(path);
  try {
    const header = Buffer.alloc(28);
    await fh.read(header, 0, 28, 0);
    if (header.toString("latin1", 0, 4) !== "COWD") throw new SourceProviderError("SourceError", `${path} is not a vmfsSparse (COWD) extent`);
    const grainBytes = header.readUInt32LE(16) * SECTOR;
    const gdSector = header.readUInt32LE(20);
    const gdEntries = header.readUInt32LE(24);
    if (grainBytes === 0) throw new SourceProviderError("SourceError", `${path}: grain size 0`);
    const gd = await readU32s(fh, gdSector * SECTOR, gdEntries);
    const runs: Run[] = [];
    for (let g = 0; g < gdEntries; g++) {
      if (gd[g] === 0) continue;
      runsFromGrains(await readU32s(fh, gd[g] * SECTOR, GT_ENTRIES), g * GT_ENTRIES, grainBytes, runs);
    }
    return runs;
  } finally {
    await fh.close();
  }
}

/** Disjoint sorted pieces of the layers' runs (top first): where layers overlap, the upper one's. Pure. */
export function overlay(layers: Run[][]): Array<Run & { layer: number }> {
  let claimed: Array<Run & { layer: number }> = [];
  layers.forEach((runs, layer) => {
    const pieces: Array<Run & { layer: number }> = [];
    let c = 0;
    for (const r of runs) {
      let at = r.start;
      while (c < claimed.length && claimed[c].end <= at) c++;
      for (let k = c; at < r.end; k++) {
        const next = claimed[k];
        const freeEnd = next && next.start < r.end ? Math.max(at, next.start) : r.end;
        if (freeEnd > at) pieces.push({ start: at, end: freeEnd, fileOffset: r.fileOffset + (at - r.start), layer });
        if (!next || next.start >= r.end) break;
        at = Math.max(at, next.end);
      }
    }
    claimed = [...claimed, ...pieces].sort((a, b) => a.start - b.start);
  });
  return claimed;
}

export interface ComposedSegment {
  start: number;
  end: number;
  source: "local" | "base";
}

/**
 * Writes the deltas' bytes (extent files top first) into `composedPath` at their guest offsets and returns which
 * source serves each range of the disk: "local" (the composed file) or "base".
 */
export async function composeCowdChain(extents: string[], composedPath: string, capacityBytes: number): Promise<ComposedSegment[]> {
  const pieces = overlay(await Promise.all(extents.map(cowdRuns))).filter((p) => p.start < capacityBytes);
  const out = await open(composedPath, "w");
  const files = await Promise.all(extents.map((p) => open(p)));
  try {
    await out.truncate(capacityBytes);
    const buf = Buffer.alloc(1 << 20);
    for (const p of pieces) {
      for (let at = p.start; at < Math.min(p.end, capacityBytes); ) {
        const n = Math.min(buf.length, Math.min(p.end, capacityBytes) - at);
        const { bytesRead } = await files[p.layer].read(buf, 0, n, p.fileOffset + (at - p.start));
        if (bytesRead !== n) throw new SourceProviderError("SourceError", `${extents[p.layer]}: grain data at ${p.fileOffset + (at - p.start)} is truncated`);
        await out.write(buf, 0, n, at);
        at += n;
      }
    }
  } finally {
    await Promise.all([out.close(), ...files.map((f) => f.close())]);
  }
  const segments: ComposedSegment[] = [];
  const push = (start: number, end: number, source: ComposedSegment["source"]) => {
    if (end <= start) return;
    const last = segments.at(-1);
    if (last && last.source === source && last.end === start) last.end = end;
    else segments.push({ start, end, source });
  };
  let at = 0;
  for (const p of pieces) {
    push(at, p.start, "base");
    push(p.start, Math.min(p.end, capacityBytes), "local");
    at = Math.min(p.end, capacityBytes);
  }
  push(at, capacityBytes, "base");
  return segments;
}
