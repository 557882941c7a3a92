// CuttingOver (warm mode), with one lease of the source and target providers for all of it: the source is shut
// down (ACPI, then power off after the provider's grace), the last changes are copied from a final snapshot of
// the powered-off VM into the staging file and the target-format image (precopy.ts: each chunk written is read
// back from both against its source digest; everything else was verified by the earlier precopies), and the
// disks go on to Converting (nothing left to convert) and Importing (a rename); the snapshots are removed and
// change tracking put back as it was once the target VM runs (phase-create.ts), outside the downtime. A disk's whole-image sha256 is then taken after the target VM runs, from
// the raw staging file (staging-sha256.ts, ADR 0019) — except when the target image is raw, `verifySource:
// reread` is asked, or the guest may be converted: then the image is read back in full here (its sha256, each
// chunk against its source digest; a chunk that fails is read again from the final snapshot, then must pass).
// Intent is recorded before each effect (cutover start and that the migration powers the VM off, then when it
// was off), so a crash resumes the cutover from the first step not recorded.
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceProvider, TargetProvider } from "../../providers/contract.ts";
import { sourceDiskFor } from "./decide.ts";
import { hashesAfterStart } from "./decide-warm.ts";
import { convertsGuestOn } from "./guest-plan.ts";
import { stagingDir, stagingFile } from "./plan.ts";
import { type DiskCopy, lazyReader, precopySession, refreshFromSource, runPrecopyWith, targetImageFile } from "./precopy.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";

const nowISO = () => new Date().toISOString();

export async function cutover(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  let current = m;
  if (!current.status?.cutover) {
    current = await ctx.patch((s) => {
      s.cutover = { startedAt: nowISO() };
      s.source = { ...(s.source ?? {}), poweredOffByMigration: s.source?.powerStateBefore === "poweredOn" };
      delete s.nextPrecopyAt;
    });
  }
  current = await withProviders(ctx.deps, current, async (providers) => {
    const { source, target } = providers;
    if (!current.status?.cutover?.sourceOffAt) {
      const vm = await sourceVMOf(source, current);
      await source.prepareExport(vm, { mode: "cold" });
      current = await ctx.patch((s) => {
        s.cutover = { startedAt: s.cutover?.startedAt ?? nowISO(), sourceOffAt: nowISO() };
      });
    }
    const last = current.status?.precopies?.at(-1);
    if (!last?.final) current = await runPrecopyWith(ctx, current, (last?.index ?? -1) + 1, true, providers);
    else if (!last.completedAt) current = await runPrecopyWith(ctx, current, last.index, true, providers);
    return verifyDisks(ctx, current, source, target);
  });
  return ctx.enter("Converting", `source off since ${current.status?.cutover?.sourceOffAt}; converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
}

/**
 * Every disk's finished target image against its source digests. By default only the chunks not marked verified
 * since they were last written are read back (normally none: the final precopy checked what it wrote), and the
 * sha256 comes later from the staging file (hashesAfterStart). Otherwise the image is read back in full: its
 * sha256 (recorded as the disk's) and each chunk. A chunk that fails either check is read again from the final
 * snapshot (staging file, verified, then the image) and checked again; it must then pass.
 */
async function verifyDisks(ctx: StepContext, m: VMMigration, source: SourceProvider, target: TargetProvider): Promise<VMMigration> {
  const final = m.status?.precopies?.at(-1);
  if (!final?.final) throw new Error("cutover: the final precopy is not recorded");
  let current = m;
  const storage = await target.ensureStorage();
  const dir = stagingDir(storage.path, m);
  const session = precopySession(m, final);
  for (const [index, disk] of (m.status?.disks ?? []).entries()) {
    if (disk.state === "Transferred") continue;
    const stagingPath = stagingFile(dir, disk);
    const targetImage = targetImageFile(dir, disk);
    const format = disk.targetFormat ?? "qcow2";
    const sourceDisk = sourceDiskFor(session, disk);
    const reader = lazyReader(() => source.openDisk(session, sourceDisk, { scratchDir: dir, signal: ctx.signal }));
    const copy: DiskCopy = { source, session, sourceDisk, reader, disk, stagingPath, targetImage, storage };
    try {
      const guestPossible = convertsGuestOn(m, index) && (await ctx.deps.guest.mayHoldGuest({ path: targetImage, format }, ctx.signal));
      // A target that keeps its volumes as files leaves describeVolume out (contract.ts).
      const at = { targetFormat: format, guestConversionPossible: guestPossible, fileTarget: target.describeVolume === undefined, stagingPool: !disk.pool || disk.pool === storage.pool };
      if (hashesAfterStart(m, at)) {
        const checked = await ctx.deps.disk.verifyImageUnverified({ image: targetImage, format, stagingPath, signal: ctx.signal });
        if (checked.mismatched.length > 0) {
          ctx.log(`${disk.diskID}: ${checked.mismatched.length} chunks of ${targetImage} are not verified against their source digests; reading them again from the final snapshot`);
          await refreshFromSource(ctx, copy, checked.mismatched);
        }
        current = await ctx.patchDisk(disk.diskID, (d) => {
          d.bytesDone = d.sizeBytes;
          d.state = "Transferred";
          delete d.checkpoint;
        });
        ctx.log(`${disk.diskID}: every chunk of ${targetImage} matches its source digest (${checked.checked} read back at cutover); its sha256 is taken from the staging file once the VM runs`);
        continue;
      }
      const sha256 = await readBackInFull(ctx, m, copy, format);
      current = await ctx.patchDisk(disk.diskID, (d) => {
        // The image itself was read back: it is the target before any guest conversion (targetSha256).
        d.sha256 = sha256;
        d.targetSha256 = sha256;
        d.bytesDone = d.sizeBytes;
        d.state = "Transferred";
        delete d.checkpoint;
      });
      ctx.log(`${disk.diskID}: ${targetImage} read back in full, every chunk matches its source digest (${sha256})`);
    } finally {
      await reader.close();
    }
  }
  return current;
}

/** The image read back in full against the source digests (repaired once from the final snapshot); its sha256. */
async function readBackInFull(ctx: StepContext, m: VMMigration, c: DiskCopy, format: string): Promise<string> {
  const check = () => ctx.deps.disk.checkImageChunks({ image: c.targetImage, format, stagingPath: c.stagingPath, signal: ctx.signal });
  let checked = await check();
  const label = c.disk.label ?? c.disk.diskID;
  if (checked.mismatched.length > 0) {
    ctx.log(`${c.disk.diskID}: ${checked.mismatched.length} chunks of ${c.targetImage} differ from their source digests; reading them again from the final snapshot`);
    await refreshFromSource(ctx, c, checked.mismatched);
    checked = await check();
    if (checked.mismatched.length > 0) {
      throw new MigrationFailure("ChecksumMismatch", `disk ${label}: ${checked.mismatched.length} chunks of ${c.targetImage} (first at byte ${checked.mismatched[0]?.start}) still differ from their source digests after being read again; the target storage is unreliable — check it and start a new migration`);
    }
  }
  if (m.spec.options?.verifySource === "reread") {
    const reread = await ctx.deps.disk.readerSha256(await c.reader.get(), ctx.signal);
    if (reread !== checked.sha256) {
      throw new MigrationFailure("SourceChanged", `disk ${label}: the final source state rereads as ${reread}, the copy built from precopies is ${checked.sha256}; changed block tracking missed a change — use mode cold for this VM`);
    }
  }
  return checked.sha256;
}
