// Transferring: each disk is read from the recorded export session into a staging file named after the
// migration's UID and the disk, resuming from its checkpoint when that file is still there (copy-disk.ts). A
// checkpoint counts only once its status write is done (onProgress returns that write; the transfer awaits it).
// The disks of one migration transfer at once, each holding one of the server-wide transfer slots
// (`serve --max-transfers`); the first disk to fail stops the others. From a snapshot whose disks the source can
// describe, only the allocated areas are read (copy-disk.ts).
import type { MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import type { SourceProvider, TargetStorage } from "../../providers/contract.ts";
import { runTogether } from "../../runtime/together.ts";
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
    const disks = disksToTransfer(m.status?.disks ?? []);
    await runTogether(
      ctx.signal,
      disks.map((disk) => (signal: AbortSignal) => ctx.deps.transferSlots.run(signal, () => transferOne(ctx, m, disk, { source, storage, dir, signal }))),
    );
  });
  return ctx.enter("Converting", `converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
}

async function transferOne(ctx: StepContext, m: VMMigration, disk: MigrationDisk, at: { source: SourceProvider; storage: TargetStorage; dir: string; signal: AbortSignal }): Promise<void> {
  const session = exportSessionOf(m);
  const sourceDisk = sourceDiskFor(session, disk);
  const opened = await at.source.openDisk(session, sourceDisk, { scratchDir: at.dir, signal: at.signal });
  try {
    const bandwidthMiBps = m.spec.options?.bandwidthMiBps;
    const copy = { source: at.source, session, sourceDisk, reader: opened, disk, path: stagingFile(at.dir, disk), storage: at.storage, signal: at.signal };
    const result = await copyWholeDisk(ctx, { ...copy, ...(bandwidthMiBps ? { bandwidthMiBps } : {}) });
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
