// Copying one whole source disk into its staging file, resuming from the disk's checkpoint when the staging
// file it wrote is still there; progress and checkpoints go to status as the transfer reports them. Used by
// Transferring (cold and snapshot modes) and by a warm migration's precopy 0.
import type { MigrationDisk } from "../../api/vmmigration.ts";
import { throttledReader } from "../../disk/throttle.ts";
import type { DiskReader, TargetStorage } from "../../providers/contract.ts";
import { transferStart } from "./decide.ts";
import { exists } from "./files.ts";
import { outOfSpaceFailure } from "./space.ts";
import type { StepContext } from "./step-context.ts";

export interface CopiedDisk {
  sha256: string;
  lastRate?: number;
}

export async function copyWholeDisk(
  ctx: StepContext,
  opened: DiskReader,
  disk: MigrationDisk,
  path: string,
  storage: TargetStorage,
  bandwidthMiBps?: number,
  signal: AbortSignal = ctx.signal,
): Promise<CopiedDisk> {
  const reader = bandwidthMiBps ? throttledReader(opened, bandwidthMiBps * 2 ** 20) : opened;
  const resumeFrom = transferStart(disk, await exists(path));
  if (resumeFrom) ctx.log(`resuming ${disk.diskID} at ${resumeFrom.offset}`);
  await ctx.patchDisk(disk.diskID, (d) => {
    d.state = "Transferring";
  });
  let lastRate: number | undefined;
  const result = await ctx.deps.disk
    .transfer({
      reader,
      stagingPath: path,
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
  return { sha256: result.sha256, ...(lastRate !== undefined ? { lastRate } : {}) };
}
