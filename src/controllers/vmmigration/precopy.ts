// One warm-mode precopy, as idempotent steps with identities from the migration's UID and the precopy's index:
// record the precopy (its snapshot's name) → take or find the snapshot, record its id and every disk's changeId
// → per disk not yet done: precopy 0 copies the whole disk (resuming from its checkpoint), verifies every chunk
// and converts it to the target format; a later precopy asks which areas changed since the previous precopy's
// changeId (all of the disk when the source lost that changeId), reads only those from the snapshot's frozen
// disks into the staging file, verifies the chunks it wrote, and writes the same areas into the target-format
// image in place (each chunk written there read back against its source digest and marked verified) → remove the
// older snapshots → record completion. The disks of a precopy run at once within the server's transfer slots.
// A crash anywhere reruns from the first step not recorded; a disk's changed areas are read again only when that
// disk's copy was not recorded as done.
import type { MigrationDisk, Precopy, VMMigration, VMMigrationStatus } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import type { ChangedArea, DiskReader, ExportSession, SourceDisk, SourceProvider, TargetProvider, TargetStorage } from "../../providers/contract.ts";
import { runTogether } from "../../runtime/together.ts";
import { forgetVerified } from "../../disk/chunk-verified.ts";
import { copyWholeDisk } from "./copy-disk.ts";
import { exportDiskRecord, exportSessionOf, sourceDiskFor } from "./decide.ts";
import { precopyIntervalMs, precopySnapshotName, sinceChangeId, staleSnapshots } from "./decide-warm.ts";
import { convertedFile, stagingDir, stagingFile } from "./plan.ts";
import { outOfSpaceFailure } from "./space.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";

const nowISO = () => new Date().toISOString();

function precopyIn(s: VMMigrationStatus, index: number): Precopy {
  const p = s.precopies?.find((x) => x.index === index);
  if (!p) throw new Error(`status.precopies has no precopy ${index}`);
  return p;
}

/** The export session of one precopy's snapshot, from its record (the disks as the snapshot froze them). */
export function precopySession(m: VMMigration, p: Precopy): ExportSession {
  const base = exportSessionOf(m);
  return { ...base, mode: "snapshot", poweredOffByExport: false, snapshotName: p.snapshotName, ...(p.snapshotID ? { snapshotID: p.snapshotID } : {}) };
}

/**
 * Puts a warm migration's source back once the target VM runs: every precopy snapshot removed (each removal
 * recorded) and change tracking switched back off when it was off before. Idempotent.
 */
export async function restoreWarmSource(ctx: StepContext, source: SourceProvider, m: VMMigration): Promise<VMMigration> {
  if (m.spec.options?.mode !== "warm") return m;
  const current = await removeStaleSnapshots(ctx, source, m);
  const before = current.status?.source;
  if (before?.changeTrackingBefore === false && before.vmID) await source.setChangeTracking?.(before.vmID, false);
  return current;
}

/** Removes the snapshots of every precopy but `keep`, recording each removal. */
export async function removeStaleSnapshots(ctx: StepContext, source: SourceProvider, m: VMMigration, keep?: number): Promise<VMMigration> {
  let current = m;
  for (const p of staleSnapshots(m, keep)) {
    await source.finishExport(precopySession(current, p), { restorePower: false });
    current = await ctx.patch((s) => {
      precopyIn(s, p.index).snapshotRemoved = true;
    });
  }
  return current;
}

export async function runPrecopy(ctx: StepContext, m: VMMigration, index: number, final: boolean): Promise<VMMigration> {
  return withProviders(ctx.deps, m, (providers) => runPrecopyWith(ctx, m, index, final, providers));
}

