// One warm-mode precopy, as idempotent steps with identities from the migration's UID and the precopy's index:
// record the precopy (its snapshot's name) → take or find the snapshot, record its id and every disk's changeId
// → per disk not yet done: precopy 0 copies the whole disk (resuming from its checkpoint), a later precopy asks
// which areas changed since the previous precopy's changeId and reads only those from the snapshot's frozen
// disks → remove the older snapshots → record completion. A crash anywhere reruns from the first step not
// recorded; a disk's changed areas are read again only when that disk's copy was not recorded as done.
import type { MigrationDisk, Precopy, VMMigration, VMMigrationStatus } from "../../api/vmmigration.ts";
import { ensureConfinedDir } from "../../disk/confinement.ts";
import type { DiskReader, ExportSession, SourceDisk, SourceProvider, TargetStorage } from "../../providers/contract.ts";
import { copyWholeDisk } from "./copy-disk.ts";
import { exportDiskRecord, exportSessionOf, sourceDiskFor } from "./decide.ts";
import { precopyIntervalMs, precopySnapshotName, sinceChangeId, staleSnapshots } from "./decide-warm.ts";
import { stagingDir, stagingFile } from "./plan.ts";
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
  return withProviders(ctx.deps, current, async ({ source, target }) => {
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
    for (const disk of current.status?.disks ?? []) {
      const entry = precopyIn(current.status as VMMigrationStatus, index).disks.find((d) => d.diskID === disk.diskID);
      if (entry?.done) continue;
      if (!entry?.changeId) {
        throw new MigrationFailure("ChangeTrackingOff", `precopy ${index}: snapshot ${session.snapshotID} of VM ${vm.name} carries no changeId for disk ${disk.label ?? disk.diskID}; changed block tracking is off — turn it on (warm mode does) or use mode cold`);
      }
      const sourceDisk = sourceDiskFor(session, disk);
      const opened = await source.openDisk(session, sourceDisk, { scratchDir: dir, signal: ctx.signal });
      let bytes: number;
      try {
        const since = sinceChangeId(current, index, disk.diskID);
        bytes =
          since === undefined
            ? await copyFull(ctx, opened, disk, dir, storage, current)
            : await copyChanged(ctx, { source, session, sourceDisk, opened, disk, stagingPath: stagingFile(dir, disk), storage, since });
      } finally {
        await opened.close();
      }
      current = await ctx.patch((s) => {
        const p = precopyIn(s, index);
        const d = p.disks.find((x) => x.diskID === disk.diskID);
        if (d) {
          d.done = true;
          d.bytes = bytes;
        }
        p.bytes = p.disks.reduce((a, x) => a + (x.bytes ?? 0), 0);
      });
    }
    current = await removeStaleSnapshots(ctx, source, current, index);
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
  });
}

async function copyFull(ctx: StepContext, opened: DiskReader, disk: MigrationDisk, dir: string, storage: TargetStorage, m: VMMigration): Promise<number> {
  const result = await copyWholeDisk(ctx, opened, disk, stagingFile(dir, disk), storage, m.spec.options?.bandwidthMiBps);
  await ctx.patchDisk(
    disk.diskID,
    (d) => {
      d.bytesDone = d.sizeBytes;
      if (opened.origin) d.transport = opened.origin.transport;
      delete d.checkpoint;
    },
    result.lastRate,
  );
  return disk.sizeBytes;
}

interface ChangedCopy {
  source: SourceProvider;
  session: ExportSession;
  sourceDisk: SourceDisk;
  opened: DiskReader;
  disk: MigrationDisk;
  stagingPath: string;
  storage: TargetStorage;
  since: string;
}

/** Reads the areas changed since `since` into the staging file; returns the bytes read from the source. */
async function copyChanged(ctx: StepContext, c: ChangedCopy): Promise<number> {
  if (!c.source.queryChangedAreas) throw new MigrationFailure("NotSupported", `the source provider cannot list changed blocks; use mode cold or snapshot`);
  const areas = await c.source.queryChangedAreas(c.session, c.sourceDisk, c.since);
  const applied = await ctx.deps.disk.applyChangedAreas({ reader: c.opened, stagingPath: c.stagingPath, areas, signal: ctx.signal }).catch((err: unknown) => {
    throw outOfSpaceFailure(err, c.storage, c.disk);
  });
  return applied.bytes;
}
