// CuttingOver (warm mode): the source is shut down (ACPI, then power off after the provider's grace), the last
// changes are copied from a final snapshot of the powered-off VM into the staging file and the target-format
// image (precopy.ts: only the chunks written since their last verification are read back), each finished image
// is read back once in full — its sha256, each chunk against its source digest (a chunk that fails is read again
// from the final snapshot, then must pass) —, `verifySource: reread` also rereads the frozen final state in full,
// the snapshots are removed, change tracking is put back as it was, and the disks go on to Converting (nothing
// left to convert) and Importing (a rename). Intent is recorded before each effect (cutover start and that the
// migration powers the VM off, then when it was off), so a crash resumes the cutover from the first step not
// recorded.
import type { VMMigration } from "../../api/vmmigration.ts";
import { sourceDiskFor } from "./decide.ts";
import { stagingDir, stagingFile } from "./plan.ts";
import { lazyReader, precopySession, refreshFromSource, removeStaleSnapshots, runPrecopy, targetImageFile } from "./precopy.ts";
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
  if (!current.status?.cutover?.sourceOffAt) {
    await withProviders(ctx.deps, current, async ({ source }) => {
      const vm = await sourceVMOf(source, current);
      await source.prepareExport(vm, { mode: "cold" });
    });
    current = await ctx.patch((s) => {
      s.cutover = { startedAt: s.cutover?.startedAt ?? nowISO(), sourceOffAt: nowISO() };
    });
  }
  const precopies = current.status?.precopies ?? [];
  const last = precopies.at(-1);
  if (!last?.final) current = await runPrecopy(ctx, current, (last?.index ?? -1) + 1, true);
  else if (!last.completedAt) current = await runPrecopy(ctx, current, last.index, true);
  current = await verifyDisks(ctx, current);
  current = await withProviders(ctx.deps, current, async ({ source }) => {
    const after = await removeStaleSnapshots(ctx, source, current);
    if (after.status?.source?.changeTrackingBefore === false && after.status.source.vmID) await source.setChangeTracking?.(after.status.source.vmID, false);
    return after;
  });
  return ctx.enter("Converting", `source off since ${current.status?.cutover?.sourceOffAt}; converting disks to ${m.spec.options?.diskFormat ?? "qcow2"}`);
}

/**
 * Every disk's finished target image, read back once in full: its sha256 (recorded as the disk's), and each of
 * its chunks against the source digests. A chunk that fails is read again from the final snapshot (staging file,
 * verified, then the image) and the image read back again; it must then pass. The final precopy already
 * verified the staging chunks it wrote, so nothing else of the disk's size is done here.
 */
async function verifyDisks(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const final = m.status?.precopies?.at(-1);
  if (!final?.final) throw new Error("cutover: the final precopy is not recorded");
  let current = m;
  await withProviders(ctx.deps, m, async ({ source, target }) => {
    const storage = await target.ensureStorage();
    const dir = stagingDir(storage.path, m);
    const session = precopySession(m, final);
    for (const disk of m.status?.disks ?? []) {
      if (disk.state === "Transferred") continue;
      const stagingPath = stagingFile(dir, disk);
      const targetImage = targetImageFile(dir, disk);
      const format = disk.targetFormat ?? "qcow2";
      const check = () => ctx.deps.disk.checkImageChunks({ image: targetImage, format, stagingPath, signal: ctx.signal });
      let checked = await check();
      const needsSource = checked.mismatched.length > 0 || m.spec.options?.verifySource === "reread";
      if (needsSource) {
        const sourceDisk = sourceDiskFor(session, disk);
        const reader = lazyReader(() => source.openDisk(session, sourceDisk, { scratchDir: dir, signal: ctx.signal }));
        try {
          if (checked.mismatched.length > 0) {
            ctx.log(`${disk.diskID}: ${checked.mismatched.length} chunks of ${targetImage} differ from their source digests; reading them again from the final snapshot`);
            await refreshFromSource(ctx, { source, session, sourceDisk, reader, disk, stagingPath, targetImage, storage }, checked.mismatched);
            checked = await check();
            if (checked.mismatched.length > 0) {
              throw new MigrationFailure("ChecksumMismatch", `disk ${disk.label ?? disk.diskID}: ${checked.mismatched.length} chunks of ${targetImage} (first at byte ${checked.mismatched[0]?.start}) still differ from their source digests after being read again; the target storage is unreliable — check it and start a new migration`);
            }
          }
          if (m.spec.options?.verifySource === "reread") {
            const reread = await ctx.deps.disk.readerSha256(await reader.get(), ctx.signal);
            if (reread !== checked.sha256) {
              throw new MigrationFailure("SourceChanged", `disk ${disk.label ?? disk.diskID}: the final source state rereads as ${reread}, the copy built from precopies is ${checked.sha256}; changed block tracking missed a change — use mode cold for this VM`);
            }
          }
        } finally {
          await reader.close();
        }
      }
      current = await ctx.patchDisk(disk.diskID, (d) => {
        // The image itself was read back: it is the target before any guest conversion (targetSha256).
        d.sha256 = checked.sha256;
        d.targetSha256 = checked.sha256;
        d.bytesDone = d.sizeBytes;
        d.state = "Transferred";
        delete d.checkpoint;
      });
      ctx.log(`${disk.diskID}: ${targetImage} read back, ${checked.chunks} chunks match their source digests (${checked.sha256})`);
    }
  });
  return current;
}
