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
 * Areas are clipped to the disk, so a source that reports one past its end never makes a read past it. Holds only
 * the merged areas (a fragmented 2 TiB disk reports about a million) and finds a chunk's by binary search.
 */
export function areasByChunk(areas: ReadonlyArray<Area>, chunkBytes: number, size: number): (index: number) => Array<{ start: number; end: number }> {
  const merged = mergeAreas(areas);
  return (index) => {
    const chunkStart = index * chunkBytes;
    const chunkEnd = Math.min(chunkStart + chunkBytes, size);
    if (chunkEnd <= chunkStart) return [];
    // The first area that ends after the chunk starts.
    let lo = 0;
    for (let hi = merged.length; lo < hi; ) {
      const mid = (lo + hi) >>> 1;
      const a = merged[mid] as Area;
      if (a.start + a.length <= chunkStart) lo = mid + 1;
      else hi = mid;
    }
    const parts: Array<{ start: number; end: number }> = [];
    for (let i = lo; i < merged.length; i++) {
      const a = merged[i] as Area;
      if (a.start >= chunkEnd) break;
      parts.push({ start: Math.max(a.start, chunkStart) - chunkStart, end: Math.min(a.start + a.length, chunkEnd) - chunkStart });
    }
    return parts;
  };
}
