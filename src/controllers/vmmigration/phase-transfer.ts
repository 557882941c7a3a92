// Transferring: each disk is read from the recorded export session into a staging file named after the
// migration's UID and the disk, resuming from its checkpoint when that file is still there (copy-disk.ts). A
// checkpoint counts only once its status write is done (onProgress returns that write; the transfer awaits it).
// The disks of one migration transfer at once, each holding one of the server-wide transfer slots
// (`serve --max-transfers`); the first disk to fail stops the others. From a snapshot whose disks the source can
// describe, only the allocated areas are read (copy-disk.ts). A disk whose transfer ends while a sibling still
// transfers is converted and read back right away, out of its slot (phase-convert.ts convertDisk, decide.ts
// convertsOnArrival): its conversion overlaps the others' transfers instead of waiting for the slowest one.
import type { MigrationDisk, VMMigration } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import type { SourceProvider, TargetStorage } from "../../providers/contract.ts";
import { runTogether } from "../../runtime/together.ts";
import { copyWholeDisk } from "./copy-disk.ts";
import { exportSessionOf, sourceDiskFor } from "./decide.ts";
import { convertDisk, convertSite } from "./phase-convert.ts";
import { stagingFile } from "./plan.ts";
import { type StepContext, withProviders } from "./step-context.ts";
import { disksToTransfer } from "./steps.ts";

export async function transfer(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const converting = `converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`;
  let entered: VMMigration | undefined;
  await withProviders(ctx.deps, m, async ({ source, target }) => {
    const site = await convertSite(m, target);
    await ensureConfinedDir(site.dir, site.storage.path);
    const disks = disksToTransfer(m.status?.disks ?? []);
    let transferring = disks.length;
    await runTogether(
      ctx.signal,
      disks.map((disk) => async (signal: AbortSignal) => {
        const transferred = await ctx.deps.transferSlots.run(signal, () => transferOne(ctx, m, disk, { source, storage: site.storage, dir: site.dir, signal }));
        transferring--;
        // The migration's phase is its slowest disk's: Converting once no disk transfers any more, even while a
        // sibling that arrived earlier is still converting here.
        if (transferring === 0) {
          entered = await ctx.enter("Converting", converting);
          return;
        }
        const arrived = transferred.status?.disks?.find((d) => d.diskID === disk.diskID);
        if (arrived) await convertDisk({ ...ctx, signal }, transferred, arrived, { ...site, last: false, onArrival: true });
      }),
    );
  });
  // What the conversions on arrival recorded after Converting was entered is in the store, not in `entered`.
  return entered ? ctx.deps.store.get<VMMigration>("VMMigration", ctx.ns, ctx.name) : ctx.enter("Converting", converting);
}

/** Transfers one disk into its staging file and records it Transferred; returns the migration as that write left it. */
async function transferOne(ctx: StepContext, m: VMMigration, disk: MigrationDisk, at: { source: SourceProvider; storage: TargetStorage; dir: string; signal: AbortSignal }): Promise<VMMigration> {
  const session = exportSessionOf(m);
  const sourceDisk = sourceDiskFor(session, disk);
  const opened = await at.source.openDisk(session, sourceDisk, { scratchDir: at.dir, signal: at.signal });
  try {
    const bandwidthMiBps = m.spec.options?.bandwidthMiBps;
    const copy = { source: at.source, session, sourceDisk, reader: opened, disk, path: stagingFile(at.dir, disk), storage: at.storage, signal: at.signal };
    const result = await copyWholeDisk(ctx, { ...copy, ...(bandwidthMiBps ? { bandwidthMiBps } : {}) });
    return await ctx.patchDisk(
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
