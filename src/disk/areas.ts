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
