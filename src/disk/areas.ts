// Byte-range arithmetic for changed areas ({start, length} of a disk): one implementation, used by the vSphere
// provider (QueryChangedDiskAreas answers) and by warm migration's in-place writes.

export interface Area {
  start: number;
  length: number;
}

/** Areas sorted, with empty ones dropped and overlapping or adjacent ones joined. Pure. */
export function mergeAreas(areas: ReadonlyArray<Area>): Area[] {
  const out: Area[] = [];
  for (const a of [...areas].filter((x) => x.length > 0).sort((x, y) => x.start - y.start)) {
    const last = out.at(-1);
    if (last && a.start <= last.start + last.length) last.length = Math.max(last.length, a.start + a.length - last.start);
    else out.push({ start: a.start, length: a.length });
  }
  return out;
}

const SECTOR = 512;

/** An area widened to whole 512-byte sectors, within `sizeBytes`. Pure. */
export function sectorAligned(a: Area, sizeBytes: number): Area {
  const start = Math.floor(a.start / SECTOR) * SECTOR;
  const end = Math.min(Math.ceil((a.start + a.length) / SECTOR) * SECTOR, sizeBytes);
  return { start, length: Math.max(0, end - start) };
}

/**
 * For each chunk, the parts of `areas` within it (relative to the chunk): a function of the chunk index. Pure.
 * Areas are clipped to the disk, so a source that reports one past its end never makes a read past it.
 */
export function areasByChunk(areas: ReadonlyArray<Area>, chunkBytes: number, size: number): (index: number) => Array<{ start: number; end: number }> {
  const byChunk = new Map<number, Array<{ start: number; end: number }>>();
  for (const { start, length } of mergeAreas(areas)) {
    const end = Math.min(start + length, size);
    for (let at = Math.max(0, start); at < end; ) {
      const index = Math.floor(at / chunkBytes);
      const chunkStart = index * chunkBytes;
      const upTo = Math.min(end, chunkStart + chunkBytes);
      const list = byChunk.get(index) ?? [];
      const last = list.at(-1);
      if (last && last.end >= at - chunkStart) last.end = Math.max(last.end, upTo - chunkStart);
      else list.push({ start: at - chunkStart, end: upTo - chunkStart });
      byChunk.set(index, list);
      at = upTo;
    }
  }
  return (index) => byChunk.get(index) ?? [];
}
