// Transferring: each disk is read from the recorded export session into a staging file named after the
// migration's UID and the disk, resuming from its checkpoint when that file is still there (copy-disk.ts). A
// checkpoint counts only once its status write is done (onProgress returns that write; the transfer awaits it).
import type { VMMigration } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import { copyWholeDisk } from "./copy-disk.ts";
import { exportSessionOf, sourceDiskFor } from "./decide.ts";
import { stagingDir, stagingFile } from "./plan.ts";
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
      try {
        const result = await copyWholeDisk(ctx, opened, disk, stagingFile(dir, disk), storage, m.spec.options?.bandwidthMiBps);
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
          result.lastRate,
        );
      } finally {
        await opened.close();
      }
    }
  });
  return ctx.enter("Converting", `converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
}
