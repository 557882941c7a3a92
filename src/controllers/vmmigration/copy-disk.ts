// Copying one whole source disk into its staging file, resuming from the disk's checkpoint when the staging
// file it wrote is still there; progress and checkpoints go to status as the transfer reports them. Used by
// Transferring (cold and snapshot modes) and by a warm migration's precopy 0. From a disk the source can describe
// (vSphere with changed block tracking on: a snapshot's, or a powered-off VM's), only the areas it reports
// allocated are read.
import type { MigrationDisk } from "../../api/vmmigration.ts";
import { throttledReader } from "../../disk/throttle.ts";
import type { ChangedArea, DiskReader, ExportSession, SourceDisk, SourceProvider, TargetStorage } from "../../providers/contract.ts";
import { transferStart } from "./decide.ts";
import { exists } from "./files.ts";
import { outOfSpaceFailure } from "./space.ts";
import type { StepContext } from "./step-context.ts";

export interface CopiedDisk {
  sha256: string;
  /** Bytes read from the source (less than the disk's size when it reported what is allocated). */
  bytesRead: number;
  lastRate?: number;
}

export interface WholeDiskCopy {
  /** The disk as the export session reads it, opened (`reader`): its allocation is asked of both (sourceAllocation). */
  source: SourceProvider;
  session: ExportSession;
  sourceDisk: SourceDisk;
  reader: DiskReader;
  disk: MigrationDisk;
  path: string;
  storage: TargetStorage;
  bandwidthMiBps?: number;
  signal?: AbortSignal;
}

/**
 * The areas of `disk` that hold data: as the source reports them for the export's snapshot, or for a cold export's
 * powered-off disk as it stands (vSphere: QueryChangedDiskAreas with changeId "*", which needs changed block
 * tracking on), else as the opened reader knows them (a disk composed from downloaded layers), else undefined —
 * and then every byte is read.
 */
export async function sourceAllocation(ctx: StepContext, source: SourceProvider, session: ExportSession, disk: SourceDisk, reader: DiskReader): Promise<ChangedArea[] | undefined> {
  const said = (areas: ChangedArea[], who: string) => {
    const bytes = areas.reduce((sum, a) => sum + a.length, 0);
    ctx.log(`${disk.label}: ${who} ${bytes} of ${disk.capacityBytes} bytes allocated; only those are read`);
    return areas;
  };
  if (source.queryChangedAreas) {
    try {
      return said(await source.queryChangedAreas(session, disk, "*"), "the source reports");
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.log(`${disk.label}: the source does not report allocation (${(err as Error).message})`);
    }
  }
  if (!reader.allocatedAreas) return undefined;
  try {
    return said(await reader.allocatedAreas(ctx.signal), "the layers read hold");
  } catch (err) {
    ctx.signal.throwIfAborted();
    ctx.log(`${disk.label}: the layers' allocation is unknown (${(err as Error).message}); every byte is read`);
    return undefined;
  }
}

export async function copyWholeDisk(ctx: StepContext, copy: WholeDiskCopy): Promise<CopiedDisk> {
  const { disk, path, storage, bandwidthMiBps, signal = ctx.signal } = copy;
  const allocated = await sourceAllocation(ctx, copy.source, copy.session, copy.sourceDisk, copy.reader);
  const reader = bandwidthMiBps ? throttledReader(copy.reader, bandwidthMiBps * 2 ** 20) : copy.reader;
  const resumeFrom = transferStart(disk, await exists(path));
  if (resumeFrom) ctx.log(`resuming ${disk.diskID} at ${resumeFrom.offset}`);
  await ctx.patchDisk(disk.diskID, (d) => {
    d.state = "Transferring";
    // What the transfer is about to read: the allocated bytes, or nothing when it reads every byte.
    if (allocated) d.allocatedBytes = allocated.reduce((sum, a) => sum + a.length, 0);
    else delete d.allocatedBytes;
  });
  let lastRate: number | undefined;
  const result = await ctx.deps.disk
    .transfer({
      reader,
      stagingPath: path,
      ...(allocated ? { allocated } : {}),
      resumeFrom,
      signal,
      onProgress: async (p) => {
        lastRate = p.bytesPerSecond;
        await ctx.patchDisk(
          disk.diskID,
          (d) => {
            d.bytesDone = p.bytesDone;
            if (p.checkpointOffset !== undefined) d.checkpoint = { offset: p.checkpointOffset };
          },
          lastRate,
        );
      },
    })
    .catch((err: unknown) => {
      throw outOfSpaceFailure(err, storage, disk);
    });
  if (resumeFrom) {
    ctx.log(`${disk.diskID} resumed: ${result.verifiedChunks ?? 0} chunks verified against their source digests, ${result.rereadChunks ?? 0} read again from the source`);
  }
  return { sha256: result.sha256, bytesRead: result.bytesRead ?? disk.sizeBytes, ...(lastRate !== undefined ? { lastRate } : {}) };
}
