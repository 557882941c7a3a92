// Transferring: each disk is read from the recorded export session into a staging file named after the
// migration's UID and the disk, resuming from its checkpoint when that file is still there. A checkpoint counts
// only once its status write is done (onProgress returns that write; the transfer awaits it).
import type { VMMigration } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import { throttledReader } from "../../disk/throttle.ts";
import { exportSessionOf, sourceDiskFor, transferStart } from "./decide.ts";
import { exists } from "./files.ts";
import { stagingDir, stagingFile } from "./plan.ts";
import { outOfSpaceFailure } from "./space.ts";
import { type StepContext, withProviders } from "./step-context.ts";
import { disksToTransfer } from "./steps.ts";

export async function transfer(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  await withProviders(ctx.deps, m, async ({ source, target }) => {
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    await ensureConfinedDir(dir, storage.path);
    const session = exportSessionOf(m);
    for (const disk of disksToTransfer(m.status?.disks ?? [])) {
      const opened = await source.openDisk(session, sourceDiskFor(session, disk), { scratchDir: dir, signal: ctx.signal });
      const limit = m.spec.options?.bandwidthMiBps;
      const reader = limit ? throttledReader(opened, limit * 2 ** 20) : opened;
      const path = stagingFile(dir, disk);
      const resumeFrom = transferStart(disk, await exists(path));
      if (resumeFrom) ctx.log(`resuming ${disk.diskID} at ${resumeFrom.offset}`);
      try {
        await ctx.patchDisk(disk.diskID, (d) => {
          d.state = "Transferring";
        });
        let lastRate: number | undefined;
        const result = await ctx.deps.disk
          .transfer({
            reader,
            stagingPath: path,
            resumeFrom,
            signal: ctx.signal,
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
        await ctx.patchDisk(
          disk.diskID,
          (d) => {
            d.bytesDone = d.sizeBytes;
            d.sha256 = result.sha256;
            if (opened.origin) {
              d.transport = opened.origin.transport;
              d.chain = opened.origin.chain;
            }
            d.state = "Transferred";
            delete d.checkpoint;
          },
          lastRate,
        );
      } finally {
        await reader.close();
      }
    }
  });
  return ctx.enter("Converting", `converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
}