/** One precopy with the providers the caller leased (the cutover holds one lease for all its steps). */
export async function runPrecopyWith(ctx: StepContext, m: VMMigration, index: number, final: boolean, providers: { source: SourceProvider; target: TargetProvider }): Promise<VMMigration> {
  let current = m;
  if (!m.status?.precopies?.some((p) => p.index === index)) {
    current = await ctx.patch((s) => {
      s.precopies = [
        ...(s.precopies ?? []),
        {
          index,
          snapshotName: precopySnapshotName(m, index),
          ...(final ? { final: true } : {}),
          startedAt: nowISO(),
          bytes: 0,
          disks: (s.disks ?? []).map((d) => ({ diskID: d.diskID })),
        },
      ];
      s.message = final ? `cutover: copying the last changes (precopy ${index})` : `precopy ${index}: ${index === 0 ? "full copy" : "copying changed blocks"} while the VM runs`;
    });
  }
  const { source, target } = providers;
  const vm = await sourceVMOf(source, current);
  const record = precopyIn(current.status as VMMigrationStatus, index);
  const session = await source.prepareExport(vm, { mode: "snapshot", snapshotName: record.snapshotName });
  if (!record.snapshotID) {
    current = await ctx.patch((s) => {
      const p = precopyIn(s, index);
      p.snapshotID = session.snapshotID;
      for (const d of p.disks) {
        const disk = s.disks?.find((x) => x.diskID === d.diskID);
        const frozen = session.disks.find((x) => x.key === disk?.key);
        if (frozen?.changeId) d.changeId = frozen.changeId;
      }
      s.source = { ...(s.source ?? {}), exportDisks: session.disks.map(exportDiskRecord) };
    });
  }
  const storage = await target.ensureStorage();
  const dir = stagingDir(storage.path, current);
  await ensureConfinedDir(dir, storage.path);
  const started = Date.parse(precopyIn(current.status as VMMigrationStatus, index).startedAt);
  const open = precopyIn(current.status as VMMigrationStatus, index).disks.filter((d) => !d.done);
  const at = { source, session, storage, dir, vmName: vm.name };
  // The disks of one precopy run at once, each in one of the server's transfer slots; the first to fail stops the others.
  await runTogether(
    ctx.signal,
    (current.status?.disks ?? [])
      .filter((disk) => open.some((d) => d.diskID === disk.diskID))
      .map((disk) => (signal: AbortSignal) => ctx.deps.transferSlots.run(signal, () => precopyDisk({ ...ctx, signal }, current, index, disk, at))),
  );
  current = await ctx.deps.store.get<VMMigration>("VMMigration", ctx.ns, ctx.name);
  // The final precopy (source off) leaves the snapshots to the end of the migration, outside the downtime (phase-create.ts).
  if (!final) current = await removeStaleSnapshots(ctx, source, current, index);
  const completedAt = Date.now();
  current = await ctx.patch((s) => {
    const p = precopyIn(s, index);
    p.completedAt = new Date(completedAt).toISOString();
    p.durationSeconds = (completedAt - started) / 1000;
    if (final) delete s.nextPrecopyAt;
    else s.nextPrecopyAt = new Date(completedAt + precopyIntervalMs(current)).toISOString();
    s.message = `precopy ${index} done: ${p.bytes} bytes in ${p.durationSeconds.toFixed(1)} s`;
  });
  ctx.log(`precopy ${index}${final ? " (final)" : ""}: ${precopyIn(current.status as VMMigrationStatus, index).bytes} bytes`);
  return current;
}

/** One disk of precopy `index`: its changed areas (or all of it) from the snapshot, then its entry recorded done. */
async function precopyDisk(
  ctx: StepContext,
  m: VMMigration,
  index: number,
  disk: MigrationDisk,
  at: { source: SourceProvider; session: ExportSession; storage: TargetStorage; dir: string; vmName: string },
): Promise<void> {
  const { source, session, storage, dir } = at;
  const entry = precopyIn(m.status as VMMigrationStatus, index).disks.find((d) => d.diskID === disk.diskID);
  if (!entry?.changeId) {
    throw new MigrationFailure("ChangeTrackingOff", `precopy ${index}: snapshot ${session.snapshotID} of VM ${at.vmName} carries no changeId for disk ${disk.label ?? disk.diskID}; changed block tracking is off — turn it on (warm mode does) or use mode cold`);
  }
  const sourceDisk = sourceDiskFor(session, disk);
  // Opened only when something is to be read: a precopy with no changes never opens (downloads) the snapshot's disk.
  const reader = lazyReader(() => source.openDisk(session, sourceDisk, { scratchDir: dir, signal: ctx.signal }));
  let bytes: number;
  try {
    const since = sinceChangeId(m, index, disk.diskID);
    const copy = { source, session, sourceDisk, reader, disk, stagingPath: stagingFile(dir, disk), targetImage: targetImageFile(dir, disk), storage };
    bytes = since === undefined ? await copyFull(ctx, copy, m) : await copyChanged(ctx, { ...copy, since }).catch((err: unknown) => recopyWhenChangeIdLost(ctx, err, copy, m, index));
  } finally {
    await reader.close();
  }
  await ctx.patch((s) => {
    const p = precopyIn(s, index);
    const d = p.disks.find((x) => x.diskID === disk.diskID);
    if (d) {
      d.done = true;
      d.bytes = bytes;
    }
    p.bytes = p.disks.reduce((a, x) => a + (x.bytes ?? 0), 0);
  });
}

/** Where a disk's image in its target format is kept up to date during precopies: the staging file itself when raw. */
export function targetImageFile(dir: string, disk: MigrationDisk): string {
  return (disk.targetFormat ?? "qcow2") === "raw" ? stagingFile(dir, disk) : convertedFile(dir, disk);
}

/** A source disk opened on first use (and closed only if it was). */
export interface LazyReader {
  get(): Promise<DiskReader>;
  close(): Promise<void>;
}

export function lazyReader(open: () => Promise<DiskReader>): LazyReader {
  let opened: Promise<DiskReader> | undefined;
  return {
    get: () => {
      opened ??= open();
      return opened;
    },
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

export interface DiskCopy {
  source: SourceProvider;
  session: ExportSession;
  sourceDisk: SourceDisk;
  reader: LazyReader;
  disk: MigrationDisk;
  stagingPath: string;
  /** The image in the target format, next to the staging file (Importing moves it into the pool by a rename). */
  targetImage: string;
  storage: TargetStorage;
}

/**
 * Precopy 0: the whole disk into the staging file (resuming from its checkpoint), every chunk read back against
 * its source digest, then converted to the target format while the VM still runs — so the cutover only applies
 * the last changes to an image already in its final format.
 */
async function copyFull(ctx: StepContext, c: DiskCopy, m: VMMigration): Promise<number> {
  if (!c.disk.checkpoint) await forgetVerified(c.stagingPath);
  // The image is converted again below: none of its chunks is verified until it is read back.
  if (c.targetImage !== c.stagingPath) await forgetVerified(c.targetImage);
  const opened = await c.reader.get();
  const bandwidthMiBps = m.spec.options?.bandwidthMiBps;
  const copy = { source: c.source, session: c.session, sourceDisk: c.sourceDisk, reader: opened, disk: c.disk, path: c.stagingPath, storage: c.storage };
  const result = await copyWholeDisk(ctx, { ...copy, ...(bandwidthMiBps ? { bandwidthMiBps } : {}) });
  await ctx.patchDisk(
    c.disk.diskID,
    (d) => {
      d.bytesDone = d.sizeBytes;
      if (opened.origin) d.transport = opened.origin.transport;
      delete d.checkpoint;
    },
    result.lastRate,
  );
  await verifyWritten(ctx, c);
  const fmt = c.disk.targetFormat ?? "qcow2";
  if (c.targetImage !== c.stagingPath) {
    await ctx.deps.disk.convert({ src: c.stagingPath, srcFormat: "raw", dest: c.targetImage, destFormat: fmt, signal: ctx.signal }).catch((err: unknown) => {
      throw outOfSpaceFailure(err, c.storage, c.disk);
    });
    await verifyTarget(ctx, c);
  }
  return result.bytesRead;
}

/** Reads the areas changed since `since` into the staging file and the target image; returns the bytes read from the source. */
async function copyChanged(ctx: StepContext, c: DiskCopy & { since: string }): Promise<number> {
  if (!c.source.queryChangedAreas) throw new MigrationFailure("NotSupported", `the source provider cannot list changed blocks; use mode cold or snapshot`);
  const areas = await c.source.queryChangedAreas(c.session, c.sourceDisk, c.since);
  return refreshFromSource(ctx, c, areas);
}

/**
 * Reads `areas` from the snapshot into the staging file (new chunk digests), verifies the chunks so written, and
 * writes the same areas into the target image; returns the bytes read from the source. Idempotent for a frozen
 * snapshot, so a resumed precopy or cutover simply runs it again.
 */
export async function refreshFromSource(ctx: StepContext, c: DiskCopy, areas: ChangedArea[]): Promise<number> {
  const applied =
    areas.length === 0
      ? { bytes: 0 }
      : await ctx.deps.disk.applyChangedAreas({ reader: await c.reader.get(), stagingPath: c.stagingPath, areas, signal: ctx.signal }).catch((err: unknown) => {
          throw outOfSpaceFailure(err, c.storage, c.disk);
        });
  const repaired = await verifyWritten(ctx, c);
  if (c.targetImage !== c.stagingPath) {
    await writeIntoTarget(ctx, c, [...areas, ...repaired]);
    await verifyTarget(ctx, c);
  }
  return applied.bytes;
}

/** Writes `areas` of the (verified) staging file into the target image, its chunks there marked unverified first. */
async function writeIntoTarget(ctx: StepContext, c: DiskCopy, areas: ChangedArea[]): Promise<void> {
  await ctx.deps.disk.markImageAreasWritten({ image: c.targetImage, stagingPath: c.stagingPath, areas });
  await ctx.deps.disk.writeAreas({ src: c.stagingPath, dest: c.targetImage, destFormat: c.disk.targetFormat ?? "qcow2", areas, signal: ctx.signal }).catch((err: unknown) => {
    throw outOfSpaceFailure(err, c.storage, c.disk);
  });
}

/**
 * Reads back the target image's chunks written since their last verification (its guest-visible bytes) against
 * the source digests; a chunk that differs is written again from the verified staging file once, and must then
 * match. What passes is marked verified, so the cutover reads back only what the final delta wrote.
 */
async function verifyTarget(ctx: StepContext, c: DiskCopy): Promise<void> {
  const args = { image: c.targetImage, format: c.disk.targetFormat ?? "qcow2", stagingPath: c.stagingPath, signal: ctx.signal };
  const checked = await ctx.deps.disk.verifyImageUnverified(args);
  if (checked.mismatched.length === 0) return;
  ctx.log(`${c.disk.diskID}: ${checked.mismatched.length} of ${checked.checked} chunks of ${c.targetImage} written since their last verification differ from their source digests; writing them again from the staging file`);
  await writeIntoTarget(ctx, c, checked.mismatched);
  const again = await ctx.deps.disk.verifyImageUnverified(args);
  if (again.mismatched.length > 0) {
    throw new MigrationFailure(
      "ChecksumMismatch",
      `disk ${c.disk.label ?? c.disk.diskID}: ${again.mismatched.length} chunks of ${c.targetImage} (first at byte ${again.mismatched[0]?.start}) still differ from their source digests after being written again; the target storage is unreliable — check it and start a new migration`,
    );
  }
}

/**
 * The source no longer knows the previous precopy's changeId (tracking was reset): what changed since is unknown,
 * so the disk is copied in full from this precopy's snapshot — with a Warning event — never patched from a guess.
 * Any other error is rethrown.
 */
async function recopyWhenChangeIdLost(ctx: StepContext, err: unknown, c: DiskCopy, m: VMMigration, index: number): Promise<number> {
  if ((err as { code?: unknown }).code !== "ChangeIdInvalid") throw err;
  const message = `precopy ${index}: disk ${c.disk.label ?? c.disk.diskID}: the source no longer knows the previous changeId (${(err as Error).message}); copying the whole disk from snapshot ${c.session.snapshotName}`;
  ctx.log(message);
  ctx.deps.events?.record(m, "Warning", "ChangeIdLost", message);
  // A checkpoint here can only be this fallback's own, from this same snapshot (precopy 0 clears its own): resumed.
  return copyFull(ctx, c, m);
}

/**
 * Reads back the staging file's chunks written since their last verification; a chunk that does not match its
 * source digest is read again from this precopy's frozen snapshot once, and must then match. Returns the
 * chunks so repaired (the target image needs them too).
 */
async function verifyWritten(ctx: StepContext, c: DiskCopy): Promise<ChangedArea[]> {
  const checked = await ctx.deps.disk.verifyUnverified(c.stagingPath, ctx.signal);
  if (checked.mismatched.length === 0) return [];
  ctx.log(`${c.disk.diskID}: ${checked.mismatched.length} of ${checked.checked} chunks written since their last verification differ from their source digests; reading them again from snapshot ${c.session.snapshotName}`);
  await ctx.deps.disk.applyChangedAreas({ reader: await c.reader.get(), stagingPath: c.stagingPath, areas: checked.mismatched, signal: ctx.signal });
  const again = await ctx.deps.disk.verifyUnverified(c.stagingPath, ctx.signal);
  if (again.mismatched.length > 0) {
    throw new MigrationFailure(
      "ChecksumMismatch",
      `disk ${c.disk.label ?? c.disk.diskID}: ${again.mismatched.length} chunks of ${c.stagingPath} (first at byte ${again.mismatched[0]?.start}) still differ from their source digests after being read again; the staging storage is unreliable — check it and start a new migration`,
    );
  }
  return checked.mismatched;
}
